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

/// Our own apps: the feature fixtures and the examples.
fn fixtures() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for root in ["crates/ecs/tests/fixtures", "examples"] {
        dirs.extend(
            std::fs::read_dir(workspace_root().join(root))
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("compose.yaml").is_file()),
        );
    }
    dirs.sort();
    dirs
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
    assert!(files.len() >= 70);
    let findings = cfn_lint_findings(&files);
    assert!(findings.is_empty(), "cfn-lint findings:\n{findings}");
}

#[test]
fn corpus_apps_convert_cleanly_or_say_why_not() {
    let Some(corpus) = external_corpus("convert and cfn-lint over the corpus") else {
        return;
    };
    let apps = corpus_apps(&corpus);
    let out = tempfile::tempdir().unwrap();
    let mut converted = Vec::new();
    let mut rejected = 0;
    for dir in &apps {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let file = out.path().join(format!("{name}.yaml"));
        let o = convert_in(dir, &["-o", file.to_str().unwrap()], out.path());
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
    assert_eq!(converted.len() + rejected, apps.len());
    let findings = cfn_lint_findings(&converted);
    assert!(findings.is_empty(), "cfn-lint findings:\n{findings}");
    let (failed, _) = checkov(&converted);
    let unexpected: Vec<&String> = failed
        .iter()
        .filter(|id| !CHECKOV_ALLOWED.contains(&id.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "checkov fails the corpus on {unexpected:?}"
    );
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

/// What may fail on checkov: needs a certificate (HTTPS, TLS) or a bucket
/// the user names (access logs), or is the public port 80 the app asked for.
const CHECKOV_ALLOWED: &[&str] = &["CKV_AWS_2", "CKV_AWS_103", "CKV_AWS_91", "CKV_AWS_260"];

/// checkov 3.3.30 over templates: the IDs of the failed checks and the
/// number of passed ones.
fn checkov(files: &[PathBuf]) -> (Vec<String>, u64) {
    let checkov = std::env::var_os("DOCKER_ECS_CHECKOV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-checkov/bin/checkov"));
    assert!(
        checkov.is_file(),
        "checkov is not installed at {}: run scripts/test.sh",
        checkov.display()
    );
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(&checkov);
    cmd.args([
        "--framework",
        "cloudformation",
        "--quiet",
        "--compact",
        "--skip-download",
        "-o",
        "json",
    ]);
    for f in files {
        cmd.arg("-f").arg(f);
    }
    let report = cmd.env("HOME", home.path()).output().expect("checkov runs");
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov output is not JSON ({e}): {}",
            String::from_utf8_lossy(&report.stdout)
        )
    });
    let failed = json["results"]["failed_checks"]
        .as_array()
        .expect("checkov lists failed checks")
        .iter()
        .map(|c| c["check_id"].as_str().unwrap().to_string())
        .collect();
    (failed, json["summary"]["passed"].as_u64().unwrap())
}

#[test]
fn secure_defaults_measured_by_checkov() {
    let out = tempfile::tempdir().unwrap();
    let dir = workspace_root().join("crates/ecs/tests/fixtures/simple");
    let file = out.path().join("nginx.yaml");
    let o = convert_in(&dir, &["-o", file.to_str().unwrap()], out.path());
    assert!(o.status.success());
    let (failed, passed) = checkov(&[file]);
    assert!(
        failed.len() <= 4,
        "checkov failed {} checks: {failed:?}",
        failed.len()
    );
    for id in &failed {
        assert!(
            CHECKOV_ALLOWED.contains(&id.as_str()),
            "unexpected failed check {id} ({failed:?})"
        );
    }
    assert!(passed >= 30);
}

#[test]
fn launch_type_moves_the_project_to_ec2_in_any_case_and_refuses_others() {
    let home = tempfile::tempdir().unwrap();
    let dir = workspace_root().join("crates/ecs/tests/fixtures/simple");
    let o = convert_in(
        &dir,
        &["--launch-type", "ec2", "--format", "json"],
        home.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        t["Resources"]["SimpleCapacityProvider"]["Type"],
        "AWS::ECS::CapacityProvider"
    );
    let o = convert_in(&dir, &["--launch-type", "EC3"], home.path());
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("EC2") && stderr.contains("FARGATE"),
        "{stderr}"
    );
}

