//! The `x-aws-*` extensions, read into types. A value of the wrong type is an
//! error that names the key and where it is; an unknown `x-aws-*` key is a
//! warning.

use compose::node::KeyPath;
use compose::{Error, Positions};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub type Extensions = indexmap::IndexMap<String, Value>;

/// Reads extensions of one object, collecting errors and warnings.
pub struct Reader<'a> {
    pub ext: &'a Extensions,
    pub path: KeyPath,
    pub pos: &'a Positions,
}

impl Reader<'_> {
    /// Read `key` as `T`, or explain what it must be.
    pub fn get<T: DeserializeOwned>(&self, key: &str, expected: &str) -> Result<Option<T>, Error> {
        let Some(v) = self.ext.get(key) else {
            return Ok(None);
        };
        if v.is_null() {
            return Ok(None);
        }
        serde_json::from_value(v.clone()).map(Some).map_err(|_| {
            self.pos.error(
                &self.path.key(key),
                format!("`{key}` must be {expected}, found {}", describe(v)),
                format!("write `{key}` as {expected}"),
            )
        })
    }

    /// Errors for `x-aws-*` keys that belong elsewhere: they would do
    /// nothing here, and the user meant them to do something.
    pub fn misplaced(&self, known: &[&str]) -> Vec<Error> {
        self.ext
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .filter_map(|k| {
                let place = crate::support::extension_place(k)?;
                Some(self.pos.error(
                    &self.path.key(k),
                    format!("`{k}` does nothing here"),
                    format!("move it to the {place}"),
                ))
            })
            .collect()
    }

    /// Warnings for `x-aws-*` keys no object knows.
    pub fn unknown(&self, known: &[&str]) -> Vec<Error> {
        self.ext
            .keys()
            .filter(|k| {
                k.starts_with("x-aws-")
                    && !known.contains(&k.as_str())
                    && crate::support::extension_place(k).is_none()
            })
            .map(|k| {
                let hint = compose::de::closest(k, known)
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| format!("known here: {}", known.join(", ")));
                self.pos.error(
                    &self.path.key(k),
                    format!("unknown extension `{k}` is ignored"),
                    hint,
                )
            })
            .collect()
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// A string or a list of strings.
#[derive(serde::Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// `deploy.x-aws-autoscaling`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoScaling {
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// `x-aws-instances`: the size of a service's EC2 capacity.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instances {
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// Managed scaling's target utilisation, percent.
    pub target_capacity: Option<i64>,
}

/// `x-aws-healthcheck`: how the load balancer checks the tasks.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerHealth {
    pub path: Option<String>,
    pub matcher: Option<String>,
    pub interval: Option<TimeValue>,
    pub timeout: Option<TimeValue>,
    pub healthy_threshold: Option<i64>,
    pub unhealthy_threshold: Option<i64>,
}

/// One entry of `x-aws-capacity_provider_strategy`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyEntry {
    pub capacity_provider: String,
    pub base: Option<i64>,
    pub weight: Option<i64>,
}

/// `x-aws-deployment`: how ECS rolls out a new version of a service.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// rolling, blue_green, canary or linear.
    pub strategy: Option<String>,
    pub bake_time: Option<TimeValue>,
    pub canary_percent: Option<f64>,
    pub canary_bake_time: Option<TimeValue>,
    pub step_percent: Option<f64>,
    pub step_bake_time: Option<TimeValue>,
    pub test_port: Option<i64>,
    #[serde(default)]
    pub hooks: Vec<DeploymentHook>,
    #[serde(default)]
    pub alarms: Vec<String>,
}

/// A Lambda function ECS calls at the named stages of a deployment.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentHook {
    pub lambda: String,
    pub stages: Vec<String>,
}

/// A time: a number in the key's unit (minutes for bake times, seconds
/// for health checks), or a duration such as `10m` or `30s`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum TimeValue {
    Number(i64),
    Duration(String),
}

impl TimeValue {
    /// Whole units of `unit_secs` seconds (60: minutes), or why not.
    pub fn whole(&self, unit_secs: i64, unit: &str) -> Result<i64, String> {
        match self {
            TimeValue::Number(n) => Ok(*n),
            TimeValue::Duration(d) => {
                let nanos = compose::syntax::parse_duration(d)?;
                let per = unit_secs * 1_000_000_000;
                if nanos % per != 0 {
                    return Err(format!("{d:?} is not a whole number of {unit}"));
                }
                Ok(nanos / per)
            }
        }
    }
}

