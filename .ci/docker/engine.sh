#!/usr/bin/env bash
# CI only: make sure a Docker Engine is reachable, starting one if needed.
# These machines have no container registry and, out of the box, no engine;
# see README.md beside this file.
#
#   eval "$(.ci/docker/engine.sh)"    # start if needed, then export DOCKER_HOST
#   source .ci/docker/engine.sh       # the same, in the current shell
#   .ci/docker/engine.sh status       # is it up? which DOCKER_HOST?
#   .ci/docker/engine.sh stop         # stop the engine THIS script started
#
# stdout carries only `export DOCKER_HOST=...`; progress goes to stderr.
# CI normally leaves the engine running: its data root is the image cache.
#
# Settings (environment, all optional):
#   DOCKER_HOST            checked first; if it answers, nothing is started
#   DOCKER_CI_SOCK         /run/docker-ci.sock       socket of a started engine
#   DOCKER_CI_DATA_ROOT    /var/lib/docker-ci        images live here (vfs)
#   DOCKER_CI_EXEC_ROOT    /run/docker-ci            its own containerd, state
#   DOCKER_CI_PIDFILE      /run/docker-ci.pid        how `stop` finds it
#   DOCKER_CI_LOG          /var/log/docker-ci.log
#   DOCKER_CI_TIMEOUT      60                        seconds to become ready

# Run: strict mode for the whole script. Sourced: strict mode only inside the
# subshell below, so the caller's shell options are left as they were.
[[ "${BASH_SOURCE[0]}" != "$0" ]] || set -euo pipefail

_docker_ci_engine() (
  set -euo pipefail
  sock=${DOCKER_CI_SOCK:-/run/docker-ci.sock}
  data_root=${DOCKER_CI_DATA_ROOT:-/var/lib/docker-ci}
  exec_root=${DOCKER_CI_EXEC_ROOT:-/run/docker-ci}
  pidfile=${DOCKER_CI_PIDFILE:-/run/docker-ci.pid}
  log=${DOCKER_CI_LOG:-/var/log/docker-ci.log}
  timeout=${DOCKER_CI_TIMEOUT:-60}
  host=${DOCKER_HOST:-unix://$sock}

  say() { printf '[engine] %s\n' "$*" >&2; }
  up() { DOCKER_HOST=$1 docker info >/dev/null 2>&1; }
  # The pid in our pidfile, if that process is still the dockerd we started.
  our_pid() {
    local pid
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "dockerd .*unix://$sock" || return 1
    echo "$pid"
  }

  case "${1:-start}" in
    start) ;;
    status)
      if command -v docker >/dev/null && up "$host"; then
        say "up at $host ($(DOCKER_HOST=$host docker version -f '{{.Server.Version}}' 2>/dev/null))"
        echo "export DOCKER_HOST=$host"
        return 0
      fi
      say "no engine answers at $host"
      return 1
      ;;
    stop)
      local_pid=$(our_pid) || { say "no engine started by engine.sh is running (no live pid in $pidfile); nothing to stop"; return 0; }
      say "stopping dockerd (pid $local_pid)"
      kill -TERM "$local_pid"
      for ((i = 0; i < 60; i++)); do
        kill -0 "$local_pid" 2>/dev/null || { say "stopped"; return 0; }
        sleep 0.5
      done
      say "dockerd (pid $local_pid) still running after 30 s; see $log"
      return 1
      ;;
    *)
      say "usage: engine.sh [start|status|stop]"
      return 2
      ;;
  esac

  if command -v docker >/dev/null && up "$host"; then
    echo "export DOCKER_HOST=$host"
    return 0
  fi

  # Nothing answers: install what is missing, then start our own engine.
  missing=()
  for pkg in docker.io docker-compose debootstrap; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) == installed ]] || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || { say "missing ${missing[*]} and not root: cannot apt-get install"; return 1; }
    say "installing ${missing[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi

  host=unix://$sock
  if up "$host"; then
    echo "export DOCKER_HOST=$host"
    return 0
  fi
  if pid=$(our_pid); then
    say "dockerd (pid $pid) is running but does not answer yet"
  else
    mkdir -p "$data_root" "$exec_root" "$(dirname "$log")" "$(dirname "$sock")"
    say "starting dockerd on $host (data root $data_root, log $log)"
    # vfs: works on any filesystem, no overlay needed (slow, but fine here).
    # No bridge, no iptables: builds use --network host, containers use
    # user-defined networks. Own exec-root/pidfile: never clashes with a
    # system dockerd.
    # The daemon outlives this script, so it must not keep any descriptor it
    # inherits above 2: run as `flock /tmp/docker.lock npm run test:docker`,
    # fd 3 is that lock, and a dockerd holding it blocks every later flock.
    setsid bash -c 'for fd in /proc/$$/fd/*; do fd=${fd##*/}; ((fd > 2)) && eval "exec $fd>&-"; done; exec "$@"' close-fds \
      dockerd --data-root "$data_root" --exec-root "$exec_root" --pidfile "$pidfile" \
      --storage-driver vfs --iptables=false --bridge=none \
      -H "$host" >>"$log" 2>&1 </dev/null &
    pid=$!
  fi

  start=$SECONDS
  until up "$host"; do
    # (setsid may fork, so $! can be gone: the pidfile is what counts.)
    if ((SECONDS - start >= 3)) && ! kill -0 "$pid" 2>/dev/null && ! our_pid >/dev/null; then
      say "dockerd exited while starting; last lines of $log:"
      tail -n 20 "$log" >&2 || true
      return 1
    fi
    if ((SECONDS - start >= timeout)); then
      say "dockerd did not answer on $host within ${timeout} s; last lines of $log:"
      tail -n 20 "$log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  say "ready after $((SECONDS - start)) s"
  echo "export DOCKER_HOST=$host"
)

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  _docker_ci_engine "$@"
else
  # Sourced: the work runs in a subshell; export the result here.
  if _docker_ci_out=$(_docker_ci_engine "$@"); then
    [[ -n $_docker_ci_out ]] && eval "$_docker_ci_out" && echo "$_docker_ci_out"
    unset _docker_ci_out
  else
    unset _docker_ci_out
    return 1
  fi
fi
