//! Published ports → one load balancer (ALB when every port is HTTP(S),
//! NLB otherwise), a listener and target group per port, and task ingress
//! from the load balancer's security group only.

use super::service::ServicePlan;
use super::{Ctx, Parameter};
use crate::cfn::resources::*;
use crate::cfn::{Expr, Resource};
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
    fn nlb(self) -> &'static str {
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
            let bucket: Option<String> = ctx.ok(ext.get(
                "x-aws-access_logs_bucket",
                "the name of an S3 bucket for the load balancer's access logs",
            ));
            create_load_balancer(ctx, kind, &ports, bucket);
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

fn create_load_balancer(ctx: &mut Ctx, kind: Kind, ports: &[PortPlan], bucket: Option<String>) {
    // The load balancer's own group (and its egress to the tasks) is written
    // once the services' groups are known, in `emit`.
    let tags = vec![ctx.project_tag()];
    for p in ports {
        for proto in p.container_protocols() {
            let suffix = if p.protocol == Protocol::TcpUdp {
                proto.to_uppercase()
            } else {
                String::new()
            };
            ctx.t.add(
                format!("LoadBalancer{}{}Ingress{suffix}", p.protocol.tag(), p.port),
                Resource::new(SecurityGroupIngress {
                    group_id: Expr::get_att("LoadBalancerSecurityGroup", "GroupId"),
                    ip_protocol: proto.into(),
                    from_port: Some(p.port),
                    to_port: Some(p.port),
                    cidr_ip: Some("0.0.0.0/0".into()),
                    source_security_group_id: None,
                    description: format!("{}:{}/{proto} from the internet", p.service, p.port),
                }),
            );
        }
    }
    let mut attributes = match kind {
        Kind::Application => vec![KeyValue {
            key: "routing.http.drop_invalid_header_fields.enabled".into(),
            value: Expr::str("true"),
        }],
        Kind::Network => vec![KeyValue {
            key: "load_balancing.cross_zone.enabled".into(),
            value: Expr::str("true"),
        }],
    };
    if let Some(bucket) = bucket {
        attributes.push(KeyValue {
            key: "access_logs.s3.enabled".into(),
            value: Expr::str("true"),
        });
        attributes.push(KeyValue {
            key: "access_logs.s3.bucket".into(),
            value: Expr::str(bucket),
        });
        attributes.push(KeyValue {
            key: "access_logs.s3.prefix".into(),
            value: Expr::str(ctx.name()),
        });
    }
    ctx.t.add(
        "LoadBalancer",
        Resource::new(LoadBalancer {
            scheme: "internet-facing".into(),
            kind: match kind {
                Kind::Application => "application",
                Kind::Network => "network",
            }
            .into(),
            subnets: ctx.subnets.clone(),
            security_groups: vec![Expr::get_att("LoadBalancerSecurityGroup", "GroupId")],
            load_balancer_attributes: attributes,
            tags,
        }),
    );
}

/// Target groups, listeners and task ingress, once the services' security
/// groups are known.
pub fn emit(ctx: &mut Ctx, lb: &LoadBalancerPlan, plans: &[ServicePlan]) {
    let Some(kind) = lb.kind else { return };
    let mut egress = Vec::new();
    for p in &lb.ports {
        let Some(plan) = plans.iter().find(|s| s.name == p.service) else {
            continue;
        };
        let listener_protocol = match kind {
            Kind::Application if p.certificate.is_some() => "HTTPS",
            Kind::Application => "HTTP",
            Kind::Network => p.protocol.nlb(),
        };
        let tcp_port = lb
            .ports_of(&p.service)
            .find(|o| o.protocol != Protocol::Udp)
            .map(|o| o.port);
        if kind == Kind::Network && p.protocol == Protocol::Udp && tcp_port.is_none() {
            udp_health_check(ctx, lb, p, plan, &mut egress);
        }
        let group = target_group(ctx, kind, lb, p, plan);
        ctx.t.add(p.target_group_id(), Resource::new(group));
        for proto in p.container_protocols() {
            egress.push((
                plan.ingress_group.clone(),
                proto,
                p.port,
                format!("{}:{}/{proto}", p.service, p.port),
            ));
        }
        let certificates = match &p.certificate {
            Some(c) if kind == Kind::Application => vec![Certificate {
                certificate_arn: c.clone(),
            }],
            _ => vec![],
        };
        let ssl_policy =
            (!certificates.is_empty()).then(|| "ELBSecurityPolicy-TLS13-1-2-2021-06".to_string());
        let listener = Listener {
            load_balancer_arn: lb.arn.clone(),
            port: p.port,
            protocol: listener_protocol.into(),
            certificates,
            ssl_policy,
            default_actions: vec![ListenerAction {
                kind: "forward".into(),
                target_group_arn: Expr::reference(p.target_group_id()),
            }],
        };
        if plan.deployment.strategy.shifts_traffic() {
            super::traffic_shift::emit(ctx, kind, lb, p, plan, &listener);
        }
        ctx.t.add(p.listener_id(), Resource::new(listener));
        for (i, proto) in p.container_protocols().into_iter().enumerate() {
            let id = if i == 0 {
                p.ingress_id()
            } else {
                format!("{}{}", p.ingress_id(), proto.to_uppercase())
            };
            ctx.t.add(
                id,
                Resource::new(SecurityGroupIngress {
                    group_id: plan.ingress_group.clone(),
                    ip_protocol: proto.into(),
                    from_port: Some(p.port),
                    to_port: Some(p.port),
                    cidr_ip: None,
                    source_security_group_id: Some(lb.security_group.clone()),
                    description: format!("{}:{}/{proto} from the load balancer", p.service, p.port),
                }),
            );
        }
    }
    if lb.created {
        load_balancer_group(ctx, egress);
    }
}

