//! Amazon ECS validation and conversion: a loaded Compose project becomes one
//! CloudFormation template, or a root stack and child stacks when one would
//! break a CloudFormation limit ([`nested`]).
//!
//! Pure and deterministic: no network I/O, no credentials, no clock. The same
//! project always gives the same bytes.

pub mod cfn;
pub mod convert;
pub mod extensions;
pub mod limits;
pub mod names;
pub mod nested;
pub mod overlay;
pub mod params;
pub mod sizing;
pub mod support;
pub mod two_threads;

pub use convert::{Conversion, LaunchType, Options, convert};

/// Output format of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Conversion {
    /// The final template as JSON (the root one, when the project is
    /// split): generated resources with the `x-aws-cloudformation` overlay
    /// applied.
    pub fn value(&self) -> serde_json::Value {
        if let Some(split) = &self.nested {
            return split.root.clone();
        }
        let mut v = self.template.to_value();
        if let Some(o) = &self.overlay {
            overlay::apply(&mut v, o);
        }
        v
    }

    /// Every CloudFormation limit the template (the root or a child, when
    /// split) breaks, as sentences; empty when it may be deployed.
    pub fn broken_limits(&self) -> Vec<String> {
        let Some(split) = &self.nested else {
            return single_broken(&self.template, self.overlay.as_ref());
        };
        let mut broken = Vec::new();
        for c in &split.children {
            broken.extend(
                limits::check(&c.counts)
                    .into_iter()
                    .map(|b| format!("child stack {}: {b}", c.id)),
            );
        }
        let root = &split.root;
        let counts = limits::Counts::of_value(root, cfn::body_len(root));
        broken.extend(
            limits::check(&counts)
                .into_iter()
                .map(|b| format!("root stack: {b}")),
        );
        broken
    }

    /// Render the template (the root one, when split), or say which
    /// CloudFormation limit it, or a child, breaks.
    pub fn render(&self, format: Format) -> Result<String, Vec<String>> {
        let broken = self.broken_limits();
        if !broken.is_empty() {
            return Err(broken);
        }
        // Without an overlay the typed template is written out directly:
        // going through a `serde_json::Value` doubled the cost of rendering.
        Ok(match (&self.nested, &self.overlay) {
            (Some(split), _) => render_as(&split.root, format),
            (None, None) => render_as(&self.template, format),
            (None, Some(_)) => render_as(&self.value(), format),
        })
    }
}

impl nested::Child {
    /// The child's template in the output format.
    pub fn render(&self, format: Format) -> String {
        render_body(&self.body, format)
    }
}

/// Does the template, with its overlay, fit in one stack? Counting comes
/// first: a large project need not be serialized to know.
pub(crate) fn fits_one_stack(t: &cfn::Template, overlay: Option<&serde_json::Value>) -> bool {
    let over = t.resources.len() > limits::MAX_RESOURCES
        || t.parameters.len() > limits::MAX_PARAMETERS
        || t.outputs.len() > limits::MAX_OUTPUTS;
    (overlay.is_some() || !over) && single_broken(t, overlay).is_empty()
}

/// The limits one template breaks, with its overlay applied. The size
/// limit applies to what `up` sends: the compact JSON body.
fn single_broken(t: &cfn::Template, overlay: Option<&serde_json::Value>) -> Vec<String> {
    match overlay {
        None => limits::check(&limits::Counts {
            resources: t.resources.len(),
            parameters: t.parameters.len(),
            outputs: t.outputs.len(),
            bytes: cfn::body_len(t),
        }),
        Some(o) => {
            let mut v = t.to_value();
            overlay::apply(&mut v, o);
            limits::check(&limits::Counts::of_value(&v, cfn::body_len(&v)))
        }
    }
}

/// A template from its compact JSON, straight into the output format.
fn render_body(body: &str, format: Format) -> String {
    let mut de = serde_json::Deserializer::from_str(body);
    render_as(&serde_transcode::Transcoder::new(&mut de), format)
}

fn render_as<T: serde::Serialize>(template: &T, format: Format) -> String {
    match format {
        Format::Json => cfn::to_json(template),
        Format::Yaml => cfn::to_yaml(template),
    }
}
