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
