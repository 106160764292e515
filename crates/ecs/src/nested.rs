//! A project over CloudFormation's limits for one stack becomes a root stack
//! and child stacks (`AWS::CloudFormation::Stack`).
//!
//! The root keeps what services share (cluster, networks, load balancer, log
//! group, namespace, volumes several services mount); each child holds the
//! resources of the services in its bucket, under the same logical IDs. A
//! reference that crosses templates becomes a child parameter, filled by the
//! root from its own resources or from another child's outputs.

use crate::cfn::{self, Template};
use crate::limits::CHILD_STACK_BUCKETS;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    pub template: Value,
    /// The compact JSON `up` uploads, and the object name it goes under:
    /// named by its content, so the root changes exactly when it does.
    pub body: String,
    pub file: String,
}

/// Where a template's reference leads.
#[derive(Default)]
struct Wiring {
    /// Child parameter → what the root passes.
    params: BTreeMap<String, (Value, String)>,
    conditions: BTreeSet<String>,
    /// Root resources it waits for (`DependsOn` that crossed over).
    root_order: BTreeSet<String>,
    /// Children whose outputs it reads.
    reads: BTreeSet<String>,
    /// (resource, dependency in another child), from `DependsOn`.
    waits: BTreeSet<(String, String)>,
}

struct Splitter<'a> {
    t: &'a Template,
    /// Logical ID → its child stack (root resources are absent).
    home: HashMap<&'a str, String>,
    /// Child → outputs other templates read: name → value.
    outputs: BTreeMap<String, BTreeMap<String, Value>>,
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
    let mut s = Splitter {
        t,
        home,
        outputs: BTreeMap::new(),
    };
    // Overlays apply to each resource before the wiring, which sees what
    // they add or remove.
    let edits = overlay
        .and_then(|o| o.get("Resources"))
        .and_then(Value::as_object);
    let (root_resources, mut child_resources) = s.resources(edits);
    let mut wirings = BTreeMap::new();
    for (child, resources) in &mut child_resources {
        let w = s.wire_child(child, resources);
        wirings.insert(child.clone(), w);
    }
    let (order, unordered) = s.order(&wirings)?;
    let mut children = Vec::new();
    for (child, resources) in child_resources {
        let w = &wirings[&child];
        let template = s.child_template(&child, resources, w);
        let body = cfn::to_body(&template);
        let file = format!("{child}-{}.json", content_hash(&body));
        let mut services: Vec<String> = resources_of(&template)
            .filter_map(|id| t.owners.get(id).cloned())
            .collect();
        services.sort();
        services.dedup();
        children.push(Child {
            id: child,
            services,
            template,
            body,
            file,
        });
    }
    let mut root = s.root_template(root_resources, &children, &wirings, &order, project)?;
    if let Some(o) = overlay.and_then(|o| rest_of(o, t)) {
        crate::overlay::apply(&mut root, &o);
    }
    Ok(Split {
        root,
        children,
        unordered,
    })
}

fn resources_of(template: &Value) -> impl Iterator<Item = &String> {
    template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(id, _)| id)
}

