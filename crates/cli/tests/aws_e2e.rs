//! End to end against a real local AWS endpoint: the pinned moto server,
//! one per test on a free loopback port. What moto lacks (an internet
//! gateway in the default VPC, running tasks, log events) is seeded by
//! `tests/moto/fixture.py`; moto's gaps in CloudFormation are removed by
//! the app's `moto.yaml` overlay. Nothing in the product knows about moto.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The test app's registry: ECR of moto's account.
const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// A server process the test started, stopped when the test ends.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Moto {
    _child: ChildGuard,
    port: u16,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start a server with its output in a log file of the test's folder.
fn spawn_logged(cmd: &mut Command, log: &std::path::Path, what: &str) -> std::process::Child {
    let log = std::fs::File::create(log).unwrap();
    cmd.stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .expect(what)
}

/// Wait up to 30 s for a local server to answer `path` with `status`.
fn wait_for_status(port: u16, path: &str, status: u16, failure: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while http_status(port, path) != Some(status) {
        assert!(Instant::now() < deadline, "{failure}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Moto {
    fn start() -> Moto {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut cmd = Command::new(common::moto_server());
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        let child = spawn_logged(&mut cmd, &dir.path().join("moto.log"), "moto_server starts");
        let moto = Moto {
            _child: ChildGuard(child),
            port,
            dir,
        };
        wait_for_status(port, "/moto-api/", 200, "moto did not start");
        moto.fixture(&["network"]);
        moto.fixture(&["keep-tasks-running"]);
        // The test app's images, which `up` pins to their digests.
        for (repo, tag, build) in [
            ("nginx", "1.27", "1"),
            ("nginx", "1.28", "2"),
            ("busybox", "1.36", "3"),
        ] {
            moto.push(repo, tag, build);
        }
        moto
    }

    /// The pinned form of an image of the test app's ECR.
    fn pinned(&self, repo: &str, tag: &str) -> String {
        format!("{ECR}/{repo}@{}", self.digest(repo, tag))
    }

    /// Push (again) an image of the test app's ECR; its digest.
    fn push(&self, repo: &str, tag: &str, build: &str) -> String {
        self.fixture(&["push-image", repo, tag, build])
    }

    fn digest(&self, repo: &str, tag: &str) -> String {
        self.fixture(&["image-digest", repo, tag])
    }

    /// `localhost`, not 127.0.0.1: moto serves S3 `TemplateURL`s only by that name.
    fn endpoint(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    fn fixture(&self, args: &[&str]) -> String {
        let python = common::moto_server().with_file_name("python");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moto/fixture.py");
        let mut cmd = Command::new(python);
        cmd.arg(script).args(args);
        aws_env(&mut cmd, self.dir.path(), &self.endpoint());
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "fixture {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    buf.split_whitespace().nth(1)?.parse().ok()
}

/// Dummy credentials, a fixed region, the endpoint, and nothing from the host.
fn aws_env(cmd: &mut Command, home: &Path, endpoint: &str) {
    common::clean_env(cmd, home);
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing-secret-key")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", home.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

/// A copy of the test app in a temporary directory.
struct App {
    dir: tempfile::TempDir,
}

impl App {
    fn new() -> App {
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moto/app");
        for f in ["compose.yaml", "moto.yaml", "token.txt"] {
            std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
        }
        App { dir }
    }

    fn path(&self, f: &str) -> PathBuf {
        self.dir.path().join(f)
    }

    fn edit(&self, from: &str, to: &str) {
        let p = self.path("compose.yaml");
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from));
        std::fs::write(&p, text.replace(from, to)).unwrap();
    }

    fn run_at(&self, endpoint: &str, args: &[&str]) -> Result {
        self.run_with_path(endpoint, None, args)
    }

    /// Run with `PATH` set to `path` (for the session manager plugin).
    fn run_with_path(&self, endpoint: &str, path: Option<&Path>, args: &[&str]) -> Result {
        let mut cmd = Command::new(common::docker_ecs());
        cmd.current_dir(self.dir.path())
            .args(["-f", "compose.yaml", "-f", "moto.yaml"])
            .args(args);
        aws_env(&mut cmd, self.dir.path(), endpoint);
        if let Some(p) = path {
            cmd.env("PATH", p);
        }
        Result(cmd.output().unwrap())
    }

    fn run(&self, moto: &Moto, args: &[&str]) -> Result {
        self.run_at(&moto.endpoint(), args)
    }
}

struct Result(Output);

impl Result {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    #[track_caller]
    fn exits(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
    #[track_caller]
    fn ok(self) -> Self {
        self.exits(0)
    }
    #[track_caller]
    fn fails(self) -> Self {
        self.exits(1)
    }
}

/// A moto server with the test app deployed on it.
fn deployed() -> (Moto, App) {
    let moto = Moto::start();
    let app = App::new();
    app.run(&moto, &["up", "--progress", "quiet"]).ok();
    (moto, app)
}

/// `text` contains `needle`; the failure shows the whole text.
#[track_caller]
fn has(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
}

/// Plain progress lines with the clock masked, for snapshots.
fn progress_lines(stderr: &str) -> String {
    stderr
        .lines()
        .map(|l| {
            let b = l.as_bytes();
            if b.len() > 8 && b[2] == b':' && b[5] == b':' && b[8] == b' ' {
                format!("HH:MM:SS{}", &l[8..])
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn up_creates_the_stack_and_a_second_up_is_up_to_date() {
    let moto = Moto::start();
    let app = App::new();
    let first = app.run(&moto, &["up", "--progress", "plain"]).ok();
    insta::assert_snapshot!("up_create_plain", progress_lines(&first.stderr()));
    assert!(first.stdout().contains("Stack demo CREATE_COMPLETE"));
    has(&first.stdout(), "Load balancer: ");
    assert_eq!(moto.fixture(&["stack-status", "demo"]), "CREATE_COMPLETE");
    // The secret went to Secrets Manager, and nowhere else.
    assert_eq!(
        moto.fixture(&["secret", "demo/token"]),
        "not-a-real-secret-4f9a"
    );
    assert!(!first.stderr().contains("not-a-real-secret"));
    assert!(!first.stdout().contains("not-a-real-secret"));

    let second = app.run(&moto, &["up", "--progress", "plain"]).ok();
    has(&second.stdout(), "Stack demo is up to date");
    has(&second.stderr(), "Secret demo/token: unchanged");
    assert!(!second.stdout().contains("new tasks"));

    // A new secret value with the same template: the services get new tasks.
    std::fs::write(app.path("token.txt"), "rotated-value").unwrap();
    let third = app.run(&moto, &["up"]).ok();
    has(&third.stderr(), "Secret demo/token: updated");
    has(&third.stdout(), "Stack demo is up to date");
    has(&third.stdout(), "started new tasks for 2 service(s)");
    assert_eq!(moto.fixture(&["secret", "demo/token"]), "rotated-value");
    assert_eq!(moto.fixture(&["stacks"]), "demo");
}

#[test]
fn an_ec2_project_runs_on_instances_in_the_nat_subnets_and_goes_down() {
    let moto = Moto::start();
    let private = moto.fixture(&["private-network"]);
    let app = App::new();
    let up = app
        .run(
            &moto,
            &["up", "--launch-type", "EC2", "--progress", "plain"],
        )
        .ok();
    has(&up.stdout(), "Stack demo CREATE_COMPLETE");
    // The instances and the tasks run in the subnets behind the NAT.
    let chosen: Vec<String> = ["Subnet1", "Subnet2"]
        .iter()
        .map(|k| moto.fixture(&["stack-parameter", "demo", k]))
        .collect();
    for subnet in &chosen {
        assert!(
            private.split(' ').any(|p| p == subnet),
            "{subnet} not in {private}"
        );
    }
    let group = moto.fixture(&["physical-id", "demo", "WebAutoScalingGroup"]);
    assert_eq!(moto.fixture(&["asg", &group]), "0 2 m7i.large");
    let down = app.run(&moto, &["down", "--progress", "plain"]).ok();
    has(&down.stdout(), "Stack demo deleted");
    assert_eq!(moto.fixture(&["stack-status", "demo"]), "NONE");
}

#[test]
fn tasks_go_behind_the_nat_and_the_load_balancer_in_public_subnets() {
    let moto = Moto::start();
    let private = moto.fixture(&["private-network"]);
    let private: Vec<&str> = private.split(' ').collect();
    let app = App::new();
    app.run(&moto, &["up", "--progress", "quiet"]).ok();
    let parameter = |k: &str| moto.fixture(&["stack-parameter", "demo", k]);
    for k in ["Subnet1", "Subnet2"] {
        let chosen = parameter(k);
        assert!(
            private.contains(&chosen.as_str()),
            "{k}: {chosen} not in {private:?}"
        );
    }
    assert_eq!(parameter("AssignPublicIp"), "DISABLED");
    let zones = |ids: &[String]| {
        moto.fixture(
            &[
                &["zones"][..],
                &ids.iter().map(String::as_str).collect::<Vec<_>>(),
            ]
            .concat(),
        )
    };
    let tasks: Vec<String> = ["Subnet1", "Subnet2"].map(parameter).to_vec();
    let lb: Vec<String> = ["LoadBalancerSubnet1", "LoadBalancerSubnet2"]
        .map(parameter)
        .to_vec();
    for s in &lb {
        assert!(
            !private.contains(&s.as_str()),
            "the load balancer sits in private {s}"
        );
    }
    // Every zone of the tasks has the load balancer, or it sends them nothing.
    assert_eq!(zones(&tasks), zones(&lb));

    // An internal load balancer moves into the private subnets.
    app.edit(
        "name: demo",
        "name: demo\nx-aws-loadbalancer_scheme: internal",
    );
    app.run(&moto, &["up", "--progress", "quiet"]).ok();
    for k in ["LoadBalancerSubnet1", "LoadBalancerSubnet2"] {
        let chosen = parameter(k);
        assert!(
            private.contains(&chosen.as_str()),
            "{k}: {chosen} not in {private:?}"
        );
    }
}

#[test]
fn without_a_nat_tasks_get_public_subnets_and_an_ip_unless_they_may_not() {
    let moto = Moto::start();
    let app = App::new();
    app.run(&moto, &["up", "--progress", "quiet"]).ok();
    assert_eq!(
        moto.fixture(&["stack-parameter", "demo", "AssignPublicIp"]),
        "ENABLED"
    );
    app.run(&moto, &["down", "--progress", "quiet"]).ok();
    // A worker that may have no public IP has no way out of this VPC.
    app.edit(
        "command: [\"sleep\", \"3600\"]",
        "command: [\"sleep\", \"3600\"]\n    x-aws-assign_public_ip: false",
    );
    let up = app.run(&moto, &["up", "--progress", "quiet"]).fails();
    assert_eq!(up.code(), 1);
    let err = up.stderr();
    for part in [
        "no way out of VPC",
        "worker get no public IP",
        "NAT gateway",
        "VPC endpoints for ECR",
    ] {
        assert!(err.contains(part), "{part} not in {err}");
    }
    assert_eq!(moto.fixture(&["stack-status", "demo"]), "NONE");
}

#[test]
fn a_change_goes_through_a_change_set_and_dry_run_changes_nothing() {
    let moto = Moto::start();
    let app = App::new();

    // A dry run of a new project leaves nothing behind.
    let dry = app.run(&moto, &["up", "--dry-run"]).ok();
    has(&dry.stdout(), "Would create stack demo:");
    has(&dry.stdout(), "Add      WebService");
    has(&dry.stdout(), "Dry run: nothing was changed");
    assert_eq!(moto.fixture(&["stack-status", "demo"]), "NONE");
    assert_eq!(moto.fixture(&["secrets"]), "");

    app.run(&moto, &["up", "--progress", "quiet"]).ok();
    assert_eq!(
        moto.fixture(&["image", "demo", "WebTaskDefinition", "web"]),
        moto.pinned("nginx", "1.27")
    );
    app.edit("nginx:1.27", "nginx:1.28");

    let dry = app.run(&moto, &["up", "--dry-run"]).ok();
    has(&dry.stdout(), "Would update stack demo:");
    has(&dry.stdout(), "Modify   WebTaskDefinition");
    has(&dry.stdout(), "0 to add, 1 to modify");
    assert_eq!(
        moto.fixture(&["image", "demo", "WebTaskDefinition", "web"]),
        moto.pinned("nginx", "1.27")
    );
    assert_eq!(moto.fixture(&["stack-status", "demo"]), "CREATE_COMPLETE");

    let update = app.run(&moto, &["up", "--progress", "plain"]).ok();
    has(&update.stderr(), "Updating stack demo: 1 change(s)");
    assert!(update.stderr().contains("UPDATE_COMPLETE"));
    assert!(update.stdout().contains("Stack demo UPDATE_COMPLETE"));
    assert_eq!(
        moto.fixture(&["image", "demo", "WebTaskDefinition", "web"]),
        moto.pinned("nginx", "1.28")
    );
}

#[test]
fn a_re_pushed_tag_rolls_out_and_then_is_up_to_date() {
    let moto = Moto::start();
    let app = App::new();
    app.run(&moto, &["up", "--progress", "quiet"]).ok();
    let first = moto.fixture(&["image", "demo", "WebTaskDefinition", "web"]);
    assert_eq!(first, moto.pinned("nginx", "1.27"));

    // The same tag, new bytes: the tag did not change, the digest did.
    let rebuilt = moto.push("nginx", "1.27", "4");
    let dry = app.run(&moto, &["up", "--dry-run"]).ok();
    let note = format!("Image of web: {first} → {ECR}/nginx@{rebuilt}");
    has(&dry.stderr(), &note);
    // Moving into child stacks, the new task definition is in a child.
    let nested = app.run(&moto, &["up", "--nested-stacks", "--dry-run"]).ok();
    has(&nested.stderr(), "no longer fits in one stack");
    has(&nested.stderr(), &note);
    has(&dry.stdout(), "Modify   WebTaskDefinition");
    let update = app.run(&moto, &["up", "--progress", "plain"]).ok();
    has(&update.stdout(), "Stack demo UPDATE_COMPLETE");
    assert_eq!(
        moto.fixture(&["image", "demo", "WebTaskDefinition", "web"]),
        format!("{ECR}/nginx@{rebuilt}")
    );
    let third = app.run(&moto, &["up"]).ok();
    has(&third.stdout(), "Stack demo is up to date");

    // Tags as they are, when asked: with a warning that says what is lost.
    let tags = app
        .run(&moto, &["up", "--dry-run", "--no-resolve-image-digests"])
        .ok();
    has(&tags.stderr(), "a re-pushed tag will not roll out");
    has(&tags.stderr(), &format!("→ {ECR}/nginx:1.27"));
}

#[test]
fn an_existing_load_balancer_is_found_by_name_and_must_be_the_right_kind() {
    let moto = Moto::start();
    let app = App::new();
    let arn = moto.fixture(&["load-balancer", "shared-web", "application"]);
    moto.fixture(&["load-balancer", "shared-tcp", "network"]);
    let compose = std::fs::read_to_string(app.path("compose.yaml")).unwrap();
    std::fs::write(
        app.path("compose.yaml"),
        format!("x-aws-loadbalancer: shared-tcp\n{compose}"),
    )
    .unwrap();
    // Port 80 is HTTP: it needs an application load balancer.
    let err = app.run(&moto, &["up"]).fails().stderr();
    has(
        &err,
        "shared-tcp is a network load balancer, but every published port is HTTP(S)",
    );
    app.edit(
        "x-aws-loadbalancer: shared-tcp",
        "x-aws-loadbalancer: shared-web",
    );
    app.run(&moto, &["up", "--progress", "quiet"]).ok();
    assert_eq!(
        moto.fixture(&["stack-parameter", "demo", "LoadBalancerArn"]),
        arn
    );
    app.edit(
        "x-aws-loadbalancer: shared-web",
        "x-aws-loadbalancer: no-such-lb",
    );
    let err = app.run(&moto, &["up"]).fails().stderr();
    has(&err, "no load balancer \"no-such-lb\" in us-east-1");
}

#[test]
fn an_image_that_cannot_be_resolved_stops_up_with_the_registry_answer() {
    let moto = Moto::start();
    let app = App::new();
    app.edit("nginx:1.27", "nginx:9.9");
    let err = app.run(&moto, &["up"]).fails().stderr();
    has(
        &err,
        "resolving image 123456789012.dkr.ecr.us-east-1.amazonaws.com/nginx:9.9 in ECR: ImageNotFoundException",
    );
    assert_eq!(moto.fixture(&["stack-status", "demo"]), "NONE");
}

#[test]
fn a_never_deployed_stack_is_left_by_dry_run_and_replaced_by_up() {
    let moto = Moto::start();
    let app = App::new();
    moto.fixture(&["stub-stack", "demo"]);
    assert_eq!(
        moto.fixture(&["stack-status", "demo"]),
        "REVIEW_IN_PROGRESS"
    );
    let dry = app.run(&moto, &["up", "--dry-run"]).ok();
    has(&dry.stdout(), "Would create stack demo:");
    has(&dry.stdout(), "Add      WebService");
    has(&dry.stdout(), "Dry run: nothing was changed");
    assert_eq!(
        moto.fixture(&["stack-status", "demo"]),
        "REVIEW_IN_PROGRESS"
    );
    let up = app.run(&moto, &["up", "--progress", "plain"]).ok();
    has(
        &up.stderr(),
        "Stack demo is REVIEW_IN_PROGRESS (its creation never completed); replacing it",
    );
    has(&up.stdout(), "Stack demo CREATE_COMPLETE");
}

#[test]
fn ps_lists_services_tasks_and_ports() {
    let (moto, app) = deployed();
    let web1 = moto.fixture(&["run-task", "demo", "WebService"]);
    let web2 = moto.fixture(&["run-task", "demo", "WebService"]);
    let worker = moto.fixture(&["run-task", "demo", "WorkerService"]);

    let table = app.run(&moto, &["ps"]).ok().stdout();
    let header = table.lines().next().unwrap();
    for col in [
        "NAME", "SERVICE", "TASK", "STATUS", "HEALTH", "RUNNING", "PORTS",
    ] {
        has(header, col);
    }
    for id in [&web1, &web2, &worker] {
        has(&table, id.as_str());
    }
    has(&table, ".elb.amazonaws.com:80->80/tcp");
    assert_eq!(table.lines().count(), 4, "{table}");

    let json: serde_json::Value =
        serde_json::from_str(&app.run(&moto, &["ps", "--format", "json"]).ok().stdout()).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let w = rows
        .iter()
        .find(|r| r["TaskID"] == worker.as_str())
        .unwrap();
    assert_eq!(w["Service"], "worker");
    assert_eq!(w["Status"], "RUNNING");
    assert_eq!(w["DesiredCount"], 1);
    let web = rows.iter().find(|r| r["Service"] == "web").unwrap();
    assert_eq!(web["Publishers"][0]["PublishedPort"], 80);
    assert_eq!(web["Publishers"][0]["Protocol"], "tcp");

    // Service filters work.
    let only = app.run(&moto, &["ps", "-q", "worker"]).ok().stdout();
    assert_eq!(only.trim(), worker);
    let err = app.run(&moto, &["ps", "nope"]).fails().stderr();
    has(&err, "no such service: nope");

    // Stopped tasks only with -a.
    moto.fixture(&["stop-task", "demo", &web2]);
    let running = app.run(&moto, &["ps", "-q"]).ok().stdout();
    assert!(!running.contains(&web2), "{running}");
    let all = app.run(&moto, &["ps", "-a"]).ok().stdout();
    assert!(all.contains(&web2) && all.contains("STOPPED"), "{all}");
}

#[test]
fn logs_show_the_services_events() {
    let (moto, app) = deployed();
    moto.fixture(&[
        "put-logs",
        "/docker-compose/demo",
        "demo/web/task1",
        "GET / 200",
        "GET /missing 404",
        "GET /b 200",
    ]);
    moto.fixture(&[
        "put-logs",
        "/docker-compose/demo",
        "demo/worker/task2",
        "working",
        "done",
    ]);
    // An init container's stream is not a service's log.
    moto.fixture(&[
        "put-logs",
        "/docker-compose/demo",
        "demo/Web_Secrets_InitContainer/task1",
        "init",
    ]);

    let all = app.run(&moto, &["logs"]).ok().stdout();
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 5, "{all}");
    assert!(lines.contains(&"web-1    | GET /missing 404"), "{all}");
    assert!(lines.contains(&"worker-1 | done"), "{all}");
    assert!(!all.contains("init"), "{all}");

    let web = app.run(&moto, &["logs", "web"]).ok().stdout();
    assert_eq!(
        web,
        "web-1 | GET / 200\nweb-1 | GET /missing 404\nweb-1 | GET /b 200\n"
    );

    let tail = app.run(&moto, &["logs", "--tail", "1"]).ok().stdout();
    assert_eq!(tail.lines().count(), 2, "{tail}");
    assert!(
        tail.contains("web-1    | GET /b 200") && tail.contains("worker-1 | done"),
        "{tail}"
    );

    let bare = app
        .run(&moto, &["logs", "--no-log-prefix", "-t", "worker"])
        .ok()
        .stdout();
    let first = bare.lines().next().unwrap();
    assert!(
        first.ends_with("Z working") && first.starts_with("20"),
        "{bare}"
    );

    let none = app
        .run(
            &moto,
            &["logs", "--since", "2000-01-01", "--until", "2000-01-02"],
        )
        .ok();
    assert_eq!(none.stdout(), "");
    let err = app.run(&moto, &["logs", "nope"]).fails().stderr();
    has(&err, "no such service: nope");
}

#[test]
fn ls_shows_the_project_and_down_removes_it_twice() {
    let (moto, app) = deployed();
    let ls = app.run(&moto, &["ls"]).ok().stdout();
    assert!(ls.lines().nth(1).unwrap().starts_with("demo "), "{ls}");
    assert!(
        ls.contains("Running") && ls.contains("CREATE_COMPLETE"),
        "{ls}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&app.run(&moto, &["ls", "--format", "json"]).ok().stdout()).unwrap();
    assert_eq!(json[0]["Name"], "demo");
    assert_eq!(json[0]["Status"], "Running");
    let filtered = app
        .run(&moto, &["ls", "--filter", "name=other", "-q"])
        .ok()
        .stdout();
    assert_eq!(filtered, "");
    app.run(&moto, &["ls", "--filter", "bogus"]).fails();

    let down = app.run(&moto, &["down", "--progress", "plain"]).ok();
    has(&down.stdout(), "Stack demo deleted");
    has(&down.stderr(), "DELETE_COMPLETE");
    has(&down.stdout(), "Retained: secret demo/token");
    assert_eq!(moto.fixture(&["stack-status", "demo"]), "NONE");
    let again = app.run(&moto, &["down"]).ok();
    has(&again.stdout(), "nothing to remove");
    // -p alone names the project; no Compose file is needed.
    let mut cmd = Command::new(common::docker_ecs());
    cmd.args(["-p", "demo", "down"]);
    aws_env(&mut cmd, moto.dir.path(), &moto.endpoint());
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(app.run(&moto, &["ls", "-q"]).ok().stdout(), "");
}

#[test]
fn logs_outlive_down_and_the_next_up_writes_to_them_again() {
    let (moto, app) = deployed();
    moto.fixture(&[
        "put-logs",
        "/docker-compose/demo",
        "demo/web/task1",
        "before down",
    ]);
    let down = app.run(&moto, &["down"]).ok().stdout();
    has(&down, "Retained: log group /docker-compose/demo");
    has(&down, "Retained: KMS key");
    let up = app.run(&moto, &["up", "--progress", "plain"]).ok();
    assert!(
        up.stderr()
            .contains("Logs: re-attaching log group /docker-compose/demo"),
        "{}",
        up.stderr()
    );
    assert_eq!(
        app.run(&moto, &["logs"]).ok().stdout(),
        "web-1 | before down\n"
    );
    // The re-attached group stays attached: the next up changes nothing.
    let again = app.run(&moto, &["up"]).ok().stdout();
    has(&again, "up to date");
}

#[test]
fn a_template_moto_rejects_fails_with_its_reason() {
    let moto = Moto::start();
    let app = App::new();
    let overlay = std::fs::read_to_string(app.path("moto.yaml")).unwrap()
        + "    WebTCP80TargetGroup:\n      Properties:\n        Protocol: HTTPX\n";
    std::fs::write(app.path("moto.yaml"), overlay).unwrap();
    let r = app.run(&moto, &["up", "--progress", "plain"]).fails();
    let err = r.stderr();
    has(&err, "error: creating stack demo: ValidationError");
    has(&err, "HTTPX");
    assert!(!err.contains("panicked"), "{err}");

    // moto leaves that stack CREATE_IN_PROGRESS for ever: the next `up`
    // follows it, and --wait-timeout bounds the wait.
    assert_eq!(
        moto.fixture(&["stack-status", "demo"]),
        "CREATE_IN_PROGRESS"
    );
    let r = app
        .run(&moto, &["up", "--progress", "plain", "--wait-timeout", "1"])
        .fails();
    let err = r.stderr();
    has(&err, "Stack demo is CREATE_IN_PROGRESS; following it");
    has(&err, "still CREATE_IN_PROGRESS after the --wait-timeout");

    // Ctrl-C (exit 130) and SIGTERM (exit 143) detach with a hint and never
    // delete the stack.
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let mut cmd = Command::new(common::docker_ecs());
        cmd.current_dir(app.dir.path()).args([
            "-f",
            "compose.yaml",
            "-f",
            "moto.yaml",
            "up",
            "--progress",
            "plain",
        ]);
        aws_env(&mut cmd, app.dir.path(), &moto.endpoint());
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Interrupt once it is waiting on the stack, not before.
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        while !seen.contains("following it") {
            let mut line = String::new();
            use std::io::BufRead;
            assert!(stderr.read_line(&mut line).unwrap() > 0, "{seen}");
            seen.push_str(&line);
        }
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        stderr.read_to_string(&mut seen).unwrap();
        let status = child.wait().unwrap();
        let err = seen;
        assert_eq!(status.code(), Some(code), "{signal}: {err}");
        has(&err, "detached: stack demo keeps deploying");
        assert_eq!(
            moto.fixture(&["stack-status", "demo"]),
            "CREATE_IN_PROGRESS"
        );
    }
}

#[test]
fn a_large_template_travels_through_s3_and_the_bucket_is_removed() {
    let moto = Moto::start();
    let app = App::new();
    let mut compose = String::from("name: big\nservices:\n");
    let mut overlay = String::from(
        "x-aws-cloudformation:\n  Resources:\n    LogGroup:\n      Properties:\n        KmsKeyId: null\n    LogsKey:\n      Properties:\n        Tags: null\n",
    );
    for i in 0..20 {
        compose.push_str(&format!(
            "  worker{i}:\n    image: {ECR}/busybox:1.36\n    command: [\"sleep\", \"{i}\"]\n    environment:\n      ROLE: worker-number-{i}\n"
        ));
        overlay.push_str(&format!(
            "    Worker{i}Service:\n      Properties:\n        ServiceRegistries: null\n"
        ));
    }
    std::fs::write(app.path("compose.yaml"), compose).unwrap();
    std::fs::write(app.path("moto.yaml"), overlay).unwrap();
    let body = app
        .run(&moto, &["convert", "--format", "json"])
        .ok()
        .stdout();
    let compact =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&body).unwrap()).unwrap();
    assert!(
        compact.len() > 51_200,
        "the template is only {} bytes",
        compact.len()
    );

    let up = app.run(&moto, &["up", "--progress", "quiet"]).ok();
    assert_eq!(up.stdout(), "", "quiet prints nothing");
    assert_eq!(moto.fixture(&["stack-status", "big"]), "CREATE_COMPLETE");
    assert_eq!(
        moto.fixture(&["buckets"]),
        "",
        "the temporary bucket is gone"
    );
}

#[test]
fn missing_credentials_or_region_give_one_clear_sentence() {
    let home = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, &str)]| {
        let mut cmd = Command::new(common::docker_ecs());
        common::clean_env(&mut cmd, home.path());
        cmd.args(["ls"])
            .env("AWS_CONFIG_FILE", home.path().join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"))
            .env("AWS_EC2_METADATA_DISABLED", "true");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&[("AWS_REGION", "us-east-1")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: no AWS credentials found: run `aws configure`"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let out = run(&[("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "b")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: no AWS region is set: pass --region"),
        "{err}"
    );
}

/// A proxy in front of moto that answers throttling errors and HTTP 500s
/// (with an HTML body, as moto's own crashes do) for the first requests,
/// before they reach moto: a retried call must not run twice.
struct FaultyProxy {
    port: u16,
    faults: Arc<AtomicUsize>,
}

/// What the proxy does wrong.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    /// Two in three of the first N connections answer a throttling error
    /// or an HTTP 500.
    Throttle(usize),
    /// The first CreateStack reaches moto, and its answer is dropped.
    LoseCreateStackAnswer,
    /// ECS Exec, which moto lacks: ExecuteCommand answers a session, and
    /// DescribeTasks says the tasks allow it, with container runtime IDs
    /// and these containers, which moto leaves out (it describes a task's
    /// first container only).
    EcsExec(&'static [&'static str]),
}

impl FaultyProxy {
    fn start(upstream: u16, failing: usize) -> FaultyProxy {
        Self::with(upstream, Fault::Throttle(failing))
    }

    fn with(upstream: u16, fault: Fault) -> FaultyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(AtomicUsize::new(0));
        let faults = Arc::new(AtomicUsize::new(0));
        let f = faults.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let f = f.clone();
                std::thread::spawn(move || serve(conn, upstream, n, fault, &f));
            }
        });
        FaultyProxy { port, faults }
    }
}

