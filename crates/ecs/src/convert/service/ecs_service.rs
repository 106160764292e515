//! The ECS service, its Cloud Map entry, and its own security group when it
//! needs one.

use super::deployment::Strategy;
use super::service_connect::{self, ServedPort};
use super::spec::{Capacity, PublicIp, ServiceSpec};
use crate::cfn::resources::*;
use crate::cfn::{Expr, Resource, Tag};
use crate::convert::ports::LoadBalancerPlan;
use crate::convert::traffic_shift;
use crate::convert::{Ctx, push_new};
use std::collections::BTreeMap;

/// Servers and their ports when the project uses Service Connect.
pub type Connect<'a> = Option<&'a BTreeMap<String, Vec<ServedPort>>>;

pub fn service(ctx: &mut Ctx, spec: &ServiceSpec, lb: &LoadBalancerPlan, connect: Connect) {
    let name = &spec.name;
    let id = &spec.id;
    if let Some(sg) = &spec.network.own_group {
        let tags = ctx.service_tags(name);
        ctx.t.add(
            sg.clone(),
            Resource::new(SecurityGroup {
                group_description: format!("{} service {name}", ctx.name()),
                vpc_id: ctx.net.vpc.clone(),
                security_group_egress: vec![EgressRule::anywhere(
                    "Outbound traffic (image pulls, AWS APIs, the internet)",
                )],
                tags,
            }),
        );
    }
    // Service Connect registers the servers itself; otherwise a Cloud Map
    // DNS entry per service.
    let (discovery, service_connect, depends_on) = match connect {
        Some(all) => {
            let ports = all.get(name).map_or(&[][..], Vec::as_slice);
            let config = service_connect::configuration(ctx, spec, ports);
            let mut depends_on = spec.depends_on.clone();
            push_new(&mut depends_on, service_connect::servers_first(all, spec));
            (None, Some(config), depends_on)
        }
        None => (
            Some(discovery_entry(ctx, spec)),
            None,
            spec.depends_on.clone(),
        ),
    };
    let shifts = spec.deployment.strategy.shifts_traffic();
    let load_balancers: Vec<ServiceLoadBalancer> = lb
        .ports_of(name)
        .map(|p| ServiceLoadBalancer {
            container_name: name.to_string(),
            container_port: p.target,
            target_group_arn: Expr::reference(p.target_group_id()),
            advanced_configuration: shifts.then(|| {
                let ids = traffic_shift::ids(lb.kind, p);
                AdvancedConfiguration {
                    alternate_target_group_arn: Expr::reference(ids.alternate_target_group),
                    production_listener_rule: Expr::reference(ids.production),
                    test_listener_rule: Expr::reference(ids.test),
                    role_arn: Expr::get_att(traffic_shift::INFRASTRUCTURE_ROLE, "Arn"),
                }
            }),
        })
        .collect();
    let grace = (!load_balancers.is_empty()).then(|| {
        ctx.project.services[name.as_str()]
            .healthcheck
            .as_ref()
            .and_then(|h| h.start_period)
            .map(|d| (d.0 as f64 / 1e9).round() as i64)
            .filter(|p| *p > 0)
            .unwrap_or(60)
    });
    let mut service_tags: Vec<Tag> = ctx.service_tags(name);
    if let Some(d) = ctx.project.services[name.as_str()].deploy.as_deref() {
        for (k, v) in &d.labels {
            service_tags.push(Tag::new(k.as_str(), v.as_str()));
        }
    }
    let (launch_type, capacity_provider_strategy) = placement_target(spec);
    let public_ip = match spec.network.public_ip {
        PublicIp::Enabled => Expr::str("ENABLED"),
        PublicIp::Disabled => Expr::str("DISABLED"),
        PublicIp::AsSubnets => crate::convert::subnets::chosen_public_ip(ctx),
    };
    let deployment_configuration = Box::new(deployment_configuration(ctx, spec));
    ctx.t.add(
        format!("{id}Service"),
        Resource::new(EcsService {
            cluster: ctx.cluster.arn.clone(),
            task_definition: Expr::reference(format!("{id}TaskDefinition")),
            desired_count: (spec.autoscaling.is_none() && !spec.daemon).then_some(spec.replicas),
            // A daemon takes a launch type, never a capacity provider.
            launch_type,
            capacity_provider_strategy,
            platform_version: match &spec.capacity {
                Capacity::Fargate {
                    platform_version, ..
                } => Some(platform_version.clone()),
                Capacity::Ec2(_) => None,
            },
            deployment_configuration,
            deployment_controller: DeploymentController { kind: "ECS".into() },
            network_configuration: NetworkConfiguration {
                awsvpc_configuration: AwsVpcConfiguration {
                    assign_public_ip: public_ip,
                    security_groups: spec.network.security_groups.clone(),
                    subnets: ctx.net.tasks.clone(),
                },
            },
            load_balancers,
            health_check_grace_period_seconds: grace,
            service_registries: discovery
                .iter()
                .map(|d| ServiceRegistry {
                    registry_arn: Expr::get_att(d, "Arn"),
                })
                .collect(),
            service_connect_configuration: service_connect,
            placement_constraints: spec.placement.constraints.clone(),
            placement_strategies: spec.placement.strategies.clone(),
            enable_ecs_managed_tags: true,
            enable_execute_command: spec.exec.then_some(true),
            propagate_tags: "SERVICE".into(),
            scheduling_strategy: if spec.daemon { "DAEMON" } else { "REPLICA" }.into(),
            tags: service_tags,
        })
        .depends_on(depends_on),
    );
}

