#!/usr/bin/env bash
# Puts a tiny busybox image (default local/busybox:1) into one engine. There is no registry
# to pull from, so the image is made from Debian's static busybox; every swarm node needs
# its own copy because tasks only run images their node has.
#   scripts/import-image.sh unix:///var/run/docker.sock [IMAGE]
set -euo pipefail
host=${1:?usage: $0 DOCKER_HOST [IMAGE]}
image=${2:-local/busybox:1}
docker_cli=${DOCKER_CLI:-docker}

if "$docker_cli" -H "$host" image inspect "$image" >/dev/null 2>&1; then exit 0; fi
busybox=$(command -v busybox) || { echo "import-image: busybox is missing (apt-get install -y busybox-static)" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
  echo "import-image: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/www"
cp "$busybox" "$rootfs/bin/busybox"
for applet in sh httpd sleep ls cat echo hostname wget env true false; do
  ln -s busybox "$rootfs/bin/$applet"
done
echo "flotilla" >"$rootfs/www/index.html"
tar -C "$rootfs" -c . | "$docker_cli" -H "$host" import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - "$image" >/dev/null
echo "import-image: $image imported into $host" >&2
