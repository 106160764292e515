//! `logs`: the services' CloudWatch Logs, prefixed like `docker compose logs`.

use super::{Failure, Outcome};
use crate::aws::{self, Aws};
use crate::cli::{AwsArgs, LogsArgs, ProjectArgs};
use crate::stack::{self, Deployed};
use aws_sdk_cloudwatchlogs::Client;
use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where one service's containers write.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub service: String,
    pub group: String,
    /// `awslogs-region` when the service sends its logs to another region.
    pub region: Option<String>,
    /// `<awslogs-stream-prefix>/<container>/`; the task ID follows.
    pub stream_prefix: String,
}

/// A log stream of one task, with the label it prints under.
#[derive(Debug, Clone)]
struct Stream {
    label: String,
    service: String,
    group: String,
    region: Option<String>,
    name: String,
}

/// A CloudWatch Logs client per region the services log to (`None`: the
/// stack's own).
type Clients = BTreeMap<Option<String>, Client>;

fn clients(aws: &Aws, sources: &[Source]) -> Clients {
    let mut out = Clients::new();
    out.insert(None, aws.logs());
    for region in sources.iter().filter_map(|s| s.region.clone()) {
        if region != aws.region {
            let client = aws.logs_in(&region);
            out.insert(Some(region), client);
        }
    }
    out
}

fn client_for<'a>(clients: &'a Clients, region: &Option<String>) -> &'a Client {
    clients.get(region).unwrap_or_else(|| &clients[&None])
}

#[derive(Debug, Clone)]
struct Line {
    time: i64,
    label: String,
    service: String,
    message: String,
}

pub fn run(project_args: &ProjectArgs, aws_args: &AwsArgs, args: &LogsArgs) -> Outcome {
    let project = super::project_name(project_args)?;
    let now = now_ms();
    let since = args
        .since
        .as_deref()
        .map(|s| parse_time(s, now))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_time(s, now))
        .transpose()?;
    let rt = aws::runtime();
    rt.block_on(async {
        tokio::select! {
            r = logs(&project, aws_args, args, since, until) => r,
            // Stopping `logs -f` with Ctrl-C is the normal way out.
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}

async fn logs(
    project: &str,
    aws_args: &AwsArgs,
    args: &LogsArgs,
    since: Option<i64>,
    until: Option<i64>,
) -> Outcome {
    let aws = Aws::connect(aws_args).await?;
    let d = stack::require_deployed(&aws, project).await?;
    let sources = super::select_services(sources(&d), &args.services, |s| &s.service)?;
    let client = clients(&aws, &sources);
    let found = streams(&client, &sources).await?;
    let printer = Printer::new(args, &sources, &found);
    let mut lines = Vec::new();
    match args.tail {
        Some(n) => {
            for s in &found {
                lines.extend(tail(&client, s, n, since, until).await?);
            }
        }
        None => lines.extend(events(&client, &found, since, until, &mut HashSet::new()).await?),
    }
    lines.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.label.cmp(&b.label)));
    for l in &lines {
        printer.print(l);
    }
    if !args.follow {
        return Ok(());
    }
    // Follow: poll from the newest event printed. The same millisecond may
    // hold more events, so the IDs already printed are remembered.
    let mut start = match lines.last() {
        Some(l) => l.time + 1,
        None => since.unwrap_or_else(now_ms),
    };
    let mut seen: HashSet<String> = HashSet::new();
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let found = streams(&client, &sources).await?;
        let mut fresh = events(&client, &found, Some(start), until, &mut seen).await?;
        fresh.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.label.cmp(&b.label)));
        for l in &fresh {
            printer.print(l);
            start = start.max(l.time);
        }
    }
}

/// The log group and stream prefix of each service's own container, from
/// the deployed task definitions (so overridden `awslogs-*` options work).
/// A task holds its service's container and its sidecars' (each named
/// after its Compose service), beside init containers.
pub fn sources(d: &Deployed) -> Vec<Source> {
    let mut out = Vec::new();
    for (_, td) in d.of_type("AWS::ECS::TaskDefinition") {
        if stack::tag(td, ecs::convert::SERVICE_TAG).is_none() {
            continue;
        }
        for c in td["Properties"]["ContainerDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let Some(service) = c["Name"]
                .as_str()
                .filter(|n| !ecs::names::is_init_container(n))
            else {
                continue;
            };
            let opts = &c["LogConfiguration"]["Options"];
            if c["LogConfiguration"]["LogDriver"] != "awslogs" {
                continue;
            }
            let Some(group) = resolve(d, &opts["awslogs-group"]) else {
                continue;
            };
            let prefix = opts["awslogs-stream-prefix"].as_str().unwrap_or_default();
            out.push(Source {
                service: service.to_string(),
                group,
                region: opts["awslogs-region"].as_str().map(str::to_string),
                stream_prefix: format!("{prefix}/{service}/"),
            });
        }
    }
    out.sort_by(|a, b| a.service.cmp(&b.service));
    out
}

