//! Projects too large for one CloudFormation stack: `convert` splits them
//! into a root stack and child stacks, each inside every CloudFormation
//! limit and clean under cfn-lint.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn convert_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(docker_ecs());
    clean_env(&mut cmd, dir);
    cmd.current_dir(dir).arg("convert").args(args);
    cmd.output().expect("docker-ecs runs")
}

/// CloudFormation's limits, as the AWS documentation gives them.
const RESOURCES: usize = 500;
const PARAMETERS: usize = 200;
const OUTPUTS: usize = 200;
const BY_URL: usize = 1_000_000;

fn count(template: &Value, section: &str) -> usize {
    template[section].as_object().map_or(0, |m| m.len())
}

/// Every template of a conversion written with `-o DIR/stack.json`.
fn templates(dir: &Path) -> Vec<(PathBuf, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p, v)
        })
        .collect()
}

#[test]
fn generated_apps_fit_every_limit_in_one_stack_or_in_nested_stacks() {
    let work = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut shapes = Vec::new();
    for n in [49, 50, 51, 500, 1000] {
        let app = work.path().join(format!("app{n}"));
        std::fs::create_dir_all(app.join("out")).unwrap();
        std::fs::write(app.join("compose.yaml"), generated_app(n)).unwrap();
        let o = convert_in(&app, &["--format", "json", "-o", "out/stack.json"]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{n} services: {stderr}");
        let all = templates(&app.join("out"));
        let root = &all
            .iter()
            .find(|(p, _)| p.ends_with("stack.json"))
            .unwrap()
            .1;
        let children = root["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == "AWS::CloudFormation::Stack")
            .count();
        assert_eq!(
            children + 1,
            all.len(),
            "{n}: a child template per child stack"
        );
        let mut services = 0;
        for (path, t) in &all {
            let compact = serde_json::to_string(t).unwrap().len();
            let name = path.file_name().unwrap().to_string_lossy();
            assert!(
                count(t, "Resources") <= RESOURCES,
                "{name}: {} resources",
                count(t, "Resources")
            );
            assert!(
                count(t, "Parameters") <= PARAMETERS,
                "{name}: {} parameters",
                count(t, "Parameters")
            );
            assert!(
                count(t, "Outputs") <= OUTPUTS,
                "{name}: {} outputs",
                count(t, "Outputs")
            );
            assert!(compact <= BY_URL, "{name}: {compact} bytes");
            services += t["Resources"]
                .as_object()
                .unwrap()
                .values()
                .filter(|r| r["Type"] == "AWS::ECS::Service")
                .count();
        }
        assert_eq!(services, n, "{n}: every service is in exactly one template");
        if children == 0 {
            let compact = serde_json::to_string(root).unwrap().len();
            assert!(compact <= BY_URL, "{n}: one stack of {compact} bytes");
        } else {
            assert!(stderr.contains("child stacks"), "{n}: {stderr}");
            for (_, t) in all.iter().filter(|(p, _)| !p.ends_with("stack.json")) {
                // Children travel by URL; the root too when over 51,200 bytes.
                assert!(serde_json::to_string(t).unwrap().len() <= BY_URL);
            }
        }
        shapes.push((n, children));
        files.extend(all.into_iter().map(|(p, _)| p));
    }
    // About ten resources a service: the wall is between 50 and 51.
    assert_eq!(shapes[0].1, 0, "49 services fit in one stack: {shapes:?}");
    assert_eq!(shapes[1].1, 0, "50 services fit in one stack: {shapes:?}");
    assert!(
        shapes[2].1 > 0,
        "51 services need nested stacks: {shapes:?}"
    );
    assert!(shapes[4].1 > 200, "1,000 services spread out: {shapes:?}");
    let findings = cfn_lint_findings(&files);
    assert!(findings.is_empty(), "cfn-lint findings:\n{findings}");
}

#[test]
fn every_fixture_passes_cfn_lint_as_nested_stacks() {
    let out = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for root in ["crates/ecs/tests/fixtures", "examples"] {
        for dir in std::fs::read_dir(workspace_root().join(root)).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.join("compose.yaml").is_file() {
                continue;
            }
            let name = dir.file_name().unwrap().to_string_lossy().to_string();
            let target = out.path().join(&name);
            std::fs::create_dir_all(&target).unwrap();
            let file = target.join("stack.yaml");
            let o = convert_in(&dir, &["--nested-stacks", "-o", file.to_str().unwrap()]);
            assert!(
                o.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let written: Vec<PathBuf> = std::fs::read_dir(&target)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            // A project without services has nothing to split.
            let text = std::fs::read_to_string(&file).unwrap();
            if text.contains("AWS::ECS::Service") {
                panic!("{name}: a service stayed in the root stack");
            }
            files.extend(written);
        }
    }
    assert!(files.len() >= 100, "{} templates", files.len());
    let findings = cfn_lint_findings(&files);
    assert!(findings.is_empty(), "cfn-lint findings:\n{findings}");
}

#[test]
fn children_go_beside_the_output_file_or_into_a_directory() {
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("compose.yaml"), generated_app(3)).unwrap();
    let o = convert_in(app.path(), &["--nested-stacks", "-o", "stack.yaml"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let root = std::fs::read_to_string(app.path().join("stack.yaml")).unwrap();
    let mut children: Vec<String> = std::fs::read_dir(app.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("stack.Services") && n.ends_with(".yaml"))
        .collect();
    children.sort();
    assert!(!children.is_empty());
    for c in &children {
        let id = c.trim_start_matches("stack.").trim_end_matches(".yaml");
        assert!(
            root.contains(&format!("  {id}:\n    Type: AWS::CloudFormation::Stack")),
            "{id}"
        );
    }

    // --output-dir, and stdout for the root.
    let o = convert_in(app.path(), &["--nested-stacks", "--output-dir", "children"]);
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stdout), root, "the same root");
    let n = std::fs::read_dir(app.path().join("children"))
        .unwrap()
        .count();
    assert_eq!(n, children.len());

    // Nowhere to write them: say so, and how.
    let o = convert_in(app.path(), &["--nested-stacks"]);
    assert!(o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("-o FILE or --output-dir DIR"), "{stderr}");
}

/// Modification times of every file in `dir`, by name.
fn mtimes(dir: &Path) -> std::collections::BTreeMap<String, std::time::SystemTime> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            (name, e.metadata().unwrap().modified().unwrap())
        })
        .collect()
}