/// CloudWatch Logs accepts only these retention periods (days).
pub const LOG_RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub const PROJECT_KEYS: &[&str] = &[
    "x-aws-cluster",
    "x-aws-vpc",
    "x-aws-subnets",
    "x-aws-loadbalancer_subnets",
    "x-aws-loadbalancer_scheme",
    "x-aws-loadbalancer",
    "x-aws-cloudformation",
    "x-aws-logs_retention",
    "x-aws-logs_kms_key",
    "x-aws-access_logs_bucket",
    "x-aws-init_image",
    "x-aws-private_subnets",
    "x-aws-launch_type",
    "x-aws-capacity_provider_strategy",
    "x-aws-certificate",
    "x-aws-redirect_http",
    "x-aws-enable_exec",
    "x-aws-service_connect",
];
/// Service keys of the service's own container and roles (a sidecar keeps
/// them); with [`TASK_LEVEL_SERVICE_KEYS`], every key a service takes.
pub const SERVICE_KEYS: &[&str] = &[
    "x-aws-pull_credentials",
    "x-aws-role",
    "x-aws-policies",
    "x-aws-secrets_env",
    "x-aws-essential",
];
/// Service keys that set the task or the ECS service, which a sidecar
/// (`network_mode: service:…`) takes from its main service.
pub const TASK_LEVEL_SERVICE_KEYS: &[&str] = &[
    "x-aws-assign_public_ip",
    "x-aws-deregistration_delay",
    "x-aws-launch_type",
    "x-aws-instance_type",
    "x-aws-instances",
    "x-aws-platform_version",
    "x-aws-deployment",
    "x-aws-capacity",
    "x-aws-capacity_provider_strategy",
    "x-aws-healthcheck",
    "x-aws-enable_exec",
];
pub const DEPLOY_KEYS: &[&str] = &["x-aws-autoscaling"];
pub const UPDATE_CONFIG_KEYS: &[&str] = &["x-aws-min_percent", "x-aws-max_percent"];
pub const PORT_KEYS: &[&str] = &["x-aws-protocol", "x-aws-certificate"];
pub const SECRET_KEYS: &[&str] = &["x-aws-keys"];
pub const NETWORK_KEYS: &[&str] = &["x-aws-securitygroup"];
pub const NONE: &[&str] = &[];

/// Is `s` an AWS resource ID of this kind (`vpc`, `subnet`, `sg`, `ami`, `fs`)?
pub fn is_resource_id(kind: &str, s: &str) -> bool {
    let Some(rest) = s.strip_prefix(kind).and_then(|r| r.strip_prefix('-')) else {
        return false;
    };
    let hex = rest
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    match kind {
        "fs" => hex && (8..=40).contains(&rest.len()),
        "ami" => {
            rest.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && (rest.len() == 8 || rest.len() == 17)
        }
        _ => hex && (rest.len() == 8 || rest.len() == 17),
    }
}

/// `arn:aws:ec2:us-west-1:123:vpc/vpc-1234` → `vpc-1234`; an ID stays as is.
pub fn vpc_id(value: &str) -> String {
    if value.starts_with("arn:") {
        value.rsplit('/').next().unwrap_or(value).to_string()
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids() {
        assert!(is_resource_id("sg", "sg-0123456789abcdef0"));
        assert!(is_resource_id("sg", "sg-12345678"));
        assert!(!is_resource_id("sg", "sg-123abc"));
        assert!(!is_resource_id("sg", "vpc-12345678"));
        assert!(is_resource_id("fs", "fs-0123456789abcdef0"));
        assert!(is_resource_id("ami", "ami-0123456789abcdef0"));
        assert!(!is_resource_id("ami", "ami123456789"));
    }

    #[test]
    fn vpc_arn_is_reduced_to_its_id() {
        assert_eq!(
            vpc_id("arn:aws:ec2:us-west-1:EXAMPLE:vpc/vpc-1234acbd"),
            "vpc-1234acbd"
        );
        assert_eq!(vpc_id("vpc-1"), "vpc-1");
    }
}
