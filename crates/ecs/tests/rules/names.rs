//! Rules of names that AWS keeps for itself.

use super::of;
use ecs::cfn::{Expr, Template};

/// The literal start of a name: the whole string, or a `Fn::Sub` up to its
/// first variable.
fn literal_start(e: &Expr) -> Option<&str> {
    match e {
        Expr::Str(s) => Some(s),
        Expr::Sub(s) => Some(s.split("${").next().unwrap_or_default()),
        _ => None,
    }
}

/// Lesson 4: a capacity provider's name may not start with `aws`, `ecs` or
/// `fargate`, in any case, and a log group's may not start with `aws/`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ecs-capacityprovider.html> (Name)
/// <https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html>
pub fn names_avoid_reserved_prefixes(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, cp) in of!(t, CapacityProvider) {
        let lower = cp.name.to_ascii_lowercase();
        if ["aws", "ecs", "fargate"]
            .iter()
            .any(|p| lower.starts_with(p))
        {
            out.push(format!(
                "{id}: capacity provider name {} uses a reserved prefix",
                cp.name
            ));
        }
        let valid = cp.name.len() <= 255
            && cp
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            out.push(format!(
                "{id}: capacity provider name {} is not 1-255 letters, digits, - and _",
                cp.name
            ));
        }
    }
    for (id, g) in of!(t, LogGroup) {
        if literal_start(&g.log_group_name).is_some_and(|s| s.starts_with("aws/")) {
            out.push(format!("{id}: log group names may not start with aws/"));
        }
    }
    out
}
