//! How a new version of a service rolls out: ECS's rolling update, or its
//! native blue/green, canary and linear deployments, which shift traffic
//! between two target groups on the load balancer (no CodeDeploy).
//!
//! Read from `deploy.update_config` (Compose's own keys) and the service's
//! `x-aws-deployment`, which wins where both speak.

use crate::convert::Ctx;
use crate::convert::ports::{Kind, LoadBalancerPlan};
use crate::extensions::{Deployment, TimeValue};
use compose::model::{Service, UpdateConfig};
use compose::node::KeyPath;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Strategy {
    Rolling,
    BlueGreen,
    Canary { percent: f64, bake_minutes: i64 },
    Linear { percent: f64, bake_minutes: i64 },
}

impl Strategy {
    /// `DeploymentConfiguration.Strategy`.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Rolling => "ROLLING",
            Strategy::BlueGreen => "BLUE_GREEN",
            Strategy::Canary { .. } => "CANARY",
            Strategy::Linear { .. } => "LINEAR",
        }
    }

    /// Does ECS move traffic between two target groups?
    pub fn shifts_traffic(self) -> bool {
        self != Strategy::Rolling
    }
}

#[derive(Debug, Clone)]
pub struct DeploymentPlan {
    pub strategy: Strategy,
    /// Minimum healthy and maximum percent.
    pub percents: (i64, i64),
    /// The circuit breaker's (enable, rollback); ECS allows it on rolling
    /// deployments only.
    pub circuit_breaker: Option<(bool, bool)>,
    pub bake_minutes: Option<i64>,
    /// (published port, its test listener's port), when traffic shifts.
    pub test_ports: Vec<(i64, i64)>,
    /// (Lambda ARN, lifecycle stages).
    pub hooks: Vec<(String, Vec<String>)>,
    /// CloudWatch alarms whose firing rolls the deployment back.
    pub alarms: Vec<String>,
}

/// What the rest of the service's reading decided that deployment needs.
pub struct Facts<'a> {
    pub name: &'a str,
    pub replicas: i64,
    /// It mounts an EFS volume read-write: the old task stops first.
    pub writes_efs: bool,
    /// `deploy.mode: global`.
    pub daemon: bool,
    /// `x-aws-min_percent` / `x-aws-max_percent` of `update_config`.
    pub percents_asked: (Option<i64>, Option<i64>),
}

pub fn read(
    ctx: &mut Ctx,
    s: &Service,
    path: &KeyPath,
    lb: &LoadBalancerPlan,
    facts: &Facts,
) -> DeploymentPlan {
    let reader = ctx.reader(&s.extensions, path.clone());
    let asked: Deployment = ctx
        .ok(reader.get(
            "x-aws-deployment",
            "a mapping of strategy, bake_time, canary_percent, canary_bake_time, step_percent, step_bake_time, test_port, hooks and alarms",
        ))
        .unwrap_or_default();
    let at = path.key("x-aws-deployment");
    let update = s.deploy.as_ref().and_then(|d| d.update_config.as_ref());
    let update_path = path.key("deploy").key("update_config");
    let strategy = strategy(ctx, &asked, &at);
    if strategy.shifts_traffic() {
        check_traffic_shift(ctx, lb, facts, strategy, &at);
    }
    let percents = percents(ctx, update, &update_path, facts);
    let monitor = update
        .map(|u| u.monitor.0)
        .filter(|m| *m > 0)
        .map(|nanos| (nanos + 59_999_999_999) / 60_000_000_000);
    let bake_minutes = match &asked.bake_time {
        Some(b) => minutes(ctx, b, &at.key("bake_time")),
        None => monitor,
    };
    let bake_minutes = bake_minutes.map(|m| bounded(ctx, m, &at.key("bake_time")));
    DeploymentPlan {
        strategy,
        percents,
        circuit_breaker: (!strategy.shifts_traffic())
            .then(|| circuit_breaker(ctx, update, &update_path)),
        bake_minutes,
        test_ports: test_ports(ctx, lb, facts.name, strategy, asked.test_port, &at),
        hooks: hooks(ctx, &asked, &at),
        alarms: asked.alarms.clone(),
    }
}

