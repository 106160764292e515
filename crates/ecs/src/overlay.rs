//! `x-aws-cloudformation`: a partial template deep-merged over the generated
//! one. Mappings merge key by key, the overlay wins on scalars, `null`
//! deletes, and lists are replaced whole (CloudFormation lists have no keys).

use serde_json::Value;

/// The sections of a CloudFormation template an overlay may touch.
const SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
];

/// What is wrong with an overlay: the key path inside it and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: Vec<String>,
    pub message: String,
    pub help: String,
}

fn problem(path: &[&str], message: String, help: &str) -> Problem {
    Problem {
        path: path.iter().map(|s| s.to_string()).collect(),
        message,
        help: help.to_string(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Check an overlay's shape against a template's: sections by name, and
/// the entries of `Resources`, `Parameters` and `Outputs` as mappings (or
/// `null` to delete), each resource's `Type` a string and `Properties` a
/// mapping. A misshapen overlay would only fail later, on AWS.
pub fn check(overlay: &serde_json::Map<String, Value>) -> Vec<Problem> {
    let mut out = Vec::new();
    for (section, value) in overlay {
        if !SECTIONS.contains(&section.as_str()) {
            out.push(problem(
                &[section],
                format!("`{section}` is not a section of a CloudFormation template"),
                "use Resources, Outputs, Parameters, Conditions, Mappings, Metadata or Description",
            ));
            continue;
        }
        let Some(entries) = (match value {
            Value::Object(m) => Some(m),
            Value::Null => None,
            Value::String(_)
                if matches!(
                    section.as_str(),
                    "Description" | "AWSTemplateFormatVersion" | "Transform"
                ) =>
            {
                None
            }
            Value::Array(_) if section == "Transform" => None,
            other => {
                out.push(problem(
                    &[section],
                    format!("`{section}` must be a mapping, found {}", kind(other)),
                    "write the section as a mapping of logical IDs",
                ));
                None
            }
        }) else {
            continue;
        };
        if !matches!(section.as_str(), "Resources" | "Parameters" | "Outputs") {
            continue;
        }
        for (id, entry) in entries {
            match entry {
                Value::Null => {}
                Value::Object(fields) => {
                    if section == "Resources" {
                        check_resource(&mut out, id, fields);
                    }
                }
                other => out.push(problem(
                    &[section, id],
                    format!("`{section}.{id}` must be a mapping, found {}", kind(other)),
                    "write the entry as a mapping, or null to delete it",
                )),
            }
        }
    }
    out
}

fn check_resource(out: &mut Vec<Problem>, id: &str, fields: &serde_json::Map<String, Value>) {
    if let Some(t) = fields.get("Type")
        && !t.is_string()
    {
        out.push(problem(
            &["Resources", id, "Type"],
            format!("a resource's `Type` must be a string, found {}", kind(t)),
            "write the type as AWS::Service::Resource",
        ));
    }
    if let Some(p) = fields.get("Properties")
        && !(p.is_object() || p.is_null())
    {
        out.push(problem(
            &["Resources", id, "Properties"],
            format!(
                "a resource's `Properties` must be a mapping, found {}",
                kind(p)
            ),
            "write the properties as a mapping",
        ));
    }
}

/// Overlay entries that would change nothing that exists and add nothing
/// whole: a resource without `Type`, an output without `Value`, a
/// parameter without `Type`, each naming an ID the template does not have.
pub fn unmatched(overlay: &Value, template: &Value) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (section, required) in [
        ("Resources", "Type"),
        ("Outputs", "Value"),
        ("Parameters", "Type"),
    ] {
        let Some(entries) = overlay.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (id, entry) in entries {
            let exists = template.get(section).and_then(|s| s.get(id)).is_some();
            let whole = entry.get(required).is_some();
            if !exists && !whole && !entry.is_null() {
                out.push(vec![section.to_string(), id.clone()]);
            }
        }
    }
    out
}

pub fn apply(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(k);
                } else if let Some(existing) = b.get_mut(k) {
                    apply(existing, v);
                } else {
                    b.insert(k.clone(), strip_nulls(v));
                }
            }
        }
        (b, o) => *b = strip_nulls(o),
    }
}

/// A `null` inside newly added content means "absent" too.
fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), strip_nulls(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn misshapen_overlays_are_named() {
        let o = json!({"Resources": [1], "Outputz": {}, "Outputs": {"A": 1}});
        let problems = check(o.as_object().unwrap());
        let paths: Vec<String> = problems.iter().map(|p| p.path.join(".")).collect();
        assert_eq!(paths, ["Resources", "Outputz", "Outputs.A"]);
        let o = json!({"Resources": {"A": {"Type": 1, "Properties": []}, "B": null}});
        let paths: Vec<String> = check(o.as_object().unwrap())
            .iter()
            .map(|p| p.path.join("."))
            .collect();
        assert_eq!(paths, ["Resources.A.Type", "Resources.A.Properties"]);
    }

    #[test]
    fn an_overlay_on_nothing_is_found() {
        let t = json!({"Resources": {"A": {"Type": "T"}}, "Outputs": {"O": {"Value": 1}}});
        let o = json!({"Resources": {"A": {"Properties": {}}, "Typo": {"Properties": {}}, "New": {"Type": "X"}, "Gone": null}, "Outputs": {"P": {"Description": "x"}}});
        assert_eq!(
            unmatched(&o, &t),
            vec![
                vec!["Resources".to_string(), "Typo".into()],
                vec!["Outputs".into(), "P".into()]
            ]
        );
    }

    #[test]
    fn merge_rules() {
        let mut base =
            json!({"Resources": {"A": {"Properties": {"X": 1, "L": [1, 2], "Gone": true}}}});
        apply(
            &mut base,
            &json!({"Resources": {"A": {"Properties": {"X": 2, "L": [3], "Gone": null, "New": {"k": null, "v": 1}}}, "B": {"Type": "T"}}}),
        );
        assert_eq!(
            base,
            json!({"Resources": {"A": {"Properties": {"X": 2, "L": [3], "New": {"v": 1}}}, "B": {"Type": "T"}}})
        );
    }
}
