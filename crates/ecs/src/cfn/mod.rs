//! A typed CloudFormation template: parameters, conditions, resources with
//! typed properties, outputs, and the intrinsic functions we use.

pub mod resources;

use indexmap::IndexMap;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

pub use resources::Properties;

/// A property value: a literal or an intrinsic function.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Expr>),
    Ref(String),
    GetAtt(String, String),
    Sub(String),
    Join(String, Vec<Expr>),
    Select(usize, Box<Expr>),
    If(String, Box<Expr>, Box<Expr>),
    Equals(Box<Expr>, Box<Expr>),
    Base64(Box<Expr>),
    /// `Ref: AWS::NoValue`: removes the property.
    NoValue,
}

impl Expr {
    pub fn str(s: impl Into<String>) -> Self {
        Expr::Str(s.into())
    }
    pub fn reference(logical_id: impl Into<String>) -> Self {
        Expr::Ref(logical_id.into())
    }
    pub fn get_att(logical_id: impl Into<String>, attr: impl Into<String>) -> Self {
        Expr::GetAtt(logical_id.into(), attr.into())
    }
    pub fn sub(template: impl Into<String>) -> Self {
        Expr::Sub(template.into())
    }
    pub fn list<I: IntoIterator<Item = Expr>>(items: I) -> Self {
        Expr::List(items.into_iter().collect())
    }
    pub fn if_(condition: impl Into<String>, then: Expr, otherwise: Expr) -> Self {
        Expr::If(condition.into(), Box::new(then), Box::new(otherwise))
    }
    /// Does this expression mention the logical ID (for dependency checks)?
    pub fn refers_to(&self, id: &str) -> bool {
        match self {
            Expr::Ref(r) | Expr::GetAtt(r, _) => r == id,
            Expr::Sub(s) => s.contains(&format!("${{{id}}}")) || s.contains(&format!("${{{id}.")),
            Expr::List(items) | Expr::Join(_, items) => items.iter().any(|e| e.refers_to(id)),
            Expr::Select(_, e) | Expr::Base64(e) => e.refers_to(id),
            Expr::If(_, a, b) | Expr::Equals(a, b) => a.refers_to(id) || b.refers_to(id),
            _ => false,
        }
    }
}

impl Default for Expr {
    fn default() -> Self {
        Expr::Str(String::new())
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Self {
        Expr::Str(s.to_string())
    }
}
impl From<String> for Expr {
    fn from(s: String) -> Self {
        Expr::Str(s)
    }
}
impl From<i64> for Expr {
    fn from(i: i64) -> Self {
        Expr::Int(i)
    }
}
impl From<bool> for Expr {
    fn from(b: bool) -> Self {
        Expr::Bool(b)
    }
}

fn single<S: Serializer, V: Serialize + ?Sized>(s: S, key: &str, v: &V) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(1))?;
    m.serialize_entry(key, v)?;
    m.end()
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Expr::Str(v) => s.serialize_str(v),
            Expr::Int(i) => s.serialize_i64(*i),
            Expr::Bool(b) => s.serialize_bool(*b),
            Expr::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Expr::Ref(r) => single(s, "Ref", r),
            Expr::GetAtt(r, a) => single(s, "Fn::GetAtt", &[r, a]),
            Expr::Sub(t) => single(s, "Fn::Sub", t),
            Expr::Join(sep, items) => single(s, "Fn::Join", &(sep, items)),
            Expr::Select(i, e) => single(s, "Fn::Select", &(i.to_string(), e)),
            Expr::If(c, a, b) => single(s, "Fn::If", &(c, a, b)),
            Expr::Equals(a, b) => single(s, "Fn::Equals", &(a, b)),
            Expr::Base64(e) => single(s, "Fn::Base64", e),
            Expr::NoValue => single(s, "Ref", "AWS::NoValue"),
        }
    }
}

/// A `Key`/`Value` tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: Expr,
}

impl Tag {
    pub fn new(key: impl Into<String>, value: impl Into<Expr>) -> Self {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    #[serde(rename = "Type")]
    pub kind: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    pub description: String,
    pub value: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// One resource: its typed properties plus the resource-level attributes.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Boxed: the largest kinds take most of a kilobyte, and a large
    /// project's template holds tens of thousands of resources.
    pub properties: Box<Properties>,
    pub depends_on: Vec<String>,
    pub condition: Option<String>,
    /// `Retain` for data that must survive `down` (EFS file systems).
    pub retain: bool,
}

impl Resource {
    pub fn new(properties: impl Into<Properties>) -> Self {
        Resource {
            properties: Box::new(properties.into()),
            depends_on: Vec::new(),
            condition: None,
            retain: false,
        }
    }
    pub fn depends_on(mut self, ids: impl IntoIterator<Item = String>) -> Self {
        self.depends_on.extend(ids);
        self
    }
    pub fn when(mut self, condition: impl Into<String>) -> Self {
        self.condition = Some(condition.into());
        self
    }
    pub fn retained(mut self) -> Self {
        self.retain = true;
        self
    }
    pub fn type_name(&self) -> &'static str {
        self.properties.type_name()
    }
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("Type", self.properties.type_name())?;
        if let Some(c) = &self.condition {
            m.serialize_entry("Condition", c)?;
        }
        if !self.depends_on.is_empty() {
            m.serialize_entry("DependsOn", &self.depends_on)?;
        }
        m.serialize_entry("Properties", &self.properties)?;
        if self.retain {
            m.serialize_entry("DeletionPolicy", "Retain")?;
            m.serialize_entry("UpdateReplacePolicy", "Retain")?;
        }
        m.end()
    }
}

