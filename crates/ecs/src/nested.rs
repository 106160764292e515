//! A project over CloudFormation's limits for one stack becomes a root stack
//! and child stacks (`AWS::CloudFormation::Stack`).
//!
//! The root keeps what services share (cluster, networks, load balancer, log
//! group, namespace, volumes several services mount); each child holds the
//! resources of the services in its bucket, under the same logical IDs. A
//! reference that crosses templates becomes a child parameter, filled by the
//! root from its own resources or from another child's outputs.
//!
//! Children are built as compact JSON, the form `up` uploads: each resource
//! is written once and only its references to the outside are rewritten
//! (see [`wire`]), which keeps a split of thousands of services fast.

mod wire;

use crate::cfn::{self, Resource, Template};
use crate::limits::{CHILD_STACK_BUCKETS, Counts};
use crate::two_threads;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use wire::{Wirer, Wiring};

/// The root parameter `up` fills with the URL of the project's bucket.
pub const TEMPLATES_URL: &str = "NestedTemplatesUrl";
/// Root metadata: child stack → its services, which the next `up` keeps.
pub const PLACEMENT_METADATA: &str = "DockerEcsChildStacks";

/// Service → the child stack holding it.
pub type Placement = BTreeMap<String, String>;

/// The child stack of a service that has none yet: its name's bucket.
pub fn bucket_of(service: &str) -> String {
    let h = crate::names::stable_hash(service.as_bytes());
    format!("Services{:02X}", h % CHILD_STACK_BUCKETS)
}

/// The placement a deployed root template records.
pub fn placement_of(root: &Value) -> Option<Placement> {
    let children = root["Metadata"][PLACEMENT_METADATA].as_object()?;
    let mut out = Placement::new();
    for (child, services) in children {
        for s in services.as_array().into_iter().flatten() {
            if let Some(s) = s.as_str() {
                out.insert(s.to_string(), child.clone());
            }
        }
    }
    Some(out)
}

/// The first 16 hex digits of the SHA-256 of a body.
pub fn content_hash(body: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The root and its children, ready to render.
#[derive(Debug, Clone)]
pub struct Split {
    pub root: Value,
    pub children: Vec<Child>,
    /// `depends_on` orderings (service, dependency) that cross child stacks
    /// in a cycle: CloudFormation cannot keep them.
    pub unordered: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Child {
    /// Its logical ID in the root (`Services3F`).
    pub id: String,
    pub services: Vec<String>,
    /// The template as compact JSON, the body `up` uploads, and the object
    /// name it goes under: named by its content, so the root changes
    /// exactly when it does.
    pub body: String,
    pub file: String,
    pub counts: Counts,
}

impl Child {
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.body).expect("child templates are JSON")
    }
}

/// A resource of a child: as converted, or as JSON when an overlay changed
/// it (or it was detached from a root group).
enum Item<'a> {
    Typed(&'a Resource),
    Edited(Value),
}

/// A child's resources as compact JSON (`"Id":{…},…`), with what they need
/// from the outside.
struct Wired {
    resources: String,
    ids: Vec<String>,
    wiring: Wiring,
}

struct Splitter<'a> {
    t: &'a Template,
    /// Logical ID → its child stack (root resources are absent).
    home: HashMap<&'a str, String>,
}

/// Split a converted template. `placement` keeps deployed services where
/// they are; `project` tags the child stacks.
pub fn split(
    t: &Template,
    placement: &Placement,
    overlay: Option<&Value>,
    project: &str,
) -> Result<Split, String> {
    let mut home = HashMap::new();
    for (id, owner) in &t.owners {
        let child = placement
            .get(owner)
            .cloned()
            .unwrap_or_else(|| bucket_of(owner));
        home.insert(id.as_str(), child);
    }
    let s = Splitter { t, home };
    // Overlays apply to each resource before the wiring, which sees what
    // they add or remove.
    let edits = overlay
        .and_then(|o| o.get("Resources"))
        .and_then(Value::as_object);
    let (root_resources, child_items) = s.resources(edits);
    let wired = s.write_all(child_items);
    let wirings: BTreeMap<String, &Wiring> =
        wired.iter().map(|(c, w)| (c.clone(), &w.wiring)).collect();
    let (order, unordered) = s.order(&wirings)?;
    let mut outputs: BTreeMap<&str, BTreeMap<String, Value>> = BTreeMap::new();
    for w in wirings.values() {
        for (other, name, value) in &w.exports {
            outputs
                .entry(other.as_str())
                .or_default()
                .insert(name.clone(), value.clone());
        }
    }
    let children = s.children(&wired, &outputs);
    let mut root = s.root_template(root_resources, &children, &wirings, &order, project)?;
    if let Some(o) = overlay.and_then(|o| rest_of(o, t)) {
        crate::overlay::apply(&mut root, &o);
    }
    s.check_root_names(&root)?;
    Ok(Split {
        root,
        children,
        unordered,
    })
}

