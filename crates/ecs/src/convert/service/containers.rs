//! The containers of a service's task: the init containers that write its
//! secrets and search domains, then the service's own container.

use super::spec::ServiceSpec;
use crate::cfn::Expr;
use crate::cfn::resources::*;
use crate::convert::Ctx;
use crate::convert::ports::LoadBalancerPlan;
use compose::model::{Service, Ulimit as ComposeUlimit};
use compose::node::KeyPath;

const FARGATE_SYSCTL_PREFIXES: &[&str] = &["net.", "kernel.shm", "kernel.msg", "kernel.sem"];

/// A task's containers and the volumes they share.
pub struct Containers {
    pub containers: Vec<ContainerDefinition>,
    pub volumes: Vec<TaskVolume>,
}

pub fn all(ctx: &mut Ctx, spec: &ServiceSpec, s: &Service, lb: &LoadBalancerPlan) -> Containers {
    let log = spec.logging.clone();
    let mut containers = Vec::new();
    let mut depends = Vec::new();
    let mut volumes = spec.storage.volumes.clone();
    let mut mount_points = spec.storage.mount_points.clone();
    if !spec.secrets.env.is_empty() {
        let init = secrets_init(spec, &log, &ctx.init_image);
        depends.push(ContainerDependency {
            container_name: init.name.clone(),
            condition: "SUCCESS".into(),
        });
        containers.push(init);
        volumes.insert(
            0,
            TaskVolume {
                name: "secrets".into(),
                efs_volume_configuration: None,
            },
        );
        mount_points.insert(
            0,
            MountPoint {
                container_path: "/run/secrets".into(),
                source_volume: "secrets".into(),
                read_only: true,
            },
        );
    }
    let resolv = search_domains_init(ctx, spec, &log);
    depends.push(ContainerDependency {
        container_name: resolv.name.clone(),
        condition: "SUCCESS".into(),
    });
    containers.push(resolv);

    let mut main = main_container(ctx, &spec.name, s, &spec.path, spec.fargate(), log, lb);
    main.mount_points = mount_points;
    main.depends_on = depends;
    main.secrets = spec.secrets.variables.clone();
    main.memory_reservation = spec.size.memory_reservation.map(|m| m as i64);
    main.repository_credentials =
        spec.iam
            .pull_credentials
            .clone()
            .map(|c| RepositoryCredentials {
                credentials_parameter: c,
            });
    if let Some(gpus) = spec.ec2().and_then(|e| e.gpus) {
        main.resource_requirements = vec![ResourceRequirement {
            kind: "GPU".into(),
            value: gpus.to_string(),
        }];
    }
    containers.push(main);
    Containers {
        containers,
        volumes,
    }
}

/// Writes the secrets to `/run/secrets`, then exits.
fn secrets_init(
    spec: &ServiceSpec,
    log: &LogConfiguration,
    init_image: &str,
) -> ContainerDefinition {
    ContainerDefinition {
        name: crate::names::init_container(&spec.id, "Secrets"),
        image: init_image.to_string(),
        essential: false,
        command: Some(vec![
            Expr::str("sh"),
            Expr::str("-c"),
            Expr::str(spec.secrets.script.join("\n")),
        ]),
        secrets: spec.secrets.env.clone(),
        log_configuration: log.clone(),
        mount_points: vec![MountPoint {
            container_path: "/run/secrets".into(),
            source_volume: "secrets".into(),
            read_only: false,
        }],
        ..Default::default()
    }
}

/// The search domains go into the task's one resolv.conf, shared by its
/// containers (sidecars included): one init container per task.
pub fn search_domains_init_name(id: &str) -> String {
    crate::names::init_container(id, "ResolvConf")
}

/// Short names (`db`) resolve through Cloud Map once the namespace is a
/// search domain; Fargate offers no DNS option for it, so an init container
/// appends it (and the VPC's own domain) to the task's resolv.conf.
fn search_domains_init(
    ctx: &Ctx,
    spec: &ServiceSpec,
    log: &LogConfiguration,
) -> ContainerDefinition {
    ContainerDefinition {
        name: search_domains_init_name(&spec.id),
        image: ctx.init_image.clone(),
        essential: false,
        command: Some(vec![
            Expr::str("sh"),
            Expr::str("-c"),
            Expr::str("printf '\\nsearch %s\\n' \"$SEARCH_DOMAINS\" >> /etc/resolv.conf"),
        ]),
        environment: vec![KeyValuePair {
            name: "SEARCH_DOMAINS".into(),
            value: Expr::Join(
                " ".into(),
                vec![
                    Expr::if_(
                        "IsUsEast1",
                        Expr::str("ec2.internal"),
                        Expr::sub("${AWS::Region}.compute.internal"),
                    ),
                    Expr::str(format!("{}.local", ctx.name())),
                ],
            ),
        }],
        log_configuration: log.clone(),
        ..Default::default()
    }
}

fn seconds(d: Option<compose::units::Duration>) -> Option<i64> {
    d.map(|d| (d.0 as f64 / 1e9).round() as i64)
}

