//! `convert`: the CloudFormation template, offline.

use super::{Failure, Outcome, load_project};
use crate::cli::{ConvertArgs, DocFormat, ProjectArgs};

/// Load and convert the project, printing warnings; used by `convert` and `up`.
pub fn conversion(
    project_args: &ProjectArgs,
    strict: bool,
) -> Result<(compose::Loaded, ecs::Conversion), Failure> {
    let loaded = load_project(project_args)?;
    let options = ecs::Options { strict };
    let conversion =
        ecs::convert(&loaded.project, &loaded.positions, &options).map_err(Failure::Many)?;
    for w in &conversion.warnings {
        crate::report::input_warning(w);
    }
    Ok((loaded, conversion))
}

/// The template breaks a CloudFormation limit (size, resources, …).
pub fn too_large(broken: &[String]) -> Failure {
    Failure::Message(format!(
        "{}; split the project into several stacks (for example with -f and profiles)",
        broken.join("; ")
    ))
}

pub fn run(project_args: &ProjectArgs, args: &ConvertArgs) -> Outcome {
    let (loaded, conversion) = conversion(project_args, args.strict)?;
    let format = match args.format {
        DocFormat::Json => ecs::Format::Json,
        DocFormat::Yaml => ecs::Format::Yaml,
    };
    let text = conversion
        .render(format)
        .map_err(|broken| too_large(&broken))?;
    match &args.output {
        Some(path) => std::fs::write(path, &text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    super::exit_without_freeing((loaded, conversion, text));
    Ok(())
}
