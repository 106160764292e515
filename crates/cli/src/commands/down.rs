//! `down`: delete the project's stack and wait; say what stays behind.

use super::{Failure, Outcome};
use crate::aws::{self, Aws};
use crate::cli::{AwsArgs, DownArgs, ProjectArgs};
use crate::deploy;
use crate::progress::{self, Display};
use crate::stack;
use std::time::Duration;

pub fn run(project_args: &ProjectArgs, aws_args: &AwsArgs, args: &DownArgs) -> Outcome {
    let project = super::project_name(project_args)?;
    let rt = aws::runtime();
    rt.block_on(async {
        tokio::select! {
            r = down(&project, aws_args, args) => r,
            code = super::interrupted() => Err(Failure::Interrupted(format!(
                "detached: the stack of {project} keeps being deleted; run `docker ecs down` again to follow it"
            ), code)),
        }
    })
}

async fn down(project: &str, aws_args: &AwsArgs, args: &DownArgs) -> Outcome {
    let stack_name = ecs::names::stack_name(project);
    let aws = Aws::connect(aws_args).await?;
    let cfn = aws.cloudformation();
    let Some(deployed) = stack::deployed(&aws, &stack_name).await? else {
        // A dry run of nested stacks may have left templates behind.
        if !remove_template_bucket(&aws, project).await? {
            println!(
                "No stack for project {project} in {}: nothing to remove",
                aws.region
            );
        }
        return Ok(());
    };
    if let Some(owner) = stack::project_of(&deployed.stack)
        && owner != project
    {
        return Err(Failure::Message(format!(
            "stack {stack_name} belongs to Compose project {owner}, not {project}"
        )));
    }
    let id = deployed.stack.stack_id().unwrap_or(&stack_name).to_string();
    // What the template keeps on delete (EFS data), read before it is gone.
    let retained: Vec<String> = deployed.template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r["DeletionPolicy"] == "Retain")
        .filter_map(|(logical, r)| {
            let physical = deployed.physical_id(logical)?;
            Some(describe_retained(r, logical, physical))
        })
        .collect();
    let mut display = Display::new(args.progress);
    let after = progress::latest_event(&cfn, &id).await?;
    if stack::status(&deployed.stack) != "DELETE_IN_PROGRESS" {
        display.note(&format!("Deleting stack {stack_name}"));
        cfn.delete_stack()
            .stack_name(&id)
            .client_request_token(deploy::token("delete", &stack_name))
            .send()
            .await
            .map_err(|e| aws::message(&format!("deleting stack {stack_name}"), e))?;
    } else {
        display.note(&format!(
            "Stack {stack_name} is being deleted; following it"
        ));
    }
    let timeout = args.wait_timeout.map(Duration::from_secs);
    deploy::follow(&aws, &id, after, &mut display, timeout, "deleting").await?;
    println!("Stack {stack_name} deleted");
    remove_template_bucket(&aws, project).await?;
    for r in &retained {
        println!("Retained: {r}");
    }
    let kept = project_secrets(&aws, project).await;
    for name in kept {
        println!(
            "Retained: secret {name} in Secrets Manager (`docker ecs up` reuses it; remove it with `aws secretsmanager delete-secret --secret-id {name}`)"
        );
    }
    Ok(())
}

/// The bucket of the nested stacks' templates, once nothing reads them;
/// `true` when there was one.
async fn remove_template_bucket(aws: &Aws, project: &str) -> Result<bool, Failure> {
    let account = aws.caller_account().await?;
    let name = ecs::names::template_bucket(&account, &aws.region, project);
    let removed = deploy::bucket::remove(aws, &name).await?;
    if removed {
        println!("S3 bucket {name} (templates of the nested stacks) removed");
    }
    Ok(removed)
}

fn describe_retained(resource: &serde_json::Value, logical: &str, physical: &str) -> String {
    let volume = stack::tag(resource, ecs::convert::VOLUME_TAG).or_else(|| {
        resource["Properties"]["FileSystemTags"]
            .as_array()?
            .iter()
            .find(|t| t["Key"] == ecs::convert::VOLUME_TAG)
            .and_then(|t| t["Value"].as_str())
    });
    match (resource["Type"].as_str(), volume) {
        (Some("AWS::Logs::LogGroup"), _) => format!(
            "log group {physical}; the next `docker ecs up` writes to it again. Delete it with `aws logs delete-log-group --log-group-name {physical}`"
        ),
        (Some("AWS::KMS::Key"), _) => {
            format!("KMS key {physical}, which encrypts the retained logs")
        }
        (Some("AWS::EFS::FileSystem"), Some(v)) => format!(
            "EFS file system {physical} (volume {v}); the next `docker ecs up` re-attaches it. Delete it with `aws efs delete-file-system --file-system-id {physical}` once its mount targets are gone"
        ),
        (Some(kind), _) => format!("{kind} {physical} ({logical})"),
        _ => format!("{physical} ({logical})"),
    }
}

/// Secrets `up` stored for the project (tagged with it); best effort.
async fn project_secrets(aws: &Aws, project: &str) -> Vec<String> {
    use super::secret;
    secret::managed(&aws.secrets())
        .await
        .unwrap_or_default()
        .iter()
        .filter(|s| secret::project_of(s.tags()) == project)
        .filter_map(|s| s.name().map(str::to_string))
        .collect()
}
