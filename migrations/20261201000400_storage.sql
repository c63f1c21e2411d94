-- Storage at scale (issue 15): snapshots that cost bytes, not a kilobyte, and TimescaleDB
-- compression. See docs/storage.md for the design and the measured sizes.
--
-- A Kalshi market payload is about 1.3 KB, and all but a handful of its fields (the quote) are the
-- same from one snapshot to the next. A snapshot therefore no longer stores the payload. It stores:
--   * the quote as typed columns (as before, plus the three `previous_*` prices);
--   * `version_id`: the market's catalog version, i.e. the payload minus the quote fields, kept once
--     per change in `market_versions`;
--   * `extra`: the payload fields that neither of those reproduces exactly (null almost always:
--     a quote field whose text does not survive NUMERIC, such as "1e-2", or a JSON null);
--   * `missing`: quote columns that have a value the payload did not carry (rows written by hand).
-- `market_snapshot_raw(s)` rebuilds the payload Kalshi sent, equal as JSON (jsonb): same keys, same
-- values, numbers with the digits they were sent with. Key order and whitespace were never kept
-- (the column was jsonb before too).
--
-- Writers keep inserting `raw` as before: a BEFORE INSERT trigger splits it into the columns above
-- and stores `raw` as null (enforced by a check). collect-kalshi splits the payload the same way in
-- Rust (shared/src/db/snapshot_split.rs) and COPYs the parts into a staging table
-- (shared/src/db/markets.rs); it never sends `raw` to the table.
--
-- Also here (TimescaleDB only, at the end): compression for market_snapshots and game_states, and
-- hypertables with compression for backfill-kalshi's kalshi_trades and kalshi_candles.

-- The payload fields a snapshot keeps as typed columns, in the order of the columns.
create function market_snapshot_quote_keys() returns text[]
language sql immutable parallel safe as $$
    select array['status', 'yes_bid_dollars', 'yes_ask_dollars', 'no_bid_dollars', 'no_ask_dollars',
                 'yes_bid_size_fp', 'yes_ask_size_fp', 'last_price_dollars', 'volume_fp',
                 'volume_24h_fp', 'open_interest_fp', 'previous_yes_bid_dollars',
                 'previous_yes_ask_dollars', 'previous_price_dollars']
$$;

