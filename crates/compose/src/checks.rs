//! Checks and resolutions on the typed project: the schema rules types alone
//! do not express, profiles, references between resources, dependency
//! cycles, and `env_file` contents.

use crate::env::{Environment, parse_dotenv};
use crate::error::{Error, Result};
use crate::interpolate::Lookup;
use crate::model::{Project, Service};
use crate::node::{KeyPath, Node, Span, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The span of the node at `path` (keys only), or of its nearest ancestor.
fn span_at(root: &Node, path: &[&str]) -> Span {
    let mut node = root;
    let mut span = root.span;
    for key in path {
        match node.get(key) {
            Some(n) => {
                node = n;
                span = n.span;
            }
            None => break,
        }
    }
    span
}

fn kp(parts: &[&str]) -> KeyPath {
    parts.iter().fold(KeyPath::root(), |p, k| p.key(k))
}

fn err_at(root: &Node, parts: &[&str], msg: impl Into<String>, help: impl Into<String>) -> Error {
    Error::at(span_at(root, parts), &kp(parts), msg).with_help(help)
}

/// Schema rules beyond types: names, enumerations and required keys.
pub fn validate_raw(root: &Node) -> Result<()> {
    validate_resources(root)?;
    let Some(services) = root.get("services").and_then(Node::as_map) else {
        return Ok(());
    };
    for (name, service) in services {
        if name.name.is_empty()
            || !name
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(Error::at(
                name.span,
                &kp(&["services"]),
                format!("invalid service name {:?}", name.name),
            )
            .with_help("service names may only contain letters, digits, `.`, `_` and `-`"));
        }
        let s = name.name.as_str();
        let enum_check = |field: &[&str], value: Option<&str>, allowed: &[&str]| -> Result<()> {
            if let Some(v) = value
                && !allowed.contains(&v)
            {
                let mut parts = vec!["services", s];
                parts.extend_from_slice(field);
                return Err(err_at(
                    root,
                    &parts,
                    format!(
                        "invalid value {v:?}, expected one of: {}",
                        allowed.join(", ")
                    ),
                    match crate::de::closest(v, allowed) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!("use one of: {}", allowed.join(", ")),
                    },
                ));
            }
            Ok(())
        };
        if let Some(deps) = service.get("depends_on").and_then(Node::as_map) {
            for (dep, cfg) in deps {
                enum_check(
                    &["depends_on", &dep.name, "condition"],
                    cfg.get("condition").and_then(Node::as_str),
                    &[
                        "service_started",
                        "service_healthy",
                        "service_completed_successfully",
                    ],
                )?;
            }
        }
        if let Some(volumes) = service.get("volumes").and_then(Node::as_seq) {
            for (i, v) in volumes.iter().enumerate() {
                let p = kp(&["services", s, "volumes"]).index(i);
                match v.get("type").and_then(Node::as_str) {
                    None => {
                        return Err(Error::at(v.span, &p, "missing required key `type`")
                            .with_help(
                                "add `type: volume` (or bind, tmpfs, npipe, cluster, image)",
                            ));
                    }
                    Some(t)
                        if !["bind", "volume", "tmpfs", "npipe", "cluster", "image"]
                            .contains(&t) =>
                    {
                        return Err(Error::at(
                            v.span,
                            &p.key("type"),
                            format!("invalid volume type {t:?}"),
                        )
                        .with_help("use one of: bind, volume, tmpfs, npipe, cluster, image"));
                    }
                    _ => {}
                }
                if v.get("target").is_none() {
                    return Err(Error::at(v.span, &p, "missing required key `target`")
                        .with_help("give the path inside the container in `target`"));
                }
                check_mount(v, &p)?;
            }
        }
        if let Some(env) = service.get("environment").and_then(Node::as_map) {
            check_variable_names(env, &kp(&["services", s, "environment"]))?;
        }
        if let Some(args) = service
            .get("build")
            .and_then(|b| b.get("args"))
            .and_then(Node::as_map)
        {
            check_variable_names(args, &kp(&["services", s, "build", "args"]))?;
        }
        if let Some(name) = service.get("container_name")
            && let Some(text) = name.as_str()
            && !valid_container_name(text)
        {
            return Err(Error::at(
                name.span,
                &kp(&["services", s, "container_name"]),
                format!("invalid container name {text:?}"),
            )
            .with_help(
                "use two or more letters, digits, `_`, `.` or `-`, starting with a letter or digit",
            ));
        }
        if let Some(ports) = service.get("ports").and_then(Node::as_seq) {
            for (i, port) in ports.iter().enumerate() {
                let p = kp(&["services", s, "ports"]).index(i);
                if port.get("target").is_none() {
                    return Err(Error::at(port.span, &p, "missing required key `target`")
                        .with_help("give the container port in `target`"));
                }
                if let Some(mode) = port.get("mode").and_then(Node::as_str)
                    && !["ingress", "host"].contains(&mode)
                {
                    return Err(Error::at(
                        port.span,
                        &p.key("mode"),
                        format!("invalid port mode {mode:?}"),
                    )
                    .with_help("use `ingress` or `host`"));
                }
            }
        }
        enum_check(
            &["cgroup"],
            service.get("cgroup").and_then(Node::as_str),
            &["host", "private"],
        )?;
        if let Some(policy) = service.get("pull_policy").and_then(Node::as_str)
            && !valid_pull_policy(policy)
        {
            return Err(err_at(
                root,
                &["services", s, "pull_policy"],
                format!("invalid pull policy {policy:?}"),
                "use always, never, build, missing, if_not_present, refresh, daily, weekly or every_<duration>",
            ));
        }
        if let Some(volumes) = service.get("volumes").and_then(Node::as_seq) {
            for (i, v) in volumes.iter().enumerate() {
                let at = |field: &str| format!("{i}.bind.{field}");
                let bind = v.get("bind");
                for (field, allowed) in [
                    ("selinux", &["z", "Z"][..]),
                    (
                        "recursive",
                        &["enabled", "disabled", "writable", "readonly"][..],
                    ),
                ] {
                    if let Some(val) = bind.and_then(|b| b.get(field)).and_then(Node::as_str)
                        && !allowed.contains(&val)
                    {
                        return Err(Error::at(
                            bind.unwrap().get(field).unwrap().span,
                            &kp(&["services", s, "volumes"])
                                .index(i)
                                .key("bind")
                                .key(field),
                            format!("invalid value {val:?} ({})", at(field)),
                        )
                        .with_help(format!("use one of: {}", allowed.join(", "))));
                    }
                }
            }
        }
        if let Some(deploy) = service.get("deploy") {
            for section in ["update_config", "rollback_config"] {
                enum_check(
                    &["deploy", section, "order"],
                    deploy
                        .get(section)
                        .and_then(|u| u.get("order"))
                        .and_then(Node::as_str),
                    &["start-first", "stop-first"],
                )?;
            }
            enum_check(
                &["deploy", "mode"],
                deploy.get("mode").and_then(Node::as_str),
                &["global", "replicated", "replicated-job", "global-job"],
            )?;
            enum_check(
                &["deploy", "endpoint_mode"],
                deploy.get("endpoint_mode").and_then(Node::as_str),
                &["vip", "dnsrr"],
            )?;
        }
        if let Some(env_files) = service.get("env_file").and_then(Node::as_seq) {
            for (i, f) in env_files.iter().enumerate() {
                if f.get("path").is_none() {
                    return Err(Error::at(
                        f.span,
                        &kp(&["services", s, "env_file"]).index(i),
                        "missing required key `path`",
                    )
                    .with_help("give the env file path in `path`"));
                }
            }
        }
        let mut requests: Vec<(KeyPath, &Node)> = Vec::new();
        if let Some(gpus) = service.get("gpus").and_then(Node::as_seq) {
            requests.extend(
                gpus.iter()
                    .enumerate()
                    .map(|(i, g)| (kp(&["services", s, "gpus"]).index(i), g)),
            );
        }
        for kind in ["limits", "reservations"] {
            if let Some(devs) = service
                .get("deploy")
                .and_then(|d| d.get("resources"))
                .and_then(|r| r.get(kind))
                .and_then(|r| r.get("devices"))
                .and_then(Node::as_seq)
            {
                let base = kp(&["services", s, "deploy", "resources", kind, "devices"]);
                requests.extend(devs.iter().enumerate().map(|(i, d)| (base.index(i), d)));
            }
        }
        for (p, req) in requests {
            // Device reservations name what the device must do; a `gpus`
            // entry implies it.
            let is_gpus = p.segment(2) == Some("gpus");
            if !is_gpus && req.get("capabilities").is_none() {
                return Err(
                    Error::at(req.span, &p, "missing required key `capabilities`")
                        .with_help("say what the device is for, such as `capabilities: [gpu]`"),
                );
            }
            if req.get("count").is_some() && req.get("device_ids").is_some() {
                return Err(Error::at(
                    req.span,
                    &p,
                    "\"count\" and \"device_ids\" attributes are exclusive",
                )
                .with_help("request GPUs either by `count` or by `device_ids`"));
            }
        }
        if let Some(watch) = service
            .get("develop")
            .and_then(|d| d.get("watch"))
            .and_then(Node::as_seq)
        {
            for (i, w) in watch.iter().enumerate() {
                let p = kp(&["services", s, "develop", "watch"]).index(i);
                if w.get("path").is_none() {
                    return Err(Error::at(w.span, &p, "missing required key `path`")
                        .with_help("give the path to watch"));
                }
                if w.get("path").and_then(Node::as_str) == Some("") {
                    return Err(Error::at(w.span, &p.key("path"), "value can't be blank")
                        .with_help("give the path to watch"));
                }
                let Some(action) = w.get("action").and_then(Node::as_str) else {
                    return Err(
                        Error::at(w.span, &p, "missing required key `action`").with_help(
                            "add `action:` (rebuild, sync, restart, sync+restart or sync+exec)",
                        ),
                    );
                };
                const ACTIONS: &[&str] =
                    &["rebuild", "sync", "restart", "sync+restart", "sync+exec"];
                if !ACTIONS.contains(&action) {
                    return Err(Error::at(
                        w.get("action").map_or(w.span, |a| a.span),
                        &p.key("action"),
                        format!(
                            "invalid value {action:?}, expected one of: {}",
                            ACTIONS.join(", ")
                        ),
                    )
                    .with_help(match crate::de::closest(action, ACTIONS) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!("use one of: {}", ACTIONS.join(", ")),
                    }));
                }
                if action != "rebuild" && w.get("target").is_none() {
                    return Err(Error::at(
                        w.span,
                        &p,
                        "target is required for non-rebuild actions",
                    )
                    .with_help("add `target:`, the path inside the container to sync to"));
                }
            }
        }
        for field in ["secrets", "configs"] {
            if let Some(refs) = service.get(field).and_then(Node::as_seq) {
                for (i, r) in refs.iter().enumerate() {
                    if r.get("source").is_none() {
                        return Err(Error::at(
                            r.span,
                            &kp(&["services", s, field]).index(i),
                            "missing required key `source`",
                        )
                        .with_help(format!("name the top-level {field} entry in `source`")));
                    }
                }
            }
        }
    }
    Ok(())
}