/// A launch type, or a capacity provider strategy (ECS takes one or the
/// other): Fargate's weights when the service has them, the service's own
/// instances on EC2, the EC2 launch type for a daemon (which takes no
/// capacity provider).
fn placement_target(spec: &ServiceSpec) -> (Option<String>, Vec<StrategyItem>) {
    match &spec.capacity {
        Capacity::Fargate { strategy, .. } if strategy.is_empty() => {
            (Some("FARGATE".into()), vec![])
        }
        Capacity::Fargate { strategy, .. } => (None, strategy.clone()),
        Capacity::Ec2(_) if spec.daemon => (Some("EC2".into()), vec![]),
        Capacity::Ec2(_) => (
            None,
            vec![StrategyItem {
                capacity_provider: Expr::reference(format!("{}CapacityProvider", spec.id)),
                weight: 1,
                base: None,
            }],
        ),
    }
}

/// The rollout: strategy, bounds, bake time, the circuit breaker (rolling
/// only), lifecycle hooks and rollback alarms.
fn deployment_configuration(ctx: &mut Ctx, spec: &ServiceSpec) -> DeploymentConfiguration {
    let d = &spec.deployment;
    let (min, max) = d.percents;
    let hook_role = (!d.hooks.is_empty()).then(|| super::iam::hook_role(ctx, spec));
    DeploymentConfiguration {
        strategy: d.strategy.name().into(),
        maximum_percent: max,
        minimum_healthy_percent: min,
        deployment_circuit_breaker: d
            .circuit_breaker
            .map(|(enable, rollback)| CircuitBreaker { enable, rollback }),
        bake_time_in_minutes: d.bake_minutes,
        canary_configuration: match d.strategy {
            Strategy::Canary {
                percent,
                bake_minutes,
            } => Some(CanaryConfiguration {
                canary_percent: percent,
                canary_bake_time_in_minutes: bake_minutes,
            }),
            _ => None,
        },
        linear_configuration: match d.strategy {
            Strategy::Linear {
                percent,
                bake_minutes,
            } => Some(LinearConfiguration {
                step_percent: percent,
                step_bake_time_in_minutes: bake_minutes,
            }),
            _ => None,
        },
        lifecycle_hooks: d
            .hooks
            .iter()
            .map(|(lambda, stages)| LifecycleHook {
                hook_target_arn: lambda.clone(),
                lifecycle_stages: stages.clone(),
                role_arn: hook_role.clone().unwrap_or(Expr::str("")),
                target_type: "AWS_LAMBDA".into(),
            })
            .collect(),
        alarms: (!d.alarms.is_empty()).then(|| DeploymentAlarms {
            alarm_names: d.alarms.clone(),
            enable: true,
            rollback: true,
        }),
    }
}

/// The service's name in the project's Cloud Map namespace; returns its
/// logical ID.
fn discovery_entry(ctx: &mut Ctx, spec: &ServiceSpec) -> String {
    let discovery = format!("{}ServiceDiscoveryEntry", spec.id);
    ctx.t.add(
        discovery.clone(),
        Resource::new(DiscoveryService {
            name: spec.name.clone(),
            description: format!("\"{}\" service discovery entry in Cloud Map", spec.name),
            namespace_id: Expr::reference("CloudMap"),
            dns_config: DnsConfig {
                routing_policy: "MULTIVALUE".into(),
                dns_records: vec![DnsRecord {
                    kind: "A".into(),
                    ttl: 60,
                }],
            },
            health_check_custom_config: HealthCheckCustomConfig {
                failure_threshold: 1,
            },
        }),
    );
    discovery
}
