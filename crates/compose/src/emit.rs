//! A block-style YAML writer for anything that implements `Serialize`.
//!
//! Two-space indentation, sequences indented under their key, the first key
//! of a mapping inside a sequence on the dash line, and quotes only where a
//! YAML reader would otherwise misread a string. It writes while serde walks
//! the value, with no intermediate tree: templates run to tens of thousands
//! of lines, and building a `serde_json::Value` first cost as much as the
//! conversion itself. The same bytes come out as emitting that `Value` would
//! give, so the `config` and `convert` outputs share this one writer.

use serde::ser::{self, Serialize};
use std::fmt;

/// Render `value` as a YAML document (no `---`, trailing newline).
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    value
        .serialize(Emitter {
            out: &mut out,
            at: At::Top,
        })
        .expect("emitting YAML into a String cannot fail");
    out
}

/// Render `value` as the block under a key at `indent - 2`: the lines a
/// mapping or sequence there would have, without the key line. Lets a caller
/// write parts of one document separately and join them.
pub fn to_string_nested<T: Serialize + ?Sized>(value: &T, indent: usize) -> String {
    let mut out = String::new();
    value
        .serialize(Emitter {
            out: &mut out,
            at: At::Key(indent.saturating_sub(2)),
        })
        .expect("emitting YAML into a String cannot fail");
    if out.starts_with('\n') {
        out.remove(0);
    }
    out
}

/// Where the value being written starts.
#[derive(Clone, Copy)]
enum At {
    /// The document root.
    Top,
    /// After `key:` at this indentation.
    Key(usize),
    /// After `-` at this indentation.
    Dash(usize),
}

impl At {
    /// Indentation of the entries of a block collection written here.
    fn child_indent(self) -> usize {
        match self {
            At::Top => 0,
            At::Key(i) | At::Dash(i) => i + 2,
        }
    }
}

#[derive(Debug)]
pub struct EmitError(String);

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for EmitError {}
impl ser::Error for EmitError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        EmitError(msg.to_string())
    }
}

struct Emitter<'o> {
    out: &'o mut String,
    at: At,
}

impl<'o> Emitter<'o> {
    fn scalar(self, text: &str) -> Result<(), EmitError> {
        if !matches!(self.at, At::Top) {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.out.push('\n');
        Ok(())
    }
    fn string(self, s: &str) -> Result<(), EmitError> {
        if !matches!(self.at, At::Top) {
            self.out.push(' ');
        }
        push_scalar_str(s, self.out);
        self.out.push('\n');
        Ok(())
    }
    fn block(self) -> Block<'o> {
        let indent = self.at.child_indent();
        Block {
            out: self.out,
            at: self.at,
            indent,
            count: 0,
        }
    }
}

/// An open mapping or sequence.
struct Block<'o> {
    out: &'o mut String,
    at: At,
    indent: usize,
    count: usize,
}

impl Block<'_> {
    fn key(&mut self, key: &str) {
        if self.count == 0 {
            match self.at {
                At::Top => {}
                At::Key(_) => {
                    self.out.push('\n');
                    push_indent(self.indent, self.out);
                }
                // First key on the dash line, the rest aligned below it.
                At::Dash(_) => self.out.push(' '),
            }
        } else {
            push_indent(self.indent, self.out);
        }
        self.count += 1;
        push_scalar_str(key, self.out);
        self.out.push(':');
    }
    fn item(&mut self) {
        if self.count == 0 && !matches!(self.at, At::Top) {
            self.out.push('\n');
        }
        self.count += 1;
        push_indent(self.indent, self.out);
        self.out.push('-');
    }
    fn value<T: Serialize + ?Sized>(&mut self, v: &T, at: At) -> Result<(), EmitError> {
        v.serialize(Emitter { out: self.out, at })
    }
    fn end(self, empty: &str) -> Result<(), EmitError> {
        if self.count == 0 {
            if !matches!(self.at, At::Top) {
                self.out.push(' ');
            }
            self.out.push_str(empty);
            self.out.push('\n');
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Block<'_> {
    type Ok = ();
    type Error = EmitError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), EmitError> {
        self.item();
        let at = At::Dash(self.indent);
        self.value(v, at)
    }
    fn end(self) -> Result<(), EmitError> {
        Block::end(self, "[]")
    }
}