/// What a mount needs beyond its type and target: a bind mount its source,
/// a tmpfs a size that is a whole number of bytes, 0 or more.
fn check_mount(v: &Node, p: &KeyPath) -> Result<()> {
    if v.get("type").and_then(Node::as_str) == Some("bind")
        && v.get("source")
            .and_then(Node::as_str)
            .unwrap_or("")
            .is_empty()
    {
        return Err(Error::at(v.span, p, "a bind mount needs a `source`")
            .with_help("give the host path to mount in `source`"));
    }
    if let Some(size) = v.get("tmpfs").and_then(|t| t.get("size")) {
        let bad = match size.value {
            Value::Int(n) => n < 0,
            Value::Float(_) => true,
            _ => false,
        };
        if bad {
            return Err(Error::at(
                size.span,
                &p.key("tmpfs").key("size"),
                format!(
                    "tmpfs size {} is not a whole number of bytes, 0 or more",
                    size.scalar_string().unwrap_or_default()
                ),
            )
            .with_help("give a size such as 67108864 or 64m"));
        }
    }
    Ok(())
}

/// `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, as Docker names containers.
fn valid_container_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// Compose refuses a variable name with a trailing space (`FOO =bar`), a
/// typo that would define a variable nobody reads.
fn check_variable_names(env: &crate::node::Map, p: &KeyPath) -> Result<()> {
    for k in env.keys() {
        if k.name.ends_with(char::is_whitespace) {
            return Err(Error::at(
                k.span,
                p,
                format!(
                    "environment variable {:?} is declared with a trailing space",
                    k.name
                ),
            )
            .with_help(format!("remove the space: `{}`", k.name.trim_end())));
        }
    }
    Ok(())
}

