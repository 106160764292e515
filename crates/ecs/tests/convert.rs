//! Conversion tests: one fixture per feature under `tests/fixtures/`, each
//! with a snapshot of its template, plus the original implementation's test
//! scenarios re-expressed as assertions on the template.

use compose::{Environment, LoadOptions};
use serde_json::{Value, json};
use std::path::PathBuf;

fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> compose::Loaded {
    let opts = LoadOptions {
        cwd: fixture_dir(name),
        environment: Environment::new(),
        ..Default::default()
    };
    compose::load(&opts).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn convert(name: &str) -> (ecs::Conversion, Value) {
    let loaded = load(name);
    let conversion = ecs::convert(&loaded.project, &loaded.positions, &ecs::Options::default())
        .unwrap_or_else(|errors| {
            let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            panic!("{name}: {}", text.join("\n"))
        });
    let value = conversion.value();
    (conversion, value)
}

/// Load and convert a Compose file given as text.
fn convert_str(text: &str) -> (compose::Loaded, ecs::Conversion) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), text).unwrap();
    let loaded = compose::load(&LoadOptions {
        cwd: dir.path().to_path_buf(),
        environment: Environment::new(),
        ..Default::default()
    })
    .unwrap();
    let c = ecs::convert(&loaded.project, &loaded.positions, &ecs::Options::default()).unwrap();
    (loaded, c)
}

fn resource<'a>(t: &'a Value, id: &str) -> &'a Value {
    t["Resources"]
        .get(id)
        .unwrap_or_else(|| panic!("no resource {id}; have {:?}", ids(t)))
}

fn props<'a>(t: &'a Value, id: &str) -> &'a Value {
    &resource(t, id)["Properties"]
}

