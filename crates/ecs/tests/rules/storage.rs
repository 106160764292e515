//! Rules of EFS volumes: who may mount them, as whom, and when.

use super::{admits_tcp, of, target, task_of};
use ecs::cfn::Template;
use ecs::cfn::resources::EcsService;

/// Lesson 2: an access point that names a POSIX user must give that user a
/// directory of its own: without one, the user gets the file system's root
/// (root's, mode 0755) and cannot write; without `CreationInfo` a missing
/// directory makes the mount fail.
/// <https://docs.aws.amazon.com/efs/latest/ug/enforce-root-directory-access-point.html>
pub fn access_point_directories_belong_to_their_user(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, ap) in of!(t, AccessPoint) {
        let Some(user) = ap.posix_user.as_ref().filter(|u| u.uid != "0") else {
            continue;
        };
        let Some(dir) = ap.root_directory.as_ref().filter(|d| d.path != "/") else {
            out.push(format!(
                "{id}: uid {} gets the file system's root, which root owns",
                user.uid
            ));
            continue;
        };
        let Some(info) = &dir.creation_info else {
            out.push(format!(
                "{id}: {} has no CreationInfo, so its owner is unknown",
                dir.path
            ));
            continue;
        };
        if (info.owner_uid.as_str(), info.owner_gid.as_str())
            != (user.uid.as_str(), user.gid.as_str())
        {
            out.push(format!(
                "{id}: {} belongs to {}:{}, the user is {}:{}",
                dir.path, info.owner_uid, info.owner_gid, user.uid, user.gid
            ));
        }
        // The owner needs write and search (x) on a directory.
        let owner_bits = u32::from_str_radix(&info.permissions, 8).map(|p| (p >> 6) & 0o3);
        if owner_bits != Ok(0o3) {
            out.push(format!(
                "{id}: permissions {} do not let the owner write",
                info.permissions
            ));
        }
    }
    out
}

/// The EFS task volumes of a service's task, and whether a container
/// mounts one of them read-write.
fn writes_to_efs(t: &Template, s: &EcsService) -> bool {
    let Some(task) = task_of(t, s) else {
        return false;
    };
    let efs: Vec<&str> = task
        .volumes
        .iter()
        .filter(|v| v.efs_volume_configuration.is_some())
        .map(|v| v.name.as_str())
        .collect();
    task.container_definitions
        .iter()
        .flat_map(|c| &c.mount_points)
        .any(|m| !m.read_only && efs.contains(&m.source_volume.as_str()))
}

/// Lesson 5: with a maximum above 100 %, the new task starts while the old
/// one runs, and two database servers share one data directory (MariaDB's
/// lock fails the update, Postgres can corrupt its data). A read-write
/// volume rolls with at most 100 %, and a minimum below it so it can roll;
/// blue/green, canary and linear run both versions at once by design.
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html>
pub fn one_writer_per_volume_during_a_rollout(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, s) in of!(t, EcsService).filter(|(_, s)| writes_to_efs(t, s)) {
        let d = &s.deployment_configuration;
        if d.strategy != "ROLLING" {
            out.push(format!(
                "{id}: writes to a volume and deploys {}, which runs both versions",
                d.strategy
            ));
        }
        if d.maximum_percent > 100 {
            out.push(format!(
                "{id}: writes to a volume and rolls with {} % running",
                d.maximum_percent
            ));
        }
        if d.minimum_healthy_percent >= d.maximum_percent {
            out.push(format!(
                "{id}: minimum {} % and maximum {} % leave no room to roll",
                d.minimum_healthy_percent, d.maximum_percent
            ));
        }
    }
    out
}

/// Lesson 8: EFS allows one mount target per availability zone. Ours sit
/// in the project's subnets, one per zone (which an update keeps, see
/// `up`), so tasks in every zone reach the file system.
/// <https://docs.aws.amazon.com/efs/latest/ug/accessing-fs.html>
pub fn one_mount_target_per_zone(t: &Template) -> Vec<String> {
    let zones = (1..)
        .take_while(|i| t.parameters.contains_key(&format!("Subnet{i}")))
        .count();
    let mut out = Vec::new();
    for (fs, _) in of!(t, FileSystem) {
        let mut subnets: Vec<&str> = of!(t, MountTarget)
            .filter(|(_, m)| m.file_system_id.refers_to(fs))
            .filter_map(|(_, m)| target(&m.subnet_id))
            .collect();
        subnets.sort();
        let count = subnets.len();
        subnets.dedup();
        if subnets.len() != count {
            out.push(format!("{fs}: two mount targets in one subnet"));
        }
        let ours = subnets.iter().all(|s| {
            s.strip_prefix("Subnet")
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| (1..=zones).contains(&n))
        });
        if !ours || count != zones {
            out.push(format!(
                "{fs}: mount targets in {subnets:?}, not one in each of the {zones} project subnets"
            ));
        }
    }
    out
}

