//! Reading YAML into [`Node`] trees through serde-saphyr.
//!
//! serde-saphyr resolves anchors, aliases and `<<` merge keys, rejects duplicate
//! keys, enforces a budget against alias bombs, and hands every value to us with
//! its location and tag. We ask for YAML 1.2 booleans and legacy octal so that
//! scalars come out exactly as `docker compose` reads them (`on` stays a string,
//! `0755` is 493).

use crate::error::Error;
use crate::node::{Key, Map, Node, Span, Tag, Value};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned, Tagged};
use std::cell::Cell;
use std::fmt;

thread_local! {
    // serde-saphyr knows nothing of our source ids; the node visitor reads the
    // id of the file being parsed from here.
    static CURRENT_SOURCE: Cell<u32> = const { Cell::new(u32::MAX) };
}

fn span_of(loc: &Location) -> Span {
    let s = loc.span();
    Span {
        source: CURRENT_SOURCE.with(|c| c.get()),
        offset: s.byte_offset().unwrap_or(s.offset()) as u32,
        len: s.byte_len().unwrap_or(s.len()) as u32,
        line: loc.line() as u32,
        column: loc.column() as u32,
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(match i64::try_from(u) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(u as f64),
        })
    }
    fn visit_i128<E>(self, i: i128) -> Result<Value, E> {
        Ok(match i64::try_from(i) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(i as f64),
        })
    }
    fn visit_u128<E>(self, u: u128) -> Result<Value, E> {
        Ok(match i64::try_from(u) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(u as f64),
        })
    }
    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Str(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(n) = seq.next_element::<Node>()? {
            items.push(n);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::with_capacity(access.size_hint().unwrap_or(0));
        while let Some((k, v)) = access.next_entry::<Spanned<KeyText>, Node>()? {
            // Merge keys can bring a key that is already present; the explicit one wins.
            let mut key = Key::new(k.value.0, span_of(&k.referenced));
            key.not_a_string = k.value.1;
            map.entry(key).or_insert(v);
        }
        Ok(Value::Map(Box::new(map)))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// A mapping key: any scalar, kept as text, and whether it was a string.
struct KeyText(String, bool);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, s: &str) -> Result<KeyText, E> {
                Ok(KeyText(s.to_string(), false))
            }
            fn visit_string<E>(self, s: String) -> Result<KeyText, E> {
                Ok(KeyText(s, false))
            }
            fn visit_bool<E>(self, b: bool) -> Result<KeyText, E> {
                Ok(KeyText(b.to_string(), true))
            }
            fn visit_i64<E>(self, i: i64) -> Result<KeyText, E> {
                Ok(KeyText(i.to_string(), true))
            }
            fn visit_u64<E>(self, i: u64) -> Result<KeyText, E> {
                Ok(KeyText(i.to_string(), true))
            }
            fn visit_f64<E>(self, f: f64) -> Result<KeyText, E> {
                Ok(KeyText(crate::node::format_float(f), true))
            }
            fn visit_unit<E>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".into(), true))
            }
        }
        // `any`, not `string`: a plain `80` must reach `visit_i64` to be
        // known as a number.
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned: Spanned<Tagged<Value>> = Spanned::deserialize(d)?;
        let tag = match spanned.value.1.as_deref() {
            Some("!reset") => Tag::Reset,
            Some("!override") => Tag::Override,
            _ => Tag::None,
        };
        Ok(Node {
            value: spanned.value.0,
            span: span_of(&spanned.referenced),
            tag,
        })
    }
}

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        legacy_octal_numbers: true,
        // Compose files reuse one `x-` anchor in every service, so the
        // alias/anchor ratio heuristic is off. What stops an alias bomb is
        // the cap on values produced by expansion.
        budget: serde_saphyr::budget! {
            enforce_alias_anchor_ratio: false,
            max_nodes: 1_000_000,
            max_depth: crate::limits::MAX_NESTING_DEPTH,
            // Counted as values are produced, alias replays included: one
            // large anchored string aliased many times is caught by its bytes.
            max_total_scalar_bytes: crate::limits::MAX_EXPANDED_BYTES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 500_000,
        },
    }
}

/// Parse every YAML document of one file. Empty documents are skipped, so an
/// empty file gives an empty list.
pub fn parse_documents(text: &str, source: u32) -> Result<Vec<Node>, Error> {
    match crate::yaml_fast::parse(text, source) {
        Some(docs) => Ok(docs),
        None => parse_documents_reference(text, source),
    }
}

/// The fast path alone: `None` where it steps aside for serde-saphyr.
pub fn fast_path(text: &str, source: u32) -> Option<Vec<Node>> {
    crate::yaml_fast::parse(text, source)
}

