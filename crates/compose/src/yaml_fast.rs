//! A fast reader for the plain YAML most Compose files are made of.
//!
//! serde-saphyr is the YAML reader of record: it owns every error message,
//! the alias-bomb budgets and the rare corners of YAML. Reading through serde
//! costs about three times what the parser's own event stream costs, though,
//! and the parse was half of a `convert` run. So this module builds the same
//! [`Node`] tree straight from the events of the parser serde-saphyr uses, for
//! the common subset: block and flow collections, scalars, anchors, aliases
//! and `<<` merge keys, `!reset` and `!override`. On anything else — a syntax
//! error, a duplicate key, another tag, a scalar whose type it is not sure of,
//! a large alias expansion — it gives up, and the caller reads the file with
//! serde-saphyr instead. A differential test holds the two readers to the same
//! trees, spans included.

use crate::node::{Key, Map, Node, Span, Tag, Value};
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span as EventSpan, Tag as YamlTag};
use std::collections::HashMap;

/// Past this many nodes copied by aliases, serde-saphyr's budgets decide.
const MAX_ALIAS_NODES: usize = 20_000;
/// Deeper nesting, or more text copied by aliases, is left to serde-saphyr,
/// which reports it.
const MAX_DEPTH: usize = crate::limits::MAX_NESTING_DEPTH;
const MAX_ALIAS_BYTES: usize = crate::limits::MAX_EXPANDED_BYTES;

/// The documents of `text`, or `None` to read it with serde-saphyr instead.
pub fn parse(text: &str, source: u32) -> Option<Vec<Node>> {
    let mut reader = Reader {
        source,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        alias_bytes: 0,
        root: None,
    };
    let mut docs = Vec::new();
    for item in Parser::new_from_str(text) {
        let (event, span) = item.ok()?;
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(..) => {}
            Event::DocumentEnd => {
                if let Some(root) = reader.root.take() {
                    match root.value {
                        // serde-saphyr reads a null document as no document.
                        Value::Null => {}
                        Value::Map(_) | Value::Seq(_) => docs.push(root),
                        _ => return None,
                    }
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                if tag.is_some() || anchor != 0 && reader.in_key_position() {
                    return None;
                }
                let merge_key = style == ScalarStyle::Plain && text == "<<";
                let value = match style {
                    ScalarStyle::Plain => plain_scalar(&text)?,
                    _ => Value::Str(text.into_owned()),
                };
                let node = Node::new(value, reader.span(&span));
                reader.remember(anchor, &node);
                reader.deliver(node, merge_key, style == ScalarStyle::Plain)?;
            }
            Event::SequenceStart(_, anchor, tag) => {
                let tag = collection_tag(tag.as_deref())?;
                reader.open(Frame::Seq(Vec::new()), &span, anchor, tag)?;
            }
            Event::MappingStart(_, anchor, tag) => {
                let tag = collection_tag(tag.as_deref())?;
                let frame = Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    merges: Vec::new(),
                };
                reader.open(frame, &span, anchor, tag)?;
            }
            Event::SequenceEnd | Event::MappingEnd => reader.close()?,
            Event::Alias(id) => {
                let anchored = reader.anchors.get(&id)?;
                let size = Size::of(anchored);
                reader.alias_nodes += size.nodes;
                reader.alias_bytes += size.bytes;
                // An alias nests its value where it stands: aliases of
                // aliases could otherwise build depth no parser sees.
                if reader.alias_nodes > MAX_ALIAS_NODES
                    || reader.alias_bytes > MAX_ALIAS_BYTES
                    || reader.stack.len() + size.depth > MAX_DEPTH
                {
                    return None;
                }
                let mut node = anchored.clone();
                // Everything an alias brings in is located at the alias.
                respan(&mut node, reader.span(&span));
                reader.deliver(node, false, false)?;
            }
            _ => return None,
        }
    }
    if !reader.stack.is_empty() || reader.root.is_some() {
        return None;
    }
    Some(docs)
}

enum Frame {
    Seq(Vec<Node>),
    Map {
        /// Entries in order; the map is built when it closes.
        entries: Vec<(Key, Node)>,
        /// The key waiting for its value; `None` inside means a `<<` key.
        key: Option<Option<Key>>,
        /// `<<` values, applied at the end: explicit keys win, then the
        /// first merge that has a key.
        merges: Vec<Node>,
    },
}

struct Open {
    frame: Frame,
    span: Span,
    anchor: usize,
    tag: Tag,
}

struct Reader {
    source: u32,
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    alias_bytes: usize,
    root: Option<Node>,
}

