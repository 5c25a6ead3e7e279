#!/bin/sh
# Behaves like the official redis image's entrypoint, so compose's
#   command: ["redis-server", "--appendonly", "yes"]
# works the same: run as user redis in /data (the working directory, which is
# redis' default `dir`), protected mode off. Without a config file redis
# listens on every interface.
set -e

# `docker run IMAGE --appendonly yes` or `docker run IMAGE /path/redis.conf`
case "$1" in
  -* | *.conf) set -- redis-server "$@" ;;
esac

# Started as root: give /data to redis, then run this script again as redis
# (the official image uses gosu; setpriv is in Debian's util-linux).
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

um=$(umask)
if [ "$um" = 0022 ]; then umask 0077; fi

if [ "$1" = redis-server ]; then
  # protected-mode no, unless a config file given first says otherwise; the
  # config file must stay the first argument.
  conf=
  if [ -f "${2:-}" ]; then conf=$2; fi
  if [ -z "$conf" ] || ! grep -q '^protected-mode' "$conf"; then
    shift
    if [ -n "$conf" ]; then shift; fi
    set -- --protected-mode no "$@"
    if [ -n "$conf" ]; then set -- "$conf" "$@"; fi
    set -- redis-server "$@"
  fi
fi

exec "$@"
