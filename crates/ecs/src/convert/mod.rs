//! Compose project → CloudFormation template.
//!
//! The conversion is pure: no network, no credentials, no clock. Anything that
//! needs an AWS account (the VPC, its subnets, secret ARNs, a retained EFS
//! file system) becomes a template parameter that `docker ecs up` fills in.

mod capacity;
mod cluster;
mod keys;
mod load_balancer;
mod network;
mod ports;
mod secrets;
mod service;
mod storage;
mod subnets;
mod traffic_shift;

pub use cluster::EXISTING_LOG_GROUP;
pub use subnets::{ASSIGN_PUBLIC_IP, NetworkNeeds, Scheme, is_ecr_image};

use crate::cfn::{Expr, Output, Parameter, Tag, Template};
use crate::extensions::{self, Reader};
use compose::node::KeyPath;
use compose::{Error, Positions, Project};
use std::collections::BTreeMap;

/// Tag keys shared with `docker compose` (and read back by `ps`, `ls`, `down`).
pub const PROJECT_TAG: &str = "com.docker.compose.project";
pub const SERVICE_TAG: &str = "com.docker.compose.service";
pub const NETWORK_TAG: &str = "com.docker.compose.network";
pub const VOLUME_TAG: &str = "com.docker.compose.volume";

/// The image the init containers use by default: a pinned BusyBox from the
/// public ECR gallery (no Docker Hub rate limits, no third-party sidecar
/// image). Tasks in private subnets without a NAT gateway cannot reach it:
/// `x-aws-init_image` names a copy in the project's own registry.
pub const INIT_IMAGE: &str = "public.ecr.aws/docker/library/busybox:1.36";

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Treat every warning as an error.
    pub strict: bool,
    /// `--launch-type`: the project's default, over its `x-aws-launch_type`.
    pub launch_type: Option<LaunchType>,
    /// `ecs-params.yml`: what only ECS can say (its Compose-like values
    /// are laid over the project before conversion).
    pub params: Option<crate::params::ParamsFile>,
    /// Split into nested stacks even when one stack would do.
    pub nested: bool,
    /// The deployed root's placement of services in child stacks: the
    /// project stays split, and every deployed service where it is.
    pub placement: Option<crate::nested::Placement>,
}

/// Where tasks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LaunchType {
    #[default]
    Fargate,
    Ec2,
}

impl LaunchType {
    /// `EC2` or `FARGATE`, in any case.
    pub fn parse(value: &str) -> Option<LaunchType> {
        match value.to_ascii_uppercase().as_str() {
            "EC2" => Some(LaunchType::Ec2),
            "FARGATE" => Some(LaunchType::Fargate),
            _ => None,
        }
    }

    /// Parse `value` found at `at`, or report it there.
    fn read(ctx: &mut Ctx, value: &str, at: &KeyPath) -> Option<LaunchType> {
        let parsed = LaunchType::parse(value);
        if parsed.is_none() {
            ctx.error(
                at,
                format!("{value:?} is not a launch type"),
                "write `EC2` or `FARGATE`",
            );
        }
        parsed
    }
}

/// A converted project: the template plus what was ignored along the way.
#[derive(Debug)]
pub struct Conversion {
    pub template: Template,
    /// `x-aws-cloudformation`, applied when rendering.
    pub overlay: Option<serde_json::Value>,
    pub warnings: Vec<Error>,
    /// Secrets `up` must store in Secrets Manager: parameter name → source.
    pub secret_parameters: Vec<SecretParameter>,
    /// EFS file systems `up` may re-attach after a `down`: parameter name → volume.
    pub filesystem_parameters: Vec<FilesystemParameter>,
    /// `x-aws-loadbalancer`, which `up` looks up and checks.
    pub existing_load_balancer: Option<ExistingLoadBalancer>,
    /// What the tasks need of the subnets `up` chooses.
    pub network: NetworkNeeds,
    /// The root and child stacks, when the project needs more than one.
    pub nested: Option<crate::nested::Split>,
}

