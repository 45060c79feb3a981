#!/usr/bin/env bash
# Fuzzes the pure domain with cargo-fuzz (libFuzzer, nightly): each target for a bounded time.
# Usage: bash scripts/fuzz.sh [seconds per target, default 60] [target ...]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT/fuzz"
secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ingest hook_validation url_policy retry_after signature)
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for t in "${targets[@]}"; do
  echo "== fuzz $t for ${secs}s"
  mkdir -p "corpus/$t"
  cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -print_final_stats=1 2>&1 \
    | grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|SUMMARY|panicked|ERROR" || true
  # libFuzzer exits non-zero on a finding; the artifact is in fuzz/artifacts/$t.
  if ls "artifacts/$t"/crash-* >/dev/null 2>&1; then echo "FINDING in $t: see fuzz/artifacts/$t"; exit 1; fi
done
