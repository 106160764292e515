//! Networks → security groups. Members of a network can reach each other on
//! every port; nothing else is let in except from the load balancer.

use super::{Ctx, NETWORK_TAG};
use crate::cfn::resources::*;
use crate::cfn::{Expr, Resource, Tag};
use crate::names;
use compose::node::KeyPath;

#[derive(Debug, Clone)]
pub struct NetworkRef {
    /// The security group ID (a `Ref` to ours, or the external group's ID).
    pub group: Expr,
    /// Our own group (external groups are never modified).
    pub owned: bool,
}

pub fn networks(ctx: &mut Ctx) {
    let project = ctx.project;
    let mut keys: Vec<&String> = project.networks.keys().collect();
    keys.sort();
    let mut table = names::NameTable::default();
    for key in keys {
        let net = &project.networks[key.as_str()];
        let path = KeyPath::root().key("networks").key(key);
        let reader = ctx.reader(&net.extensions, path.clone());
        ctx.check_extensions(&reader, crate::extensions::NETWORK_KEYS);
        let legacy_sg: Option<String> =
            ctx.ok(reader.get("x-aws-securitygroup", "a security group ID"));
        if let Some(sg) = &legacy_sg {
            ctx.warn(
                &path.key("x-aws-securitygroup"),
                "`x-aws-securitygroup` is deprecated",
                format!("write `external: true` and `name: {sg}` instead"),
            );
        }
        if !net.driver.is_empty() && net.driver != "bridge" {
            ctx.warn(
                &path.key("driver"),
                format!(
                    "network driver {:?} is ignored: ECS networks are security groups",
                    net.driver
                ),
                "remove `driver`",
            );
        }
        let Some(norm) = ctx.register_name(&mut table, "networks", key, &path) else {
            continue;
        };
        let id = format!("{norm}Network");
        if net.external || legacy_sg.is_some() {
            let sg = legacy_sg.unwrap_or_else(|| net.name.clone());
            if !crate::extensions::is_resource_id("sg", &sg) {
                ctx.error(
                    &path.key("name"),
                    format!("external network {key:?} must name a security group ID, found {sg:?}"),
                    "set `name: sg-…` to the ID of the existing security group",
                );
            }
            ctx.networks.insert(
                key.clone(),
                NetworkRef {
                    group: Expr::str(sg),
                    owned: false,
                },
            );
            continue;
        }
        let tags = vec![ctx.project_tag(), Tag::new(NETWORK_TAG, net.name.as_str())];
        ctx.t.add(
            id.clone(),
            Resource::new(SecurityGroup {
                group_description: format!("{} Security Group for {key} network", ctx.name()),
                vpc_id: ctx.net.vpc.clone(),
                security_group_egress: vec![EgressRule::anywhere(
                    "Outbound traffic (image pulls, AWS APIs, the internet)",
                )],
                tags,
            }),
        );
        ctx.t.add(
            format!("{id}Ingress"),
            Resource::new(SecurityGroupIngress {
                group_id: Expr::reference(&id),
                ip_protocol: "-1".into(),
                from_port: None,
                to_port: None,
                cidr_ip: None,
                source_security_group_id: Some(Expr::reference(&id)),
                description: format!("Allow communication within network {key}"),
            }),
        );
        ctx.networks.insert(
            key.clone(),
            NetworkRef {
                group: Expr::reference(&id),
                owned: true,
            },
        );
    }
}
