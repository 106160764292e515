//! Short syntax → long syntax, on the node tree, before files are merged.
//!
//! After this pass every list-or-map field is in one shape, so merging,
//! `extends` and the typed model each deal with one form only. Each transform
//! checks the shape it rewrites and reports a precise error otherwise.

use crate::error::{Error, Result};
use crate::node::{Key, KeyPath, Map, Node, Span, Tag, Value};
use crate::syntax;

fn type_error(node: &Node, path: &KeyPath, expected: &str) -> Error {
    Error::at(
        node.span,
        path,
        format!("must be {expected}, found {}", node.kind_name()),
    )
    .with_help(format!("write `{}` as {expected}", path))
}

/// Keep the tag of the original node on its rewritten replacement.
fn replace(node: &mut Node, value: Value) {
    node.value = value;
}

fn key(name: &str, span: Span) -> Key {
    Key::new(name, span)
}

/// Canonicalise one file's top-level mapping in place.
pub fn canonicalize(root: &mut Node) -> Result<()> {
    let path = KeyPath::root();
    let Some(map) = root.as_map_mut() else {
        return Ok(());
    };
    if let Some(services) = map.get_mut("services") {
        let sp = path.key("services");
        match &mut services.value {
            Value::Map(services) => {
                for (name, service) in services.iter_mut() {
                    let p = sp.key(&name.name);
                    if service.is_null() {
                        service.value = Value::Map(Box::default());
                    }
                    if service.as_map().is_none() {
                        return Err(type_error(service, &p, "a mapping"));
                    }
                    canonical_service(service, &p)?;
                }
            }
            Value::Null => {}
            _ => return Err(type_error(services, &sp, "a mapping of services")),
        }
    }
    for section in ["networks", "volumes", "secrets", "configs"] {
        if let Some(sec) = map.get_mut(section) {
            let sp = path.key(section);
            match &mut sec.value {
                Value::Map(entries) => {
                    for (name, entry) in entries.iter_mut() {
                        let ep = sp.key(&name.name);
                        maybe_external(entry, &ep)?;
                        if let Some(labels) = entry.get_mut("labels") {
                            list_or_dict(labels, &ep.key("labels"), Some(""), '=')?;
                        }
                    }
                }
                Value::Null => {}
                _ => return Err(type_error(sec, &sp, "a mapping")),
            }
        }
    }
    if let Some(include) = map.get_mut("include") {
        canonical_include(include, &path.key("include"))?;
    }
    Ok(())
}

/// `external: {name: x}` (legacy) → `external: true` + `name: x`; null → `{}`.
fn maybe_external(node: &mut Node, path: &KeyPath) -> Result<()> {
    match &mut node.value {
        Value::Null => {
            node.value = Value::Map(Box::default());
            Ok(())
        }
        Value::Map(m) => {
            let legacy_name = match m.get("external").map(|e| &e.value) {
                Some(Value::Map(ext)) => Some(ext.get("name").cloned()),
                _ => None,
            };
            if let Some(name) = legacy_name {
                let span = m.get("external").map(|e| e.span).unwrap_or(Span::NONE);
                m.insert(key("external", span), Node::bool(true, span));
                if let Some(name) = name {
                    if m.contains_key("name") {
                        return Err(Error::at(
                            span,
                            &path.key("external").key("name"),
                            "conflicts with `name`",
                        )
                        .with_help("remove the deprecated `external.name` and keep `name`"));
                    }
                    m.insert(key("name", name.span), name);
                }
            }
            Ok(())
        }
        _ => Err(type_error(node, path, "a mapping")),
    }
}

fn canonical_include(node: &mut Node, path: &KeyPath) -> Result<()> {
    let Some(items) = node.as_seq_mut() else {
        return Err(type_error(node, path, "a list"));
    };
    for (i, item) in items.iter_mut().enumerate() {
        let p = path.index(i);
        match &mut item.value {
            Value::Str(s) => {
                let span = item.span;
                let mut m = Map::new();
                m.insert(
                    key("path", span),
                    Node::seq(vec![Node::str(std::mem::take(s), span)], span),
                );
                replace(item, Value::Map(Box::new(m)));
            }
            Value::Map(m) => {
                for field in ["path", "env_file"] {
                    if let Some(v) = m.get_mut(field) {
                        string_or_list(v, &p.key(field))?;
                    }
                }
            }
            _ => return Err(type_error(item, &p, "a path or a mapping")),
        }
    }
    Ok(())
}

