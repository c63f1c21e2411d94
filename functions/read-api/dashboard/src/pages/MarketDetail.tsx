// One market: facts, the fee at the current price, and its price history (bid/ask band and
// last) downsampled on the server to about one point per pixel, with range buttons.
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useMemo } from "react";
import { getJson, getOptional, url, type EventOf, type History, type Market, type SeriesOf } from "../api/client";
import { Badge, ErrorBox, Link, Loading, Num, Price, Section, Time, Updated } from "../components/ui";
import { toNumber } from "../lib/decimal";
import { feeAt } from "../lib/fee";
import { useSearch } from "../lib/router";
import { epochSeconds } from "../lib/time";

const Chart = lazy(() => import("../components/Chart").then((m) => ({ default: m.Chart })));

const RANGES: [string, number][] = [
  ["1h", 3600],
  ["6h", 6 * 3600],
  ["1d", 86400],
  ["7d", 7 * 86400],
  ["30d", 30 * 86400],
  ["1y", 365 * 86400],
];

/** Every page of a window's history (the server caps a page at 5,000 points). */
async function history(ticker: string, start: string, end: string, interval: number, signal: AbortSignal) {
  const items: History["items"] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = await getJson<History>(
      url(`/api/v1/markets/${encodeURIComponent(ticker)}/history`, { start, end, interval, limit: 5000, cursor }),
      signal,
    );
    items.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return items;
}

