//! Kalshi's history: printed trades, candlesticks and the crawl's watermarks. A page is written
//! with its watermark in the caller's transaction, so the watermark never runs ahead of the rows.
//!
//! Pages travel as arrays through `unnest` (one round trip per page). Every statement is
//! checked against the schema at build time (`query!`); the array arguments are passed `as _`
//! because the macros cannot match `Vec<&str>` or `Vec<Option<Decimal>>` to `text[]`/`numeric[]`
//! by themselves (the casts in the SQL fix their types).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use sqlx::{PgConnection, PgPool};

use crate::domain::history::{Candle, Tier, Trade};

/// Where the crawl of one (ticker, tier, kind) stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Watermark {
    /// Everything up to here is stored.
    pub covered_through: Option<DateTime<Utc>>,
    /// A window being paged and the cursor of its next page (after a crash or a deadline).
    pub open_window: Option<OpenWindow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub cursor: String,
}

/// What a committed page did to the watermark.
#[derive(Debug, Clone)]
pub enum Advance {
    /// More pages follow in this window.
    NextPage(OpenWindow),
    /// The window is done: everything up to its end is stored.
    Covered(DateTime<Utc>),
}

/// The watermarks of `tickers` for `kind`, keyed by (ticker, tier); absent means never crawled.
pub async fn watermarks(
    pool: &PgPool,
    tickers: &[String],
    kind: &str,
) -> Result<HashMap<(String, Tier), Watermark>, sqlx::Error> {
    // language=PostgreSQL
    let rows = sqlx::query!(
        "select ticker, tier, covered_through, window_start, window_end, cursor
           from backfill_watermarks where kind = $1 and ticker = any($2)",
        kind,
        tickers,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let tier = match row.tier.as_str() {
                "live" => Tier::Live,
                "historical" => Tier::Historical,
                _ => return None,
            };
            let open_window = match (row.window_start, row.window_end, row.cursor) {
                (Some(start), Some(end), Some(cursor)) => Some(OpenWindow { start, end, cursor }),
                _ => None,
            };
            Some((
                (row.ticker, tier),
                Watermark {
                    covered_through: row.covered_through,
                    open_window,
                },
            ))
        })
        .collect())
}

