//! AWS's unwritten rules (see `rules/`) hold on every template the suite
//! produces: the fixtures, the examples, generated projects (in
//! `properties.rs`) and, when `DOCKER_ECS_CORPUS` names it, a corpus of
//! third-party apps. Each rule also has a test that breaks it on purpose
//! and sees it caught.

mod rules;

use compose::{Environment, LoadOptions};
use ecs::cfn::resources::*;
use ecs::cfn::{Expr, Resource, Template};
use std::path::{Path, PathBuf};

fn apps_in(dir: &Path) -> Vec<PathBuf> {
    let mut apps: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    apps.sort();
    apps
}

/// The template of the app in `dir`, or why there is none.
fn convert_dir(dir: &Path) -> Result<Template, String> {
    let loaded = compose::load(&LoadOptions {
        cwd: dir.to_path_buf(),
        environment: Environment::new(),
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    ecs::convert(&loaded.project, &loaded.positions, &ecs::Options::default())
        .map(|c| c.template)
        .map_err(|e| format!("{} errors", e.len()))
}

fn convert_text(text: &str) -> Template {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), text).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "s3cret").unwrap();
    convert_dir(dir.path()).unwrap()
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn example(name: &str) -> Template {
    convert_dir(&repo("../../examples").join(name)).unwrap()
}

fn fixture(name: &str) -> Template {
    convert_dir(&repo("tests/fixtures").join(name)).unwrap()
}

#[test]
fn every_rule_holds_on_every_fixture_and_example() {
    let mut checked = 0;
    for dir in [repo("tests/fixtures"), repo("../../examples")] {
        for app in apps_in(&dir) {
            let t = convert_dir(&app).unwrap_or_else(|e| panic!("{}: {e}", app.display()));
            rules::assert_hold(&app.display().to_string(), &t);
            checked += 1;
        }
    }
    assert!(checked >= 39, "only {checked} templates checked");
}

#[test]
fn every_rule_holds_on_the_external_corpus() {
    let Some(corpus) = std::env::var_os("DOCKER_ECS_CORPUS").map(PathBuf::from) else {
        eprintln!("external suite not run: AWS rules over the corpus (set DOCKER_ECS_CORPUS)");
        return;
    };
    let mut checked = 0;
    for app in apps_in(&corpus) {
        // Apps that do not convert are the concern of the CLI's corpus tests.
        if let Ok(t) = convert_dir(&app) {
            rules::assert_hold(&app.display().to_string(), &t);
            checked += 1;
        }
    }
    // Most corpus apps build their images or bind-mount host folders, which
    // convert refuses (see the CLI's corpus test): as many as convert there.
    assert!(checked >= 4, "only {checked} corpus apps converted");
}

/// Each rule is broken by at least one test below (its name appears only
/// in `broken(…)` calls).
#[test]
fn every_rule_has_a_test_that_breaks_it() {
    let text = include_str!("aws_rules.rs");
    for r in rules::RULES {
        assert!(
            text.contains(&format!("\"{}\"", r.name)),
            "no test breaks {}",
            r.name
        );
    }
}

/// The rule holds on `t`, and breaking `t` with `damage` makes it report a
/// finding that mentions `expect`.
fn broken(rule: &str, mut t: Template, damage: impl FnOnce(&mut Template), expect: &str) {
    assert_eq!(
        rules::check(rule, &t),
        Vec::<String>::new(),
        "{rule} before the damage"
    );
    damage(&mut t);
    let found = rules::check(rule, &t);
    assert!(
        found.iter().any(|f| f.contains(expect)),
        "{rule} did not report \"{expect}\": {found:?}"
    );
}

/// The typed properties of resource `id`, of the kind named.
macro_rules! props {
    ($t:expr, $id:expr, $kind:ident) => {
        match &mut *$t
            .resources
            .get_mut($id)
            .unwrap_or_else(|| panic!("no {}", $id))
            .properties
        {
            Properties::$kind(p) => p,
            _ => panic!("{} is not a {}", $id, stringify!($kind)),
        }
    };
}

const UDP_ONLY: &str =
    "services:\n  dns:\n    image: coredns/coredns\n    ports: [\"53:53/udp\"]\n";

#[test]
fn a_udp_port_checked_over_tcp_that_the_tasks_refuse_is_caught() {
    broken(
        "load_balancer_health_checks_reach_the_tasks",
        convert_text(UDP_ONLY),
        |t| t.resources.retain(|id, _| !id.ends_with("HealthCheck")),
        "health-checks TCP port 53",
    );
}

