// Trades and positions of one execution environment at a time (live, paper or backtest), the
// environment shown unmistakably: a coloured banner and the URL's `env`.
import { useQuery } from "@tanstack/react-query";
import { getJson, url, type PositionPage, type TradePage } from "../api/client";
import { Table } from "../components/Table";
import { ErrorBox, Link, Loading, Num, Price, Section, Time, Updated, cx } from "../components/ui";
import { useSearch } from "../lib/router";

const ENVS = {
  live: "border-red-600 bg-red-600 text-white",
  paper: "border-amber-500 bg-amber-400 text-slate-900",
  backtest: "border-slate-500 bg-slate-500 text-white",
} as const;
type Env = keyof typeof ENVS;

export default function Trades() {
  const [search, set] = useSearch();
  const env = (search.get("env") as Env | null) ?? "live";
  const trades = useQuery({
    queryKey: ["trades", env],
    queryFn: ({ signal }) => getJson<TradePage>(url("/api/v1/trades", { execution_environment: env, limit: 500 }), signal),
    refetchInterval: 30_000,
  });
  const positions = useQuery({
    queryKey: ["positions", env],
    queryFn: ({ signal }) => getJson<PositionPage>(url("/api/v1/positions", { execution_environment: env, limit: 500 }), signal),
    refetchInterval: 30_000,
  });
  return (
    <div>
      <h1 className="mb-3 text-2xl font-semibold">Trades and positions</h1>
      <div className="mb-3 flex gap-2">
        {(Object.keys(ENVS) as Env[]).map((e) => (
          <button
            key={e}
            type="button"
            onClick={() => set({ env: e === "live" ? null : e })}
            className={cx("rounded border px-3 py-1 text-sm uppercase", e === env ? ENVS[e] : "border-slate-300")}
          >
            {e}
          </button>
        ))}
      </div>
      <div className={cx("mb-4 rounded border-2 px-3 py-2 text-center text-lg font-bold uppercase", ENVS[env])} data-testid="environment">
        {env} environment
      </div>
      <Section title="Positions">
        {positions.error ? <ErrorBox error={positions.error} /> : null}
        {positions.isPending ? (
          <Loading what="positions" />
        ) : (
          <Table
            csvName={`positions-${env}`}
            rows={positions.data?.items ?? []}
            rowKey={(p) => String(p.id)}
            columns={[
              { key: "ticker", header: "Ticker", value: (p) => p.ticker, render: (p) => <Link to={`/markets/${encodeURIComponent(p.ticker)}`}>{p.ticker}</Link> },
              { key: "side", header: "Side", value: (p) => p.side },
              { key: "contracts", header: "Contracts", align: "right", value: (p) => p.contracts },
              { key: "avg", header: "Avg entry", align: "right", value: (p) => p.average_entry_price, render: (p) => <Price value={p.average_entry_price} /> },
              { key: "status", header: "Status", value: (p) => p.status },
              { key: "pnl", header: "Realized P&L", align: "right", value: (p) => p.realized_pnl, render: (p) => <Num value={p.realized_pnl} /> },
              { key: "opened_at", header: "Opened", value: (p) => p.opened_at, render: (p) => <Time iso={p.opened_at} /> },
              { key: "strategy", header: "Strategy", value: (p) => p.strategy },
            ]}
          />
        )}
      </Section>
      <Section title="Trades">
        {trades.error ? <ErrorBox error={trades.error} /> : null}
        {trades.isPending ? (
          <Loading what="trades" />
        ) : (
          <Table
            csvName={`trades-${env}`}
            rows={trades.data?.items ?? []}
            rowKey={(t) => String(t.id)}
            columns={[
              { key: "executed_at", header: "Executed", value: (t) => t.executed_at, render: (t) => <Time iso={t.executed_at} /> },
              { key: "ticker", header: "Ticker", value: (t) => t.ticker, render: (t) => <Link to={`/markets/${encodeURIComponent(t.ticker)}`}>{t.ticker}</Link> },
              { key: "side", header: "Side", value: (t) => t.side },
              { key: "action", header: "Action", value: (t) => t.action },
              { key: "price", header: "Price", align: "right", value: (t) => t.price, render: (t) => <Price value={t.price} /> },
              { key: "contracts", header: "Contracts", align: "right", value: (t) => t.contracts },
              { key: "fee", header: "Fee", align: "right", value: (t) => t.fee },
              { key: "taker", header: "Taker", value: (t) => (t.is_taker == null ? null : t.is_taker ? "taker" : "maker") },
              { key: "strategy", header: "Strategy", value: (t) => t.strategy },
            ]}
          />
        )}
        <Updated at={trades.dataUpdatedAt} />
      </Section>
    </div>
  );
}