#[test]
fn a_rerun_rewrites_only_the_templates_that_changed() {
    let app = tempfile::tempdir().unwrap();
    let compose = app.path().join("compose.yaml");
    std::fs::write(&compose, generated_app(3)).unwrap();
    let out = app.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let convert = || {
        let o = convert_in(app.path(), &["--nested-stacks", "-o", "out/stack.yaml"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    convert();
    // Back-date every template, so that a rewrite shows in its mtime.
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    for name in mtimes(&out).keys() {
        let f = std::fs::File::options()
            .write(true)
            .open(out.join(name))
            .unwrap();
        f.set_modified(old).unwrap();
    }
    // The root's metadata lists each child's services: `    Child:` then
    // `      - svc`.
    let svc1_child = |root: &str| {
        let mut child = None;
        for line in root.lines() {
            if let Some(key) = line.strip_prefix("    ").and_then(|l| l.strip_suffix(':')) {
                child = Some(key.to_string());
            }
            if line == "      - svc1" {
                return child.expect("a child above svc1");
            }
        }
        panic!("the root lists no child for svc1:\n{root}")
    };

    // The same project: nothing is touched.
    convert();
    assert!(
        mtimes(&out).values().all(|t| *t == old),
        "{:?}",
        mtimes(&out)
    );

    // One service changes: its child and the root (which names the child's
    // content) are rewritten, and nothing else.
    let root = std::fs::read_to_string(out.join("stack.yaml")).unwrap();
    let child = svc1_child(&root);
    let edited = generated_app(3).replace("SERVICE: svc1}", "SERVICE: svc1, EDITED: yes}");
    assert_ne!(edited, generated_app(3));
    std::fs::write(&compose, edited).unwrap();
    convert();
    let rewritten: Vec<String> = mtimes(&out)
        .into_iter()
        .filter(|(_, t)| *t != old)
        .map(|(name, _)| name)
        .collect();
    let expected = vec![format!("stack.{child}.yaml"), "stack.yaml".to_string()];
    assert_eq!(rewritten, expected);

    // A file of the same size but other content is rewritten too.
    let path = out.join(format!("stack.{child}.yaml"));
    let len = std::fs::metadata(&path).unwrap().len() as usize;
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, "#".repeat(len)).unwrap();
    convert();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), good);
}

#[test]
fn a_project_that_fits_keeps_its_single_template() {
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("compose.yaml"), generated_app(3)).unwrap();
    let o = convert_in(app.path(), &["-o", "stack.yaml"]);
    assert!(o.status.success());
    let files = std::fs::read_dir(app.path()).unwrap().count();
    assert_eq!(files, 2, "compose.yaml and stack.yaml only");
    let text = std::fs::read_to_string(app.path().join("stack.yaml")).unwrap();
    assert!(!text.contains("AWS::CloudFormation::Stack"));
    assert!(!text.contains("NestedTemplatesUrl"));
}

