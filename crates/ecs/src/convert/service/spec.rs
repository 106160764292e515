//! The plan of one service: everything conversion decided about it, checked,
//! before any resource is written.

use super::deployment::DeploymentPlan;
use super::placement::Placement;
use crate::cfn::Expr;
use crate::cfn::resources::{
    ContainerSecret, InlinePolicy, LogConfiguration, MountPoint, RuntimePlatform, TaskVolume,
};
use crate::convert::secrets::SecretRef;
use crate::extensions::AutoScaling;
use compose::node::KeyPath;

#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub name: String,
    /// The normalized name logical IDs start with.
    pub id: String,
    pub path: KeyPath,
    pub replicas: i64,
    pub autoscaling: Option<AutoScaling>,
    /// How a new version rolls out.
    pub deployment: DeploymentPlan,
    /// `mode: global`: an ECS daemon service on the EC2 instances.
    pub daemon: bool,
    /// `x-aws-enable_exec`: ECS Exec into its containers.
    pub exec: bool,
    pub size: Size,
    pub runtime_platform: Option<RuntimePlatform>,
    /// Fargate, or EC2 instances of the service's own.
    pub capacity: Capacity,
    /// Constraints and strategies (EC2 only).
    pub placement: Placement,
    pub network: Network,
    pub secrets: SecretFiles,
    pub storage: Storage,
    pub iam: Iam,
    /// The containers' awslogs configuration.
    pub logging: LogConfiguration,
    /// `awslogs-create-group: "true"`: the execution role may create it.
    pub creates_log_group: bool,
    /// `x-aws-deregistration_delay`: seconds the load balancer drains a
    /// task's connections.
    pub deregistration_delay: Option<i64>,
    /// How the load balancer checks the tasks.
    pub lb_health: super::lb_health::LbHealth,
    /// Logical IDs the ECS service must wait for (listeners, mount
    /// targets, the services it depends on).
    pub depends_on: Vec<String>,
}

impl ServiceSpec {
    pub fn fargate(&self) -> bool {
        matches!(self.capacity, Capacity::Fargate { .. })
    }

    /// The EC2 capacity it runs on, if any.
    pub fn ec2(&self) -> Option<&Ec2Plan> {
        match &self.capacity {
            Capacity::Ec2(plan) => Some(plan),
            Capacity::Fargate { .. } => None,
        }
    }

    /// Its tasks never get a public IP (every awsvpc task on EC2, or
    /// `x-aws-assign_public_ip: false`): they need subnets with a way out
    /// other than an internet gateway.
    pub fn private(&self) -> bool {
        self.network.public_ip == PublicIp::Disabled
    }
}

/// Where a service's tasks run.
#[derive(Debug, Clone)]
pub enum Capacity {
    /// `platform_version`: `x-aws-platform_version`, else LATEST.
    Fargate {
        platform_version: String,
        /// FARGATE / FARGATE_SPOT weights; empty: the FARGATE launch type.
        strategy: Vec<crate::cfn::resources::StrategyItem>,
    },
    Ec2(Ec2Plan),
}

impl Capacity {
    /// Does the service take capacity providers the cluster must list
    /// (its own on EC2, or FARGATE / FARGATE_SPOT with weights)?
    pub fn needs_cluster_providers(&self) -> bool {
        match self {
            Capacity::Fargate { strategy, .. } => !strategy.is_empty(),
            Capacity::Ec2(_) => true,
        }
    }
}

/// EC2 instances for one service: a launch template, an Auto Scaling group
/// and a capacity provider with managed scaling.
#[derive(Debug, Clone)]
pub struct Ec2Plan {
    pub instance_type: String,
    /// An AMI the user named (`node.ami == …`); otherwise the ECS-optimized
    /// Amazon Linux 2023 image of `variant`, resolved from SSM.
    pub ami: Option<String>,
    /// ECS attributes of its instances (`node.labels.K == V` constraints).
    pub attributes: std::collections::BTreeMap<String, String>,
    pub variant: AmiVariant,
    /// GPUs each task reserves.
    pub gpus: Option<i64>,
    pub min_instances: i64,
    pub max_instances: i64,
    /// Managed scaling's target utilisation, percent.
    pub target_capacity: i64,
    /// ECS Managed Instances (`x-aws-capacity: managed_instances`): AWS
    /// picks the instances from these requirements; no launch template or
    /// Auto Scaling group of ours.
    pub managed: Option<ManagedRequirements>,
}

