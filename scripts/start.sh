#!/usr/bin/env bash
# npm start: install, build, serve on 127.0.0.1:${PORT:-8787} (state persists in .wrangler/state).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/install.sh
[ -f .dev.vars ] || { cp .dev.vars.example .dev.vars; echo "start: created .dev.vars from .dev.vars.example"; }
# wrangler dev runs the [build] command (scripts/build.sh) before serving.
exec wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}"
