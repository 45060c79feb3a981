#!/usr/bin/env bash
# Builds the release Worker into build/ (also wrangler's [build] command).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
worker-build --release
