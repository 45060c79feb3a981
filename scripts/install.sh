#!/usr/bin/env bash
# Brings whatever is missing to build, run and test Hookwing; fast when nothing is.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

command -v cargo >/dev/null || fail "cargo is not installed" "install Rust with rustup (https://rustup.rs), then re-run"
command -v rustup >/dev/null || fail "rustup is not installed" "install Rust with rustup so the wasm32 target can be added"
command -v node >/dev/null && command -v npm >/dev/null || fail "node/npm are not installed" "install Node.js 20.3 or newer"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=3)?0:1)' \
  || fail "Node.js $(node --version) is too old" "install Node.js 20.3 or newer"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown || fail "could not add the wasm32 target" "run: rustup target add wasm32-unknown-unknown"
fi

if [ "$(worker-build --version 2>/dev/null || true)" != "$WORKER_BUILD_VERSION" ]; then
  step "installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked \
    || fail "could not install worker-build $WORKER_BUILD_VERSION" "run: cargo install worker-build --version $WORKER_BUILD_VERSION --locked"
fi

[ -n "$WASM_BINDGEN_VERSION" ] || fail "no wasm-bindgen version in Cargo.lock" "restore Cargo.lock from git"
if [ "$("$WASM_BINDGEN_BIN" --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked --force \
    || fail "could not install wasm-bindgen-cli $WASM_BINDGEN_VERSION" "run: cargo install wasm-bindgen-cli --version $WASM_BINDGEN_VERSION --locked"
fi

# npm ci only when package-lock.json changed since the last install.
stamp="node_modules/.hookwing-lock"
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
  step "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed" "check network access to the npm registry, then re-run"
  cp package-lock.json "$stamp"
fi
[ -x "$WASM_OPT_BIN" ] || fail "wasm-opt is missing from node_modules" "delete node_modules and re-run (it comes from the binaryen package)"

# Schemathesis for the contract tests, in a project-local virtualenv (.venv/, not committed).
SCHEMATHESIS_VERSION="$(awk -F'==' '/^schemathesis==/ { print $2 }' scripts/requirements-contract.txt)"
if [ "$(.venv/bin/schemathesis --version 2>/dev/null || true)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  step "installing schemathesis $SCHEMATHESIS_VERSION into .venv (once)"
  command -v python3 >/dev/null || fail "python3 is not installed" "install Python 3.9 or newer (Debian: apt-get install python3 python3-venv)"
  [ -x .venv/bin/python ] || python3 -m venv .venv \
    || fail "could not create .venv" "install the venv module (Debian: apt-get install python3-venv), then re-run"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/requirements-contract.txt \
    || fail "could not install schemathesis" "check access to PyPI, then re-run"
fi
