//! Structure-aware: `arbitrary` builds Compose projects from the keys that
//! conversion reads (ports, resources, volumes, networks, secrets, deploy,
//! extensions), written as JSON (which is YAML), then load and convert them.
#![no_main]
use arbitrary::Arbitrary;
use docker_ecs_fuzz::scratch;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

#[derive(Arbitrary, Debug)]
struct Project {
    services: Vec<Service>,
    volumes: Vec<(Name, Option<VolumeOpts>)>,
    networks: Vec<(Name, bool)>,
    secrets: Vec<(Name, Option<Vec<Name>>)>,
    overlay: Option<Overlay>,
    logs_retention: Option<i16>,
}

#[derive(Arbitrary, Debug)]
struct Service {
    name: Name,
    image: Option<Image>,
    ports: Vec<Port>,
    env: Vec<(Name, Text)>,
    replicas: Option<i8>,
    cpus: Option<Number>,
    memory: Option<Size>,
    reservations: Option<(Option<Number>, Option<Size>, Option<Gpu>)>,
    volumes: Vec<Mount>,
    networks: Vec<Name>,
    depends_on: Vec<Name>,
    healthcheck: Option<(Vec<Text>, Option<u16>, Option<u8>, Option<u16>)>,
    extends: Option<Name>,
    secrets: Vec<Name>,
    platform: Option<Platform>,
    autoscaling: Option<(Option<Number>, Option<Number>, Option<i8>, Option<i8>)>,
    update: Option<(Option<u8>, Option<i16>, Option<i16>)>,
    placement: Vec<Text>,
    x_aws: Vec<(ServiceExt, Text)>,
    logging: Option<Vec<(LogOption, Text)>>,
}

#[derive(Arbitrary, Debug)]
enum Name { A, B, C, Web, Db, DbData, Front, Back, Weird(Text) }

#[derive(Arbitrary, Debug)]
enum Image { Nginx, Tagged(Text) }

#[derive(Arbitrary, Debug)]
enum Text { Empty, Word, Dollar, Long, Unicode, Raw(String) }

#[derive(Arbitrary, Debug)]
enum Number { Int(i32), Frac(u8, u8), Str(Text), Big }

#[derive(Arbitrary, Debug)]
enum Size { Bytes(u64), Mb(u16), Gb(u8), Str(Text) }

#[derive(Arbitrary, Debug)]
enum Gpu { Devices(Option<i8>, bool), Generic(i8), Gpus(Option<i8>) }

#[derive(Arbitrary, Debug)]
enum Port {
    Short(u16),
    Mapped(u16, u16, bool),
    Range(u16, u8),
    Long { target: u16, published: Option<Text>, udp: bool, protocol: Option<Text>, certificate: bool },
}

#[derive(Arbitrary, Debug)]
enum Mount { Named(Name, Text, bool), Anonymous(Text), Bind(Text, Text), Tmpfs(Text) }

#[derive(Arbitrary, Debug)]
enum Platform { Amd64, Arm64, Other(Text) }

#[derive(Arbitrary, Debug)]
enum ServiceExt { PullCredentials, Role, Policies, AssignPublicIp, Autoscaling, Unknown }

#[derive(Arbitrary, Debug)]
enum LogOption { Group, Region, Prefix, Datetime, Mode, Other }

#[derive(Arbitrary, Debug)]
struct VolumeOpts { uid: Option<Text>, gid: Option<Text>, external: bool, opts: Vec<(Text, Text)> }

#[derive(Arbitrary, Debug)]
enum Overlay { Resource(Name, Text), Wrong(Text), Delete(Name) }

fn text(t: &Text) -> String {
    match t {
        Text::Empty => String::new(),
        Text::Word => "value".into(),
        Text::Dollar => "${UNSET:-d}$$x".into(),
        Text::Long => "x".repeat(300),
        Text::Unicode => "héllo-世界".into(),
        Text::Raw(s) => s.chars().take(200).collect(),
    }
}

