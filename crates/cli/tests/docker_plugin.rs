//! The real `docker` client (no engine needed) drives the built binary as a
//! CLI plugin installed in a temporary DOCKER_CONFIG.

mod common;

use std::path::Path;
use std::process::{Command, Output};

struct Docker {
    home: tempfile::TempDir,
    config: std::path::PathBuf,
}

impl Docker {
    fn new() -> Docker {
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("docker-config");
        let d = Docker { home, config };
        let out = d.ecs_standalone(&["install"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(d.config.join("cli-plugins/docker-ecs").is_file());
        d
    }

    fn env(&self, cmd: &mut Command) {
        common::clean_env(cmd, self.home.path());
        cmd.env("DOCKER_CONFIG", &self.config)
            .env("AWS_CONFIG_FILE", self.home.path().join(".aws/config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home.path().join(".aws/credentials"),
            );
    }

    fn docker(&self, args: &[&str], dir: &Path) -> Output {
        let mut cmd = Command::new("docker");
        cmd.args(args).current_dir(dir);
        self.env(&mut cmd);
        cmd.output().expect("the docker client runs")
    }

    fn ecs_standalone(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(common::docker_ecs());
        cmd.args(args);
        self.env(&mut cmd);
        cmd.output().unwrap()
    }
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn app_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moto/app")
}

#[test]
fn docker_runs_the_plugin_and_lists_it() {
    let d = Docker::new();
    let here = d.home.path();
    let version = d.docker(&["ecs", "version"], here);
    assert!(version.status.success(), "{}", text(&version));
    assert!(
        text(&version).contains(env!("CARGO_PKG_VERSION")),
        "{}",
        text(&version)
    );
    let help = d.docker(&["--help"], here);
    let help = text(&help);
    assert!(
        help.lines()
            .any(|l| l.trim_start().starts_with("ecs") && l.contains("Amazon ECS")),
        "{help}"
    );
    // `docker ecs compose …` is an alias.
    let out = d.docker(
        &["ecs", "compose", "convert", "--format", "json"],
        &app_dir(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let t: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(t["Resources"]["WebService"].is_object());
}

#[test]
fn contexts_are_docker_contexts() {
    let d = Docker::new();
    let here = d.home.path();
    let aws = here.join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    let original = "[default]\naws_access_key_id = AKIAORIGINAL\naws_secret_access_key = keep-me\n";
    std::fs::write(aws.join("credentials"), original).unwrap();

    let out = d.docker(
        &[
            "ecs",
            "context",
            "create",
            "prod",
            "--profile",
            "default",
            "--region",
            "eu-west-1",
            "--description",
            "production",
        ],
        here,
    );
    assert!(out.status.success(), "{}", text(&out));
    // `--profile` only points at the profile: the credentials file is untouched.
    assert_eq!(
        std::fs::read_to_string(aws.join("credentials")).unwrap(),
        original
    );

    let ls = text(&d.docker(&["context", "ls"], here));
    let row = ls
        .lines()
        .find(|l| l.starts_with("prod"))
        .unwrap_or_else(|| panic!("{ls}"));
    assert!(row.contains("production"), "{ls}");
    assert!(!row.contains("error") && !row.contains("cannot"), "{ls}");
    let inspect = d.docker(&["context", "inspect", "prod"], here);
    let v: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(v[0]["Metadata"]["Type"], "ecs");
    assert_eq!(v[0]["Endpoints"]["ecs"]["Region"], "eu-west-1");
    assert_eq!(v[0]["Endpoints"]["ecs"]["Profile"], "default");

    // `docker --context NAME ecs …` reaches us and uses the context: an
    // ecs context works, a Docker engine context is refused by name.
    let out = d.docker(&["--context", "prod", "ecs", "convert"], &app_dir());
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("AWSTemplateFormatVersion"));
    d.docker(
        &[
            "context",
            "create",
            "engine",
            "--docker",
            "host=unix:///nonexistent.sock",
        ],
        here,
    );
    let out = d.docker(&["--context", "engine", "ecs", "convert"], &app_dir());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("context \"engine\" is not an ecs context"),
        "{}",
        text(&out)
    );

    // `docker context use` selects it; our listing marks it.
    assert!(d.docker(&["context", "use", "prod"], here).status.success());
    let ours = text(&d.docker(&["ecs", "context", "ls"], here));
    assert!(ours.lines().any(|l| l.starts_with("prod *")), "{ours}");
    let json = d.docker(&["ecs", "context", "ls", "--format", "json"], here);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[0]["Current"], true);
    assert_eq!(v[0]["Region"], "eu-west-1");

    // Access keys go into a new profile, appended; nothing is overwritten.
    let mut cmd = Command::new("docker");
    cmd.args([
        "ecs",
        "context",
        "create",
        "dev",
        "--access-keys",
        "--access-key-id",
        "AKIANEW",
        "--secret-access-key-stdin",
        "--region",
        "us-east-2",
    ])
    .current_dir(here);
    d.env(&mut cmd);
    let out = common::output_with_stdin(&mut cmd, b"new-secret\n");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !text(&out).contains("new-secret"),
        "the secret is never printed"
    );
    let creds = std::fs::read_to_string(aws.join("credentials")).unwrap();
    assert!(creds.starts_with(original), "{creds}");
    assert!(
        creds.contains(
            "[docker-ecs-dev]\naws_access_key_id = AKIANEW\naws_secret_access_key = new-secret\n"
        ),
        "{creds}"
    );
    // The same profile name again is refused, not overwritten.
    let again = d.ecs_standalone(&[
        "context",
        "create",
        "dev2",
        "--access-keys",
        "--aws-profile",
        "default",
        "--access-key-id",
        "X",
    ]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert_eq!(
        std::fs::read_to_string(aws.join("credentials")).unwrap(),
        creds
    );

    // rm: the context in use needs --force; unknown contexts are an error.
    let rm = d.docker(&["ecs", "context", "rm", "prod"], here);
    assert_eq!(rm.status.code(), Some(1), "{}", text(&rm));
    assert!(
        d.docker(&["context", "use", "default"], here)
            .status
            .success()
    );
    assert!(
        d.docker(&["ecs", "context", "rm", "prod"], here)
            .status
            .success()
    );
    let rm = d.docker(&["ecs", "context", "rm", "prod"], here);
    assert_eq!(rm.status.code(), Some(1));
    assert!(text(&rm).contains("does not exist"), "{}", text(&rm));
    let ls = text(&d.docker(&["context", "ls"], here));
    assert!(!ls.contains("prod"), "{ls}");
}

#[test]
fn every_command_has_help_with_examples_and_completions_work() {
    let d = Docker::new();
    for cmd in [
        "config", "convert", "up", "down", "ps", "logs", "ls", "context", "secret", "volume",
    ] {
        let out = d.ecs_standalone(&[cmd, "--help"]);
        assert!(out.status.success(), "{cmd}: {}", text(&out));
        assert!(
            text(&out).contains("Examples:"),
            "{cmd} --help has no examples"
        );
    }
    for shell in ["bash", "zsh", "fish"] {
        let out = d.ecs_standalone(&["completion", shell]);
        assert!(out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("context"),
            "{shell}"
        );
    }
}
