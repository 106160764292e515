//! Rules of IAM trust.

use super::of;
use ecs::cfn::Template;

/// Lesson 11: a role that ECS tasks assume names the account that may have
/// ECS assume it (`aws:SourceAccount`), against the confused deputy.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html>
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html>
pub fn task_roles_trust_only_this_account(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, role) in of!(t, Role) {
        for s in &role.assume_role_policy_document.statement {
            let for_tasks = s
                .principal
                .as_ref()
                .is_some_and(|p| p.service == "ecs-tasks.amazonaws.com");
            let scoped = s
                .condition
                .as_ref()
                .is_some_and(|c| c.tests("aws:SourceAccount"));
            if for_tasks && !scoped {
                out.push(format!("{id}: ecs-tasks may assume it for any account"));
            }
        }
    }
    out
}
