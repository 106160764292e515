//! Where things run: the VPC, the tasks' subnets, the load balancer's
//! subnets and whether tasks get a public IP. Each is a template parameter:
//! the Compose file may give defaults, and `up` fills the rest from the
//! VPC's route tables (private subnets with a NAT route for tasks when the
//! VPC has them, public subnets for an internet-facing load balancer).

use super::Ctx;
use crate::cfn::{Expr, Parameter};
use crate::extensions::{self, Reader};
use compose::node::KeyPath;

/// The parameter `up` sets to ENABLED when the tasks' subnets are public.
pub const ASSIGN_PUBLIC_IP: &str = "AssignPublicIp";

/// Whom the load balancer faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    #[default]
    InternetFacing,
    Internal,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::InternetFacing => "internet-facing",
            Scheme::Internal => "internal",
        }
    }
}

/// The project's network parameters, as the template refers to them.
#[derive(Debug, Clone)]
pub struct Subnets {
    pub vpc: Expr,
    /// `Subnet1..N`: the tasks, their EFS mount targets and EC2 instances.
    pub tasks: Vec<Expr>,
    /// `x-aws-loadbalancer_subnets`, defaults of `LoadBalancerSubnet1..M`.
    load_balancer_named: Option<Vec<String>>,
    pub scheme: Scheme,
    /// `x-aws-loadbalancer_scheme` was written (an existing load balancer
    /// has its own).
    pub scheme_named: bool,
}

impl Default for Subnets {
    fn default() -> Self {
        Subnets {
            vpc: Expr::reference("VpcId"),
            tasks: Vec::new(),
            load_balancer_named: None,
            scheme: Scheme::default(),
            scheme_named: false,
        }
    }
}

/// Read `x-aws-vpc`, `x-aws-subnets`, `x-aws-loadbalancer_subnets`,
/// `x-aws-loadbalancer_scheme` (and the older `x-aws-private_subnets`), and
/// declare `VpcId` and `Subnet1..N`.
pub fn read(ctx: &mut Ctx, ext: &Reader) {
    let root = KeyPath::root();
    let vpc: Option<String> = ctx.ok(ext.get("x-aws-vpc", "a VPC ID or ARN"));
    if let Some(v) = &vpc
        && !extensions::is_resource_id("vpc", &extensions::vpc_id(v))
    {
        ctx.error(
            &root.key("x-aws-vpc"),
            format!("{v:?} is not a VPC ID"),
            "give the VPC's ID (vpc-…) or ARN",
        );
    }
    let mut tasks = subnet_list(ctx, ext, "x-aws-subnets");
    let mut load_balancer = subnet_list(ctx, ext, "x-aws-loadbalancer_subnets");
    // Before tasks and the load balancer had their own keys, public subnets
    // were `x-aws-subnets` and private ones `x-aws-private_subnets`.
    if let Some(private) = subnet_list(ctx, ext, "x-aws-private_subnets") {
        ctx.warn(
            &root.key("x-aws-private_subnets"),
            "`x-aws-private_subnets` is deprecated: tasks run in `x-aws-subnets`",
            "list the tasks' private subnets in `x-aws-subnets` and the load balancer's public ones in `x-aws-loadbalancer_subnets`",
        );
        if load_balancer.is_none() {
            load_balancer = tasks.take();
        }
        tasks = Some(private);
    }
    let scheme: Option<String> =
        ctx.ok(ext.get("x-aws-loadbalancer_scheme", "internet-facing or internal"));
    ctx.net.scheme = match scheme.as_deref() {
        None | Some("internet-facing") => Scheme::InternetFacing,
        Some("internal") => Scheme::Internal,
        Some(other) => {
            ctx.error(
                &root.key("x-aws-loadbalancer_scheme"),
                format!("{other:?} is not a load balancer scheme"),
                "write `internet-facing` (the default) or `internal`",
            );
            Scheme::InternetFacing
        }
    };
    ctx.net.scheme_named = scheme.is_some();
    ctx.net.load_balancer_named = load_balancer;
    declare(ctx, vpc.as_deref(), tasks.as_deref());
}

/// A list of at least two subnet IDs, or `None` when the key is absent.
fn subnet_list(ctx: &mut Ctx, ext: &Reader, key: &str) -> Option<Vec<String>> {
    let list: Vec<String> = ctx.ok(ext.get(key, "a list of subnet IDs"))?;
    let at = KeyPath::root().key(key);
    for (i, s) in list.iter().enumerate() {
        if !extensions::is_resource_id("subnet", s) {
            ctx.error(
                &at.index(i),
                format!("{s:?} is not a subnet ID"),
                "list subnet IDs (subnet-…)",
            );
        }
    }
    if list.len() < 2 {
        ctx.error(
            &at,
            format!("needs at least 2 subnets, found {}", list.len()),
            "list subnets in at least two availability zones",
        );
        return None;
    }
    Some(list)
}

fn declare(ctx: &mut Ctx, vpc: Option<&str>, tasks: Option<&[String]>) {
    ctx.t.parameters.insert(
        "VpcId".into(),
        Parameter {
            kind: "AWS::EC2::VPC::Id".into(),
            description: "The VPC to deploy into (docker ecs up uses x-aws-vpc or the default VPC)"
                .into(),
            default: vpc.map(|v| Expr::str(extensions::vpc_id(v))),
            allowed_values: vec![],
        },
    );
    let count = tasks.map_or(2, <[String]>::len);
    ctx.net.tasks = subnet_parameters(
        ctx,
        "Subnet",
        tasks,
        count,
        "for the tasks (docker ecs up uses x-aws-subnets, else private subnets with a route to a NAT gateway, else public subnets)",
    );
}

