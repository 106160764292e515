//! Named volumes → EFS (file system, access point, mount targets), and
//! secrets → Secrets Manager references. No secret value is ever read into
//! the template.

use super::{Ctx, FilesystemParameter, VOLUME_TAG};
use crate::cfn::resources::*;
use crate::cfn::{Expr, Resource, Tag};
use crate::extensions;
use crate::names;
use compose::node::KeyPath;

#[derive(Debug, Clone)]
pub struct VolumePlan {
    pub id: String,
    pub file_system_id: Expr,
    pub file_system_arn: Expr,
    pub access_point: String,
    pub mount_targets: Vec<String>,
    /// The group of the mount targets we create, which admits NFS from the
    /// services that mount the volume.
    pub mount_group: Option<String>,
    /// Every resource written for it: a volume only one service mounts
    /// goes with that service into its nested stack.
    pub resources: Vec<String>,
}

const EFS_OPTIONS: &[&str] = &[
    "uid",
    "gid",
    "permissions",
    "root_directory",
    "backup_policy",
    "lifecycle_policy",
    "performance_mode",
    "throughput_mode",
    "provisioned_throughput",
    "kms_key_id",
];

pub fn volumes(ctx: &mut Ctx) {
    let project = ctx.project;
    let mut keys: Vec<&String> = project.volumes.keys().collect();
    keys.sort();
    let mut table = names::NameTable::default();
    for key in keys {
        let vol = &project.volumes[key.as_str()];
        let path = KeyPath::root().key("volumes").key(key);
        let reader = ctx.reader(&vol.extensions, path.clone());
        ctx.check_extensions(&reader, extensions::NONE);
        let Some(norm) = ctx.register_name(&mut table, "volumes", key, &path) else {
            continue;
        };
        let first = ctx.t.resources.len();
        if !vol.driver.is_empty() && vol.driver != "local" {
            ctx.warn(
                &path.key("driver"),
                format!(
                    "volume driver {:?} is ignored: volumes are EFS file systems",
                    vol.driver
                ),
                "remove `driver`",
            );
        }
        for opt in vol.driver_opts.keys() {
            if !EFS_OPTIONS.contains(&opt.as_str()) {
                ctx.warn(
                    &path.key("driver_opts").key(opt),
                    format!("driver option {opt:?} is ignored on EFS"),
                    format!("EFS options are: {}", EFS_OPTIONS.join(", ")),
                );
            }
        }
        let opts = &vol.driver_opts;
        let project_name = project.name.clone();
        let tags = |name: &str| {
            let mut t = vec![
                Tag::new(super::PROJECT_TAG, project_name.as_str()),
                Tag::new(VOLUME_TAG, key.as_str()),
                Tag::new("Name", name),
            ];
            for (k, v) in &vol.labels {
                t.push(Tag::new(k.as_str(), v.as_str()));
            }
            t
        };
        let fs_resource = format!("{norm}Filesystem");
        let (fs_id, fs_arn, create_mount_targets) = if vol.external {
            if !extensions::is_resource_id("fs", &vol.name) {
                ctx.error(
                    &path.key("name"),
                    format!(
                        "external volume {key:?} must name an EFS file system ID, found {:?}",
                        vol.name
                    ),
                    "set `name: fs-…` to the ID of the existing file system",
                );
            }
            (
                Expr::str(vol.name.clone()),
                Expr::sub(format!(
                    "arn:${{AWS::Partition}}:elasticfilesystem:${{AWS::Region}}:${{AWS::AccountId}}:file-system/{}",
                    vol.name
                )),
                // An existing file system already has its mount targets.
                false,
            )
        } else {
            // `up` passes a retained file system of an earlier deployment here.
            let parameter = format!("{fs_resource}Id");
            let condition = format!("Create{fs_resource}");
            ctx.reattach_parameter(
                &parameter,
                &condition,
                format!(
                    "An existing EFS file system for volume {key} (empty: create one; docker ecs up re-attaches the one a previous deployment retained)"
                ),
            );
            ctx.filesystem_parameters.push(FilesystemParameter {
                parameter: parameter.clone(),
                volume: key.clone(),
            });
            let lifecycle = opts
                .get("lifecycle_policy")
                .map(|p| {
                    vec![LifecyclePolicy {
                        transition_to_ia: p.trim().to_string(),
                    }]
                })
                .unwrap_or_default();
            let throughput = match opts.get("provisioned_throughput") {
                Some(t) => match t.parse::<f64>() {
                    Ok(v) => Some(v),
                    Err(_) => {
                        ctx.error(
                            &path.key("driver_opts").key("provisioned_throughput"),
                            format!(
                                "provisioned_throughput must be a number of MiB/s, found {t:?}"
                            ),
                            "write a number such as 128",
                        );
                        None
                    }
                },
                None => None,
            };
            ctx.t.add(
                fs_resource.clone(),
                Resource::new(FileSystem {
                    encrypted: true,
                    kms_key_id: opts.get("kms_key_id").cloned(),
                    performance_mode: opts.get("performance_mode").cloned(),
                    throughput_mode: opts.get("throughput_mode").cloned(),
                    provisioned_throughput_in_mibps: throughput,
                    backup_policy: BackupPolicy {
                        status: opts
                            .get("backup_policy")
                            .cloned()
                            .unwrap_or_else(|| "ENABLED".into()),
                    },
                    lifecycle_policies: lifecycle,
                    file_system_policy: Some(file_system_policy()),
                    file_system_tags: tags(&vol.name),
                })
                .when(condition.clone())
                .retained(),
            );
            let id = Expr::if_(
                condition,
                Expr::reference(&fs_resource),
                Expr::reference(&parameter),
            );
            let arn = Expr::Join(
                String::new(),
                vec![
                    Expr::sub(
                        "arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:file-system/",
                    ),
                    id.clone(),
                ],
            );
            (id, arn, true)
        };
        let mut mount_targets = Vec::new();
        let mut mount_group = None;
        if create_mount_targets {
            let group = format!("{norm}MountTargetSecurityGroup");
            ctx.t.add(
                group.clone(),
                Resource::new(SecurityGroup {
                    group_description: format!(
                        "{} volume {key} (NFS from the services that mount it)",
                        project.name
                    ),
                    vpc_id: ctx.net.vpc.clone(),
                    security_group_egress: vec![],
                    tags: vec![ctx.project_tag()],
                }),
            );
            let sgs = vec![Expr::get_att(&group, "GroupId")];
            mount_group = Some(group);
            for (i, subnet) in ctx.net.tasks.clone().into_iter().enumerate() {
                let id = format!("{norm}NFSMountTargetOnSubnet{}", i + 1);
                ctx.t.add(
                    id.clone(),
                    Resource::new(MountTarget {
                        file_system_id: fs_id.clone(),
                        subnet_id: subnet,
                        security_groups: sgs.clone(),
                    }),
                );
                mount_targets.push(id);
            }
        }
        let uid = opts.get("uid");
        let gid = opts.get("gid").or(uid);
        // A POSIX user needs a directory it owns: the file system's root
        // belongs to root (0755), so an access point for uid 999 without a
        // root directory of its own could not write.
        let root_directory = opts
            .get("root_directory")
            .cloned()
            .or_else(|| uid.map(|_| format!("/{key}")));
        if opts.contains_key("permissions") && root_directory.is_none() {
            ctx.warn(
                &path.key("driver_opts").key("permissions"),
                "`permissions` applies to the directory the access point creates, and there is none",
                "set `root_directory` (or `uid`/`gid`) on the volume too",
            );
        }
        let access_point = format!("{norm}AccessPoint");
        ctx.t.add(
            access_point.clone(),
            Resource::new(AccessPoint {
                file_system_id: fs_id.clone(),
                posix_user: uid.map(|u| PosixUser {
                    uid: u.clone(),
                    gid: gid.cloned().unwrap_or_default(),
                }),
                root_directory: root_directory.map(|dir| RootDirectory {
                    path: dir,
                    creation_info: uid.map(|u| CreationInfo {
                        owner_uid: u.clone(),
                        owner_gid: gid.cloned().unwrap_or_default(),
                        permissions: opts
                            .get("permissions")
                            .cloned()
                            .unwrap_or_else(|| "755".into()),
                    }),
                }),
                access_point_tags: tags(&vol.name),
            }),
        );
        ctx.volumes.insert(
            key.clone(),
            VolumePlan {
                id: norm,
                file_system_id: fs_id,
                file_system_arn: fs_arn,
                access_point,
                mount_targets,
                mount_group,
                resources: ctx.t.resources.keys().skip(first).cloned().collect(),
            },
        );
    }
}

