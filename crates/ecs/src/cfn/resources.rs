//! Typed properties of the resource types docker-ecs generates.
//!
//! Property names are CloudFormation's (PascalCase); unset optional
//! properties are not printed at all, so no empty `Condition` or `Principal`
//! ever reaches a template.

use super::{Expr, Tag};
use serde::Serialize;

macro_rules! resources {
    ($($variant:ident => $type_name:literal),* $(,)?) => {
        /// The properties of one resource; the variant decides the `Type`.
        #[derive(Debug, Clone, Serialize)]
        #[serde(untagged)]
        pub enum Properties {
            $($variant($variant),)*
        }

        impl Properties {
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Properties::$variant(_) => $type_name,)*
                }
            }
        }

        $(impl From<$variant> for Properties {
            fn from(p: $variant) -> Self {
                Properties::$variant(p)
            }
        })*
    };
}

resources! {
    Cluster => "AWS::ECS::Cluster",
    ClusterCapacityProviderAssociations => "AWS::ECS::ClusterCapacityProviderAssociations",
    CapacityProvider => "AWS::ECS::CapacityProvider",
    TaskDefinition => "AWS::ECS::TaskDefinition",
    EcsService => "AWS::ECS::Service",
    SecurityGroup => "AWS::EC2::SecurityGroup",
    SecurityGroupIngress => "AWS::EC2::SecurityGroupIngress",
    LaunchTemplate => "AWS::EC2::LaunchTemplate",
    AutoScalingGroup => "AWS::AutoScaling::AutoScalingGroup",
    Role => "AWS::IAM::Role",
    InstanceProfile => "AWS::IAM::InstanceProfile",
    LoadBalancer => "AWS::ElasticLoadBalancingV2::LoadBalancer",
    TargetGroup => "AWS::ElasticLoadBalancingV2::TargetGroup",
    Listener => "AWS::ElasticLoadBalancingV2::Listener",
    ListenerRule => "AWS::ElasticLoadBalancingV2::ListenerRule",
    LogGroup => "AWS::Logs::LogGroup",
    KmsKey => "AWS::KMS::Key",
    PrivateDnsNamespace => "AWS::ServiceDiscovery::PrivateDnsNamespace",
    DiscoveryService => "AWS::ServiceDiscovery::Service",
    FileSystem => "AWS::EFS::FileSystem",
    AccessPoint => "AWS::EFS::AccessPoint",
    MountTarget => "AWS::EFS::MountTarget",
    ScalableTarget => "AWS::ApplicationAutoScaling::ScalableTarget",
    ScalingPolicy => "AWS::ApplicationAutoScaling::ScalingPolicy",
}

/// `Name`/`Value` pairs (cluster settings, LB attributes).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameValue {
    pub name: String,
    pub value: Expr,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyValue {
    pub key: String,
    pub value: Expr,
}