impl ser::SerializeTuple for Block<'_> {
    type Ok = ();
    type Error = EmitError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), EmitError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<(), EmitError> {
        Block::end(self, "[]")
    }
}

impl ser::SerializeTupleStruct for Block<'_> {
    type Ok = ();
    type Error = EmitError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), EmitError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<(), EmitError> {
        Block::end(self, "[]")
    }
}

impl ser::SerializeMap for Block<'_> {
    type Ok = ();
    type Error = EmitError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), EmitError> {
        k.serialize(KeyText(self))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), EmitError> {
        let at = At::Key(self.indent);
        self.value(v, at)
    }
    fn end(self) -> Result<(), EmitError> {
        Block::end(self, "{}")
    }
}

impl ser::SerializeStruct for Block<'_> {
    type Ok = ();
    type Error = EmitError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), EmitError> {
        self.key(name);
        let at = At::Key(self.indent);
        self.value(v, at)
    }
    fn end(self) -> Result<(), EmitError> {
        Block::end(self, "{}")
    }
}

/// `{variant: ...}` for tuple and struct variants, as serde_json does. Only
/// the inner collection is kept: the outer mapping has its one key written.
struct Variant<'o> {
    inner: Block<'o>,
}

impl<'o> Variant<'o> {
    fn open(e: Emitter<'o>, variant: &str) -> Variant<'o> {
        let mut outer = e.block();
        outer.key(variant);
        let at = At::Key(outer.indent);
        Variant {
            inner: Emitter { out: outer.out, at }.block(),
        }
    }
}

impl ser::SerializeTupleVariant for Variant<'_> {
    type Ok = ();
    type Error = EmitError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), EmitError> {
        ser::SerializeSeq::serialize_element(&mut self.inner, v)
    }
    fn end(self) -> Result<(), EmitError> {
        Block::end(self.inner, "[]")
    }
}

impl ser::SerializeStructVariant for Variant<'_> {
    type Ok = ();
    type Error = EmitError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), EmitError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, name, v)
    }
    fn end(self) -> Result<(), EmitError> {
        Block::end(self.inner, "{}")
    }
}

impl<'o> ser::Serializer for Emitter<'o> {
    type Ok = ();
    type Error = EmitError;
    type SerializeSeq = Block<'o>;
    type SerializeTuple = Block<'o>;
    type SerializeTupleStruct = Block<'o>;
    type SerializeTupleVariant = Variant<'o>;
    type SerializeMap = Block<'o>;
    type SerializeStruct = Block<'o>;
    type SerializeStructVariant = Variant<'o>;

    fn serialize_bool(self, v: bool) -> Result<(), EmitError> {
        self.scalar(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result<(), EmitError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), EmitError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), EmitError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), EmitError> {
        self.scalar(&v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<(), EmitError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), EmitError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), EmitError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), EmitError> {
        self.scalar(&v.to_string())
    }
    fn serialize_f32(self, v: f32) -> Result<(), EmitError> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), EmitError> {
        // serde_json's spelling (1.0, 1e20), and null for what JSON cannot hold.
        self.scalar(&serde_json::to_string(&v).expect("floats serialize"))
    }
    fn serialize_char(self, v: char) -> Result<(), EmitError> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), EmitError> {
        self.string(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), EmitError> {
        use ser::SerializeSeq;
        let mut seq = self.block();
        for b in v {
            seq.serialize_element(b)?;
        }
        SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result<(), EmitError> {
        self.scalar("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), EmitError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), EmitError> {
        self.scalar("null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), EmitError> {
        self.scalar("null")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), EmitError> {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), EmitError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), EmitError> {
        use ser::SerializeMap;
        let mut map = self.block();
        map.serialize_entry(variant, v)?;
        SerializeMap::end(map)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Block<'o>, EmitError> {
        Ok(self.block())
    }
    fn serialize_tuple(self, _: usize) -> Result<Block<'o>, EmitError> {
        Ok(self.block())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Block<'o>, EmitError> {
        Ok(self.block())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Variant<'o>, EmitError> {
        Ok(Variant::open(self, variant))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Block<'o>, EmitError> {
        Ok(self.block())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Block<'o>, EmitError> {
        Ok(self.block())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Variant<'o>, EmitError> {
        Ok(Variant::open(self, variant))
    }
}

/// Mapping keys become text, as in JSON, written straight into their
/// block (a string key is not copied first).
struct KeyText<'b, 'o>(&'b mut Block<'o>);

impl KeyText<'_, '_> {
    fn text(self, v: impl std::fmt::Display) -> Result<(), EmitError> {
        self.0.key(&v.to_string());
        Ok(())
    }
}

/// Scalar keys written as their text (`1:`, `true:`), as JSON would.
macro_rules! keys_as_text {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<(), EmitError> {
            self.text(v)
        })*
    };
}