/// Every mount goes over TLS and through an access point (whose POSIX user
/// and directory the tasks cannot escape); the tasks' roles grant the rest.
fn file_system_policy() -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RequireTls",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}
            },
            {
                "Sid": "RequireAccessPoint",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": [
                    "elasticfilesystem:ClientMount",
                    "elasticfilesystem:ClientWrite",
                    "elasticfilesystem:ClientRootAccess"
                ],
                "Condition": {"Null": {"elasticfilesystem:AccessPointArn": "true"}}
            }
        ]
    })
}

/// NFS into each volume's mount targets from the services that mount it,
/// through their own groups (a network's group would admit every member).
pub fn mount_access(ctx: &mut Ctx, plans: &[super::service::ServicePlan]) {
    let volumes = ctx.volumes.clone();
    for (key, volume) in &volumes {
        let mut users = plans.iter().filter(|p| p.efs_volumes.contains(key));
        if let (Some(only), None) = (users.next(), users.next()) {
            for id in &volume.resources {
                ctx.t.assign(id, &only.name);
            }
        }
        let Some(group) = &volume.mount_group else {
            continue;
        };
        for plan in plans.iter().filter(|p| p.efs_volumes.contains(key)) {
            let Some(source) = &plan.own_group else {
                continue;
            };
            let id = format!("{}NfsFrom{}", volume.id, plan.id);
            ctx.t.assign(&id, &plan.name);
            ctx.t.add(
                id,
                Resource::new(SecurityGroupIngress {
                    group_id: Expr::get_att(group, "GroupId"),
                    ip_protocol: "tcp".into(),
                    from_port: Some(2049),
                    to_port: Some(2049),
                    cidr_ip: None,
                    source_security_group_id: Some(source.clone()),
                    description: format!("NFS from service {}", plan.name),
                }),
            );
        }
    }
}

/// Safe inside a single-quoted shell word and as a file name.
pub fn is_safe_name(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}
