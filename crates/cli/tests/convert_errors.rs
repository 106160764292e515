//! What ECS cannot run is rejected by `convert`: exit 1, the key path, the
//! position, and what to do.

mod common;

use common::*;
use std::process::Command;

struct Case {
    name: &'static str,
    compose: &'static str,
    args: &'static [&'static str],
    /// Substrings of stderr: position, key path, reason.
    expect: &'static [&'static str],
}

const fn case(name: &'static str, compose: &'static str, expect: &'static [&'static str]) -> Case {
    Case {
        name,
        compose,
        args: &[],
        expect,
    }
}

const CASES: &[Case] = &[
    case(
        "bind-mount",
        "services:\n  web:\n    image: nginx\n    volumes: [\"./html:/usr/share/nginx/html\"]\n",
        &[
            "compose.yaml:4:15",
            "services.web.volumes[0]",
            "bind mount",
            "use a named volume (EFS)",
        ],
    ),
    case(
        "tmpfs-volume",
        "services:\n  web:\n    image: nginx\n    volumes:\n      - type: tmpfs\n        target: /tmp\n",
        &[
            "compose.yaml:5:9",
            "services.web.volumes[0]",
            "`tmpfs` volumes cannot run",
        ],
    ),
    case(
        "https-without-a-certificate",
        "services:\n  web:\n    image: nginx\n    ports:\n      - target: 80\n        published: 443\n        x-aws-protocol: https\n",
        &[
            "compose.yaml:5:9",
            "services.web.ports[0]",
            "an HTTPS listener needs a certificate",
            "at the top level",
        ],
    ),
    case(
        "tls-on-an-alb",
        "services:\n  web:\n    image: nginx\n    ports:\n      - target: 80\n        x-aws-protocol: http\n  mqtt:\n    image: mosquitto\n    ports:\n      - target: 8883\n        x-aws-protocol: tls\n        x-aws-certificate: arn:aws:acm:us-east-1:123456789012:certificate/abc\n",
        &[
            "compose.yaml:11:25",
            "services.mqtt.ports[0].x-aws-protocol",
            "`tls` needs a Network Load Balancer",
            "x-aws-protocol: https",
        ],
    ),
    case(
        "redirect-without-https",
        "x-aws-redirect_http: true\nservices:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n",
        &["compose.yaml:1:22", "x-aws-redirect_http", "no HTTPS port"],
    ),
    case(
        "published-range",
        "services:\n  web:\n    image: nginx\n    ports:\n      - target: 80\n        published: \"8000-8010\"\n",
        &["compose.yaml:5:9", "services.web.ports[0]", "port range"],
    ),
    case(
        "build-only",
        "services:\n  web:\n    build: .\n",
        &[
            "compose.yaml:3:5",
            "services.web",
            "has no image",
            "set `image:`",
        ],
    ),
    case(
        "same-port-two-services",
        "services:\n  a:\n    image: a\n    ports: [\"80:80\"]\n  b:\n    image: b\n    ports: [\"80:80\"]\n",
        &[
            "compose.yaml:7:13",
            "services.b.ports[0]",
            "port 80/tcp is already published by service \"a\"",
        ],
    ),
    case(
        "tcp-udp-collision",
        "services:\n  a:\n    image: a\n    ports: [\"53:53/tcp\"]\n  b:\n    image: b\n    ports: [\"53:53/udp\"]\n",
        &[
            "compose.yaml:7:13",
            "services.b.ports[0]",
            "published over tcp by service \"a\" and over udp here",
        ],
    ),
    case(
        "retention-wrong-type",
        "x-aws-logs_retention: \"14\"\nservices:\n  web:\n    image: nginx\n",
        &[
            "compose.yaml:1:23",
            "x-aws-logs_retention",
            "must be a number of days, found the string \"14\"",
        ],
    ),
    case(
        "retention-invalid",
        "x-aws-logs_retention: 10\nservices:\n  web:\n    image: nginx\n",
        &[
            "compose.yaml:1:23",
            "x-aws-logs_retention",
            "10 days is not a CloudWatch Logs retention period",
            "14",
        ],
    ),
    case(
        "policies-not-a-list",
        "services:\n  web:\n    image: nginx\n    x-aws-policies: arn:aws:iam::aws:policy/ReadOnlyAccess\n",
        &[
            "compose.yaml:4:21",
            "services.web.x-aws-policies",
            "must be a list of managed policy ARNs",
        ],
    ),
    case(
        "min-percent-not-a-number",
        "services:\n  web:\n    image: nginx\n    deploy:\n      update_config:\n        x-aws-min_percent: half\n",
        &[
            "compose.yaml:6:28",
            "services.web.deploy.update_config.x-aws-min_percent",
            "must be an integer percentage",
        ],
    ),
    case(
        "autoscaling-wrong-type",
        "services:\n  web:\n    image: nginx\n    deploy:\n      x-aws-autoscaling: {cpu: high, max: 3}\n",
        &[
            "compose.yaml:5:26",
            "services.web.deploy.x-aws-autoscaling",
            "must be a mapping",
        ],
    ),
    case(
        "autoscaling-both-targets",
        "services:\n  web:\n    image: nginx\n    deploy:\n      x-aws-autoscaling: {cpu: 50, memory: 50, max: 3}\n",
        &[
            "compose.yaml:5:26",
            "services.web.deploy.x-aws-autoscaling",
            "both cpu and memory",
        ],
    ),
    case(
        "autoscaling-no-max",
        "services:\n  web:\n    image: nginx\n    deploy:\n      x-aws-autoscaling: {cpu: 50}\n",
        &[
            "compose.yaml:5:26",
            "services.web.deploy.x-aws-autoscaling",
            "must define `max`",
        ],
    ),
    case(
        "external-network-not-sg",
        "services:\n  web:\n    image: nginx\nnetworks:\n  default:\n    external: true\n    name: corp-net\n",
        &[
            "compose.yaml:7:11",
            "networks.default.name",
            "must name a security group ID",
        ],
    ),
    case(
        "external-volume-not-fs",
        "services:\n  web:\n    image: nginx\n    volumes: [\"data:/data\"]\nvolumes:\n  data:\n    external: true\n    name: my-volume\n",
        &[
            "compose.yaml:8:11",
            "volumes.data.name",
            "must name an EFS file system ID",
        ],
    ),
    case(
        "capability",
        "services:\n  web:\n    image: nginx\n    cap_add: [NET_ADMIN]\n",
        &[
            "compose.yaml:4:14",
            "services.web.cap_add",
            "Fargate does not allow adding capability NET_ADMIN",
        ],
    ),
    case(
        "privileged",
        "services:\n  web:\n    image: nginx\n    privileged: true\n",
        &[
            "compose.yaml:4:17",
            "services.web.privileged",
            "Fargate does not run privileged containers",
        ],
    ),
    case(
        "network-mode-host",
        "services:\n  web:\n    image: nginx\n    network_mode: host\n",
        &["compose.yaml:4:19", "services.web.network_mode", "awsvpc"],
    ),
    case(
        "configs",
        "services:\n  web:\n    image: nginx\n    configs: [site]\nconfigs:\n  site:\n    file: ./site.conf\n",
        &[
            "compose.yaml:4:14",
            "services.web.configs",
            "cannot mount a config file",
        ],
    ),
    case(
        "https-without-certificate",
        "services:\n  web:\n    image: nginx\n    ports:\n      - target: 443\n        x-aws-protocol: https\n",
        &[
            "compose.yaml:5:9",
            "services.web.ports[0]",
            "needs a certificate",
            "x-aws-certificate",
        ],
    ),
    case(
        "too-big-for-fargate",
        "services:\n  web:\n    image: nginx\n    deploy:\n      resources:\n        limits: {cpus: \"32\"}\n",
        &[
            "compose.yaml:6:9",
            "services.web.deploy.resources",
            "no Fargate task size fits",
        ],
    ),
    case(
        "parallelism-over-replicas",
        "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 1\n      update_config: {parallelism: 3}\n",
        &[
            "compose.yaml:6:36",
            "services.web.deploy.update_config.parallelism",
            "larger than the 1 replica",
        ],
    ),
    case(
        "secret-outside-run-secrets",
        "services:\n  web:\n    image: nginx\n    secrets:\n      - source: s\n        target: /etc/ssl/key.pem\nsecrets:\n  s: {file: ./s.txt}\n",
        &[
            "compose.yaml:5:9",
            "services.web.secrets[0]",
            "is not under /run/secrets/",
        ],
    ),
    case(
        "bad-vpc",
        "x-aws-vpc: my-vpc\nservices:\n  web:\n    image: nginx\n",
        &["compose.yaml:1:12", "x-aws-vpc", "is not a VPC ID"],
    ),
    case(
        "volumes-from",
        "services:\n  web:\n    image: nginx\n    volumes_from: [data]\n  data:\n    image: busybox\n",
        &[
            "compose.yaml:4:19",
            "services.web.volumes_from",
            "cannot share volumes",
        ],
    ),
    case(
        "job-mode",
        "services:\n  web:\n    image: nginx\n    deploy:\n      mode: replicated-job\n",
        &[
            "compose.yaml:5:13",
            "services.web.deploy.mode",
            "an ECS service keeps its tasks running",
        ],
    ),
    case(
        "windows-platform",
        "services:\n  web:\n    image: nginx\n    platform: windows/amd64\n",
        &[
            "compose.yaml:4:15",
            "services.web.platform",
            "not available on ECS",
        ],
    ),
    case(
        "overlay-not-a-mapping",
        "x-aws-cloudformation: [Resources]\nservices:\n  web:\n    image: nginx\n",
        &[
            "compose.yaml:1:23",
            "x-aws-cloudformation",
            "must be a mapping",
        ],
    ),
    case(
        "logical-id-collision",
        "services:\n  web-1:\n    image: a\n  web1:\n    image: b\n",
        &[
            "compose.yaml:5:5",
            "services.web1",
            "would have the same CloudFormation name",
        ],
    ),
    case(
        "role-without-statement",
        "services:\n  web:\n    image: nginx\n    x-aws-role: {Version: \"2012-10-17\"}\n",
        &[
            "compose.yaml:4:17",
            "services.web.x-aws-role",
            "IAM policy document",
        ],
    ),
    Case {
        name: "strict-turns-warnings-into-errors",
        compose: "services:\n  web:\n    image: nginx\n    restart: always\n",
        args: &["--strict"],
        expect: &[
            "compose.yaml:4:14",
            "services.web.restart",
            "`restart` is ignored on ECS",
        ],
    },
    case(
        "pull-credentials-not-an-arn",
        "services:\n  web:\n    image: nginx\n    x-aws-pull_credentials: registry-creds\n",
        &[
            "compose.yaml:4:29",
            "services.web.x-aws-pull_credentials",
            "is not a Secrets Manager secret ARN",
            "arn:aws:secretsmanager:",
        ],
    ),
    case(
        "volume-name-without-path",
        "services:\n  db:\n    image: postgres\n    volumes: [db-data]\nvolumes:\n  db-data: {}\n",
        &[
            "compose.yaml:4:15",
            "services.db.volumes[0]",
            "the container path \"db-data\" is not absolute",
            "write `db-data:/path/in/container`",
        ],
    ),
    case(
        "relative-container-path",
        "services:\n  web:\n    image: nginx\n    volumes:\n      - type: volume\n        target: data\n",
        &[
            "services.web.volumes[0]",
            "is not absolute",
            "such as /data",
        ],
    ),
    case(
        "load-balancer-neither-name-nor-arn",
        "x-aws-loadbalancer: \"my lb!\"\nservices:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n",
        &[
            "compose.yaml:1:21",
            "x-aws-loadbalancer",
            "neither a load balancer name nor an ARN",
        ],
    ),
    case(
        "external-secret-not-a-reference",
        "services:\n  web:\n    image: nginx\n    secrets: [db]\nsecrets:\n  db:\n    external: true\n    name: \"arn:aws:s3:::bucket/key\"\n",
        &[
            "secrets.db.name",
            "neither a Secrets Manager secret ARN nor an SSM parameter ARN",
        ],
    ),
    case(
        "keys-from-a-parameter",
        "services:\n  web:\n    image: nginx\n    secrets: [db]\nsecrets:\n  db:\n    external: true\n    name: arn:aws:ssm:us-east-1:123456789012:parameter/db\n    x-aws-keys: [password]\n",
        &["secrets.db.x-aws-keys", "needs a Secrets Manager secret"],
    ),
    case(
        "unknown-launch-type",
        "services:\n  web:\n    image: nginx\n    x-aws-launch_type: EC3\n",
        &[
            "compose.yaml:4:24",
            "services.web.x-aws-launch_type",
            "\"EC3\" is not a launch type",
            "write `EC2` or `FARGATE`",
        ],
    ),
    case(
        "gpu-on-fargate",
        "services:\n  ml:\n    image: tf\n    x-aws-launch_type: FARGATE\n    gpus: all\n",
        &[
            "services.ml.x-aws-launch_type",
            "Fargate has no GPUs",
            "GPU services run on EC2",
        ],
    ),
    case(
        "x86-instance-for-arm64",
        "services:\n  api:\n    image: api\n    platform: linux/arm64\n    x-aws-launch_type: EC2\n    x-aws-instance_type: m7i.large\n",
        &[
            "compose.yaml:6:26",
            "services.api.x-aws-instance_type",
            "m7i.large is an x86_64 instance type, and the service's platform is linux/arm64",
            "Graviton",
        ],
    ),
    case(
        "bad-platform-version",
        "services:\n  api:\n    image: api\n    x-aws-platform_version: latest-ish\n",
        &[
            "services.api.x-aws-platform_version",
            "not a Fargate platform version",
            "LATEST or a version such as 1.4.0",
        ],
    ),
    case(
        "instances-not-a-range",
        "services:\n  api:\n    image: api\n    x-aws-launch_type: EC2\n    x-aws-instances: {min: 3, max: 2}\n",
        &[
            "services.api.x-aws-instances",
            "min 3 and max 2 are not a range of instances",
        ],
    ),
    case(
        "instances-unknown-key",
        "services:\n  api:\n    image: api\n    x-aws-launch_type: EC2\n    x-aws-instances: {minimum: 1}\n",
        &[
            "services.api.x-aws-instances",
            "min, max and target_capacity",
        ],
    ),
    case(
        "placement-ecs-cannot-express",
        "services:\n  api:\n    image: api\n    x-aws-launch_type: EC2\n    deploy:\n      placement:\n        constraints: [node.role == manager]\n",
        &[
            "compose.yaml:7:23",
            "services.api.deploy.placement.constraints[0]",
            "ECS cannot express the placement constraint \"node.role == manager\"",
            "node.labels.<name>",
        ],
    ),
    case(
        "daemon-on-fargate",
        "services:\n  agent:\n    image: agent\n    deploy:\n      mode: global\n",
        &[
            "compose.yaml:5:13",
            "services.agent.deploy.mode",
            "an ECS daemon service",
            "x-aws-launch_type: EC2",
        ],
    ),
    case(
        "canary-behind-an-nlb",
        "services:\n  db:\n    image: postgres\n    ports: [\"5432:5432\"]\n    x-aws-deployment: {strategy: canary}\n",
        &[
            "compose.yaml:5:34",
            "services.db.x-aws-deployment.strategy",
            "needs an Application Load Balancer",
            "strategy: blue_green",
        ],
    ),
    case(
        "blue-green-without-a-published-port",
        "services:\n  worker:\n    image: worker\n    x-aws-deployment:\n      strategy: blue_green\n",
        &[
            "compose.yaml:5:17",
            "services.worker.x-aws-deployment.strategy",
            "publishes no port",
            "strategy: rolling",
        ],
    ),
    case(
        "deployment-hook-not-a-lambda",
        "services:\n  web:\n    image: web\n    ports: [\"80:80\"]\n    x-aws-deployment:\n      strategy: blue_green\n      hooks:\n        - lambda: arn:aws:sns:us-east-1:123456789012:topic\n          stages: [PRE_SCALE_UP]\n",
        &[
            "compose.yaml:8:19",
            "services.web.x-aws-deployment.hooks[0].lambda",
            "is not a Lambda function ARN",
        ],
    ),
    case(
        "canary-percent-out-of-range",
        "services:\n  web:\n    image: web\n    ports: [\"80:80\"]\n    x-aws-deployment: {strategy: canary, canary_percent: 0.05}\n",
        &[
            "services.web.x-aws-deployment.canary_percent",
            "0.05 is not a traffic percentage ECS takes",
            "0.1 to 100",
        ],
    ),
    case(
        "unknown-capacity",
        "services:\n  api:\n    image: api\n    x-aws-capacity: spot_fleet\n",
        &[
            "compose.yaml:4:21",
            "services.api.x-aws-capacity",
            "\"spot_fleet\" is not a kind of EC2 capacity",
            "managed_instances",
        ],
    ),
    case(
        "managed-instances-on-fargate",
        "services:\n  api:\n    image: api\n    x-aws-launch_type: FARGATE\n    x-aws-capacity: managed_instances\n",
        &[
            "services.api.x-aws-capacity",
            "ECS Managed Instances are EC2 instances",
        ],
    ),
    case(
        "managed-instances-with-an-ami",
        "services:\n  api:\n    image: api\n    x-aws-capacity: managed_instances\n    deploy:\n      placement:\n        constraints: [node.ami == ami-0123456789abcdef0]\n",
        &[
            "services.api.deploy.placement.constraints",
            "run AWS's own image",
        ],
    ),
    case(
        "spot-with-arm64",
        "services:\n  api:\n    image: api\n    platform: linux/arm64\n    x-aws-capacity_provider_strategy:\n      - capacity_provider: FARGATE_SPOT\n",
        &[
            "compose.yaml:6:28",
            "services.api.x-aws-capacity_provider_strategy[0].capacity_provider",
            "Fargate Spot runs x86-64 tasks only",
            "use FARGATE",
        ],
    ),
    case(
        "secrets-env-not-a-secret",
        "services:\n  api:\n    image: api\n    x-aws-secrets_env:\n      TOKEN: arn:aws:s3:::bucket/token\n",
        &[
            "compose.yaml:5:14",
            "services.api.x-aws-secrets_env.TOKEN",
            "is neither a Secrets Manager secret ARN nor an SSM parameter ARN",
            "SSM parameter name starting with /",
        ],
    ),
    case(
        "lb-healthcheck-out-of-range",
        "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n    x-aws-healthcheck: {interval: 1, path: ready}\n",
        &[
            "services.web.x-aws-healthcheck.interval",
            "interval 1 is outside 5-300",
            "\"ready\" is not a path",
        ],
    ),
    case(
        "loadbalancer-scheme-unknown",
        "x-aws-loadbalancer_scheme: private\nservices:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n",
        &[
            "compose.yaml:1:28",
            "x-aws-loadbalancer_scheme",
            "\"private\" is not a load balancer scheme",
            "`internal`",
        ],
    ),
    case(
        "loadbalancer-subnets-one",
        "x-aws-loadbalancer_subnets: [subnet-0a1b2c3d]\nservices:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n",
        &[
            "x-aws-loadbalancer_subnets",
            "needs at least 2 subnets, found 1",
            "two availability zones",
        ],
    ),
    Case {
        name: "loadbalancer-scheme-without-a-load-balancer",
        compose: "x-aws-loadbalancer_scheme: internal\nservices:\n  worker:\n    image: worker\n",
        args: &["--strict"],
        expect: &[
            "compose.yaml:1:28",
            "`x-aws-loadbalancer_scheme` is ignored: no service publishes a port",
        ],
    },
    Case {
        name: "private-subnets-deprecated",
        compose: "x-aws-private_subnets: [subnet-0a1b2c3d, subnet-0b1b2c3d]\nservices:\n  worker:\n    image: worker\n",
        args: &["--strict"],
        expect: &[
            "x-aws-private_subnets",
            "is deprecated: tasks run in `x-aws-subnets`",
            "x-aws-loadbalancer_subnets",
        ],
    },
    case(
        "sidecar-with-ports",
        "services:\n  web:\n    image: nginx\n  proxy:\n    image: envoy\n    network_mode: service:web\n    ports: [\"8080:8080\"]\n",
        &[
            "compose.yaml:7:12",
            "services.proxy.ports",
            "proxy shares the network of web and cannot publish ports of its own",
            "publish the port on web",
        ],
    ),
    case(
        "sidecar-cycle",
        "services:\n  web:\n    image: nginx\n    network_mode: service:proxy\n  proxy:\n    image: envoy\n    network_mode: service:web\n",
        &[
            "compose.yaml:7:19",
            "services.proxy.network_mode",
            "dependency cycle detected: proxy -> web -> proxy",
            "remove its `network_mode`",
        ],
    ),
    Case {
        name: "sidecar-task-keys-are-named",
        compose: "services:\n  web:\n    image: nginx\n  proxy:\n    image: envoy\n    network_mode: service:web\n    x-aws-launch_type: EC2\n    deploy:\n      replicas: 3\n",
        args: &["--strict"],
        expect: &[
            "services.proxy.x-aws-launch_type",
            "services.proxy.deploy.replicas",
            "ignored: proxy runs in the task of web (network_mode), whose setting applies",
            "set it on web",
        ],
    },
    Case {
        name: "essential-on-a-main-service",
        // web has a sidecar: the key is still web's own container's, and ignored.
        compose: "services:\n  web:\n    image: nginx\n    x-aws-essential: false\n  proxy:\n    image: envoy\n    network_mode: service:web\n",
        args: &["--strict"],
        expect: &[
            "services.web.x-aws-essential",
            "a service's own container is always essential",
        ],
    },
    case(
        "service-connect-port-names-clash",
        "x-aws-service_connect: true\nservices:\n  a:\n    image: a\n    ports:\n      - {target: 80, name: web}\n  b:\n    image: b\n    ports:\n      - {target: 81, name: web}\n",
        &[
            "services.b.ports",
            "port name \"web\" is used by a and b",
            "distinct `name`s",
        ],
    ),
    Case {
        name: "service-connect-udp-is-named",
        compose: "x-aws-service_connect: true\nservices:\n  dns:\n    image: coredns\n    ports: [\"53:53/udp\"]\n",
        args: &["--strict"],
        expect: &[
            "services.dns.ports[0]",
            "port 53/udp is not reachable through Service Connect",
        ],
    },
    Case {
        name: "port-name-without-service-connect",
        compose: "services:\n  web:\n    image: nginx\n    ports:\n      - {target: 80, name: web}\n",
        args: &["--strict"],
        expect: &[
            "services.web.ports[0].name",
            "port `name` is ignored without Service Connect",
            "x-aws-service_connect: true",
        ],
    },
    Case {
        name: "placement-on-fargate-is-named",
        compose: "services:\n  api:\n    image: api\n    deploy:\n      placement:\n        constraints: [node.labels.disk == ssd]\n",
        args: &["--strict"],
        expect: &[
            "services.api.deploy.placement",
            "`placement` is ignored: ECS places Fargate tasks itself",
            "x-aws-launch_type: EC2",
        ],
    },
];

#[test]
fn rejections_say_where_why_and_what_to_do() {
    assert!(CASES.len() >= 30);
    let mut failures = Vec::new();
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("compose.yaml"), case.compose).unwrap();
        std::fs::write(dir.path().join("s.txt"), "x").unwrap();
        std::fs::write(dir.path().join("site.conf"), "x").unwrap();
        let mut cmd = Command::new(docker_ecs());
        clean_env(&mut cmd, dir.path());
        let out = cmd
            .current_dir(dir.path())
            .arg("convert")
            .args(case.args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut problems = Vec::new();
        if out.status.code() != Some(1) {
            problems.push(format!("exit {:?}", out.status.code()));
        }
        if stderr.contains("panicked") {
            problems.push("panicked".into());
        }
        if !out.stdout.is_empty() {
            problems.push("printed a template".into());
        }
        if !stderr.contains("help:") {
            problems.push("no help".into());
        }
        for want in case.expect {
            if !stderr.contains(want) {
                problems.push(format!("missing {want:?}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "--- {}: {}\n{stderr}",
                case.name,
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
