//! The README's feature and extension tables are generated from the support
//! table, so the documentation cannot drift from what `convert` does.
//! Run with DOCKER_ECS_UPDATE_README=1 to rewrite them.

use std::path::PathBuf;

fn check_section(
    readme: &mut String,
    marker: &str,
    expected: &str,
    changed: &mut bool,
) -> Result<(), String> {
    let start = format!("<!-- {marker}:start -->\n");
    let end = format!("<!-- {marker}:end -->");
    let (Some(a), Some(b)) = (readme.find(&start), readme.find(&end)) else {
        return Err(format!("README.md has no {marker} markers"));
    };
    let current = &readme[a + start.len()..b];
    if current != expected {
        if std::env::var_os("DOCKER_ECS_UPDATE_README").is_some() {
            readme.replace_range(a + start.len()..b, expected);
            *changed = true;
        } else {
            return Err(format!(
                "README.md's {marker} is out of date; run DOCKER_ECS_UPDATE_README=1 cargo test -p ecs --test readme\nexpected:\n{expected}"
            ));
        }
    }
    Ok(())
}

#[test]
fn readme_tables_match_the_support_table() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let mut readme = std::fs::read_to_string(&path).unwrap();
    let mut changed = false;
    let mut errors = Vec::new();
    for (marker, text) in [
        ("feature-table", ecs::support::feature_table()),
        ("extension-table", ecs::support::extensions_table()),
    ] {
        if let Err(e) = check_section(&mut readme, marker, &text, &mut changed) {
            errors.push(e);
        }
    }
    if changed {
        std::fs::write(&path, &readme).unwrap();
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// Every Compose example in the README (a ```yaml block with `services:`)
/// converts with `--strict`: no error, no warning.
#[test]
fn readme_compose_examples_convert_strictly() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (n, line) in readme.lines().enumerate() {
        match (&mut current, line) {
            (None, "```yaml") => current = Some((n + 2, String::new())),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            _ => {}
        }
    }
    let examples: Vec<&(usize, String)> = blocks
        .iter()
        .filter(|(_, text)| text.lines().any(|l| l == "services:"))
        .collect();
    assert!(examples.len() >= 10, "found {} examples", examples.len());
    let mut failures = Vec::new();
    for (line, text) in examples {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("compose.yaml"), text).unwrap();
        let options = compose::LoadOptions {
            cwd: dir.path().to_path_buf(),
            environment: compose::Environment::new(),
            ..Default::default()
        };
        let result = compose::load(&options).map_err(|e| vec![e]).and_then(|l| {
            let strict = ecs::Options {
                strict: true,
                ..Default::default()
            };
            ecs::convert(&l.project, &l.positions, &strict).map(|_| ())
        });
        if let Err(errors) = result {
            let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            failures.push(format!("README.md:{line}: {}", text.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
