//! A Compose service → its checked [`ServiceSpec`]. Every error and warning
//! about the service's own keys is reported here, at the key.

use super::spec::{Capacity, Iam, Network, PublicIp, SecretFiles, ServiceSpec, Size, Storage};
use super::{capacity, deployment, ecs_params, env_secrets, lb_health, placement};
use crate::cfn::Expr;
use crate::cfn::resources::*;
use crate::convert::Ctx;
use crate::convert::ports::LoadBalancerPlan;
use crate::convert::secrets::{self, SecretPlan, SecretRef};
use crate::convert::storage::is_safe_name;
use crate::extensions::{self, AutoScaling};
use crate::names;
use crate::sizing;
use compose::model::{Deploy, Service};
use compose::node::KeyPath;
use std::collections::BTreeMap;

/// Read one service; errors go to `ctx`, and the spec is complete either
/// way so that conversion can report every error of the project at once.
#[allow(clippy::too_many_arguments)]
pub fn service(
    ctx: &mut Ctx,
    name: &str,
    id: &str,
    s: &Service,
    path: &KeyPath,
    lb: &LoadBalancerPlan,
    secrets: &BTreeMap<String, SecretPlan>,
    joined: &Joined,
) -> ServiceSpec {
    let mut iam = extensions_of(ctx, s, path);
    let public_ip: Option<bool> = {
        let reader = ctx.reader(&s.extensions, path.clone());
        ctx.ok(reader.get("x-aws-assign_public_ip", "true or false"))
    };
    let deploy = s.deploy.as_deref();
    let (autoscaling, update_ext) = deploy_extensions(ctx, deploy, path);
    let replicas = deploy.and_then(|d| d.replicas).or(s.scale).unwrap_or(1);
    check_numbers(ctx, s, path, replicas);
    let (cpus, memory) = requested_size(s);
    let (cpus, memory) = (cpus + joined.cpus, memory + joined.memory);
    let runtime_platform = platform(ctx, s, path);
    let daemon = deploy.is_some_and(|d| d.mode == "global");
    let request = capacity::Request {
        daemon,
        cpus,
        memory,
        max_tasks: autoscaling.as_ref().and_then(|a| a.max).unwrap_or(replicas),
        arm64: runtime_platform.is_some(),
    };
    let mut placement = placement::read(ctx, s, path);
    let capacity = capacity::capacity(ctx, s, path, &request, &placement);
    let fargate = matches!(capacity, Capacity::Fargate { .. });
    ecs_params::placement(ctx, fargate, daemon, &mut placement);
    let size = size(ctx, s, path, cpus, memory, fargate);
    let deregistration_delay = deregistration_delay(ctx, s, path);
    let exec = enable_exec(ctx, s, path);
    let lb_health = lb_health::read(ctx, s, path);
    if lb.ports_of(name).next().is_none() && s.extensions.contains_key("x-aws-healthcheck") {
        ctx.warn(
            &path.key("x-aws-healthcheck"),
            "`x-aws-healthcheck` is ignored: the service publishes no port, so no load balancer checks it",
            "remove it, or publish a port",
        );
    }
    let (logging, creates_log_group) = logging(ctx, s, path);
    let mut depends_on = Vec::new();
    let storage = storage(ctx, id, s, path, &mut iam, &mut depends_on);
    let mounts_efs = !storage.efs_volumes.is_empty() || joined.mounts_efs;
    let public_ip = ecs_params::public_ip(ctx, name, fargate).or(public_ip);
    let network = network(ctx, name, id, s, lb, public_ip, fargate, mounts_efs, path);
    let pull = pull_credentials(ctx, &iam, path);
    let mut secret_files = secret_files(ctx, s, path, secrets, pull);
    // ecs-params.yml wins for a variable both name.
    let (mut variables, mut grants) = env_secrets::read(ctx, s, path);
    let (from_params, params_grants) = ecs_params::secret_variables(ctx, name);
    variables.retain(|v| from_params.iter().all(|p| p.name != v.name));
    variables.extend(from_params);
    grants.extend(params_grants);
    crate::convert::push_new(&mut secret_files.grants, grants);
    secret_files.variables = variables;
    let facts = deployment::Facts {
        name,
        replicas,
        writes_efs: storage.writes_efs,
        daemon,
        percents_asked: update_ext.unwrap_or((None, None)),
    };
    let deployment = deployment::read(ctx, s, path, lb, &facts);
    if daemon {
        check_daemon(ctx, s, path, fargate, autoscaling.is_some(), &placement);
    }
    for p in lb.ports_of(name) {
        depends_on.push(p.listener_id());
    }
    depends_on.extend(service_dependencies(ctx, name, s, path));
    if capacity.needs_cluster_providers() {
        depends_on.push("ClusterCapacityProviders".into());
    }
    ServiceSpec {
        name: name.to_string(),
        id: id.to_string(),
        path: path.clone(),
        replicas,
        autoscaling,
        deployment,
        daemon,
        exec,
        size,
        runtime_platform,
        capacity,
        placement: if fargate {
            Default::default()
        } else {
            placement
        },
        network,
        secrets: secret_files,
        storage,
        iam,
        logging,
        creates_log_group,
        deregistration_delay,
        lb_health,
        depends_on,
    }
}

