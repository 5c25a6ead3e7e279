#!/usr/bin/env bash
# npm run test:docker: the Docker path, proven for real. Builds the three
# images from the one Dockerfile and checks what they hold, brings the compose
# stack up, waits until every service is healthy, runs the browser suite
# against http://localhost:5000, checks maths and greetings with curl, asks
# graphite-web every query of the Grafana dashboard (and, with the public
# images, Grafana's API for the provisioned dashboard), stops greetings
# gracefully and restarts Redis and checks that no Like was lost. Then it
# switches the same stack to compose.ha.yml (a primary, a replica, three
# Sentinels) and kills the primary under load: greetings must follow the
# promoted replica by itself, no page fail and no acknowledged Like be lost
# (integration-tests/src/failover-check.ts). Then it takes everything down
# again (also when a step fails).
#
# Needs a Docker Engine (DOCKER_HOST, or the CI's own: .ci/docker/engine.sh)
# and the public images. Where no registry can be reached (our CI machines)
# set FC_STAND_INS=1: local stand-ins are built and used instead, through the
# CI-only override .ci/docker/compose.ci.yml.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n[test:docker] %s\n' "$*"; }

if ! docker info >/dev/null 2>&1; then
  eval "$(.ci/docker/engine.sh)"
fi

files=(-f docker-compose.yml)
services=(awesome-app greetings maths redis graphite grafana)
if [[ "${FC_STAND_INS:-0}" == 1 ]]; then
  log "building the CI stand-ins for the public images"
  .ci/docker/stand-ins.sh
  files+=(-f .ci/docker/compose.ci.yml)
  # Grafana has no stand-in: its dashboard's queries are checked against
  # graphite-web below, its provisioning by the GitHub workflow (real images).
  services=(awesome-app greetings maths redis graphite)
fi

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  compose=(docker-compose)
fi
project=friendly-calculator-test
export COMPOSE_HTTP_TIMEOUT=${COMPOSE_HTTP_TIMEOUT:-300} # Compose v1: vfs is slow
dc() { "${compose[@]}" -p "$project" "${files[@]}" "$@"; }

teardown() {
  local status=$?
  log "down -v"
  dc logs --no-color --tail=30 >integration-tests/artifacts/docker-compose.log 2>&1 || true
  # Removing a container can outlast Compose's HTTP timeout on a slow
  # storage driver (vfs); then its networks and volumes stay. Try again.
  local left
  for _ in 1 2 3; do
    dc down -v --remove-orphans --timeout 10 >/dev/null 2>&1 || true
    left=$(docker ps -aq --filter "label=com.docker.compose.project=$project")
    left+=$(docker network ls -q --filter "label=com.docker.compose.project=$project")
    left+=$(docker volume ls -q --filter "label=com.docker.compose.project=$project")
    [[ -z "$left" ]] && break
    sleep 5
  done
  if [[ -n "$left" ]]; then
    echo "[test:docker] left behind: $left" >&2
    status=1
  fi
  exit "$status"
}
mkdir -p integration-tests/artifacts
trap teardown EXIT

wait_healthy() {
  local deadline=$((SECONDS + ${2:-180})) service id state
  for service in $1; do
    while :; do
      id=$(dc ps -q "$service")
      state=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo missing)
      [[ "$state" == healthy ]] && break
      if ((SECONDS > deadline)); then
        echo "[test:docker] $service is $state, not healthy" >&2
        dc logs --no-color --tail=50 "$service" >&2 || true
        return 1
      fi
      sleep 2
    done
  done
}

log "compose build"
time dc build awesome-app greetings maths
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^friendly-calculator/' || true

