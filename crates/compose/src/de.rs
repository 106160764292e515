//! A serde `Deserializer` over [`Node`], so the typed model validates the tree.
//!
//! Type errors carry the span and key path of the offending node. Structs are
//! checked for unknown keys against the field list serde gives us, with a
//! "did you mean" hint. `x-*` keys go to a struct's `#extensions` field when it
//! has one and are otherwise ignored (extensions are free-form by definition).

use crate::error::Error;
use crate::node::{KeyPath, Node, Span, Value};
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::rc::Rc;

/// Where a node sits, shared between parent and children and turned into a
/// [`KeyPath`] only when an error needs one: copying a whole path for every
/// node visited was a fifth of the loader's time.
#[derive(Clone)]
pub struct Trail<'a>(Rc<Step<'a>>);

enum Step<'a> {
    Base(KeyPath),
    Key(Trail<'a>, &'a str),
    Index(Trail<'a>, usize),
}

impl<'a> Trail<'a> {
    fn base(path: &KeyPath) -> Self {
        Trail(Rc::new(Step::Base(path.clone())))
    }
    fn key(&self, k: &'a str) -> Self {
        Trail(Rc::new(Step::Key(self.clone(), k)))
    }
    fn index(&self, i: usize) -> Self {
        Trail(Rc::new(Step::Index(self.clone(), i)))
    }
    fn path(&self) -> KeyPath {
        match &*self.0 {
            Step::Base(p) => p.clone(),
            Step::Key(parent, k) => parent.path().key(k),
            Step::Index(parent, i) => parent.path().index(*i),
        }
    }
}

/// The key serde-derived structs use to receive their `x-*` extensions.
pub const EXTENSIONS_FIELD: &str = "#extensions";

#[derive(Debug)]
pub struct DeError(pub Error);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        // Value parsers put their advice after "\nhelp: ".
        let text = msg.to_string();
        match text.split_once("\nhelp: ") {
            Some((m, h)) => DeError(Error::new(m).with_help(h)),
            None => DeError(Error::new(text)),
        }
    }
    fn invalid_type(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        let exp = compose_words(&exp.to_string());
        DeError(
            Error::new(format!("must be {exp}, found {}", found(&unexp)))
                .with_help(format!("change the value to {exp}")),
        )
    }
    fn invalid_value(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        let exp = compose_words(&exp.to_string());
        DeError(
            Error::new(format!("{} is out of range: must be {exp}", found(&unexp)))
                .with_help(format!("change the value to {exp}")),
        )
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError(unknown_key(field, expected))
    }
    fn missing_field(field: &'static str) -> Self {
        DeError(
            Error::new(format!("missing required key `{field}`"))
                .with_help(format!("add `{field}`")),
        )
    }
}

/// A value serde could not take, described for a Compose user.
fn found(unexp: &de::Unexpected) -> String {
    match unexp {
        de::Unexpected::Map => "a mapping".to_string(),
        de::Unexpected::Seq => "a list".to_string(),
        de::Unexpected::Str(s) => format!("the string {s:?}"),
        de::Unexpected::Signed(i) => format!("the number {i}"),
        de::Unexpected::Unsigned(i) => format!("the number {i}"),
        de::Unexpected::Float(f) => format!("the number {f}"),
        de::Unexpected::Bool(b) => format!("the boolean {b}"),
        de::Unexpected::Unit | de::Unexpected::Option => "null".to_string(),
        other => other.to_string(),
    }
}

/// serde names what it expected in Rust terms (`u32`, `struct Deploy`, `a
/// map`); a Compose user reads Compose terms.
fn compose_words(expected: &str) -> String {
    let e = expected.trim();
    let words = match e {
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a whole number from 0 to 4294967295",
        "u64" | "usize" | "u128" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "isize" | "i128" | "integer" | "an integer" => {
            "a whole number"
        }
        "f32" | "f64" | "a float" => "a number",
        "a string" | "string" | "a borrowed string" | "char" | "a character" => "a string",
        "a boolean" | "bool" => "true or false",
        "a sequence" | "sequence" => "a list",
        "a map" | "map" => "a mapping",
        "unit" => "null",
        _ if e.starts_with("struct ") => "a mapping",
        _ if e.starts_with("tuple") => "a list",
        _ if e.starts_with("enum ") || e.starts_with("variant ") => "one of the allowed values",
        _ if e.contains('<') || e.contains("::") => "a valid value",
        _ => return e.to_string(),
    };
    words.to_string()
}

