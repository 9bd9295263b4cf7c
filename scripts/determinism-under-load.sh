#!/usr/bin/env bash
# The order-invariance test under heavy CPU and I/O load: stress-ng (Debian package stress-ng)
# keeps 8 CPU and 4 I/O workers busy while two copies of the test run at once (so several
# campaigns compete for the 2 cores), ROUNDS times in a row. Any failure fails the script.
#   scripts/determinism-under-load.sh [ROUNDS]      (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"
command -v stress-ng >/dev/null || { echo "stress-ng is not installed (Debian: apt-get install stress-ng)" >&2; exit 2; }
stress-ng --cpu 8 --io 4 --timeout 0 --quiet &
stress=$!
trap 'kill "$stress" 2>/dev/null || true' EXIT
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds: two order-invariance runs at once, under stress-ng --cpu 8 --io 4 (load $(cut -d' ' -f1 /proc/loadavg))"
  npx vitest run test/determinism >"/tmp/determinism-$r-a.log" 2>&1 & a=$!
  npx vitest run test/determinism >"/tmp/determinism-$r-b.log" 2>&1 & b=$!
  ok=0
  wait "$a" || { echo "  run a failed: /tmp/determinism-$r-a.log"; ok=1; }
  wait "$b" || { echo "  run b failed: /tmp/determinism-$r-b.log"; ok=1; }
  [ "$ok" = 0 ] || exit 1
  echo "  both passed"
done
echo "order invariance held in $rounds rounds under load"
