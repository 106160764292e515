//! A child's references to the outside, found and rewritten in the compact
//! JSON of its resources.
//!
//! serde_json writes no whitespace, and escapes every `"` inside strings,
//! so `{"Ref":"` and its kin occur only as the template's own structure:
//! a value a user wrote can never look like one.

use crate::cfn::Template;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What one child needs from the outside.
#[derive(Default)]
pub struct Wiring {
    /// Child parameter → (what the root passes, its type).
    pub params: BTreeMap<String, (Value, String)>,
    pub conditions: BTreeSet<String>,
    /// Root resources it waits for (`DependsOn` that crossed over).
    pub root_order: BTreeSet<String>,
    /// Children whose outputs it reads.
    pub reads: BTreeSet<String>,
    /// (resource, dependency in another child), from `DependsOn`.
    pub waits: BTreeSet<(String, String)>,
    /// Outputs other children must give it: (child, name, value there).
    pub exports: Vec<(String, String, Value)>,
}

/// Wires one child.
pub struct Wirer<'a> {
    pub t: &'a Template,
    pub home: &'a HashMap<&'a str, String>,
    pub child: &'a str,
    pub mine: &'a BTreeSet<&'a str>,
    pub w: Wiring,
}

impl Wirer<'_> {
    /// Keep a `DependsOn` entry inside the child; one on the outside
    /// becomes an ordering of the child stack.
    pub fn keep_dependency(&mut self, id: &str, dep: &str) -> bool {
        if self.mine.contains(dep) {
            return true;
        }
        if self.home.contains_key(dep) {
            self.w.waits.insert((id.to_string(), dep.to_string()));
            return false;
        }
        if self.t.resources.contains_key(dep) {
            self.w.root_order.insert(dep.to_string());
            return false;
        }
        // Nothing by that name: left for CloudFormation to report, as in
        // a single stack.
        true
    }

    /// Append the JSON to `out` with every outside `Fn::GetAtt` turned into
    /// a parameter reference and `${X.Attr}` in `Fn::Sub` into `${XAttr}`;
    /// every outside name is imported.
    pub fn rewrite_into(&mut self, json: &str, out: &mut String) {
        const REF: &str = "{\"Ref\":\"";
        const GET_ATT: &str = "{\"Fn::GetAtt\":[\"";
        const SUB: &str = "\"Fn::Sub\":\"";
        const SUB_LIST: &str = "\"Fn::Sub\":[\"";
        const IF: &str = "\"Fn::If\":[\"";
        let b = json.as_bytes();
        let mut copied = 0;
        let mut i = 0;
        while i < b.len() {
            let rest = &json[i..];
            match b[i] {
                b'{' if rest.starts_with(REF) => {
                    let start = i + REF.len();
                    let end = string_end(b, start - 1);
                    let name = &json[start..end];
                    // Most references stay inside, or were imported already.
                    if !name.starts_with("AWS::")
                        && !self.mine.contains(name)
                        && !self.w.params.contains_key(name)
                    {
                        self.import(name, None);
                    }
                    i = end + 1;
                }
                b'{' if rest.starts_with(GET_ATT) => {
                    let id_start = i + GET_ATT.len();
                    let id_end = string_end(b, id_start - 1);
                    // ","
                    let attr_start = id_end + 3;
                    let attr_end = string_end(b, attr_start - 1);
                    // "]}
                    let end = attr_end + 3;
                    let (id, attr) = (&json[id_start..id_end], &json[attr_start..attr_end]);
                    if !self.mine.contains(id) && json.get(attr_end..end) == Some("\"]}") {
                        let param = self.import(id, Some(attr));
                        out.push_str(&json[copied..i]);
                        out.push_str(&format!("{{\"Ref\":\"{param}\"}}"));
                        copied = end;
                    }
                    i = end;
                }
                // `Fn::Sub: text`, or `[text, {Name: value}]`, where the
                // names the map defines are not the template's (its values
                // are scanned as the rest of the JSON is).
                b'"' if rest.starts_with(SUB) || rest.starts_with(SUB_LIST) => {
                    let list = rest.starts_with(SUB_LIST);
                    let start = i + if list { SUB_LIST.len() } else { SUB.len() };
                    let end = string_end(b, start - 1);
                    let locals = match list {
                        true => sub_variables(json.get(end + 1..).unwrap_or("")),
                        false => vec![],
                    };
                    let text = self.rewrite_sub(&json[start..end], &locals);
                    if text != json[start..end] {
                        out.push_str(&json[copied..start]);
                        out.push_str(&text);
                        copied = end;
                    }
                    i = end + 1;
                }
                b'"' => {
                    if rest.starts_with(IF) {
                        let start = i + IF.len();
                        let end = string_end(b, start - 1);
                        self.w.conditions.insert(json[start..end].to_string());
                    }
                    i = string_end(b, i) + 1;
                }
                _ => i += 1,
            }
        }
        out.push_str(&json[copied..]);
    }

    /// `${X}` and `${X.Attr}` from outside: imported, the second renamed;
    /// `locals` are the names of the `Fn::Sub` variable map.
    fn rewrite_sub(&mut self, text: &str, locals: &[String]) -> String {
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
                && !locals.iter().any(|l| l == name)
                && !id.starts_with("AWS::")
                && !self.mine.contains(id)
                && (self.t.parameters.contains_key(id) || self.t.resources.contains_key(id));
            if outside {
                let param = self.import(id, attr);
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
    fn import(&mut self, id: &str, attr: Option<&str>) -> String {
        let param = match attr {
            Some(a) => format!("{id}{}", a.replace('.', "")),
            None => id.to_string(),
        };
        if id.starts_with("AWS::") || self.mine.contains(id) || self.w.params.contains_key(&param) {
            return param;
        }
        let local = match attr {
            Some(a) => json!({"Fn::GetAtt": [id, a]}),
            None => json!({ "Ref": id }),
        };
        let string = || "String".to_string();
        let (value, kind) = match (self.t.parameters.get(id), self.home.get(id)) {
            // A value read from SSM arrives as the value itself.
            (Some(p), _) if p.kind.starts_with("AWS::SSM::") => (local, string()),
            (Some(p), _) => (local, p.kind.clone()),
            (None, Some(other)) if other != self.child => {
                self.w.exports.push((other.clone(), param.clone(), local));
                self.w.reads.insert(other.clone());
                (
                    json!({"Fn::GetAtt": [other, format!("Outputs.{param}")]}),
                    string(),
                )
            }
            // A conditional root resource exists only under its condition,
            // which is where the child uses it.
            _ => match self.t.resources.get(id).and_then(|r| r.condition.as_ref()) {
                Some(c) => (json!({"Fn::If": [c, local, ""]}), string()),
                None if self.t.resources.contains_key(id) => (local, string()),
                // Nothing by that name: left for CloudFormation to report.
                None => return param,
            },
        };
        self.w.params.insert(param.clone(), (value, kind));
        param
    }
}

/// The index of the `"` that closes the string opening at `open`.
fn string_end(b: &[u8], open: usize) -> usize {
    let mut j = open + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return j,
            _ => j += 1,
        }
    }
    b.len()
}

/// The names a `Fn::Sub` variable map defines, read from the compact JSON
/// after the text (`,{"Name":…}]…`).
fn sub_variables(after_text: &str) -> Vec<String> {
    let Some(map) = after_text.strip_prefix(',') else {
        return vec![];
    };
    let mut values = serde_json::Deserializer::from_str(map).into_iter::<Value>();
    match values.next() {
        Some(Ok(Value::Object(m))) => m.keys().cloned().collect(),
        _ => vec![],
    }
}

/// The logical IDs a `Fn::Sub` text names.
pub fn sub_names(text: &str) -> Vec<&str> {
    text.split("${")
        .skip(1)
        .filter_map(|s| s.split_once('}'))
        .map(|(name, _)| name.split('.').next().unwrap_or(name))
        .filter(|n| !n.starts_with('!'))
        .collect()
}

/// The logical ID a `Ref` or `Fn::GetAtt` names.
pub fn referenced(v: &Value) -> Option<&str> {
    v.get("Ref")
        .and_then(Value::as_str)
        .or_else(|| v.get("Fn::GetAtt")?.get(0)?.as_str())
}
