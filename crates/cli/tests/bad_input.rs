//! Bad input: every case must exit 1 (never panic) with one error that names
//! the file, the line and column where one exists, the key path, and says what
//! to do (`help:`). Where Docker Compose also rejects the input, we check that
//! it does, so our verdict is never laxer than Compose's.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

struct Bad {
    name: &'static str,
    files: &'static [(&'static str, &'static [u8])],
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    /// Substrings the error must contain (file:line:col, key path, message).
    expect: &'static [&'static str],
    /// Docker Compose rejects it too (false where it hangs or accepts it).
    oracle_rejects: bool,
}

const fn bad(
    name: &'static str,
    files: &'static [(&'static str, &'static [u8])],
    expect: &'static [&'static str],
) -> Bad {
    Bad {
        name,
        files,
        args: &[],
        env: &[],
        expect,
        oracle_rejects: true,
    }
}

const BILLION_LAUGHS: &[u8] = b"x-a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]
x-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
x-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
x-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
x-f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
x-g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
x-h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
x-i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
services:
  web:
    image: nginx
";

fn cases() -> Vec<Bad> {
    vec![
        bad("yaml-indentation", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n   ports: [\"80\"]\n")],
            &["compose.yaml:4:4", "invalid YAML"]),
        bad("yaml-unclosed-quote", &[("compose.yaml", b"services:\n  web:\n    image: \"nginx\n    ports: []\n")],
            &["compose.yaml:", "invalid YAML"]),
        bad("yaml-unclosed-bracket", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    ports: [\"80:80\"\n")],
            &["compose.yaml:", "invalid YAML"]),
        bad("yaml-tab-indentation", &[("compose.yaml", b"services:\n\tweb:\n\t\timage: nginx\n")],
            &["compose.yaml:2:", "invalid YAML"]),
        bad("duplicate-key", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    image: httpd\n")],
            &["compose.yaml:4:5", "duplicate key `image`"]),
        Bad { oracle_rejects: false, ..bad("alias-bomb", &[("compose.yaml", BILLION_LAUGHS)],
            &["compose.yaml:", "alias"]) },
        bad("non-utf8", &[("compose.yaml", b"services:\n  web:\n    image: ngin\xff\xfex\n")],
            &["compose.yaml", "invalid UTF-8 at line 3, column 16"]),
        bad("empty-file", &[("compose.yaml", b"")], &["compose.yaml", "empty compose file"]),
        bad("top-level-list", &[("compose.yaml", b"- services\n- web\n")],
            &["compose.yaml:1:1", "top-level object must be a mapping"]),
        bad("unknown-top-level-key", &[("compose.yaml", b"services:\n  web:\n    image: nginx\nservice:\n  db: {}\n")],
            &["compose.yaml:4:1", "unknown key `service`", "did you mean `services`"]),
        bad("unknown-service-key", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    restrat: always\n")],
            &["compose.yaml:4:5", "services.web", "unknown key `restrat`", "did you mean `restart`"]),
        bad("unknown-nested-key", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    deploy:\n      replica: 2\n")],
            &["compose.yaml:5:7", "services.web.deploy", "unknown key `replica`", "did you mean `replicas`"]),
        bad("ports-wrong-type", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    ports: {http: 80}\n")],
            &["compose.yaml:4:12", "services.web.ports", "must be a list"]),
        bad("image-wrong-type", &[("compose.yaml", b"services:\n  web:\n    image: [nginx]\n")],
            &["compose.yaml:3:12", "services.web.image", "must be a string"]),
        bad("replicas-not-a-number", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    deploy:\n      replicas: lots\n")],
            &["compose.yaml:5:17", "services.web.deploy.replicas", "invalid integer \"lots\""]),
        bad("invalid-boolean", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    privileged: \"maybe\"\n")],
            &["compose.yaml:4:17", "services.web.privileged", "invalid boolean"]),
        Bad { env: &[], ..bad("missing-required-variable", &[("compose.yaml", b"services:\n  web:\n    image: \"${IMAGE:?set IMAGE first}\"\n")],
            &["compose.yaml:3:12", "services.web.image", "required variable IMAGE is missing a value: set IMAGE first"]) },
        bad("invalid-interpolation", &[("compose.yaml", b"services:\n  web:\n    image: \"nginx:${}\"\n")],
            &["compose.yaml:3:12", "services.web.image", "invalid interpolation format"]),
        bad("undefined-secret", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    secrets: [db_password]\n")],
            &["compose.yaml:4:15", "services.web.secrets[0]", "undefined secret db_password"]),
        bad("undefined-network", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    networks: [front]\n")],
            &["compose.yaml:4:16", "services.web.networks.front", "undefined network front"]),
        bad("undefined-volume", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    volumes: [\"data:/data\"]\n")],
            &["compose.yaml:4:15", "services.web.volumes[0]", "undefined volume data"]),
        bad("undefined-config", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    configs: [app]\n")],
            &["compose.yaml:4:15", "services.web.configs[0]", "undefined config app"]),
        bad("dependency-cycle", &[("compose.yaml", b"services:\n  a:\n    image: a\n    depends_on: [b]\n  b:\n    image: b\n    depends_on: [a]\n")],
            &["compose.yaml:4:17", "services.a.depends_on", "dependency cycle detected: a -> b -> a"]),
        bad("depends-on-unknown-service", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    depends_on: [dbb]\n")],
            &["compose.yaml:4:18", "services.web.depends_on.dbb", "undefined service \"dbb\""]),
        bad("extends-missing-file", &[("compose.yaml", b"services:\n  web:\n    extends:\n      file: base.yaml\n      service: app\n")],
            &["compose.yaml:4:7", "services.web.extends", "base.yaml does not exist"]),
        bad("extends-unknown-service", &[("compose.yaml", b"services:\n  web:\n    extends: nope\n")],
            &["compose.yaml:3:14", "services.web.extends", "cannot extend service \"nope\""]),
        bad("extends-cycle", &[("compose.yaml", b"services:\n  a:\n    extends: b\n  b:\n    extends: a\n")],
            &["compose.yaml:", "services.", "circular reference"]),
        bad("include-missing-file", &[("compose.yaml", b"include:\n  - other/compose.yaml\nservices:\n  web:\n    image: nginx\n")],
            &["compose.yaml:2:5", "include[0]", "other/compose.yaml does not exist"]),
        bad("include-cycle", &[
                ("compose.yaml", b"include:\n  - b.yaml\nservices:\n  web:\n    image: nginx\n"),
                ("b.yaml", b"include:\n  - compose.yaml\nservices:\n  db:\n    image: db\n"),
            ], &["b.yaml:2:5", "include[0]", "include cycle detected"]),
        bad("bad-duration", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    healthcheck:\n      interval: 5x\n")],
            &["compose.yaml:5:17", "services.web.healthcheck.interval", "unknown unit \"x\""]),
        bad("bad-byte-size", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    shm_size: 5qb\n")],
            &["compose.yaml:4:15", "services.web.shm_size", "invalid suffix"]),
        bad("bad-port-protocol", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    ports: [\"80:80/http\"]\n")],
            &["compose.yaml:4:13", "services.web.ports[0]", "invalid proto: http"]),
        bad("bad-port-number", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    ports: [\"70000:80\"]\n")],
            &["compose.yaml:4:13", "services.web.ports[0]", "invalid hostPort: 70000"]),
        bad("bad-volume-spec", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    volumes: [\"data:/b:ro:extra\"]\n")],
            &["compose.yaml:4:15", "services.web.volumes[0]", "too many colons"]),
        bad("no-image-no-build", &[("compose.yaml", b"services:\n  web:\n    environment: [A=1]\n")],
            &["compose.yaml:3:5", "services.web", "neither an image nor a build context"]),
        Bad { args: &["-p", "Bad Name", "config"], ..bad("invalid-project-name", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n")],
            &["invalid project name \"Bad Name\"", "help:"]) },
        Bad { args: &["-f", "missing.yaml", "config"], ..bad("missing-compose-file", &[("compose.yaml", b"services: {}\n")],
            &["missing.yaml", "does not exist"]) },
        Bad { args: &["--env-file", "nope.env", "config"], ..bad("missing-env-file-flag", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n")],
            &["nope.env", "couldn't find env file"]) },
        bad("missing-service-env-file", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    env_file: web.env\n")],
            &["compose.yaml:4:15", "services.web.env_file[0]", "web.env not found"]),
        bad("bad-dotenv-line", &[
                ("compose.yaml", b"services:\n  web:\n    image: nginx\n"),
                (".env", b"GOOD=1\nBAD KEY=2\n"),
            ], &[".env", "line 2", "unexpected character"]),
        bad("invalid-depends-on-condition", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    depends_on:\n      db: {condition: healthy}\n  db:\n    image: db\n")],
            &["compose.yaml:5:23", "services.web.depends_on.db.condition", "invalid value \"healthy\""]),
        bad("healthcheck-test-prefix", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    healthcheck:\n      test: [\"curl\", \"-f\", \"http://localhost\"]\n")],
            &["compose.yaml:5:13", "services.web.healthcheck.test", "must start either by \"CMD\""]),
        bad("secret-without-source", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    secrets: [token]\nsecrets:\n  token: {}\n")],
            &["compose.yaml:6:10", "secrets.token", "one of file|environment must be set"]),
        bad("invalid-service-name", &[("compose.yaml", b"services:\n  \"web app\":\n    image: nginx\n")],
            &["compose.yaml:2:3", "invalid service name \"web app\""]),
        bad("conflicting-cpus", &[("compose.yaml", b"services:\n  web:\n    image: nginx\n    cpus: 1\n    deploy:\n      resources: {limits: {cpus: \"0.5\"}}\n")],
            &["compose.yaml:3:5", "services.web", "can't set distinct values on 'cpus'"]),
        bad("merge-type-mismatch", &[
                ("compose.yaml", b"services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n"),
                ("compose.override.yaml", b"services:\n  web:\n    ports: {http: 80}\n"),
            ], &["compose.override.yaml:3:12", "services.web.ports", "must be a list"]),
    ]
}

