//! ECS Service Connect (`x-aws-service_connect: true`): instead of Cloud Map
//! DNS records, a proxy beside each task routes `http://api:8080` to the
//! servers. A server's ports get names in its task definition and a client
//! alias (the Compose service name, the same port), so URLs stay as they
//! are; the proxies log to the project's log group.

use super::spec::ServiceSpec;
use crate::cfn::Expr;
use crate::cfn::resources::*;
use crate::convert::Ctx;
use compose::model::Service;
use compose::node::KeyPath;
use std::collections::BTreeMap;

/// One port a service serves to the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedPort {
    pub port: i64,
    /// The port mapping's name: the Compose port's `name`, else
    /// `<service>-<port>`.
    pub name: String,
    /// The Compose port's `app_protocol` (http, http2, grpc).
    pub app_protocol: Option<String>,
}

/// Service → the ports it serves, for every service when the project
/// turns Service Connect on; `None` when it does not.
pub fn plan(ctx: &mut Ctx) -> Option<BTreeMap<String, Vec<ServedPort>>> {
    if !ctx.service_connect {
        return None;
    }
    let project = ctx.project;
    let mut out = BTreeMap::new();
    for (name, s) in &project.services {
        if ctx.sidecar_main.contains_key(name) {
            continue;
        }
        let path = KeyPath::root().key("services").key(name);
        out.insert(name.clone(), served(ctx, name, s, &path));
    }
    // A port's name is its discovery name: one per namespace.
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (service, ports) in &out {
        for p in ports {
            if let Some(other) = seen.insert(&p.name, service) {
                ctx.error(
                    &KeyPath::root().key("services").key(service).key("ports"),
                    format!("port name {:?} is used by {other} and {service}; Service Connect needs one per project", p.name),
                    "give the ports distinct `name`s",
                );
            }
        }
    }
    Some(out)
}

/// The TCP ports of `ports` (their targets) and `expose`, in port order.
fn served(ctx: &mut Ctx, name: &str, s: &Service, path: &KeyPath) -> Vec<ServedPort> {
    let mut out: Vec<ServedPort> = Vec::new();
    let mut add = |port: i64, given: &str, app: &str| {
        if out.iter().any(|p| p.port == port) {
            return;
        }
        let name = if given.is_empty() {
            format!("{}-{port}", name.replace('.', "-"))
        } else {
            given.to_string()
        };
        let app_protocol = matches!(app, "http" | "http2" | "grpc").then(|| app.to_string());
        out.push(ServedPort {
            port,
            name,
            app_protocol,
        });
    };
    for (i, p) in s.ports.iter().enumerate() {
        if p.protocol == "udp" {
            ctx.warn(
                &path.key("ports").index(i),
                format!(
                    "port {}/udp is not reachable through Service Connect, which carries TCP",
                    p.target
                ),
                "reach it through the load balancer, or turn x-aws-service_connect off",
            );
            continue;
        }
        add(i64::from(p.target), &p.name, &p.app_protocol);
    }
    for (i, e) in s.expose.iter().enumerate() {
        let (ports, proto) = e.split_once('/').unwrap_or((e, "tcp"));
        let (first, last) = ports.split_once('-').unwrap_or((ports, ports));
        let range = first.parse::<i64>().ok().zip(last.parse::<i64>().ok());
        match range {
            Some((a, b)) if proto == "tcp" && a <= b && b - a < 100 => {
                for port in a..=b {
                    add(port, "", "");
                }
            }
            _ => ctx.warn(
                &path.key("expose").index(i),
                format!("`expose: {e}` is not reachable through Service Connect, which carries single TCP ports"),
                "expose TCP ports (a range of at most 100)",
            ),
        }
    }
    out.sort_by_key(|p| p.port);
    out
}

/// Name the served ports in the service's own container, adding the
/// mappings the load balancer did not.
pub fn name_ports(container: &mut ContainerDefinition, ports: &[ServedPort]) {
    for p in ports {
        let found = container
            .port_mappings
            .iter_mut()
            .find(|m| m.container_port == p.port && m.protocol == "tcp");
        match found {
            Some(m) => {
                m.name = Some(p.name.clone());
                m.app_protocol = p.app_protocol.clone();
            }
            None => container.port_mappings.push(PortMapping {
                name: Some(p.name.clone()),
                container_port: p.port,
                host_port: p.port,
                protocol: "tcp".into(),
                app_protocol: p.app_protocol.clone(),
            }),
        }
    }
}

/// The service's Service Connect configuration: a server under its
/// Compose name for each served port, a client of every server.
pub fn configuration(
    ctx: &Ctx,
    spec: &ServiceSpec,
    ports: &[ServedPort],
) -> ServiceConnectConfiguration {
    let mut options = indexmap::IndexMap::new();
    options.insert(
        "awslogs-group".to_string(),
        crate::convert::cluster::log_group_ref(),
    );
    options.insert("awslogs-region".to_string(), Expr::reference("AWS::Region"));
    options.insert(
        "awslogs-stream-prefix".to_string(),
        Expr::str(format!("{}-service-connect", ctx.name())),
    );
    ServiceConnectConfiguration {
        enabled: true,
        namespace: Expr::get_att("CloudMap", "Arn"),
        services: ports
            .iter()
            .map(|p| ServiceConnectService {
                port_name: p.name.clone(),
                discovery_name: p.name.clone(),
                client_aliases: vec![ClientAlias {
                    port: p.port,
                    dns_name: spec.name.clone(),
                }],
            })
            .collect(),
        log_configuration: LogConfiguration {
            log_driver: "awslogs".into(),
            options,
        },
    }
}

/// A client resolves only the servers that existed when its task started:
/// a service that serves nothing is created after every server.
pub fn servers_first(
    servers: &BTreeMap<String, Vec<ServedPort>>,
    spec: &ServiceSpec,
) -> Vec<String> {
    if servers.get(&spec.name).is_some_and(|p| !p.is_empty()) {
        return Vec::new();
    }
    servers
        .iter()
        .filter(|(name, ports)| **name != spec.name && !ports.is_empty())
        .map(|(name, _)| format!("{}Service", crate::names::normalize(name)))
        .collect()
}
