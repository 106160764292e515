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
    pub properties: Properties,
    pub depends_on: Vec<String>,
    pub condition: Option<String>,
    /// `Retain` for data that must survive `down` (EFS file systems).
    pub retain: bool,
}

impl Resource {
    pub fn new(properties: impl Into<Properties>) -> Self {
        Resource {
            properties: properties.into(),
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
}

impl Template {
    pub fn add(&mut self, logical_id: impl Into<String>, resource: Resource) {
        self.resources.insert(logical_id.into(), resource);
    }

    /// The template as a JSON value (with every key in its final order).
    pub fn to_value(&self) -> serde_json::Value {
        let mut root = serde_json::Map::new();
        root.insert("AWSTemplateFormatVersion".into(), "2010-09-09".into());
        root.insert("Description".into(), self.description.clone().into());
        if !self.metadata.is_empty() {
            root.insert(
                "Metadata".into(),
                serde_json::to_value(&self.metadata).unwrap(),
            );
        }
        if !self.parameters.is_empty() {
            root.insert(
                "Parameters".into(),
                serde_json::to_value(&self.parameters).unwrap(),
            );
        }
        if !self.conditions.is_empty() {
            root.insert(
                "Conditions".into(),
                serde_json::to_value(&self.conditions).unwrap(),
            );
        }
        let mut ids: Vec<&String> = self.resources.keys().collect();
        ids.sort();
        let resources: serde_json::Map<String, serde_json::Value> = ids
            .into_iter()
            .map(|id| {
                (
                    id.clone(),
                    serde_json::to_value(&self.resources[id]).unwrap(),
                )
            })
            .collect();
        root.insert("Resources".into(), resources.into());
        if !self.outputs.is_empty() {
            root.insert(
                "Outputs".into(),
                serde_json::to_value(&self.outputs).unwrap(),
            );
        }
        serde_json::Value::Object(root)
    }
}

/// Render a template value as pretty JSON with a trailing newline.
pub fn to_json(value: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("templates serialize");
    s.push('\n');
    s
}

/// Render a template value as YAML (long-form intrinsics, no custom tags).
pub fn to_yaml(value: &serde_json::Value) -> String {
    let mut out = String::new();
    compose::output::emit_yaml(value, 0, &mut out);
    out
}
