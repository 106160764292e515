//! `convert`: the CloudFormation template, offline.

use super::{Failure, Outcome, load_project};
use crate::aws::Aws;
use crate::cli::{AwsArgs, ConvertArgs, DocFormat, ProjectArgs};
use std::path::{Path, PathBuf};

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
        nested: args.nested_stacks,
        placement: None,
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
        Some(path) => write(path, &text)?,
        None => print!("{text}"),
    }
    if let Some(split) = &conversion.nested {
        write_children(&split.children, format, args)?;
    }
    super::exit_without_freeing((loaded, conversion, text));
    Ok(())
}

/// Write `text` to `path`, leaving a file that already holds exactly that
/// text untouched: a re-run after a small edit rewrites only the templates
/// that changed (their mtimes tell which), and skips truncating the rest.
fn write(path: &Path, text: &str) -> Result<(), String> {
    let same_size =
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == text.len() as u64);
    if same_size && std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The child stacks' templates, beside `-o FILE` or in `--output-dir`,
/// rendered and written two at a time.
fn write_children(
    children: &[ecs::nested::Child],
    format: ecs::Format,
    args: &ConvertArgs,
) -> Result<(), Failure> {
    let ext = match format {
        ecs::Format::Json => "json",
        ecs::Format::Yaml => "yaml",
    };
    let path = |id: &str| match (&args.output_dir, &args.output) {
        (Some(dir), _) => Some(dir.join(format!("{id}.{ext}"))),
        (None, Some(file)) => Some(child_path(file, id)),
        (None, None) => None,
    };
    let Some(first) = children.first().and_then(|c| path(&c.id)) else {
        if let Some(c) = children.first() {
            crate::report::note(&format!(
                "nested stacks: {} child stacks ({}, …) not written; write them with -o FILE or --output-dir DIR",
                children.len(),
                c.id
            ));
        }
        return Ok(());
    };
    if let Some(dir) = &args.output_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let written = ecs::two_threads::map(children.iter().collect(), |c| match path(&c.id) {
        Some(p) => write(&p, &c.render(format)),
        None => Ok(()),
    });
    written.into_iter().collect::<Result<(), String>>()?;
    crate::report::note(&format!(
        "nested stacks: the root and {} child stacks, written beside it ({}, …)",
        children.len(),
        first.display()
    ));
    Ok(())
}

/// `out/stack.yaml` → `out/stack.Services3F.yaml`.
fn child_path(file: &Path, id: &str) -> PathBuf {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| ["yaml", "yml", "json"].contains(e));
    let mut name = match ext {
        Some(_) => file.with_extension(""),
        None => file.to_path_buf(),
    }
    .into_os_string();
    name.push(format!(".{id}"));
    if let Some(ext) = ext {
        name.push(format!(".{ext}"));
    }
    PathBuf::from(name)
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