/// The value of a template expression as deployed: a string, a `Ref` to a
/// resource (its physical ID) or to a parameter (its value), or the branch
/// of an `Fn::If` that resolves (the stack's log group, or the re-attached one).
fn resolve(d: &Deployed, v: &serde_json::Value) -> Option<String> {
    if let Some(s) = v.as_str() {
        return Some(s.to_string());
    }
    if let Some(logical) = stack::reference(v) {
        return d
            .physical_id(logical)
            .or_else(|| d.parameter(logical).filter(|p| !p.is_empty()))
            .map(str::to_string);
    }
    v.get("Fn::If")?
        .as_array()?
        .iter()
        .skip(1)
        .find_map(|branch| resolve(d, branch))
}

/// Every stream of the sources, labelled `web-1`, `web-2`, … in the order
/// the tasks started.
async fn streams(clients: &Clients, sources: &[Source]) -> Result<Vec<Stream>, Failure> {
    let mut out = Vec::new();
    for src in sources {
        let mut found: Vec<(i64, String)> = Vec::new();
        let mut pages = client_for(clients, &src.region)
            .describe_log_streams()
            .log_group_name(&src.group)
            .log_stream_name_prefix(&src.stream_prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(p) => p,
                // No log group yet: the service never started.
                Err(e) if aws::code(&e) == Some("ResourceNotFoundException") => break,
                Err(e) => {
                    return Err(aws::message(
                        &format!("listing log streams of {}", src.group),
                        e,
                    ));
                }
            };
            for s in page.log_streams() {
                let name = s.log_stream_name().unwrap_or_default();
                if name.starts_with(&src.stream_prefix) {
                    found.push((s.creation_time().unwrap_or_default(), name.to_string()));
                }
            }
        }
        found.sort();
        for (i, (_, name)) in found.into_iter().enumerate() {
            out.push(Stream {
                label: format!("{}-{}", src.service, i + 1),
                service: src.service.clone(),
                group: src.group.clone(),
                region: src.region.clone(),
                name,
            });
        }
    }
    Ok(out)
}

/// The last `n` events of one stream.
async fn tail(
    clients: &Clients,
    s: &Stream,
    n: usize,
    since: Option<i64>,
    until: Option<i64>,
) -> Result<Vec<Line>, Failure> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let out = client_for(clients, &s.region)
        .get_log_events()
        .log_group_name(&s.group)
        .log_stream_name(&s.name)
        .start_from_head(false)
        .limit(n.min(10_000) as i32)
        .set_start_time(since)
        .set_end_time(until)
        .send()
        .await
        .map_err(|e| aws::message(&format!("reading log stream {}", s.name), e))?;
    let mut lines: Vec<Line> = out
        .events()
        .iter()
        .map(|e| Line {
            time: e.timestamp().unwrap_or_default(),
            label: s.label.clone(),
            service: s.service.clone(),
            message: e.message().unwrap_or_default().to_string(),
        })
        .collect();
    let keep = lines.len().saturating_sub(n);
    lines.drain(..keep);
    Ok(lines)
}

/// Events of the streams in a time range, all pages, skipping IDs in
/// `seen` (and adding the new ones).
async fn events(
    clients: &Clients,
    streams: &[Stream],
    since: Option<i64>,
    until: Option<i64>,
    seen: &mut HashSet<String>,
) -> Result<Vec<Line>, Failure> {
    let mut by_group: BTreeMap<(&Option<String>, &str), Vec<&Stream>> = BTreeMap::new();
    for s in streams {
        by_group.entry((&s.region, &s.group)).or_default().push(s);
    }
    let mut lines = Vec::new();
    for ((region, group), list) in by_group {
        let client = client_for(clients, region);
        // FilterLogEvents takes at most 100 stream names per call.
        for chunk in list.chunks(100) {
            let labels: BTreeMap<&str, &Stream> =
                chunk.iter().map(|s| (s.name.as_str(), *s)).collect();
            let mut pages = client
                .filter_log_events()
                .log_group_name(group)
                .set_log_stream_names(Some(chunk.iter().map(|s| s.name.clone()).collect()))
                .set_start_time(since)
                .set_end_time(until)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page =
                    page.map_err(|e| aws::message(&format!("reading logs of {group}"), e))?;
                for e in page.events() {
                    let Some(stream) = e.log_stream_name().and_then(|n| labels.get(n)) else {
                        continue;
                    };
                    if let Some(id) = e.event_id()
                        && !seen.insert(id.to_string())
                    {
                        continue;
                    }
                    lines.push(Line {
                        time: e.timestamp().unwrap_or_default(),
                        label: stream.label.clone(),
                        service: stream.service.clone(),
                        message: e.message().unwrap_or_default().to_string(),
                    });
                }
            }
        }
    }
    Ok(lines)
}

