// Markets: search and filters in the query string, keyset paging, the latest quote of each with
// its age; refreshed every minute.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { getJson, url, type MarketPage } from "../api/client";
import { Pager } from "../components/Pager";
import { Table } from "../components/Table";
import { Age, Badge, ErrorBox, Link, Loading, Num, Price, Updated } from "../components/ui";
import { sub } from "../lib/decimal";
import { useSearch } from "../lib/router";

type Market = MarketPage["items"][number];

function spread(m: Market): string | null {
  const bid = m.latest?.yes_bid;
  const ask = m.latest?.yes_ask;
  return bid != null && ask != null ? sub(ask, bid) : null;
}

export default function Markets() {
  const [search, set] = useSearch();
  const filters = {
    q: search.get("q") ?? "",
    series: search.get("series") ?? "",
    event: search.get("event") ?? "",
    status: search.get("status") ?? "",
  };
  const cursor = search.get("cursor") ?? "";
  const [draft, setDraft] = useState(filters.q);
  const markets = useQuery({
    queryKey: ["markets", filters, cursor],
    queryFn: ({ signal }) =>
      getJson<MarketPage>(url("/api/v1/markets", { ...filters, cursor, limit: 100 }), signal),
    refetchInterval: 60_000,
    placeholderData: keepPreviousData,
  });
  const filter = (k: string, v: string) => set({ [k]: v || null, cursor: null, prev: null });

  return (
    <div>
      <h1 className="mb-4 text-2xl font-semibold">Markets</h1>
      <form
        className="mb-3 flex flex-wrap items-end gap-2 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          filter("q", draft.trim());
        }}
      >
        <label>
          Search title
          <input
            name="q"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            className="ml-1 rounded border border-slate-300 px-2 py-0.5"
          />
        </label>
        {(["series", "event"] as const).map((k) => (
          <label key={k}>
            {k}
            <input
              name={k}
              defaultValue={filters[k]}
              onBlur={(e) => filter(k, e.target.value.trim())}
              className="ml-1 w-48 rounded border border-slate-300 px-2 py-0.5 font-mono"
            />
          </label>
        ))}
        <label>
          status
          <select
            value={filters.status}
            onChange={(e) => filter("status", e.target.value)}
            className="ml-1 rounded border border-slate-300 px-1 py-0.5"
          >
            {["", "active", "initialized", "closed", "determined", "finalized"].map((s) => (
              <option key={s} value={s}>
                {s || "any"}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="rounded bg-slate-800 px-3 py-0.5 text-white">
          Search
        </button>
      </form>
      {markets.error ? <ErrorBox error={markets.error} /> : null}
      {markets.isPending ? (
        <Loading what="markets" />
      ) : (
        markets.data && (
          <>
            <Table<Market>
              csvName="markets"
              rows={markets.data.items}
              rowKey={(m) => m.ticker}
              columns={[
                {
                  key: "ticker",
                  header: "Ticker",
                  value: (m) => m.ticker,
                  render: (m) => (
                    <Link to={`/markets/${encodeURIComponent(m.ticker)}`} className="font-mono text-blue-700 hover:underline">
                      {m.ticker}
                    </Link>
                  ),
                },
                { key: "title", header: "Title", value: (m) => m.title },
                { key: "status", header: "Status", value: (m) => m.status, render: (m) => <Badge>{m.status}</Badge> },
                { key: "bid", header: "Yes bid", align: "right", value: (m) => m.latest?.yes_bid, render: (m) => <Price value={m.latest?.yes_bid} /> },
                { key: "ask", header: "Yes ask", align: "right", value: (m) => m.latest?.yes_ask, render: (m) => <Price value={m.latest?.yes_ask} /> },
                { key: "spread", header: "Spread", align: "right", value: (m) => spread(m), render: (m) => <Price value={spread(m)} /> },
                { key: "last", header: "Last", align: "right", value: (m) => m.latest?.last_price, render: (m) => <Price value={m.latest?.last_price} /> },
                { key: "volume", header: "Volume", align: "right", value: (m) => m.latest?.volume, render: (m) => <Num value={m.latest?.volume} /> },
                { key: "oi", header: "Open int.", align: "right", value: (m) => m.latest?.open_interest, render: (m) => <Num value={m.latest?.open_interest} /> },
                { key: "age", header: "Quote age", value: (m) => m.latest?.observed_at, render: (m) => <Age iso={m.latest?.observed_at} /> },
              ]}
            />
            <Pager next={markets.data.next_cursor} />
          </>
        )
      )}
      <Updated at={markets.dataUpdatedAt} />
    </div>
  );
}
