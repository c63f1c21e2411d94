#!/usr/bin/env bash
# The whole test suite, as README.md gives it: formatting, lints, every crate's tests against real
# PostgreSQL / S3 / HTTP fakes (the time-series suites a second time on TimescaleDB), and the deploy
# templates. Needs: cargo, PostgreSQL 15+ server binaries (the test harness starts its own
# throwaway cluster) with TimescaleDB installed (scripts/install-timescaledb.sh), python3
# (cfn-lint, moto); for the dashboard step, Node 20+ with npm and /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${PRECOG_VENV:-$PWD/.venv}"
if [ ! -x "$venv/bin/cfn-lint" ] || [ ! -x "$venv/bin/schemathesis" ] || [ ! -x "$venv/bin/moto_server" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
export PATH="$venv/bin:$PATH"
# Queries are checked at compile time against .sqlx/, never against whatever DATABASE_URL is set.
export SQLX_OFFLINE=true

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
# The suites that touch time-series tables, again on a TimescaleDB cluster (production's server,
# ADR-108): hypertables, compression and writes into compressed chunks. .ci/run installs the
# extension with scripts/install-timescaledb.sh; the test harness loads it when
# PRECOG_TEST_TIMESCALEDB=1 (precog::pgcluster).
echo "== cargo test (TimescaleDB)"
scripts/install-timescaledb.sh --check
# The whole workspace, not a -p list: another package set resolves other features and would
# build the dependencies a second time; the suites that never touch a hypertable cost seconds.
PRECOG_TEST_TIMESCALEDB=1 cargo test --workspace --locked --tests
echo "== sqlx offline data"
scripts/check-sqlx.sh
echo "== templates"
scripts/check-templates.sh
echo "== dashboard (scripts/test-dashboard.sh)"
scripts/test-dashboard.sh
echo "all checks passed"
