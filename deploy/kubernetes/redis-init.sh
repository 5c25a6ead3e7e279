#!/bin/sh
# The Redis pods' init container (redis.yaml): decides whether this pod starts
# as the primary or as a replica, and writes the two generated files the
# pod's containers start from:
#   $OUT/redis.conf     who this node is (and, for a replica, whose replica)
#   $OUT/sentinel.conf  what its Sentinel watches
# Both on an emptyDir: written afresh at each pod start, rewritten by Redis
# and Sentinel while the pod lives (CONFIG REWRITE after a failover).
#
# The primary is whichever one the Sentinels name, if any of them answers
# (a pod restarting after a failover becomes a replica of the new primary).
# If none answers, this is the first start (or every pod went at once), and
# the primary is FIRST_PRIMARY: pod 0.
#
# Inputs, from the environment (redis.yaml sets them; the test in
# integration-tests/test/k8s/redis-init.k8s.test.ts runs this very file
# against local redis-server and redis-sentinel processes):
#   ANNOUNCE_HOST   this node's name as the others reach it (redis-0.redis)
#   REDIS_PORT      this node's Redis port (6379)
#   SENTINEL_PORT   this node's Sentinel port (26379)
#   SENTINELS       every Sentinel, "host:port host:port ..."
#   FIRST_PRIMARY   "host:port" of the primary when no Sentinel answers
#   MASTER_NAME     the name the Sentinels know the group by (mymaster)
#   QUORUM          Sentinels that must agree the primary is down (2 of 3)
#   DOWN_AFTER_MS, FAILOVER_TIMEOUT_MS   Sentinel's timings
#   OUT             where the two files go
set -eu

primary=""
for sentinel in $SENTINELS; do
  host=${sentinel%:*}
  port=${sentinel##*:}
  # `timeout`: a Sentinel on a node that is gone must not hold the start up.
  if answer=$(timeout 2 redis-cli -h "$host" -p "$port" --raw \
    SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null); then
    # shellcheck disable=SC2086 # two words: host and port
    set -- $answer
    if [ "$#" -eq 2 ] && [ "$1" != "ERR" ]; then
      primary="$1:$2"
      echo "Sentinel $sentinel names the primary: $primary"
      break
    fi
  fi
done
if [ -z "$primary" ]; then
  primary=$FIRST_PRIMARY
  echo "no Sentinel names a primary (first start): the primary is $primary"
fi
primary_host=${primary%:*}
primary_port=${primary##*:}

# Sentinel (resolve-hostnames) refuses to start on a name it cannot resolve:
# wait, a bounded while, for the primary's DNS record (the headless Service
# publishes pods before they are ready).
tries=0
until getent hosts "$primary_host" >/dev/null 2>&1 || [ "$tries" -ge 60 ]; do
  tries=$((tries + 1))
  sleep 1
done

{
  echo "# Written by redis-init.sh at pod start."
  # Replicas announce their name, not their pod IP (which changes on restart).
  echo "replica-announce-ip $ANNOUNCE_HOST"
  echo "replica-announce-port $REDIS_PORT"
  if [ "$primary" = "$ANNOUNCE_HOST:$REDIS_PORT" ]; then
    echo "# the primary"
  else
    echo "replicaof $primary_host $primary_port"
  fi
} >"$OUT/redis.conf"

cat >"$OUT/sentinel.conf" <<EOF
# Written by redis-init.sh at pod start; Sentinel rewrites it as it learns.
port $SENTINEL_PORT
# The NetworkPolicy is the fence (only greetings and the Redis pods reach it).
protected-mode no
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $ANNOUNCE_HOST
sentinel announce-port $SENTINEL_PORT
sentinel monitor $MASTER_NAME $primary_host $primary_port $QUORUM
sentinel down-after-milliseconds $MASTER_NAME $DOWN_AFTER_MS
sentinel failover-timeout $MASTER_NAME $FAILOVER_TIMEOUT_MS
sentinel parallel-syncs $MASTER_NAME 1
EOF
echo "wrote $OUT/redis.conf and $OUT/sentinel.conf"
