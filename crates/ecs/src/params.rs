//! ecs-cli's `ecs-params.yml` (version 1), for people moving from
//! `ecs-cli compose`: read from its parsed tree into [`EcsParams`], every
//! error and warning at its file, line and column.
//!
//! Its values win over the Compose file's. What Compose can say too is laid
//! over the Compose model ([`EcsParams::overlay`]); what only ECS can say
//! (roles, secrets as variables, security groups, placement) travels in
//! [`crate::Options`] to the conversion.

use compose::model::{DeviceRequest, Healthcheck, Project, Resource};
use compose::node::{KeyPath, Node, Value};
use compose::units::{Bytes, Cpus, DeviceCount, Duration};
use compose::{Error, Positions};
use std::collections::BTreeMap;

/// An ecs-params file as read, with the positions its errors point at.
#[derive(Debug, Clone, Default)]
pub struct ParamsFile {
    pub params: EcsParams,
    pub positions: Positions,
}

impl ParamsFile {
    /// A warning about the value at `path` of the ecs-params file.
    pub fn warning(
        &self,
        path: &KeyPath,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Error {
        self.positions.error(path, message, help)
    }

    /// Warnings for the services and volumes it names that the project
    /// does not have: their settings would apply to nothing.
    pub fn unmatched(&self, project: &Project) -> Vec<Error> {
        let mut out = Vec::new();
        for name in self.params.services.keys() {
            if !project.services.contains_key(name.as_str()) {
                out.push(self.warning(
                    &paths::task_definition("services").key(name),
                    format!("the project has no service {name:?}; its settings are ignored"),
                    "name a service of the Compose file",
                ));
            }
        }
        for (i, name) in &self.params.volumes {
            if !project.volumes.contains_key(name.as_str()) {
                out.push(self.warning(
                    &paths::task_definition("docker_volumes").index(*i).key("name"),
                    format!("the project has no volume {name:?}; its settings are ignored"),
                    "declare it under the Compose file's `volumes:`, where it becomes an EFS file system",
                ));
            }
        }
        out
    }
}

/// Paths of the ecs-params keys that conversion reports on.
pub mod paths {
    use compose::node::KeyPath;
    pub fn task_definition(key: &str) -> KeyPath {
        KeyPath::root().key("task_definition").key(key)
    }
    pub fn service(name: &str, key: &str) -> KeyPath {
        task_definition("services").key(name).key(key)
    }
    pub fn awsvpc(key: &str) -> KeyPath {
        KeyPath::root()
            .key("run_params")
            .key("network_configuration")
            .key("awsvpc_configuration")
            .key(key)
    }
    pub fn task_placement() -> KeyPath {
        KeyPath::root().key("run_params").key("task_placement")
    }
}

#[derive(Debug, Clone, Default)]
pub struct EcsParams {
    pub task_role: Option<String>,
    pub execution_role: Option<String>,
    /// CPU units and MiB of every task (ecs-cli ran the project as one task;
    /// here each service is a task of its own).
    pub task_cpu: Option<i64>,
    pub task_memory_mib: Option<i64>,
    pub services: BTreeMap<String, ServiceParams>,
    /// `docker_volumes[i].name`, by index.
    pub volumes: Vec<(usize, String)>,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: Option<bool>,
    /// `(type, expression)` and `(type, field)` for EC2 services.
    pub constraints: Vec<(String, Option<String>)>,
    pub strategies: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone, Default)]
pub struct ServiceParams {
    pub cpu_shares: Option<i64>,
    pub mem_limit: Option<i64>,
    pub mem_reservation: Option<i64>,
    pub gpus: Option<i64>,
    pub init: Option<bool>,
    pub healthcheck: Option<Healthcheck>,
    /// `(variable, value_from)`: a Secrets Manager or SSM parameter ARN, or
    /// a parameter name.
    pub secrets: Vec<(String, String)>,
    pub repository_credentials: Option<String>,
}

