#!/usr/bin/env bash
# Copies into ROOT, at their own paths, the C libraries and the loader that the given
# executables and shared objects link (as this machine has them), for images FROM scratch.
# Usage: scripts/copy-libraries.sh ROOT FILE...
set -euo pipefail
root=${1:?usage: $0 ROOT FILE...}; shift
# ldd lists "name => /path (addr)" and the loader as "/path (addr)".
for object in "$@"; do
  ldd "$object" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u | while read -r library; do
  mkdir -p "$root$(dirname "$library")" && cp -L "$library" "$root$library"
done
