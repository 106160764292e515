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
    /// The listener's port: Compose's `published`.
    pub published: i64,
    /// The containers' port: Compose's `target`.
    pub target: i64,
    pub protocol: Protocol,
    pub http: bool,
    /// `x-aws-protocol: tls`: an NLB TLS listener.
    pub tls: bool,
    /// HTTPS or TLS: the ACM certificate (empty: none was given).
    pub certificate: Option<String>,
    pub path: KeyPath,
}

impl PortPlan {
    /// `<Svc><PROTO><published><what>`: the original's IDs, where the two
    /// ports were always equal.
    pub fn id(&self, what: &str) -> String {
        format!(
            "{}{}{}{what}",
            self.service_id,
            self.protocol.tag(),
            self.published
        )
    }
    pub fn listener_id(&self) -> String {
        self.id("Listener")
    }
    pub fn target_group_id(&self) -> String {
        self.id("TargetGroup")
    }
    pub fn ingress_id(&self) -> String {
        self.id("Ingress")
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
    /// HTTP ports whose listener answers with a redirect to HTTPS.
    pub redirects: Vec<Redirect>,
    /// `x-aws-access_logs_bucket`, for a load balancer the project creates.
    pub access_logs_bucket: Option<String>,
}

/// A listener that sends HTTP to HTTPS with a 301.
#[derive(Debug, Clone)]
pub struct Redirect {
    pub port: i64,
    pub to: i64,
    /// The service that published it; None for `x-aws-redirect_http`'s own.
    pub service: Option<(String, String)>,
}

impl Redirect {
    pub fn listener_id(&self) -> String {
        match &self.service {
            Some((_, id)) => format!("{id}TCP{}Listener", self.port),
            None => format!("HttpRedirect{}Listener", self.port),
        }
    }
}

impl LoadBalancerPlan {
    pub fn ports_of<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a PortPlan> + 'a {
        self.ports.iter().filter(move |p| p.service == service)
    }

    /// A container port of the service that speaks TCP: where a UDP target
    /// group is health-checked.
    pub fn tcp_target_of(&self, service: &str) -> Option<i64> {
        self.ports_of(service)
            .find(|o| o.protocol != Protocol::Udp)
            .map(|o| o.target)
    }
}

/// What one entry of a service's `ports` asks for, checked.
struct PortRead {
    published: i64,
    target: i64,
    proto: &'static str,
    http: bool,
    tls: bool,
    certificate: Option<String>,
    /// `x-aws-protocol` named http or https.
    marked_http: bool,
}

/// Validate every published port and decide the load balancer.
pub fn plan(ctx: &mut Ctx, ext: &Reader) -> LoadBalancerPlan {
    let project = ctx.project;
    let project_certificate: Option<String> =
        ctx.ok(ext.get("x-aws-certificate", "an ACM certificate ARN"));
    let mut names: Vec<&String> = project.services.keys().collect();
    names.sort();
    // (published port, tcp/udp) → first service publishing it.
    let mut owners: BTreeMap<(i64, &'static str), String> = BTreeMap::new();
    let mut ports: Vec<PortPlan> = Vec::new();
    let mut marked_http = Vec::new();
    'services: for name in names {
        let service = &project.services[name.as_str()];
        let sid = names::normalize(name);
        for (i, p) in service.ports.iter().enumerate() {
            let path = KeyPath::root()
                .key("services")
                .key(name)
                .key("ports")
                .index(i);
            let Some(r) = read_port(ctx, p, &path, project_certificate.as_deref()) else {
                continue;
            };
            if !take_port(ctx, &mut owners, name, &r, &path) {
                continue;
            }
            if let Some(existing) = ports
                .iter_mut()
                .find(|pp| pp.service == *name && pp.published == r.published)
            {
                if existing.target != r.target {
                    ctx.error(
                        &path,
                        format!("port {} goes to container port {} over one protocol and {} over the other", r.published, existing.target, r.target),
                        "a listener takes TCP and UDP to one container port: give both the same target",
                    );
                }
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
            if r.marked_http {
                marked_http.push(path.clone());
            }
            ports.push(PortPlan {
                service: name.clone(),
                service_id: sid.clone(),
                published: r.published,
                target: r.target,
                protocol: if r.proto == "tcp" {
                    Protocol::Tcp
                } else {
                    Protocol::Udp
                },
                http: r.http,
                tls: r.tls,
                certificate: r.certificate,
                path,
            });
        }
    }

    let external: Option<String> =
        ctx.ok(ext.get("x-aws-loadbalancer", "a load balancer name or ARN"));
    let redirect_http: Option<bool> = ctx.ok(ext.get("x-aws-redirect_http", "true or false"));
    if ports.is_empty() {
        if redirect_http == Some(true) {
            ctx.error(
                &KeyPath::root().key("x-aws-redirect_http"),
                "there is no HTTPS port to redirect to",
                "publish port 443 with a certificate, or remove x-aws-redirect_http",
            );
        }
        return LoadBalancerPlan {
            kind: None,
            created: false,
            arn: Expr::NoValue,
            security_group: Expr::NoValue,
            ports,
            redirects: vec![],
            access_logs_bucket: None,
        };
    }
    let application = ports.iter().all(|p| p.http && p.protocol == Protocol::Tcp);
    let kind = if application {
        Kind::Application
    } else {
        Kind::Network
    };
    check_certificates(ctx, &ports, kind, !marked_http.is_empty());
    let redirects = redirects(ctx, &mut ports, kind, redirect_http);

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
        redirects,
        access_logs_bucket,
    }
}

