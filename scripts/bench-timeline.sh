#!/usr/bin/env bash
# Game timeline and training export benchmark (README "read-api" → "Timeline benchmark").
#
# Uses the read-api load benchmark's cluster (.precog/bench-postgres): SNAPSHOTS background
# snapshots (default 10,000,000; seeded here the same way when missing), plus one busy day of
# GAMES games (default 60) on 2026-11-15, each 3.5 hours of ESPN states every 10 s (1,260) with a
# home and an away moneyline market quoted every 10 s and linked to it. Then:
#   1. GET /api/v1/games/{id}/timeline for one game (all 1,260 rows in one page, and downsampled
#      to a minute) with wrk over loopback: p50/p99 latency (one connection by default, so the
#      figure is one request's latency, not queueing);
#   2. the training export of that day (cargo bench -p nightly-backup --bench training): seconds
#      and MB.
#
#   scripts/bench-timeline.sh                     # 10 M snapshots, 60 games, 15 s per endpoint
#   SNAPSHOTS=1000000 GAMES=10 DURATION=5 scripts/bench-timeline.sh
#
# Needs: cargo, PostgreSQL 15+ server binaries, wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

SNAPSHOTS="${SNAPSHOTS:-10000000}"
MARKETS="${MARKETS:-2000}"
GAMES="${GAMES:-60}"
DURATION="${DURATION:-15}"
CONNECTIONS="${CONNECTIONS:-1}"
ADDR="${ADDR:-127.0.0.1:18081}"
export PRECOG_LOCAL_PG_DIR="${PRECOG_LOCAL_PG_DIR:-$PWD/.precog/bench-postgres}"
export PRECOG_ENV=development READ_API_RATE_PER_SECOND=0 READ_API_MAX_CONNECTIONS=4
export RUST_LOG="${RUST_LOG:-warn}"

command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 2; }
PSQL="$(command -v psql || ls /usr/lib/postgresql/*/bin/psql | tail -1)"

cargo build --release -p read-api --quiet
bin="${CARGO_TARGET_DIR:-target}/release/read-api"

"$bin" --serve --addr "$ADDR" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fs -o /dev/null "http://$ADDR/openapi.json" && break
  sleep 0.5
done
port="$(cat "$PRECOG_LOCAL_PG_DIR/precog.port")"
db="postgres://postgres@127.0.0.1:$port/precog"

per_market=$(( SNAPSHOTS / MARKETS ))
have="$("$PSQL" "$db" -Atc "select count(*) from market_snapshots where ticker like 'KXBENCH-M%'")"
if [ "$have" -lt "$SNAPSHOTS" ]; then
  echo "== seeding $SNAPSHOTS background snapshots ($MARKETS markets x $per_market) — minutes"
  start=$(date +%s)
  "$PSQL" "$db" -v ON_ERROR_STOP=1 -q <<SQL
delete from market_snapshots where ticker like 'KXBENCH-M%';
insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask, no_bid,
                              no_ask, last_price, volume, open_interest, raw)
select 'KXBENCH-M' || lpad(m::text, 5, '0'),
       timestamptz '2026-11-01 00:00:00+00' + make_interval(mins => i),
       'rest', 'active',
       round((0.30 + (i % 40) / 100.0)::numeric, 4), round((0.32 + (i % 40) / 100.0)::numeric, 4),
       round((0.68 - (i % 40) / 100.0)::numeric, 4), round((0.70 - (i % 40) / 100.0)::numeric, 4),
       round((0.31 + (i % 40) / 100.0)::numeric, 2), i * 10, 1000 + i, '{}'
from generate_series(0, $per_market - 1) i, generate_series(1, $MARKETS) m;
SQL
  echo "   seeded in $(( $(date +%s) - start )) s"
fi

have_games="$("$PSQL" "$db" -Atc "select count(*) from games where espn_event_id like '4019%'")"
if [ "$have_games" -ne "$GAMES" ]; then
  echo "== seeding the busy day: $GAMES games x 1,260 states, 2 linked markets each quoted every 10 s"
  "$PSQL" "$db" -v ON_ERROR_STOP=1 -q <<SQL
delete from market_snapshots where ticker like 'KXBENCHG%';
delete from game_links where ticker like 'KXBENCHG%';
delete from game_states where espn_event_id like '4019%';
delete from games where espn_event_id like '4019%';
insert into games (espn_event_id, league, scheduled_start, name, short_name, home_team_id,
                   away_team_id, status_name, status_state, completed, last_state_at)
