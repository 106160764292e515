//! EC2 capacity: for each service on EC2, a launch template, an Auto Scaling
//! group and a capacity provider with managed scaling and managed
//! termination protection; the instance role they share; the cluster's
//! capacity provider list.

use super::service::{AmiVariant, Ec2Plan, ServicePlan};
use super::{Ctx, PROJECT_TAG};
use crate::cfn::resources::*;
use crate::cfn::{Expr, Parameter, Resource};
use compose::node::KeyPath;
use std::collections::BTreeSet;

/// `cp-<stack>-<service>`: unique in the region, and clear of the
/// prefixes ECS reserves (`aws`, `ecs`, `fargate`), which a project's name
/// could start with.
pub fn capacity_provider_name(project: &str, service: &str) -> String {
    let raw = format!("cp-{}-{service}", crate::names::stack_name(project));
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(255)
        .collect()
}

/// EC2 capacity for the services on EC2, and the cluster's provider list
/// when they or Fargate services with a strategy need one.
pub fn providers(ctx: &mut Ctx, plans: &[ServicePlan]) {
    let on_ec2: Vec<(&ServicePlan, &Ec2Plan)> = plans
        .iter()
        .filter_map(|p| Some((p, p.ec2.as_ref()?)))
        .collect();
    if !plans.iter().any(|p| p.cluster_providers) {
        return;
    }
    let (managed, own): (Vec<_>, Vec<_>) = on_ec2.iter().partition(|(_, e)| e.managed.is_some());
    if !own.is_empty() {
        instance_role(ctx);
        ami_parameters(ctx, own.iter().map(|(_, e)| *e));
    }
    if !managed.is_empty() {
        managed_instances_roles(ctx);
    }
    for (plan, ec2) in &managed {
        managed_instances_provider(ctx, plan, ec2);
    }
    // Managed Instances providers belong to their cluster already; the
    // association lists the Auto Scaling group providers.
    let mut providers = vec![Expr::str("FARGATE"), Expr::str("FARGATE_SPOT")];
    for (plan, ec2) in &own {
        launch_template(ctx, plan, ec2);
        auto_scaling_group(ctx, plan, ec2);
        capacity_provider(ctx, plan, ec2);
        providers.push(Expr::reference(format!("{}CapacityProvider", plan.id)));
    }
    if ctx.cluster.external {
        ctx.warn(
            &KeyPath::root().key("x-aws-cluster"),
            "the project associates capacity providers with the existing cluster, replacing its provider list with FARGATE, FARGATE_SPOT and the project's own",
            "use a cluster of this project's own for EC2 services if the cluster has other capacity providers",
        );
    }
    ctx.t.add(
        "ClusterCapacityProviders",
        Resource::new(ClusterCapacityProviderAssociations {
            cluster: ctx.cluster.name.clone(),
            capacity_providers: providers,
            default_capacity_provider_strategy: vec![StrategyItem {
                capacity_provider: Expr::str("FARGATE"),
                weight: 1,
                base: None,
            }],
        }),
    );
}

/// The role the instances' ECS agent runs with.
fn instance_role(ctx: &mut Ctx) {
    let role = Role::for_service(
        "ec2.amazonaws.com",
        &["service-role/AmazonEC2ContainerServiceforEC2Role"],
        vec![ctx.project_tag()],
    );
    add_instance_role(ctx, "EC2Instance", role);
}

/// `<prefix>Role` and `<prefix>Profile`, the instance profile that wears it.
fn add_instance_role(ctx: &mut Ctx, prefix: &str, role: Role) {
    ctx.t.add(format!("{prefix}Role"), Resource::new(role));
    ctx.t.add(
        format!("{prefix}Profile"),
        Resource::new(InstanceProfile {
            roles: vec![Expr::reference(format!("{prefix}Role"))],
        }),
    );
}

