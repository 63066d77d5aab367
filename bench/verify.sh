#!/usr/bin/env bash
# Benchmarks devenv verify on the reference stack (fluentd flushing every
# 1 s, devenv.yaml's fluentd.flushInterval), on this machine's Docker
# engine, and prints the figure issue 8 asks for: the wall time of one
# `devenv verify` for all of devenv.yaml's event types (one sample each,
# awaited in fake S3, fake TD and the Datadog stub), ROUNDS runs after one
# warm-up, median and slowest. The target is under 5 s.
# It runs on a copy of the project with its own Compose project name and
# loopback address, and removes what it started (devenv down -v).
#
#   bench/verify.sh            # ROUNDS=10 by default
#   ROUNDS=20 bench/verify.sh
set -euo pipefail
rounds=${ROUNDS:-10}
. "$(dirname "$0")/lib.sh"
bench_project bench-verify 98

echo "devenv up -d ..." >&2
"$work/devenv" up -d >/dev/null 2>"$work/up.err" || { cat "$work/up.err" >&2; exit 1; }
"$work/devenv" verify >"$work/warm.out" || { cat "$work/warm.out" >&2; exit 1; }
events=$(grep -c ' delish_local\.event_' "$work/warm.out")

times=()
for i in $(seq "$rounds"); do
  t0=$(now)
  "$work/devenv" verify >"$work/run.out" || { cat "$work/run.out" >&2; exit 1; }
  t1=$(now)
  times+=("$(elapsed "$t0" "$t1")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
slowest() { printf '%s\n' "$@" | sort -n | tail -1; }
echo "devenv verify, $events event types, flush 1s, median of $rounds: $(median "${times[@]}") s wall, slowest $(slowest "${times[@]}") s (target: under 5 s)"
echo "  runs: ${times[*]}"
sed 's/^/  /' "$work/run.out"
