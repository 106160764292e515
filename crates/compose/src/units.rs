//! Scalar types with Compose's parsing and printing rules: byte sizes, CPU
//! counts, durations, file modes and device counts.

use crate::syntax;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

pub fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

/// A number or a string, as Compose accepts for most scalar fields.
enum Scalar {
    Int(i64),
    Float(f64),
    Str(String),
}

struct ScalarVisitor(&'static str);

impl Visitor<'_> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        i64::try_from(v)
            .map(Scalar::Int)
            .map_err(|_| E::custom("number too large"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_string()))
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D, what: &'static str) -> Result<Scalar, D::Error> {
    d.deserialize_any(ScalarVisitor(what))
}

/// A byte size such as `512m` or `1073741824`, printed as a decimal string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub i64);

impl Bytes {
    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match scalar(d, "a byte size such as 512m or 1g")? {
            Scalar::Int(i) => Ok(Bytes(i)),
            Scalar::Float(f) => Ok(Bytes(f as i64)),
            Scalar::Str(s) => syntax::parse_bytes(&s).map(Bytes).map_err(|e| {
                de::Error::custom(format!(
                    "{e} in byte size {s:?}\nhelp: use a number with an optional b, k, m or g suffix, such as 512m"
                ))
            }),
        }
    }
}

/// A CPU count (`0.5`, `"1.5"`), printed as a plain number.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd)]
pub struct Cpus(pub f32);

impl Cpus {
    pub fn is_zero(&self) -> bool {
        self.0 == 0.0
    }
}

impl Serialize for Cpus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_go_float32(self.0, s)
    }
}

impl<'de> Deserialize<'de> for Cpus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match scalar(d, "a number of CPUs")? {
            Scalar::Int(i) => Ok(Cpus(i as f32)),
            Scalar::Float(f) => Ok(Cpus(f as f32)),
            Scalar::Str(s) => s.trim().parse::<f32>().map(Cpus).map_err(|_| {
                de::Error::custom(format!("invalid CPU count {s:?}: use a number such as 0.5"))
            }),
        }
    }
}

/// Go prints whole floats without a fractional part (`1`, not `1.0`).
pub fn serialize_go_float32<S: Serializer>(f: f32, s: S) -> Result<S::Ok, S::Error> {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        s.serialize_i64(f as i64)
    } else {
        // Widen through the shortest decimal text so 0.1f32 prints as 0.1.
        s.serialize_f64(f.to_string().parse().unwrap_or(f as f64))
    }
}

/// `f64` fields printed the Go way.
pub mod go_float {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(f: &f64, s: S) -> Result<S::Ok, S::Error> {
        if f.fract() == 0.0 && f.abs() < 1e15 {
            s.serialize_i64(*f as i64)
        } else {
            s.serialize_f64(*f)
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        f64::deserialize(d)
    }
}

/// A duration such as `1m30s`, printed the way Go prints `time.Duration`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub i64);

impl Duration {
    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }
    pub fn as_secs_f64(&self) -> f64 {
        self.0 as f64 / 1e9
    }
    pub fn from_secs(s: i64) -> Self {
        Duration(s * 1_000_000_000)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&syntax::format_duration(self.0))
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A bare number has no unit: Compose refuses it rather than guess
        // seconds or nanoseconds.
        match scalar(d, "a duration such as 30s or 1m30s")? {
            Scalar::Int(i) => Err(de::Error::custom(format!(
                "must be a duration such as 30s, found the number {i}\nhelp: add a unit: {i}s"
            ))),
            Scalar::Float(f) => Err(de::Error::custom(format!(
                "must be a duration such as 30s, found the number {f}\nhelp: add a unit, such as {f}s"
            ))),
            Scalar::Str(s) => syntax::parse_duration(&s).map(Duration).map_err(|e| {
                de::Error::custom(format!(
                    "{e}\nhelp: use a number with a unit (ns, us, ms, s, m, h), such as 30s or 1m30s"
                ))
            }),
        }
    }
}

/// A Unix file mode. YAML `0440` is already read as octal; a string is octal text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileMode(pub u32);

impl Serialize for FileMode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0{:o}", self.0))
    }
}

impl<'de> Deserialize<'de> for FileMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match scalar(d, "a file mode such as 0440")? {
            Scalar::Int(i) => u32::try_from(i)
                .map(FileMode)
                .map_err(|_| de::Error::custom(format!("invalid file mode {i}"))),
            Scalar::Float(f) => Err(de::Error::custom(format!("invalid file mode {f}"))),
            Scalar::Str(s) => u32::from_str_radix(&s, 8).map(FileMode).map_err(|_| {
                de::Error::custom(format!("invalid file mode {s:?}: use octal such as 0440"))
            }),
        }
    }
}

/// Number of devices; `all` is -1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceCount(pub i64);

impl DeviceCount {
    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }
}

impl Serialize for DeviceCount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for DeviceCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match scalar(d, "a device count or `all`")? {
            Scalar::Int(i) => Ok(DeviceCount(i)),
            Scalar::Float(f) => Ok(DeviceCount(f as i64)),
            Scalar::Str(s) if s.eq_ignore_ascii_case("all") => Ok(DeviceCount(-1)),
            Scalar::Str(s) => s.parse().map(DeviceCount).map_err(|_| {
                de::Error::custom(format!(
                    "invalid value {s:?}, the only value allowed is 'all' or a number\nhelp: use `all` or a number"
                ))
            }),
        }
    }
}

/// A string or a list of strings, as a list.
pub fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// A command: a list, or a string split into words like a shell would.
pub fn command<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Cmd {
        One(String),
        Many(Vec<String>),
    }
    match Cmd::deserialize(d)? {
        Cmd::One(s) => shlex::split(&s)
            .ok_or_else(|| de::Error::custom(format!("cannot split {s:?} into arguments"))),
        Cmd::Many(v) => Ok(v),
    }
}

/// An optional command (`None` when absent).
pub fn optional_command<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    command(d).map(Some)
}

/// Provider options: `key: value` or `key: [values]`, always as a list.
pub fn multi_options<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Opt {
        Many(Vec<serde_json::Value>),
        One(serde_json::Value),
    }
    let raw = std::collections::BTreeMap::<String, Opt>::deserialize(d)?;
    let text = |v: serde_json::Value| match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(raw
        .into_iter()
        .map(|(k, v)| {
            let values = match v {
                Opt::Many(list) => list.into_iter().map(text).collect(),
                Opt::One(one) => vec![text(one)],
            };
            (k, values)
        })
        .collect())
}