/// One parameter per AMI variant in use, resolved from its public SSM
/// parameter at deploy time (so a new deploy picks up a patched AMI).
fn ami_parameters<'a>(ctx: &mut Ctx, plans: impl Iterator<Item = &'a Ec2Plan>) {
    let variants: BTreeSet<AmiVariant> = plans
        .filter(|e| e.ami.is_none())
        .map(|e| e.variant)
        .collect();
    for v in variants {
        ctx.t.parameters.insert(
            v.parameter().into(),
            Parameter {
                kind: "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>".into(),
                description: format!("The {} (resolved from SSM at deploy time)", v.describe()),
                default: Some(Expr::str(v.ssm_path())),
                allowed_values: vec![],
            },
        );
    }
}

/// The ECS agent's configuration: the cluster, and the attributes that
/// the service's placement constraints ask for.
fn user_data(ctx: &Ctx, ec2: &Ec2Plan) -> Expr {
    let mut tail = String::from(" >> /etc/ecs/ecs.config\n");
    if !ec2.attributes.is_empty() {
        // Names and values are checked to be shell- and JSON-safe.
        let json = serde_json::to_string(&ec2.attributes).expect("attributes serialize");
        tail.push_str(&format!(
            "echo 'ECS_INSTANCE_ATTRIBUTES={json}' >> /etc/ecs/ecs.config\n"
        ));
    }
    Expr::Base64(Box::new(Expr::Join(
        String::new(),
        vec![
            Expr::str("#!/bin/bash\necho ECS_CLUSTER="),
            ctx.cluster.name.clone(),
            Expr::str(tail),
        ],
    )))
}

fn launch_template(ctx: &mut Ctx, plan: &ServicePlan, ec2: &Ec2Plan) {
    let user_data = user_data(ctx, ec2);
    ctx.t.add(
        format!("{}LaunchTemplate", plan.id),
        Resource::new(LaunchTemplate {
            launch_template_data: LaunchTemplateData {
                image_id: ec2
                    .ami
                    .clone()
                    .map(Expr::Str)
                    .unwrap_or_else(|| Expr::reference(ec2.variant.parameter())),
                instance_type: ec2.instance_type.clone(),
                iam_instance_profile: IamInstanceProfileRef {
                    arn: Expr::get_att("EC2InstanceProfile", "Arn"),
                },
                security_group_ids: plan.security_groups.clone(),
                user_data,
                // IMDSv2 only.
                metadata_options: MetadataOptions {
                    http_endpoint: "enabled".into(),
                    http_tokens: "required".into(),
                },
                block_device_mappings: vec![BlockDeviceMapping {
                    device_name: "/dev/xvda".into(),
                    ebs: Ebs {
                        encrypted: true,
                        volume_type: "gp3".into(),
                        volume_size: if ec2.gpus.is_some() { 100 } else { 30 },
                    },
                }],
            },
        }),
    );
}

fn auto_scaling_group(ctx: &mut Ctx, plan: &ServicePlan, ec2: &Ec2Plan) {
    let id = &plan.id;
    ctx.t.add(
        format!("{id}AutoScalingGroup"),
        Resource::new(AutoScalingGroup {
            min_size: ec2.min_instances.to_string(),
            max_size: ec2.max_instances.to_string(),
            // Instances reach ECS through the NAT gateway of the private
            // subnets, like their tasks.
            vpc_zone_identifier: ctx.net.tasks.clone(),
            launch_template: LaunchTemplateSpec {
                launch_template_id: Expr::reference(format!("{id}LaunchTemplate")),
                version: Expr::get_att(format!("{id}LaunchTemplate"), "LatestVersionNumber"),
            },
            new_instances_protected_from_scale_in: true,
            tags: vec![AsgTag {
                key: PROJECT_TAG.into(),
                value: Expr::str(ctx.name()),
                propagate_at_launch: true,
            }],
        }),
    );
}

