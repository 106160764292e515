//! After the merge: defaults, absolute paths, environment lookup and the
//! normalisation Compose applies (implicit `default` network, resource names,
//! dependencies implied by links and shared namespaces).

use crate::env::Environment;
use crate::node::{Key, Map, Node, Span, Value};
use crate::options::join;
use std::path::Path;

fn k(name: &str) -> Key {
    Key::new(name, Span::NONE)
}

fn services(root: &mut Node) -> impl Iterator<Item = (&Key, &mut Node)> {
    root.get_mut("services")
        .and_then(Node::as_map_mut)
        .into_iter()
        .flat_map(|m| m.iter_mut())
}

/// Defaults that must apply to the merged result, not to each file.
pub fn apply_defaults(root: &mut Node) {
    for (_, service) in services(root) {
        let Some(s) = service.as_map_mut() else {
            continue;
        };
        if let Some(build) = s.get_mut("build").and_then(Node::as_map_mut) {
            if !build.contains_key("context") {
                build.insert(k("context"), Node::str(".", Span::NONE));
            }
            if !build.contains_key("dockerfile") && !build.contains_key("dockerfile_inline") {
                build.insert(k("dockerfile"), Node::str("Dockerfile", Span::NONE));
            }
        }
        if let Some(ports) = s.get_mut("ports").and_then(Node::as_seq_mut) {
            for port in ports {
                if let Some(p) = port.as_map_mut() {
                    if !p.contains_key("mode") {
                        p.insert(k("mode"), Node::str("ingress", Span::NONE));
                    }
                    if !p.contains_key("protocol") {
                        p.insert(k("protocol"), Node::str("tcp", Span::NONE));
                    }
                }
            }
        }
        if let Some(secrets) = s.get_mut("secrets").and_then(Node::as_seq_mut) {
            for secret in secrets {
                if let Some(m) = secret.as_map_mut()
                    && !m.contains_key("target")
                    && let Some(src) = m.get("source").and_then(Node::scalar_string)
                {
                    m.insert(
                        k("target"),
                        Node::str(format!("/run/secrets/{src}"), Span::NONE),
                    );
                }
            }
        }
    }
}

fn is_remote_context(v: &str) -> bool {
    v.contains("://")
        || v.starts_with("service:")
        || [
            "https://",
            "http://",
            "git://",
            "ssh://",
            "github.com/",
            "git@",
        ]
        .iter()
        .any(|p| v.starts_with(p))
}

fn home_dir() -> String {
    std::env::var("HOME").unwrap_or_default()
}

fn abs(v: &str, base: &Path) -> String {
    if let Some(rest) = v.strip_prefix('~') {
        return join(Path::new(&home_dir()), rest.trim_start_matches('/'));
    }
    // Like Go's filepath: absolute paths are kept verbatim, relative ones
    // joined and cleaned. A Windows path (`C:\data`, `z:/`, `\\host\share`)
    // is absolute too, as Compose reads it on any system.
    if v.starts_with('/') || is_windows_absolute(v) {
        return v.to_string();
    }
    join(base, v)
}

fn is_windows_absolute(v: &str) -> bool {
    let b = v.as_bytes();
    v.starts_with("\\\\")
        || (b.len() >= 3
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && matches!(b[2], b'\\' | b'/'))
}

fn abs_node(node: &mut Node, base: &Path) {
    if let Value::Str(s) = &mut node.value {
        *s = abs(s, base);
    }
}

fn abs_context(node: &mut Node, base: &Path) {
    if let Value::Str(s) = &node.value
        && !is_remote_context(s)
    {
        abs_node(node, base);
    }
}

