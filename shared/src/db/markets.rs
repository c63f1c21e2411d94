//! Markets and their snapshots. One page of markets is written in one transaction: the catalog
//! row upserted when its metadata changed, and a snapshot only when the quote changed since the
//! market's last stored snapshot or that snapshot is older than the heartbeat. "Changed" is
//! decided the same way as for game states (`super::games`): the stored row must contain the
//! new one's values.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use sqlx::{PgConnection, PgPool};

use crate::domain::{Market, Price};

/// What one page write changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PageWrite {
    pub markets_changed: u64,
    pub snapshots_inserted: u64,
}

/// Upserts `markets` and inserts the snapshots due, all observed at `observed_at`. `depth` holds
/// order books for markets whose depth was fetched. Run inside the caller's transaction.
pub async fn write_page(
    conn: &mut PgConnection,
    markets: &[Market],
    depth: &HashMap<String, Box<RawValue>>,
    observed_at: DateTime<Utc>,
    heartbeat_minutes: u32,
) -> Result<PageWrite, sqlx::Error> {
    if markets.is_empty() {
        return Ok(PageWrite::default());
    }
    // One row per ticker (a statement may not update a row twice), in ticker order so concurrent
    // invocations lock rows in the same order and cannot deadlock.
    let mut unique: Vec<&Market> = markets.iter().collect();
    unique.sort_by(|a, b| a.ticker.cmp(&b.ticker));
    unique.dedup_by(|a, b| a.ticker == b.ticker);
    let markets = unique.as_slice();
    let markets_changed = upsert_markets(conn, markets, observed_at).await?;
    let snapshots_inserted =
        insert_snapshots(conn, markets, depth, observed_at, heartbeat_minutes).await?;
    Ok(PageWrite {
        markets_changed,
        snapshots_inserted,
    })
}

