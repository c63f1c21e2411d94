#!/usr/bin/env bash
# Bytes per market_snapshots row (README "Storage at scale"): the layout before the storage
# migration (raw payload in every row), after it on plain PostgreSQL, and after it on TimescaleDB
# with every chunk compressed. Rows are written with generate_series in the shape the collector
# writes them: MARKETS markets, one row per market every 5 minutes (change-only storage keeps a
# row only when the quote moved, so every row differs from its predecessor), a reference-shaped
# payload of about 1.3 KB.
#
#   scripts/bench-storage.sh                          # 10 M rows after, 1 M rows before
#   ROWS=1000000 BEFORE_ROWS=200000 scripts/bench-storage.sh
#   BENCH_TIMESCALEDB=0 scripts/bench-storage.sh      # skip the TimescaleDB cluster
#
# game_states rows carry the reference scoreboard competition, read from the ESPN reference notes
# (ESPN_REFERENCE, default ../shared/reference/espn-api.md).
#
# Starts its own throwaway clusters under $BENCH_DIR (default /tmp/precog-bench-storage), removed
# at the end. The TimescaleDB part needs scripts/install-timescaledb.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS="${ROWS:-10000000}"
BEFORE_ROWS="${BEFORE_ROWS:-1000000}"
MARKETS="${MARKETS:-2000}"
GAME_ROWS="${GAME_ROWS:-1000000}"   # game_states rows: 1,000 states per game
GAMES=$(( GAME_ROWS / 1000 ))
BENCH_DIR="${BENCH_DIR:-/tmp/precog-bench-storage}"
BENCH_TIMESCALEDB="${BENCH_TIMESCALEDB:-1}"
bindir="$(dirname "$(readlink -f "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")")"
as_server=()
if [ "$(id -u)" = 0 ]; then
  id precog-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin precog-pg
  as_server=(runuser -u precog-pg --)
fi

clusters=()
cleanup() {
  for dir in "${clusters[@]}"; do
    "${as_server[@]}" "$bindir/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT
[ -n "${BENCH_KEEP:-}" ] && trap - EXIT

# start_cluster NAME PORT [extra postgresql.conf lines]
start_cluster() {
  local dir="$BENCH_DIR/$1"
  mkdir -p "$dir"
  [ "${#as_server[@]}" = 0 ] || chown -R precog-pg "$BENCH_DIR"
  "${as_server[@]}" "$bindir/initdb" -D "$dir" --auth=trust --username=postgres -E UTF8 --locale=C >/dev/null
  printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_wal_size = 4GB\nshared_buffers = 512MB\nmaintenance_work_mem = 512MB\n%s\n' "${3:-}" >>"$dir/postgresql.conf"
  "${as_server[@]}" "$bindir/pg_ctl" -D "$dir" -l "$dir/log" -w \
    -o "-p $2 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir" start >/dev/null
  clusters+=("$dir")
}

psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres "$@"; }

