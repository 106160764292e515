//! `up`: deploy the project as one CloudFormation stack (with child stacks
//! when it is split) and wait for it.

use super::{Failure, Outcome};
use crate::aws::{self, Aws};
use crate::cli::{AwsArgs, ProjectArgs, UpArgs};
use crate::deploy::{self, ChangeSet, Plan, load_balancer, network, secrets, upload};
use crate::progress::{self, Display, Mode};
use crate::stack;
use aws_sdk_cloudformation::types::ChangeSetType;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn run(project_args: &ProjectArgs, aws_args: &AwsArgs, args: &UpArgs) -> Outcome {
    let mut loaded = super::load_project(project_args)?;
    let options = ecs::Options {
        strict: args.strict,
        launch_type: args.launch_type.map(Into::into),
        params: crate::ecs_params::apply(&mut loaded, args.ecs_params.as_deref())?,
        nested: args.nested_stacks,
        placement: None,
    };
    // Convert once before any AWS call: a project ECS cannot run stops
    // here, offline, with every error (warnings come with the conversion
    // of the pinned images).
    ecs::convert(&loaded.project, &loaded.positions, &options).map_err(Failure::Many)?;
    let project = loaded.project.name.clone();
    let started: Arc<Mutex<Option<String>>> = Arc::default();
    let rt = aws::runtime();
    rt.block_on(async {
        let work = up(&mut loaded, aws_args, args, &options, started.clone());
        tokio::select! {
            r = work => r,
            code = super::interrupted() => Err(detached(&project, started.lock().ok().and_then(|s| s.clone()), code)),
        }
    })
}