/// Read one HTTP/1.1 request (headers and Content-Length body).
fn read_request(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = conn.read(&mut chunk).ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf);
        }
    }
}

fn serve(mut conn: TcpStream, upstream: u16, n: usize, fault: Fault, faults: &AtomicUsize) {
    // One request per connection: the client reconnects after `close`.
    let Some(request) = read_request(&mut conn) else {
        return;
    };
    let failing = match fault {
        Fault::Throttle(n) => n,
        Fault::LoseCreateStackAnswer | Fault::EcsExec(_) => 0,
    };
    let target = ecs_target(&request);
    if matches!(fault, Fault::EcsExec(_)) && target.ends_with(".executecommand") {
        faults.fetch_add(1, Ordering::SeqCst);
        let end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let asked: serde_json::Value = serde_json::from_slice(&request[end + 4..]).unwrap();
        let body = serde_json::json!({
            "clusterArn": asked["cluster"],
            "containerName": asked["container"],
            "interactive": asked["interactive"],
            "taskArn": asked["task"],
            // What the fake plugin is handed, echoed back by the test.
            "session": {
                "sessionId": format!("ecs-execute-command-{}", asked["command"].as_str().unwrap().replace(' ', "+")),
                "streamUrl": "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/s",
                "tokenValue": EXEC_TOKEN,
            },
        })
        .to_string();
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        return;
    }
    let lose_answer = matches!(fault, Fault::LoseCreateStackAnswer)
        && String::from_utf8_lossy(&request).contains("Action=CreateStack")
        && faults.fetch_add(1, Ordering::SeqCst) == 0;
    if n < failing && n % 3 != 2 {
        faults.fetch_add(1, Ordering::SeqCst);
        let head = String::from_utf8_lossy(&request).to_lowercase();
        let (status, kind, body) = if n.is_multiple_of(2) {
            (
                "500 Internal Server Error",
                "text/html",
                "<!doctype html><title>500 Internal Server Error</title>".to_string(),
            )
        } else if head.contains("x-amz-json") {
            (
                "400 Bad Request",
                "application/x-amz-json-1.1",
                r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string(),
            )
        } else {
            (
                "400 Bad Request",
                "text/xml",
                "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>".to_string(),
            )
        };
        let _ = write!(
            conn,
            "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        return;
    }
    // Forward, asking moto to close after its answer so that the whole
    // response is simply everything it sends.
    let text = String::from_utf8_lossy(&request).into_owned();
    let end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head: Vec<&str> = text[..end]
        .split("\r\n")
        .filter(|l| !l.to_lowercase().starts_with("connection:"))
        .collect();
    let mut forwarded = head.join("\r\n").into_bytes();
    forwarded.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    forwarded.extend_from_slice(&request[end + 4..]);
    let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    let _ = up.write_all(&forwarded);
    let mut response = Vec::new();
    let _ = up.read_to_end(&mut response);
    if lose_answer {
        // moto made the stack; the client hears nothing back.
        return;
    }
    if let Fault::EcsExec(missing) = fault
        && target.ends_with(".describetasks")
    {
        response = with_exec_enabled(&response, missing);
    }
    let _ = conn.write_all(&response);
}

const EXEC_TOKEN: &str = "token-that-must-stay-off-command-lines";

/// The ECS operation of a request (`…v20141113.describetasks`), lowercased.
fn ecs_target(request: &[u8]) -> String {
    let text = String::from_utf8_lossy(request).to_lowercase();
    text.lines()
        .find_map(|l| l.strip_prefix("x-amz-target:"))
        .map(|t| t.trim().to_string())
        .unwrap_or_default()
}

/// moto's DescribeTasks answer, as ECS gives it for tasks with ECS Exec on.
fn with_exec_enabled(response: &[u8], missing: &[&str]) -> Vec<u8> {
    let end = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let mut body: serde_json::Value = serde_json::from_slice(&response[end + 4..])
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(response)));
    for task in body["tasks"].as_array_mut().into_iter().flatten() {
        task["enableExecuteCommand"] = true.into();
        if let Some(list) = task["containers"].as_array_mut() {
            list.extend(missing.iter().map(|name| serde_json::json!({"name": name})));
        }
        for c in task["containers"].as_array_mut().into_iter().flatten() {
            c["runtimeId"] = format!("{}-runtime", c["name"].as_str().unwrap_or("x")).into();
            c["managedAgents"] =
                serde_json::json!([{"name": "ExecuteCommandAgent", "lastStatus": "RUNNING"}]);
        }
    }
    let body = body.to_string();
    let head: Vec<&str> = std::str::from_utf8(&response[..end])
        .unwrap()
        .split("\r\n")
        .filter(|l| !l.to_lowercase().starts_with("content-length:"))
        .collect();
    format!(
        "{}\r\nContent-Length: {}\r\n\r\n{body}",
        head.join("\r\n"),
        body.len()
    )
    .into_bytes()
}