#[test]
fn a_health_check_admitted_from_the_network_but_not_the_load_balancer_is_caught() {
    broken(
        "load_balancer_health_checks_reach_the_tasks",
        example("http-api"),
        |t| {
            for (_, r) in t.resources.iter_mut() {
                if let Properties::SecurityGroupIngress(i) = &mut *r.properties
                    && i.description.contains("from the load balancer")
                {
                    i.source_security_group_id = Some(Expr::reference("DefaultNetwork"));
                }
            }
        },
        "no ingress of the service's groups admits",
    );
}

const POSTGRES_AS_999: &str = "services:
  db:
    image: postgres:16
    volumes: [\"pg:/var/lib/postgresql/data\"]
volumes:
  pg:
    driver_opts: {uid: \"999\", gid: \"999\"}
";

#[test]
fn an_access_point_user_on_the_file_system_root_is_caught() {
    broken(
        "volumes_are_writable_by_their_access_point_user",
        convert_text(POSTGRES_AS_999),
        |t| props!(t, "PgAccessPoint", AccessPoint).root_directory = None,
        "gets the file system's root",
    );
}

#[test]
fn an_access_point_directory_of_another_owner_or_read_only_is_caught() {
    let t = convert_text(POSTGRES_AS_999);
    broken(
        "volumes_are_writable_by_their_access_point_user",
        t.clone(),
        |t| {
            let dir = props!(t, "PgAccessPoint", AccessPoint)
                .root_directory
                .as_mut();
            dir.unwrap().creation_info.as_mut().unwrap().owner_uid = "0".into();
        },
        "belongs to 0:999",
    );
    broken(
        "volumes_are_writable_by_their_access_point_user",
        t,
        |t| {
            let dir = props!(t, "PgAccessPoint", AccessPoint)
                .root_directory
                .as_mut();
            dir.unwrap().creation_info.as_mut().unwrap().permissions = "555".into();
        },
        "do not let the owner write",
    );
}

#[test]
fn an_alb_that_counts_only_200_as_healthy_is_caught() {
    broken(
        "http_health_checks_count_redirects_and_logins_as_alive",
        example("web-db"),
        |t| props!(t, "WordpressTCP80TargetGroup", TargetGroup).matcher = None,
        "does not count HTTP 301, 302, 401, 403",
    );
}

#[test]
fn a_capacity_provider_with_a_reserved_prefix_is_caught() {
    let t = fixture("gpu");
    let id = t
        .resources
        .iter()
        .find(|(_, r)| r.type_name() == "AWS::ECS::CapacityProvider")
        .map(|(id, _)| id.clone())
        .unwrap();
    broken(
        "names_avoid_reserved_prefixes",
        t,
        |t| props!(t, &id, CapacityProvider).name = "ECS-gpu-chosen".into(),
        "uses a reserved prefix",
    );
}

#[test]
fn a_log_group_under_aws_is_caught() {
    broken(
        "names_avoid_reserved_prefixes",
        example("worker"),
        |t| props!(t, "LogGroup", LogGroup).log_group_name = Expr::sub("aws/${AWS::StackName}"),
        "may not start with aws/",
    );
}

#[test]
fn a_database_that_rolls_with_200_percent_is_caught() {
    broken(
        "one_writer_per_volume_during_a_rollout",
        example("web-db"),
        |t| {
            let d = &mut props!(t, "DbService", EcsService).deployment_configuration;
            (d.minimum_healthy_percent, d.maximum_percent) = (100, 200);
        },
        "rolls with 200 % running",
    );
}

fn gpu_service(t: &Template) -> String {
    t.resources
        .iter()
        .find(
            |(_, r)| matches!(&*r.properties, Properties::EcsService(s) if s.launch_type.is_none()),
        )
        .map(|(id, _)| id.clone())
        .expect("an EC2 service")
}

#[test]
fn ec2_tasks_in_public_subnets_with_a_public_ip_are_caught() {
    let t = example("gpu-inference");
    let id = gpu_service(&t);
    broken(
        "ec2_tasks_and_instances_sit_behind_a_nat",
        t,
        |t| {
            let net = &mut props!(t, &id, EcsService)
                .network_configuration
                .awsvpc_configuration;
            net.assign_public_ip = Expr::str("ENABLED");
        },
        "asks for a public IP",
    );
}

#[test]
fn instances_started_in_public_subnets_are_caught() {
    broken(
        "ec2_tasks_and_instances_sit_behind_a_nat",
        fixture("gpu"),
        |t| {
            for (_, r) in t.resources.iter_mut() {
                if let Properties::AutoScalingGroup(g) = &mut *r.properties {
                    g.vpc_zone_identifier = vec![Expr::reference("LoadBalancerSubnet1")];
                }
            }
        },
        "instances start outside the tasks' subnets",
    );
}

#[test]
fn capacity_that_scales_in_under_running_tasks_is_caught() {
    let unprotect = |t: &mut Template| {
        for (_, r) in t.resources.iter_mut() {
            if let Properties::CapacityProvider(c) = &mut *r.properties
                && let Some(p) = &mut c.auto_scaling_group_provider
            {
                p.managed_termination_protection = "DISABLED".into();
            }
        }
    };
    broken(
        "scale_in_spares_instances_with_tasks",
        fixture("gpu"),
        unprotect,
        "managed termination protection is off",
    );
    broken(
        "scale_in_spares_instances_with_tasks",
        fixture("gpu"),
        |t| {
            for (_, r) in t.resources.iter_mut() {
                if let Properties::AutoScalingGroup(g) = &mut *r.properties {
                    g.new_instances_protected_from_scale_in = false;
                }
            }
        },
        "not protected from scale-in",
    );
}

#[test]
fn two_mount_targets_in_one_subnet_are_caught() {
    broken(
        "one_mount_target_per_zone_in_the_project_subnets",
        example("web-db"),
        |t| {
            props!(t, "DbdataNFSMountTargetOnSubnet2", MountTarget).subnet_id =
                Expr::reference("Subnet1")
        },
        "two mount targets in one subnet",
    );
}

#[test]
fn a_file_system_without_its_policy_or_a_task_mounting_without_tls_is_caught() {
    broken(
        "efs_demands_tls_and_an_access_point",
        example("web-db"),
        |t| props!(t, "DbdataFilesystem", FileSystem).file_system_policy = None,
        "does not deny unencrypted transport",
    );
    broken(
        "efs_demands_tls_and_an_access_point",
        example("web-db"),
        |t| {
            let task = props!(t, "DbTaskDefinition", TaskDefinition);
            let mut efs = task
                .volumes
                .iter_mut()
                .filter_map(|v| v.efs_volume_configuration.as_mut());
            efs.next().unwrap().transit_encryption = "DISABLED".into();
        },
        "mounts without TLS or IAM",
    );
}

#[test]
fn nfs_from_the_whole_network_or_from_nowhere_is_caught() {
    broken(
        "nfs_reaches_a_volume_only_from_its_services",
        example("web-db"),
        |t| {
            props!(t, "DbdataNfsFromDb", SecurityGroupIngress).source_security_group_id =
                Some(Expr::reference("DefaultNetwork"))
        },
        "lets in more than NFS from the services that mount it",
    );
    broken(
        "nfs_reaches_a_volume_only_from_its_services",
        example("web-db"),
        |t| {
            t.resources.shift_remove("DbdataNfsFromDb");
        },
        "DbService mounts it but NFS from its tasks is not admitted",
    );
    broken(
        "nfs_reaches_a_volume_only_from_its_services",
        example("web-db"),
        |t| {
            for (_, r) in t.resources.iter_mut() {
                if let Properties::MountTarget(m) = &mut *r.properties {
                    m.security_groups = vec![Expr::reference("DefaultNetwork")];
                }
            }
        },
        "is also a group of tasks",
    );
}

const PRIVATE_API: &str = "services:
  api:
    image: nginx
    ports: [\"80:80\"]
    x-aws-assign_public_ip: false
  web:
    image: nginx
";

#[test]
fn tasks_outside_the_checked_subnets_are_caught() {
    let t = convert_text(PRIVATE_API);
    broken(
        "tasks_without_a_public_ip_sit_behind_a_nat",
        t,
        |t| {
            let net = &mut props!(t, "ApiService", EcsService).network_configuration;
            net.awsvpc_configuration.subnets = vec![Expr::reference("LoadBalancerSubnet1")];
        },
        "outside the subnets up checks",
    );
}

#[test]
fn a_public_ip_that_ignores_the_subnets_is_caught() {
    let t = convert_text(PRIVATE_API);
    broken(
        "tasks_without_a_public_ip_sit_behind_a_nat",
        t,
        |t| {
            let net = &mut props!(t, "WebService", EcsService).network_configuration;
            net.awsvpc_configuration.assign_public_ip = Expr::reference("VpcId");
        },
        "neither is fixed nor follows its subnets",
    );
}

#[test]
fn a_port_open_to_the_internet_without_a_listener_is_caught() {
    broken(
        "only_listeners_face_the_internet",
        example("web-db"),
        |t| {
            t.add(
                "OpenDatabase",
                Resource::new(SecurityGroupIngress {
                    group_id: Expr::reference("DefaultNetwork"),
                    ip_protocol: "tcp".into(),
                    from_port: Some(3306),
                    to_port: Some(3306),
                    cidr_ip: Some("0.0.0.0/0".into()),
                    source_security_group_id: None,
                    description: "the world".into(),
                }),
            )
        },
        "DefaultNetwork is open to 0.0.0.0/0",
    );
    broken(
        "only_listeners_face_the_internet",
        example("web-db"),
        |t| props!(t, "LoadBalancerTCP80Ingress", SecurityGroupIngress).to_port = Some(65535),
        "without a listener there",
    );
}

#[test]
fn a_load_balancer_that_may_send_anywhere_is_caught() {
    broken(
        "load_balancer_sends_only_to_task_ports",
        example("web-db"),
        |t| {
            let sg = props!(t, "LoadBalancerSecurityGroup", SecurityGroup);
            sg.security_group_egress
                .push(EgressRule::anywhere("everything"));
        },
        "egress \"everything\" goes beyond the tasks' ports",
    );
    broken(
        "load_balancer_sends_only_to_task_ports",
        example("web-db"),
        |t| {
            props!(t, "LoadBalancerSecurityGroup", SecurityGroup)
                .security_group_egress
                .clear()
        },
        "AWS allows all egress",
    );
}

#[test]
fn a_task_role_any_account_may_have_assumed_is_caught() {
    broken(
        "task_roles_trust_only_this_account",
        example("worker"),
        |t| {
            for (_, r) in t.resources.iter_mut() {
                if let Properties::Role(role) = &mut *r.properties {
                    for s in &mut role.assume_role_policy_document.statement {
                        s.condition = None;
                    }
                }
            }
        },
        "ecs-tasks may assume it for any account",
    );
}

#[test]
fn a_target_group_left_at_aws_default_drain_is_caught() {
    broken(
        "target_groups_drain_for_a_set_time",
        example("http-api"),
        |t| {
            for (_, r) in t.resources.iter_mut() {
                if let Properties::TargetGroup(tg) = &mut *r.properties {
                    tg.target_group_attributes.clear();
                }
            }
        },
        "no deregistration delay set",
    );
}

#[test]
fn the_readme_lists_every_rule() {
    let readme = std::fs::read_to_string(repo("../../README.md")).unwrap();
    for r in rules::RULES {
        assert!(
            readme.contains(&format!("| `{}` |", r.name)),
            "README.md does not list {}",
            r.name
        );
    }
}

/// Lesson 10's other half: tasks that reach no public registry take the
/// `/run/secrets` helper from where the user keeps it.
#[test]
fn the_init_image_is_the_one_the_project_names() {
    let text = "x-aws-init_image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/busybox:1.36
services:
  app:
    image: nginx
    secrets: [token]
secrets:
  token:
    file: ./secret.txt
";
    let t = convert_text(text);
    let Some(Properties::TaskDefinition(task)) = rules::resource(&t, "AppTaskDefinition") else {
        panic!("no task definition");
    };
    let images: Vec<&str> = task
        .container_definitions
        .iter()
        .map(|c| c.image.as_str())
        .collect();
    assert!(
        images.contains(&"123456789012.dkr.ecr.eu-west-1.amazonaws.com/busybox:1.36"),
        "{images:?}"
    );
    assert!(
        !images.iter().any(|i| i.starts_with("public.ecr.aws")),
        "{images:?}"
    );
}

#[test]
fn a_traffic_shift_without_twin_groups_or_its_own_test_route_is_caught() {
    let rule = "traffic_shifts_between_twin_target_groups";
    broken(
        rule,
        fixture("deployments"),
        |t| props!(t, "ApiTCP8080AlternateTargetGroup", TargetGroup).port = 8081,
        "is not a twin",
    );
    broken(
        rule,
        fixture("deployments"),
        |t| {
            props!(t, "WebTCP80TestRule", ListenerRule).listener_arn =
                Expr::reference("WebTCP80Listener")
        },
        "test traffic shares the production listener",
    );
    broken(
        rule,
        fixture("deployments"),
        |t| {
            props!(t, "AdminTCP9000ProductionRule", ListenerRule).actions[0]
                .forward_config
                .target_groups
                .truncate(1)
        },
        "does not forward",
    );
}

#[test]
fn a_database_deployed_blue_green_is_caught() {
    broken(
        "one_writer_per_volume_during_a_rollout",
        example("web-db"),
        |t| {
            props!(t, "DbService", EcsService)
                .deployment_configuration
                .strategy = "BLUE_GREEN".into()
        },
        "runs both versions",
    );
}

#[test]
fn a_managed_instances_role_ecs_cannot_pass_is_caught() {
    let rule = "managed_instances_roles_can_be_passed";
    broken(
        rule,
        fixture("managed-instances"),
        |t| props!(t, "ManagedInstancesInstanceRole", Role).role_name = None,
        "not named ecsInstanceRole",
    );
    broken(
        rule,
        fixture("managed-instances"),
        |t| {
            props!(
                t,
                "ClusterCapacityProviders",
                ClusterCapacityProviderAssociations
            )
            .capacity_providers
            .push(Expr::reference("ApiCapacityProvider"))
        },
        "belongs to its cluster",
    );
}
