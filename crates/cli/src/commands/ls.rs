//! `ls`: the projects deployed in the region (stacks with the project tag).

use super::{Failure, Outcome};
use crate::aws::{self, Aws};
use crate::cli::{AwsArgs, ListFormat, LsArgs};
use crate::stack;
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Project {
    pub name: String,
    /// Running, Creating, Updating, Deleting, Rolling back, Rolled back, Failed.
    pub status: String,
    pub stack_name: String,
    pub stack_status: String,
    pub status_reason: String,
    pub last_updated: String,
    pub stack_id: String,
}

pub fn run(aws_args: &AwsArgs, args: &LsArgs) -> Outcome {
    let name_filter = match args.filter.as_deref() {
        None => None,
        Some(f) => match f.split_once('=') {
            Some(("name", v)) => Some(v.to_string()),
            _ => {
                return Err(Failure::Message(format!(
                    "invalid filter {f:?}: the only filter is name=VALUE"
                )));
            }
        },
    };
    let mut projects = aws::runtime().block_on(list(aws_args))?;
    if let Some(n) = &name_filter {
        projects.retain(|p| p.name.contains(n.as_str()));
    }
    if args.quiet {
        for p in &projects {
            println!("{}", p.name);
        }
        return Ok(());
    }
    match args.format {
        ListFormat::Json => println!(
            "{}",
            serde_json::to_string(&projects).expect("projects serialize")
        ),
        ListFormat::Table => {
            let mut t = super::plain_table(&["NAME", "STATUS", "STACK", "STACK STATUS", "UPDATED"]);
            for p in &projects {
                t.add_row(vec![
                    p.name.clone(),
                    p.status.clone(),
                    p.stack_name.clone(),
                    p.stack_status.clone(),
                    p.last_updated.clone(),
                ]);
            }
            print!("{}", super::table_text(&t));
        }
    }
    Ok(())
}

async fn list(aws_args: &AwsArgs) -> Result<Vec<Project>, Failure> {
    let aws = Aws::connect(aws_args).await?;
    let cfn = aws.cloudformation();
    let mut out = Vec::new();
    let mut pages = cfn.describe_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws::message("listing stacks", e))?;
        for s in page.stacks() {
            let Some(project) = stack::project_of(s) else {
                continue;
            };
            // A child stack carries its project's tag too: it is not a project.
            if s.parent_id().is_some() {
                continue;
            }
            let status = stack::status(s).to_string();
            let updated = s
                .last_updated_time()
                .or(s.creation_time())
                .and_then(|t| {
                    t.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
                        .ok()
                })
                .unwrap_or_default();
            out.push(Project {
                name: project.to_string(),
                status: stack::summary(&status).to_string(),
                stack_name: s.stack_name().unwrap_or_default().to_string(),
                stack_status: status,
                status_reason: s.stack_status_reason().unwrap_or_default().to_string(),
                last_updated: updated,
                stack_id: s.stack_id().unwrap_or_default().to_string(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
