#!/usr/bin/env bash
# The whole test suite, as README.md gives it: formatting, lints, every crate's tests against real
# PostgreSQL / S3 / HTTP fakes (and the time-series suites again on TimescaleDB), and the deploy
# templates. Needs: cargo, PostgreSQL 15+ server
# binaries (the test harness starts its own throwaway cluster), python3 (cfn-lint, moto).
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${PRECOG_VENV:-$PWD/.venv}"
if [ ! -x "$venv/bin/cfn-lint" ] || [ ! -x "$venv/bin/schemathesis" ] || [ ! -x "$venv/bin/moto_server" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
export PATH="$venv/bin:$PATH"

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
# The suites that touch time-series tables, again on a TimescaleDB cluster (production's server,
# ADR-108): hypertables, compression and writes into compressed chunks. .ci/run installs the
# extension with scripts/install-timescaledb.sh.
echo "== cargo test (TimescaleDB)"
scripts/install-timescaledb.sh --check
PRECOG_TEST_TIMESCALEDB=1 cargo test --locked --tests \
  -p collect-kalshi -p collect-espn -p nightly-backup -p read-api -p backtest-run
echo "== templates"
scripts/check-templates.sh
echo "all checks passed"
