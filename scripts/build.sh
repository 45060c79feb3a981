#!/usr/bin/env bash
# Builds the release Worker into build/ (also wrangler's [build] command).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
worker-build --release
# The wasm's "name" section (function names, ~180 KB) only serves debuggers and symbolicated
# stack traces; a panic still logs its message. Stripped from what is deployed.
"$WASM_OPT_BIN" --strip-debug build/index_bg.wasm -o build/index_bg.wasm
