// Stored backtests: sortable by net P&L, Sharpe, drawdown, win rate and fees; sweeps (one
// backtest-run invocation) grouped. Refetched only when the tab regains focus.
import { useQuery } from "@tanstack/react-query";
import { getJson, url, type BacktestPage } from "../api/client";
import { Pager } from "../components/Pager";
import { Table } from "../components/Table";
import { ErrorBox, Link, Loading, Num, Section, Time } from "../components/ui";
import { useSearch } from "../lib/router";

type Summary = BacktestPage["items"][number];

export default function Backtests() {
  const [search, set] = useSearch();
  const strategy = search.get("strategy") ?? "";
  const cursor = search.get("cursor") ?? "";
  const list = useQuery({
    queryKey: ["backtests", strategy, cursor],
    queryFn: ({ signal }) => getJson<BacktestPage>(url("/api/v1/backtests", { strategy, cursor, limit: 500 }), signal),
  });
  const groups = new Map<string, Summary[]>();
  for (const b of list.data?.items ?? []) {
    const k = b.run_id ?? "single";
    groups.set(k, [...(groups.get(k) ?? []), b]);
  }
  return (
    <div>
      <h1 className="mb-4 text-2xl font-semibold">Backtests</h1>
      <label className="mb-3 block text-sm">
        Strategy{" "}
        <input
          defaultValue={strategy}
          onBlur={(e) => set({ strategy: e.target.value.trim() || null, cursor: null, prev: null })}
          className="rounded border border-slate-300 px-2 py-0.5 font-mono"
        />
      </label>
      {list.error ? <ErrorBox error={list.error} /> : null}
      {list.isPending && <Loading what="backtests" />}
      {[...groups].map(([run, rows]) => (
        <Section key={run} title={run === "single" ? "Single runs" : `Sweep ${run}`}>
          <Table<Summary>
            csvName={`backtests-${run}`}
            rows={rows}
            rowKey={(b) => b.id}
            initialSort={{ key: "net_pnl", desc: true }}
            columns={[
              {
                key: "id",
                header: "Backtest",
                value: (b) => b.id,
                render: (b) => (
                  <Link to={`/backtests/${b.id}`} className="font-mono text-blue-700 hover:underline">
                    {b.id.slice(0, 8)}
                  </Link>
                ),
              },
              { key: "strategy", header: "Strategy", value: (b) => `${b.strategy}@${b.version}` },
              { key: "params", header: "Params", value: (b) => JSON.stringify(b.params) },
              { key: "net_pnl", header: "Net P&L", align: "right", value: (b) => b.net_pnl, render: (b) => <Num value={b.net_pnl} /> },
              { key: "sharpe", header: "Sharpe", align: "right", value: (b) => b.sharpe, render: (b) => <Num value={b.sharpe} /> },
              { key: "max_drawdown", header: "Max DD", align: "right", value: (b) => b.max_drawdown, render: (b) => <Num value={b.max_drawdown} /> },
              { key: "win_rate", header: "Win rate", align: "right", value: (b) => b.win_rate, render: (b) => <Num value={b.win_rate} /> },
              { key: "fees_paid", header: "Fees", align: "right", value: (b) => b.fees_paid, render: (b) => <Num value={b.fees_paid} /> },
              { key: "num_trades", header: "Trades", align: "right", value: (b) => b.num_trades },
              { key: "created_at", header: "Created", value: (b) => b.created_at, render: (b) => <Time iso={b.created_at} /> },
            ]}
          />
        </Section>
      ))}
      <Pager next={list.data?.next_cursor} />
    </div>
  );
}