/// A stand-in for AWS's session-manager-plugin: it records its arguments
/// and the session it was handed, and exits 3 like a remote `exit 3`.
fn fake_session_plugin(dir: &Path) {
    let script = dir.join("session-manager-plugin");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {0}/argv\nprintf '%s' \"$AWS_SSM_START_SESSION_RESPONSE\" > {0}/session\nexit 3\n",
            dir.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn exec_opens_a_session_and_hands_it_to_the_session_manager_plugin() {
    let moto = Moto::start();
    let app = App::new();
    app.edit(
        "    secrets: [token]",
        "    secrets: [token]\n    x-aws-enable_exec: true\n  metrics:\n    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/busybox:1.36\n    network_mode: service:web",
    );
    app.run(&moto, &["up", "--progress", "quiet"]).ok();
    let task = moto.fixture(&["run-task", "demo", "WebService", "web"]);
    let proxy = FaultyProxy::with(moto.port, Fault::EcsExec(&["metrics"]));
    let endpoint = format!("http://localhost:{}", proxy.port);
    let bin = tempfile::tempdir().unwrap();
    let exec = |args: &[&str]| {
        let args = [&["exec"], args].concat();
        app.run_with_path(&endpoint, Some(bin.path()), &args)
    };

    // No plugin: say how to get it, open nothing.
    let missing = exec(&["web"]).fails();
    has(&missing.stderr(), "session-manager-plugin is not installed");
    has(
        &missing.stderr(),
        "session-manager-working-with-install-plugin.html",
    );
    assert_eq!(proxy.faults.load(Ordering::SeqCst), 0);

    fake_session_plugin(bin.path());
    // The worker never turned ECS Exec on.
    let off = exec(&["worker"]).fails();
    has(&off.stderr(), "set `x-aws-enable_exec: true`");
    let none = exec(&["--index", "2", "web"]).fails();
    has(
        &none.stderr(),
        "service web has 1 running task(s): no task 2",
    );

    // The remote command's exit code is ours.
    let ran = exec(&["-T", "web", "cat", "/etc/hosts"]);
    assert_eq!(ran.code(), 3, "{}", ran.stderr());
    assert_eq!(proxy.faults.load(Ordering::SeqCst), 1, "one ExecuteCommand");
    let argv = std::fs::read_to_string(bin.path().join("argv")).unwrap();
    let argv: Vec<&str> = argv.lines().collect();
    assert_eq!(
        argv[..4],
        [
            "AWS_SSM_START_SESSION_RESPONSE",
            "us-east-1",
            "StartSession",
            ""
        ]
    );
    let target: serde_json::Value = serde_json::from_str(argv[4]).unwrap();
    assert_eq!(target["Target"], format!("ecs:demo_{task}_web-runtime"));
    assert_eq!(argv[5], endpoint);
    // The session, token included, comes through the environment only.
    let session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bin.path().join("session")).unwrap())
            .unwrap();
    assert_eq!(session["SessionId"], "ecs-execute-command-cat+/etc/hosts");
    assert_eq!(session["TokenValue"], EXEC_TOKEN);
    assert!(!argv.iter().any(|a| a.contains(EXEC_TOKEN)));

    // A sidecar is reached in its main service's task, in its own container.
    let side = exec(&["metrics", "sh"]);
    assert_eq!(side.code(), 3, "{}", side.stderr());
    let session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bin.path().join("session")).unwrap())
            .unwrap();
    assert_eq!(session["SessionId"], "ecs-execute-command-sh");
    let argv = std::fs::read_to_string(bin.path().join("argv")).unwrap();
    let target: serde_json::Value = serde_json::from_str(argv.lines().nth(4).unwrap()).unwrap();
    assert_eq!(target["Target"], format!("ecs:demo_{task}_metrics-runtime"));
    assert_eq!(proxy.faults.load(Ordering::SeqCst), 2);
}

