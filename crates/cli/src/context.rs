//! Docker contexts of type `ecs`, in Docker's own context store
//! (`$DOCKER_CONFIG/contexts/meta/<sha256(name)>/meta.json`), so that
//! `docker context ls/use/inspect/rm` and `docker --context` work with them.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub const TYPE: &str = "ecs";

/// Where the AWS side of an `ecs` context points.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Take credentials and region from the environment at run time.
    pub from_env: bool,
}

#[derive(Debug, Clone)]
pub struct Context {
    pub name: String,
    pub description: String,
    pub kind: String,
    pub ecs: Option<Endpoint>,
    pub raw: Value,
}

/// The Docker configuration directory: `--config`, `DOCKER_CONFIG`, then `~/.docker`.
pub fn config_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("DOCKER_CONFIG") {
        return PathBuf::from(p);
    }
    home().join(".docker")
}

pub fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn meta_dir(config: &Path, name: &str) -> PathBuf {
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    config.join("contexts").join("meta").join(hex)
}

fn parse(raw: Value) -> Option<Context> {
    let name = raw["Name"].as_str()?.to_string();
    let ecs = raw["Endpoints"].get(TYPE).map(|e| Endpoint {
        profile: e["Profile"].as_str().map(str::to_string),
        region: e["Region"].as_str().map(str::to_string),
        from_env: e["FromEnvironment"].as_bool().unwrap_or(false),
    });
    Some(Context {
        name,
        description: raw["Metadata"]["Description"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        kind: raw["Metadata"]["Type"].as_str().unwrap_or("").to_string(),
        ecs,
        raw,
    })
}

pub fn get(config: &Path, name: &str) -> Option<Context> {
    let text = std::fs::read_to_string(meta_dir(config, name).join("meta.json")).ok()?;
    parse(serde_json::from_str(&text).ok()?)
}

/// Every context in the store, by name.
pub fn list(config: &Path) -> Vec<Context> {
    let mut out: Vec<Context> = std::fs::read_dir(config.join("contexts").join("meta"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("meta.json")).ok())
        .filter_map(|t| serde_json::from_str(&t).ok())
        .filter_map(parse)
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The context Docker would use: `--context`, `DOCKER_CONTEXT`, then the
/// config file's `currentContext`.
pub fn current(config: &Path, flag: Option<&str>) -> Option<String> {
    if let Some(n) = flag {
        return Some(n.to_string());
    }
    if let Ok(n) = std::env::var("DOCKER_CONTEXT")
        && !n.is_empty()
    {
        return Some(n);
    }
    let text = std::fs::read_to_string(config.join("config.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v["currentContext"]
        .as_str()
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// Docker's rules for context names.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c));
    if !ok || name == "default" {
        return Err(format!(
            "invalid context name {name:?}: use letters, digits, '_', '.', '+' and '-', starting with a letter or digit (and not \"default\")"
        ));
    }
    Ok(())
}

pub fn create(config: &Path, name: &str, description: &str, e: &Endpoint) -> Result<(), String> {
    check_name(name)?;
    let dir = meta_dir(config, name);
    if dir.join("meta.json").exists() {
        return Err(format!("context {name:?} already exists"));
    }
    let mut ecs = serde_json::Map::new();
    if let Some(p) = &e.profile {
        ecs.insert("Profile".into(), json!(p));
    }
    if let Some(r) = &e.region {
        ecs.insert("Region".into(), json!(r));
    }
    if e.from_env {
        ecs.insert("FromEnvironment".into(), json!(true));
    }
    // The docker endpoint keeps `docker context ls` free of errors; it has
    // no host, so `docker` commands in this context use the default engine.
    let meta = json!({
        "Name": name,
        "Metadata": {"Description": description, "Type": TYPE},
        "Endpoints": {"docker": {"SkipTLSVerify": false}, "ecs": ecs},
    });
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(dir.join("meta.json"), meta.to_string())
        .map_err(|e| format!("cannot write the context: {e}"))
}

pub fn remove(config: &Path, name: &str) -> Result<(), String> {
    let dir = meta_dir(config, name);
    if !dir.join("meta.json").exists() {
        return Err(format!("context {name:?} does not exist"));
    }
    std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot remove context {name:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_round_trip_in_docker_layout() {
        let dir = tempfile::tempdir().unwrap();
        let e = Endpoint {
            profile: Some("prod".into()),
            region: Some("eu-west-1".into()),
            from_env: false,
        };
        create(dir.path(), "prod", "production", &e).unwrap();
        // Docker's layout: the directory is the SHA-256 of the name (as
        // `docker context create prod` names it).
        assert!(
            dir.path()
                .join("contexts/meta/6754af9632a2745e85c293e5aac0863370d9bd3330b9938c00cadfd215227d77/meta.json")
                .is_file()
        );
        let got = get(dir.path(), "prod").unwrap();
        assert_eq!(got.kind, "ecs");
        assert_eq!(got.description, "production");
        assert_eq!(got.ecs, Some(e));
        assert!(create(dir.path(), "prod", "", &Endpoint::default()).is_err());
        assert_eq!(list(dir.path()).len(), 1);
        remove(dir.path(), "prod").unwrap();
        assert!(get(dir.path(), "prod").is_none());
        assert!(remove(dir.path(), "prod").is_err());
        assert!(check_name("default").is_err());
        assert!(check_name("-x").is_err());
    }
}
