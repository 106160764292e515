//! Merging Compose files (and `extends`) with the Compose Specification's rules.
//!
//! Both sides are already canonical (see [`crate::canonical`]). Mappings merge
//! key by key, scalars are replaced, sequences are appended, except for the
//! fields the specification singles out: `command`, `entrypoint` and
//! `healthcheck.test` are replaced, ports/volumes/secrets/configs/expose are
//! de-duplicated by their identity, `logging` merges only for the same driver.
//! `!reset` removes an inherited value and `!override` replaces it whole.

use crate::error::{Error, Result};
use crate::node::{KeyPath, Map, Node, Tag, Value};

/// Merge `over` into `base` (the later file wins).
pub fn merge(base: &mut Node, over: Node, path: &KeyPath) -> Result<()> {
    match over.tag {
        Tag::Override => {
            *base = Node {
                tag: Tag::None,
                ..over
            };
            return Ok(());
        }
        Tag::Reset => {
            // The caller removes reset keys; a reset at the root means "empty".
            *base = Node::null(over.span);
            return Ok(());
        }
        Tag::None => {}
    }
    if over.is_null() {
        // An explicit null never erases an inherited value.
        return Ok(());
    }
    if is_replaced(path) {
        *base = over;
        return Ok(());
    }
    if path.matches(&["services", "*", "logging"]) && logging_driver_differs(base, &over) {
        *base = over;
        return Ok(());
    }
    if path.matches(&["services", "*", "ulimits", "*"])
        && !(base.as_map().is_some() && over.as_map().is_some())
    {
        *base = over;
        return Ok(());
    }
    if path.matches(&["networks", "*", "ipam", "config"]) {
        return merge_ipam_config(base, over, path);
    }
    let over_kind = over.kind_name();
    match (&mut base.value, over.value) {
        (Value::Map(b), Value::Map(o)) => merge_maps(b, *o, path),
        (Value::Seq(b), Value::Seq(o)) => {
            b.extend(o);
            if let Some(identity) = identity_for(path) {
                dedup(b, identity);
            } else if path.matches(&["services", "*", "extra_hosts"])
                || path.matches(&["services", "*", "build", "extra_hosts"])
            {
                dedup_exact(b);
            }
            Ok(())
        }
        (Value::Null, v) => {
            base.value = v;
            base.span = over.span;
            settle(base);
            Ok(())
        }
        (Value::Map(_), _) | (Value::Seq(_), _) => Err(Error::at(
            over.span,
            path,
            format!("cannot override a {} with {over_kind}", kind(&base.value)),
        )
        .with_help(
            "an override must use the same shape (mapping or list) as the value it overrides",
        )),
        (_, v) => {
            base.value = v;
            base.span = over.span;
            Ok(())
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Map(_) => "mapping",
        Value::Seq(_) => "list",
        _ => "scalar",
    }
}

pub fn merge_maps(base: &mut Map, over: Map, path: &KeyPath) -> Result<()> {
    for (k, v) in over {
        let p = path.key(&k.name);
        if v.tag == Tag::Reset {
            base.shift_remove(k.name.as_str());
            continue;
        }
        match base.get_mut(k.name.as_str()) {
            Some(existing) => merge(existing, v, &p)?,
            None => {
                let mut v = v;
                settle(&mut v);
                base.insert(k, v);
            }
        }
    }
    Ok(())
}

/// A value with nothing under it to merge into: `!reset` entries inside
/// it remove themselves (as in a single file) and tags are spent. The
/// recursion is as deep as the YAML, which the parser bounds.
fn settle(node: &mut Node) {
    node.tag = Tag::None;
    match &mut node.value {
        Value::Map(m) => {
            m.retain(|_, v| v.tag != Tag::Reset);
            m.values_mut().for_each(settle);
        }
        Value::Seq(items) => items.iter_mut().for_each(settle),
        _ => {}
    }
}

fn is_replaced(path: &KeyPath) -> bool {
    path.matches(&["services", "*", "command"])
        || path.matches(&["services", "*", "entrypoint"])
        || path.matches(&["services", "*", "healthcheck", "test"])
}

fn logging_driver_differs(base: &Node, over: &Node) -> bool {
    match (
        base.get("driver").and_then(Node::as_str),
        over.get("driver").and_then(Node::as_str),
    ) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    }
}

