//! Loading generated Compose projects of growing size.
//!
//! Run with `cargo bench -p compose`. The side-by-side comparison with
//! `docker compose config` is `scripts/bench-config.py` (see docs/performance.md).

use compose::{Environment, LoadOptions};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::fmt::Write;

/// A realistic service mix: ports, interpolated environment, volumes,
/// dependencies, healthchecks and deploy resources.
fn generate(services: usize) -> String {
    let mut y = String::from(
        "name: bench\nx-common: &common\n  restart: unless-stopped\n  labels: [tier=bench]\nservices:\n",
    );
    for i in 0..services {
        let _ = write!(
            y,
            "  svc{i}:\n    <<: *common\n    image: registry.example.com/app/svc{i}:${{TAG:-1.0}}\n    ports: [\"{port}:{port}\"]\n    environment:\n      SERVICE: svc{i}\n      LOG_LEVEL: ${{LOG_LEVEL:-info}}\n    volumes: [\"data:/data/{i}\"]\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:{port}/health\"]\n      interval: 30s\n    deploy:\n      resources: {{limits: {{cpus: \"0.5\", memory: 512M}}}}\n",
            port = 10000 + i
        );
        if i > 0 {
            let _ = writeln!(y, "    depends_on: [svc{}]", i - 1);
        }
    }
    y.push_str("volumes:\n  data: {}\n");
    y
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    for n in [10usize, 100, 1000] {
        let dir = tempfile::tempdir().unwrap();
        let yaml = generate(n);
        std::fs::write(dir.path().join("compose.yaml"), &yaml).unwrap();
        let opts = LoadOptions {
            cwd: dir.path().to_path_buf(),
            environment: Environment::new(),
            ..Default::default()
        };
        group.throughput(Throughput::Bytes(yaml.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &opts, |b, opts| {
            b.iter(|| compose::load(opts).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("load+json", n), &opts, |b, opts| {
            b.iter(|| compose::output::to_json(&compose::load(opts).unwrap().project))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
