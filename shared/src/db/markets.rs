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
    let time = |f: fn(&Market) -> Option<DateTime<Utc>>| -> Vec<Option<DateTime<Utc>>> {
        markets.iter().map(|m| f(m)).collect()
    };
    let number = |f: fn(&Market) -> Option<Decimal>| -> Vec<Option<Decimal>> {
        markets.iter().map(|m| f(m)).collect()
    };
    // language=PostgreSQL
    let result = sqlx::query(
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
                case when b.result is not null then $22 end,
                -- A new market's first snapshot is written next, in this transaction; pointing
                -- at it now saves rewriting the row. Updates leave the pointer alone.
                $22
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
    )
    .bind(markets.iter().map(|m| m.ticker.as_str()).collect::<Vec<_>>())
    .bind(markets.iter().map(|m| m.event_ticker.as_str()).collect::<Vec<_>>())
    .bind(markets.iter().map(|m| m.market_type.as_str()).collect::<Vec<_>>())
    .bind(text(|m| m.title.as_deref()))
    .bind(text(|m| m.yes_sub_title.as_deref()))
    .bind(text(|m| m.no_sub_title.as_deref()))
    .bind(markets.iter().map(|m| m.quote.status.as_str()).collect::<Vec<_>>())
    .bind(time(|m| m.open_time))
    .bind(time(|m| m.close_time))
    .bind(time(|m| m.expected_expiration_time))
    .bind(time(|m| m.latest_expiration_time))
    .bind(time(|m| m.updated_time))
    .bind(number(|m| m.notional_value))
    .bind(text(|m| m.result.as_deref()))
    .bind(number(|m| m.settlement_value))
    .bind(time(|m| m.settlement_ts))
    .bind(text(|m| m.expiration_value.as_deref()))
    .bind(text(|m| m.strike_type.as_deref()))
    .bind(number(|m| m.floor_strike))
    .bind(number(|m| m.cap_strike))
    .bind(markets.iter().map(|m| m.raw.get()).collect::<Vec<_>>())
    .bind(observed_at)
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
    let inserted: i64 = sqlx::query_scalar(
        "with batch as (
             select *
               from unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[],
                           $6::numeric[], $7::numeric[], $8::numeric[], $9::numeric[],
                           $10::numeric[], $11::numeric[], $12::numeric[], $13::text[], $14::text[])
                    as b(ticker, status, yes_bid, yes_ask, no_bid, no_ask, yes_bid_size,
                         yes_ask_size, last_price, volume, volume_24h, open_interest, depth, raw)
         ),
         due as (
             select b.*, b.raw::jsonb as payload
               from batch b
               join markets m on m.ticker = b.ticker
               -- A subquery row, not the hypertable's whole-row: TimescaleDB 2.28 fails
               -- ('cache lookup failed for attribute 0') on to_jsonb() of a compressed chunk's row.
               left join lateral (
                   select ms.ticker, ms.observed_at, ms.status, ms.yes_bid, ms.yes_ask, ms.no_bid,
                          ms.no_ask, ms.yes_bid_size, ms.yes_ask_size, ms.last_price, ms.volume,
                          ms.volume_24h, ms.open_interest, ms.depth
                     from market_snapshots ms
                    where ms.ticker = m.ticker and ms.observed_at = m.last_snapshot_at
                      and ms.source = 'rest'
                    offset 0
               ) s on true
              where s.ticker is null
                 or s.observed_at <= $15 - make_interval(mins => $16)
                 -- Changed unless the stored row already holds every value of the batch's row
                 -- (named like the table's columns) but the payloads: a column added to the
                 -- batch is compared without another edit. Depth counts only when fetched.
                 or not to_jsonb(s) @> (to_jsonb(b) - 'depth' - 'raw')
                 or (b.depth is not null and s.depth is distinct from b.depth::jsonb)
         ),
         -- The payload is split as the storage migration's trigger would (see
         -- migrations/20261201000200_storage.sql): quote columns typed, the rest once per
         -- catalog version, and only what neither reproduces in `extra`.
         split as (
             select d.*, d.payload - market_snapshot_quote_keys() as body,
                    kalshi_fixed_point(d.payload -> 'previous_yes_bid_dollars') as previous_yes_bid,
                    kalshi_fixed_point(d.payload -> 'previous_yes_ask_dollars') as previous_yes_ask,
                    kalshi_fixed_point(d.payload -> 'previous_price_dollars') as previous_price
               from due d
         ),
         hashed as (
             select s.*, md5(s.body::text)::uuid as body_md5,
                    market_snapshot_quote_json(s.status, s.yes_bid, s.yes_ask, s.no_bid,
                        s.no_ask, s.yes_bid_size, s.yes_ask_size, s.last_price, s.volume,
                        s.volume_24h, s.open_interest, s.previous_yes_bid, s.previous_yes_ask,
                        s.previous_price) as quote
               from split s
         ),
         new_versions as (
             insert into market_versions (ticker, body_md5, body, first_observed_at)
             select h.ticker, h.body_md5, h.body, $15 from hashed h
             on conflict (ticker, body_md5) do nothing
             returning id, ticker, body_md5
         ),
         inserted as (
             insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask,
                                           no_bid, no_ask, yes_bid_size, yes_ask_size, last_price,
                                           volume, volume_24h, open_interest, previous_yes_bid,
                                           previous_yes_ask, previous_price, depth, version_id,
                                           extra, missing)
             select h.ticker, $15, 'rest', h.status, h.yes_bid, h.yes_ask, h.no_bid, h.no_ask,
                    h.yes_bid_size, h.yes_ask_size, h.last_price, h.volume, h.volume_24h,
                    h.open_interest, h.previous_yes_bid, h.previous_yes_ask, h.previous_price,
                    h.depth::jsonb,
                    -- A version inserted by this statement is not visible to it: take its id
                    -- from RETURNING, an older one from the table.
                    coalesce(nv.id, v.id),
                    market_snapshot_extra(h.payload, h.body, h.quote),
                    market_snapshot_missing(h.payload, h.quote)
               from hashed h
               left join new_versions nv on nv.ticker = h.ticker and nv.body_md5 = h.body_md5
               left join market_versions v on v.ticker = h.ticker and v.body_md5 = h.body_md5
             on conflict (ticker, observed_at, source) do nothing
             returning ticker
         ),
         moved as (
             update markets m set last_snapshot_at = $15
               from inserted i
              where m.ticker = i.ticker and m.last_snapshot_at is distinct from $15
         )
         select count(*) from inserted",
    )
    .bind(
        markets
            .iter()
            .map(|m| m.ticker.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        markets
            .iter()
            .map(|m| m.quote.status.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(quote(|m| m.quote.yes_bid.map(Price::get)))
    .bind(quote(|m| m.quote.yes_ask.map(Price::get)))
    .bind(quote(|m| m.quote.no_bid.map(Price::get)))
    .bind(quote(|m| m.quote.no_ask.map(Price::get)))
    .bind(quote(|m| m.quote.yes_bid_size))
    .bind(quote(|m| m.quote.yes_ask_size))
    .bind(quote(|m| m.quote.last_price.map(Price::get)))
    .bind(quote(|m| m.quote.volume))
    .bind(quote(|m| m.quote.volume_24h))
    .bind(quote(|m| m.quote.open_interest))
    .bind(depths)
    .bind(markets.iter().map(|m| m.raw.get()).collect::<Vec<_>>())
    .bind(observed_at)
    .bind(i32::try_from(heartbeat_minutes).unwrap_or(i32::MAX))
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
    sqlx::query_scalar(
        "select ticker from markets
          where status <> 'finalized' and ($1::text[] is null or series_ticker = any($1))
          order by ticker",
    )
    .bind(series)
    .fetch_all(pool)
    .await
}
