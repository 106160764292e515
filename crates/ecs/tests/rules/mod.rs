//! AWS's unwritten rules, checked over every template the suite produces.
//!
//! cfn-lint checks a template's shape and moto accepts almost anything; these
//! rules encode what real AWS does next: which stacks fail to create, which
//! apps never become healthy, which data is at risk. Each rule is one lesson,
//! named after what it protects, and cites the AWS documentation it follows.
//! They read our typed template (before any `x-aws-cloudformation` overlay,
//! which is the user's own).
//!
//! Why not cfn-guard: its cold install took 160.6 s wall (246.5 s CPU) on this
//! machine, and most of these rules follow references across resources
//! (service → target group → listener → load balancer → security group),
//! which typed Rust states plainly.
#![allow(dead_code)]

mod capacity;
mod iam;
mod load_balancing;
mod names;
mod network;
mod storage;

use ecs::cfn::resources::Properties;
use ecs::cfn::{Expr, Template};

/// One rule: what it protects, and the check that returns its findings.
pub struct Rule {
    pub name: &'static str,
    pub check: fn(&Template) -> Vec<String>,
}

/// Every rule, in the order of the lessons that taught them.
pub const RULES: &[Rule] = &[
    Rule {
        name: "load_balancer_health_checks_reach_the_tasks",
        check: load_balancing::health_checks_reach_the_tasks,
    },
    Rule {
        name: "volumes_are_writable_by_their_access_point_user",
        check: storage::access_point_directories_belong_to_their_user,
    },
    Rule {
        name: "http_health_checks_count_redirects_and_logins_as_alive",
        check: load_balancing::http_health_checks_accept_redirects,
    },
    Rule {
        name: "names_avoid_reserved_prefixes",
        check: names::names_avoid_reserved_prefixes,
    },
    Rule {
        name: "one_writer_per_volume_during_a_rollout",
        check: storage::one_writer_per_volume_during_a_rollout,
    },
    Rule {
        name: "ec2_tasks_and_instances_sit_behind_a_nat",
        check: network::ec2_tasks_and_instances_sit_behind_a_nat,
    },
    Rule {
        name: "scale_in_spares_instances_with_tasks",
        check: capacity::scale_in_spares_instances_with_tasks,
    },
    Rule {
        name: "one_mount_target_per_zone_in_the_project_subnets",
        check: storage::one_mount_target_per_zone,
    },
    Rule {
        name: "efs_demands_tls_and_an_access_point",
        check: storage::efs_demands_tls_and_an_access_point,
    },
    Rule {
        name: "nfs_reaches_a_volume_only_from_its_services",
        check: storage::nfs_only_from_the_services_that_mount,
    },
    Rule {
        name: "tasks_without_a_public_ip_sit_behind_a_nat",
        check: network::tasks_without_a_public_ip_sit_behind_a_nat,
    },
    Rule {
        name: "only_listeners_face_the_internet",
        check: network::only_listeners_face_the_internet,
    },
    Rule {
        name: "load_balancer_sends_only_to_task_ports",
        check: load_balancing::load_balancer_sends_only_to_task_ports,
    },
    Rule {
        name: "task_roles_trust_only_this_account",
        check: iam::task_roles_trust_only_this_account,
    },
    Rule {
        name: "target_groups_drain_for_a_set_time",
        check: load_balancing::target_groups_drain_for_a_set_time,
    },
    Rule {
        name: "managed_instances_roles_can_be_passed",
        check: capacity::managed_instances_roles_can_be_passed,
    },
    Rule {
        name: "traffic_shifts_between_twin_target_groups",
        check: load_balancing::traffic_shifts_between_twin_target_groups,
    },
];

/// Every finding of every rule, as `rule: finding`.
pub fn findings(t: &Template) -> Vec<String> {
    RULES
        .iter()
        .flat_map(|r| {
            (r.check)(t)
                .into_iter()
                .map(move |f| format!("{}: {f}", r.name))
        })
        .collect()
}

/// Fail the test when any rule is broken by the template of `what`.
pub fn assert_hold(what: &str, t: &Template) {
    let found = findings(t);
    assert!(
        found.is_empty(),
        "{what} breaks AWS rules:\n  {}",
        found.join("\n  ")
    );
}

/// The findings of one rule, by name.
pub fn check(name: &str, t: &Template) -> Vec<String> {
    let rule = RULES
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no rule {name}"));
    (rule.check)(t)
}

/// Resources of one kind with their logical IDs:
/// `of!(t, TargetGroup)` yields `(&str, &TargetGroup)`.
macro_rules! of {
    ($t:expr, $kind:ident) => {
        $t.resources
            .iter()
            .filter_map(|(id, r)| match &*r.properties {
                ecs::cfn::resources::Properties::$kind(p) => Some((id.as_str(), p)),
                _ => None,
            })
    };
}
pub(crate) use of;

/// The logical ID (or parameter) an expression points at: `Ref: X` and
/// `Fn::GetAtt: [X, …]` both name X.
pub fn target(e: &Expr) -> Option<&str> {
    match e {
        Expr::Ref(id) | Expr::GetAtt(id, _) => Some(id),
        _ => None,
    }
}

/// The properties of resource `id`, when the template creates it.
pub fn resource<'a>(t: &'a Template, id: &str) -> Option<&'a Properties> {
    t.resources.get(id).map(|r| &*r.properties)
}

/// The task definition an ECS service runs.
pub fn task_of<'a>(
    t: &'a Template,
    service: &ecs::cfn::resources::EcsService,
) -> Option<&'a ecs::cfn::resources::TaskDefinition> {
    match resource(t, target(&service.task_definition)?)? {
        Properties::TaskDefinition(d) => Some(d),
        _ => None,
    }
}

/// Does an ingress rule admit TCP on `port`?
pub fn admits_tcp(i: &ecs::cfn::resources::SecurityGroupIngress, port: i64) -> bool {
    match i.ip_protocol.as_str() {
        "-1" => true,
        "tcp" | "6" => i.from_port.unwrap_or(0) <= port && port <= i.to_port.unwrap_or(65535),
        _ => false,
    }
}
