#!/usr/bin/env bash
# A private image registry for the tests: Debian's docker-registry (distribution 2.8) with
# htpasswd auth, listening where a sandbox's engines reach it (its bridge address; the
# engines are started with SANDBOX_REGISTRY so they pull from it without TLS). Push
# notifications go to REGISTRY_NOTIFY when set. Nothing leaves the machine.
#
#   scripts/registry.sh up     start it (idempotent: a running one is restarted with the new
#                              settings, keeping its images)
#   scripts/registry.sh down   stop it and remove its data
#
# Settings (environment): REGISTRY_NAME (default flt-registry; its files live in
# /run/REGISTRY_NAME), REGISTRY_ADDR (host:port to listen on, default 127.0.0.1:5000),
# REGISTRY_USER and REGISTRY_PASSWORD (the one login it accepts), REGISTRY_NOTIFY (a URL).
set -euo pipefail

name=${REGISTRY_NAME:-flt-registry}
addr=${REGISTRY_ADDR:-127.0.0.1:5000}
user=${REGISTRY_USER:-flotilla}
password=${REGISTRY_PASSWORD:-flotilla registry password}
notify=${REGISTRY_NOTIFY:-}
dir=/run/$name

say() { printf 'registry[%s]: %s\n' "$name" "$*" >&2; }
die() { say "error: $*"; exit 1; }

stop() {
  if [ -f "$dir/pid" ]; then
    local pid
    pid=$(cat "$dir/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/pid"
  fi
}

cmd_down() {
  stop
  rm -rf "$dir"
}

cmd_up() {
  command -v docker-registry >/dev/null || die "docker-registry is missing (scripts/setup.sh engine installs it)"
  command -v htpasswd >/dev/null || die "htpasswd is missing (apache2-utils; scripts/setup.sh engine installs it)"
  stop
  mkdir -p "$dir/data"
  htpasswd -Bbn "$user" "$password" >"$dir/htpasswd" 2>/dev/null
  {
    printf 'version: 0.1\nlog:\n  level: warn\n'
    printf 'storage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\n' "$dir"
    printf 'http:\n  addr: %s\n' "$addr"
    printf 'auth:\n  htpasswd:\n    realm: flotilla-tests\n    path: %s/htpasswd\n' "$dir"
    if [ -n "$notify" ]; then
      # Blob uploads are not pushes of a tag: only manifests are sent.
      printf 'notifications:\n  endpoints:\n    - name: flotilla\n      url: %s\n      timeout: 2s\n      threshold: 3\n      backoff: 1s\n      ignoredmediatypes:\n        - application/octet-stream\n' "$notify"
    fi
  } >"$dir/config.yml"
  setsid docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  for _ in $(seq 1 50); do
    # 401 without credentials means it is up and asking for them.
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/v2/")" = 401 ]; then
      say "listening on $addr"
      return 0
    fi
    sleep 0.2
  done
  tail -n 20 "$dir/log" >&2 || true
  die "did not answer on $addr within 10 s (log: $dir/log)"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  *) echo "usage: $0 up|down  (REGISTRY_NAME, REGISTRY_ADDR, REGISTRY_USER, REGISTRY_PASSWORD, REGISTRY_NOTIFY)" >&2; exit 2 ;;
esac