impl Reader {
    fn span(&self, s: &EventSpan) -> Span {
        let start = s.start;
        let offset = start.byte_offset().unwrap_or(start.index());
        let end = s.end.byte_offset().unwrap_or(s.end.index());
        Span {
            source: self.source,
            offset: offset as u32,
            len: end.saturating_sub(offset) as u32,
            line: start.line() as u32,
            column: start.col() as u32 + 1,
        }
    }

    fn in_key_position(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Open {
                frame: Frame::Map { key: None, .. },
                ..
            })
        )
    }

    fn open(&mut self, frame: Frame, span: &EventSpan, anchor: usize, tag: Tag) -> Option<()> {
        if self.in_key_position() || self.stack.len() >= MAX_DEPTH {
            return None;
        }
        let span = self.span(span);
        self.stack.push(Open {
            frame,
            span,
            anchor,
            tag,
        });
        Some(())
    }

    fn close(&mut self) -> Option<()> {
        let open = self.stack.pop()?;
        let value = match open.frame {
            Frame::Seq(items) => Value::Seq(items),
            Frame::Map {
                entries,
                key,
                merges,
            } => {
                if key.is_some() {
                    return None;
                }
                // Built at its full size: growing thousands of small maps
                // one key at a time was a fifth of the parse.
                let mut map = Map::with_capacity(entries.len());
                for (k, v) in entries {
                    // A repeated key is an error; serde-saphyr words it.
                    if map.insert(k, v).is_some() {
                        return None;
                    }
                }
                for source in merges {
                    merge_into(&mut map, source)?;
                }
                Value::Map(Box::new(map))
            }
        };
        let mut node = Node::new(value, open.span);
        node.tag = open.tag;
        self.remember(open.anchor, &node);
        self.deliver(node, false, false)
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    /// Hand a finished node to the collection it belongs to.
    fn deliver(&mut self, node: Node, merge_key: bool, plain: bool) -> Option<()> {
        let Some(open) = self.stack.last_mut() else {
            if self.root.is_some() {
                return None;
            }
            self.root = Some(node);
            return Some(());
        };
        match &mut open.frame {
            Frame::Seq(items) => items.push(node),
            Frame::Map {
                entries,
                key,
                merges,
            } => match key.take() {
                None if merge_key => *key = Some(None),
                None => *key = Some(Some(key_of(node, plain)?)),
                Some(None) => merges.push(node),
                Some(Some(k)) => entries.push((k, node)),
            },
        }
        Some(())
    }
}

/// A mapping key, as text. Plain keys that would read as anything but a
/// string are left to serde-saphyr, which reads keys as strings.
fn key_of(node: Node, plain: bool) -> Option<Key> {
    match node.value {
        Value::Str(s) if !plain || !s.is_empty() => Some(Key::new(s, node.span)),
        _ => None,
    }
}

/// Add the entries of one `<<` value that the mapping does not have yet.
/// Merged entries are located where their mapping is referenced: the alias,
/// or the start of a mapping written in place.
fn merge_into(map: &mut Map, source: Node) -> Option<()> {
    let maps = match source.value {
        Value::Map(_) => vec![source],
        Value::Seq(items) => items,
        _ => return None,
    };
    for mut item in maps {
        let span = item.span;
        respan(&mut item, span);
        let Value::Map(entries) = item.value else {
            return None;
        };
        for (k, v) in *entries {
            if !map.contains_key(k.name.as_str()) {
                map.insert(k, v);
            }
        }
    }
    Some(())
}

/// `!reset` and `!override` on collections; any other tag is left to serde-saphyr.
fn collection_tag(tag: Option<&YamlTag>) -> Option<Tag> {
    match tag {
        None => Some(Tag::None),
        Some(t) if t.handle() == "!" && t.suffix() == "reset" => Some(Tag::Reset),
        Some(t) if t.handle() == "!" && t.suffix() == "override" => Some(Tag::Override),
        Some(_) => None,
    }
}

/// What copying a node costs. Nodes reach here only within [`MAX_DEPTH`].
struct Size {
    nodes: usize,
    bytes: usize,
    depth: usize,
}

