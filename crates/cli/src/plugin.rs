//! The Docker CLI plugin protocol.
//!
//! Docker runs `docker-ecs docker-cli-plugin-metadata` to discover the plugin,
//! then `docker-ecs ecs ARGS…` for `docker ecs ARGS…`. `docker ecs compose
//! ARGS…` is accepted as an alias for people coming from `docker compose`.

use std::ffi::OsString;

pub enum Invocation {
    Metadata,
    Run(Vec<OsString>),
}

pub fn prepare_args(mut args: Vec<OsString>) -> Invocation {
    if args
        .get(1)
        .is_some_and(|a| a == "docker-cli-plugin-metadata")
    {
        return Invocation::Metadata;
    }
    // `docker [GLOBAL FLAGS] ecs …` runs `docker-ecs [GLOBAL FLAGS] ecs …`.
    if std::env::var_os("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND").is_some()
        || args.get(1).is_some_and(|a| a == "ecs")
    {
        docker_globals(&mut args);
    }
    // `docker ecs compose up` → `docker ecs up`.
    if args.get(1).is_some_and(|a| a == "compose") {
        args.remove(1);
    }
    follow_flag(&mut args);
    aws_profile_flag(&mut args);
    Invocation::Run(args)
}

/// Docker's own global flags come before `ecs`. The context, the config
/// directory and debug mode matter to us (`--context`, `-c`, `--config`,
/// `-D`/`--debug`); the engine flags (`-H`, `--tls…`, `-l`) do not and are
/// dropped.
fn docker_globals(args: &mut Vec<OsString>) {
    let Some(at) = args.iter().position(|a| a == "ecs") else {
        return;
    };
    let globals: Vec<String> = args[1..at]
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut kept: Vec<OsString> = Vec::new();
    let mut i = 0;
    while i < globals.len() {
        let flag = globals[i].as_str();
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (flag, None),
        };
        let takes_value = matches!(
            name,
            "--context"
                | "-c"
                | "--config"
                | "-H"
                | "--host"
                | "-l"
                | "--log-level"
                | "--tlscacert"
                | "--tlscert"
                | "--tlskey"
        );
        let value = match (&inline, takes_value) {
            (Some(v), _) => Some(v.clone()),
            (None, true) => {
                i += 1;
                globals.get(i).cloned()
            }
            (None, false) => None,
        };
        match (name, value) {
            ("--context" | "-c", Some(v)) => kept.extend(["--context".into(), v.into()]),
            ("--config", Some(v)) => kept.extend(["--config".into(), v.into()]),
            ("-D" | "--debug", None) => kept.push("--debug".into()),
            _ => {}
        }
        i += 1;
    }
    let mut rest = args.split_off(at + 1);
    // `docker ecs compose up` → `docker ecs up`.
    if rest.first().is_some_and(|a| a == "compose") {
        rest.remove(0);
    }
    args.truncate(1);
    args.extend(kept);
    args.extend(rest);
}

/// `--profile` is Compose's (service profiles), but in `context create` it
/// names the AWS profile, as in the original and the AWS CLI.
fn aws_profile_flag(args: &mut [OsString]) {
    let Some(at) = args
        .windows(2)
        .position(|w| w[0] == "context" && w[1] == "create")
    else {
        return;
    };
    for a in args.iter_mut().skip(at + 2) {
        if a == "--profile" {
            *a = OsString::from("--aws-profile");
        } else if let Some(v) = a.to_str().and_then(|s| s.strip_prefix("--profile=")) {
            *a = OsString::from(format!("--aws-profile={v}"));
        }
    }
}

