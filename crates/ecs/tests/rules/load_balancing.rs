//! Rules of target groups, listeners and the load balancer's own group.

use super::{admits_tcp, of, resource, target, task_of};
use ecs::cfn::Template;
use ecs::cfn::resources::{Properties, SecurityGroupIngress, TargetGroup};
use std::collections::BTreeSet;

/// The port a target group's health check probes: `traffic-port` (the
/// default) is the port each target registered with.
fn health_port(tg: &TargetGroup, container_port: i64) -> i64 {
    match tg.health_check_port.as_deref() {
        None | Some("traffic-port") => container_port,
        Some(p) => p.parse().unwrap_or(-1),
    }
}

/// The security groups of the load balancer that forwards to `tg_id`, when
/// the template creates it (None: an existing one, known only at `up`).
fn load_balancer_groups<'a>(t: &'a Template, tg_id: &str) -> Option<Vec<&'a str>> {
    let (_, listener) = of!(t, Listener).find(|(_, l)| {
        l.default_actions
            .iter()
            .any(|a| a.target_group_arn.as_ref().and_then(target) == Some(tg_id))
    })?;
    match resource(t, target(&listener.load_balancer_arn)?)? {
        Properties::LoadBalancer(lb) => {
            Some(lb.security_groups.iter().filter_map(target).collect())
        }
        _ => None,
    }
}

fn from_load_balancer(i: &SecurityGroupIngress, sources: Option<&[&str]>) -> bool {
    match sources {
        Some(ids) => i
            .source_security_group_id
            .as_ref()
            .and_then(target)
            .is_some_and(|s| ids.contains(&s)),
        None => i.source_security_group_id.is_some() || i.cidr_ip.is_some(),
    }
}

/// Lesson 1: an NLB health-checks a UDP target group over TCP on the same
/// port, and ALB/NLB checks come from the load balancer's own addresses. A
/// task whose groups do not admit that probe never becomes healthy, and the
/// deployment circuit breaker rolls the service back.
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html>
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-register-targets.html#target-security-groups>
pub fn health_checks_reach_the_tasks(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, s) in of!(t, EcsService) {
        let groups: Vec<&str> = s
            .network_configuration
            .awsvpc_configuration
            .security_groups
            .iter()
            .filter_map(target)
            .collect();
        for lb in &s.load_balancers {
            let Some(tg_id) = target(&lb.target_group_arn) else {
                continue;
            };
            let Some(Properties::TargetGroup(tg)) = resource(t, tg_id) else {
                out.push(format!("{id}: target group {tg_id} is not in the template"));
                continue;
            };
            let port = health_port(tg, lb.container_port);
            let sources = load_balancer_groups(t, tg_id);
            let reached = of!(t, SecurityGroupIngress).any(|(_, i)| {
                target(&i.group_id).is_some_and(|g| groups.contains(&g))
                    && admits_tcp(i, port)
                    && from_load_balancer(i, sources.as_deref())
            });
            if !reached {
                out.push(format!(
                    "{id}: {tg_id} health-checks TCP port {port}, which no ingress of the service's groups admits from the load balancer"
                ));
            }
        }
    }
    out
}

/// The HTTP codes a matcher accepts ("200", "200-399", "200,302").
fn codes(matcher: &str) -> BTreeSet<i64> {
    let mut set = BTreeSet::new();
    for part in matcher.split(',') {
        let (from, to) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(a), Ok(b)) = (from.trim().parse::<i64>(), to.trim().parse::<i64>()) {
            set.extend(a..=b.min(a + 1000));
        }
    }
    set
}

/// Does the container behind target group `tg_id` check its own health?
/// Then its health path is the one it checks (and answers 2xx or 3xx).
fn checks_itself(t: &Template, tg_id: &str) -> bool {
    of!(t, EcsService).any(|(_, s)| {
        s.load_balancers.iter().any(|lb| {
            target(&lb.target_group_arn) == Some(tg_id)
                && task_of(t, s).is_some_and(|task| {
                    task.container_definitions
                        .iter()
                        .any(|c| c.name == lb.container_name && c.health_check.is_some())
                })
        })
    })
}

/// Lesson 3: an ALB counts only HTTP 200 as healthy unless told otherwise,
/// and many apps answer `/` with a redirect (WordPress) or a login page
/// (401). A check of `/` counts redirects as alive, and logins too unless
/// the service checks itself; a dedicated health path (`/health`, or the
/// one `x-aws-healthcheck` names) answers as its owner says.
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html>
pub fn http_health_checks_accept_redirects(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, tg) in of!(t, TargetGroup) {
        let root = tg.health_check_path.as_deref().is_none_or(|p| p == "/");
        if !matches!(tg.protocol.as_str(), "HTTP" | "HTTPS") || !root {
            continue;
        }
        let accepted = codes(tg.matcher.as_ref().map_or("200", |m| m.http_code.as_str()));
        let wanted: &[i64] = if !checks_itself(t, id) {
            &[200, 301, 302, 401, 403]
        } else {
            &[200, 301, 302]
        };
        let missing: Vec<String> = wanted
            .iter()
            .filter(|c| !accepted.contains(c))
            .map(i64::to_string)
            .collect();
        if !missing.is_empty() {
            out.push(format!(
                "{id}: the health check does not count HTTP {} as alive",
                missing.join(", ")
            ));
        }
    }
    out
}

