//! `deploy.placement` → ECS placement, which applies to EC2 instances only.
//!
//! Constraints become `memberOf` expressions in ECS's cluster query language;
//! what that language cannot say is an error at the constraint. Labels a
//! constraint asks for are given to the service's own instances, so the
//! constraint can hold. `spread` preferences become placement strategies.

use crate::cfn::resources::{PlacementConstraint, PlacementStrategy};
use crate::convert::Ctx;
use compose::model::Service;
use compose::node::KeyPath;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Placement {
    /// `node.ami == …`: the AMI of the service's instances.
    pub ami: Option<String>,
    /// `node.instance_type == …` (or the original's `node.machine == …`).
    pub instance_type: Option<String>,
    pub constraints: Vec<PlacementConstraint>,
    pub strategies: Vec<PlacementStrategy>,
    /// `node.labels.K == V`: ECS attributes of the service's own instances.
    pub attributes: BTreeMap<String, String>,
}

impl Placement {
    /// Does it ask for anything that only EC2 instances give?
    pub fn asks(&self) -> bool {
        self.ami.is_some()
            || self.instance_type.is_some()
            || !self.constraints.is_empty()
            || !self.strategies.is_empty()
    }
}

pub fn read(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> Placement {
    let mut out = Placement::default();
    let Some(p) = s.deploy.as_ref().map(|d| &d.placement) else {
        return out;
    };
    let at = path.key("deploy").key("placement");
    for (i, c) in p.constraints.iter().enumerate() {
        constraint(ctx, &mut out, c, &at.key("constraints").index(i));
    }
    for (i, pref) in p.preferences.iter().enumerate() {
        let at = at.key("preferences").index(i).key("spread");
        match spread_field(&pref.spread) {
            Some(field) => out.strategies.push(PlacementStrategy {
                kind: "spread".into(),
                field: Some(field),
            }),
            None => ctx.error(
                &at,
                format!("ECS cannot spread tasks over {:?}", pref.spread),
                "spread over `node.labels.<name>` (an instance attribute) or `node.labels.zone` (the availability zone)",
            ),
        }
    }
    match p.max_replicas {
        0 => {}
        1 => out.constraints.push(PlacementConstraint {
            kind: "distinctInstance".into(),
            expression: None,
        }),
        n => ctx.warn(
            &at.key("max_replicas_per_node"),
            format!("ECS can keep tasks on distinct instances, not {n} per instance"),
            "use 1 (one task per instance), or size the instance type for the tasks",
        ),
    }
    out
}

/// `node.labels.K` → `attribute:K`, with the zone under its ECS name.
fn spread_field(spread: &str) -> Option<String> {
    let label = spread.strip_prefix("node.labels.")?;
    if matches!(
        label,
        "zone" | "az" | "availability-zone" | "availability_zone"
    ) {
        return Some("attribute:ecs.availability-zone".into());
    }
    valid_name(label).then(|| format!("attribute:{label}"))
}

/// ECS attribute names: letters, digits, `-`, `_`, `.`, `/`, up to 128, and
/// not ECS's own `ecs.` ones.
fn valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && !name.starts_with("ecs.")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

/// Attribute values: letters, digits, `-`, `_`, `.`, `@`, `/`, `:`.
fn valid_value(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '/' | ':'))
}

fn constraint(ctx: &mut Ctx, out: &mut Placement, c: &str, at: &KeyPath) {
    let parsed = c
        .split_once("!=")
        .map(|(k, v)| (k, "!=", v))
        .or_else(|| c.split_once("==").map(|(k, v)| (k, "==", v)));
    let Some((key, op, value)) = parsed.map(|(k, op, v)| (k.trim(), op, v.trim())) else {
        ctx.error(
            at,
            format!("placement constraint {c:?} has no == or !="),
            "write `node.labels.<name> == <value>`",
        );
        return;
    };
    let member_of = |expression: String| PlacementConstraint {
        kind: "memberOf".into(),
        expression: Some(expression),
    };
    let expressible = match key {
        "node.ami" if op == "==" => {
            out.ami = Some(value.to_string());
            if !crate::extensions::is_resource_id("ami", value) {
                ctx.error(
                    at,
                    format!("{value:?} is not an AMI ID"),
                    "write `node.ami == ami-…`",
                );
            }
            true
        }
        "node.machine" | "node.instance_type" if valid_value(value) => {
            if op == "==" {
                out.instance_type = Some(value.to_string());
            }
            out.constraints.push(member_of(format!(
                "attribute:ecs.instance-type {op} {value}"
            )));
            true
        }
        "node.platform.arch" => match arch(value) {
            Some(a) => {
                out.constraints.push(member_of(format!(
                    "attribute:ecs.cpu-architecture {op} {a}"
                )));
                true
            }
            None => false,
        },
        "node.platform.os" if value.eq_ignore_ascii_case("linux") => {
            out.constraints
                .push(member_of(format!("attribute:ecs.os-type {op} linux")));
            true
        }
        _ => match key.strip_prefix("node.labels.") {
            Some(label) if valid_name(label) && valid_value(value) => {
                if op == "==" {
                    out.attributes.insert(label.to_string(), value.to_string());
                }
                out.constraints
                    .push(member_of(format!("attribute:{label} {op} {value}")));
                true
            }
            _ => false,
        },
    };
    if !expressible {
        ctx.error(
            at,
            format!("ECS cannot express the placement constraint {c:?}"),
            "use node.labels.<name>, node.instance_type, node.platform.arch or node.platform.os with == or != (names and values of letters, digits, - _ . /)",
        );
    }
}

/// Compose's architecture names → ECS's.
fn arch(value: &str) -> Option<&'static str> {
    match value.to_ascii_lowercase().as_str() {
        "x86_64" | "amd64" => Some("x86_64"),
        "aarch64" | "arm64" => Some("arm64"),
        _ => None,
    }
}
