//! Where a service runs: Fargate, or EC2 instances of its own, sized for it.
//!
//! The launch type comes from the service's `x-aws-launch_type`, else
//! `--launch-type`, else the project's `x-aws-launch_type`, else Fargate. A
//! service that reserves GPUs runs on EC2 (Fargate has none).

use super::placement::Placement;
use super::spec::{AmiVariant, Capacity, Ec2Plan, ManagedRequirements};
use crate::convert::{Ctx, LaunchType};
use crate::extensions::Instances;
use crate::sizing;
use compose::model::Service;
use compose::node::KeyPath;

/// What the service asks of its capacity.
pub struct Request {
    pub cpus: f64,
    /// Bytes.
    pub memory: u64,
    /// The most tasks it runs at once (replicas, or the autoscaling maximum).
    pub max_tasks: i64,
    pub arm64: bool,
    /// `mode: global`: one task per instance, so at least one instance.
    pub daemon: bool,
}

/// The service's extensions that choose its capacity.
struct Asked {
    launch: Option<LaunchType>,
    instance_type: Option<String>,
    instances: Option<Instances>,
    platform_version: Option<String>,
    /// `x-aws-capacity: managed_instances`.
    managed: bool,
}

fn asked(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> Asked {
    let reader = ctx.reader(&s.extensions, path.clone());
    let launch: Option<String> = ctx.ok(reader.get("x-aws-launch_type", "EC2 or FARGATE"));
    let instance_type = ctx.ok(reader.get("x-aws-instance_type", "an EC2 instance type"));
    let instances = ctx.ok(reader.get(
        "x-aws-instances",
        "a mapping of min, max and target_capacity",
    ));
    let platform_version = ctx.ok(reader.get("x-aws-platform_version", "a string"));
    let capacity: Option<String> =
        ctx.ok(reader.get("x-aws-capacity", "auto_scaling or managed_instances"));
    let launch = launch.and_then(|l| LaunchType::read(ctx, &l, &path.key("x-aws-launch_type")));
    let managed = match capacity.as_deref() {
        None | Some("auto_scaling") => false,
        Some("managed_instances") => true,
        Some(other) => {
            ctx.error(
                &path.key("x-aws-capacity"),
                format!("{other:?} is not a kind of EC2 capacity"),
                "write auto_scaling (instances of the project's own, the default) or managed_instances (ECS Managed Instances)",
            );
            false
        }
    };
    Asked {
        launch,
        instance_type,
        instances,
        platform_version,
        managed,
    }
}

pub fn capacity(
    ctx: &mut Ctx,
    s: &Service,
    path: &KeyPath,
    req: &Request,
    placement: &Placement,
) -> Capacity {
    let asked = asked(ctx, s, path);
    let gpus = gpu_request(s);
    let launch = match (asked.launch, gpus) {
        (Some(LaunchType::Fargate), _) if asked.managed => {
            ctx.error(
                &path.key("x-aws-capacity"),
                "ECS Managed Instances are EC2 instances, and the service asks for Fargate",
                "remove `x-aws-launch_type: FARGATE`, or `x-aws-capacity`",
            );
            LaunchType::Ec2
        }
        (None, _) if asked.managed => LaunchType::Ec2,
        (Some(LaunchType::Fargate), Some(_)) => {
            ctx.error(
                &path.key("x-aws-launch_type"),
                "Fargate has no GPUs, and the service reserves some",
                "remove `x-aws-launch_type: FARGATE` (GPU services run on EC2), or the GPU reservation",
            );
            LaunchType::Ec2
        }
        (Some(l), _) => l,
        (None, Some(_)) => LaunchType::Ec2,
        (None, None) => ctx.launch_type,
    };
    if launch == LaunchType::Fargate {
        ignored_on_fargate(ctx, path, &asked, placement.asks());
        return Capacity::Fargate {
            platform_version: platform_version(ctx, path, asked.platform_version),
            strategy: super::fargate_strategy::read(ctx, s, path, req.arm64),
        };
    }
    ignored_on_ec2(ctx, s, path, &asked);
    let named_type = asked
        .instance_type
        .clone()
        .or(placement.instance_type.clone());
    let instance_type = match named_type.clone() {
        Some(t) => t,
        None => sized(ctx, path, req, gpus),
    };
    let variant = variant(ctx, path, req, gpus, &instance_type, named_type.is_some());
    let managed = asked
        .managed
        .then(|| managed_requirements(ctx, path, req, &asked, placement, named_type));
    let (min_instances, max_instances, target_capacity) = scaling(ctx, path, asked.instances, req);
    Capacity::Ec2(Ec2Plan {
        instance_type,
        ami: placement.ami.clone(),
        attributes: placement.attributes.clone(),
        variant,
        gpus,
        min_instances,
        max_instances,
        target_capacity,
        managed,
    })
}

/// ECS Managed Instances: AWS chooses, patches and scales the instances, so
/// what names an AMI, sets instance attributes or sizes a group of ours
/// cannot apply.
fn managed_requirements(
    ctx: &mut Ctx,
    path: &KeyPath,
    req: &Request,
    asked: &Asked,
    placement: &Placement,
    instance_type: Option<String>,
) -> ManagedRequirements {
    if req.daemon {
        ctx.error(
            &path.key("deploy").key("mode"),
            "a daemon service runs on instances of the project's own, not on ECS Managed Instances",
            "remove `x-aws-capacity: managed_instances`, or use `mode: replicated`",
        );
    }
    if asked.instances.is_some() {
        ctx.warn(
            &path.key("x-aws-instances"),
            "`x-aws-instances` is ignored: ECS Managed Instances scale themselves",
            "remove it, or `x-aws-capacity: managed_instances`",
        );
    }
    if placement.ami.is_some() || !placement.attributes.is_empty() {
        ctx.error(
            &path.key("deploy").key("placement").key("constraints"),
            "ECS Managed Instances run AWS's own image and take no instance attributes, so `node.ami` and `node.labels.*` cannot apply",
            "remove those constraints, or `x-aws-capacity: managed_instances`",
        );
    }
    let mib = (req.memory as f64 / (1024.0 * 1024.0)).ceil() as i64;
    ManagedRequirements {
        vcpus: (req.cpus.ceil() as i64).max(1),
        // The OS and the ECS agent keep about half a GiB for themselves.
        memory_mib: mib.max(512) + 512,
        instance_type,
    }
}

/// What only Fargate reads, said by name on an EC2 service.
fn ignored_on_ec2(ctx: &mut Ctx, s: &Service, path: &KeyPath, asked: &Asked) {
    for (key, given) in [
        (
            "x-aws-capacity_provider_strategy",
            s.extensions
                .contains_key("x-aws-capacity_provider_strategy"),
        ),
        ("x-aws-platform_version", asked.platform_version.is_some()),
    ] {
        if given {
            ctx.warn(
                &path.key(key),
                format!("`{key}` is ignored: the service runs on EC2 instances"),
                "remove it, or run the service on Fargate",
            );
        }
    }
}

fn ignored_on_fargate(ctx: &mut Ctx, path: &KeyPath, asked: &Asked, placement: bool) {
    for (key, given) in [
        ("x-aws-instance_type", asked.instance_type.is_some()),
        ("x-aws-instances", asked.instances.is_some()),
    ] {
        if given {
            ctx.warn(
                &path.key(key),
                format!("`{key}` is ignored: the service runs on Fargate"),
                "set `x-aws-launch_type: EC2` to run it on instances",
            );
        }
    }
    if placement {
        ctx.warn(
            &path.key("deploy").key("placement"),
            "`placement` is ignored: ECS places Fargate tasks itself",
            "set `x-aws-launch_type: EC2` to place tasks on instances",
        );
    }
}

/// `LATEST` or a version such as `1.4.0`.
fn platform_version(ctx: &mut Ctx, path: &KeyPath, asked: Option<String>) -> String {
    let Some(v) = asked else {
        return "LATEST".into();
    };
    let numbered = v.split('.').count() == 3
        && v.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if v != "LATEST" && !numbered {
        ctx.error(
            &path.key("x-aws-platform_version"),
            format!("{v:?} is not a Fargate platform version"),
            "write LATEST or a version such as 1.4.0",
        );
    }
    v
}

/// The smallest instance type that fits one task.
fn sized(ctx: &mut Ctx, path: &KeyPath, req: &Request, gpus: Option<i64>) -> String {
    let fits = match gpus {
        Some(n) => sizing::gpu_instance(req.cpus, req.memory, n as u64).map(str::to_string),
        None => sizing::general_instance(req.cpus, req.memory, req.arm64),
    };
    fits.unwrap_or_else(|why| {
        ctx.error(
            &path.key("deploy").key("resources"),
            why,
            "request fewer resources, or name the instance type with `x-aws-instance_type`",
        );
        String::new()
    })
}

/// The AMI the instance type and the service's platform need.
fn variant(
    ctx: &mut Ctx,
    path: &KeyPath,
    req: &Request,
    gpus: Option<i64>,
    instance_type: &str,
    named: bool,
) -> AmiVariant {
    let graviton = sizing::is_graviton(instance_type);
    let at = path.key(if named {
        "x-aws-instance_type"
    } else {
        "platform"
    });
    if !instance_type.is_empty() && graviton != req.arm64 {
        let (is, wants) = if graviton {
            ("arm64 (Graviton)", "linux/amd64")
        } else {
            ("x86_64", "linux/arm64")
        };
        ctx.error(
            &at,
            format!(
                "{instance_type} is an {is} instance type, and the service's platform is {wants}"
            ),
            "choose a Graviton type (m7g, c7g, …) for linux/arm64, another for linux/amd64",
        );
    }
    match gpus {
        Some(_) if graviton => {
            ctx.error(
                &at,
                format!("the ECS GPU AMI runs on x86_64 instances, and {instance_type} is arm64"),
                "name an x86_64 GPU instance type (g4dn, g5, g6, p4d, p5)",
            );
            AmiVariant::Gpu
        }
        Some(_) => AmiVariant::Gpu,
        None if sizing::is_neuron(instance_type) => AmiVariant::Neuron,
        None if graviton => AmiVariant::Arm64,
        None => AmiVariant::Standard,
    }
}

/// Minimum and maximum instances and the target utilisation: by default
/// none when idle (one for a daemon, which never asks managed scaling for
/// capacity), room for every task twice (a rolling deployment starts the
/// new tasks beside the old), and 100 %.
fn scaling(
    ctx: &mut Ctx,
    path: &KeyPath,
    asked: Option<Instances>,
    req: &Request,
) -> (i64, i64, i64) {
    let i = asked.unwrap_or_default();
    let min = i.min.unwrap_or(i64::from(req.daemon));
    let max = i.max.unwrap_or((req.max_tasks.max(1) * 2).max(min));
    let target = i.target_capacity.unwrap_or(100);
    let at = path.key("x-aws-instances");
    if min < 0 || max < 1 || min > max {
        ctx.error(
            &at,
            format!("min {min} and max {max} are not a range of instances"),
            "give 0 <= min <= max, with max at least 1",
        );
    }
    if !(1..=100).contains(&target) {
        ctx.error(
            &at.key("target_capacity"),
            format!("target_capacity {target} is not a percentage"),
            "give 1 to 100 (the share of the instances' capacity tasks may use)",
        );
    }
    (min, max, target)
}

/// GPUs requested by reservations (devices with the `gpu` capability,
/// generic resources named gpu) or the `gpus` attribute; `all` counts as 1.
fn gpu_request(s: &Service) -> Option<i64> {
    let count = |c: i64| if c <= 0 { 1 } else { c };
    let mut total = 0;
    let reservations = s
        .deploy
        .as_ref()
        .and_then(|d| d.resources.reservations.as_ref());
    if let Some(r) = reservations {
        for d in &r.devices {
            if d.capabilities.iter().any(|c| c == "gpu") {
                total += if d.device_ids.is_empty() {
                    count(d.count.0)
                } else {
                    d.device_ids.len() as i64
                };
            }
        }
        for g in &r.generic_resources {
            if let Some(spec) = &g.discrete_resource_spec
                && spec.kind.to_ascii_lowercase().contains("gpu")
            {
                total += spec.value.max(1);
            }
        }
    }
    for d in &s.gpus {
        total += if d.device_ids.is_empty() {
            count(d.count.0)
        } else {
            d.device_ids.len() as i64
        };
    }
    (total > 0).then_some(total)
}
