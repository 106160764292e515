//! Every key the project sets is looked up in [`crate::support`]: ignored
//! keys give a warning that names them, rejected keys an error. Keys that are
//! mapped only in part are checked where they are converted.

use crate::support::{self, Support};
use compose::node::{KeyPath, Node, Value};
use compose::{Error, Positions, Project};

/// What the key check found. It reads only the project, so conversion runs
/// it on a second thread.
pub(crate) struct Findings<'a> {
    pos: &'a Positions,
    pub warnings: Vec<Error>,
    pub errors: Vec<Error>,
}

impl Findings<'_> {
    fn warn(&mut self, path: &KeyPath, message: impl Into<String>, help: impl Into<String>) {
        self.warnings.push(self.pos.error(path, message, help));
    }
    fn error(&mut self, path: &KeyPath, message: impl Into<String>, help: impl Into<String>) {
        self.errors.push(self.pos.error(path, message, help));
    }
}

/// A value that asks for nothing (`false`, empty) needs no warning.
fn asks_for_something(n: &Node) -> bool {
    match &n.value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Str(s) => !s.is_empty(),
        Value::Seq(s) => !s.is_empty(),
        Value::Map(m) => !m.is_empty(),
        Value::Int(_) | Value::Float(_) => true,
    }
}

fn walk(ctx: &mut Findings, node: &Node, path: &KeyPath, table: &[(&str, Support)]) {
    let Some(map) = node.as_map() else { return };
    for (key, value) in map {
        if key.name.starts_with("x-") {
            continue;
        }
        let p = path.key(&key.name);
        match support::lookup(table, &key.name) {
            Some(Support::Nested(inner)) => walk(ctx, value, &p, inner),
            Some(Support::Ignored(why)) if asks_for_something(value) => ctx.warn(
                &p,
                format!("`{}` is ignored on ECS: {why}", key.name),
                "remove it, or keep it for local `docker compose` runs",
            ),
            Some(Support::Rejected(why)) if asks_for_something(value) => ctx.error(
                &p,
                format!("`{}` cannot run on ECS: {why}", key.name),
                format!("remove `{}` from the service to deploy it on ECS", key.name),
            ),
            Some(_) => {}
            None => ctx.warn(
                &p,
                format!("`{}` is not supported on ECS and is ignored", key.name),
                "remove it, or keep it for local `docker compose` runs",
            ),
        }
    }
}

pub(crate) fn check<'a>(project: &Project, pos: &'a Positions) -> Findings<'a> {
    let mut findings = Findings {
        pos,
        warnings: Vec::new(),
        errors: Vec::new(),
    };
    let ctx = &mut findings;
    let mut services: Vec<&String> = project.services.keys().collect();
    services.sort();
    for name in services {
        let path = KeyPath::root().key("services").key(name);
        let Some(node) = pos.node(&path) else {
            continue;
        };
        let service = &project.services[name.as_str()];
        // `build` next to `image` is only ignored; without an image there is nothing to run.
        if service.image.is_empty() {
            ctx.error(
                &path,
                format!("service {name:?} has no image: ECS runs images, it does not build them"),
                "build and push the image (for example to ECR), then set `image:` to it",
            );
        }
        // `network_mode: bridge` is the Compose default and harmless here.
        if service.network_mode == "bridge" {
            ctx.warn(
                &path.key("network_mode"),
                "`network_mode: bridge` is ignored: ECS tasks use awsvpc",
                "remove `network_mode`",
            );
        }
        let skip_build = node.get("build").is_some() && service.image.is_empty();
        let mut table: Vec<(&str, Support)> = support::SERVICE.to_vec();
        if skip_build {
            table.retain(|(k, _)| *k != "build");
            table.push(("build", Support::Mapped("")));
        }
        // `service:<name>` makes a sidecar in that service's task.
        if service.network_mode == "bridge" || service.network_mode.starts_with("service:") {
            table.retain(|(k, _)| *k != "network_mode");
            table.push(("network_mode", Support::Mapped("")));
        }
        walk(ctx, node, &path, &table);
    }
    for (section, table) in [
        ("networks", support::NETWORK),
        ("volumes", support::VOLUME),
        ("secrets", support::SECRET),
    ] {
        let used: Vec<String> = match section {
            "networks" => project.networks.keys().cloned().collect(),
            "volumes" => project.volumes.keys().cloned().collect(),
            _ => project.secrets.keys().cloned().collect(),
        };
        for key in used {
            let path = KeyPath::root().key(section).key(&key);
            if let Some(node) = pos.node(&path) {
                walk(ctx, node, &path, table);
            }
        }
    }
    findings
}