/// What an overlay does beyond the template's resources: its other
/// sections, and the resources it adds, for the root.
fn rest_of(overlay: &Value, t: &Template) -> Option<Value> {
    let mut out = Map::new();
    for (section, v) in overlay.as_object()? {
        if section == "Resources" {
            let added: Map<String, Value> = v
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(id, _)| !t.resources.contains_key(id.as_str()))
                .map(|(id, r)| (id.clone(), r.clone()))
                .collect();
            if !added.is_empty() {
                out.insert(section.clone(), Value::Object(added));
            }
        } else {
            out.insert(section.clone(), v.clone());
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

type ChildItems<'a> = BTreeMap<String, BTreeMap<String, Item<'a>>>;

impl<'a> Splitter<'a> {
    /// Every resource in the root (as JSON) or in its child. A root group's
    /// inline egress rules to a child's group become rules of their own in
    /// that child: the root cannot name what its children create.
    fn resources(
        &self,
        edits: Option<&Map<String, Value>>,
    ) -> (BTreeMap<String, Value>, ChildItems<'a>) {
        let mut root = BTreeMap::new();
        let mut children: ChildItems = BTreeMap::new();
        let edit_of = |id: &str| edits.and_then(|e| e.get(id));
        let t = self.t;
        for id in t.sorted_ids() {
            let r = &t.resources[id];
            match (self.home.get(id.as_str()), edit_of(id)) {
                // `null` removes the resource.
                (_, Some(Value::Null)) => {}
                (Some(child), None) => {
                    children
                        .entry(child.clone())
                        .or_default()
                        .insert(id.clone(), Item::Typed(r));
                }
                (Some(child), Some(edit)) => {
                    let mut v = serde_json::to_value(r).expect("resources serialize");
                    crate::overlay::apply(&mut v, edit);
                    children
                        .entry(child.clone())
                        .or_default()
                        .insert(id.clone(), Item::Edited(v));
                }
                (None, edit) => {
                    let mut v = serde_json::to_value(r).expect("resources serialize");
                    if let Some(edit) = edit {
                        crate::overlay::apply(&mut v, edit);
                    }
                    for (at, rule_id, rule) in self.detach_egress(id, &mut v) {
                        match at {
                            Some(child) => {
                                children
                                    .entry(child)
                                    .or_default()
                                    .insert(rule_id, Item::Edited(rule));
                            }
                            None => {
                                root.insert(rule_id, rule);
                            }
                        }
                    }
                    root.insert(id.clone(), v);
                }
            }
        }
        (root, children)
    }

    fn detach_egress(&self, id: &str, v: &mut Value) -> Vec<(Option<String>, String, Value)> {
        fn dest(r: &Value) -> Option<&str> {
            wire::referenced(&r["DestinationSecurityGroupId"])
        }
        let Some(rules) = v
            .get_mut("Properties")
            .and_then(|p| p.get_mut("SecurityGroupEgress"))
        else {
            return vec![];
        };
        let Some(list) = rules.as_array() else {
            return vec![];
        };
        if !list
            .iter()
            .any(|r| dest(r).is_some_and(|d| self.home.contains_key(d)))
        {
            return vec![];
        }
        let mut out = Vec::new();
        for (i, rule) in list.iter().enumerate() {
            let to = dest(rule).map_or_else(|| format!("Cidr{}", i + 1), str::to_string);
            let proto = match rule["IpProtocol"].as_str().unwrap_or("-1") {
                "-1" => "All".to_string(),
                p => p[..1].to_uppercase() + &p[1..],
            };
            let port = rule["FromPort"]
                .as_i64()
                .map_or(String::new(), |p| p.to_string());
            let mut props = Map::new();
            props.insert("GroupId".into(), json!({"Fn::GetAtt": [id, "GroupId"]}));
            props.extend(
                rule.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
            let at = dest(rule).and_then(|d| self.home.get(d)).cloned();
            out.push((
                at,
                format!("{id}To{to}{proto}{port}"),
                json!({"Type": "AWS::EC2::SecurityGroupEgress", "Properties": props}),
            ));
        }
        // An inline rule nobody can use keeps AWS's allow-all rule away,
        // and never changes, so updates leave the separate rules alone.
        *rules = json!([{
            "IpProtocol": "-1",
            "CidrIp": "127.0.0.1/32",
            "Description": "No egress but the group's SecurityGroupEgress rules"
        }]);
        out
    }

    /// Every child's resources as compact JSON with their references to the
    /// outside rewritten, two children at a time.
    fn write_all(&self, children: ChildItems) -> BTreeMap<String, Wired> {
        two_threads::map(children.into_iter().collect(), |(child, items)| {
            let wired = self.write_child(&child, &items);
            (child, wired)
        })
        .into_iter()
        .collect()
    }

    /// One child's resources, each written once into the child's text and
    /// rewired on the way: no text per resource.
    fn write_child(&self, child: &str, items: &BTreeMap<String, Item>) -> Wired {
        let mine: BTreeSet<&str> = items.keys().map(String::as_str).collect();
        let mut w = Wirer {
            t: self.t,
            home: &self.home,
            child,
            mine: &mine,
            w: Wiring::default(),
        };
        let mut out = String::with_capacity(items.len() * 1024);
        let mut scratch = Vec::with_capacity(16 * 1024);
        for (i, (id, item)) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&json(id));
            out.push(':');
            scratch.clear();
            let (kind, condition, depends_on) = match item {
                Item::Typed(r) => {
                    // `{"Properties":…}` → `,"Properties":…}`.
                    serde_json::to_writer(&mut scratch, &Rest(r)).expect("resources serialize");
                    scratch[0] = b',';
                    (
                        json(r.type_name()),
                        r.condition.clone(),
                        r.depends_on.clone(),
                    )
                }
                Item::Edited(v) => edited_parts(v, &mut scratch),
            };
            out.push_str("{\"Type\":");
            out.push_str(&kind);
            if let Some(c) = condition {
                out.push_str(",\"Condition\":");
                out.push_str(&json(&c));
                w.w.conditions.insert(c);
            }
            let depends_on: Vec<String> = depends_on
                .into_iter()
                .filter(|d| w.keep_dependency(id, d))
                .collect();
            if !depends_on.is_empty() {
                out.push_str(",\"DependsOn\":");
                out.push_str(&json(&depends_on));
            }
            let rest = std::str::from_utf8(&scratch).expect("JSON is UTF-8");
            w.rewrite_into(rest, &mut out);
        }
        // Conditions read root parameters only, under their own names.
        for c in w.w.conditions.clone() {
            if let Some(expr) = self.t.conditions.get(&c) {
                w.rewrite_into(&json(expr), &mut String::new());
            }
        }
        Wired {
            resources: out,
            ids: items.keys().cloned().collect(),
            wiring: w.w,
        }
    }

    /// Each child's `DependsOn`: the children it reads from, then the
    /// `depends_on` orderings that keep the stacks acyclic. Returns the
    /// orderings left out, as (service, dependency).
    #[allow(clippy::type_complexity)]
    fn order(
        &self,
        wirings: &BTreeMap<String, &Wiring>,
    ) -> Result<(BTreeMap<String, BTreeSet<String>>, Vec<(String, String)>), String> {
        let mut after: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (child, w) in wirings {
            for other in &w.reads {
                if reaches(&after, other, child) {
                    return Err(format!(
                        "child stacks {child} and {other} would read each other's outputs"
                    ));
                }
                after
                    .entry(child.clone())
                    .or_default()
                    .insert(other.clone());
            }
        }
        // Reading outputs already orders the stacks: `DependsOn` adds the rest.
        let reads = after.clone();
        let mut unordered = Vec::new();
        for (child, w) in wirings {
            for (id, dep) in &w.waits {
                let other = &self.home[dep.as_str()];
                if other == child || after.get(child).is_some_and(|s| s.contains(other)) {
                    continue;
                }
                if reaches(&after, other, child) {
                    let name = |i: &str| self.t.owners.get(i).cloned().unwrap_or_default();
                    let pair = (name(id), name(dep));
                    if !unordered.contains(&pair) {
                        unordered.push(pair);
                    }
                    continue;
                }
                after
                    .entry(child.clone())
                    .or_default()
                    .insert(other.clone());
            }
        }
        unordered.sort();
        for (child, others) in &mut after {
            others.retain(|o| !reads.get(child).is_some_and(|r| r.contains(o)));
        }
        Ok((after, unordered))
    }

    /// The children's templates, two at a time.
    fn children(
        &self,
        wired: &BTreeMap<String, Wired>,
        outputs: &BTreeMap<&str, BTreeMap<String, Value>>,
    ) -> Vec<Child> {
        two_threads::map(wired.iter().collect(), |(id, w)| {
            self.child(id, w, outputs.get(id.as_str()))
        })
    }

    fn child(&self, id: &str, wired: &Wired, outputs: Option<&BTreeMap<String, Value>>) -> Child {
        let w = &wired.wiring;
        let mut body = String::with_capacity(wired.resources.len() + 4096);
        body.push_str("{\"AWSTemplateFormatVersion\":\"2010-09-09\",\"Description\":");
        body.push_str(&json(&format!("{} — child stack {id}", self.t.description)));
        if !w.params.is_empty() {
            let params: BTreeMap<&String, Value> = w
                .params
                .iter()
                .map(|(name, (_, kind))| {
                    (
                        name,
                        json!({"Type": kind, "Description": format!("{name} from the root stack")}),
                    )
                })
                .collect();
            body.push_str(",\"Parameters\":");
            body.push_str(&json(&params));
        }
        if !w.conditions.is_empty() {
            let conditions: BTreeMap<&String, &cfn::Expr> = w
                .conditions
                .iter()
                .filter_map(|c| Some((c, self.t.conditions.get(c)?)))
                .collect();
            body.push_str(",\"Conditions\":");
            body.push_str(&json(&conditions));
        }
        body.push_str(",\"Resources\":{");
        body.push_str(&wired.resources);
        body.push('}');
        if let Some(outputs) = outputs {
            let outputs: BTreeMap<&String, Value> = outputs
                .iter()
                .map(|(name, value)| {
                    (name, json!({"Description": format!("{name}, for other child stacks"), "Value": value}))
                })
                .collect();
            body.push_str(",\"Outputs\":");
            body.push_str(&json(&outputs));
        }
        body.push('}');
        let mut services: Vec<String> = wired
            .ids
            .iter()
            .filter_map(|rid| self.t.owners.get(rid).cloned())
            .collect();
        services.sort();
        services.dedup();
        Child {
            id: id.to_string(),
            services,
            file: format!("{id}-{}.json", content_hash(&body)),
            counts: Counts {
                resources: wired.ids.len(),
                parameters: w.params.len(),
                outputs: outputs.map_or(0, BTreeMap::len),
                bytes: body.len(),
            },
            body,
        }
    }

    fn root_template(
        &self,
        mut resources: BTreeMap<String, Value>,
        children: &[Child],
        wirings: &BTreeMap<String, &Wiring>,
        order: &BTreeMap<String, BTreeSet<String>>,
        project: &str,
    ) -> Result<Value, String> {
        for c in children {
            let w = &wirings[&c.id];
            let mut depends: BTreeSet<String> = w.root_order.clone();
            depends.extend(order.get(&c.id).into_iter().flatten().cloned());
            let params: Map<String, Value> = w
                .params
                .iter()
                .map(|(name, (value, _))| (name.clone(), value.clone()))
                .collect();
            let mut stack = Map::new();
            stack.insert("Type".into(), json!("AWS::CloudFormation::Stack"));
            if !depends.is_empty() {
                stack.insert("DependsOn".into(), json!(depends));
            }
            stack.insert(
                "Properties".into(),
                json!({
                    "Parameters": params,
                    "Tags": [{"Key": crate::convert::PROJECT_TAG, "Value": project}],
                    "TemplateURL": {"Fn::Sub": format!("${{{TEMPLATES_URL}}}/{}", c.file)},
                }),
            );
            resources.insert(c.id.clone(), Value::Object(stack));
        }
        let mut used = BTreeSet::new();
        for r in resources.values() {
            conditions_in(r, &mut used);
        }
        let outputs = serde_json::to_value(&self.t.outputs).expect("outputs serialize");
        conditions_in(&outputs, &mut used);
        let mut metadata: Map<String, Value> = self
            .t
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        metadata.insert(
            PLACEMENT_METADATA.into(),
            children
                .iter()
                .map(|c| (c.id.clone(), json!(c.services)))
                .collect(),
        );
        let mut parameters =
            serde_json::to_value(&self.t.parameters).expect("parameters serialize");
        parameters[TEMPLATES_URL] = json!({
            "Type": "String",
            "Description": "Where `docker ecs up` uploaded the child stacks' templates (https://BUCKET.s3.REGION.amazonaws.com/PREFIX)",
        });
        let conditions: Map<String, Value> = self
            .t
            .conditions
            .iter()
            .filter(|(c, _)| used.contains(*c))
            .map(|(c, e)| {
                (
                    c.clone(),
                    serde_json::to_value(e).expect("conditions serialize"),
                )
            })
            .collect();
        let mut t = Map::new();
        t.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        t.insert("Description".into(), json!(self.t.description));
        t.insert("Metadata".into(), Value::Object(metadata));
        t.insert("Parameters".into(), parameters);
        if !conditions.is_empty() {
            t.insert("Conditions".into(), Value::Object(conditions));
        }
        t.insert(
            "Resources".into(),
            Value::Object(resources.into_iter().collect()),
        );
        if !self.t.outputs.is_empty() {
            t.insert("Outputs".into(), outputs);
        }
        Ok(Value::Object(t))
    }

    /// The root, overlay included, cannot name what its children create.
    fn check_root_names(&self, root: &Value) -> Result<(), String> {
        for (section, what) in [("Resources", "resource"), ("Outputs", "output")] {
            let Some(entries) = root.get(section).and_then(Value::as_object) else {
                continue;
            };
            for (id, v) in entries {
                if let Some(inside) = self.mentioned_inside(v) {
                    return Err(format!(
                        "root {what} {id} refers to {inside}, which is in child stack {}",
                        self.home[inside.as_str()]
                    ));
                }
            }
        }
        Ok(())
    }

    /// A child's resource that a root resource names, if any.
    fn mentioned_inside(&self, v: &Value) -> Option<String> {
        let inside = |id: &str| self.home.contains_key(id).then(|| id.to_string());
        match v {
            Value::Array(items) => items.iter().find_map(|i| self.mentioned_inside(i)),
            Value::Object(m) => m.iter().find_map(|(k, x)| match (k.as_str(), x) {
                ("Ref", Value::String(id)) => inside(id),
                ("Fn::GetAtt", Value::Array(a)) => a.first()?.as_str().and_then(inside),
                ("DependsOn", Value::Array(a)) => {
                    a.iter().filter_map(Value::as_str).find_map(inside)
                }
                ("DependsOn", Value::String(id)) => inside(id),
                ("Fn::Sub", Value::String(text)) => {
                    wire::sub_names(text).into_iter().find_map(inside)
                }
                // `[text, {Name: value}]`: the map's names are its own.
                ("Fn::Sub", Value::Array(a)) => {
                    let vars = a.get(1).and_then(Value::as_object);
                    let text = a.first().and_then(Value::as_str).unwrap_or("");
                    wire::sub_names(text)
                        .into_iter()
                        .filter(|n| !vars.is_some_and(|m| m.contains_key(*n)))
                        .find_map(inside)
                        .or_else(|| a.get(1).and_then(|v| self.mentioned_inside(v)))
                }
                _ => self.mentioned_inside(x),
            }),
            _ => None,
        }
    }
}

/// A resource an overlay changed, from its JSON form: its type as JSON,
/// its condition and dependencies, and the rest written to `rest` as
/// `,"Properties":…}`.
fn edited_parts(v: &Value, rest: &mut Vec<u8>) -> (String, Option<String>, Vec<String>) {
    let mut object = v.as_object().cloned().unwrap_or_default();
    let kind = object.remove("Type").unwrap_or(Value::Null);
    let depends_on = match object.remove("DependsOn") {
        Some(Value::String(d)) => vec![d],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|d| d.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    };
    let condition = object
        .remove("Condition")
        .and_then(|c| c.as_str().map(str::to_string));
    serde_json::to_writer(&mut *rest, &object).expect("JSON values serialize");
    // `{"A":1}` → `,"A":1}`; `{}` → `}`.
    if rest.len() == 2 {
        rest.remove(0);
    } else {
        rest[0] = b',';
    }
    (json(&kind), condition, depends_on)
}

/// What a resource has after its type and attributes.
struct Rest<'a>(&'a Resource);

impl serde::Serialize for Rest<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("Properties", &self.0.properties)?;
        if self.0.retain {
            m.serialize_entry("DeletionPolicy", "Retain")?;
            m.serialize_entry("UpdateReplacePolicy", "Retain")?;
        }
        m.end()
    }
}

/// Compact JSON of a part of a template.
fn json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).expect("template parts serialize")
}

/// Condition names a value uses (`Condition`, `Fn::If`).
fn conditions_in(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| conditions_in(i, out)),
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("Condition", Value::String(c)) => {
                        out.insert(c.clone());
                    }
                    ("Fn::If", Value::Array(a)) => {
                        if let Some(c) = a.first().and_then(Value::as_str) {
                            out.insert(c.to_string());
                        }
                        conditions_in(x, out);
                    }
                    _ => conditions_in(x, out),
                }
            }
        }
        _ => {}
    }
}

/// Is `to` reachable from `from` along the `after` edges?
fn reaches(after: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if seen.insert(n.clone()) {
            stack.extend(after.get(&n).into_iter().flatten().cloned());
        }
    }
    false
}