/// Top-level volumes, secrets and configs: exclusive and required sources.
fn validate_resources(root: &Node) -> Result<()> {
    if let Some(models) = root.get("models").and_then(Node::as_map) {
        for (name, m) in models {
            if m.as_map().is_none() {
                return Err(Error::at(
                    m.span,
                    &kp(&["models", &name.name]),
                    format!("must be a mapping, found {}", m.kind_name()),
                )
                .with_help("describe the model as a mapping: `{model: ai/smollm2}`"));
            }
        }
    }
    if let Some(volumes) = root.get("volumes").and_then(Node::as_map) {
        for (name, v) in volumes {
            if v.get("external").and_then(Node::as_bool) != Some(true) {
                continue;
            }
            if let Some(m) = v.as_map()
                && let Some((k, _)) = m.iter().find(|(k, _)| {
                    !matches!(k.name.as_str(), "name" | "external") && !k.name.starts_with("x-")
                })
            {
                return Err(Error::at(
                    k.span,
                    &kp(&["volumes", &name.name]),
                    format!("conflicting parameters \"external\" and {:?} specified", k.name),
                )
                .with_help("an external volume is created outside Compose: keep only `name` and `external`"));
            }
        }
    }
    for (section, keys) in [
        ("secrets", &["file", "environment"][..]),
        ("configs", &["file", "environment", "content"][..]),
    ] {
        let Some(entries) = root.get(section).and_then(Node::as_map) else {
            continue;
        };
        for (name, e) in entries {
            let p = kp(&[section, &name.name]);
            let given: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|k| e.get(k).is_some())
                .collect();
            if given.len() > 1 {
                return Err(Error::at(
                    e.span,
                    &p,
                    format!("{} attributes are mutually exclusive", keys.join("|")),
                )
                .with_help(format!("keep only one of {}", given.join(", "))));
            }
            // A secret's `driver` is no source: Compose wants a file or a
            // variable unless the secret is external.
            let driven = section == "configs" && e.get("driver").is_some();
            if given.is_empty() && !driven && e.get("external").is_none() {
                return Err(Error::at(
                    e.span,
                    &p,
                    format!("one of {} must be set", keys.join("|")),
                )
                .with_help(format!(
                    "add `file: ./path` or `environment: VAR`, or mark the {} `external: true`",
                    &section[..section.len() - 1]
                )));
            }
            if section == "secrets" && e.get("content").is_some() {
                return Err(Error::at(
                    e.get("content").unwrap().span,
                    &p,
                    "content is not allowed for secrets",
                )
                .with_help("put the secret in a file (`file:`) or a variable (`environment:`)"));
            }
            if section == "configs" {
                for k in ["driver", "driver_opts"] {
                    if let Some((key, _)) = e.as_map().and_then(|m| m.get_key_value(k)) {
                        return Err(Error::at(key.span, &p, format!("unknown key `{k}`"))
                            .with_help("configs do not take a driver"));
                    }
                }
            }
        }
    }
    Ok(())
}

