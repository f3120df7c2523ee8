#!/usr/bin/env bash
# Installs what Flotilla needs to build, run and test, and skips what is already there.
#   scripts/setup.sh build   toolchain pieces for the site (wasm32 target, wasm-bindgen, wasm-opt)
#   scripts/setup.sh engine  Debian's Docker engine and the busybox used for local images
#   scripts/setup.sh test    everything the tests need (build + engine + Chromium, Playwright)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

apt_updated=
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} — run as root, or: sudo apt-get install -y ${missing[*]}"
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    apt-get update -qq || die "apt-get update failed; check the package mirror"
    apt_updated=1
  fi
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
}

lock_version() {
  # The version Cargo.lock pins for crate $1.
  awk -v n="$1" '$0 == "name = \"" n "\"" {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock
}

ensure_rust() {
  command -v cargo >/dev/null || die "cargo is missing; install Rust with rustup (https://rustup.rs)"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_wasm_bindgen() {
  local want have
  want=$(lock_version wasm-bindgen)
  [ -n "$want" ] || die "Cargo.lock names no wasm-bindgen version"
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  [ "$have" = "$want" ] && return 0
  say "cargo install wasm-bindgen-cli $want (about 7 minutes on 2 cores; was: ${have:-none})"
  # Without --locked: its lock file names a webpki-roots release the registry no longer serves.
  cargo install wasm-bindgen-cli --version "=$want" --force
}

ensure_node() {
  command -v npm >/dev/null || apt_install nodejs npm
}

ensure_wasm_opt() {
  # binaryen from npm (132): Debian's binaryen 108 produces a .wasm that fails to hydrate.
  if [ "$("$FLOTILLA_TOOLS/node_modules/.bin/wasm-opt" --version 2>/dev/null | awk '{print $3}')" = 132 ]; then
    return 0
  fi
  ensure_node
  say "npm install binaryen@132 into $FLOTILLA_TOOLS"
  mkdir -p "$FLOTILLA_TOOLS"
  npm install --prefix "$FLOTILLA_TOOLS" --no-audit --no-fund --silent binaryen@132
}

ensure_engine_packages() {
  apt_install docker.io busybox-static iproute2 iptables util-linux openssl docker-registry apache2-utils curl
}

ensure_browser() {
  apt_install chromium
  ensure_node
  if [ ! -d end2end/node_modules/playwright-core ]; then
    say "npm ci in end2end/ (playwright-core; it drives Debian's /usr/bin/chromium)"
    (cd end2end && npm ci --no-audit --no-fund --silent)
  fi
}

case "${1:-test}" in
  build) ensure_rust; apt_install brotli; ensure_wasm_bindgen; ensure_wasm_opt ;;
  engine) ensure_engine_packages ;;
  test) ensure_rust; ensure_engine_packages; apt_install postgresql sqlite3 brotli; ensure_browser; ensure_wasm_bindgen; ensure_wasm_opt ;;
  *) die "usage: $0 build|engine|test" ;;
esac