export default function MarketDetail({ ticker }: { ticker: string }) {
  const [search, set] = useSearch();
  const range = search.get("range") ?? "7d";
  const seconds = RANGES.find(([r]) => r === range)?.[1] ?? 7 * 86400;
  const market = useQuery({
    queryKey: ["market", ticker],
    queryFn: ({ signal }) => getJson<Market>(`/api/v1/markets/${encodeURIComponent(ticker)}`, signal),
    refetchInterval: 60_000,
  });
  const event = useQuery({
    queryKey: ["event", market.data?.event_ticker],
    enabled: !!market.data,
    queryFn: ({ signal }) => getJson<EventOf>(`/api/v1/events/${encodeURIComponent(market.data?.event_ticker ?? "")}`, signal),
  });
  const series = useQuery({
    queryKey: ["series", market.data?.series_ticker],
    enabled: !!market.data?.series_ticker,
    queryFn: ({ signal }) => getJson<SeriesOf>(`/api/v1/series/${encodeURIComponent(market.data?.series_ticker ?? "")}`, signal),
  });
  const game = useQuery({
    queryKey: ["market-game", ticker],
    queryFn: ({ signal }) =>
      getOptional<Record<string, unknown>>(`/api/v1/markets/${encodeURIComponent(ticker)}/game`, signal).catch((e) => {
        // A market without a linked game answers 404 on an endpoint that exists.
        if (e instanceof Error && "status" in e && (e as { status: number }).status === 404) return { none: true };
        throw e;
      }),
  });
  // About one point per pixel of a ~1200 px chart, unless the URL asks for a bucket size.
  const asked = Number(search.get("interval"));
  const interval = Number.isInteger(asked) && asked >= 1 ? asked : Math.max(1, Math.floor(seconds / 1200));
  const hist = useQuery({
    queryKey: ["history", ticker, range, interval],
    queryFn: ({ signal }) => {
      const end = new Date();
      const start = new Date(end.getTime() - seconds * 1000);
      return history(ticker, start.toISOString(), end.toISOString(), interval, signal);
    },
    refetchInterval: 60_000,
  });

  const data = useMemo(() => {
    const items = hist.data ?? [];
    return [
      items.map((s) => epochSeconds(s.observed_at)),
      items.map((s) => toNumber(s.yes_bid)),
      items.map((s) => toNumber(s.yes_ask)),
      items.map((s) => toNumber(s.last_price)),
    ] as [number[], (number | null)[], (number | null)[], (number | null)[]];
  }, [hist.data]);
  const volume = useMemo(() => {
    const items = hist.data ?? [];
    return [items.map((s) => epochSeconds(s.observed_at)), items.map((s) => toNumber(s.volume))] as [number[], (number | null)[]];
  }, [hist.data]);

  const m = market.data;
  const feeType = event.data?.fee_type ?? series.data?.fee_type;
  const multiplier = event.data?.fee_multiplier ?? series.data?.fee_multiplier;
  const price = m?.latest?.yes_ask ?? m?.latest?.last_price;

  return (
    <div>
      <p className="text-sm">
        <Link to="/markets">← Markets</Link>
      </p>
      <h1 className="mb-1 font-mono text-2xl font-semibold">{ticker}</h1>
      {market.error ? <ErrorBox error={market.error} /> : null}
      {market.isPending && <Loading what="market" />}
      {m && (
        <>
          <p className="mb-4 text-slate-700">
            {m.title} <Badge>{m.status}</Badge> {m.result && <Badge tone="ok">result: {m.result}</Badge>}
          </p>
          <div className="mb-6 grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
            <Fact label="Yes bid">
              <Price value={m.latest?.yes_bid} />
            </Fact>
            <Fact label="Yes ask">
              <Price value={m.latest?.yes_ask} />
            </Fact>
            <Fact label="Last">
              <Price value={m.latest?.last_price} />
            </Fact>
            <Fact label="Quote observed">
              <Time iso={m.latest?.observed_at} />
            </Fact>
            <Fact label="Volume">
              <Num value={m.latest?.volume} />
            </Fact>
            <Fact label="Open interest">
              <Num value={m.latest?.open_interest} />
            </Fact>
            <Fact label={`Taker fee at ${price ?? "—"} (1 / 100 contracts)`}>
              {price ? (
                <span className="font-mono" data-testid="fee">
                  {feeAt(price, "1", feeType, multiplier)} / {feeAt(price, "100", feeType, multiplier)}
                </span>
              ) : (
                "—"
              )}
              <div className="text-xs text-slate-500">
                {feeType ?? "quadratic"} × {multiplier ?? "1"}
              </div>
            </Fact>
            <Fact label="Closes">
              <Time iso={m.close_time} />
            </Fact>
          </div>
        </>
      )}
      <Section
        title="Price history"
        right={
          <div className="flex gap-1 text-xs">
            {RANGES.map(([r]) => (
              <button
                key={r}
                type="button"
                onClick={() => set({ range: r })}
                className={`rounded border px-2 py-0.5 ${r === range ? "border-slate-800 bg-slate-800 text-white" : "border-slate-300"}`}
              >
                {r}
              </button>
            ))}
          </div>
        }
      >
        {hist.error ? <ErrorBox error={hist.error} /> : null}
        {hist.isPending ? (
          <Loading what="history" />
        ) : (
          <Suspense fallback={<Loading what="chart" />}>
            <p className="mb-1 text-xs text-slate-500">
              {hist.data?.length ?? 0} points, one per {interval} s · drag to zoom, double-click to reset
            </p>
            <Chart
              label="price"
              data={data}
              series={[
                { label: "yes bid", stroke: "#2563eb", width: 1 },
                { label: "yes ask", stroke: "#dc2626", width: 1 },
                { label: "last", stroke: "#111827", width: 1.5 },
              ]}
              options={{ bands: [{ series: [2, 1], fill: "rgba(100,116,139,0.15)" }] }}
            />
            <Chart label="volume" data={volume} height={120} series={[{ label: "volume", stroke: "#059669", width: 1 }]} />
          </Suspense>
        )}
        <Updated at={hist.dataUpdatedAt} />
      </Section>
      <Section title="Event and series">
        {event.error ? <ErrorBox error={event.error} /> : null}
        {series.error ? <ErrorBox error={series.error} /> : null}
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="text-slate-500">Event</dt>
          <dd className="font-mono">
            {m?.event_ticker} {event.data?.title && <span className="font-sans">— {event.data.title}</span>}
          </dd>
          <dt className="text-slate-500">Series</dt>
          <dd className="font-mono">
            {m?.series_ticker ?? "—"} {series.data?.title && <span className="font-sans">— {series.data.title}</span>}
          </dd>
          <dt className="text-slate-500">Category</dt>
          <dd>{series.data?.category ?? "—"}</dd>
          <dt className="text-slate-500">Fee</dt>
          <dd className="font-mono">
            {feeType ?? "—"} × {multiplier ?? "—"}
          </dd>
          <dt className="text-slate-500">Linked game</dt>
          <dd>
            {game.data == null ? (
              <span className="text-slate-500">not available on this server yet</span>
            ) : "none" in game.data ? (
              <span className="text-slate-500">none</span>
            ) : (
              <LinkedGame value={game.data} />
            )}
          </dd>
        </dl>
      </Section>
    </div>
  );
}

function LinkedGame({ value }: { value: Record<string, unknown> }) {
  const id = String(value.espn_event_id ?? (value.game as Record<string, unknown> | undefined)?.espn_event_id ?? "");
  const name = String(value.name ?? value.short_name ?? id);
  return id ? <Link to={`/games/${encodeURIComponent(id)}`}>{name}</Link> : <span>{name}</span>;
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="rounded border border-slate-200 bg-white p-3">
      <div className="text-xs uppercase text-slate-500">{label}</div>
      <div className="mt-1">{children}</div>
    </div>
  );
}
