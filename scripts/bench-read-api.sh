#!/usr/bin/env bash
# Load benchmark for read-api on loopback (README "read-api" → "Load benchmark").
#
# Seeds a dedicated local PostgreSQL (not your development one) with SNAPSHOTS market snapshot rows
# (default 10,000,000: MARKETS markets x one snapshot a minute) plus live and finished games, starts
# `read-api --serve` on 127.0.0.1, and runs wrk against three endpoints: the markets list, one
# market's 24 h history, and the live games. Re-running reuses the seeded cluster.
#
#   scripts/bench-read-api.sh                      # 10 M rows, 15 s per endpoint
#   SNAPSHOTS=1000000 DURATION=10 scripts/bench-read-api.sh
#
# Needs: cargo, PostgreSQL 15+ server binaries, wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

SNAPSHOTS="${SNAPSHOTS:-10000000}"
MARKETS="${MARKETS:-2000}"
DURATION="${DURATION:-15}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
ADDR="${ADDR:-127.0.0.1:18080}"
export PRECOG_LOCAL_PG_DIR="${PRECOG_LOCAL_PG_DIR:-$PWD/.precog/bench-postgres}"
export PRECOG_ENV=development READ_API_RATE_PER_SECOND=0 READ_API_MAX_CONNECTIONS="${MAX_CONNECTIONS:-16}"
export RUST_LOG="${RUST_LOG:-warn}"

command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 2; }
PSQL="$(command -v psql || ls /usr/lib/postgresql/*/bin/psql | tail -1)"

cargo build --release -p read-api --quiet
bin="${CARGO_TARGET_DIR:-target}/release/read-api"

# The server starts (or reuses) the bench cluster and applies migrations.
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
have="$("$PSQL" "$db" -Atc "select count(*) from market_snapshots")"
if [ "$have" -lt "$SNAPSHOTS" ]; then
  echo "== seeding $SNAPSHOTS snapshots ($MARKETS markets x $per_market) — a few minutes"
  start=$(date +%s)
  "$PSQL" "$db" -v ON_ERROR_STOP=1 -q <<SQL
truncate market_snapshots, markets, events, series, games, game_states;
insert into series (ticker, title, category, fee_type, fee_multiplier, raw)
select 'KXBENCH' || s, 'Bench series ' || s, 'Sports', 'quadratic', 0.07, '{}'
from generate_series(1, 20) s;
insert into events (event_ticker, series_ticker, title, raw)
select 'KXBENCH' || (e % 20 + 1) || '-E' || e, 'KXBENCH' || (e % 20 + 1), 'Bench event ' || e, '{}'
from generate_series(1, 200) e;
insert into markets (ticker, event_ticker, series_ticker, market_type, title, status, raw,
                     last_snapshot_at)
select 'KXBENCH-M' || lpad(m::text, 5, '0'),
       'KXBENCH' || (m % 200 % 20 + 1) || '-E' || (m % 200),
       'KXBENCH' || (m % 200 % 20 + 1), 'binary', 'Bench market ' || m,
       case when m % 10 = 0 then 'finalized' else 'active' end, '{}',
       timestamptz '2026-11-01 00:00:00+00' + make_interval(mins => $per_market - 1)
from generate_series(1, $MARKETS) m;
-- One snapshot a minute per market, ordered by time like the collector writes them.
insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask, no_bid,
                              no_ask, last_price, volume, open_interest, raw)
select 'KXBENCH-M' || lpad(m::text, 5, '0'),
       timestamptz '2026-11-01 00:00:00+00' + make_interval(mins => i),
       'rest', 'active',
       round((0.30 + (i % 40) / 100.0)::numeric, 4), round((0.32 + (i % 40) / 100.0)::numeric, 4),
       round((0.68 - (i % 40) / 100.0)::numeric, 4), round((0.70 - (i % 40) / 100.0)::numeric, 4),
       round((0.31 + (i % 40) / 100.0)::numeric, 2), i * 10, 1000 + i, '{}'
from generate_series(0, $per_market - 1) i, generate_series(1, $MARKETS) m;
insert into games (espn_event_id, league, scheduled_start, name, short_name, status_name,
                   status_state, completed, last_state_at)
select (401000000 + g)::text, case when g % 2 = 0 then 'football/nfl' else 'basketball/nba' end,
       now() - make_interval(hours => g % 48), 'Bench game ' || g, 'AAA @ BBB',
       case when g <= 30 then 'STATUS_IN_PROGRESS' else 'STATUS_FINAL' end,
       case when g <= 30 then 'in' else 'post' end, g > 30,
       timestamptz '2026-11-01 00:00:00+00' + make_interval(secs => 199 * 10)
from generate_series(1, 300) g;
insert into game_states (espn_event_id, observed_at, status_name, status_state, completed, period,
                         home_score, away_score, home_win_probability, raw)
select (401000000 + g)::text, timestamptz '2026-11-01 00:00:00+00' + make_interval(secs => s * 10),
       'STATUS_IN_PROGRESS', 'in', false, 1 + s / 50, s / 10, s / 12, 0.5, '{}'
from generate_series(1, 300) g, generate_series(0, 199) s;
vacuum analyze;
SQL
  echo "   seeded in $(( $(date +%s) - start )) s"
fi
"$PSQL" "$db" -Atc "select 'snapshots: ' || count(*) from market_snapshots"

last="$("$PSQL" "$db" -Atc "select max(observed_at) from market_snapshots where ticker = 'KXBENCH-M00001'")"
end="$(date -u -d "$last + 1 minute" +%Y-%m-%dT%H:%M:%SZ)"
begin="$(date -u -d "$last - 1 day" +%Y-%m-%dT%H:%M:%SZ)"

run() {
  local name="$1" path="$2"
  echo "== $name: GET $path"
  curl -fs -o /dev/null -w "   status %{http_code}, %{size_download} bytes\n" "http://$ADDR$path"
  wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency "http://$ADDR$path" \
    | grep -E "^\s+(50|99)%|Requests/sec|Non-2xx|Socket errors"
}
run "markets list (100 with latest snapshot)" "/api/v1/markets?status=active&limit=100"
run "one market's history (24 h, 1,000 rows)" \
  "/api/v1/markets/KXBENCH-M01234/history?start=$begin&end=$end&limit=1000"
run "live games (30 with latest state)" "/api/v1/games?state=in"
