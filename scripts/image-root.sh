#!/usr/bin/env bash
# Stages the container's whole filesystem under ROOT from what `make build` made in
# TARGET_DIR: the stripped binary, the site, the C libraries the binary links (as this
# machine has them, so no base image is needed), CA certificates and a non-root user; and
# ROOT-data, the empty data directory (copied apart: it alone belongs to that user).
# Usage: scripts/image-root.sh TARGET_DIR ROOT
set -euo pipefail
target=${1:?usage: $0 TARGET_DIR ROOT} root=${2:?usage: $0 TARGET_DIR ROOT}
binary=$target/release/flotilla
[ -x "$binary" ] && [ -f "$target/site/hash.txt" ] || {
  echo "image-root: no release build in $target (make build)" >&2; exit 1; }

rm -rf "$root" "$root-data"
mkdir -p "$root/usr/local/bin" "$root/srv/flotilla" "$root/etc/ssl/certs" "$root/tmp" "$root-data"
install -m 0755 "$binary" "$root/usr/local/bin/flotilla"
strip "$root/usr/local/bin/flotilla"
cp -r "$target/site" "$root/srv/flotilla/site"
"$(dirname "$0")/copy-libraries.sh" "$root" "$binary"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
fi
echo 'flotilla:x:10001:10001:Flotilla:/data:/nonexistent' >"$root/etc/passwd"
echo 'flotilla:x:10001:' >"$root/etc/group"
chmod 1777 "$root/tmp"