/// What ecs-cli read and docker-ecs does not, with the reason.
const IGNORED: &[(&str, &str)] = &[
    ("pid_mode", "awsvpc tasks on Fargate share no PID namespace"),
    ("ipc_mode", "awsvpc tasks on Fargate share no IPC namespace"),
    (
        "efs_volumes",
        "Compose volumes become EFS file systems of the project",
    ),
    ("placement_constraints", "use run_params.task_placement"),
    ("logging", "logs go to the project's log group"),
    (
        "firelens_configuration",
        "logs go to the project's log group",
    ),
    (
        "depends_on",
        "each service is a task of its own: use Compose's depends_on",
    ),
    (
        "service_discovery",
        "every service is in the project's Cloud Map namespace",
    ),
];

/// Read the tree of one ecs-params file. Errors stop the command; warnings
/// are printed.
pub fn read(pos: &Positions) -> (EcsParams, Vec<Error>, Vec<Error>) {
    let mut w = Walk {
        pos,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let mut out = EcsParams::default();
    let root = KeyPath::root();
    if let Some(top) = pos.node(&root) {
        w.top(top, &mut out);
    }
    (out, w.errors, w.warnings)
}

struct Walk<'a> {
    pos: &'a Positions,
    errors: Vec<Error>,
    warnings: Vec<Error>,
}

