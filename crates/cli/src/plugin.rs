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
    Invocation::Run(args)
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
