//! The load balancer's resources, from the plan of the published ports: the
//! load balancer and its security group, a target group and a listener per
//! port, and task ingress from the load balancer's group only.

use super::Ctx;
use super::ports::{Kind, LoadBalancerPlan, PortPlan, Protocol};
use super::service::ServicePlan;
use crate::cfn::resources::*;
use crate::cfn::{Expr, Resource};

/// The load balancer the project creates (none with `x-aws-loadbalancer`).
pub fn create(ctx: &mut Ctx, lb: &LoadBalancerPlan) {
    match (lb.created, lb.kind) {
        (true, Some(kind)) => create_load_balancer(ctx, kind, lb),
        _ if ctx.net.scheme_named => {
            let why = if ctx.existing_load_balancer.is_some() {
                "`x-aws-loadbalancer` names a load balancer, which has its own scheme"
            } else {
                "no service publishes a port, so there is no load balancer"
            };
            ctx.warn(
                &compose::node::KeyPath::root().key("x-aws-loadbalancer_scheme"),
                format!("`x-aws-loadbalancer_scheme` is ignored: {why}"),
                "remove it",
            );
        }
        _ => {}
    }
}

/// Clients may reach the listeners' ports, and nothing else: from anywhere
/// (an internal load balancer has private addresses only, which the VPC,
/// peered networks and VPNs reach).
fn internet_ingress(ctx: &mut Ctx, id: String, proto: &str, port: i64, what: &str) {
    let whence = match ctx.net.scheme {
        super::Scheme::InternetFacing => "the internet",
        super::Scheme::Internal => "networks routed to the VPC",
    };
    ctx.t.add(
        id,
        Resource::new(SecurityGroupIngress {
            group_id: Expr::get_att("LoadBalancerSecurityGroup", "GroupId"),
            ip_protocol: proto.into(),
            from_port: Some(port),
            to_port: Some(port),
            cidr_ip: Some("0.0.0.0/0".into()),
            source_security_group_id: None,
            description: format!("{what}:{port}/{proto} from {whence}"),
        }),
    );
}