fn write_files(dir: &Path, files: &[(&str, &[u8])]) {
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

fn run(exe: &Path, dir: &Path, case: &Bad) -> std::process::Output {
    let mut cmd = Command::new(exe);
    clean_env(&mut cmd, dir);
    cmd.current_dir(dir);
    for (k, v) in case.env {
        cmd.env(k, v);
    }
    if case.args.is_empty() {
        cmd.arg("config");
    } else {
        cmd.args(case.args);
    }
    cmd.output().expect("the binary runs")
}

#[test]
fn bad_input_fails_cleanly_with_location_and_advice() {
    let cases = cases();
    assert!(cases.len() >= 30, "only {} bad-input cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        write_files(dir.path(), case.files);
        let out = run(&docker_ecs(), dir.path(), case);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut problems = Vec::new();
        if out.status.code() != Some(1) {
            problems.push(format!("exit code {:?}, expected 1", out.status.code()));
        }
        if stderr.contains("panicked") {
            problems.push("panicked".to_string());
        }
        if !stderr.starts_with("error: ") {
            problems.push("does not start with `error: `".to_string());
        }
        if !stderr.contains("help:") {
            problems.push("gives no `help:` advice".to_string());
        }
        for want in case.expect {
            if !stderr.contains(want) {
                problems.push(format!("missing {want:?}"));
            }
        }
        if case.oracle_rejects && run(&compose_oracle(), dir.path(), case).status.success() {
            problems.push("docker compose accepts this input".to_string());
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
