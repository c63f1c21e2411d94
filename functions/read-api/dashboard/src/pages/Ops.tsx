// The landing page: is the API alive, is every function's data fresh, what did the runs do
// (failures first), how many records were rejected, and the game↔market links that need a look.
import { useQuery } from "@tanstack/react-query";
import { getJson, getOptional, url, type RunPage } from "../api/client";
import { useHealth } from "../api/hooks";
import { Table } from "../components/Table";
import { Age, Badge, ErrorBox, Loading, Section, Time, Updated } from "../components/ui";
import { useSearch } from "../lib/router";
import { between, duration } from "../lib/time";

type Run = RunPage["items"][number];

const ORDER: Record<string, number> = { failed: 0, running: 1, skipped: 2, ok: 3 };

export function Ops() {
  const live = useHealth("/health");
  const fresh = useHealth("/health/freshness");
  const [search, setSearch] = useSearch();
  const fn = search.get("function") ?? "";
  const runs = useQuery({
    queryKey: ["runs", fn],
    queryFn: ({ signal }) => getJson<RunPage>(url("/api/v1/runs", { limit: 200, function: fn }), signal),
    refetchInterval: 20_000,
  });
  const links = useQuery({
    queryKey: ["links"],
    queryFn: ({ signal }) => getOptional<{ items?: Record<string, unknown>[] }>("/api/v1/links", signal),
    refetchInterval: 30_000,
  });

  const items = runs.data?.items ?? [];
  const sorted = [...items].sort(
    (a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9) || b.started_at.localeCompare(a.started_at),
  );
  const rejected = new Map<string, number>();
  for (const r of items) rejected.set(r.function, (rejected.get(r.function) ?? 0) + r.rows_rejected);

  return (
    <div>
      <h1 className="mb-4 text-2xl font-semibold">Operations</h1>
      <div className="mb-6 grid gap-3 sm:grid-cols-2">
        <div className="rounded border border-slate-200 bg-white p-3" data-testid="liveness">
          <div className="text-xs uppercase text-slate-500">API liveness (/health)</div>
          {live.isPending ? (
            <Loading what="health" />
          ) : live.error ? (
            <ErrorBox error={live.error} />
          ) : (
            <div className="mt-1 text-lg">
              <Badge tone={live.data?.code === 200 ? "ok" : "down"}>
                {live.data?.code === 200 ? "up" : "down"} · HTTP {live.data?.code}
              </Badge>{" "}
              <span className="text-sm">
                database {live.data?.body?.database.reachable ? "reachable" : `unreachable: ${live.data?.body?.database.error ?? ""}`}
              </span>
            </div>
          )}
          <Updated at={live.dataUpdatedAt} />
        </div>
        <div className="rounded border border-slate-200 bg-white p-3" data-testid="freshness">
          <div className="text-xs uppercase text-slate-500">Data freshness (/health/freshness)</div>
          {fresh.isPending ? (
            <Loading what="freshness" />
          ) : fresh.error ? (
            <ErrorBox error={fresh.error} />
          ) : (
            <div className="mt-1 text-lg">
              <Badge tone={fresh.data?.body?.status ?? "down"}>
                {fresh.data?.body?.status ?? "unknown"} · HTTP {fresh.data?.code}
              </Badge>
            </div>
          )}
          <Updated at={fresh.dataUpdatedAt} />
        </div>
      </div>

      <Section title="Functions">
        <Table
          csvName="functions"
          rows={live.data?.body?.functions ?? []}
          rowKey={(f) => f.function}
          rowClass={(f) => (f.stale ? "bg-red-50" : undefined)}
          columns={[
            { key: "function", header: "Function", value: (f) => f.function },
            {
              key: "fresh",
              header: "Freshness",
              value: (f) => (f.stale ? "stale" : "fresh"),
              render: (f) => <Badge tone={f.stale ? "stale" : "ok"}>{f.stale ? "stale" : "fresh"}</Badge>,
            },
            {
              key: "last_success_at",
              header: "Last success",
              value: (f) => f.last_success_at,
              render: (f) => <Time iso={f.last_success_at} />,
            },
            {
              key: "stale_after",
              header: "Stale after",
              value: (f) => f.stale_after_seconds,
              render: (f) => (f.stale_after_seconds == null ? "—" : duration(f.stale_after_seconds)),
            },
            {
              key: "last_status",
              header: "Last run",
              value: (f) => f.last_status,
              render: (f) => (
                <span>
                  {f.last_status ? <Badge>{f.last_status}</Badge> : "—"} <Age iso={f.last_started_at} />
                </span>
              ),
            },
            {
              key: "rejected",
              header: "Rejected (listed runs)",
              align: "right",
              value: (f) => rejected.get(f.function) ?? 0,
            },
          ]}
        />
      </Section>

      <Section title="Game ↔ market links">
        {links.isPending ? (
          <Loading what="links" />
        ) : links.error ? (
          <ErrorBox error={links.error} />
        ) : links.data == null ? (
          <p className="text-sm text-slate-500">This server does not link games to markets yet.</p>
        ) : (
          <LinkSummary items={links.data.items ?? []} />
        )}
      </Section>

      <Section
        title="Runs"
        right={
          <label className="text-sm">
            Function{" "}
            <select
              value={fn}
              onChange={(e) => setSearch({ function: e.target.value || null })}
              className="rounded border border-slate-300 px-1"
            >
              <option value="">all</option>
              {(live.data?.body?.functions ?? []).map((f) => (
                <option key={f.function}>{f.function}</option>
              ))}
            </select>
          </label>
        }
      >
        {runs.isPending ? (
          <Loading what="runs" />
        ) : runs.error ? (
          <ErrorBox error={runs.error} />
        ) : (
          <Table<Run>
            csvName="runs"
            rows={sorted}
            rowKey={(r) => r.id}
            rowClass={(r) => (r.status === "failed" ? "bg-red-50" : undefined)}
            columns={[
              { key: "function", header: "Function", value: (r) => r.function },
              { key: "status", header: "Status", value: (r) => r.status, render: (r) => <Badge>{r.status}</Badge> },
              { key: "trigger", header: "Trigger", value: (r) => r.trigger },
              { key: "started_at", header: "Started", value: (r) => r.started_at, render: (r) => <Time iso={r.started_at} /> },
              {
                key: "duration",
                header: "Duration",
                align: "right",
                value: (r) => between(r.started_at, r.finished_at),
                render: (r) => {
                  const ms = between(r.started_at, r.finished_at);
                  return ms == null ? "—" : duration(Math.round(ms / 1000));
                },
              },
              { key: "rows_written", header: "Written", align: "right", value: (r) => r.rows_written },
              { key: "rows_rejected", header: "Rejected", align: "right", value: (r) => r.rows_rejected },
              {
                key: "error",
                header: "Error",
                value: (r) => r.error,
                render: (r) => <span className="text-red-700">{r.error ?? ""}</span>,
              },
            ]}
          />
        )}
        <Updated at={runs.dataUpdatedAt} />
      </Section>
    </div>
  );
}

/** Counts of links by their status word, whatever the links endpoint names it. */
function LinkSummary({ items }: { items: Record<string, unknown>[] }) {
  const counts = new Map<string, number>();
  for (const l of items) {
    const s = String(l.status ?? l.match_status ?? l.state ?? "linked");
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return (
    <div className="flex flex-wrap gap-2 text-sm" data-testid="links">
      {items.length === 0 && <span className="text-slate-500">No links yet.</span>}
      {[...counts].map(([s, n]) => (
        <Badge key={s} tone={/unmatched|ambiguous/.test(s) ? "degraded" : "ok"}>
          {s}: {n}
        </Badge>
      ))}
    </div>
  );
}