/// Read one entry of `ports`: the published and target ports (a listener
/// on the first forwards to the second), the protocol, HTTP(S) or TLS, and
/// the certificate (the port's, else the project's for HTTPS and TLS).
fn read_port(
    ctx: &mut Ctx,
    p: &compose::model::Port,
    path: &KeyPath,
    project_certificate: Option<&str>,
) -> Option<PortRead> {
    let reader = ctx.reader(&p.extensions, path.clone());
    ctx.check_extensions(&reader, extensions::PORT_KEYS);
    let proto_ext: Option<String> =
        ctx.ok(reader.get("x-aws-protocol", "`http`, `https` or `tls`"));
    let own_certificate: Option<String> =
        ctx.ok(reader.get("x-aws-certificate", "an ACM certificate ARN"));
    let target = p.target as i64;
    let published = if p.published.is_empty() {
        Some(target)
    } else {
        p.published.parse::<i64>().ok()
    };
    if target == 0 || published == Some(0) {
        ctx.error(
            path,
            "port 0 cannot be published",
            "give the port the container listens on, such as \"80:80\"",
        );
        return None;
    }
    let Some(published) = published.filter(|p| (1..=65535).contains(p)) else {
        ctx.error(
            path,
            format!("the port range {:?} cannot be published on a load balancer", p.published),
            format!("publish one port: a listener forwards it to the containers' port, as in \"{target}:{target}\""),
        );
        return None;
    };
    port_warnings(ctx, p, path);
    let proto: &'static str = match p.protocol.as_str() {
        "tcp" | "" => "tcp",
        "udp" => "udp",
        other => {
            ctx.error(
                path,
                format!("protocol {other:?} cannot be load balanced"),
                "publish the port over tcp or udp",
            );
            return None;
        }
    };
    let proto_ext = proto_ext.as_deref();
    if let Some(other) = proto_ext.filter(|p| !["http", "https", "tls"].contains(p)) {
        ctx.error(
            &path.key("x-aws-protocol"),
            format!("{other:?} is not a load balancer protocol"),
            "write http, https (an ALB) or tls (an NLB)",
        );
    }
    let https = match proto_ext {
        Some("https") => true,
        Some(_) => false,
        None => published == 443 && (own_certificate.is_some() || project_certificate.is_some()),
    };
    let tls = proto_ext == Some("tls");
    let certificate = own_certificate
        .or_else(|| (https || tls).then(|| project_certificate.unwrap_or_default().to_string()));
    Some(PortRead {
        published,
        target,
        proto,
        http: https || proto_ext == Some("http") || (proto_ext.is_none() && published == 80),
        tls,
        certificate,
        marked_http: matches!(proto_ext, Some("http" | "https")),
    })
}

/// What a load balancer ignores of a port, said by name.
fn port_warnings(ctx: &mut Ctx, p: &compose::model::Port, path: &KeyPath) {
    if !p.host_ip.is_empty() {
        ctx.warn(
            path,
            format!(
                "host_ip {:?} is ignored: the load balancer listens on all addresses",
                p.host_ip
            ),
            "remove the host IP from the port",
        );
    }
    if p.mode == "host" {
        ctx.warn(
            path,
            "`mode: host` is ignored: ports are published through the load balancer",
            "remove `mode`",
        );
    }
    // Service Connect names ports and speaks their application protocol.
    for (key, value) in [("name", &p.name), ("app_protocol", &p.app_protocol)] {
        if !value.is_empty() && !ctx.service_connect {
            ctx.warn(
                &path.key(key),
                format!("port `{key}` is ignored without Service Connect"),
                format!("remove `{key}`, or set `x-aws-service_connect: true`"),
            );
        }
    }
}

