//! The fast YAML path must build exactly the tree serde-saphyr builds —
//! values, tags, key order and every span — whenever it does not step aside.

use compose::yaml::{fast_path, parse_documents_reference};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// Both readers on one text: `Some(true)` when they agree, `None` when the
/// fast path stepped aside, and a panic naming the text when they differ.
fn agree(text: &str) -> Option<bool> {
    let fast = fast_path(text, 0)?;
    match parse_documents_reference(text, 0) {
        Ok(reference) => {
            let (f, r) = (format!("{fast:#?}"), format!("{reference:#?}"));
            if f != r {
                let (fl, rl): (Vec<&str>, Vec<&str>) = (f.lines().collect(), r.lines().collect());
                let at = fl
                    .iter()
                    .zip(&rl)
                    .position(|(a, b)| a != b)
                    .unwrap_or(fl.len().min(rl.len()));
                let from = at.saturating_sub(12);
                panic!(
                    "trees differ for:\n{text}\nfast, from line {from}:\n{}\nreference:\n{}",
                    fl[from..(at + 4).min(fl.len())].join("\n"),
                    rl[from..(at + 4).min(rl.len())].join("\n")
                );
            }
        }
        Err(e) => panic!("the fast path accepted what serde-saphyr rejects ({e}):\n{text}"),
    }
    Some(true)
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}

#[test]
fn agrees_on_every_compose_file_in_the_repository_and_the_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["crates/cli/tests", "crates/ecs/tests/fixtures", "examples"] {
        yaml_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 140, "found only {} YAML files", files.len());
    // The external corpus (DOCKER_ECS_CORPUS) widens the check when it is given.
    match std::env::var_os("DOCKER_ECS_CORPUS") {
        Some(corpus) => yaml_files(Path::new(&corpus), &mut files),
        None => eprintln!(
            "external suite not run: the YAML fast path over the corpus (set DOCKER_ECS_CORPUS)"
        ),
    }
    let (mut fast, mut total) = (0, 0);
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue; // non-UTF-8 bad-input cases
        };
        total += 1;
        if agree(&text).is_some() {
            fast += 1;
        }
    }
    // Nearly every real file takes the fast path; the rest are the bad-input
    // cases and the YAML corners left to serde-saphyr.
    assert!(
        fast * 100 >= total * 75,
        "only {fast} of {total} files took the fast path"
    );
}

#[test]
fn common_shapes_take_the_fast_path() {
    let texts = [
        "services:\n  web:\n    image: nginx\n    ports: [\"80:80\", 443:443]\n",
        "x-common: &c\n  restart: always\n  labels: [a=b]\nservices:\n  a:\n    <<: *c\n    image: x\n",
        "services:\n  a:\n    <<: [{x: 1}, {x: 2, y: 3}]\n    y: 4\n",
        "services:\n  a:\n    ports: !reset []\n    environment: !override {A: '1'}\n",
        "a: 0755\nb: 0x1F\nc: 1_000\nd: -3\ne: 1.5e3\nf: ~\ng: TRUE\nh: 'on'\ni: |\n  text\n",
        "---\nservices: {}\n---\n...\n---\nvolumes: {}\n",
        "",
        "# only a comment\n",
    ];
    for t in texts {
        assert_eq!(agree(t), Some(true), "stepped aside for:\n{t}");
    }
}

#[test]
fn steps_aside_for_what_serde_saphyr_words_or_decides() {
    let texts = [
        "a: 1\na: 2\n",        // duplicate key
        "a: [1, 2\n",          // syntax error
        "a: !!str 1\n",        // core tag on a scalar
        "a: .inf\n",           // non-finite float policy
        "1: one\n",            // a key that is not a string
        "? [a, b]\n: c\n",     // complex key
        "a: &x [*x]\n",        // recursive alias
        "just a scalar\n",     // scalar document
        "a: !custom {b: c}\n", // unknown tag
    ];
    for t in texts {
        assert_eq!(
            fast_path(t, 0).map(|_| ()),
            None,
            "should step aside for:\n{t}"
        );
    }
}

/// Plain scalars of every shape the two readers might type differently.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_-]{0,8}",
        "[0-9]{1,5}",
        "0[0-9]{1,4}",
        "[+-]?[0-9]{1,3}(_[0-9]{1,3}){0,2}",
        "[+-]?[0-9]{0,3}\\.[0-9]{0,3}([eE][+-]?[0-9]{1,2})?",
        "0[xXoObB][0-9a-fA-F_]{1,6}",
        "[0-9]{1,5}:[0-9]{1,5}(/(tcp|udp))?",
        "[0-9]{1,2}(\\.[0-9]{1,2}){2}",
        prop::sample::select(vec![
            "~",
            "null",
            "Null",
            "NULL",
            "true",
            "True",
            "FALSE",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "-",
            "0",
            "-0",
            "+0",
            "00",
            "08",
            "0_1",
            "1__0",
            "_1",
            "1_",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551616",
            "1e400",
            "inf",
            "NaN",
            ".5",
            "5.",
            "1e5",
            "a b",
            "a:b",
            "x#y",
            "*.example.com",
        ])
        .prop_map(str::to_string),
    ]
}

/// A value at nesting `depth`, written in block style.
fn block(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        scalar(),
        scalar().prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        scalar().prop_map(|s| format!("\"{s}\"")),
        Just("[]".to_string()),
        Just("{}".to_string()),
        prop::collection::vec(scalar(), 1..4).prop_map(|v| format!("[{}]", v.join(", "))),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let indent = "  ".repeat(depth as usize);
    let ind = indent.clone();
    let map =
        prop::collection::vec(("[a-z]{1,3}", block(depth - 1)), 1..4).prop_map(move |entries| {
            let mut seen = std::collections::HashSet::new();
            let mut s = String::new();
            for (k, v) in entries {
                if seen.insert(k.clone()) {
                    s.push_str(&format!("\n{ind}{k}: {v}"));
                }
            }
            s
        });
    let ind = indent;
    let seq = prop::collection::vec(block(depth - 1), 1..4).prop_map(move |items| {
        items
            .iter()
            .map(|v| format!("\n{ind}- {v}"))
            .collect::<String>()
    });
    prop_oneof![2 => leaf, 1 => map, 1 => seq].boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Random documents with anchors, aliases and merges read the same both ways.
    #[test]
    fn random_documents_read_the_same(
        base in block(2),
        extra in block(2),
        keys in prop::collection::vec("[a-z]{1,3}", 0..3),
    ) {
        let mut text = format!("x-base: &base\n  one: {base}\n  two: 1\nitems:\n  first: {extra}\n");
        text.push_str("  merged:\n    <<: *base\n");
        for k in keys {
            if k != "one" && k != "two" {
                text.push_str(&format!("    {k}: *base\n"));
            }
        }
        text.push_str("    two: 2\n");
        let _ = agree(&text);
    }

    /// Single scalars in every position.
    #[test]
    fn scalars_read_the_same(s in scalar()) {
        let _ = agree(&format!("k: {s}\nl: [{s}]\nm:\n  - {s}\n"));
    }
}
