//! Rules of EC2 capacity: what scale-in may take away.

use super::{of, resource, target};
use ecs::cfn::Template;
use ecs::cfn::resources::Properties;

/// Lesson 7: without managed termination protection (which needs managed
/// scaling and scale-in protection on new instances), scaling in the Auto
/// Scaling group stops instances that still run tasks.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-termination-protection.html>
pub fn scale_in_spares_instances_with_tasks(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, cp) in of!(t, CapacityProvider) {
        // ECS Managed Instances drain and replace their instances themselves.
        let Some(p) = &cp.auto_scaling_group_provider else {
            continue;
        };
        if p.managed_termination_protection != "ENABLED" {
            out.push(format!("{id}: managed termination protection is off"));
        }
        if p.managed_scaling.status != "ENABLED" {
            out.push(format!(
                "{id}: managed scaling is off, so termination protection does nothing"
            ));
        }
        match target(&p.auto_scaling_group_arn).and_then(|g| resource(t, g)) {
            Some(Properties::AutoScalingGroup(g)) if g.new_instances_protected_from_scale_in => {}
            Some(Properties::AutoScalingGroup(_)) => out.push(format!(
                "{id}: new instances are not protected from scale-in"
            )),
            _ => out.push(format!(
                "{id}: its Auto Scaling group is not in the template"
            )),
        }
    }
    out
}

/// Lesson 17: the infrastructure role of ECS Managed Instances passes the
/// instances' role through AWS's managed policy, whose `iam:PassRole` only
/// reaches roles named `ecsInstanceRole*`; the provider belongs to one
/// cluster, given by name, and is not listed in the cluster's associations.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instances-instance-profile.html>
pub fn managed_instances_roles_can_be_passed(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, cp) in of!(t, CapacityProvider) {
        let Some(m) = &cp.managed_instances_provider else {
            continue;
        };
        if cp.cluster_name.is_none() {
            out.push(format!("{id}: names no cluster"));
        }
        let profile = target(&m.instance_launch_template.ec2_instance_profile_arn);
        let role = match profile.and_then(|p| resource(t, p)) {
            Some(Properties::InstanceProfile(p)) => p.roles.first().and_then(target),
            _ => None,
        };
        let named = match role.and_then(|r| resource(t, r)) {
            Some(Properties::Role(r)) => r.role_name.as_ref().is_some_and(|n| {
                serde_json::to_string(n).is_ok_and(|s| s.contains("ecsInstanceRole"))
            }),
            _ => false,
        };
        if !named {
            out.push(format!(
                "{id}: its instance role is not named ecsInstanceRole*, so ECS cannot pass it"
            ));
        }
        for (a, assoc) in of!(t, ClusterCapacityProviderAssociations) {
            if assoc
                .capacity_providers
                .iter()
                .any(|p| target(p) == Some(id))
            {
                out.push(format!(
                    "{id}: listed in {a}, though it belongs to its cluster"
                ));
            }
        }
    }
    out
}
