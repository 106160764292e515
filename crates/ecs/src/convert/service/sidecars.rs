//! `network_mode: service:<main>`: in Compose a sidecar shares its main
//! service's network namespace; on ECS that is the same task. The sidecar's
//! containers join the main service's task definition (reaching it on
//! `localhost`), after its main container has started, and not essential
//! unless `x-aws-essential: true`. The task is sized for both, and the
//! sidecar gets no ECS service, discovery entry or security group of its own.

use super::spec::ServiceSpec;
use crate::cfn::resources::{ContainerDefinition, ContainerDependency};
use crate::convert::{Ctx, push_new};
use compose::model::Service;
use compose::node::KeyPath;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Follow every `network_mode: service:…` to the service that owns the
/// namespace (a chain ends at one), refusing cycles and published ports.
/// Fills `ctx.sidecar_main` (sidecar → main) and returns main → its
/// sidecars, in name order.
pub fn plan(ctx: &mut Ctx) -> BTreeMap<String, Vec<String>> {
    let services = &ctx.project.services;
    let mut names: Vec<&String> = services.keys().collect();
    names.sort();
    // Service → the main service of its task (`None`: in or behind a
    // cycle). Each service is walked once, so a long chain stays linear.
    let mut main_of: HashMap<&str, Option<&str>> = HashMap::new();
    for name in &names {
        let mut walk: Vec<&str> = Vec::new();
        let mut on_walk: HashSet<&str> = HashSet::new();
        let mut at: &str = name;
        let main = loop {
            if let Some(known) = main_of.get(at) {
                break *known;
            }
            // The loader refuses such cycles (they are `depends_on`
            // cycles to Compose, named there in full); this only guards.
            if !on_walk.insert(at) {
                let path = KeyPath::root().key("services").key(at).key("network_mode");
                ctx.error(
                    &path,
                    format!("network_mode of {at} leads back to itself"),
                    "let one of them own the network: remove its `network_mode`",
                );
                break None;
            }
            walk.push(at);
            match services.get(at).and_then(shared_with) {
                Some(next) if services.contains_key(next) => at = next,
                Some(_) => break None,
                None => break Some(at),
            }
        };
        for w in walk {
            main_of.insert(w, main);
        }
    }
    let mut of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut sidecar_main = BTreeMap::new();
    for name in names {
        let (Some(Some(main)), Some(_)) = (
            main_of.get(name.as_str()),
            shared_with(&services[name.as_str()]),
        ) else {
            continue;
        };
        if !services[name.as_str()].ports.is_empty() {
            let path = KeyPath::root().key("services").key(name);
            ctx.error(
                &path.key("ports"),
                format!("{name} shares the network of {main} and cannot publish ports of its own"),
                format!("publish the port on {main}: containers of one task share localhost"),
            );
        }
        of.entry(main.to_string()).or_default().push(name.clone());
        sidecar_main.insert(name.clone(), main.to_string());
    }
    ctx.sidecar_main = sidecar_main;
    of
}

/// The service whose network namespace this one joins.
fn shared_with(s: &Service) -> Option<&str> {
    s.network_mode.strip_prefix("service:")
}

/// The task-level keys a sidecar cannot set: its main service's apply.
pub fn warn_task_keys(ctx: &mut Ctx, name: &str, main: &str, path: &KeyPath) {
    let deploy = path.key("deploy");
    let mut keys = vec![path.key("scale")];
    for key in [
        "replicas",
        "mode",
        "placement",
        "update_config",
        "rollback_config",
        "x-aws-autoscaling",
    ] {
        keys.push(deploy.key(key));
    }
    keys.extend(
        crate::extensions::TASK_LEVEL_SERVICE_KEYS
            .iter()
            .map(|k| path.key(k)),
    );
    let set: Vec<KeyPath> = keys
        .into_iter()
        .filter(|k| ctx.pos.node(k).is_some())
        .collect();
    for at in set {
        ctx.warn(
            &at,
            format!(
                "ignored: {name} runs in the task of {main} (network_mode), whose setting applies"
            ),
            format!("set it on {main}"),
        );
    }
}

/// Whether the sidecar's own container must keep running for the task to
/// (`x-aws-essential`, default false).
pub fn essential(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> bool {
    let reader = ctx.reader(&s.extensions, path.clone());
    let essential: Option<bool> = ctx.ok(reader.get("x-aws-essential", "true or false"));
    essential.unwrap_or(false)
}

/// The sidecar's needs become the main service's: task role policies,
/// secrets the execution role reads, EFS volumes, and service order.
pub fn absorb(main: &mut ServiceSpec, side: &ServiceSpec) {
    let iam = &mut main.iam;
    push_new(
        &mut iam.managed_policies,
        side.iam.managed_policies.iter().cloned(),
    );
    iam.task_policies
        .extend(side.iam.task_policies.iter().cloned());
    if let Some(doc) = &side.iam.role_document {
        match &mut iam.role_document {
            None => iam.role_document = Some(doc.clone()),
            Some(own) => {
                let theirs = doc["Statement"].as_array().cloned().unwrap_or_default();
                if let Some(list) = own
                    .get_mut("Statement")
                    .and_then(serde_json::Value::as_array_mut)
                {
                    list.extend(theirs);
                }
            }
        }
    }
    push_new(
        &mut main.secrets.grants,
        side.secrets.grants.iter().cloned(),
    );
    push_new(
        &mut main.storage.efs_volumes,
        side.storage.efs_volumes.iter().cloned(),
    );
    main.storage.writes_efs |= side.storage.writes_efs;
    let own = format!("{}Service", main.id);
    let others = side.depends_on.iter().filter(|d| **d != own).cloned();
    push_new(&mut main.depends_on, others);
}

/// Add a sidecar's containers and volumes to its main service's task.
/// Its secrets get a volume of their own, so that neither service reads
/// the other's `/run/secrets`.
pub fn join(
    task: &mut super::containers::Containers,
    main_container: &str,
    side: &ServiceSpec,
    mut theirs: super::containers::Containers,
    essential: bool,
) {
    let secrets = format!("{}Secrets", side.id);
    for v in &mut theirs.volumes {
        if v.name == "secrets" {
            v.name = secrets.clone();
        }
    }
    for c in &mut theirs.containers {
        for m in &mut c.mount_points {
            if m.source_volume == "secrets" {
                m.source_volume = secrets.clone();
            }
        }
    }
    // The main service's init container already wrote the search domains.
    let resolv = super::containers::search_domains_init_name(&side.id);
    theirs.containers.retain(|c| c.name != resolv);
    if let Some(own) = theirs.containers.last_mut() {
        own.depends_on.retain(|d| d.container_name != resolv);
        own.essential = essential;
        own.depends_on.push(ContainerDependency {
            container_name: main_container.to_string(),
            condition: "START".into(),
        });
    }
    // A Compose volume both mount is one task volume, described alike.
    for v in theirs.volumes {
        if !task.volumes.iter().any(|t| t.name == v.name) {
            task.volumes.push(v);
        }
    }
    task.containers.extend(theirs.containers);
}

/// The container of the main service itself (the last of its task's).
pub fn main_container(containers: &[ContainerDefinition]) -> String {
    containers
        .last()
        .map(|c| c.name.clone())
        .unwrap_or_default()
}