impl Size {
    fn of(node: &Node) -> Size {
        let mut size = Size {
            nodes: 1,
            bytes: 0,
            depth: 0,
        };
        let children: Box<dyn Iterator<Item = &Node>> = match &node.value {
            Value::Seq(items) => Box::new(items.iter()),
            Value::Map(map) => {
                size.bytes += map.keys().map(|k| k.name.len()).sum::<usize>();
                Box::new(map.values())
            }
            Value::Str(s) => {
                size.bytes += s.len();
                Box::new(std::iter::empty())
            }
            _ => {
                size.bytes += 8;
                Box::new(std::iter::empty())
            }
        };
        for child in children {
            let c = Size::of(child);
            size.nodes += c.nodes;
            size.bytes += c.bytes;
            size.depth = size.depth.max(c.depth + 1);
        }
        size
    }
}

fn respan(node: &mut Node, span: Span) {
    node.span = span;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| respan(n, span)),
        Value::Map(map) => {
            // Keys carry spans too; rebuilding keeps the map's order.
            let entries = std::mem::take(&mut **map);
            for (mut k, mut v) in entries {
                k.span = span;
                respan(&mut v, span);
                map.insert(k, v);
            }
        }
        _ => {}
    }
}

/// The value of a plain scalar under YAML 1.2's core schema with Compose's
/// legacy octal (`0755`), or `None` where serde-saphyr should decide.
fn plain_scalar(s: &str) -> Option<Value> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    // The spellings of infinity and not-a-number: serde-saphyr's float policy decides.
    if [".inf", ".nan", "inf", "infinity", "nan"]
        .iter()
        .any(|w| unsigned.eq_ignore_ascii_case(w))
    {
        return None;
    }
    let numeric_start = unsigned
        .as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_digit() || *b == b'.');
    if !numeric_start {
        return Some(Value::Str(s.to_string()));
    }
    if let Some(v) = integer(s) {
        return Some(v);
    }
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() => Some(Value::Float(f)),
        // Overflow and special spellings: serde-saphyr's policy decides.
        Ok(_) => None,
        Err(_) => Some(Value::Str(s.to_string())),
    }
}

/// An integer in any YAML notation serde-saphyr reads (`0x`, `0o`, `0b`,
/// legacy octal, `_` between digits), as the node visitor stores it.
fn integer(s: &str) -> Option<Value> {
    let (negative, rest) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let prefixed = |p: [&str; 2]| rest.strip_prefix(p[0]).or_else(|| rest.strip_prefix(p[1]));
    let (radix, digits) = if let Some(d) = prefixed(["0x", "0X"]) {
        (16, d.strip_prefix('_').unwrap_or(d))
    } else if let Some(d) = prefixed(["0o", "0O"]) {
        (8, d.strip_prefix('_').unwrap_or(d))
    } else if let Some(d) = prefixed(["0b", "0B"]) {
        (2, d.strip_prefix('_').unwrap_or(d))
    } else if rest == "0" {
        (8, "0")
    } else if let Some(d) = rest.strip_prefix('0') {
        (8, d.strip_prefix('_').unwrap_or(d))
    } else {
        (10, rest)
    };
    let magnitude = digits_value(digits, radix)?;
    if negative {
        let v = i128::try_from(magnitude).ok()?.checked_neg()?;
        i64::try_from(v).ok().map(Value::Int)
    } else {
        let v = u64::try_from(magnitude).ok()?;
        Some(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(v as f64),
        })
    }
}

/// Digits in `radix`, with single underscores allowed between them.
fn digits_value(digits: &str, radix: u32) -> Option<u128> {
    let bytes = digits.as_bytes();
    let mut value: u128 = 0;
    let mut seen = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let between =
                i > 0 && bytes[i - 1] != b'_' && bytes.get(i + 1).is_some_and(|n| *n != b'_');
            if !between {
                return None;
            }
            continue;
        }
        let d = (b as char).to_digit(radix)?;
        value = value.checked_mul(radix.into())?.checked_add(d.into())?;
        seen = true;
    }
    seen.then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars() {
        let cases: &[(&str, Option<Value>)] = &[
            ("~", Some(Value::Null)),
            ("True", Some(Value::Bool(true))),
            ("yes", Some(Value::Str("yes".into()))),
            ("0755", Some(Value::Int(493))),
            ("0x1F", Some(Value::Int(31))),
            ("1_000", Some(Value::Int(1000))),
            ("-12", Some(Value::Int(-12))),
            ("1.5", Some(Value::Float(1.5))),
            ("8080:80", Some(Value::Str("8080:80".into()))),
            ("3.8.1", Some(Value::Str("3.8.1".into()))),
            // Not octal, so a float, as serde-saphyr reads it.
            ("09", Some(Value::Float(9.0))),
            (".inf", None),
            ("nan", None),
            ("1e999", None),
        ];
        for (text, want) in cases {
            let got = plain_scalar(text);
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "{text}");
        }
    }
}
