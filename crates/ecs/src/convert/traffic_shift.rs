//! Blue/green, canary and linear deployments, native to ECS: for each
//! published port of such a service, a second (alternate) target group, a
//! test listener on its own port, and on an ALB the production and test
//! listener rules whose weights ECS moves. An NLB has no weighted rules:
//! ECS switches its listeners instead.

use super::Ctx;
use super::ports::{Kind, LoadBalancerPlan, PortPlan};
use super::service::ServicePlan;
use crate::cfn::resources::*;
use crate::cfn::{Expr, Resource};

/// Logical IDs ECS's `AdvancedConfiguration` names for one port.
pub struct ShiftIds {
    pub alternate_target_group: String,
    pub production: String,
    pub test: String,
}

/// The IDs for a port; on an NLB the listeners themselves are the "rules".
pub fn ids(kind: Option<Kind>, p: &PortPlan) -> ShiftIds {
    let alb = kind == Some(Kind::Application);
    ShiftIds {
        alternate_target_group: p.id("AlternateTargetGroup"),
        production: p.id(if alb { "ProductionRule" } else { "Listener" }),
        test: p.id(if alb { "TestRule" } else { "TestListener" }),
    }
}

/// The project-wide role ECS assumes to move traffic on the load balancer.
pub const INFRASTRUCTURE_ROLE: &str = "ECSInfrastructureRoleForLoadBalancers";

/// Everything one port needs; `listener` is the production listener as
/// written, which the test listener copies on its own port.
pub fn emit(
    ctx: &mut Ctx,
    kind: Kind,
    lb: &LoadBalancerPlan,
    p: &PortPlan,
    plan: &ServicePlan,
    listener: &Listener,
    group: &TargetGroup,
) {
    let Some(&(_, test_port)) = plan
        .deployment
        .test_ports
        .iter()
        .find(|(port, _)| *port == p.published)
    else {
        return;
    };
    let ids = ids(Some(kind), p);
    ctx.t.add(
        ids.alternate_target_group.clone(),
        Resource::new(group.clone()),
    );
    let base = p.listener_id();
    let test_listener = p.id("TestListener");
    let mut test = listener.clone();
    test.port = test_port;
    ctx.t.add(test_listener.clone(), Resource::new(test));
    if kind == Kind::Application {
        for (id, on) in [
            (&ids.production, base.as_str()),
            (&ids.test, test_listener.as_str()),
        ] {
            ctx.t
                .add(id.clone(), Resource::new(weighted_rule(on, p, &ids)));
        }
    }
    if lb.created {
        // Test traffic comes from inside: whatever runs in the load
        // balancer's own group (a test runner, a hook), never the internet.
        for proto in p.container_protocols() {
            ctx.t.add(
                format!(
                    "LoadBalancerTest{}{}Ingress",
                    proto.to_uppercase(),
                    test_port
                ),
                Resource::new(SecurityGroupIngress {
                    group_id: lb.security_group.clone(),
                    ip_protocol: proto.into(),
                    from_port: Some(test_port),
                    to_port: Some(test_port),
                    cidr_ip: None,
                    source_security_group_id: Some(lb.security_group.clone()),
                    description: format!(
                        "{}:{} test traffic (port {test_port}) from the load balancer's group",
                        p.service, p.published
                    ),
                }),
            );
        }
    }
    infrastructure_role(ctx);
}

/// Every path to the two target groups: all traffic on the current one
/// until ECS moves the weights.
fn weighted_rule(listener: &str, p: &PortPlan, ids: &ShiftIds) -> ListenerRule {
    ListenerRule {
        listener_arn: Expr::reference(listener),
        priority: 1,
        conditions: vec![RuleCondition {
            field: "path-pattern".into(),
            path_pattern_config: PathPatternConfig {
                values: vec!["/*".into()],
            },
        }],
        actions: vec![WeightedForward {
            kind: "forward".into(),
            forward_config: ForwardConfig {
                target_groups: vec![
                    TargetGroupTuple {
                        target_group_arn: Expr::reference(p.target_group_id()),
                        weight: 100,
                    },
                    TargetGroupTuple {
                        target_group_arn: Expr::reference(&ids.alternate_target_group),
                        weight: 0,
                    },
                ],
            },
        }],
    }
}

/// The role ECS assumes for the load balancer, with AWS's managed policy
/// for exactly that; one per project.
fn infrastructure_role(ctx: &mut Ctx) {
    if ctx.t.resources.contains_key(INFRASTRUCTURE_ROLE) {
        return;
    }
    let role = Role::for_service(
        "ecs.amazonaws.com",
        &["AmazonECSInfrastructureRolePolicyForLoadBalancers"],
        vec![ctx.project_tag()],
    );
    // Shared by every service: it stays in the root stack.
    ctx.t.add_shared(INFRASTRUCTURE_ROLE, Resource::new(role));
}
