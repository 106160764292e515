//! `context create|ls|inspect|rm`: Docker contexts of type ecs.

use super::{Failure, Outcome};
use crate::cli::{AwsArgs, ContextCommand, ContextCreateArgs, ListFormat};
use crate::context::{self, Endpoint};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

pub fn run(aws: &AwsArgs, command: &ContextCommand) -> Outcome {
    let config = context::config_dir(aws.docker_config.as_deref());
    match command {
        ContextCommand::Create(args) => create(&config, aws, args),
        ContextCommand::Ls(list) => ls(&config, aws, list.format, list.quiet),
        ContextCommand::Inspect(args) => inspect(&config, &args.names),
        ContextCommand::Rm { names, force } => rm(&config, aws, names, *force),
    }
}

fn create(config: &Path, aws: &AwsArgs, args: &ContextCreateArgs) -> Outcome {
    context::check_name(&args.name)?;
    if context::get(config, &args.name).is_some() {
        return Err(Failure::Message(format!(
            "context {:?} already exists: remove it first with `docker ecs context rm {}`",
            args.name, args.name
        )));
    }
    let region = aws.region.clone();
    let endpoint = if args.from_env {
        Endpoint {
            profile: None,
            region,
            from_env: true,
        }
    } else if args.access_keys {
        let profile = aws
            .aws_profile
            .clone()
            .unwrap_or_else(|| format!("docker-ecs-{}", args.name));
        if profile_exists(&profile) {
            return Err(Failure::Message(format!(
                "AWS profile {profile:?} already exists and is left as it is: name a new one with --profile NAME, or use it with --profile {profile} instead of --access-keys"
            )));
        }
        let (id, secret) = access_keys(args)?;
        store_profile(&profile, &id, &secret)?;
        eprintln!(
            "Stored the access keys as the new AWS profile {profile:?} in {}",
            credentials_file().display()
        );
        Endpoint {
            profile: Some(profile),
            region,
            from_env: false,
        }
    } else {
        let Some(profile) = aws.aws_profile.clone() else {
            return Err(Failure::Message(
                "say where the AWS credentials come from: --profile NAME, --from-env or --access-keys"
                    .into(),
            ));
        };
        if !profile_exists(&profile) {
            crate::report::warning(&format!(
                "AWS profile {profile:?} is not in {} or {} (yet)",
                credentials_file().display(),
                aws_config_file().display()
            ));
        }
        Endpoint {
            profile: Some(profile),
            region,
            from_env: false,
        }
    };
    let description =
        args.description
            .clone()
            .unwrap_or_else(|| match (&endpoint.profile, &endpoint.region) {
                _ if endpoint.from_env => "AWS credentials and region from the environment".into(),
                (Some(p), Some(r)) => format!("AWS profile {p}, {r}"),
                (Some(p), None) => format!("AWS profile {p}"),
                _ => String::new(),
            });
    context::create(config, &args.name, &description, &endpoint)?;
    println!("Successfully created ecs context {:?}", args.name);
    println!(
        "Use it with `docker context use {}` or `docker --context {} ecs …`",
        args.name, args.name
    );
    Ok(())
}

/// The key ID from the flag or a prompt; the secret from stdin or a prompt
/// without echo, never from the command line.
fn access_keys(args: &ContextCreateArgs) -> Result<(String, String), Failure> {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let id = match &args.access_key_id {
        Some(id) => id.clone(),
        None if interactive => {
            eprint!("AWS access key ID: ");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            stdin.lock().read_line(&mut line)?;
            line.trim().to_string()
        }
        None => {
            return Err(Failure::Message(
                "--access-keys without a terminal needs --access-key-id ID and the secret key on stdin (--secret-access-key-stdin)".into(),
            ));
        }
    };
    let secret = if args.secret_access_key_stdin || !interactive {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        line.trim().to_string()
    } else {
        console::Term::stderr()
            .write_str("AWS secret access key: ")
            .and_then(|_| console::Term::stderr().read_secure_line())
            .map_err(|e| Failure::Message(format!("cannot read the secret access key: {e}")))?
    };
    if id.is_empty() || secret.is_empty() {
        return Err(Failure::Message(
            "both an access key ID and a secret access key are needed".into(),
        ));
    }
    Ok((id, secret))
}

