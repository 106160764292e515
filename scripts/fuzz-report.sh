#!/usr/bin/env bash
# A Markdown table of the last `scripts/fuzz.sh` run of each target, from
# fuzz/logs/ (libFuzzer's final stats, time(1)'s CPU figures) and
# fuzz/artifacts/ (findings).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"
echo "| target | executions | exec/s | coverage (edges) | features | corpus | CPU (user+sys) | peak RSS | findings |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for log in logs/*.log; do
  t="$(basename "$log" .log)"
  stat() { grep -E "^stat::$1:" "$log" | awk '{print $2}'; }
  # The last status line: "#N ... cov: C ft: F corp: U/S ..."
  last="$(grep -E '^#[0-9]+' "$log" | tail -n 1)"
  cov="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")"
  ft="$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")"
  corp="$(sed -nE 's/.* corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$last")"
  cpu="$(awk '/^cpu:/ {printf "%.0f s", $2 + $4}' "logs/$t.time" 2>/dev/null)"
  findings="$(find "artifacts/$t" -type f 2>/dev/null | wc -l)"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s MB | %s |\n' "$t" \
    "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" "$cov" "$ft" "$corp" \
    "${cpu:-?}" "$(stat peak_rss_mb)" "$findings"
done