fn capacity_provider(ctx: &mut Ctx, plan: &ServicePlan, ec2: &Ec2Plan) {
    let id = &plan.id;
    let tags = vec![ctx.project_tag()];
    ctx.t.add(
        format!("{id}CapacityProvider"),
        Resource::new(CapacityProvider {
            name: capacity_provider_name(ctx.name(), &plan.name),
            cluster_name: None,
            auto_scaling_group_provider: Some(AutoScalingGroupProvider {
                auto_scaling_group_arn: Expr::reference(format!("{id}AutoScalingGroup")),
                managed_scaling: ManagedScaling {
                    status: "ENABLED".into(),
                    target_capacity: ec2.target_capacity,
                },
                // Scale-in must not stop an instance that runs tasks.
                managed_termination_protection: "ENABLED".into(),
            }),
            managed_instances_provider: None,
            tags,
        }),
    );
}

/// The roles of ECS Managed Instances: the infrastructure role ECS manages
/// the instances with, and the instances' own role. AWS's managed policy
/// lets the first pass only roles named `ecsInstanceRole*`, and role names
/// are global to the account: the name carries the stack and the region.
fn managed_instances_roles(ctx: &mut Ctx) {
    let tags = vec![ctx.project_tag()];
    ctx.t.add(
        "ManagedInstancesInfrastructureRole",
        Resource::new(Role::for_service(
            "ecs.amazonaws.com",
            &["AmazonECSInfrastructureRolePolicyForManagedInstances"],
            tags.clone(),
        )),
    );
    // 64 characters at most: the prefix, the region (14 at most), dashes.
    let stack: String = crate::names::stack_name(ctx.name())
        .chars()
        .take(32)
        .collect();
    let mut role = Role::for_service(
        "ec2.amazonaws.com",
        &["AmazonECSInstanceRolePolicyForManagedInstances"],
        tags,
    );
    role.role_name = Some(Expr::sub(format!(
        "ecsInstanceRole-{stack}-${{AWS::Region}}"
    )));
    add_instance_role(ctx, "ManagedInstancesInstance", role);
}

/// A Managed Instances capacity provider for one service, in the private
/// subnets like its tasks, with the service's groups.
fn managed_instances_provider(ctx: &mut Ctx, plan: &ServicePlan, ec2: &Ec2Plan) {
    let Some(req) = &ec2.managed else { return };
    let arm64 = ec2.variant == AmiVariant::Arm64;
    let requirements = InstanceRequirements {
        v_cpu_count: MinMax {
            min: req.vcpus,
            max: None,
        },
        memory_mib: MinMax {
            min: req.memory_mib,
            max: None,
        },
        cpu_manufacturers: if arm64 {
            vec!["amazon-web-services".into()]
        } else {
            vec!["intel".into(), "amd".into()]
        },
        accelerator_count: ec2.gpus.map(|n| MinMax { min: n, max: None }),
        accelerator_types: ec2.gpus.map(|_| vec!["gpu".into()]).unwrap_or_default(),
        accelerator_manufacturers: ec2.gpus.map(|_| vec!["nvidia".into()]).unwrap_or_default(),
        allowed_instance_types: req.instance_type.iter().cloned().collect(),
    };
    let tags = vec![ctx.project_tag()];
    ctx.t.add(
        format!("{}CapacityProvider", plan.id),
        Resource::new(CapacityProvider {
            name: capacity_provider_name(ctx.name(), &plan.name),
            cluster_name: Some(ctx.cluster.name.clone()),
            auto_scaling_group_provider: None,
            managed_instances_provider: Some(ManagedInstancesProvider {
                infrastructure_role_arn: Expr::get_att("ManagedInstancesInfrastructureRole", "Arn"),
                instance_launch_template: InstanceLaunchTemplate {
                    ec2_instance_profile_arn: Expr::get_att(
                        "ManagedInstancesInstanceProfile",
                        "Arn",
                    ),
                    network_configuration: ManagedInstancesNetwork {
                        subnets: ctx.net.tasks.clone(),
                        security_groups: plan.security_groups.clone(),
                    },
                    storage_configuration: ManagedInstancesStorage {
                        storage_size_gib: if ec2.gpus.is_some() { 100 } else { 30 },
                    },
                    instance_requirements: requirements,
                },
                propagate_tags: "CAPACITY_PROVIDER".into(),
            }),
            tags,
        }),
    );
}
