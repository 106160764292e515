//! `volume create|ls|inspect|rm` on Amazon EFS. A volume created here
//! carries the tags `up` looks for, so a Compose volume of the same name in
//! the same project uses it instead of creating a file system.

use super::{Failure, Outcome};
use crate::aws::{self, Aws};
use crate::cli::{AwsArgs, ListFormat, ProjectArgs, VolumeCommand};
use aws_sdk_efs::Client;
use aws_sdk_efs::types::{
    BackupPolicy, FileSystemDescription, LifecyclePolicy, PerformanceMode, Status, Tag,
    ThroughputMode, TransitionToIaRules,
};
use ecs::convert::{PROJECT_TAG, VOLUME_TAG};

pub fn run(project: &ProjectArgs, aws_args: &AwsArgs, command: &VolumeCommand) -> Outcome {
    aws::runtime().block_on(async {
        let aws = Aws::connect(aws_args).await?;
        let client = aws.efs();
        match command {
            VolumeCommand::Create { name, options } => {
                let opts = super::labels(options)?;
                let project = super::project_name_or_directory(project);
                create(&client, name, &opts, &project).await
            }
            VolumeCommand::Ls(list) => ls(&client, list.format, list.quiet).await,
            VolumeCommand::Inspect(args) => inspect(&client, &args.names).await,
            VolumeCommand::Rm(args) => rm(&client, &args.names).await,
        }
    })
}

const OPTIONS: &str =
    "performance_mode, throughput_mode, provisioned_throughput, lifecycle_policy, backup_policy";

async fn create(client: &Client, name: &str, opts: &[(String, String)], project: &str) -> Outcome {
    if find(client, name).await?.is_some() {
        return Err(Failure::Message(format!("volume {name} already exists")));
    }
    let mut req = client
        .create_file_system()
        // The creation token makes a retried create return the same file system.
        .creation_token(format!("{project}-{name}"))
        .encrypted(true)
        .tags(
            Tag::builder()
                .key("Name")
                .value(name)
                .build()
                .map_err(|e| e.to_string())?,
        )
        .tags(
            Tag::builder()
                .key(PROJECT_TAG)
                .value(project)
                .build()
                .map_err(|e| e.to_string())?,
        )
        .tags(
            Tag::builder()
                .key(VOLUME_TAG)
                .value(name)
                .build()
                .map_err(|e| e.to_string())?,
        );
    let mut lifecycle = None;
    let mut backup = None;
    for (k, v) in opts {
        req = match k.as_str() {
            "performance_mode" => req.performance_mode(PerformanceMode::from(v.as_str())),
            "throughput_mode" => req.throughput_mode(ThroughputMode::from(v.as_str())),
            "provisioned_throughput" => {
                let mibps: f64 = v.parse().map_err(|_| {
                    format!("provisioned_throughput must be a number of MiB/s, not {v:?}")
                })?;
                req.provisioned_throughput_in_mibps(mibps)
            }
            "lifecycle_policy" => {
                lifecycle = Some(v.clone());
                req
            }
            "backup_policy" => {
                backup = Some(v.clone());
                req
            }
            other => {
                return Err(Failure::Message(format!(
                    "unknown volume option {other:?}: the options are {OPTIONS}"
                )));
            }
        };
    }
    let fs = req
        .send()
        .await
        .map_err(|e| aws::message(&format!("creating volume {name}"), e))?;
    let id = fs.file_system_id().to_string();
    if let Some(rule) = lifecycle {
        client
            .put_lifecycle_configuration()
            .file_system_id(&id)
            .lifecycle_policies(
                LifecyclePolicy::builder()
                    .transition_to_ia(TransitionToIaRules::from(rule.as_str()))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| aws::message(&format!("setting the lifecycle policy of {name}"), e))?;
    }
    if let Some(status) = backup {
        client
            .put_backup_policy()
            .file_system_id(&id)
            .backup_policy(
                BackupPolicy::builder()
                    .status(Status::from(status.as_str()))
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .send()
            .await
            .map_err(|e| aws::message(&format!("setting the backup policy of {name}"), e))?;
    }
    println!("{id}");
    Ok(())
}

fn tag<'a>(fs: &'a FileSystemDescription, key: &str) -> &'a str {
    fs.tags()
        .iter()
        .find(|t| t.key() == key)
        .map(|t| t.value())
        .unwrap_or("")
}

