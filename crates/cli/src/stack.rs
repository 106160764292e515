//! Reading a project's CloudFormation stack: does it exist, in what state,
//! and what did we deploy (template, resources, parameters).

use crate::aws::{self, Aws};
use crate::commands::Failure;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{Stack, StackResourceSummary, TemplateStage};
use ecs::convert::PROJECT_TAG;

/// The stack of a project, or `None` when there is none. Any other error
/// (credentials, throttling that outlasted the retries) is an error, never
/// "no stack".
pub async fn describe(cfn: &Client, name: &str) -> Result<Option<Stack>, Failure> {
    match cfn.describe_stacks().stack_name(name).send().await {
        Ok(out) => Ok(out.stacks.unwrap_or_default().into_iter().next()),
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(aws::message(&format!("reading stack {name}"), e)),
    }
}

fn is_missing<E: aws_sdk_cloudformation::error::ProvideErrorMetadata, R>(
    e: &aws_sdk_cloudformation::error::SdkError<E, R>,
) -> bool {
    aws::code(e) == Some("ValidationError")
        && aws::error_message(e).is_some_and(|m| m.contains("does not exist"))
}

pub fn status(stack: &Stack) -> &str {
    stack.stack_status().map(|s| s.as_str()).unwrap_or("")
}

pub fn project_of(stack: &Stack) -> Option<&str> {
    stack
        .tags()
        .iter()
        .find(|t| t.key() == Some(PROJECT_TAG))
        .and_then(|t| t.value())
}

/// What a stack status means to a user of `docker compose ls`.
pub fn summary(status: &str) -> &'static str {
    match status {
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE" => "Running",
        "CREATE_IN_PROGRESS" | "REVIEW_IN_PROGRESS" => "Creating",
        "UPDATE_IN_PROGRESS" | "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" | "IMPORT_IN_PROGRESS" => {
            "Updating"
        }
        "DELETE_IN_PROGRESS" => "Deleting",
        "DELETE_COMPLETE" => "Deleted",
        "ROLLBACK_IN_PROGRESS"
        | "UPDATE_ROLLBACK_IN_PROGRESS"
        | "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
        | "IMPORT_ROLLBACK_IN_PROGRESS" => "Rolling back",
        // The update failed and the previous version runs again.
        "UPDATE_ROLLBACK_COMPLETE" | "IMPORT_ROLLBACK_COMPLETE" => "Rolled back",
        _ => "Failed",
    }
}

/// A status that no longer changes by itself.
pub fn is_settled(status: &str) -> bool {
    !status.ends_with("_IN_PROGRESS")
}

/// A settled status that means the last operation succeeded.
pub fn is_success(status: &str) -> bool {
    matches!(
        status,
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "DELETE_COMPLETE" | "IMPORT_COMPLETE"
    )
}

/// The template as deployed (what `up` sent), as JSON.
pub async fn template(cfn: &Client, name: &str) -> Result<serde_json::Value, Failure> {
    let out = cfn
        .get_template()
        .stack_name(name)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|e| aws::message(&format!("reading the template of stack {name}"), e))?;
    let body = out.template_body().unwrap_or("{}");
    Ok(serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
}

/// Every resource of the stack, all pages.
pub async fn resources(cfn: &Client, name: &str) -> Result<Vec<StackResourceSummary>, Failure> {
    let mut out = Vec::new();
    let mut pages = cfn
        .list_stack_resources()
        .stack_name(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| aws::message(&format!("listing the resources of {name}"), e))?;
        out.extend(page.stack_resource_summaries.unwrap_or_default());
    }
    Ok(out)
}

/// A stack output's value.
pub fn output<'a>(stack: &'a Stack, key: &str) -> Option<&'a str> {
    stack
        .outputs()
        .iter()
        .find(|o| o.output_key() == Some(key))
        .and_then(|o| o.output_value())
}

/// The stack's own ECS cluster and the ARNs of its ECS services.
pub fn cluster_and_services(resources: &[StackResourceSummary]) -> (Option<String>, Vec<String>) {
    let cluster = resources
        .iter()
        .find(|r| r.logical_resource_id() == Some("Cluster"))
        .and_then(|r| r.physical_resource_id())
        .map(str::to_string);
    let services: Vec<String> = resources
        .iter()
        .filter(|r| r.resource_type() == Some("AWS::ECS::Service"))
        .filter_map(|r| r.physical_resource_id().map(str::to_string))
        .collect();
    // With x-aws-cluster there is no Cluster resource, but a service ARN
    // names its cluster: `…:service/<cluster>/<service>`.
    let cluster = cluster.or_else(|| {
        services.iter().find_map(|arn| {
            let parts: Vec<&str> = arn.rsplit('/').collect();
            (parts.len() == 3).then(|| parts[1].to_string())
        })
    });
    (cluster, services)
}

