//! Where each value of a loaded project came from, for errors found after
//! loading (for example by the ECS conversion).

use crate::error::{Error, SourceMap};
use crate::node::{KeyPath, Node, Span};

/// The merged node tree of a project and the files it came from.
#[derive(Debug, Clone, Default)]
pub struct Positions {
    root: Option<Node>,
    sources: SourceMap,
}

impl Positions {
    pub fn new(root: Node, sources: SourceMap) -> Self {
        Positions {
            root: Some(root),
            sources,
        }
    }

    /// No positions (for projects built in code).
    pub fn none() -> Self {
        Positions::default()
    }

    /// The span of the value at `path`, or of its closest ancestor that exists.
    pub fn span(&self, path: &KeyPath) -> Option<Span> {
        let root = self.root.as_ref()?;
        let mut p = path.clone();
        loop {
            if let Some(n) = root.at(&p) {
                return n.span.is_known().then_some(n.span);
            }
            if p.is_empty() {
                return None;
            }
            p = p.parent();
        }
    }

    /// Does the project set this key (after merging, before defaults)?
    pub fn node(&self, path: &KeyPath) -> Option<&Node> {
        self.root.as_ref()?.at(path)
    }

    /// An error about the value at `path`, located in its file.
    pub fn error(
        &self,
        path: &KeyPath,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Error {
        let mut e = Error::new(message).with_path(path).with_help(help);
        if let Some(span) = self.span(path) {
            e = e.with_span(span);
        }
        e.resolve(&self.sources)
    }
}
