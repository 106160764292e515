//! `convert`: the CloudFormation template, offline.

use super::{Failure, Outcome, load_project};
use crate::aws::Aws;
use crate::cli::{AwsArgs, ConvertArgs, DocFormat, ProjectArgs};

/// Convert a loaded project, printing warnings; used by `convert` and `up`.
pub fn conversion(
    loaded: &compose::Loaded,
    options: &ecs::Options,
) -> Result<ecs::Conversion, Failure> {
    let conversion =
        ecs::convert(&loaded.project, &loaded.positions, options).map_err(Failure::Many)?;
    for w in &conversion.warnings {
        crate::report::input_warning(w);
    }
    Ok(conversion)
}

/// The template breaks a CloudFormation limit (size, resources, …).
pub fn too_large(broken: &[String]) -> Failure {
    Failure::Message(format!(
        "{}; split the project into several stacks (for example with -f and profiles)",
        broken.join("; ")
    ))
}

pub fn run(project_args: &ProjectArgs, aws_args: &AwsArgs, args: &ConvertArgs) -> Outcome {
    let mut loaded = load_project(project_args)?;
    if args.resolve_image_digests {
        let pins = crate::aws::runtime().block_on(pins_for_convert(&loaded.project, aws_args))?;
        crate::images::pin(&mut loaded.project, &pins);
    }
    let options = ecs::Options {
        strict: args.strict,
        launch_type: args.launch_type.map(Into::into),
        params: crate::ecs_params::apply(&mut loaded, args.ecs_params.as_deref())?,
    };
    let conversion = conversion(&loaded, &options)?;
    let format = match args.format {
        DocFormat::Json => ecs::Format::Json,
        DocFormat::Yaml => ecs::Format::Yaml,
    };
    let text = match conversion.render(format) {
        Ok(text) => text,
        Err(broken) => {
            // A project over the limits is a large one: exit as fast.
            super::exit_without_freeing((loaded, conversion));
            return Err(too_large(&broken));
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, &text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    super::exit_without_freeing((loaded, conversion, text));
    Ok(())
}

/// `convert --resolve-image-digests`: registries are asked; AWS only when
/// an image is in ECR.
async fn pins_for_convert(
    project: &compose::Project,
    aws_args: &AwsArgs,
) -> Result<crate::images::Pins, Failure> {
    let needs_aws = project
        .services
        .values()
        .any(|s| s.image.contains(".dkr.ecr"));
    let aws = if needs_aws {
        Some(Aws::connect(aws_args).await?)
    } else {
        None
    };
    let config = crate::context::config_dir(aws_args.docker_config.as_deref());
    crate::images::resolve(project, aws.as_ref(), &config).await
}