/// `always|never|build|if_not_present|missing|refresh|daily|weekly|every_<duration>`.
fn valid_pull_policy(p: &str) -> bool {
    const FIXED: [&str; 8] = [
        "always",
        "never",
        "build",
        "if_not_present",
        "missing",
        "refresh",
        "daily",
        "weekly",
    ];
    if FIXED.contains(&p) {
        return true;
    }
    // every_ followed by one or more <digits><unit> groups.
    let Some(rest) = p.strip_prefix("every_") else {
        return false;
    };
    let mut chars = rest.chars().peekable();
    let mut groups = 0;
    while chars.peek().is_some() {
        let mut digits = 0;
        while chars.peek().is_some_and(char::is_ascii_digit) {
            chars.next();
            digits += 1;
        }
        if digits == 0 || !chars.next().is_some_and(|c| "wdhms".contains(c)) {
            return false;
        }
        groups += 1;
    }
    groups > 0
}

/// Keep the services whose profiles are active; remember the others.
pub fn apply_profiles(
    project: &mut Project,
    profiles: &[String],
    _warnings: &mut Vec<String>,
) -> Result<()> {
    if profiles.iter().any(|p| p == "*") {
        return Ok(());
    }
    // Move disabled services out in place (services are large; no rebuild).
    let disabled: Vec<String> = project
        .services
        .iter()
        .filter(|(_, s)| !s.profiles.is_empty() && !s.profiles.iter().any(|p| profiles.contains(p)))
        .map(|(n, _)| n.clone())
        .collect();
    for name in disabled {
        if let Some(s) = project.services.shift_remove(&name) {
            project.disabled_services.insert(name, s);
        }
    }
    Ok(())
}