fn unknown_key(field: &str, expected: &[&str]) -> Error {
    let known: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|f| *f != EXTENSIONS_FIELD)
        .collect();
    let mut err = Error::new(format!("unknown key `{field}`"));
    let help = match closest(field, &known) {
        Some(s) => format!("did you mean `{s}`? (custom keys must start with `x-`)"),
        None => format!(
            "allowed keys here: {}; custom keys must start with `x-`",
            known.join(", ")
        ),
    };
    err = err.with_help(help);
    err
}

/// The known key closest to `field` by edit distance, if it is close enough.
pub fn closest<'a>(field: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (levenshtein(field, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Deserialize a typed value from a node.
pub fn from_node<'a, T: de::Deserialize<'a>>(node: &'a Node, path: &KeyPath) -> Result<T, Error> {
    T::deserialize(NodeDe {
        node,
        path: Trail::base(path),
        lenient: false,
    })
    .map_err(|e| e.0)
}

pub struct NodeDe<'a> {
    pub node: &'a Node,
    pub path: Trail<'a>,
    /// Values of free-form maps (labels, options, …) may be numbers or
    /// booleans where a string is wanted; other string fields are strict.
    pub lenient: bool,
}

impl<'a> NodeDe<'a> {
    fn locate(&self, e: DeError) -> DeError {
        located(e, self.node.span, &self.path)
    }
}

fn located(e: DeError, span: Span, path: &Trail<'_>) -> DeError {
    DeError(e.0.with_span(span).with_path(&path.path()))
}

macro_rules! forward_to_any {
    ($($m:ident)*) => {
        $(fn $m<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> { self.deserialize_any(v) })*
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Int(i) => v.visit_i64(*i),
            Value::Float(f) => v.visit_f64(*f),
            Value::Str(s) => v.visit_str(s),
            Value::Seq(items) => v.visit_seq(SeqDe {
                items: items.iter(),
                path: self.path.clone(),
                index: 0,
            }),
            Value::Map(m) => v.visit_map(MapDe {
                iter: m.iter().collect::<Vec<_>>().into_iter(),
                pending: None,
                path: self.path.clone(),
                extensions: None,
                lenient_values: true,
            }),
        };
        r.map_err(|e| self.locate(e))
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Str(s) => v.visit_str(s),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) if self.lenient => {
                v.visit_string(self.node.scalar_string().unwrap_or_default())
            }
            _ => return self.deserialize_any(v),
        };
        r.map_err(|e| self.locate(e))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let Value::Map(m) = &self.node.value else {
            return self.deserialize_any(v);
        };
        let wants_extensions = fields.contains(&EXTENSIONS_FIELD);
        let mut entries = Vec::with_capacity(m.len());
        let mut extensions = Vec::new();
        for (k, val) in m.iter() {
            if k.name.starts_with("x-") {
                if wants_extensions {
                    extensions.push((k, val));
                }
                continue;
            }
            if !fields.contains(&k.name.as_str()) {
                return Err(DeError(
                    unknown_key(&k.name, fields)
                        .with_span(k.span)
                        .with_path(&self.path.path()),
                ));
            }
            entries.push((k, val));
        }
        let r = v.visit_map(MapDe {
            iter: entries.into_iter(),
            pending: None,
            path: self.path.clone(),
            extensions: if extensions.is_empty() {
                None
            } else {
                Some(extensions)
            },
            lenient_values: false,
        });
        r.map_err(|e| self.locate(e))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Str(s) => {
                if !variants.contains(&s.as_str()) {
                    return Err(self.locate(DeError(
                        Error::new(format!(
                            "invalid value {s:?}, expected one of: {}",
                            variants.join(", ")
                        ))
                        .with_help(match closest(s, variants) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => format!("use one of: {}", variants.join(", ")),
                        }),
                    )));
                }
                v.visit_enum(s.as_str().into_deserializer())
                    .map_err(|e: DeError| self.locate(e))
            }
            _ => self.deserialize_any(v),
        }
    }

    forward_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32
        deserialize_f64 deserialize_char deserialize_bytes deserialize_byte_buf
        deserialize_unit deserialize_seq deserialize_map deserialize_identifier
        deserialize_ignored_any deserialize_i128 deserialize_u128
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(v)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_any(v)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(v)
    }
}

