-- The shape of collect-kalshi's per-page staging table (issue 15, docs/storage.md "The write
-- path"). A page of markets is COPYed into a session-local temporary table of this shape, then
-- the catalog rows, catalog versions and snapshots are written from it by set-based statements.
--
-- This permanent table is only the declaration: writers create
--     create temporary table market_snapshot_stage (like public.market_snapshot_stage)
--         on commit delete rows
-- which shadows it in their session (pg_temp is searched first), so the statements that read
-- the stage are checked at compile time against this definition and run against the session's
-- own copy. `like` copies columns and NOT NULL only, not the check below: nothing can write here.
create table market_snapshot_stage (
    ticker                   text        not null,
    event_ticker             text        not null,
    market_type              text        not null,
    title                    text,
    yes_sub_title            text,
    no_sub_title             text,
    open_time                timestamptz,
    close_time               timestamptz,
    expected_expiration_time timestamptz,
    latest_expiration_time   timestamptz,
    updated_time             timestamptz,
    notional_value           numeric,
    result                   text,
    settlement_value         numeric,
    settlement_ts            timestamptz,
    expiration_value         text,
    strike_type              text,
    floor_strike             numeric,
    cap_strike               numeric,
    -- The quote, in market_snapshot_quote_keys() order.
    status                   text        not null,
    yes_bid                  numeric,
    yes_ask                  numeric,
    no_bid                   numeric,
    no_ask                   numeric,
    yes_bid_size             numeric,
    yes_ask_size             numeric,
    last_price               numeric,
    volume                   numeric,
    volume_24h               numeric,
    open_interest            numeric,
    previous_yes_bid         numeric,
    previous_yes_ask         numeric,
    previous_price           numeric,
    depth                    jsonb,
    -- The catalog version (market_versions.body_md5) and what neither reproduces.
    body_md5                 uuid        not null,
    extra                    jsonb,
    missing                  text[],
    constraint market_snapshot_stage_is_a_declaration check (false)
);