/// References between services and resources, and dependency cycles.
pub fn check_consistency(project: &Project, root: &Node) -> Result<()> {
    let mut names: Vec<&String> = project.services.keys().collect();
    names.sort();
    for name in &names {
        let s = &project.services[name.as_str()];
        let n = name.as_str();
        if s.build.is_none() && s.image.is_empty() && s.provider.is_none() {
            return Err(err_at(
                root,
                &["services", n],
                format!("service {n:?} has neither an image nor a build context specified"),
                "add `image:` (or `build:`) to the service",
            ));
        }
        if let Some(b) = &s.build
            && !b.dockerfile_inline.is_empty()
            && !b.dockerfile.is_empty()
            && root
                .get("services")
                .and_then(|x| x.get(n))
                .and_then(|x| x.get("build"))
                .and_then(|b| b.get("dockerfile"))
                .is_some()
        {
            return Err(err_at(
                root,
                &["services", n, "build"],
                format!(
                    "service {n:?} declares mutually exclusive dockerfile and dockerfile_inline"
                ),
                "keep only one of `dockerfile` and `dockerfile_inline`",
            ));
        }
        if !s.network_mode.is_empty() && root_has(root, &["services", n, "networks"]) {
            return Err(err_at(
                root,
                &["services", n, "network_mode"],
                format!("service {n} declares mutually exclusive `network_mode` and `networks`"),
                "remove either `network_mode` or `networks`",
            ));
        }
        check_service_rules(project, s, n, root)?;
        for net in s.networks.keys() {
            if !project.networks.contains_key(net) {
                return Err(err_at(
                    root,
                    &["services", n, "networks", net],
                    format!("service {n:?} refers to undefined network {net}"),
                    format!("declare `{net}` under the top-level `networks:` section"),
                ));
            }
        }
        for (i, v) in s.volumes.iter().enumerate() {
            if v.kind == "volume"
                && !v.source.is_empty()
                && !project.volumes.contains_key(&v.source)
            {
                return Err(Error::at(
                    span_at_index(root, &["services", n, "volumes"], i),
                    &kp(&["services", n, "volumes"]).index(i),
                    format!("service {n:?} refers to undefined volume {}", v.source),
                )
                .with_help(format!(
                    "declare `{}` under the top-level `volumes:` section, or use a path (./{}) for a bind mount",
                    v.source, v.source
                )));
            }
        }
        let refs = [
            ("secrets", "secret", &s.secrets, &project.secrets),
            ("configs", "config", &s.configs, &project.configs),
        ];
        for (field, what, list, defined) in refs {
            for (i, r) in list.iter().enumerate() {
                if !defined.contains_key(&r.source) {
                    return Err(Error::at(
                        span_at_index(root, &["services", n, field], i),
                        &kp(&["services", n, field]).index(i),
                        format!("service {n:?} refers to undefined {what} {}", r.source),
                    )
                    .with_help(format!(
                        "declare `{}` under the top-level `{field}:` section",
                        r.source
                    )));
                }
            }
        }
        if let Some(b) = &s.build {
            for r in &b.secrets {
                if !project.secrets.contains_key(&r.source) {
                    return Err(err_at(
                        root,
                        &["services", n, "build", "secrets"],
                        format!(
                            "service {n:?} refers to undefined build secret {}",
                            r.source
                        ),
                        format!(
                            "declare `{}` under the top-level `secrets:` section",
                            r.source
                        ),
                    ));
                }
            }
        }
        if let Some(hc) = &s.healthcheck
            && let Some(first) = hc.test.first()
            && !["CMD", "CMD-SHELL", "NONE"].contains(&first.as_str())
        {
            return Err(err_at(
                root,
                &["services", n, "healthcheck", "test"],
                r#"healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE""#,
                "write the test as [\"CMD\", \"curl\", \"-f\", \"http://localhost\"] or as a shell string",
            ));
        }
        distinct_values(s, n, root)?;
        let mut mounts: BTreeMap<String, String> = BTreeMap::new();
        for (i, t) in s.tmpfs.iter().enumerate() {
            let loc = format!("services.{n}.tmpfs[{i}]");
            let path = t.split(':').next().unwrap_or(t).to_string();
            if let Some(prev) = mounts.get(&path) {
                return Err(err_at(
                    root,
                    &["services", n, "tmpfs"],
                    format!("{loc}: target {path} already mounted as {prev}"),
                    "mount each path only once",
                ));
            }
            mounts.insert(path, loc);
        }
        for (i, v) in s.volumes.iter().enumerate() {
            let loc = format!("services.{n}.volumes[{i}]");
            if let Some(prev) = mounts.get(&v.target) {
                return Err(Error::at(
                    span_at_index(root, &["services", n, "volumes"], i),
                    &kp(&["services", n, "volumes"]).index(i),
                    format!("target {} already mounted as {prev}", v.target),
                )
                .with_help("mount each path only once"));
            }
            mounts.insert(v.target.clone(), loc);
        }
        for (dep, cfg) in &s.depends_on {
            if project.services.contains_key(dep) {
                continue;
            }
            if project.disabled_services.contains_key(dep) && !cfg.required {
                continue;
            }
            let why = if project.disabled_services.contains_key(dep) {
                format!(
                    "`{dep}` is disabled by its profiles; enable them with --profile or COMPOSE_PROFILES"
                )
            } else {
                format!("define a service named `{dep}`, or fix the name")
            };
            return Err(err_at(
                root,
                &["services", n, "depends_on", dep],
                format!("service {n:?} depends on undefined service {dep:?}"),
                why,
            ));
        }
    }
    check_cycles(project, root)
}