#[test]
fn a_create_whose_answer_is_lost_is_followed_as_our_own() {
    let moto = Moto::start();
    let proxy = FaultyProxy::with(moto.port, Fault::LoseCreateStackAnswer);
    let app = App::new();
    let endpoint = format!("http://localhost:{}", proxy.port);
    let up = app.run_at(&endpoint, &["up", "--progress", "plain"]).ok();
    assert!(
        proxy.faults.load(Ordering::SeqCst) >= 1,
        "no answer was lost"
    );
    has(&up.stdout(), "Stack demo CREATE_COMPLETE");
    assert_eq!(moto.fixture(&["stacks"]), "demo");
}

#[test]
fn debug_logs_every_call_with_its_request_id_and_no_secret() {
    let moto = Moto::start();
    let proxy = FaultyProxy::start(moto.port, 12);
    let app = App::new();
    let endpoint = format!("http://localhost:{}", proxy.port);
    let secret = std::fs::read_to_string(app.path("token.txt")).unwrap();
    let mut cmd = Command::new(common::docker_ecs());
    cmd.current_dir(app.dir.path()).args([
        "-f",
        "compose.yaml",
        "-f",
        "moto.yaml",
        "--debug",
        "up",
        "--progress",
        "plain",
    ]);
    aws_env(&mut cmd, app.dir.path(), &endpoint);
    cmd.env("RUST_LOG", "trace");
    let up = Result(cmd.output().unwrap()).ok();
    let mut cmd = Command::new(common::docker_ecs());
    cmd.current_dir(app.dir.path())
        .args(["--debug", "-p", "demo", "secret", "create", "extra"])
        .arg(app.path("token.txt"));
    aws_env(&mut cmd, app.dir.path(), &endpoint);
    cmd.env("RUST_LOG", "trace");
    let created = Result(cmd.output().unwrap()).ok();
    let log = format!("{}{}", up.stderr(), created.stderr());
    has(
        &log,
        "debug: cloudformation.CreateStack region=us-east-1 attempt=",
    );
    has(
        &log,
        "debug: secretsmanager.CreateSecret region=us-east-1 attempt=",
    );
    has(&log, "debug: ec2.DescribeVpcs region=us-east-1 attempt=");
    // Retries show as later attempts; moto's request IDs are there.
    has(&log, "attempt=2");
    let ids = log
        .lines()
        .filter(|l| {
            l.starts_with("debug: ") && !l.contains("request-id=none") && l.contains("request-id=")
        })
        .count();
    assert!(ids >= 10, "only {ids} lines carry a request ID:\n{log}");
    let all = format!("{}{}{log}", up.stdout(), created.stdout());
    assert!(!all.contains(secret.trim()), "the secret value was printed");
    assert!(
        !all.contains("testing-secret-key"),
        "the secret access key was printed"
    );
    assert!(!all.contains("Signature="), "a signature was printed");
}

