#!/usr/bin/env bash
# Benchmarks devenv watch on the reference stack's API server (a go: rule),
# on this machine's Docker engine, and prints the figures issue 8 asks for:
#   - from the saved file to the new container answering /health, with the
#     Go build cache warm (yours): the total, and devenv watch's split into
#     build, image, recreate and ready;
#   - the same change done the way the team does it today, in the same run,
#     alternating with devenv's: `docker compose up -d --build api-server`
#     (the compose CLI built from go.mod's Compose module) on a multi-stage
#     Dockerfile for the same program: a builder stage with the Go toolchain
#     (an image made here FROM scratch holding this machine's Go, since no
#     base image can be pulled), then FROM scratch with the binary;
#   - the ratio of the medians.
# The change is the same each time: the body of GET /health gains a new
# value ({"status":"ok","v":"d3"}), so the answer says which build answers.
# It runs on a copy of the project with its own Compose project name and
# loopback address, and removes what it started and the images it made.
#
#   bench/watch.sh            # ROUNDS=5 by default
#   ROUNDS=10 bench/watch.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-5}
work=$(mktemp -d)
proj=$work/project
ctx=$work/api-server-ctx
name=benchw-$$
bind=127.0.98.$((2 + $$ % 250))
builder=devenv-bench/go-toolchain:local
compose_image=devenv-bench/api-server:compose
watch_pid=

cleanup() {
  [ -n "$watch_pid" ] && kill -INT "$watch_pid" 2>/dev/null && wait "$watch_pid" 2>/dev/null || true
  (cd "$proj" 2>/dev/null && "$work/devenv" down -v >/dev/null 2>&1) || true
  # The builder, and every image the classic builder made on it (the
  # build stage's layers, each round's image).
  local builder_id ids=() id p
  builder_id=$(docker image inspect -f '{{.Id}}' "$builder" 2>/dev/null || true)
  if [ -n "$builder_id" ]; then
    for id in $(docker images -a -q --no-trunc); do
      p=$id
      while [ -n "$p" ] && [ "$p" != "$builder_id" ]; do p=$(docker image inspect -f '{{.Parent}}' "$p" 2>/dev/null || true); done
      [ "$p" = "$builder_id" ] && ids+=("$id")
    done
    docker image rm -f "$compose_image" "${ids[@]}" >/dev/null 2>&1 || true
  fi
  docker image prune -a -f --filter label=sh.devenv.bench=watch >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "building devenv and the compose CLI (go.mod's tool github.com/docker/compose/v5/cmd) ..." >&2
(cd "$root" && CGO_ENABLED=0 go build -o "$work/devenv" ./cmd/devenv)
(cd "$root" && go build -o "$work/docker-compose" github.com/docker/compose/v5/cmd)
export DOCKER_BUILDKIT=0 # no buildx here: the compose CLI builds with the classic builder, as devenv up does

mkdir -p "$proj"
(cd "$root" && git ls-files -z | xargs -0 cp --parents -t "$proj")
cd "$proj"
sed -i "s/^project:.*/project: $name/; s/^bindAddress:.*/bindAddress: $bind/" devenv.yaml
# fluentd as the emulator outright, so the compose CLI runs the same file
# devenv up runs (the CLI cannot fall back from the unbuildable image).
perl -0pi -e 's/  - match: delish-fluentd\n(    .*\n)+?    fallback: fluentd\n/  - match: delish-fluentd\n    standIn: fluentd\n/' devenv.yaml
grep -q 'standIn: fluentd' devenv.yaml || { echo "bench/watch.sh: could not set fluentd's image rule to standIn: fluentd" >&2; exit 1; }

echo "the builder image: this machine's Go toolchain FROM scratch ..." >&2
goroot=$(go env GOROOT)
mkdir -p "$work/rootfs/tmp" && chmod 1777 "$work/rootfs/tmp"
tar -cf - -C / "${goroot#/}" -C "$work/rootfs" tmp |
  docker import --change "ENV PATH=$goroot/bin" --change "ENV HOME=/tmp" --change "ENV CGO_ENABLED=0" - "$builder" >/dev/null

# The team's way: the API server as a module of its own (its dependencies
# vendored: the builder cannot download), built by a multi-stage Dockerfile.
mkdir -p "$ctx"
cp sample/api-server/main.go sample/api-server/server.go sample/api-server/logger.go "$ctx"
grep -v '^tool ' go.mod >"$ctx/go.mod"
cp go.sum "$ctx"
(cd "$ctx" && GOWORK=off GOFLAGS=-mod=mod GOPROXY=off go mod vendor)
cat >"$ctx/Dockerfile" <<EOF
FROM $builder AS build
WORKDIR /src
COPY . .
RUN ["go", "build", "-mod=vendor", "-trimpath", "-ldflags=-s -w", "-o", "/tmp/api-server", "."]
FROM scratch
LABEL sh.devenv.bench=watch
COPY --from=build /tmp/api-server /api-server
ENTRYPOINT ["/api-server"]
EOF
cat >"$work/compose-build.yaml" <<EOF
services:
  api-server:
    image: $compose_image
    pull_policy: build
    build:
      context: $ctx
EOF

echo "devenv up -d ..." >&2
"$work/devenv" up -d >"$work/up.out" 2>&1 || { cat "$work/up.out" >&2; exit 1; }

# health_says MARK: wait until GET /health answers with "v":"MARK".
health_says() {
  local deadline=$(($(date +%s) + 300))
  until curl -s --max-time 0.2 "http://$bind:1323/health" 2>/dev/null | grep -q "\"v\":\"$1\""; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "bench/watch.sh: /health never answered v=$1" >&2; exit 1; }
    sleep 0.02
  done
}
# edit FILE MARK: the change, saved as an editor saves (sed -i renames over).
edit() { sed -i -E "s/\"status\": \"ok\"(, \"v\": \"[^\"]*\")?\}/\"status\": \"ok\", \"v\": \"$2\"}/" "$1"; }

