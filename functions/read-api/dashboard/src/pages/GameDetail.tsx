// One game: ESPN's home win probability over time against the market-implied probability (from
// the timeline endpoint, once the server has it), scoring plays marked; polled every 10 s,
// fetching only states newer than the last one held.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useMemo } from "react";
import { getJson, getOptional, url, type Game, type GameStates } from "../api/client";
import { Table } from "../components/Table";
import { Badge, ErrorBox, Link, Loading, Section, Time, Updated } from "../components/ui";
import { toNumber } from "../lib/decimal";
import { epochSeconds } from "../lib/time";

const Chart = lazy(() => import("../components/Chart").then((m) => ({ default: m.Chart })));

type State = GameStates["items"][number];

async function states(id: string, since: string | undefined, signal: AbortSignal): Promise<State[]> {
  const out: State[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = await getJson<GameStates>(
      url(`/api/v1/games/${encodeURIComponent(id)}/states`, { start: since, limit: 5000, cursor }),
      signal,
    );
    out.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out;
}

export default function GameDetail({ id }: { id: string }) {
  const client = useQueryClient();
  const game = useQuery({
    queryKey: ["game", id],
    queryFn: ({ signal }) => getJson<Game>(`/api/v1/games/${encodeURIComponent(id)}`, signal),
    refetchInterval: 10_000,
  });
  const hist = useQuery({
    queryKey: ["game-states", id],
    queryFn: async ({ signal }) => {
      const held = client.getQueryData<State[]>(["game-states", id]) ?? [];
      const last = held[held.length - 1]?.observed_at;
      // Only what is new: states at or after the last one held, without repeating it.
      const fresh = await states(id, last, signal);
      return [...held, ...fresh.filter((s) => !last || s.observed_at > last)];
    },
    refetchInterval: 10_000,
  });
  const timeline = useQuery({
    queryKey: ["game-timeline", id],
    queryFn: ({ signal }) =>
      getOptional<{ items?: Record<string, unknown>[] }>(`/api/v1/games/${encodeURIComponent(id)}/timeline`, signal),
    refetchInterval: 10_000,
  });

  const items = hist.data ?? [];
  const scoring = items.filter(
    (s, i) => i > 0 && (s.home_score !== items[i - 1]?.home_score || s.away_score !== items[i - 1]?.away_score),
  );
  const data = useMemo(() => {
    const t = items.map((s) => epochSeconds(s.observed_at));
    const espn = items.map((s) => toNumber(s.home_win_probability));
    const marks = items.map((s) => (scoring.includes(s) ? toNumber(s.home_win_probability) : null));
    const implied = impliedAt(t, timeline.data?.items ?? []);
    return [t, espn, implied, marks] as [number[], (number | null)[], (number | null)[], (number | null)[]];
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hist.data, timeline.data]);

  const g = game.data;
  return (
    <div>
      <p className="text-sm">
        <Link to="/games">← Games</Link>
      </p>
      {game.error ? <ErrorBox error={game.error} /> : null}
      {game.isPending && <Loading what="game" />}
      {g && (
        <>
          <h1 className="text-2xl font-semibold">{g.name ?? g.espn_event_id}</h1>
          <p className="mb-4 text-sm text-slate-600">
            {g.league} · ESPN {g.espn_event_id} · starts <Time iso={g.scheduled_start} /> ·{" "}
            <Badge tone={g.status_state ?? undefined}>{g.status_name ?? "?"}</Badge> · score{" "}
            <span className="font-mono">
              {g.latest?.away_score ?? "–"}–{g.latest?.home_score ?? "–"}
            </span>
          </p>
        </>
      )}
      <Section title="Win probability (home)">
        {hist.error ? <ErrorBox error={hist.error} /> : null}
        {timeline.error ? <ErrorBox error={timeline.error} /> : null}
        {timeline.data == null && timeline.isSuccess && (
          <p className="mb-1 text-xs text-slate-500">The market-implied line appears once the server links games to markets.</p>
        )}
        {hist.isPending ? (
          <Loading what="states" />
        ) : (
          <Suspense fallback={<Loading what="chart" />}>
            <Chart
              label="win probability"
              data={data}
              series={[
                { label: "ESPN home win prob.", stroke: "#2563eb", width: 1.5 },
                { label: "market implied", stroke: "#dc2626", width: 1.5 },
                { label: "scoring play", stroke: "#f59e0b", width: 0, points: { show: true, size: 8, fill: "#f59e0b" } },
              ]}
              options={{ scales: { y: { range: [0, 1] } } }}
            />
          </Suspense>
        )}
        <Updated at={hist.dataUpdatedAt} />
      </Section>
      <Section title="States">
        <Table<State>
          csvName={`game-${id}-states`}
          rows={items}
          rowKey={(s) => s.observed_at}
          initialSort={{ key: "observed_at", desc: true }}
          columns={[
            { key: "observed_at", header: "Observed", value: (s) => s.observed_at, render: (s) => <Time iso={s.observed_at} /> },
            { key: "period", header: "Period", value: (s) => s.period },
            { key: "clock", header: "Clock", value: (s) => s.display_clock },
            { key: "away", header: "Away", align: "right", value: (s) => s.away_score },
            { key: "home", header: "Home", align: "right", value: (s) => s.home_score },
            { key: "wp", header: "Home win prob.", align: "right", value: (s) => s.home_win_probability },
            { key: "play", header: "Last play", value: (s) => s.last_play_text },
          ]}
        />
      </Section>
    </div>
  );
}

/** The market-implied probability at each state time, as of that time (the last point at or before). */
function impliedAt(times: number[], timeline: Record<string, unknown>[]): (number | null)[] {
  const points = timeline
    .map((p) => {
      const at = p.at ?? p.observed_at ?? p.t;
      const v =
        p.market_implied_probability ?? p.implied_probability ?? p.market_probability ?? p.market_mid ?? p.mid;
      return typeof at === "string" ? { t: epochSeconds(at), v: toNumber(v == null ? null : String(v)) } : null;
    })
    .filter((p): p is { t: number; v: number | null } => p != null)
    .sort((a, b) => a.t - b.t);
  let j = -1;
  return times.map((t) => {
    while (j + 1 < points.length && (points[j + 1]?.t ?? Infinity) <= t) j++;
    return j >= 0 ? (points[j]?.v ?? null) : null;
  });
}
