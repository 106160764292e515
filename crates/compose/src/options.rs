//! What to load: Compose files, project directory, environment, project name
//! and profiles, resolved with Docker Compose's precedence rules.

use crate::env::{Environment, read_dotenv};
use crate::error::{Error, Result};
use crate::syntax::clean_path;
use std::path::{Path, PathBuf};

/// The file names Compose looks for, in order of preference.
pub const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The global options of `docker compose` (`-f`, `-p`, `--project-directory`,
/// `--env-file`, `--profile`) plus the environment and working directory.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub files: Vec<PathBuf>,
    pub project_name: Option<String>,
    pub project_directory: Option<PathBuf>,
    pub env_files: Vec<PathBuf>,
    pub profiles: Vec<String>,
    /// The current directory (relative `-f` paths are relative to it).
    pub cwd: PathBuf,
    /// The process environment.
    pub environment: Environment,
}

impl LoadOptions {
    /// Options for the current process: its directory and environment.
    pub fn from_process() -> Result<Self> {
        let cwd = std::env::current_dir()
            .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
        Ok(LoadOptions {
            cwd,
            environment: Environment::from_process(),
            ..Default::default()
        })
    }
}

/// Options after applying the environment, `.env` files and file discovery.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub files: Vec<PathBuf>,
    pub working_dir: PathBuf,
    pub environment: Environment,
    pub profiles: Vec<String>,
    /// `-p` or `COMPOSE_PROJECT_NAME`, which must already be a valid name.
    pub explicit_name: Option<String>,
}

/// Join and clean like Go's `filepath.Join`.
pub fn join(base: &Path, p: &str) -> String {
    if p.starts_with('/') {
        clean_path(p)
    } else {
        clean_path(&format!("{}/{}", base.display(), p))
    }
}

pub fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    PathBuf::from(join(cwd, &p.to_string_lossy()))
}

pub fn resolve(opts: &LoadOptions) -> Result<Resolved> {
    let cwd = &opts.cwd;
    let project_dir = opts.project_directory.as_ref().map(|d| absolute(cwd, d));
    let explicit_files: Vec<PathBuf> = opts
        .files
        .iter()
        .map(|f| {
            if f.as_os_str() == "-" {
                f.clone()
            } else {
                absolute(cwd, f)
            }
        })
        .collect();

    // `.env` lives in the project directory, else beside the first -f file.
    let env_dir = project_dir.clone().unwrap_or_else(|| {
        explicit_files
            .iter()
            .find(|f| f.as_os_str() != "-")
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| cwd.clone())
    });
    let env_files: Vec<PathBuf> = if opts.env_files.is_empty() {
        let dotenv = env_dir.join(".env");
        if dotenv.is_file() {
            vec![dotenv]
        } else {
            vec![]
        }
    } else {
        opts.env_files.iter().map(|f| absolute(cwd, f)).collect()
    };
    let mut environment = opts.environment.clone();
    let mut from_files = Environment::new();
    // The env file that set COMPOSE_PROJECT_NAME, for errors about it.
    let mut name_file: Option<PathBuf> = None;
    for file in &env_files {
        if !file.exists() {
            return Err(
                Error::new(format!("couldn't find env file: {}", file.display()))
                    .with_help("check the --env-file path"),
            );
        }
        // Values may refer to the shell and to earlier files.
        let mut lookup = opts.environment.clone();
        for (k, v) in from_files.iter() {
            if !lookup.contains(k) {
                lookup.insert(k, v);
            }
        }
        for (k, v) in read_dotenv(file, &lookup)? {
            if k == "COMPOSE_PROJECT_NAME" {
                name_file = Some(file.clone());
            }
            from_files.insert(k, v);
        }
    }
    // The shell wins over .env files.
    for (k, v) in from_files.iter() {
        if !environment.contains(k) {
            environment.insert(k, v);
        }
    }

    let files = if !explicit_files.is_empty() {
        explicit_files
    } else if let Some(list) = environment.get("COMPOSE_FILE").filter(|s| !s.is_empty()) {
        let sep = environment
            .get("COMPOSE_PATH_SEPARATOR")
            .filter(|s| !s.is_empty())
            .unwrap_or(":");
        let base = project_dir.clone().unwrap_or_else(|| cwd.clone());
        list.split(sep)
            .filter(|s| !s.is_empty())
            .map(|f| absolute(&base, Path::new(f)))
            .collect()
    } else {
        discover(project_dir.as_deref().unwrap_or(cwd))?
    };

    let working_dir = project_dir.unwrap_or_else(|| {
        files
            .iter()
            .find(|f| f.as_os_str() != "-")
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| cwd.clone())
    });

    let profiles: Vec<String> = if !opts.profiles.is_empty() {
        opts.profiles
            .iter()
            .flat_map(|p| p.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    } else {
        environment
            .get("COMPOSE_PROFILES")
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    };

    let (explicit_name, name_source) = match &opts.project_name {
        Some(n) => (Some(n.clone()), "-p".to_string()),
        None => {
            let name = environment
                .get("COMPOSE_PROJECT_NAME")
                .filter(|s| !s.is_empty())
                .map(String::from);
            let source = match (
                &name_file,
                opts.environment.contains("COMPOSE_PROJECT_NAME"),
            ) {
                (Some(f), false) => format!("COMPOSE_PROJECT_NAME in {}", f.display()),
                _ => "the COMPOSE_PROJECT_NAME environment variable".to_string(),
            };
            (name, source)
        }
    };
    if let Some(name) = &explicit_name
        && normalize_project_name(name) != *name
    {
        let fixed = normalize_project_name(name);
        let help = if fixed.is_empty() {
            "use lowercase letters, digits, `-` and `_`, starting with a letter or a digit, such as \"myapp\"".to_string()
        } else {
            format!("use {fixed:?}")
        };
        return Err(Error::new(format!(
            "invalid project name {name:?} (from {name_source}): must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number"
        ))
        .with_help(help));
    }

    Ok(Resolved {
        files,
        working_dir,
        environment,
        profiles,
        explicit_name,
    })
}

/// Find the Compose file in `dir` or its parents, plus its override file.
fn discover(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut current = Some(dir);
    while let Some(d) = current {
        let found: Vec<&str> = DEFAULT_FILES
            .iter()
            .copied()
            .filter(|name| d.join(name).is_file())
            .collect();
        if let Some(first) = found.first() {
            let mut files = vec![d.join(first)];
            let stem = first.trim_end_matches(".yaml").trim_end_matches(".yml");
            for ext in ["yml", "yaml"] {
                let over = d.join(format!("{stem}.override.{ext}"));
                if over.is_file() {
                    files.push(over);
                    break;
                }
            }
            return Ok(files);
        }
        current = d.parent();
    }
    Err(
        Error::new("no configuration file provided: not found").with_help(format!(
            "create a compose.yaml in {} or a parent directory, or pass one with -f",
            dir.display()
        )),
    )
}

/// Lower-case and keep only `[a-z0-9_-]`, without leading `_`/`-`.
pub fn normalize_project_name(s: &str) -> String {
    let lowered: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    lowered.trim_start_matches(['_', '-']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names() {
        assert_eq!(normalize_project_name("My App!"), "myapp");
        assert_eq!(normalize_project_name("-_x_Y-1"), "x_y-1");
        assert_eq!(normalize_project_name("Demo_App"), "demo_app");
    }

    #[test]
    fn join_cleans() {
        assert_eq!(join(Path::new("/a/b"), "./c/../d"), "/a/b/d");
        assert_eq!(join(Path::new("/a"), "/x/./y"), "/x/y");
    }
}