/// A load balancer the project uses instead of creating one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingLoadBalancer {
    pub name_or_arn: String,
    /// Every port is HTTP(S): it must be an Application Load Balancer;
    /// otherwise a Network Load Balancer.
    pub application: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretParameter {
    pub parameter: String,
    /// The Compose secret key.
    pub secret: String,
    /// The Secrets Manager name `up` uses: `<project>/<secret>`.
    pub name: String,
    pub source: SecretSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    File(String),
    Environment(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesystemParameter {
    pub parameter: String,
    pub volume: String,
}

/// Append the items `list` does not hold yet, in order: grants, policies
/// and dependencies are each listed once.
pub(crate) fn push_new<T: PartialEq>(list: &mut Vec<T>, items: impl IntoIterator<Item = T>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

/// Everything the conversion works with; the steps fill `t`.
pub(crate) struct Ctx<'a> {
    pub project: &'a Project,
    pub pos: &'a Positions,
    pub t: Template,
    pub warnings: Vec<Error>,
    pub errors: Vec<Error>,
    /// The VPC and the subnets of tasks and of the load balancer.
    pub net: subnets::Subnets,
    pub cluster: cluster::ClusterRef,
    /// Network key → the security group its members share.
    pub networks: BTreeMap<String, network::NetworkRef>,
    /// Volume key → its EFS resources.
    pub volumes: BTreeMap<String, storage::VolumePlan>,
    pub secret_parameters: Vec<SecretParameter>,
    pub filesystem_parameters: Vec<FilesystemParameter>,
    pub existing_load_balancer: Option<ExistingLoadBalancer>,
    /// The image of the init containers (`x-aws-init_image`).
    pub init_image: String,
    /// Where services run unless they say otherwise.
    pub launch_type: LaunchType,
    /// `ecs-params.yml`, with its own positions.
    pub params: Option<&'a crate::params::ParamsFile>,
    /// Sidecar → the service whose task it joins (`network_mode: service:`).
    pub sidecar_main: BTreeMap<String, String>,
    /// `x-aws-service_connect: true`.
    pub service_connect: bool,
}

impl<'a> Ctx<'a> {
    /// Reads the `x-*` extensions of one part of the project, with positions.
    pub fn reader(&self, ext: &'a compose::model::Extensions, path: KeyPath) -> Reader<'a> {
        Reader {
            ext,
            path,
            pos: self.pos,
        }
    }
    pub fn name(&self) -> &str {
        &self.project.name
    }
    /// A context for converting some services on another thread: what the
    /// steps so far decided, and an empty template and reports.
    pub fn worker(&self) -> Ctx<'a> {
        Ctx {
            project: self.project,
            pos: self.pos,
            t: Template::default(),
            warnings: Vec::new(),
            errors: Vec::new(),
            net: self.net.clone(),
            cluster: self.cluster.clone(),
            networks: self.networks.clone(),
            volumes: self.volumes.clone(),
            secret_parameters: Vec::new(),
            filesystem_parameters: Vec::new(),
            existing_load_balancer: None,
            init_image: self.init_image.clone(),
            launch_type: self.launch_type,
            params: self.params,
            sidecar_main: self.sidecar_main.clone(),
            service_connect: self.service_connect,
        }
    }
    /// Take in what a worker added, after what this context holds: as if
    /// its services had been converted here, after this one's. Every field
    /// is named, so that a new one is either taken in or said to be read
    /// only.
    pub fn absorb(&mut self, worker: Ctx) {
        let Ctx {
            t,
            warnings,
            errors,
            secret_parameters,
            filesystem_parameters,
            // What the steps before the services decided: read only.
            project: _,
            pos: _,
            net: _,
            cluster: _,
            networks: _,
            volumes: _,
            existing_load_balancer: _,
            init_image: _,
            launch_type: _,
            params: _,
            sidecar_main: _,
            service_connect: _,
        } = worker;
        let Template {
            description: _,
            metadata,
            parameters,
            conditions,
            resources,
            outputs,
            owners,
            owner: _,
        } = t;
        self.t.parameters.extend(parameters);
        self.t.conditions.extend(conditions);
        self.t.resources.extend(resources);
        self.t.outputs.extend(outputs);
        self.t.metadata.extend(metadata);
        self.t.owners.extend(owners);
        self.warnings.extend(warnings);
        self.errors.extend(errors);
        self.secret_parameters.extend(secret_parameters);
        self.filesystem_parameters.extend(filesystem_parameters);
    }
    pub fn error(&mut self, path: &KeyPath, message: impl Into<String>, help: impl Into<String>) {
        let e = self.pos.error(path, message, help);
        self.errors.push(e);
    }
    pub fn warn(&mut self, path: &KeyPath, message: impl Into<String>, help: impl Into<String>) {
        let e = self.pos.error(path, message, help);
        self.warnings.push(e);
    }
    pub fn project_tag(&self) -> Tag {
        Tag::new(PROJECT_TAG, self.name())
    }
    pub fn service_tags(&self, service: &str) -> Vec<Tag> {
        vec![self.project_tag(), Tag::new(SERVICE_TAG, service)]
    }
    /// The normalized name of a Compose key (`services`, `networks`, …) for
    /// logical IDs, or `None` after reporting a clash with another key.
    pub fn register_name(
        &mut self,
        table: &mut crate::names::NameTable,
        section: &str,
        key: &str,
        path: &KeyPath,
    ) -> Option<String> {
        match table.register(key) {
            Ok(n) => Some(n),
            Err(other) => {
                self.error(
                    path,
                    format!(
                        "{section} {other:?} and {key:?} would have the same CloudFormation name"
                    ),
                    "rename one of them (names are compared without `-`, `_` and `.`)",
                );
                None
            }
        }
    }

    /// A parameter through which `up` passes a resource an earlier
    /// deployment retained, and the condition "create our own" (it is empty).
    pub fn reattach_parameter(&mut self, parameter: &str, condition: &str, description: String) {
        self.t.parameters.insert(
            parameter.into(),
            Parameter {
                kind: "String".into(),
                description,
                default: Some(Expr::str("")),
                allowed_values: vec![],
            },
        );
        self.t.conditions.insert(
            condition.into(),
            Expr::Equals(
                Box::new(Expr::reference(parameter)),
                Box::new(Expr::str("")),
            ),
        );
    }
    /// Warn about unknown `x-aws-*` keys of one object; refuse those that
    /// belong to another.
    pub fn check_extensions(&mut self, reader: &Reader, known: &[&str]) {
        self.warnings.extend(reader.unknown(known));
        self.errors.extend(reader.misplaced(known));
    }
    /// Record an error from an extension read and keep going.
    pub fn ok<T>(&mut self, r: Result<Option<T>, Error>) -> Option<T> {
        match r {
            Ok(v) => v,
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }
}

/// Convert a loaded project. On failure, every error found is returned.
pub fn convert(
    project: &Project,
    pos: &Positions,
    options: &Options,
) -> Result<Conversion, Vec<Error>> {
    let root = KeyPath::root();
    let ext = Reader {
        ext: &project.extensions,
        path: root.clone(),
        pos,
    };
    let mut ctx = Ctx {
        project,
        pos,
        t: Template {
            description: format!(
                "Compose project {} on Amazon ECS (generated by docker-ecs)",
                project.name
            ),
            ..Default::default()
        },
        warnings: Vec::new(),
        errors: Vec::new(),
        net: subnets::Subnets::default(),
        cluster: cluster::ClusterRef::default(),
        networks: BTreeMap::new(),
        volumes: BTreeMap::new(),
        secret_parameters: Vec::new(),
        filesystem_parameters: Vec::new(),
        existing_load_balancer: None,
        init_image: INIT_IMAGE.to_string(),
        launch_type: LaunchType::Fargate,
        params: options.params.as_ref(),
        sidecar_main: BTreeMap::new(),
        service_connect: false,
    };
    ctx.check_extensions(&ext, extensions::PROJECT_KEYS);

    let launch: Option<String> = ctx.ok(ext.get("x-aws-launch_type", "EC2 or FARGATE"));
    let launch =
        launch.and_then(|l| LaunchType::read(&mut ctx, &l, &root.key("x-aws-launch_type")));
    ctx.launch_type = options.launch_type.or(launch).unwrap_or_default();
    let connect: Option<bool> = ctx.ok(ext.get("x-aws-service_connect", "true or false"));
    ctx.service_connect = connect == Some(true);
    if let Some(image) = ctx.ok(ext.get::<String>("x-aws-init_image", "an image reference")) {
        if image.trim().is_empty() || image.contains(char::is_whitespace) {
            ctx.error(
                &root.key("x-aws-init_image"),
                format!("{image:?} is not an image reference"),
                "name an image with `sh`, such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/busybox:1.36",
            );
        }
        ctx.init_image = image;
    }
    let overlay: Option<serde_json::Map<String, serde_json::Value>> = ctx.ok(ext.get(
        "x-aws-cloudformation",
        "a mapping (a partial CloudFormation template)",
    ));
    for p in overlay.iter().flat_map(crate::overlay::check) {
        let mut path = root.key("x-aws-cloudformation");
        for k in &p.path {
            path = path.key(k);
        }
        ctx.error(&path, p.message, p.help);
    }
    subnets::read(&mut ctx, &ext);

    // The key check only reads the project: it runs beside the conversion,
    // and its findings go where a sequential run would have put them.
    let (warnings_before, errors_before) = (ctx.warnings.len(), ctx.errors.len());
    let findings = std::thread::scope(|s| {
        let keys = s.spawn(|| keys::check(project, pos));
        cluster::cluster(&mut ctx, &ext);
        network::networks(&mut ctx);
        cluster::log_group(&mut ctx, &ext);
        cluster::cloud_map(&mut ctx);
        let lb = ports::plan(&mut ctx, &ext);
        load_balancer::create(&mut ctx, &lb);
        storage::volumes(&mut ctx);
        let secrets = secrets::secrets(&mut ctx);
        let plans = service::services(&mut ctx, &lb, &secrets);
        load_balancer::emit(&mut ctx, &lb, &plans);
        storage::mount_access(&mut ctx, &plans);
        capacity::providers(&mut ctx, &plans);
        outputs(&mut ctx, &lb);
        let private = plans.iter().filter(|p| p.private).map(|p| p.name.clone());
        let network = subnets::needs(&ctx, private.collect(), lb.created && lb.kind.is_some());
        (keys.join().expect("the key check cannot panic"), network)
    });
    let (findings, network) = findings;
    ctx.warnings
        .splice(warnings_before..warnings_before, findings.warnings);
    ctx.errors
        .splice(errors_before..errors_before, findings.errors);

    let mut overlay = overlay;
    if let Some(o) = &mut overlay {
        let whole = serde_json::Value::Object(o.clone());
        for unmatched in crate::overlay::unmatched(&whole, &ctx.t.to_value()) {
            // Left in, a part of a resource would be a resource without a type.
            if let [section, id] = unmatched.as_slice()
                && let Some(entries) = o.get_mut(section).and_then(|s| s.as_object_mut())
            {
                entries.remove(id);
            }
            let mut path = root.key("x-aws-cloudformation");
            for k in &unmatched {
                path = path.key(k);
            }
            let id = unmatched.join(".");
            ctx.warn(
                &path,
                format!("the overlay's `{id}` matches nothing in the template"),
                "check the logical ID against `docker ecs convert`, or give a new entry its `Type` (`Value` for an output)",
            );
        }
    }

    let overlay = overlay.map(serde_json::Value::Object);
    let nested = split(&mut ctx, options, overlay.as_ref());

    // Report in file order.
    let position = |e: &Error| {
        e.location()
            .map(|l| (l.file.clone(), l.line, l.column))
            .unwrap_or_default()
    };
    ctx.warnings.sort_by_key(position);
    ctx.errors.sort_by_key(position);
    if options.strict && !ctx.warnings.is_empty() {
        ctx.errors.append(&mut ctx.warnings);
    }
    if !ctx.errors.is_empty() {
        return Err(ctx.errors);
    }
    Ok(Conversion {
        template: ctx.t,
        overlay,
        nested,
        warnings: ctx.warnings,
        secret_parameters: ctx.secret_parameters,
        filesystem_parameters: ctx.filesystem_parameters,
        existing_load_balancer: ctx.existing_load_balancer,
        network,
    })
}

/// Nested stacks when asked for, when the deployed project has them, or when
/// one stack would break a CloudFormation limit.
fn split(
    ctx: &mut Ctx,
    options: &Options,
    overlay: Option<&serde_json::Value>,
) -> Option<crate::nested::Split> {
    let wanted =
        options.nested || options.placement.is_some() || !crate::fits_one_stack(&ctx.t, overlay);
    if !wanted || ctx.t.owners.is_empty() || !ctx.errors.is_empty() {
        return None;
    }
    let empty = crate::nested::Placement::new();
    let placement = options.placement.as_ref().unwrap_or(&empty);
    match crate::nested::split(&ctx.t, placement, overlay, ctx.name()) {
        Ok(split) => {
            warn_unordered(ctx, &split.unordered);
            Some(split)
        }
        Err(e) => {
            ctx.errors.push(Error::new(format!(
                "cannot split the project into nested stacks: {e}"
            )));
            None
        }
    }
}

/// `depends_on` orderings the child stacks cannot keep: each by name, or
/// one warning for many (a long chain through many buckets).
fn warn_unordered(ctx: &mut Ctx, unordered: &[(String, String)]) {
    const EACH: usize = 5;
    let help = "CloudFormation orders whole child stacks, and these already wait for each other the other way";
    let at = |(service, dependency): &(String, String)| {
        KeyPath::root()
            .key("services")
            .key(service)
            .key("depends_on")
            .key(dependency)
    };
    if unordered.len() <= EACH {
        for pair in unordered {
            let (service, dependency) = pair;
            ctx.warn(
                &at(pair),
                format!("{service} may start before {dependency}, in another child stack"),
                help,
            );
        }
    } else {
        let some: Vec<String> = unordered[..3]
            .iter()
            .map(|(s, d)| format!("{s} after {d}"))
            .collect();
        ctx.warn(
            &at(&unordered[0]),
            format!(
                "{} `depends_on` orderings cross child stacks and are not kept ({}, …)",
                unordered.len(),
                some.join(", ")
            ),
            help,
        );
    }
}

fn outputs(ctx: &mut Ctx, lb: &ports::LoadBalancerPlan) {
    if lb.created {
        ctx.t.outputs.insert(
            "LoadBalancerDNS".into(),
            Output {
                description: "DNS name of the load balancer".into(),
                value: Expr::get_att("LoadBalancer", "DNSName"),
                condition: None,
            },
        );
    }
    ctx.t.outputs.insert(
        "ClusterName".into(),
        Output {
            description: "The ECS cluster running the services".into(),
            value: ctx.cluster.name.clone(),
            condition: None,
        },
    );
    ctx.t.outputs.insert(
        "ClusterArn".into(),
        Output {
            description: "ARN of the ECS cluster".into(),
            value: ctx.cluster.arn.clone(),
            condition: None,
        },
    );
}
