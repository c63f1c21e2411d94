-- The foundation every function writes to: the run ledger, rejected upstream records, the Kalshi
-- catalog and its snapshots, and ADR-107's trades/positions. Applied migrations are never edited;
-- change the schema with a new file (see migrations/README.md).

-- One row per function invocation. 'running' is the state between start and finish: a row left
-- 'running' means the process died mid-run, which is exactly what an operator needs to see.
create table collection_runs (
    id            uuid primary key,
    function      text        not null,
    trigger       text        not null,
    started_at    timestamptz not null,
    finished_at   timestamptz,
    status        text        not null check (status in ('running', 'ok', 'failed', 'skipped')),
    rows_written  bigint      not null default 0,
    rows_rejected bigint      not null default 0,
    error         text,
    summary       jsonb
);
create index collection_runs_function_started on collection_runs (function, started_at desc);
create index collection_runs_status_started on collection_runs (status, started_at desc);

-- Upstream records we could not parse, kept verbatim so nothing is lost and a parser fix can
-- replay them. The same bad record seen again bumps its counter instead of adding a row.
create table rejected_records (
    id            bigint generated always as identity primary key,
    source        text        not null,   -- e.g. 'kalshi.market', 'espn.competition'
    natural_key   text,                   -- ticker / event id when it could be read
    reason        text        not null,
    raw           jsonb       not null,
    raw_md5       text        not null,
    first_run_id  uuid        references collection_runs (id),
    last_run_id   uuid        references collection_runs (id),
    first_seen_at timestamptz not null default now(),
    last_seen_at  timestamptz not null default now(),
    times_seen    integer     not null default 1,
    unique (source, raw_md5)
);

-- Kalshi catalog. No foreign keys between series/events/markets: they arrive from separate
-- endpoints, and a market must never be refused because its event could not be fetched yet.
create table series (
    ticker             text primary key,
    title              text,
    category           text,
    frequency          text,
    tags               text[],
    fee_type           text,
    fee_multiplier     numeric,       -- Kalshi sends a double; kept exactly as its JSON text
    contract_url       text,
    last_updated_ts    timestamptz,   -- Kalshi's own change stamp: decides when to re-fetch
    raw                jsonb       not null,
    first_seen_at      timestamptz not null default now(),
    updated_at         timestamptz not null default now()
);

create table events (
    event_ticker            text primary key,
    series_ticker           text        not null,
    title                   text,
    sub_title               text,
    mutually_exclusive      boolean,
    strike_date             timestamptz,
    strike_period           text,
    fee_type_override       text,
    fee_multiplier_override numeric,
    last_updated_ts         timestamptz,
    raw                     jsonb       not null,
    first_seen_at           timestamptz not null default now(),
    updated_at              timestamptz not null default now()
);
create index events_series on events (series_ticker);

create table markets (
    ticker                   text primary key,
    event_ticker             text        not null,
    series_ticker            text,
    market_type              text        not null,
    title                    text,
    yes_sub_title            text,
    no_sub_title             text,
    status                   text        not null,   -- Kalshi's response vocabulary (active, finalized, ...)
    open_time                timestamptz,
    close_time               timestamptz,
    expected_expiration_time timestamptz,
    latest_expiration_time   timestamptz,
    notional_value           numeric,
    result                   text,                   -- null until determined ('' upstream)
    settlement_value         numeric,
    settlement_ts            timestamptz,
    determined_at            timestamptz,            -- first time we saw a result: when a backtest may know it
    expiration_value         text,
    strike_type              text,
    floor_strike             numeric,
    cap_strike               numeric,
    updated_time             timestamptz,            -- Kalshi's non-trading metadata stamp
    raw                      jsonb       not null,
    first_seen_at            timestamptz not null default now(),
    last_snapshot_at         timestamptz,            -- points at the latest market_snapshots row
    updated_at               timestamptz not null default now()
);
create index markets_event on markets (event_ticker);
create index markets_series on markets (series_ticker);
create index markets_status on markets (status);
-- Markets we still have to follow to their final result.
create index markets_unsettled on markets (ticker) where status <> 'finalized';

-- Quotes as Kalshi gave them (ADR-003: source, sequence, timezone-aware time, raw payload).
-- Prices are NUMERIC dollars, sizes/volumes NUMERIC contracts: exact, fractional where Kalshi is.
create table market_snapshots (
    id               bigint generated always as identity,
    ticker           text        not null,
    observed_at      timestamptz not null,
    source           text        not null check (source in ('rest', 'websocket', 'backfill')),
    sequence         bigint,
    status           text        not null,
    yes_bid          numeric,
    yes_ask          numeric,
    no_bid           numeric,
    no_ask           numeric,
    yes_bid_size     numeric,
    yes_ask_size     numeric,
    last_price       numeric,
    volume           numeric,
    volume_24h       numeric,
    open_interest    numeric,
    depth            jsonb,      -- orderbook_fp when depth was requested
    raw              jsonb       not null,
    collected_at     timestamptz not null default now(),
    -- Includes the time column so the table can become a TimescaleDB hypertable.
    primary key (ticker, observed_at, source)
);
create index market_snapshots_observed on market_snapshots (observed_at);

-- ADR-107: one database, execution environment as a column.
create type execution_environment as enum ('live', 'paper', 'backtest');
create type trade_source as enum ('automated', 'manual');

create table trades (
    id                    bigint generated always as identity primary key,
    ticker                text                  not null,
    side                  text                  not null check (side in ('yes', 'no')),
    action                text                  not null check (action in ('buy', 'sell')),
    price                 numeric               not null check (price >= 0 and price <= 1),
    contracts             numeric               not null check (contracts > 0),
    fee                   numeric               not null default 0,
    executed_at           timestamptz           not null,
    strategy              text,
    order_id              text,
    trade_source          trade_source          not null default 'automated',
    execution_environment execution_environment not null default 'live',
    created_at            timestamptz           not null default now()
);
create index idx_trades_environment on trades (execution_environment);
create index idx_trades_ticker_time on trades (ticker, executed_at);

create table positions (
    id                    bigint generated always as identity primary key,
    ticker                text                  not null,
    side                  text                  not null check (side in ('yes', 'no')),
    contracts             numeric               not null,
    average_entry_price   numeric               not null,
    opened_at             timestamptz           not null,
    closed_at             timestamptz,
    status                text                  not null default 'open' check (status in ('open', 'closed', 'settled')),
    realized_pnl          numeric,
    strategy              text,
    trade_source          trade_source          not null default 'automated',
    execution_environment execution_environment not null default 'live',
    created_at            timestamptz           not null default now()
);
create index idx_positions_environment on positions (execution_environment);
create index idx_positions_ticker on positions (ticker);

create view live_trades as select * from trades where execution_environment = 'live';
create view paper_trades as select * from trades where execution_environment = 'paper';
create view backtest_trades as select * from trades where execution_environment = 'backtest';
create view training_data_trades as select * from trades where execution_environment in ('paper', 'backtest');

-- TimescaleDB when the server has it (production); a no-op on plain PostgreSQL.
do $$
begin
    if exists (select 1 from pg_available_extensions where name = 'timescaledb')
       and current_setting('shared_preload_libraries', true) like '%timescaledb%' then
        create extension if not exists timescaledb;
        perform create_hypertable('market_snapshots', 'observed_at',
                                  chunk_time_interval => interval '1 day',
                                  migrate_data => true, if_not_exists => true);
    end if;
end
$$;