fn strategy(ctx: &mut Ctx, asked: &Deployment, at: &KeyPath) -> Strategy {
    let name = asked.strategy.as_deref().unwrap_or("rolling");
    let given = |key: &str| match key {
        "canary_percent" => asked.canary_percent.is_some(),
        "canary_bake_time" => asked.canary_bake_time.is_some(),
        "step_percent" => asked.step_percent.is_some(),
        _ => asked.step_bake_time.is_some(),
    };
    let (own, strategy): (&[&str], Strategy) = match name {
        "rolling" => (&[], Strategy::Rolling),
        "blue_green" => (&[], Strategy::BlueGreen),
        "canary" => {
            let percent = asked.canary_percent.unwrap_or(5.0);
            check_percent(ctx, percent, 0.1, &at.key("canary_percent"));
            let bake = asked.canary_bake_time.as_ref();
            let bake_minutes = bake.and_then(|b| minutes(ctx, b, &at.key("canary_bake_time")));
            let bake_minutes =
                bounded(ctx, bake_minutes.unwrap_or(10), &at.key("canary_bake_time"));
            (
                &["canary_percent", "canary_bake_time"],
                Strategy::Canary {
                    percent,
                    bake_minutes,
                },
            )
        }
        "linear" => {
            let percent = asked.step_percent.unwrap_or(10.0);
            check_percent(ctx, percent, 3.0, &at.key("step_percent"));
            let bake = asked.step_bake_time.as_ref();
            let bake_minutes = bake.and_then(|b| minutes(ctx, b, &at.key("step_bake_time")));
            let bake_minutes = bounded(ctx, bake_minutes.unwrap_or(6), &at.key("step_bake_time"));
            (
                &["step_percent", "step_bake_time"],
                Strategy::Linear {
                    percent,
                    bake_minutes,
                },
            )
        }
        other => {
            ctx.error(
                &at.key("strategy"),
                format!("{other:?} is not a deployment strategy"),
                "write rolling, blue_green, canary or linear",
            );
            return Strategy::Rolling;
        }
    };
    for key in [
        "canary_percent",
        "canary_bake_time",
        "step_percent",
        "step_bake_time",
    ] {
        if given(key) && !own.contains(&key) {
            ctx.error(
                &at.key(key),
                format!("`{key}` does nothing with strategy {name}"),
                if key.starts_with("canary") {
                    "set `strategy: canary`, or remove it"
                } else {
                    "set `strategy: linear`, or remove it"
                },
            );
        }
    }
    strategy
}

/// ECS takes percentages in steps of 0.1, from `low` to 100.
fn check_percent(ctx: &mut Ctx, percent: f64, low: f64, at: &KeyPath) {
    let tenths = percent * 10.0;
    if !(low..=100.0).contains(&percent) || (tenths - tenths.round()).abs() > 1e-6 {
        ctx.error(
            at,
            format!("{percent} is not a traffic percentage ECS takes"),
            format!("give {low} to 100, in steps of 0.1"),
        );
    }
}

fn minutes(ctx: &mut Ctx, m: &TimeValue, at: &KeyPath) -> Option<i64> {
    match m.whole(60, "minutes") {
        Ok(n) => Some(n),
        Err(why) => {
            ctx.error(
                at,
                why,
                "give whole minutes: a number, or a duration such as 10m or 1h",
            );
            None
        }
    }
}

/// ECS waits at most a day (1440 minutes) in any bake.
fn bounded(ctx: &mut Ctx, minutes: i64, at: &KeyPath) -> i64 {
    if !(0..=1440).contains(&minutes) {
        ctx.error(
            at,
            format!("{minutes} minutes is not a bake time ECS takes"),
            "give 0 to 1440 minutes (a day)",
        );
    }
    minutes.clamp(0, 1440)
}

