//! Cross-check the typed model against the official `compose-spec.json`.
//!
//! The product validates through its own typed model (with positions); the
//! schema is used here only, as an independent referee:
//! 1. for a table of documents, the schema and our loader must agree on
//!    valid/invalid;
//! 2. the model we print for valid documents must itself satisfy the schema.

use compose::{Environment, LoadOptions};
use serde_json::Value;
use std::path::PathBuf;

/// An external input named by an environment variable, or `None` after
/// saying that the suite did not run. A variable naming nothing is a failure.
fn external(var: &str, suite: &str) -> Option<PathBuf> {
    let Some(path) = std::env::var_os(var).map(PathBuf::from) else {
        eprintln!("external suite not run: {suite} (set {var})");
        return None;
    };
    assert!(
        path.exists(),
        "{var} names {}, which does not exist",
        path.display()
    );
    Some(path)
}

/// The official schema, which we do not ship: `DOCKER_ECS_COMPOSE_SCHEMA`
/// names a copy of `compose-spec.json`.
fn validator(suite: &str) -> Option<jsonschema::Validator> {
    let path = external("DOCKER_ECS_COMPOSE_SCHEMA", suite)?;
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap();
    Some(jsonschema::validator_for(&schema).expect("the Compose schema compiles"))
}

/// Load `yaml` as compose.yaml in a fresh directory.
fn load(yaml: &str) -> Result<compose::Project, compose::Error> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), yaml).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
    let opts = LoadOptions {
        cwd: dir.path().to_path_buf(),
        environment: Environment::new(),
        ..Default::default()
    };
    compose::load(&opts).map(|l| l.project)
}

fn service(body: &str) -> String {
    let indented: String = body.lines().map(|l| format!("    {l}\n")).collect();
    format!("services:\n  web:\n    image: nginx\n{indented}")
}

/// Where Docker Compose (and so we) reject what the schema alone allows,
/// because of checks made after the schema: the reason is recorded here.
const STRICTER_THAN_SCHEMA: &[(&str, &str)] = &[
    (
        "ports: [{published: 8080}]",
        "compose: a port needs a target",
    ),
    (
        "deploy: {replicas: two}",
        "compose casts replicas to an integer after interpolation",
    ),
    (
        "volumes: [{type: bind, source: /a}]",
        "compose: a volume needs a mount target",
    ),
    (
        "init: maybe",
        "compose casts init to a boolean after interpolation",
    ),
    (
        "secrets: [{target: x}]",
        "compose: the secret reference needs a source",
    ),
];

/// Where the printed model follows Docker Compose's output rather than the
/// schema's shape: the reason is recorded here.
const PRINTED_LIKE_COMPOSE: &[(&str, &str)] = &[(
    "models: [m]",
    "compose prints a service's list of models as `{m: null}`",
)];

