//! The apps under `examples/` are what a new user converts first: each one
//! converts without an error or a warning, always to the same bytes, and its
//! template is a snapshot. (cfn-lint checks them in `crates/cli/tests/convert.rs`.)

use compose::{Environment, LoadOptions};
use std::path::{Path, PathBuf};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(examples_dir())
        .expect("examples/ exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("compose.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

fn convert(name: &str) -> ecs::Conversion {
    let opts = LoadOptions {
        cwd: examples_dir().join(name),
        environment: Environment::new(),
        ..Default::default()
    };
    let loaded = compose::load(&opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(loaded.warnings.is_empty(), "{name}: {:?}", loaded.warnings);
    let options = ecs::Options {
        strict: true,
        ..Default::default()
    };
    ecs::convert(&loaded.project, &loaded.positions, &options).unwrap_or_else(|errors| {
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        panic!("{name}: {}", text.join("\n"))
    })
}

#[test]
fn the_five_kinds_of_app_are_there_each_with_a_readme() {
    let names = examples();
    for wanted in [
        "web-db",
        "http-api",
        "worker",
        "gpu-inference",
        "two-networks",
    ] {
        assert!(names.iter().any(|n| n == wanted), "no example {wanted}");
    }
    for name in &names {
        let readme = examples_dir().join(name).join("README.md");
        let text = std::fs::read_to_string(&readme).unwrap_or_else(|_| panic!("{name}: no README"));
        // The README shows the command that converts it.
        assert!(
            text.contains(&format!("-f examples/{name}/compose.yaml convert")),
            "{name}: the README does not show how to convert it"
        );
    }
}

#[test]
fn every_example_converts_strictly_to_its_snapshot() {
    for name in examples() {
        let yaml = convert(&name).render(ecs::Format::Yaml).unwrap();
        insta::assert_snapshot!(name.as_str(), yaml);
    }
}

#[test]
fn every_example_converts_to_the_same_bytes_twice() {
    for name in examples() {
        let (a, b) = (convert(&name), convert(&name));
        assert_eq!(
            a.render(ecs::Format::Json),
            b.render(ecs::Format::Json),
            "{name}"
        );
    }
}

#[test]
fn each_example_shows_what_it_is_for() {
    let resources = |name: &str| -> Vec<String> {
        let t = convert(name).value();
        t["Resources"]
            .as_object()
            .unwrap()
            .values()
            .map(|r| r["Type"].as_str().unwrap().to_string())
            .collect()
    };
    let has = |name: &str, kind: &str| resources(name).iter().any(|t| t == kind);
    assert!(has("web-db", "AWS::EFS::FileSystem"));
    assert!(!convert("web-db").secret_parameters.is_empty());
    assert!(has(
        "http-api",
        "AWS::ApplicationAutoScaling::ScalingPolicy"
    ));
    assert!(!has("worker", "AWS::ElasticLoadBalancingV2::LoadBalancer"));
    assert!(has("gpu-inference", "AWS::ECS::CapacityProvider"));
    let groups = resources("two-networks")
        .iter()
        .filter(|t| *t == "AWS::EC2::SecurityGroup")
        .count();
    // front, back and the load balancer's own group.
    assert!(groups >= 3, "two-networks has {groups} security groups");
}
