#!/usr/bin/env bash
# backtest-run's replay benchmark next to vectorbt and backtrader, in one run (README,
# "backtest-run" → "Benchmark").
#
#   scripts/bench-backtest.sh [ROWS] [MARKETS]     default: 1000000 1000
#
# 1. builds the bench binary (release) and runs `backtest-bench replay` with fees at zero and
#    with Kalshi's fee: engine-only snapshot events/s, P&L, peak RSS (JSON lines);
# 2. runs benches/compare.py in a venv (benches/requirements-compare.txt): the same
#    threshold_hold signal on the same data in vectorbt and backtrader, each tool's time, and
#    checks every P&L against the hand-computable answer. Exits 1 on any disagreement.
#
# backtrader runs at about 6k snapshot events/s; above 1M rows BENCH_SKIP_BACKTRADER=1 leaves it
# out. `backtest-bench e2e --rows N` (PostgreSQL end to end) is separate: see the README.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
markets="${2:-1000}"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -p backtest-run --bin backtest-bench >&2
bench="$CARGO_TARGET_DIR/release/backtest-bench"

venv="${BENCH_VENV:-.venv-bench}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r functions/backtest-run/benches/requirements-compare.txt
fi

out=$(mktemp -d /tmp/precog-backtest-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
for fees in zero series; do
  "$bench" replay --rows "$rows" --markets "$markets" --fees "$fees" | tee "$out/$fees.json"
done
skip=()
if [ -n "${BENCH_SKIP_BACKTRADER:-}" ]; then skip=(--skip-backtrader); fi
"$venv/bin/python" functions/backtest-run/benches/compare.py --rows "$rows" --markets "$markets" \
  --rust-zero "$out/zero.json" --rust-series "$out/series.json" "${skip[@]}"