/// File systems that are docker-ecs volumes (they carry the volume tag).
async fn volumes(client: &Client) -> Result<Vec<FileSystemDescription>, Failure> {
    let mut out = Vec::new();
    let mut pages = client.describe_file_systems().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws::message("listing EFS file systems", e))?;
        out.extend(
            page.file_systems()
                .iter()
                .filter(|fs| !tag(fs, VOLUME_TAG).is_empty())
                .cloned(),
        );
    }
    out.sort_by(|a, b| tag(a, "Name").cmp(tag(b, "Name")));
    Ok(out)
}

/// A volume by file system ID or name; `None` when there is none.
async fn find(client: &Client, name: &str) -> Result<Option<FileSystemDescription>, Failure> {
    Ok(volumes(client)
        .await?
        .into_iter()
        .find(|fs| fs.file_system_id() == name || tag(fs, "Name") == name))
}

async fn found(client: &Client, name: &str) -> Result<FileSystemDescription, Failure> {
    find(client, name)
        .await?
        .ok_or_else(|| Failure::Message(format!("no such volume: {name}")))
}

fn describe(fs: &FileSystemDescription) -> serde_json::Value {
    let tags: serde_json::Map<String, serde_json::Value> = fs
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().into()))
        .collect();
    serde_json::json!({
        "ID": fs.file_system_id(),
        "Name": tag(fs, "Name"),
        "Project": tag(fs, PROJECT_TAG),
        "State": fs.life_cycle_state().as_str(),
        "SizeInBytes": fs.size_in_bytes().map(|s| s.value()).unwrap_or_default(),
        "PerformanceMode": fs.performance_mode().as_str(),
        "ThroughputMode": fs.throughput_mode().map(|t| t.as_str()).unwrap_or_default(),
        "Encrypted": fs.encrypted().unwrap_or(false),
        "MountTargets": fs.number_of_mount_targets(),
        "CreationTime": fs.creation_time().fmt(aws_sdk_efs::primitives::DateTimeFormat::DateTime).unwrap_or_default(),
        "Tags": tags,
    })
}

async fn ls(client: &Client, format: ListFormat, quiet: bool) -> Outcome {
    let all = volumes(client).await?;
    if quiet {
        for fs in &all {
            println!("{}", tag(fs, "Name"));
        }
        return Ok(());
    }
    match format {
        ListFormat::Json => {
            let rows: Vec<serde_json::Value> = all.iter().map(describe).collect();
            println!("{}", serde_json::Value::Array(rows));
        }
        ListFormat::Table => {
            let mut t = super::plain_table(&["ID", "NAME", "PROJECT", "STATE", "SIZE"]);
            for fs in &all {
                t.add_row(vec![
                    fs.file_system_id().to_string(),
                    tag(fs, "Name").to_string(),
                    tag(fs, PROJECT_TAG).to_string(),
                    fs.life_cycle_state().as_str().to_string(),
                    fs.size_in_bytes()
                        .map(|s| s.value().to_string())
                        .unwrap_or_default(),
                ]);
            }
            print!("{}", super::table_text(&t));
        }
    }
    Ok(())
}

async fn inspect(client: &Client, names: &[String]) -> Outcome {
    let mut out = Vec::new();
    for name in names {
        out.push(describe(&found(client, name).await?));
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("volumes serialize")
    );
    Ok(())
}

async fn rm(client: &Client, names: &[String]) -> Outcome {
    for name in names {
        let fs = found(client, name).await?;
        if fs.number_of_mount_targets() > 0 {
            return Err(Failure::Message(format!(
                "volume {name} ({}) has {} mount target(s): a deployed project uses it; run `docker ecs down` first",
                fs.file_system_id(),
                fs.number_of_mount_targets()
            )));
        }
        client
            .delete_file_system()
            .file_system_id(fs.file_system_id())
            .send()
            .await
            .map_err(|e| aws::message(&format!("deleting volume {name}"), e))?;
        println!("{name}");
    }
    Ok(())
}
