// One backtest: equity and underwater (drawdown) curves, every metric, the executions with their
// entry and exit reasons; `?compare=id,id` overlays other runs' equity. Never refetched: stored
// results do not change.
import { useQueries, useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useMemo } from "react";
import { getJson, type Backtest } from "../api/client";
import { Table } from "../components/Table";
import { ErrorBox, Link, Loading, Num, Section, Time } from "../components/ui";
import { toNumber } from "../lib/decimal";
import { useSearch } from "../lib/router";
import { epochSeconds } from "../lib/time";

const Chart = lazy(() => import("../components/Chart").then((m) => ({ default: m.Chart })));

type Execution = Backtest["executions"][number];
type Point = { t: string; equity: string; drawdown: string };

const COLORS = ["#2563eb", "#dc2626", "#059669", "#7c3aed", "#d97706"];

function fetchOne(id: string, signal: AbortSignal) {
  return getJson<Backtest>(`/api/v1/backtests/${encodeURIComponent(id)}`, signal);
}

function curve(b: Backtest | undefined): Point[] {
  return Array.isArray(b?.equity_curve) ? (b.equity_curve as unknown as Point[]) : [];
}

export default function BacktestDetail({ id }: { id: string }) {
  const [search, set] = useSearch();
  const compare = (search.get("compare") ?? "").split(",").filter(Boolean);
  const opts = { staleTime: Infinity, refetchOnWindowFocus: false } as const;
  const main = useQuery({ queryKey: ["backtest", id], queryFn: ({ signal }) => fetchOne(id, signal), ...opts });
  const others = useQueries({
    queries: compare.map((c) => ({ queryKey: ["backtest", c], queryFn: ({ signal }: { signal: AbortSignal }) => fetchOne(c, signal), ...opts })),
  });

  const runs = [main.data, ...others.map((o) => o.data)].filter((b): b is Backtest => !!b);
  const equity = useMemo(() => {
    // One time axis: the union of every run's curve times; each run holds its last value.
    const times = [...new Set(runs.flatMap((b) => curve(b).map((p) => epochSeconds(p.t))))].sort((a, b) => a - b);
    const series = runs.map((b) => {
      const byT = new Map(curve(b).map((p) => [epochSeconds(p.t), toNumber(p.equity)]));
      return times.map((t) => byT.get(t) ?? null);
    });
    return [times, ...series] as [number[], ...(number | null)[][]];
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [main.data, ...others.map((o) => o.data)]);
  const underwater = useMemo(() => {
    const c = curve(main.data);
    return [c.map((p) => epochSeconds(p.t)), c.map((p) => -(toNumber(p.drawdown) ?? 0))] as [number[], number[]];
  }, [main.data]);

  const b = main.data;
  const metrics = b ? (b.metrics as Record<string, unknown>) : {};
  return (
    <div>
      <p className="text-sm">
        <Link to="/backtests">← Backtests</Link>
      </p>
      <h1 className="mb-2 font-mono text-xl font-semibold">Backtest {id}</h1>
      {main.error ? <ErrorBox error={main.error} /> : null}
      {others.map((o, i) => (o.error ? <ErrorBox key={i} error={o.error} /> : null))}
      {main.isPending && <Loading what="backtest" />}
      {b && (
        <>
          <p className="mb-4 text-sm text-slate-600">
            {b.strategy}@{b.version} · {JSON.stringify(b.params)} · created{" "}
            <Time iso={b.created_at} />
          </p>
          <div className="mb-4 grid gap-2 text-sm sm:grid-cols-3 lg:grid-cols-6">
            {(
              [
                ["Net P&L", b.net_pnl],
                ["Gross P&L", b.gross_pnl],
                ["Fees", b.fees_paid],
                ["Max drawdown", b.max_drawdown],
                ["Sharpe", b.sharpe],
                ["Win rate", b.win_rate],
                ["Trades", b.num_trades],
                ["Starting cash", b.starting_cash],
                ["Snapshots replayed", b.snapshots_replayed],
                ...Object.entries(metrics).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]),
              ] as [string, string | number | null | undefined][]
            ).map(([k, v]) => (
              <div key={k} className="rounded border border-slate-200 bg-white p-2">
                <div className="text-xs text-slate-500">{k}</div>
                <Num value={v} />
              </div>
            ))}
          </div>
        </>
      )}
      <Section
        title="Equity"
        right={
          <label className="text-xs">
            Compare with (ids, comma-separated){" "}
            <input
              defaultValue={compare.join(",")}
              onBlur={(e) => set({ compare: e.target.value.replace(/\s/g, "") || null })}
              className="w-72 rounded border border-slate-300 px-1 font-mono"
            />
          </label>
        }
      >
        {b && (
          <Suspense fallback={<Loading what="chart" />}>
            <Chart
              label="equity"
              data={equity}
              series={runs.map((r, i) => ({ label: r.id.slice(0, 8), stroke: COLORS[i % COLORS.length], width: 1.5 }))}
            />
            <h3 className="mt-2 text-sm font-semibold">Underwater (drawdown)</h3>
            <Chart
              label="drawdown"
              data={underwater}
              height={140}
              series={[{ label: "drawdown", stroke: "#dc2626", fill: "rgba(220,38,38,0.15)", width: 1 }]}
            />
          </Suspense>
        )}
      </Section>
      <Section title="Executions">
        <Table<Execution>
          csvName={`backtest-${id}-executions`}
          rows={b?.executions ?? []}
          rowKey={(e) => String(e.seq)}
          columns={[
            { key: "seq", header: "#", value: (e) => e.seq },
            { key: "ticker", header: "Ticker", value: (e) => e.ticker, render: (e) => <Link to={`/markets/${encodeURIComponent(e.ticker)}`}>{e.ticker}</Link> },
            { key: "side", header: "Side", value: (e) => e.side },
            { key: "contracts", header: "Contracts", align: "right", value: (e) => e.contracts },
            { key: "entry_time", header: "Entry", value: (e) => e.entry_time, render: (e) => <Time iso={e.entry_time} showAge={false} /> },
            { key: "entry_price", header: "Entry price", align: "right", value: (e) => e.entry_price },
            { key: "entry_reason", header: "Entry reason", value: (e) => JSON.stringify(e.entry_reason) },
            { key: "exit_kind", header: "Exit", value: (e) => e.exit_kind },
            { key: "exit_price", header: "Exit price", align: "right", value: (e) => e.exit_price },
            { key: "exit_reason", header: "Exit reason", value: (e) => (e.exit_reason == null ? null : JSON.stringify(e.exit_reason)) },
            { key: "fees", header: "Fees", align: "right", value: (e) => e.fees },
            { key: "pnl", header: "P&L", align: "right", value: (e) => e.pnl },
          ]}
        />
      </Section>
    </div>
  );
}
