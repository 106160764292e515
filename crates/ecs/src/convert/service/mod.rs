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
    // A sidecar is written with the service whose task it joins.
    let mains: Vec<&String> = names
        .into_iter()
        .filter(|n| !ctx.sidecar_main.contains_key(*n) && ids.contains_key(*n))
        .collect();
    let job = Job {
        ids: &ids,
        sidecars: &sidecars,
        lb,
        secrets,
        connect: connect.as_ref(),
    };
    let plans = if mains.len() < two_threads_from() {
        mains.iter().map(|name| job.convert(ctx, name)).collect()
    } else {
        convert_on_two_threads(ctx, mains, &job)
    };
    let fargate = plans.iter().any(|p: &ServicePlan| p.ec2.is_none());
    ecs_params::warn_placement_ignored(ctx, fargate);
    plans
}

/// Projects this large convert their services on two threads.
#[cfg(not(test))]
fn two_threads_from() -> usize {
    64
}

#[cfg(test)]
thread_local! {
    /// Tests compare both ways on one project.
    static TWO_THREADS_FROM: std::cell::Cell<usize> = const { std::cell::Cell::new(64) };
}

#[cfg(test)]
fn two_threads_from() -> usize {
    TWO_THREADS_FROM.get()
}

/// The second half of the services is converted in a context of its own,
/// whose template and findings then follow the first half's: the same
/// template and the same reports as one thread gives.
fn convert_on_two_threads(ctx: &mut Ctx, mut mains: Vec<&String>, job: &Job) -> Vec<ServicePlan> {
    let second = mains.split_off(mains.len() / 2);
    let mut worker = ctx.worker();
    let (mut plans, theirs) = std::thread::scope(|s| {
        let worker = &mut worker;
        let theirs = s.spawn(move || {
            second
                .iter()
                .map(|name| job.convert(worker, name))
                .collect::<Vec<_>>()
        });
        let mine: Vec<ServicePlan> = mains.iter().map(|name| job.convert(ctx, name)).collect();
        let theirs = theirs.join().expect("converting a service cannot panic");
        (mine, theirs)
    });
    ctx.absorb(worker);
    plans.extend(theirs);
    plans
}

/// What every service's conversion shares.
struct Job<'a> {
    /// Service → its logical ID prefix.
    ids: &'a BTreeMap<String, String>,
    /// Main service → the sidecars in its task.
    sidecars: &'a BTreeMap<String, Vec<String>>,
    lb: &'a LoadBalancerPlan,
    secrets: &'a BTreeMap<String, SecretPlan>,
    connect: ecs_service::Connect<'a>,
}

impl Job<'_> {
    /// One service, with its sidecars, into `ctx`'s template.
    fn convert(&self, ctx: &mut Ctx, name: &String) -> ServicePlan {
        let project = ctx.project;
        let (lb, secrets) = (self.lb, self.secrets);
        let id = &self.ids[name.as_str()];
        let path = KeyPath::root().key("services").key(name);
        let mut joined = read::Joined::default();
        let mut riders = Vec::new();
        for side in self.sidecars.get(name).into_iter().flatten() {
            let Some(side_id) = self.ids.get(side) else {
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
        let plan = emit(ctx, &mut spec, service, lb, riders, self.connect);
        ctx.t.owner = None;
        plan
    }
}

/// Every resource of one service, from its spec.
fn emit(
    ctx: &mut Ctx,
    spec: &mut ServiceSpec,
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
    let task_policies = std::mem::take(&mut spec.iam.task_policies);
    let roles = iam::roles(ctx, spec, task_policies);
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

#[cfg(test)]
mod tests {
    use compose::{Environment, LoadOptions};

    /// Sidecars, warnings, errors, EC2 and Fargate, a shared volume and
    /// published ports, in 90 services: enough for two threads.
    fn project() -> String {
        let mut y = String::from("services:\n");
        for i in 0..90 {
            y.push_str(&format!(
                "  s{i:02}:\n    image: app/s{i}\n    restart: always\n"
            ));
            match i % 6 {
                0 => y.push_str(&format!("    ports: [\"{}:80\"]\n", 8000 + i)),
                1 => y.push_str(&format!("    network_mode: service:s{:02}\n", i - 1)),
                2 => y.push_str("    volumes: [\"data:/data\"]\n"),
                3 => y.push_str("    x-aws-launch_type: EC2\n    deploy: {resources: {limits: {cpus: \"1\", memory: 1G}}}\n"),
                4 => y.push_str("    x-aws-essential: false\n    x-aws-unknown: 1\n"),
                _ => y.push_str(&format!("    depends_on: [s{:02}]\n", i - 1)),
            }
        }
        y.push_str("volumes:\n  data: {}\n");
        y
    }

    fn convert(dir: &std::path::Path, text: &str, threads_from: usize) -> String {
        std::fs::write(dir.join("compose.yaml"), text).unwrap();
        let loaded = compose::load(&LoadOptions {
            cwd: dir.to_path_buf(),
            environment: Environment::new(),
            project_name: Some("two".into()),
            ..Default::default()
        })
        .expect("the project loads");
        super::TWO_THREADS_FROM.set(threads_from);
        let c = crate::convert(&loaded.project, &loaded.positions, &Default::default());
        super::TWO_THREADS_FROM.set(64);
        match c {
            Ok(c) => format!(
                "{}\n{:?}",
                crate::cfn::to_json(&c.template),
                c.warnings
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ),
            Err(errors) => format!(
                "{:?}",
                errors.iter().map(ToString::to_string).collect::<Vec<_>>()
            ),
        }
    }

    #[test]
    fn two_threads_give_the_template_and_reports_of_one() {
        let dir = tempfile::tempdir().unwrap();
        let text = project();
        let one = convert(dir.path(), &text, usize::MAX);
        let two = convert(dir.path(), &text, 2);
        assert!(
            one.contains("S89Service") && one.contains("ignored"),
            "{one}"
        );
        assert_eq!(one, two);
        // With an error in the second half, the same errors.
        let bad = text.replace(
            "image: app/s80",
            "image: app/s80\n    x-aws-launch_type: MOON",
        );
        let one = convert(dir.path(), &bad, usize::MAX);
        assert!(one.contains("MOON"), "{one}");
        assert_eq!(one, convert(dir.path(), &bad, 2));
    }
}