/// Documents the schema alone can judge (no cross references involved).
fn table() -> Vec<String> {
    let bodies = [
        "restart: always",
        "restrat: always",
        "ports: [\"80:80\"]",
        "ports: {a: 1}",
        "ports: [{target: 80, published: 8080, protocol: udp, mode: host}]",
        "ports: [{published: 8080}]",
        "ports: [{target: 80, bogus: 1}]",
        "environment: [A=1, B]",
        "environment: {A: 1, B: null, C: true}",
        "environment: {A: [1]}",
        "environment: 5",
        "labels: [a=b]",
        "labels: {a: {b: c}}",
        "command: echo hi",
        "command: [echo, hi]",
        "command: {a: b}",
        "entrypoint: [sh, -c]",
        "healthcheck: {test: [CMD, true], interval: 10s, retries: 3}",
        "healthcheck: {test: [CMD, true], retries: many}",
        "healthcheck: {tests: [CMD]}",
        "deploy: {replicas: 2}",
        "deploy: {replicas: two}",
        "deploy: {mode: replicated}",
        "deploy: {resources: {limits: {cpus: '0.5', memory: 512M}}}",
        "deploy: {resources: {limits: {cpu: 1}}}",
        "deploy: {update_config: {parallelism: 2, order: start-first}}",
        "deploy: {update_config: {order: sideways}}",
        "deploy: {restart_policy: {condition: on-failure, max_attempts: 3}}",
        "deploy: {placement: {constraints: [node.role==manager]}}",
        "deploy: {placement: {constraints: node.role}}",
        "ulimits: {nofile: {soft: 1, hard: 2}, nproc: 3}",
        "ulimits: {nofile: {soft: 1}}",
        "volumes: [\"/tmp:/tmp\"]",
        "volumes: [{type: tmpfs, target: /t}]",
        "volumes: [{type: magic, target: /t}]",
        "volumes: [{type: bind, source: /a}]",
        "volumes: [{type: bind, source: /a, target: /b, bind: {selinux: z}}]",
        "volumes: [{type: bind, source: /a, target: /b, bind: {selinux: q}}]",
        "init: true",
        "init: maybe",
        "privileged: true",
        "read_only: 3",
        "user: \"1000\"",
        "user: [root]",
        "working_dir: /app",
        "cap_add: [NET_ADMIN]",
        "cap_add: NET_ADMIN",
        "dns: 8.8.8.8",
        "dns: [8.8.8.8]",
        "extra_hosts: [\"a=1.2.3.4\"]",
        "extra_hosts: {a: 1.2.3.4}",
        "logging: {driver: json-file, options: {max-size: 1m}}",
        "logging: {driver: [x]}",
        "stop_grace_period: 10s",
        "depends_on: {}",
        "pull_policy: always",
        "pull_policy: sometimes",
        "cgroup: host",
        "cgroup: shared",
        "tty: true",
        "x-custom: {anything: [goes]}",
        "platform: linux/amd64",
        "sysctls: [net.core.somaxconn=1024]",
        "shm_size: 64m",
        "mem_limit: 1g",
        "build: .",
        "build: {context: ., args: [A=1]}",
        "build: {contexts: .}",
        "networks: {}",
        "expose: [80, \"90-91\"]",
        "secrets: [{target: x}]",
        // Shapes the loader once took or refused against the schema.
        "develop: {watch: [{path: ., action: sync, target: /a, initial_sync: true}]}",
        "develop: {watch: [{path: ., action: sync, target: /a, include: '*.go', ignore: x}]}",
        "develop: {watch: [{path: ., target: /a}]}",
        "develop: {watch: [{action: sync, target: /a}]}",
        "build: {context: ., sbom: true, provenance: false}",
        "deploy: {resources: {reservations: {devices: [{driver: nvidia, count: 1}]}}}",
        "deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}",
        "depends_on: {db: {restart: true}}",
        "volumes: [{type: tmpfs, target: /t, tmpfs: {size: -1}}]",
        "volumes: [{type: tmpfs, target: /t, tmpfs: {size: 1.5}}]",
        "volumes: [{type: tmpfs, target: /t, tmpfs: {size: 64m}}]",
        "post_start: [{command: [echo], environment: [A=1]}]",
        "healthcheck: {test: [CMD, x], interval: 10}",
        "stop_grace_period: 10",
    ];
    let mut docs: Vec<String> = bodies.iter().map(|b| service(b)).collect();
    docs.extend([
        "services: {}\n".to_string(),
        "services:\n  web:\n    image: nginx\nnetworks:\n  n: {driver: bridge, internal: true}\n"
            .into(),
        "services:\n  web:\n    image: nginx\nnetworks:\n  n: {driverr: bridge}\n".into(),
        "services:\n  web:\n    image: nginx\nvolumes:\n  v: {driver_opts: {type: nfs}}\n".into(),
        "services:\n  web:\n    image: nginx\nvolumes:\n  v: {drivers: x}\n".into(),
        "services:\n  web:\n    image: nginx\nsecrets:\n  s: {file: ./secret.txt}\n".into(),
        "services:\n  web:\n    image: nginx\nsecrets:\n  s: {path: ./secret.txt}\n".into(),
        "services:\n  web:\n    image: nginx\nconfigs:\n  c: {content: hi}\n".into(),
        "services:\n  web:\n    image: nginx\nbogus: 1\n".into(),
        "services:\n  web:\n    image: nginx\nx-anything: 1\n".into(),
        "services:\n  web:\n    image: nginx\nname: demo\n".into(),
        "services:\n  web:\n    image: nginx\nname: [demo]\n".into(),
        "services:\n  web:\n    image: nginx\nnetworks:\n  n: {ipam: {options: {a: b}}}\n".into(),
        "services:\n  web:\n    image: nginx\nmodels:\n  m: 1\n".into(),
        "services:\n  web:\n    image: nginx\n    models: [m]\nmodels:\n  m: {model: ai/x}\n"
            .into(),
    ]);
    docs
}

