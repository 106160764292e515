//! `exec`: a command in a running task, through ECS Exec. ECS opens the
//! session (`ExecuteCommand`) and AWS's `session-manager-plugin` carries it,
//! called exactly as the AWS CLI calls it.

use super::{Failure, Outcome};
use crate::aws::{self, Aws};
use crate::cli::{AwsArgs, ExecArgs, ProjectArgs};
use crate::stack::{self, Deployed};
use std::path::PathBuf;

const PLUGIN: &str = "session-manager-plugin";
/// The plugin reads the session (and its token) from the environment
/// variable named here, so that no secret is on a command line.
const SESSION_VARIABLE: &str = "AWS_SSM_START_SESSION_RESPONSE";
const INSTALL_HINT: &str = "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html";

pub fn run(project_args: &ProjectArgs, aws_args: &AwsArgs, args: &ExecArgs) -> Outcome {
    let project = super::project_name(project_args)?;
    let code = aws::runtime().block_on(exec(&project, aws_args, args))?;
    if code == 0 {
        Ok(())
    } else {
        Err(Failure::Exit(code))
    }
}

/// Where the session goes: the task and its container.
struct Target {
    cluster: String,
    task_arn: String,
    container: String,
    runtime_id: String,
}

async fn exec(project: &str, aws_args: &AwsArgs, args: &ExecArgs) -> Result<u8, Failure> {
    // Before anything is opened: a session the plugin never takes up
    // lingers until it times out.
    let plugin = find_plugin().ok_or_else(|| {
        Failure::Message(format!(
            "{PLUGIN} is not installed (or not on PATH); docker ecs exec hands the session to it. Install it: {INSTALL_HINT}"
        ))
    })?;
    if args.index == 0 {
        return Err("--index counts from 1".into());
    }
    let aws = Aws::connect(aws_args).await?;
    let d = stack::require_deployed(&aws, project).await?;
    let target = target(&aws, &d, args).await?;
    let command = if args.command.is_empty() {
        "sh".to_string()
    } else {
        shell_words(&args.command)
    };
    let session = aws
        .ecs()
        .execute_command()
        .cluster(&target.cluster)
        .task(&target.task_arn)
        .container(&target.container)
        .command(&command)
        // ECS runs every command in an interactive session.
        .interactive(true)
        .send()
        .await
        .map_err(|e| aws::message("opening an ECS Exec session", e))?;
    let s = session
        .session()
        .ok_or("ECS answered ExecuteCommand without a session")?;
    let response = serde_json::json!({
        "SessionId": s.session_id().unwrap_or_default(),
        "StreamUrl": s.stream_url().unwrap_or_default(),
        "TokenValue": s.token_value().unwrap_or_default(),
    });
    let task_id = target.task_arn.rsplit('/').next().unwrap_or_default();
    let cluster = target.cluster.rsplit('/').next().unwrap_or_default();
    let parameters = serde_json::json!({
        "Target": format!("ecs:{cluster}_{task_id}_{}", target.runtime_id),
    });
    let endpoint = aws
        .config
        .endpoint_url()
        .map(str::to_string)
        .unwrap_or_else(|| format!("https://ecs.{}.amazonaws.com", aws.region));
    let profile = aws::with_context(aws_args)?
        .aws_profile
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_default();
    let mut child = std::process::Command::new(plugin)
        .args([SESSION_VARIABLE, &aws.region, "StartSession", &profile])
        .arg(parameters.to_string())
        .arg(endpoint)
        .env(SESSION_VARIABLE, response.to_string())
        .spawn()
        .map_err(|e| format!("cannot start {PLUGIN}: {e}"))?;
    // Ctrl-C belongs to the remote command while the session lasts: the
    // plugin gets it from the terminal, and we keep running to report.
    let status = tokio::task::spawn_blocking(move || child.wait());
    tokio::pin!(status);
    let status = loop {
        tokio::select! {
            s = &mut status => break s,
            _ = tokio::signal::ctrl_c() => continue,
        }
    };
    let status = status
        .map_err(|e| format!("waiting for {PLUGIN}: {e}"))?
        .map_err(|e| format!("waiting for {PLUGIN}: {e}"))?;
    Ok(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)))
}