/// Traffic shifts between target groups: the service needs published
/// ports, and canary and linear steps need an ALB's weighted rules.
fn check_traffic_shift(
    ctx: &mut Ctx,
    lb: &LoadBalancerPlan,
    facts: &Facts,
    strategy: Strategy,
    at: &KeyPath,
) {
    let label = strategy.name().to_ascii_lowercase().replace('_', "/");
    if facts.daemon {
        ctx.error(
            &at.key("strategy"),
            format!("a daemon service (`mode: global`) cannot deploy {label}"),
            "use `strategy: rolling`, or `mode: replicated`",
        );
    }
    if facts.writes_efs {
        ctx.error(
            &at.key("strategy"),
            format!("a {label} deployment runs the old and the new version at once, and both would write to the same EFS volume"),
            "use `strategy: rolling` (the old task stops first), or mount the volume read-only",
        );
    }
    if lb.ports_of(facts.name).next().is_none() {
        ctx.error(
            &at.key("strategy"),
            format!(
                "a {label} deployment shifts traffic on the load balancer, and `{}` publishes no port",
                facts.name
            ),
            "publish a port (`ports:`), or use `strategy: rolling`",
        );
        return;
    }
    if matches!(strategy, Strategy::Canary { .. } | Strategy::Linear { .. })
        && lb.kind == Some(Kind::Network)
    {
        ctx.error(
            &at.key("strategy"),
            format!("a {label} deployment needs an Application Load Balancer, and the project's ports put it behind a Network Load Balancer"),
            "use `strategy: blue_green` behind an NLB, or publish only HTTP ports (`x-aws-protocol: http`) so the project gets an ALB",
        );
    }
}

/// Rolling bounds: Compose's `order` and `parallelism`, then the
/// `x-aws-*_percent` extensions, which win.
fn percents(
    ctx: &mut Ctx,
    update: Option<&UpdateConfig>,
    update_path: &KeyPath,
    facts: &Facts,
) -> (i64, i64) {
    // Two tasks writing one EFS directory at once (a database's old and new
    // server) corrupt it or fail on its lock; a daemon cannot start a
    // second task on its instance: the old task stops first.
    let order = update.map(|u| u.order.as_str()).filter(|o| !o.is_empty());
    let stop_first = match order {
        Some(o) => o == "stop-first",
        None => facts.writes_efs || facts.daemon,
    };
    let (mut min, mut max) = if stop_first { (0, 100) } else { (100, 200) };
    let (ext_min, ext_max) = facts.percents_asked;
    let replicas = facts.replicas;
    if let Some(p) = update.and_then(|u| u.parallelism)
        && (ext_min.is_none() || ext_max.is_none())
    {
        let p = p as i64;
        if p > replicas {
            ctx.error(
                &update_path.key("parallelism"),
                format!("parallelism {p} is larger than the {replicas} replica(s)"),
                "set deploy.replicas to at least the parallelism",
            );
        } else if replicas > 0 {
            // Without an `order`, the step bounds both sides, as the
            // original integration did; with one, only the side it moves.
            if stop_first || order.is_none() {
                min = (replicas - p) * 100 / replicas;
            }
            if !stop_first {
                max = (replicas + p) * 100 / replicas;
            }
        }
    }
    min = ext_min.unwrap_or(min);
    max = ext_max.unwrap_or(max);
    if !(0..=100).contains(&min) || max < 100 || max <= min {
        ctx.error(
            update_path,
            format!("minimum healthy {min}% and maximum {max}% do not allow a deployment"),
            "keep the minimum between 0 and 100 and the maximum at 100 or more, above the minimum",
        );
    }
    if facts.daemon && max != 100 {
        ctx.error(
            update_path,
            format!(
                "a daemon service runs one task per instance, and maximum {max}% asks for more"
            ),
            "remove `x-aws-max_percent` and `order: start-first` from a `mode: global` service",
        );
    }
    (min, max)
}

