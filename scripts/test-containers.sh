#!/usr/bin/env bash
# Runs the deployment files for real, with podman (README: "Docker", "Running with Docker
# Compose", "Distributed load"). Takes minutes, so it is not part of .ci/run:
#   1. image: `podman build` of the Dockerfile (the commit as POOLBENCH_COMMIT); the runtime
#      image has no compiler; `--version` names the commit; a shortened
#      `run scenarios/read_heavy.yaml` with the embedded server as the image's user (1000)
#   2. compose: the postgres:15 stand-in (tests/containers/postgres-15: a TEST FIXTURE, built
#      from Debian's postgresql-15 because no registry is reachable here); `podman-compose up`
#      of docker-compose.yml: every profile's server, and the poolbench service's quickstart
#      matrix on pg-ssd and pg-hdd into the mounted reports/ (checked there and in the
#      servers' pg_stat_statements); every server's health check and `poolbench profiles
#      check --dsn` of its profile; then examples/compose/docker-compose.shards.yml: 3 shards
#      from one --start-at and the merge, whose counts must equal the sum of the shards'.
# It works in a copy of the working tree (tracked and untracked files, not the ignored ones:
# no build/, no reports/), so the user's reports/ are never touched.
# (examples/k8s/ is tested by ctest in scripts/test.sh: tests/k8s/.)
# Installs podman, runc, podman-compose and debootstrap when missing; makes the debian:12 base
# image with debootstrap when podman has none (tests/containers/debian-12-image.sh). Podman
# runs as root with runc and no default ulimits: tests/containers/containers.conf, passed as
# CONTAINERS_CONF (nothing under /etc is changed). Reuses images between its steps and
# podman's layer cache between runs (the compile layer only rebuilds when src/ changes).
#   POOLBENCH_KEEP=1  leave the compose containers running and the work directory in place
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS
step() { printf '\n=== %s (%ds)\n' "$1" "$((SECONDS - started))"; }
fail() {
  echo "test-containers: FAILED: $*" >&2
  exit 1
}

# --- what this needs -----------------------------------------------------------------------
packages=(podman runc podman-compose debootstrap netavark aardvark-dns iptables python3-yaml)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  [[ $(id -u) -eq 0 ]] || fail "needs root (podman as root, apt-get install ${missing[*]})"
  step "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi
