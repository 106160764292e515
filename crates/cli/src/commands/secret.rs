//! `secret create|ls|inspect|rm` on AWS Secrets Manager. A value goes from
//! its file (or stdin) to the API and is never printed.

use super::{Failure, Outcome};
use crate::aws::{self, Aws};
use crate::cli::{AwsArgs, ListFormat, ProjectArgs, SecretCommand};
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, Tag};
use ecs::convert::PROJECT_TAG;
use std::io::Read;

pub fn run(project: &ProjectArgs, aws_args: &AwsArgs, command: &SecretCommand) -> Outcome {
    aws::runtime().block_on(async {
        let aws = Aws::connect(aws_args).await?;
        let client = aws.secrets();
        match command {
            SecretCommand::Create {
                name,
                file,
                description,
                labels,
            } => {
                let tags = super::labels(labels)?;
                let value = read_value(file)?;
                let project = super::project_name_or_directory(project);
                create(
                    &client,
                    name,
                    value,
                    description.as_deref(),
                    &tags,
                    &project,
                )
                .await
            }
            SecretCommand::Ls(list) => ls(&client, list.format, list.quiet).await,
            SecretCommand::Inspect(args) => inspect(&client, &args.names).await,
            SecretCommand::Rm { names, force } => rm(&client, names, *force).await,
        }
    })
}

fn read_value(file: &str) -> Result<Vec<u8>, Failure> {
    let limit = compose::read::SECRET_FILE.max_bytes;
    let mut value = Vec::new();
    if file == "-" {
        std::io::stdin()
            .take(limit + 1)
            .read_to_end(&mut value)
            .map_err(|e| format!("cannot read the secret from stdin: {e}"))?;
        if value.len() as u64 > limit {
            return Err(Failure::Message(format!(
                "the secret from stdin is over Secrets Manager's limit of {}",
                compose::limits::bytes(limit)
            )));
        }
    } else {
        value = compose::read::read_bytes(std::path::Path::new(file), compose::read::SECRET_FILE)
            .map_err(|e| e.message)?;
    }
    if value.is_empty() {
        return Err(Failure::Message(format!(
            "the secret value from {file} is empty"
        )));
    }
    Ok(value)
}

async fn create(
    client: &Client,
    name: &str,
    value: Vec<u8>,
    description: Option<&str>,
    labels: &[(String, String)],
    project: &str,
) -> Outcome {
    let mut req = client
        .create_secret()
        .name(name)
        .set_description(description.map(str::to_string))
        .tags(Tag::builder().key(PROJECT_TAG).value(project).build());
    for (k, v) in labels {
        req = req.tags(Tag::builder().key(k).value(v).build());
    }
    let (text, binary) = crate::deploy::secrets::payload(value);
    let out = req
        .set_secret_string(text)
        .set_secret_binary(binary)
        .send()
        .await
        .map_err(|e| {
            if aws::code(&e) == Some("ResourceExistsException") {
                Failure::Message(format!(
                    "secret {name} already exists: remove it first, or choose another name"
                ))
            } else {
                aws::message(&format!("creating secret {name}"), e)
            }
        })?;
    println!("{}", out.arn().unwrap_or(name));
    Ok(())
}

/// Secrets carrying the project tag: the ones `secret create` and `up` made.
pub async fn managed(
    client: &Client,
) -> Result<Vec<aws_sdk_secretsmanager::types::SecretListEntry>, Failure> {
    let mut out = Vec::new();
    let mut pages = client
        .list_secrets()
        .filters(
            Filter::builder()
                .key(FilterNameStringType::TagKey)
                .values(PROJECT_TAG)
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws::message("listing secrets", e))?;
        out.extend(
            page.secret_list()
                .iter()
                .filter(|s| s.tags().iter().any(|t| t.key() == Some(PROJECT_TAG)))
                .cloned(),
        );
    }
    out.sort_by(|a, b| a.name().cmp(&b.name()));
    Ok(out)
}

