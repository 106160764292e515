//! What `ecs-params.yml` says of a service that only ECS can say: secrets
//! as environment variables, extra security groups, and placement. Its
//! errors and warnings point into the ecs-params file.

use super::placement::Placement;
use crate::cfn::Expr;
use crate::cfn::resources::{ContainerSecret, PlacementConstraint, PlacementStrategy};
use crate::convert::Ctx;
use crate::convert::secrets::{self, SecretRef};
use crate::params::paths;

/// `services.<name>.secrets`: variables ECS fills from Secrets Manager or
/// SSM, and what the execution role must be granted for them. A bare name
/// is an SSM parameter of the task's region, as ECS reads it.
pub fn secret_variables(ctx: &mut Ctx, name: &str) -> (Vec<ContainerSecret>, Vec<SecretRef>) {
    let Some(file) = ctx.params else {
        return (vec![], vec![]);
    };
    let Some(service) = file.params.services.get(name) else {
        return (vec![], vec![]);
    };
    let (mut vars, mut grants) = (Vec::new(), Vec::new());
    for (i, (var, from)) in service.secrets.iter().enumerate() {
        let reference = if from.starts_with("arn:") {
            secrets::reference(from)
        } else {
            Ok(secrets::parameter_named(from))
        };
        match reference {
            Ok(r) => {
                vars.push(ContainerSecret {
                    name: var.clone(),
                    value_from: r.value_from.clone(),
                });
                grants.push(r);
            }
            Err(why) => {
                let at = paths::service(name, "secrets").index(i).key("value_from");
                ctx.errors.push(file.warning(
                    &at,
                    why,
                    "write a Secrets Manager secret ARN, an SSM parameter ARN, or an SSM parameter name",
                ));
            }
        }
    }
    (vars, grants)
}

/// `assign_public_ip`, over the service's `x-aws-assign_public_ip`. Tasks
/// on EC2 never get one, which is said for each such service.
pub fn public_ip(ctx: &mut Ctx, name: &str, fargate: bool) -> Option<bool> {
    let file = ctx.params?;
    let ip = file.params.assign_public_ip?;
    if ip && !fargate {
        ctx.warnings.push(file.warning(
            &paths::awsvpc("assign_public_ip"),
            format!("`{name}` runs on EC2, where awsvpc tasks get no public IP: it runs in the private subnets"),
            "nothing to do; set DISABLED to say so",
        ));
        return None;
    }
    Some(ip)
}

/// `run_params.network_configuration.awsvpc_configuration.security_groups`:
/// added to every service's own.
pub fn security_groups(ctx: &Ctx) -> Vec<Expr> {
    ctx.params
        .map(|f| f.params.security_groups.iter().map(Expr::str).collect())
        .unwrap_or_default()
}

/// `run_params.task_placement` says nothing to Fargate services: said once
/// per project, when it has any.
pub fn warn_placement_ignored(ctx: &mut Ctx, any_fargate: bool) {
    let Some(file) = ctx.params else { return };
    let p = &file.params;
    if any_fargate && !(p.constraints.is_empty() && p.strategies.is_empty()) {
        ctx.warnings.push(file.warning(
            &paths::task_placement(),
            "`task_placement` is ignored for Fargate services: ECS places their tasks itself",
            "run the services on EC2 (`x-aws-launch_type: EC2`) to place them",
        ));
    }
}

/// `run_params.task_placement`: added to every EC2 service's placement
/// (ECS places Fargate tasks itself; a daemon takes no strategy).
pub fn placement(ctx: &mut Ctx, fargate: bool, daemon: bool, out: &mut Placement) {
    let Some(file) = ctx.params else { return };
    let p = &file.params;
    if p.constraints.is_empty() && p.strategies.is_empty() {
        return;
    }
    if fargate {
        // Said once per project: `warn_placement_ignored`.
        return;
    }
    for (kind, expression) in &p.constraints {
        out.constraints.push(PlacementConstraint {
            kind: kind.clone(),
            expression: expression.clone(),
        });
    }
    if !daemon {
        for (kind, field) in &p.strategies {
            out.strategies.push(PlacementStrategy {
                kind: kind.clone(),
                field: field.clone(),
            });
        }
    }
}
