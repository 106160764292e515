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

    /// Render the template (the root one, when split), or say which
    /// CloudFormation limit it, or a child, breaks.
    pub fn render(&self, format: Format) -> Result<String, Vec<String>> {
        if let Some(split) = &self.nested {
            let mut broken = Vec::new();
            for c in &split.children {
                broken.extend(
                    limits::check(&c.counts)
                        .into_iter()
                        .map(|b| format!("child stack {}: {b}", c.id)),
                );
            }
            let root = &split.root;
            if let Err(b) = checked(root, |bytes| limits::Counts::of_value(root, bytes)) {
                broken.extend(b.into_iter().map(|b| format!("root stack: {b}")));
            }
            return if broken.is_empty() {
                Ok(render_as(root, format))
            } else {
                Err(broken)
            };
        }
        // Without an overlay the typed template is written out directly:
        // going through a `serde_json::Value` doubled the cost of rendering.
        match &self.overlay {
            None => {
                let t = &self.template;
                checked(t, |bytes| limits::Counts {
                    resources: t.resources.len(),
                    parameters: t.parameters.len(),
                    outputs: t.outputs.len(),
                    bytes,
                })?;
                Ok(render_as(t, format))
            }
            Some(_) => {
                let v = self.value();
                checked(&v, |bytes| limits::Counts::of_value(&v, bytes))?;
                Ok(render_as(&v, format))
            }
        }
    }
}

impl nested::Child {
    /// The child's template in the output format.
    pub fn render(&self, format: Format) -> String {
        render_body(&self.body, format)
    }
}

/// Does the template, with its overlay, fit in one stack?
pub(crate) fn fits_one_stack(t: &cfn::Template, overlay: Option<&serde_json::Value>) -> bool {
    let over = |n: usize, limit: usize| n > limit;
    match overlay {
        None => {
            if over(t.resources.len(), limits::MAX_RESOURCES)
                || over(t.parameters.len(), limits::MAX_PARAMETERS)
                || over(t.outputs.len(), limits::MAX_OUTPUTS)
            {
                return false;
            }
            checked(t, |bytes| limits::Counts {
                resources: t.resources.len(),
                parameters: t.parameters.len(),
                outputs: t.outputs.len(),
                bytes,
            })
            .is_ok()
        }
        Some(o) => {
            let mut v = t.to_value();
            overlay::apply(&mut v, o);
            checked(&v, |bytes| limits::Counts::of_value(&v, bytes)).is_ok()
        }
    }
}
/// The size limit applies to what `up` sends: the compact JSON body.
fn checked<T: serde::Serialize>(
    template: &T,
    counts: impl FnOnce(usize) -> limits::Counts,
) -> Result<(), Vec<String>> {
    let broken = limits::check(&counts(cfn::body_len(template)));
    if broken.is_empty() {
        Ok(())
    } else {
        Err(broken)
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