struct SeqDe<'a> {
    items: std::slice::Iter<'a, Node>,
    path: Trail<'a>,
    index: usize,
}

impl<'de> SeqAccess<'de> for SeqDe<'de> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            None => Ok(None),
            Some(node) => {
                let path = self.path.index(self.index);
                self.index += 1;
                seed.deserialize(NodeDe {
                    node,
                    path: path.clone(),
                    lenient: false,
                })
                .map(Some)
                .map_err(|e| located(e, node.span, &path))
            }
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

type Entry<'a> = (&'a crate::node::Key, &'a Node);

struct MapDe<'a> {
    iter: std::vec::IntoIter<Entry<'a>>,
    pending: Option<Entry<'a>>,
    path: Trail<'a>,
    extensions: Option<Vec<Entry<'a>>>,
    lenient_values: bool,
}

impl<'de> MapAccess<'de> for MapDe<'de> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            Some(entry) => {
                self.pending = Some(entry);
                seed.deserialize(KeyDe {
                    name: &entry.0.name,
                    span: entry.0.span,
                    path: &self.path,
                })
                .map(Some)
            }
            None if self.extensions.is_some() => seed
                .deserialize(EXTENSIONS_FIELD.into_deserializer())
                .map(Some),
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        if let Some((k, node)) = self.pending.take() {
            let path = self.path.key(&k.name);
            return seed
                .deserialize(NodeDe {
                    node,
                    path: path.clone(),
                    lenient: self.lenient_values,
                })
                .map_err(|e| located(e, node.span, &path));
        }
        let ext = self.extensions.take().unwrap_or_default();
        seed.deserialize(ExtensionsDe {
            entries: ext,
            path: self.path.clone(),
        })
    }
}

struct KeyDe<'de, 'p> {
    name: &'de str,
    span: Span,
    path: &'p Trail<'de>,
}

impl<'de> de::Deserializer<'de> for KeyDe<'de, '_> {
    type Error = DeError;
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_str(self.name).map_err(|e: DeError| {
            DeError(
                e.0.with_span(self.span)
                    .with_path(&self.path.path().key(self.name)),
            )
        })
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Presents the collected `x-*` entries as one mapping.
struct ExtensionsDe<'a> {
    entries: Vec<Entry<'a>>,
    path: Trail<'a>,
}

impl<'de> de::Deserializer<'de> for ExtensionsDe<'de> {
    type Error = DeError;
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_map(MapDe {
            iter: self.entries.into_iter(),
            pending: None,
            path: self.path,
            extensions: None,
            lenient_values: false,
        })
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_str;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct S {
        image: String,
        #[serde(default)]
        replicas: Option<u32>,
        #[serde(rename = "#extensions", default)]
        ext: indexmap::IndexMap<String, serde_json::Value>,
    }

    #[test]
    fn unknown_key_points_at_key_with_suggestion() {
        let n = parse_str("image: x\nrestrat: always\n").unwrap().unwrap();
        let e = from_node::<S>(&n, &KeyPath::parse("services.web")).unwrap_err();
        assert_eq!(e.message(), "unknown key `restrat`");
        assert_eq!(e.key_path(), Some("services.web"));
        assert_eq!(e.span().unwrap().line, 2);
    }

    #[test]
    fn type_error_has_path() {
        let n = parse_str("image: x\nreplicas: lots\n").unwrap().unwrap();
        let e = from_node::<S>(&n, &KeyPath::parse("svc")).unwrap_err();
        assert_eq!(e.key_path(), Some("svc.replicas"));
        assert!(e.message().contains("lots"), "{}", e.message());
    }

    #[test]
    fn extensions_are_collected() {
        let n = parse_str("image: x\nx-aws-role: {a: 1}\n")
            .unwrap()
            .unwrap();
        let s = from_node::<S>(&n, &KeyPath::root()).unwrap();
        assert_eq!(s.ext["x-aws-role"], serde_json::json!({"a": 1}));
        assert_eq!(closest("imgae", &["image", "init"]), Some("image"));
    }
}