fn create_load_balancer(ctx: &mut Ctx, kind: Kind, lb: &LoadBalancerPlan) {
    // The load balancer's own group (and its egress to the tasks) is written
    // once the services' groups are known, in `emit`.
    let tags = vec![ctx.project_tag()];
    for p in &lb.ports {
        for proto in p.container_protocols() {
            let suffix = if p.protocol == Protocol::TcpUdp {
                proto.to_uppercase()
            } else {
                String::new()
            };
            let id = format!(
                "LoadBalancer{}{}Ingress{suffix}",
                p.protocol.tag(),
                p.published
            );
            internet_ingress(ctx, id, proto, p.published, &p.service);
        }
    }
    for r in &lb.redirects {
        let what = r
            .service
            .as_ref()
            .map_or("HTTP redirect", |(name, _)| name.as_str());
        internet_ingress(
            ctx,
            format!("LoadBalancerTCP{}Ingress", r.port),
            "tcp",
            r.port,
            what,
        );
    }
    let bucket = lb.access_logs_bucket.clone();
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
    let subnets = super::subnets::load_balancer_subnets(ctx);
    ctx.t.add(
        "LoadBalancer",
        Resource::new(LoadBalancer {
            scheme: ctx.net.scheme.as_str().into(),
            kind: match kind {
                Kind::Application => "application",
                Kind::Network => "network",
            }
            .into(),
            subnets,
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
    // (group, protocol, container port): one rule each, however many
    // listeners forward to that port.
    let mut admitted: Vec<(Expr, &'static str, i64)> = Vec::new();
    for p in &lb.ports {
        let Some(plan) = plans.iter().find(|s| s.name == p.service) else {
            continue;
        };
        // A port's target group, listener and ingress go with its service.
        ctx.t.owner = Some(p.service.clone());
        if kind == Kind::Network
            && p.protocol == Protocol::Udp
            && lb.tcp_target_of(&p.service).is_none()
        {
            udp_health_check(ctx, lb, p, plan, &mut egress);
        }
        let group = target_group(ctx, kind, lb, p, plan);
        for proto in p.container_protocols() {
            egress.push((
                plan.ingress_group.clone(),
                proto,
                p.target,
                format!("{}:{}/{proto}", p.service, p.target),
            ));
        }
        let listener = listener(lb, kind, p);
        if plan.deployment.strategy.shifts_traffic() {
            super::traffic_shift::emit(ctx, kind, lb, p, plan, &listener, &group);
        }
        ctx.t.add(p.target_group_id(), Resource::new(group));
        ctx.t.add(p.listener_id(), Resource::new(listener));
        task_ingress(ctx, lb, p, plan, &mut admitted);
        ctx.t.owner = None;
    }
    for r in &lb.redirects {
        ctx.t.add(
            r.listener_id(),
            Resource::new(Listener {
                load_balancer_arn: lb.arn.clone(),
                port: r.port,
                protocol: "HTTP".into(),
                certificates: vec![],
                ssl_policy: None,
                default_actions: vec![ListenerAction::redirect_to_https(r.to)],
            }),
        );
    }
    if lb.created {
        load_balancer_group(ctx, egress);
    }
}

/// A port's listener: HTTP(S) on an ALB, TCP/UDP/TLS on an NLB, with the
/// TLS 1.2+/1.3 policy wherever it terminates TLS.
fn listener(lb: &LoadBalancerPlan, kind: Kind, p: &PortPlan) -> Listener {
    let terminates = p.certificate.is_some() && (kind == Kind::Application || p.tls);
    let protocol = match kind {
        Kind::Application if terminates => "HTTPS",
        Kind::Application => "HTTP",
        Kind::Network if p.tls => "TLS",
        Kind::Network => p.protocol.nlb(),
    };
    let certificates: Vec<Certificate> = match &p.certificate {
        Some(c) if terminates => vec![Certificate {
            certificate_arn: c.clone(),
        }],
        _ => vec![],
    };
    Listener {
        load_balancer_arn: lb.arn.clone(),
        port: p.published,
        protocol: protocol.into(),
        ssl_policy: (!certificates.is_empty())
            .then(|| "ELBSecurityPolicy-TLS13-1-2-2021-06".to_string()),
        certificates,
        default_actions: vec![ListenerAction::forward(Expr::reference(
            p.target_group_id(),
        ))],
    }
}

/// The tasks admit the container port from the load balancer's group.
fn task_ingress(
    ctx: &mut Ctx,
    lb: &LoadBalancerPlan,
    p: &PortPlan,
    plan: &ServicePlan,
    admitted: &mut Vec<(Expr, &'static str, i64)>,
) {
    for (i, proto) in p.container_protocols().into_iter().enumerate() {
        let key = (plan.ingress_group.clone(), proto, p.target);
        if admitted.contains(&key) {
            continue;
        }
        admitted.push(key);
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
                from_port: Some(p.target),
                to_port: Some(p.target),
                cidr_ip: None,
                source_security_group_id: Some(lb.security_group.clone()),
                description: format!("{}:{}/{proto} from the load balancer", p.service, p.target),
            }),
        );
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
            p.target
        ),
        "also publish a TCP port from this service so the target group checks that port",
    );
    let id = format!("{}HealthCheck", p.ingress_id());
    ctx.t.add(
        id,
        Resource::new(SecurityGroupIngress {
            group_id: plan.ingress_group.clone(),
            ip_protocol: "tcp".into(),
            from_port: Some(p.target),
            to_port: Some(p.target),
            cidr_ip: None,
            source_security_group_id: Some(lb.security_group.clone()),
            description: format!(
                "{}:{}/tcp health check from the load balancer",
                p.service, p.target
            ),
        }),
    );
    egress.push((
        plan.ingress_group.clone(),
        "tcp",
        p.target,
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
    let tcp_port = lb.tcp_target_of(&p.service);
    let h = &plan.lb_health;
    // An NLB checks over TCP unless `x-aws-healthcheck` names a path.
    let (hc_protocol, hc_port, hc_path) = match (kind, p.protocol, &h.path) {
        (Kind::Application, _, path) => (
            "HTTP",
            None,
            Some(path.clone().unwrap_or_else(|| health_path(ctx, &p.service))),
        ),
        (Kind::Network, Protocol::Udp, None) => {
            ("TCP", tcp_port.map(|port| port.to_string()), None)
        }
        (Kind::Network, Protocol::Udp, Some(path)) => (
            "HTTP",
            tcp_port.map(|port| port.to_string()),
            Some(path.clone()),
        ),
        (Kind::Network, _, None) => ("TCP", None, None),
        (Kind::Network, _, Some(path)) => ("HTTP", None, Some(path.clone())),
    };
    // Apps that answer with a redirect or ask for a login are alive;
    // a service's own health endpoint must answer 2xx or 3xx.
    let default_codes = if has_health_path(ctx, &p.service) || h.path.is_some() {
        "200-399"
    } else {
        "200-499"
    };
    let matcher = (hc_protocol == "HTTP").then(|| Matcher {
        http_code: h.matcher.clone().unwrap_or_else(|| default_codes.into()),
    });
    TargetGroup {
        port: p.target,
        protocol: match kind {
            Kind::Application => "HTTP",
            Kind::Network => p.protocol.nlb(),
        }
        .into(),
        target_type: "ip".into(),
        vpc_id: ctx.net.vpc.clone(),
        health_check_protocol: Some(hc_protocol.to_string()),
        health_check_port: hc_port,
        health_check_path: hc_path,
        health_check_interval_seconds: h.interval,
        health_check_timeout_seconds: h.timeout,
        healthy_threshold_count: h.healthy_threshold,
        unhealthy_threshold_count: h.unhealthy_threshold,
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
            vpc_id: ctx.net.vpc.clone(),
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