/// `"x"` → `["x"]`.
fn string_or_list(node: &mut Node, path: &KeyPath) -> Result<()> {
    match &node.value {
        Value::Str(_) => {
            let span = node.span;
            let single = std::mem::replace(node, Node::null(span));
            let tag = single.tag;
            *node = Node::seq(
                vec![Node {
                    tag: Tag::None,
                    ..single
                }],
                span,
            );
            node.tag = tag;
            Ok(())
        }
        Value::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                if it.as_str().is_none() {
                    return Err(type_error(it, &path.index(i), "a string"));
                }
            }
            Ok(())
        }
        Value::Null => Ok(()),
        _ => Err(type_error(node, path, "a string or a list of strings")),
    }
}

/// A list of `KEY=VALUE` (or `KEY`) strings, or a mapping → mapping.
/// `bare` is the value given to a bare `KEY`: null for environment (resolved
/// later from the shell), "" for labels.
fn list_or_dict(node: &mut Node, path: &KeyPath, bare: Option<&str>, sep: char) -> Result<()> {
    match &mut node.value {
        Value::Map(m) => {
            for (k, v) in m.iter_mut() {
                match &v.value {
                    Value::Null => {
                        if let Some(b) = bare
                            && bare_applies_to_maps(path)
                        {
                            v.value = Value::Str(b.to_string());
                        }
                    }
                    Value::Str(_) => {}
                    Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                        v.value = Value::Str(v.scalar_string().unwrap_or_default());
                    }
                    _ => {
                        return Err(type_error(
                            v,
                            &path.key(&k.name),
                            "a string, number, boolean or null",
                        ));
                    }
                }
            }
            Ok(())
        }
        Value::Seq(items) => {
            let mut m = Map::new();
            for (i, item) in items.iter().enumerate() {
                let Some(text) = item.as_str().map(str::to_string) else {
                    return Err(type_error(item, &path.index(i), "a `KEY=VALUE` string"));
                };
                let (k, v) = match text.split_once(sep) {
                    Some((k, v)) => (k.to_string(), Node::str(v, item.span)),
                    None => (
                        text.clone(),
                        match bare {
                            Some(b) => Node::str(b, item.span),
                            None => Node::null(item.span),
                        },
                    ),
                };
                // A later entry wins but keeps the first entry's position.
                if let Some(existing) = m.get_mut(k.as_str()) {
                    *existing = v;
                } else {
                    m.insert(key(&k, item.span), v);
                }
            }
            node.value = Value::Map(Box::new(m));
            Ok(())
        }
        Value::Null => Ok(()),
        _ => Err(type_error(
            node,
            path,
            "a mapping or a list of `KEY=VALUE` strings",
        )),
    }
}

/// In mapping form, Compose keeps `null` for labels-like fields as an empty string
/// only where the model type is a plain string map.
fn bare_applies_to_maps(path: &KeyPath) -> bool {
    !matches!(
        path.segment(path.len() - 1),
        Some("environment") | Some("args")
    )
}

