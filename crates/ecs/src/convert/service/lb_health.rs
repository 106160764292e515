//! How the load balancer checks a service's tasks: `x-aws-healthcheck`
//! (path, matcher, interval, timeout, thresholds), else what the service's
//! own Compose health check implies (its interval, timeout and retries).

use crate::convert::Ctx;
use crate::extensions::{LoadBalancerHealth, TimeValue};
use compose::model::Service;
use compose::node::KeyPath;

/// Health check settings for the service's target groups; None: the
/// load balancer's defaults (and the path found in the health check).
#[derive(Debug, Clone, Default)]
pub struct LbHealth {
    pub path: Option<String>,
    pub matcher: Option<String>,
    pub interval: Option<i64>,
    pub timeout: Option<i64>,
    pub healthy_threshold: Option<i64>,
    pub unhealthy_threshold: Option<i64>,
}

pub fn read(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> LbHealth {
    let at = path.key("x-aws-healthcheck");
    let reader = ctx.reader(&s.extensions, path.clone());
    let asked: LoadBalancerHealth = ctx
        .ok(reader.get(
            "x-aws-healthcheck",
            "a mapping of path, matcher, interval, timeout, healthy_threshold and unhealthy_threshold",
        ))
        .unwrap_or_default();
    let own = s.healthcheck.as_deref().filter(|h| !h.disable);
    let seconds = |d: Option<compose::units::Duration>| d.map(|d| (d.0 / 1_000_000_000).max(1));
    let mut out = LbHealth {
        path: asked.path.clone(),
        matcher: asked.matcher.clone(),
        // The service's own check, where the load balancer accepts it.
        interval: seconds(own.and_then(|h| h.interval)).map(|i| i.clamp(5, 300)),
        timeout: seconds(own.and_then(|h| h.timeout)).map(|t| t.clamp(2, 120)),
        healthy_threshold: asked.healthy_threshold,
        unhealthy_threshold: own.and_then(|h| h.retries).map(|r| (r as i64).clamp(2, 10)),
    };
    if let Some(i) = &asked.interval {
        out.interval = in_seconds(ctx, i, &at.key("interval"));
    }
    if let Some(t) = &asked.timeout {
        out.timeout = in_seconds(ctx, t, &at.key("timeout"));
    }
    if asked.unhealthy_threshold.is_some() {
        out.unhealthy_threshold = asked.unhealthy_threshold;
    }
    check(ctx, &mut out, &at);
    out
}

/// A number of seconds, or a duration such as `30s`.
fn in_seconds(ctx: &mut Ctx, value: &TimeValue, at: &KeyPath) -> Option<i64> {
    match value.whole(1, "seconds") {
        Ok(n) => Some(n),
        Err(why) => {
            ctx.error(at, why, "write seconds, such as 30 or 30s");
            None
        }
    }
}

/// Elastic Load Balancing's ranges: interval 5-300 s, timeout 2-120 s and
/// below the interval, thresholds 2-10, a path from `/`, codes 200-599.
fn check(ctx: &mut Ctx, h: &mut LbHealth, at: &KeyPath) {
    let mut range = |value: &mut Option<i64>, key: &str, low: i64, high: i64| {
        if let Some(v) = *value
            && !(low..=high).contains(&v)
        {
            ctx.error(
                &at.key(key),
                format!("{key} {v} is outside {low}-{high}"),
                format!("give {low} to {high}"),
            );
            *value = None;
        }
    };
    range(&mut h.interval, "interval", 5, 300);
    range(&mut h.timeout, "timeout", 2, 120);
    range(&mut h.healthy_threshold, "healthy_threshold", 2, 10);
    range(&mut h.unhealthy_threshold, "unhealthy_threshold", 2, 10);
    if let (Some(i), Some(t)) = (h.interval, h.timeout)
        && t >= i
    {
        // The Compose check may time out as late as it runs; the load
        // balancer wants the timeout shorter than the interval.
        h.timeout = Some((i - 1).max(2));
    }
    if let Some(p) = &h.path
        && !p.starts_with('/')
    {
        ctx.error(
            &at.key("path"),
            format!("{p:?} is not a path"),
            "write a path starting with /, such as /health",
        );
    }
    if let Some(m) = &h.matcher {
        let codes = m.split([',', '-']).all(|c| {
            c.trim()
                .parse::<u16>()
                .is_ok_and(|c| (200..=599).contains(&c))
        });
        if !codes {
            ctx.error(
                &at.key("matcher"),
                format!("{m:?} is not a list or range of HTTP codes"),
                "write codes such as 200, 200-299 or 200,302",
            );
        }
    }
}
