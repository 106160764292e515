//! `ps`: the project's services and their tasks.

use super::{Failure, Outcome};
use crate::aws::{self, Aws};
use crate::cli::{AwsArgs, ListFormat, ProjectArgs, PsArgs};
use crate::stack::{self, Deployed};
use aws_sdk_ecs::types::Task;
use serde::Serialize;
use std::collections::BTreeMap;

/// One row of `ps`: a task, or a service without tasks.
#[derive(Debug, Serialize, PartialEq, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct Row {
    pub name: String,
    pub project: String,
    pub service: String,
    #[serde(rename = "TaskID")]
    pub task_id: String,
    pub task_arn: String,
    /// running, pending, stopped, or the service's state without tasks.
    pub state: String,
    pub status: String,
    pub health: String,
    pub desired_count: i32,
    pub running_count: i32,
    pub stopped_reason: String,
    pub publishers: Vec<Publisher>,
}

#[derive(Debug, Serialize, Clone, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Publisher {
    #[serde(rename = "URL")]
    pub url: String,
    pub target_port: i64,
    pub published_port: i64,
    pub protocol: String,
}

impl Publisher {
    fn text(&self) -> String {
        format!(
            "{}:{}->{}/{}",
            self.url, self.published_port, self.target_port, self.protocol
        )
    }
}

pub fn run(project_args: &ProjectArgs, aws_args: &AwsArgs, args: &PsArgs) -> Outcome {
    let project = super::project_name(project_args)?;
    let rows = aws::runtime().block_on(rows(&project, aws_args, args))?;
    if args.quiet {
        for r in rows.iter().filter(|r| !r.task_id.is_empty()) {
            println!("{}", r.task_id);
        }
        return Ok(());
    }
    match args.format {
        ListFormat::Json => println!("{}", serde_json::to_string(&rows).expect("rows serialize")),
        ListFormat::Table => print!("{}", table(&rows)),
    }
    Ok(())
}

pub fn table(rows: &[Row]) -> String {
    let mut t = super::plain_table(&[
        "NAME", "SERVICE", "TASK", "STATUS", "HEALTH", "RUNNING", "PORTS",
    ]);
    for r in rows {
        let ports: Vec<String> = r.publishers.iter().map(Publisher::text).collect();
        t.add_row(vec![
            r.name.clone(),
            r.service.clone(),
            if r.task_id.is_empty() {
                "-".into()
            } else {
                r.task_id.clone()
            },
            r.status.clone(),
            r.health.clone(),
            format!("{}/{}", r.running_count, r.desired_count),
            ports.join(", "),
        ]);
    }
    super::table_text(&t)
}

async fn rows(project: &str, aws_args: &AwsArgs, args: &PsArgs) -> Result<Vec<Row>, Failure> {
    let aws = Aws::connect(aws_args).await?;
    let stack_name = ecs::names::stack_name(project);
    let Some(d) = stack::deployed(&aws, &stack_name).await? else {
        crate::report::warning(&format!(
            "no stack for project {project} in {}: run `docker ecs up` first",
            aws.region
        ));
        return Ok(Vec::new());
    };
    let services = super::select_services(services(&d), &args.services, |s| &s.compose)?;
    let Some(cluster) = d.cluster() else {
        return Ok(Vec::new());
    };
    let dns = load_balancer_dns(&aws, &d).await?;
    let ecs = aws.ecs();

    // Service counts, 10 per call.
    let mut counts: BTreeMap<String, (String, String, i32, i32)> = BTreeMap::new();
    let arns: Vec<String> = services.iter().filter_map(|s| s.arn.clone()).collect();
    for chunk in arns.chunks(10) {
        let out = ecs
            .describe_services()
            .cluster(&cluster)
            .set_services(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws::message("describing the ECS services", e))?;
        for s in out.services() {
            counts.insert(
                s.service_arn().unwrap_or_default().to_string(),
                (
                    s.service_name().unwrap_or_default().to_string(),
                    s.status().unwrap_or_default().to_string(),
                    s.desired_count(),
                    s.running_count(),
                ),
            );
        }
    }

    // Tasks of the whole cluster, grouped by service below: one listing
    // instead of one per service.
    let mut task_arns = Vec::new();
    let mut states = vec![aws_sdk_ecs::types::DesiredStatus::Running];
    if args.all {
        states.push(aws_sdk_ecs::types::DesiredStatus::Stopped);
    }
    for state in states {
        let mut pages = ecs
            .list_tasks()
            .cluster(&cluster)
            .desired_status(state)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws::message("listing ECS tasks", e))?;
            task_arns.extend(page.task_arns().iter().cloned());
        }
    }
    task_arns.sort();
    task_arns.dedup();
    let tasks = describe_tasks(&ecs, &cluster, &task_arns).await?;

    let mut rows = Vec::new();
    for s in services {
        let (ecs_name, service_status, desired, running) = s
            .arn
            .as_ref()
            .and_then(|a| counts.get(a))
            .cloned()
            .unwrap_or_default();
        let publishers: Vec<Publisher> = s
            .ports
            .iter()
            .map(|p| Publisher {
                url: dns.clone().unwrap_or_default(),
                ..p.clone()
            })
            .collect();
        // ECS sets a service's tasks' group to `service:<name>`.
        let group = format!("service:{ecs_name}");
        let mut mine: Vec<_> = tasks
            .iter()
            .filter(|t| !ecs_name.is_empty() && t.group() == Some(group.as_str()))
            .collect();
        mine.sort_by_key(|t| task_order(t));
        let base = Row {
            name: String::new(),
            project: project.to_string(),
            service: s.compose.clone(),
            task_id: String::new(),
            task_arn: String::new(),
            state: service_status.to_lowercase(),
            status: if service_status.is_empty() {
                "MISSING".into()
            } else {
                service_status.clone()
            },
            health: String::new(),
            desired_count: desired,
            running_count: running,
            stopped_reason: String::new(),
            publishers,
        };
        if mine.is_empty() {
            rows.push(Row {
                name: format!("{project}-{}", s.compose),
                ..base
            });
            continue;
        }
        for (i, t) in mine.iter().enumerate() {
            let arn = t.task_arn().unwrap_or_default();
            let status = t.last_status().unwrap_or_default().to_string();
            rows.push(Row {
                name: format!("{project}-{}-{}", s.compose, i + 1),
                task_id: arn.rsplit('/').next().unwrap_or_default().to_string(),
                task_arn: arn.to_string(),
                state: status.to_lowercase(),
                status,
                health: t
                    .health_status()
                    .map(|h| h.as_str().to_string())
                    .unwrap_or_default(),
                stopped_reason: t.stopped_reason().unwrap_or_default().to_string(),
                ..base.clone()
            });
        }
    }
    Ok(rows)
}

