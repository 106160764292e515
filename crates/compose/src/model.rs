//! The typed Compose model: what a loaded project *is*.
//!
//! Field order and "omit when empty" rules follow Docker Compose's own model so
//! that `docker-ecs config` prints the same JSON as `docker compose config`.
//! Every struct rejects unknown keys (see [`crate::de`]) and keeps its `x-*`
//! extensions in `extensions`.

use crate::units::{Bytes, Cpus, Duration};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub type Extensions = IndexMap<String, serde_json::Value>;
/// `KEY: value` maps (labels, sysctls, …), printed sorted.
pub type Mapping = BTreeMap<String, String>;
/// Maps whose values may be unset (environment, build args): `KEY` alone is `None`.
pub type MappingWithEquals = BTreeMap<String, Option<String>>;

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero_i64(i: &i64) -> bool {
    *i == 0
}
fn is_zero_u64(i: &u64) -> bool {
    *i == 0
}
fn is_zero_f64(f: &f64) -> bool {
    *f == 0.0
}

/// A loaded, normalised Compose project.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Project {
    pub name: String,
    pub services: IndexMap<String, Service>,
    pub networks: IndexMap<String, Network>,
    pub volumes: IndexMap<String, Volume>,
    pub secrets: IndexMap<String, FileObject>,
    pub configs: IndexMap<String, FileObject>,
    pub models: IndexMap<String, serde_json::Value>,
    #[serde(rename = "#extensions")]
    pub extensions: Extensions,
    /// Services disabled by profiles (kept for `--profile` listings).
    #[serde(skip)]
    pub disabled_services: IndexMap<String, Service>,
    /// The directory relative paths were resolved against.
    #[serde(skip)]
    pub working_dir: std::path::PathBuf,
    /// The Compose files that were loaded, in order.
    #[serde(skip)]
    pub compose_files: Vec<std::path::PathBuf>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Service {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: Mapping,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Box<Build>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub develop: Option<Box<Develop>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blkio_config: Option<Box<Blkio>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cgroup_parent: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cgroup: String,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub cpu_count: i64,
    #[serde(skip_serializing_if = "is_zero_f64", with = "crate::units::go_float")]
    pub cpu_percent: f64,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub cpu_period: i64,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub cpu_quota: i64,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub cpu_rt_period: i64,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub cpu_rt_runtime: i64,
    #[serde(skip_serializing_if = "Cpus::is_zero")]
    pub cpus: Cpus,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cpuset: String,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub cpu_shares: i64,
    /// Always printed (`null` when unset) because `[]` and unset differ.
    pub command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<FileReference>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub container_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_spec: Option<Box<CredentialSpec>>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub depends_on: IndexMap<String, Dependency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Box<Deploy>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_cgroup_rules: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_opt: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domainname: String,
    /// Always printed, like `command`.
    pub entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Box<Provider>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: MappingWithEquals,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_file: Vec<EnvFile>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extends: Option<Extends>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_links: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gpus: Vec<DeviceRequest>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Box<Healthcheck>>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ipc: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub isolation: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Mapping,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub label_file: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<Box<Logging>>,
    #[serde(skip_serializing_if = "Bytes::is_zero")]
    pub mem_limit: Bytes,
    #[serde(skip_serializing_if = "Bytes::is_zero")]
    pub mem_reservation: Bytes,
    #[serde(skip_serializing_if = "Bytes::is_zero")]
    pub memswap_limit: Bytes,
    #[serde(skip_serializing_if = "Bytes::is_zero")]
    pub mem_swappiness: Bytes,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mac_address: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub models: BTreeMap<String, Option<serde_json::Value>>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub network_mode: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Option<ServiceNetwork>>,
    #[serde(skip_serializing_if = "is_false")]
    pub oom_kill_disable: bool,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub oom_score_adj: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pid: String,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub pids_limit: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub platform: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    #[serde(skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pull_policy: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pull_refresh_after: String,
    #[serde(skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub restart: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub runtime: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<FileReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    #[serde(skip_serializing_if = "Bytes::is_zero")]
    pub shm_size: Bytes,
    #[serde(skip_serializing_if = "is_false")]
    pub stdin_open: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<Duration>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stop_signal: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub storage_opt: Mapping,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: Mapping,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub tty: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ulimits: BTreeMap<String, Ulimit>,
    #[serde(skip_serializing_if = "is_false")]
    pub use_api_socket: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub userns_mode: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uts: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<ServiceVolume>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_start: Vec<Hook>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_stop: Vec<Hook>,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Build {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub context: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dockerfile: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dockerfile_inline: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: MappingWithEquals,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub provenance: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sbom: String,
    /// `default` or `ID=PATH` entries, as the specification writes them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ssh: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Mapping,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::units::string_or_list"
    )]
    pub cache_from: Vec<String>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::units::string_or_list"
    )]
    pub cache_to: Vec<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub no_cache: bool,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::units::string_or_list"
    )]
    pub no_cache_filter: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub additional_contexts: Mapping,
    #[serde(skip_serializing_if = "is_false")]
    pub pull: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub isolation: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub network: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<FileReference>,
    #[serde(skip_serializing_if = "Bytes::is_zero")]
    pub shm_size: Bytes,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::units::string_or_list"
    )]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ulimits: BTreeMap<String, Ulimit>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::units::string_or_list"
    )]
    pub platforms: Vec<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Develop {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub watch: Vec<WatchTrigger>,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WatchTrigger {
    pub path: String,
    pub action: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// Always printed (Compose embeds it by value).
    pub exec: Hook,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub initial_sync: bool,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Hook {
    /// Always printed, like a service's `command`.
    #[serde(deserialize_with = "crate::units::optional_command")]
    pub command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: MappingWithEquals,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Blkio {
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub weight: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weight_device: Vec<WeightDevice>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_read_bps: Vec<ThrottleDevice>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_read_iops: Vec<ThrottleDevice>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_write_bps: Vec<ThrottleDevice>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_write_iops: Vec<ThrottleDevice>,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

/// Go prints these two with capitalised field names (no JSON tags upstream).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WeightDevice {
    #[serde(rename(serialize = "Path"), alias = "path")]
    pub path: String,
    #[serde(rename(serialize = "Weight"), alias = "weight")]
    pub weight: u64,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ThrottleDevice {
    #[serde(rename(serialize = "Path"), alias = "path")]
    pub path: String,
    #[serde(rename(serialize = "Rate"), alias = "rate")]
    pub rate: Bytes,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FileReference {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<crate::units::FileMode>,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CredentialSpec {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub config: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub file: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub registry: String,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Dependency {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub condition: String,
    #[serde(skip_serializing_if = "is_false")]
    pub restart: bool,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
    pub required: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Deploy {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Mapping,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_config: Option<UpdateConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_config: Option<UpdateConfig>,
    /// Printed even when empty, as Compose does.
    pub resources: Resources,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    /// Printed even when empty, as Compose does.
    pub placement: Placement,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub endpoint_mode: String,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u64>,
    #[serde(skip_serializing_if = "Duration::is_zero")]
    pub delay: Duration,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub failure_action: String,
    #[serde(skip_serializing_if = "Duration::is_zero")]
    pub monitor: Duration,
    #[serde(skip_serializing_if = "is_zero_f64", with = "crate::units::go_float")]
    pub max_failure_ratio: f64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub order: String,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Resources {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<Resource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservations: Option<Resource>,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Resource {
    #[serde(skip_serializing_if = "Cpus::is_zero")]
    pub cpus: Cpus,
    #[serde(skip_serializing_if = "Bytes::is_zero")]
    pub memory: Bytes,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub pids: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceRequest>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub generic_resources: Vec<GenericResource>,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GenericResource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discrete_resource_spec: Option<DiscreteResource>,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DiscreteResource {
    pub kind: String,
    pub value: i64,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceRequest {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub driver: String,
    #[serde(skip_serializing_if = "crate::units::DeviceCount::is_zero")]
    pub count: crate::units::DeviceCount,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_ids: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: Mapping,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RestartPolicy {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub condition: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Placement {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preferences: Vec<PlacementPreference>,
    #[serde(rename = "max_replicas_per_node", skip_serializing_if = "is_zero_u64")]
    pub max_replicas: u64,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PlacementPreference {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub spread: String,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Device {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub permissions: String,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Provider {
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Each option may be given once or several times; it prints as a list.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "crate::units::multi_options"
    )]
    pub options: BTreeMap<String, Vec<String>>,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EnvFile {
    pub path: String,
    pub required: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub format: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Extends {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub file: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub service: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Healthcheck {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<Duration>,
    #[serde(skip_serializing_if = "is_false")]
    pub disable: bool,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Logging {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub driver: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: Mapping,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceNetwork {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: Mapping,
    #[serde(rename = "gw_priority", skip_serializing_if = "is_zero_i64")]
    pub gateway_priority: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub interface_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ipv4_address: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ipv6_address: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link_local_ips: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mac_address: String,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub priority: i64,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Port {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mode: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub host_ip: String,
    #[serde(skip_serializing_if = "crate::units::is_zero_u32")]
    pub target: u32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub published: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub protocol: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub app_protocol: String,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceVolume {
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target: String,
    #[serde(skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub consistency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<VolumeBind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeVolume>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<VolumeTmpfs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<VolumeImage>,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct VolumeBind {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub selinux: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub propagation: String,
    /// Defaults to true; printed only when true (Compose's opt-out boolean).
    #[serde(skip_serializing_if = "is_false")]
    pub create_host_path: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub recursive: String,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

impl Default for VolumeBind {
    fn default() -> Self {
        VolumeBind {
            selinux: String::new(),
            propagation: String::new(),
            create_host_path: true,
            recursive: String::new(),
            extensions: Extensions::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VolumeVolume {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Mapping,
    #[serde(skip_serializing_if = "is_false")]
    pub nocopy: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subpath: String,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VolumeTmpfs {
    #[serde(skip_serializing_if = "Bytes::is_zero")]
    pub size: Bytes,
    #[serde(skip_serializing_if = "crate::units::is_zero_u32")]
    pub mode: u32,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VolumeImage {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subpath: String,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

/// `ulimits.NAME`: a single value, or soft and hard limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ulimit {
    Single(i64),
    Range { soft: i64, hard: i64 },
}

impl<'de> Deserialize<'de> for Ulimit {
    /// By hand rather than `untagged`: an error inside `{soft, hard}` (a
    /// number too large, a missing key) is reported where it is.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Ulimit;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number or a mapping with `soft` and `hard`")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ulimit, E> {
                Ok(Ulimit::Single(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Ulimit, A::Error> {
                let (mut soft, mut hard) = (None, None);
                while let Some(k) = m.next_key::<String>()? {
                    match k.as_str() {
                        "soft" => soft = Some(m.next_value::<i64>()?),
                        "hard" => hard = Some(m.next_value::<i64>()?),
                        other => {
                            return Err(serde::de::Error::unknown_field(other, &["soft", "hard"]));
                        }
                    }
                }
                match (soft, hard) {
                    (Some(soft), Some(hard)) => Ok(Ulimit::Range { soft, hard }),
                    (None, _) => Err(serde::de::Error::missing_field("soft")),
                    (_, None) => Err(serde::de::Error::missing_field("hard")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Ulimit {
    /// Compose prints a non-zero single value as a number, anything else as
    /// `{soft, hard}` without the zero members.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (soft, hard) = match *self {
            Ulimit::Single(v) if v != 0 => return s.serialize_i64(v),
            Ulimit::Single(_) => (0, 0),
            Ulimit::Range { soft, hard } => (soft, hard),
        };
        let mut m = s.serialize_map(None)?;
        if soft != 0 {
            m.serialize_entry("soft", &soft)?;
        }
        if hard != 0 {
            m.serialize_entry("hard", &hard)?;
        }
        m.end()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Network {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub driver: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: Mapping,
    /// Printed even when empty, as Compose does.
    pub ipam: Ipam,
    #[serde(skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub internal: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub attachable: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Mapping,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ipv4: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ipv6: Option<bool>,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Ipam {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub driver: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<IpamPool>,
    /// Accepted as the specification allows; Docker Compose does not print
    /// it, and neither do we.
    #[serde(skip_serializing)]
    pub options: Mapping,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IpamPool {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subnet: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gateway: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ip_range: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub aux_addresses: Mapping,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Volume {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub driver: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: Mapping,
    #[serde(skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Mapping,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

/// A top-level secret or config.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FileObject {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub file: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub environment: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub content: String,
    #[serde(skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Mapping,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub driver: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: Mapping,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub template_driver: String,
    #[serde(rename = "#extensions", skip_serializing_if = "IndexMap::is_empty")]
    pub extensions: Extensions,
}

impl Project {
    /// Service names, sorted.
    pub fn service_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.services.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}