fn main_container(
    ctx: &mut Ctx,
    name: &str,
    s: &Service,
    path: &KeyPath,
    fargate: bool,
    log: LogConfiguration,
    lb: &LoadBalancerPlan,
) -> ContainerDefinition {
    let mut c = ContainerDefinition {
        name: name.to_string(),
        image: s.image.clone(),
        essential: true,
        log_configuration: log,
        ..Default::default()
    };
    for (field, value, target) in [
        ("command", &s.command, &mut c.command),
        ("entrypoint", &s.entrypoint, &mut c.entry_point),
    ] {
        match value {
            Some(v) if v.is_empty() => ctx.warn(
                &path.key(field),
                format!("an empty `{field}` cannot clear the image's default on ECS"),
                format!("remove `{field}`, or give the full command"),
            ),
            Some(v) => *target = Some(v.iter().cloned().map(Expr::Str).collect()),
            None => {}
        }
    }
    c.environment = s
        .environment
        .iter()
        .filter_map(|(k, v)| {
            v.as_ref().map(|v| KeyValuePair {
                name: k.clone(),
                value: Expr::str(v.clone()),
            })
        })
        .collect();
    c.docker_labels = s.labels.clone();
    c.user = (!s.user.is_empty()).then(|| s.user.clone());
    c.working_directory = (!s.working_dir.is_empty()).then(|| s.working_dir.clone());
    c.health_check = health_check(ctx, s, path);

    let mut caps = Capabilities {
        add: Vec::new(),
        drop: s.cap_drop.clone(),
    };
    for cap in &s.cap_add {
        let bare = cap.trim_start_matches("CAP_");
        if fargate && bare != "SYS_PTRACE" {
            ctx.error(
                &path.key("cap_add"),
                format!("Fargate does not allow adding capability {cap}"),
                "only SYS_PTRACE can be added on Fargate; remove the others",
            );
        } else {
            caps.add.push(bare.to_string());
        }
    }
    let init = s.init.filter(|i| *i);
    if !caps.add.is_empty() || !caps.drop.is_empty() || init.is_some() {
        c.linux_parameters = Some(LinuxParameters {
            capabilities: (!caps.add.is_empty() || !caps.drop.is_empty()).then_some(caps),
            init_process_enabled: init,
        });
    }

    let mut ulimit_names: Vec<&String> = s.ulimits.keys().collect();
    ulimit_names.sort();
    for u in ulimit_names {
        if fargate && u != "nofile" {
            ctx.warn(
                &path.key("ulimits").key(u),
                format!("ulimit {u:?} is ignored: Fargate supports only nofile"),
                "remove it",
            );
            continue;
        }
        let (soft, hard) = match s.ulimits[u.as_str()] {
            // A single value sets both limits (the original wrote 0/0).
            ComposeUlimit::Single(v) => (v, v),
            ComposeUlimit::Range { soft, hard } => (soft, hard),
        };
        c.ulimits.push(Ulimit {
            name: u.clone(),
            soft_limit: soft,
            hard_limit: hard,
        });
    }
    for (k, v) in &s.sysctls {
        if fargate && !FARGATE_SYSCTL_PREFIXES.iter().any(|p| k.starts_with(p)) {
            ctx.warn(
                &path.key("sysctls").key(k),
                format!(
                    "sysctl {k:?} is ignored: Fargate accepts only namespaced net.* and IPC keys"
                ),
                "remove it",
            );
            continue;
        }
        c.system_controls.push(SystemControl {
            namespace: k.clone(),
            value: v.clone(),
        });
    }
    c.readonly_root_filesystem = s.read_only.then_some(true);
    c.interactive = s.stdin_open.then_some(true);
    c.pseudo_terminal = s.tty.then_some(true);
    if let Some(stop) = seconds(s.stop_grace_period) {
        let max = if fargate { 120 } else { 3600 };
        if stop > max {
            ctx.warn(
                &path.key("stop_grace_period"),
                format!("stop_grace_period {stop}s is capped at {max}s on ECS"),
                format!("use at most {max}s"),
            );
        }
        c.stop_timeout = Some(stop.clamp(0, max));
    }
    for p in lb.ports_of(name) {
        for proto in p.container_protocols() {
            // Two listeners may forward to one container port.
            if c.port_mappings
                .iter()
                .any(|m| m.container_port == p.target && m.protocol == proto)
            {
                continue;
            }
            c.port_mappings.push(PortMapping {
                name: None,
                container_port: p.target,
                host_port: p.target,
                protocol: proto.into(),
                app_protocol: None,
            });
        }
    }
    c
}

fn health_check(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> Option<HealthCheck> {
    let h = s.healthcheck.as_ref()?;
    if h.disable || h.test.first().map(String::as_str) == Some("NONE") || h.test.is_empty() {
        return None;
    }
    let hpath = path.key("healthcheck");
    let mut clamp = |field: &str, v: Option<i64>, lo: i64, hi: i64| {
        v.map(|v| {
            if v < lo || v > hi {
                ctx.warn(
                    &hpath.key(field),
                    format!(
                        "healthcheck {field} {v} is out of ECS's range {lo}–{hi} and is adjusted"
                    ),
                    format!("use a value between {lo} and {hi}"),
                );
            }
            v.clamp(lo, hi)
        })
    };
    Some(HealthCheck {
        command: h.test.clone(),
        interval: clamp("interval", seconds(h.interval), 5, 300),
        timeout: clamp("timeout", seconds(h.timeout), 2, 60),
        retries: clamp("retries", h.retries.map(|r| r as i64), 1, 10),
        start_period: clamp("start_period", seconds(h.start_period), 0, 300),
    })
}
