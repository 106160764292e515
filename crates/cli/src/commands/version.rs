//! `version`.

use super::Outcome;
use crate::cli::{VersionArgs, VersionFormat};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn run(args: &VersionArgs) -> Outcome {
    if args.short {
        println!("{VERSION}");
    } else if args.format == VersionFormat::Json {
        println!("{}", serde_json::json!({ "version": VERSION }));
    } else {
        println!("docker-ecs version v{VERSION}");
    }
    Ok(())
}
