//! Live progress of a stack operation: one line per resource with its status
//! and reason. Redrawn in place on a terminal, plain lines otherwise.

use crate::aws;
use crate::commands::Failure;
use crate::stack;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::StackEvent;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Mode {
    /// A live display on a terminal, plain lines otherwise
    #[default]
    Auto,
    /// Redraw one line per resource
    Tty,
    /// One line per event, for logs and CI
    Plain,
    /// Only the outcome
    Quiet,
}

impl Mode {
    pub fn resolve(self) -> Mode {
        match self {
            Mode::Auto if std::io::stderr().is_terminal() => Mode::Tty,
            Mode::Auto => Mode::Plain,
            m => m,
        }
    }
}

/// One stack event, as far as the display cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    /// `HH:MM:SS`, UTC.
    pub time: String,
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: String,
    /// A child stack's ID, for an `AWS::CloudFormation::Stack` row.
    pub physical_id: String,
}

impl Event {
    fn from_sdk(e: &StackEvent) -> Event {
        let time = e
            .timestamp()
            .and_then(|t| {
                t.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
                    .ok()
            })
            .and_then(|t| t.get(11..19).map(str::to_string))
            .unwrap_or_default();
        Event {
            id: e.event_id().unwrap_or_default().to_string(),
            time,
            logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
            resource_type: e.resource_type().unwrap_or_default().to_string(),
            status: e
                .resource_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            reason: e.resource_status_reason().unwrap_or_default().to_string(),
            physical_id: e.physical_resource_id().unwrap_or_default().to_string(),
        }
    }

    fn is_failure(&self) -> bool {
        self.status.ends_with("_FAILED")
    }
}