/// A UDP target group is health-checked over TCP on the same port when the
/// service has no TCP port: admit that check from the load balancer.
fn udp_health_check(
    ctx: &mut Ctx,
    lb: &LoadBalancerPlan,
    p: &PortPlan,
    plan: &ServicePlan,
    egress: &mut Vec<(Expr, &'static str, i64, String)>,
) {
    ctx.warn(
        &p.path,
        format!(
            "the load balancer health-checks UDP port {} over TCP on the same port",
            p.port
        ),
        "also publish a TCP port from this service so the target group checks that port",
    );
    let id = format!("{}HealthCheck", p.ingress_id());
    ctx.t.add(
        id,
        Resource::new(SecurityGroupIngress {
            group_id: plan.ingress_group.clone(),
            ip_protocol: "tcp".into(),
            from_port: Some(p.port),
            to_port: Some(p.port),
            cidr_ip: None,
            source_security_group_id: Some(lb.security_group.clone()),
            description: format!(
                "{}:{}/tcp health check from the load balancer",
                p.service, p.port
            ),
        }),
    );
    egress.push((
        plan.ingress_group.clone(),
        "tcp",
        p.port,
        format!("{} health check", p.service),
    ));
}

/// The target group of a published port (blue/green deployments create a
/// second one alike).
pub fn target_group(
    ctx: &Ctx,
    kind: Kind,
    lb: &LoadBalancerPlan,
    p: &PortPlan,
    plan: &ServicePlan,
) -> TargetGroup {
    // A UDP target group is health-checked over TCP: use one of the
    // service's TCP ports when it has one.
    let tcp_port = lb
        .ports_of(&p.service)
        .find(|o| o.protocol != Protocol::Udp)
        .map(|o| o.port);
    let (hc_protocol, hc_port, hc_path) = match (kind, p.protocol) {
        (Kind::Application, _) => ("HTTP", None, Some(health_path(ctx, &p.service))),
        (Kind::Network, Protocol::Udp) => ("TCP", tcp_port.map(|port| port.to_string()), None),
        (Kind::Network, _) => ("TCP", None, None),
    };
    // Apps that answer with a redirect or ask for a login are alive;
    // a service's own health endpoint must answer 2xx or 3xx.
    let matcher = (kind == Kind::Application).then(|| Matcher {
        http_code: if has_health_path(ctx, &p.service) {
            "200-399"
        } else {
            "200-499"
        }
        .into(),
    });
    TargetGroup {
        port: p.port,
        protocol: match kind {
            Kind::Application => "HTTP",
            Kind::Network => p.protocol.nlb(),
        }
        .into(),
        target_type: "ip".into(),
        vpc_id: ctx.vpc.clone(),
        health_check_protocol: Some(hc_protocol.to_string()),
        health_check_port: hc_port,
        health_check_path: hc_path,
        matcher,
        target_group_attributes: vec![KeyValue {
            key: "deregistration_delay.timeout_seconds".into(),
            // HTTP requests are short: 30 s drains them and keeps
            // deploys quick; TCP connections keep AWS's 300 s.
            value: Expr::str(
                plan.deregistration_delay
                    .unwrap_or(if kind == Kind::Application { 30 } else { 300 })
                    .to_string(),
            ),
        }],
        tags: vec![ctx.project_tag()],
    }
}

/// The load balancer's group: out only to the tasks' published (and health
/// check) ports, never to the whole internet.
fn load_balancer_group(ctx: &mut Ctx, egress: Vec<(Expr, &'static str, i64, String)>) {
    let mut rules: Vec<EgressRule> = Vec::new();
    for (group, proto, port, what) in egress {
        if rules.iter().any(|r| {
            r.destination_security_group_id.as_ref() == Some(&group)
                && r.ip_protocol == proto
                && r.from_port == Some(port)
        }) {
            continue;
        }
        rules.push(EgressRule {
            ip_protocol: proto.into(),
            cidr_ip: None,
            destination_security_group_id: Some(group),
            from_port: Some(port),
            to_port: Some(port),
            description: format!("To {what} of the tasks"),
        });
    }
    let tags = vec![ctx.project_tag()];
    ctx.t.add(
        "LoadBalancerSecurityGroup",
        Resource::new(SecurityGroup {
            group_description: format!("{} load balancer", ctx.name()),
            vpc_id: ctx.vpc.clone(),
            security_group_egress: rules,
            tags,
        }),
    );
}

/// The path an ALB checks: the one of the service's own HTTP health check
/// (`curl -f http://localhost:8080/health`), or `/`.
fn health_path(ctx: &Ctx, service: &str) -> String {
    service_health_url(ctx, service)
        .and_then(|url| {
            let rest = url.split_once("://")?.1;
            let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
            Some(path.split(['?', '#']).next().unwrap_or("/").to_string())
        })
        .filter(|p| p.starts_with('/'))
        .unwrap_or_else(|| "/".to_string())
}

fn has_health_path(ctx: &Ctx, service: &str) -> bool {
    service_health_url(ctx, service).is_some()
}

/// The local HTTP URL a service's health check test calls, if any.
fn service_health_url(ctx: &Ctx, service: &str) -> Option<String> {
    let h = ctx.project.services.get(service)?.healthcheck.as_ref()?;
    if h.disable {
        return None;
    }
    h.test
        .iter()
        .flat_map(|arg| arg.split_whitespace())
        .find_map(|word| {
            let w = word.trim_matches(['"', '\'']);
            ["http://localhost", "http://127.0.0.1", "http://0.0.0.0"]
                .iter()
                .any(|p| w.starts_with(p))
                .then(|| w.to_string())
        })
}