/// Containers whose image differs between two templates: (container,
/// deployed image, new image). A container name that several task
/// definitions use (a sidecar) is told apart by its task definition.
fn image_changes(
    deployed: &serde_json::Value,
    new: &serde_json::Value,
) -> Vec<(String, String, String)> {
    // (container, task definition) → image
    let images = |t: &serde_json::Value| -> BTreeMap<(String, String), String> {
        let mut out = BTreeMap::new();
        for (id, r) in t["Resources"].as_object().into_iter().flatten() {
            if r["Type"] != "AWS::ECS::TaskDefinition" {
                continue;
            }
            for c in r["Properties"]["ContainerDefinitions"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let (Some(name), Some(image)) = (c["Name"].as_str(), c["Image"].as_str()) {
                    out.insert((name.to_string(), id.clone()), image.to_string());
                }
            }
        }
        out
    };
    let before = images(deployed);
    let now = images(new);
    let shared = |name: &str| now.keys().filter(|(n, _)| n == name).count() > 1;
    now.iter()
        .filter_map(|(key, image)| match before.get(key) {
            Some(old) if old != image => {
                let (name, task) = key;
                let label = match shared(name) {
                    true => format!("{name} ({task})"),
                    false => name.clone(),
                };
                Some((label, old.clone(), image.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Image changes inside the child stacks of a nested project. A child
/// whose template file is the deployed one has not changed; the others'
/// deployed templates are still in the bucket (pruned only after success).
async fn child_image_changes(
    aws: &Aws,
    bucket: &str,
    deployed_root: &serde_json::Value,
    split: &ecs::nested::Split,
) -> Vec<(String, String, String)> {
    use futures_util::stream::{self, StreamExt};
    let resources = deployed_root["Resources"].as_object();
    let was_single = !resources
        .into_iter()
        .flatten()
        .any(|(_, r)| r["Type"] == "AWS::CloudFormation::Stack");
    // Moving into child stacks: the deployed task definitions are all in
    // the one template.
    if was_single {
        let mut all: Vec<_> = split
            .children
            .iter()
            .flat_map(|c| image_changes(deployed_root, &c.value()))
            .collect();
        all.sort();
        return all;
    }
    let changed = split.children.iter().filter_map(|c| {
        let url =
            deployed_root["Resources"][&c.id]["Properties"]["TemplateURL"]["Fn::Sub"].as_str()?;
        let file = url.rsplit('/').next()?;
        (file != c.file).then(|| (c, file.to_string()))
    });
    let found: Vec<Vec<(String, String, String)>> = stream::iter(changed)
        .map(|(c, file)| async move {
            let Some(text) = deploy::bucket::get(aws, bucket, &file).await else {
                return vec![];
            };
            match serde_json::from_str(&text) {
                Ok(old) => image_changes(&old, &c.value()),
                Err(_) => vec![],
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut all: Vec<_> = found.into_iter().flatten().collect();
    all.sort();
    all
}

/// Pin every image to its digest (unless told not to), so that a re-pushed
/// tag rolls out; the conversion that follows sees the pinned images.
async fn pin_images(
    aws: &Aws,
    aws_args: &AwsArgs,
    loaded: &mut compose::Loaded,
    args: &UpArgs,
) -> Result<(), Failure> {
    if args.no_resolve_image_digests {
        crate::report::warning(
            "images are deployed by tag (--no-resolve-image-digests): a re-pushed tag will not roll out",
        );
        return Ok(());
    }
    let config = crate::context::config_dir(aws_args.docker_config.as_deref());
    let pins = crate::images::resolve(&loaded.project, Some(aws), &config).await?;
    crate::images::pin(&mut loaded.project, &pins);
    Ok(())
}

/// Ctrl-C or SIGTERM never deletes anything: the stack keeps deploying.
fn detached(project: &str, stack: Option<String>, code: u8) -> Failure {
    match stack {
        Some(stack) => Failure::Interrupted(
            format!(
                "detached: stack {stack} keeps deploying. Follow it again with `docker ecs up`, look with `docker ecs ps`, or remove project {project} with `docker ecs down`"
            ),
            code,
        ),
        None => Failure::Interrupted(
            "interrupted before deploying: nothing was changed".into(),
            code,
        ),
    }
}

async fn up(
    loaded: &mut compose::Loaded,
    aws_args: &AwsArgs,
    args: &UpArgs,
    options: &ecs::Options,
    started: Arc<Mutex<Option<String>>>,
) -> Outcome {
    let project = loaded.project.name.clone();
    let stack_name = ecs::names::stack_name(&project);
    let mut display = Display::new(args.progress);
    let aws = Aws::connect(aws_args).await?;
    let account = aws.caller_account().await?;
    pin_images(&aws, aws_args, loaded, args).await?;
    let cfn = aws.cloudformation();
    let mut existing = stack::describe(&cfn, &stack_name).await?;
    // A project deployed as nested stacks stays so, every service in the
    // child stack it has (a move would replace it).
    let placement = match &existing {
        Some(_) => ecs::nested::placement_of(&stack::template(&cfn, &stack_name).await?),
        None => None,
    };
    let was_single = placement.is_none();
    let options = ecs::Options {
        placement,
        ..options.clone()
    };
    let conversion = super::convert::conversion(loaded, &options)?;
    let template = conversion.value();
    let body = ecs::cfn::to_body(&template);
    // CloudFormation's limits apply to exactly these bodies.
    let broken = conversion.broken_limits();
    if !broken.is_empty() {
        return Err(super::convert::too_large(&broken));
    }
    let conversion = &conversion;
    let loaded = &*loaded;
    let timeout = args.wait_timeout.map(Duration::from_secs);
    display.note(&format!(
        "Project {project} → stack {stack_name} (account {account}, {})",
        aws.region
    ));

    // An operation already under way: follow it first (this is also how a
    // detached `up` is picked up again).
    if let Some(s) = &existing {
        if let Some(owner) = stack::project_of(s)
            && owner != project
        {
            return Err(Failure::Message(format!(
                "stack {stack_name} belongs to Compose project {owner}, not {project}: choose another project name with -p"
            )));
        }
        let status = stack::status(s).to_string();
        if !stack::is_settled(&status) && status != "REVIEW_IN_PROGRESS" {
            display.note(&format!(
                "Stack {stack_name} is {status}; following it until it settles (Ctrl-C detaches)"
            ));
            *started.lock().expect("lock") = Some(stack_name.clone());
            let id = s.stack_id().unwrap_or(&stack_name).to_string();
            let after = progress::latest_event(&cfn, &id).await?;
            // How the earlier operation ended does not matter (a rolled back
            // update can be updated again); only running out of time does.
            if let progress::Waited::TimedOut(status) =
                progress::watch(&cfn, &id, after, &mut display, timeout).await?
            {
                return Err(deploy::timed_out(&status));
            }
            existing = stack::describe(&cfn, &stack_name).await?;
        }
    }
    // A stack whose creation failed holds nothing but its events; it cannot
    // be updated, only replaced.
    if let Some(s) = &existing {
        let status = stack::status(s);
        if matches!(status, "ROLLBACK_COMPLETE" | "REVIEW_IN_PROGRESS") {
            if args.dry_run {
                // A change set cannot be made against this stack without
                // replacing it first, and a dry run changes nothing: every
                // resource of the template would be added.
                display.note(&format!(
                    "Stack {stack_name} is {status} (never deployed); it would be replaced"
                ));
                let changes: Vec<deploy::Change> = template["Resources"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(id, r)| deploy::Change {
                        action: "Add".into(),
                        logical_id: id.clone(),
                        resource_type: r["Type"].as_str().unwrap_or_default().to_string(),
                        replacement: false,
                        nested_change_set: None,
                    })
                    .collect();
                print_changes(&stack_name, true, &changes, &BTreeMap::new());
                println!("Dry run: nothing was changed");
                return Ok(());
            } else {
                display.note(&format!(
                    "Stack {stack_name} is {status} (its creation never completed); replacing it"
                ));
                let id = s.stack_id().unwrap_or(&stack_name).to_string();
                let after = progress::latest_event(&cfn, &id).await?;
                cfn.delete_stack()
                    .stack_name(&id)
                    .send()
                    .await
                    .map_err(|e| aws::message(&format!("removing stack {stack_name}"), e))?;
                deploy::follow(
                    &aws,
                    &id,
                    after,
                    &mut display,
                    timeout,
                    "removing the failed stack",
                )
                .await?;
            }
            existing = None;
        } else if matches!(
            status,
            "DELETE_FAILED" | "UPDATE_ROLLBACK_FAILED" | "ROLLBACK_FAILED"
        ) {
            return Err(Failure::Message(format!(
                "stack {stack_name} is {status} and cannot be updated: fix it in the CloudFormation console (continue the rollback), or run `docker ecs down`"
            )));
        }
    }

    // Parameters: network, secrets, retained file systems.
    let declared = template["Parameters"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let default_of = |k: &str| {
        declared
            .get(k)
            .and_then(|p| p["Default"].as_str())
            .map(str::to_string)
    };
    let defaults = |prefix: &str| -> Vec<Option<String>> {
        (1..)
            .map(|i| format!("{prefix}{i}"))
            .take_while(|k| declared.contains_key(k))
            .map(|k| default_of(&k))
            .collect()
    };
    let deployed: BTreeMap<String, String> = existing.iter().flat_map(stack::parameters).collect();
    let given = |prefix: &str| given_subnets(&defaults(prefix), prefix, &deployed);
    let net = network::resolve(
        &aws.ec2(),
        default_of("VpcId").as_deref(),
        &conversion.network,
        &given("Subnet"),
        &given("LoadBalancerSubnet"),
    )
    .await?;
    let mut values = BTreeMap::new();
    let bucket_name = ecs::names::template_bucket(&account, &aws.region, &project);
    if let Some(split) = &conversion.nested {
        values.insert(
            ecs::nested::TEMPLATES_URL.to_string(),
            deploy::bucket::url(&aws, &bucket_name),
        );
        if was_single && existing.is_some() {
            crate::report::warning(&format!(
                "the project no longer fits in one stack: its services move into {} child stacks, which replaces them (new tasks, new target groups)",
                split.children.len()
            ));
        }
    }
    values.insert("VpcId".to_string(), net.vpc.clone());
    for (prefix, ids) in [
        ("Subnet", &net.tasks),
        ("LoadBalancerSubnet", &net.load_balancer),
    ] {
        for (i, id) in ids.iter().enumerate() {
            values.insert(format!("{prefix}{}", i + 1), id.clone());
        }
    }
    if declared.contains_key(ecs::convert::ASSIGN_PUBLIC_IP) {
        let ip = if net.public_ip { "ENABLED" } else { "DISABLED" };
        values.insert(ecs::convert::ASSIGN_PUBLIC_IP.to_string(), ip.to_string());
    }
    if let Some(wanted) = &conversion.existing_load_balancer {
        let found = load_balancer::resolve(&aws, wanted).await?;
        values.insert("LoadBalancerArn".to_string(), found.arn);
        values.insert(
            "LoadBalancerSecurityGroup".to_string(),
            found.security_group,
        );
    }
    let stored = secrets::push(
        &aws,
        &project,
        &conversion.secret_parameters,
        &loaded.environment,
        args.dry_run,
        &account,
    )
    .await?;
    for s in &stored {
        display.note(&format!("Secret {}: {}", s.name, s.action));
        values.insert(s.parameter.clone(), s.arn.clone());
    }
    // Keep what the stack has (its own resource, or the one it re-attached):
    // looking a retained one up again would detach the stack's own.
    let deployed_value = |key: &str| {
        existing.as_ref().and_then(|s| {
            s.parameters()
                .iter()
                .find(|p| p.parameter_key() == Some(key))
                .map(|p| p.parameter_value().unwrap_or("").to_string())
        })
    };
    if declared.contains_key(ecs::convert::EXISTING_LOG_GROUP) {
        let value = match deployed_value(ecs::convert::EXISTING_LOG_GROUP) {
            Some(v) => v,
            None => retained_log_group(&aws, &project).await?,
        };
        if !value.is_empty() && existing.is_none() {
            display.note(&format!("Logs: re-attaching log group {value}"));
        }
        values.insert(ecs::convert::EXISTING_LOG_GROUP.to_string(), value);
    }
    for fs in &conversion.filesystem_parameters {
        let value = match deployed_value(&fs.parameter) {
            Some(v) => v,
            None => retained_filesystem(&aws, &project, &fs.volume).await?,
        };
        if !value.is_empty() && existing.is_none() {
            display.note(&format!(
                "Volume {}: re-attaching EFS file system {value}",
                fs.volume
            ));
        }
        values.insert(fs.parameter.clone(), value);
    }
    for (k, p) in &declared {
        if !values.contains_key(k) && p.get("Default").is_none() {
            return Err(Failure::Message(format!(
                "template parameter {k} has no value: give it a Default in x-aws-cloudformation"
            )));
        }
    }
    let plan = Plan {
        project: project.clone(),
        stack: stack_name.clone(),
        template,
        body,
        parameters: values,
        nested: conversion.nested.is_some(),
    };

    if let Some(s) = &existing {
        let deployed = stack::template(&cfn, &stack_name).await?;
        // What a re-pushed tag changes is easy to miss in a change set.
        let mut changes = image_changes(&deployed, &plan.template);
        if let Some(split) = &conversion.nested {
            changes.extend(child_image_changes(&aws, &bucket_name, &deployed, split).await);
        }
        for (container, old, new) in changes {
            display.note(&format!("Image of {container}: {old} → {new}"));
        }
        if deploy::up_to_date(&deployed, s, &plan) {
            println!("Stack {stack_name} is up to date");
            // Tasks read secrets when they start: a new value needs new tasks.
            if !args.dry_run && stored.iter().any(|s| s.action == "updated") {
                restart_services(&aws, &stack_name).await?;
            }
            return Ok(());
        }
    }

    // Children first: the root names them by URL.
    let bucket = match &conversion.nested {
        Some(split) => {
            let bucket = deploy::bucket::ensure(&aws, &bucket_name, &project).await?;
            let files: Vec<(String, String)> = split
                .children
                .iter()
                .map(|c| (c.file.clone(), c.body.clone()))
                .collect();
            display.note(&format!(
                "Nested stacks: {} child templates in S3 bucket {}",
                files.len(),
                bucket.name
            ));
            deploy::bucket::put_all(&aws, &bucket, &files).await?;
            Some(bucket)
        }
        None => None,
    };
    let source = upload::Source::new(
        &aws,
        &stack_name,
        &account,
        plan.body.clone(),
        bucket.as_ref(),
    )
    .await?;
    let result = apply(
        &aws,
        &plan,
        &source,
        existing.as_ref(),
        &mut display,
        args,
        timeout,
        &started,
    )
    .await;
    source.clean_up(&aws).await;
    // Once deployed, only the templates the stack names are kept.
    if let (Ok(()), Some(bucket), Some(split)) = (&result, &bucket, &conversion.nested)
        && !args.dry_run
        && !args.detach
    {
        let root_key = source
            .url()
            .and_then(|u| u.rsplit('/').next().map(str::to_string));
        let mut keep: Vec<&str> = split.children.iter().map(|c| c.file.as_str()).collect();
        keep.extend(root_key.as_deref());
        deploy::bucket::prune(&aws, bucket, &keep).await;
    }
    result
}

/// The subnets of `prefix`1..N the template names (the Compose file's) and
/// those the deployed stack runs in: an update keeps those unless the
/// Compose file names others, because EFS allows one mount target per zone
/// and moving tasks is a replacement.
fn given_subnets(
    defaults: &[Option<String>],
    prefix: &str,
    deployed: &BTreeMap<String, String>,
) -> network::Given {
    let all = |v: Vec<Option<String>>| v.into_iter().collect::<Option<Vec<String>>>();
    let named = all(defaults.to_vec()).filter(|v| !v.is_empty());
    let deployed: Vec<Option<String>> = (1..=defaults.len())
        .map(|i| {
            deployed
                .get(&format!("{prefix}{i}"))
                .filter(|v| !v.is_empty())
                .cloned()
        })
        .collect();
    network::Given {
        named,
        deployed: all(deployed).filter(|v| !v.is_empty()),
        count: defaults.len(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn apply(
    aws: &Aws,
    plan: &Plan,
    source: &upload::Source,
    existing: Option<&aws_sdk_cloudformation::types::Stack>,
    display: &mut Display,
    args: &UpArgs,
    timeout: Option<Duration>,
    started: &Arc<Mutex<Option<String>>>,
) -> Outcome {
    let cfn = aws.cloudformation();
    let stack_name = &plan.stack;
    if args.dry_run {
        let kind = if existing.is_some() {
            ChangeSetType::Update
        } else {
            ChangeSetType::Create
        };
        let set = deploy::change_set(&cfn, plan, source, kind).await?;
        match set {
            ChangeSet::Empty => println!("Stack {stack_name} is up to date"),
            ChangeSet::Ready { id, changes } => {
                // Each child stack's own changes (IncludeNestedStacks).
                let mut nested = BTreeMap::new();
                for c in &changes {
                    if let Some(set) = &c.nested_change_set {
                        let (_, _, inner) = deploy::describe_changes(&cfn, set).await?;
                        nested.insert(c.logical_id.clone(), inner);
                    }
                }
                print_changes(stack_name, existing.is_none(), &changes, &nested);
                let _ = cfn.delete_change_set().change_set_name(&id).send().await;
            }
        }
        // A CREATE change set leaves an empty stack behind; remove it.
        if existing.is_none() {
            let _ = cfn.delete_stack().stack_name(stack_name).send().await;
        }
        println!("Dry run: nothing was changed");
        return Ok(());
    }

    let (id, after, verb) = match existing {
        None => {
            display.note(&format!("Creating stack {stack_name}"));
            *started.lock().expect("lock") = Some(stack_name.clone());
            let id = deploy::create(&cfn, plan, source).await?;
            (id, None, "creating")
        }
        Some(s) => {
            let id = s.stack_id().unwrap_or(stack_name).to_string();
            let set = deploy::change_set(&cfn, plan, source, ChangeSetType::Update).await?;
            let ChangeSet::Ready {
                id: set_id,
                changes,
            } = set
            else {
                println!("Stack {stack_name} is up to date");
                return Ok(());
            };
            display.note(&format!(
                "Updating stack {stack_name}: {} change(s)",
                changes.len()
            ));
            let after = progress::latest_event(&cfn, &id).await?;
            *started.lock().expect("lock") = Some(stack_name.clone());
            cfn.execute_change_set()
                .change_set_name(&set_id)
                .client_request_token(deploy::token("update", stack_name))
                .send()
                .await
                .map_err(|e| aws::message(&format!("updating stack {stack_name}"), e))?;
            (id, after, "updating")
        }
    };
    if args.detach {
        println!("Stack {stack_name}: deployment started; follow it with `docker ecs up`");
        return Ok(());
    }
    let status = deploy::follow(aws, &id, after, display, timeout, verb).await?;
    if display.mode() == Mode::Quiet {
        return Ok(());
    }
    println!("Stack {stack_name} {status}");
    if let Some(dns) = load_balancer_dns(aws, stack_name).await {
        println!("Load balancer: {dns}");
    }
    Ok(())
}

/// Roll every ECS service of the stack onto new tasks.
async fn restart_services(aws: &Aws, stack_name: &str) -> Outcome {
    let Some(deployed) = stack::deployed(aws, stack_name).await? else {
        return Ok(());
    };
    let (cluster, services) = stack::cluster_and_services(&deployed.resources);
    let (Some(cluster), false) = (cluster, services.is_empty()) else {
        return Ok(());
    };
    let ecs = aws.ecs();
    for service in &services {
        ecs.update_service()
            .cluster(&cluster)
            .service(service)
            .force_new_deployment(true)
            .send()
            .await
            .map_err(|e| aws::message("restarting a service for its new secret", e))?;
    }
    println!(
        "A secret changed: started new tasks for {} service(s) so that they read it",
        services.len()
    );
    Ok(())
}

/// The LB's DNS name, from the stack outputs.
async fn load_balancer_dns(aws: &Aws, stack: &str) -> Option<String> {
    let s = stack::describe(&aws.cloudformation(), stack).await.ok()??;
    stack::output(&s, "LoadBalancerDNS").map(str::to_string)
}

fn print_changes(
    stack: &str,
    create: bool,
    changes: &[deploy::Change],
    nested: &BTreeMap<String, Vec<deploy::Change>>,
) {
    println!(
        "Would {} stack {stack}:",
        if create { "create" } else { "update" }
    );
    let mut counts = BTreeMap::<String, usize>::new();
    let mut line = |c: &deploy::Change, indent: &str| {
        let action = match (c.action.as_str(), c.replacement) {
            ("Modify", true) => "Replace",
            (a, _) => a,
        };
        *counts.entry(action.to_string()).or_default() += 1;
        println!(
            "{indent}{action:<8} {:<40} {}",
            c.logical_id, c.resource_type
        );
    };
    for c in changes {
        line(c, "  ");
        for inner in nested.get(&c.logical_id).into_iter().flatten() {
            line(inner, "      ");
        }
    }
    let summary: Vec<String> = ["Add", "Modify", "Replace", "Remove"]
        .iter()
        .map(|a| {
            format!(
                "{} to {}",
                counts.get(*a).copied().unwrap_or(0),
                a.to_lowercase()
            )
        })
        .collect();
    println!("{}", summary.join(", "));
}

/// The log group a previous deployment of this project retained, or "".
async fn retained_log_group(aws: &Aws, project: &str) -> Result<String, Failure> {
    let name = format!("/docker-compose/{project}");
    let mut pages = aws
        .logs()
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws::message("looking for the project's log group", e))?;
        if page
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(name.as_str()))
        {
            return Ok(name);
        }
    }
    Ok(String::new())
}

/// An EFS file system a previous deployment of this project retained for
/// a volume (found by its tags), or "" to create one.
async fn retained_filesystem(aws: &Aws, project: &str, volume: &str) -> Result<String, Failure> {
    let efs = aws.efs();
    let mut pages = efs.describe_file_systems().into_paginator().send();
    let mut found: Vec<(i64, String)> = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws::message("listing EFS file systems", e))?;
        for fs in page.file_systems() {
            let tag = |k: &str| {
                fs.tags()
                    .iter()
                    .find(|t| t.key() == k)
                    .map(|t| t.value().to_string())
            };
            if tag(ecs::convert::PROJECT_TAG).as_deref() == Some(project)
                && tag(ecs::convert::VOLUME_TAG).as_deref() == Some(volume)
            {
                found.push((fs.creation_time().secs(), fs.file_system_id().to_string()));
            }
        }
    }
    found.sort();
    if found.len() > 1 {
        crate::report::warning(&format!(
            "volume {volume}: {} retained EFS file systems found; re-attaching the newest, {}",
            found.len(),
            found.last().map(|f| f.1.as_str()).unwrap_or("")
        ));
    }
    Ok(found.pop().map(|f| f.1).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployed(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A template of task definitions: (logical ID, [(container, image)]).
    fn task_definitions(defs: &[(&str, &[(&str, &str)])]) -> serde_json::Value {
        let mut resources = serde_json::Map::new();
        for (id, containers) in defs {
            let containers: Vec<serde_json::Value> = containers
                .iter()
                .map(|(n, i)| serde_json::json!({"Name": n, "Image": i}))
                .collect();
            resources.insert(
                id.to_string(),
                serde_json::json!({"Type": "AWS::ECS::TaskDefinition",
                    "Properties": {"ContainerDefinitions": containers}}),
            );
        }
        serde_json::json!({ "Resources": resources })
    }

    #[test]
    fn image_changes_name_each_container_and_tell_shared_names_apart() {
        let before = task_definitions(&[
            (
                "ApiTaskDefinition",
                &[("api", "api:1"), ("proxy", "envoy:1")],
            ),
            (
                "WebTaskDefinition",
                &[("web", "web:1"), ("proxy", "envoy:1")],
            ),
        ]);
        let after = task_definitions(&[
            (
                "ApiTaskDefinition",
                &[("api", "api:2"), ("proxy", "envoy:1")],
            ),
            (
                "WebTaskDefinition",
                &[("web", "web:1"), ("proxy", "envoy:2")],
            ),
            ("NewTaskDefinition", &[("new", "new:1")]),
        ]);
        let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(
            image_changes(&before, &after),
            vec![
                s("api", "api:1", "api:2"),
                s("proxy (WebTaskDefinition)", "envoy:1", "envoy:2"),
            ]
        );
        assert!(image_changes(&after, &after).is_empty());
    }

    #[test]
    fn the_file_names_subnets_and_the_deployed_stack_keeps_its_own() {
        let unnamed = [None, None];
        let stack = deployed(&[("Subnet1", "subnet-old1"), ("Subnet2", "subnet-old2")]);
        let given = given_subnets(&unnamed, "Subnet", &stack);
        assert_eq!(given.named, None);
        assert_eq!(given.deployed.unwrap(), ["subnet-old1", "subnet-old2"]);
        assert_eq!(given.count, 2);

        let named = [Some("subnet-a".to_string()), Some("subnet-b".to_string())];
        let given = given_subnets(&named, "Subnet", &stack);
        assert_eq!(given.named.unwrap(), ["subnet-a", "subnet-b"]);

        // A stack that had only part of them (or none) keeps nothing.
        let partial = deployed(&[("Subnet1", "subnet-old1"), ("Subnet2", "")]);
        assert_eq!(given_subnets(&unnamed, "Subnet", &partial).deployed, None);
        assert_eq!(
            given_subnets(&[], "LoadBalancerSubnet", &stack).deployed,
            None
        );
    }
}