/// One listener per published port and protocol, across the services;
/// false when another service has it.
fn take_port(
    ctx: &mut Ctx,
    owners: &mut BTreeMap<(i64, &'static str), String>,
    name: &str,
    r: &PortRead,
    path: &KeyPath,
) -> bool {
    let (port, proto) = (r.published, r.proto);
    if let Some(owner) = owners.get(&(port, proto)) {
        if owner != name {
            ctx.error(
                path,
                format!("port {port}/{proto} is already published by service {owner:?}"),
                "the services share one load balancer: give each service its own published port",
            );
        }
        return false;
    }
    let other = if proto == "tcp" { "udp" } else { "tcp" };
    if let Some(owner) = owners.get(&(port, other))
        && owner != name
    {
        ctx.error(
            path,
            format!("port {port} is published over {other} by service {owner:?} and over {proto} here"),
            "a load balancer listens once per port: publish TCP and UDP on one port from the same service, or use another port",
        );
        return false;
    }
    owners.insert((port, proto), name.to_string());
    true
}

/// HTTPS needs a certificate, and so does TLS; TLS needs an NLB, which
/// forwards what it does not terminate.
fn check_certificates(ctx: &mut Ctx, ports: &[PortPlan], kind: Kind, marked_http: bool) {
    for p in ports {
        let missing = p.certificate.as_deref() == Some("");
        if p.tls && marked_http {
            ctx.error(
                &p.path.key("x-aws-protocol"),
                "`tls` needs a Network Load Balancer, and the ports marked http or https need an Application Load Balancer",
                "terminate TLS on the ALB instead (`x-aws-protocol: https`), or drop `x-aws-protocol: http/https` from the other ports",
            );
        } else if p.tls && missing {
            ctx.error(
                &p.path,
                "a TLS listener needs a certificate",
                "set `x-aws-certificate` on the port, or at the top level, to an ACM certificate ARN",
            );
        } else if kind == Kind::Application && missing {
            ctx.error(
                &p.path,
                "an HTTPS listener needs a certificate",
                "set `x-aws-certificate` on the port, or at the top level, to an ACM certificate ARN",
            );
        } else if kind == Kind::Network && p.certificate.is_some() && !p.tls {
            ctx.warn(
                &p.path,
                "the certificate is ignored: other ports need a network load balancer, which forwards TLS to the container",
                "publish only HTTP(S) ports to get an application load balancer, or set `x-aws-protocol: tls`",
            );
        } else if kind == Kind::Network && p.http && p.published != 80 && !p.tls {
            ctx.warn(
                &p.path,
                "`x-aws-protocol` is ignored: other ports need a network load balancer",
                "publish only HTTP(S) ports to get an application load balancer",
            );
        }
    }
}

/// Port 80 answers with a redirect to HTTPS when its service also serves
/// HTTPS on 443, or when `x-aws-redirect_http: true` (which adds port 80
/// when no service publishes it).
fn redirects(
    ctx: &mut Ctx,
    ports: &mut Vec<PortPlan>,
    kind: Kind,
    redirect_http: Option<bool>,
) -> Vec<Redirect> {
    let at = KeyPath::root().key("x-aws-redirect_http");
    let https = |p: &PortPlan| p.certificate.is_some() && !p.tls;
    let to = ports
        .iter()
        .filter(|p| https(p))
        .map(|p| p.published)
        .min_by_key(|p| (*p != 443, *p));
    let Some(to) = to.filter(|_| kind == Kind::Application) else {
        if redirect_http == Some(true) {
            ctx.error(
                &at,
                "there is no HTTPS port on an Application Load Balancer to redirect to",
                "publish port 443 with a certificate, or remove x-aws-redirect_http",
            );
        }
        return vec![];
    };
    let mut out = Vec::new();
    let https_services: Vec<String> = ports
        .iter()
        .filter(|p| https(p) && p.published == 443)
        .map(|p| p.service.clone())
        .collect();
    ports.retain(|p| {
        let redirect = p.published == 80
            && !https(p)
            && p.protocol == Protocol::Tcp
            && (redirect_http == Some(true) || https_services.contains(&p.service));
        if redirect {
            out.push(Redirect {
                port: 80,
                to,
                service: Some((p.service.clone(), p.service_id.clone())),
            });
        }
        !redirect
    });
    if redirect_http == Some(true) && out.is_empty() && !ports.iter().any(|p| p.published == 80) {
        out.push(Redirect {
            port: 80,
            to,
            service: None,
        });
    }
    out
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
