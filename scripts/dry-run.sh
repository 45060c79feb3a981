#!/usr/bin/env bash
# Proves the Worker bundles for deployment and prints its size.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
wrangler deploy --dry-run --outdir "$out" 2>&1 | grep -v "^$"
raw=$(cat "$out"/* 2>/dev/null | wc -c)
gz=$(cat "$out"/* 2>/dev/null | gzip -9 | wc -c)
echo "bundle: $(ls "$out" | tr '\n' ' ')"
echo "bundle size: ${raw} bytes raw, ${gz} bytes gzip"