#[test]
fn up_survives_throttling_and_server_errors_without_duplicates() {
    let moto = Moto::start();
    let proxy = FaultyProxy::start(moto.port, 40);
    let app = App::new();
    let endpoint = format!("http://localhost:{}", proxy.port);
    let up = app.run_at(&endpoint, &["up", "--progress", "plain"]).ok();
    has(&up.stdout(), "Stack demo CREATE_COMPLETE");
    // Of the first 40 connections (one request each) two in three fail: 26
    // or 27 faults, as a connection may close before its request.
    let faults = proxy.faults.load(Ordering::SeqCst);
    assert!(faults >= 20, "the proxy injected only {faults} faults");
    assert_eq!(moto.fixture(&["stacks"]), "demo");
    assert_eq!(moto.fixture(&["secrets"]), "demo/token");
    let again = app.run_at(&endpoint, &["up"]).ok();
    has(&again.stdout(), "up to date");
    let ps = app.run_at(&endpoint, &["ps"]).ok().stdout();
    has(&ps, "demo-web");
}

/// `docker-ecs` with the test's endpoint and credentials but no region:
/// contexts and flags must supply it.
fn ecs(moto: &Moto, dir: &Path, args: &[&str]) -> Result {
    let mut cmd = Command::new(common::docker_ecs());
    cmd.current_dir(dir).args(args);
    aws_env(&mut cmd, moto.dir.path(), &moto.endpoint());
    cmd.env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("DOCKER_CONFIG", moto.dir.path().join("docker"));
    Result(cmd.output().unwrap())
}

