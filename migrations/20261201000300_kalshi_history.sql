-- backfill-kalshi (issue 13): Kalshi's own history, read from both tiers of its API (the live tier
-- and the historical tier past `GET /historical/cutoff`). Every price is NUMERIC dollars from the
-- `*_dollars` strings and every count NUMERIC contracts from the `*_fp` strings: sub-penny prices
-- and fractional contracts are stored exactly. `tier` says which endpoint a row came from.

-- Every trade Kalshi printed, once: `trade_id` is Kalshi's, so a trade served by both tiers (they
-- overlap around the cutoff) or fetched again after a crash is the same row.
create table kalshi_trades (
    trade_id        text        primary key,
    ticker          text        not null,
    created_time    timestamptz not null,
    yes_price       numeric     not null check (yes_price >= 0 and yes_price <= 1),
    no_price        numeric     not null check (no_price >= 0 and no_price <= 1),
    count           numeric     not null check (count > 0),
    taker_side      text        check (taker_side in ('yes', 'no')),   -- taker_outcome_side (or the deprecated taker_side)
    is_block_trade  boolean,
    tier            text        not null check (tier in ('live', 'historical')),
    source          text        not null default 'backfill' check (source in ('backfill')),
    raw             jsonb       not null,   -- the trade as served
    collected_at    timestamptz not null default now()
);
-- /api/v1/markets/{ticker}/trades and trade-print fill evidence: one market, in time order.
create index kalshi_trades_ticker_created on kalshi_trades (ticker, created_time, trade_id);

-- Candlesticks, one per market, period and period end. The live tier names its fields
-- `open_dollars`/`volume_fp`, the historical tier `open`/`volume`; both land in these columns.
-- Candles of a period still in progress are rewritten when fetched again.
create table kalshi_candles (
    ticker          text        not null,
    period_minutes  integer     not null check (period_minutes in (1, 60, 1440)),
    end_period_ts   timestamptz not null,   -- inclusive end of the period (Kalshi's end_period_ts)
    yes_bid_open    numeric,
    yes_bid_high    numeric,
    yes_bid_low     numeric,
    yes_bid_close   numeric,
    yes_ask_open    numeric,
    yes_ask_high    numeric,
    yes_ask_low     numeric,
    yes_ask_close   numeric,
    price_open      numeric,                -- trade prices: null in a period without trades
    price_high      numeric,
    price_low       numeric,
    price_close     numeric,
    price_mean      numeric,
    price_previous  numeric,
    volume          numeric,
    open_interest   numeric,
    tier            text        not null check (tier in ('live', 'historical')),
    source          text        not null default 'backfill' check (source in ('backfill')),
    raw             jsonb       not null,
    collected_at    timestamptz not null default now(),
    primary key (ticker, period_minutes, end_period_ts)
);

-- How far the crawl has got, per market, tier and kind ('trades', 'candles_1m', 'candles_1h',
-- 'candles_1d'). Written in the same transaction as the page it describes, so it never runs ahead
-- of what is stored: after a crash the next run resumes from `cursor` (the page after the last
-- committed one) or, with no window open, from `covered_through`.
create table backfill_watermarks (
    ticker          text        not null,
    tier            text        not null check (tier in ('live', 'historical')),
    kind            text        not null check (kind in ('trades', 'candles_1m', 'candles_1h', 'candles_1d')),
    -- Everything up to this instant is stored (null: nothing yet).
    covered_through timestamptz,
    -- The window being paged now and Kalshi's cursor for its next page; null between windows.
    window_start    timestamptz,
    window_end      timestamptz,
    cursor          text,
    pages           bigint      not null default 0,
    rows            bigint      not null default 0,
    updated_at      timestamptz not null default now(),
    primary key (ticker, tier, kind)
);

-- TimescaleDB when the server has it (production); a no-op on plain PostgreSQL. The trades table
-- keeps its plain primary key on trade_id (a hypertable would need created_time in it).
do $$
begin
    if exists (select 1 from pg_available_extensions where name = 'timescaledb')
       and current_setting('shared_preload_libraries', true) like '%timescaledb%' then
        create extension if not exists timescaledb;
        perform create_hypertable('kalshi_candles', 'end_period_ts',
                                  chunk_time_interval => interval '30 days',
                                  migrate_data => true, if_not_exists => true);
    end if;
end
$$;