fn not_a_string_key<T>() -> Result<T, EmitError> {
    Err(EmitError("a mapping key must be a string".into()))
}

impl ser::Serializer for KeyText<'_, '_> {
    type Ok = ();
    type Error = EmitError;
    type SerializeSeq = ser::Impossible<(), EmitError>;
    type SerializeTuple = ser::Impossible<(), EmitError>;
    type SerializeTupleStruct = ser::Impossible<(), EmitError>;
    type SerializeTupleVariant = ser::Impossible<(), EmitError>;
    type SerializeMap = ser::Impossible<(), EmitError>;
    type SerializeStruct = ser::Impossible<(), EmitError>;
    type SerializeStructVariant = ser::Impossible<(), EmitError>;

    fn serialize_str(self, v: &str) -> Result<(), EmitError> {
        self.0.key(v);
        Ok(())
    }
    keys_as_text!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_char: char,
    );
    fn serialize_f32(self, _: f32) -> Result<(), EmitError> {
        not_a_string_key()
    }
    fn serialize_f64(self, _: f64) -> Result<(), EmitError> {
        not_a_string_key()
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), EmitError> {
        not_a_string_key()
    }
    fn serialize_none(self) -> Result<(), EmitError> {
        not_a_string_key()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), EmitError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), EmitError> {
        not_a_string_key()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), EmitError> {
        not_a_string_key()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), EmitError> {
        self.0.key(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), EmitError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), EmitError> {
        not_a_string_key()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, EmitError> {
        not_a_string_key()
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, EmitError> {
        not_a_string_key()
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, EmitError> {
        not_a_string_key()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, EmitError> {
        not_a_string_key()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, EmitError> {
        not_a_string_key()
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, EmitError> {
        not_a_string_key()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, EmitError> {
        not_a_string_key()
    }
}

fn push_indent(indent: usize, out: &mut String) {
    const SPACES: &str = "                                                                ";
    let mut left = indent;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        left -= n;
    }
}

fn push_scalar_str(s: &str, out: &mut String) {
    if plain_ok(s) {
        out.push_str(s);
    } else {
        out.push_str(&serde_json::to_string(s).expect("strings serialize"));
    }
}

/// Bytes that need a closer look inside a plain scalar: control characters,
/// and `:` and `#`, which end or comment a plain scalar when spaced.
const WATCH: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[0x7f] = true;
    t[b':' as usize] = true;
    t[b'#' as usize] = true;
    t
};

/// Can `s` be written as a plain scalar and read back as the same string?
fn plain_ok(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    let indicator = matches!(
        first,
        b' ' | b'-'
            | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b'~'
    );
    if indicator || matches!(last, b' ' | b':') {
        return false;
    }
    for (i, &b) in bytes.iter().enumerate() {
        if WATCH[b as usize] {
            let spaced = match b {
                b':' => bytes.get(i + 1) == Some(&b' '),
                b'#' => i > 0 && bytes[i - 1] == b' ',
                _ => true, // a control character
            };
            if spaced {
                return false;
            }
        }
    }
    if !s.is_ascii() && s.chars().any(char::is_control) {
        return false;
    }
    !looks_like_other_type(s)
}

/// Would a YAML 1.1 or 1.2 reader take this plain text for a non-string?
fn looks_like_other_type(s: &str) -> bool {
    // Keywords (any case) that read as booleans, nulls or special floats.
    const WORDS: [&str; 14] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", ".inf", "-.inf", "+.inf",
        ".nan", "infinity",
    ];
    let first = s.as_bytes()[0];
    if first.is_ascii_alphabetic() {
        // Only a keyword can start with a letter; most text stops here.
        return s.len() <= 8
            && matches!(
                first.to_ascii_lowercase(),
                b't' | b'f' | b'y' | b'n' | b'o' | b'i'
            )
            && (WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
                || s.eq_ignore_ascii_case("inf")
                || s.eq_ignore_ascii_case("nan"));
    }
    if s.len() <= 5 && WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return true;
    }
    let unsigned = s.trim_start_matches(['+', '-']);
    // Numbers in any YAML 1.1 notation: 1_000, 0x1F, 0b101, 017, 1e3, .5, 12:30:00.
    let numeric_chars = |t: &str| {
        t.bytes()
            .all(|c| c.is_ascii_hexdigit() || b"_.:xXoObB+-".contains(&c))
    };
    s.parse::<f64>().is_ok()
        || (!unsigned.is_empty()
            && (unsigned.starts_with(|c: char| c.is_ascii_digit()) || unsigned.starts_with('.'))
            && numeric_chars(unsigned)
            && unsigned.bytes().any(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::to_string;
    use serde_json::json;

    #[test]
    fn scalar_keys_are_written_as_their_text_as_in_json() {
        use std::collections::BTreeMap;
        let ints: BTreeMap<i64, &str> = [(-2, "b"), (1, "a")].into();
        assert_eq!(to_string(&ints), to_string(&json!({"-2": "b", "1": "a"})));
        let small: BTreeMap<u8, u16> = [(7, 8)].into();
        assert_eq!(to_string(&small), to_string(&json!({"7": 8})));
        let bools: BTreeMap<bool, char> = [(true, 'x')].into();
        assert_eq!(to_string(&bools), to_string(&json!({"true": "x"})));
        let chars: BTreeMap<char, i32> = [('k', 1)].into();
        assert_eq!(to_string(&chars), "k: 1\n");
    }

    #[test]
    fn block_layout() {
        let v = json!({
            "a": 1,
            "b": {"c": "x", "d": []},
            "e": [{"f": 1, "g": {"h": true}}, ["i"], {}, "j"],
            "k": {},
        });
        assert_eq!(
            to_string(&v),
            "a: 1\nb:\n  c: x\n  d: []\ne:\n  - f: 1\n    g:\n      h: true\n  -\n    - i\n  - {}\n  - j\nk: {}\n"
        );
    }

    #[test]
    fn quotes_what_a_reader_would_misread() {
        let quoted = [
            "on", "Off", "y", "NULL", "1.5", "0x1F", "a: b", "#x", "", "12:30", "inf", "NaN",
            "Infinity", "-.inf", "1e3", "+1", "x\ty", "0755",
        ];
        for s in quoted {
            let text = to_string(&json!([s]));
            assert!(text.starts_with("- \""), "{s:?} must be quoted: {text}");
        }
        let plain = [
            "plain text",
            "ünï",
            "nginx",
            "Type",
            "AWS::ECS::Service",
            "a:b",
            "no-op",
            "infra",
        ];
        for s in plain {
            assert_eq!(to_string(&json!([s])), format!("- {s}\n"), "{s:?}");
        }
    }

    #[test]
    fn empty_root_collections() {
        assert_eq!(to_string(&json!({})), "{}\n");
        assert_eq!(to_string(&json!([])), "[]\n");
    }
}