/// Arguments for project `shop` in us-east-1.
fn shop<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    [&["--region", "us-east-1", "-p", "shop"][..], extra].concat()
}

#[test]
fn a_context_supplies_the_region() {
    let moto = Moto::start();
    let here = moto.dir.path().to_path_buf();
    let err = ecs(&moto, &here, &["-p", "demo", "down"]).fails().stderr();
    has(&err, "no AWS region is set");
    ecs(
        &moto,
        &here,
        &[
            "context",
            "create",
            "env",
            "--from-env",
            "--region",
            "eu-west-3",
        ],
    )
    .ok();
    let out = ecs(&moto, &here, &["--context", "env", "-p", "demo", "down"])
        .ok()
        .stdout();
    has(&out, "No stack for project demo in eu-west-3");
    // A flag still wins over the context.
    let out = ecs(
        &moto,
        &here,
        &[
            "--context",
            "env",
            "--region",
            "ap-south-1",
            "-p",
            "demo",
            "down",
        ],
    )
    .ok()
    .stdout();
    has(&out, "in ap-south-1");
    let mut cmd = Command::new(common::docker_ecs());
    cmd.current_dir(&here).args(["-p", "demo", "down"]);
    aws_env(&mut cmd, moto.dir.path(), &moto.endpoint());
    cmd.env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("DOCKER_CONFIG", moto.dir.path().join("docker"))
        .env("DOCKER_CONTEXT", "env");
    let out = Result(cmd.output().unwrap()).ok().stdout();
    has(&out, "in eu-west-3");
    let err = ecs(&moto, &here, &["--context", "nope", "-p", "demo", "down"])
        .fails()
        .stderr();
    has(&err, "context \"nope\" does not exist");
}

#[test]
fn secrets_are_created_listed_inspected_and_removed() {
    let moto = Moto::start();
    let dir = moto.dir.path().to_path_buf();
    std::fs::write(dir.join("pw.txt"), "s3cr3t-value-77").unwrap();

    let arn = ecs(
        &moto,
        &dir,
        &shop(&[
            "secret",
            "create",
            "db-password",
            "pw.txt",
            "--description",
            "the db",
            "-l",
            "team=web",
        ]),
    )
    .ok()
    .stdout();
    assert!(arn.starts_with("arn:aws:secretsmanager:"), "{arn}");
    assert_eq!(moto.fixture(&["secret", "db-password"]), "s3cr3t-value-77");

    // From stdin.
    let mut cmd = Command::new(common::docker_ecs());
    cmd.current_dir(&dir)
        .args(shop(&["secret", "create", "token", "-"]));
    aws_env(&mut cmd, moto.dir.path(), &moto.endpoint());
    let out = common::output_with_stdin(&mut cmd, b"from-stdin");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(moto.fixture(&["secret", "token"]), "from-stdin");

    let ls = ecs(&moto, &dir, &shop(&["secret", "ls"])).ok().stdout();
    assert!(
        ls.contains("db-password") && ls.contains("shop") && ls.contains("the db"),
        "{ls}"
    );
    assert!(!ls.contains("s3cr3t"), "{ls}");
    let inspect = ecs(&moto, &dir, &shop(&["secret", "inspect", "db-password"]))
        .ok()
        .stdout();
    assert!(
        !inspect.contains("s3cr3t"),
        "a value is never printed: {inspect}"
    );
    let v: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(v[0]["Name"], "db-password");
    assert_eq!(v[0]["Project"], "shop");
    assert_eq!(v[0]["Labels"]["team"], "web");

    // Error paths: exit 1 with a sentence.
    let err = ecs(
        &moto,
        &dir,
        &shop(&["secret", "create", "x", "missing.txt"]),
    )
    .fails()
    .stderr();
    has(&err, "secret file missing.txt does not exist");
    let err = ecs(
        &moto,
        &dir,
        &shop(&["secret", "create", "db-password", "pw.txt"]),
    )
    .fails()
    .stderr();
    has(&err, "secret db-password already exists");
    let err = ecs(&moto, &dir, &shop(&["secret", "inspect", "nope"]))
        .fails()
        .stderr();
    has(&err, "no such secret: nope");
    let err = ecs(&moto, &dir, &shop(&["secret", "rm", "nope"]))
        .fails()
        .stderr();
    has(&err, "no such secret: nope");
    let err = ecs(
        &moto,
        &dir,
        &shop(&["secret", "create", "y", "pw.txt", "-l", "novalue"]),
    )
    .fails()
    .stderr();
    has(&err, "\"novalue\" is not KEY=VALUE");

    ecs(
        &moto,
        &dir,
        &shop(&["secret", "rm", "--force", "db-password", "token"]),
    )
    .ok();
    let ls = ecs(&moto, &dir, &shop(&["secret", "ls", "-q"]))
        .ok()
        .stdout();
    assert_eq!(ls, "", "{ls}");
}

