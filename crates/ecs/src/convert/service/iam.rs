//! A service's roles: the execution role ECS starts its tasks with (image
//! pulls, logs, secrets) and the task role its containers run as.

use super::spec::ServiceSpec;
use crate::cfn::resources::*;
use crate::cfn::{Expr, Resource};
use crate::convert::Ctx;

/// The roles' ARNs, for the task definition.
pub struct Roles {
    pub execution: Expr,
    pub task: Option<Expr>,
}

/// The service's roles; the task role takes the policies `read` gathered
/// (nothing reads them after it).
pub fn roles(ctx: &mut Ctx, spec: &ServiceSpec, task_policies: Vec<InlinePolicy>) -> Roles {
    Roles {
        execution: execution_role(ctx, spec),
        task: task_role(ctx, spec, task_policies),
    }
}

/// A role ecs-params names instead of ours; it must grant what ours would.
fn named_role(ctx: &mut Ctx, spec: &ServiceSpec, key: &str, needs: bool) -> Option<Expr> {
    let file = ctx.params?;
    let role = match key {
        "task_role_arn" => file.params.task_role.clone(),
        _ => file.params.execution_role.clone(),
    }?;
    if needs {
        ctx.warnings.push(file.warning(
            &crate::params::paths::task_definition(key),
            format!(
                "the role {role} replaces the one docker-ecs would make for `{}`, which needs grants (secrets, volumes, policies)",
                spec.name
            ),
            "give that role the same permissions, or remove the key to let docker-ecs make the role",
        ));
    }
    // A name is the account's role of that name: the task definition
    // takes ARNs only.
    Some(if role.starts_with("arn:") {
        Expr::str(role)
    } else {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{role}"
        ))
    })
}

fn execution_role(ctx: &mut Ctx, spec: &ServiceSpec) -> Expr {
    let name = &spec.name;
    let mut policies: Vec<InlinePolicy> =
        crate::convert::secrets::grants(name, &spec.secrets.grants)
            .into_iter()
            .collect();
    if spec.creates_log_group {
        policies.push(create_log_group(name, spec));
    }
    if let Some(role) = named_role(ctx, spec, "task_execution_role", !policies.is_empty()) {
        return role;
    }
    let id = format!("{}TaskExecutionRole", spec.id);
    let tags = ctx.service_tags(name);
    ctx.t.add(
        id.clone(),
        Resource::new(Role {
            role_name: None,
            assume_role_policy_document: ecs_tasks_trust(),
            managed_policy_arns: vec![Expr::sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            )],
            policies,
            tags,
        }),
    );
    Expr::get_att(&id, "Arn")
}

fn task_role(ctx: &mut Ctx, spec: &ServiceSpec, mut policies: Vec<InlinePolicy>) -> Option<Expr> {
    if let Some(doc) = &spec.iam.role_document {
        policies.insert(
            0,
            InlinePolicy {
                policy_name: format!("{}Policy", spec.id),
                policy_document: PolicyBody::Json(serde_json::Value::Object(doc.clone())),
            },
        );
    }
    if spec.exec {
        policies.push(exec_channels());
    }
    let managed: Vec<Expr> = spec
        .iam
        .managed_policies
        .iter()
        .cloned()
        .map(Expr::Str)
        .collect();
    let needs = !(policies.is_empty() && managed.is_empty());
    if let Some(role) = named_role(ctx, spec, "task_role_arn", needs) {
        return Some(role);
    }
    if !needs {
        return None;
    }
    let id = format!("{}TaskRole", spec.id);
    let tags = ctx.service_tags(&spec.name);
    ctx.t.add(
        id.clone(),
        Resource::new(Role {
            role_name: None,
            assume_role_policy_document: ecs_tasks_trust(),
            managed_policy_arns: managed,
            policies,
            tags,
        }),
    );
    Some(Expr::get_att(id, "Arn"))
}

/// ECS Exec: the SSM agent in the task opens its control and data
/// channels, which AWS grants on `*` only.
fn exec_channels() -> InlinePolicy {
    InlinePolicy {
        policy_name: "ExecuteCommand".into(),
        policy_document: PolicyDocument::new(vec![Statement {
            effect: "Allow".into(),
            principal: None,
            action: [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ]
            .map(String::from)
            .to_vec(),
            resource: Some(vec![Expr::str("*")]),
            condition: None,
        }])
        .into(),
    }
}

/// `awslogs-create-group`: the driver creates the group the service names,
/// which the managed execution policy does not allow.
fn create_log_group(name: &str, spec: &ServiceSpec) -> InlinePolicy {
    let option = |key: &str| spec.logging.options.get(key).cloned().unwrap_or_default();
    // The group may live in another region (`awslogs-region`).
    let arn = Expr::Join(
        String::new(),
        vec![
            Expr::sub("arn:${AWS::Partition}:logs:"),
            option("awslogs-region"),
            Expr::sub(":${AWS::AccountId}:log-group:"),
            option("awslogs-group"),
            Expr::str(":*"),
        ],
    );
    InlinePolicy {
        policy_name: format!("{name}CreateLogGroup"),
        policy_document: PolicyDocument::new(vec![Statement {
            effect: "Allow".into(),
            principal: None,
            action: vec!["logs:CreateLogGroup".into()],
            resource: Some(vec![arn]),
            condition: None,
        }])
        .into(),
    }
}

/// ECS tasks of this account only: `aws:SourceAccount` keeps another
/// account's tasks from being handed the role (the confused deputy).
fn ecs_tasks_trust() -> PolicyDocument {
    PolicyDocument::new(vec![Statement {
        effect: "Allow".into(),
        principal: Some(Principal {
            service: "ecs-tasks.amazonaws.com".into(),
        }),
        action: vec!["sts:AssumeRole".into()],
        resource: None,
        condition: Some(Condition::new(
            "StringEquals",
            "aws:SourceAccount",
            Expr::reference("AWS::AccountId"),
        )),
    }])
}

/// The role ECS assumes to call a service's deployment lifecycle hooks:
/// it may invoke those functions and nothing else. Returns its ARN.
pub fn hook_role(ctx: &mut Ctx, spec: &ServiceSpec) -> Expr {
    let id = format!("{}DeploymentHookRole", spec.id);
    let functions: Vec<serde_json::Value> = spec
        .deployment
        .hooks
        .iter()
        .map(|(arn, _)| serde_json::Value::String(arn.clone()))
        .collect();
    let mut role = Role::for_service("ecs.amazonaws.com", &[], ctx.service_tags(&spec.name));
    role.policies = vec![InlinePolicy {
        policy_name: "InvokeDeploymentHooks".into(),
        policy_document: PolicyBody::Json(serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": functions,
            }],
        })),
    }];
    ctx.t.add(id.clone(), Resource::new(role));
    Expr::get_att(&id, "Arn")
}