fn canonical_service(service: &mut Node, path: &KeyPath) -> Result<()> {
    let map = service.as_map_mut().expect("checked by caller");
    for (k, v) in map.iter_mut() {
        let p = path.key(&k.name);
        // `key: !reset` removes the key when files merge; its value, if
        // any, has no shape to check.
        if v.tag == Tag::Reset {
            continue;
        }
        match k.name.as_str() {
            "build" => canonical_build(v, &p)?,
            "depends_on" => canonical_depends_on(v, &p)?,
            "env_file" => canonical_env_file(v, &p)?,
            "label_file" | "dns_search" | "tmpfs" => string_or_list(v, &p)?,
            // An entry that interpolated to nothing is no server.
            "dns" => {
                string_or_list(v, &p)?;
                if let Some(items) = v.as_seq_mut() {
                    items.retain(|i| i.as_str() != Some(""));
                }
            }
            "develop" => canonical_develop(v, &p)?,
            // `models: [a, b]` is `models: {a: null, b: null}`.
            "models" => {
                if let Value::Seq(items) = &v.value {
                    let mut m = Map::new();
                    for (i, item) in items.iter().enumerate() {
                        let Some(name) = item.as_str() else {
                            return Err(type_error(item, &p.index(i), "a model name"));
                        };
                        m.insert(key(name, item.span), Node::null(item.span));
                    }
                    v.value = Value::Map(Box::new(m));
                }
            }
            "post_start" | "pre_stop" => {
                for (i, hook) in v.as_seq_mut().into_iter().flatten().enumerate() {
                    if let Some(env) = hook.get_mut("environment") {
                        list_or_dict(env, &p.index(i).key("environment"), None, '=')?;
                    }
                }
            }
            "extends" => {
                if let Value::Str(s) = &mut v.value {
                    let span = v.span;
                    let mut m = Map::new();
                    m.insert(key("service", span), Node::str(std::mem::take(s), span));
                    replace(v, Value::Map(Box::new(m)));
                }
            }
            "networks" => {
                if let Value::Seq(items) = &v.value {
                    let mut m = Map::new();
                    for (i, item) in items.iter().enumerate() {
                        let Some(name) = item.as_str() else {
                            return Err(type_error(item, &p.index(i), "a network name"));
                        };
                        m.insert(key(name, item.span), Node::null(item.span));
                    }
                    v.value = Value::Map(Box::new(m));
                }
            }
            // `gpus: all` is one request for every GPU.
            "gpus" if v.as_str() == Some("all") => {
                let span = v.span;
                let mut m = Map::new();
                m.insert(key("count", span), Node::int(-1, span));
                v.value = Value::Seq(vec![Node::map(m, span)]);
            }
            "gpus" => v.as_seq_mut().into_iter().flatten().for_each(count_all),
            "volumes" => {
                canonical_volumes(v, &p)?;
                for (i, vol) in v.as_seq_mut().into_iter().flatten().enumerate() {
                    if let Some(labels) = vol.get_mut("volume").and_then(|x| x.get_mut("labels")) {
                        list_or_dict(
                            labels,
                            &p.index(i).key("volume").key("labels"),
                            Some(""),
                            '=',
                        )?;
                    }
                }
            }
            "devices" => canonical_devices(v, &p)?,
            "secrets" | "configs" => canonical_file_refs(v, &p)?,
            "ports" => canonical_ports(v, &p)?,
            "expose" => {
                if let Value::Seq(items) = &mut v.value {
                    for (i, item) in items.iter_mut().enumerate() {
                        match &item.value {
                            Value::Int(n) => item.value = Value::Str(n.to_string()),
                            Value::Str(_) => {}
                            _ => return Err(type_error(item, &p.index(i), "a port or range")),
                        }
                    }
                }
            }
            "environment" => list_or_dict(v, &p, None, '=')?,
            "labels" | "annotations" => list_or_dict(v, &p, Some(""), '=')?,
            "sysctls" => list_or_dict(v, &p, Some(""), '=')?,
            "extra_hosts" => canonical_extra_hosts(v, &p)?,
            "command" | "entrypoint" => canonical_command(v, &p)?,
            "healthcheck" => {
                if let Some(test) = v.get_mut("test")
                    && let Value::Str(s) = &test.value
                {
                    let span = test.span;
                    let s = s.clone();
                    test.value = Value::Seq(vec![Node::str("CMD-SHELL", span), Node::str(s, span)]);
                }
            }
            "deploy" => {
                if let Some(labels) = v.get_mut("labels") {
                    list_or_dict(labels, &p.key("labels"), Some(""), '=')?;
                }
                let devices = v
                    .get_mut("resources")
                    .and_then(|r| r.get_mut("reservations"))
                    .and_then(|r| r.get_mut("devices"))
                    .and_then(Node::as_seq_mut);
                devices.into_iter().flatten().for_each(count_all);
            }
            "ulimits" => {
                if let Some(m) = v.as_map() {
                    for (name, lim) in m {
                        match &lim.value {
                            Value::Int(_) | Value::Map(_) => {}
                            _ => {
                                return Err(type_error(
                                    lim,
                                    &p.key(&name.name),
                                    "an integer or a `{soft, hard}` mapping",
                                ));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn canonical_build(v: &mut Node, p: &KeyPath) -> Result<()> {
    match &mut v.value {
        Value::Null => Ok(()),
        Value::Str(s) => {
            let span = v.span;
            let mut m = Map::new();
            m.insert(key("context", span), Node::str(std::mem::take(s), span));
            replace(v, Value::Map(Box::new(m)));
            Ok(())
        }
        Value::Map(m) => {
            for (k, field) in m.iter_mut() {
                let fp = p.key(&k.name);
                match k.name.as_str() {
                    "args" => list_or_dict(field, &fp, None, '=')?,
                    "labels" => list_or_dict(field, &fp, Some(""), '=')?,
                    "additional_contexts" => list_or_dict(field, &fp, Some(""), '=')?,
                    "extra_hosts" => canonical_extra_hosts(field, &fp)?,
                    "secrets" => canonical_file_refs(field, &fp)?,
                    "cache_from" | "cache_to" | "tags" | "platforms" => {}
                    // `true` is the string "true" in the model.
                    "sbom" | "provenance" => {
                        if let Value::Bool(b) = field.value {
                            field.value = Value::Str(b.to_string());
                        }
                    }
                    "ssh" => canonical_ssh(field, &fp)?,
                    _ => {}
                }
            }
            Ok(())
        }
        _ => Err(type_error(v, p, "a path or a mapping")),
    }
}

/// `build.ssh` as a list of `default` or `ID=PATH`; a mapping's entries
/// become `ID=PATH` (`ID` alone for an empty path).
fn canonical_ssh(field: &mut Node, p: &KeyPath) -> Result<()> {
    if let Value::Map(m) = &field.value {
        let list = m
            .iter()
            .map(|(id, path)| {
                let path = path.scalar_string().unwrap_or_default();
                let entry = if path.is_empty() {
                    id.name.clone()
                } else {
                    format!("{}={path}", id.name)
                };
                Node::str(entry, id.span)
            })
            .collect();
        field.value = Value::Seq(list);
    }
    let Some(items) = field.as_seq() else {
        return Err(type_error(field, p, "a list of `default` or `ID=PATH`"));
    };
    for (i, item) in items.iter().enumerate() {
        let Some(text) = item.as_str() else {
            return Err(type_error(item, &p.index(i), "`default` or `ID=PATH`"));
        };
        if !text.contains('=') && text != "default" {
            return Err(
                Error::at(item.span, &p.index(i), format!("invalid ssh key {text:?}")).with_help(
                    format!("write `default`, or `{text}=PATH` with the key or socket to use"),
                ),
            );
        }
    }
    Ok(())
}

fn canonical_depends_on(v: &mut Node, p: &KeyPath) -> Result<()> {
    let span = v.span;
    let default_dep = |span: Span| {
        let mut d = Map::new();
        d.insert(key("condition", span), Node::str("service_started", span));
        d.insert(key("required", span), Node::bool(true, span));
        Node::map(d, span)
    };
    match &mut v.value {
        Value::Seq(items) => {
            let mut m = Map::new();
            for (i, item) in items.iter().enumerate() {
                let Some(name) = item.as_str() else {
                    return Err(type_error(item, &p.index(i), "a service name"));
                };
                m.insert(key(name, item.span), default_dep(item.span));
            }
            v.value = Value::Map(Box::new(m));
        }
        Value::Map(m) => {
            for (name, dep) in m.iter_mut() {
                let dp = p.key(&name.name);
                let Some(d) = dep.as_map_mut() else {
                    return Err(type_error(dep, &dp, "a mapping with a `condition`"));
                };
                if !d.contains_key("condition") {
                    return Err(Error::at(dep.span, &dp, "missing required key `condition`")
                        .with_help("add `condition: service_started` (or service_healthy, service_completed_successfully)"));
                }
                if !d.contains_key("required") {
                    d.insert(key("required", span), Node::bool(true, span));
                }
            }
        }
        _ => return Err(type_error(v, p, "a list or a mapping of services")),
    }
    Ok(())
}

fn canonical_env_file(v: &mut Node, p: &KeyPath) -> Result<()> {
    let to_entry = |item: &mut Node, ip: &KeyPath| -> Result<()> {
        match &mut item.value {
            Value::Str(s) => {
                let span = item.span;
                let mut m = Map::new();
                m.insert(key("path", span), Node::str(std::mem::take(s), span));
                m.insert(key("required", span), Node::bool(true, span));
                item.value = Value::Map(Box::new(m));
                Ok(())
            }
            Value::Map(m) => {
                if !m.contains_key("required") {
                    m.insert(key("required", item.span), Node::bool(true, item.span));
                }
                Ok(())
            }
            _ => Err(type_error(
                item,
                ip,
                "a path or a `{path, required, format}` mapping",
            )),
        }
    };
    match &mut v.value {
        Value::Str(_) => {
            string_or_list(v, p)?;
            to_entry(&mut v.as_seq_mut().unwrap()[0], &p.index(0))
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                to_entry(item, &p.index(i))?;
            }
            Ok(())
        }
        _ => Err(type_error(v, p, "a path or a list")),
    }
}

fn canonical_volumes(v: &mut Node, p: &KeyPath) -> Result<()> {
    let Some(items) = v.as_seq_mut() else {
        return Err(type_error(v, p, "a list"));
    };
    for (i, item) in items.iter_mut().enumerate() {
        let ip = p.index(i);
        match &item.value {
            Value::Map(_) => {}
            Value::Str(s) => {
                let spec = syntax::parse_volume(s).map_err(|e| {
                    Error::at(item.span, &ip, e)
                        .with_help("volume short syntax is `[SOURCE:]TARGET[:ro|rw]`")
                })?;
                let sp = item.span;
                let mut m = Map::new();
                m.insert(key("type", sp), Node::str(spec.kind, sp));
                if !spec.source.is_empty() {
                    m.insert(key("source", sp), Node::str(&spec.source, sp));
                }
                let target = if spec.target.is_empty() {
                    String::new()
                } else {
                    syntax::clean_path(&spec.target)
                };
                m.insert(key("target", sp), Node::str(target, sp));
                if spec.read_only {
                    m.insert(key("read_only", sp), Node::bool(true, sp));
                }
                if spec.kind == "bind" {
                    let mut b = Map::new();
                    if !spec.propagation.is_empty() {
                        b.insert(key("propagation", sp), Node::str(&spec.propagation, sp));
                    }
                    if !spec.selinux.is_empty() {
                        b.insert(key("selinux", sp), Node::str(&spec.selinux, sp));
                    }
                    b.insert(key("create_host_path", sp), Node::bool(true, sp));
                    m.insert(key("bind", sp), Node::map(b, sp));
                } else {
                    let mut vol = Map::new();
                    if spec.nocopy {
                        vol.insert(key("nocopy", sp), Node::bool(true, sp));
                    }
                    m.insert(key("volume", sp), Node::map(vol, sp));
                }
                item.value = Value::Map(Box::new(m));
            }
            _ => return Err(type_error(item, &ip, "a volume string or a mapping")),
        }
    }
    Ok(())
}

fn canonical_devices(v: &mut Node, p: &KeyPath) -> Result<()> {
    let Some(items) = v.as_seq_mut() else {
        return Err(type_error(v, p, "a list"));
    };
    for (i, item) in items.iter_mut().enumerate() {
        if let Value::Str(s) = &item.value {
            let parts: Vec<&str> = s.split(':').collect();
            let (src, tgt, perm) = match parts.as_slice() {
                [a] => (*a, *a, "rwm"),
                [a, b] => (*a, *b, "rwm"),
                [a, b, c] => (*a, *b, *c),
                _ => {
                    return Err(Error::at(
                        item.span,
                        &p.index(i),
                        format!("confusing device mapping, please use long syntax: {s}"),
                    )
                    .with_help("write the device as `{source, target, permissions}`"));
                }
            };
            let sp = item.span;
            let mut m = Map::new();
            m.insert(key("source", sp), Node::str(src, sp));
            m.insert(key("target", sp), Node::str(tgt, sp));
            m.insert(key("permissions", sp), Node::str(perm, sp));
            item.value = Value::Map(Box::new(m));
        }
    }
    Ok(())
}

fn canonical_file_refs(v: &mut Node, p: &KeyPath) -> Result<()> {
    let Some(items) = v.as_seq_mut() else {
        return Err(type_error(v, p, "a list"));
    };
    for (i, item) in items.iter_mut().enumerate() {
        match &mut item.value {
            Value::Str(s) => {
                let sp = item.span;
                let mut m = Map::new();
                m.insert(key("source", sp), Node::str(std::mem::take(s), sp));
                item.value = Value::Map(Box::new(m));
            }
            Value::Map(_) => {}
            _ => return Err(type_error(item, &p.index(i), "a name or a mapping")),
        }
    }
    Ok(())
}

fn canonical_ports(v: &mut Node, p: &KeyPath) -> Result<()> {
    let Some(items) = v.as_seq_mut() else {
        return Err(type_error(v, p, "a list"));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in std::mem::take(items).into_iter().enumerate() {
        let ip = p.index(i);
        let sp = item.span;
        match &item.value {
            Value::Int(n) => {
                let mut m = Map::new();
                m.insert(key("target", sp), Node::int(*n, sp));
                out.push(Node::map(m, sp));
            }
            Value::Str(s) => {
                let specs = syntax::parse_port(s).map_err(|e| {
                    Error::at(sp, &ip, e).with_help(
                        "port short syntax is `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`",
                    )
                })?;
                for spec in specs {
                    let mut m = Map::new();
                    m.insert(key("mode", sp), Node::str("ingress", sp));
                    if !spec.host_ip.is_empty() {
                        m.insert(key("host_ip", sp), Node::str(spec.host_ip, sp));
                    }
                    m.insert(key("target", sp), Node::int(spec.target as i64, sp));
                    if !spec.published.is_empty() {
                        m.insert(key("published", sp), Node::str(spec.published, sp));
                    }
                    m.insert(key("protocol", sp), Node::str(spec.protocol, sp));
                    out.push(Node::map(m, sp));
                }
            }
            Value::Map(_) => {
                let mut item = item;
                if let Some(published) = item.get_mut("published")
                    && let Value::Int(n) = published.value
                {
                    published.value = Value::Str(n.to_string());
                }
                out.push(item);
            }
            _ => return Err(type_error(&item, &ip, "a port string, number or mapping")),
        }
    }
    *items = out;
    Ok(())
}

fn canonical_extra_hosts(v: &mut Node, p: &KeyPath) -> Result<()> {
    match &mut v.value {
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let Some(s) = item.as_str() else {
                    return Err(type_error(item, &p.index(i), "a `HOST=IP` string"));
                };
                // `host:ip` is accepted too; IPv6 addresses contain colons, so
                // only the first `:` separates when no `=` is present.
                if !s.contains('=')
                    && let Some((h, ip)) = s.split_once(':')
                {
                    item.value = Value::Str(format!("{h}={ip}"));
                }
            }
            split_host_addresses(items);
            Ok(())
        }
        Value::Map(m) => {
            let mut list = Vec::new();
            for (host, ips) in m.iter() {
                match &ips.value {
                    Value::Seq(many) => {
                        for ip in many {
                            list.push(Node::str(
                                format!("{}={}", host.name, ip.scalar_string().unwrap_or_default()),
                                ip.span,
                            ));
                        }
                    }
                    _ => list.push(Node::str(
                        format!("{}={}", host.name, ips.scalar_string().unwrap_or_default()),
                        ips.span,
                    )),
                }
            }
            split_host_addresses(&mut list);
            v.value = Value::Seq(list);
            Ok(())
        }
        Value::Null => Ok(()),
        _ => Err(type_error(v, p, "a list or a mapping")),
    }
}

/// `host=1.2.3.4,5.6.7.8` is one entry per address.
fn split_host_addresses(items: &mut Vec<Node>) {
    if !items
        .iter()
        .any(|i| i.as_str().is_some_and(|s| s.contains(',')))
    {
        return;
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        match item.as_str().and_then(|s| s.split_once('=')) {
            Some((host, ips)) if ips.contains(',') => {
                for ip in ips.split(',') {
                    out.push(Node::str(format!("{host}={ip}"), item.span));
                }
            }
            _ => out.push(item),
        }
    }
    *items = out;
}

/// A device request without `count` or `device_ids` takes every device
/// (`count: -1`).
fn count_all(request: &mut Node) {
    let span = request.span;
    if let Some(m) = request.as_map_mut()
        && !m.contains_key("count")
        && !m.contains_key("device_ids")
    {
        m.insert(key("count", span), Node::int(-1, span));
    }
}

/// `develop.watch[]`: `include` and `ignore` may be one pattern.
fn canonical_develop(v: &mut Node, p: &KeyPath) -> Result<()> {
    let Some(watch) = v.get_mut("watch").and_then(Node::as_seq_mut) else {
        return Ok(());
    };
    for (i, trigger) in watch.iter_mut().enumerate() {
        for field in ["include", "ignore"] {
            if let Some(f) = trigger.get_mut(field) {
                string_or_list(f, &p.key("watch").index(i).key(field))?;
            }
        }
    }
    Ok(())
}

fn canonical_command(v: &mut Node, p: &KeyPath) -> Result<()> {
    match &v.value {
        Value::Str(s) => {
            let words = shlex::split(s).ok_or_else(|| {
                Error::at(
                    v.span,
                    p,
                    format!("cannot split {s:?} into arguments (unbalanced quotes)"),
                )
                .with_help("close the quote, or give the command as a list")
            })?;
            let span = v.span;
            v.value = Value::Seq(words.into_iter().map(|w| Node::str(w, span)).collect());
            Ok(())
        }
        Value::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                if it.scalar_string().is_none() {
                    return Err(type_error(it, &p.index(i), "a string"));
                }
            }
            Ok(())
        }
        Value::Null => Ok(()),
        _ => Err(type_error(v, p, "a string or a list of strings")),
    }
}