/// `LoadBalancerSubnet1..M` for the load balancer the project creates: one
/// per zone of the tasks unless `x-aws-loadbalancer_subnets` says otherwise.
pub fn load_balancer_subnets(ctx: &mut Ctx) -> Vec<Expr> {
    let named = ctx.net.load_balancer_named.clone();
    let count = named.as_ref().map_or(ctx.net.tasks.len(), Vec::len);
    let what = match ctx.net.scheme {
        Scheme::InternetFacing => {
            "for the internet-facing load balancer, in the tasks' zones (docker ecs up uses x-aws-loadbalancer_subnets, else public subnets)"
        }
        Scheme::Internal => {
            "for the internal load balancer, in the tasks' zones (docker ecs up uses x-aws-loadbalancer_subnets, else private subnets)"
        }
    };
    subnet_parameters(ctx, "LoadBalancerSubnet", named.as_deref(), count, what)
}

fn subnet_parameters(
    ctx: &mut Ctx,
    prefix: &str,
    named: Option<&[String]>,
    count: usize,
    what: &str,
) -> Vec<Expr> {
    (1..=count)
        .map(|i| {
            let name = format!("{prefix}{i}");
            ctx.t.parameters.insert(
                name.clone(),
                Parameter {
                    kind: "AWS::EC2::Subnet::Id".into(),
                    description: format!(
                        "Subnet {i} of {count}, each in its own availability zone, {what}"
                    ),
                    default: named
                        .and_then(|s| s.get(i - 1))
                        .map(|s| Expr::str(s.clone())),
                    allowed_values: vec![],
                },
            );
            Expr::reference(name)
        })
        .collect()
}

/// The public IP of tasks that may have one: ENABLED in public subnets,
/// DISABLED behind a NAT gateway, as `up` finds the subnets.
pub fn chosen_public_ip(ctx: &mut Ctx) -> Expr {
    ctx.t.parameters.insert(
        ASSIGN_PUBLIC_IP.into(),
        Parameter {
            kind: "String".into(),
            description: "Whether tasks get a public IP: ENABLED in public subnets, DISABLED in private ones (docker ecs up decides from the subnets' route tables)".into(),
            default: Some(Expr::str("ENABLED")),
            allowed_values: vec!["ENABLED".into(), "DISABLED".into()],
        },
    );
    Expr::reference(ASSIGN_PUBLIC_IP)
}

/// What the tasks need of their subnets, for `up` to choose and check them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkNeeds {
    /// Services whose tasks never get a public IP (EC2, or
    /// `x-aws-assign_public_ip: false`).
    pub private_services: Vec<String>,
    /// The scheme of the load balancer the project creates.
    pub load_balancer: Option<Scheme>,
    /// The VPC endpoints tasks need in subnets with no route out
    /// (`com.amazonaws.<region>.` + each; `s3` is the gateway for ECR's layers).
    pub endpoints: Vec<&'static str>,
    /// Images outside ECR, which only a NAT gateway or a public IP reaches.
    pub outside_ecr: Vec<String>,
}

/// Read from the finished template, so that every container counts (init
/// containers and sidecars included).
pub fn needs(
    ctx: &Ctx,
    private_services: Vec<String>,
    creates_load_balancer: bool,
) -> NetworkNeeds {
    use crate::cfn::resources::Properties;
    let mut endpoints = vec!["ecr.api", "ecr.dkr", "s3", "logs"];
    let mut outside_ecr = std::collections::BTreeSet::new();
    let (mut secrets_manager, mut ssm) = (false, false);
    for r in ctx.t.resources.values() {
        match &*r.properties {
            Properties::TaskDefinition(td) => {
                for c in &td.container_definitions {
                    if !is_ecr_image(&c.image) {
                        outside_ecr.insert(c.image.clone());
                    }
                    for s in &c.secrets {
                        // An SSM parameter by ARN or by name; anything else
                        // (an ARN, a reference to a stored secret) is Secrets Manager.
                        let from_ssm = matches!(&s.value_from,
                            Expr::Str(v) | Expr::Sub(v) if v.contains(":ssm:") || v.starts_with('/'));
                        ssm |= from_ssm;
                        secrets_manager |= !from_ssm;
                    }
                    secrets_manager |= c.repository_credentials.is_some();
                }
            }
            Properties::AutoScalingGroup(_) | Properties::CapacityProvider(_) => {
                endpoints.extend(["ecs", "ecs-agent", "ecs-telemetry"]);
            }
            Properties::EcsService(s) if s.enable_execute_command == Some(true) => {
                endpoints.push("ssmmessages");
            }
            _ => {}
        }
    }
    if secrets_manager {
        endpoints.push("secretsmanager");
    }
    if ssm {
        endpoints.push("ssm");
    }
    endpoints.sort_unstable();
    endpoints.dedup();
    NetworkNeeds {
        private_services,
        load_balancer: creates_load_balancer.then_some(ctx.net.scheme),
        endpoints,
        outside_ecr: outside_ecr.into_iter().collect(),
    }
}

/// A private ECR repository (`<account>.dkr.ecr.<region>.amazonaws.com/…`),
/// which VPC endpoints reach.
pub fn is_ecr_image(image: &str) -> bool {
    let host = image.split('/').next().unwrap_or("");
    let mut parts = host.splitn(4, '.');
    let account = parts.next().unwrap_or("");
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && parts.next() == Some("dkr")
        && parts.next() == Some("ecr")
        && parts.next().is_some_and(|rest| {
            rest.ends_with(".amazonaws.com") || rest.ends_with(".amazonaws.com.cn")
        })
        && image.len() > host.len() + 1
}
