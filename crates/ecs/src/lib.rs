//! Amazon ECS validation and conversion: a loaded Compose project becomes one
//! CloudFormation template.
//!
//! Pure and deterministic: no network I/O, no credentials, no clock. The same
//! project always gives the same bytes.

pub mod cfn;
pub mod convert;
pub mod extensions;
pub mod limits;
pub mod names;
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
    /// The final template as JSON: generated resources with the
    /// `x-aws-cloudformation` overlay applied.
    pub fn value(&self) -> serde_json::Value {
        let mut v = self.template.to_value();
        if let Some(o) = &self.overlay {
            overlay::apply(&mut v, o);
        }
        v
    }

    /// Render the template, or say which CloudFormation limit it breaks.
    pub fn render(&self, format: Format) -> Result<String, Vec<String>> {
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

fn render_as<T: serde::Serialize>(template: &T, format: Format) -> String {
    match format {
        Format::Json => cfn::to_json(template),
        Format::Yaml => cfn::to_yaml(template),
    }
}