pub fn project_of(tags: &[Tag]) -> &str {
    tags.iter()
        .find(|t| t.key() == Some(PROJECT_TAG))
        .and_then(|t| t.value())
        .unwrap_or("")
}

async fn ls(client: &Client, format: ListFormat, quiet: bool) -> Outcome {
    let secrets = managed(client).await?;
    if quiet {
        for s in &secrets {
            println!("{}", s.name().unwrap_or_default());
        }
        return Ok(());
    }
    match format {
        ListFormat::Json => {
            let rows: Vec<serde_json::Value> = secrets
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "ID": s.arn().unwrap_or_default(),
                        "Name": s.name().unwrap_or_default(),
                        "Project": project_of(s.tags()),
                        "Description": s.description().unwrap_or_default(),
                    })
                })
                .collect();
            println!("{}", serde_json::Value::Array(rows));
        }
        ListFormat::Table => {
            let mut t = super::plain_table(&["NAME", "PROJECT", "DESCRIPTION", "ID"]);
            for s in &secrets {
                t.add_row(vec![
                    s.name().unwrap_or_default(),
                    project_of(s.tags()),
                    s.description().unwrap_or_default(),
                    s.arn().unwrap_or_default(),
                ]);
            }
            print!("{}", super::table_text(&t));
        }
    }
    Ok(())
}

fn missing<E, R>(
    name: &str,
    e: aws_sdk_secretsmanager::error::SdkError<E, R>,
    doing: &str,
) -> Failure
where
    E: aws_sdk_secretsmanager::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
    aws_sdk_secretsmanager::error::SdkError<E, R>: aws_sdk_secretsmanager::operation::RequestId,
{
    if aws::code(&e) == Some("ResourceNotFoundException") {
        Failure::Message(format!("no such secret: {name}"))
    } else {
        aws::message(&format!("{doing} {name}"), e)
    }
}

async fn inspect(client: &Client, names: &[String]) -> Outcome {
    let mut out = Vec::new();
    for name in names {
        let d = client
            .describe_secret()
            .secret_id(name)
            .send()
            .await
            .map_err(|e| missing(name, e, "reading secret"))?;
        let labels: serde_json::Map<String, serde_json::Value> = d
            .tags()
            .iter()
            .filter(|t| t.key() != Some(PROJECT_TAG))
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().into(),
                )
            })
            .collect();
        let date = |t: Option<&aws_sdk_secretsmanager::primitives::DateTime>| {
            t.and_then(|t| {
                t.fmt(aws_sdk_secretsmanager::primitives::DateTimeFormat::DateTime)
                    .ok()
            })
            .unwrap_or_default()
        };
        out.push(serde_json::json!({
            "ID": d.arn().unwrap_or_default(),
            "Name": d.name().unwrap_or_default(),
            "Project": project_of(d.tags()),
            "Description": d.description().unwrap_or_default(),
            "Labels": labels,
            "CreatedDate": date(d.created_date()),
            "LastChangedDate": date(d.last_changed_date()),
            "DeletedDate": date(d.deleted_date()),
        }));
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("secrets serialize")
    );
    Ok(())
}

async fn rm(client: &Client, names: &[String], force: bool) -> Outcome {
    for name in names {
        // Look first: DeleteSecret on a missing name is not always an error.
        client
            .describe_secret()
            .secret_id(name)
            .send()
            .await
            .map_err(|e| missing(name, e, "reading secret"))?;
        let mut req = client.delete_secret().secret_id(name);
        req = if force {
            req.force_delete_without_recovery(true)
        } else {
            req.recovery_window_in_days(7)
        };
        req.send()
            .await
            .map_err(|e| missing(name, e, "deleting secret"))?;
        println!("{name}");
    }
    if !force {
        eprintln!(
            "Deleted secrets can be restored for 7 days (aws secretsmanager restore-secret --secret-id NAME)"
        );
    }
    Ok(())
}