/// What an ECS Managed Instance must offer one task.
#[derive(Debug, Clone)]
pub struct ManagedRequirements {
    pub vcpus: i64,
    pub memory_mib: i64,
    /// `x-aws-instance_type` or a placement constraint named one.
    pub instance_type: Option<String>,
}

/// The ECS-optimized Amazon Linux 2023 AMIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AmiVariant {
    Standard,
    Arm64,
    Gpu,
    Neuron,
}

impl AmiVariant {
    /// The template parameter that resolves it.
    pub fn parameter(self) -> &'static str {
        match self {
            AmiVariant::Standard => "AmiId",
            AmiVariant::Arm64 => "Arm64AmiId",
            AmiVariant::Gpu => "GpuAmiId",
            AmiVariant::Neuron => "NeuronAmiId",
        }
    }

    /// Its public SSM parameter (Amazon Linux 2 reached its end of support).
    pub fn ssm_path(self) -> &'static str {
        match self {
            AmiVariant::Standard => {
                "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
            }
            AmiVariant::Arm64 => {
                "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
            }
            AmiVariant::Gpu => {
                "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
            }
            AmiVariant::Neuron => {
                "/aws/service/ecs/optimized-ami/amazon-linux-2023/inf/recommended/image_id"
            }
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            AmiVariant::Standard => "ECS-optimized Amazon Linux 2023 AMI",
            AmiVariant::Arm64 => "ECS-optimized Amazon Linux 2023 arm64 AMI",
            AmiVariant::Gpu => "ECS-optimized Amazon Linux 2023 GPU AMI",
            AmiVariant::Neuron => "ECS-optimized Amazon Linux 2023 Neuron AMI",
        }
    }
}

/// The task size (`Cpu`/`Memory`) and the container's soft memory limit.
#[derive(Debug, Clone, Default)]
pub struct Size {
    pub task_cpu: Option<String>,
    pub task_memory: Option<String>,
    /// MiB.
    pub memory_reservation: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Network {
    pub security_groups: Vec<Expr>,
    /// The group that receives ingress from the load balancer.
    pub ingress_group: Expr,
    /// A group of the service's own, to create (its logical ID).
    pub own_group: Option<String>,
    pub public_ip: PublicIp,
}

/// Whether a service's tasks get a public IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicIp {
    Enabled,
    Disabled,
    /// As the tasks' subnets need: `up` decides (the `AssignPublicIp`
    /// parameter).
    AsSubnets,
}

/// Secrets delivered as files by an init container.
#[derive(Debug, Clone, Default)]
pub struct SecretFiles {
    /// The variables ECS fills from Secrets Manager for the init container.
    pub env: Vec<ContainerSecret>,
    /// Secrets the main container gets as variables (ecs-params `secrets`).
    pub variables: Vec<ContainerSecret>,
    /// The shell script that writes them to `/run/secrets`.
    pub script: Vec<String>,
    /// Every secret the execution role may read (registry credentials first).
    pub grants: Vec<SecretRef>,
}

#[derive(Debug, Clone, Default)]
pub struct Storage {
    pub volumes: Vec<TaskVolume>,
    pub mount_points: Vec<MountPoint>,
    /// The top-level volumes (EFS) the service mounts.
    pub efs_volumes: Vec<String>,
    /// One of them is mounted read-write.
    pub writes_efs: bool,
}

/// What the task role is granted.
#[derive(Debug, Clone, Default)]
pub struct Iam {
    pub pull_credentials: Option<String>,
    /// `x-aws-role`, a policy document.
    pub role_document: Option<serde_json::Map<String, serde_json::Value>>,
    /// `x-aws-policies`, managed policy ARNs.
    pub managed_policies: Vec<String>,
    /// Volume mount grants.
    pub task_policies: Vec<InlinePolicy>,
}
