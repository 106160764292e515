//! Property tests for the pieces every Compose file goes through.

use compose::env::{Environment, parse_dotenv};
use compose::interpolate::substitute;
use compose::merge::merge;
use compose::node::KeyPath;
use compose::yaml::parse_str;
use proptest::prelude::*;

fn env() -> Environment {
    Environment::from_iter([
        ("A".to_string(), "alpha".to_string()),
        ("EMPTY".to_string(), String::new()),
    ])
}

proptest! {
    /// Text without `$` is never changed.
    #[test]
    fn plain_text_is_unchanged(s in "[^$]*") {
        prop_assert_eq!(substitute(&s, &env(), &mut |_| {}, &mut compose::interpolate::Budget::default()).unwrap(), s);
    }

    /// Escaping every `$` as `$$` round-trips any text (how `config` prints values).
    #[test]
    fn escaped_dollars_round_trip(s in ".*") {
        let escaped = s.replace('$', "$$");
        prop_assert_eq!(substitute(&escaped, &env(), &mut |_| {}, &mut compose::interpolate::Budget::default()).unwrap(), s);
    }

    /// `${VAR:-d}` gives the value when set and non-empty, else the default.
    #[test]
    fn soft_default(name in "[A-Z_][A-Z0-9_]{0,8}", default in "[a-z0-9 ]{0,10}") {
        let out = substitute(&format!("${{{name}:-{default}}}"), &env(), &mut |_| {}, &mut compose::interpolate::Budget::default()).unwrap();
        let expected = match env().get(&name) {
            Some(v) if !v.is_empty() => v.to_string(),
            _ => default.clone(),
        };
        prop_assert_eq!(out, expected);
    }

    /// Interpolation never panics, whatever the input.
    #[test]
    fn never_panics(s in "\\PC*") {
        let _ = substitute(&s, &env(), &mut |_| {}, &mut compose::interpolate::Budget::default());
    }

    /// `KEY=value` lines read back as written.
    #[test]
    fn dotenv_round_trip(pairs in prop::collection::btree_map("[A-Z][A-Z0-9_]{0,6}", "[a-z0-9/_.-]{0,12}", 0..8)) {
        let text: String = pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        let parsed = parse_dotenv(&text, &Environment::new()).unwrap();
        for (k, v) in &pairs {
            prop_assert_eq!(parsed.get(k).map(String::as_str), Some(v.as_str()));
        }
    }

    /// Merging an empty override changes nothing; merging a document with itself
    /// keeps every scalar.
    #[test]
    fn merge_identity(a in 0i64..100, b in "[a-z]{1,8}") {
        let doc = format!("services:\n  web:\n    image: {b}\n    cpu_shares: {a}\n");
        let mut base = parse_str(&doc).unwrap().unwrap();
        let expected = base.to_json();
        merge(&mut base, parse_str("{}").unwrap().unwrap(), &KeyPath::root()).unwrap();
        prop_assert_eq!(base.to_json(), expected.clone());
        merge(&mut base, parse_str(&doc).unwrap().unwrap(), &KeyPath::root()).unwrap();
        prop_assert_eq!(base.to_json(), expected);
    }

    /// The YAML reader never panics on arbitrary text.
    #[test]
    fn yaml_never_panics(s in "\\PC{0,200}") {
        let _ = parse_str(&s);
    }
}