#[test]
fn overlays_land_in_the_template_that_holds_the_resource() {
    let app = tempfile::tempdir().unwrap();
    let mut compose = generated_app(3);
    compose.push_str(
        "x-aws-cloudformation:\n  Resources:\n    Svc1Service:\n      Properties:\n        DesiredCount: 7\n    \
         Cluster:\n      Properties:\n        ClusterName: renamed\n    NoSuchThing:\n      Properties:\n        X: 1\n",
    );
    std::fs::write(app.path().join("compose.yaml"), compose).unwrap();
    let o = convert_in(
        app.path(),
        &["--nested-stacks", "--format", "json", "-o", "stack.json"],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("x-aws-cloudformation.Resources.NoSuchThing")
            && stderr.contains("matches nothing"),
        "{stderr}"
    );
    let all = templates(app.path());
    let holding: Vec<&PathBuf> = all
        .iter()
        .filter(|(_, t)| t["Resources"]["Svc1Service"].is_object())
        .map(|(p, _)| p)
        .collect();
    assert_eq!(holding.len(), 1);
    let (_, child) = all.iter().find(|(p, _)| p == holding[0]).unwrap();
    assert!(!holding[0].ends_with("stack.json"), "in a child stack");
    assert_eq!(
        child["Resources"]["Svc1Service"]["Properties"]["DesiredCount"],
        7
    );
    let root = &all
        .iter()
        .find(|(p, _)| p.ends_with("stack.json"))
        .unwrap()
        .1;
    assert_eq!(
        root["Resources"]["Cluster"]["Properties"]["ClusterName"],
        "renamed"
    );
    for (_, t) in &all {
        assert!(t["Resources"]["NoSuchThing"].is_null());
    }
}

#[test]
fn a_sub_with_a_variable_map_is_wired_like_any_other() {
    let app = tempfile::tempdir().unwrap();
    let mut compose = generated_app(3);
    // `CloudMap.Arn` is the root's; `LogsKey` names a root resource too,
    // but here it is the variable map's own. (`$$`: Compose interpolates
    // extensions as well.)
    compose.push_str(
        "x-aws-cloudformation:\n  Resources:\n    Svc1Service:\n      Properties:\n        Tags:\n          \
         - Key: namespace\n            Value:\n              Fn::Sub:\n                \
         - \"$${CloudMap.Arn}/$${LogsKey}\"\n                - LogsKey: {Ref: AWS::Region}\n",
    );
    std::fs::write(app.path().join("compose.yaml"), compose).unwrap();
    let o = convert_in(
        app.path(),
        &["--nested-stacks", "--format", "json", "-o", "stack.json"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let all = templates(app.path());
    let (_, child) = all
        .iter()
        .find(|(_, t)| t["Resources"]["Svc1Service"].is_object())
        .unwrap();
    let tags = &child["Resources"]["Svc1Service"]["Properties"]["Tags"];
    let sub = tags
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["Key"] == "namespace")
        .map(|t| &t["Value"]["Fn::Sub"])
        .unwrap();
    assert_eq!(sub[0], "${CloudMapArn}/${LogsKey}");
    assert_eq!(
        sub[1],
        serde_json::json!({"LogsKey": {"Ref": "AWS::Region"}})
    );
    assert!(child["Parameters"]["CloudMapArn"].is_object());
    assert!(child["Parameters"]["LogsKey"].is_null());
    let files: Vec<PathBuf> = all.into_iter().map(|(p, _)| p).collect();
    let findings = cfn_lint_findings(&files);
    assert!(findings.is_empty(), "cfn-lint findings:\n{findings}");
}

#[test]
fn a_root_resource_cannot_name_what_a_child_holds() {
    let app = tempfile::tempdir().unwrap();
    let extra = |body: &str| {
        format!(
            "{}x-aws-cloudformation:\n  Resources:\n    Extra:\n      Type: AWS::SSM::Parameter\n{body}",
            generated_app(3)
        )
    };
    let props = "      Properties:\n        Type: String\n        Value:\n";
    let cases = [
        // Named in a Sub's text, and in its variable map.
        format!("{props}          Fn::Sub: [\"$${{Svc1Service}}\", {{}}]\n"),
        format!("{props}          Fn::Sub: [\"$${{X}}\", {{X: {{Ref: Svc1Service}}}}]\n"),
        // A single DependsOn.
        format!("      DependsOn: Svc1Service\n{props}          x\n"),
    ];
    for body in &cases {
        std::fs::write(app.path().join("compose.yaml"), extra(body)).unwrap();
        let o = convert_in(app.path(), &["--nested-stacks"]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{body}\n{stderr}");
        assert!(
            stderr.contains("root resource Extra refers to Svc1Service"),
            "{body}\n{stderr}"
        );
    }
    // The variable map's own name is not the child's resource.
    let local = format!("{props}          Fn::Sub: [\"$${{Svc1Service}}\", {{Svc1Service: x}}]\n");
    std::fs::write(app.path().join("compose.yaml"), extra(&local)).unwrap();
    let o = convert_in(app.path(), &["--nested-stacks"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
