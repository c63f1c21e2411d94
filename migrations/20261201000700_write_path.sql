-- collect-kalshi's write path (issue 15, docs/storage.md "The write path").
--
-- 1. The shape of the per-page staging table. A page of markets is COPYed into a session-local
-- temporary table of this shape, then the catalog rows, catalog versions and snapshots are
-- written from it by set-based statements.
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

-- 2. Narrow catalog rows. Each snapshot written moves its market's `last_snapshot_at`, and each
-- probes its catalog version; both rows carried the ~1.3 KB payload inline (under the 2 KB at
-- which PostgreSQL moves values out of line), so 100k markets were ~300 MB of `markets` heap at
-- fillfactor 50 and another ~140 MB of `market_versions`, beyond any cache, and a pass of pointer
-- moves read and wrote most of it. With a 256-byte tuple target the payload is compressed and
-- moved to TOAST; the rows keep an 18-byte pointer, which an update copies without touching the
-- payload. Applies to rows written from now on; `VACUUM FULL markets, market_versions` repacks
-- old ones.
alter table markets set (toast_tuple_target = 256);
alter table market_versions set (toast_tuple_target = 256);