select (401900000 + g)::text,
       (array['football/nfl', 'basketball/nba', 'hockey/nhl', 'basketball/mens-college-basketball'])[g % 4 + 1],
       timestamptz '2026-11-15 13:00:00+00' + make_interval(hours => g % 6),
       'Bench game ' || g, 'AAA @ BBB', 'H' || g, 'A' || g, 'STATUS_FINAL', 'post', true,
       timestamptz '2026-11-15 13:00:00+00' + make_interval(hours => g % 6, secs => 1259 * 10)
from generate_series(1, $GAMES) g;
-- 3.5 hours of states every 10 s: the clock runs, the score moves, ESPN's probability drifts.
insert into game_states (espn_event_id, observed_at, status_name, status_state, completed,
                         status_detail, period, clock_seconds, display_clock, home_score,
                         away_score, possession_team_id, down, distance, yard_line,
                         home_win_probability, away_win_probability, raw)
select (401900000 + g)::text,
       timestamptz '2026-11-15 13:00:00+00' + make_interval(hours => g % 6, secs => s * 10),
       'STATUS_IN_PROGRESS', 'in', false, 'Q' || (1 + s / 315), 1 + s / 315,
       900 - (s % 315) * 2.857, to_char(900 - (s % 315) * 2.857, 'FM990.0'), s / 90, s / 110,
       case when s % 2 = 0 then 'H' || g else 'A' || g end, 1 + s % 4, 10 - s % 10, 20 + s % 60,
       round((0.5 + 0.4 * sin(s / 200.0))::numeric, 4),
       round((0.5 - 0.4 * sin(s / 200.0))::numeric, 4), '{}'
from generate_series(1, $GAMES) g, generate_series(0, 1259) s;
insert into game_links (ticker, event_ticker, series_ticker, league, kind, espn_event_id, yes_side,
                        status, reason, evidence, knowable_at, matcher_version)
select 'KXBENCHG-' || g || '-' || side, 'KXBENCHG-' || g, 'KXBENCHG', gm.league, 'moneyline',
       gm.espn_event_id, side, 'matched', 'bench', '{}', timestamptz '2026-11-14 00:00:00+00', 1
from generate_series(1, $GAMES) g
join games gm on gm.espn_event_id = (401900000 + g)::text
cross join (values ('home'), ('away')) v(side);
-- Both markets quoted every 10 s, 5 s after each state (so every as-of probe looks back).
insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask, no_bid,
                              no_ask, last_price, volume, open_interest, raw)
select 'KXBENCHG-' || g || '-' || side,
       timestamptz '2026-11-15 13:00:05+00' + make_interval(hours => g % 6, secs => s * 10),
       'rest', 'active', p - 0.01, p + 0.01, 0.99 - p, 1.01 - p, p, s * 10, 1000 + s, '{}'
from generate_series(1, $GAMES) g, generate_series(0, 1259) s,
     lateral (values ('home', round((0.5 + 0.38 * sin(s / 200.0))::numeric, 2)),
                     ('away', round((0.5 - 0.38 * sin(s / 200.0))::numeric, 2))) v(side, p);
vacuum analyze games, game_states, game_links, market_snapshots;
SQL
fi
"$PSQL" "$db" -Atc "select 'snapshots: ' || count(*) from market_snapshots"
"$PSQL" "$db" -Atc "select 'states of the timed game: ' || count(*) from game_states where espn_event_id = '401900001'"

run() {
  local name="$1" path="$2"
  echo "== $name: GET $path"
  curl -fs -o /dev/null -w "   status %{http_code}, %{size_download} bytes, first request %{time_total} s\n" "http://$ADDR$path"
  wrk -t 1 -c "$CONNECTIONS" -d "${DURATION}s" --latency "http://$ADDR$path" \
    | grep -E "^\s+(50|99)%|Requests/sec|Non-2xx|Socket errors"
}
run "one game's timeline (1,260 states, both markets as of each)" \
  "/api/v1/games/401900001/timeline?limit=5000"
run "the same, downsampled to one row a minute" \
  "/api/v1/games/401900001/timeline?interval=60&limit=5000"

echo "== training export of the busy day ($GAMES games)"
BENCH_DAY=2026-11-15 DATABASE_URL="$db" cargo bench -p nightly-backup --bench training --quiet 2>/dev/null | tail -n 6
