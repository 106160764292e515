//! `x-aws-capacity_provider_strategy` (a service's, else the project's):
//! how a Fargate service spreads its tasks over FARGATE and FARGATE_SPOT,
//! with a base and weights, as ECS takes them.

use crate::cfn::Expr;
use crate::cfn::resources::StrategyItem;
use crate::convert::Ctx;
use crate::extensions::StrategyEntry;
use compose::model::Service;
use compose::node::KeyPath;

const KEY: &str = "x-aws-capacity_provider_strategy";
const EXPECTED: &str = "a list of {capacity_provider: FARGATE or FARGATE_SPOT, base, weight}";

/// The strategy of a service that runs on Fargate; empty for the plain
/// FARGATE launch type.
pub fn read(ctx: &mut Ctx, s: &Service, path: &KeyPath, arm64: bool) -> Vec<StrategyItem> {
    let reader = ctx.reader(&s.extensions, path.clone());
    let own: Option<Vec<StrategyEntry>> = ctx.ok(reader.get(KEY, EXPECTED));
    let (entries, at) = match own {
        Some(e) => (e, path.key(KEY)),
        None => {
            let reader = ctx.reader(&ctx.project.extensions, KeyPath::root());
            let project: Option<Vec<StrategyEntry>> = ctx.ok(reader.get(KEY, EXPECTED));
            (project.unwrap_or_default(), KeyPath::root().key(KEY))
        }
    };
    check(ctx, &entries, &at, arm64);
    entries
        .into_iter()
        .map(|e| StrategyItem {
            capacity_provider: Expr::str(e.capacity_provider),
            weight: e.weight.unwrap_or(1),
            base: e.base,
        })
        .collect()
}

/// ECS's rules: Fargate providers only, one base at most, weights 0 to
/// 1000 with one above 0; and Fargate Spot has no arm64 capacity.
fn check(ctx: &mut Ctx, entries: &[StrategyEntry], at: &KeyPath, arm64: bool) {
    for (i, e) in entries.iter().enumerate() {
        let here = at.index(i);
        match e.capacity_provider.as_str() {
            "FARGATE" => {}
            "FARGATE_SPOT" if arm64 => ctx.error(
                &here.key("capacity_provider"),
                "Fargate Spot runs x86-64 tasks only, and the service's platform is linux/arm64",
                "use FARGATE for an arm64 service, or build it for linux/amd64",
            ),
            "FARGATE_SPOT" => {}
            other => ctx.error(
                &here.key("capacity_provider"),
                format!("{other:?} is not a Fargate capacity provider"),
                "write FARGATE or FARGATE_SPOT (EC2 services get a capacity provider of their own)",
            ),
        }
        if e.weight.is_some_and(|w| !(0..=1000).contains(&w)) {
            ctx.error(
                &here.key("weight"),
                "a weight is 0 to 1000",
                "give a weight from 0 to 1000",
            );
        }
        if e.base.is_some_and(|b| !(0..=100_000).contains(&b)) {
            ctx.error(
                &here.key("base"),
                "a base is 0 to 100000 tasks",
                "give a base from 0 to 100000",
            );
        }
    }
    if entries.iter().filter(|e| e.base.unwrap_or(0) > 0).count() > 1 {
        ctx.error(
            at,
            "only one capacity provider of a strategy may have a base",
            "keep the base on one entry",
        );
    }
    if !entries.is_empty() && entries.iter().all(|e| e.weight == Some(0)) {
        ctx.error(
            at,
            "every weight is 0, so no task would ever be placed",
            "give one entry a weight above 0",
        );
    }
}