// ---------------------------------------------------------------- ECS

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cluster {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cluster_settings: Vec<NameValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StrategyItem {
    pub capacity_provider: Expr,
    pub weight: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterCapacityProviderAssociations {
    pub cluster: Expr,
    pub capacity_providers: Vec<Expr>,
    pub default_capacity_provider_strategy: Vec<StrategyItem>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedScaling {
    pub status: String,
    pub target_capacity: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingGroupProvider {
    pub auto_scaling_group_arn: Expr,
    pub managed_scaling: ManagedScaling,
    pub managed_termination_protection: String,
}

/// ECS Managed Instances: AWS picks, patches and replaces the instances
/// from requirements.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedInstancesProvider {
    pub infrastructure_role_arn: Expr,
    pub instance_launch_template: InstanceLaunchTemplate,
    pub propagate_tags: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceLaunchTemplate {
    pub ec2_instance_profile_arn: Expr,
    pub network_configuration: ManagedInstancesNetwork,
    pub storage_configuration: ManagedInstancesStorage,
    pub instance_requirements: InstanceRequirements,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedInstancesNetwork {
    pub subnets: Vec<Expr>,
    pub security_groups: Vec<Expr>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedInstancesStorage {
    #[serde(rename = "StorageSizeGiB")]
    pub storage_size_gib: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceRequirements {
    pub v_cpu_count: MinMax,
    #[serde(rename = "MemoryMiB")]
    pub memory_mib: MinMax,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cpu_manufacturers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accelerator_count: Option<MinMax>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accelerator_types: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accelerator_manufacturers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_instance_types: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MinMax {
    pub min: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CapacityProvider {
    /// Given explicitly: a generated one could start with the project's
    /// name, and names starting with `aws`, `ecs` or `fargate` are refused.
    pub name: String,
    /// ECS Managed Instances providers belong to one cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_scaling_group_provider: Option<AutoScalingGroupProvider>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_instances_provider: Option<ManagedInstancesProvider>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimePlatform {
    pub cpu_architecture: String,
    pub operating_system_family: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizationConfig {
    pub access_point_id: Expr,
    #[serde(rename = "IAM")]
    pub iam: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EfsVolumeConfiguration {
    pub filesystem_id: Expr,
    pub transit_encryption: String,
    pub authorization_config: AuthorizationConfig,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskVolume {
    pub name: String,
    #[serde(
        rename = "EFSVolumeConfiguration",
        skip_serializing_if = "Option::is_none"
    )]
    pub efs_volume_configuration: Option<EfsVolumeConfiguration>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlacementConstraint {
    #[serde(rename = "Type")]
    pub kind: String,
    /// `memberOf` only; `distinctInstance` has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlacementStrategy {
    #[serde(rename = "Type")]
    pub kind: String,
    /// None for `random`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskDefinition {
    pub family: Expr,
    pub network_mode: String,
    pub requires_compatibilities: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    pub execution_role_arn: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_platform: Option<RuntimePlatform>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<TaskVolume>,
    pub container_definitions: Vec<ContainerDefinition>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyValuePair {
    pub name: String,
    pub value: Expr,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerSecret {
    pub name: String,
    pub value_from: Expr,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDependency {
    pub container_name: String,
    pub condition: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthCheck {
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Capabilities {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drop: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LinuxParameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_process_enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfiguration {
    pub log_driver: String,
    pub options: indexmap::IndexMap<String, Expr>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountPoint {
    pub container_path: String,
    pub source_volume: String,
    pub read_only: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortMapping {
    /// Service Connect finds a server's port by this name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub container_port: i64,
    pub host_port: i64,
    pub protocol: String,
    /// `http`, `http2` or `grpc`: Service Connect's proxy speaks it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RepositoryCredentials {
    pub credentials_parameter: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceRequirement {
    #[serde(rename = "Type")]
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ulimit {
    pub name: String,
    pub soft_limit: i64,
    pub hard_limit: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SystemControl {
    pub namespace: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDefinition {
    pub name: String,
    pub image: String,
    pub essential: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<Expr>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<Vec<Expr>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValuePair>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<ContainerSecret>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub docker_labels: std::collections::BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<LinuxParameters>,
    pub log_configuration: LogConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mount_points: Vec<MountPoint>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<RepositoryCredentials>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_requirements: Vec<ResourceRequirement>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<Ulimit>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub system_controls: Vec<SystemControl>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readonly_root_filesystem: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interactive: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pseudo_terminal: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ContainerDependency>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentConfiguration {
    /// `ROLLING`, `BLUE_GREEN`, `CANARY` or `LINEAR`.
    pub strategy: String,
    pub maximum_percent: i64,
    pub minimum_healthy_percent: i64,
    /// ECS allows the circuit breaker on rolling deployments only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_circuit_breaker: Option<CircuitBreaker>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bake_time_in_minutes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_configuration: Option<CanaryConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linear_configuration: Option<LinearConfiguration>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_hooks: Vec<LifecycleHook>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarms: Option<DeploymentAlarms>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CanaryConfiguration {
    pub canary_percent: f64,
    pub canary_bake_time_in_minutes: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LinearConfiguration {
    pub step_percent: f64,
    pub step_bake_time_in_minutes: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleHook {
    pub hook_target_arn: String,
    pub lifecycle_stages: Vec<String>,
    pub role_arn: Expr,
    pub target_type: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentAlarms {
    pub alarm_names: Vec<String>,
    pub enable: bool,
    pub rollback: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentController {
    #[serde(rename = "Type")]
    pub kind: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AwsVpcConfiguration {
    pub assign_public_ip: Expr,
    pub security_groups: Vec<Expr>,
    pub subnets: Vec<Expr>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkConfiguration {
    pub awsvpc_configuration: AwsVpcConfiguration,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceLoadBalancer {
    pub container_name: String,
    pub container_port: i64,
    pub target_group_arn: Expr,
    /// Blue/green, canary and linear deployments: where ECS shifts traffic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advanced_configuration: Option<AdvancedConfiguration>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdvancedConfiguration {
    pub alternate_target_group_arn: Expr,
    pub production_listener_rule: Expr,
    pub test_listener_rule: Expr,
    pub role_arn: Expr,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceRegistry {
    pub registry_arn: Expr,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EcsService {
    pub cluster: Expr,
    pub task_definition: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<StrategyItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    // Boxed: the largest part of the largest resource.
    pub deployment_configuration: Box<DeploymentConfiguration>,
    pub deployment_controller: DeploymentController,
    pub network_configuration: NetworkConfiguration,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub load_balancers: Vec<ServiceLoadBalancer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub service_registries: Vec<ServiceRegistry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub placement_strategies: Vec<PlacementStrategy>,
    #[serde(rename = "EnableECSManagedTags")]
    pub enable_ecs_managed_tags: bool,
    /// ECS Exec (`x-aws-enable_exec`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_connect_configuration: Option<ServiceConnectConfiguration>,
    pub propagate_tags: String,
    pub scheduling_strategy: String,
    pub tags: Vec<Tag>,
}

/// ECS Service Connect: the service's proxy, the ports it serves under
/// names, and where the proxy logs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceConnectConfiguration {
    pub enabled: bool,
    pub namespace: Expr,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceConnectService>,
    pub log_configuration: LogConfiguration,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceConnectService {
    pub port_name: String,
    pub discovery_name: String,
    pub client_aliases: Vec<ClientAlias>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientAlias {
    pub port: i64,
    pub dns_name: String,
}

// ---------------------------------------------------------------- EC2

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EgressRule {
    pub ip_protocol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_security_group_id: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i64>,
    pub description: String,
}

impl EgressRule {
    /// Everything out, to anywhere (tasks pull images and call AWS APIs).
    pub fn anywhere(description: &str) -> Self {
        EgressRule {
            ip_protocol: "-1".into(),
            cidr_ip: Some("0.0.0.0/0".into()),
            destination_security_group_id: None,
            from_port: None,
            to_port: None,
            description: description.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    pub group_description: String,
    pub vpc_id: Expr,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_group_egress: Vec<EgressRule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupIngress {
    pub group_id: Expr,
    pub ip_protocol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_security_group_id: Option<Expr>,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamInstanceProfileRef {
    pub arn: Expr,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetadataOptions {
    pub http_endpoint: String,
    pub http_tokens: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ebs {
    pub encrypted: bool,
    pub volume_type: String,
    pub volume_size: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockDeviceMapping {
    pub device_name: String,
    pub ebs: Ebs,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateData {
    pub image_id: Expr,
    pub instance_type: String,
    pub iam_instance_profile: IamInstanceProfileRef,
    pub security_group_ids: Vec<Expr>,
    pub user_data: Expr,
    pub metadata_options: MetadataOptions,
    pub block_device_mappings: Vec<BlockDeviceMapping>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplate {
    pub launch_template_data: LaunchTemplateData,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateSpec {
    pub launch_template_id: Expr,
    pub version: Expr,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsgTag {
    pub key: String,
    pub value: Expr,
    pub propagate_at_launch: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingGroup {
    pub min_size: String,
    pub max_size: String,
    #[serde(rename = "VPCZoneIdentifier")]
    pub vpc_zone_identifier: Vec<Expr>,
    pub launch_template: LaunchTemplateSpec,
    /// Managed termination protection needs it: ECS decides which instance
    /// may go.
    pub new_instances_protected_from_scale_in: bool,
    pub tags: Vec<AsgTag>,
}

// ---------------------------------------------------------------- IAM

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Principal {
    pub service: String,
}

/// One IAM statement. `Principal` and `Condition` exist only when set.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub effect: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    pub action: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Vec<Expr>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
}

/// An IAM `Condition` block: operator → (context key → value), in the
/// order given. Typed rather than JSON: every service has a few, and a
/// `serde_json::Value` tree costs an allocation per map and key.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition(Vec<(&'static str, Vec<(String, Expr)>)>);

impl Condition {
    /// `{operator: {key: value}}`.
    pub fn new(operator: &'static str, key: impl Into<String>, value: Expr) -> Self {
        Condition(vec![(operator, vec![(key.into(), value)])])
    }
    /// Another operator block after the ones there.
    pub fn and(mut self, operator: &'static str, key: impl Into<String>, value: Expr) -> Self {
        self.0.push((operator, vec![(key.into(), value)]));
        self
    }
    /// Does any block test this context key?
    pub fn tests(&self, key: &str) -> bool {
        self.0
            .iter()
            .any(|(_, tests)| tests.iter().any(|(k, _)| k == key))
    }
}

impl Serialize for Condition {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Tests<'a>(&'a [(String, Expr)]);
        impl Serialize for Tests<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
            }
        }
        s.collect_map(
            self.0
                .iter()
                .map(|(operator, tests)| (operator, Tests(tests))),
        )
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: String,
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    pub fn new(statement: Vec<Statement>) -> Self {
        PolicyDocument {
            version: "2012-10-17".into(),
            statement,
        }
    }

    /// The trust policy of a role that an AWS service (`ecs.amazonaws.com`,
    /// `ec2.amazonaws.com`) assumes.
    pub fn trusting(service: &str) -> Self {
        PolicyDocument::new(vec![Statement {
            effect: "Allow".into(),
            principal: Some(Principal {
                service: service.into(),
            }),
            action: vec!["sts:AssumeRole".into()],
            resource: None,
            condition: None,
        }])
    }
}

impl Role {
    /// A role an AWS service assumes, with AWS managed policies named
    /// below `arn:<partition>:iam::aws:policy/`.
    pub fn for_service(service: &str, managed: &[&str], tags: Vec<Tag>) -> Role {
        Role {
            role_name: None,
            assume_role_policy_document: PolicyDocument::trusting(service),
            managed_policy_arns: managed
                .iter()
                .map(|m| Expr::sub(format!("arn:${{AWS::Partition}}:iam::aws:policy/{m}")))
                .collect(),
            policies: vec![],
            tags,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: String,
    pub policy_document: PolicyBody,
}

/// Ours are typed; `x-aws-role` documents are the user's own JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PolicyBody {
    Typed(PolicyDocument),
    Json(serde_json::Value),
}

impl From<PolicyDocument> for PolicyBody {
    fn from(d: PolicyDocument) -> Self {
        PolicyBody::Typed(d)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    /// Set only where AWS needs a name pattern (Managed Instances' PassRole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<Expr>,
    pub assume_role_policy_document: PolicyDocument,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_policy_arns: Vec<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<InlinePolicy>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    pub roles: Vec<Expr>,
}

// ---------------------------------------------------------------- ELBv2

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancer {
    pub scheme: String,
    #[serde(rename = "Type")]
    pub kind: String,
    pub subnets: Vec<Expr>,
    pub security_groups: Vec<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub load_balancer_attributes: Vec<KeyValue>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroup {
    pub port: i64,
    pub protocol: String,
    pub target_type: String,
    pub vpc_id: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_port: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_interval_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_timeout_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthy_threshold_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unhealthy_threshold_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matcher: Option<Matcher>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub target_group_attributes: Vec<KeyValue>,
    pub tags: Vec<Tag>,
}

/// The HTTP codes an ALB health check counts as healthy.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Matcher {
    pub http_code: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Certificate {
    pub certificate_arn: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListenerAction {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_config: Option<RedirectConfig>,
}

impl ListenerAction {
    pub fn forward(target_group: Expr) -> Self {
        ListenerAction {
            kind: "forward".into(),
            target_group_arn: Some(target_group),
            redirect_config: None,
        }
    }

    /// A permanent (301) redirect to HTTPS on `port`, keeping host, path
    /// and query.
    pub fn redirect_to_https(port: i64) -> Self {
        ListenerAction {
            kind: "redirect".into(),
            target_group_arn: None,
            redirect_config: Some(RedirectConfig {
                protocol: "HTTPS".into(),
                port: port.to_string(),
                status_code: "HTTP_301".into(),
            }),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RedirectConfig {
    pub protocol: String,
    pub port: String,
    pub status_code: String,
}

/// A rule that forwards every path to weighted target groups: ECS moves
/// the weights during blue/green, canary and linear deployments.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListenerRule {
    pub listener_arn: Expr,
    pub priority: i64,
    pub conditions: Vec<RuleCondition>,
    pub actions: Vec<WeightedForward>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleCondition {
    pub field: String,
    pub path_pattern_config: PathPatternConfig,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PathPatternConfig {
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WeightedForward {
    #[serde(rename = "Type")]
    pub kind: String,
    pub forward_config: ForwardConfig,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForwardConfig {
    pub target_groups: Vec<TargetGroupTuple>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroupTuple {
    pub target_group_arn: Expr,
    pub weight: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listener {
    pub load_balancer_arn: Expr,
    pub port: i64,
    pub protocol: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<Certificate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_policy: Option<String>,
    pub default_actions: Vec<ListenerAction>,
}

// ---------------------------------------------------------------- Logs, Cloud Map

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    pub log_group_name: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<Expr>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KmsKey {
    pub description: String,
    pub enable_key_rotation: bool,
    pub pending_window_in_days: i64,
    pub key_policy: serde_json::Value,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrivateDnsNamespace {
    pub name: String,
    pub description: String,
    pub vpc: Expr,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DnsRecord {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "TTL")]
    pub ttl: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DnsConfig {
    pub routing_policy: String,
    pub dns_records: Vec<DnsRecord>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthCheckCustomConfig {
    pub failure_threshold: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiscoveryService {
    pub name: String,
    pub description: String,
    pub namespace_id: Expr,
    pub dns_config: DnsConfig,
    pub health_check_custom_config: HealthCheckCustomConfig,
}

// ---------------------------------------------------------------- EFS

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupPolicy {
    pub status: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecyclePolicy {
    #[serde(rename = "TransitionToIA")]
    pub transition_to_ia: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FileSystem {
    pub encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performance_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput_in_mibps: Option<f64>,
    pub backup_policy: BackupPolicy,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_policies: Vec<LifecyclePolicy>,
    /// Who may use the file system, beyond the IAM policies of the tasks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_system_policy: Option<serde_json::Value>,
    pub file_system_tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PosixUser {
    pub uid: String,
    pub gid: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreationInfo {
    pub owner_uid: String,
    pub owner_gid: String,
    pub permissions: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootDirectory {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_info: Option<CreationInfo>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessPoint {
    pub file_system_id: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub posix_user: Option<PosixUser>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_directory: Option<RootDirectory>,
    pub access_point_tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountTarget {
    pub file_system_id: Expr,
    pub subnet_id: Expr,
    pub security_groups: Vec<Expr>,
}

// ---------------------------------------------------------------- Application Auto Scaling

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalableTarget {
    pub max_capacity: i64,
    pub min_capacity: i64,
    pub resource_id: Expr,
    pub scalable_dimension: String,
    pub service_namespace: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PredefinedMetric {
    pub predefined_metric_type: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTracking {
    pub predefined_metric_specification: PredefinedMetric,
    pub target_value: f64,
    pub scale_in_cooldown: i64,
    pub scale_out_cooldown: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingPolicy {
    pub policy_name: String,
    pub policy_type: String,
    pub scaling_target_id: Expr,
    pub target_tracking_scaling_policy_configuration: TargetTracking,
}
