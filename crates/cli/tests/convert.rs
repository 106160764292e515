//! `docker-ecs convert` as a user runs it: valid templates (checked by
//! cfn-lint), clear rejections, secure defaults (checked by checkov), no AWS
//! account needed.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn convert_in(dir: &Path, args: &[&str], home: &Path) -> Output {
    let mut cmd = Command::new(docker_ecs());
    clean_env(&mut cmd, home);
    cmd.current_dir(dir).arg("convert").args(args);
    cmd.output().expect("docker-ecs runs")
}

fn fixtures() -> Vec<PathBuf> {
    let root = workspace_root().join("crates/ecs/tests/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("compose.yaml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn corpus() -> Vec<PathBuf> {
    let root = shared_dir().join("corpus/awesome-compose");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// cfn-lint over many templates at once; returns its findings (empty = clean).
fn lint(files: &[PathBuf]) -> String {
    let out = Command::new(cfn_lint())
        .args(["--format", "parseable"])
        .args(files)
        .output()
        .expect("cfn-lint runs");
    // Exit code bits: 2 errors, 4 warnings, 8 informational.
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code >= 0,
        "cfn-lint crashed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn every_fixture_template_passes_cfn_lint_in_both_formats() {
    let out = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for dir in fixtures() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        for (format, ext) in [("yaml", "yaml"), ("json", "json")] {
            let file = out.path().join(format!("{name}.{ext}"));
            let o = convert_in(
                &dir,
                &["--format", format, "-o", file.to_str().unwrap()],
                out.path(),
            );
            assert!(
                o.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            files.push(file);
        }
    }
    assert!(files.len() >= 60);
    let findings = lint(&files);
    assert!(findings.is_empty(), "cfn-lint findings:\n{findings}");
}

#[test]
fn corpus_apps_convert_cleanly_or_say_why_not() {
    let out = tempfile::tempdir().unwrap();
    let mut converted = Vec::new();
    let mut rejected = 0;
    for dir in corpus() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let file = out.path().join(format!("{name}.yaml"));
        let o = convert_in(&dir, &["-o", file.to_str().unwrap()], out.path());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
        match o.status.code() {
            Some(0) => converted.push(file),
            Some(1) => {
                rejected += 1;
                // Why (with the key path and position) and what to do.
                assert!(stderr.contains("error: "), "{name}: {stderr}");
                assert!(
                    stderr.contains("services."),
                    "{name}: no key path\n{stderr}"
                );
                assert!(stderr.contains("help: "), "{name}: no advice\n{stderr}");
                assert!(
                    stderr.contains("build and push the image")
                        || stderr.contains("bind mount")
                        || stderr.contains("published port")
                        || stderr.contains("network_mode")
                        || stderr.contains("capability"),
                    "{name}: unexpected rejection\n{stderr}"
                );
            }
            other => panic!("{name}: exit {other:?}\n{stderr}"),
        }
    }
    assert!(
        converted.len() >= 4,
        "only {} corpus apps convert",
        converted.len()
    );
    assert_eq!(converted.len() + rejected, corpus().len());
    let findings = lint(&converted);
    assert!(findings.is_empty(), "cfn-lint findings:\n{findings}");
}

#[test]
fn convert_needs_no_aws_account_or_environment() {
    let dir = workspace_root().join("crates/ecs/tests/fixtures/simple");
    // No AWS variables, no HOME, no ~/.aws: only PATH.
    let o = Command::new(docker_ecs())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(&dir)
        .arg("convert")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("AWSTemplateFormatVersion"));
    assert!(text.contains("SimpleService"));
}

#[test]
fn output_is_identical_across_runs_and_directories() {
    let home = tempfile::tempdir().unwrap();
    let src = workspace_root().join("crates/ecs/tests/fixtures/secrets");
    let a = convert_in(&src, &["--format", "json"], home.path());
    let b = convert_in(&src, &["--format", "json"], home.path());
    assert_eq!(a.stdout, b.stdout);
    // A copy elsewhere (another machine's paths) converts to the same bytes.
    let copy = tempfile::tempdir().unwrap();
    let moved = copy.path().join("secrets");
    std::fs::create_dir(&moved).unwrap();
    for f in ["compose.yaml", "db_password.txt", "api.json"] {
        std::fs::copy(src.join(f), moved.join(f)).unwrap();
    }
    let c = convert_in(&moved, &["--format", "json"], home.path());
    assert!(c.status.success());
    assert_eq!(a.stdout, c.stdout);
}

#[test]
fn secure_defaults_measured_by_checkov() {
    let checkov = std::env::var_os("DOCKER_ECS_CHECKOV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-checkov/bin/checkov"));
    assert!(
        checkov.is_file(),
        "checkov is not installed at {}: run scripts/test.sh",
        checkov.display()
    );
    let out = tempfile::tempdir().unwrap();
    let dir = workspace_root().join("crates/ecs/tests/fixtures/simple");
    let file = out.path().join("nginx.yaml");
    let o = convert_in(&dir, &["-o", file.to_str().unwrap()], out.path());
    assert!(o.status.success());
    let report = Command::new(&checkov)
        .args([
            "--framework",
            "cloudformation",
            "--quiet",
            "--compact",
            "--skip-download",
            "-o",
            "json",
            "-f",
        ])
        .arg(&file)
        .env("HOME", out.path())
        .output()
        .expect("checkov runs");
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov output is not JSON ({e}): {}",
            String::from_utf8_lossy(&report.stdout)
        )
    });
    let failed: Vec<String> = json["results"]["failed_checks"]
        .as_array()
        .expect("checkov lists failed checks")
        .iter()
        .map(|c| c["check_id"].as_str().unwrap().to_string())
        .collect();
    // What may remain needs a certificate (HTTPS, TLS) or a bucket the user names
    // (access logs), or is the public port 80 the app asked for.
    let allowed = ["CKV_AWS_2", "CKV_AWS_103", "CKV_AWS_91", "CKV_AWS_260"];
    assert!(
        failed.len() <= 4,
        "checkov failed {} checks: {failed:?}",
        failed.len()
    );
    for id in &failed {
        assert!(
            allowed.contains(&id.as_str()),
            "unexpected failed check {id} ({failed:?})"
        );
    }
    assert!(json["summary"]["passed"].as_u64().unwrap() >= 30);
}
