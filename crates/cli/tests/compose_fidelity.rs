//! `docker-ecs config --format json` must print what `docker compose config
//! --format json` (v2.40.3, the pinned oracle) prints, on every app of the
//! awesome-compose corpus and on our own loader cases.
//!
//! Each case directory under `tests/compose-cases/` holds Compose files and a
//! `case.json` with the arguments, environment and working directory. The
//! oracle's answer is the expected output.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Case {
    name: String,
    dir: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    expect_error: bool,
    /// Substrings our error must contain: file:line:col, key path, reason.
    error: Vec<String>,
    /// Paths where Docker Compose's JSON is wrong and we follow the
    /// specification, each listed in docs/compose-differences.md.
    json_differs: Vec<String>,
    text_output: bool,
}

fn run(exe: &Path, case: &Case, home: &Path) -> Output {
    let mut cmd = Command::new(exe);
    clean_env(&mut cmd, home);
    cmd.current_dir(&case.dir).args(&case.args);
    for (k, v) in &case.env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

/// Compare one case; `None` when both tools agree.
fn check(case: &Case, home: &Path) -> Option<String> {
    let oracle = run(&compose_oracle(), case, home);
    let ours = run(&docker_ecs(), case, home);
    let ours_err = String::from_utf8_lossy(&ours.stderr);
    if ours_err.contains("panicked") {
        return Some(format!("docker-ecs panicked:\n{ours_err}"));
    }
    if case.expect_error {
        let missing: Vec<&String> = case
            .error
            .iter()
            .filter(|w| !ours_err.contains(w.as_str()))
            .collect();
        return match (oracle.status.success(), ours.status.code()) {
            (false, Some(1)) if missing.is_empty() => None,
            (false, Some(1)) => Some(format!("our error lacks {missing:?}:\n{ours_err}")),
            (o, m) => Some(format!(
                "expected both to fail: oracle success={o}, docker-ecs exit={m:?}\n{ours_err}"
            )),
        };
    }
    if !oracle.status.success() {
        return Some(format!(
            "the oracle failed: {}",
            String::from_utf8_lossy(&oracle.stderr)
        ));
    }
    if !ours.status.success() {
        return Some(format!("docker-ecs failed:\n{ours_err}"));
    }
    if case.text_output {
        // Compose prints some lists in Go map order; compare them as sets.
        let lines = |o: &Output| {
            let mut v: Vec<String> = String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(String::from)
                .collect();
            v.sort();
            v
        };
        let (a, b) = (lines(&oracle), lines(&ours));
        return (a != b).then(|| format!("expected {a:?}, got {b:?}"));
    }
    let parse = |o: &Output| serde_json::from_slice::<Value>(&o.stdout);
    let expected = parse(&oracle).expect("the oracle prints JSON");
    let actual = match parse(&ours) {
        Ok(v) => v,
        Err(e) => return Some(format!("docker-ecs printed invalid JSON: {e}")),
    };
    let diff: Vec<String> = json_diff(&expected, &actual)
        .into_iter()
        .filter(|d| {
            !case
                .json_differs
                .iter()
                .any(|p| d.starts_with(&format!("{p}:")))
        })
        .collect();
    if !diff.is_empty() {
        return Some(diff.join("\n"));
    }
    check_yaml(case, home)
}

/// The default YAML output must carry the same data as Compose's.
fn check_yaml(case: &Case, home: &Path) -> Option<String> {
    let yaml_case = Case {
        args: case
            .args
            .iter()
            .filter(|a| *a != "--format" && *a != "json")
            .cloned()
            .collect(),
        name: case.name.clone(),
        dir: case.dir.clone(),
        env: case.env.clone(),
        expect_error: false,
        error: vec![],
        json_differs: vec![],
        text_output: false,
    };
    let parse = |o: &Output| {
        compose::yaml::parse_str(&String::from_utf8_lossy(&o.stdout))
            .map(|n| n.map(|n| n.to_json()).unwrap_or(Value::Null))
    };
    let expected =
        parse(&run(&compose_oracle(), &yaml_case, home)).expect("the oracle prints YAML");
    let actual = match parse(&run(&docker_ecs(), &yaml_case, home)) {
        Ok(v) => v,
        Err(e) => return Some(format!("docker-ecs printed invalid YAML: {e}")),
    };
    let diff = json_diff(&expected, &actual);
    (!diff.is_empty()).then(|| format!("YAML output:\n{}", diff.join("\n")))
}

/// The cases under `tests/compose-cases/<chapter>/<case>/`, chapters named
/// after those of the Compose Specification.
fn own_cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compose-cases");
    let mut cases = Vec::new();
    for chapter in std::fs::read_dir(&root).expect("tests/compose-cases exists") {
        let chapter = chapter.unwrap().path();
        for entry in std::fs::read_dir(&chapter).unwrap().filter_map(Result::ok) {
            let dir = entry.path();
            if dir.join("case.json").is_file() {
                let name = format!(
                    "{}/{}",
                    chapter.file_name().unwrap().to_string_lossy(),
                    entry.file_name().to_string_lossy()
                );
                cases.push(case_at(name, &dir));
            }
        }
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn case_at(name: String, dir: &Path) -> Case {
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap())
            .unwrap_or_else(|e| panic!("{name}/case.json: {e}"));
    let mut args: Vec<String> = meta["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    if !args.iter().any(|a| a == "config") {
        args.extend(["config", "--format", "json"].map(String::from));
    }
    let env = meta["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let cwd = meta["cwd"].as_str().unwrap_or(".");
    let strings = |key: &str| -> Vec<String> {
        meta[key]
            .as_array()
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let (error, json_differs) = (strings("error"), strings("json_differs"));
    Case {
        name,
        dir: dir.join(cwd),
        args,
        env,
        expect_error: meta["expect"] == "error",
        error,
        json_differs,
        text_output: meta["output"] == "text",
    }
}

fn corpus_cases(corpus: &Path) -> Vec<Case> {
    let mut cases: Vec<Case> = corpus_apps(corpus)
        .into_iter()
        .map(|dir| Case {
            name: dir.file_name().unwrap().to_string_lossy().to_string(),
            dir,
            args: ["config", "--format", "json"].map(String::from).to_vec(),
            env: vec![],
            expect_error: false,
            error: vec![],
            json_differs: vec![],
            text_output: false,
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn assert_all(cases: Vec<Case>, minimum: usize) {
    assert!(
        cases.len() >= minimum,
        "expected at least {minimum} cases, found {}",
        cases.len()
    );
    let home = tempfile::tempdir().unwrap();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| check(c, home.path()).map(|why| format!("--- {}\n{why}", c.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from docker compose:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn loader_cases_match_docker_compose() {
    assert_all(own_cases(), 150);
}

#[test]
fn external_corpus_matches_docker_compose() {
    if let Some(corpus) = external_corpus("config over the corpus against docker compose") {
        assert_all(corpus_cases(&corpus), 1);
    }
}
