#!/usr/bin/env bash
# Makes sure the engine `make run` serves answers: DOCKER_HOST if set, else the local
# socket — starting Debian's dockerd when nothing answers there — and that it has the
# local/busybox:1 image to run services with (there is no registry to pull from).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'local-engine: %s\n' "$*" >&2; }

host=${DOCKER_HOST:-unix:///var/run/docker.sock}
answers() { docker -H "$host" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if answers; then
  say "the engine at $host answers"
elif [ "$host" != unix:///var/run/docker.sock ]; then
  say "error: DOCKER_HOST=$host does not answer; start that engine or unset DOCKER_HOST"
  exit 1
else
  scripts/setup.sh engine
  [ "$(id -u)" = 0 ] || { say "error: no engine answers at $host and starting dockerd needs root (sudo make run)"; exit 1; }
  say "starting dockerd (log: /var/log/flotilla-dockerd.log)"
  setsid dockerd >/var/log/flotilla-dockerd.log 2>&1 </dev/null &
  for _ in $(seq 120); do answers && break; sleep 0.5; done
  answers || { tail -n 20 /var/log/flotilla-dockerd.log >&2; say "error: dockerd did not come up"; exit 1; }
  say "dockerd answers at $host"
fi
scripts/import-image.sh "$host"
