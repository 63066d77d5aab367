#!/usr/bin/env bash
# Benchmarks devenv up and down on the reference stack, on this machine's
# Docker engine, and prints the figures issue 7 asks for:
#   - the first `devenv up -d` on an engine with none of devenv's images,
#     split into Go builds, image creation, start and health;
#   - `devenv up -d` with the images cached, to all healthy, against the
#     compose CLI built from the same Compose module doing `up -d --wait`
#     on the same file, alternating, ROUNDS times each (the ratio);
#   - `devenv down`;
#   - the event latency from an API request to the object in fake S3.
# It runs on a copy of the project with its own Compose project name and
# loopback address, and removes what it started. It removes devenv's own
# images (devenv/*:local, devenv.local/api-server:dev) for the cold run,
# which builds with a Go build cache of its own (yours is left alone): the
# next devenv up makes them again.
#
#   bench/up.sh            # ROUNDS=5 by default
#   ROUNDS=10 bench/up.sh
set -euo pipefail
rounds=${ROUNDS:-5}
. "$(dirname "$0")/lib.sh"
bench_project bench 99

echo "building the compose CLI (go.mod's tool github.com/docker/compose/v5/cmd) ..." >&2
(cd "$root" && go build -o "$work/docker-compose" github.com/docker/compose/v5/cmd)
compose_version=$(cd "$root" && go list -m -f '{{.Version}}' github.com/docker/compose/v5)

# fluentd as the emulator outright, so the compose CLI runs the same file
# devenv up runs (the CLI cannot fall back from the unbuildable image).
perl -0pi -e 's/  - match: delish-fluentd\n(    .*\n)+?    fallback: fluentd\n/  - match: delish-fluentd\n    standIn: fluentd\n/' devenv.yaml
grep -q 'standIn: fluentd' devenv.yaml || { echo "bench/up.sh: could not set fluentd's image rule to standIn: fluentd" >&2; exit 1; }

docker image rm -f devenv/fake-s3:local devenv/fake-td:local devenv/datadog-stub:local devenv/fluentd:local devenv/pause:local devenv.local/api-server:dev >/dev/null 2>&1 || true

echo "first devenv up -d (no images, an empty Go build cache of its own) ..." >&2
t0=$(now)
GOCACHE=$work/gocache "$work/devenv" up -d >"$work/cold.out" 2>"$work/cold.err"
t1=$(now)
echo "first up -d: $(elapsed "$t0" "$t1") s in all"
grep -E ' Image .*(Built|Up to date)' "$work/cold.err" | sed 's/^/  /'
grep -E ' Container .* Started' "$work/cold.err" | tail -1 | sed 's/^/  last start: /'
grep -E ' Container .* Healthy' "$work/cold.err" | tail -1 | sed 's/^/  last healthy: /'

echo "event latency ..." >&2
(cd "$root" && go run ./bench/latency -api "http://$bind:1323" -s3 "http://$bind:4566")

dv=()
dc=()
down=()
for i in $(seq "$rounds"); do
  "$work/devenv" down >/dev/null 2>&1
  t0=$(now); "$work/devenv" up -d >/dev/null 2>&1; t1=$(now)
  dv+=("$(elapsed "$t0" "$t1")")
  t0=$(now); "$work/devenv" down >/dev/null 2>&1; t1=$(now)
  down+=("$(elapsed "$t0" "$t1")")
  t0=$(now); "$work/docker-compose" -f docker-compose.gen.yaml -p "$name" up -d --wait >/dev/null 2>&1; t1=$(now)
  dc+=("$(elapsed "$t0" "$t1")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mv=$(median "${dv[@]}"); mc=$(median "${dc[@]}"); md=$(median "${down[@]}")
echo "cached up -d to all healthy, median of $rounds: devenv $mv s, compose CLI $compose_version up -d --wait $mc s, ratio $(echo "scale=2; $mv / $mc" | bc)"
echo "  devenv:  ${dv[*]}"
echo "  compose: ${dc[*]}"
echo "devenv down, median of $rounds: $md s (${down[*]})"