/// The whole template. Resources print sorted by logical ID so that the same
/// project always gives the same bytes.
#[derive(Debug, Clone, Default)]
pub struct Template {
    pub description: String,
    pub metadata: IndexMap<String, serde_json::Value>,
    pub parameters: IndexMap<String, Parameter>,
    pub conditions: IndexMap<String, Expr>,
    pub resources: IndexMap<String, Resource>,
    pub outputs: IndexMap<String, Output>,
    /// Logical ID → the Compose service a resource belongs to (shared
    /// resources have none): what a split into nested stacks moves.
    pub owners: std::collections::HashMap<String, String>,
    /// The service whose resources are being added, if any.
    pub owner: Option<String>,
}

impl Template {
    pub fn add(&mut self, logical_id: impl Into<String>, resource: Resource) {
        let id = logical_id.into();
        if let Some(owner) = &self.owner {
            self.owners.insert(id.clone(), owner.clone());
        }
        self.resources.insert(id, resource);
    }

    /// Add a resource every service shares, even while one's are added.
    pub fn add_shared(&mut self, logical_id: impl Into<String>, resource: Resource) {
        self.resources.insert(logical_id.into(), resource);
    }

    /// A resource added before its service was known goes with it.
    pub fn assign(&mut self, logical_id: &str, service: &str) {
        self.owners
            .insert(logical_id.to_string(), service.to_string());
    }

    /// The template as a JSON value (with every key in its final order).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("templates serialize")
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ids = self.sorted_ids();
        TemplatePart {
            template: self,
            resources: &ids,
            outputs: true,
        }
        .serialize(s)
    }
}

impl Template {
    /// Logical IDs in output order, whatever order conversion added them in.
    pub fn sorted_ids(&self) -> Vec<&String> {
        let mut ids: Vec<&String> = self.resources.keys().collect();
        ids.sort();
        ids
    }

    /// The YAML text, written on two threads: the template up to part of
    /// its resources here, the rest of them and the outputs on a second
    /// thread, which first runs `beside` (the size check) so both finish
    /// together. Same bytes as [`to_yaml`].
    pub fn to_yaml_split<R: Send>(&self, beside: impl FnOnce() -> R + Send) -> (String, R) {
        let ids = self.sorted_ids();
        // The second thread also runs `beside`, worth about a third of the text.
        let cut = ids.len() * 2 / 3;
        if cut == 0 {
            return (to_yaml(self), beside());
        }
        let (head, tail) = ids.split_at(cut);
        std::thread::scope(|s| {
            let rest = s.spawn(|| {
                let r = beside();
                let mut text = compose::emit::to_string_nested(
                    &Resources {
                        ids: tail,
                        all: &self.resources,
                    },
                    2,
                );
                if !self.outputs.is_empty() {
                    text.push_str(&to_yaml(&OutputsPart(&self.outputs)));
                }
                (text, r)
            });
            let mut text = to_yaml(&TemplatePart {
                template: self,
                resources: head,
                outputs: false,
            });
            let (rest, r) = rest.join().expect("writing a template cannot panic");
            text.push_str(&rest);
            (text, r)
        })
    }
}

/// The template with some of its resources, with or without its outputs.
struct TemplatePart<'a> {
    template: &'a Template,
    resources: &'a [&'a String],
    outputs: bool,
}

impl Serialize for TemplatePart<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.template;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("AWSTemplateFormatVersion", "2010-09-09")?;
        m.serialize_entry("Description", &t.description)?;
        if !t.metadata.is_empty() {
            m.serialize_entry("Metadata", &t.metadata)?;
        }
        if !t.parameters.is_empty() {
            m.serialize_entry("Parameters", &t.parameters)?;
        }
        if !t.conditions.is_empty() {
            m.serialize_entry("Conditions", &t.conditions)?;
        }
        m.serialize_entry(
            "Resources",
            &Resources {
                ids: self.resources,
                all: &t.resources,
            },
        )?;
        if self.outputs && !t.outputs.is_empty() {
            m.serialize_entry("Outputs", &t.outputs)?;
        }
        m.end()
    }
}
/// Some resources, in the order given.
struct Resources<'a> {
    ids: &'a [&'a String],
    all: &'a IndexMap<String, Resource>,
}

impl Serialize for Resources<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.ids.iter().map(|id| (*id, &self.all[id.as_str()])))
    }
}

/// The outputs section alone, as a top-level mapping.
struct OutputsPart<'a>(&'a IndexMap<String, Output>);

impl Serialize for OutputsPart<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("Outputs", self.0)?;
        m.end()
    }
}

/// The template body `up` sends to CloudFormation: compact JSON, the
/// smallest form, so fewer templates need the S3 detour.
pub fn to_body(value: &serde_json::Value) -> String {
    serde_json::to_string(value).expect("templates serialize")
}

/// The size of [`to_body`] without building it.
pub fn body_len<T: Serialize + ?Sized>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).expect("templates serialize");
    count.0
}

/// Render a template as pretty JSON with a trailing newline.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("templates serialize");
    s.push('\n');
    s
}

/// Render a template as YAML (long-form intrinsics, no custom tags).
pub fn to_yaml<T: Serialize + ?Sized>(value: &T) -> String {
    compose::emit::to_string(value)
}
