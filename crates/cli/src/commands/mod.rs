//! One module per command.

pub mod config;
pub mod context;
pub mod convert;
pub mod down;
pub mod exec;
pub mod logs;
pub mod ls;
pub mod ps;
pub mod secret;
pub mod up;
pub mod version;
pub mod volume;

use crate::cli::ProjectArgs;
use compose::{LoadOptions, Loaded};

/// Why a command failed; the exit code is always 1.
#[derive(Debug)]
pub enum Failure {
    /// The Compose files are invalid (rendered with the source snippet).
    Compose(compose::Error),
    /// Several input errors, all reported.
    Many(Vec<compose::Error>),
    /// Anything else, as one sentence.
    Message(String),
    /// Ctrl-C (exit 130) or SIGTERM (exit 143), like a shell, after saying
    /// what goes on.
    Interrupted(String, u8),
    /// Exit with this code and say nothing more (`exec` passes on the
    /// remote command's).
    Exit(u8),
}

impl From<compose::Error> for Failure {
    fn from(e: compose::Error) -> Self {
        Failure::Compose(e)
    }
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Message(s)
    }
}

impl From<&str> for Failure {
    fn from(s: &str) -> Self {
        Failure::Message(s.to_string())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Message(e.to_string())
    }
}

pub type Outcome = Result<(), Failure>;

/// Hand a command's large results to the operating system instead of
/// freeing them one allocation at a time: the process exits right after, and
/// dropping a loaded project and its template is a measurable share of a
/// `convert` run.
pub fn exit_without_freeing<T>(value: T) {
    std::mem::forget(value);
}

/// Load the project named by the global Compose options, printing warnings.
pub fn load_project(args: &ProjectArgs) -> Result<Loaded, Failure> {
    let mut opts = LoadOptions::from_process()?;
    opts.files = args.files.clone();
    opts.project_name = args.project_name.clone();
    opts.project_directory = args.project_directory.clone();
    opts.env_files = args.env_files.clone();
    opts.profiles = args.profiles.clone();
    let loaded = compose::load(&opts)?;
    for w in &loaded.warnings {
        crate::report::warning(w);
    }
    Ok(loaded)
}

/// The project name for commands that need no Compose file when `-p` is
/// given (`down`, `ps`, `logs`), as `docker compose` does.
pub fn project_name(args: &ProjectArgs) -> Result<String, Failure> {
    if let Some(name) = &args.project_name {
        let n = compose::options::normalize_project_name(name);
        if n.is_empty() {
            return Err(Failure::Message(format!(
                "invalid project name {name:?}: use lowercase letters, digits, dashes and underscores"
            )));
        }
        return Ok(n);
    }
    Ok(load_project(args)?.project.name)
}

/// A table as text, without the padding comfy-table leaves at line ends.
pub fn table_text(t: &comfy_table::Table) -> String {
    let mut out = String::new();
    for line in t.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A borderless table like `docker compose ps`.
pub fn plain_table(header: &[&str]) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    for c in t.column_iter_mut() {
        c.set_padding((0, 3));
    }
    t
}

/// The project for commands that work without a Compose file (`secret`,
/// `volume`): `-p`, the Compose file's name, else the directory's name, as
/// Compose derives it.
pub fn project_name_or_directory(args: &ProjectArgs) -> String {
    if let Ok(n) = project_name_quiet(args) {
        return n;
    }
    let dir = std::env::current_dir().unwrap_or_default();
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    compose::options::normalize_project_name(&base)
}

fn project_name_quiet(args: &ProjectArgs) -> Result<String, Failure> {
    if args.project_name.is_some() {
        return project_name(args);
    }
    let mut opts = LoadOptions::from_process()?;
    opts.files = args.files.clone();
    opts.project_directory = args.project_directory.clone();
    opts.env_files = args.env_files.clone();
    Ok(compose::load(&opts)?.project.name)
}

/// The items the user named (all when none), or "no such service" for a
/// name that is not there, as `docker compose ps/logs SERVICE` say.
pub fn select_services<T>(
    items: Vec<T>,
    wanted: &[String],
    service: impl Fn(&T) -> &str,
) -> Result<Vec<T>, Failure> {
    if let Some(missing) = wanted
        .iter()
        .find(|w| !items.iter().any(|i| service(i) == w.as_str()))
    {
        return Err(Failure::Message(format!("no such service: {missing}")));
    }
    Ok(items
        .into_iter()
        .filter(|i| wanted.is_empty() || wanted.iter().any(|w| w == service(i)))
        .collect())
}

/// `KEY=VALUE` pairs (labels, options).
pub fn labels(items: &[String]) -> Result<Vec<(String, String)>, Failure> {
    items
        .iter()
        .map(|i| match i.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(Failure::Message(format!("{i:?} is not KEY=VALUE"))),
        })
        .collect()
}

/// `install`: copy this binary where Docker looks for CLI plugins.
pub fn install(aws: &crate::cli::AwsArgs) -> Outcome {
    let dir = crate::context::config_dir(aws.docker_config.as_deref()).join("cli-plugins");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let target = dir.join("docker-ecs");
    let me = std::env::current_exe()?;
    std::fs::copy(&me, &target).map_err(|e| format!("cannot copy to {}: {e}", target.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))?;
    }
    println!("Installed {}", target.display());
    println!("Try `docker ecs version`");
    Ok(())
}

/// Wait for Ctrl-C or SIGTERM; the exit code a shell gives each (130, 143).
pub async fn interrupted() -> u8 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return 130;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => 130,
            _ = term.recv() => 143,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        130
    }
}