fn name(n: &Name) -> String {
    match n {
        Name::A => "a".into(),
        Name::B => "b".into(),
        Name::C => "c".into(),
        Name::Web => "web".into(),
        Name::Db => "db".into(),
        Name::DbData => "db-data".into(),
        Name::Front => "front".into(),
        Name::Back => "back".into(),
        Name::Weird(t) => text(t),
    }
}

fn number(n: &Number) -> Value {
    match n {
        Number::Int(i) => json!(i),
        Number::Frac(a, b) => json!(format!("{a}.{b}")),
        Number::Str(t) => json!(text(t)),
        Number::Big => json!(1e300),
    }
}

fn size(s: &Size) -> Value {
    match s {
        Size::Bytes(b) => json!(b),
        Size::Mb(m) => json!(format!("{m}M")),
        Size::Gb(g) => json!(format!("{g}G")),
        Size::Str(t) => json!(text(t)),
    }
}

fn port(p: &Port) -> Value {
    match p {
        Port::Short(t) => json!(format!("{t}")),
        Port::Mapped(a, b, udp) => json!(format!("{a}:{b}{}", if *udp { "/udp" } else { "" })),
        Port::Range(start, len) => {
            let end = start.saturating_add(u16::from(*len));
            json!(format!("{start}-{end}:{start}-{end}"))
        }
        Port::Long { target, published, udp, protocol, certificate } => {
            let mut m = Map::new();
            m.insert("target".into(), json!(target));
            if let Some(p) = published {
                m.insert("published".into(), json!(text(p)));
            }
            m.insert("protocol".into(), json!(if *udp { "udp" } else { "tcp" }));
            if let Some(p) = protocol {
                m.insert("x-aws-protocol".into(), json!(text(p)));
            }
            if *certificate {
                m.insert("x-aws-certificate".into(), json!("arn:aws:acm:us-east-1:123456789012:certificate/x"));
            }
            Value::Object(m)
        }
    }
}

fn mount(m: &Mount) -> Value {
    match m {
        Mount::Named(n, target, ro) => json!(format!("{}:/{}{}", name(n), text(target), if *ro { ":ro" } else { "" })),
        Mount::Anonymous(t) => json!(format!("/{}", text(t))),
        Mount::Bind(a, b) => json!(format!("./{}:/{}", text(a), text(b))),
        Mount::Tmpfs(t) => json!({"type": "tmpfs", "target": format!("/{}", text(t))}),
    }
}

