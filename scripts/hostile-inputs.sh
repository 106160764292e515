#!/usr/bin/env bash
# Time and peak memory of docker-ecs on each hostile input of
# crates/cli/tests/hostile_input.rs, with /usr/bin/time, on the release
# binary. The test itself asserts the exit code and message; this script
# measures (a timed test would flake on a shared machine).
#
#   scripts/hostile-inputs.sh            # prints a Markdown table
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/docker-ecs/target}"
cargo build --release --locked -p docker-ecs >/dev/null 2>&1
bin="$CARGO_TARGET_DIR/release/docker-ecs"
cases="$(mktemp -d)"
trap 'rm -rf "$cases"' EXIT
DOCKER_ECS_WRITE_HOSTILE="$cases" cargo test --workspace --locked --test hostile_input -q >/dev/null 2>&1
echo "| case | command | exit | time | peak RSS |"
echo "|---|---|---:|---:|---:|"
for dir in "$cases"/*/; do
  name="$(basename "$dir")"
  mapfile -t args < "$dir/args"
  set +e
  ( cd "$dir" && /usr/bin/time -f "%e %M" -o "$cases/.time" env -i PATH="$PATH" HOME="$dir" \
      "$bin" "${args[@]}" >/dev/null 2>&1 )
  code=$?
  set -e
  # time(1) puts "Command exited with non-zero status" first; the figures last.
  read -r secs kib < <(tail -n 1 "$cases/.time")
  printf '| %s | %s | %s | %s s | %s MB |\n' "$name" "${args[0]}" "$code" "$secs" "$((kib / 1024))"
done
