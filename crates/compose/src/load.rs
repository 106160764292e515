//! The loading pipeline: read → interpolate → canonicalize → extends → include
//! → merge files → defaults, paths, environment, normalisation → typed model →
//! profiles and consistency checks.

use crate::canonical::canonicalize;
use crate::de::from_node;
use crate::env::{Environment, read_dotenv};
use crate::error::{Error, Result, SourceMap};
use crate::interpolate::interpolate_tree;
use crate::merge::merge;
use crate::model::{Project, Service};
use crate::node::{Key, KeyPath, Map, Node, Span, Value};
use crate::options::{self, LoadOptions, join, normalize_project_name};
use crate::{checks, limits, read, resolve, yaml};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A loaded project plus the warnings Compose would print while loading it.
#[derive(Debug)]
pub struct Loaded {
    pub project: Project,
    pub warnings: Vec<String>,
    /// The environment used for interpolation (shell + `.env`).
    pub environment: Environment,
    /// Profiles that were active.
    pub profiles: Vec<String>,
    /// Where every value came from, for errors found after loading.
    pub positions: crate::positions::Positions,
}

/// Load a Compose project the way `docker compose` does.
pub fn load(opts: &LoadOptions) -> Result<Loaded> {
    let mut loader = Loader::default();
    match loader.run(opts) {
        Ok((mut loaded, root)) => {
            loaded.positions = crate::positions::Positions::new(root, loader.sources);
            Ok(loaded)
        }
        Err(e) => Err(e.resolve(&loader.sources)),
    }
}

#[derive(Default)]
struct Loader {
    sources: SourceMap,
    warnings: Vec<String>,
    /// Files loaded through `extends: {file: …}` (canonical path), read once.
    extended_files: HashMap<PathBuf, Node>,
    /// How many services each resolved service extends, through all files.
    chain_depth: HashMap<(PathBuf, String), usize>,
    /// What interpolation may still produce in this load.
    budget: crate::interpolate::Budget,
    /// Services written with no body (`base:`) in those files.
    empty_services: std::collections::HashSet<(PathBuf, String)>,
    /// Their services with `extends` resolved, each resolved once.
    extended_services: HashMap<(PathBuf, String), Node>,
}

fn services_mut(doc: &mut Node) -> Option<&mut Map> {
    doc.get_mut("services").and_then(Node::as_map_mut)
}