fn service(s: &Service) -> Value {
    let mut m = Map::new();
    match &s.image {
        Some(Image::Nginx) => { m.insert("image".into(), json!("nginx")); }
        Some(Image::Tagged(t)) => { m.insert("image".into(), json!(format!("repo/{}:1", text(t)))); }
        None => {}
    }
    if let Some(base) = &s.extends {
        m.insert("extends".into(), json!({"service": name(base)}));
    }
    if !s.ports.is_empty() {
        m.insert("ports".into(), Value::Array(s.ports.iter().map(port).collect()));
    }
    if !s.env.is_empty() {
        let env: Map<String, Value> = s.env.iter().map(|(k, v)| (name(k).to_uppercase(), json!(text(v)))).collect();
        m.insert("environment".into(), Value::Object(env));
    }
    if let Some(c) = &s.cpus {
        m.insert("cpus".into(), number(c));
    }
    if let Some(mem) = &s.memory {
        m.insert("mem_limit".into(), size(mem));
    }
    if !s.volumes.is_empty() {
        m.insert("volumes".into(), Value::Array(s.volumes.iter().map(mount).collect()));
    }
    if !s.networks.is_empty() {
        m.insert("networks".into(), Value::Array(s.networks.iter().map(|n| json!(name(n))).collect()));
    }
    if !s.depends_on.is_empty() {
        m.insert("depends_on".into(), Value::Array(s.depends_on.iter().map(|n| json!(name(n))).collect()));
    }
    if !s.secrets.is_empty() {
        m.insert("secrets".into(), Value::Array(s.secrets.iter().map(|n| json!(name(n))).collect()));
    }
    if let Some((test, interval, retries, start)) = &s.healthcheck {
        let mut h = Map::new();
        let mut cmd = vec![json!("CMD")];
        cmd.extend(test.iter().map(|t| json!(text(t))));
        h.insert("test".into(), Value::Array(cmd));
        if let Some(i) = interval { h.insert("interval".into(), json!(format!("{i}s"))); }
        if let Some(r) = retries { h.insert("retries".into(), json!(r)); }
        if let Some(st) = start { h.insert("start_period".into(), json!(format!("{st}s"))); }
        m.insert("healthcheck".into(), Value::Object(h));
    }
    match &s.platform {
        Some(Platform::Amd64) => { m.insert("platform".into(), json!("linux/amd64")); }
        Some(Platform::Arm64) => { m.insert("platform".into(), json!("linux/arm64")); }
        Some(Platform::Other(t)) => { m.insert("platform".into(), json!(text(t))); }
        None => {}
    }
    for (ext, value) in &s.x_aws {
        let (k, v) = match ext {
            ServiceExt::PullCredentials => ("x-aws-pull_credentials", json!(text(value))),
            ServiceExt::Role => ("x-aws-role", json!({"Statement": [{"Effect": "Allow", "Action": text(value), "Resource": "*"}]})),
            ServiceExt::Policies => ("x-aws-policies", json!([text(value)])),
            ServiceExt::AssignPublicIp => ("x-aws-assign_public_ip", json!(value_is_word(value))),
            ServiceExt::Autoscaling => ("x-aws-autoscaling", json!({"cpu": 50, "max": 3})),
            ServiceExt::Unknown => ("x-aws-unknown", json!(text(value))),
        };
        m.insert(k.into(), v);
    }
    if let Some(opts) = &s.logging {
        let o: Map<String, Value> = opts.iter().map(|(k, v)| {
            let key = match k {
                LogOption::Group => "awslogs-group",
                LogOption::Region => "awslogs-region",
                LogOption::Prefix => "awslogs-stream-prefix",
                LogOption::Datetime => "awslogs-datetime-format",
                LogOption::Mode => "mode",
                LogOption::Other => "tag",
            };
            (key.to_string(), json!(text(v)))
        }).collect();
        m.insert("logging".into(), json!({"driver": "awslogs", "options": o}));
    }
    let mut deploy = Map::new();
    if let Some(r) = s.replicas { deploy.insert("replicas".into(), json!(r)); }
    if let Some((cpus, mem, gpu)) = &s.reservations {
        let mut r = Map::new();
        if let Some(c) = cpus { r.insert("cpus".into(), number(c)); }
        if let Some(mm) = mem { r.insert("memory".into(), size(mm)); }
        match gpu {
            Some(Gpu::Devices(count, caps)) => {
                let mut d = Map::new();
                if *caps { d.insert("capabilities".into(), json!(["gpu"])); }
                if let Some(c) = count { d.insert("count".into(), json!(c)); }
                r.insert("devices".into(), json!([d]));
            }
            Some(Gpu::Generic(v)) => { r.insert("generic_resources".into(), json!([{"discrete_resource_spec": {"kind": "gpu", "value": v}}])); }
            Some(Gpu::Gpus(c)) => { m.insert("gpus".into(), match c { Some(c) => json!([{"count": c}]), None => json!("all") }); }
            None => {}
        }
        deploy.insert("resources".into(), json!({"reservations": r}));
    }
    if let Some((cpu, memory, min, max)) = &s.autoscaling {
        let mut a = Map::new();
        if let Some(c) = cpu { a.insert("cpu".into(), number(c)); }
        if let Some(mm) = memory { a.insert("memory".into(), number(mm)); }
        if let Some(v) = min { a.insert("min".into(), json!(v)); }
        if let Some(v) = max { a.insert("max".into(), json!(v)); }
        deploy.insert("x-aws-autoscaling".into(), Value::Object(a));
    }
    if let Some((parallelism, min, max)) = &s.update {
        let mut u = Map::new();
        if let Some(p) = parallelism { u.insert("parallelism".into(), json!(p)); }
        if let Some(v) = min { u.insert("x-aws-min_percent".into(), json!(v)); }
        if let Some(v) = max { u.insert("x-aws-max_percent".into(), json!(v)); }
        deploy.insert("update_config".into(), Value::Object(u));
    }
    if !s.placement.is_empty() {
        deploy.insert("placement".into(), json!({"constraints": s.placement.iter().map(text).collect::<Vec<_>>()}));
    }
    if !deploy.is_empty() {
        m.insert("deploy".into(), Value::Object(deploy));
    }
    Value::Object(m)
}

