//! Rules of subnets and security groups: where tasks run, and what reaches
//! them from outside.

use super::{of, target};
use ecs::cfn::resources::EcsService;
use ecs::cfn::{Expr, Template};

/// A `SubnetN` parameter: the tasks' subnets, which `up` chooses or checks
/// for a way out (a NAT route, VPC endpoints, or an internet gateway with
/// a public IP) against what the conversion says the tasks need.
fn is_task_subnet(t: &Template, e: &Expr) -> bool {
    target(e).is_some_and(|p| {
        p.strip_prefix("Subnet")
            .is_some_and(|n| n.parse::<usize>().is_ok())
            && t.parameters.contains_key(p)
    })
}

/// The subnets every service's tasks run in.
fn task_subnets(t: &Template) -> Vec<&Expr> {
    of!(t, EcsService)
        .flat_map(|(_, s)| &s.network_configuration.awsvpc_configuration.subnets)
        .collect()
}

/// The EC2 launch type, or a capacity provider other than Fargate's.
fn on_ec2(s: &EcsService) -> bool {
    let fargate_provider = |e: &Expr| matches!(e, Expr::Str(p) if p.starts_with("FARGATE"));
    match s.launch_type.as_deref() {
        Some(l) => l == "EC2",
        None => !s
            .capacity_provider_strategy
            .iter()
            .all(|i| fargate_provider(&i.capacity_provider)),
    }
}

/// Lesson 6: in `awsvpc` mode on EC2 a task never gets a public IP (ECS
/// refuses `AssignPublicIp: ENABLED` there), so tasks and their instances
/// reach the internet and the AWS APIs only from subnets with a NAT route
/// (or endpoints): the instances start in the tasks' subnets, which `up`
/// insists are such subnets.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html>
pub fn ec2_tasks_and_instances_sit_behind_a_nat(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, s) in of!(t, EcsService).filter(|(_, s)| on_ec2(s)) {
        let net = &s.network_configuration.awsvpc_configuration;
        if net.assign_public_ip != Expr::str("DISABLED") {
            out.push(format!("{id}: an EC2 task asks for a public IP"));
        }
    }
    let tasks = task_subnets(t);
    for (id, g) in of!(t, AutoScalingGroup) {
        if !g.vpc_zone_identifier.iter().all(|e| tasks.contains(&e)) {
            out.push(format!("{id}: instances start outside the tasks' subnets"));
        }
    }
    out
}

/// Lesson 10: a task without a public IP in a public subnet can reach no
/// registry (not even the `/run/secrets` init image) and no AWS API. Tasks
/// therefore run only in the `SubnetN` parameters that `up` checks, with a
/// public IP that is fixed or follows those subnets (`AssignPublicIp`).
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html>
pub fn tasks_without_a_public_ip_sit_behind_a_nat(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, s) in of!(t, EcsService) {
        let net = &s.network_configuration.awsvpc_configuration;
        if !net.subnets.iter().all(|e| is_task_subnet(t, e)) {
            out.push(format!(
                "{id}: tasks run outside the subnets up checks for a way out"
            ));
        }
        let follows = target(&net.assign_public_ip).is_some_and(|p| {
            t.parameters
                .get(p)
                .is_some_and(|p| p.allowed_values == ["ENABLED", "DISABLED"])
        });
        if !(follows
            || [Expr::str("ENABLED"), Expr::str("DISABLED")].contains(&net.assign_public_ip))
        {
            out.push(format!(
                "{id}: its public IP neither is fixed nor follows its subnets"
            ));
        }
    }
    out
}

/// The transport protocols a listener protocol carries.
fn transports(listener_protocol: &str) -> &'static [&'static str] {
    match listener_protocol {
        "UDP" => &["udp"],
        "TCP_UDP" => &["tcp", "udp"],
        _ => &["tcp"],
    }
}

/// Lesson 11: nothing but the load balancer's listeners is open to the
/// internet; tasks, file systems and instances are reached from groups.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/security-network.html>
pub fn only_listeners_face_the_internet(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, i) in of!(t, SecurityGroupIngress).filter(|(_, i)| i.cidr_ip.is_some()) {
        let group = target(&i.group_id);
        let listened = of!(t, LoadBalancer)
            .filter(|(_, lb)| lb.security_groups.iter().any(|g| target(g) == group))
            .flat_map(|(lb_id, _)| {
                of!(t, Listener).filter(move |(_, l)| target(&l.load_balancer_arn) == Some(lb_id))
            })
            .any(|(_, l)| {
                i.from_port == Some(l.port)
                    && i.to_port == Some(l.port)
                    && transports(&l.protocol).contains(&i.ip_protocol.as_str())
            });
        if !listened {
            out.push(format!(
                "{id}: {} is open to {} on {}/{:?} without a listener there",
                group.unwrap_or("?"),
                i.cidr_ip.as_deref().unwrap_or_default(),
                i.ip_protocol,
                i.from_port
            ));
        }
    }
    out
}