-- A FixedPointDollars / FixedPointCount string as NUMERIC, or null when it is not one (then the
-- value stays in `extra`, so nothing is lost).
create function kalshi_fixed_point(value jsonb) returns numeric
language sql immutable parallel safe as $$
    select case when jsonb_typeof(value) = 'string' and value #>> '{}' ~ '^-?[0-9]+(\.[0-9]+)?$'
                then (value #>> '{}')::numeric end
$$;

-- The quote fields as the payload carries them, rebuilt from typed columns (absent when null).
-- NUMERIC keeps the scale it was given, so "0.5600" comes back as "0.5600".
create function market_snapshot_quote_json(
    status text, yes_bid numeric, yes_ask numeric, no_bid numeric, no_ask numeric,
    yes_bid_size numeric, yes_ask_size numeric, last_price numeric, volume numeric,
    volume_24h numeric, open_interest numeric, previous_yes_bid numeric,
    previous_yes_ask numeric, previous_price numeric) returns jsonb
language sql immutable parallel safe as $$
    select jsonb_strip_nulls(jsonb_build_object(
        'status', status, 'yes_bid_dollars', yes_bid::text, 'yes_ask_dollars', yes_ask::text,
        'no_bid_dollars', no_bid::text, 'no_ask_dollars', no_ask::text,
        'yes_bid_size_fp', yes_bid_size::text, 'yes_ask_size_fp', yes_ask_size::text,
        'last_price_dollars', last_price::text, 'volume_fp', volume::text,
        'volume_24h_fp', volume_24h::text, 'open_interest_fp', open_interest::text,
        'previous_yes_bid_dollars', previous_yes_bid::text,
        'previous_yes_ask_dollars', previous_yes_ask::text,
        'previous_price_dollars', previous_price::text))
$$;

-- The fields of `raw` that neither the catalog version (`body`) nor the typed quote reproduces
-- exactly; null when there are none (the usual case: a null costs no bytes).
create function market_snapshot_extra(raw jsonb, body jsonb, quote jsonb) returns jsonb
language sql immutable parallel safe as $$
    select jsonb_object_agg(r.key, r.value)
      from jsonb_each(raw) r
     where not (coalesce(body -> r.key = r.value, false)
                -- jsonb `=` compares numbers by value (1.0 = 1.00); quote values are strings, and
                -- body values come from this very payload, so equality here is exact text.
                or coalesce(quote -> r.key = r.value, false))
$$;

-- Quote keys the typed columns carry that the payload did not (subtracted when rebuilding).
create function market_snapshot_missing(raw jsonb, quote jsonb) returns text[]
language sql immutable parallel safe as $$
    select nullif(array(select k from jsonb_object_keys(quote) k where not raw ? k order by k), '{}')
$$;

-- One row per distinct catalog payload of a market: the payload minus the quote fields. A market
-- whose rules, times or labels change gets a new version; quotes never make one.
create table market_versions (
    id                bigint generated always as identity primary key,
    ticker            text        not null,
    -- md5 of one canonical text of `body`: jsonb's (`body::text`, written by SQL here) or the
    -- collector's (top-level keys sorted, values as Kalshi sent them). Equal digests mean equal
    -- bodies; one body may have a version under each text form, never two bodies one version.
    body_md5          uuid        not null,
    body              jsonb       not null,
    first_observed_at timestamptz not null,
    unique (ticker, body_md5)
);

alter table market_snapshots
    add column previous_yes_bid numeric,
    add column previous_yes_ask numeric,
    add column previous_price   numeric,
    add column version_id       bigint,       -- market_versions.id (no FK: a hypertable)
    add column extra            jsonb,
    add column missing          text[],
    alter column raw drop not null;

-- The quote fields of snapshot `s` as its payload carried them.
create function market_snapshot_quote(s market_snapshots) returns jsonb
language sql immutable parallel safe as $$
    select market_snapshot_quote_json(s.status, s.yes_bid, s.yes_ask, s.no_bid, s.no_ask,
               s.yes_bid_size, s.yes_ask_size, s.last_price, s.volume, s.volume_24h,
               s.open_interest, s.previous_yes_bid, s.previous_yes_ask, s.previous_price)
$$;

-- The id of `body`'s version for `ticker`, creating it when new.
create function market_version_id(p_ticker text, p_body jsonb, p_observed_at timestamptz)
returns bigint
language plpgsql as $$
declare
    hash uuid := md5(p_body::text)::uuid;
    found_id bigint;
begin
    select id into found_id from market_versions where ticker = p_ticker and body_md5 = hash;
    if found_id is null then
        insert into market_versions (ticker, body_md5, body, first_observed_at)
        values (p_ticker, hash, p_body, p_observed_at)
        on conflict (ticker, body_md5) do nothing
        returning id into found_id;
        if found_id is null then
            select id into found_id from market_versions where ticker = p_ticker and body_md5 = hash;
        end if;
    end if;
    return found_id;
end
$$;

-- The ingest path for any writer that inserts the whole payload as `raw` (backfills, tests, a
-- backup taken before this migration): split it, keep nothing twice.
create function market_snapshots_split_raw() returns trigger
language plpgsql as $$
declare
    body  jsonb;
    quote jsonb;
begin
    new.previous_yes_bid := coalesce(new.previous_yes_bid, kalshi_fixed_point(new.raw -> 'previous_yes_bid_dollars'));
    new.previous_yes_ask := coalesce(new.previous_yes_ask, kalshi_fixed_point(new.raw -> 'previous_yes_ask_dollars'));
    new.previous_price := coalesce(new.previous_price, kalshi_fixed_point(new.raw -> 'previous_price_dollars'));
    body := new.raw - market_snapshot_quote_keys();
    new.version_id := market_version_id(new.ticker, body, new.observed_at);
    quote := market_snapshot_quote(new);
    new.extra := market_snapshot_extra(new.raw, body, quote);
    new.missing := market_snapshot_missing(new.raw, quote);
    new.raw := null;
    return new;
end
$$;

-- Existing rows: versions first (one per distinct body per market), then each row split in place.
insert into market_versions (ticker, body_md5, body, first_observed_at)
select distinct on (ticker, body_md5) ticker, body_md5, body, observed_at
  from (select ticker, observed_at, raw - market_snapshot_quote_keys() as body,
               md5((raw - market_snapshot_quote_keys())::text)::uuid as body_md5
          from market_snapshots where raw is not null) s
 order by ticker, body_md5, observed_at
on conflict (ticker, body_md5) do nothing;

update market_snapshots s
   set previous_yes_bid = kalshi_fixed_point(s.raw -> 'previous_yes_bid_dollars'),
       previous_yes_ask = kalshi_fixed_point(s.raw -> 'previous_yes_ask_dollars'),
       previous_price = kalshi_fixed_point(s.raw -> 'previous_price_dollars')
 where s.raw is not null;

update market_snapshots s
   set version_id = v.id,
       extra = market_snapshot_extra(s.raw, v.body, market_snapshot_quote(s)),
       missing = market_snapshot_missing(s.raw, market_snapshot_quote(s)),
       raw = null
  from market_versions v
 where s.raw is not null
   and v.ticker = s.ticker
   and v.body_md5 = md5((s.raw - market_snapshot_quote_keys())::text)::uuid;

alter table market_snapshots
    alter column version_id set not null,
    -- `raw` is an ingest field only: the trigger always empties it.
    add constraint market_snapshots_raw_is_split check (raw is null);

create trigger market_snapshots_split_raw
    before insert on market_snapshots
    for each row when (new.raw is not null)
    execute function market_snapshots_split_raw();

-- The payload Kalshi sent for snapshot `s`, equal as JSON to what was received.
create function market_snapshot_raw(s market_snapshots) returns jsonb
language sql stable parallel safe as $$
    select coalesce((select v.body from market_versions v where v.id = s.version_id), '{}'::jsonb)
           || (market_snapshot_quote(s) - coalesce(s.missing, '{}'::text[]))
           || coalesce(s.extra, '{}'::jsonb)
$$;

-- Every snapshot written moves its market's `last_snapshot_at`: up to one update of each `markets`
-- row per pass. Half-empty pages let PostgreSQL make those updates HOT (the new row version on the
-- same page, no index entries; no indexed column changes), about five times cheaper than updates
-- that touch the table's five indexes. New pages follow at once; `VACUUM FULL markets` repacks old
-- ones.
alter table markets set (fillfactor = 50);

-- TimescaleDB compression (production, ADR-108); a no-op on plain PostgreSQL.
--   market_snapshots: 1-day chunks, compressed once 3 days old. Segments are one market's rows
--     of a day (hundreds of rows each at a 5-minute cadence), in time order, so the quote columns
--     delta-encode and the repeated status/source/version_id values collapse.
--   game_states: 7-day chunks, compressed once 14 days old (a game is over within a day; the
--     margin leaves a week of late corrections and re-collection uncompressed).
-- Compressed chunks still take inserts, upserts (ON CONFLICT), updates and deletes (TimescaleDB
-- 2.11+ decompresses the affected segments), so late rows, settlement follow-ups and a restore's
-- replace-a-day keep working; they are only slower there.
do $$
begin
    if exists (select 1 from pg_extension where extname = 'timescaledb') then
        alter table market_snapshots set (
            timescaledb.compress,
            timescaledb.compress_segmentby = 'ticker',
            timescaledb.compress_orderby = 'observed_at, source');
        perform add_compression_policy('market_snapshots', interval '3 days', if_not_exists => true);
        alter table game_states set (
            timescaledb.compress,
            timescaledb.compress_segmentby = 'espn_event_id',
            timescaledb.compress_orderby = 'observed_at');
        perform add_compression_policy('game_states', interval '14 days', if_not_exists => true);
    end if;
end
$$;

-- backfill-kalshi's history (migration 20261201000300), TimescaleDB only:
--   kalshi_trades: a hypertable on created_time, 7-day chunks, compressed once 30 days old. A
--     hypertable's unique keys must hold its time column, so the primary key becomes (ticker,
--     created_time, trade_id) there (it replaces the (ticker, created_time, trade_id) index);
--     Kalshi's trade_id still names one trade, whose ticker and time never change, so a trade
--     served by both tiers or fetched twice is still one row. Writers use ON CONFLICT DO NOTHING
--     without a target, which holds on either key.
--   kalshi_candles: already a hypertable (30-day chunks); compressed once 60 days old, i.e. once
--     the chunk is a month past its end. Only the period in progress is rewritten, and a backfill
--     of old markets writes their chunks once (into compressed ones, which TimescaleDB decompresses
--     as needed).
-- Both segment by ticker (one market's rows together, as every read asks for them) and order by
-- time, so prices and counts delta-encode.
do $$
begin
    if exists (select 1 from pg_extension where extname = 'timescaledb') then
        alter table kalshi_trades drop constraint kalshi_trades_pkey;
        drop index kalshi_trades_ticker_created;
        alter table kalshi_trades add primary key (ticker, created_time, trade_id);
        perform create_hypertable('kalshi_trades', 'created_time',
                                  chunk_time_interval => interval '7 days',
                                  migrate_data => true, if_not_exists => true);
        alter table kalshi_trades set (
            timescaledb.compress,
            timescaledb.compress_segmentby = 'ticker',
            timescaledb.compress_orderby = 'created_time, trade_id');
        perform add_compression_policy('kalshi_trades', interval '30 days', if_not_exists => true);
        alter table kalshi_candles set (
            timescaledb.compress,
            timescaledb.compress_segmentby = 'ticker',
            timescaledb.compress_orderby = 'period_minutes, end_period_ts');
        perform add_compression_policy('kalshi_candles', interval '60 days', if_not_exists => true);
    end if;
end
$$;