fn value_is_word(t: &Text) -> bool {
    matches!(t, Text::Word)
}

fn project(p: &Project) -> Value {
    let mut root = Map::new();
    let services: Map<String, Value> = p.services.iter().map(|s| (name(&s.name), service(s))).collect();
    root.insert("services".into(), Value::Object(services));
    if !p.volumes.is_empty() {
        let v: Map<String, Value> = p.volumes.iter().map(|(n, o)| {
            let mut m = Map::new();
            if let Some(o) = o {
                let mut d = Map::new();
                if let Some(u) = &o.uid { d.insert("uid".into(), json!(text(u))); }
                if let Some(g) = &o.gid { d.insert("gid".into(), json!(text(g))); }
                for (k, v) in &o.opts { d.insert(text(k), json!(text(v))); }
                m.insert("driver_opts".into(), Value::Object(d));
                if o.external { m.insert("external".into(), json!(true)); }
            }
            (name(n), Value::Object(m))
        }).collect();
        root.insert("volumes".into(), Value::Object(v));
    }
    if !p.networks.is_empty() {
        let v: Map<String, Value> = p.networks.iter().map(|(n, internal)| (name(n), json!({"internal": internal}))).collect();
        root.insert("networks".into(), Value::Object(v));
    }
    if !p.secrets.is_empty() {
        let v: Map<String, Value> = p.secrets.iter().map(|(n, keys)| {
            let mut m = Map::new();
            m.insert("environment".into(), json!("SECRET_VALUE"));
            if let Some(k) = keys { m.insert("x-aws-keys".into(), json!(k.iter().map(name).collect::<Vec<_>>())); }
            (name(n), Value::Object(m))
        }).collect();
        root.insert("secrets".into(), Value::Object(v));
    }
    match &p.overlay {
        Some(Overlay::Resource(n, t)) => { root.insert("x-aws-cloudformation".into(), json!({"Resources": {name(n): {"Properties": {"X": text(t)}}}})); }
        Some(Overlay::Wrong(t)) => { root.insert("x-aws-cloudformation".into(), json!({"Resources": text(t)})); }
        Some(Overlay::Delete(n)) => { root.insert("x-aws-cloudformation".into(), json!({"Resources": {name(n): null}})); }
        None => {}
    }
    if let Some(r) = p.logs_retention {
        root.insert("x-aws-logs_retention".into(), json!(r));
    }
    Value::Object(root)
}

fuzz_target!(|p: Project| {
    let text = serde_json::to_string(&project(&p)).unwrap();
    let dir = scratch();
    std::fs::write(dir.path().join("compose.yaml"), text).unwrap();
    let mut env = compose::Environment::new();
    env.insert("SECRET_VALUE", "s3cret");
    let opts = compose::LoadOptions {
        cwd: dir.path().to_path_buf(),
        environment: env,
        project_name: Some("fuzz".into()),
        ..Default::default()
    };
    let Ok(loaded) = compose::load(&opts) else { return };
    if let Ok(c) = ecs::convert(&loaded.project, &loaded.positions, &ecs::Options::default()) {
        let json = c.render(ecs::Format::Json);
        let _ = c.render(ecs::Format::Yaml);
        // No secret value ever reaches a template.
        if let Ok(t) = json {
            assert!(!t.contains("s3cret"), "a secret value reached the template");
        }
    }
});
