#!/usr/bin/env bash
# Proves the Worker bundles for deployment and prints its size.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
wrangler deploy --dry-run --outdir "$out" 2>&1 | grep -v "^$"
# What is uploaded and run: the JS shim and the wasm module (not source maps).
files=("$out"/*.js "$out"/*.wasm)
raw=$(cat "${files[@]}" | wc -c)
gz=$(cat "${files[@]}" | gzip -9 | wc -c)
wasm=$(cat "$out"/*.wasm | wc -c)
echo "bundle size: ${raw} bytes raw (wasm ${wasm}), ${gz} bytes gzip"