/// [`parse_documents`] through serde-saphyr alone: the reader of record,
/// which the fast path must agree with.
pub fn parse_documents_reference(text: &str, source: u32) -> Result<Vec<Node>, Error> {
    CURRENT_SOURCE.with(|c| c.set(source));
    let parsed = serde_saphyr::from_multiple_with_options::<Option<Node>>(text, options());
    CURRENT_SOURCE.with(|c| c.set(u32::MAX));
    match parsed {
        Ok(docs) => Ok(docs.into_iter().flatten().collect()),
        Err(e) => Err(convert_error(&e, source)),
    }
}

/// Parse a single YAML value (used for `.env`-free snippets in tests and tools).
pub fn parse_str(text: &str) -> Result<Option<Node>, Error> {
    Ok(parse_documents(text, 0)?.into_iter().next())
}

fn convert_error(e: &serde_saphyr::Error, source: u32) -> Error {
    let raw = e.without_snippet().to_string();
    let (message, help) = match exhausted(innermost(e)) {
        Some(why) => why,
        None => explain(strip_location_prefix(&raw)),
    };
    let mut err = Error::new(message).with_help(help);
    if let Some(loc) = e.location() {
        CURRENT_SOURCE.with(|c| c.set(source));
        err = err.with_span(span_of(&loc));
        CURRENT_SOURCE.with(|c| c.set(u32::MAX));
    }
    err
}

fn strip_location_prefix(s: &str) -> &str {
    // "error: line 6 column 4: message at line 6, column 4" → "message"
    let s = s.trim_start_matches("error: ");
    let s = match s.rfind(" at line ") {
        Some(i) if s[i..].contains(", column ") => &s[..i],
        _ => s,
    };
    if let Some(rest) = s.strip_prefix("line ")
        && let Some(idx) = rest.find(": ")
        && rest[..idx].contains(" column ")
    {
        return rest[idx + 2..].lines().next().unwrap_or("").trim();
    }
    s.lines().next().unwrap_or("").trim()
}

/// The parser's own error inside the wrappers that add snippets and alias
/// locations.
fn innermost(mut e: &serde_saphyr::Error) -> &serde_saphyr::Error {
    loop {
        match e {
            serde_saphyr::Error::WithSnippet { error, .. }
            | serde_saphyr::Error::AliasError { error, .. } => e = error,
            other => return other,
        }
    }
}

/// A limit of the reader ran out: which one, in Compose words, and what to do.
fn exhausted(e: &serde_saphyr::Error) -> Option<(String, String)> {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach;
    let alias_bomb = || {
        (
            "anchors and aliases expand to too many values (a \"billion laughs\" alias bomb?)"
                .to_string(),
            "each alias copies its anchor's value: alias fewer, smaller values".to_string(),
        )
    };
    Some(match e {
        E::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => (
                format!(
                    "values are nested more than {} levels deep",
                    crate::limits::MAX_NESTING_DEPTH
                ),
                "Compose files nest a few levels: flatten this value".to_string(),
            ),
            // A file is far smaller than this budget: only aliases reach it.
            BudgetBreach::ScalarBytes { .. } | BudgetBreach::RecordedAnchorBytes { .. } => (
                format!(
                    "anchors and aliases expand to more than {} of text",
                    crate::limits::bytes(crate::limits::MAX_EXPANDED_BYTES as u64)
                ),
                "each alias copies its anchor's value: alias large values fewer times".to_string(),
            ),
            BudgetBreach::Documents { .. } => (
                "the file has too many YAML documents".to_string(),
                "a Compose file has one document (a few at most)".to_string(),
            ),
            BudgetBreach::MergeKeys { .. } => (
                "the file has too many `<<` merge keys".to_string(),
                "merge fewer anchors into each mapping".to_string(),
            ),
            BudgetBreach::Anchors { .. } => (
                "the file defines too many anchors".to_string(),
                "define fewer `&anchors`".to_string(),
            ),
            BudgetBreach::Events { .. } | BudgetBreach::Nodes { .. } => (
                "the file has too many values".to_string(),
                "check that the file is a Compose file; aliases count for every value they copy"
                    .to_string(),
            ),
            _ => alias_bomb(),
        },
        E::AliasReplayCounterOverflow { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => alias_bomb(),
        _ => return None,
    })
}

/// Rephrase the parser's message for a Compose user and say what to do.
fn explain(message: &str) -> (String, String) {
    if let Some(rest) = message.strip_prefix("non-finite float ") {
        let value = rest.split(' ').next().unwrap_or(rest);
        return (
            format!("{value} is not a number Compose can use"),
            "write a finite number".into(),
        );
    }
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return (
            format!("duplicate key `{key}`"),
            "a mapping may define each key only once: remove or merge the repeated entry".into(),
        );
    }
    (
        format!("invalid YAML: {message}"),
        "fix the YAML syntax at the position shown (indentation, quotes, brackets, `key: value` pairs)"
            .into(),
    )
}
