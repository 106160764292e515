//! Errors that point at the input: file, line, column and key path, plus what to do.

use crate::node::{KeyPath, Span};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every file the loader read, so spans can be turned back into file/line/column
/// and a source snippet.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl SourceMap {
    pub fn add(&mut self, path: PathBuf, text: Arc<str>) -> u32 {
        self.files.push(SourceFile { path, text });
        (self.files.len() - 1) as u32
    }
    pub fn get(&self, id: u32) -> Option<&SourceFile> {
        self.files.get(id as usize)
    }
    pub fn path(&self, span: Span) -> Option<&Path> {
        self.get(span.source).map(|f| f.path.as_path())
    }
}

/// Where an error is, once resolved against the [`SourceMap`].
#[derive(Debug, Clone)]
pub struct Location {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    offset: u32,
    len: u32,
    source: Option<miette::NamedSource<Arc<str>>>,
}

/// Boxed so `Result<T, Error>` stays small on the happy path.
#[derive(Debug, Clone)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone)]
struct Inner {
    message: String,
    path: Option<String>,
    span: Option<Span>,
    file: Option<PathBuf>,
    help: Option<String>,
    location: Option<Location>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            message: message.into(),
            path: None,
            span: None,
            file: None,
            help: None,
            location: None,
        }))
    }

    /// Error about the value at `span`, reached through key path `path`.
    pub fn at(span: Span, path: &KeyPath, message: impl Into<String>) -> Self {
        Error::new(message).with_span(span).with_path(path)
    }

    pub fn with_span(mut self, span: Span) -> Self {
        if span.is_known() && self.0.span.is_none() {
            self.0.span = Some(span);
        }
        self
    }
    pub fn with_path(mut self, path: &KeyPath) -> Self {
        if !path.is_empty() && self.0.path.is_none() {
            self.0.path = Some(path.to_string());
        }
        self
    }
    pub fn with_path_str(mut self, path: impl Into<String>) -> Self {
        if self.0.path.is_none() {
            self.0.path = Some(path.into());
        }
        self
    }
    pub fn with_file(mut self, file: impl Into<PathBuf>) -> Self {
        if self.0.file.is_none() {
            self.0.file = Some(file.into());
        }
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        if self.0.help.is_none() {
            self.0.help = Some(help.into());
        }
        self
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }
    pub fn key_path(&self) -> Option<&str> {
        self.0.path.as_deref()
    }
    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }
    pub fn span(&self) -> Option<Span> {
        self.0.span
    }
    pub fn location(&self) -> Option<&Location> {
        self.0.location.as_ref()
    }
    pub fn file(&self) -> Option<&Path> {
        self.0
            .location
            .as_ref()
            .map(|l| l.file.as_path())
            .or(self.0.file.as_deref())
    }

    /// Turn the span into a file/line/column using the loader's sources.
    pub fn resolve(mut self, sources: &SourceMap) -> Self {
        if self.0.location.is_none()
            && let Some(span) = self.0.span
            && let Some(src) = sources.get(span.source)
        {
            self.0.location = Some(Location {
                file: src.path.clone(),
                line: span.line,
                column: span.column,
                offset: span.offset,
                len: span.len,
                source: Some(miette::NamedSource::new(
                    src.path.display().to_string(),
                    src.text.clone(),
                )),
            });
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.0.location {
            write!(f, "{}:{}:{}: ", loc.file.display(), loc.line, loc.column)?;
        } else if let Some(file) = &self.0.file {
            write!(f, "{}: ", file.display())?;
        }
        if let Some(path) = &self.0.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Error {}

impl miette::Diagnostic for Error {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0
            .location
            .as_ref()
            .and_then(|l| l.source.as_ref())
            .map(|t| t as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let loc = self.0.location.as_ref()?;
        loc.source.as_ref()?;
        let label = miette::LabeledSpan::new(
            Some(self.0.message.clone()),
            loc.offset as usize,
            loc.len.max(1) as usize,
        );
        Some(Box::new(std::iter::once(label)))
    }
}