/// A deployed project: its stack, template and resources; those of its
/// child stacks (nested stacks) are merged in, under their logical IDs.
pub struct Deployed {
    pub stack: Stack,
    pub template: serde_json::Value,
    pub resources: Vec<StackResourceSummary>,
    /// The stack's parameters, then its child stacks' (the values the
    /// root passed them).
    pub parameters: Vec<(String, String)>,
}

impl Deployed {
    /// The physical ID of a resource of the template.
    pub fn physical_id(&self, logical: &str) -> Option<&str> {
        self.resources
            .iter()
            .find(|r| r.logical_resource_id() == Some(logical))
            .and_then(|r| r.physical_resource_id())
            .filter(|id| !id.is_empty())
    }

    /// Template resources of a type, in template order.
    pub fn of_type<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a serde_json::Value)> + 'a {
        self.template["Resources"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(move |(_, r)| r["Type"] == kind)
    }

    /// The value a stack parameter was deployed with.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The ECS cluster the services run in: the stack's own, or the one
    /// `x-aws-cluster` named.
    pub fn cluster(&self) -> Option<String> {
        cluster_and_services(&self.resources)
            .0
            .or_else(|| output(&self.stack, "ClusterName").map(str::to_string))
            .or_else(|| {
                // x-aws-cluster: the services name the cluster directly.
                self.of_type("AWS::ECS::Service")
                    .find_map(|(_, r)| r["Properties"]["Cluster"].as_str().map(str::to_string))
            })
    }
}

/// Load what we need about a deployed project, or `None` without a stack.
pub async fn deployed(aws: &Aws, name: &str) -> Result<Option<Deployed>, Failure> {
    let cfn = aws.cloudformation();
    let Some(stack) = describe(&cfn, name).await? else {
        return Ok(None);
    };
    let template = template(&cfn, name).await?;
    let resources = resources(&cfn, name).await?;
    let mut d = Deployed {
        parameters: parameters(&stack),
        stack,
        template,
        resources,
    };
    let children: Vec<String> = d
        .resources
        .iter()
        .filter(|r| r.resource_type() == Some("AWS::CloudFormation::Stack"))
        .filter_map(|r| r.physical_resource_id().filter(|id| !id.is_empty()))
        .map(str::to_string)
        .collect();
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    let read = stream::iter(children.iter().map(|id| child(&cfn, id)))
        .buffered(8)
        .try_collect::<Vec<_>>()
        .await?;
    for (stack, mut template, resources) in read.into_iter().flatten() {
        if let (Some(all), serde_json::Value::Object(theirs)) = (
            d.template["Resources"].as_object_mut(),
            template["Resources"].take(),
        ) {
            all.extend(theirs);
        }
        d.resources.extend(resources);
        d.parameters.extend(parameters(&stack));
    }
    Ok(Some(d))
}

/// A stack's parameters and the values it was deployed with.
pub fn parameters(stack: &Stack) -> Vec<(String, String)> {
    stack
        .parameters()
        .iter()
        .filter_map(|p| Some((p.parameter_key()?.into(), p.parameter_value()?.into())))
        .collect()
}

/// A child stack: itself, its template, its resources (`None` once gone).
async fn child(
    cfn: &Client,
    id: &str,
) -> Result<Option<(Stack, serde_json::Value, Vec<StackResourceSummary>)>, Failure> {
    let Some(stack) = describe(cfn, id).await? else {
        return Ok(None);
    };
    Ok(Some((
        stack,
        template(cfn, id).await?,
        resources(cfn, id).await?,
    )))
}

/// The deployed project, or an error that says to deploy it first.
pub async fn require_deployed(aws: &Aws, project: &str) -> Result<Deployed, Failure> {
    let name = ecs::names::stack_name(project);
    deployed(aws, &name).await?.ok_or_else(|| {
        Failure::Message(format!(
            "no stack for project {project} in {}: run `docker ecs up` first",
            aws.region
        ))
    })
}

/// The tag value of a template resource.
pub fn tag<'a>(resource: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    resource["Properties"]["Tags"]
        .as_array()?
        .iter()
        .find(|t| t["Key"] == key)
        .and_then(|t| t["Value"].as_str())
}

/// The logical ID a `Ref` points to.
pub fn reference(v: &serde_json::Value) -> Option<&str> {
    v.get("Ref").and_then(|r| r.as_str())
}
