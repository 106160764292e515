//! Properties of the whole pipeline over generated Compose projects:
//! - `config`'s output, loaded again, prints the same;
//! - `convert` is deterministic;
//! - every template parses as JSON and as YAML to the same document;
//! - every template keeps AWS's rules (`rules/`).

mod rules;

use compose::{Environment, LoadOptions};
use proptest::prelude::*;
use std::fmt::Write;

/// One generated service, as Compose text.
fn service() -> impl Strategy<Value = String> {
    let image = prop::sample::select(vec![
        "nginx",
        "redis:7",
        "postgres:16",
        "ghcr.io/acme/api:1.2",
    ]);
    let ports = prop::collection::vec(
        prop::sample::select(vec![80u16, 443, 5432, 6379, 8080, 9000]),
        0..3,
    );
    let env = prop::collection::btree_map("[A-Z][A-Z0-9_]{0,6}", "[a-z0-9 ./:-]{0,12}", 0..4);
    let replicas = prop::option::of(0i64..5);
    let cpus = prop::option::of(prop::sample::select(vec!["0.25", "0.5", "1", "2"]));
    let memory = prop::option::of(prop::sample::select(vec!["512M", "1G", "2G", "3G"]));
    let health = prop::option::of((1u32..60, 1u32..10));
    let volume = prop::option::of(prop::sample::select(vec![
        "data:/data",
        "cache:/var/cache",
        "/tmp",
    ]));
    let command = prop::option::of("[a-z]{1,6}( -[a-z]){0,2}");
    (image, ports, env, replicas, cpus, memory, health, volume, command).prop_map(
        |(image, ports, env, replicas, cpus, memory, health, volume, command)| {
            let mut s = format!("    image: {image}\n");
            if !ports.is_empty() {
                s.push_str("    ports:\n");
                for p in ports {
                    let _ = writeln!(s, "      - \"{p}:{p}\"");
                }
            }
            if !env.is_empty() {
                s.push_str("    environment:\n");
                for (k, v) in env {
                    let _ = writeln!(s, "      {k}: \"{v}\"");
                }
            }
            if let Some(c) = command {
                let _ = writeln!(s, "    command: {c}");
            }
            if let Some((interval, retries)) = health {
                let _ = writeln!(
                    s,
                    "    healthcheck:\n      test: [CMD, \"true\"]\n      interval: {interval}s\n      retries: {retries}"
                );
            }
            if let Some(v) = volume {
                let _ = writeln!(s, "    volumes: [\"{v}\"]");
            }
            if replicas.is_some() || cpus.is_some() || memory.is_some() {
                s.push_str("    deploy:\n");
                if let Some(r) = replicas {
                    let _ = writeln!(s, "      replicas: {r}");
                }
                if cpus.is_some() || memory.is_some() {
                    s.push_str("      resources:\n        limits:\n");
                    if let Some(c) = cpus {
                        let _ = writeln!(s, "          cpus: \"{c}\"");
                    }
                    if let Some(m) = memory {
                        let _ = writeln!(s, "          memory: {m}");
                    }
                }
            }
            s
        },
    )
}

/// A project of one to five services, with the volumes they name.
fn project() -> impl Strategy<Value = String> {
    prop::collection::btree_map("[a-z][a-z0-9-]{0,8}", service(), 1..6).prop_map(|services| {
        let mut text = String::from("services:\n");
        for (name, body) in &services {
            let _ = write!(text, "  {name}:\n{body}");
        }
        text.push_str("volumes:\n  data: {}\n  cache: {}\n");
        text
    })
}