#[test]
fn volumes_are_created_listed_inspected_and_removed() {
    let moto = Moto::start();
    let dir = moto.dir.path().to_path_buf();

    let id = ecs(
        &moto,
        &dir,
        &shop(&[
            "volume",
            "create",
            "data",
            "--opt",
            "performance_mode=maxIO",
            "--opt",
            "lifecycle_policy=AFTER_30_DAYS",
        ]),
    )
    .ok()
    .stdout();
    assert!(id.trim().starts_with("fs-"), "{id}");
    let ls = ecs(&moto, &dir, &shop(&["volume", "ls"])).ok().stdout();
    assert!(
        ls.contains(id.trim()) && ls.contains("data") && ls.contains("shop"),
        "{ls}"
    );
    let inspect = ecs(&moto, &dir, &shop(&["volume", "inspect", "data"]))
        .ok()
        .stdout();
    let v: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(v[0]["ID"], id.trim());
    assert_eq!(v[0]["PerformanceMode"], "maxIO");
    assert_eq!(v[0]["Encrypted"], true);
    // The tags `up` looks for when it re-attaches a volume.
    assert_eq!(v[0]["Tags"]["com.docker.compose.volume"], "data");
    assert_eq!(v[0]["Tags"]["com.docker.compose.project"], "shop");

    // Missing volumes are errors, never a crash (the original panicked).
    let err = ecs(&moto, &dir, &shop(&["volume", "inspect", "nope"]))
        .fails()
        .stderr();
    has(&err, "no such volume: nope");
    assert!(!err.contains("panicked"), "{err}");
    let err = ecs(&moto, &dir, &shop(&["volume", "rm", "nope"]))
        .fails()
        .stderr();
    has(&err, "no such volume: nope");
    let err = ecs(
        &moto,
        &dir,
        &shop(&["volume", "create", "x", "--opt", "speed=fast"]),
    )
    .fails()
    .stderr();
    has(&err, "unknown volume option \"speed\"");
    let err = ecs(&moto, &dir, &shop(&["volume", "create", "data"]))
        .fails()
        .stderr();
    has(&err, "volume data already exists");

    ecs(&moto, &dir, &shop(&["volume", "rm", id.trim()])).ok();
    assert_eq!(
        ecs(&moto, &dir, &shop(&["volume", "ls", "-q"]))
            .ok()
            .stdout(),
        ""
    );
}

/// A real registry on a loopback port: Debian's `docker-registry` (the CNCF
/// distribution server) with htpasswd basic auth; images are pushed with
/// `skopeo` from an OCI layout the test writes, with no Docker engine.
struct Registry {
    _child: ChildGuard,
    port: u16,
    dir: tempfile::TempDir,
}

const REGISTRY_USER: &str = "tester";
const REGISTRY_PASSWORD: &str = "s3cret-registry-password";

impl Registry {
    fn start() -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let htpasswd = Command::new("htpasswd")
            .args(["-Bbn", REGISTRY_USER, REGISTRY_PASSWORD])
            .output()
            .expect("htpasswd runs (scripts/test.sh installs apache2-utils)");
        std::fs::write(dir.path().join("htpasswd"), &htpasswd.stdout).unwrap();
        let config = format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\nhttp:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n    realm: test\n    path: {root}/htpasswd\n",
            root = dir.path().display()
        );
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let mut cmd = Command::new("docker-registry");
        cmd.arg("serve").arg(dir.path().join("config.yml"));
        let child = spawn_logged(
            &mut cmd,
            &dir.path().join("registry.log"),
            "docker-registry starts (scripts/test.sh installs it)",
        );
        let registry = Registry {
            _child: ChildGuard(child),
            port,
            dir,
        };
        // An authenticated registry answers /v2/ with 401 once it is up.
        wait_for_status(port, "/v2/", 401, "the registry did not start");
        registry
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Push `repo:tag` whose bytes depend on `build`; its digest.
    fn push(&self, repo: &str, tag: &str, build: &str) -> String {
        let layout = self.dir.path().join(format!("layout-{build}"));
        write_oci_layout(&layout, tag, build);
        let policy = self.dir.path().join("policy.json");
        std::fs::write(
            &policy,
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .unwrap();
        let creds = format!("{REGISTRY_USER}:{REGISTRY_PASSWORD}");
        let dest = format!("docker://{}/{repo}:{tag}", self.host());
        let out = Command::new("skopeo")
            .arg("--policy")
            .arg(&policy)
            .args(["copy", "--dest-tls-verify=false", "--dest-creds", &creds])
            .arg(format!("oci:{}:{tag}", layout.display()))
            .arg(&dest)
            .output()
            .expect("skopeo runs (scripts/test.sh installs it)");
        assert!(
            out.status.success(),
            "skopeo copy: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new("skopeo")
            .arg("--policy")
            .arg(&policy)
            .args([
                "inspect",
                "--tls-verify=false",
                "--creds",
                &creds,
                "--format",
                "{{.Digest}}",
            ])
            .arg(&dest)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "skopeo inspect: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// A Docker config with this registry's credentials.
    fn docker_config(&self, dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        let auth = base64(format!("{REGISTRY_USER}:{REGISTRY_PASSWORD}").as_bytes());
        std::fs::write(
            dir.join("config.json"),
            format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, self.host()),
        )
        .unwrap();
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An OCI image layout of one image: an empty tar layer and a config that
/// names the build, so another build is another digest.
fn write_oci_layout(dir: &Path, tag: &str, build: &str) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let blob = |bytes: &[u8]| {
        let digest = sha256_hex(bytes);
        std::fs::write(blobs.join(&digest), bytes).unwrap();
        (format!("sha256:{digest}"), bytes.len())
    };
    let (layer, layer_size) = blob(&[0u8; 1024]);
    let layer_diff = layer.clone();
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Labels":{{"build":"{build}"}}}},"rootfs":{{"type":"layers","diff_ids":["{layer_diff}"]}}}}"#
    );
    let (config_digest, config_size) = blob(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer}","size":{layer_size}}}]}}"#
    );
    let (manifest_digest, manifest_size) = blob(manifest.as_bytes());
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{manifest_size},"annotations":{{"org.opencontainers.image.ref.name":"{tag}"}}}}]}}"#
        ),
    )
    .unwrap();
}