impl Walk<'_> {
    fn error(&mut self, at: &KeyPath, message: impl Into<String>, help: impl Into<String>) {
        self.errors.push(self.pos.error(at, message, help));
    }

    fn warn(&mut self, at: &KeyPath, message: impl Into<String>, help: impl Into<String>) {
        self.warnings.push(self.pos.error(at, message, help));
    }

    /// The entries of a mapping; unknown keys are warnings, ignored ones
    /// say why.
    fn map<'n>(&mut self, n: &'n Node, at: &KeyPath, known: &[&str]) -> Vec<(&'n str, &'n Node)> {
        let Value::Map(m) = &n.value else {
            if !matches!(n.value, Value::Null) {
                self.error(at, "must be a mapping", "write `key: value` lines under it");
            }
            return vec![];
        };
        let mut out = Vec::new();
        for (k, v) in m.iter() {
            let here = at.key(&k.name);
            if let Some((_, why)) = IGNORED.iter().find(|(name, _)| *name == k.name) {
                self.warn(
                    &here,
                    format!("`{}` is ignored: {why}", k.name),
                    "remove it",
                );
            } else if known.contains(&k.name.as_str()) {
                out.push((k.name.as_str(), v));
            } else {
                self.warn(
                    &here,
                    format!("`{}` is not an ecs-params key here; it is ignored", k.name),
                    format!("the keys here are {}", known.join(", ")),
                );
            }
        }
        out
    }

    fn string(&mut self, n: &Node, at: &KeyPath) -> Option<String> {
        match &n.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            _ => {
                self.error(at, "must be a string", "write a single value");
                None
            }
        }
    }

    fn strings(&mut self, n: &Node, at: &KeyPath) -> Vec<String> {
        let Value::Seq(items) = &n.value else {
            self.error(
                at,
                "must be a list of strings",
                "write `[a, b]` or one `- item` per line",
            );
            return vec![];
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            out.extend(self.string(item, &at.index(i)));
        }
        out
    }

    fn int(&mut self, n: &Node, at: &KeyPath) -> Option<i64> {
        let parsed = match &n.value {
            Value::Int(i) => Some(*i),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        };
        if parsed.is_none_or(|i| i < 0) {
            self.error(
                at,
                "must be a whole number, 0 or more",
                "write a number such as 512",
            );
        }
        parsed.filter(|i| *i >= 0)
    }

    fn bool(&mut self, n: &Node, at: &KeyPath) -> Option<bool> {
        match &n.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.error(at, "must be true or false", "write true or false");
                None
            }
        }
    }

    /// Bytes: a number (bytes, as ecs-cli read it) or `512m`, `1g`, `1GB`.
    fn bytes(&mut self, n: &Node, at: &KeyPath) -> Option<i64> {
        let parsed = match &n.value {
            Value::Int(i) if *i > 0 => Ok(*i),
            Value::Str(s) => compose::syntax::parse_bytes(s.trim()),
            _ => Err("not a size".to_string()),
        };
        match parsed {
            Ok(b) if b > 0 => Some(b),
            _ => {
                self.error(
                    at,
                    "must be a memory size",
                    "write bytes, or a size such as 512m or 2g",
                );
                None
            }
        }
    }

    fn duration(&mut self, n: &Node, at: &KeyPath) -> Option<Duration> {
        let s = self.string(n, at)?;
        match compose::syntax::parse_duration(&s) {
            Ok(d) if d >= 0 => Some(Duration(d)),
            _ => {
                self.error(
                    at,
                    format!("{s:?} is not a duration"),
                    "write a duration such as 30s or 1m",
                );
                None
            }
        }
    }

    fn top(&mut self, n: &Node, out: &mut EcsParams) {
        let root = KeyPath::root();
        for (k, v) in self.map(n, &root, &["version", "task_definition", "run_params"]) {
            let at = root.key(k);
            match k {
                "version" => {
                    if self.string(v, &at).is_some_and(|s| s != "1") {
                        self.error(
                            &at,
                            "docker-ecs reads ecs-params version 1",
                            "write `version: 1`",
                        );
                    }
                }
                "task_definition" => self.task_definition(v, &at, out),
                _ => self.run_params(v, &at, out),
            }
        }
    }

    fn task_definition(&mut self, n: &Node, at: &KeyPath, out: &mut EcsParams) {
        let known = [
            "ecs_network_mode",
            "task_role_arn",
            "task_execution_role",
            "task_size",
            "services",
            "docker_volumes",
        ];
        for (k, v) in self.map(n, at, &known) {
            let here = at.key(k);
            match k {
                "ecs_network_mode" => {
                    if let Some(mode) = self.string(v, &here)
                        && mode != "awsvpc"
                    {
                        self.warn(
                            &here,
                            format!("network mode {mode:?} is ignored: tasks use awsvpc"),
                            "remove it; awsvpc gives each task its own security groups and works with Fargate",
                        );
                    }
                }
                "task_role_arn" => out.task_role = self.role(v, &here),
                "task_execution_role" => out.execution_role = self.role(v, &here),
                "task_size" => self.task_size(v, &here, out),
                "services" => {
                    if !matches!(v.value, Value::Map(_) | Value::Null) {
                        self.error(
                            &here,
                            "must be a mapping of service names",
                            "write one `<service>:` entry per service",
                        );
                    }
                    for (name, s) in self.all(v) {
                        let p = self.service(s, &here.key(name));
                        out.services.insert(name.to_string(), p);
                    }
                }
                _ => self.docker_volumes(v, &here, out),
            }
        }
    }

    /// Every entry of a mapping whose keys are names (services).
    fn all<'n>(&mut self, n: &'n Node) -> Vec<(&'n str, &'n Node)> {
        match &n.value {
            Value::Map(m) => m.iter().map(|(k, v)| (k.name.as_str(), v)).collect(),
            _ => vec![],
        }
    }

    fn role(&mut self, n: &Node, at: &KeyPath) -> Option<String> {
        let r = self.string(n, at)?;
        let name_ok = !r.is_empty()
            && r.len() <= 64
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        let arn_ok =
            r.starts_with("arn:") && r.split(':').nth(2) == Some("iam") && r.contains(":role/");
        if !(name_ok || arn_ok) {
            self.error(
                at,
                format!("{r:?} is not an IAM role name or ARN"),
                "write arn:aws:iam::<account>:role/<name>, or the role's name",
            );
            return None;
        }
        Some(r)
    }

    /// `cpu_limit`: CPU units or `1 vCPU`; `mem_limit`: MiB or `2GB`.
    fn task_size(&mut self, n: &Node, at: &KeyPath, out: &mut EcsParams) {
        for (k, v) in self.map(n, at, &["cpu_limit", "mem_limit"]) {
            let here = at.key(k);
            let Some(s) = self.string(v, &here) else {
                continue;
            };
            let lower = s.trim().to_ascii_lowercase();
            if k == "cpu_limit" {
                let units = match lower.strip_suffix("vcpu") {
                    Some(n) => n
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .map(|v| (v * 1024.0).round() as i64),
                    None => lower.parse::<i64>().ok(),
                };
                match units.filter(|u| *u > 0) {
                    Some(u) => out.task_cpu = Some(u),
                    None => self.error(
                        &here,
                        format!("{s:?} is not a CPU size"),
                        "write CPU units such as 512, or 0.5 vCPU",
                    ),
                }
            } else {
                let mib = match lower.strip_suffix("gb") {
                    Some(n) => n
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .map(|v| (v * 1024.0).round() as i64),
                    None => lower
                        .strip_suffix("mb")
                        .unwrap_or(&lower)
                        .trim()
                        .parse::<i64>()
                        .ok(),
                };
                match mib.filter(|m| *m > 0) {
                    Some(m) => out.task_memory_mib = Some(m),
                    None => self.error(
                        &here,
                        format!("{s:?} is not a memory size"),
                        "write MiB such as 1024, or 2GB",
                    ),
                }
            }
        }
    }

    fn service(&mut self, n: &Node, at: &KeyPath) -> ServiceParams {
        let known = [
            "essential",
            "cpu_shares",
            "mem_limit",
            "mem_reservation",
            "gpu",
            "init_process_enabled",
            "healthcheck",
            "secrets",
            "repository_credentials",
        ];
        let mut p = ServiceParams::default();
        for (k, v) in self.map(n, at, &known) {
            let here = at.key(k);
            match k {
                "essential" => {
                    if self.bool(v, &here) == Some(false) {
                        self.warn(
                            &here,
                            "`essential: false` is ignored: each service is a task of its own, and its container must be essential",
                            "remove it",
                        );
                    }
                }
                "cpu_shares" => p.cpu_shares = self.int(v, &here).filter(|c| *c > 0),
                "mem_limit" => p.mem_limit = self.bytes(v, &here),
                "mem_reservation" => p.mem_reservation = self.bytes(v, &here),
                "gpu" => p.gpus = self.int(v, &here).filter(|g| *g > 0),
                "init_process_enabled" => p.init = self.bool(v, &here),
                "healthcheck" => p.healthcheck = self.healthcheck(v, &here),
                "secrets" => p.secrets = self.secrets(v, &here),
                _ => {
                    for (ck, cv) in self.map(v, &here, &["credentials_parameter"]) {
                        let arn_at = here.key(ck);
                        let arn = self.string(cv, &arn_at);
                        if arn.as_deref().is_some_and(|a| {
                            !a.starts_with("arn:") || !a.contains(":secretsmanager:")
                        }) {
                            self.error(
                                &arn_at,
                                "must be the ARN of a Secrets Manager secret",
                                "write arn:aws:secretsmanager:<region>:<account>:secret:<name>",
                            );
                        } else {
                            p.repository_credentials = arn;
                        }
                    }
                }
            }
        }
        p
    }

    fn healthcheck(&mut self, n: &Node, at: &KeyPath) -> Option<Healthcheck> {
        let known = [
            "test",
            "command",
            "interval",
            "timeout",
            "retries",
            "start_period",
        ];
        let mut h = Healthcheck::default();
        for (k, v) in self.map(n, at, &known) {
            let here = at.key(k);
            match k {
                "test" | "command" => {
                    h.test = match &v.value {
                        Value::Str(s) => vec!["CMD-SHELL".into(), s.clone()],
                        _ => self.strings(v, &here),
                    }
                }
                "interval" => h.interval = self.duration(v, &here),
                "timeout" => h.timeout = self.duration(v, &here),
                "start_period" => h.start_period = self.duration(v, &here),
                _ => h.retries = self.int(v, &here).map(|r| r as u64),
            }
        }
        if h.test.is_empty() {
            self.error(
                at,
                "a health check needs `test` (or `command`)",
                "add `test: [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]`",
            );
            return None;
        }
        Some(h)
    }

    fn secrets(&mut self, n: &Node, at: &KeyPath) -> Vec<(String, String)> {
        let Value::Seq(items) = &n.value else {
            self.error(
                at,
                "must be a list of {value_from, name}",
                "write one `- value_from: …` entry per secret",
            );
            return vec![];
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let here = at.index(i);
            let (mut name, mut from) = (None, None);
            for (k, v) in self.map(item, &here, &["value_from", "name"]) {
                let s = self.string(v, &here.key(k));
                if k == "name" {
                    name = s;
                } else {
                    from = s;
                }
            }
            match (name, from) {
                (Some(n), Some(f)) if crate::names::is_env_variable(&n) => out.push((n, f)),
                (Some(n), Some(_)) => self.error(
                    &here.key("name"),
                    format!("{n:?} is not an environment variable name"),
                    "use letters, digits and _, not starting with a digit",
                ),
                _ => self.error(
                    &here,
                    "a secret needs `value_from` and `name`",
                    "write `{value_from: <ARN or parameter name>, name: <VARIABLE>}`",
                ),
            }
        }
        out
    }

    /// EFS serves docker_volumes of the default scope with the local driver.
    fn docker_volumes(&mut self, n: &Node, at: &KeyPath, out: &mut EcsParams) {
        let Value::Seq(items) = &n.value else {
            self.error(
                at,
                "must be a list of volumes",
                "write one `- name: …` entry per volume",
            );
            return;
        };
        let known = [
            "name",
            "scope",
            "autoprovision",
            "driver",
            "driver_opts",
            "labels",
        ];
        for (i, item) in items.iter().enumerate() {
            let here = at.index(i);
            for (k, v) in self.map(item, &here, &known) {
                let key = here.key(k);
                match k {
                    "name" => out.volumes.extend(self.string(v, &key).map(|n| (i, n))),
                    "scope" if self.string(v, &key).as_deref() == Some("task") => self.warn(
                        &key,
                        "`scope: task` is ignored: the volume is an EFS file system that outlives tasks",
                        "remove it, or use a tmpfs for scratch data",
                    ),
                    "driver" | "driver_opts" => self.warn(
                        &key,
                        format!("`{k}` is ignored: the volume is an EFS file system"),
                        "remove it; set EFS options on the Compose volume (`driver_opts`)",
                    ),
                    _ => {}
                }
            }
        }
    }

    fn run_params(&mut self, n: &Node, at: &KeyPath, out: &mut EcsParams) {
        for (k, v) in self.map(n, at, &["network_configuration", "task_placement"]) {
            let here = at.key(k);
            if k == "task_placement" {
                self.task_placement(v, &here, out);
                continue;
            }
            for (k2, v2) in self.map(v, &here, &["awsvpc_configuration"]) {
                let vpc_at = here.key(k2);
                let known = ["subnets", "security_groups", "assign_public_ip"];
                for (k3, v3) in self.map(v2, &vpc_at, &known) {
                    let key = vpc_at.key(k3);
                    match k3 {
                        "subnets" => out.subnets = self.ids(v3, &key, "subnet"),
                        "security_groups" => out.security_groups = self.ids(v3, &key, "sg"),
                        _ => match self.string(v3, &key).as_deref() {
                            Some("ENABLED") => out.assign_public_ip = Some(true),
                            Some("DISABLED") => out.assign_public_ip = Some(false),
                            Some(other) => self.error(
                                &key,
                                format!("{other:?} is not ENABLED or DISABLED"),
                                "write ENABLED or DISABLED",
                            ),
                            None => {}
                        },
                    }
                }
            }
        }
    }

    fn ids(&mut self, n: &Node, at: &KeyPath, kind: &str) -> Vec<String> {
        let ids = self.strings(n, at);
        for (i, id) in ids.iter().enumerate() {
            if !crate::extensions::is_resource_id(kind, id) {
                self.error(
                    &at.index(i),
                    format!("{id:?} is not a {kind} ID"),
                    format!("write {kind}-… IDs"),
                );
            }
        }
        ids
    }

    fn task_placement(&mut self, n: &Node, at: &KeyPath, out: &mut EcsParams) {
        for (k, v) in self.map(n, at, &["strategy", "constraints"]) {
            let here = at.key(k);
            let Value::Seq(items) = &v.value else {
                self.error(
                    &here,
                    "must be a list",
                    "write one `- type: …` entry per line",
                );
                continue;
            };
            let (second, types): (&str, &[&str]) = if k == "strategy" {
                ("field", &["binpack", "random", "spread"])
            } else {
                ("expression", &["distinctInstance", "memberOf"])
            };
            for (i, item) in items.iter().enumerate() {
                let entry = here.index(i);
                let (mut kind, mut extra) = (None, None);
                for (ek, ev) in self.map(item, &entry, &["type", second]) {
                    let s = self.string(ev, &entry.key(ek));
                    if ek == "type" {
                        kind = s;
                    } else {
                        extra = s;
                    }
                }
                match kind {
                    Some(t) if types.contains(&t.as_str()) => {
                        if k == "strategy" {
                            out.strategies.push((t, extra));
                        } else {
                            out.constraints.push((t, extra));
                        }
                    }
                    _ => self.error(
                        &entry.key("type"),
                        format!("the {k} type must be one of {}", types.join(", ")),
                        format!("write `type: {}`", types[0]),
                    ),
                }
            }
        }
    }
}

