//! What happens to every Compose key on ECS: mapped, rejected, or ignored
//! with a warning. Nothing is dropped silently. The README's feature table
//! is generated from this table (a test keeps them equal).

/// How one key is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Converted; the text says into what.
    Mapped(&'static str),
    /// Converted only in part; the rest is explained by a warning at convert time.
    Partial(&'static str),
    /// Not used on ECS: a warning names the key and says why.
    Ignored(&'static str),
    /// Cannot run on ECS: an error says why and what to do.
    Rejected(&'static str),
    /// A mapping whose own keys are listed in another table.
    Nested(&'static [(&'static str, Support)]),
}

use Support::*;

pub const SERVICE: &[(&str, Support)] = &[
    (
        "image",
        Mapped("container `Image` (required: images are not built)"),
    ),
    (
        "build",
        Ignored(
            "images are not built on ECS; the service uses `image:` (a service with only `build:` is rejected)",
        ),
    ),
    ("command", Mapped("container `Command`")),
    ("entrypoint", Mapped("container `EntryPoint`")),
    ("environment", Mapped("container `Environment`, sorted")),
    (
        "env_file",
        Mapped("read at load time into container `Environment`"),
    ),
    (
        "label_file",
        Mapped("read at load time into `DockerLabels`"),
    ),
    ("labels", Mapped("container `DockerLabels`")),
    ("annotations", Ignored("ECS has no container annotations")),
    ("user", Mapped("container `User`")),
    ("working_dir", Mapped("container `WorkingDirectory`")),
    ("healthcheck", Nested(HEALTHCHECK)),
    (
        "cap_add",
        Partial(
            "`LinuxParameters.Capabilities.Add`; Fargate allows only `SYS_PTRACE`, others are rejected",
        ),
    ),
    ("cap_drop", Mapped("`LinuxParameters.Capabilities.Drop`")),
    ("init", Mapped("`LinuxParameters.InitProcessEnabled`")),
    (
        "ulimits",
        Partial(
            "container `Ulimits`; Fargate supports only `nofile`, other limits are ignored with a warning",
        ),
    ),
    ("logging", Nested(LOGGING)),
    (
        "ports",
        Mapped(
            "a load balancer listener on `published` and a target group on `target` per port (HTTPS with a certificate, port 80 redirecting to HTTPS, TLS on an NLB), task security group ingress from the load balancer only; ranges are rejected",
        ),
    ),
    (
        "expose",
        Mapped(
            "reachable inside the service's networks (the network security group allows all ports between members)",
        ),
    ),
    ("networks", Mapped("the security groups of those networks")),
    (
        "depends_on",
        Partial(
            "CloudFormation `DependsOn` between ECS services (creation order); `condition: service_healthy`/`service_completed_successfully` are not waited for",
        ),
    ),
    (
        "links",
        Ignored("services reach each other by name through Cloud Map"),
    ),
    ("external_links", Ignored("no external containers on ECS")),
    (
        "secrets",
        Mapped(
            "Secrets Manager secrets injected into the task and written to `/run/secrets/<target>` by an init container",
        ),
    ),
    (
        "configs",
        Rejected(
            "ECS cannot mount a config file into a container; bake it into the image or use a secret",
        ),
    ),
    (
        "volumes",
        Partial(
            "named volume → EFS file system + access point; anonymous volume → task storage; bind mounts and tmpfs are rejected",
        ),
    ),
    (
        "volumes_from",
        Rejected(
            "ECS tasks of different services cannot share volumes this way; use a named volume (EFS)",
        ),
    ),
    ("deploy", Nested(DEPLOY)),
    (
        "scale",
        Mapped("ECS service `DesiredCount` (as `deploy.replicas`)"),
    ),
    (
        "cpus",
        Mapped("Fargate task size, like `deploy.resources.limits.cpus`"),
    ),
    (
        "mem_limit",
        Mapped("Fargate task size, like `deploy.resources.limits.memory`"),
    ),
    ("mem_reservation", Mapped("container `MemoryReservation`")),
    (
        "platform",
        Mapped("task `RuntimePlatform` (`linux/amd64` → X86_64, `linux/arm64` → ARM64)"),
    ),
    ("read_only", Mapped("container `ReadonlyRootFilesystem`")),
    (
        "stop_grace_period",
        Mapped("container `StopTimeout` (at most 120 s on Fargate)"),
    ),
    (
        "stop_signal",
        Ignored("ECS stops containers with SIGTERM, then SIGKILL after `StopTimeout`"),
    ),
    ("tty", Mapped("container `PseudoTerminal`")),
    ("stdin_open", Mapped("container `Interactive`")),
    (
        "sysctls",
        Partial(
            "container `SystemControls`; Fargate accepts only namespaced `net.*`, `kernel.shm*`, `kernel.msg*`, `kernel.sem` keys, others are ignored with a warning",
        ),
    ),
    (
        "gpus",
        Mapped("GPU `ResourceRequirements` on an EC2 capacity provider"),
    ),
    (
        "restart",
        Ignored("an ECS service always replaces stopped tasks"),
    ),
    ("container_name", Ignored("ECS names tasks itself")),
    (
        "hostname",
        Ignored("not supported by the awsvpc network mode"),
    ),
    (
        "domainname",
        Ignored("not supported by the awsvpc network mode"),
    ),
    (
        "extra_hosts",
        Ignored("not supported by the awsvpc network mode"),
    ),
    (
        "dns",
        Ignored("not supported by the awsvpc network mode; tasks use the VPC resolver"),
    ),
    (
        "dns_search",
        Ignored(
            "not supported by the awsvpc network mode; Cloud Map names are added to the search domain",
        ),
    ),
    (
        "dns_opt",
        Ignored("not supported by the awsvpc network mode"),
    ),
    (
        "network_mode",
        Rejected(
            "ECS tasks use the awsvpc network mode; remove `network_mode` (`bridge` is ignored, and `service:<name>` puts the service in that service's task as a sidecar)",
        ),
    ),
    (
        "privileged",
        Rejected("Fargate does not run privileged containers"),
    ),
    (
        "devices",
        Rejected("Fargate does not give containers host devices"),
    ),
    ("device_cgroup_rules", Ignored("not supported by Fargate")),
    ("security_opt", Ignored("not supported by Fargate")),
    ("shm_size", Ignored("not supported by Fargate")),
    ("tmpfs", Ignored("not supported by Fargate")),
    ("pid", Ignored("not supported by Fargate")),
    ("ipc", Ignored("not supported by Fargate")),
    ("uts", Ignored("not supported by Fargate")),
    ("userns_mode", Ignored("not supported by Fargate")),
    ("cgroup", Ignored("not supported by Fargate")),
    ("cgroup_parent", Ignored("not supported by Fargate")),
    ("group_add", Ignored("not supported by ECS")),
    ("isolation", Ignored("Windows isolation is not supported")),
    ("runtime", Ignored("ECS chooses the container runtime")),
    ("storage_opt", Ignored("not supported by Fargate")),
    ("pids_limit", Ignored("not supported by Fargate")),
    ("oom_kill_disable", Ignored("not supported by Fargate")),
    ("oom_score_adj", Ignored("not supported by Fargate")),
    ("blkio_config", Ignored("not supported by Fargate")),
    ("cpu_count", Ignored("use `deploy.resources.limits.cpus`")),
    ("cpu_percent", Ignored("use `deploy.resources.limits.cpus`")),
    ("cpu_shares", Ignored("use `deploy.resources.limits.cpus`")),
    ("cpu_period", Ignored("use `deploy.resources.limits.cpus`")),
    ("cpu_quota", Ignored("use `deploy.resources.limits.cpus`")),
    ("cpu_rt_period", Ignored("not supported by Fargate")),
    ("cpu_rt_runtime", Ignored("not supported by Fargate")),
    ("cpuset", Ignored("not supported by Fargate")),
    ("memswap_limit", Ignored("not supported by Fargate")),
    ("mem_swappiness", Ignored("not supported by Fargate")),
    (
        "mac_address",
        Ignored("not supported by the awsvpc network mode"),
    ),
    ("credential_spec", Ignored("Windows gMSA is not supported")),
    (
        "pull_policy",
        Ignored("ECS pulls the image when a task starts"),
    ),
    ("attach", Ignored("use `docker ecs logs`")),
    (
        "develop",
        Ignored("development-only (`docker compose watch`)"),
    ),
    (
        "post_start",
        Ignored("ECS has no container lifecycle hooks"),
    ),
    ("pre_stop", Ignored("ECS has no container lifecycle hooks")),
    (
        "use_api_socket",
        Ignored("there is no Docker engine on ECS"),
    ),
    ("models", Rejected("model runners are not available on ECS")),
    (
        "provider",
        Rejected("provider services are not available on ECS"),
    ),
    (
        "profiles",
        Mapped("services of inactive profiles are left out"),
    ),
    ("extends", Mapped("resolved at load time")),
    (
        "pull_refresh_after",
        Ignored("ECS pulls the image when a task starts"),
    ),
];

pub const HEALTHCHECK: &[(&str, Support)] = &[
    ("test", Mapped("container `HealthCheck.Command`")),
    ("interval", Mapped("`HealthCheck.Interval` (seconds)")),
    ("timeout", Mapped("`HealthCheck.Timeout` (seconds)")),
    ("retries", Mapped("`HealthCheck.Retries`")),
    (
        "start_period",
        Mapped("`HealthCheck.StartPeriod` and the service's health check grace period"),
    ),
    (
        "start_interval",
        Ignored("ECS health checks have no start interval"),
    ),
    ("disable", Mapped("no `HealthCheck`")),
];

pub const LOGGING: &[(&str, Support)] = &[
    (
        "driver",
        Partial(
            "only `awslogs`, into the project's log group `/docker-compose/<project>` (KMS-encrypted; kept by `down` and re-attached by the next `up`); other drivers are ignored with a warning",
        ),
    ),
    (
        "options",
        Partial(
            "every option ECS's awslogs driver takes (`awslogs-group`, `awslogs-region`, `awslogs-stream-prefix`, `awslogs-create-group`, `awslogs-endpoint`, `awslogs-datetime-format`, `awslogs-multiline-pattern`, `mode`, `max-buffer-size`) is passed through, and `docker ecs logs` follows an overridden group, region or prefix; others are ignored with a warning",
        ),
    ),
];

pub const DEPLOY: &[(&str, Support)] = &[
    ("replicas", Mapped("ECS service `DesiredCount`")),
    (
        "mode",
        Partial(
            "`replicated`; `global` → a `DAEMON` service (one task per EC2 instance of the cluster), an error on Fargate; jobs are rejected",
        ),
    ),
    ("resources", Nested(RESOURCES)),
    ("update_config", Nested(UPDATE_CONFIG)),
    (
        "rollback_config",
        Ignored("the deployment circuit breaker rolls back failed deployments"),
    ),
    (
        "restart_policy",
        Ignored("an ECS service always replaces stopped tasks"),
    ),
    (
        "placement",
        Partial(
            "EC2 services: constraints on `node.labels.*` (the service's instances get those attributes), `node.instance_type`, `node.platform.arch`/`os` → `memberOf` placement constraints; `node.ami == …` → the instances' AMI; `spread: node.labels.*` → spread strategies; `max_replicas_per_node: 1` → `distinctInstance`. Others are an error; on Fargate, a warning",
        ),
    ),
    ("labels", Mapped("ECS service `Tags`")),
    (
        "endpoint_mode",
        Ignored("Cloud Map gives every task its own DNS record"),
    ),
];

pub const RESOURCES: &[(&str, Support)] = &[
    (
        "limits",
        Mapped("Fargate task `Cpu`/`Memory` (smallest size that fits)"),
    ),
    (
        "reservations",
        Mapped(
            "Fargate size when no limits are set; `memory` → container `MemoryReservation`; GPU devices → EC2 capacity provider",
        ),
    ),
];

pub const UPDATE_CONFIG: &[(&str, Support)] = &[
    (
        "parallelism",
        Mapped("`DeploymentConfiguration` minimum healthy / maximum percent"),
    ),
    (
        "delay",
        Ignored("ECS rolls tasks as fast as they become healthy"),
    ),
    (
        "failure_action",
        Mapped(
            "the deployment circuit breaker: `rollback` (the default here) rolls back, `pause` stops the deployment, `continue` turns it off",
        ),
    ),
    (
        "monitor",
        Mapped("`BakeTimeInMinutes`, in whole minutes (`x-aws-deployment.bake_time` wins)"),
    ),
    (
        "max_failure_ratio",
        Ignored("the deployment circuit breaker decides"),
    ),
    (
        "order",
        Mapped(
            "`stop-first` → maximum 100 %; `start-first` → minimum healthy 100 % (default: start-first, stop-first for a service that writes to an EFS volume)",
        ),
    ),
];

pub const NETWORK: &[(&str, Support)] = &[
    (
        "name",
        Mapped(
            "the security group's `com.docker.compose.network` tag; for an external network, the security group ID",
        ),
    ),
    (
        "external",
        Mapped("use the existing security group named by `name` (never modified)"),
    ),
    (
        "driver",
        Partial(
            "ECS networks are security groups: `bridge` is accepted, other drivers are ignored with a warning",
        ),
    ),
    ("driver_opts", Ignored("ECS networks are security groups")),
    ("ipam", Ignored("addresses come from the VPC subnets")),
    (
        "internal",
        Ignored("tasks keep outbound internet access; restrict it in the VPC"),
    ),
    ("attachable", Ignored("ECS networks are security groups")),
    ("labels", Ignored("ECS networks are security groups")),
    (
        "enable_ipv4",
        Ignored("addresses come from the VPC subnets"),
    ),
    (
        "enable_ipv6",
        Ignored("addresses come from the VPC subnets"),
    ),
];

pub const VOLUME: &[(&str, Support)] = &[
    (
        "name",
        Mapped("the EFS `Name` tag; for an external volume, the file system ID"),
    ),
    (
        "external",
        Mapped("use the existing EFS file system named by `name`"),
    ),
    (
        "driver",
        Partial(
            "volumes are EFS file systems: `local` is accepted, other drivers are ignored with a warning",
        ),
    ),
    (
        "driver_opts",
        Partial(
            "EFS options: `uid`, `gid`, `permissions`, `root_directory`, `backup_policy`, `lifecycle_policy`, `performance_mode`, `throughput_mode`, `provisioned_throughput`, `kms_key_id`; others are ignored with a warning",
        ),
    ),
    ("labels", Mapped("EFS file system tags")),
];

pub const SECRET: &[(&str, Support)] = &[
    (
        "name",
        Mapped("for an external secret, its ARN or Secrets Manager name"),
    ),
    (
        "file",
        Mapped(
            "`docker ecs up` stores the file in Secrets Manager as `<project>/<secret>`; the template takes its ARN as a parameter",
        ),
    ),
    (
        "environment",
        Mapped(
            "`docker ecs up` stores the variable's value in Secrets Manager as `<project>/<secret>`",
        ),
    ),
    (
        "external",
        Mapped(
            "use the existing secret `name`: a Secrets Manager ARN or name, or an SSM Parameter Store ARN; the execution role reads exactly it, with `kms:Decrypt` through that service only",
        ),
    ),
    ("labels", Ignored("secrets are tagged with the project")),
    ("driver", Ignored("secrets live in Secrets Manager")),
    ("driver_opts", Ignored("secrets live in Secrets Manager")),
    (
        "template_driver",
        Ignored("secrets live in Secrets Manager"),
    ),
];

pub const CONFIG: &[(&str, Support)] = &[];

/// `x-aws-*` extensions, where they go and what they do.
pub const EXTENSIONS: &[(&str, &str, &str)] = &[
    (
        "x-aws-cluster",
        "project",
        "an existing ECS cluster (name or ARN) instead of creating one",
    ),
    (
        "x-aws-vpc",
        "project",
        "the VPC (ID or ARN): default of the `VpcId` parameter",
    ),
    (
        "x-aws-subnets",
        "project",
        "the tasks' subnets, in distinct availability zones: defaults of the `Subnet1`… parameters (their number sets how many). Without it, `up` takes private subnets with a route to a NAT gateway when the VPC has them (tasks get no public IP), else public subnets (tasks get one)",
    ),
    (
        "x-aws-loadbalancer_subnets",
        "project",
        "the load balancer's subnets, one per zone of the tasks: defaults of the `LoadBalancerSubnet1`… parameters. Without it, `up` takes public subnets (route to an internet gateway) in the tasks' zones, or private ones for an internal load balancer",
    ),
    (
        "x-aws-loadbalancer_scheme",
        "project",
        "`internet-facing` (default) or `internal`: an internal load balancer has private addresses only, in private subnets",
    ),
    (
        "x-aws-loadbalancer",
        "project",
        "an existing load balancer, by name or ARN: listeners and target groups attach to it (`up` checks that it is an ALB for HTTP ports, an NLB otherwise)",
    ),
    (
        "x-aws-cloudformation",
        "project",
        "a partial template deep-merged over the generated one (overlay wins, `null` deletes, lists are replaced)",
    ),
    (
        "x-aws-logs_retention",
        "project",
        "log retention in days (a CloudWatch value: 1, 3, 5, 7, 14, 30, …); default 30",
    ),
    (
        "x-aws-access_logs_bucket",
        "project",
        "an S3 bucket for the load balancer's access logs (prefix: the project name)",
    ),
    (
        "x-aws-logs_kms_key",
        "project",
        "KMS key ARN for the logs, or `false`; default: a key of the project's own",
    ),
    (
        "x-aws-private_subnets",
        "project",
        "deprecated (a warning): read as `x-aws-subnets`, and the `x-aws-subnets` beside it as `x-aws-loadbalancer_subnets`",
    ),
    (
        "x-aws-init_image",
        "project",
        "the image of the init containers (secrets, search domains), which needs `sh`; default `public.ecr.aws/docker/library/busybox:1.36`. Name a copy in your registry when tasks cannot reach the public gallery",
    ),
    (
        "x-aws-launch_type",
        "project",
        "`EC2` or `FARGATE` (default): where services run unless they say otherwise; `--launch-type` on `convert` and `up` overrides it",
    ),
    (
        "x-aws-launch_type",
        "service",
        "`EC2` or `FARGATE`: this service's launch type, over `--launch-type` and the project's (GPU services run on EC2)",
    ),
    (
        "x-aws-instance_type",
        "service",
        "the EC2 instance type of an EC2 service; default: the smallest m7i (m7g for linux/arm64, g4dn/g5 with GPUs) that fits one task",
    ),
    (
        "x-aws-instances",
        "service",
        "`{min, max, target_capacity}` of an EC2 service's Auto Scaling group; default 0, twice the most tasks, 100 %",
    ),
    (
        "x-aws-platform_version",
        "service",
        "the Fargate platform version (`1.4.0`); default `LATEST`",
    ),
    (
        "x-aws-capacity_provider_strategy",
        "project",
        "`[{capacity_provider: FARGATE|FARGATE_SPOT, base, weight}]`: how Fargate services spread their tasks over Fargate and Fargate Spot (Spot runs x86-64 only); a service's own wins",
    ),
    (
        "x-aws-capacity_provider_strategy",
        "service",
        "the same for one Fargate service",
    ),
    (
        "x-aws-enable_exec",
        "project",
        "`true`: ECS Exec for every service (`EnableExecuteCommand`, and the task role may open the SSM channels); a service's own wins",
    ),
    (
        "x-aws-service_connect",
        "project",
        "`true`: ECS Service Connect instead of Cloud Map DNS records. Each service's TCP `ports` targets and `expose` ports get named port mappings (a port's `name` and `app_protocol` are used) and a client alias of the service's name, so `http://api:8080` works unchanged; the proxies log to the project's log group; services that serve nothing are created after the servers",
    ),
    (
        "x-aws-enable_exec",
        "service",
        "`true` or `false`: ECS Exec for this service",
    ),
    (
        "x-aws-essential",
        "service",
        "on a sidecar (`network_mode: service:<main>`): `true` stops the task when the sidecar's container stops (default `false`)",
    ),
    (
        "x-aws-healthcheck",
        "service",
        "`{path, matcher, interval, timeout, healthy_threshold, unhealthy_threshold}` of the load balancer's check of the tasks; default: the path, interval, timeout and retries of the service's own `healthcheck`",
    ),
    (
        "x-aws-secrets_env",
        "service",
        "`{VAR: secret}`: environment variables ECS fills from Secrets Manager (an ARN or name, `:json-key` for one key of a JSON secret) or SSM (an ARN, or a name starting with /); the execution role may read exactly those, and no value is in the template",
    ),
    (
        "x-aws-capacity",
        "service",
        "`managed_instances`: the service runs on ECS Managed Instances (AWS picks, patches and scales the instances from the task's size, `x-aws-instance_type`, the platform and GPUs); default `auto_scaling`, instances of the project's own",
    ),
    (
        "x-aws-deployment",
        "service",
        "how a new version rolls out: `strategy` `rolling` (default), `blue_green`, `canary` or `linear` (ECS-native; traffic shifts on the load balancer, canary and linear on an ALB only), `bake_time`, `canary_percent` and `canary_bake_time`, `step_percent` and `step_bake_time`, `test_port` (default: the port + 10000), `hooks: [{lambda: ARN, stages: [...]}]`, `alarms: [names]` that roll back",
    ),
    (
        "x-aws-deregistration_delay",
        "service",
        "seconds the load balancer drains a stopping task (0–3600); default 30 on an ALB, 300 on an NLB",
    ),
    (
        "x-aws-pull_credentials",
        "service",
        "ARN of a Secrets Manager secret with registry credentials (anything else is refused)",
    ),
    (
        "x-aws-role",
        "service",
        "an IAM policy document added to the task role",
    ),
    (
        "x-aws-policies",
        "service",
        "managed policy ARNs attached to the task role",
    ),
    (
        "x-aws-assign_public_ip",
        "service",
        "`false`: the tasks never get a public IP, so `up` insists on subnets with a NAT gateway (or VPC endpoints); `true`: always one. Default: as the subnets need (the `AssignPublicIp` parameter: ENABLED in public subnets, DISABLED in private ones); never on EC2",
    ),
    (
        "x-aws-autoscaling",
        "service `deploy`",
        "`{cpu|memory: percent, min, max}` → target-tracking scaling",
    ),
    (
        "x-aws-min_percent",
        "service `deploy.update_config`",
        "minimum healthy percent during deployments",
    ),
    (
        "x-aws-max_percent",
        "service `deploy.update_config`",
        "maximum percent during deployments",
    ),
    (
        "x-aws-protocol",
        "service port",
        "`http` or `https`: counts the port as HTTP(S) when choosing an ALB; `tls`: a TLS listener on the NLB (with a certificate)",
    ),
    (
        "x-aws-certificate",
        "service port",
        "ACM certificate ARN: an HTTPS listener on the ALB (TLS 1.2+/1.3 policy), or a TLS listener on the NLB",
    ),
    (
        "x-aws-certificate",
        "project",
        "ACM certificate ARN for every ALB port 443 (and `tls` port) without its own: HTTPS with the TLS 1.2+/1.3 policy",
    ),
    (
        "x-aws-redirect_http",
        "project",
        "`true`: port 80 answers with a 301 to HTTPS (also when no service publishes 80); without it, port 80 redirects when its service also serves HTTPS on 443",
    ),
    (
        "x-aws-keys",
        "secret",
        "JSON keys to write as separate files (`*` for all)",
    ),
    (
        "x-aws-securitygroup",
        "network",
        "deprecated: same as `external: true` with `name: <sg-id>`",
    ),
];

/// Where an `x-aws-*` extension belongs ("service", "top level of the
/// Compose file or service", …).
pub fn extension_place(name: &str) -> Option<String> {
    let places: Vec<&str> = EXTENSIONS
        .iter()
        .filter(|(n, _, _)| *n == name)
        .map(|(_, place, _)| match *place {
            "project" => "top level of the Compose file",
            other => other,
        })
        .collect();
    (!places.is_empty()).then(|| places.join(" or "))
}

/// The README's table of `x-aws-*` extensions.
pub fn extensions_table() -> String {
    let mut out = String::from("| Extension | Where | What it does |\n|---|---|---|\n");
    for (name, place, what) in EXTENSIONS {
        out.push_str(&format!("| `{name}` | {place} | {what} |\n"));
    }
    out
}

/// Look a key up in a table.
pub fn lookup(table: &[(&str, Support)], key: &str) -> Option<Support> {
    table.iter().find(|(k, _)| *k == key).map(|(_, s)| *s)
}

/// The README feature table: every key, what it becomes on AWS or why not.
pub fn feature_table() -> String {
    let mut out = String::from("| Compose key | On ECS |\n|---|---|\n");
    let mut row = |key: String, support: &Support| {
        let text = match support {
            Mapped(t) => format!("✔ {t}"),
            Partial(t) => format!("◐ {t}"),
            Ignored(t) => format!("⚠ ignored, with a warning: {t}"),
            Rejected(t) => format!("✘ rejected: {t}"),
            Nested(_) => return,
        };
        out.push_str(&format!("| `{key}` | {text} |\n"));
    };
    fn walk(prefix: &str, table: &[(&str, Support)], row: &mut dyn FnMut(String, &Support)) {
        for (k, s) in table {
            let key = format!("{prefix}{k}");
            match s {
                Nested(inner) => walk(&format!("{key}."), inner, row),
                other => row(key, other),
            }
        }
    }
    walk("services.*.", SERVICE, &mut row);
    walk("networks.*.", NETWORK, &mut row);
    walk("volumes.*.", VOLUME, &mut row);
    walk("secrets.*.", SECRET, &mut row);
    row(
        "configs".into(),
        &Rejected(
            "ECS cannot mount a config file into a container; bake it into the image or use a secret",
        ),
    );
    out
}
