# Sourced by the other scripts: where Flotilla's build tools live on this machine.
# Kept outside the clone so a fresh clone (CI) reuses what an earlier run installed.
export FLOTILLA_TOOLS=${FLOTILLA_TOOLS:-$HOME/.cache/flotilla/tools}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/flotilla/target}
# npm's binaryen first: Debian's wasm-opt 108 breaks hydration of current rustc output.
export PATH="$FLOTILLA_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