/// Lesson 11: the load balancer needs to send only to the tasks' ports. A
/// security group with no egress rule gets AWS's allow-all egress.
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-update-security-groups.html>
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-securitygroup.html> (SecurityGroupEgress)
pub fn load_balancer_sends_only_to_task_ports(t: &Template) -> Vec<String> {
    let ports: BTreeSet<i64> = of!(t, TargetGroup)
        .flat_map(|(_, tg)| [tg.port, health_port(tg, tg.port)])
        .collect();
    let mut out = Vec::new();
    for (_, lb) in of!(t, LoadBalancer) {
        for group in lb.security_groups.iter().filter_map(target) {
            let Some(Properties::SecurityGroup(sg)) = resource(t, group) else {
                continue;
            };
            if sg.security_group_egress.is_empty() {
                out.push(format!("{group}: no egress rule, so AWS allows all egress"));
            }
            for e in &sg.security_group_egress {
                let to_task_port = e.cidr_ip.is_none()
                    && e.destination_security_group_id.is_some()
                    && e.ip_protocol != "-1"
                    && e.from_port == e.to_port
                    && e.from_port.is_some_and(|p| ports.contains(&p));
                if !to_task_port {
                    out.push(format!(
                        "{group}: egress \"{}\" goes beyond the tasks' ports",
                        e.description
                    ));
                }
            }
        }
    }
    out
}

/// Lesson 11: the deregistration delay is AWS's 300 s unless set, and every
/// rollout waits for it. Ours is explicit and within what AWS accepts.
/// <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay>
pub fn target_groups_drain_for_a_set_time(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, tg) in of!(t, TargetGroup) {
        let delay = tg
            .target_group_attributes
            .iter()
            .find(|a| a.key == "deregistration_delay.timeout_seconds");
        let seconds = delay.and_then(|a| match &a.value {
            ecs::cfn::Expr::Str(s) => s.parse::<i64>().ok(),
            _ => None,
        });
        match seconds {
            Some(0..=3600) => {}
            Some(s) => out.push(format!(
                "{id}: a deregistration delay of {s} s is outside 0-3600"
            )),
            None => out.push(format!(
                "{id}: no deregistration delay set (AWS waits 300 s)"
            )),
        }
    }
    out
}

/// The listener (or, on an NLB, listener "rule") a blue/green reference
/// names, with the target groups it forwards to.
fn forwards<'a>(t: &'a Template, id: &'a str) -> Option<(&'a str, Vec<&'a str>)> {
    match resource(t, id)? {
        Properties::ListenerRule(r) => Some((
            target(&r.listener_arn)?,
            r.actions
                .iter()
                .flat_map(|a| &a.forward_config.target_groups)
                .filter_map(|g| target(&g.target_group_arn))
                .collect(),
        )),
        Properties::Listener(l) => Some((
            id,
            l.default_actions
                .iter()
                .filter_map(|a| a.target_group_arn.as_ref().and_then(target))
                .collect(),
        )),
        _ => None,
    }
}

fn listener_port(t: &Template, id: &str) -> Option<i64> {
    match resource(t, id)? {
        Properties::Listener(l) => Some(l.port),
        _ => None,
    }
}

/// Lesson 16: ECS shifts blue/green, canary and linear traffic between two
/// target groups alike (the green tasks register in the alternate one), on
/// an ALB through production and test listener rules that forward to both,
/// with the test traffic on a listener of its own; canary and linear steps
/// need an ALB's weights; ECS acts through a role it may assume.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html>
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/nlb-resources-for-blue-green.html>
pub fn traffic_shifts_between_twin_target_groups(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, s) in of!(t, EcsService) {
        let strategy = s.deployment_configuration.strategy.as_str();
        for lb in &s.load_balancers {
            let Some(a) = &lb.advanced_configuration else {
                continue;
            };
            let (Some(blue), Some(green)) = (
                target(&lb.target_group_arn),
                target(&a.alternate_target_group_arn),
            ) else {
                continue;
            };
            let twins = match (resource(t, blue), resource(t, green)) {
                (Some(Properties::TargetGroup(b)), Some(Properties::TargetGroup(g))) => {
                    b.port == g.port
                        && b.protocol == g.protocol
                        && b.health_check_path == g.health_check_path
                        && blue != green
                }
                _ => false,
            };
            if !twins {
                out.push(format!("{id}: {green} is not a twin of {blue}"));
            }
            let prod = target(&a.production_listener_rule).and_then(|r| forwards(t, r));
            let test = target(&a.test_listener_rule).and_then(|r| forwards(t, r));
            let (Some((prod_listener, prod_groups)), Some((test_listener, test_groups))) =
                (prod, test)
            else {
                out.push(format!(
                    "{id}: its production or test rule is not in the template"
                ));
                continue;
            };
            let alb = matches!(
                target(&a.production_listener_rule).and_then(|r| resource(t, r)),
                Some(Properties::ListenerRule(_))
            );
            for (what, groups) in [("production", &prod_groups), ("test", &test_groups)] {
                let both = groups.contains(&blue) && groups.contains(&green);
                if (alb && !both) || !groups.contains(&blue) {
                    out.push(format!(
                        "{id}: the {what} route does not forward to {blue} and {green}"
                    ));
                }
            }
            if prod_listener == test_listener
                || listener_port(t, prod_listener) == listener_port(t, test_listener)
            {
                out.push(format!("{id}: test traffic shares the production listener"));
            }
            if matches!(strategy, "CANARY" | "LINEAR") && !alb {
                out.push(format!("{id}: {strategy} needs an ALB's weighted rules"));
            }
            let role_ok = match target(&a.role_arn).and_then(|r| resource(t, r)) {
                Some(Properties::Role(r)) => {
                    r.assume_role_policy_document.statement.iter().any(|st| {
                        st.principal
                            .as_ref()
                            .is_some_and(|p| p.service == "ecs.amazonaws.com")
                    })
                }
                _ => false,
            };
            if !role_ok {
                out.push(format!(
                    "{id}: ECS cannot assume the role that moves its traffic"
                ));
            }
        }
    }
    out
}