/// Records a committed page of `rows` for (ticker, tier, kind). Run in the page's transaction.
pub async fn advance(
    conn: &mut PgConnection,
    ticker: &str,
    tier: Tier,
    kind: &str,
    advance: &Advance,
    rows: u64,
) -> Result<(), sqlx::Error> {
    let (covered, start, end, cursor) = match advance {
        Advance::NextPage(w) => (None, Some(w.start), Some(w.end), Some(w.cursor.as_str())),
        Advance::Covered(through) => (Some(*through), None, None, None),
    };
    // language=PostgreSQL
    sqlx::query!(
        "insert into backfill_watermarks
                (ticker, tier, kind, covered_through, window_start, window_end, cursor, pages, rows)
         values ($1, $2, $3, $4, $5, $6, $7, 1, $8)
         on conflict (ticker, tier, kind) do update set
                -- A page inside a window leaves what was covered before it alone.
                covered_through = coalesce(excluded.covered_through, backfill_watermarks.covered_through),
                window_start = excluded.window_start,
                window_end = excluded.window_end,
                cursor = excluded.cursor,
                pages = backfill_watermarks.pages + 1,
                rows = backfill_watermarks.rows + excluded.rows,
                updated_at = now()",
        ticker,
        tier.as_str(),
        kind,
        covered,
        start,
        end,
        cursor,
        i64::try_from(rows).unwrap_or(i64::MAX),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets an open window (its cursor was refused), keeping what was covered.
pub async fn drop_window(
    pool: &PgPool,
    ticker: &str,
    tier: Tier,
    kind: &str,
) -> Result<(), sqlx::Error> {
    // language=PostgreSQL
    sqlx::query!(
        "update backfill_watermarks set window_start = null, window_end = null, cursor = null,
                updated_at = now()
          where ticker = $1 and tier = $2 and kind = $3",
        ticker,
        tier.as_str(),
        kind,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Inserts trades not stored yet; returns how many were new. A trade already stored (from the
/// other tier, or an earlier run) is left as it is: Kalshi's trades do not change.
pub async fn insert_trades(
    conn: &mut PgConnection,
    trades: &[(Trade, Box<RawValue>)],
) -> Result<u64, sqlx::Error> {
    if trades.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&str> = trades.iter().map(|(t, _)| t.trade_id.as_str()).collect();
    let tickers: Vec<&str> = trades.iter().map(|(t, _)| t.ticker.as_str()).collect();
    let created: Vec<DateTime<Utc>> = trades.iter().map(|(t, _)| t.created_time).collect();
    let yes: Vec<Decimal> = trades.iter().map(|(t, _)| t.yes_price).collect();
    let no: Vec<Decimal> = trades.iter().map(|(t, _)| t.no_price).collect();
    let counts: Vec<Decimal> = trades.iter().map(|(t, _)| t.count).collect();
    let sides: Vec<Option<&str>> = trades
        .iter()
        .map(|(t, _)| t.taker_side.map(|s| s.as_str()))
        .collect();
    let blocks: Vec<Option<bool>> = trades.iter().map(|(t, _)| t.is_block_trade).collect();
    let tiers: Vec<&str> = trades.iter().map(|(t, _)| t.tier.as_str()).collect();
    let raws: Vec<&str> = trades.iter().map(|(_, raw)| raw.get()).collect();
    // language=PostgreSQL
    let result = sqlx::query!(
        "insert into kalshi_trades (trade_id, ticker, created_time, yes_price, no_price, count,
                                    taker_side, is_block_trade, tier, raw)
         select distinct on (trade_id) trade_id, ticker, created_time, yes_price, no_price, count,
                taker_side, is_block_trade, tier, raw::jsonb
           from unnest($1::text[], $2::text[], $3::timestamptz[], $4::numeric[], $5::numeric[],
                       $6::numeric[], $7::text[], $8::boolean[], $9::text[], $10::text[])
                as t(trade_id, ticker, created_time, yes_price, no_price, count, taker_side,
                     is_block_trade, tier, raw)
          order by trade_id
         -- No conflict target: the key is trade_id on plain PostgreSQL and (ticker, created_time,
         -- trade_id) on TimescaleDB, where kalshi_trades is a hypertable (migration
         -- 20261201000400_storage.sql); either way a trade already stored is skipped.
         on conflict do nothing",
        &ids as _,
        &tickers as _,
        &created,
        &yes,
        &no,
        &counts,
        &sides as _,
        &blocks as _,
        &tiers as _,
        &raws as _,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// Upserts candles; returns how many rows were new or changed (a candle of a period still in
/// progress changes when fetched again).
pub async fn upsert_candles(
    conn: &mut PgConnection,
    candles: &[(Candle, Box<RawValue>)],
) -> Result<u64, sqlx::Error> {
    if candles.is_empty() {
        return Ok(0);
    }
    let col = |f: fn(&Candle) -> Option<Decimal>| -> Vec<Option<Decimal>> {
        candles.iter().map(|(c, _)| f(c)).collect()
    };
    let tickers: Vec<&str> = candles.iter().map(|(c, _)| c.ticker.as_str()).collect();
    let periods: Vec<i32> = candles
        .iter()
        .map(|(c, _)| i32::try_from(c.period.minutes()).unwrap_or(i32::MAX))
        .collect();
    let ends: Vec<DateTime<Utc>> = candles.iter().map(|(c, _)| c.end_period).collect();
    let tiers: Vec<&str> = candles.iter().map(|(c, _)| c.tier.as_str()).collect();
    let raws: Vec<&str> = candles.iter().map(|(_, raw)| raw.get()).collect();
    // language=PostgreSQL
    let result = sqlx::query!(
        "insert into kalshi_candles (ticker, period_minutes, end_period_ts,
                yes_bid_open, yes_bid_high, yes_bid_low, yes_bid_close,
                yes_ask_open, yes_ask_high, yes_ask_low, yes_ask_close,
                price_open, price_high, price_low, price_close, price_mean, price_previous,
                volume, open_interest, tier, raw)
         select distinct on (ticker, period_minutes, end_period_ts)
                ticker, period_minutes, end_period_ts,
                yes_bid_open, yes_bid_high, yes_bid_low, yes_bid_close,
                yes_ask_open, yes_ask_high, yes_ask_low, yes_ask_close,
                price_open, price_high, price_low, price_close, price_mean, price_previous,
                volume, open_interest, tier, raw::jsonb
           from unnest($1::text[], $2::int[], $3::timestamptz[],
                       $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[],
                       $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[],
                       $12::numeric[], $13::numeric[], $14::numeric[], $15::numeric[],
                       $16::numeric[], $17::numeric[], $18::numeric[], $19::numeric[],
                       $20::text[], $21::text[])
                as c(ticker, period_minutes, end_period_ts,
                     yes_bid_open, yes_bid_high, yes_bid_low, yes_bid_close,
                     yes_ask_open, yes_ask_high, yes_ask_low, yes_ask_close,
                     price_open, price_high, price_low, price_close, price_mean, price_previous,
                     volume, open_interest, tier, raw)
          order by ticker, period_minutes, end_period_ts
         on conflict (ticker, period_minutes, end_period_ts) do update set
                yes_bid_open = excluded.yes_bid_open, yes_bid_high = excluded.yes_bid_high,
                yes_bid_low = excluded.yes_bid_low, yes_bid_close = excluded.yes_bid_close,
                yes_ask_open = excluded.yes_ask_open, yes_ask_high = excluded.yes_ask_high,
                yes_ask_low = excluded.yes_ask_low, yes_ask_close = excluded.yes_ask_close,
                price_open = excluded.price_open, price_high = excluded.price_high,
                price_low = excluded.price_low, price_close = excluded.price_close,
                price_mean = excluded.price_mean, price_previous = excluded.price_previous,
                volume = excluded.volume, open_interest = excluded.open_interest,
                tier = excluded.tier, raw = excluded.raw, collected_at = now()
          where kalshi_candles.raw is distinct from excluded.raw",
        &tickers as _,
        &periods,
        &ends,
        col(|c| c.yes_bid.open) as _,
        col(|c| c.yes_bid.high) as _,
        col(|c| c.yes_bid.low) as _,
        col(|c| c.yes_bid.close) as _,
        col(|c| c.yes_ask.open) as _,
        col(|c| c.yes_ask.high) as _,
        col(|c| c.yes_ask.low) as _,
        col(|c| c.yes_ask.close) as _,
        col(|c| c.price.open) as _,
        col(|c| c.price.high) as _,
        col(|c| c.price.low) as _,
        col(|c| c.price.close) as _,
        col(|c| c.price_mean) as _,
        col(|c| c.price_previous) as _,
        col(|c| c.volume) as _,
        col(|c| c.open_interest) as _,
        &tiers as _,
        &raws as _,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// Replays a market's stored 1-minute candles as quotes: one `market_snapshots` row a minute with
/// `source = 'backfill'`, observed at the candle's `end_period_ts` (the instant its close was the
/// book), the close YES bid and ask as the quote and NO's derived from them (NO bid = 1 − YES ask,
/// NO ask = 1 − YES bid), the close trade price as `last_price`, and the open interest. Only for
/// minutes before the market's first snapshot of our own (`rest` or `websocket`): replayed quotes
/// never interleave with collected ones, and never replace one (a different `source` is a
/// different row). Rows already there are left alone, so running it again adds only candles
/// crawled since. Volume is left null: a candle's is per minute, a snapshot's is cumulative.
///
/// Only typed quote columns, `source` and `raw` are written. `raw` is synthetic, shaped like a
/// Kalshi market (`ticker`, `status`, `*_dollars` strings, `open_interest_fp`) so whatever reads
/// Kalshi payloads reads it, with the candle it came from under `precog_backfill`.
pub async fn materialise_snapshots(
    conn: &mut PgConnection,
    ticker: &str,
) -> Result<u64, sqlx::Error> {
    // language=PostgreSQL
    let result = sqlx::query!(
        "insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask,
                                       no_bid, no_ask, last_price, open_interest, raw)
         select c.ticker, c.end_period_ts, 'backfill', 'active', c.yes_bid_close, c.yes_ask_close,
                1 - c.yes_ask_close, 1 - c.yes_bid_close, c.price_close, c.open_interest,
                jsonb_build_object(
                    'ticker', c.ticker, 'status', 'active',
                    'yes_bid_dollars', c.yes_bid_close::text,
                    'yes_ask_dollars', c.yes_ask_close::text,
                    'no_bid_dollars', (1 - c.yes_ask_close)::text,
                    'no_ask_dollars', (1 - c.yes_bid_close)::text,
                    'last_price_dollars', c.price_close::text,
                    'open_interest_fp', c.open_interest::text,
                    'precog_backfill', jsonb_build_object(
                        'from', 'kalshi_candles', 'period_minutes', 1,
                        'end_period_ts', c.end_period_ts, 'tier', c.tier, 'candle', c.raw))
           from kalshi_candles c
          where c.ticker = $1 and c.period_minutes = 1
            and (c.yes_bid_close is not null or c.yes_ask_close is not null)
            and c.end_period_ts < coalesce(
                    (select min(s.observed_at) from market_snapshots s
                      where s.ticker = $1 and s.source <> 'backfill'),
                    'infinity')
            and not exists (select 1 from market_snapshots s
                             where s.ticker = c.ticker and s.observed_at = c.end_period_ts
                               and s.source = 'backfill')
          order by c.end_period_ts
         on conflict do nothing",
        ticker,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}
