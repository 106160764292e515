//! Each Compose service → task definition, roles, Cloud Map entry, ECS
//! service, and target-tracking autoscaling.

use super::ports::LoadBalancerPlan;
use super::storage::{SecretPlan, is_safe_name};
use super::{Ctx, INIT_IMAGE};
use crate::cfn::resources::*;
use crate::cfn::{Expr, Resource, Tag};
use crate::extensions::{self, AutoScaling};
use crate::names;
use crate::sizing;
use compose::model::{Service, Ulimit as ComposeUlimit};
use compose::node::KeyPath;
use std::collections::BTreeMap;

/// What later steps need to know about a converted service.
#[derive(Debug, Clone)]
pub struct ServicePlan {
    pub name: String,
    pub id: String,
    pub security_groups: Vec<Expr>,
    /// The group that receives ingress from the load balancer.
    pub ingress_group: Expr,
    pub gpu: Option<GpuPlan>,
}

#[derive(Debug, Clone)]
pub struct GpuPlan {
    pub count: i64,
    pub instance_type: String,
    pub ami: Option<String>,
    pub max_instances: i64,
}

const FARGATE_SYSCTL_PREFIXES: &[&str] = &["net.", "kernel.shm", "kernel.msg", "kernel.sem"];

pub fn services(
    ctx: &mut Ctx,
    lb: &LoadBalancerPlan,
    secrets: &BTreeMap<String, SecretPlan>,
) -> Vec<ServicePlan> {
    let project = ctx.project;
    let mut names: Vec<&String> = project.services.keys().collect();
    names.sort();
    let mut table = names::NameTable::default();
    let mut plans = Vec::new();
    if !project.services.is_empty() {
        ctx.t.conditions.insert(
            "IsUsEast1".into(),
            Expr::Equals(
                Box::new(Expr::reference("AWS::Region")),
                Box::new(Expr::str("us-east-1")),
            ),
        );
    }
    for name in names {
        let path = KeyPath::root().key("services").key(name);
        let Some(id) = ctx.register_name(&mut table, "services", name, &path) else {
            continue;
        };
        let service = &project.services[name.as_str()];
        if let Some(plan) = convert_service(ctx, name, &id, service, &path, lb, secrets) {
            plans.push(plan);
        }
    }
    plans
}

fn seconds(d: Option<compose::units::Duration>) -> Option<i64> {
    d.map(|d| (d.0 as f64 / 1e9).round() as i64)
}

