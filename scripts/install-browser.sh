#!/usr/bin/env bash
# The console's browser tests drive Debian's Chromium (playwright-core never downloads one).
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing Debian's chromium for the console tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >/dev/null \
      || fail "could not install chromium" "run: sudo apt-get install -y chromium (or set CHROMIUM_PATH)"
  else
    fail "chromium is not installed (needed by the console tests)" "run: sudo apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium binary)"
  fi
fi

