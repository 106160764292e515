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
    // `docker-ecs ecs …` (how docker invokes plugins) → `docker-ecs …`.
    if args.get(1).is_some_and(|a| a == "ecs") {
        args.remove(1);
    }
    // `docker ecs compose up` → `docker ecs up`.
    if args.get(1).is_some_and(|a| a == "compose") {
        args.remove(1);
    }
    follow_flag(&mut args);
    Invocation::Run(args)
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