impl EcsParams {
    /// Lay what Compose can say too over the project: task sizes, memory
    /// reservations, GPUs, init, health checks, registry credentials and
    /// the subnets.
    pub fn overlay(&self, project: &mut Project) {
        for (name, service) in project.services.iter_mut() {
            let s = self.services.get(name.as_str());
            let deploy = service.deploy.get_or_insert_with(Default::default);
            let limits = deploy
                .resources
                .limits
                .get_or_insert_with(Resource::default);
            let cpu = s.and_then(|s| s.cpu_shares).or(self.task_cpu);
            if let Some(units) = cpu {
                limits.cpus = Cpus(units as f32 / 1024.0);
            }
            let mib = s.and_then(|s| s.mem_limit.map(|b| (b as u64).div_ceil(1024 * 1024) as i64));
            if let Some(m) = mib.or(self.task_memory_mib) {
                limits.memory = Bytes(m * 1024 * 1024);
            }
            if let Some(gpus) = s.and_then(|s| s.gpus) {
                let reservations = deploy
                    .resources
                    .reservations
                    .get_or_insert_with(Default::default);
                reservations.devices = vec![DeviceRequest {
                    capabilities: vec!["gpu".into()],
                    count: DeviceCount(gpus),
                    ..Default::default()
                }];
                reservations.generic_resources.clear();
                service.gpus.clear();
            }
            if let Some(p) = s {
                if let Some(r) = p.mem_reservation {
                    service.mem_reservation = Bytes(r);
                    if let Some(res) = &mut deploy.resources.reservations {
                        res.memory = Bytes(0);
                    }
                }
                if let Some(init) = p.init {
                    service.init = Some(init);
                }
                if let Some(h) = &p.healthcheck {
                    service.healthcheck = Some(Box::new(h.clone()));
                }
                if let Some(arn) = &p.repository_credentials {
                    service
                        .extensions
                        .insert("x-aws-pull_credentials".into(), arn.clone().into());
                }
            }
        }
        if !self.subnets.is_empty() {
            project.extensions.insert(
                "x-aws-subnets".into(),
                self.subnets
                    .iter()
                    .cloned()
                    .map(serde_json::Value::from)
                    .collect(),
            );
        }
    }
}