/// `x-aws-enable_exec`, the service's own or else the project's.
fn enable_exec(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> bool {
    let reader = ctx.reader(&s.extensions, path.clone());
    let own: Option<bool> = ctx.ok(reader.get("x-aws-enable_exec", "true or false"));
    let reader = ctx.reader(&ctx.project.extensions, KeyPath::root());
    let project: Option<bool> = ctx.ok(reader.get("x-aws-enable_exec", "true or false"));
    own.or(project).unwrap_or(false)
}

/// A daemon (`mode: global`) runs one task on every EC2 instance of the
/// cluster: not on Fargate, not scaled, not spread.
fn check_daemon(
    ctx: &mut Ctx,
    s: &Service,
    path: &KeyPath,
    fargate: bool,
    autoscaling: bool,
    placement: &placement::Placement,
) {
    let deploy_path = path.key("deploy");
    if fargate {
        ctx.error(
            &deploy_path.key("mode"),
            "`mode: global` runs one task on every EC2 instance (an ECS daemon service), and Fargate has no instances",
            "set `x-aws-launch_type: EC2` on the service or the project (or pass --launch-type EC2), or use `mode: replicated`",
        );
    }
    if autoscaling {
        ctx.error(
            &deploy_path.key("x-aws-autoscaling"),
            "a daemon service runs one task per instance and is not scaled",
            "remove `x-aws-autoscaling`, or use `mode: replicated`",
        );
    }
    if s.deploy.as_ref().is_some_and(|d| d.replicas.is_some()) || s.scale.is_some() {
        ctx.warn(
            &deploy_path.key("replicas"),
            "replicas are ignored: a daemon service runs one task per instance",
            "remove `replicas`, or use `mode: replicated`",
        );
    }
    if !placement.strategies.is_empty() {
        ctx.error(
            &deploy_path.key("placement").key("preferences"),
            "ECS places a daemon's tasks on every instance, and takes no placement strategy",
            "remove the preferences, or use `mode: replicated`",
        );
    }
}

/// `x-aws-deregistration_delay`: how long the load balancer drains a
/// stopping task, 0 to 3600 seconds.
fn deregistration_delay(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> Option<i64> {
    let reader = ctx.reader(&s.extensions, path.clone());
    let delay: Option<i64> =
        ctx.ok(reader.get("x-aws-deregistration_delay", "a number of seconds"));
    if let Some(d) = delay
        && !(0..=3600).contains(&d)
    {
        ctx.error(
            &path.key("x-aws-deregistration_delay"),
            format!("{d} s is not a deregistration delay"),
            "give 0 to 3600 seconds",
        );
    }
    delay
}

/// The options ECS's awslogs driver takes on every launch type.
const AWSLOGS_OPTIONS: &[&str] = &[
    "awslogs-group",
    "awslogs-region",
    "awslogs-stream-prefix",
    "awslogs-create-group",
    "awslogs-endpoint",
    "awslogs-datetime-format",
    "awslogs-multiline-pattern",
    "mode",
    "max-buffer-size",
];

/// The container's awslogs configuration: the project's log group, region
/// and stream prefix unless the service names its own, then every other
/// option ECS's driver takes. Returns whether the driver creates its group.
fn logging(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> (LogConfiguration, bool) {
    let mut options = indexmap::IndexMap::new();
    options.insert(
        "awslogs-group".to_string(),
        crate::convert::cluster::log_group_ref(),
    );
    options.insert("awslogs-region".to_string(), Expr::reference("AWS::Region"));
    options.insert("awslogs-stream-prefix".to_string(), Expr::str(ctx.name()));
    let mut creates_group = false;
    if let Some(l) = &s.logging {
        let lpath = path.key("logging");
        if !l.driver.is_empty() && l.driver != "awslogs" {
            ctx.warn(
                &lpath.key("driver"),
                format!(
                    "logging driver {:?} is ignored: logs go to CloudWatch (awslogs)",
                    l.driver
                ),
                "remove `logging.driver`, or set it to awslogs",
            );
        }
        for (k, v) in &l.options {
            if AWSLOGS_OPTIONS.contains(&k.as_str()) {
                options.insert(k.to_string(), Expr::str(v.clone()));
                creates_group |= k == "awslogs-create-group" && v == "true";
            } else {
                ctx.warn(
                    &lpath.key("options").key(k),
                    format!(
                        "logging option {k:?} is ignored: ECS's awslogs driver does not take it"
                    ),
                    format!("ECS takes {}", AWSLOGS_OPTIONS.join(", ")),
                );
            }
        }
    }
    let configuration = LogConfiguration {
        log_driver: "awslogs".into(),
        options,
    };
    (configuration, creates_group)
}

/// `x-aws-pull_credentials`, `x-aws-role` and `x-aws-policies`.
fn extensions_of(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> Iam {
    let reader = ctx.reader(&s.extensions, path.clone());
    let known = [
        extensions::SERVICE_KEYS,
        extensions::TASK_LEVEL_SERVICE_KEYS,
    ]
    .concat();
    ctx.check_extensions(&reader, &known);
    let pull_credentials: Option<String> =
        ctx.ok(reader.get("x-aws-pull_credentials", "a Secrets Manager secret ARN"));
    let role_document: Option<serde_json::Map<String, serde_json::Value>> =
        ctx.ok(reader.get("x-aws-role", "an IAM policy document (a mapping)"));
    let policies: Option<Vec<String>> =
        ctx.ok(reader.get("x-aws-policies", "a list of managed policy ARNs"));
    if let Some(doc) = &role_document
        && !doc.contains_key("Statement")
    {
        ctx.error(
            &path.key("x-aws-role"),
            "`x-aws-role` must be an IAM policy document with a `Statement` list",
            "write {Version: \"2012-10-17\", Statement: [{Effect: Allow, Action: […], Resource: […]}]}",
        );
    }
    Iam {
        pull_credentials,
        role_document,
        managed_policies: policies.unwrap_or_default(),
        task_policies: Vec::new(),
    }
}

type UpdateExtensions = Option<(Option<i64>, Option<i64>)>;

/// `deploy.x-aws-autoscaling`, the update percents, and the deploy mode.
fn deploy_extensions(
    ctx: &mut Ctx,
    deploy: Option<&Deploy>,
    path: &KeyPath,
) -> (Option<AutoScaling>, UpdateExtensions) {
    let Some(d) = deploy else {
        return (None, None);
    };
    let deploy_path = path.key("deploy");
    let r = ctx.reader(&d.extensions, deploy_path.clone());
    ctx.check_extensions(&r, extensions::DEPLOY_KEYS);
    let a: Option<AutoScaling> = ctx.ok(r.get(
        "x-aws-autoscaling",
        "a mapping {cpu|memory: percent, min: count, max: count}",
    ));
    let u = d.update_config.as_ref().map(|u| {
        let r = ctx.reader(&u.extensions, deploy_path.key("update_config"));
        ctx.check_extensions(&r, extensions::UPDATE_CONFIG_KEYS);
        let min: Option<i64> = ctx.ok(r.get("x-aws-min_percent", "an integer percentage"));
        let max: Option<i64> = ctx.ok(r.get("x-aws-max_percent", "an integer percentage"));
        (min, max)
    });
    if d.mode == "global-job" || d.mode == "replicated-job" {
        ctx.error(
            &deploy_path.key("mode"),
            format!(
                "deploy mode {:?} is not available: an ECS service keeps its tasks running",
                d.mode
            ),
            "use `mode: replicated` (the default), or `global` on EC2",
        );
    }
    (a, u)
}

/// Numbers Compose accepts but ECS cannot run: a negative count, CPUs that
/// are not a finite positive number.
fn check_numbers(ctx: &mut Ctx, s: &Service, path: &KeyPath, replicas: i64) {
    if replicas < 0 {
        let key = if s.deploy.as_ref().and_then(|d| d.replicas).is_some() {
            path.key("deploy").key("replicas")
        } else {
            path.key("scale")
        };
        ctx.error(
            &key,
            format!("{replicas} replicas cannot run"),
            "give the number of tasks to run: 0 or more",
        );
    }
    let resources = s.deploy.as_deref().map(|d| &d.resources);
    let resources_path = path.key("deploy").key("resources");
    let cpus = [
        (path.key("cpus"), Some(s.cpus.0)),
        (
            resources_path.key("limits").key("cpus"),
            resources.and_then(|r| r.limits.as_ref()).map(|l| l.cpus.0),
        ),
        (
            resources_path.key("reservations").key("cpus"),
            resources
                .and_then(|r| r.reservations.as_ref())
                .map(|l| l.cpus.0),
        ),
    ];
    for (key, value) in cpus {
        if let Some(c) = value
            && (!c.is_finite() || c < 0.0)
        {
            ctx.error(
                &key,
                format!("{c} CPUs cannot be reserved"),
                "give a number of CPUs such as 0.5 or 2",
            );
        }
    }
}

/// CPUs and bytes of memory the service asks for: limits first, then the
/// service-level keys, then reservations.
/// What the sidecars joining a service's task add to it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Joined {
    pub cpus: f64,
    pub memory: u64,
    /// One of them mounts an EFS volume (the task needs a group of its own).
    pub mounts_efs: bool,
}

impl Joined {
    pub fn add(&mut self, s: &Service, side: &ServiceSpec) {
        let (cpus, memory) = requested_size(s);
        self.cpus += cpus;
        self.memory += memory;
        self.mounts_efs |= !side.storage.efs_volumes.is_empty();
    }
}

fn requested_size(s: &Service) -> (f64, u64) {
    let deploy = s.deploy.as_deref();
    let limits = deploy.and_then(|d| d.resources.limits.as_ref());
    let reservations = deploy.and_then(|d| d.resources.reservations.as_ref());
    let cpus = limits
        .map(|l| l.cpus.0)
        .filter(|c| *c > 0.0)
        .or((s.cpus.0 > 0.0).then_some(s.cpus.0))
        .or(reservations.map(|r| r.cpus.0).filter(|c| *c > 0.0))
        .unwrap_or(0.0) as f64;
    let memory = limits
        .map(|l| l.memory.0)
        .filter(|m| *m > 0)
        .or((s.mem_limit.0 > 0).then_some(s.mem_limit.0))
        .or(reservations.map(|r| r.memory.0).filter(|m| *m > 0))
        .unwrap_or(0) as u64;
    (cpus, memory)
}

/// The task's `Cpu` and `Memory`: the smallest Fargate size that fits, or
/// what an EC2 task asks for.
fn size(ctx: &mut Ctx, s: &Service, path: &KeyPath, cpus: f64, memory: u64, fargate: bool) -> Size {
    let reservations = s
        .deploy
        .as_deref()
        .and_then(|d| d.resources.reservations.as_ref());
    let memory_reservation = reservations
        .map(|r| r.memory.0)
        .filter(|m| *m > 0)
        .or((s.mem_reservation.0 > 0).then_some(s.mem_reservation.0))
        .map(|b| (b as u64).div_ceil(1024 * 1024));
    let (task_cpu, task_memory) = if fargate {
        match sizing::fargate_size(cpus, memory) {
            Ok((c, m)) => (Some(c.to_string()), Some(m.to_string())),
            Err(why) => {
                ctx.error(
                    &path.key("deploy").key("resources"),
                    why,
                    "lower deploy.resources.limits (Fargate tops out at 16 vCPU / 120 GiB)",
                );
                (None, None)
            }
        }
    } else {
        let cpu = (cpus > 0.0).then(|| ((cpus * 1024.0).ceil() as u64).to_string());
        let mem = if memory > 0 {
            memory.div_ceil(1024 * 1024)
        } else {
            2048
        };
        (cpu, Some(mem.to_string()))
    };
    Size {
        task_cpu,
        task_memory,
        memory_reservation,
    }
}

fn platform(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> Option<RuntimePlatform> {
    match s.platform.as_str() {
        "" | "linux/amd64" | "linux/x86_64" => None,
        "linux/arm64" | "linux/arm64/v8" | "linux/aarch64" => Some(RuntimePlatform {
            cpu_architecture: "ARM64".into(),
            operating_system_family: "LINUX".into(),
        }),
        other => {
            ctx.error(
                &path.key("platform"),
                format!("platform {other:?} is not available on ECS"),
                "use linux/amd64 or linux/arm64",
            );
            None
        }
    }
}

/// The security groups of the service's networks; a service with only
/// external groups (never modified) or published ports gets one of its own.
#[allow(clippy::too_many_arguments)]
fn network(
    ctx: &mut Ctx,
    name: &str,
    id: &str,
    s: &Service,
    lb: &LoadBalancerPlan,
    public_ip: Option<bool>,
    fargate: bool,
    mounts_efs: bool,
    path: &KeyPath,
) -> Network {
    let mut security_groups: Vec<Expr> = Vec::new();
    let mut ingress_group = None;
    for net in s.networks.keys() {
        if let Some(n) = ctx.networks.get(net) {
            security_groups.push(n.group.clone());
            if n.owned && ingress_group.is_none() {
                ingress_group = Some(n.group.clone());
            }
        }
    }
    security_groups.extend(ecs_params::security_groups(ctx));
    let has_ports = lb.ports_of(name).next().is_some();
    let mut own_group = None;
    // A service with only external groups (never modified) gets a group of
    // its own; so does one that mounts EFS, because the mount targets admit
    // NFS from the services that mount them only, not from their networks.
    let needs_own =
        mounts_efs || (ingress_group.is_none() && (has_ports || security_groups.is_empty()));
    if needs_own {
        let sg = format!("{id}ServiceSecurityGroup");
        security_groups.push(Expr::reference(&sg));
        own_group = Some(sg);
    }
    let ingress_group = match (ingress_group, &own_group) {
        (Some(g), _) => g,
        (None, Some(sg)) => Expr::reference(sg),
        (None, None) => security_groups[0].clone(),
    };
    if !fargate && public_ip == Some(true) {
        ctx.warn(
            &path.key("x-aws-assign_public_ip"),
            "tasks on EC2 cannot have a public IP",
            "remove it: EC2 services run in the private subnets, with a NAT gateway",
        );
    }
    Network {
        security_groups,
        ingress_group,
        own_group,
        public_ip: match public_ip {
            _ if !fargate => PublicIp::Disabled,
            Some(true) => PublicIp::Enabled,
            Some(false) => PublicIp::Disabled,
            None => PublicIp::AsSubnets,
        },
    }
}

/// Secrets as files: each becomes a variable of the init container, which
/// writes it to `/run/secrets/<target>` with its mode and owner.
fn secret_files(
    ctx: &mut Ctx,
    s: &Service,
    path: &KeyPath,
    secrets: &BTreeMap<String, SecretPlan>,
    pull_credentials: Option<SecretRef>,
) -> SecretFiles {
    let mut out = SecretFiles {
        script: vec!["set -e".to_string(), "umask 077".to_string()],
        ..Default::default()
    };
    for (i, r) in s.secrets.iter().enumerate() {
        let rpath = path.key("secrets").index(i);
        let Some(plan) = secrets.get(&r.source) else {
            continue;
        };
        let target = r
            .target
            .strip_prefix("/run/secrets/")
            .map(str::to_string)
            .or_else(|| (!r.target.starts_with('/')).then(|| r.target.clone()))
            .unwrap_or_default();
        if target.is_empty() || target.split('/').any(|p| !is_safe_name(p)) {
            ctx.error(
                &rpath,
                format!("secret target {:?} is not under /run/secrets/", r.target),
                "ECS delivers secrets as files in /run/secrets/: use a target like `/run/secrets/name`",
            );
            continue;
        }
        if !out.grants.contains(&plan.reference) {
            out.grants.push(plan.reference.clone());
        }
        let file = format!("/run/secrets/{target}");
        let files = secret_variables(&mut out, plan, i, &file);
        let mode = r
            .mode
            .map(|m| format!("{:o}", m.0))
            .unwrap_or_else(|| "444".into());
        for f in &files {
            out.script.push(format!("chmod {mode} '{f}'"));
            if r.uid.is_empty() && r.gid.is_empty() {
                continue;
            }
            let or_root = |id: &str| {
                if id.is_empty() {
                    "0".to_string()
                } else {
                    id.to_string()
                }
            };
            let owner = format!("{}:{}", or_root(&r.uid), or_root(&r.gid));
            if owner.chars().all(|c| c.is_ascii_digit() || c == ':') {
                out.script.push(format!("chown {owner} '{f}'"));
            } else {
                ctx.error(
                    &rpath,
                    "secret uid and gid must be numbers",
                    "use numeric ids such as uid: \"1000\"",
                );
            }
        }
    }
    if let Some(creds) = pull_credentials {
        out.grants.insert(0, creds);
    }
    out
}

/// `x-aws-pull_credentials`: ECS reads registry credentials from a Secrets
/// Manager secret, by ARN.
fn pull_credentials(ctx: &mut Ctx, iam: &Iam, path: &KeyPath) -> Option<SecretRef> {
    let value = iam.pull_credentials.as_ref()?;
    match secrets::reference(value) {
        Ok(r) if value.starts_with("arn:") && r.store == secrets::Store::SecretsManager => Some(r),
        _ => {
            ctx.error(
                &path.key("x-aws-pull_credentials"),
                format!("{value:?} is not a Secrets Manager secret ARN"),
                "give the ARN of the secret that holds the registry's username and password (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)",
            );
            None
        }
    }
}

/// The variables and script lines of secret `i`; returns the files written.
fn secret_variables(out: &mut SecretFiles, plan: &SecretPlan, i: usize, file: &str) -> Vec<String> {
    if plan.keys.is_empty() {
        let var = format!("SECRET_{i}");
        out.env.push(ContainerSecret {
            name: var.clone(),
            value_from: plan.reference.value_from.clone(),
        });
        out.script.push(format!("mkdir -p \"$(dirname '{file}')\""));
        out.script
            .push(format!("printf '%s' \"${var}\" > '{file}'"));
        return vec![file.to_string()];
    }
    out.script.push(format!("mkdir -p '{file}'"));
    let mut files = Vec::new();
    for (j, key) in plan.keys.iter().enumerate() {
        let var = format!("SECRET_{i}_{j}");
        // ECS extracts one JSON key: ARN:json-key:version-stage:version-id
        out.env.push(ContainerSecret {
            name: var.clone(),
            value_from: Expr::Join(
                String::new(),
                vec![
                    plan.reference.value_from.clone(),
                    Expr::str(format!(":{key}::")),
                ],
            ),
        });
        let f = format!("{file}/{key}");
        out.script.push(format!("printf '%s' \"${var}\" > '{f}'"));
        files.push(f);
    }
    files
}

/// Named volumes → EFS volumes with their IAM grant; anonymous volumes →
/// task storage. Bind mounts and other kinds cannot run.
fn storage(
    ctx: &mut Ctx,
    id: &str,
    s: &Service,
    path: &KeyPath,
    iam: &mut Iam,
    depends_on: &mut Vec<String>,
) -> Storage {
    let mut out = Storage::default();
    for (i, v) in s.volumes.iter().enumerate() {
        let vpath = path.key("volumes").index(i);
        if !v.target.starts_with('/') {
            // `volumes: [db-data]` is an anonymous volume at the relative
            // path db-data, not the named volume: say which was meant.
            // The loader drops unused top-level volumes: look in the file.
            let declared = KeyPath::root().key("volumes").key(&v.target);
            let help = if ctx.pos.node(&declared).is_some() {
                format!(
                    "to mount the volume {0:?}, write `{0}:/path/in/container`",
                    v.target
                )
            } else {
                "give an absolute path inside the container, such as /data".to_string()
            };
            ctx.error(
                &vpath,
                format!("the container path {:?} is not absolute", v.target),
                help,
            );
            continue;
        }
        match v.kind.as_str() {
            "volume" if v.source.is_empty() => {
                let vol_name = format!("anonymous{i}");
                out.volumes.push(TaskVolume {
                    name: vol_name.clone(),
                    efs_volume_configuration: None,
                });
                out.mount_points.push(MountPoint {
                    container_path: v.target.clone(),
                    source_volume: vol_name,
                    read_only: v.read_only,
                });
            }
            "volume" => {
                let Some(plan) = ctx.volumes.get(&v.source).cloned() else {
                    continue;
                };
                if v.volume.as_ref().is_some_and(|o| !o.subpath.is_empty()) {
                    ctx.warn(
                        &vpath,
                        "`volume.subpath` is ignored: the access point's `root_directory` chooses the directory",
                        "set `driver_opts: {root_directory: /path}` on the volume",
                    );
                }
                let vol_name = task_volume_name(&v.source);
                if !out.volumes.iter().any(|t| t.name == vol_name) {
                    out.volumes.push(TaskVolume {
                        name: vol_name.clone(),
                        efs_volume_configuration: Some(EfsVolumeConfiguration {
                            filesystem_id: plan.file_system_id.clone(),
                            transit_encryption: "ENABLED".into(),
                            authorization_config: AuthorizationConfig {
                                access_point_id: Expr::reference(&plan.access_point),
                                iam: "ENABLED".into(),
                            },
                        }),
                    });
                    iam.task_policies.push(mount_policy(id, &plan, v.read_only));
                    depends_on.extend(plan.mount_targets.iter().cloned());
                    out.efs_volumes.push(v.source.clone());
                }
                out.writes_efs |= !v.read_only;
                out.mount_points.push(MountPoint {
                    container_path: v.target.clone(),
                    source_volume: vol_name,
                    read_only: v.read_only,
                });
            }
            "bind" => ctx.error(
                &vpath,
                format!(
                    "bind mount of {:?} cannot run on ECS: Fargate has no host files",
                    v.source
                ),
                "use a named volume (EFS) for data, or copy the files into the image",
            ),
            other => ctx.error(
                &vpath,
                format!("`{other}` volumes cannot run on ECS Fargate"),
                "use a named volume (EFS) or an anonymous volume (task storage)",
            ),
        }
    }
    out
}

/// The task role may mount the file system through its access point only.
fn mount_policy(
    id: &str,
    plan: &crate::convert::storage::VolumePlan,
    read_only: bool,
) -> InlinePolicy {
    let mut actions = vec!["elasticfilesystem:ClientMount".to_string()];
    if !read_only {
        actions.push("elasticfilesystem:ClientWrite".into());
    }
    InlinePolicy {
        policy_name: format!("{id}{}VolumeMountPolicy", plan.id),
        policy_document: PolicyDocument::new(vec![Statement {
            effect: "Allow".into(),
            principal: None,
            action: actions,
            resource: Some(vec![plan.file_system_arn.clone()]),
            condition: Some(Condition::new(
                "StringEquals",
                "elasticfilesystem:AccessPointArn",
                Expr::get_att(&plan.access_point, "Arn"),
            )),
        }])
        .into(),
    }
}

/// Task volume names allow letters, digits, `-` and `_`.
fn task_volume_name(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The ECS services this one waits for, in name order; a condition other
/// than `service_started` is not waited for, and says so.
fn service_dependencies(ctx: &mut Ctx, name: &str, s: &Service, path: &KeyPath) -> Vec<String> {
    let mut out = Vec::new();
    let mut deps: Vec<&String> = s.depends_on.keys().collect();
    deps.sort();
    for (dep, cfg) in deps.into_iter().map(|d| (d, &s.depends_on[d.as_str()])) {
        if !ctx.project.services.contains_key(dep) {
            continue;
        }
        // A sidecar has no ECS service: its main service stands for it.
        let service = ctx.sidecar_main.get(dep).unwrap_or(dep);
        let id = format!("{}Service", names::normalize(service));
        if service != name && !out.contains(&id) {
            out.push(id);
        }
        if cfg.condition != "service_started" {
            ctx.warn(
                &path.key("depends_on").key(dep),
                format!("`condition: {}` is not waited for on ECS", cfg.condition),
                "ECS starts the services in order; make the service retry until its dependency is ready",
            );
        }
    }
    out
}