/// The line plain mode prints for an event.
pub fn plain_line(e: &Event) -> String {
    let mut line = format!(
        "{} {:<32} {:<42} {}",
        e.time, e.logical_id, e.resource_type, e.status
    );
    if !e.reason.is_empty() {
        line.push_str(&format!(" ({})", one_line(&e.reason)));
    }
    line.trim_end().to_string()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first failure that caused the others: CloudFormation follows a real
/// failure with "cancelled" and "The following resource(s) failed" events,
/// which say nothing.
pub fn first_failure(events: &[Event]) -> Option<&Event> {
    events.iter().find(|e| {
        e.is_failure()
            && !e.reason.contains("cancelled")
            && !e.reason.starts_with("The following resource(s) failed")
    })
}

/// The child stack whose failure `first` reports: a nested stack's own
/// events hold the reason, the root only says which resources failed.
pub fn failed_child(first: &Event) -> Option<&str> {
    (first.resource_type == "AWS::CloudFormation::Stack" && first.physical_id.contains(":stack/"))
        .then_some(first.physical_id.as_str())
}

/// The events of a stack's latest operation, oldest first: a child stack
/// lives through many updates, and an older failure is not this one's.
/// At most ten pages are read.
pub async fn operation_events(cfn: &Client, stack_id: &str) -> Result<Vec<Event>, Failure> {
    let mut events = Vec::new();
    walk_events(
        cfn,
        stack_id,
        10,
        back_to_operation_start(stack_id, &mut events),
    )
    .await?;
    events.reverse();
    Ok(events)
}

/// A stack's events, newest first, handed to `take` while it returns true,
/// from at most `max_pages` pages.
async fn walk_events(
    cfn: &Client,
    stack_id: &str,
    max_pages: usize,
    mut take: impl FnMut(Event) -> bool,
) -> Result<(), Failure> {
    let mut pages = cfn
        .describe_stack_events()
        .stack_name(stack_id)
        .into_paginator()
        .send();
    for _ in 0..max_pages {
        let Some(page) = pages.next().await else {
            return Ok(());
        };
        let page = page.map_err(|e| aws::message("reading stack events", e))?;
        for e in page.stack_events() {
            if !take(Event::from_sdk(e)) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The stack's own event that begins an operation.
fn starts_operation(e: &Event, stack_id: &str) -> bool {
    e.physical_id == stack_id
        && [
            "CREATE_IN_PROGRESS",
            "UPDATE_IN_PROGRESS",
            "DELETE_IN_PROGRESS",
        ]
        .contains(&e.status.as_str())
}

/// For `walk_events`: keep events (newest first) in `out`, up to and
/// including the one that began the stack's latest operation.
fn back_to_operation_start<'a>(
    stack_id: &'a str,
    out: &'a mut Vec<Event>,
) -> impl FnMut(Event) -> bool + 'a {
    move |e| {
        let start = starts_operation(&e, stack_id);
        out.push(e);
        !start
    }
}

/// Where events go.
pub struct Display {
    mode: Mode,
    multi: Option<MultiProgress>,
    bars: BTreeMap<String, ProgressBar>,
    pub events: Vec<Event>,
}

impl Display {
    pub fn new(mode: Mode) -> Display {
        let mode = mode.resolve();
        let multi = (mode == Mode::Tty)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8)));
        Display {
            mode,
            multi,
            bars: BTreeMap::new(),
            events: Vec::new(),
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// A message outside the per-resource lines.
    pub fn note(&self, text: &str) {
        match (&self.multi, self.mode) {
            (_, Mode::Quiet) => {}
            (Some(m), _) => {
                let _ = m.println(text);
            }
            (None, _) => {
                let _ = writeln!(std::io::stderr().lock(), "{text}");
            }
        }
    }

    pub fn event(&mut self, e: Event) {
        match self.mode {
            Mode::Plain => {
                let _ = writeln!(std::io::stderr().lock(), "{}", plain_line(&e));
            }
            Mode::Tty => self.redraw(&e),
            _ => {}
        }
        self.events.push(e);
    }

    fn redraw(&mut self, e: &Event) {
        let Some(multi) = &self.multi else { return };
        let bar = self.bars.entry(e.logical_id.clone()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template(" {spinner} {prefix:<32} {wide_msg}")
                    .expect("a valid template")
                    .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✔"),
            );
            bar.set_prefix(e.logical_id.clone());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let mut msg = e.status.clone();
        if !e.reason.is_empty() {
            msg.push_str(&format!(" {}", one_line(&e.reason)));
        }
        if stack::is_settled(&e.status) {
            let mark = if e.is_failure() { "✘" } else { "✔" };
            bar.set_style(
                ProgressStyle::with_template(&format!(" {mark} {{prefix:<32}} {{wide_msg}}"))
                    .expect("a valid template"),
            );
            bar.finish_with_message(msg);
        } else {
            bar.set_message(msg);
        }
    }

    pub fn finish(&mut self) {
        for bar in self.bars.values() {
            if !bar.is_finished() {
                bar.abandon();
            }
        }
    }
}

/// How a wait ended.
pub enum Waited {
    /// The stack settled in this status.
    Settled(String),
    /// `--wait-timeout` passed first; the operation goes on.
    TimedOut(String),
}

/// The newest event of a stack, so that a later watch shows only what
/// follows it.
pub async fn latest_event(cfn: &Client, stack: &str) -> Result<Option<String>, Failure> {
    let out = cfn.describe_stack_events().stack_name(stack).send().await;
    match out {
        Ok(o) => Ok(o
            .stack_events()
            .first()
            .and_then(|e| e.event_id())
            .map(str::to_string)),
        Err(e) => Err(aws::message(&format!("reading the events of {stack}"), e)),
    }
}

/// Follow a stack (by ID: it keeps answering after a delete) until it
/// settles, showing every event newer than `after`.
pub async fn watch(
    cfn: &Client,
    stack_id: &str,
    after: Option<String>,
    display: &mut Display,
    timeout: Option<Duration>,
) -> Result<Waited, Failure> {
    let start = Instant::now();
    let mut seen: HashSet<String> = HashSet::new();
    let mut interval = Duration::from_millis(500);
    loop {
        let fresh = new_events(cfn, stack_id, after.as_deref(), &seen).await?;
        for e in fresh {
            seen.insert(e.id.clone());
            display.event(e);
        }
        let status = match stack::describe(cfn, stack_id).await? {
            Some(s) => stack::status(&s).to_string(),
            None => "DELETE_COMPLETE".to_string(),
        };
        if stack::is_settled(&status) {
            // The final events may land after the status flips.
            for e in new_events(cfn, stack_id, after.as_deref(), &seen).await? {
                seen.insert(e.id.clone());
                display.event(e);
            }
            display.finish();
            return Ok(Waited::Settled(status));
        }
        if timeout.is_some_and(|t| start.elapsed() >= t) {
            display.finish();
            return Ok(Waited::TimedOut(status));
        }
        tokio::time::sleep(interval).await;
        // Poll quickly at first, then every few seconds.
        interval = (interval * 2).min(Duration::from_secs(5));
    }
}

/// Events newer than `after` not yet seen, oldest first; stops paging at
/// the first known event.
async fn new_events(
    cfn: &Client,
    stack_id: &str,
    after: Option<&str>,
    seen: &HashSet<String>,
) -> Result<Vec<Event>, Failure> {
    let mut out = Vec::new();
    walk_events(cfn, stack_id, usize::MAX, |e| {
        let known = Some(e.id.as_str()) == after || seen.contains(&e.id);
        if !known {
            out.push(e);
        }
        !known
    })
    .await?;
    out.reverse();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events from rows of (logical ID, type, status, reason), a second apart.
    fn events(rows: &[(&str, &str, &str, &str)]) -> Vec<Event> {
        rows.iter()
            .enumerate()
            .map(|(i, (logical, kind, status, reason))| Event {
                id: (i + 1).to_string(),
                time: format!("10:00:{:02}", i + 1),
                logical_id: logical.to_string(),
                resource_type: kind.to_string(),
                status: status.to_string(),
                reason: reason.to_string(),
                physical_id: String::new(),
            })
            .collect()
    }

    #[test]
    fn a_failed_child_stack_is_looked_into_and_nothing_else_is() {
        let mut root = events(&[
            ("Cluster", "AWS::ECS::Cluster", "CREATE_COMPLETE", ""),
            (
                "Services3F",
                "AWS::CloudFormation::Stack",
                "CREATE_FAILED",
                "Embedded stack was not successfully created: The following resource(s) failed to create: [WebService].",
            ),
        ]);
        let child = "arn:aws:cloudformation:eu-west-1:123456789012:stack/app-Services3F-1/abc";
        root[1].physical_id = child.to_string();
        let first = first_failure(&root).expect("the child stack's failure");
        assert_eq!(failed_child(first), Some(child));
        // Inside the child, the real cause comes first.
        let inner = events(&[
            (
                "WebService",
                "AWS::ECS::Service",
                "CREATE_FAILED",
                "Invalid request provided: no such image",
            ),
            (
                "WebTaskRole",
                "AWS::IAM::Role",
                "CREATE_FAILED",
                "Resource creation cancelled",
            ),
        ]);
        assert_eq!(first_failure(&inner).unwrap().logical_id, "WebService");
        // A plain resource, or a stack row without an ID, is not a child.
        let mut plain = root[1].clone();
        plain.resource_type = "AWS::ECS::Service".into();
        assert_eq!(failed_child(&plain), None);
        root[1].physical_id.clear();
        assert_eq!(failed_child(&root[1]), None);
    }

    #[test]
    fn only_the_latest_operation_of_a_child_counts() {
        let id = "arn:aws:cloudformation:eu-west-1:123456789012:stack/app-Services3F-1/abc";
        let mut oldest_first = events(&[
            (
                "app-Services3F-1",
                "AWS::CloudFormation::Stack",
                "UPDATE_IN_PROGRESS",
                "",
            ),
            (
                "WebService",
                "AWS::ECS::Service",
                "UPDATE_FAILED",
                "an older failure",
            ),
            (
                "app-Services3F-1",
                "AWS::CloudFormation::Stack",
                "UPDATE_ROLLBACK_COMPLETE",
                "",
            ),
            (
                "app-Services3F-1",
                "AWS::CloudFormation::Stack",
                "UPDATE_IN_PROGRESS",
                "",
            ),
            (
                "ApiService",
                "AWS::ECS::Service",
                "UPDATE_FAILED",
                "this one",
            ),
            (
                "app-Services3F-1",
                "AWS::CloudFormation::Stack",
                "UPDATE_ROLLBACK_IN_PROGRESS",
                "",
            ),
        ]);
        for e in oldest_first
            .iter_mut()
            .filter(|e| e.resource_type.contains("Stack"))
        {
            e.physical_id = id.to_string();
        }
        let newest_first: Vec<Event> = oldest_first.into_iter().rev().collect();
        // What walk_events does with each page's events, oldest first after.
        let latest = |events: &[Event]| {
            let mut out = Vec::new();
            {
                let mut take = back_to_operation_start(id, &mut out);
                for e in events {
                    if !take(e.clone()) {
                        break;
                    }
                }
            }
            out.reverse();
            out
        };
        let this = latest(&newest_first);
        assert_eq!(this.len(), 3);
        assert_eq!(first_failure(&this).unwrap().reason, "this one");
        // No start in sight (over ten pages): what was read.
        assert_eq!(latest(&newest_first[..2]).len(), 2);
    }

    const STACK: &str = "AWS::CloudFormation::Stack";

    #[test]
    fn plain_lines_for_a_create() {
        let events = events(&[
            ("demo", STACK, "CREATE_IN_PROGRESS", "User Initiated"),
            ("Cluster", "AWS::ECS::Cluster", "CREATE_IN_PROGRESS", ""),
            (
                "Cluster",
                "AWS::ECS::Cluster",
                "CREATE_IN_PROGRESS",
                "Resource creation Initiated",
            ),
            ("Cluster", "AWS::ECS::Cluster", "CREATE_COMPLETE", ""),
            ("WebService", "AWS::ECS::Service", "CREATE_COMPLETE", ""),
            ("demo", STACK, "CREATE_COMPLETE", ""),
        ]);
        let lines: Vec<String> = events.iter().map(plain_line).collect();
        insta::assert_snapshot!(lines.join("\n"));
        assert!(first_failure(&events).is_none());
    }

    #[test]
    fn plain_lines_and_first_failure_for_a_failed_create() {
        let events = events(&[
            ("demo", STACK, "CREATE_IN_PROGRESS", "User Initiated"),
            ("LogGroup", "AWS::Logs::LogGroup", "CREATE_IN_PROGRESS", ""),
            (
                "WebService",
                "AWS::ECS::Service",
                "CREATE_FAILED",
                "Resource handler returned message: \"Invalid request provided: CannotPullContainerError:\n pull access denied for nope\"",
            ),
            (
                "LogGroup",
                "AWS::Logs::LogGroup",
                "CREATE_FAILED",
                "Resource creation cancelled",
            ),
            (
                "demo",
                STACK,
                "ROLLBACK_IN_PROGRESS",
                "The following resource(s) failed to create: [WebService, LogGroup]. Rollback requested by user.",
            ),
            ("LogGroup", "AWS::Logs::LogGroup", "DELETE_COMPLETE", ""),
            ("demo", STACK, "ROLLBACK_COMPLETE", ""),
        ]);
        let lines: Vec<String> = events.iter().map(plain_line).collect();
        insta::assert_snapshot!(lines.join("\n"));
        let first = first_failure(&events).expect("a failure");
        assert_eq!(first.logical_id, "WebService");
    }

    #[test]
    fn a_cancelled_resource_is_not_the_cause() {
        let events = events(&[
            ("A", "T", "CREATE_FAILED", "Resource creation cancelled"),
            ("B", "T", "CREATE_FAILED", "boom"),
        ]);
        assert_eq!(first_failure(&events).unwrap().logical_id, "B");
    }
}
