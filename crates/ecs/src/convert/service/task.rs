//! A service's task definition.

use super::containers::Containers;
use super::iam::Roles;
use super::spec::ServiceSpec;
use crate::cfn::resources::*;
use crate::cfn::{Expr, Resource};
use crate::convert::Ctx;

pub fn definition(ctx: &mut Ctx, spec: &ServiceSpec, containers: Containers, roles: &Roles) {
    let tags = ctx.service_tags(&spec.name);
    ctx.t.add(
        format!("{}TaskDefinition", spec.id),
        Resource::new(TaskDefinition {
            family: Expr::str(format!("{}-{}", ctx.name(), spec.name)),
            network_mode: "awsvpc".into(),
            requires_compatibilities: vec![compatibility(spec).into()],
            cpu: spec.size.task_cpu.clone(),
            memory: spec.size.task_memory.clone(),
            execution_role_arn: roles.execution.clone(),
            task_role_arn: roles.task.clone(),
            runtime_platform: spec.runtime_platform.clone(),
            volumes: containers.volumes,
            container_definitions: containers.containers,
            placement_constraints: Vec::new(),
            tags,
        }),
    );
}

fn compatibility(spec: &ServiceSpec) -> &'static str {
    match spec.ec2() {
        None => "FARGATE",
        Some(e) if e.managed.is_some() => "MANAGED_INSTANCES",
        Some(_) => "EC2",
    }
}
