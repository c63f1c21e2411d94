"""The same `threshold_hold` signal on the same synthetic snapshots in vectorbt and backtrader,
next to backtest-run's replay (README, "backtest-run" → "Benchmark").

    python compare.py --rows 1000000 --markets 1000 \
        --rust-zero zero.json --rust-series series.json

`zero.json` / `series.json` are `backtest-bench replay --fees zero|series` outputs for the same
rows and markets. The data is `bid_cents()` of benches/bench.rs: market m at step s (one minute
apart) has YES bid 5 + ((s // 7 + 13 m) % 89) cents and YES ask two cents above, 100 contracts
a side. threshold_hold(side=yes, max_entry_price=0.10, contracts=10) buys 10 YES at the ask the
first time the ask is <= 0.10 and holds; every market settles at the window's end, even-numbered
markets YES ($1), odd NO ($0).

How each tool is made to model that:
- vectorbt: `Portfolio.from_signals` on the ask matrix (one column per market, one cash pool),
  entries where ask <= 0.10 (no accumulation, so only the first counts), price = the ask, plus a
  last row at the settlement instant whose price is the payout (no signal there).
- backtrader: one data feed per market (close = ask), cheat-on-close so a market order fills at
  the bar it was sent on, the same settlement bar, and Kalshi's fee as a CommissionInfo.

Fees: with fees at zero all three must agree to the cent. With Kalshi's fee, backtrader charges it
exactly (its commission hook can round up to the cent); vectorbt only has a proportional rate, so
it gets 0.07 * (1 - P) of the order value, the unrounded fee; the difference must equal the sum of
the per-order rounding, which this script computes and checks.

Exit status 1 when any comparison disagrees.
"""

import argparse
import json
import math
import sys
import time
from decimal import Decimal

import numpy as np
import pandas as pd

MAX_ENTRY = 0.10
CONTRACTS = 10
CASH = 1_000_000.0
T0 = pd.Timestamp(1_790_000_000, unit="s", tz="UTC")


