# Sourced by the other scripts: the toolchain locations every step agrees on.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$ROOT/node_modules/.bin:$PATH"
# worker-build would download these from GitHub; use the pinned local ones instead.
export WASM_BINDGEN_BIN="${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export WRANGLER_SEND_METRICS=false
export NO_UPDATE_NOTIFIER=1
WORKER_BUILD_VERSION="0.8.7"
# The wasm-bindgen-cli must match the library version resolved in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"

# Install-step messages: what is missing and how to fix it.
fail() {
  echo "install: $1" >&2
  echo "  how to fix: $2" >&2
  exit 1
}
step() { echo "install: $*"; }