/// Compose's `failure_action`: `rollback` (our default: CloudFormation
/// waits for a service that works), `pause` stops the deployment where it
/// failed, `continue` ignores failures.
fn circuit_breaker(
    ctx: &mut Ctx,
    update: Option<&UpdateConfig>,
    update_path: &KeyPath,
) -> (bool, bool) {
    match update.map(|u| u.failure_action.as_str()) {
        None | Some("") | Some("rollback") => (true, true),
        Some("pause") => (true, false),
        Some("continue") => (false, false),
        Some(other) => {
            ctx.error(
                &update_path.key("failure_action"),
                format!("{other:?} is not a failure action"),
                "write rollback, pause or continue",
            );
            (true, true)
        }
    }
}

/// Each published port gets a test listener: `test_port` when the service
/// publishes one port, else the port + 10000.
fn test_ports(
    ctx: &mut Ctx,
    lb: &LoadBalancerPlan,
    name: &str,
    strategy: Strategy,
    asked: Option<i64>,
    at: &KeyPath,
) -> Vec<(i64, i64)> {
    if !strategy.shifts_traffic() {
        if asked.is_some() {
            ctx.error(
                &at.key("test_port"),
                "`test_port` does nothing in a rolling deployment",
                "set `strategy: blue_green`, `canary` or `linear`, or remove it",
            );
        }
        return vec![];
    }
    let ports: Vec<i64> = lb.ports_of(name).map(|p| p.published).collect();
    if asked.is_some() && ports.len() > 1 {
        ctx.error(
            &at.key("test_port"),
            format!(
                "`{name}` publishes {} ports, and `test_port` names one",
                ports.len()
            ),
            "remove `test_port`: each port gets a test listener on the port + 10000",
        );
    }
    let mut out = Vec::new();
    for port in ports {
        let test = asked.unwrap_or(port + 10_000);
        let taken = lb.ports.iter().any(|p| p.published == test);
        if !(1..=65535).contains(&test) || taken {
            ctx.error(
                &at.key("test_port"),
                if taken {
                    format!("test port {test} is already a published port of the load balancer")
                } else {
                    format!("test port {test} (for port {port}) is not a port number")
                },
                "set `test_port` to a free port from 1 to 65535",
            );
        }
        out.push((port, test));
    }
    out
}

/// Lifecycle hooks: a Lambda ARN and the stages ECS calls it at.
fn hooks(ctx: &mut Ctx, asked: &Deployment, at: &KeyPath) -> Vec<(String, Vec<String>)> {
    const STAGES: &[&str] = &[
        "RECONCILE_SERVICE",
        "PRE_SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRE_PRODUCTION_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
    ];
    let mut out = Vec::new();
    for (i, h) in asked.hooks.iter().enumerate() {
        let here = at.key("hooks").index(i);
        let is_lambda = h.lambda.starts_with("arn:")
            && h.lambda.split(':').nth(2) == Some("lambda")
            && h.lambda.split(':').nth(5) == Some("function");
        if !is_lambda {
            ctx.error(
                &here.key("lambda"),
                format!("{:?} is not a Lambda function ARN", h.lambda),
                "write arn:aws:lambda:<region>:<account>:function:<name>",
            );
        }
        let stages: Vec<String> = h.stages.iter().map(|s| s.to_ascii_uppercase()).collect();
        for (j, stage) in stages.iter().enumerate() {
            if !STAGES.contains(&stage.as_str()) {
                ctx.error(
                    &here.key("stages").index(j),
                    format!("{stage:?} is not a deployment lifecycle stage"),
                    format!("write one of {}", STAGES.join(", ")),
                );
            }
        }
        if stages.is_empty() {
            ctx.error(
                &here.key("stages"),
                "a hook needs at least one stage",
                "name the stages",
            );
        }
        out.push((h.lambda.clone(), stages));
    }
    out
}
