# Shared set-up of the bench scripts, sourced by them (not run). After
# `bench_project NAME OCTET`: $root is the checkout, $work a temporary
# folder removed on exit (after devenv down -v of the project), $proj a
# copy of the project there with its own Compose project name ($name) and
# loopback address ($bind), $work/devenv a static devenv; the working
# directory is $proj.

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

bench_project() {
  root=$(cd "$(dirname "$0")/.." && pwd)
  work=$(mktemp -d)
  proj=$work/project
  name=$1-$$
  bind=127.0.$2.$((2 + $$ % 250))
  trap 'bench_cleanup' EXIT
  echo "building devenv ..." >&2
  (cd "$root" && CGO_ENABLED=0 go build -o "$work/devenv" ./cmd/devenv)
  mkdir -p "$proj"
  (cd "$root" && git ls-files -z | xargs -0 cp --parents -t "$proj")
  cd "$proj"
  sed -i "s/^project:.*/project: $name/; s/^bindAddress:.*/bindAddress: $bind/" devenv.yaml
}

bench_cleanup() {
  (cd "$proj" 2>/dev/null && "$work/devenv" down -v >/dev/null 2>&1) || true
  rm -rf "$work"
}
