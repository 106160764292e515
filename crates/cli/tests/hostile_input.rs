//! Hostile input: Compose files built to crash, hang or exhaust the process.
//! Each case must end with exit code 1 and a message that names the limit or
//! the problem, never a panic, and well within the hang guard.
//!
//! With `DOCKER_ECS_WRITE_HOSTILE=DIR` the cases are written to `DIR/<name>/`
//! (with an `args` file) and not run: `scripts/hostile-inputs.sh` measures
//! each one's time and memory from there.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Hostile {
    name: &'static str,
    setup: fn(&Path),
    args: &'static [&'static str],
    /// Substrings the error must contain.
    expect: &'static [&'static str],
}

const CONFIG: &[&str] = &["config", "-q"];
const CONVERT: &[&str] = &["convert"];

/// Words of the implementation that a user must never read.
const RUST_WORDS: &[&str] = &[
    "Option<", "struct ", "untagged", "enum ", " u16", " u32", " u64", " i64", " f64", "usize",
    "variant", "panicked",
];

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn service(extra: &str) -> String {
    format!("services:\n  web:\n    image: nginx\n{extra}")
}

#[cfg(unix)]
/// Services s0… each sharing the network of `next(i)`.
fn network_chain(n: usize, next: fn(usize) -> usize) -> String {
    let mut text = String::from("services:\n");
    for i in 0..n {
        let to = next(i);
        text.push_str(&format!(
            "  s{i}:\n    image: nginx\n    network_mode: service:s{to}\n"
        ));
    }
    text
}