/// Lesson 9: a file system policy that denies unencrypted transport and
/// mounts without an access point; every task mounts with TLS, IAM and an
/// access point, so the policy admits it.
/// <https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html>
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/efs-volumes.html>
pub fn efs_demands_tls_and_an_access_point(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (id, fs) in of!(t, FileSystem) {
        let policy = fs
            .file_system_policy
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default();
        let denies = |needle: &str| policy.contains("\"Deny\"") && policy.contains(needle);
        if !denies(r#""aws:SecureTransport":"false""#) {
            out.push(format!(
                "{id}: its policy does not deny unencrypted transport"
            ));
        }
        if !denies(r#""elasticfilesystem:AccessPointArn":"true""#) {
            out.push(format!(
                "{id}: its policy does not deny mounts without an access point"
            ));
        }
    }
    for (id, task) in of!(t, TaskDefinition) {
        for v in &task.volumes {
            let Some(efs) = &v.efs_volume_configuration else {
                continue;
            };
            if efs.transit_encryption != "ENABLED" || efs.authorization_config.iam != "ENABLED" {
                out.push(format!("{id}: volume {} mounts without TLS or IAM", v.name));
            }
        }
    }
    out
}

/// The security groups of every service whose tasks mount file system `fs`.
fn mounting_groups<'a>(t: &'a Template, fs: &str) -> Vec<(&'a str, Vec<&'a str>)> {
    of!(t, EcsService)
        .filter(|(_, s)| {
            task_of(t, s).is_some_and(|task| {
                task.volumes.iter().any(|v| {
                    v.efs_volume_configuration
                        .as_ref()
                        .is_some_and(|e| e.filesystem_id.refers_to(fs))
                })
            })
        })
        .map(|(id, s)| {
            let groups = s
                .network_configuration
                .awsvpc_configuration
                .security_groups
                .iter();
            (id, groups.filter_map(target).collect())
        })
        .collect()
}

/// Lesson 9: NFS (2049) reaches a file system's mount targets only from the
/// services that mount it, through groups no other service shares, and
/// from each of them (or its tasks cannot start).
/// <https://docs.aws.amazon.com/efs/latest/ug/network-access.html>
pub fn nfs_only_from_the_services_that_mount(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    for (fs, _) in of!(t, FileSystem) {
        let mut groups: Vec<&str> = of!(t, MountTarget)
            .filter(|(_, m)| m.file_system_id.refers_to(fs))
            .flat_map(|(_, m)| m.security_groups.iter().filter_map(target))
            .collect();
        groups.dedup();
        let mounting = mounting_groups(t, fs);
        // A group of the mounting services that no other service shares (a
        // network group admits every member of the network).
        let others: Vec<&str> = of!(t, EcsService)
            .filter(|(id, _)| !mounting.iter().any(|(m, _)| m == id))
            .flat_map(|(_, s)| {
                s.network_configuration
                    .awsvpc_configuration
                    .security_groups
                    .iter()
            })
            .filter_map(target)
            .collect();
        let allowed: Vec<&str> = mounting
            .iter()
            .flat_map(|(_, g)| g.iter().copied())
            .filter(|g| !others.contains(g))
            .collect();
        for g in &groups {
            if of!(t, EcsService).any(|(_, s)| {
                s.network_configuration
                    .awsvpc_configuration
                    .security_groups
                    .iter()
                    .any(|e| target(e) == Some(g))
            }) {
                out.push(format!(
                    "{fs}: mount target group {g} is also a group of tasks"
                ));
            }
        }
        let into = |i: &ecs::cfn::resources::SecurityGroupIngress| {
            target(&i.group_id).is_some_and(|g| groups.contains(&g))
        };
        for (id, i) in of!(t, SecurityGroupIngress).filter(|(_, i)| into(i)) {
            let source = i.source_security_group_id.as_ref().and_then(target);
            let nfs =
                i.ip_protocol == "tcp" && i.from_port == Some(2049) && i.to_port == Some(2049);
            if !nfs || !source.is_some_and(|s| allowed.contains(&s)) {
                out.push(format!(
                    "{fs}: {id} lets in more than NFS from the services that mount it"
                ));
            }
        }
        for (service, own) in &mounting {
            let reached = of!(t, SecurityGroupIngress).any(|(_, i)| {
                into(i)
                    && admits_tcp(i, 2049)
                    && i.source_security_group_id
                        .as_ref()
                        .and_then(target)
                        .is_some_and(|s| own.contains(&s))
            });
            if !reached {
                out.push(format!(
                    "{fs}: {service} mounts it but NFS from its tasks is not admitted"
                ));
            }
        }
    }
    out
}
