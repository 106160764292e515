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
        let p = &cp.auto_scaling_group_provider;
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