/// Rules Compose checks on a loaded service: a fixed container name runs
/// one container, a build for several platforms includes the service's
/// own, and every model a service uses is declared.
fn check_service_rules(project: &Project, s: &Service, n: &str, root: &Node) -> Result<()> {
    let replicas = s
        .deploy
        .as_ref()
        .and_then(|d| d.replicas)
        .or(s.scale)
        .unwrap_or(1);
    if !s.container_name.is_empty() && replicas > 1 {
        return Err(err_at(
            root,
            &["services", n, "container_name"],
            format!(
                "service {n:?} sets container_name {:?} and {replicas} replicas: a container name must be unique",
                s.container_name
            ),
            "remove `container_name`, or run one replica",
        ));
    }
    if let Some(b) = &s.build
        && !s.platform.is_empty()
        && !b.platforms.is_empty()
        && !b.platforms.contains(&s.platform)
    {
        return Err(err_at(
            root,
            &["services", n, "build", "platforms"],
            format!(
                "build.platforms must include the service's platform {:?}",
                s.platform
            ),
            format!("add {:?} to `build.platforms`", s.platform),
        ));
    }
    for model in s.models.keys() {
        if !project.models.contains_key(model) {
            return Err(err_at(
                root,
                &["services", n, "models", model],
                format!("service {n:?} refers to undefined model {model}"),
                format!("declare `{model}` under the top-level `models:` section"),
            ));
        }
    }
    Ok(())
}

fn root_has(root: &Node, path: &[&str]) -> bool {
    let mut node = root;
    for k in path {
        match node.get(k) {
            Some(n) => node = n,
            None => return false,
        }
    }
    true
}

fn span_at_index(root: &Node, path: &[&str], i: usize) -> Span {
    let mut node = root;
    for k in path {
        match node.get(k) {
            Some(n) => node = n,
            None => return node.span,
        }
    }
    node.as_seq()
        .and_then(|s| s.get(i))
        .map(|n| n.span)
        .unwrap_or(node.span)
}

fn distinct_values(s: &Service, n: &str, root: &Node) -> Result<()> {
    let Some(deploy) = &s.deploy else {
        return Ok(());
    };
    let conflict = |a: &str, b: &str| {
        err_at(
            root,
            &["services", n],
            format!("services.{n}: can't set distinct values on '{a}' and '{b}'"),
            format!("set only one of `{a}` and `{b}`, or give them the same value"),
        )
    };
    if let (Some(scale), Some(replicas)) = (s.scale, deploy.replicas)
        && scale != replicas
    {
        return Err(conflict("scale", "deploy.replicas"));
    }
    let limits = deploy.resources.limits.as_ref();
    if !s.cpus.is_zero() && limits.is_some_and(|l| l.cpus != s.cpus) {
        return Err(conflict("cpus", "deploy.resources.limits.cpus"));
    }
    if !s.mem_limit.is_zero() && limits.is_some_and(|l| l.memory != s.mem_limit) {
        return Err(conflict("mem_limit", "deploy.resources.limits.memory"));
    }
    let reservations = deploy.resources.reservations.as_ref();
    if !s.mem_reservation.is_zero() && reservations.is_some_and(|r| r.memory != s.mem_reservation) {
        return Err(conflict(
            "mem_reservation",
            "deploy.resources.reservations.memory",
        ));
    }
    if s.pids_limit != 0 && limits.is_some_and(|l| l.pids != s.pids_limit) {
        return Err(conflict("pids_limit", "deploy.resources.limits.pids"));
    }
    Ok(())
}