fn fifo(dir: &Path, name: &str) {
    let path = dir.join(name);
    let status = Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

fn cases() -> Vec<Hostile> {
    vec![
        // ---- crashes
        Hostile {
            name: "error-past-column-65536",
            setup: |d| {
                let long = "x".repeat(70_000);
                write(
                    d,
                    "compose.yaml",
                    service(&format!("    labels: {{a: {long}, b: [1}}\n")),
                );
            },
            args: CONFIG,
            expect: &["compose.yaml:4:", "invalid YAML"],
        },
        Hostile {
            name: "extends-file-loop-through-two-files",
            setup: |d| {
                write(
                    d,
                    "compose.yaml",
                    "services:\n  web:\n    extends: {file: b.yaml, service: web}\n",
                );
                write(
                    d,
                    "b.yaml",
                    "services:\n  web:\n    extends: {file: compose.yaml, service: web}\n",
                );
            },
            args: CONFIG,
            expect: &["compose.yaml:3:", "circular reference"],
        },
        Hostile {
            name: "extends-file-loop-to-itself",
            setup: |d| {
                write(
                    d,
                    "compose.yaml",
                    "services:\n  web:\n    extends: {file: ./compose.yaml, service: web}\n",
                );
            },
            args: CONFIG,
            expect: &["circular reference"],
        },
        Hostile {
            name: "extends-chain-of-1000-services",
            setup: |d| {
                // Last first, so that resolving starts at the deep end.
                let mut text = String::from("services:\n");
                for i in (1..1000).rev() {
                    text.push_str(&format!("  s{i}:\n    extends: s{}\n", i - 1));
                }
                text.push_str("  s0:\n    image: nginx\n");
                write(d, "compose.yaml", text);
            },
            args: CONFIG,
            expect: &["`extends` chain is deeper than 32"],
        },
        Hostile {
            name: "extends-chain-of-1000-services-first-to-last",
            setup: |d| {
                let mut text = String::from("services:\n  s0:\n    image: nginx\n");
                for i in 1..1000 {
                    text.push_str(&format!("  s{i}:\n    extends: s{}\n", i - 1));
                }
                write(d, "compose.yaml", text);
            },
            args: CONFIG,
            expect: &["`extends` chain is deeper than 32"],
        },
        Hostile {
            name: "depends-on-cycle-through-20000-services",
            setup: |d| {
                // A cycle at the end of a long chain: finding it must not
                // take a stack frame per service.
                // s19999 joins s0: the chain closes.
                write(
                    d,
                    "compose.yaml",
                    network_chain(20_000, |i| (i + 1) % 20_000),
                );
            },
            args: CONVERT,
            expect: &[
                "dependency cycle detected: s0 -> s1 -> s2 -> s3 -> s4 -> … 19991 more … -> s19996 ->",
                "remove its `network_mode`",
            ],
        },
        Hostile {
            name: "sidecar-chain-of-20000-services",
            setup: |d| {
                let chain = network_chain(20_000, |i| i + 1);
                write(d, "compose.yaml", chain + "  s20000:\n    image: nginx\n");
            },
            args: CONVERT,
            expect: &[
                "the task of s20000 would hold 20002 containers",
                "ECS allows 10",
            ],
        },
        Hostile {
            name: "include-chain-of-100-files",
            setup: |d| {
                write(
                    d,
                    "compose.yaml",
                    "include: [f1.yaml]\nservices:\n  web:\n    image: nginx\n",
                );
                for i in 1..100 {
                    write(
                        d,
                        &format!("f{i}.yaml"),
                        format!(
                            "include: [f{}.yaml]\nservices:\n  s{i}:\n    image: nginx\n",
                            i + 1
                        ),
                    );
                }
                write(d, "f100.yaml", "services:\n  last:\n    image: nginx\n");
            },
            args: CONFIG,
            expect: &["`include` is nested deeper than 32 files"],
        },
        Hostile {
            name: "interpolation-nested-30000-deep",
            setup: |d| {
                let mut t = String::from("x");
                for _ in 0..30_000 {
                    t = format!("${{A:-{t}}}");
                }
                write(
                    d,
                    "compose.yaml",
                    format!("services:\n  web:\n    image: \"{t}\"\n"),
                );
            },
            args: CONFIG,
            expect: &[
                "compose.yaml:3:",
                "services.web.image",
                "nested more than 32 levels deep",
            ],
        },
        // ---- hangs
        Hostile {
            name: "port-range-of-40000-ports",
            setup: |d| {
                write(
                    d,
                    "compose.yaml",
                    service("    ports: [\"8000-47999:8000-47999\"]\n"),
                )
            },
            args: CONVERT,
            expect: &["services.web.ports[50]", "at most 50 listeners"],
        },
        #[cfg(unix)]
        Hostile {
            name: "env-file-is-a-fifo",
            setup: |d| {
                fifo(d, "x.env");
                write(d, "compose.yaml", service("    env_file: x.env\n"));
            },
            args: CONFIG,
            expect: &["services.web.env_file[0]", "x.env is a FIFO"],
        },
        #[cfg(unix)]
        Hostile {
            name: "extends-file-is-a-fifo",
            setup: |d| {
                fifo(d, "base.yaml");
                write(
                    d,
                    "compose.yaml",
                    "services:\n  web:\n    extends: {file: base.yaml, service: web}\n",
                );
            },
            args: CONFIG,
            expect: &["services.web.extends", "base.yaml is a FIFO"],
        },
        #[cfg(unix)]
        Hostile {
            name: "include-is-a-fifo",
            setup: |d| {
                fifo(d, "other.yaml");
                write(
                    d,
                    "compose.yaml",
                    format!("include: [other.yaml]\n{}", service("")),
                );
            },
            args: CONFIG,
            expect: &["include[0]", "other.yaml is a FIFO"],
        },
        #[cfg(unix)]
        Hostile {
            name: "label-file-is-a-fifo",
            setup: |d| {
                fifo(d, "labels");
                write(d, "compose.yaml", service("    label_file: labels\n"));
            },
            args: CONFIG,
            expect: &["services.web.label_file[0]", "labels is a FIFO"],
        },
        #[cfg(unix)]
        Hostile {
            name: "secret-file-is-a-fifo",
            setup: |d| {
                fifo(d, "keys.json");
                write(
                    d,
                    "compose.yaml",
                    format!(
                        "{}secrets:\n  keys:\n    file: keys.json\n    x-aws-keys: [\"*\"]\n",
                        service("    secrets: [keys]\n")
                    ),
                );
            },
            args: CONVERT,
            expect: &["secrets.keys", "keys.json is a FIFO"],
        },
        // ---- memory
        #[cfg(unix)]
        Hostile {
            name: "env-file-is-dev-zero",
            setup: |d| write(d, "compose.yaml", service("    env_file: /dev/zero\n")),
            args: CONFIG,
            expect: &["services.web.env_file[0]", "/dev/zero is a device"],
        },
        #[cfg(unix)]
        Hostile {
            name: "extends-file-is-dev-zero",
            setup: |d| {
                write(
                    d,
                    "compose.yaml",
                    "services:\n  web:\n    extends: {file: /dev/zero, service: web}\n",
                )
            },
            args: CONFIG,
            expect: &["services.web.extends", "/dev/zero is a device"],
        },
        #[cfg(unix)]
        Hostile {
            name: "include-is-dev-zero",
            setup: |d| {
                write(
                    d,
                    "compose.yaml",
                    format!("include: [/dev/zero]\n{}", service("")),
                )
            },
            args: CONFIG,
            expect: &["include[0]", "/dev/zero is a device"],
        },
        Hostile {
            name: "env-file-of-5-mib",
            setup: |d| {
                write(d, "big.env", format!("A={}\n", "a".repeat(5 << 20)));
                write(d, "compose.yaml", service("    env_file: big.env\n"));
            },
            args: CONFIG,
            expect: &["big.env is too large", "the limit is 4 MiB"],
        },
        Hostile {
            name: "compose-file-of-17-mib",
            setup: |d| {
                let mut text = service("    labels:\n");
                let line = format!("      - {}\n", "l".repeat(1000));
                while text.len() < 17 << 20 {
                    text.push_str(&line);
                }
                write(d, "compose.yaml", text);
            },
            args: CONFIG,
            expect: &["compose.yaml is too large", "the limit is 16 MiB"],
        },
        Hostile {
            name: "variable-of-1-mib-used-1000-times",
            setup: |d| {
                write(d, ".env", format!("BIG={}\n", "y".repeat(1 << 20)));
                let labels: String = (0..1000)
                    .map(|i| format!("      l{i}: ${{BIG}}\n"))
                    .collect();
                write(
                    d,
                    "compose.yaml",
                    service(&format!("    labels:\n{labels}")),
                );
            },
            args: CONFIG,
            expect: &[
                "services.web.labels.l",
                "variables expand to more than 64 MiB",
            ],
        },
        Hostile {
            name: "env-file-doubling-each-line",
            setup: |d| {
                let mut text = format!("V0={}\n", "z".repeat(1000));
                for i in 1..40 {
                    text.push_str(&format!("V{i}=${{V{0}}}${{V{0}}}\n", i - 1));
                }
                write(d, ".env", text);
                write(d, "compose.yaml", service(""));
            },
            args: CONFIG,
            expect: &[".env", "variables expand to more than 64 MiB"],
        },
        Hostile {
            name: "anchor-of-1-mib-aliased-1000-times",
            setup: |d| {
                let labels: String = (0..1000).map(|i| format!("      l{i}: *big\n")).collect();
                let text = format!(
                    "x-big: &big \"{}\"\n{}",
                    "x".repeat(1 << 20),
                    service(&format!("    labels:\n{labels}"))
                );
                write(d, "compose.yaml", text);
            },
            args: CONFIG,
            expect: &[
                "compose.yaml:",
                "anchors and aliases expand to more than 64 MiB",
            ],
        },
        Hostile {
            name: "merge-key-bomb-with-an-error",
            setup: |d| {
                let mut text = String::from("x-a0: &a0 {k0: v}\n");
                for i in 1..16 {
                    text.push_str(&format!(
                        "x-a{i}: &a{i} {{<<: [*a{0}], k{i}: v, m{i}: *a{0}}}\n",
                        i - 1
                    ));
                }
                text.push_str("services:\n  web:\n    image: nginx\n    x-z: *a15\n   bad: [\n");
                write(d, "compose.yaml", text);
            },
            args: CONFIG,
            expect: &["compose.yaml:", "merge keys"],
        },
        // ---- unclear messages
        Hostile {
            name: "file-with-only-version",
            setup: |d| write(d, "compose.yaml", "version: \"3.8\"\n"),
            args: CONFIG,
            expect: &["empty compose file", "compose.yaml defines nothing"],
        },
        Hostile {
            name: "services-reset-to-null",
            setup: |d| write(d, "compose.yaml", "services: !reset null\n"),
            args: CONFIG,
            expect: &["empty compose file", "compose.yaml defines nothing"],
        },
        Hostile {
            name: "ulimit-number-too-large",
            setup: |d| {
                write(
                    d,
                    "compose.yaml",
                    service("    ulimits:\n      nofile: {soft: 99999999999999999999, hard: 1}\n"),
                )
            },
            args: CONFIG,
            expect: &["services.web.ulimits.nofile.soft", "must be a whole number"],
        },
        Hostile {
            name: "plain-nesting-128-deep",
            setup: |d| {
                let mut text = service("    x-deep:\n");
                let mut indent = String::from("      ");
                for _ in 0..128 {
                    text.push_str(&format!("{indent}a:\n"));
                    indent.push_str("  ");
                }
                text.push_str(&format!("{indent}b: 1\n"));
                write(d, "compose.yaml", text);
            },
            args: CONFIG,
            expect: &["nested more than 64 levels deep"],
        },
        Hostile {
            name: "project-name-from-env-file",
            setup: |d| {
                write(d, ".env", "COMPOSE_PROJECT_NAME=!!!\n");
                write(d, "compose.yaml", service(""));
            },
            args: CONFIG,
            expect: &[
                "invalid project name \"!!!\"",
                "from COMPOSE_PROJECT_NAME in",
                ".env",
                "such as \"myapp\"",
            ],
        },
        Hostile {
            name: "include-env-file-missing",
            setup: |d| {
                write(
                    d,
                    "sub/compose.yaml",
                    "services:\n  db:\n    image: postgres\n",
                );
                write(
                    d,
                    "compose.yaml",
                    format!(
                        "include:\n  - path: sub/compose.yaml\n    env_file: sub/missing.env\n{}",
                        service("")
                    ),
                );
            },
            args: CONFIG,
            expect: &["include[0]", "sub/missing.env does not exist"],
        },
        Hostile {
            name: "types-in-compose-words",
            setup: |d| write(d, "compose.yaml", service("    deploy: 1\n")),
            args: CONFIG,
            expect: &[
                "services.web.deploy",
                "must be a mapping, found the number 1",
            ],
        },
        Hostile {
            name: "port-target-out-of-range",
            setup: |d| {
                write(
                    d,
                    "compose.yaml",
                    service("    ports: [{target: 99999999999}]\n"),
                )
            },
            args: CONFIG,
            expect: &[
                "services.web.ports[0].target",
                "out of range",
                "a whole number from 0 to 4294967295",
            ],
        },
        Hostile {
            name: "healthcheck-retries-negative",
            setup: |d| {
                write(
                    d,
                    "compose.yaml",
                    service("    healthcheck: {test: [CMD, x], retries: -1}\n"),
                )
            },
            args: CONFIG,
            expect: &[
                "services.web.healthcheck.retries",
                "the number -1 is out of range",
            ],
        },
        // ---- accepted, and wrong on AWS
        Hostile {
            name: "negative-replicas",
            setup: |d| write(d, "compose.yaml", service("    deploy: {replicas: -1}\n")),
            args: CONVERT,
            expect: &["services.web.deploy.replicas", "-1 replicas cannot run"],
        },
        Hostile {
            name: "port-zero",
            setup: |d| write(d, "compose.yaml", service("    ports: [\"0:0\"]\n")),
            args: CONVERT,
            expect: &["services.web.ports[0]", "port 0 cannot be published"],
        },
        Hostile {
            name: "cpus-nan",
            setup: |d| write(d, "compose.yaml", service("    cpus: NaN\n")),
            args: CONVERT,
            expect: &["services.web.cpus", "NaN CPUs cannot be reserved"],
        },
        Hostile {
            name: "overlay-of-the-wrong-shape",
            setup: |d| {
                write(
                    d,
                    "compose.yaml",
                    format!("{}x-aws-cloudformation:\n  Resources: [1]\n", service("")),
                )
            },
            args: CONVERT,
            expect: &[
                "x-aws-cloudformation.Resources",
                "`Resources` must be a mapping, found a list",
            ],
        },
        Hostile {
            name: "autoscaling-at-the-service-level",
            setup: |d| {
                write(
                    d,
                    "compose.yaml",
                    service("    x-aws-autoscaling: {cpu: 50, max: 4}\n"),
                )
            },
            args: CONVERT,
            expect: &[
                "services.web.x-aws-autoscaling",
                "does nothing here",
                "service `deploy`",
            ],
        },
    ]
}

/// Run with a generous guard against hangs: a hang fails the test instead
/// of stalling CI.
fn run_guarded(dir: &Path, args: &[&str]) -> Result<std::process::Output, String> {
    let mut cmd = Command::new(docker_ecs());
    clean_env(&mut cmd, dir);
    cmd.current_dir(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary starts");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("the child can be polled").is_some() {
            return Ok(child.wait_with_output().expect("output"));
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            return Err("still running after 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn hostile_input_ends_with_exit_1_and_a_clear_message() {
    let cases = cases();
    if let Some(out) = std::env::var_os("DOCKER_ECS_WRITE_HOSTILE") {
        for case in &cases {
            let dir = Path::new(&out).join(case.name);
            std::fs::create_dir_all(&dir).unwrap();
            (case.setup)(&dir);
            std::fs::write(dir.join("args"), case.args.join("\n")).unwrap();
        }
        return;
    }
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        (case.setup)(dir.path());
        let out = match run_guarded(dir.path(), case.args) {
            Ok(out) => out,
            Err(why) => {
                failures.push(format!("--- {}: {why}", case.name));
                continue;
            }
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut problems = Vec::new();
        if out.status.code() != Some(1) {
            problems.push(format!("exit code {:?}, expected 1", out.status.code()));
        }
        for want in case.expect {
            if !stderr.contains(want) {
                problems.push(format!("missing {want:?}"));
            }
        }
        if !stderr.contains("help:") {
            problems.push("gives no `help:` advice".into());
        }
        for word in RUST_WORDS {
            if stderr.contains(word) {
                problems.push(format!("shows {word:?}"));
            }
        }
        if !problems.is_empty() {
            let head: String = stderr.chars().take(2000).collect();
            failures.push(format!(
                "--- {}: {}\n{head}",
                case.name,
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
