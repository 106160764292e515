//! `x-aws-cloudformation`: a partial template deep-merged over the generated
//! one. Mappings merge key by key, the overlay wins on scalars, `null`
//! deletes, and lists are replaced whole (CloudFormation lists have no keys).

use serde_json::Value;

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
