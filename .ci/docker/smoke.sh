#!/usr/bin/env bash
# CI only: smoke-test the stand-in images that stand-ins.sh built.
#   node       node/npm versions, the node user, npm install inside a build
#   redis      `redis-server --appendonly yes` as compose runs it: redis-cli
#              ping inside (healthcheck) and from another container by name,
#              protected mode off, data in /data, survives a restart
#   graphite   StatsD over a published UDP port on 127.0.0.1 and from another
#              container by name, read back from graphite-web's /render with
#              graphite-statsd's names and retentions; healthcheck; docker stop
# Everything it creates (containers, their volumes, one network) is removed
# on exit; the images stay. Prints "N passed, N failed".
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
eval "$("$here/engine.sh")"
export DOCKER_BUILDKIT=0

UDP_PORT=${SMOKE_UDP_PORT:-18125}
HTTP_PORT=${SMOKE_HTTP_PORT:-18080}
tag=ci-smoke-$$
net=$tag
passed=0
failed=0

cleanup() {
  docker rm -f -v "$tag-redis" "$tag-client" "$tag-statsd" >/dev/null 2>&1 || true
  docker network rm "$net" >/dev/null 2>&1 || true
  docker image rm "$tag-npm:tmp" >/dev/null 2>&1 || true
  rm -rf "${ctx:-}"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); printf '  ok    %s\n' "$1"; }
ko() { failed=$((failed + 1)); printf '  FAIL  %s\n' "$1"; [[ -z ${2:-} ]] || printf '        %s\n' "$2"; }
# check NAME EXPECTED ACTUAL
check() { if [[ $3 == "$2" ]]; then ok "$1"; else ko "$1" "expected '$2', got '$3'"; fi; }
# wait_for SECONDS CMD...: until CMD succeeds
wait_for() {
  local until=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < until)) || return 1
    sleep 0.3
  done
}

docker network create "$net" >/dev/null

echo "local/node:26"
check "node --version" "v26" "$(docker run --rm --network none local/node:26 node -e 'console.log(process.version)' | cut -d. -f1)"
check "entrypoint: IMAGE --version runs node" \
  "$(docker run --rm --network none local/node:26 node --version)" \
  "$(docker run --rm --network none local/node:26 --version)"
check "npm 11" "11" "$(docker run --rm --network none local/node:26 npm --version | cut -d. -f1)"
check "user node 1000:1000 at /home/node" "1000:1000:/home/node" \
  "$(docker run --rm --network none -u node local/node:26 sh -c 'echo "$(id -u):$(id -g):$HOME"')"
ctx=$(mktemp -d)
printf '%s\n' 'FROM local/node:26' 'USER node' 'WORKDIR /home/node' \
  "RUN mkdir t && cd t && npm init -y >/dev/null && npm install --no-audit --no-fund ms@2.1.3 && node -p 'require(\"ms\")(60000)'" \
  >"$ctx/Dockerfile"
t=$SECONDS
if out=$(docker build --network host --force-rm -t "$tag-npm:tmp" "$ctx" 2>&1); then
  ok "npm install inside docker build --network host ($((SECONDS - t)) s)"
else
  ko "npm install inside docker build --network host" "$(tail -n 5 <<<"$out")"
fi

echo "local/redis:7"
docker run -d --name "$tag-redis" --network "$net" --network-alias redis \
  local/redis:7 redis-server --appendonly yes >/dev/null
if wait_for 20 docker exec "$tag-redis" redis-cli ping; then
  check "redis-cli ping inside (compose healthcheck)" PONG "$(docker exec "$tag-redis" redis-cli ping)"
else
  ko "redis did not answer within 20 s" "$(docker logs --tail 5 "$tag-redis" 2>&1)"
fi
# Another container on the network (one, reused: under vfs every new
# container copies the whole image, so `docker run` per call is slow).
docker run -d --name "$tag-client" --network "$net" local/redis:7 sleep 600 >/dev/null
rcli() { docker exec "$tag-client" redis-cli -h redis "$@"; }
check "ping from another container by name" PONG "$(rcli ping)"
check "SET from another container" OK "$(rcli set smoke:key persisted)"
check "protected-mode" "no" "$(rcli config get protected-mode | tail -n1)"
check "dir" "/data" "$(rcli config get dir | tail -n1)"
check "appendonly (from the compose command)" "yes" "$(rcli config get appendonly | tail -n1)"
check "server runs as redis (owns its AOF dir)" "redis" \
  "$(docker exec "$tag-redis" stat -c %U /data/appendonlydir 2>&1)"
