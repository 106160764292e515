//! `deploy.x-aws-autoscaling` → Application Auto Scaling target tracking.

use super::spec::ServiceSpec;
use crate::cfn::resources::*;
use crate::cfn::{Expr, Resource};
use crate::convert::Ctx;
use crate::extensions::AutoScaling;

pub fn target_tracking(ctx: &mut Ctx, spec: &ServiceSpec, a: &AutoScaling) {
    let id = &spec.id;
    let apath = spec.path.key("deploy").key("x-aws-autoscaling");
    let (metric, target) = match (a.cpu, a.memory) {
        (Some(_), Some(_)) => {
            ctx.error(
                &apath,
                "x-aws-autoscaling can't be set with both cpu and memory targets",
                "keep one of `cpu` and `memory`",
            );
            return;
        }
        (Some(c), None) => ("ECSServiceAverageCPUUtilization", c),
        (None, Some(m)) => ("ECSServiceAverageMemoryUtilization", m),
        (None, None) => {
            ctx.error(
                &apath,
                "x-aws-autoscaling needs a `cpu` or `memory` target",
                "add `cpu: 75` (percent) or `memory: 75`",
            );
            return;
        }
    };
    if !(1.0..=100.0).contains(&target) {
        ctx.error(
            &apath,
            format!("target {target}% is not a percentage"),
            "use a value between 1 and 100",
        );
    }
    let Some(max) = a.max else {
        ctx.error(
            &apath,
            "x-aws-autoscaling must define `max` replicas",
            "add `max: 10`",
        );
        return;
    };
    let min = a.min.unwrap_or(spec.replicas.max(1));
    if min < 0 || max < min.max(1) {
        ctx.error(
            &apath,
            format!("min {min} and max {max} replicas are inconsistent"),
            "make max at least min and at least 1",
        );
    }
    let target_id = format!("{id}ScalableTarget");
    ctx.t.add(
        target_id.clone(),
        Resource::new(ScalableTarget {
            max_capacity: max,
            min_capacity: min,
            resource_id: Expr::Join(
                "/".into(),
                vec![
                    Expr::str("service"),
                    ctx.cluster.name.clone(),
                    Expr::get_att(format!("{id}Service"), "Name"),
                ],
            ),
            scalable_dimension: "ecs:service:DesiredCount".into(),
            service_namespace: "ecs".into(),
        }),
    );
    ctx.t.add(
        format!("{id}ScalingPolicy"),
        Resource::new(ScalingPolicy {
            policy_name: format!("{id}ScalingPolicy"),
            policy_type: "TargetTrackingScaling".into(),
            scaling_target_id: Expr::reference(target_id),
            target_tracking_scaling_policy_configuration: TargetTracking {
                predefined_metric_specification: PredefinedMetric {
                    predefined_metric_type: metric.into(),
                },
                target_value: target,
                scale_in_cooldown: 60,
                scale_out_cooldown: 60,
            },
        }),
    );
}