#[test]
fn a_tag_on_a_registry_resolves_to_its_digest_and_a_re_push_rolls_out() {
    let registry = Registry::start();
    let moto = Moto::start();
    let app = App::new();
    registry.docker_config(&app.path(".docker"));
    let image = format!("{}/shop/web:1.0", registry.host());
    app.edit(&format!("{ECR}/nginx:1.27"), &image);

    let first = registry.push("shop/web", "1.0", "1");
    // convert pins only when asked, and needs no AWS account for it.
    let offline = app.run(&moto, &["convert"]).ok().stdout();
    has(&offline, &image);
    let pinned = app
        .run(&moto, &["convert", "--resolve-image-digests"])
        .ok()
        .stdout();
    has(&pinned, &format!("{}/shop/web@{first}", registry.host()));

    app.run(&moto, &["up", "--progress", "quiet"]).ok();
    assert_eq!(
        moto.fixture(&["image", "demo", "WebTaskDefinition", "web"]),
        format!("{}/shop/web@{first}", registry.host())
    );
    let second = registry.push("shop/web", "1.0", "2");
    assert_ne!(first, second);
    let update = app.run(&moto, &["up", "--progress", "plain"]).ok();
    has(&update.stdout(), "Stack demo UPDATE_COMPLETE");
    assert_eq!(
        moto.fixture(&["image", "demo", "WebTaskDefinition", "web"]),
        format!("{}/shop/web@{second}", registry.host())
    );

    // Without the credentials the registry refuses, and up says what it said.
    std::fs::remove_file(app.path(".docker/config.json")).unwrap();
    let err = app.run(&moto, &["up"]).fails().stderr();
    has(&err, &format!("cannot resolve image {image} to a digest"));
}

/// A project of `names` workers that scale on CPU (120 of them are over
/// 500 resources), and the overlay moto needs (see tests/moto/app/moto.yaml:
/// moto cannot create what these point at).
fn workers(app: &App, names: &[String]) {
    let mut compose = String::from("name: many\nservices:\n");
    let mut overlay = String::from(
        "x-aws-cloudformation:\n  Resources:\n    LogGroup:\n      Properties:\n        KmsKeyId: null\n    LogsKey:\n      Properties:\n        Tags: null\n",
    );
    for name in names {
        compose.push_str(&format!(
            "  {name}:\n    image: {ECR}/busybox:1.36\n    command: [\"sleep\", \"infinity\"]\n    \
             deploy:\n      x-aws-autoscaling: {{cpu: 70, max: 3}}\n"
        ));
        // moto has no Cloud Map in CloudFormation: a child stack could not
        // be given the namespace, so the discovery entries go too.
        let id = ecs::names::normalize(name);
        overlay.push_str(&format!(
            "    {id}Service:\n      Properties:\n        ServiceRegistries: null\n    {id}ServiceDiscoveryEntry: null\n"
        ));
    }
    std::fs::write(app.path("compose.yaml"), compose).unwrap();
    std::fs::write(app.path("moto.yaml"), overlay).unwrap();
}

/// Child stack → (stack ID, its ECS services), as deployed.
fn child_stacks(moto: &Moto) -> BTreeMap<String, (String, String)> {
    moto.fixture(&["child-stacks", "many"])
        .lines()
        .map(|l| {
            let mut f = l.split(' ');
            let id = f.next().unwrap().to_string();
            let stack = f.next().unwrap().to_string();
            (id, (stack, f.next().unwrap_or_default().to_string()))
        })
        .collect()
}

#[test]
fn a_large_project_goes_up_as_nested_stacks_grows_by_one_service_and_goes_down() {
    let moto = Moto::start();
    let app = App::new();
    let mut names: Vec<String> = (0..120).map(|i| format!("w{i}")).collect();
    workers(&app, &names);
    let up = app.run(&moto, &["up", "--progress", "plain"]).ok();
    has(&up.stdout(), "Stack many CREATE_COMPLETE");
    has(&up.stderr(), "child templates in S3 bucket docker-ecs-");
    let first = child_stacks(&moto);
    assert!(first.len() > 60, "{} child stacks", first.len());
    let services: usize = first.values().map(|(_, s)| s.split(',').count()).sum();
    assert_eq!(services, 120);
    let bucket = moto.fixture(&["buckets"]);
    assert!(bucket.starts_with("docker-ecs-"), "{bucket}");
    assert_eq!(
        moto.fixture(&["bucket-settings", &bucket]),
        "Enabled AES256 True {\"com.docker.compose.project\": \"many\"}"
    );

    // ps and logs find the services in the child stacks.
    let ps = app.run(&moto, &["ps", "--format", "json"]).ok().stdout();
    for name in ["w0", "w57", "w119"] {
        has(&ps, &format!("\"{name}\""));
    }
    app.run(&moto, &["logs", "w57"]).ok();
    has(
        &app.run(&moto, &["logs", "nosuch"]).fails().stderr(),
        "nosuch",
    );

    // One more service, in a child stack of its own (moto replaces a child
    // stack whose template changes, where AWS updates it in place).
    let taken: BTreeSet<String> = names.iter().map(|n| ecs::nested::bucket_of(n)).collect();
    let extra = (0..)
        .map(|i| format!("extra{i}"))
        .find(|n| !taken.contains(&ecs::nested::bucket_of(n)))
        .unwrap();
    names.push(extra.clone());
    workers(&app, &names);
    let dry = app.run(&moto, &["up", "--dry-run"]).ok().stdout();
    has(&dry, &ecs::nested::bucket_of(&extra));
    has(&dry, "Dry run: nothing was changed");
    let again = app.run(&moto, &["up", "--progress", "plain"]).ok();
    has(&again.stdout(), "Stack many UPDATE_COMPLETE");
    let second = child_stacks(&moto);
    assert_eq!(second.len(), first.len() + 1);
    for (id, deployed) in &first {
        assert_eq!(
            second.get(id),
            Some(deployed),
            "child stack {id} was touched"
        );
    }
    let new = &second[&ecs::nested::bucket_of(&extra)];
    assert_eq!(new.1, format!("{}Service", ecs::names::normalize(&extra)));
    let ps = app.run(&moto, &["ps", "--format", "json"]).ok().stdout();
    has(&ps, &format!("\"{extra}\""));
    // Only the templates the stack names are left: one per child, and the
    // root's own when it is over the inline limit.
    let objects = moto.fixture(&["objects", &bucket]);
    let roots = objects.lines().filter(|k| k.starts_with("many-")).count();
    assert!(roots <= 1, "{objects}");
    assert_eq!(objects.lines().count(), second.len() + roots, "{objects}");
    has(
        &app.run(&moto, &["up"]).ok().stdout(),
        "Stack many is up to date",
    );

    // A new image for one service is named, as in a single stack, though
    // its task definition is in a child stack.
    moto.push("busybox", "1.37", "5");
    let compose = std::fs::read_to_string(app.path("compose.yaml")).unwrap();
    let w57 = format!("  w57:\n    image: {ECR}/busybox:1.36\n");
    assert!(compose.contains(&w57));
    let bumped = compose.replace(&w57, &format!("  w57:\n    image: {ECR}/busybox:1.37\n"));
    std::fs::write(app.path("compose.yaml"), bumped).unwrap();
    let dry = app.run(&moto, &["up", "--dry-run"]).ok().stderr();
    let notes: Vec<&str> = dry.lines().filter(|l| l.contains("Image of")).collect();
    assert_eq!(notes.len(), 1, "{dry}");
    has(
        notes[0],
        &format!(
            "Image of w57: {} → {}",
            moto.pinned("busybox", "1.36"),
            moto.pinned("busybox", "1.37")
        ),
    );

    // ls shows one project, not its children.
    assert_eq!(app.run(&moto, &["ls", "-q"]).ok().stdout(), "many\n");

    let down = app.run(&moto, &["down", "--progress", "plain"]).ok();
    has(&down.stdout(), "Stack many deleted");
    has(&down.stdout(), &format!("S3 bucket {bucket}"));
    assert_eq!(moto.fixture(&["stack-status", "many"]), "NONE");
    assert_eq!(
        moto.fixture(&["buckets"]),
        "",
        "the template bucket is gone"
    );
    assert_eq!(moto.fixture(&["stacks"]), "", "no child stack is left");
}
