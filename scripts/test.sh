#!/usr/bin/env bash
# npm test: install, Rust unit tests, lint, build, end-to-end tests in workerd, deploy dry run.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/install.sh
bash scripts/install-browser.sh

echo "== Rust unit tests (native)"
cargo test --locked

echo "== Format and lint"
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown -- -D warnings

echo "== Build the Worker"
bash scripts/build.sh

echo "== wrangler deploy --dry-run"
bash scripts/dry-run.sh

echo "== End-to-end tests (workerd via Miniflare, loopback receiver)"
node --test --test-concurrency=1 tests/