fn convert_service(
    ctx: &mut Ctx,
    name: &str,
    id: &str,
    s: &Service,
    path: &KeyPath,
    lb: &LoadBalancerPlan,
    secrets: &BTreeMap<String, SecretPlan>,
) -> Option<ServicePlan> {
    let reader = ctx.reader(&s.extensions, path.clone());
    ctx.check_extensions(&reader, extensions::SERVICE_KEYS);
    let pull_credentials: Option<String> =
        ctx.ok(reader.get("x-aws-pull_credentials", "a Secrets Manager secret ARN"));
    let role_doc: Option<serde_json::Map<String, serde_json::Value>> =
        ctx.ok(reader.get("x-aws-role", "an IAM policy document (a mapping)"));
    let policies: Option<Vec<String>> =
        ctx.ok(reader.get("x-aws-policies", "a list of managed policy ARNs"));
    let public_ip: Option<bool> = ctx.ok(reader.get("x-aws-assign_public_ip", "true or false"));
    if let Some(doc) = &role_doc
        && !doc.contains_key("Statement")
    {
        ctx.error(
            &path.key("x-aws-role"),
            "`x-aws-role` must be an IAM policy document with a `Statement` list",
            "write {Version: \"2012-10-17\", Statement: [{Effect: Allow, Action: […], Resource: […]}]}",
        );
    }

    let deploy = s.deploy.as_deref();
    let deploy_path = path.key("deploy");
    let (autoscaling, update_ext) = match deploy {
        Some(d) => {
            let r = ctx.reader(&d.extensions, deploy_path.clone());
            ctx.check_extensions(&r, extensions::DEPLOY_KEYS);
            let a: Option<AutoScaling> = ctx.ok(r.get(
                "x-aws-autoscaling",
                "a mapping {cpu|memory: percent, min: count, max: count}",
            ));
            let u = d.update_config.as_ref().map(|u| {
                let r = ctx.reader(&u.extensions, deploy_path.key("update_config"));
                ctx.check_extensions(&r, extensions::UPDATE_CONFIG_KEYS);
                let min: Option<i64> = ctx.ok(r.get("x-aws-min_percent", "an integer percentage"));
                let max: Option<i64> = ctx.ok(r.get("x-aws-max_percent", "an integer percentage"));
                (min, max)
            });
            if d.mode == "global" || d.mode == "global-job" || d.mode == "replicated-job" {
                ctx.error(
                    &deploy_path.key("mode"),
                    format!("deploy mode {:?} is not available on ECS Fargate", d.mode),
                    "use `mode: replicated` (the default)",
                );
            }
            (a, u)
        }
        None => (None, None),
    };

    // ---- resources and placement
    let limits = deploy.and_then(|d| d.resources.limits.as_ref());
    let reservations = deploy.and_then(|d| d.resources.reservations.as_ref());
    let cpus = limits
        .map(|l| l.cpus.0)
        .filter(|c| *c > 0.0)
        .or((s.cpus.0 > 0.0).then_some(s.cpus.0))
        .or(reservations.map(|r| r.cpus.0).filter(|c| *c > 0.0))
        .unwrap_or(0.0) as f64;
    let memory = limits
        .map(|l| l.memory.0)
        .filter(|m| *m > 0)
        .or((s.mem_limit.0 > 0).then_some(s.mem_limit.0))
        .or(reservations.map(|r| r.memory.0).filter(|m| *m > 0))
        .unwrap_or(0) as u64;
    let memory_reservation = reservations
        .map(|r| r.memory.0)
        .filter(|m| *m > 0)
        .or((s.mem_reservation.0 > 0).then_some(s.mem_reservation.0))
        .map(|b| (b as u64).div_ceil(1024 * 1024));

    let gpu_count = gpu_request(s);
    let constraints: Vec<String> = deploy
        .map(|d| d.placement.constraints.clone())
        .unwrap_or_default();
    let mut ami = None;
    let mut machine = None;
    for c in &constraints {
        let parts: Vec<&str> = c.split("==").map(str::trim).collect();
        match parts.as_slice() {
            ["node.ami", v] => {
                if !extensions::is_resource_id("ami", v) {
                    ctx.error(
                        &deploy_path.key("placement").key("constraints"),
                        format!("{v:?} is not an AMI ID"),
                        "write `node.ami == ami-…`",
                    );
                }
                ami = Some(v.to_string())
            }
            ["node.machine", v] => machine = Some(v.to_string()),
            _ => ctx.warn(
                &deploy_path.key("placement").key("constraints"),
                format!("placement constraint {c:?} is ignored on ECS"),
                "only `node.ami == <ami>` and `node.machine == <instance type>` (GPU services) are used",
            ),
        }
    }
    let replicas = deploy.and_then(|d| d.replicas).or(s.scale).unwrap_or(1);
    check_numbers(ctx, s, path, replicas);
    let gpu = match gpu_count {
        Some(count) => {
            let instance = match machine {
                Some(m) => m,
                None => match sizing::gpu_instance(cpus, memory, count as u64) {
                    Ok(t) => t.to_string(),
                    Err(why) => {
                        ctx.error(
                            &deploy_path.key("resources"),
                            why,
                            "request fewer resources, or name the instance type",
                        );
                        String::new()
                    }
                },
            };
            let max = autoscaling
                .as_ref()
                .and_then(|a| a.max)
                .unwrap_or(replicas)
                .max(1);
            Some(GpuPlan {
                count,
                instance_type: instance,
                ami,
                // Room for a rolling deployment next to the running tasks.
                max_instances: max * 2,
            })
        }
        None => {
            if ami.is_some() || machine.is_some() {
                ctx.warn(
                    &deploy_path.key("placement"),
                    "`node.ami`/`node.machine` are ignored: the service runs on Fargate (it requests no GPU)",
                    "request a GPU in deploy.resources.reservations.devices to run on EC2",
                );
            }
            None
        }
    };
    let fargate = gpu.is_none();
    let (task_cpu, task_memory) = if fargate {
        match sizing::fargate_size(cpus, memory) {
            Ok((c, m)) => (Some(c.to_string()), Some(m.to_string())),
            Err(why) => {
                ctx.error(
                    &deploy_path.key("resources"),
                    why,
                    "lower deploy.resources.limits (Fargate tops out at 16 vCPU / 120 GiB)",
                );
                (None, None)
            }
        }
    } else {
        let cpu = (cpus > 0.0).then(|| ((cpus * 1024.0).ceil() as u64).to_string());
        let mem = if memory > 0 {
            memory.div_ceil(1024 * 1024)
        } else {
            2048
        };
        (cpu, Some(mem.to_string()))
    };
    let runtime_platform = match s.platform.as_str() {
        "" | "linux/amd64" | "linux/x86_64" => None,
        "linux/arm64" | "linux/arm64/v8" | "linux/aarch64" => Some(RuntimePlatform {
            cpu_architecture: "ARM64".into(),
            operating_system_family: "LINUX".into(),
        }),
        other => {
            ctx.error(
                &path.key("platform"),
                format!("platform {other:?} is not available on ECS"),
                "use linux/amd64 or linux/arm64",
            );
            None
        }
    };

    // ---- networking
    let mut security_groups: Vec<Expr> = Vec::new();
    let mut ingress_group = None;
    for net in s.networks.keys() {
        if let Some(n) = ctx.networks.get(net) {
            security_groups.push(n.group.clone());
            if n.owned && ingress_group.is_none() {
                ingress_group = Some(n.group.clone());
            }
        }
    }
    let has_ports = lb.ports_of(name).next().is_some();
    let ingress_group = match ingress_group {
        Some(g) => g,
        None if has_ports || security_groups.is_empty() => {
            // Only external groups (never modified): the service gets its own.
            let sg = format!("{id}ServiceSecurityGroup");
            let tags = ctx.service_tags(name);
            ctx.t.add(
                sg.clone(),
                Resource::new(SecurityGroup {
                    group_description: format!("{} service {name}", ctx.name()),
                    vpc_id: ctx.vpc.clone(),
                    security_group_egress: vec![EgressRule {
                        ip_protocol: "-1".into(),
                        cidr_ip: "0.0.0.0/0".into(),
                        description: "Outbound traffic (image pulls, AWS APIs, the internet)"
                            .into(),
                    }],
                    tags,
                }),
            );
            security_groups.push(Expr::reference(&sg));
            Expr::reference(sg)
        }
        None => security_groups[0].clone(),
    };

    // ---- secrets delivered as files
    let mut secret_env: Vec<ContainerSecret> = Vec::new();
    let mut secret_script = vec!["set -e".to_string(), "umask 077".to_string()];
    let mut exec_secret_arns: Vec<Expr> = Vec::new();
    for (i, r) in s.secrets.iter().enumerate() {
        let rpath = path.key("secrets").index(i);
        let Some(plan) = secrets.get(&r.source) else {
            continue;
        };
        let target = r
            .target
            .strip_prefix("/run/secrets/")
            .map(str::to_string)
            .or_else(|| (!r.target.starts_with('/')).then(|| r.target.clone()))
            .unwrap_or_default();
        if target.is_empty() || target.split('/').any(|p| !is_safe_name(p)) {
            ctx.error(
                &rpath,
                format!("secret target {:?} is not under /run/secrets/", r.target),
                "ECS delivers secrets as files in /run/secrets/: use a target like `/run/secrets/name`",
            );
            continue;
        }
        if !exec_secret_arns.contains(&plan.arn) {
            exec_secret_arns.push(plan.arn.clone());
        }
        let file = format!("/run/secrets/{target}");
        let mut files = Vec::new();
        if plan.keys.is_empty() {
            let var = format!("SECRET_{i}");
            secret_env.push(ContainerSecret {
                name: var.clone(),
                value_from: plan.arn.clone(),
            });
            secret_script.push(format!("mkdir -p \"$(dirname '{file}')\""));
            secret_script.push(format!("printf '%s' \"${var}\" > '{file}'"));
            files.push(file);
        } else {
            secret_script.push(format!("mkdir -p '{file}'"));
            for (j, key) in plan.keys.iter().enumerate() {
                let var = format!("SECRET_{i}_{j}");
                // ECS extracts one JSON key: ARN:json-key:version-stage:version-id
                secret_env.push(ContainerSecret {
                    name: var.clone(),
                    value_from: Expr::Join(
                        String::new(),
                        vec![plan.arn.clone(), Expr::str(format!(":{key}::"))],
                    ),
                });
                let f = format!("{file}/{key}");
                secret_script.push(format!("printf '%s' \"${var}\" > '{f}'"));
                files.push(f);
            }
        }
        let mode = r
            .mode
            .map(|m| format!("{:o}", m.0))
            .unwrap_or_else(|| "444".into());
        for f in &files {
            secret_script.push(format!("chmod {mode} '{f}'"));
            if !r.uid.is_empty() || !r.gid.is_empty() {
                let owner = format!(
                    "{}:{}",
                    if r.uid.is_empty() {
                        "0"
                    } else {
                        r.uid.as_str()
                    },
                    if r.gid.is_empty() {
                        "0"
                    } else {
                        r.gid.as_str()
                    }
                );
                if owner.chars().all(|c| c.is_ascii_digit() || c == ':') {
                    secret_script.push(format!("chown {owner} '{f}'"));
                } else {
                    ctx.error(
                        &rpath,
                        "secret uid and gid must be numbers",
                        "use numeric ids such as uid: \"1000\"",
                    );
                }
            }
        }
    }
    if let Some(creds) = &pull_credentials {
        exec_secret_arns.insert(0, Expr::str(creds.clone()));
    }

    // ---- volumes
    let mut task_volumes: Vec<TaskVolume> = Vec::new();
    let mut mount_points: Vec<MountPoint> = Vec::new();
    let mut task_policies: Vec<InlinePolicy> = Vec::new();
    let mut service_depends: Vec<String> = Vec::new();
    for (i, v) in s.volumes.iter().enumerate() {
        let vpath = path.key("volumes").index(i);
        match v.kind.as_str() {
            "volume" if v.source.is_empty() => {
                let vol_name = format!("anonymous{i}");
                task_volumes.push(TaskVolume {
                    name: vol_name.clone(),
                    efs_volume_configuration: None,
                });
                mount_points.push(MountPoint {
                    container_path: v.target.clone(),
                    source_volume: vol_name,
                    read_only: v.read_only,
                });
            }
            "volume" => {
                let Some(plan) = ctx.volumes.get(&v.source).cloned() else {
                    continue;
                };
                if v.volume.as_ref().is_some_and(|o| !o.subpath.is_empty()) {
                    ctx.warn(
                        &vpath,
                        "`volume.subpath` is ignored: the access point's `root_directory` chooses the directory",
                        "set `driver_opts: {root_directory: /path}` on the volume",
                    );
                }
                let vol_name = task_volume_name(&v.source);
                if !task_volumes.iter().any(|t| t.name == vol_name) {
                    task_volumes.push(TaskVolume {
                        name: vol_name.clone(),
                        efs_volume_configuration: Some(EfsVolumeConfiguration {
                            filesystem_id: plan.file_system_id.clone(),
                            transit_encryption: "ENABLED".into(),
                            authorization_config: AuthorizationConfig {
                                access_point_id: Expr::reference(&plan.access_point),
                                iam: "ENABLED".into(),
                            },
                        }),
                    });
                    let mut actions = vec!["elasticfilesystem:ClientMount".to_string()];
                    if !v.read_only {
                        actions.push("elasticfilesystem:ClientWrite".into());
                    }
                    task_policies.push(InlinePolicy {
                        policy_name: format!("{id}{}VolumeMountPolicy", plan.id),
                        policy_document: serde_json::to_value(PolicyDocument::new(vec![Statement {
                            effect: "Allow".into(),
                            principal: None,
                            action: actions,
                            resource: Some(vec![plan.file_system_arn.clone()]),
                            condition: Some(serde_json::json!({
                                "StringEquals": {
                                    "elasticfilesystem:AccessPointArn":
                                        serde_json::to_value(Expr::get_att(&plan.access_point, "Arn")).unwrap()
                                }
                            })),
                        }]))
                        .unwrap(),
                    });
                    service_depends.extend(plan.mount_targets.iter().cloned());
                }
                mount_points.push(MountPoint {
                    container_path: v.target.clone(),
                    source_volume: vol_name,
                    read_only: v.read_only,
                });
            }
            "bind" => ctx.error(
                &vpath,
                format!(
                    "bind mount of {:?} cannot run on ECS: Fargate has no host files",
                    v.source
                ),
                "use a named volume (EFS) for data, or copy the files into the image",
            ),
            other => ctx.error(
                &vpath,
                format!("`{other}` volumes cannot run on ECS Fargate"),
                "use a named volume (EFS) or an anonymous volume (task storage)",
            ),
        }
    }

    // ---- containers
    let log = log_configuration(ctx, s, path);
    let mut containers = Vec::new();
    let mut main_depends = Vec::new();
    if !secret_env.is_empty() {
        let init = format!("{id}_Secrets_InitContainer");
        task_volumes.insert(
            0,
            TaskVolume {
                name: "secrets".into(),
                efs_volume_configuration: None,
            },
        );
        containers.push(ContainerDefinition {
            name: init.clone(),
            image: INIT_IMAGE.into(),
            essential: false,
            command: Some(vec![
                Expr::str("sh"),
                Expr::str("-c"),
                Expr::str(secret_script.join("\n")),
            ]),
            secrets: secret_env,
            log_configuration: log.clone(),
            mount_points: vec![MountPoint {
                container_path: "/run/secrets".into(),
                source_volume: "secrets".into(),
                read_only: false,
            }],
            ..Default::default()
        });
        main_depends.push(ContainerDependency {
            container_name: init,
            condition: "SUCCESS".into(),
        });
        mount_points.insert(
            0,
            MountPoint {
                container_path: "/run/secrets".into(),
                source_volume: "secrets".into(),
                read_only: true,
            },
        );
    }
    // Short names (`db`) resolve through Cloud Map once the namespace is a
    // search domain; Fargate offers no DNS option for it, so an init container
    // appends it (and the VPC's own domain) to the task's resolv.conf.
    let resolv = format!("{id}_ResolvConf_InitContainer");
    containers.push(ContainerDefinition {
        name: resolv.clone(),
        image: INIT_IMAGE.into(),
        essential: false,
        command: Some(vec![
            Expr::str("sh"),
            Expr::str("-c"),
            Expr::str("printf '\\nsearch %s\\n' \"$SEARCH_DOMAINS\" >> /etc/resolv.conf"),
        ]),
        environment: vec![KeyValuePair {
            name: "SEARCH_DOMAINS".into(),
            value: Expr::Join(
                " ".into(),
                vec![
                    Expr::if_(
                        "IsUsEast1",
                        Expr::str("ec2.internal"),
                        Expr::sub("${AWS::Region}.compute.internal"),
                    ),
                    Expr::str(format!("{}.local", ctx.name())),
                ],
            ),
        }],
        log_configuration: log.clone(),
        ..Default::default()
    });
    main_depends.push(ContainerDependency {
        container_name: resolv,
        condition: "SUCCESS".into(),
    });

    let mut main = main_container(ctx, name, s, path, fargate, log, lb);
    main.mount_points = mount_points;
    main.depends_on = main_depends;
    main.memory_reservation = memory_reservation.map(|m| m as i64);
    main.repository_credentials = pull_credentials.map(|c| RepositoryCredentials {
        credentials_parameter: c,
    });
    if let Some(g) = &gpu {
        main.resource_requirements = vec![ResourceRequirement {
            kind: "GPU".into(),
            value: g.count.to_string(),
        }];
    }
    containers.push(main);

    // ---- roles
    let mut exec_policies = Vec::new();
    if !exec_secret_arns.is_empty() {
        exec_policies.push(InlinePolicy {
            policy_name: format!("{name}GrantAccessToSecrets"),
            policy_document: serde_json::to_value(PolicyDocument::new(vec![Statement {
                effect: "Allow".into(),
                principal: None,
                action: vec!["secretsmanager:GetSecretValue".into()],
                resource: Some(exec_secret_arns),
                condition: None,
            }]))
            .unwrap(),
        });
    }
    let execution_role = format!("{id}TaskExecutionRole");
    let tags = ctx.service_tags(name);
    ctx.t.add(
        execution_role.clone(),
        Resource::new(Role {
            assume_role_policy_document: ecs_tasks_trust(),
            managed_policy_arns: vec![Expr::sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            )],
            policies: exec_policies,
            tags: tags.clone(),
        }),
    );
    if let Some(doc) = role_doc {
        task_policies.insert(
            0,
            InlinePolicy {
                policy_name: format!("{id}Policy"),
                policy_document: serde_json::Value::Object(doc),
            },
        );
    }
    let managed: Vec<Expr> = policies
        .unwrap_or_default()
        .into_iter()
        .map(Expr::Str)
        .collect();
    let task_role = if task_policies.is_empty() && managed.is_empty() {
        None
    } else {
        let role = format!("{id}TaskRole");
        ctx.t.add(
            role.clone(),
            Resource::new(Role {
                assume_role_policy_document: ecs_tasks_trust(),
                managed_policy_arns: managed,
                policies: task_policies,
                tags: tags.clone(),
            }),
        );
        Some(Expr::get_att(role, "Arn"))
    };

    // ---- task definition
    let placement_constraints = Vec::new();
    ctx.t.add(
        format!("{id}TaskDefinition"),
        Resource::new(TaskDefinition {
            family: Expr::str(format!("{}-{name}", ctx.name())),
            network_mode: "awsvpc".into(),
            requires_compatibilities: vec![if fargate { "FARGATE" } else { "EC2" }.into()],
            cpu: task_cpu,
            memory: task_memory,
            execution_role_arn: Expr::get_att(&execution_role, "Arn"),
            task_role_arn: task_role,
            runtime_platform,
            volumes: task_volumes,
            container_definitions: containers,
            placement_constraints,
            tags: tags.clone(),
        }),
    );

    // ---- discovery
    let discovery = format!("{id}ServiceDiscoveryEntry");
    ctx.t.add(
        discovery.clone(),
        Resource::new(DiscoveryService {
            name: name.to_string(),
            description: format!("\"{name}\" service discovery entry in Cloud Map"),
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

    // ---- ECS service
    let update = deploy.and_then(|d| d.update_config.as_ref());
    let (min_percent, max_percent) =
        deployment_percents(ctx, &deploy_path, update, update_ext, replicas);
    let mut load_balancers = Vec::new();
    for p in lb.ports_of(name) {
        load_balancers.push(ServiceLoadBalancer {
            container_name: name.to_string(),
            container_port: p.port,
            target_group_arn: Expr::reference(p.target_group_id()),
        });
        service_depends.push(p.listener_id());
    }
    let mut deps: Vec<&String> = s.depends_on.keys().collect();
    deps.sort();
    for (dep, cfg) in deps.into_iter().map(|d| (d, &s.depends_on[d.as_str()])) {
        if !ctx.project.services.contains_key(dep) {
            continue;
        }
        service_depends.push(format!("{}Service", names::normalize(dep)));
        if cfg.condition != "service_started" {
            ctx.warn(
                &path.key("depends_on").key(dep),
                format!("`condition: {}` is not waited for on ECS", cfg.condition),
                "ECS starts the services in order; make the service retry until its dependency is ready",
            );
        }
    }
    let grace = (!load_balancers.is_empty()).then(|| {
        s.healthcheck
            .as_ref()
            .and_then(|h| seconds(h.start_period))
            .filter(|p| *p > 0)
            .unwrap_or(60)
    });
    if gpu.is_some() {
        service_depends.push("ClusterCapacityProviders".into());
    }
    let mut service_tags: Vec<Tag> = ctx.service_tags(name);
    if let Some(d) = deploy {
        for (k, v) in &d.labels {
            service_tags.push(Tag::new(k.as_str(), v.as_str()));
        }
    }
    let assign_public_ip = if fargate && public_ip.unwrap_or(true) {
        "ENABLED"
    } else {
        "DISABLED"
    };
    if !fargate && public_ip == Some(true) {
        ctx.warn(
            &path.key("x-aws-assign_public_ip"),
            "GPU services run on EC2, where tasks cannot have a public IP",
            "deploy GPU services into subnets with a NAT gateway",
        );
    }
    let service_id = format!("{id}Service");
    ctx.t.add(
        service_id.clone(),
        Resource::new(EcsService {
            cluster: ctx.cluster.arn.clone(),
            task_definition: Expr::reference(format!("{id}TaskDefinition")),
            desired_count: autoscaling.is_none().then_some(replicas),
            launch_type: fargate.then(|| "FARGATE".to_string()),
            capacity_provider_strategy: if fargate {
                vec![]
            } else {
                vec![StrategyItem {
                    capacity_provider: Expr::reference(format!("{id}CapacityProvider")),
                    weight: 1,
                    base: None,
                }]
            },
            platform_version: fargate.then(|| "LATEST".to_string()),
            deployment_configuration: DeploymentConfiguration {
                maximum_percent: max_percent,
                minimum_healthy_percent: min_percent,
                deployment_circuit_breaker: CircuitBreaker {
                    enable: true,
                    rollback: true,
                },
            },
            deployment_controller: DeploymentController { kind: "ECS".into() },
            network_configuration: NetworkConfiguration {
                awsvpc_configuration: AwsVpcConfiguration {
                    assign_public_ip: assign_public_ip.into(),
                    security_groups: security_groups.clone(),
                    subnets: ctx.subnets.clone(),
                },
            },
            load_balancers,
            health_check_grace_period_seconds: grace,
            service_registries: vec![ServiceRegistry {
                registry_arn: Expr::get_att(&discovery, "Arn"),
            }],
            placement_constraints: vec![],
            enable_ecs_managed_tags: true,
            propagate_tags: "SERVICE".into(),
            scheduling_strategy: "REPLICA".into(),
            tags: service_tags,
        })
        .depends_on(service_depends),
    );

    if let Some(a) = autoscaling {
        scaling(ctx, id, &deploy_path, &a, replicas, &service_id);
    }

    Some(ServicePlan {
        name: name.to_string(),
        id: id.to_string(),
        security_groups,
        ingress_group,
        gpu,
    })
}

/// Numbers Compose accepts but ECS cannot run: a negative count, CPUs that
/// are not a finite positive number.
fn check_numbers(ctx: &mut Ctx, s: &Service, path: &KeyPath, replicas: i64) {
    if replicas < 0 {
        let key = if s.deploy.as_ref().and_then(|d| d.replicas).is_some() {
            path.key("deploy").key("replicas")
        } else {
            path.key("scale")
        };
        ctx.error(
            &key,
            format!("{replicas} replicas cannot run"),
            "give the number of tasks to run: 0 or more",
        );
    }
    let deploy = s.deploy.as_deref();
    let resources = deploy.map(|d| &d.resources);
    let cpus = [
        (path.key("cpus"), Some(s.cpus.0)),
        (
            path.key("deploy")
                .key("resources")
                .key("limits")
                .key("cpus"),
            resources.and_then(|r| r.limits.as_ref()).map(|l| l.cpus.0),
        ),
        (
            path.key("deploy")
                .key("resources")
                .key("reservations")
                .key("cpus"),
            resources
                .and_then(|r| r.reservations.as_ref())
                .map(|l| l.cpus.0),
        ),
    ];
    for (key, value) in cpus {
        if let Some(c) = value
            && (!c.is_finite() || c < 0.0)
        {
            ctx.error(
                &key,
                format!("{c} CPUs cannot be reserved"),
                "give a number of CPUs such as 0.5 or 2",
            );
        }
    }
}

fn ecs_tasks_trust() -> PolicyDocument {
    PolicyDocument::new(vec![Statement {
        effect: "Allow".into(),
        principal: Some(Principal {
            service: "ecs-tasks.amazonaws.com".into(),
        }),
        action: vec!["sts:AssumeRole".into()],
        resource: None,
        condition: None,
    }])
}

/// Task volume names allow letters, digits, `-` and `_`.
fn task_volume_name(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// GPUs requested by reservations (devices with the `gpu` capability,
/// generic resources named gpu) or the `gpus` attribute; `all` counts as 1.
fn gpu_request(s: &Service) -> Option<i64> {
    let count = |c: i64| if c <= 0 { 1 } else { c };
    let mut total = 0;
    let reservations = s
        .deploy
        .as_ref()
        .and_then(|d| d.resources.reservations.as_ref());
    if let Some(r) = reservations {
        for d in &r.devices {
            if d.capabilities.iter().any(|c| c == "gpu") {
                total += if d.device_ids.is_empty() {
                    count(d.count.0)
                } else {
                    d.device_ids.len() as i64
                };
            }
        }
        for g in &r.generic_resources {
            if let Some(spec) = &g.discrete_resource_spec
                && spec.kind.to_ascii_lowercase().contains("gpu")
            {
                total += spec.value.max(1);
            }
        }
    }
    for d in &s.gpus {
        total += if d.device_ids.is_empty() {
            count(d.count.0)
        } else {
            d.device_ids.len() as i64
        };
    }
    (total > 0).then_some(total)
}

fn log_configuration(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> LogConfiguration {
    let mut options = indexmap::IndexMap::new();
    options.insert("awslogs-group".to_string(), super::cluster::log_group_ref());
    options.insert("awslogs-region".to_string(), Expr::reference("AWS::Region"));
    options.insert("awslogs-stream-prefix".to_string(), Expr::str(ctx.name()));
    if let Some(l) = &s.logging {
        let lpath = path.key("logging");
        if !l.driver.is_empty() && l.driver != "awslogs" {
            ctx.warn(
                &lpath.key("driver"),
                format!(
                    "logging driver {:?} is ignored: logs go to CloudWatch (awslogs)",
                    l.driver
                ),
                "remove `logging.driver`, or set it to awslogs",
            );
        }
        for (k, v) in &l.options {
            match k.as_str() {
                // `docker ecs logs` reads the project's group and stream names.
                "awslogs-group" | "awslogs-region" | "awslogs-stream-prefix" => ctx.warn(
                    &lpath.key("options").key(k),
                    format!("logging option {k:?} is ignored: `docker ecs logs` relies on it"),
                    "remove it",
                ),
                "awslogs-datetime-format" | "awslogs-multiline-pattern" | "mode" | "max-buffer-size" => {
                    options.insert(k.to_string(), Expr::str(v.clone()));
                }
                _ => ctx.warn(
                    &lpath.key("options").key(k),
                    format!("logging option {k:?} is ignored: it is not an awslogs option"),
                    "the awslogs options are awslogs-datetime-format, awslogs-multiline-pattern, mode and max-buffer-size",
                ),
            }
        }
    }
    LogConfiguration {
        log_driver: "awslogs".into(),
        options,
    }
}

fn main_container(
    ctx: &mut Ctx,
    name: &str,
    s: &Service,
    path: &KeyPath,
    fargate: bool,
    log: LogConfiguration,
    lb: &LoadBalancerPlan,
) -> ContainerDefinition {
    let mut c = ContainerDefinition {
        name: name.to_string(),
        image: s.image.clone(),
        essential: true,
        log_configuration: log,
        ..Default::default()
    };
    for (field, value, target) in [
        ("command", &s.command, &mut c.command),
        ("entrypoint", &s.entrypoint, &mut c.entry_point),
    ] {
        match value {
            Some(v) if v.is_empty() => ctx.warn(
                &path.key(field),
                format!("an empty `{field}` cannot clear the image's default on ECS"),
                format!("remove `{field}`, or give the full command"),
            ),
            Some(v) => *target = Some(v.iter().cloned().map(Expr::Str).collect()),
            None => {}
        }
    }
    c.environment = s
        .environment
        .iter()
        .filter_map(|(k, v)| {
            v.as_ref().map(|v| KeyValuePair {
                name: k.clone(),
                value: Expr::str(v.clone()),
            })
        })
        .collect();
    c.docker_labels = s.labels.clone();
    c.user = (!s.user.is_empty()).then(|| s.user.clone());
    c.working_directory = (!s.working_dir.is_empty()).then(|| s.working_dir.clone());
    c.health_check = health_check(ctx, s, path);

    let mut caps = Capabilities {
        add: Vec::new(),
        drop: s.cap_drop.clone(),
    };
    for cap in &s.cap_add {
        let bare = cap.trim_start_matches("CAP_");
        if fargate && bare != "SYS_PTRACE" {
            ctx.error(
                &path.key("cap_add"),
                format!("Fargate does not allow adding capability {cap}"),
                "only SYS_PTRACE can be added on Fargate; remove the others",
            );
        } else {
            caps.add.push(bare.to_string());
        }
    }
    let init = s.init.filter(|i| *i);
    if !caps.add.is_empty() || !caps.drop.is_empty() || init.is_some() {
        c.linux_parameters = Some(LinuxParameters {
            capabilities: (!caps.add.is_empty() || !caps.drop.is_empty()).then_some(caps),
            init_process_enabled: init,
        });
    }

    let mut ulimit_names: Vec<&String> = s.ulimits.keys().collect();
    ulimit_names.sort();
    for u in ulimit_names {
        if fargate && u != "nofile" {
            ctx.warn(
                &path.key("ulimits").key(u),
                format!("ulimit {u:?} is ignored: Fargate supports only nofile"),
                "remove it",
            );
            continue;
        }
        let (soft, hard) = match s.ulimits[u.as_str()] {
            // A single value sets both limits (the original wrote 0/0).
            ComposeUlimit::Single(v) => (v, v),
            ComposeUlimit::Range { soft, hard } => (soft, hard),
        };
        c.ulimits.push(Ulimit {
            name: u.clone(),
            soft_limit: soft,
            hard_limit: hard,
        });
    }
    for (k, v) in &s.sysctls {
        if fargate && !FARGATE_SYSCTL_PREFIXES.iter().any(|p| k.starts_with(p)) {
            ctx.warn(
                &path.key("sysctls").key(k),
                format!(
                    "sysctl {k:?} is ignored: Fargate accepts only namespaced net.* and IPC keys"
                ),
                "remove it",
            );
            continue;
        }
        c.system_controls.push(SystemControl {
            namespace: k.clone(),
            value: v.clone(),
        });
    }
    c.readonly_root_filesystem = s.read_only.then_some(true);
    c.interactive = s.stdin_open.then_some(true);
    c.pseudo_terminal = s.tty.then_some(true);
    if let Some(stop) = seconds(s.stop_grace_period) {
        let max = if fargate { 120 } else { 3600 };
        if stop > max {
            ctx.warn(
                &path.key("stop_grace_period"),
                format!("stop_grace_period {stop}s is capped at {max}s on ECS"),
                format!("use at most {max}s"),
            );
        }
        c.stop_timeout = Some(stop.clamp(0, max));
    }
    for p in lb.ports_of(name) {
        for proto in p.container_protocols() {
            c.port_mappings.push(PortMapping {
                container_port: p.port,
                host_port: p.port,
                protocol: proto.into(),
            });
        }
    }
    c
}

fn health_check(ctx: &mut Ctx, s: &Service, path: &KeyPath) -> Option<HealthCheck> {
    let h = s.healthcheck.as_ref()?;
    if h.disable || h.test.first().map(String::as_str) == Some("NONE") || h.test.is_empty() {
        return None;
    }
    let hpath = path.key("healthcheck");
    let mut clamp = |field: &str, v: Option<i64>, lo: i64, hi: i64| {
        v.map(|v| {
            if v < lo || v > hi {
                ctx.warn(
                    &hpath.key(field),
                    format!(
                        "healthcheck {field} {v} is out of ECS's range {lo}–{hi} and is adjusted"
                    ),
                    format!("use a value between {lo} and {hi}"),
                );
            }
            v.clamp(lo, hi)
        })
    };
    Some(HealthCheck {
        command: h.test.clone(),
        interval: clamp("interval", seconds(h.interval), 5, 300),
        timeout: clamp("timeout", seconds(h.timeout), 2, 60),
        retries: clamp("retries", h.retries.map(|r| r as i64), 1, 10),
        start_period: clamp("start_period", seconds(h.start_period), 0, 300),
    })
}

fn deployment_percents(
    ctx: &mut Ctx,
    deploy_path: &KeyPath,
    update: Option<&compose::model::UpdateConfig>,
    ext: Option<(Option<i64>, Option<i64>)>,
    replicas: i64,
) -> (i64, i64) {
    let (mut min, mut max) = (100, 200);
    let (ext_min, ext_max) = ext.unwrap_or((None, None));
    if let Some(p) = update.and_then(|u| u.parallelism)
        && (ext_min.is_none() || ext_max.is_none())
    {
        let p = p as i64;
        if p > replicas {
            ctx.error(
                &deploy_path.key("update_config").key("parallelism"),
                format!("parallelism {p} is larger than the {replicas} replica(s)"),
                "set deploy.replicas to at least the parallelism",
            );
        } else if replicas > 0 {
            min = (replicas - p) * 100 / replicas;
            max = (replicas + p) * 100 / replicas;
        }
    }
    if let Some(m) = ext_min {
        min = m;
    }
    if let Some(m) = ext_max {
        max = m;
    }
    if !(0..=100).contains(&min) || max < 100 || max <= min {
        ctx.error(
            &deploy_path.key("update_config"),
            format!("minimum healthy {min}% and maximum {max}% do not allow a deployment"),
            "keep the minimum between 0 and 100 and the maximum at 100 or more, above the minimum",
        );
    }
    (min, max)
}

fn scaling(
    ctx: &mut Ctx,
    id: &str,
    deploy_path: &KeyPath,
    a: &AutoScaling,
    replicas: i64,
    service_id: &str,
) {
    let apath = deploy_path.key("x-aws-autoscaling");
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
    let min = a.min.unwrap_or(replicas.max(1));
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
                    Expr::get_att(service_id, "Name"),
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