fn ids(t: &Value) -> Vec<String> {
    t["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn containers(t: &Value, task: &str) -> Vec<Value> {
    props(t, task)["ContainerDefinitions"]
        .as_array()
        .unwrap()
        .clone()
}

fn main_container(t: &Value, task: &str, name: &str) -> Value {
    containers(t, task)
        .into_iter()
        .find(|c| c["Name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

const FIXTURES: &[&str] = &[
    "simple",
    "logging",
    "env-file",
    "rolling-update",
    "rolling-update-extension",
    "pull-credentials",
    "networks",
    "alb",
    "no-load-balancer",
    "replicas",
    "task-size",
    "nlb",
    "external-network",
    "external-volume",
    "create-volume",
    "access-point",
    "service-mapping",
    "external-cluster",
    "vpc-arn",
    "gpu",
    "autoscaling",
    "secrets",
    "healthcheck",
    "ulimits",
    "tcp-udp",
    "https",
    "overlay",
    "depends-on",
    "arm64",
    "anonymous-volume",
    "deploy-labels",
    "existing-load-balancer",
    "external-secrets",
    "log-options",
    "ec2",
    "deployments",
    "daemon",
    "managed-instances",
    "secrets-env",
    "spot",
    "https-redirect",
    "tls",
    "lb-healthcheck",
    "exec",
    "placement",
    "internal-load-balancer",
    "sidecar",
    "service-connect",
];

#[test]
fn every_fixture_is_listed() {
    let mut on_disk: Vec<String> = std::fs::read_dir(fixture_dir(""))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("compose.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FIXTURES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn snapshots() {
    for name in FIXTURES {
        let (conversion, _) = convert(name);
        let yaml = conversion.render(ecs::Format::Yaml).unwrap();
        insta::assert_snapshot!(*name, yaml);
    }
}

#[test]
fn output_is_byte_identical_across_runs_and_formats_agree() {
    for name in FIXTURES {
        let (a, _) = convert(name);
        let (b, _) = convert(name);
        assert_eq!(
            a.render(ecs::Format::Yaml),
            b.render(ecs::Format::Yaml),
            "{name}"
        );
        assert_eq!(
            a.render(ecs::Format::Json),
            b.render(ecs::Format::Json),
            "{name}"
        );
        // The YAML and JSON renderings carry the same data.
        let yaml = a.render(ecs::Format::Yaml).unwrap();
        let from_yaml = compose::yaml::parse_str(&yaml).unwrap().unwrap().to_json();
        let from_json: Value = serde_json::from_str(&a.render(ecs::Format::Json).unwrap()).unwrap();
        assert_eq!(from_yaml, from_json, "{name}");
        // Writing the typed template directly gives what the JSON value gives.
        let value = a.value();
        assert_eq!(yaml, ecs::cfn::to_yaml(&value), "{name}");
        assert_eq!(
            a.render(ecs::Format::Json).unwrap(),
            ecs::cfn::to_json(&value),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------- the original's scenarios

#[test]
fn simple_convert_has_the_original_resources() {
    let (_, t) = convert("simple");
    for id in [
        "CloudMap",
        "Cluster",
        "DefaultNetwork",
        "DefaultNetworkIngress",
        "LoadBalancer",
        "LogGroup",
        "SimpleService",
        "SimpleServiceDiscoveryEntry",
        "SimpleTCP80Listener",
        "SimpleTCP80TargetGroup",
        "SimpleTaskDefinition",
        "SimpleTaskExecutionRole",
        "SimpleTCP80Ingress",
    ] {
        resource(&t, id);
    }
    assert!(t["Resources"].get("SimpleTaskRole").is_none());
    assert_eq!(props(&t, "LoadBalancer")["Type"], "application");
    assert_eq!(props(&t, "SimpleTCP80Listener")["Protocol"], "HTTP");
    assert_eq!(props(&t, "SimpleTaskDefinition")["Cpu"], "256");
    assert_eq!(props(&t, "SimpleTaskDefinition")["Memory"], "512");
    assert_eq!(props(&t, "SimpleTaskDefinition")["Family"], "simple-simple");
    let service = resource(&t, "SimpleService");
    assert_eq!(service["DependsOn"], json!(["SimpleTCP80Listener"]));
    assert_eq!(service["Properties"]["DesiredCount"], 1);
    assert_eq!(service["Properties"]["LaunchType"], "FARGATE");
    // Fixed upstream gaps: circuit breaker with rollback, grace period.
    assert_eq!(
        service["Properties"]["DeploymentConfiguration"]["DeploymentCircuitBreaker"],
        json!({"Enable": true, "Rollback": true})
    );
    assert_eq!(service["Properties"]["HealthCheckGracePeriodSeconds"], 60);
}

#[test]
fn published_ports_are_only_open_to_the_load_balancer() {
    let (_, t) = convert("simple");
    let ingress = props(&t, "SimpleTCP80Ingress");
    assert!(
        ingress.get("CidrIp").is_none(),
        "task ingress must not be 0.0.0.0/0"
    );
    assert_eq!(
        ingress["SourceSecurityGroupId"],
        json!({"Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"]})
    );
    assert_eq!(ingress["GroupId"], json!({"Ref": "DefaultNetwork"}));
}

#[test]
fn logging_options_and_retention() {
    let (_, t) = convert("logging");
    let c = main_container(&t, "FooTaskDefinition", "foo");
    let opts = &c["LogConfiguration"]["Options"];
    assert_eq!(opts["awslogs-datetime-format"], "%Y-%m-%d");
    // The stack's own group, or the one `up` re-attaches after a `down`.
    assert_eq!(
        opts["awslogs-group"],
        json!({"Fn::If": ["CreateLogGroup", {"Ref": "LogGroup"}, {"Ref": "ExistingLogGroup"}]})
    );
    assert_eq!(props(&t, "LogGroup")["RetentionInDays"], 14);
    // Logs (and the key that encrypts them) outlive `down`.
    for id in ["LogGroup", "LogsKey"] {
        assert_eq!(t["Resources"][id]["DeletionPolicy"], "Retain");
        assert_eq!(t["Resources"][id]["Condition"], "CreateLogGroup");
    }
    assert_eq!(t["Parameters"]["ExistingLogGroup"]["Default"], "");
    assert_eq!(
        props(&t, "LogGroup")["LogGroupName"],
        "/docker-compose/logging"
    );
}

#[test]
fn env_file_and_environment() {
    let (_, t) = convert("env-file");
    let c = main_container(&t, "FooTaskDefinition", "foo");
    assert_eq!(
        c["Environment"],
        json!([
            {"Name": "FOO", "Value": "ZOT"},
            {"Name": "FROM_FILE", "Value": "yes"},
            {"Name": "ONLY_HERE", "Value": "1"},
        ])
    );
}

#[test]
fn rolling_update_limits() {
    let (_, t) = convert("rolling-update");
    let dc = &props(&t, "FooService")["DeploymentConfiguration"];
    assert_eq!(dc["MaximumPercent"], 150);
    assert_eq!(dc["MinimumHealthyPercent"], 50);
    let (_, t) = convert("rolling-update-extension");
    let dc = &props(&t, "FooService")["DeploymentConfiguration"];
    assert_eq!(dc["MaximumPercent"], 125);
    assert_eq!(dc["MinimumHealthyPercent"], 25);
}

#[test]
fn pull_credentials_policy() {
    let (_, t) = convert("pull-credentials");
    let role = props(&t, "FooTaskExecutionRole");
    assert_eq!(
        role["ManagedPolicyArns"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}])
    );
    let statement = &role["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(
        statement["Action"],
        json!(["secretsmanager:GetSecretValue"])
    );
    assert_eq!(
        statement["Resource"],
        json!(["arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbCdEf"])
    );
    assert!(statement.get("Condition").is_none() && statement.get("Principal").is_none());
    let c = main_container(&t, "FooTaskDefinition", "foo");
    assert_eq!(
        c["RepositoryCredentials"]["CredentialsParameter"],
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbCdEf"
    );
}

#[test]
fn networks_become_security_groups() {
    let (_, t) = convert("networks");
    resource(&t, "FronttierNetwork");
    resource(&t, "BacktierNetwork");
    assert_eq!(
        props(&t, "FronttierNetworkIngress")["SourceSecurityGroupId"],
        json!({"Ref": "FronttierNetwork"})
    );
    let tags = &props(&t, "FronttierNetwork")["Tags"];
    assert!(
        tags.as_array()
            .unwrap()
            .contains(&json!({"Key": "com.docker.compose.network", "Value": "public"}))
    );
    let sgs =
        &props(&t, "FrontService")["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"];
    assert_eq!(
        sgs,
        &json!([{"Ref": "BacktierNetwork"}, {"Ref": "FronttierNetwork"}])
    );
}

#[test]
fn load_balancer_types() {
    let (_, t) = convert("alb");
    assert_eq!(props(&t, "LoadBalancer")["Type"], "application");
    assert!(
        !props(&t, "LoadBalancer")["SecurityGroups"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(props(&t, "LoadBalancer").get("Name").is_none());
    let (_, t) = convert("nlb");
    assert_eq!(props(&t, "LoadBalancer")["Type"], "network");
    assert_eq!(props(&t, "TestTCP88Listener")["Protocol"], "TCP");
    let (_, t) = convert("no-load-balancer");
    assert!(ids(&t).iter().all(|id| !id.ends_with("Listener")
        && !id.ends_with("TargetGroup")
        && id != "LoadBalancer"));
    assert!(t["Outputs"].get("LoadBalancerDNS").is_none());
}

#[test]
fn replicas_set_the_desired_count() {
    let (_, t) = convert("replicas");
    assert_eq!(props(&t, "TestService")["DesiredCount"], 10);
}

#[test]
fn task_sizes_use_1024_units_per_vcpu() {
    let (_, t) = convert("task-size");
    let size = |id: &str| {
        let p = props(&t, id);
        (
            p["Cpu"].as_str().unwrap().to_string(),
            p["Memory"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(size("NoneTaskDefinition"), ("256".into(), "512".into()));
    assert_eq!(size("HalfTaskDefinition"), ("512".into(), "2048".into()));
    assert_eq!(size("FourTaskDefinition"), ("4096".into(), "8192".into()));
    assert_eq!(size("OnecpuTaskDefinition"), ("1024".into(), "2048".into()));
    assert_eq!(
        size("MemoryonlyTaskDefinition"),
        ("1024".into(), "6144".into())
    );
}

#[test]
fn external_network_is_used_and_never_modified() {
    let (_, t) = convert("external-network");
    assert!(t["Resources"].get("DefaultNetwork").is_none());
    assert!(t["Resources"].get("DefaultNetworkIngress").is_none());
    let sgs =
        &props(&t, "TestService")["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"];
    assert_eq!(sgs[0], "sg-0123456789abcdef0");
    // Ingress from the load balancer goes to a group of the service's own.
    assert_eq!(sgs[1], json!({"Ref": "TestServiceSecurityGroup"}));
    assert_eq!(
        props(&t, "TestTCP80Ingress")["GroupId"],
        json!({"Ref": "TestServiceSecurityGroup"})
    );
}

#[test]
fn external_volume_uses_the_file_system_id() {
    let (_, t) = convert("external-volume");
    assert!(t["Resources"].get("DbdataFilesystem").is_none());
    assert_eq!(
        props(&t, "DbdataAccessPoint")["FileSystemId"],
        "fs-0123456789abcdef0"
    );
    // An existing file system already has its mount targets.
    assert!(ids(&t).iter().all(|id| !id.contains("MountTarget")));
}

#[test]
fn created_volume_is_encrypted_retained_and_reusable() {
    let (conversion, t) = convert("create-volume");
    let fs = resource(&t, "DbdataFilesystem");
    assert_eq!(fs["DeletionPolicy"], "Retain");
    assert_eq!(fs["Condition"], "CreateDbdataFilesystem");
    let p = &fs["Properties"];
    assert_eq!(p["Encrypted"], true);
    assert_eq!(p["BackupPolicy"]["Status"], "ENABLED");
    assert_eq!(
        p["LifecyclePolicies"],
        json!([{"TransitionToIA": "AFTER_30_DAYS"}])
    );
    assert_eq!(p["PerformanceMode"], "maxIO");
    assert_eq!(p["ThroughputMode"], "provisioned");
    assert_eq!(p["ProvisionedThroughputInMibps"], 1024.0);
    let mt = props(&t, "DbdataNFSMountTargetOnSubnet1");
    assert_eq!(
        mt["FileSystemId"],
        json!({"Fn::If": ["CreateDbdataFilesystem", {"Ref": "DbdataFilesystem"}, {"Ref": "DbdataFilesystemId"}]})
    );
    resource(&t, "DbdataNFSMountTargetOnSubnet2");
    assert_eq!(
        conversion.filesystem_parameters,
        vec![ecs::convert::FilesystemParameter {
            parameter: "DbdataFilesystemId".into(),
            volume: "db-data".into()
        }]
    );
    let volume = &props(&t, "TestTaskDefinition")["Volumes"][0];
    assert_eq!(
        volume["EFSVolumeConfiguration"]["TransitEncryption"],
        "ENABLED"
    );
    assert_eq!(
        volume["EFSVolumeConfiguration"]["AuthorizationConfig"]["IAM"],
        "ENABLED"
    );
}

#[test]
fn access_point_posix_user_and_read_only_mount() {
    let (_, t) = convert("access-point");
    let ap = props(&t, "DbdataAccessPoint");
    assert_eq!(ap["PosixUser"], json!({"Uid": "1002", "Gid": "1002"}));
    assert_eq!(
        ap["RootDirectory"],
        json!({"Path": "/data", "CreationInfo": {"OwnerUid": "1002", "OwnerGid": "1002", "Permissions": "750"}})
    );
    let policy = &props(&t, "TestTaskRole")["Policies"][0];
    assert_eq!(policy["PolicyName"], "TestDbdataVolumeMountPolicy");
    // Read-only mounts get no write permission.
    assert_eq!(
        policy["PolicyDocument"]["Statement"][0]["Action"],
        json!(["elasticfilesystem:ClientMount"])
    );
}

#[test]
fn service_mapping() {
    let (_, t) = convert("service-mapping");
    let c = main_container(&t, "TestTaskDefinition", "test");
    assert_eq!(c["Image"], "docker_image:latest");
    assert_eq!(c["Command"], json!(["command", "--flag"]));
    assert_eq!(c["EntryPoint"], json!(["entrypoint", "--flag"]));
    // Sorted, and a variable without a value is not passed (as in Compose).
    assert_eq!(
        c["Environment"],
        json!([{"Name": "AAA", "Value": "first"}, {"Name": "FOO", "Value": "BAR"}])
    );
    assert_eq!(
        c["LinuxParameters"]["Capabilities"],
        json!({"Add": ["SYS_PTRACE"], "Drop": ["SYSLOG"]})
    );
    assert_eq!(c["LinuxParameters"]["InitProcessEnabled"], true);
    assert_eq!(c["User"], "user");
    assert_eq!(c["WorkingDirectory"], "working_dir");
    assert_eq!(c["DockerLabels"], json!({"com.example.team": "web"}));
    assert_eq!(c["ReadonlyRootFilesystem"], true);
    assert_eq!(c["PseudoTerminal"], true);
    assert_eq!(c["Interactive"], true);
    assert_eq!(c["StopTimeout"], 30);
    assert_eq!(
        c["SystemControls"],
        json!([{"Namespace": "net.core.somaxconn", "Value": "1024"}])
    );
    assert_eq!(c["MemoryReservation"], 256);
    assert_eq!(c["Essential"], true);
}

#[test]
fn init_containers_are_not_essential_in_every_format() {
    for name in ["simple", "secrets"] {
        let (conversion, _) = convert(name);
        for format in [ecs::Format::Json, ecs::Format::Yaml] {
            let text = conversion.render(format).unwrap();
            let v = compose::yaml::parse_str(&text).unwrap().unwrap().to_json();
            for (_, r) in v["Resources"].as_object().unwrap() {
                for c in r["Properties"]["ContainerDefinitions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let init = c["Name"].as_str().unwrap().ends_with("_InitContainer");
                    assert_eq!(c["Essential"], !init, "{name} {format:?} {}", c["Name"]);
                }
            }
        }
    }
}

#[test]
fn project_tags_carry_the_project_name() {
    for name in FIXTURES {
        let (_, t) = convert(name);
        let project = load(name).project.name;
        fn walk(v: &Value, project: &str) {
            match v {
                Value::Object(m) => {
                    if m.get("Key") == Some(&json!("com.docker.compose.project")) {
                        assert_eq!(m["Value"], project);
                    }
                    m.values().for_each(|x| walk(x, project));
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, project)),
                _ => {}
            }
        }
        walk(&t, &project);
    }
}

#[test]
fn existing_cluster_is_referenced() {
    let (_, t) = convert("external-cluster");
    assert!(t["Resources"].get("Cluster").is_none());
    assert_eq!(
        props(&t, "TestService")["Cluster"],
        "arn:aws:ecs:us-east-1:123456789012:cluster/shared"
    );
    assert_eq!(t["Outputs"]["ClusterName"]["Value"], "shared");
}

#[test]
fn vpc_arn_and_subnets_become_parameter_defaults() {
    let (_, t) = convert("vpc-arn");
    assert_eq!(t["Parameters"]["VpcId"]["Default"], "vpc-1234abcd");
    assert_eq!(
        t["Parameters"]["Subnet3"]["Default"],
        "subnet-0c1b2c3d4e5f60718"
    );
    assert_eq!(
        props(&t, "TestService")["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"],
        json!([{"Ref": "Subnet1"}, {"Ref": "Subnet2"}, {"Ref": "Subnet3"}])
    );
    assert_eq!(
        props(&t, "TestService")["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"],
        "DISABLED"
    );
}

#[test]
fn tasks_and_an_internal_load_balancer_get_subnets_of_their_own() {
    let (c, t) = convert("internal-load-balancer");
    let p = &t["Parameters"];
    assert_eq!(p["Subnet1"]["Default"], "subnet-0a00000000000000a");
    assert_eq!(
        p["LoadBalancerSubnet2"]["Default"],
        "subnet-0d00000000000000d"
    );
    let lb = props(&t, "LoadBalancer");
    assert_eq!(lb["Scheme"], "internal");
    assert_eq!(
        lb["Subnets"],
        json!([{"Ref": "LoadBalancerSubnet1"}, {"Ref": "LoadBalancerSubnet2"}])
    );
    let net = |id: &str| props(&t, id)["NetworkConfiguration"]["AwsvpcConfiguration"].clone();
    assert_eq!(
        net("ApiService")["Subnets"],
        json!([{"Ref": "Subnet1"}, {"Ref": "Subnet2"}])
    );
    // The API's public IP follows its subnets; the worker never has one.
    assert_eq!(
        net("ApiService")["AssignPublicIp"],
        json!({"Ref": "AssignPublicIp"})
    );
    assert_eq!(net("WorkerService")["AssignPublicIp"], "DISABLED");
    assert_eq!(
        p["AssignPublicIp"]["AllowedValues"],
        json!(["ENABLED", "DISABLED"])
    );
    assert_eq!(c.network.private_services, ["worker"]);
    assert_eq!(
        c.network.load_balancer,
        Some(ecs::convert::Scheme::Internal)
    );
    assert!(c.network.outside_ecr.is_empty());
    assert_eq!(c.network.endpoints, ["ecr.api", "ecr.dkr", "logs", "s3"]);
}

#[test]
fn the_network_needs_name_endpoints_and_images_from_outside_ecr() {
    let (c, _) = convert("secrets");
    assert!(
        c.network.endpoints.contains(&"secretsmanager"),
        "{:?}",
        c.network
    );
    // The init container that writes /run/secrets comes from the public gallery.
    assert!(
        c.network
            .outside_ecr
            .iter()
            .any(|i| i.starts_with("public.ecr.aws/")),
        "{:?}",
        c.network
    );
    let (c, _) = convert("ec2");
    for e in ["ecs", "ecs-agent", "ecs-telemetry"] {
        assert!(c.network.endpoints.contains(&e), "{e}: {:?}", c.network);
    }
    assert!(!c.network.private_services.is_empty());
    let (c, _) = convert("exec");
    assert!(c.network.endpoints.contains(&"ssmmessages"));
    // Secrets Manager and SSM, each only when a container reads from it.
    let (c, _) = convert("secrets-env");
    assert!(
        c.network.endpoints.contains(&"secretsmanager") && c.network.endpoints.contains(&"ssm")
    );
    let (c, _) = convert("simple");
    assert!(
        !c.network.endpoints.contains(&"ssm") && !c.network.endpoints.contains(&"secretsmanager")
    );
    // No load balancer of its own: no scheme, no subnets for one.
    let (c, t) = convert("existing-load-balancer");
    assert_eq!(c.network.load_balancer, None);
    assert!(t["Parameters"].get("LoadBalancerSubnet1").is_none());
}

#[test]
fn the_older_private_subnets_key_still_places_the_tasks() {
    let (_, c) = convert_str(
        "x-aws-subnets: [subnet-0a0a0a0a, subnet-0b0b0b0b]\nx-aws-private_subnets: [subnet-0c0c0c0c, subnet-0d0d0d0d]\nservices:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n",
    );
    let t = c.value();
    assert_eq!(t["Parameters"]["Subnet1"]["Default"], "subnet-0c0c0c0c");
    assert_eq!(
        t["Parameters"]["LoadBalancerSubnet1"]["Default"],
        "subnet-0a0a0a0a"
    );
    assert_eq!(c.warnings.len(), 1);
    assert_eq!(c.warnings[0].key_path(), Some("x-aws-private_subnets"));
}

#[test]
fn sidecars_join_their_main_services_task() {
    let (_, t) = convert("sidecar");
    let services: Vec<String> = ids(&t)
        .into_iter()
        .filter(|id| resource(&t, id)["Type"] == "AWS::ECS::Service")
        .collect();
    assert_eq!(services, ["ApiService", "WebService"]);
    assert!(
        !ids(&t)
            .iter()
            .any(|id| id.starts_with("Shipper") || id.starts_with("Exporter")),
        "a sidecar has no resources of its own: {:?}",
        ids(&t)
    );
    let task = props(&t, "WebTaskDefinition");
    // 0.5 + 0.25 vCPU and 1 GiB + 512 MiB: the next Fargate size.
    assert_eq!(task["Cpu"], "1024");
    assert_eq!(task["Memory"], "2048");
    let web = main_container(&t, "WebTaskDefinition", "web");
    assert_eq!(web["Essential"], true);
    let shipper = main_container(&t, "WebTaskDefinition", "shipper");
    assert_eq!(shipper["Essential"], true, "x-aws-essential: true");
    let exporter = main_container(&t, "WebTaskDefinition", "exporter");
    assert_eq!(exporter["Essential"], false);
    for side in [&shipper, &exporter] {
        let deps = side["DependsOn"].as_array().unwrap();
        assert!(
            deps.contains(&json!({"ContainerName": "web", "Condition": "START"})),
            "{deps:?}"
        );
    }
    // The shipper's secrets have a volume of their own; web's execution role reads them.
    assert_eq!(
        shipper["MountPoints"][0],
        json!({"ContainerPath": "/run/secrets", "SourceVolume": "ShipperSecrets", "ReadOnly": true})
    );
    let role = serde_json::to_string(props(&t, "WebTaskExecutionRole")).unwrap();
    assert!(role.contains("secret:shipper-AbCdEf"), "{role}");
    // Depending on a sidecar waits for its main service.
    assert_eq!(
        resource(&t, "ApiService")["DependsOn"],
        json!(["WebService"])
    );
}

#[test]
fn service_connect_names_ports_and_starts_servers_before_clients() {
    let (_, t) = convert("service-connect");
    assert!(
        !ids(&t)
            .iter()
            .any(|id| id.ends_with("ServiceDiscoveryEntry")),
        "Service Connect replaces the DNS entries"
    );
    let api = props(&t, "ApiService");
    assert!(api.get("ServiceRegistries").is_none());
    let sc = &api["ServiceConnectConfiguration"];
    assert_eq!(sc["Namespace"], json!({"Fn::GetAtt": ["CloudMap", "Arn"]}));
    assert_eq!(
        sc["Services"],
        json!([
            {"PortName": "api-8080", "DiscoveryName": "api-8080", "ClientAliases": [{"Port": 8080, "DnsName": "api"}]},
            {"PortName": "api-admin", "DiscoveryName": "api-admin", "ClientAliases": [{"Port": 9090, "DnsName": "api"}]},
        ])
    );
    assert_eq!(
        sc["LogConfiguration"]["Options"]["awslogs-stream-prefix"],
        "service-connect-service-connect"
    );
    let mappings = &main_container(&t, "ApiTaskDefinition", "api")["PortMappings"];
    assert_eq!(mappings[0]["Name"], "api-admin");
    assert_eq!(mappings[0]["AppProtocol"], "http");
    assert_eq!(mappings[1]["Name"], "api-8080");
    // The worker serves nothing: a client only, created after every server.
    let worker = resource(&t, "WorkerService");
    assert!(
        worker["Properties"]["ServiceConnectConfiguration"]
            .get("Services")
            .is_none()
    );
    assert_eq!(
        worker["DependsOn"],
        json!(["ApiService", "FrontService", "SearchService"])
    );
    // Servers do not wait for each other.
    assert!(resource(&t, "SearchService").get("DependsOn").is_none());
}

#[test]
fn gpu_services_run_on_their_own_capacity_provider() {
    let (_, t) = convert("gpu");
    let task = props(&t, "GenericTaskDefinition");
    assert_eq!(task["RequiresCompatibilities"], json!(["EC2"]));
    assert_eq!(task["Cpu"], "4096");
    assert_eq!(task["Memory"], "792");
    let c = main_container(&t, "GenericTaskDefinition", "generic");
    assert_eq!(
        c["ResourceRequirements"],
        json!([{"Type": "GPU", "Value": "2"}])
    );
    let lt = |id: &str| props(&t, id)["LaunchTemplateData"].clone();
    assert_eq!(lt("GenericLaunchTemplate")["InstanceType"], "g4dn.12xlarge");
    assert_eq!(lt("DevicesLaunchTemplate")["InstanceType"], "g4dn.12xlarge");
    assert_eq!(lt("ChosenLaunchTemplate")["InstanceType"], "g5.xlarge");
    assert_eq!(
        lt("ChosenLaunchTemplate")["ImageId"],
        "ami-0123456789abcdef0"
    );
    assert_eq!(
        lt("GenericLaunchTemplate")["ImageId"],
        json!({"Ref": "GpuAmiId"})
    );
    assert_eq!(
        lt("GenericLaunchTemplate")["MetadataOptions"]["HttpTokens"],
        "required"
    );
    let service = props(&t, "GenericService");
    assert!(service.get("LaunchType").is_none());
    assert_eq!(
        service["CapacityProviderStrategy"][0]["CapacityProvider"],
        json!({"Ref": "GenericCapacityProvider"})
    );
    let providers = &props(&t, "ClusterCapacityProviders")["CapacityProviders"];
    assert_eq!(providers.as_array().unwrap().len(), 5);
    assert!(ids(&t).iter().all(|id| !id.contains("LaunchConfiguration")));
}

#[test]
fn gpu_capacity_runs_the_amazon_linux_2023_gpu_ami() {
    let (_, t) = convert("gpu");
    assert_eq!(
        t["Parameters"]["GpuAmiId"]["Default"],
        "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
    );
}

#[test]
fn ec2_services_get_instances_sized_for_them_and_fargate_stays_fargate() {
    let (_, t) = convert("ec2");
    let lt = |id: &str| props(&t, id)["LaunchTemplateData"].clone();
    // 1 vCPU / 2 GiB fits the smallest m7i; arm64 takes Graviton.
    assert_eq!(lt("WebLaunchTemplate")["InstanceType"], "m7i.large");
    assert_eq!(lt("ApiLaunchTemplate")["InstanceType"], "m7g.large");
    assert_eq!(lt("BatchLaunchTemplate")["InstanceType"], "c7i.2xlarge");
    assert_eq!(lt("WebLaunchTemplate")["ImageId"], json!({"Ref": "AmiId"}));
    assert_eq!(
        lt("ApiLaunchTemplate")["ImageId"],
        json!({"Ref": "Arm64AmiId"})
    );
    assert_eq!(
        t["Parameters"]["AmiId"]["Default"],
        "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
    );
    assert_eq!(
        t["Parameters"]["Arm64AmiId"]["Default"],
        "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
    );
    assert!(t["Parameters"].get("GpuAmiId").is_none());
    assert_eq!(
        lt("WebLaunchTemplate")["MetadataOptions"]["HttpTokens"],
        "required"
    );
    assert_eq!(
        lt("WebLaunchTemplate")["BlockDeviceMappings"][0]["Ebs"]["Encrypted"],
        true
    );
    // x-aws-instances, and the defaults: none when idle, room for a rollout.
    assert_eq!(props(&t, "ApiAutoScalingGroup")["MinSize"], "1");
    assert_eq!(props(&t, "ApiAutoScalingGroup")["MaxSize"], "4");
    assert_eq!(
        props(&t, "ApiCapacityProvider")["AutoScalingGroupProvider"]["ManagedScaling"]["TargetCapacity"],
        80
    );
    assert_eq!(props(&t, "WebAutoScalingGroup")["MinSize"], "0");
    assert_eq!(props(&t, "WebAutoScalingGroup")["MaxSize"], "2");
    let web = props(&t, "WebService");
    assert!(web.get("LaunchType").is_none() && web.get("PlatformVersion").is_none());
    assert_eq!(
        web["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"],
        "DISABLED"
    );
    assert_eq!(
        props(&t, "WebTaskDefinition")["RequiresCompatibilities"],
        json!(["EC2"])
    );
    // The Fargate service, with its platform version.
    let queue = props(&t, "QueueService");
    assert_eq!(queue["LaunchType"], "FARGATE");
    assert_eq!(queue["PlatformVersion"], "1.4.0");
    assert!(ids(&t).iter().all(|id| !id.starts_with("QueueLaunch")));
}

#[test]
fn the_launch_type_option_moves_the_project_but_not_a_service_that_chose() {
    let loaded = load("ec2");
    let options = ecs::Options {
        launch_type: Some(ecs::LaunchType::Fargate),
        ..Default::default()
    };
    let t = ecs::convert(&loaded.project, &loaded.positions, &options)
        .unwrap()
        .value();
    assert_eq!(props(&t, "WebService")["LaunchType"], "FARGATE");
    assert_eq!(props(&t, "QueueService")["LaunchType"], "FARGATE");
    let loaded = load("simple");
    let options = ecs::Options {
        launch_type: Some(ecs::LaunchType::Ec2),
        ..Default::default()
    };
    let t = ecs::convert(&loaded.project, &loaded.positions, &options)
        .unwrap()
        .value();
    assert!(props(&t, "SimpleService").get("LaunchType").is_none());
    assert!(ids(&t).contains(&"SimpleCapacityProvider".to_string()));
}

#[test]
fn placement_becomes_member_of_constraints_that_the_instances_can_meet() {
    let (_, t) = convert("placement");
    let service = props(&t, "SearchService");
    assert_eq!(
        service["PlacementConstraints"],
        json!([
            {"Type": "memberOf", "Expression": "attribute:disk == ssd"},
            {"Type": "memberOf", "Expression": "attribute:tier != batch"},
            {"Type": "memberOf", "Expression": "attribute:ecs.instance-type == r7i.large"},
            {"Type": "memberOf", "Expression": "attribute:ecs.cpu-architecture == x86_64"},
            {"Type": "distinctInstance"}
        ])
    );
    assert_eq!(
        service["PlacementStrategies"],
        json!([{"Type": "spread", "Field": "attribute:ecs.availability-zone"}])
    );
    let data = &props(&t, "SearchLaunchTemplate")["LaunchTemplateData"];
    assert_eq!(data["InstanceType"], "r7i.large");
    // The label a constraint asks for is on the service's own instances.
    let user_data = data["UserData"]["Fn::Base64"]["Fn::Join"][1][2]
        .as_str()
        .unwrap();
    assert!(
        user_data.contains(r#"ECS_INSTANCE_ATTRIBUTES={"disk":"ssd"}"#),
        "{user_data}"
    );
}

#[test]
fn autoscaling_leaves_desired_count_alone() {
    let (_, t) = convert("autoscaling");
    assert_eq!(props(&t, "FooScalableTarget")["MaxCapacity"], 10);
    assert_eq!(props(&t, "FooScalableTarget")["MinCapacity"], 1);
    let policy = &props(&t, "FooScalingPolicy")["TargetTrackingScalingPolicyConfiguration"];
    assert_eq!(policy["TargetValue"], 75.0);
    assert_eq!(
        policy["PredefinedMetricSpecification"]["PredefinedMetricType"],
        "ECSServiceAverageCPUUtilization"
    );
    assert!(props(&t, "FooService").get("DesiredCount").is_none());
    // Created after the service: the resource ID reads the service's name.
    assert_eq!(
        props(&t, "FooScalableTarget")["ResourceId"]["Fn::Join"][1][2],
        json!({"Fn::GetAtt": ["FooService", "Name"]})
    );
}

#[test]
fn secrets_are_references_never_values() {
    let (conversion, t) = convert("secrets");
    let text = conversion.render(ecs::Format::Json).unwrap();
    for value in ["not-in-the-template", "AKIA-NOT-IN-TEMPLATE", "nope"] {
        assert!(
            !text.contains(value),
            "secret value {value} leaked into the template"
        );
    }
    assert!(!text.contains("SecretString"));
    assert_eq!(t["Parameters"]["DbpasswordSecretArn"]["Type"], "String");
    assert_eq!(conversion.secret_parameters.len(), 2);
    assert_eq!(conversion.secret_parameters[0].name, "secrets/api");
    let init = containers(&t, "WebTaskDefinition")
        .into_iter()
        .find(|c| c["Name"] == "Web_Secrets_InitContainer")
        .unwrap();
    assert_eq!(init["Essential"], false);
    assert!(
        init["Image"]
            .as_str()
            .unwrap()
            .starts_with("public.ecr.aws/")
    );
    let names: Vec<&str> = init["Secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["SECRET_0", "SECRET_1_0", "SECRET_1_1", "SECRET_2"]);
    // JSON keys are extracted by ECS itself.
    assert_eq!(
        init["Secrets"][1]["ValueFrom"],
        json!({"Fn::Join": ["", [{"Ref": "ApiSecretArn"}, ":key_id::"]]})
    );
    let script = init["Command"][2].as_str().unwrap();
    assert!(script.contains("> '/run/secrets/api-keys/key_id'"));
    assert!(script.contains("chmod 400 '/run/secrets/api-keys/secret'"));
    assert!(script.contains("chown 1000:1000"));
    let main = main_container(&t, "WebTaskDefinition", "web");
    assert_eq!(
        main["MountPoints"][0],
        json!({"ContainerPath": "/run/secrets", "SourceVolume": "secrets", "ReadOnly": true})
    );
    let policy =
        &props(&t, "WebTaskExecutionRole")["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(
        policy["Resource"],
        json!([{"Ref": "DbpasswordSecretArn"}, {"Ref": "ApiSecretArn"}, "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbCdEf"])
    );
}

#[test]
fn healthcheck_and_grace_period() {
    let (_, t) = convert("healthcheck");
    let c = main_container(&t, "CheckedTaskDefinition", "checked");
    assert_eq!(
        c["HealthCheck"],
        json!({"Command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "Interval": 30, "Timeout": 5, "Retries": 3, "StartPeriod": 90})
    );
    assert_eq!(
        props(&t, "CheckedService")["HealthCheckGracePeriodSeconds"],
        90
    );
    let c = main_container(&t, "DisabledTaskDefinition", "disabled");
    assert!(c.get("HealthCheck").is_none());
}

#[test]
fn single_value_ulimit_sets_both_limits() {
    let (_, t) = convert("ulimits");
    let c = main_container(&t, "TestTaskDefinition", "test");
    assert_eq!(
        c["Ulimits"],
        json!([{"Name": "nofile", "SoftLimit": 10000, "HardLimit": 10000}])
    );
}

#[test]
fn tcp_and_udp_on_one_port() {
    let (_, t) = convert("tcp-udp");
    assert_eq!(props(&t, "LoadBalancer")["Type"], "network");
    assert_eq!(props(&t, "DnsTCPUDP53Listener")["Protocol"], "TCP_UDP");
    assert_eq!(props(&t, "DnsTCPUDP53TargetGroup")["Protocol"], "TCP_UDP");
    resource(&t, "DnsTCPUDP53Ingress");
    resource(&t, "DnsTCPUDP53IngressUDP");
    let c = main_container(&t, "DnsTaskDefinition", "dns");
    assert_eq!(
        c["PortMappings"],
        json!([
            {"ContainerPort": 53, "HostPort": 53, "Protocol": "tcp"},
            {"ContainerPort": 53, "HostPort": 53, "Protocol": "udp"},
            {"ContainerPort": 9153, "HostPort": 9153, "Protocol": "tcp"},
        ])
    );
    // A UDP-only service's target group is still checked over TCP (with a warning).
    assert_eq!(
        props(&t, "NtpUDP123TargetGroup")["HealthCheckProtocol"],
        "TCP"
    );
}

#[test]
fn https_listener_with_certificate() {
    let (_, t) = convert("https");
    assert_eq!(props(&t, "LoadBalancer")["Type"], "application");
    let l = props(&t, "WebTCP443Listener");
    assert_eq!(l["Protocol"], "HTTPS");
    assert_eq!(
        l["Certificates"][0]["CertificateArn"],
        "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    );
    assert_eq!(l["SslPolicy"], "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert_eq!(props(&t, "WebTCP80Listener")["Protocol"], "HTTP");
}

#[test]
fn overlay_merges_deletes_and_adds() {
    let (_, t) = convert("overlay");
    assert_eq!(
        props(&t, "WebTCP80TargetGroup")["HealthCheckPath"],
        "/health"
    );
    assert_eq!(props(&t, "WebTCP80TargetGroup")["Protocol"], "HTTP");
    assert!(props(&t, "LogGroup").get("RetentionInDays").is_none());
    assert_eq!(t["Outputs"]["Extra"]["Value"], "hello");
    assert!(t["Outputs"].get("ClusterName").is_some());
}

#[test]
fn depends_on_orders_services() {
    let (_, t) = convert("depends-on");
    assert_eq!(
        resource(&t, "WebService")["DependsOn"],
        json!(["CacheService", "DbService"])
    );
}

#[test]
fn arm64_platform() {
    let (_, t) = convert("arm64");
    assert_eq!(
        props(&t, "WebTaskDefinition")["RuntimePlatform"],
        json!({"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"})
    );
}

#[test]
fn anonymous_volume_is_task_storage() {
    let (_, t) = convert("anonymous-volume");
    assert_eq!(
        props(&t, "WebTaskDefinition")["Volumes"],
        json!([{"Name": "anonymous0"}])
    );
    let c = main_container(&t, "WebTaskDefinition", "web");
    assert_eq!(
        c["MountPoints"],
        json!([{"ContainerPath": "/var/cache/nginx", "SourceVolume": "anonymous0", "ReadOnly": false}])
    );
}

#[test]
fn deploy_labels_become_service_tags() {
    let (_, t) = convert("deploy-labels");
    let tags = props(&t, "WebService")["Tags"].as_array().unwrap().clone();
    assert!(tags.contains(&json!({"Key": "team", "Value": "platform"})));
}

#[test]
fn existing_load_balancer_gets_listeners() {
    let (_, t) = convert("existing-load-balancer");
    assert!(t["Resources"].get("LoadBalancer").is_none());
    assert_eq!(
        props(&t, "WebTCP80Listener")["LoadBalancerArn"],
        json!({"Ref": "LoadBalancerArn"})
    );
    assert_eq!(
        props(&t, "WebTCP80Ingress")["SourceSecurityGroupId"],
        json!({"Ref": "LoadBalancerSecurityGroup"})
    );
    assert!(
        t["Parameters"]["LoadBalancerArn"]["Default"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:elasticloadbalancing")
    );
}

#[test]
fn warnings_name_the_ignored_keys() {
    let (loaded, c) = convert_str(
        "services:\n  web:\n    image: nginx\n    restart: always\n    hostname: web\n    privileged: false\n",
    );
    let paths: Vec<&str> = c.warnings.iter().filter_map(|w| w.key_path()).collect();
    // In file order, each at its key.
    assert_eq!(paths, ["services.web.restart", "services.web.hostname"]);
    assert!(c.warnings[0].location().is_some_and(|l| l.line == 4));
    // --strict turns them into errors.
    let strict = ecs::convert(
        &loaded.project,
        &loaded.positions,
        &ecs::Options {
            strict: true,
            ..Default::default()
        },
    );
    assert_eq!(strict.unwrap_err().len(), 2);
}

#[test]
fn feature_table_covers_every_service_key() {
    // Every key of the typed Service model is in the support table.
    let sample: Value = serde_json::to_value(compose::model::Service::default()).unwrap();
    let documented: Vec<&str> = ecs::support::SERVICE.iter().map(|(k, _)| *k).collect();
    let mut keys: Vec<String> = sample.as_object().unwrap().keys().cloned().collect();
    // Fields printed only when set are missing from a default service; list them all.
    keys.extend(ALL_SERVICE_KEYS.iter().map(|s| s.to_string()));
    for k in keys {
        assert!(
            documented.contains(&k.as_str()),
            "service key `{k}` is not in the support table"
        );
    }
}

/// Every service key of the Compose Specification (from compose-spec.json).
const ALL_SERVICE_KEYS: &[&str] = &[
    "annotations",
    "attach",
    "build",
    "blkio_config",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_shares",
    "cpu_quota",
    "cpu_period",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "label_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "network_mode",
    "models",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_stop",
    "privileged",
    "profiles",
    "pull_policy",
    "pull_refresh_after",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "use_api_socket",
    "user",
    "uts",
    "userns_mode",
    "volumes",
    "volumes_from",
    "working_dir",
    "provider",
];

#[test]
fn canary_linear_and_blue_green_shift_traffic_between_two_target_groups() {
    let (_, t) = convert("deployments");
    let web = props(&t, "WebService");
    let d = &web["DeploymentConfiguration"];
    assert_eq!(d["Strategy"], "CANARY");
    assert_eq!(
        d["CanaryConfiguration"],
        json!({"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 5})
    );
    assert_eq!(d["BakeTimeInMinutes"], 10);
    // ECS allows the circuit breaker on rolling deployments only.
    assert!(d.get("DeploymentCircuitBreaker").is_none());
    assert_eq!(
        d["Alarms"],
        json!({"AlarmNames": ["web-5xx"], "Enable": true, "Rollback": true})
    );
    let hook = &d["LifecycleHooks"][0];
    assert_eq!(hook["LifecycleStages"], json!(["POST_TEST_TRAFFIC_SHIFT"]));
    assert_eq!(
        hook["RoleArn"],
        json!({"Fn::GetAtt": ["WebDeploymentHookRole", "Arn"]})
    );
    let hook_policy = &props(&t, "WebDeploymentHookRole")["Policies"][0]["PolicyDocument"];
    assert_eq!(
        hook_policy["Statement"][0]["Resource"],
        json!(["arn:aws:lambda:us-east-1:123456789012:function:smoke-test"])
    );
    // The load balancer entry names where ECS moves traffic.
    let advanced = &web["LoadBalancers"][0]["AdvancedConfiguration"];
    assert_eq!(
        advanced,
        &json!({
            "AlternateTargetGroupArn": {"Ref": "WebTCP80AlternateTargetGroup"},
            "ProductionListenerRule": {"Ref": "WebTCP80ProductionRule"},
            "TestListenerRule": {"Ref": "WebTCP80TestRule"},
            "RoleArn": {"Fn::GetAtt": ["ECSInfrastructureRoleForLoadBalancers", "Arn"]}
        })
    );
    // Production and test rules forward to both groups, all on the current.
    for (rule, listener) in [
        ("WebTCP80ProductionRule", "WebTCP80Listener"),
        ("WebTCP80TestRule", "WebTCP80TestListener"),
    ] {
        let r = props(&t, rule);
        assert_eq!(r["ListenerArn"], json!({"Ref": listener}));
        assert_eq!(
            r["Actions"][0]["ForwardConfig"]["TargetGroups"],
            json!([
                {"TargetGroupArn": {"Ref": "WebTCP80TargetGroup"}, "Weight": 100},
                {"TargetGroupArn": {"Ref": "WebTCP80AlternateTargetGroup"}, "Weight": 0}
            ])
        );
    }
    // The test listener: port + 10000 by default, `test_port` when given,
    // open to the load balancer's own group only.
    assert_eq!(props(&t, "WebTCP80TestListener")["Port"], 10080);
    assert_eq!(props(&t, "AdminTCP9000TestListener")["Port"], 9443);
    let ingress = props(&t, "LoadBalancerTestTCP9443Ingress");
    assert!(ingress.get("CidrIp").is_none());
    assert_eq!(ingress["SourceSecurityGroupId"], ingress["GroupId"]);
    let alternate = props(&t, "ApiTCP8080AlternateTargetGroup");
    assert_eq!(alternate, props(&t, "ApiTCP8080TargetGroup"));
    let api = &props(&t, "ApiService")["DeploymentConfiguration"];
    assert_eq!(
        api["LinearConfiguration"],
        json!({"StepPercent": 25.0, "StepBakeTimeInMinutes": 2})
    );
    let admin = &props(&t, "AdminService")["DeploymentConfiguration"];
    assert_eq!(admin["Strategy"], "BLUE_GREEN");
    assert_eq!(admin["BakeTimeInMinutes"], 0);
    // The role with AWS's managed policy for load balancers, once.
    let role = props(&t, "ECSInfrastructureRoleForLoadBalancers");
    assert_eq!(
        role["ManagedPolicyArns"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"}])
    );
}

#[test]
fn update_config_sets_the_rolling_bounds_the_bake_time_and_the_circuit_breaker() {
    let (_, t) = convert("deployments");
    let d = &props(&t, "WorkerService")["DeploymentConfiguration"];
    assert_eq!(d["Strategy"], "ROLLING");
    // stop-first, one task of four at a time.
    assert_eq!(d["MinimumHealthyPercent"], 75);
    assert_eq!(d["MaximumPercent"], 100);
    assert_eq!(d["BakeTimeInMinutes"], 2);
    assert_eq!(
        d["DeploymentCircuitBreaker"],
        json!({"Enable": true, "Rollback": false})
    );
    assert!(ids(&t).iter().all(|id| !id.starts_with("WorkerTCP")));
}

#[test]
fn global_mode_is_a_daemon_on_every_ec2_instance() {
    let (_, t) = convert("daemon");
    let s = props(&t, "ShipperService");
    assert_eq!(s["SchedulingStrategy"], "DAEMON");
    assert_eq!(s["LaunchType"], "EC2");
    assert!(s.get("DesiredCount").is_none());
    assert!(s.get("CapacityProviderStrategy").is_none());
    assert_eq!(s["DeploymentConfiguration"]["MaximumPercent"], 100);
    assert_eq!(s["DeploymentConfiguration"]["MinimumHealthyPercent"], 0);
    assert_eq!(
        s["PlacementConstraints"],
        json!([{"Type": "memberOf", "Expression": "attribute:ecs.os-type == linux"}])
    );
    // Its instances: at least one, since a daemon never asks managed
    // scaling for capacity.
    assert_eq!(props(&t, "ShipperAutoScalingGroup")["MinSize"], "1");
    assert_eq!(props(&t, "AppService")["SchedulingStrategy"], "REPLICA");
}

#[test]
fn managed_instances_ask_aws_for_instances_that_fit_the_task() {
    let (_, t) = convert("managed-instances");
    let provider = props(&t, "ApiCapacityProvider");
    assert_eq!(provider["ClusterName"], json!({"Ref": "Cluster"}));
    assert!(provider.get("AutoScalingGroupProvider").is_none());
    let m = &provider["ManagedInstancesProvider"];
    assert_eq!(
        m["InfrastructureRoleArn"],
        json!({"Fn::GetAtt": ["ManagedInstancesInfrastructureRole", "Arn"]})
    );
    let lt = &m["InstanceLaunchTemplate"];
    assert_eq!(lt["InstanceRequirements"]["VCpuCount"], json!({"Min": 2}));
    // 4 GiB for the task and half a GiB for the OS and the agent.
    assert_eq!(
        lt["InstanceRequirements"]["MemoryMiB"],
        json!({"Min": 4608})
    );
    assert_eq!(
        lt["NetworkConfiguration"]["Subnets"],
        json!([{"Ref": "Subnet1"}, {"Ref": "Subnet2"}])
    );
    let gpu = &props(&t, "InferenceCapacityProvider")["ManagedInstancesProvider"]["InstanceLaunchTemplate"]
        ["InstanceRequirements"];
    assert_eq!(gpu["AcceleratorCount"], json!({"Min": 1}));
    assert_eq!(gpu["AcceleratorManufacturers"], json!(["nvidia"]));
    assert_eq!(gpu["AllowedInstanceTypes"], json!(["g5.xlarge"]));
    let edge = &props(&t, "EdgeCapacityProvider")["ManagedInstancesProvider"]["InstanceLaunchTemplate"]
        ["InstanceRequirements"];
    assert_eq!(edge["CpuManufacturers"], json!(["amazon-web-services"]));
    assert_eq!(
        props(&t, "ApiTaskDefinition")["RequiresCompatibilities"],
        json!(["MANAGED_INSTANCES"])
    );
    // The name AWS's managed policy lets ECS pass, per stack and region.
    let role = props(&t, "ManagedInstancesInstanceRole");
    assert!(
        role["RoleName"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .starts_with("ecsInstanceRole-"),
        "{role}"
    );
    // No launch template, group or AMI of ours; the association lists
    // only Fargate, since these providers belong to the cluster.
    assert!(ids(&t).iter().all(|id| !id.contains("LaunchTemplate")));
    assert!(t["Parameters"].get("AmiId").is_none());
    assert_eq!(
        props(&t, "ClusterCapacityProviders")["CapacityProviders"],
        json!(["FARGATE", "FARGATE_SPOT"])
    );
    assert_eq!(props(&t, "CacheService")["LaunchType"], "FARGATE");
}

fn ecs_params(text: &str) -> ecs::params::ParamsFile {
    let root = compose::yaml::parse_str(text).unwrap().unwrap();
    let positions = compose::Positions::new(root, Default::default());
    let (params, errors, _) = ecs::params::read(&positions);
    assert!(errors.is_empty(), "{errors:?}");
    ecs::params::ParamsFile { params, positions }
}

#[test]
fn ecs_params_secrets_are_variables_the_execution_role_may_read() {
    let loaded = load("simple");
    let file = ecs_params(
        "task_definition:\n  services:\n    simple:\n      secrets:\n        - {value_from: /app/token, name: TOKEN}\n",
    );
    let mut project = loaded.project.clone();
    file.params.overlay(&mut project);
    let options = ecs::Options {
        params: Some(file),
        ..Default::default()
    };
    let t = ecs::convert(&project, &loaded.positions, &options)
        .unwrap()
        .value();
    let containers = &props(&t, "SimpleTaskDefinition")["ContainerDefinitions"];
    let main = containers
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Name"] == "simple")
        .unwrap();
    assert_eq!(
        main["Secrets"],
        json!([{"Name": "TOKEN", "ValueFrom": "/app/token"}])
    );
    // The execution role docker-ecs makes may read that parameter, and
    // nothing else of SSM.
    let policy = serde_json::to_string(&props(&t, "SimpleTaskExecutionRole")["Policies"]).unwrap();
    assert!(policy.contains("ssm:GetParameters"), "{policy}");
    assert!(
        policy.contains(
            "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/app/token"
        ),
        "{policy}"
    );
}

#[test]
fn ecs_params_of_the_wrong_shape_are_errors_at_their_key() {
    let root = compose::yaml::parse_str(
        "version: 2\ntask_definition:\n  task_size: {cpu_limit: lots}\n  services:\n    web:\n      secrets:\n        - {name: 1TOKEN, value_from: x}\nrun_params:\n  task_placement:\n    strategy: [{type: scatter}]\n",
    )
    .unwrap()
    .unwrap();
    let positions = compose::Positions::new(root, Default::default());
    let (_, errors, _) = ecs::params::read(&positions);
    let text: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.key_path().unwrap_or(""), e.message()))
        .collect();
    for expected in [
        "version: docker-ecs reads ecs-params version 1",
        "task_definition.task_size.cpu_limit: \"lots\" is not a CPU size",
        "task_definition.services.web.secrets[0].name: \"1TOKEN\" is not an environment variable name",
        "run_params.task_placement.strategy[0].type: the strategy type must be one of binpack, random, spread",
    ] {
        assert!(
            text.iter().any(|t| t == expected),
            "{expected:?} not in {text:#?}"
        );
    }
}

#[test]
fn secrets_env_sets_variables_from_references_the_execution_role_may_read() {
    let (_, t) = convert("secrets-env");
    let def = props(&t, "ApiTaskDefinition");
    let main = def["ContainerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Name"] == "api")
        .unwrap();
    assert_eq!(
        main["Secrets"],
        json!([
            {"Name": "API_TOKEN", "ValueFrom": "api-token"},
            {"Name": "DB_PASSWORD", "ValueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::"},
            {"Name": "FEATURE_FLAGS", "ValueFrom": "/prod/api/flags"}
        ])
    );
    assert_eq!(
        main["Environment"],
        json!([{"Name": "LOG_LEVEL", "Value": "info"}])
    );
    // Exactly those, without the JSON key: a secret's ARN, a name's ARN
    // pattern, the parameter's ARN.
    let policy = serde_json::to_string(&props(&t, "ApiTaskExecutionRole")["Policies"]).unwrap();
    for grant in [
        "\"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf\"",
        "secret:api-token-??????",
        "parameter/prod/api/flags",
    ] {
        assert!(policy.contains(grant), "{grant} not in {policy}");
    }
    assert!(!policy.contains(":password"), "{policy}");
}

#[test]
fn a_capacity_provider_strategy_spreads_fargate_tasks_over_spot() {
    let (_, t) = convert("spot");
    let web = props(&t, "WebService");
    assert!(web.get("LaunchType").is_none());
    assert_eq!(
        web["CapacityProviderStrategy"],
        json!([
            {"CapacityProvider": "FARGATE_SPOT", "Weight": 3},
            {"CapacityProvider": "FARGATE", "Weight": 1, "Base": 1}
        ])
    );
    assert!(
        resource(&t, "WebService")["DependsOn"]
            .as_array()
            .unwrap()
            .contains(&json!("ClusterCapacityProviders"))
    );
    // The service's own wins over the project's.
    assert_eq!(
        props(&t, "ApiService")["CapacityProviderStrategy"],
        json!([{"CapacityProvider": "FARGATE", "Weight": 1}])
    );
    // The cluster lists the Fargate providers beside the EC2 service's own.
    assert_eq!(
        props(&t, "ClusterCapacityProviders")["CapacityProviders"],
        json!(["FARGATE", "FARGATE_SPOT", {"Ref": "BatchCapacityProvider"}])
    );
}

#[test]
fn a_published_port_forwards_to_the_target_port_and_http_redirects_to_https() {
    let (_, t) = convert("https-redirect");
    let https = props(&t, "WebTCP443Listener");
    assert_eq!(https["Protocol"], "HTTPS");
    assert_eq!(https["SslPolicy"], "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert_eq!(
        https["Certificates"][0]["CertificateArn"],
        "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
    );
    // 443 on the load balancer, 80 in the container.
    assert_eq!(props(&t, "WebTCP443TargetGroup")["Port"], 80);
    let service = props(&t, "WebService");
    assert_eq!(
        service["LoadBalancers"],
        json!([{"ContainerName": "web", "ContainerPort": 80, "TargetGroupArn": {"Ref": "WebTCP443TargetGroup"}}])
    );
    assert_eq!(props(&t, "WebTCP443Ingress")["FromPort"], 80);
    // Port 80: a 301 to HTTPS, no target group of its own.
    assert_eq!(
        props(&t, "WebTCP80Listener")["DefaultActions"],
        json!([{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    );
    assert!(!ids(&t).contains(&"WebTCP80TargetGroup".to_string()));
    // The internet reaches 80 and 443 of the load balancer.
    assert_eq!(props(&t, "LoadBalancerTCP80Ingress")["CidrIp"], "0.0.0.0/0");
    assert_eq!(props(&t, "LoadBalancerTCP443Ingress")["FromPort"], 443);
}

#[test]
fn tls_ports_terminate_on_the_network_load_balancer() {
    let (_, t) = convert("tls");
    assert_eq!(props(&t, "LoadBalancer")["Type"], "network");
    let tls = props(&t, "BrokerTCP8883Listener");
    assert_eq!(tls["Protocol"], "TLS");
    assert_eq!(tls["SslPolicy"], "ELBSecurityPolicy-TLS13-1-2-2021-06");
    let group = props(&t, "BrokerTCP8883TargetGroup");
    assert_eq!(
        (group["Protocol"].as_str(), group["Port"].as_i64()),
        (Some("TCP"), Some(1883))
    );
    assert_eq!(props(&t, "BrokerTCP1883Listener")["Protocol"], "TCP");
    // Both listeners reach one container port: one port mapping, one rule.
    let def = props(&t, "BrokerTaskDefinition");
    let main = def["ContainerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Name"] == "broker")
        .unwrap();
    assert_eq!(main["PortMappings"].as_array().unwrap().len(), 1);
    let rules = ids(&t)
        .into_iter()
        .filter(|id| id.starts_with("Broker") && id.ends_with("Ingress"))
        .count();
    assert_eq!(rules, 1);
    assert_eq!(props(&t, "ApiTCP8080TargetGroup")["Port"], 80);
}

#[test]
fn target_groups_check_as_told_or_as_the_service_checks_itself() {
    let (_, t) = convert("lb-healthcheck");
    let api = props(&t, "ApiTCP80TargetGroup");
    assert_eq!(api["HealthCheckPath"], "/ready");
    assert_eq!(api["Matcher"]["HttpCode"], "200,204");
    assert_eq!(api["HealthCheckIntervalSeconds"], 15);
    assert_eq!(api["HealthCheckTimeoutSeconds"], 5);
    assert_eq!(api["HealthyThresholdCount"], 3);
    assert_eq!(api["UnhealthyThresholdCount"], 4);
    // From the Compose health check: its path, interval and retries; its
    // 30 s timeout is cut below the interval, as the load balancer wants.
    let web = props(&t, "WebTCP8080TargetGroup");
    assert_eq!(web["HealthCheckPath"], "/health");
    assert_eq!(web["HealthCheckIntervalSeconds"], 10);
    assert_eq!(web["HealthCheckTimeoutSeconds"], 9);
    assert_eq!(web["UnhealthyThresholdCount"], 5);
    assert!(web.get("HealthyThresholdCount").is_none());
}

#[test]
fn ecs_exec_is_enabled_with_the_channels_its_agent_opens() {
    let (_, t) = convert("exec");
    assert_eq!(props(&t, "AppService")["EnableExecuteCommand"], true);
    assert_eq!(
        props(&t, "AppTaskDefinition")["TaskRoleArn"],
        json!({"Fn::GetAtt": ["AppTaskRole", "Arn"]})
    );
    let policy = &props(&t, "AppTaskRole")["Policies"][0];
    assert_eq!(policy["PolicyName"], "ExecuteCommand");
    assert_eq!(
        policy["PolicyDocument"]["Statement"][0]["Action"],
        json!([
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel"
        ])
    );
    // The service's own `false` wins over the project's `true`.
    assert!(
        props(&t, "BatchService")
            .get("EnableExecuteCommand")
            .is_none()
    );
    assert!(!ids(&t).contains(&"BatchTaskRole".to_string()));
}