async fn upsert_markets(
    conn: &mut PgConnection,
    markets: &[&Market],
    observed_at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let text = |f: fn(&Market) -> Option<&str>| -> Vec<Option<&str>> {
        markets.iter().map(|m| f(m)).collect()
    };
    let required = |f: fn(&Market) -> &str| -> Vec<&str> { markets.iter().map(|m| f(m)).collect() };
    let time = |f: fn(&Market) -> Option<DateTime<Utc>>| -> Vec<Option<DateTime<Utc>>> {
        markets.iter().map(|m| f(m)).collect()
    };
    let number = |f: fn(&Market) -> Option<Decimal>| -> Vec<Option<Decimal>> {
        markets.iter().map(|m| f(m)).collect()
    };
    // language=PostgreSQL
    let result = sqlx::query!(
        "insert into markets (ticker, event_ticker, series_ticker, market_type, title, yes_sub_title,
                              no_sub_title, status, open_time, close_time, expected_expiration_time,
                              latest_expiration_time, updated_time, notional_value, result,
                              settlement_value, settlement_ts, expiration_value, strike_type,
                              floor_strike, cap_strike, raw, determined_at, last_snapshot_at)
         select b.ticker, b.event_ticker, e.series_ticker, b.market_type, b.title, b.yes_sub_title,
                b.no_sub_title, b.status, b.open_time, b.close_time, b.expected_expiration_time,
                b.latest_expiration_time, b.updated_time, b.notional_value, b.result,
                b.settlement_value, b.settlement_ts, b.expiration_value, b.strike_type,
                b.floor_strike, b.cap_strike, b.raw::jsonb,
                case when b.result is not null then $22::timestamptz end,
                -- A new market's first snapshot is written next, in this transaction; pointing
                -- at it now saves rewriting the row. Updates leave the pointer alone.
                $22::timestamptz
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::text[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[],
                       $11::timestamptz[], $12::timestamptz[], $13::numeric[], $14::text[],
                       $15::numeric[], $16::timestamptz[], $17::text[], $18::text[],
                       $19::numeric[], $20::numeric[], $21::text[])
                as b(ticker, event_ticker, market_type, title, yes_sub_title, no_sub_title, status,
                     open_time, close_time, expected_expiration_time, latest_expiration_time,
                     updated_time, notional_value, result, settlement_value, settlement_ts,
                     expiration_value, strike_type, floor_strike, cap_strike, raw)
           left join events e on e.event_ticker = b.event_ticker
           left join markets m on m.ticker = b.ticker
          -- Filter before the insert so unchanged rows cost no JSON parsing and no conflict path.
          where m.ticker is null
             or (m.status, m.result, m.close_time, m.updated_time, m.settlement_value,
                 m.settlement_ts, m.expiration_value, m.latest_expiration_time,
                 m.expected_expiration_time)
                is distinct from
                (b.status, b.result, b.close_time, b.updated_time, b.settlement_value,
                 b.settlement_ts, b.expiration_value, b.latest_expiration_time,
                 b.expected_expiration_time)
             or (m.series_ticker is null and e.series_ticker is not null)
         on conflict (ticker) do update set
                event_ticker = excluded.event_ticker,
                series_ticker = coalesce(excluded.series_ticker, markets.series_ticker),
                market_type = excluded.market_type, title = excluded.title,
                yes_sub_title = excluded.yes_sub_title, no_sub_title = excluded.no_sub_title,
                status = excluded.status, open_time = excluded.open_time,
                close_time = excluded.close_time,
                expected_expiration_time = excluded.expected_expiration_time,
                latest_expiration_time = excluded.latest_expiration_time,
                updated_time = excluded.updated_time, notional_value = excluded.notional_value,
                result = excluded.result, settlement_value = excluded.settlement_value,
                settlement_ts = excluded.settlement_ts, expiration_value = excluded.expiration_value,
                strike_type = excluded.strike_type, floor_strike = excluded.floor_strike,
                cap_strike = excluded.cap_strike, raw = excluded.raw,
                determined_at = coalesce(markets.determined_at, excluded.determined_at),
                updated_at = now()
          -- Quotes change every pass and live in market_snapshots; the catalog row (and its raw
          -- copy) is rewritten only when the market's own facts change.
          where (markets.status, markets.result, markets.close_time, markets.updated_time,
                 markets.settlement_value, markets.settlement_ts, markets.expiration_value,
                 markets.latest_expiration_time, markets.expected_expiration_time)
                is distinct from
                (excluded.status, excluded.result, excluded.close_time, excluded.updated_time,
                 excluded.settlement_value, excluded.settlement_ts, excluded.expiration_value,
                 excluded.latest_expiration_time, excluded.expected_expiration_time)
             or (markets.series_ticker is null and excluded.series_ticker is not null)",
        required(|m| m.ticker.as_str()) as _,
        required(|m| m.event_ticker.as_str()) as _,
        required(|m| m.market_type.as_str()) as _,
        text(|m| m.title.as_deref()) as _,
        text(|m| m.yes_sub_title.as_deref()) as _,
        text(|m| m.no_sub_title.as_deref()) as _,
        required(|m| m.quote.status.as_str()) as _,
        time(|m| m.open_time) as _,
        time(|m| m.close_time) as _,
        time(|m| m.expected_expiration_time) as _,
        time(|m| m.latest_expiration_time) as _,
        time(|m| m.updated_time) as _,
        number(|m| m.notional_value) as _,
        text(|m| m.result.as_deref()) as _,
        number(|m| m.settlement_value) as _,
        time(|m| m.settlement_ts) as _,
        text(|m| m.expiration_value.as_deref()) as _,
        text(|m| m.strike_type.as_deref()) as _,
        number(|m| m.floor_strike) as _,
        number(|m| m.cap_strike) as _,
        required(|m| m.raw.get()) as _,
        observed_at,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

async fn insert_snapshots(
    conn: &mut PgConnection,
    markets: &[&Market],
    depth: &HashMap<String, Box<RawValue>>,
    observed_at: DateTime<Utc>,
    heartbeat_minutes: u32,
) -> Result<u64, sqlx::Error> {
    let quote = |f: fn(&Market) -> Option<Decimal>| -> Vec<Option<Decimal>> {
        markets.iter().map(|m| f(m)).collect()
    };
    let depths: Vec<Option<&str>> = markets
        .iter()
        .map(|m| depth.get(m.ticker.as_str()).map(|d| d.get()))
        .collect();
    // language=PostgreSQL
    let inserted = sqlx::query_scalar!(
        r#"with batch as (
             select *
               from unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[],
                           $6::numeric[], $7::numeric[], $8::numeric[], $9::numeric[],
                           $10::numeric[], $11::numeric[], $12::numeric[], $13::text[], $14::text[])
                    as b(ticker, status, yes_bid, yes_ask, no_bid, no_ask, yes_bid_size,
                         yes_ask_size, last_price, volume, volume_24h, open_interest, depth, raw)
         ),
         inserted as (
             insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask,
                                           no_bid, no_ask, yes_bid_size, yes_ask_size, last_price,
                                           volume, volume_24h, open_interest, depth, raw)
             select b.ticker, $15::timestamptz, 'rest', b.status, b.yes_bid, b.yes_ask, b.no_bid, b.no_ask,
                    b.yes_bid_size, b.yes_ask_size, b.last_price, b.volume, b.volume_24h,
                    b.open_interest, b.depth::jsonb, b.raw::jsonb
               from batch b
               join markets m on m.ticker = b.ticker
               left join market_snapshots s
                      on s.ticker = m.ticker and s.observed_at = m.last_snapshot_at and s.source = 'rest'
              where s.ticker is null
                 or s.observed_at <= $15::timestamptz - make_interval(mins => $16::int4)
                 -- Changed unless the stored row already holds every value of the batch's row
                 -- (named like the table's columns) but the payloads: a column added to the
                 -- batch is compared without another edit. Depth counts only when fetched.
                 or not to_jsonb(s) @> (to_jsonb(b) - 'depth' - 'raw')
                 or (b.depth is not null and s.depth is distinct from b.depth::jsonb)
             on conflict (ticker, observed_at, source) do nothing
             returning ticker
         ),
         moved as (
             update markets m set last_snapshot_at = $15::timestamptz
               from inserted i
              where m.ticker = i.ticker and m.last_snapshot_at is distinct from $15::timestamptz
         )
         select count(*) as "inserted!" from inserted"#,
        markets.iter().map(|m| m.ticker.as_str()).collect::<Vec<_>>() as _,
        markets.iter().map(|m| m.quote.status.as_str()).collect::<Vec<_>>() as _,
        quote(|m| m.quote.yes_bid.map(Price::get)) as _,
        quote(|m| m.quote.yes_ask.map(Price::get)) as _,
        quote(|m| m.quote.no_bid.map(Price::get)) as _,
        quote(|m| m.quote.no_ask.map(Price::get)) as _,
        quote(|m| m.quote.yes_bid_size) as _,
        quote(|m| m.quote.yes_ask_size) as _,
        quote(|m| m.quote.last_price.map(Price::get)) as _,
        quote(|m| m.quote.volume) as _,
        quote(|m| m.quote.volume_24h) as _,
        quote(|m| m.quote.open_interest) as _,
        depths as _,
        markets.iter().map(|m| m.raw.get()).collect::<Vec<_>>() as _,
        observed_at,
        i32::try_from(heartbeat_minutes).unwrap_or(i32::MAX),
    )
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(inserted).unwrap_or(0))
}

/// Markets not yet final, to follow until Kalshi reports their result; limited to `series` when given.
pub async fn unsettled(
    pool: &PgPool,
    series: Option<&[String]>,
) -> Result<Vec<String>, sqlx::Error> {
    // language=PostgreSQL
    sqlx::query_scalar!(
        "select ticker from markets
          where status <> 'finalized' and ($1::text[] is null or series_ticker = any($1))
          order by ticker",
        series as _,
    )
    .fetch_all(pool)
    .await
}
