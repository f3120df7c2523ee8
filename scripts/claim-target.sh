#!/usr/bin/env bash
# The cargo target dir is shared by every clone on this machine (so a new clone builds warm).
# Cargo decides freshness by file times and ignores where the workspace lives, so after
# another clone built there, this clone's older files would look already built. When the
# last build came from elsewhere, mark this clone's sources as new.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
marker=$CARGO_TARGET_DIR/.flotilla-built-from
if [ "$(cat "$marker" 2>/dev/null)" != "$PWD" ]; then
  git ls-files -z -- Cargo.toml Cargo.lock .cargo app frontend server crates | xargs -0 touch
  mkdir -p "$CARGO_TARGET_DIR"
  echo "$PWD" >"$marker"
fi

# A shared target dir only grows (each dependency upgrade leaves the old artifacts behind).
# Below 15 GB free, start cold rather than fail at link time.
mkdir -p "$CARGO_TARGET_DIR"
free_gb=$(df --output=avail -BG "$CARGO_TARGET_DIR" | tail -1 | tr -dc '0-9')
if [ "$free_gb" -lt 15 ]; then
  echo "claim-target: only ${free_gb} GB free; removing $CARGO_TARGET_DIR/debug for a cold build" >&2
  rm -rf "$CARGO_TARGET_DIR/debug"
fi
