//! Published ports → the plan of one load balancer (ALB when every port is
//! HTTP(S), NLB otherwise) and its listeners, each port checked at its key.
//! `load_balancer.rs` writes the resources.

use super::{Ctx, Parameter};
use crate::cfn::Expr;
use crate::extensions::{self, Reader};
use crate::names;
use compose::node::KeyPath;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    /// The same port over TCP and UDP in one service (an NLB `TCP_UDP` listener).
    TcpUdp,
}

impl Protocol {
    /// For logical IDs: `TCP`, `UDP`, `TCPUDP`.
    pub fn tag(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::TcpUdp => "TCPUDP",
        }
    }
    /// The NLB listener and target group protocol.
    pub fn nlb(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::TcpUdp => "TCP_UDP",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PortPlan {
    pub service: String,
    pub service_id: String,
    pub port: i64,
    pub protocol: Protocol,
    pub http: bool,
    pub certificate: Option<String>,
    pub path: KeyPath,
}

impl PortPlan {
    pub fn listener_id(&self) -> String {
        format!(
            "{}{}{}Listener",
            self.service_id,
            self.protocol.tag(),
            self.port
        )
    }
    pub fn target_group_id(&self) -> String {
        format!(
            "{}{}{}TargetGroup",
            self.service_id,
            self.protocol.tag(),
            self.port
        )
    }
    pub fn ingress_id(&self) -> String {
        format!(
            "{}{}{}Ingress",
            self.service_id,
            self.protocol.tag(),
            self.port
        )
    }
    pub fn container_protocols(&self) -> Vec<&'static str> {
        match self.protocol {
            Protocol::Tcp => vec!["tcp"],
            Protocol::Udp => vec!["udp"],
            Protocol::TcpUdp => vec!["tcp", "udp"],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Application,
    Network,
}

#[derive(Debug, Clone)]
pub struct LoadBalancerPlan {
    pub kind: Option<Kind>,
    /// We create the load balancer (no `x-aws-loadbalancer`).
    pub created: bool,
    pub arn: Expr,
    /// Where task ingress comes from.
    pub security_group: Expr,
    pub ports: Vec<PortPlan>,
    /// `x-aws-access_logs_bucket`, for a load balancer the project creates.
    pub access_logs_bucket: Option<String>,
}

impl LoadBalancerPlan {
    pub fn ports_of<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a PortPlan> + 'a {
        self.ports.iter().filter(move |p| p.service == service)
    }
}

/// Validate every published port and decide the load balancer.
pub fn plan(ctx: &mut Ctx, ext: &Reader) -> LoadBalancerPlan {
    let project = ctx.project;
    let mut names: Vec<&String> = project.services.keys().collect();
    names.sort();
    // (port, tcp/udp) → first service publishing it.
    let mut owners: BTreeMap<(i64, &'static str), String> = BTreeMap::new();
    let mut ports: Vec<PortPlan> = Vec::new();
    'services: for name in names {
        let service = &project.services[name.as_str()];
        let sid = names::normalize(name);
        for (i, p) in service.ports.iter().enumerate() {
            let path = KeyPath::root()
                .key("services")
                .key(name)
                .key("ports")
                .index(i);
            let reader = ctx.reader(&p.extensions, path.clone());
            ctx.check_extensions(&reader, extensions::PORT_KEYS);
            let proto_ext: Option<String> =
                ctx.ok(reader.get("x-aws-protocol", "`http` or `https`"));
            let certificate: Option<String> =
                ctx.ok(reader.get("x-aws-certificate", "an ACM certificate ARN"));
            let target = p.target as i64;
            if target == 0 || p.published == "0" {
                ctx.error(
                    &path,
                    "port 0 cannot be published",
                    "give the port the container listens on, such as \"80:80\"",
                );
                continue;
            }
            if !p.published.is_empty() && p.published != target.to_string() {
                let why = if p.published.contains('-') {
                    format!(
                        "the port range {:?} cannot be published on a load balancer",
                        p.published
                    )
                } else {
                    format!(
                        "published port {} differs from the container port {target}",
                        p.published
                    )
                };
                ctx.error(
                    &path,
                    why,
                    format!(
                        "on ECS the load balancer forwards a port to the same container port: write \"{target}:{target}\" (or change the port the container listens on)"
                    ),
                );
                continue;
            }
            if !p.host_ip.is_empty() {
                ctx.warn(
                    &path,
                    format!(
                        "host_ip {:?} is ignored: the load balancer listens on all addresses",
                        p.host_ip
                    ),
                    "remove the host IP from the port",
                );
            }
            if p.mode == "host" {
                ctx.warn(
                    &path,
                    "`mode: host` is ignored: ports are published through the load balancer",
                    "remove `mode`",
                );
            }
            for (key, value) in [("name", &p.name), ("app_protocol", &p.app_protocol)] {
                if !value.is_empty() {
                    ctx.warn(
                        &path.key(key),
                        format!("port `{key}` is ignored on ECS"),
                        format!("remove `{key}`"),
                    );
                }
            }
            let proto: &'static str = match p.protocol.as_str() {
                "tcp" | "" => "tcp",
                "udp" => "udp",
                other => {
                    ctx.error(
                        &path,
                        format!("protocol {other:?} cannot be load balanced"),
                        "publish the port over tcp or udp",
                    );
                    continue;
                }
            };
            if let Some(owner) = owners.get(&(target, proto)) {
                if owner != name {
                    ctx.error(
                        &path,
                        format!("port {target}/{proto} is already published by service {owner:?}"),
                        "the services share one load balancer: give each service its own port",
                    );
                }
                continue;
            }
            let other = if proto == "tcp" { "udp" } else { "tcp" };
            if let Some(owner) = owners.get(&(target, other))
                && owner != name
            {
                ctx.error(
                    &path,
                    format!(
                        "port {target} is published over {other} by service {owner:?} and over {proto} here"
                    ),
                    "a load balancer listens once per port: publish TCP and UDP on one port from the same service, or use another port",
                );
                continue;
            }
            owners.insert((target, proto), name.clone());
            let http = match proto_ext.as_deref() {
                Some("http" | "https") => true,
                Some(_) => false,
                None => target == 80 || (target == 443 && certificate.is_some()),
            };
            if let Some(existing) = ports
                .iter_mut()
                .find(|pp| pp.service == *name && pp.port == target)
            {
                existing.protocol = Protocol::TcpUdp;
                existing.http = false;
                continue;
            }
            // Checked as the list grows: a range of thousands of ports
            // is refused at once instead of being planned port by port.
            if ports.len() == crate::limits::MAX_LISTENERS_PER_LOAD_BALANCER {
                ctx.error(
                    &path,
                    format!(
                        "the project publishes more than {} ports, but a load balancer takes at most {} listeners",
                        crate::limits::MAX_LISTENERS_PER_LOAD_BALANCER,
                        crate::limits::MAX_LISTENERS_PER_LOAD_BALANCER
                    ),
                    "publish fewer ports (other services reach the rest by name, without publishing them)",
                );
                break 'services;
            }
            ports.push(PortPlan {
                service: name.clone(),
                service_id: sid.clone(),
                port: target,
                protocol: if proto == "tcp" {
                    Protocol::Tcp
                } else {
                    Protocol::Udp
                },
                http,
                certificate: certificate
                    .or_else(|| (proto_ext.as_deref() == Some("https")).then(String::new)),
                path,
            });
        }
    }

    let external: Option<String> =
        ctx.ok(ext.get("x-aws-loadbalancer", "a load balancer name or ARN"));
    if ports.is_empty() {
        return LoadBalancerPlan {
            kind: None,
            created: false,
            arn: Expr::NoValue,
            security_group: Expr::NoValue,
            ports,
            access_logs_bucket: None,
        };
    }
    let application = ports.iter().all(|p| p.http && p.protocol == Protocol::Tcp);
    let kind = if application {
        Kind::Application
    } else {
        Kind::Network
    };
    for p in &ports {
        match (&p.certificate, kind) {
            (Some(c), Kind::Application) if c.is_empty() => ctx.error(
                &p.path,
                "an HTTPS listener needs a certificate",
                "set `x-aws-certificate` on the port to an ACM certificate ARN",
            ),
            (Some(_), Kind::Network) => ctx.warn(
                &p.path,
                "the certificate is ignored: other ports need a network load balancer, which forwards TLS to the container",
                "publish only HTTP(S) ports to get an application load balancer",
            ),
            (None, Kind::Network) if p.http && p.port != 80 => ctx.warn(
                &p.path,
                "`x-aws-protocol` is ignored: other ports need a network load balancer",
                "publish only HTTP(S) ports to get an application load balancer",
            ),
            _ => {}
        }
    }

    let mut access_logs_bucket = None;
    let (arn, security_group, created) = match external {
        Some(lb) => {
            if !is_load_balancer(&lb) {
                ctx.error(
                    &KeyPath::root().key("x-aws-loadbalancer"),
                    format!("{lb:?} is neither a load balancer name nor an ARN"),
                    "give the name (letters, digits and `-`, up to 32) or the ARN of the existing load balancer",
                );
            }
            ctx.existing_load_balancer = Some(super::ExistingLoadBalancer {
                name_or_arn: lb.clone(),
                application: kind == Kind::Application,
            });
            ctx.t.parameters.insert(
                "LoadBalancerArn".into(),
                Parameter {
                    kind: "String".into(),
                    description: "The existing load balancer (x-aws-loadbalancer; docker ecs up turns a name into its ARN)".into(),
                    default: Some(Expr::str(lb)),
                    allowed_values: vec![],
                },
            );
            ctx.t.parameters.insert(
                "LoadBalancerSecurityGroup".into(),
                Parameter {
                    kind: "AWS::EC2::SecurityGroup::Id".into(),
                    description:
                        "A security group of the existing load balancer (docker ecs up looks it up)"
                            .into(),
                    default: None,
                    allowed_values: vec![],
                },
            );
            (
                Expr::reference("LoadBalancerArn"),
                Expr::reference("LoadBalancerSecurityGroup"),
                false,
            )
        }
        None => {
            access_logs_bucket = ctx.ok(ext.get(
                "x-aws-access_logs_bucket",
                "the name of an S3 bucket for the load balancer's access logs",
            ));
            (
                Expr::reference("LoadBalancer"),
                Expr::get_att("LoadBalancerSecurityGroup", "GroupId"),
                true,
            )
        }
    };
    LoadBalancerPlan {
        kind: Some(kind),
        created,
        arn,
        security_group,
        ports,
        access_logs_bucket,
    }
}

/// A load balancer's ARN, or its name: 1 to 32 letters, digits and `-`,
/// with no `-` at either end.
fn is_load_balancer(value: &str) -> bool {
    if value.starts_with("arn:") {
        return value.contains(":elasticloadbalancing:") && value.contains(":loadbalancer/");
    }
    (1..=32).contains(&value.len())
        && !value.starts_with('-')
        && !value.ends_with('-')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}
