//! Each Compose service → task definition, roles, Cloud Map entry, ECS
//! service, and target-tracking autoscaling.
//!
//! Read, then emit: [`read`] turns a Compose service into a checked
//! [`ServiceSpec`] (reporting errors at their keys), and one module per AWS
//! resource family writes the resources from it.

mod capacity;
mod containers;
mod deployment;
mod ecs_params;
mod ecs_service;
mod env_secrets;
mod fargate_strategy;
mod iam;
mod lb_health;
mod placement;
mod read;
mod scaling;
mod service_connect;
mod sidecars;
mod spec;
mod task;

pub use deployment::DeploymentPlan;
pub use lb_health::LbHealth;
pub use spec::{AmiVariant, Ec2Plan, ServiceSpec};

use super::Ctx;
use super::ports::LoadBalancerPlan;
use super::secrets::SecretPlan;
use crate::cfn::Expr;
use crate::names;
use compose::node::KeyPath;
use std::collections::BTreeMap;

/// What later steps need to know about a converted service.
#[derive(Debug, Clone)]
pub struct ServicePlan {
    pub name: String,
    pub id: String,
    pub security_groups: Vec<Expr>,
    /// The group that receives ingress from the load balancer.
    pub ingress_group: Expr,
    /// The EC2 capacity it runs on; `None`: Fargate.
    pub ec2: Option<Ec2Plan>,
    /// `x-aws-deregistration_delay`, seconds.
    pub deregistration_delay: Option<i64>,
    /// The service's own group, and the EFS volumes it mounts through it.
    pub own_group: Option<Expr>,
    pub efs_volumes: Vec<String>,
    /// Its tasks never get a public IP, so its subnets need a NAT gateway
    /// or VPC endpoints.
    pub private: bool,
    pub deployment: DeploymentPlan,
    /// It takes capacity providers the cluster must list.
    pub cluster_providers: bool,
    /// How the load balancer checks its tasks.
    pub lb_health: LbHealth,
}

pub fn services(
    ctx: &mut Ctx,
    lb: &LoadBalancerPlan,
    secrets: &BTreeMap<String, SecretPlan>,
) -> Vec<ServicePlan> {
    let project = ctx.project;
    let mut names: Vec<&String> = project.services.keys().collect();
    names.sort();
    let mut table = names::NameTable::default();
    let mut plans = Vec::new();
    if !project.services.is_empty() {
        ctx.t.conditions.insert(
            "IsUsEast1".into(),
            Expr::Equals(
                Box::new(Expr::reference("AWS::Region")),
                Box::new(Expr::str("us-east-1")),
            ),
        );
    }
    let sidecars = sidecars::plan(ctx);
    let connect = service_connect::plan(ctx);
    let mut ids = BTreeMap::new();
    for name in &names {
        let path = KeyPath::root().key("services").key(name.as_str());
        if let Some(id) = ctx.register_name(&mut table, "services", name, &path) {
            ids.insert(name.to_string(), id);
        }
    }
    for name in names {
        // A sidecar is written with the service whose task it joins.
        if ctx.sidecar_main.contains_key(name) {
            continue;
        }
        let Some(id) = ids.get(name) else { continue };
        let path = KeyPath::root().key("services").key(name);
        let mut joined = read::Joined::default();
        let mut riders = Vec::new();
        for side in sidecars.get(name).into_iter().flatten() {
            let Some(side_id) = ids.get(side) else {
                continue;
            };
            let s = &project.services[side.as_str()];
            let side_path = KeyPath::root().key("services").key(side);
            sidecars::warn_task_keys(ctx, side, name, &side_path);
            let essential = sidecars::essential(ctx, s, &side_path);
            let spec = read::service(
                ctx,
                side,
                side_id,
                s,
                &side_path,
                lb,
                secrets,
                &read::Joined::default(),
            );
            joined.add(s, &spec);
            riders.push((spec, s, essential));
        }
        let service = &project.services[name.as_str()];
        let mut spec = read::service(ctx, name, id, service, &path, lb, secrets, &joined);
        if service.extensions.contains_key("x-aws-essential") {
            ctx.warn(
                &path.key("x-aws-essential"),
                "`x-aws-essential` is ignored: a service's own container is always essential",
                "set it on a sidecar (a service with `network_mode: service:…`)",
            );
        }
        for (side, _, _) in &riders {
            sidecars::absorb(&mut spec, side);
        }
        ctx.t.owner = Some(name.clone());
        plans.push(emit(ctx, &spec, service, lb, riders, connect.as_ref()));
        ctx.t.owner = None;
    }
    plans
}

/// Every resource of one service, from its spec.
fn emit(
    ctx: &mut Ctx,
    spec: &ServiceSpec,
    service: &compose::model::Service,
    lb: &LoadBalancerPlan,
    riders: Vec<(ServiceSpec, &compose::model::Service, bool)>,
    connect: ecs_service::Connect,
) -> ServicePlan {
    let mut containers = containers::all(ctx, spec, service, lb);
    let main = sidecars::main_container(&containers.containers);
    if let (Some(all), Some(own)) = (connect, containers.containers.last_mut()) {
        service_connect::name_ports(own, all.get(&spec.name).map_or(&[][..], Vec::as_slice));
    }
    for (mut side, s, essential) in riders {
        // It runs where its main service runs.
        side.capacity = spec.capacity.clone();
        let theirs = containers::all(ctx, &side, s, lb);
        sidecars::join(&mut containers, &main, &side, theirs, essential);
    }
    let count = containers.containers.len();
    if count > crate::limits::MAX_CONTAINERS_PER_TASK {
        ctx.error(
            &spec.path,
            format!(
                "the task of {} would hold {count} containers (init containers and sidecars included), and ECS allows {}",
                spec.name,
                crate::limits::MAX_CONTAINERS_PER_TASK
            ),
            "give fewer services `network_mode: service:…` of this one",
        );
    }
    let roles = iam::roles(ctx, spec);
    task::definition(ctx, spec, containers, &roles);
    ecs_service::service(ctx, spec, lb, connect);
    if let Some(a) = &spec.autoscaling {
        scaling::target_tracking(ctx, spec, a);
    }
    ServicePlan {
        name: spec.name.clone(),
        id: spec.id.clone(),
        security_groups: spec.network.security_groups.clone(),
        ingress_group: spec.network.ingress_group.clone(),
        ec2: spec.ec2().cloned(),
        deregistration_delay: spec.deregistration_delay,
        own_group: spec.network.own_group.as_ref().map(Expr::reference),
        efs_volumes: spec.storage.efs_volumes.clone(),
        private: spec.private(),
        deployment: spec.deployment.clone(),
        lb_health: spec.lb_health.clone(),
        cluster_providers: spec.capacity.needs_cluster_providers(),
    }
}