fn check_cycles(project: &Project, root: &Node) -> Result<()> {
    let mut names: Vec<&String> = project.services.keys().collect();
    names.sort();
    let mut done = HashSet::new();
    for n in names {
        if let Some(cycle) = find_cycle(n, project, &mut done) {
            // `network_mode: service:X` implies depending on X: name the key
            // the user wrote.
            let shares = |from: &str, to: &str| {
                project.services[from].network_mode.strip_prefix("service:") == Some(to)
            };
            let by_network = cycle.windows(2).all(|w| shares(&w[0], &w[1]));
            let (key, help) = if by_network {
                (
                    "network_mode",
                    "let one of them own the network: remove its `network_mode`",
                )
            } else {
                (
                    "depends_on",
                    "remove one of the `depends_on` entries forming the cycle",
                )
            };
            return Err(err_at(
                root,
                &["services", &cycle[0], key],
                format!(
                    "dependency cycle detected: {}",
                    shortened(&cycle).join(" -> ")
                ),
                help,
            ));
        }
    }
    Ok(())
}

/// A long cycle names its first and last few services and how many lie
/// between, so that the message stays readable.
fn shortened(cycle: &[String]) -> Vec<String> {
    if cycle.len() <= 12 {
        return cycle.to_vec();
    }
    let mut out = cycle[..5].to_vec();
    out.push(format!("… {} more …", cycle.len() - 10));
    out.extend_from_slice(&cycle[cycle.len() - 5..]);
    out
}

/// Depth-first search from `start` with an explicit stack (a long chain of
/// `depends_on` must not exhaust the call stack); the first cycle in name
/// order, if any. `done` keeps the services known to lead to none.
fn find_cycle<'a>(
    start: &'a str,
    project: &'a Project,
    done: &mut HashSet<&'a str>,
) -> Option<Vec<String>> {
    let deps_of = |name: &str| -> Vec<&'a String> {
        let mut deps: Vec<&String> = project
            .services
            .get_key_value(name)
            .map(|(_, s)| s.depends_on.keys().collect())
            .unwrap_or_default();
        deps.sort();
        deps
    };
    if done.contains(start) {
        return None;
    }
    // (service, its dependencies, the next one to visit), and where each
    // service on the stack sits.
    let mut stack: Vec<(&'a str, Vec<&'a String>, usize)> = vec![(start, deps_of(start), 0)];
    let mut on_stack: HashMap<&'a str, usize> = HashMap::from([(start, 0)]);
    while let Some((name, deps, next)) = stack.last_mut() {
        let Some(dep) = deps.get(*next).map(|d| d.as_str()) else {
            done.insert(name);
            on_stack.remove(*name);
            stack.pop();
            continue;
        };
        *next += 1;
        if let Some(&pos) = on_stack.get(dep) {
            let mut cycle: Vec<String> =
                stack[pos..].iter().map(|(s, _, _)| s.to_string()).collect();
            cycle.push(dep.to_string());
            return Some(cycle);
        }
        if !done.contains(dep) {
            on_stack.insert(dep, stack.len());
            stack.push((dep, deps_of(dep), 0));
        }
    }
    None
}

struct Chain<'a> {
    first: &'a BTreeMap<String, Option<String>>,
    then: &'a Environment,
}

impl Lookup for Chain<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        match self.first.get(name) {
            Some(Some(v)) => Some(v),
            _ => self.then.get(name),
        }
    }
}

/// Read each service's `env_file`s into its environment (explicit
/// `environment` entries win) and drop the `env_file` list, as Compose does.
pub fn resolve_env_files(project: &mut Project, env: &Environment, root: &Node) -> Result<()> {
    for (name, service) in project.services.iter_mut() {
        if service.env_file.is_empty() {
            continue;
        }
        let mut from_files: BTreeMap<String, Option<String>> = BTreeMap::new();
        for (i, f) in service.env_file.iter().enumerate() {
            let path = std::path::Path::new(&f.path);
            let loc = kp(&["services", name, "env_file"]).index(i);
            let span = span_at_index(root, &["services", name, "env_file"], i);
            let text = match crate::read::read_text(path, crate::read::ENV_FILE) {
                Ok(t) => t,
                Err(e) if e.missing && !f.required => continue,
                Err(e) if e.missing => {
                    return Err(
                        Error::at(span, &loc, format!("env file {} not found", f.path)).with_help(
                            "create the file, fix the path, or mark it `required: false`",
                        ),
                    );
                }
                Err(e) => return Err(Error::at(span, &loc, e.message).with_help(e.help)),
            };
            let vars = if f.format == "raw" {
                text.lines()
                    .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                    .map(|l| match l.split_once('=') {
                        Some((k, v)) => (k.to_string(), v.to_string()),
                        None => (l.to_string(), String::new()),
                    })
                    .collect()
            } else {
                let lookup = Chain {
                    first: &from_files,
                    then: env,
                };
                parse_dotenv(&text, &lookup).map_err(|(line, msg)| {
                    Error::at(span, &loc, format!("{}: line {line}: {msg}", f.path))
                        .with_help("each line must be KEY=VALUE, a bare KEY, or a # comment")
                })?
            };
            for (k, v) in vars {
                from_files.insert(k, Some(v));
            }
        }
        // Explicit entries win, even an unresolved `KEY` (which stays unset).
        for (k, v) in std::mem::take(&mut service.environment) {
            from_files.insert(k, v);
        }
        service.environment = from_files;
        service.env_file.clear();
    }
    Ok(())
}

