#!/usr/bin/env bash
# Fuzz every target (or those named) for SECONDS each, seeded from the
# repository's own Compose files, with a memory limit and a 1 s limit per
# input. Needs cargo-fuzz (`cargo install cargo-fuzz`); the fuzz build alone
# uses RUSTC_BOOTSTRAP=1 on the stable toolchain for its nightly flags.
#
#   scripts/fuzz.sh 600                 # every target, 10 minutes each
#   scripts/fuzz.sh 60 yaml load        # two targets, a minute each
#
# Findings land in fuzz/artifacts/<target>/; the libFuzzer log of each run in
# fuzz/logs/<target>.log (executions, coverage, features, peak RSS).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(yaml interpolate load load_convert structured)

export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/docker-ecs/fuzz-target}"
cd "$root/fuzz"
cargo fuzz build -O

mkdir -p logs
for t in "${targets[@]}"; do
  corpus="corpus/$t"
  mkdir -p "$corpus"
  if [ "$t" != structured ]; then
    # Seeds: every Compose file and env file the tests and examples hold.
    find "$root/crates" "$root/examples" -type f \
      \( -name '*.yaml' -o -name '*.yml' -o -name '*.env' -o -name '.env' \) \
      -size -64k -exec cp -t "$corpus" {} + 2>/dev/null || true
  fi
  echo "==> fuzzing $t for ${seconds}s"
  # time(1) records the CPU time the run really had (user + system).
  /usr/bin/time -f "cpu: %U user %S system seconds, peak %M KB" -o "logs/$t.time" \
    cargo fuzz run -O "$t" "$corpus" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -timeout=1 -max_len=65536 -print_final_stats=1 2>&1 | tee "logs/$t.log" | grep -E '^#[0-9]+.*(DONE|pulse)|ERROR|SUMMARY|Done' || true
  cat "logs/$t.time"
done
