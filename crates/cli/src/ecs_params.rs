//! `ecs-params.yml` (ecs-cli's side file): found beside the first Compose
//! file or named with `--ecs-params`, read bounded, parsed with positions,
//! interpolated with the project's environment as ecs-cli expanded it, and
//! laid over the loaded project. Its values win over Compose's.

use crate::commands::Failure;
use compose::node::KeyPath;
use compose::read::FileKind;
use ecs::params::{self, ParamsFile};
use std::path::{Path, PathBuf};

const PARAMS_FILE: FileKind = FileKind {
    what: "ecs-params file",
    max_bytes: compose::limits::MAX_ENV_FILE_BYTES,
    from_input: false,
};

/// Read the file (if any), lay it over `loaded`, and return what only the
/// conversion can apply. Warnings are printed; errors stop the command.
pub fn apply(
    loaded: &mut compose::Loaded,
    named: Option<&Path>,
) -> Result<Option<ParamsFile>, Failure> {
    let Some(path) = locate(loaded, named) else {
        return Ok(None);
    };
    let text = compose::read::read_text(&path, PARAMS_FILE)
        .map_err(|e| Failure::Compose(e.into_error().with_file(&path)))?;
    let mut sources = compose::SourceMap::default();
    let source = sources.add(path.clone(), text.as_str().into());
    let resolve = |e: compose::Error| e.resolve(&sources);
    let mut docs =
        compose::yaml::parse_documents(&text, source).map_err(|e| Failure::Compose(resolve(e)))?;
    let Some(mut root) = docs.drain(..).next() else {
        return Ok(None);
    };
    let mut unset = Vec::new();
    let mut budget = compose::interpolate::Budget::default();
    compose::interpolate::interpolate_tree(
        &mut root,
        &KeyPath::root(),
        &loaded.environment,
        &mut unset,
        &mut budget,
    )
    .map_err(|e| Failure::Compose(resolve(e)))?;
    for w in &unset {
        crate::report::warning(w);
    }
    let positions = compose::Positions::new(root, sources);
    let (read, errors, warnings) = params::read(&positions);
    for w in &warnings {
        crate::report::input_warning(w);
    }
    if !errors.is_empty() {
        return Err(Failure::Many(errors));
    }
    let file = ParamsFile {
        params: read,
        positions,
    };
    for w in file.unmatched(&loaded.project) {
        crate::report::input_warning(&w);
    }
    file.params.overlay(&mut loaded.project);
    Ok(Some(file))
}

/// `--ecs-params FILE`, else `ecs-params.yml` beside the first Compose file.
fn locate(loaded: &compose::Loaded, named: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = named {
        return Some(p.to_path_buf());
    }
    let dir = loaded
        .project
        .compose_files
        .first()
        .and_then(|f| f.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| loaded.project.working_dir.clone());
    let beside = dir.join("ecs-params.yml");
    beside.is_file().then_some(beside)
}