#[test]
fn an_ec2_app_fails_no_checkov_check_that_the_same_app_on_fargate_passes() {
    let out = tempfile::tempdir().unwrap();
    let dir = workspace_root().join("examples/http-api");
    let mut failed = Vec::new();
    for (name, extra) in [("fargate", &[][..]), ("ec2", &["--launch-type", "EC2"][..])] {
        let file = out.path().join(format!("{name}.yaml"));
        let mut args = vec!["-o", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = convert_in(&dir, &args, out.path());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        failed.push(checkov(&[file]).0);
    }
    let (fargate, ec2) = (&failed[0], &failed[1]);
    let new: Vec<&String> = ec2.iter().filter(|id| !fargate.contains(id)).collect();
    assert!(new.is_empty(), "checkov fails {new:?} on EC2 only");
    let text = std::fs::read_to_string(out.path().join("ec2.yaml")).unwrap();
    assert!(
        text.contains("AWS::AutoScaling::AutoScalingGroup"),
        "{text}"
    );
}

#[test]
fn ecs_params_beside_the_compose_file_win_over_compose_and_reach_the_template() {
    let home = tempfile::tempdir().unwrap();
    let dir = workspace_root().join("crates/cli/tests/ecs-params/app");
    let o = convert_in(&dir, &["--format", "json"], home.path());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    let t: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let props = |id: &str| t["Resources"][id]["Properties"].clone();
    let web = props("WebTaskDefinition");
    // task_size wins over mem_limit: 512m; the roles are the named ones.
    assert_eq!(
        (web["Cpu"].as_str(), web["Memory"].as_str()),
        (Some("1024"), Some("2048"))
    );
    assert_eq!(
        web["TaskRoleArn"],
        "arn:aws:iam::123456789012:role/app-task"
    );
    assert_eq!(
        web["ExecutionRoleArn"],
        serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/app-execution"})
    );
    assert!(t["Resources"].get("WebTaskExecutionRole").is_none());
    let main = web["ContainerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Name"] == "web")
        .unwrap()
        .clone();
    assert_eq!(main["MemoryReservation"], 256);
    assert_eq!(main["HealthCheck"]["Interval"], 15);
    assert_eq!(main["HealthCheck"]["Retries"], 4);
    assert_eq!(
        main["Secrets"],
        serde_json::json!([
            {"Name": "DB_PASSWORD", "ValueFrom": "/app/db-password"},
            {"Name": "API_KEY", "ValueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf"}
        ])
    );
    assert_eq!(
        main["RepositoryCredentials"]["CredentialsParameter"],
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbCdEf"
    );
    // A service's own mem_limit and cpu_shares win over task_size.
    let worker = props("WorkerTaskDefinition");
    assert_eq!(
        (worker["Cpu"].as_str(), worker["Memory"].as_str()),
        (Some("2048"), Some("4096"))
    );
    let worker_main = &worker["ContainerDefinitions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(worker_main["LinuxParameters"]["InitProcessEnabled"], true);
    // run_params: subnets, extra groups, public IP; placement on EC2 only.
    assert_eq!(
        t["Parameters"]["Subnet1"]["Default"],
        "subnet-0a1b2c3d4e5f60718"
    );
    let web_service = props("WebService");
    let vpc = &web_service["NetworkConfiguration"]["AwsvpcConfiguration"];
    assert!(
        vpc["SecurityGroups"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("sg-0123456789abcdef0"))
    );
    assert_eq!(vpc["AssignPublicIp"], "ENABLED");
    assert!(web_service.get("PlacementStrategies").is_none());
    let worker_service = props("WorkerService");
    assert_eq!(
        worker_service["PlacementStrategies"],
        serde_json::json!([{"Type": "binpack", "Field": "memory"}])
    );
    assert!(!stderr.contains("compose.yaml"), "{stderr}");
    // What it ignores or cannot find is named, at its line.
    for expected in [
        "ecs-params.yml:9:13",
        "`pid_mode` is ignored",
        "the project has no service \"ghost\"",
        "`task_placement` is ignored for Fargate services",
        "replaces the one docker-ecs would make for `web`",
        "`worker` runs on EC2, where awsvpc tasks get no public IP",
        "the project has no volume \"scratch\"",
        "`scope: task` is ignored",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in:\n{stderr}");
    }
    assert_eq!(stderr.matches("`task_placement` is ignored").count(), 1);
    let file = home.path().join("params.yaml");
    let o = convert_in(&dir, &["-o", file.to_str().unwrap()], home.path());
    assert!(o.status.success());
    insta::assert_snapshot!("ecs_params_app", std::fs::read_to_string(&file).unwrap());
    let findings = cfn_lint_findings(&[file]);
    assert!(findings.is_empty(), "cfn-lint findings:\n{findings}");
}

#[test]
fn an_ecs_params_value_of_the_wrong_type_names_its_line_and_the_fix() {
    let home = tempfile::tempdir().unwrap();
    let dir = workspace_root().join("crates/cli/tests/ecs-params/wrong-type");
    let o = convert_in(&dir, &[], home.path());
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    for expected in [
        "ecs-params.yml:5:29",
        "task_definition.services.web.init_process_enabled",
        "must be true or false",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in:\n{stderr}");
    }
    // Named elsewhere with --ecs-params, the same file is read.
    let other = tempfile::tempdir().unwrap();
    std::fs::copy(dir.join("compose.yaml"), other.path().join("compose.yaml")).unwrap();
    let params = dir.join("ecs-params.yml");
    let o = convert_in(
        other.path(),
        &["--ecs-params", params.to_str().unwrap()],
        home.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("must be true or false"));
}

/// The one-nginx app behind HTTPS, with the project's certificate and access
/// logs, leaves checkov at most one finding (the same app without them
/// leaves four: see `secure_defaults_measured_by_checkov`).
#[test]
fn an_https_app_with_access_logs_fails_at_most_one_checkov_check() {
    let out = tempfile::tempdir().unwrap();
    let dir = workspace_root().join("crates/ecs/tests/fixtures/https-redirect");
    let file = out.path().join("https.yaml");
    let o = convert_in(&dir, &["-o", file.to_str().unwrap()], out.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (failed, passed) = checkov(&[file]);
    assert!(failed.len() <= 1, "checkov failed {failed:?}");
    assert!(passed >= 30);
}