struct Printer {
    prefix: bool,
    timestamps: bool,
    width: usize,
    colours: BTreeMap<String, &'static str>,
}

impl Printer {
    fn new(args: &LogsArgs, sources: &[Source], streams: &[Stream]) -> Printer {
        let colour = !args.no_color
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none();
        // docker compose's palette, one colour per service.
        const PALETTE: [&str; 6] = ["36", "33", "32", "35", "34", "31"];
        let colours = sources
            .iter()
            .enumerate()
            .filter(|_| colour)
            .map(|(i, s)| (s.service.clone(), PALETTE[i % PALETTE.len()]))
            .collect();
        Printer {
            prefix: !args.no_log_prefix,
            timestamps: args.timestamps,
            // Labels line up, as docker compose aligns its container names.
            width: streams.iter().map(|s| s.label.len()).max().unwrap_or(0),
            colours,
        }
    }

    fn print(&self, l: &Line) {
        let mut out = String::new();
        if self.prefix {
            let label = format!("{:<w$} |", l.label, w = self.width);
            match self.colours.get(&l.service) {
                Some(c) => out.push_str(&format!("\x1b[{c}m{label}\x1b[0m ")),
                None => out.push_str(&format!("{label} ")),
            }
        }
        if self.timestamps {
            out.push_str(&format!("{} ", rfc3339(l.time)));
        }
        out.push_str(l.message.trim_end_matches('\n'));
        out.push('\n');
        let _ = std::io::stdout().lock().write_all(out.as_bytes());
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn rfc3339(ms: i64) -> String {
    aws_sdk_cloudwatchlogs::primitives::DateTime::from_millis(ms)
        .fmt(aws_sdk_cloudwatchlogs::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
}

/// `--since`/`--until` as docker accepts them: a duration before now
/// (`10m`, `1h30m`), a Unix timestamp, or an RFC 3339 date or time.
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64, Failure> {
    let t = text.trim();
    if let Some(d) = parse_duration(t) {
        return Ok(now_ms - d.as_millis() as i64);
    }
    if let Ok(secs) = t.parse::<f64>() {
        return Ok((secs * 1000.0) as i64);
    }
    use aws_sdk_cloudwatchlogs::primitives::{DateTime, DateTimeFormat};
    let full = if t.len() == 10 {
        format!("{t}T00:00:00Z")
    } else {
        t.to_string()
    };
    DateTime::from_str(&full, DateTimeFormat::DateTime)
        .ok()
        .and_then(|d| d.to_millis().ok())
        .ok_or_else(|| {
            Failure::Message(format!(
                "invalid time {text:?}: give a duration (10m, 1h30m), a Unix timestamp, or an RFC 3339 time (2026-01-02T15:04:05Z)"
            ))
        })
}

fn parse_duration(t: &str) -> Option<Duration> {
    if t.is_empty() || !t.ends_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut total = 0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..u] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[u..];
    }
    Some(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_like_docker() {
        let now = 1_700_000_000_000;
        assert_eq!(parse_time("10m", now).unwrap(), now - 600_000);
        assert_eq!(parse_time("1h30m", now).unwrap(), now - 5_400_000);
        assert_eq!(parse_time("1700000000", now).unwrap(), 1_700_000_000_000);
        assert_eq!(
            parse_time("2023-11-14T22:13:20Z", now).unwrap(),
            1_700_000_000_000
        );
        assert_eq!(parse_time("2023-11-14", now).unwrap(), 1_699_920_000_000);
        assert!(parse_time("yesterday", now).is_err());
        assert!(parse_time("10x", now).is_err());
    }

    #[test]
    fn sidecars_log_beside_their_main_service() {
        let containers: Vec<serde_json::Value> =
            ["Web_ResolvConf_InitContainer", "web", "exporter"]
                .map(|name| {
                    serde_json::json!({
                        "Name": name,
                        "LogConfiguration": {"LogDriver": "awslogs", "Options": {
                            "awslogs-group": "/docker-compose/demo",
                            "awslogs-stream-prefix": "demo",
                        }},
                    })
                })
                .to_vec();
        let template = serde_json::json!({"Resources": {"WebTaskDefinition": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Tags": [{"Key": ecs::convert::SERVICE_TAG, "Value": "web"}],
                "ContainerDefinitions": containers,
            },
        }}});
        let d = Deployed {
            stack: aws_sdk_cloudformation::types::Stack::builder().build(),
            template,
            resources: vec![],
            parameters: vec![],
        };
        let found: Vec<(String, String)> = sources(&d)
            .into_iter()
            .map(|s| (s.service, s.stream_prefix))
            .collect();
        assert_eq!(
            found,
            [
                ("exporter".to_string(), "demo/exporter/".to_string()),
                ("web".to_string(), "demo/web/".to_string()),
            ]
        );
    }
}