fn credentials_file() -> PathBuf {
    std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| context::home().join(".aws").join("credentials"))
}

fn aws_config_file() -> PathBuf {
    std::env::var_os("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| context::home().join(".aws").join("config"))
}

/// Section names of an AWS ini file (`[name]` or `[profile name]`).
fn profiles_in(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().strip_prefix('[')?.strip_suffix(']'))
        .map(|s| s.trim().trim_start_matches("profile ").trim().to_string())
        .collect()
}

fn profile_exists(name: &str) -> bool {
    profiles_in(&credentials_file()).iter().any(|p| p == name)
        || profiles_in(&aws_config_file()).iter().any(|p| p == name)
}

/// Append a new profile; an existing profile is never touched.
fn store_profile(name: &str, id: &str, secret: &str) -> Result<(), Failure> {
    if profile_exists(name) {
        return Err(Failure::Message(format!(
            "AWS profile {name:?} already exists and is left as it is: choose another with --profile NAME, or use it with --profile {name}"
        )));
    }
    let path = credentials_file();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let text = format!("\n[{name}]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n");
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

fn ls(config: &Path, aws: &AwsArgs, format: ListFormat, quiet: bool) -> Outcome {
    let current = context::current(config, aws.context.as_deref());
    let all: Vec<context::Context> = context::list(config)
        .into_iter()
        .filter(|c| c.kind == context::TYPE)
        .collect();
    if quiet {
        for c in &all {
            println!("{}", c.name);
        }
        return Ok(());
    }
    match format {
        ListFormat::Json => {
            let rows: Vec<serde_json::Value> = all
                .iter()
                .map(|c| {
                    let e = c.ecs.clone().unwrap_or_default();
                    serde_json::json!({
                        "Name": c.name,
                        "Current": current.as_deref() == Some(c.name.as_str()),
                        "Description": c.description,
                        "Profile": e.profile.unwrap_or_default(),
                        "Region": e.region.unwrap_or_default(),
                        "FromEnvironment": e.from_env,
                    })
                })
                .collect();
            println!("{}", serde_json::Value::Array(rows));
        }
        ListFormat::Table => {
            let mut t = super::plain_table(&["NAME", "DESCRIPTION", "PROFILE", "REGION"]);
            for c in &all {
                let e = c.ecs.clone().unwrap_or_default();
                let star = if current.as_deref() == Some(c.name.as_str()) {
                    " *"
                } else {
                    ""
                };
                t.add_row(vec![
                    format!("{}{star}", c.name),
                    c.description.clone(),
                    if e.from_env {
                        "(environment)".into()
                    } else {
                        e.profile.unwrap_or_default()
                    },
                    e.region.unwrap_or_default(),
                ]);
            }
            print!("{}", super::table_text(&t));
        }
    }
    Ok(())
}

fn inspect(config: &Path, names: &[String]) -> Outcome {
    let mut out = Vec::new();
    for n in names {
        let c = context::get(config, n)
            .ok_or_else(|| Failure::Message(format!("context {n:?} does not exist")))?;
        out.push(c.raw);
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("contexts serialize")
    );
    Ok(())
}

fn rm(config: &Path, aws: &AwsArgs, names: &[String], force: bool) -> Outcome {
    let current = context::current(config, aws.context.as_deref());
    for n in names {
        let c = context::get(config, n)
            .ok_or_else(|| Failure::Message(format!("context {n:?} does not exist")))?;
        if c.kind != context::TYPE {
            return Err(Failure::Message(format!(
                "context {n:?} is not an ecs context: remove it with `docker context rm {n}`"
            )));
        }
        if current.as_deref() == Some(n.as_str()) && !force {
            return Err(Failure::Message(format!(
                "context {n:?} is in use: switch with `docker context use default`, or pass --force"
            )));
        }
        context::remove(config, n)?;
        println!("{n}");
    }
    Ok(())
}
