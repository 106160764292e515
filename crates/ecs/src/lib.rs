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
pub mod sizing;
pub mod support;

pub use convert::{Conversion, Options, convert};

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
        let value = self.value();
        // The limit applies to what CloudFormation receives; JSON is the larger form.
        let json = cfn::to_json(&value);
        let broken = limits::check(&value, json.len());
        if !broken.is_empty() {
            return Err(broken);
        }
        Ok(match format {
            Format::Json => json,
            Format::Yaml => cfn::to_yaml(&value),
        })
    }
}