/// The service's task at `--index` (numbered as `ps` numbers them), after
/// checking that the service and the task allow ECS Exec.
async fn target(aws: &Aws, d: &Deployed, args: &ExecArgs) -> Result<Target, Failure> {
    let services = super::ps::services(d);
    // A sidecar runs in the tasks of the service whose task it joined.
    let owner = task_owner(d, &args.service).unwrap_or_else(|| args.service.clone());
    let Some(service) = services.iter().find(|s| s.compose == owner) else {
        let names: Vec<&str> = services.iter().map(|s| s.compose.as_str()).collect();
        return Err(Failure::Message(format!(
            "no such service: {} (the project has {})",
            args.service,
            names.join(", ")
        )));
    };
    if !service.exec_enabled {
        return Err(Failure::Message(format!(
            "ECS Exec is off for service {owner}: set `x-aws-enable_exec: true` on it (or at the top level of the Compose file) and run `docker ecs up`"
        )));
    }
    let cluster = d.cluster().ok_or("the stack has no ECS cluster")?;
    let arn = service
        .arn
        .as_deref()
        .ok_or("the service has not been created")?;
    let ecs_name = arn.rsplit('/').next().unwrap_or_default();
    let tasks = super::ps::running_tasks(aws, &cluster, ecs_name).await?;
    let Some(task) = tasks.get(args.index - 1) else {
        return Err(Failure::Message(format!(
            "service {} has {} running task(s): no task {} (see `docker ecs ps {}`)",
            args.service,
            tasks.len(),
            args.index,
            args.service
        )));
    };
    let task_arn = task.task_arn().unwrap_or_default().to_string();
    if !task.enable_execute_command() {
        return Err(Failure::Message(format!(
            "task {0} started before ECS Exec was turned on: stop it (aws ecs stop-task --cluster {1} --task {0}) and the service starts one that allows it",
            task_arn.rsplit('/').next().unwrap_or_default(),
            cluster
        )));
    }
    let container = task
        .containers()
        .iter()
        .find(|c| c.name() == Some(args.service.as_str()))
        .ok_or_else(|| format!("task {task_arn} has no container {}", args.service))?;
    if let Some(agent) = container.managed_agents().iter().find(|a| {
        a.name()
            .is_some_and(|n| n.as_str() == "ExecuteCommandAgent")
    }) && agent.last_status() != Some("RUNNING")
    {
        return Err(Failure::Message(format!(
            "the ECS Exec agent of task {task_arn} is {}: {}",
            agent.last_status().unwrap_or("not running"),
            agent
                .reason()
                .unwrap_or("the task may lack the ssmmessages permissions or a way to reach them")
        )));
    }
    Ok(Target {
        cluster,
        task_arn,
        container: args.service.clone(),
        runtime_id: container.runtime_id().unwrap_or_default().to_string(),
    })
}

/// The service whose task definition holds the Compose service's container
/// (itself, or the main service of a sidecar).
fn task_owner(d: &Deployed, service: &str) -> Option<String> {
    d.of_type("AWS::ECS::TaskDefinition").find_map(|(_, td)| {
        let holds = td["Properties"]["ContainerDefinitions"]
            .as_array()?
            .iter()
            .any(|c| c["Name"] == service);
        holds
            .then(|| stack::tag(td, ecs::convert::SERVICE_TAG).map(str::to_string))
            .flatten()
    })
}

/// The plugin on PATH.
fn find_plugin() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(PLUGIN))
        .find(|p| p.is_file())
}

/// One command line from its words, quoted for `sh` where needed.
fn shell_words(words: &[String]) -> String {
    let safe = |w: &str| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b))
    };
    words
        .iter()
        .map(|w| {
            if safe(w) {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_for_the_shell_only_where_needed() {
        let words = ["ls", "-la", "/var/log", "it's here", "", "a;b"].map(String::from);
        assert_eq!(
            shell_words(&words),
            r"ls -la /var/log 'it'\''s here' '' 'a;b'"
        );
    }
}
