//! CloudFormation's hard limits, checked before anything is deployed.

/// Resources, parameters and outputs per template, and the template size
/// accepted through S3 (`up` uploads anything over 51,200 bytes there).
pub const MAX_RESOURCES: usize = 500;
pub const MAX_PARAMETERS: usize = 200;
pub const MAX_OUTPUTS: usize = 200;
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;

/// Every limit the rendered template breaks, as a sentence.
pub fn check(template: &serde_json::Value, rendered_bytes: usize) -> Vec<String> {
    let count = |section: &str| {
        template
            .get(section)
            .and_then(|v| v.as_object())
            .map_or(0, |m| m.len())
    };
    let mut broken = Vec::new();
    for (section, limit) in [
        ("Resources", MAX_RESOURCES),
        ("Parameters", MAX_PARAMETERS),
        ("Outputs", MAX_OUTPUTS),
    ] {
        let n = count(section);
        if n > limit {
            broken.push(format!(
                "the template has {n} {}, over CloudFormation's limit of {limit} per stack",
                section.to_lowercase()
            ));
        }
    }
    if rendered_bytes > MAX_TEMPLATE_BYTES {
        broken.push(format!(
            "the template is {rendered_bytes} bytes, over CloudFormation's limit of {MAX_TEMPLATE_BYTES} bytes"
        ));
    }
    broken
}
