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
