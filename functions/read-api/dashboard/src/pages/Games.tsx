// Games of a day (UTC date, today by default) by league: score, clock, situation, ESPN's win
// probability, and the linked market's price once the server links games to markets.
import { useQuery } from "@tanstack/react-query";
import { getJson, getOptional, url, type GamePage } from "../api/client";
import { Pager } from "../components/Pager";
import { Age, Badge, ErrorBox, Link, Loading, Price, Updated } from "../components/ui";
import { cents } from "../lib/decimal";
import { useSearch } from "../lib/router";

type Game = GamePage["items"][number];

const today = () => new Date().toISOString().slice(0, 10);

export default function Games() {
  const [search, set] = useSearch();
  const date = search.get("date") ?? today();
  const league = search.get("league") ?? "";
  const cursor = search.get("cursor") ?? "";
  const games = useQuery({
    queryKey: ["games", date, league, cursor],
    queryFn: ({ signal }) => getJson<GamePage>(url("/api/v1/games", { date, league, cursor, limit: 200 }), signal),
    refetchInterval: 10_000,
  });
  const byLeague = new Map<string, Game[]>();
  for (const g of games.data?.items ?? []) byLeague.set(g.league, [...(byLeague.get(g.league) ?? []), g]);

  return (
    <div>
      <h1 className="mb-4 text-2xl font-semibold">Games</h1>
      <div className="mb-3 flex flex-wrap gap-3 text-sm">
        <label>
          Date (UTC){" "}
          <input
            type="date"
            value={date}
            onChange={(e) => set({ date: e.target.value || null, cursor: null, prev: null })}
            className="rounded border border-slate-300 px-1"
          />
        </label>
        <label>
          League{" "}
          <select
            value={league}
            onChange={(e) => set({ league: e.target.value || null, cursor: null, prev: null })}
            className="rounded border border-slate-300 px-1"
          >
            {["", "football/nfl", "football/college-football", "basketball/nba", "basketball/mens-college-basketball", "hockey/nhl", "baseball/mlb"].map(
              (l) => (
                <option key={l} value={l}>
                  {l || "all"}
                </option>
              ),
            )}
          </select>
        </label>
      </div>
      {games.error ? <ErrorBox error={games.error} /> : null}
      {games.isPending && <Loading what="games" />}
      {games.data && games.data.items.length === 0 && <p className="text-slate-500">No games on {date}.</p>}
      {[...byLeague].map(([l, list]) => (
        <section key={l} className="mb-6">
          <h2 className="mb-2 text-lg font-semibold">{l}</h2>
          <div className="grid gap-3 md:grid-cols-2">
            {list.map((g) => (
              <GameCard key={g.espn_event_id} game={g} />
            ))}
          </div>
        </section>
      ))}
      <Pager next={games.data?.next_cursor} />
      <Updated at={games.dataUpdatedAt} />
    </div>
  );
}

function GameCard({ game: g }: { game: Game }) {
  const s = g.latest;
  const markets = useQuery({
    queryKey: ["game-markets", g.espn_event_id],
    queryFn: ({ signal }) =>
      getOptional<{ items?: { ticker?: string; latest?: { yes_bid?: string | null; yes_ask?: string | null } | null }[] }>(
        `/api/v1/games/${encodeURIComponent(g.espn_event_id)}/markets`,
        signal,
      ),
    refetchInterval: 10_000,
  });
  const home = s?.home_win_probability;
  return (
    <div className="rounded border border-slate-200 bg-white p-3" data-testid={`game-${g.espn_event_id}`}>
      <div className="flex items-baseline justify-between gap-2">
        <Link to={`/games/${encodeURIComponent(g.espn_event_id)}`} className="font-semibold text-blue-700 hover:underline">
          {g.short_name ?? g.name ?? g.espn_event_id}
        </Link>
        <Badge tone={g.status_state ?? undefined}>{s?.status_detail ?? g.status_name ?? "?"}</Badge>
      </div>
      <div className="mt-1 flex items-baseline gap-3 text-sm">
        <span className="font-mono text-lg">
          {g.away_team_abbreviation ?? "away"} {s?.away_score ?? "–"} · {g.home_team_abbreviation ?? "home"} {s?.home_score ?? "–"}
        </span>
        {s?.period != null && <span>Q{s.period}</span>}
        {s?.display_clock && <span className="font-mono">{s.display_clock}</span>}
        {s?.down != null && (
          <span>
            {ordinal(s.down)} &amp; {s.distance ?? "?"}
            {s.yard_line != null && ` at ${s.yard_line}`}
          </span>
        )}
        {s?.is_red_zone && <Badge tone="failed">red zone</Badge>}
      </div>
      {home != null && (
        <div className="mt-2">
          <div className="flex justify-between text-xs text-slate-600">
            <span>away {s?.away_win_probability ?? ""}</span>
            <span>home win probability {home} ({cents(home)}%)</span>
          </div>
          <div className="mt-0.5 flex h-2 overflow-hidden rounded bg-slate-200">
            <div className="bg-blue-600" style={{ width: `${Number(home) * 100}%` }} />
          </div>
        </div>
      )}
      <div className="mt-2 text-xs text-slate-600">
        {markets.data == null ? (
          markets.isSuccess && <span>Market links not available on this server yet.</span>
        ) : (markets.data.items ?? []).length === 0 ? (
          <span>No linked market.</span>
        ) : (
          (markets.data.items ?? []).map((m) => (
            <div key={m.ticker}>
              <Link to={`/markets/${encodeURIComponent(m.ticker ?? "")}`} className="font-mono text-blue-700">
                {m.ticker}
              </Link>{" "}
              bid <Price value={m.latest?.yes_bid} /> ask <Price value={m.latest?.yes_ask} />
            </div>
          ))
        )}
        {markets.error ? <ErrorBox error={markets.error} /> : null}
      </div>
      <div className="mt-1 text-xs text-slate-500">
        state observed <Age iso={s?.observed_at} /> ago
      </div>
    </div>
  );
}

function ordinal(n: number) {
  return ["0th", "1st", "2nd", "3rd", "4th"][n] ?? `${n}th`;
}