/// Read each service's `label_file`s into its labels (explicit `labels` win)
/// and drop the `label_file` list, as Compose does.
pub fn resolve_label_files(project: &mut Project, env: &Environment, root: &Node) -> Result<()> {
    for (name, service) in project.services.iter_mut() {
        if service.label_file.is_empty() {
            continue;
        }
        let mut labels = BTreeMap::new();
        for (i, file) in service.label_file.iter().enumerate() {
            let loc = kp(&["services", name, "label_file"]).index(i);
            let span = span_at_index(root, &["services", name, "label_file"], i);
            let text = crate::read::read_text(std::path::Path::new(file), crate::read::LABEL_FILE)
                .map_err(|e| Error::at(span, &loc, e.message).with_help(e.help))?;
            let vars = parse_dotenv(&text, env).map_err(|(line, msg)| {
                Error::at(span, &loc, format!("{file}: line {line}: {msg}"))
                    .with_help("each line must be KEY=VALUE or a # comment")
            })?;
            labels.extend(vars);
        }
        labels.extend(std::mem::take(&mut service.labels));
        service.labels = labels;
        service.label_file.clear();
    }
    Ok(())
}

/// Drop networks, volumes, secrets and configs no enabled service uses.
pub fn drop_unused_resources(project: &mut Project) {
    let mut networks = HashSet::new();
    let mut volumes = HashSet::new();
    let mut secrets = HashSet::new();
    let mut configs = HashSet::new();
    for s in project.services.values() {
        networks.extend(s.networks.keys().cloned());
        for v in &s.volumes {
            if v.kind == "volume" && !v.source.is_empty() {
                volumes.insert(v.source.clone());
            }
        }
        secrets.extend(s.secrets.iter().map(|r| r.source.clone()));
        if let Some(b) = &s.build {
            secrets.extend(b.secrets.iter().map(|r| r.source.clone()));
        }
        configs.extend(s.configs.iter().map(|r| r.source.clone()));
    }
    project.networks.retain(|k, _| networks.contains(k));
    project.volumes.retain(|k, _| volumes.contains(k));
    project.secrets.retain(|k, _| secrets.contains(k));
    project.configs.retain(|k, _| configs.contains(k));
}

/// Restrict the project to `names` and their dependencies (like
/// `docker compose config web`); named services are enabled even when their
/// profiles are not active.
pub fn select_services(project: &mut Project, names: &[String]) -> Result<()> {
    let mut wanted: Vec<String> = Vec::new();
    let mut queue: Vec<String> = names.to_vec();
    while let Some(n) = queue.pop() {
        if wanted.contains(&n) {
            continue;
        }
        let service = match project.services.get(&n) {
            Some(s) => s,
            None => match project.disabled_services.get(&n) {
                Some(s) if names.contains(&n) => s,
                _ => {
                    return Err(Error::new(format!("no such service: {n}"))
                        .with_help("check the service name (see `config --services`)"));
                }
            },
        };
        queue.extend(service.depends_on.keys().cloned());
        wanted.push(n);
    }
    for n in &wanted {
        if let Some(s) = project.disabled_services.shift_remove(n) {
            project.services.insert(n.clone(), s);
        }
    }
    let all = std::mem::take(&mut project.services);
    for (n, s) in all {
        if wanted.contains(&n) {
            project.services.insert(n, s);
        } else {
            project.disabled_services.insert(n, s);
        }
    }
    drop_unused_resources(project);
    Ok(())
}