#[test]
fn schema_and_typed_model_agree_on_validity() {
    let Some(v) = validator("our table of documents against the Compose schema") else {
        return;
    };
    let mut disagreements = Vec::new();
    for doc in table() {
        let raw = compose::yaml::parse_str(&doc).unwrap().unwrap().to_json();
        let schema_ok = v.is_valid(&raw);
        let ours = load(&doc);
        let stricter = STRICTER_THAN_SCHEMA
            .iter()
            .any(|(body, _)| doc.contains(body));
        let expected_ok = schema_ok && !stricter;
        if expected_ok != ours.is_ok() {
            disagreements.push(format!(
                "schema valid={schema_ok}, ours={}\n{doc}",
                match &ours {
                    Ok(_) => "accepted".to_string(),
                    Err(e) => format!("rejected: {e}"),
                }
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n---\n")
    );
}

#[test]
fn printed_model_satisfies_the_schema() {
    let Some(v) = validator("our printed model against the Compose schema") else {
        return;
    };
    let mut failures = Vec::new();
    for doc in table() {
        if PRINTED_LIKE_COMPOSE
            .iter()
            .any(|(body, _)| doc.contains(body))
        {
            continue;
        }
        let Ok(project) = load(&doc) else { continue };
        let printed = compose::output::to_json_value(&project);
        let errors: Vec<String> = v.iter_errors(&printed).map(|e| e.to_string()).collect();
        if !errors.is_empty() {
            failures.push(format!("{doc}\n=> {}", errors.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

#[test]
fn every_corpus_app_is_valid_for_both() {
    let suite = "the corpus against the Compose schema";
    let (Some(v), Some(corpus)) = (validator(suite), external("DOCKER_ECS_CORPUS", suite)) else {
        return;
    };
    let mut checked = 0;
    for entry in std::fs::read_dir(&corpus).unwrap().filter_map(Result::ok) {
        for name in [
            "compose.yaml",
            "compose.yml",
            "docker-compose.yml",
            "docker-compose.yaml",
        ] {
            let file = entry.path().join(name);
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let raw = compose::yaml::parse_str(&text).unwrap().unwrap().to_json();
            assert!(v.is_valid(&raw), "schema rejects {}", file.display());
            let opts = LoadOptions {
                cwd: entry.path(),
                environment: Environment::new(),
                ..Default::default()
            };
            let loaded = compose::load(&opts).unwrap_or_else(|e| panic!("{e}"));
            let printed = compose::output::to_json_value(&loaded.project);
            let errs: Vec<String> = v.iter_errors(&printed).map(|e| e.to_string()).collect();
            assert!(errs.is_empty(), "{}: {}", file.display(), errs.join("; "));
            checked += 1;
        }
    }
    assert!(checked >= 1, "no Compose file in {}", corpus.display());
}
