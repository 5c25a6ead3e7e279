#!/bin/sh
# Starts what graphiteapp/graphite-statsd starts for this project, each as the
# image's runit services run them: carbon-cache (line receiver :2003, pickle
# :2004, cache queries :7002), graphite-web under gunicorn on 0.0.0.0:8080
# (the image's own gunicorn bind; its nginx on :80 only proxies to it) and
# StatsD (udp/8125, admin :8126) with the image's config. A TERM (docker stop)
# stops all three; if one of them dies, the container exits.
set -eu
export PYTHONPATH=/opt/graphite/webapp GRAPHITE_SETTINGS_MODULE=local_settings \
  DJANGO_SETTINGS_MODULE=graphite.settings
mkdir -p /opt/graphite/storage/whisper /opt/graphite/storage/log /var/log/graphite
graphite-manage migrate --noinput >/var/log/graphite/migrate.log 2>&1

carbon-cache --config=/opt/graphite/conf/carbon.conf --nodaemon start &
carbon=$!
gunicorn --bind=0.0.0.0:8080 --workers="${GRAPHITE_WSGI_PROCESSES:-2}" --timeout=65 \
  --log-file=- graphite.wsgi &
web=$!
node /opt/statsd/stats.js /opt/statsd/config/udp.js &
statsd=$!

stop() {
  kill -TERM "$carbon" "$web" "$statsd" 2>/dev/null || true
  wait
  exit 0
}
trap stop TERM INT HUP
# POSIX sh has no `wait -n`: poll until one of the three is gone.
while kill -0 "$carbon" 2>/dev/null && kill -0 "$web" 2>/dev/null && kill -0 "$statsd" 2>/dev/null; do
  sleep 1 &
  wait $! || true
done
echo "graphite-statsd stand-in: a process exited; stopping" >&2
stop