/// `-f` is the global `--file`, but `docker compose logs -f` means
/// `--follow`: after `logs`, a short `-f` (alone or in a cluster like `-tf`)
/// is read as `--follow`.
fn follow_flag(args: &mut Vec<OsString>) {
    // The subcommand is the first word that is not an option's value.
    const TAKES_VALUE: [&str; 10] = [
        "-f",
        "--file",
        "-p",
        "--project-name",
        "--project-directory",
        "--env-file",
        "--profile",
        "--aws-profile",
        "--region",
        "--endpoint-url",
    ];
    let Some(at) = (1..args.len())
        .find(|&i| args[i] == "logs" && !TAKES_VALUE.iter().any(|t| args[i - 1] == *t))
    else {
        return;
    };
    let mut i = at + 1;
    while i < args.len() {
        let Some(a) = args[i].to_str().map(str::to_string) else {
            i += 1;
            continue;
        };
        if a == "--" {
            break;
        }
        let cluster = a.starts_with('-') && !a.starts_with("--") && a.len() > 1;
        if cluster
            && a[1..].chars().all(|c| "ftn".contains(c))
            && a.contains('f')
            && !a.contains('n')
        {
            let rest: String = a[1..].chars().filter(|&c| c != 'f').collect();
            args[i] = OsString::from("--follow");
            if !rest.is_empty() {
                args.insert(i + 1, OsString::from(format!("-{rest}")));
                i += 1;
            }
        }
        i += 1;
    }
}

pub fn metadata_json() -> String {
    serde_json::json!({
        "SchemaVersion": "0.1.0",
        "Vendor": "docker-ecs",
        "Version": crate::commands::version::VERSION,
        "ShortDescription": "Run a Compose application on Amazon ECS",
        "URL": "https://github.com/docker-ecs/docker-ecs",
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Vec<String> {
        match prepare_args(args.iter().map(OsString::from).collect()) {
            Invocation::Run(a) => a.into_iter().map(|a| a.into_string().unwrap()).collect(),
            Invocation::Metadata => vec!["metadata".into()],
        }
    }

    /// As docker runs a plugin: its own global flags, then `ecs`.
    fn as_plugin(args: &[&str]) -> Vec<String> {
        let mut a: Vec<OsString> = args.iter().map(OsString::from).collect();
        docker_globals(&mut a);
        a.into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    #[test]
    fn docker_global_flags_before_ecs() {
        assert_eq!(
            as_plugin(&[
                "x",
                "--context",
                "prod",
                "-D",
                "-H",
                "tcp://h:1",
                "ecs",
                "ps"
            ]),
            ["x", "--context", "prod", "--debug", "ps"]
        );
        assert_eq!(
            as_plugin(&["x", "-c=dev", "--config", "/d", "ecs", "compose", "ls"]),
            ["x", "--context", "dev", "--config", "/d", "ls"]
        );
        assert_eq!(
            as_plugin(&["x", "ecs", "up", "-c", "y"]),
            ["x", "up", "-c", "y"]
        );
    }

    #[test]
    fn context_create_profile_is_the_aws_profile() {
        assert_eq!(
            run(&[
                "x",
                "context",
                "create",
                "prod",
                "--profile",
                "p",
                "--region",
                "r"
            ]),
            [
                "x",
                "context",
                "create",
                "prod",
                "--aws-profile",
                "p",
                "--region",
                "r"
            ]
        );
        assert_eq!(
            run(&["x", "--profile", "db", "up"]),
            ["x", "--profile", "db", "up"]
        );
    }

    #[test]
    fn logs_f_means_follow() {
        assert_eq!(
            run(&["x", "logs", "-f", "web"]),
            ["x", "logs", "--follow", "web"]
        );
        assert_eq!(
            run(&["x", "-f", "c.yaml", "logs", "-tf"]),
            ["x", "-f", "c.yaml", "logs", "--follow", "-t"]
        );
        assert_eq!(run(&["x", "ecs", "compose", "up"]), ["x", "up"]);
        assert_eq!(
            run(&["x", "up", "-f", "c.yaml"]),
            ["x", "up", "-f", "c.yaml"]
        );
        assert_eq!(
            run(&["x", "-p", "logs", "ps", "-f", "c"]),
            ["x", "-p", "logs", "ps", "-f", "c"]
        );
    }
}