fn load_text(dir: &std::path::Path, text: &str) -> Result<compose::Loaded, compose::Error> {
    std::fs::write(dir.join("compose.yaml"), text).unwrap();
    compose::load(&LoadOptions {
        cwd: dir.to_path_buf(),
        environment: Environment::new(),
        project_name: Some("prop".into()),
        ..Default::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn config_output_loaded_again_prints_the_same(text in project()) {
        let dir = tempfile::tempdir().unwrap();
        let Ok(first) = load_text(dir.path(), &text) else { return Ok(()); };
        let printed = compose::output::to_yaml(&first.project);
        let again = load_text(dir.path(), &printed)
            .unwrap_or_else(|e| panic!("config's own output does not load: {e}\n{printed}"));
        prop_assert_eq!(compose::output::to_yaml(&again.project), printed);
    }

    #[test]
    fn convert_is_deterministic_and_both_formats_agree(text in project()) {
        let dir = tempfile::tempdir().unwrap();
        let Ok(loaded) = load_text(dir.path(), &text) else { return Ok(()); };
        let convert = || ecs::convert(&loaded.project, &loaded.positions, &ecs::Options::default());
        let (Ok(a), Ok(b)) = (convert(), convert()) else { return Ok(()); };
        rules::assert_hold(&text, &a.template);
        let Ok(json) = a.render(ecs::Format::Json) else { return Ok(()); };
        prop_assert_eq!(Ok(json.clone()), b.render(ecs::Format::Json));
        prop_assert_eq!(a.render(ecs::Format::Yaml), b.render(ecs::Format::Yaml));
        let yaml = a.render(ecs::Format::Yaml).unwrap();
        let from_json: serde_json::Value = serde_json::from_str(&json).expect("the JSON template parses");
        let from_yaml = compose::yaml::parse_str(&yaml)
            .expect("the YAML template parses")
            .expect("the YAML template is not empty")
            .to_json();
        prop_assert_eq!(from_json, from_yaml);
    }
}

/// Services by name, as Compose text.
fn project_text(services: &std::collections::BTreeMap<String, String>) -> String {
    let mut text = String::from("services:\n");
    for (name, body) in services {
        let _ = write!(text, "  {name}:\n{body}");
    }
    text.push_str("volumes:\n  data: {}\n  cache: {}\n");
    text
}

/// Service → (its child stack, that child's uploaded body), split into
/// nested stacks.
fn placement(text: &str) -> Option<std::collections::BTreeMap<String, (String, String)>> {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load_text(dir.path(), text).ok()?;
    let options = ecs::Options {
        nested: true,
        ..Default::default()
    };
    let c = ecs::convert(&loaded.project, &loaded.positions, &options).ok()?;
    let split = c.nested.expect("asked for nested stacks");
    Some(
        split
            .children
            .iter()
            .flat_map(|c| {
                c.services
                    .iter()
                    .map(|s| (s.clone(), (c.id.clone(), c.body.clone())))
            })
            .collect(),
    )
}

/// A service without ports or volumes: nothing it shares with others.
fn plain_service() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["nginx", "redis:7", "ghcr.io/acme/api:1.2"]),
        prop::option::of(0i64..4),
    )
        .prop_map(|(image, replicas)| {
            let mut s = format!("    image: {image}\n");
            if let Some(r) = replicas {
                let _ = writeln!(s, "    deploy:\n      replicas: {r}");
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Adding or removing a service never moves another to a different
    /// child stack (a move is a delete and a create).
    #[test]
    fn adding_or_removing_a_service_moves_no_other(
        services in prop::collection::btree_map("[a-z][a-z0-9-]{0,10}", service(), 2..12),
        extra in ("[a-z][a-z0-9-]{0,10}", service()),
        remove in any::<prop::sample::Index>(),
    ) {
        let Some(before) = placement(&project_text(&services)) else { return Ok(()); };
        let mut added = services.clone();
        added.insert(extra.0.clone(), extra.1);
        let mut removed = services.clone();
        let gone = remove.get(&services.keys().cloned().collect::<Vec<_>>()).clone();
        removed.remove(&gone);
        for (changed, after) in [(&extra.0, placement(&project_text(&added))), (&gone, placement(&project_text(&removed)))] {
            let Some(after) = after else { continue };
            for (service, (child, _)) in &before {
                if service != changed {
                    prop_assert_eq!(Some(child), after.get(service).map(|(c, _)| c), "{} moved", service);
                }
            }
        }
    }

    /// Services that share nothing: every child stack without the added or
    /// removed service keeps the very same template.
    #[test]
    fn other_child_templates_stay_byte_identical(
        services in prop::collection::btree_map("[a-z][a-z0-9-]{0,10}", plain_service(), 2..12),
        extra in ("[a-z][a-z0-9-]{0,10}", plain_service()),
    ) {
        prop_assume!(!services.contains_key(&extra.0));
        // (Names that clash once normalized do not convert.)
        let Some(before) = placement(&project_text(&services)) else { return Ok(()); };
        let mut added = services.clone();
        added.insert(extra.0.clone(), extra.1);
        let Some(after) = placement(&project_text(&added)) else { return Ok(()); };
        let home = &after[&extra.0].0;
        for (service, (child, body)) in &before {
            if child != home {
                prop_assert_eq!(Some(body), after.get(service).map(|(_, b)| b), "{}'s child changed", service);
            }
        }
    }
}
