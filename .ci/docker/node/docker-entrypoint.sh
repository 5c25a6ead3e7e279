#!/bin/sh
# As in the official node image: `docker run IMAGE script.js` or
# `docker run IMAGE --version` runs node; a command on PATH runs as given.
set -e
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