impl Loader {
    fn warn(&mut self, w: String) {
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    fn run(&mut self, opts: &LoadOptions) -> Result<(Loaded, Node)> {
        let resolved = options::resolve(opts)?;
        let mut env = resolved.environment.clone();

        let mut documents: Vec<(PathBuf, Vec<Node>)> = Vec::new();
        for file in &resolved.files {
            let docs = self.read_file(file, read::COMPOSE_FILE)?;
            documents.push((file.clone(), docs));
        }

        let name = self.project_name(&resolved, &documents, &env)?;
        env.insert("COMPOSE_PROJECT_NAME", name.clone());

        let mut root = Node::empty_map(Span::NONE);
        for (file, docs) in documents {
            for doc in docs {
                let doc = self.process_document(doc, &file, &resolved.working_dir, &env, &[])?;
                merge(&mut root, doc, &KeyPath::root())?;
            }
        }
        if root.as_map().is_none_or(|m| m.is_empty()) {
            let files: Vec<String> = resolved
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect();
            return Err(Error::new(format!(
                "empty compose file: {} define{} nothing",
                files.join(", "),
                if files.len() == 1 { "s" } else { "" }
            ))
            .with_help("a Compose file needs at least a `services` section"));
        }

        resolve::apply_defaults(&mut root);
        resolve::resolve_paths(&mut root, &resolved.working_dir);
        resolve::resolve_environment(&mut root, &env);
        resolve::normalize(&mut root, &name);
        if let Some(m) = root.as_map_mut() {
            m.insert(
                Key::new("name", Span::NONE),
                Node::str(name.clone(), Span::NONE),
            );
        }

        let mut project = typed_project(&mut root)?;
        project.working_dir = resolved.working_dir.clone();
        project.compose_files = resolved.files.clone();
        checks::validate_raw(&root)?;
        checks::apply_profiles(&mut project, &resolved.profiles, &mut self.warnings)?;
        checks::check_consistency(&project, &root)?;
        checks::resolve_env_files(&mut project, &env, &root)?;
        checks::resolve_label_files(&mut project, &env, &root)?;
        checks::drop_unused_resources(&mut project);

        let loaded = Loaded {
            project,
            warnings: std::mem::take(&mut self.warnings),
            environment: env,
            profiles: resolved.profiles,
            positions: crate::positions::Positions::none(),
        };
        Ok((loaded, root))
    }

    /// Interpolate one parsed document, against the load's shared budget.
    fn interpolate(&mut self, doc: &mut Node, env: &Environment) -> Result<()> {
        interpolate_tree(
            doc,
            &KeyPath::root(),
            env,
            &mut self.warnings,
            &mut self.budget,
        )
    }

    /// Read and parse one file (or stdin for `-`) into its YAML documents.
    fn read_file(&mut self, file: &Path, kind: read::FileKind) -> Result<Vec<Node>> {
        let bytes = if file.as_os_str() == "-" {
            read::read_stdin()
        } else {
            read::read_bytes(file, kind)
        };
        let bytes = bytes.map_err(|e| {
            let help = if kind.from_input {
                e.help.clone()
            } else {
                "check the path given with -f or COMPOSE_FILE".to_string()
            };
            Error::new(e.message).with_help(help)
        })?;
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let prefix = String::from_utf8_lossy(&bytes[..valid]);
                let line = prefix.matches('\n').count() + 1;
                let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                return Err(Error::new(format!(
                    "invalid UTF-8 at line {line}, column {column} (byte {valid})"
                ))
                .with_file(file)
                .with_help("Compose files must be UTF-8 text; re-save the file as UTF-8"));
            }
        };
        let source = self
            .sources
            .add(file.to_path_buf(), Arc::from(text.as_str()));
        let docs = yaml::parse_documents(&text, source)?;
        if docs.is_empty() {
            return Err(Error::new("empty compose file")
                .with_file(file)
                .with_help("a Compose file needs at least a `services` section"));
        }
        for doc in &docs {
            non_string_keys(doc)?;
            if doc.as_map().is_none() {
                return Err(Error::at(
                    doc.span,
                    &KeyPath::root(),
                    "top-level object must be a mapping",
                )
                .with_help("start the file with `services:`"));
            }
        }
        Ok(docs)
    }

    fn project_name(
        &mut self,
        resolved: &options::Resolved,
        documents: &[(PathBuf, Vec<Node>)],
        env: &Environment,
    ) -> Result<String> {
        if let Some(name) = &resolved.explicit_name {
            return Ok(name.clone());
        }
        let mut from_files: Option<Node> = None;
        for (_, docs) in documents {
            for doc in docs {
                let Some(n) = doc.get("name") else { continue };
                if n.as_str().is_none() && !n.is_null() {
                    return Err(Error::at(
                        n.span,
                        &KeyPath::root().key("name"),
                        format!("must be a string, found {}", n.kind_name()),
                    )
                    .with_help("write the project name as a string"));
                }
                if n.as_str().is_some_and(|s| !s.is_empty()) {
                    from_files = Some(n.clone());
                }
            }
        }
        if let Some(mut node) = from_files {
            let path = KeyPath::root().key("name");
            interpolate_tree(&mut node, &path, env, &mut self.warnings, &mut self.budget)?;
            let normalized = normalize_project_name(&node.scalar_string().unwrap_or_default());
            if !normalized.is_empty() {
                return Ok(normalized);
            }
        }
        let base = resolved
            .working_dir
            .file_name()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let name = normalize_project_name(&base);
        if name.is_empty() {
            return Err(Error::new("project name must not be empty").with_help(
                "set `name:` in the Compose file, or pass -p NAME or COMPOSE_PROJECT_NAME",
            ));
        }
        Ok(name)
    }

    /// One YAML document of a Compose file, up to (not including) the merge.
    fn process_document(
        &mut self,
        mut doc: Node,
        file: &Path,
        working_dir: &Path,
        env: &Environment,
        include_chain: &[PathBuf],
    ) -> Result<Node> {
        self.interpolate(&mut doc, env)?;
        if let Some(m) = doc.as_map_mut()
            && m.shift_remove("version").is_some()
        {
            self.warn(format!(
                "{}: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion",
                file.display()
            ));
        }
        canonicalize(&mut doc)?;
        self.apply_extends(&mut doc, file, working_dir, env)?;
        self.apply_includes(&mut doc, file, working_dir, env, include_chain)?;
        Ok(doc)
    }

    fn apply_extends(
        &mut self,
        doc: &mut Node,
        file: &Path,
        working_dir: &Path,
        env: &Environment,
    ) -> Result<()> {
        let names: Vec<String> = match doc.get("services").and_then(Node::as_map) {
            Some(s) => s
                .iter()
                .filter(|(_, v)| v.get("extends").is_some())
                .map(|(k, _)| k.name.clone())
                .collect(),
            None => return Ok(()),
        };
        let file = canonical(file);
        for name in names {
            let mut stack = Vec::new();
            self.extend_service(doc, &name, &file, working_dir, env, &mut stack)?;
        }
        Ok(())
    }

    /// Resolve the `extends` of service `name` of `doc` (the contents of
    /// `file`, a canonical path). `stack` holds the (file, service) pairs
    /// being resolved, across files, so that every cycle is caught and no
    /// chain grows past [`limits::MAX_CHAIN_DEPTH`].
    fn extend_service(
        &mut self,
        doc: &mut Node,
        name: &str,
        file: &Path,
        working_dir: &Path,
        env: &Environment,
        stack: &mut Vec<(PathBuf, String)>,
    ) -> Result<()> {
        let path = KeyPath::root().key("services").key(name);
        let Some(service) = services_mut(doc).and_then(|s| s.get_mut(name)) else {
            return Ok(());
        };
        // Read, don't remove yet: a cycle must still see `extends` on the way back.
        let Some(extends) = service.get("extends").cloned() else {
            return Ok(());
        };
        let ext_path = path.key("extends");
        let Some(base_name) = extends
            .get("service")
            .and_then(Node::as_str)
            .map(String::from)
        else {
            return Err(
                Error::at(extends.span, &ext_path, "missing required key `service`")
                    .with_help("name the service to extend: `extends: {service: NAME}`"),
            );
        };
        let me = (file.to_path_buf(), name.to_string());
        if stack.contains(&me) {
            let mut chain: Vec<String> = stack
                .iter()
                .map(|(f, s)| format!("{s} in {}", f.display()))
                .collect();
            chain.push(format!("{name} in {}", file.display()));
            return Err(Error::at(
                extends.span,
                &ext_path,
                format!("circular reference: {}", chain.join(" extends ")),
            )
            .with_help("break the cycle of `extends`"));
        }
        if stack.len() >= limits::MAX_CHAIN_DEPTH {
            return Err(chain_too_deep(extends.span, &ext_path));
        }
        stack.push(me);

        let mut base = match extends.get("file").and_then(Node::as_str) {
            Some(rel) => {
                let target = canonical(Path::new(&join(working_dir, rel)));
                let base = self
                    .service_of_file(&target, &base_name, env, stack)
                    .map_err(|e| {
                        if e.span().is_none() && e.key_path().is_none() {
                            // The file could not be read; the message names it.
                            Error::at(extends.span, &ext_path, e.message().to_string())
                                .with_help(e.help().unwrap_or("check `extends.file`").to_string())
                        } else {
                            e
                        }
                    })?;
                let Some(mut base) = base else {
                    return Err(Error::at(
                        extends.span,
                        &ext_path,
                        format!(
                            "cannot extend service {base_name:?} in {}: service not found",
                            target.display()
                        ),
                    )
                    .with_help("check the service name in `extends.service`"));
                };
                if base.is_null() {
                    // Docker Compose leaves a service whose base (in another
                    // file) is empty as it is, `extends` and all.
                    stack.pop();
                    let file_node = services_mut(doc)
                        .and_then(|s| s.get_mut(name))
                        .and_then(|s| s.get_mut("extends"))
                        .and_then(|e| e.get_mut("file"));
                    if let Some(f) = file_node {
                        f.value = Value::Str(join(working_dir, rel));
                    }
                    return Ok(());
                }
                let dir = target.parent().unwrap_or(working_dir).to_path_buf();
                resolve::resolve_service_paths(&mut base, &dir);
                base
            }
            None => {
                if base_name == name {
                    return Err(Error::at(
                        extends.span,
                        &ext_path,
                        format!("service {name:?} cannot extend itself"),
                    )
                    .with_help("add `file:` to extend a service of another file"));
                }
                let exists = services_mut(doc).is_some_and(|s| s.contains_key(base_name.as_str()));
                if !exists {
                    return Err(Error::at(
                        extends.span,
                        &ext_path,
                        format!("cannot extend service {base_name:?}: service not found"),
                    )
                    .with_help("check the service name in `extends.service`"));
                }
                self.extend_service(doc, &base_name, file, working_dir, env, stack)?;
                services_mut(doc).unwrap()[base_name.as_str()].clone()
            }
        };
        stack.pop();
        // The chain's length, however the services were reached: a base
        // resolved earlier has its own length on record.
        let base_key = match extends.get("file").and_then(Node::as_str) {
            Some(rel) => (
                canonical(Path::new(&join(working_dir, rel))),
                base_name.clone(),
            ),
            None => (file.to_path_buf(), base_name.clone()),
        };
        let depth = self.chain_depth.get(&base_key).copied().unwrap_or(0) + 1;
        if depth > limits::MAX_CHAIN_DEPTH {
            return Err(chain_too_deep(extends.span, &ext_path));
        }
        self.chain_depth
            .insert((file.to_path_buf(), name.to_string()), depth);
        let services = services_mut(doc).expect("checked above");
        let service = services.get_mut(name).expect("checked above");
        let mut own = std::mem::replace(service, Node::null(Span::NONE));
        if let Some(m) = own.as_map_mut() {
            m.shift_remove("extends");
        }
        if let Some(m) = base.as_map_mut() {
            m.shift_remove("extends");
        }
        merge(&mut base, own, &path)?;
        *service = base;
        Ok(())
    }

    /// Service `name` of the file at `path` (canonical), with its own
    /// `extends` resolved; `None` when the file has no such service. Each
    /// file is read once and each of its services resolved once.
    fn service_of_file(
        &mut self,
        path: &Path,
        name: &str,
        env: &Environment,
        stack: &mut Vec<(PathBuf, String)>,
    ) -> Result<Option<Node>> {
        let key = (path.to_path_buf(), name.to_string());
        if let Some(done) = self.extended_services.get(&key) {
            return Ok(Some(done.clone()));
        }
        if !self.extended_files.contains_key(path) {
            let docs = self.read_file(path, read::REFERENCED_COMPOSE_FILE)?;
            let mut merged = Node::empty_map(Span::NONE);
            for mut doc in docs {
                self.interpolate(&mut doc, env)?;
                // Canonical form turns `base:` into `base: {}`; remember
                // which services were written empty.
                for (s, body) in doc
                    .get("services")
                    .and_then(Node::as_map)
                    .into_iter()
                    .flatten()
                {
                    if body.is_null() {
                        self.empty_services
                            .insert((path.to_path_buf(), s.name.clone()));
                    }
                }
                canonicalize(&mut doc)?;
                merge(&mut merged, doc, &KeyPath::root())?;
            }
            self.extended_files.insert(path.to_path_buf(), merged);
        }
        if self.empty_services.contains(&key) {
            return Ok(Some(Node::null(Span::NONE)));
        }
        let mut doc = self.extended_files[path].clone();
        if doc.get("services").and_then(|s| s.get(name)).is_none() {
            return Ok(None);
        }
        let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        self.extend_service(&mut doc, name, path, &dir, env, stack)?;
        let resolved = doc.get("services").and_then(|s| s.get(name)).cloned();
        if let Some(r) = &resolved {
            self.extended_services.insert(key, r.clone());
        }
        Ok(resolved)
    }

    fn apply_includes(
        &mut self,
        doc: &mut Node,
        file: &Path,
        working_dir: &Path,
        env: &Environment,
        chain: &[PathBuf],
    ) -> Result<()> {
        let Some(include) = doc.as_map_mut().and_then(|m| m.shift_remove("include")) else {
            return Ok(());
        };
        let mut chain = chain.to_vec();
        chain.push(canonical(file));
        let base_path = KeyPath::root().key("include");
        for (i, entry) in include.as_seq().into_iter().flatten().enumerate() {
            let p = base_path.index(i);
            let strings = |key: &str| -> Vec<String> {
                entry
                    .get(key)
                    .and_then(Node::as_seq)
                    .map(|s| s.iter().filter_map(Node::scalar_string).collect())
                    .unwrap_or_default()
            };
            let paths: Vec<PathBuf> = strings("path")
                .iter()
                .map(|s| PathBuf::from(join(working_dir, s)))
                .collect();
            if paths.is_empty() {
                return Err(Error::at(entry.span, &p, "missing required key `path`")
                    .with_help("give the Compose file(s) to include in `path`"));
            }
            if chain.len() > limits::MAX_CHAIN_DEPTH {
                return Err(Error::at(
                    entry.span,
                    &p,
                    format!(
                        "`include` is nested deeper than {} files",
                        limits::MAX_CHAIN_DEPTH
                    ),
                )
                .with_help("include files that include fewer others"));
            }
            for included in &paths {
                if chain.contains(&canonical(included)) {
                    let mut names: Vec<String> =
                        chain.iter().map(|f| f.display().to_string()).collect();
                    names.push(included.display().to_string());
                    return Err(Error::at(
                        entry.span,
                        &p,
                        format!("include cycle detected: {}", names.join(" includes ")),
                    )
                    .with_help("remove one of the `include` entries forming the cycle"));
                }
            }
            let project_dir = entry
                .get("project_directory")
                .and_then(Node::scalar_string)
                .map(|d| PathBuf::from(join(working_dir, &d)))
                .unwrap_or_else(|| paths[0].parent().unwrap_or(working_dir).to_path_buf());
            let mut env_files: Vec<PathBuf> = strings("env_file")
                .iter()
                .map(|s| PathBuf::from(join(working_dir, s)))
                .collect();
            if env_files.is_empty() {
                let dotenv = project_dir.join(".env");
                if dotenv.is_file() {
                    env_files.push(dotenv);
                }
            }
            let mut sub_env = env.clone();
            for f in &env_files {
                // The error names the env file: the include's span is elsewhere.
                let vars = read_dotenv(f, &sub_env).map_err(|e| {
                    Error::at(entry.span, &p, e.to_string())
                        .with_help(e.help().unwrap_or("").to_string())
                })?;
                for (k, v) in vars {
                    if !env.contains(&k) {
                        sub_env.insert(k, v);
                    }
                }
            }
            let mut sub = Node::empty_map(Span::NONE);
            for included in &paths {
                let docs = self
                    .read_file(included, read::REFERENCED_COMPOSE_FILE)
                    .map_err(|e| {
                        if e.span().is_none() {
                            Error::at(entry.span, &p, e.message().to_string())
                                .with_help("check the `include` path")
                        } else {
                            e
                        }
                    })?;
                for d in docs {
                    let d = self.process_document(d, included, &project_dir, &sub_env, &chain)?;
                    merge(&mut sub, d, &KeyPath::root())?;
                }
            }
            resolve::apply_defaults(&mut sub);
            resolve::resolve_paths(&mut sub, &project_dir);
            import_resources(doc, sub, &p)?;
        }
        Ok(())
    }
}

