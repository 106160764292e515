//! Printing a project the way `docker compose config` does, as JSON or YAML.

use crate::model::Project;
use serde_json::{Map, Value};

const EXT: &str = crate::de::EXTENSIONS_FIELD;

/// The project as `docker compose config --format json` prints it.
pub fn to_json_value(project: &Project) -> Value {
    let raw = serde_json::to_value(project).expect("the model always serializes");
    let Value::Object(mut obj) = raw else {
        unreachable!("a project serializes to an object")
    };
    let mut top: Vec<(String, Value)> = Vec::new();
    top.push(("name".into(), obj.remove("name").unwrap_or(Value::Null)));
    top.push(("services".into(), sorted(obj.remove("services"))));
    for section in ["networks", "volumes", "secrets", "configs", "models"] {
        let v = sorted(obj.remove(section));
        if v.as_object().is_some_and(|m| !m.is_empty()) {
            top.push((section.into(), v));
        }
    }
    if let Some(Value::Object(ext)) = obj.remove(EXT) {
        top.extend(ext);
    }
    top.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Map<String, Value> = top.into_iter().collect();
    // Extensions below the top level are not part of the JSON model.
    for v in out.values_mut() {
        strip_extensions(v);
    }
    if let Some(Value::Object(secrets)) = out.get_mut("secrets") {
        for s in secrets.values_mut() {
            if let Value::Object(m) = s {
                m.remove("content");
            }
        }
    }
    let mut value = Value::Object(out);
    escape_dollars(&mut value);
    value
}

/// Pretty JSON text, with a trailing newline like Compose.
pub fn to_json(project: &Project) -> String {
    let mut s = serde_json::to_string_pretty(&to_json_value(project)).expect("valid JSON");
    s.push('\n');
    s
}

/// The project as `docker compose config` prints it in YAML.
pub fn to_yaml_value(project: &Project) -> Value {
    let raw = serde_json::to_value(project).expect("the model always serializes");
    let Value::Object(mut obj) = raw else {
        unreachable!("a project serializes to an object")
    };
    let mut out = Map::new();
    out.insert("name".into(), obj.remove("name").unwrap_or(Value::Null));
    out.insert("services".into(), sorted(obj.remove("services")));
    for section in ["networks", "volumes", "secrets", "configs", "models"] {
        let v = sorted(obj.remove(section));
        if v.as_object().is_some_and(|m| !m.is_empty()) {
            out.insert(section.into(), v);
        }
    }
    if let Some(Value::Object(ext)) = obj.remove(EXT) {
        for (k, v) in ext {
            out.insert(k, v);
        }
    }
    let mut value = Value::Object(out);
    inline_extensions(&mut value);
    yaml_omissions(&mut value);
    escape_dollars(&mut value);
    value
}

pub fn to_yaml(project: &Project) -> String {
    crate::emit::to_string(&to_yaml_value(project))
}

fn sorted(v: Option<Value>) -> Value {
    match v {
        Some(Value::Object(m)) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        Some(other) => other,
        None => Value::Object(Map::new()),
    }
}

fn strip_extensions(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove(EXT);
            for x in m.values_mut() {
                strip_extensions(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_extensions),
        _ => {}
    }
}

fn inline_extensions(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(ext)) = m.remove(EXT) {
                for (k, x) in ext {
                    m.insert(k, x);
                }
            }
            for x in m.values_mut() {
                inline_extensions(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(inline_extensions),
        _ => {}
    }
}

/// YAML output differs from JSON where Compose's YAML encoder does: unset
/// commands and empty embedded structures are omitted, ulimits always show
/// both limits, and untagged fields are lower-cased.
fn yaml_omissions(v: &mut Value) {
    if let Some(Value::Object(services)) = v.get_mut("services") {
        for s in services.values_mut() {
            let Value::Object(s) = s else { continue };
            for k in ["command", "entrypoint"] {
                if s.get(k).is_some_and(Value::is_null) {
                    s.remove(k);
                }
            }
            if let Some(Value::Object(limits)) = s.get_mut("ulimits") {
                for l in limits.values_mut() {
                    if let Value::Object(m) = l {
                        let soft = m.get("soft").cloned().unwrap_or(Value::from(0));
                        let hard = m.get("hard").cloned().unwrap_or(Value::from(0));
                        *m = Map::from_iter([
                            ("soft".to_string(), soft),
                            ("hard".to_string(), hard),
                        ]);
                    }
                }
            }
            if let Some(Value::Array(watch)) = s.get_mut("develop").and_then(|d| d.get_mut("watch"))
            {
                for w in watch.iter_mut() {
                    if let Some(Value::Object(w)) = Some(w)
                        && w.get("exec").is_some_and(|e| {
                            e.as_object()
                                .is_some_and(|e| e.len() == 1 && e["command"].is_null())
                        })
                    {
                        w.remove("exec");
                    }
                }
            }
            if let Some(Value::Object(blkio)) = s.get_mut("blkio_config") {
                for list in blkio.values_mut() {
                    for dev in list.as_array_mut().into_iter().flatten() {
                        if let Value::Object(d) = dev {
                            *d = std::mem::take(d)
                                .into_iter()
                                .map(|(k, v)| (k.to_lowercase(), v))
                                .collect();
                        }
                    }
                }
            }
            if let Some(Value::Object(d)) = s.get_mut("deploy") {
                for k in ["resources", "placement"] {
                    if d.get(k)
                        .is_some_and(|x| x.as_object().is_some_and(Map::is_empty))
                    {
                        d.remove(k);
                    }
                }
            }
        }
    }
    if let Some(Value::Object(nets)) = v.get_mut("networks") {
        for n in nets.values_mut() {
            if let Value::Object(n) = n
                && n.get("ipam")
                    .is_some_and(|x| x.as_object().is_some_and(Map::is_empty))
            {
                n.remove("ipam");
            }
        }
    }
}

/// Compose escapes `$` in its output, keys included, so the result can be
/// loaded again.
fn escape_dollars(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
        Value::Object(m) => {
            if m.keys().any(|k| k.contains('$')) {
                let entries = std::mem::take(m);
                *m = entries
                    .into_iter()
                    .map(|(k, v)| (k.replace('$', "$$"), v))
                    .collect();
            }
            m.values_mut().for_each(escape_dollars)
        }
        Value::Array(a) => a.iter_mut().for_each(escape_dollars),
        _ => {}
    }
}