def synthetic_asks(rows, markets):
    """Ask matrix (steps x markets) in dollars, and the payout per market."""
    steps = rows // markets
    s = np.arange(steps)[:, None]
    m = np.arange(markets)[None, :]
    bid_cents = 5 + ((s // 7 + m * 13) % 89)
    asks = (bid_cents + 2) / 100.0
    payout = np.where(np.arange(markets) % 2 == 0, 1.0, 0.0)
    return asks, payout


def kalshi_fee_exact(price, contracts):
    """Kalshi's taker fee, 0.07 C P (1 - P) rounded up to the cent, in exact decimals."""
    p = Decimal(str(round(price, 2)))
    raw = Decimal("0.07") * contracts * p * (1 - p)
    return (raw * 100).to_integral_value(rounding="ROUND_CEILING") / 100, raw


def expected(asks, payout):
    """The hand-computable answer: first ask <= max per market, 10 contracts, settled."""
    hit = asks <= MAX_ENTRY + 1e-12
    first = hit.argmax(axis=0)
    entered = hit.any(axis=0)
    gross = Decimal(0)
    fees_rounded = Decimal(0)
    fees_raw = Decimal(0)
    for market in np.flatnonzero(entered):
        price = asks[first[market], market]
        gross += CONTRACTS * (Decimal(str(payout[market])) - Decimal(str(round(price, 2))))
        rounded, raw = kalshi_fee_exact(price, CONTRACTS)
        fees_rounded += rounded
        fees_raw += raw
    return {
        "trades": int(entered.sum()),
        "gross": gross,
        "fees_rounded": fees_rounded,
        "fees_raw": fees_raw,
    }


def run_vectorbt(asks, payout, fees):
    import vectorbt as vbt

    steps, markets = asks.shape
    if steps > 8:
        # Numba compiles on first use; time the backtest, not the compiler.
        run_vectorbt(asks[:8, :2], payout[:2], fees)
    index = pd.date_range(T0, periods=steps + 1, freq="min")
    price = pd.DataFrame(np.vstack([asks, payout[None, :]]), index=index)
    entries = price <= MAX_ENTRY + 1e-12
    entries.iloc[-1, :] = False
    fee_rate = 0.07 * (1.0 - price) if fees == "series" else 0.0
    started = time.perf_counter()
    pf = vbt.Portfolio.from_signals(
        close=price,
        entries=entries,
        price=price,
        size=CONTRACTS,
        size_type="amount",
        fees=fee_rate,
        init_cash=CASH,
        cash_sharing=True,
        group_by=True,
        accumulate=False,
        freq="1min",
    )
    net = float(pf.total_profit())
    trades = int(pf.orders.count())
    paid = float(pf.orders.records_readable["Fees"].sum())
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "net": net, "fees": paid, "trades": trades}


def run_backtrader(asks, payout, fees):
    import backtrader as bt

    steps, markets = asks.shape
    index = pd.date_range(T0, periods=steps + 1, freq="min").tz_localize(None)
    settle_at = index[-1].to_pydatetime()

    class KalshiFee(bt.CommInfoBase):
        params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_FIXED))

        def _getcommission(self, size, price, pseudoexec):
            if fees != "series":
                return 0.0
            rounded, _ = kalshi_fee_exact(price, abs(int(size)))
            return float(rounded)

    class ThresholdHold(bt.Strategy):
        def __init__(self):
            self.entered = set()

        def next(self):
            if self.datetime.datetime(0) >= settle_at:
                return
            for i, data in enumerate(self.datas):
                if i not in self.entered and data.close[0] <= MAX_ENTRY + 1e-12:
                    self.buy(data=data, size=CONTRACTS)
                    self.entered.add(i)

    started = time.perf_counter()
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.broker.set_cash(CASH)
    cerebro.broker.set_coc(True)
    cerebro.broker.addcommissioninfo(KalshiFee())
    for market in range(markets):
        column = np.append(asks[:, market], payout[market])
        frame = pd.DataFrame(
            {"open": column, "high": column, "low": column, "close": column, "volume": 100.0},
            index=index,
        )
        cerebro.adddata(bt.feeds.PandasData(dataname=frame), name=f"BENCH-{market:04d}")
    cerebro.addstrategy(ThresholdHold)
    (result,) = cerebro.run()
    net = cerebro.broker.getvalue() - CASH
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "net": net, "trades": len(result.entered)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--markets", type=int, default=1000)
    parser.add_argument("--rust-zero", required=True)
    parser.add_argument("--rust-series", required=True)
    parser.add_argument("--skip-backtrader", action="store_true")
    args = parser.parse_args()
    if args.rows % args.markets:
        sys.exit("--rows must be a multiple of --markets (one snapshot per market per step)")

    asks, payout = synthetic_asks(args.rows, args.markets)
    want = expected(asks, payout)
    rust = {}
    for fees, path in (("zero", args.rust_zero), ("series", args.rust_series)):
        with open(path) as f:
            out = json.load(f)
        if (out["rows"], out["markets"], out["fees"]) != (args.rows, args.markets, fees):
            sys.exit(f"{path} is for other data: {out['rows']} rows, {out['markets']} markets, fees {out['fees']}")
        rust[fees] = out

    rows = []
    failures = []

    def check(label, got, wanted, tolerance=0.005):
        ok = math.isclose(got, wanted, abs_tol=tolerance)
        if not ok:
            failures.append(f"{label}: {got:.6f} != {wanted:.6f}")
        return ok

    for fees in ("zero", "series"):
        r = rust[fees]
        want_net = want["gross"] - (want["fees_rounded"] if fees == "series" else 0)
        rows.append(("backtest-run", fees, r["engine_seconds"], float(r["net_pnl"]), r["trades"],
                     "= expected" if check(f"backtest-run {fees}", float(r["net_pnl"]), float(want_net)) else "DIFFERS"))

        v = run_vectorbt(asks, payout, fees)
        # vectorbt's proportional fee is the unrounded Kalshi fee: add back the rounding.
        rounding = float(want["fees_rounded"] - want["fees_raw"]) if fees == "series" else 0.0
        note = "= expected" if check(f"vectorbt {fees}", v["net"] - rounding, float(want_net)) else "DIFFERS"
        if fees == "series":
            note += f" after {rounding:.4f} of per-order rounding up to the cent"
        rows.append(("vectorbt", fees, v["seconds"], v["net"], v["trades"], note))

        if not args.skip_backtrader:
            b = run_backtrader(asks, payout, fees)
            rows.append(("backtrader", fees, b["seconds"], b["net"], b["trades"],
                         "= expected" if check(f"backtrader {fees}", b["net"], float(want_net)) else "DIFFERS"))

    print(f"{args.rows:,} snapshots, {args.markets:,} markets; expected gross {want['gross']}, "
          f"Kalshi fees {want['fees_rounded']} (unrounded {want['fees_raw']}), {want['trades']} entries")
    print()
    print("| tool | fees | seconds | snapshot events/s | net P&L | entries | agreement |")
    print("|---|---|---|---|---|---|---|")
    for tool, fees, seconds, net, trades, note in rows:
        print(f"| {tool} | {fees} | {seconds:.2f} | {args.rows / seconds:,.0f} | {net:.2f} | {trades} | {note} |")
    if failures:
        print("\n".join(["", "DISAGREEMENT:"] + failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