[[ $(id -u) -eq 0 ]] || fail "podman runs as root here; run as root"
export CONTAINERS_CONF=$repo/tests/containers/containers.conf
commit=$(git rev-parse --short=12 HEAD)
[[ -z $(git status --porcelain) ]] || commit+=-dirty
export POOLBENCH_COMMIT=$commit
work=$(mktemp -d /var/tmp/poolbench-containers.XXXXXX)
compose_projects=()
# podman-compose 1.0's `down -v` leaves the images' anonymous volumes and the network.
# (Without systemd, podman rm complains that it cannot remove health-check timers it never
# made: that message is dropped.)
compose_down() {
  local project=$1
  podman ps -aq --filter "label=io.podman.compose.project=$project" |
    xargs -r podman rm -f -v 2>&1 >/dev/null | grep -v 'Removing timer for container' >&2 || true
  podman volume ls -q --filter "label=io.podman.compose.project=$project" | xargs -r podman volume rm -f >/dev/null
  podman network exists "${project}_default" && podman network rm -f "${project}_default" >/dev/null
  return 0
}
cleanup() {
  local status=$?
  if [[ ${POOLBENCH_KEEP:-0} == 1 ]]; then
    echo "test-containers: kept $work and the compose projects ${compose_projects[*]}"
    return
  fi
  for project in "${compose_projects[@]}"; do compose_down "$project" 2>/dev/null || true; done
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard |
  xargs -0 cp --parents --no-dereference -t "$work/src"
cd "$work/src"

# --- 1. the image --------------------------------------------------------------------------
if ! podman image exists debian:12; then
  step "base image debian:12 (debootstrap)"
  tests/containers/debian-12-image.sh debian:12
fi
step "podman build of the Dockerfile (commit $commit)"
build_started=$SECONDS
podman build --build-arg "POOLBENCH_COMMIT=$commit" -t poolbench:latest . >"$work/build.log" 2>&1 ||
  { tail -n 40 "$work/build.log"; fail "podman build"; }
echo "built in $((SECONDS - build_started)) s (podman's layer cache: $(grep -c '^--> Using cache' "$work/build.log") steps reused)"
size_bytes=$(podman image inspect --format '{{.Size}}' poolbench:latest)
echo "image poolbench:latest: $((size_bytes / 1000000)) MB ($size_bytes bytes)"

step "the image: no compiler, user 1000, --version names the commit"
compilers=$(podman run --rm --entrypoint sh poolbench:latest -c \
  'for c in cc gcc g++ c++ clang cmake make ld; do command -v $c || true; done')
[[ -z $compilers ]] || fail "the runtime image has build tools: $compilers"
user=$(podman run --rm --entrypoint id poolbench:latest -un):$(podman run --rm --entrypoint id poolbench:latest -u)
[[ $user == poolbench:1000 ]] || fail "the image runs as $user, not poolbench:1000"
version=$(podman run --rm poolbench:latest --version)
echo "$version"
[[ $version == *"git $commit"* ]] || fail "--version does not name commit $commit: $version"

step "podman run: read_heavy (shortened) with the embedded server, as user 1000"
install -d -o 1000 -g 1000 "$work/image-reports"
podman run --rm -v "$work/image-reports:/reports" poolbench:latest run scenarios/read_heavy.yaml \
  --set workload.duration=3s --set workload.warmup=1s --set dataset.scale=2 \
  --out /reports/read_heavy >"$work/run.log" 2>&1 || { tail -n 40 "$work/run.log"; fail "podman run"; }
tail -n 4 "$work/run.log"
[[ $(stat -c %u "$work/image-reports/read_heavy/results.json") == 1000 ]] ||
  fail "results.json was not written by uid 1000"
/usr/bin/python3 tests/containers/check_results.py run "$work/image-reports/read_heavy"

# --- 2. compose ----------------------------------------------------------------------------
step "postgres:15 stand-in (TEST FIXTURE: tests/containers/postgres-15)"
podman build -t postgres:15 tests/containers/postgres-15 >"$work/postgres-build.log" 2>&1 ||
  { tail -n 40 "$work/postgres-build.log"; fail "podman build of the postgres:15 stand-in"; }

# As README says: reports/ is written by the caller's uid.
export POOLBENCH_UID=$(id -u) POOLBENCH_GID=$(id -g)
compose=(podman-compose -p poolbench-test -f docker-compose.yml)
compose_projects+=(poolbench-test)
compose_down poolbench-test # what an interrupted run left
mapfile -t profiles < <(/usr/bin/python3 -c '
import yaml
services = yaml.safe_load(open("docker-compose.yml"))["services"]
print("\n".join(s[3:] for s in services if s.startswith("pg-") and not s.endswith("-tls")))')
step "podman-compose up -d: ${profiles[*]/#/pg-} and poolbench (the quickstart matrix)"
"${compose[@]}" up -d >"$work/compose-up.log" 2>&1 ||
  { tail -n 40 "$work/compose-up.log"; fail "podman-compose up"; }
# As README says: follow the service's log until it ends.
timeout 1200 "${compose[@]}" logs -f poolbench >"$work/quickstart.log" 2>&1 ||
  fail "the poolbench service ran past 20 min"
code=$(timeout 60 podman wait poolbench-test_poolbench_1) || fail "the poolbench service did not end"
[[ $code == 0 ]] || { tail -n 40 "$work/quickstart.log"; fail "the poolbench service exited $code"; }
tail -n 3 "$work/quickstart.log"
/usr/bin/python3 tests/containers/check_results.py matrix reports/quickstart 12 ssd hdd
# The load reached both servers: pg_stat_statements (preloaded since the start; the view
# needs the extension) counted the quickstart's reads.
for profile in ssd hdd; do
  calls=$(podman exec -e PGPASSWORD=poolbench "poolbench-test_pg-${profile}_1" psql -h 127.0.0.1 \
    -U poolbench -d poolbench -qAt -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
    -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
      WHERE query LIKE 'SELECT abalance FROM pgbench_accounts%'")
  ((calls > 0)) || fail "pg-$profile ran none of the quickstart's point reads"
  echo "pg-$profile: $calls point reads in pg_stat_statements"
done

step "health checks (pg_isready) and profiles check --dsn of every server"
for profile in "${profiles[@]}"; do
  podman healthcheck run "poolbench-test_pg-${profile}_1" >/dev/null ||
    fail "pg-$profile: its health check fails"
  "${compose[@]}" run --rm --no-deps -T poolbench profiles check "$profile" \
    --dsn "postgresql://poolbench@pg-$profile:5432/poolbench" >"$work/check-$profile.log" 2>&1 ||
    { cat "$work/check-$profile.log"; fail "profiles check $profile on pg-$profile"; }
  echo "pg-$profile: healthy; $(grep -m1 '^Result:' "$work/check-$profile.log")"
done
"${compose[@]}" down -v >/dev/null 2>&1 || fail "podman-compose down -v"
compose_down poolbench-test

step "examples/compose/docker-compose.shards.yml: 3 shards from one --start-at, then merge"
shards=(podman-compose -p poolbench-shards -f examples/compose/docker-compose.shards.yml)
compose_projects+=(poolbench-shards)
compose_down poolbench-shards
rm -rf reports/shards
export POOLBENCH_SHARDS=3 POOLBENCH_START_AT=$(($(date +%s) + 60))
export POOLBENCH_ARGS="--set workload.duration=3s --set workload.warmup=1s --set dataset.scale=2 --settle 0s"
"${shards[@]}" up -d >"$work/shards-up.log" 2>&1 || { tail -n 40 "$work/shards-up.log"; fail "podman-compose up (shards)"; }
timeout 600 "${shards[@]}" logs -f merge >"$work/merge.log" 2>&1 || fail "the merge ran past 10 min"
merge_code=$(timeout 60 podman wait poolbench-shards_merge_1) || fail "the merge did not end"
for i in 1 2 3; do
  code=$(timeout 60 podman wait "poolbench-shards_shard_$i") || fail "shard $i still runs after the merge"
  [[ $code == 0 ]] || { podman logs "poolbench-shards_shard_$i" | tail -n 30; fail "shard container $i exited $code"; }
done
[[ $merge_code == 0 ]] || { tail -n 30 "$work/merge.log"; fail "merge exited $merge_code"; }
grep -m1 'shards finished' "$work/merge.log" || fail "the merge did not wait for the shards"
tail -n 3 "$work/merge.log"
/usr/bin/python3 tests/containers/check_results.py merged reports/shards 3
"${shards[@]}" down -v >/dev/null 2>&1 || fail "podman-compose down -v (shards)"
compose_down poolbench-shards

step "all container tests passed: image $((size_bytes / 1000000)) MB, $((SECONDS - started)) s in all"
