#!/usr/bin/env bash
# `make image`: the container image from what `make build` made, on a machine with no
# registry. It builds the Dockerfile's runtime stage (which needs no base image) from a
# staged root, instead of the Dockerfile's builder stage. Prints the image's size.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$HOME/.cache/flotilla/target}
context=$target/image
tag=${FLOTILLA_IMAGE:-flotilla:local}
say() { printf 'image: %s\n' "$*" >&2; }

mkdir -p "$context"
scripts/image-root.sh "$target" "$context/image-root"
# The runtime stage as the Dockerfile writes it, copying the staged root from the context.
sed -n '/^FROM scratch AS runtime$/,$p' Dockerfile |
  sed 's|^COPY --from=build \(--chown=[^ ]* \)\{0,1\}/image-root|COPY \1image-root|' >"$context/Dockerfile"
if ! grep -q '^COPY image-root/ /$' "$context/Dockerfile" || grep -q -- '--from=' "$context/Dockerfile"; then
  say "error: the Dockerfile's runtime stage does not copy /image-root/ from the build stage"; exit 1
fi
docker build -q -t "$tag" "$context" >/dev/null
size=$(docker image inspect "$tag" --format '{{.Size}}')
say "$tag: $((size / 1000000)) MB ($size bytes; goal ≤ 40 MB)"
