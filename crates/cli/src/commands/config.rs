//! `config`: the resolved Compose model, as `docker compose config` prints it.

use super::{Outcome, load_project};
use crate::cli::{ConfigArgs, DocFormat, ProjectArgs};
use std::collections::BTreeSet;

pub fn run(project_args: &ProjectArgs, args: &ConfigArgs) -> Outcome {
    // Only the model is printed; the source tree kept for error positions
    // goes before the output is built, which keeps the peak memory down.
    let compose::Loaded { mut project, .. } = load_project(project_args)?;
    if !args.service_names.is_empty() {
        compose::checks::select_services(&mut project, &args.service_names)?;
    }
    let project = &project;
    if args.quiet {
        return Ok(());
    }
    let text = if args.services {
        lines(project.services.keys().cloned())
    } else if args.volumes {
        lines(project.volumes.keys().cloned())
    } else if args.networks {
        lines(project.networks.keys().cloned())
    } else if args.profiles {
        let all: BTreeSet<String> = project
            .services
            .values()
            .chain(project.disabled_services.values())
            .flat_map(|s| s.profiles.iter().cloned())
            .collect();
        lines(all.into_iter())
    } else if args.images {
        // Compose prints these in random (Go map) order; we sort them.
        lines(project.services.iter().map(|(name, s)| match &s.image {
            i if i.is_empty() => format!("{}-{name}", project.name),
            i => i.clone(),
        }))
    } else {
        match args.format {
            DocFormat::Json => compose::output::to_json(project),
            DocFormat::Yaml => compose::output::to_yaml(project),
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

fn lines(items: impl Iterator<Item = String>) -> String {
    let mut v: Vec<String> = items.collect();
    v.sort();
    v.iter().map(|s| format!("{s}\n")).collect()
}