/// The typed project. The services of a large project, most of its
/// content, are read on two threads; on any error the whole project is
/// read again on one, so that the error reported is the one it finds first.
fn typed_project(root: &mut Node) -> Result<Project> {
    const TWO_THREADS_FROM: usize = 64;
    let Some(services) = root
        .get_mut("services")
        .filter(|s| s.as_map().is_some_and(|m| m.len() >= TWO_THREADS_FROM))
    else {
        return from_node(root, &KeyPath::root());
    };
    let span = services.span;
    let services = std::mem::replace(services, Node::empty_map(span));
    let entries: Vec<(&Key, &Node)> = services.as_map().into_iter().flatten().collect();
    let (first, second) = entries.split_at(entries.len() / 2);
    let read = |part: &[(&Key, &Node)]| -> Result<Vec<(String, Service)>> {
        let at = KeyPath::root().key("services");
        part.iter()
            .map(|(k, v)| Ok((k.name.clone(), from_node(v, &at.key(&k.name))?)))
            .collect()
    };
    let (rest, first, second) = std::thread::scope(|s| {
        let second = s.spawn(|| read(second));
        let rest = from_node::<Project>(root, &KeyPath::root());
        let first = read(first);
        (
            rest,
            first,
            second.join().expect("reading a service cannot panic"),
        )
    });
    *root.get_mut("services").expect("taken above") = services;
    match (rest, first, second) {
        (Ok(mut project), Ok(first), Ok(second)) => {
            project.services = first.into_iter().chain(second).collect();
            Ok(project)
        }
        _ => from_node(root, &KeyPath::root()),
    }
}