check "redis_version 7.x" "7" "$(rcli info server | tr -d '\r' | sed -n 's/^redis_version:\([0-9]*\).*/\1/p')"
docker restart -t 5 "$tag-redis" >/dev/null
wait_for 20 docker exec "$tag-redis" redis-cli ping || true
check "data survives a restart (AOF in /data)" persisted "$(rcli get smoke:key)"

echo "local/graphite-statsd"
docker run -d --name "$tag-statsd" --network "$net" --network-alias graphite \
  -p "127.0.0.1:$UDP_PORT:8125/udp" -p "127.0.0.1:$HTTP_PORT:8080" local/graphite-statsd >/dev/null
base=http://127.0.0.1:$HTTP_PORT
if wait_for 60 curl -fsS "$base/"; then ok "graphite-web answers GET / over the published port"; else ko "graphite-web answers GET /" "$(docker logs --tail 5 "$tag-statsd" 2>&1)"; fi
check "compose's healthcheck command (wget) works" 0 \
  "$(docker exec "$tag-statsd" wget -q -O /dev/null http://127.0.0.1:8080/ && echo 0 || echo 1)"
# One datagram, several lines, from the host through the published UDP port ...
node -e '
  const s = require("node:dgram").createSocket("udp4");
  const lines = ["smoke.hits:1|c", "smoke.hits:1|c|@0.5", "smoke.latency:12|ms", "smoke.up:1|g"];
  s.send(Buffer.from(lines.join("\n") + "\n"), Number(process.argv[1]), "127.0.0.1", (e) => { s.close(); if (e) throw e; });
' "$UDP_PORT"
# ... and one from another container, by service name, as the services send.
docker run --rm --network "$net" local/node:26 node -e '
  const s = require("node:dgram").createSocket("udp4");
  s.send(Buffer.from("smoke.from_container:1|c"), 8125, "graphite", (e) => { s.close(); if (e) throw e; });
'
# StatsD flushes every 10 s (graphite-statsd's flushInterval); then carbon
# writes, and graphite-web renders with graphite-statsd's names.
render() {
  curl -fsS -G "$base/render" --data-urlencode "target=$1" --data-urlencode from=-5min --data-urlencode format=json |
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const v = JSON.parse(s).flatMap((x) => x.datapoints.map((p) => p[0])).filter((x) => x !== null);
      console.log(v.length ? Math.max(...v) : "none");
    });'
}
have_all() { [[ $(render stats_counts.smoke.from_container) != none && $(render stats.timers.smoke.latency.upper_90) != none ]]; }
wait_for 45 have_all || true
check "counter (with a sample rate): stats_counts.smoke.hits" 3 "$(render stats_counts.smoke.hits)"
check "timer: stats.timers.smoke.latency.upper_90" 12 "$(render stats.timers.smoke.latency.upper_90)"
check "gauge: stats.gauges.smoke.up" 1 "$(render stats.gauges.smoke.up)"
check "from another container by name: stats_counts.smoke.from_container" 1 "$(render stats_counts.smoke.from_container)"
check "retentions from graphite-statsd's storage-schemas.conf" "10s:6h,1m:6d,10m:1800d" \
  "$(docker exec "$tag-statsd" sh -c 'whisper-info /opt/graphite/storage/whisper/stats_counts/smoke/hits.wsp' |
    awk '/^secondsPerPoint/ {s=$2} /^retention/ {r=$2; printf "%s%s", sep, (s<60 ? s "s" : s/60 "m") ":" (r<86400 ? r/3600 "h" : r/86400 "d"); sep=","}')"
check "stats_counts are summed (graphite-statsd's storage-aggregation.conf)" sum \
  "$(docker exec "$tag-statsd" whisper-info /opt/graphite/storage/whisper/stats_counts/smoke/hits.wsp aggregationMethod)"
t=$(date +%s%N)
docker stop -t 10 "$tag-statsd" >/dev/null
ms=$((($(date +%s%N) - t) / 1000000))
if ((ms < 5000)); then ok "docker stop in ${ms} ms (the entrypoint stops its three processes on SIGTERM)"; else ko "docker stop took ${ms} ms"; fi

echo
echo "$passed passed, $failed failed"
((failed == 0))