"$work/devenv" watch >"$work/watch.out" 2>&1 &
watch_pid=$!
until grep -q '^watching' "$work/watch.out"; do sleep 0.05; done

# devenv_round MARK: one change through devenv watch; prints the seconds.
devenv_round() {
  local lines t0
  lines=$(grep -c 'rebuilt and replaced' "$work/watch.out" || true)
  t0=$(now)
  edit sample/api-server/server.go "$1"
  health_says "$1"
  elapsed "$t0" "$(now)"
  until [ "$(grep -c 'rebuilt and replaced' "$work/watch.out" || true)" -gt "$lines" ]; do sleep 0.02; done
}
# compose_round MARK: the same change the team's way; prints the seconds.
compose_round() {
  local t0
  t0=$(now)
  edit "$ctx/server.go" "$1"
  "$work/docker-compose" -p "$name" -f docker-compose.gen.yaml -f "$work/compose-build.yaml" up -d --build api-server >"$work/compose.out" 2>&1 ||
    { cat "$work/compose.out" >&2; exit 1; }
  health_says "$1"
  elapsed "$t0" "$(now)"
}

echo "warming up (one round each, not counted) ..." >&2
devenv_round w0 >/dev/null
compose_round cw0 >/dev/null
dv=()
dc=()
for i in $(seq "$rounds"); do
  echo "round $i of $rounds ..." >&2
  dv+=("$(devenv_round "d$i")")
  dc+=("$(compose_round "c$i")")
done
kill -INT "$watch_pid"
wait "$watch_pid" || true
watch_pid=

# The split of the counted rounds, from devenv watch's lines:
#   sample/api-server/server.go: api-server rebuilt and replaced in 2.26s (build 1.23s, image 0.24s, recreate 0.53s, ready 0.09s)
split() { grep 'rebuilt and replaced' "$work/watch.out" | tail -n "$rounds" | sed -E "s/.*$1 ([0-9.]+)s.*/\1/"; }
mapfile -t build < <(split build)
mapfile -t image < <(split image)
mapfile -t recreate < <(split recreate)
mapfile -t ready < <(split ready)
mapfile -t total < <(split 'replaced in')
mv=$(median "${dv[@]}")
mc=$(median "${dc[@]}")
echo "devenv watch, saved file to the new container answering /health, median of $rounds: $mv s (${dv[*]})"
echo "  devenv's split, medians: build $(median "${build[@]}") s, image $(median "${image[@]}") s, recreate $(median "${recreate[@]}") s, ready $(median "${ready[@]}") s (watch's own total $(median "${total[@]}") s, after the 0.2 s debounce)"
echo "docker compose up -d --build api-server (multi-stage Dockerfile), the same change, median of $rounds: $mc s (${dc[*]})"
echo "ratio devenv watch / docker compose: $(echo "scale=3; $mv / $mc" | bc)"