/// Compose reads keys as strings only: `80:` or `true:` as a key is an
/// error, wherever it stands (extensions included).
fn non_string_keys(doc: &Node) -> Result<()> {
    // Files almost never have one: the paths are made only to report it.
    if has_non_string_key(doc) {
        first_non_string_key(doc)
    } else {
        Ok(())
    }
}

fn has_non_string_key(doc: &Node) -> bool {
    let mut stack = vec![doc];
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::Map(m) => {
                if m.keys().any(|k| k.not_a_string) {
                    return true;
                }
                stack.extend(m.values());
            }
            Value::Seq(items) => stack.extend(items),
            _ => {}
        }
    }
    false
}

/// The first non-string key in the file, with its path.
fn first_non_string_key(doc: &Node) -> Result<()> {
    let mut stack = vec![(doc, KeyPath::root())];
    while let Some((node, path)) = stack.pop() {
        match &node.value {
            // Children go on the stack last-first, so the first bad key in
            // the file is the one reported.
            Value::Map(m) => {
                if let Some(k) = m.keys().find(|k| k.not_a_string) {
                    let at = if path.is_empty() {
                        "the top level".to_string()
                    } else {
                        path.to_string()
                    };
                    return Err(Error::at(
                        k.span,
                        &path,
                        format!("non-string key in {at}: {}", k.name),
                    )
                    .with_help(format!("quote the key: \"{}\"", k.name)));
                }
                for (k, v) in m.iter().rev() {
                    stack.push((v, path.key(&k.name)));
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((item, path.index(i)));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A path as the file system knows it (links and `..` resolved), so that a
/// file reached by two spellings is one file. A path that cannot be
/// resolved (it does not exist) stays as it is and fails when read.
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Add an included project's resources; a name defined on both sides must be identical.
fn import_resources(doc: &mut Node, sub: Node, path: &KeyPath) -> Result<()> {
    let Value::Map(sub) = sub.value else {
        return Ok(());
    };
    let target = doc.as_map_mut().expect("documents are mappings");
    for (section, entries) in *sub {
        if !matches!(
            section.name.as_str(),
            "services" | "networks" | "volumes" | "secrets" | "configs" | "models"
        ) {
            continue;
        }
        let Value::Map(entries) = entries.value else {
            continue;
        };
        let dest = target
            .entry(Key::new(section.name.clone(), Span::NONE))
            .or_insert_with(|| Node::empty_map(Span::NONE));
        if dest.is_null() {
            *dest = Node::empty_map(Span::NONE);
        }
        let Some(dest) = dest.as_map_mut() else {
            continue;
        };
        for (name, value) in *entries {
            if let Some(existing) = dest.get(name.name.as_str()) {
                if existing.to_json() != value.to_json() {
                    return Err(Error::at(
                        existing.span,
                        &KeyPath::root().key(&section.name).key(&name.name),
                        format!(
                            "{}.{} conflicts with imported resource",
                            section.name, name.name
                        ),
                    )
                    .with_help(format!(
                        "the file included at {path} also defines it; rename one of them"
                    )));
                }
                continue;
            }
            dest.insert(name, value);
        }
    }
    Ok(())
}

/// An `extends` chain longer than the limit: refused before it is followed.
fn chain_too_deep(span: Span, path: &KeyPath) -> Error {
    Error::at(
        span,
        path,
        format!(
            "`extends` chain is deeper than {} services",
            limits::MAX_CHAIN_DEPTH
        ),
    )
    .with_help("extend a service that extends fewer others")
}