/// Make one service's relative paths absolute against `base`.
pub fn resolve_service_paths(service: &mut Node, base: &Path) {
    let Some(s) = service.as_map_mut() else {
        return;
    };
    if let Some(build) = s.get_mut("build").and_then(Node::as_map_mut) {
        if let Some(ctx) = build.get_mut("context") {
            abs_context(ctx, base);
        }
        // `ID=PATH` keys are paths on this machine.
        if let Some(keys) = build.get_mut("ssh").and_then(Node::as_seq_mut) {
            for k in keys {
                if let Value::Str(s) = &mut k.value
                    && let Some((id, path)) = s.split_once('=')
                {
                    *s = format!("{id}={}", abs(path, base));
                }
            }
        }
        if let Some(extra) = build
            .get_mut("additional_contexts")
            .and_then(Node::as_map_mut)
        {
            for (_, v) in extra.iter_mut() {
                abs_context(v, base);
            }
        }
    }
    if let Some(files) = s.get_mut("env_file").and_then(Node::as_seq_mut) {
        for f in files {
            if let Some(p) = f.get_mut("path") {
                abs_node(p, base);
            }
        }
    }
    if let Some(files) = s.get_mut("label_file").and_then(Node::as_seq_mut) {
        for f in files {
            abs_node(f, base);
        }
    }
    if let Some(watch) = s
        .get_mut("develop")
        .and_then(|d| d.get_mut("watch"))
        .and_then(Node::as_seq_mut)
    {
        for w in watch {
            if let Some(p) = w.get_mut("path") {
                abs_node(p, base);
            }
        }
    }
    if let Some(volumes) = s.get_mut("volumes").and_then(Node::as_seq_mut) {
        for v in volumes {
            let is_bind = v.get("type").and_then(Node::as_str) == Some("bind");
            if is_bind && let Some(src) = v.get_mut("source") {
                abs_node(src, base);
            }
        }
    }
}

/// Make every relative path of the project absolute against its working directory.
pub fn resolve_paths(root: &mut Node, base: &Path) {
    for (_, service) in services(root) {
        resolve_service_paths(service, base);
    }
    for section in ["secrets", "configs"] {
        if let Some(m) = root.get_mut(section).and_then(Node::as_map_mut) {
            for (_, v) in m.iter_mut() {
                if let Some(f) = v.get_mut("file") {
                    abs_node(f, base);
                }
            }
        }
    }
    if let Some(m) = root.get_mut("volumes").and_then(Node::as_map_mut) {
        for (_, v) in m.iter_mut() {
            let local_bind = v.get("driver").and_then(Node::as_str) == Some("local")
                && v.get("driver_opts")
                    .and_then(|o| o.get("o"))
                    .and_then(Node::as_str)
                    == Some("bind");
            if local_bind
                && let Some(dev) = v.get_mut("driver_opts").and_then(|o| o.get_mut("device"))
            {
                abs_node(dev, base);
            }
        }
    }
}

/// `environment: [VAR]` (no value) takes VAR from the project environment when set.
pub fn resolve_environment(root: &mut Node, env: &Environment) {
    let fill = |map: &mut Map| {
        for (key, value) in map.iter_mut() {
            if value.is_null()
                && let Some(v) = env.get(&key.name)
            {
                value.value = Value::Str(v.to_string());
            }
        }
    };
    for (_, service) in services(root) {
        if let Some(m) = service.get_mut("environment").and_then(Node::as_map_mut) {
            fill(m);
        }
        if let Some(m) = service
            .get_mut("build")
            .and_then(|b| b.get_mut("args"))
            .and_then(Node::as_map_mut)
        {
            fill(m);
            // Unlike environment, a build arg with no value anywhere is dropped.
            m.retain(|_, v| !v.is_null());
        }
    }
}

fn dependency(restart: bool) -> Node {
    let mut d = Map::new();
    d.insert(k("condition"), Node::str("service_started", Span::NONE));
    if restart {
        d.insert(k("restart"), Node::bool(true, Span::NONE));
    }
    d.insert(k("required"), Node::bool(true, Span::NONE));
    Node::map(d, Span::NONE)
}

