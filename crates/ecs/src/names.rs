//! Logical IDs: the original's naming scheme, kept so that users'
//! `x-aws-cloudformation` overlays keep working, with collisions detected
//! instead of silently overwriting each other.

use std::collections::BTreeMap;

/// `front-tier` → `Fronttier`, `my_app` → `Myapp`: keep `[A-Za-z0-9]`,
/// upper-case the first letter (the original's `normalizeResourceName`).
pub fn normalize(name: &str) -> String {
    let kept: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let mut chars = kept.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// FNV-1a: a hash that is the same on every platform and in every release
/// (std's hasher promises neither), for names that must never change.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The project's S3 bucket for nested stack templates: bucket names are
/// global, so the account and a hash of region and project make it ours.
pub fn template_bucket(account: &str, region: &str, project: &str) -> String {
    let h = stable_hash(format!("{region}/{project}").as_bytes());
    format!("docker-ecs-{account}-{h:016x}")
}

/// Maps Compose names to normalized names and reports two names that would
/// produce the same logical IDs (`web-1` and `web1`).
#[derive(Default)]
pub struct NameTable {
    by_normalized: BTreeMap<String, String>,
}

impl NameTable {
    /// Register `name`; on a clash, returns the other Compose name.
    pub fn register(&mut self, name: &str) -> Result<String, String> {
        let n = normalize(name);
        match self.by_normalized.get(&n) {
            Some(other) if other != name => Err(other.clone()),
            _ => {
                self.by_normalized.insert(n.clone(), name.to_string());
                Ok(n)
            }
        }
    }
}

/// The CloudFormation stack of a project. Compose names may hold `_` and
/// start with a digit; stack names may not, so `my_app` → `my-app` and
/// `1app` → `compose-1app`. The project tag on the stack keeps the real name.
pub fn stack_name(project: &str) -> String {
    let name: String = project
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        format!("compose-{name}")
    }
}

/// Protocol part of listener/target group/ingress IDs: `TCP`, `UDP`, or
/// `TCPUDP` when one service publishes the same port over both.
pub fn protocol_tag(protocol: &str) -> String {
    protocol.to_ascii_uppercase().replace('_', "")
}

/// An environment variable name ECS takes: letters, digits and `_`, not
/// starting with a digit.
pub fn is_env_variable(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An init container of a service's task (`<Id>_<what>_InitContainer`):
/// `logs` and `ps` read the task's own containers only.
pub fn init_container(service_id: &str, what: &str) -> String {
    format!("{service_id}_{what}{INIT_CONTAINER_SUFFIX}")
}

pub fn is_init_container(name: &str) -> bool {
    name.ends_with(INIT_CONTAINER_SUFFIX)
}

const INIT_CONTAINER_SUFFIX: &str = "_InitContainer";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_the_original() {
        assert_eq!(normalize("front-tier"), "Fronttier");
        assert_eq!(normalize("my_app"), "Myapp");
        assert_eq!(normalize("subnet-0ab1"), "Subnet0ab1");
        assert_eq!(normalize("db"), "Db");
    }

    #[test]
    fn stack_names_are_valid_for_cloudformation() {
        assert_eq!(stack_name("demo"), "demo");
        assert_eq!(stack_name("my_app"), "my-app");
        assert_eq!(stack_name("1app"), "compose-1app");
        assert_eq!(stack_name("_x"), "compose--x");
    }

    #[test]
    fn detects_collisions() {
        let mut t = NameTable::default();
        assert_eq!(t.register("web-1").unwrap(), "Web1");
        assert_eq!(t.register("web-1").unwrap(), "Web1");
        assert_eq!(t.register("web1").unwrap_err(), "web-1");
    }
}
