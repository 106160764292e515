//! The YAML value tree the loader works on: every node keeps where it came from.
//!
//! Compose processing (interpolation, merge, extends, canonical forms) is defined
//! on an untyped tree, so the loader works on [`Node`] until the very end and only
//! then turns it into the typed [`crate::model`]. Keeping spans on every node is
//! what lets any later error point at a file, line and column.

use indexmap::IndexMap;
use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A position in one source file. `source` indexes the loader's [`crate::SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub source: u32,
    pub offset: u32,
    pub len: u32,
    pub line: u32,
    pub column: u32,
}

impl Span {
    /// The span of a value the loader made up itself (defaults, expansions).
    pub const NONE: Span = Span {
        source: u32::MAX,
        offset: 0,
        len: 0,
        line: 0,
        column: 0,
    };

    pub fn is_known(&self) -> bool {
        self.source != u32::MAX
    }
}

/// YAML tags that change how Compose merges a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tag {
    #[default]
    None,
    /// `!reset`: remove the value inherited from earlier files.
    Reset,
    /// `!override`: replace instead of merging.
    Override,
}

/// A mapping key with its own position (unknown-key errors point at the key).
#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub span: Span,
    /// Written as a number, boolean or null (`80:`, `true:`), which Compose
    /// refuses: mapping keys must be strings.
    pub not_a_string: bool,
}

impl Key {
    pub fn new(name: impl Into<String>, span: Span) -> Self {
        Key {
            name: name.into(),
            span,
            not_a_string: false,
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Key {}
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Must hash exactly like `str` so `map.get("image")` works through `Borrow<str>`.
        self.name.as_str().hash(state)
    }
}
impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        &self.name
    }
}
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

pub type Map = IndexMap<Key, Node>;

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Boxed: most nodes are scalars, and a map is much larger than a string.
    Map(Box<Map>),
}

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub span: Span,
    pub tag: Tag,
}

impl Node {
    pub fn new(value: Value, span: Span) -> Self {
        Node {
            value,
            span,
            tag: Tag::None,
        }
    }
    pub fn null(span: Span) -> Self {
        Node::new(Value::Null, span)
    }
    pub fn str(s: impl Into<String>, span: Span) -> Self {
        Node::new(Value::Str(s.into()), span)
    }
    pub fn int(i: i64, span: Span) -> Self {
        Node::new(Value::Int(i), span)
    }
    pub fn bool(b: bool, span: Span) -> Self {
        Node::new(Value::Bool(b), span)
    }
    pub fn map(m: Map, span: Span) -> Self {
        Node::new(Value::Map(Box::new(m)), span)
    }
    pub fn seq(s: Vec<Node>, span: Span) -> Self {
        Node::new(Value::Seq(s), span)
    }
    pub fn empty_map(span: Span) -> Self {
        Node::map(Map::new(), span)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&Vec<Node>> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_seq_mut(&mut self) -> Option<&mut Vec<Node>> {
        match &mut self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The node at a key path, if it exists.
    pub fn at(&self, path: &KeyPath) -> Option<&Node> {
        let mut node = self;
        for part in &path.0 {
            node = match part {
                PathPart::Key(k) => node.get(k)?,
                PathPart::Index(i) => node.as_seq()?.get(*i)?,
            };
        }
        Some(node)
    }

    /// Member of a mapping node, if this is a mapping and the key exists.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.as_map_mut().and_then(|m| m.get_mut(key))
    }

    /// Scalar rendered the way Go's `fmt.Sprint` would print it, which is how
    /// Compose turns numbers and booleans into strings (environment, labels, …).
    pub fn scalar_string(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(format_float(*f)),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// What kind of YAML value this is, for error messages.
    /// What the value is, in Compose words, with its article: "a list".
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "a whole number",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// Plain JSON copy (drops spans and tags).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Build a span-less tree from JSON (values the loader synthesises).
    pub fn from_json(v: &serde_json::Value, span: Span) -> Node {
        let value = match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or_default()),
            },
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(a) => {
                Value::Seq(a.iter().map(|x| Node::from_json(x, span)).collect())
            }
            serde_json::Value::Object(o) => Value::Map(Box::new(
                o.iter()
                    .map(|(k, x)| (Key::new(k.clone(), span), Node::from_json(x, span)))
                    .collect(),
            )),
        };
        Node::new(value, span)
    }
}

/// Format a float the way Go's `strconv.FormatFloat(f, 'g', -1, 64)` does for
/// ordinary magnitudes (shortest representation, no trailing `.0`).
pub fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{}", f as i64)
    } else {
        let s = format!("{f}");
        if s.contains('e') {
            s.replace("e", "e+")
        } else {
            s
        }
    }
}

/// A key path like `services.web.ports[0].target`, used in every error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(Vec<PathPart>);

/// Keys are shared, not copied: paths are made for every key of every
/// service, and a longer path is a copy of a shorter one.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PathPart {
    Key(std::sync::Arc<str>),
    Index(usize),
}

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }
    pub fn parse(dotted: &str) -> Self {
        KeyPath(
            dotted
                .split('.')
                .filter(|s| !s.is_empty())
                .map(|s| PathPart::Key(s.into()))
                .collect(),
        )
    }
    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(PathPart::Key(k.into()));
        p
    }
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(PathPart::Index(i));
        p
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Extend in place (for walks that go down and back up).
    pub fn push_key(&mut self, k: &str) {
        self.0.push(PathPart::Key(k.into()));
    }
    pub fn push_index(&mut self, i: usize) {
        self.0.push(PathPart::Index(i));
    }
    /// Remove the last segment in place.
    pub fn pop(&mut self) {
        self.0.pop();
    }
    /// The path without its last segment.
    pub fn parent(&self) -> KeyPath {
        let mut p = self.clone();
        p.0.pop();
        p
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Segment `i` as a key name, or `None` for a sequence index.
    pub fn segment(&self, i: usize) -> Option<&str> {
        match self.0.get(i) {
            Some(PathPart::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// Match against a pattern like `services.*.ports.[]`: `*` is any key,
    /// `[]` any sequence index.
    pub fn matches(&self, pattern: &[&str]) -> bool {
        if pattern.len() != self.0.len() {
            return false;
        }
        self.0.iter().zip(pattern).all(|(part, pat)| match part {
            PathPart::Key(k) => *pat == "*" || *pat == &**k,
            PathPart::Index(_) => *pat == "[]",
        })
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for part in &self.0 {
            match part {
                PathPart::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                PathPart::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}
