//! Project-wide resources: the cluster, the log group and the Cloud Map
//! namespace.

use super::Ctx;
use crate::cfn::resources::*;
use crate::cfn::{Expr, Resource};
use crate::extensions::{LOG_RETENTION_DAYS, Reader};
use compose::node::KeyPath;

/// How the template names the cluster: by name (for ECS resource IDs) and ARN.
#[derive(Debug, Clone)]
pub struct ClusterRef {
    pub name: Expr,
    pub arn: Expr,
    pub external: bool,
}

impl Default for ClusterRef {
    fn default() -> Self {
        ClusterRef {
            name: Expr::reference("Cluster"),
            arn: Expr::get_att("Cluster", "Arn"),
            external: false,
        }
    }
}

pub fn cluster(ctx: &mut Ctx, ext: &Reader) {
    let external: Option<String> = ctx.ok(ext.get("x-aws-cluster", "a cluster name or ARN"));
    match external {
        Some(c) if c.starts_with("arn:") => {
            let name = c.rsplit('/').next().unwrap_or(&c).to_string();
            ctx.cluster = ClusterRef {
                name: Expr::str(name),
                arn: Expr::str(c),
                external: true,
            };
        }
        Some(name) => {
            ctx.cluster = ClusterRef {
                arn: Expr::sub(format!(
                    "arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:cluster/{name}"
                )),
                name: Expr::str(name),
                external: true,
            };
        }
        None => {
            let tags = vec![ctx.project_tag()];
            ctx.t.add(
                "Cluster",
                Resource::new(Cluster {
                    cluster_name: Some(Expr::str(ctx.name())),
                    cluster_settings: vec![NameValue {
                        name: "containerInsights".into(),
                        value: Expr::str("enabled"),
                    }],
                    tags,
                }),
            );
        }
    }
}

pub fn log_group(ctx: &mut Ctx, ext: &Reader) {
    let path = KeyPath::root().key("x-aws-logs_retention");
    let retention: Option<i64> = ctx.ok(ext.get("x-aws-logs_retention", "a number of days"));
    if let Some(days) = retention
        && !LOG_RETENTION_DAYS.contains(&days)
    {
        let allowed: Vec<String> = LOG_RETENTION_DAYS.iter().map(i64::to_string).collect();
        ctx.error(
            &path,
            format!("{days} days is not a CloudWatch Logs retention period"),
            format!("use one of: {}", allowed.join(", ")),
        );
    }
    let tags = vec![ctx.project_tag()];
    let group_name = format!("/docker-compose/{}", ctx.name());
    // Logs outlive `down` (the group and its key are retained); the next
    // first `up` passes the retained group here instead of creating one.
    ctx.reattach_parameter(
        EXISTING_LOG_GROUP,
        CREATE_LOG_GROUP,
        format!(
            "An existing log group for the services (empty: create {group_name}; docker ecs up re-attaches the one a previous deployment retained)"
        ),
    );
    // Logs are encrypted with a key of the project's own unless the project
    // names one (an ARN) or opts out with `false`.
    let key: Option<serde_json::Value> = ctx.ok(ext.get(
        "x-aws-logs_kms_key",
        "a KMS key ARN, or false to use CloudWatch's default encryption",
    ));
    let kms_key_id = match key {
        Some(serde_json::Value::Bool(false)) => None,
        Some(serde_json::Value::String(arn)) => Some(Expr::str(arn)),
        Some(other) => {
            ctx.error(
                &KeyPath::root().key("x-aws-logs_kms_key"),
                format!("`x-aws-logs_kms_key` must be a KMS key ARN or false, found {other}"),
                "give the ARN of a KMS key, or false",
            );
            None
        }
        None => {
            ctx.t.add(
                "LogsKey",
                Resource::new(KmsKey {
                    description: format!("Encrypts the logs of Compose project {}", ctx.name()),
                    enable_key_rotation: true,
                    pending_window_in_days: 7,
                    key_policy: logs_key_policy(&group_name),
                    tags: tags.clone(),
                })
                .when(CREATE_LOG_GROUP)
                // The retained log group stays readable only with its key.
                .retained(),
            );
            Some(Expr::get_att("LogsKey", "Arn"))
        }
    };
    ctx.t.add(
        "LogGroup",
        Resource::new(LogGroup {
            log_group_name: Expr::str(group_name),
            // Logs are kept 30 days unless the project says otherwise.
            retention_in_days: Some(retention.unwrap_or(30)),
            kms_key_id,
            tags,
        })
        .when(CREATE_LOG_GROUP)
        .retained(),
    );
}

/// The parameter through which `up` re-attaches a retained log group.
pub const EXISTING_LOG_GROUP: &str = "ExistingLogGroup";
pub const CREATE_LOG_GROUP: &str = "CreateLogGroup";

/// Where the services log: the stack's group, or the re-attached one.
pub fn log_group_ref() -> Expr {
    Expr::if_(
        CREATE_LOG_GROUP,
        Expr::reference("LogGroup"),
        Expr::reference(EXISTING_LOG_GROUP),
    )
}

/// The account administers the key; CloudWatch Logs may use it for this
/// project's log group only.
fn logs_key_policy(group_name: &str) -> serde_json::Value {
    let sub = |s: &str| serde_json::to_value(Expr::sub(s)).unwrap();
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                "Action": "kms:*",
                "Resource": "*"
            },
            {
                "Sid": "LogsEncryptTheProjectLogGroup",
                "Effect": "Allow",
                "Principal": {"Service": sub("logs.${AWS::Region}.amazonaws.com")},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": sub(&format!(
                            "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{group_name}"
                        ))
                    }
                }
            }
        ]
    })
}

pub fn cloud_map(ctx: &mut Ctx) {
    let tags = vec![ctx.project_tag()];
    ctx.t.add(
        "CloudMap",
        Resource::new(PrivateDnsNamespace {
            name: format!("{}.local", ctx.name()),
            description: format!("Service Map for Docker Compose project {}", ctx.name()),
            vpc: ctx.net.vpc.clone(),
            tags,
        }),
    );
}