/// Tasks are numbered by start time (not yet started last), then ARN:
/// `ps` shows the numbers, `exec --index` takes them.
fn task_order(t: &Task) -> (i64, String) {
    (
        t.started_at().map(|d| d.secs()).unwrap_or(i64::MAX),
        t.task_arn().unwrap_or_default().to_string(),
    )
}

/// The running tasks of one ECS service, in `ps` order.
pub async fn running_tasks(aws: &Aws, cluster: &str, service: &str) -> Result<Vec<Task>, Failure> {
    let ecs = aws.ecs();
    let mut arns = Vec::new();
    let mut pages = ecs
        .list_tasks()
        .cluster(cluster)
        .service_name(service)
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Running)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws::message("listing ECS tasks", e))?;
        arns.extend(page.task_arns().iter().cloned());
    }
    let mut tasks = describe_tasks(&ecs, cluster, &arns).await?;
    tasks.sort_by_key(task_order);
    Ok(tasks)
}

/// The tasks of these ARNs, 100 per call (ECS's maximum).
async fn describe_tasks(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    arns: &[String],
) -> Result<Vec<Task>, Failure> {
    let mut tasks = Vec::new();
    for chunk in arns.chunks(100) {
        let out = ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws::message("describing ECS tasks", e))?;
        tasks.extend(out.tasks().iter().cloned());
    }
    Ok(tasks)
}

/// A Compose service as deployed: its ECS service and published ports.
pub struct ServiceRef {
    pub compose: String,
    pub arn: Option<String>,
    pub ports: Vec<Publisher>,
    /// `EnableExecuteCommand` (`x-aws-enable_exec`).
    pub exec_enabled: bool,
}

/// The services of a deployed template, with the ports their listeners
/// publish (`Listener → TargetGroup → container port`).
pub fn services(d: &Deployed) -> Vec<ServiceRef> {
    let mut listeners: BTreeMap<&str, (i64, String)> = BTreeMap::new();
    for (_, l) in d.of_type("AWS::ElasticLoadBalancingV2::Listener") {
        let p = &l["Properties"];
        let port = p["Port"].as_i64().unwrap_or_default();
        let protocol = match p["Protocol"].as_str().unwrap_or("TCP") {
            "UDP" => "udp",
            _ => "tcp",
        };
        for a in p["DefaultActions"].as_array().into_iter().flatten() {
            if let Some(tg) = stack::reference(&a["TargetGroupArn"]) {
                listeners.insert(tg, (port, protocol.to_string()));
            }
        }
    }
    let mut out: Vec<ServiceRef> = d
        .of_type("AWS::ECS::Service")
        .map(|(logical, r)| {
            let compose = stack::tag(r, ecs::convert::SERVICE_TAG)
                .map(str::to_string)
                .unwrap_or_else(|| logical.trim_end_matches("Service").to_lowercase());
            let ports = r["Properties"]["LoadBalancers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|lb| {
                    let tg = stack::reference(&lb["TargetGroupArn"])?;
                    let (published, protocol) = listeners.get(tg)?.clone();
                    Some(Publisher {
                        url: String::new(),
                        target_port: lb["ContainerPort"].as_i64().unwrap_or_default(),
                        published_port: published,
                        protocol,
                    })
                })
                .collect();
            ServiceRef {
                compose,
                arn: d.physical_id(logical).map(str::to_string),
                ports,
                exec_enabled: r["Properties"]["EnableExecuteCommand"] == true,
            }
        })
        .collect();
    out.sort_by(|a, b| a.compose.cmp(&b.compose));
    out
}

/// The DNS name of the project's load balancer (its own, or the one
/// `x-aws-loadbalancer` named).
async fn load_balancer_dns(aws: &Aws, d: &Deployed) -> Result<Option<String>, Failure> {
    let arn = d
        .physical_id("LoadBalancer")
        .map(str::to_string)
        .or_else(|| {
            d.of_type("AWS::ElasticLoadBalancingV2::Listener")
                .find_map(|(_, l)| {
                    l["Properties"]["LoadBalancerArn"]
                        .as_str()
                        .map(str::to_string)
                })
        });
    let Some(arn) = arn else { return Ok(None) };
    let out = aws
        .elb()
        .describe_load_balancers()
        .load_balancer_arns(&arn)
        .send()
        .await
        .map_err(|e| aws::message("describing the load balancer", e))?;
    Ok(out
        .load_balancers()
        .first()
        .and_then(|lb| lb.dns_name())
        .map(str::to_string))
}