/// Compose's normalisation of the merged model.
pub fn normalize(root: &mut Node, project: &str) {
    let mut uses_default = false;
    for (_, service) in services(root) {
        let Some(s) = service.as_map_mut() else {
            continue;
        };
        if s.get("pull_policy").and_then(Node::as_str) == Some("if_not_present") {
            s.insert(k("pull_policy"), Node::str("missing", Span::NONE));
        }
        if !s.contains_key("provider") && !s.contains_key("network_mode") {
            let nets = s.get("networks").and_then(Node::as_map);
            match nets {
                None => {
                    let mut m = Map::new();
                    m.insert(k("default"), Node::null(Span::NONE));
                    s.insert(k("networks"), Node::map(m, Span::NONE));
                    uses_default = true;
                }
                Some(m) if m.is_empty() => {
                    let mut m = Map::new();
                    m.insert(k("default"), Node::null(Span::NONE));
                    s.insert(k("networks"), Node::map(m, Span::NONE));
                    uses_default = true;
                }
                Some(m) => uses_default |= m.contains_key("default"),
            }
        }

        // Compose keeps extra hosts as a map by host name, so they print sorted.
        if let Some(hosts) = s.get_mut("extra_hosts").and_then(Node::as_seq_mut) {
            hosts.sort_by_cached_key(|h| {
                let text = h.scalar_string().unwrap_or_default();
                text.split_once('=')
                    .map(|(host, _)| host.to_string())
                    .unwrap_or(text)
            });
        }

        // Links, shared namespaces and volumes_from imply a dependency,
        // located where it is implied so that an undefined one points there.
        let mut implied: Vec<(String, bool, Span)> = Vec::new();
        if let Some(links) = s.get("links").and_then(Node::as_seq) {
            for l in links {
                let Some(text) = l.as_str() else { continue };
                let name = match text.split(':').collect::<Vec<_>>().as_slice() {
                    [a, _] => a.to_string(),
                    _ => text.to_string(),
                };
                implied.push((name, true, l.span));
            }
        }
        for ns in ["network_mode", "ipc", "pid", "uts", "cgroup"] {
            if let Some(node) = s.get(ns)
                && let Some(shared) = node.as_str().and_then(|v| v.strip_prefix("service:"))
            {
                implied.push((shared.to_string(), true, node.span));
            }
        }
        if let Some(vf) = s.get("volumes_from").and_then(Node::as_seq) {
            for v in vf {
                let Some(text) = v.as_str() else { continue };
                if !text.starts_with("container:") {
                    let name = text.split(':').next().unwrap_or(text).to_string();
                    implied.push((name, false, v.span));
                }
            }
        }
        if !implied.is_empty() {
            let deps = s
                .entry(k("depends_on"))
                .or_insert_with(|| Node::empty_map(Span::NONE));
            if let Some(d) = deps.as_map_mut() {
                for (name, restart, span) in implied {
                    if !d.contains_key(name.as_str()) {
                        let mut dep = dependency(restart);
                        dep.span = span;
                        d.insert(Key::new(name, span), dep);
                    }
                }
            }
        }
    }
    let root_map = root.as_map_mut().expect("root is a mapping");
    if uses_default {
        let nets = root_map
            .entry(k("networks"))
            .or_insert_with(|| Node::empty_map(Span::NONE));
        if nets.is_null() {
            *nets = Node::empty_map(Span::NONE);
        }
        if let Some(m) = nets.as_map_mut()
            && !m.contains_key("default")
        {
            m.insert(k("default"), Node::empty_map(Span::NONE));
        }
    }
    for section in ["networks", "volumes", "secrets", "configs"] {
        let Some(m) = root_map.get_mut(section).and_then(Node::as_map_mut) else {
            continue;
        };
        for (key, v) in m.iter_mut() {
            if v.is_null() {
                *v = Node::empty_map(Span::NONE);
            }
            let Some(entry) = v.as_map_mut() else {
                continue;
            };
            if entry.contains_key("name") {
                continue;
            }
            let external = entry.get("external").and_then(Node::as_bool) == Some(true);
            let name = if external {
                key.name.clone()
            } else {
                format!("{project}_{}", key.name)
            };
            entry.insert(k("name"), Node::str(name, Span::NONE));
        }
    }
}
