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
