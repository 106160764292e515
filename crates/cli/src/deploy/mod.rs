//! Apply: a converted project becomes a CloudFormation stack (create, or
//! update through a change set), and we wait and show progress.

pub mod bucket;
pub mod load_balancer;
pub mod network;
pub mod secrets;
pub mod upload;

use crate::aws::{self, Aws};
use crate::commands::Failure;
use crate::progress::{self, Display, Waited};
use crate::stack;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, OnFailure, Parameter, Tag,
};
use ecs::convert::PROJECT_TAG;
use std::collections::BTreeMap;
use std::time::Duration;

/// Everything `up` decided before touching the stack.
pub struct Plan {
    pub project: String,
    pub stack: String,
    pub template: serde_json::Value,
    pub body: String,
    pub parameters: BTreeMap<String, String>,
    /// The root of nested stacks: change sets include the children's changes.
    pub nested: bool,
}

pub fn parameters(values: &BTreeMap<String, String>) -> Vec<Parameter> {
    values
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .collect()
}

fn capabilities() -> [Capability; 2] {
    [Capability::CapabilityIam, Capability::CapabilityNamedIam]
}

fn project_tag(project: &str) -> Tag {
    Tag::builder().key(PROJECT_TAG).value(project).build()
}

/// The deployed template and parameters equal the new ones: nothing to do.
/// Decided locally because a change set without changes is an error on
/// AWS and costs a round trip.
pub fn up_to_date(
    deployed_template: &serde_json::Value,
    deployed: &aws_sdk_cloudformation::types::Stack,
    plan: &Plan,
) -> bool {
    if deployed_template != &plan.template {
        return false;
    }
    let current: BTreeMap<&str, &str> = deployed
        .parameters()
        .iter()
        .filter_map(|p| Some((p.parameter_key()?, p.parameter_value().unwrap_or(""))))
        .collect();
    plan.parameters
        .iter()
        .all(|(k, v)| current.get(k.as_str()) == Some(&v.as_str()))
}