# migrate PORT DB UPTO: applies migrations/*.sql in order, stopping before UPTO (empty: all).
migrate() {
  psql_ -p "$1" -c "create database $2"
  for f in migrations/*.sql; do
    [ -n "$3" ] && [[ "$(basename "$f")" > "$3" || "$(basename "$f")" == "$3" ]] && break
    psql_ -p "$1" -d "$2" -1 -f "$f" >/dev/null
  done
}

# The quote of market m at step i, as typed values (SQL expressions over m and i).
QUOTE="round(0.3000 + ((i * 7 + m) % 40) / 100.0, 4) as yes_bid,
       round(0.3100 + ((i * 7 + m) % 40) / 100.0, 4) as yes_ask,
       round(0.6900 - ((i * 7 + m) % 40) / 100.0, 4) as no_bid,
       round(0.7000 - ((i * 7 + m) % 40) / 100.0, 4) as no_ask,
       round((abs(hashint4(m * 100003 + i)) % 5000)::numeric, 2) as yes_bid_size,
       round((abs(hashint4(m * 100019 + i)) % 5000)::numeric, 2) as yes_ask_size,
       round(0.3000 + ((i * 7 + m - 7) % 40) / 100.0, 4) as last_price,
       round((m * 1000 + i * 13)::numeric, 2) as volume,
       round(((i * 13) % 50000)::numeric + 0.5, 2) as volume_24h,
       round((m * 500 + i * 3)::numeric, 2) as open_interest,
       round(0.3000 + (((i / 288) * 7 + m) % 40) / 100.0, 4) as previous_yes_bid,
       round(0.3100 + (((i / 288) * 7 + m) % 40) / 100.0, 4) as previous_yes_ask,
       round(0.3000 + (((i / 288) * 7 + m) % 40) / 100.0, 4) as previous_price"
TICKER="'KXNFLGAME-26SEP' || lpad((m / 2)::text, 5, '0') || 'DALNYG-' || (case when m % 2 = 0 then 'DAL' else 'NYG' end)"
AT="timestamptz '2026-09-01 00:00:00+00' + make_interval(mins => i * 5)"
# The reference payload's catalog fields (shared/reference/kalshi-api.md §10.1).
BODY="jsonb_build_object('ticker', $TICKER, 'event_ticker', 'KXNFLGAME-26SEP' || lpad((m / 2)::text, 5, '0') || 'DALNYG',
  'market_type', 'binary', 'title', 'Dallas at New York G Winner?', 'subtitle', '',
  'yes_sub_title', 'Dallas', 'no_sub_title', 'Dallas', 'created_time', '2026-08-20T14:02:11.512043Z',
  'updated_time', '2026-09-10T09:15:00Z', 'open_time', '2026-08-20T14:00:00Z',
  'close_time', '2026-09-27T17:00:00Z', 'expected_expiration_time', '2026-09-14T03:00:00Z',
  'expiration_time', '2026-09-27T17:00:00Z', 'latest_expiration_time', '2026-09-27T17:00:00Z',
  'settlement_timer_seconds', 300, 'notional_value_dollars', '1.0000', 'liquidity_dollars', '0.0000',
  'result', '', 'can_close_early', true, 'expiration_value', '', 'occurrence_datetime', null,
  'early_close_condition', 'This market will close and expire early if the event occurs.',
  'strike_type', 'structured', 'custom_strike', jsonb_build_object('football_team', '6f1c2d3e-0000-4000-8000-' || lpad(m::text, 12, '0')),
  'rules_primary', 'If Dallas wins the Dallas at New York G professional football game originally scheduled for Sep 13, 2026, then the market resolves to Yes.',
  'rules_secondary', '', 'price_level_structure', 'linear_cent',
  'price_ranges', jsonb_build_array(jsonb_build_object('start', '0.0000', 'end', '1.0000', 'step', '0.0100')),
  'exchange_index', 0)"

report() { # PORT DB LABEL ROWS [timescaledb]
  local table="pg_table_size('market_snapshots')" total="pg_total_relation_size('market_snapshots')"
  if [ -n "${5:-}" ]; then
    table="(select table_bytes + toast_bytes from hypertable_detailed_size('market_snapshots'))"
    total="hypertable_size('market_snapshots')"
  fi
  psql_ -p "$1" -d "$2" -At -c "vacuum analyze market_snapshots" -c "
    select format('%-34s %10s rows  heap+toast %6s B/row  with indexes %6s B/row  (%s total)',
                  '$3', $4, round($table::numeric / $4), round($total::numeric / $4),
                  pg_size_pretty($total))"
}

per_market=$(( ROWS / MARKETS ))
before_per_market=$(( BEFORE_ROWS / MARKETS ))

echo "== plain PostgreSQL, before (raw payload per row): $BEFORE_ROWS rows"
start_cluster plain 55501
migrate 55501 before 20261201000400_storage.sql
t0=$(date +%s)
psql_ -p 55501 -d before -c "
  insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask, no_bid,
      no_ask, yes_bid_size, yes_ask_size, last_price, volume, volume_24h, open_interest, raw)
  select ticker, at, 'rest', 'active', yes_bid, yes_ask, no_bid, no_ask, yes_bid_size,
         yes_ask_size, last_price, volume, volume_24h, open_interest,
         body || jsonb_build_object('status', 'active', 'yes_bid_dollars', yes_bid::text,
             'yes_ask_dollars', yes_ask::text, 'no_bid_dollars', no_bid::text,
             'no_ask_dollars', no_ask::text, 'yes_bid_size_fp', yes_bid_size::text,
             'yes_ask_size_fp', yes_ask_size::text, 'last_price_dollars', last_price::text,
             'volume_fp', volume::text, 'volume_24h_fp', volume_24h::text,
             'open_interest_fp', open_interest::text,
             'previous_yes_bid_dollars', previous_yes_bid::text,
             'previous_yes_ask_dollars', previous_yes_ask::text,
             'previous_price_dollars', previous_price::text)
    from generate_series(0, $before_per_market - 1) i, generate_series(1, $MARKETS) m,
         lateral (select $TICKER as ticker, $AT as at, $BODY as body, $QUOTE) q"
echo "   written in $(( $(date +%s) - t0 )) s"
report 55501 before "plain, before" "$BEFORE_ROWS"
psql_ -p 55501 -d before -At -c "select '   average raw payload: ' || round(avg(pg_column_size(raw))) || ' B stored, ' || round(avg(length(raw::text))) || ' B as text' from (select raw from market_snapshots limit 10000) s"

# after PORT DB LABEL: the storage migration's layout, written as collect-kalshi writes it.
after() { # PORT DB LABEL [timescaledb]
  migrate "$1" "$2" ""
  local t0
  t0=$(date +%s)
  PGOPTIONS="-c work_mem=1GB" psql_ -p "$1" -d "$2" -c "
    insert into market_versions (ticker, body_md5, body, first_observed_at)
    select $TICKER, md5(($BODY)::text)::uuid, $BODY, timestamptz '2026-09-01 00:00:00+00'
      from generate_series(1, $MARKETS) m" -c "
    insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask, no_bid,
        no_ask, yes_bid_size, yes_ask_size, last_price, volume, volume_24h, open_interest,
        previous_yes_bid, previous_yes_ask, previous_price, version_id)
    select q.ticker, at, 'rest', 'active', yes_bid, yes_ask, no_bid, no_ask, yes_bid_size,
           yes_ask_size, last_price, volume, volume_24h, open_interest, previous_yes_bid,
           previous_yes_ask, previous_price, v.id
      from generate_series(0, $per_market - 1) i, generate_series(1, $MARKETS) m,
           lateral (select $TICKER as ticker, $AT as at, $QUOTE) q,
           market_versions v
     where v.ticker = q.ticker
     order by i, m"
  echo "   written in $(( $(date +%s) - t0 )) s"
  report "$1" "$2" "$3" "$ROWS" "${4:-}"
  psql_ -p "$1" -d "$2" -At -c "select '   market_versions: ' || pg_size_pretty(pg_total_relation_size('market_versions')) || ' for $MARKETS markets'"
}

# Query times (ms, three runs each) on the snapshot layout: the read-api's market history and
# latest-per-market reads, the backtest replay's window read and the backup's read of one day.
DAY="timestamptz '2026-09-03 00:00:00+00'"
queries() { # PORT DB
  local one="'KXNFLGAME-26SEP00500DALNYG-DAL'"
  time_sql "$1" "$2" "read-api history, one market, 24 h" "
    select observed_at, source, status, yes_bid, yes_ask, no_bid, no_ask, yes_bid_size,
           yes_ask_size, last_price, volume, volume_24h, open_interest
      from market_snapshots
     where ticker = $one and observed_at >= $DAY and observed_at < $DAY + interval '1 day'
     order by observed_at, source limit 1001"
  time_sql "$1" "$2" "read-api latest per market, 100 probes" "
    select s.* from (select $TICKER as ticker from generate_series(1, 100) m) t
     cross join lateral (select ms.observed_at, ms.status, ms.yes_bid, ms.yes_ask
                           from market_snapshots ms where ms.ticker = t.ticker
                          order by ms.observed_at desc limit 1) s"
  time_sql "$1" "$2" "backtest window read, one day, every market" "
    select id, ticker, observed_at, status in ('active', 'open'), yes_bid, yes_ask, no_bid,
           no_ask, yes_bid_size, yes_ask_size
      from market_snapshots
     where observed_at >= $DAY and observed_at < $DAY + interval '1 day'
     order by observed_at, ticker, source"
  time_sql "$1" "$2" "backup read, one day as COPY text" "
    copy (select * from market_snapshots
           where observed_at >= $DAY and observed_at < $DAY + interval '1 day'
           order by ticker, observed_at) to '/dev/null'"
}

time_sql() { # PORT DB LABEL SQL
  local runs=()
  for _ in 1 2 3; do
    runs+=("$(psql_ -p "$1" -d "$2" -At -c '\timing on' -c "$4" -o /dev/null | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' | tail -1)")
  done
  printf '   %-46s %s ms\n' "$3" "${runs[*]}"
}

# The reference scoreboard competition (shared/reference/espn-api.md §8.1), as game_states.raw.
competition="$(python3 - <<'PY'
import json, re
import os
text = open(os.environ.get("ESPN_REFERENCE", "../shared/reference/espn-api.md")).read()
block = text[text.index("### 8.1 Scoreboard"):]
body = block[block.index("```json") + 7:]
print(json.dumps(json.loads(body[:body.index("```")])["events"][0]["competitions"][0]))
PY
)"

game_states() { # PORT DB LABEL [timescaledb]
  local t0
  t0=$(date +%s)
  psql_ -p "$1" -d "$2" -v comp="$competition" <<SQL
insert into games (espn_event_id, league) select (401000000 + g)::text, 'football/nfl'
  from generate_series(1, $GAMES) g;
-- One state per clock tick seen (10 s polls, change-only): clock, scores, last play move.
insert into game_states (espn_event_id, observed_at, status_type_id, status_name, status_state,
    completed, status_detail, period, clock_seconds, display_clock, home_score, away_score,
    possession_team_id, down, distance, yard_line, is_red_zone, home_timeouts, away_timeouts,
    last_play_id, last_play_text, home_win_probability, away_win_probability, tie_probability,
    win_probability_source, raw)
select (401000000 + g)::text, timestamptz '2026-09-13 17:00:00+00' + make_interval(days => g / 16, secs => s * 10),
       '2', 'STATUS_IN_PROGRESS', 'in', false, 'Q' || (1 + s / 250), 1 + s / 250, 900 - (s % 250) * 3,
       ((900 - (s % 250) * 3) / 60) || ':' || lpad(((900 - (s % 250) * 3) % 60)::text, 2, '0'),
       s / 60, s / 70, '9', 1 + s % 4, 1 + s % 10, 20 + s % 60, false, 3, 2,
       (4017000011000 + s)::text, 'Play ' || s || ': J.Love pass short right to R.Doubs for ' || (s % 12) || ' yards.',
       round(0.3 + (s % 40) / 100.0, 4), round(0.7 - (s % 40) / 100.0, 4), 0, 'scoreboard',
       jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(:'comp'::jsonb,
           '{id}', to_jsonb((401000000 + g)::text)),
           '{status,clock}', to_jsonb(900 - (s % 250) * 3)),
           '{competitors,0,score}', to_jsonb((s / 60)::text)),
           '{competitors,1,score}', to_jsonb((s / 70)::text)),
           '{situation,lastPlay,text}', to_jsonb('Play ' || s || ': J.Love pass short right to R.Doubs for ' || (s % 12) || ' yards.'))
  from generate_series(1, $GAMES) g, generate_series(0, 999) s
 order by 2, 1;
SQL
  echo "   written in $(( $(date +%s) - t0 )) s"
  local table="pg_table_size('game_states')" total="pg_total_relation_size('game_states')"
  if [ -n "${4:-}" ]; then
    table="(select table_bytes + toast_bytes from hypertable_detailed_size('game_states'))"
    total="hypertable_size('game_states')"
  fi
  psql_ -p "$1" -d "$2" -At -c "vacuum analyze game_states" -c "
    select format('%-34s %10s rows  heap+toast %6s B/row  with indexes %6s B/row  (%s total; raw %s B as text, %s B stored)',
                  '$3', $GAME_ROWS, round($table::numeric / $GAME_ROWS),
                  round($total::numeric / $GAME_ROWS), pg_size_pretty($total),
                  (select round(avg(length(raw::text))) from (select raw from game_states limit 1000) r),
                  (select round(avg(pg_column_size(raw))) from (select raw from game_states limit 1000) r))"
}

echo "== plain PostgreSQL, after: $ROWS rows"
after 55501 after "plain, after"

queries 55501 after

echo "== plain PostgreSQL, game_states: $GAME_ROWS rows"
game_states 55501 after "game_states, plain"

if [ "$BENCH_TIMESCALEDB" = 1 ]; then
  echo "== TimescaleDB, after, compressed: $ROWS rows"
  start_cluster timescale 55502 "shared_preload_libraries = 'timescaledb'
timescaledb.telemetry_level = off
timescaledb.max_background_workers = 0"
  after 55502 after "TimescaleDB, uncompressed" timescaledb
  t0=$(date +%s)
  psql_ -p 55502 -d after -At -c "select count(compress_chunk(c)) || ' chunks compressed' from show_chunks('market_snapshots') c"
  echo "   compressed in $(( $(date +%s) - t0 )) s"
  psql_ -p 55502 -d after -At -c "vacuum analyze market_snapshots" -c "
    select format('%-34s %10s rows  %6s B/row  (%s total; before compression %s)',
                  'TimescaleDB, compressed', $ROWS,
                  round(hypertable_size('market_snapshots')::numeric / $ROWS),
                  pg_size_pretty(hypertable_size('market_snapshots')),
                  pg_size_pretty(sum(before_compression_total_bytes)))
      from hypertable_compression_stats('market_snapshots')"
  queries 55502 after
  echo "== TimescaleDB, game_states: $GAME_ROWS rows"
  game_states 55502 after "game_states, uncompressed" timescaledb
  psql_ -p 55502 -d after -At -c "select count(compress_chunk(c)) || ' chunks compressed' from show_chunks('game_states') c" -c "vacuum analyze game_states" -c "
    select format('%-34s %10s rows  %6s B/row  (%s total; before compression %s)',
                  'game_states, compressed', $GAME_ROWS,
                  round(hypertable_size('game_states')::numeric / $GAME_ROWS),
                  pg_size_pretty(hypertable_size('game_states')),
                  pg_size_pretty(sum(before_compression_total_bytes)))
      from hypertable_compression_stats('game_states')"
fi