/// The first 16 hex digits of the SHA-256 of a body.
pub fn content_hash(body: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
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

type Resources = BTreeMap<String, Value>;

impl<'a> Splitter<'a> {
    /// Every resource as JSON, in the root or in its child. A root group's
    /// inline egress rules to a child's group become rules of their own in
    /// that child: the root cannot name what its children create.
    fn resources(
        &self,
        edits: Option<&Map<String, Value>>,
    ) -> (Resources, BTreeMap<String, Resources>) {
        let mut root = Resources::new();
        let mut children: BTreeMap<String, Resources> = BTreeMap::new();
        for id in self.t.sorted_ids() {
            let mut v = serde_json::to_value(&self.t.resources[id]).expect("templates serialize");
            match edits.and_then(|e| e.get(id.as_str())) {
                // `null` removes the resource.
                Some(Value::Null) => continue,
                Some(edit) => crate::overlay::apply(&mut v, edit),
                None => {}
            }
            match self.home.get(id.as_str()) {
                Some(child) => {
                    children
                        .entry(child.clone())
                        .or_default()
                        .insert(id.clone(), v);
                }
                None => {
                    for (at, rule_id, rule) in self.detach_egress(id, &mut v) {
                        match at {
                            Some(child) => children.entry(child).or_default(),
                            None => &mut root,
                        }
                        .insert(rule_id, rule);
                    }
                    root.insert(id.clone(), v);
                }
            }
        }
        (root, children)
    }

    fn detach_egress(&self, id: &str, v: &mut Value) -> Vec<(Option<String>, String, Value)> {
        let Some(rules) = v
            .get_mut("Properties")
            .and_then(|p| p.get_mut("SecurityGroupEgress"))
        else {
            return vec![];
        };
        let Some(list) = rules.as_array() else {
            return vec![];
        };
        fn dest(r: &Value) -> Option<&str> {
            referenced(&r["DestinationSecurityGroupId"])
        }
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

    /// Rewrite one child's references to the outside into parameters.
    fn wire_child(&mut self, child: &str, resources: &mut Resources) -> Wiring {
        let mut w = Wiring::default();
        let mine: BTreeSet<String> = resources.keys().cloned().collect();
        for (id, r) in resources.iter_mut() {
            let Some(r) = r.as_object_mut() else { continue };
            if let Some(c) = r.get("Condition").and_then(Value::as_str) {
                w.conditions.insert(c.to_string());
            }
            if let Some(deps) = r.get_mut("DependsOn").and_then(Value::as_array_mut) {
                deps.retain(|d| {
                    let Some(d) = d.as_str() else { return true };
                    if mine.contains(d) {
                        return true;
                    }
                    if self.home.contains_key(d) {
                        w.waits.insert((id.clone(), d.to_string()));
                    } else {
                        w.root_order.insert(d.to_string());
                    }
                    false
                });
                if deps.is_empty() {
                    r.remove("DependsOn");
                }
            }
            if let Some(p) = r.get_mut("Properties") {
                self.wire(p, child, &mine, &mut w);
            }
        }
        // Conditions read root parameters only.
        let mut conditions = BTreeSet::new();
        std::mem::swap(&mut conditions, &mut w.conditions);
        for c in &conditions {
            if let Some(expr) = self.t.conditions.get(c) {
                let mut v = serde_json::to_value(expr).expect("conditions serialize");
                self.wire(&mut v, child, &mine, &mut w);
            }
        }
        w.conditions.extend(conditions);
        w
    }

    fn wire(&mut self, v: &mut Value, child: &str, mine: &BTreeSet<String>, w: &mut Wiring) {
        match v {
            Value::Array(items) => {
                for i in items {
                    self.wire(i, child, mine, w);
                }
            }
            Value::Object(m) if m.len() == 1 => {
                let (key, inner) = m.iter_mut().next().expect("one entry");
                match key.as_str() {
                    "Ref" => {
                        let Some(name) = inner.as_str().map(str::to_string) else {
                            return;
                        };
                        if !name.starts_with("AWS::") && !mine.contains(&name) {
                            self.import(&name, None, child, w);
                        }
                    }
                    "Fn::GetAtt" => {
                        let id = inner[0].as_str().unwrap_or_default().to_string();
                        let attr = inner[1].as_str().unwrap_or_default().to_string();
                        if !id.is_empty() && !mine.contains(&id) {
                            let param = self.import(&id, Some(&attr), child, w);
                            *v = json!({ "Ref": param });
                        }
                    }
                    "Fn::Sub" => {
                        if let Some(text) = inner.as_str() {
                            let text = self.wire_sub(text, child, mine, w);
                            *inner = Value::String(text);
                        } else {
                            self.wire(inner, child, mine, w);
                        }
                    }
                    "Fn::If" => {
                        if let Some(c) = inner[0].as_str() {
                            w.conditions.insert(c.to_string());
                        }
                        self.wire(inner, child, mine, w);
                    }
                    _ => self.wire(inner, child, mine, w),
                }
            }
            Value::Object(m) => {
                for x in m.values_mut() {
                    self.wire(x, child, mine, w);
                }
            }
            _ => {}
        }
    }

    /// `${Name}` and `${Name.Attr}` from outside become `${Parameter}`.
    fn wire_sub(
        &mut self,
        text: &str,
        child: &str,
        mine: &BTreeSet<String>,
        w: &mut Wiring,
    ) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let name = &after[..end];
            let (id, attr) = match name.split_once('.') {
                Some((id, attr)) => (id, Some(attr)),
                None => (name, None),
            };
            let outside = !name.starts_with('!')
                && !id.starts_with("AWS::")
                && !mine.contains(id)
                && (self.t.parameters.contains_key(id) || self.t.resources.contains_key(id));
            if outside {
                let param = self.import(id, attr, child, w);
                out.push_str(&format!("${{{param}}}"));
            } else {
                out.push_str(&rest[start..start + 3 + end]);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// The child parameter that carries `id` (or its attribute) in.
    fn import(&mut self, id: &str, attr: Option<&str>, child: &str, w: &mut Wiring) -> String {
        let param = match attr {
            Some(a) => format!("{id}{}", a.replace('.', "")),
            None => id.to_string(),
        };
        if w.params.contains_key(&param) {
            return param;
        }
        let local = match attr {
            Some(a) => json!({"Fn::GetAtt": [id, a]}),
            None => json!({ "Ref": id }),
        };
        let (value, kind) = match (self.t.parameters.get(id), self.home.get(id)) {
            (Some(p), _) => {
                // A value read from SSM arrives as the value itself.
                let kind = if p.kind.starts_with("AWS::SSM::") {
                    "String".to_string()
                } else {
                    p.kind.clone()
                };
                (local, kind)
            }
            (None, Some(other)) if other != child => {
                self.outputs
                    .entry(other.clone())
                    .or_default()
                    .insert(param.clone(), local);
                w.reads.insert(other.clone());
                (
                    json!({"Fn::GetAtt": [other, format!("Outputs.{param}")]}),
                    "String".to_string(),
                )
            }
            // A conditional root resource exists only under its condition,
            // which is where the child uses it.
            _ => match self.t.resources.get(id).and_then(|r| r.condition.as_ref()) {
                Some(c) => (json!({"Fn::If": [c, local, ""]}), "String".to_string()),
                None => (local, "String".to_string()),
            },
        };
        w.params.insert(param.clone(), (value, kind));
        param
    }

    /// Each child's `DependsOn`: the children it reads from, then the
    /// `depends_on` orderings that keep the stacks acyclic. Returns the
    /// orderings left out, as (service, dependency).
    #[allow(clippy::type_complexity)]
    fn order(
        &self,
        wirings: &BTreeMap<String, Wiring>,
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

    fn child_template(&self, child: &str, resources: Resources, w: &Wiring) -> Value {
        let params: Map<String, Value> = w
            .params
            .iter()
            .map(|(name, (_, kind))| {
                (
                    name.clone(),
                    json!({"Type": kind, "Description": format!("{name} from the root stack")}),
                )
            })
            .collect();
        let conditions: Map<String, Value> = w
            .conditions
            .iter()
            // Conditions read parameters, which keep their names in a child.
            .filter_map(|c| {
                Some((
                    c.clone(),
                    serde_json::to_value(self.t.conditions.get(c)?).ok()?,
                ))
            })
            .collect();
        let mut t = Map::new();
        t.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        t.insert(
            "Description".into(),
            json!(format!("{} — child stack {child}", self.t.description)),
        );
        if !params.is_empty() {
            t.insert("Parameters".into(), Value::Object(params));
        }
        if !conditions.is_empty() {
            t.insert("Conditions".into(), Value::Object(conditions));
        }
        t.insert(
            "Resources".into(),
            Value::Object(resources.into_iter().collect()),
        );
        if let Some(outputs) = self.outputs.get(child) {
            let outputs: Map<String, Value> = outputs
                .iter()
                .map(|(name, value)| {
                    (
                        name.clone(),
                        json!({"Description": format!("{name}, for other child stacks"), "Value": value}),
                    )
                })
                .collect();
            t.insert("Outputs".into(), Value::Object(outputs));
        }
        Value::Object(t)
    }

    fn root_template(
        &self,
        mut resources: Resources,
        children: &[Child],
        wirings: &BTreeMap<String, Wiring>,
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
        for (id, r) in &resources {
            if let Some(inside) = self.mentioned_inside(r) {
                return Err(format!(
                    "root resource {id} refers to {inside}, which is in child stack {}",
                    self.home[inside.as_str()]
                ));
            }
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
                ("Fn::Sub", Value::String(text)) => sub_names(text).into_iter().find_map(inside),
                _ => self.mentioned_inside(x),
            }),
            _ => None,
        }
    }
}

/// The logical IDs a `Fn::Sub` text names.
fn sub_names(text: &str) -> Vec<&str> {
    text.split("${")
        .skip(1)
        .filter_map(|s| s.split_once('}'))
        .map(|(name, _)| name.split('.').next().unwrap_or(name))
        .filter(|n| !n.starts_with('!'))
        .collect()
}

/// The logical ID a `Ref` or `Fn::GetAtt` names.
fn referenced(v: &Value) -> Option<&str> {
    v.get("Ref")
        .and_then(Value::as_str)
        .or_else(|| v.get("Fn::GetAtt")?.get(0)?.as_str())
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