/// Idempotency token: a retried create or delete is not run twice.
pub fn token(verb: &str, stack: &str) -> String {
    format!("docker-ecs-{verb}-{stack}-{}", unix_seconds())
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Create the stack. Returns its ID.
pub async fn create(cfn: &Client, plan: &Plan, source: &upload::Source) -> Result<String, Failure> {
    let token = token("create", &plan.stack);
    let sent = cfn
        .create_stack()
        .stack_name(&plan.stack)
        .set_parameters(Some(parameters(&plan.parameters)))
        .set_capabilities(Some(capabilities().to_vec()))
        .tags(project_tag(&plan.project))
        // Keep the failed resources' events for the report; the next `up`
        // replaces a stack whose creation rolled back.
        .on_failure(OnFailure::Rollback)
        .client_request_token(&token)
        .set_template_body(source.body())
        .set_template_url(source.url())
        .send()
        .await;
    match sent {
        Ok(out) => Ok(out.stack_id().unwrap_or(&plan.stack).to_string()),
        // A retry whose first attempt made the stack but lost its answer
        // finds the stack there: follow it when it is this `up`'s own.
        Err(e) if aws::code(&e) == Some("AlreadyExistsException") => {
            created_by_us(cfn, plan, &token).await
        }
        Err(e) => Err(aws::message(&format!("creating stack {}", plan.stack), e)),
    }
}

/// The stack that already exists, when this `up` (its request token) or
/// this project (its tag) made it; otherwise whose it is.
async fn created_by_us(cfn: &Client, plan: &Plan, token: &str) -> Result<String, Failure> {
    let Some(existing) = stack::describe(cfn, &plan.stack).await? else {
        return Err(Failure::Message(format!(
            "creating stack {}: CloudFormation says it exists, but it cannot be read",
            plan.stack
        )));
    };
    let id = existing.stack_id().unwrap_or(&plan.stack).to_string();
    let events = cfn
        .describe_stack_events()
        .stack_name(&id)
        .send()
        .await
        .map_err(|e| aws::message(&format!("reading the events of stack {}", plan.stack), e))?;
    let ours = events
        .stack_events()
        .iter()
        .any(|e| e.client_request_token() == Some(token))
        || stack::project_of(&existing) == Some(plan.project.as_str());
    if ours {
        return Ok(id);
    }
    let owner = match stack::project_of(&existing) {
        Some(p) => format!("Compose project {p}"),
        None => "no Compose project (it has no com.docker.compose.project tag)".into(),
    };
    Err(Failure::Message(format!(
        "stack {} already exists and belongs to {owner}: choose another project name with -p",
        plan.stack
    )))
}

/// A change set's resource changes, for `--dry-run`.
pub struct Change {
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    pub replacement: bool,
    /// A child stack's own change set (`IncludeNestedStacks`).
    pub nested_change_set: Option<String>,
}

pub enum ChangeSet {
    /// CloudFormation found nothing to change.
    Empty,
    Ready {
        id: String,
        changes: Vec<Change>,
    },
}

/// Create a change set and wait until CloudFormation has computed it.
pub async fn change_set(
    cfn: &Client,
    plan: &Plan,
    source: &upload::Source,
    kind: ChangeSetType,
) -> Result<ChangeSet, Failure> {
    let name = format!("docker-ecs-{}", unix_seconds());
    let out = cfn
        .create_change_set()
        .stack_name(&plan.stack)
        .change_set_name(&name)
        .change_set_type(kind)
        .set_parameters(Some(parameters(&plan.parameters)))
        .set_capabilities(Some(capabilities().to_vec()))
        .tags(project_tag(&plan.project))
        .description("docker ecs up")
        .include_nested_stacks(plan.nested)
        .set_template_body(source.body())
        .set_template_url(source.url())
        .send()
        .await
        .map_err(|e| aws::message(&format!("creating a change set for {}", plan.stack), e))?;
    let id = out.id().unwrap_or(&name).to_string();
    let mut interval = Duration::from_millis(300);
    loop {
        let (status, reason, changes) = describe_changes(cfn, &id).await?;
        match status {
            Some(ChangeSetStatus::CreateComplete) => return Ok(ChangeSet::Ready { id, changes }),
            Some(ChangeSetStatus::Failed) => {
                let _ = cfn.delete_change_set().change_set_name(&id).send().await;
                if reason.contains("didn't contain changes") || reason.contains("No updates") {
                    return Ok(ChangeSet::Empty);
                }
                return Err(Failure::Message(format!(
                    "the change set for {} failed: {reason}",
                    plan.stack
                )));
            }
            _ => {}
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(Duration::from_secs(5));
    }
}

/// A change set's status, its reason, and its changes (every page).
pub async fn describe_changes(
    cfn: &Client,
    id: &str,
) -> Result<(Option<ChangeSetStatus>, String, Vec<Change>), Failure> {
    let mut changes = Vec::new();
    let mut status = None;
    let mut reason = String::new();
    let mut pages = cfn
        .describe_change_set()
        .change_set_name(id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws::message("reading the change set", e))?;
        status = page.status().cloned();
        reason = page.status_reason().unwrap_or_default().to_string();
        for c in page.changes() {
            if let Some(rc) = c.resource_change() {
                changes.push(Change {
                    action: rc
                        .action()
                        .map(|a| a.as_str().to_string())
                        .unwrap_or_default(),
                    logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
                    resource_type: rc.resource_type().unwrap_or_default().to_string(),
                    replacement: rc.replacement().is_some_and(|r| r.as_str() != "False"),
                    nested_change_set: rc.change_set_id().map(str::to_string),
                });
            }
        }
    }
    Ok((status, reason, changes))
}

/// Follow an operation to its end and turn a failed one into its reason.
pub async fn follow(
    aws: &Aws,
    stack_id: &str,
    after: Option<String>,
    display: &mut Display,
    timeout: Option<Duration>,
    verb: &str,
) -> Result<String, Failure> {
    let cfn = aws.cloudformation();
    match progress::watch(&cfn, stack_id, after, display, timeout).await? {
        Waited::Settled(status) if stack::is_success(&status) => Ok(status),
        Waited::Settled(status) => {
            let mut msg = format!("{verb} failed: stack is {status}");
            if let Some(e) = progress::first_failure(&display.events) {
                msg.push_str(&failure_line(e, ""));
                if let Some(inner) = child_failure(&cfn, e).await {
                    msg.push_str(&failure_line(&inner, &format!("{}/", e.logical_id)));
                }
            }
            for line in stopped_tasks(aws, stack_id).await {
                msg.push_str(&format!("\n  {line}"));
            }
            Err(Failure::Message(msg))
        }
        Waited::TimedOut(status) => Err(timed_out(&status)),
    }
}

fn failure_line(e: &progress::Event, within: &str) -> String {
    format!(
        "\n  {within}{} ({}) {}: {}",
        e.logical_id, e.resource_type, e.status, e.reason
    )
}

/// The first failure inside the child stack that `first` says failed, which
/// holds the reason (the root only names the resources). Best effort.
async fn child_failure(cfn: &Client, first: &progress::Event) -> Option<progress::Event> {
    let child = progress::failed_child(first)?;
    let events = progress::operation_events(cfn, child).await.ok()?;
    progress::first_failure(&events).cloned()
}

/// `--wait-timeout` ran out; nothing is cancelled.
pub fn timed_out(status: &str) -> Failure {
    Failure::Message(format!(
        "the stack is still {status} after the --wait-timeout; it keeps going: run `docker ecs up` again to follow it, `docker ecs ps` to look, or `docker ecs down` to remove it"
    ))
}

/// Why the services' tasks stopped: the usual real cause of a failed
/// deployment (image pull, crash, health check). Best effort.
async fn stopped_tasks(aws: &Aws, stack_id: &str) -> Vec<String> {
    // Child stacks included: their services are the project's.
    let Ok(Some(deployed)) = stack::deployed(aws, stack_id).await else {
        return Vec::new();
    };
    let (cluster, services) = stack::cluster_and_services(&deployed.resources);
    let Some(cluster) = cluster else {
        return Vec::new();
    };
    // The stack's own services: a cluster named by x-aws-cluster is shared.
    let groups: Vec<String> = services
        .iter()
        .filter_map(|arn| arn.rsplit('/').next())
        .map(|name| format!("service:{name}"))
        .collect();
    let ecs = aws.ecs();
    let mut lines = Vec::new();
    // The newest stopped tasks say why a deployment failed; 100 is plenty.
    let Ok(list) = ecs
        .list_tasks()
        .cluster(&cluster)
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
        .max_results(100)
        .send()
        .await
    else {
        return lines;
    };
    let arns = list.task_arns().to_vec();
    if arns.is_empty() {
        return lines;
    }
    let Ok(tasks) = ecs
        .describe_tasks()
        .cluster(&cluster)
        .set_tasks(Some(arns))
        .send()
        .await
    else {
        return lines;
    };
    let mut tasks: Vec<_> = tasks
        .tasks()
        .iter()
        .filter(|t| t.group().is_some_and(|g| groups.iter().any(|x| x == g)))
        .collect();
    tasks.sort_by_key(|t| std::cmp::Reverse(t.stopped_at().map(|d| d.secs())));
    for t in tasks.into_iter().take(5) {
        let id = t
            .task_arn()
            .and_then(|a| a.rsplit('/').next())
            .unwrap_or("");
        let group = t.group().unwrap_or("").trim_start_matches("service:");
        let mut line = format!(
            "task {id} of {group} stopped: {}",
            t.stopped_reason().unwrap_or("no reason given")
        );
        for c in t.containers() {
            if let Some(r) = c.reason() {
                line.push_str(&format!("; {}: {r}", c.name().unwrap_or("?")));
            } else if let Some(code) = c.exit_code().filter(|c| *c != 0) {
                line.push_str(&format!("; {} exited with {code}", c.name().unwrap_or("?")));
            }
        }
        lines.push(line);
    }
    lines
}