#[derive(Clone, Copy)]
enum Identity {
    Port,
    Target,
    SecretTarget,
    ConfigTarget,
    Text,
}

fn identity_for(path: &KeyPath) -> Option<Identity> {
    let field = |f: &str| path.matches(&["services", "*", f]);
    if field("ports") {
        Some(Identity::Port)
    } else if field("volumes") {
        Some(Identity::Target)
    } else if field("secrets") {
        Some(Identity::SecretTarget)
    } else if field("configs") {
        Some(Identity::ConfigTarget)
    } else if field("expose") {
        Some(Identity::Text)
    } else {
        None
    }
}

fn identity_key(node: &Node, identity: Identity) -> String {
    let s = |k: &str| node.get(k).and_then(Node::scalar_string);
    match identity {
        Identity::Port => format!(
            "{}:{}:{}/{}",
            s("host_ip").unwrap_or_else(|| "0.0.0.0".into()),
            s("published").unwrap_or_default(),
            s("target").unwrap_or_default(),
            s("protocol").unwrap_or_else(|| "tcp".into())
        ),
        Identity::Target => s("target").unwrap_or_default(),
        Identity::SecretTarget => s("target")
            .unwrap_or_else(|| format!("/run/secrets/{}", s("source").unwrap_or_default())),
        Identity::ConfigTarget => {
            s("target").unwrap_or_else(|| format!("/{}", s("source").unwrap_or_default()))
        }
        Identity::Text => node.scalar_string().unwrap_or_default(),
    }
}

/// Later entries replace earlier ones with the same identity, in place.
pub fn dedup_by_identity(items: &mut Vec<Node>, path: &KeyPath) {
    if let Some(identity) = identity_for(path) {
        dedup(items, identity);
    }
}

fn dedup(items: &mut Vec<Node>, identity: Identity) {
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out: Vec<Node> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        let k = identity_key(&item, identity);
        match index.get(&k) {
            Some(&j) => out[j] = item,
            None => {
                index.insert(k, out.len());
                out.push(item);
            }
        }
    }
    *items = out;
}

fn dedup_exact(items: &mut Vec<Node>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|n| seen.insert(n.scalar_string().unwrap_or_default()));
}

fn merge_ipam_config(base: &mut Node, over: Node, path: &KeyPath) -> Result<()> {
    let (Some(b), Value::Seq(o)) = (base.as_seq_mut(), over.value) else {
        return Err(Error::at(base.span, path, "must be a list of subnets"));
    };
    for entry in o {
        let subnet = entry.get("subnet").and_then(Node::scalar_string);
        match b
            .iter()
            .position(|e| e.get("subnet").and_then(Node::scalar_string) == subnet)
        {
            Some(i) => merge(&mut b[i], entry, &path.index(i))?,
            None => b.push(entry),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_str;

    fn merged(a: &str, b: &str) -> serde_json::Value {
        let mut base = parse_str(a).unwrap().unwrap();
        let over = parse_str(b).unwrap().unwrap();
        merge(&mut base, over, &KeyPath::root()).unwrap();
        base.to_json()
    }

    #[test]
    fn maps_merge_scalars_replace_lists_append() {
        let m = merged("a: {x: 1, l: [1]}\nb: 1", "a: {y: 2, l: [2]}\nb: 2");
        assert_eq!(
            m,
            serde_json::json!({"a": {"x": 1, "l": [1, 2], "y": 2}, "b": 2})
        );
    }

    #[test]
    fn reset_and_override_tags() {
        let m = merged("a: {x: 1}\nb: [1]", "a: !override {y: 2}\nb: !reset []");
        assert_eq!(m, serde_json::json!({"a": {"y": 2}}));
    }

    #[test]
    fn null_keeps_base() {
        assert_eq!(merged("a: 1", "a: null"), serde_json::json!({"a": 1}));
    }
}
