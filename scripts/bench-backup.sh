#!/usr/bin/env bash
# Backup/restore throughput and peak RSS of nightly-backup next to pg_dump -Fc / pg_restore, on
# the same database in the same run, at one or more data sizes.
#
#   scripts/bench-backup.sh [MB ...]        default: 200 1000 (MB of market_snapshots COPY text)
#
# Starts a throwaway PostgreSQL cluster (fsync off, as user precog-pg when run as root), fills
# market_snapshots with N MB spread over 30 days, then for each size measures
#   nightly-backup backup  → file:// folder   (BACKUP_URL=s3://… to measure S3 instead)
#   nightly-backup restore → an empty database
#   pg_dump -Fc            → a file
#   pg_restore             → an empty database
# with /usr/bin/time (wall seconds, max RSS). MB/s is COPY-text MB of table data per second.
# Needs a release build: cargo build --release -p nightly-backup (done here).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ $# -eq 0 ] && sizes=(200 1000)

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --release -p nightly-backup >&2
fi
bin="${BENCH_BIN:-$CARGO_TARGET_DIR/release/nightly-backup}"

work=$(mktemp -d /tmp/precog-bench.XXXXXX)
chmod 777 "$work"
runas=()
if [ "$(id -u)" = 0 ]; then runas=(runuser -u precog-pg --); fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${runas[@]}" initdb -D "$work/pg" -U postgres --auth=trust >/dev/null
"${runas[@]}" pg_ctl -D "$work/pg" -l "$work/pg.log" -w \
  -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB" start >/dev/null
cleanup() { "${runas[@]}" pg_ctl -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

pg="postgres://postgres@127.0.0.1:$port"
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$pg/$1" "${@:2}"; }
psql_ postgres -c "create database source"
DATABASE_URL="$pg/source" "$bin" --migrate >/dev/null

# runs "label" cmd...: prints "seconds rss_kb"
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
    cat "$work/err" >&2; cat "$work/out" >&2; exit 1; }
  cat "$work/time"
}

printf '| data (COPY MB) | rows | tool | step | seconds | MB/s | peak RSS MB | output MB |\n'
printf '|---|---|---|---|---|---|---|---|\n'
loaded=0
for mb in "${sizes[@]}"; do
  # ~500 bytes of COPY text per row.
  rows=$(( (mb - loaded) * 1000000 / 500 ))
  if [ "$rows" -gt 0 ]; then
    psql_ source -c "
      insert into market_snapshots (ticker, observed_at, source, sequence, status, yes_bid, yes_ask,
             no_bid, no_ask, yes_bid_size, yes_ask_size, last_price, volume, volume_24h, open_interest, raw)
      select 'KXNFLGAME-26SEP13DALNYG-' || (g % 5000) || '-$mb', timestamptz '2026-09-01' + make_interval(secs => g * (2592000.0 / $rows)) + make_interval(days => $loaded),
             'rest', g, 'active', (g % 97) / 100.0, (g % 97 + 1) / 100.0, 1 - (g % 97 + 1) / 100.0,
             1 - (g % 97) / 100.0, g % 1000, g % 777, (g % 99) / 100.0, g * 3, g % 100000, g % 54321,
             jsonb_build_object('ticker', 'KXNFLGAME-26SEP13DALNYG-' || (g % 5000), 'yes_bid_dollars', ((g % 97) / 100.0)::text,
                                'volume_fp', (g * 3)::text || '.00', 'status', 'active', 'note', md5(g::text))
        from generate_series(1, $rows) g"
    loaded=$mb
  fi
  psql_ source -c "vacuum analyze market_snapshots"
  nrows=$(psql_ source -At -c "select count(*) from market_snapshots")
  copymb=$(psql_ source -At -c "select round(sum(length(t::text) + 1) / 1e6) from market_snapshots t")

  backups="$work/backups-$mb"; mkdir -p "$backups"
  export BACKUP_URL="${BENCH_BACKUP_URL:-file://$backups}"
  for parquet in false true; do
    rm -rf "$backups"; mkdir -p "$backups"
    read -r s rss < <(BACKUP_PARQUET=$parquet DATABASE_URL="$pg/source" measure "$bin" --event '{"max_seconds":86400}')
    raw=$(python3 -c "import json,sys; d=json.loads(open('$work/out').read().splitlines()[-1]); print(d['details']['raw_bytes']/1e6, round(d['details']['stored_bytes']/1e6))")
    read -r rawmb storedmb <<<"$raw"
    pq=$(du -sm "$backups" | cut -f1)
    printf '| %s | %s | nightly-backup (parquet %s) | backup | %s | %s | %s | %s (folder %s) |\n' "$copymb" "$nrows" "$parquet" "$s" \
      "$(python3 -c "print(round($rawmb/$s))")" "$((rss / 1024))" "$storedmb" "$pq"
  done

  psql_ postgres -c "drop database if exists target" -c "create database target"
  read -r s rss < <(DATABASE_URL="$pg/source" measure "$bin" \
    --event "{\"mode\":\"restore\",\"target_database_url\":\"$pg/target\"}")
  printf '| %s | %s | nightly-backup | restore | %s | %s | %s | |\n' "$copymb" "$nrows" "$s" \
    "$(python3 -c "print(round($rawmb/$s))")" "$((rss / 1024))"
  psql_ postgres -c "drop database target"

  read -r s rss < <(measure pg_dump -Fc -f "$work/dump-$mb" "$pg/source")
  dumpmb=$(( $(stat -c %s "$work/dump-$mb") / 1000000 ))
  printf '| %s | %s | pg_dump -Fc | backup | %s | %s | %s | %s |\n' "$copymb" "$nrows" "$s" \
    "$(python3 -c "print(round($rawmb/$s))")" "$((rss / 1024))" "$dumpmb"

  psql_ postgres -c "drop database if exists target2" -c "create database target2"
  read -r s rss < <(measure pg_restore -d "$pg/target2" "$work/dump-$mb")
  printf '| %s | %s | pg_restore | restore | %s | %s | %s | |\n' "$copymb" "$nrows" "$s" \
    "$(python3 -c "print(round($rawmb/$s))")" "$((rss / 1024))"
  rm -rf "$backups" "$work/dump-$mb"
  psql_ postgres -c "drop database target2"
done