log "the images hold production code only, and run as node"
for service in awesome-app greetings maths; do
  # No test helpers, no benchmark entry points, no dev dependencies, no sources.
  out=$(docker run --rm --network none "friendly-calculator/$service" sh -c '
    id -un
    for p in common/dist/testing greetings/dist/bench node_modules/typescript node_modules/jest \
      node_modules/puppeteer common/src '"$service"'/src '"$service"'/test; do
      if [ -e "$p" ]; then echo "unexpected: $p"; fi
    done
    test -f "$(readlink -f server.js)" || echo "missing: server.js"')
  [[ "$out" == node ]] || { echo "friendly-calculator/$service: $out" >&2; exit 1; }
done

log "compose up: ${services[*]}"
dc up -d "${services[@]}"
wait_healthy "${services[*]}"
dc ps

log "maths and greetings answer curl"
sum=$(curl -fsS 'http://localhost:5001/add?x=0.1&y=0.2')
[[ "$sum" == 0.3 ]] || { echo "maths said '$sum', not 0.3" >&2; exit 1; }
curl -fsS http://localhost:5002/greeting/Bob | grep -Eq '^(Hello|Howdy) Bob$'
code=$(curl -s -o /dev/null -w '%{http_code}' 'http://localhost:5001/divide?x=1&y=0')
[[ "$code" == 422 ]] || { echo "divide by zero answered $code" >&2; exit 1; }

log "browser suite against http://localhost:5000"
BASE_URL=http://localhost:5000 GREETINGS_PUBLIC_URL=http://localhost:5002 \
  E2E_STOP_GREETINGS="${compose[*]} -p $project ${files[*]} stop greetings" \
  E2E_START_GREETINGS="${compose[*]} -p $project ${files[*]} start greetings" \
  npx jest -c integration-tests/jest.config.js browser

log "Redis away for a moment: a greeting falls back, a Like is a 503 (so the error panels have data)"
dc stop redis
fallback=$(curl -fsS -H 'Accept: application/json' http://localhost:5002/greeting/Eve)
echo "$fallback" | grep -q '"strategy":"fallback"' || { echo "with Redis stopped, greetings said $fallback" >&2; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"impression":"AAAAAAAAAAAAAAAAAAAAAA"}' http://localhost:5002/like_greeting)
[[ "$code" == 503 ]] || { echo "a Like with Redis stopped answered $code, not 503" >&2; exit 1; }
dc start redis
wait_healthy "redis greetings" 60

# Redis keeps its data across that restart (append-only file), so the store
# reset panel and alert get theirs from an emptied Redis: greetings, which saw
# phase 1, finds no phase, says so (greetings.store.reset) and starts phase 1
# again with a `reinitialize` audit entry. Then one Like, for the restarts below.
log "Redis emptied (FLUSHALL): greetings reports a store reset, then counts a new Like"
dc exec -T redis redis-cli FLUSHALL >/dev/null
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)'"$1"'))'; }
code=""
for _ in $(seq 1 20); do
  impression=$(curl -fsS -H 'Accept: application/json' http://localhost:5002/greeting/Eve | json '.impression' || true)
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"impression\":\"$impression\"}" http://localhost:5002/like_greeting)
  [[ "$code" == 200 ]] && break
  sleep 1
done
[[ "$code" == 200 ]] || { echo "no Like counted after the store reset (last answer $code)" >&2; exit 1; }
dc logs --no-color greetings 2>&1 | grep -q 'lost its history' || { echo "greetings did not log the store reset" >&2; exit 1; }

log "graphite-web answers every query of the dashboard"
node integration-tests/dist/check-metrics.js http://localhost:8080 http://localhost:5000 900

if [[ " ${services[*]} " == *" grafana "* ]]; then
  log "Grafana serves the provisioned dashboard"
  search=""
  for _ in $(seq 1 30); do
    search=$(curl -fsS -u "${GRAFANA_ADMIN_USER:-admin}:${GRAFANA_ADMIN_PASSWORD:-admin}" \
      'http://localhost:3000/api/search?query=Friendly' 2>/dev/null || true)
    [[ "$search" == *'"uid":"friendly-calculator"'* ]] && break
    sleep 2
  done
  [[ "$search" == *'"uid":"friendly-calculator"'* ]] || { echo "Grafana's search: '$search'" >&2; exit 1; }
  curl -fsS -u "${GRAFANA_ADMIN_USER:-admin}:${GRAFANA_ADMIN_PASSWORD:-admin}" \
    http://localhost:3000/api/datasources/uid/graphite | grep -q '"url":"http://graphite:8080"'
fi

likes() { curl -fsS http://localhost:5002/stats | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).variants.reduce((n,v)=>n+v.liked,0)))'; }
before=$(likes)
((before > 0)) || { echo "no Likes counted before the restarts" >&2; exit 1; }
log "stop greetings gracefully (it drains, no kill), start it, restart redis: the $before Likes must survive"
dc stop greetings
code=$(docker inspect -f '{{.State.ExitCode}}' "$(dc ps -a -q greetings)")
[[ "$code" == 0 ]] || { echo "greetings exited $code on a graceful stop (137: killed)" >&2; exit 1; }
dc start greetings
wait_healthy greetings 60
[[ "$(likes)" == "$before" ]] || { echo "after restarting greetings: $(likes) Likes, not $before" >&2; exit 1; }
dc restart redis
wait_healthy "redis greetings" 60
after=""
for _ in $(seq 1 20); do after=$(likes 2>/dev/null || true); [[ "$after" == "$before" ]] && break; sleep 1; done
[[ "$after" == "$before" ]] || { echo "after restarting redis: '$after' Likes, not $before" >&2; exit 1; }

# The same stack, switched to compose.ha.yml: redis gets its replica name,
# greetings (recreated) the Sentinels; the replica and the Sentinels are
# added. The other services stay as they are. The rate limit is raised: all
# the check's Likes come from one address.
log "HA: compose.ha.yml on top (a primary, a replica, three Sentinels), then the primary killed under load"
t_ha=$SECONDS
files+=(-f compose.ha.yml)
if [[ "${FC_STAND_INS:-0}" == 1 ]]; then files+=(-f .ci/docker/compose.ha.ci.yml); fi
ha=(redis redis-replica sentinel-1 sentinel-2 sentinel-3 greetings)
LIKES_PER_MINUTE_PER_CLIENT=100000 dc up -d "${ha[@]}"
wait_healthy "${ha[*]}" 180
echo "[test:docker] HA stack healthy after $((SECONDS - t_ha)) s"
# SIGKILL, as a crashed node: `docker kill` is not undone by `restart: unless-stopped`.
FAILOVER_REDIS_CLI="docker exec $(dc ps -q sentinel-1) redis-cli" \
  FAILOVER_KILL="docker kill $(dc ps -q redis)" \
  FAILOVER_START="docker start $(dc ps -q redis)" \
  node integration-tests/dist/failover-check.js
dc logs --no-color sentinel-1 2>&1 | grep -E '\+(sdown|odown|switch-master|convert-to-slave)' || true
echo "[test:docker] HA step: $((SECONDS - t_ha)) s"

log "passed"
