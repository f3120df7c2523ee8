#!/usr/bin/env bash
# Builds the site exactly as `cargo leptos build --release` would with the metadata in the
# root Cargo.toml, using plain cargo + wasm-bindgen + wasm-opt, so a new machine does not pay
# the 40-minute cargo-leptos install:
#   frontend → wasm32 (profile wasm-release) → wasm-bindgen (web target) → wasm-opt -Oz
#   style/main.css → pkg/flotilla.css, public/ → site root, server → release binary;
#   a release build names the three by content (flotilla.<hash>.wasm, listed in hash.txt).
# Usage: scripts/build-site.sh [--debug]     (site in $CARGO_TARGET_DIR/site)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/claim-target.sh

mode=release
[ "${1:-}" = "--debug" ] && mode=debug
target_dir=${CARGO_TARGET_DIR:-target}
site=$target_dir/site
pkg=$site/pkg
name=flotilla
say() { printf 'build-site: %s\n' "$*" >&2; }

if [ "$mode" = release ]; then
  wasm_profile=wasm-release; server_flags=(--release)
else
  wasm_profile=dev; server_flags=()
fi
wasm_dir=$target_dir/wasm32-unknown-unknown/$([ "$wasm_profile" = dev ] && echo debug || echo "$wasm_profile")

say "frontend → wasm32 ($wasm_profile)"
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile "$wasm_profile"

say "wasm-bindgen $(wasm-bindgen --version | awk '{print $2}')"
rm -rf "$pkg" && mkdir -p "$pkg"
wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name "$name" "$wasm_dir/frontend.wasm"
# cargo-leptos names the module after the site; the hydration script asks for $name.wasm.
mv "$pkg/${name}_bg.wasm" "$pkg/$name.wasm"

if [ "$mode" = release ]; then
  before=$(stat -c %s "$pkg/$name.wasm")
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$pkg/$name.wasm" -o "$pkg/$name.wasm"
  after=$(stat -c %s "$pkg/$name.wasm")
  say "wasm-opt -Oz: $before → $after bytes ($(gzip -9c "$pkg/$name.wasm" | wc -c) gzipped)"
fi

cp style/main.css "$pkg/$name.css"
cp -r public/. "$site/"

if [ "$mode" = release ]; then
  # Named by content, as cargo-leptos' hash-files does: browsers keep them for a year, and
  # hash.txt tells the server the names (leptos' HydrationScripts reads it).
  : >"$site/hash.txt"
  for ext in js wasm css; do
    hash=$(sha256sum "$pkg/$name.$ext" | cut -c1-16)
    mv "$pkg/$name.$ext" "$pkg/$name.$hash.$ext"
    echo "$ext: $hash" >>"$site/hash.txt"
    # Served precompressed: browsers get brotli (or gzip) without the server compressing.
    gzip -9 -k -f "$pkg/$name.$hash.$ext"
    if command -v brotli >/dev/null; then brotli -q 11 -k -f "$pkg/$name.$hash.$ext"; fi
  done
  wasm=$(ls "$pkg/$name".*.wasm)
  say "precompressed: $(basename "$wasm") $(stat -c %s "$wasm") bytes, gzip $(stat -c %s "$wasm.gz")$([ -f "$wasm.br" ] && echo ", brotli $(stat -c %s "$wasm.br")")"
else
  rm -f "$site/hash.txt"
fi

say "server (${mode})"
cargo build -p server "${server_flags[@]}"
say "done: $target_dir/$mode/flotilla serves $site"
