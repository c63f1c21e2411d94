//! Markets and their snapshots. One page of markets is written in one transaction: the catalog
//! row upserted when its metadata changed, and a snapshot only when the quote changed since the
//! market's last stored snapshot or that snapshot is older than the heartbeat. Snapshots store
//! the payload split (see `super::snapshot_split` and migrations/20261201000400_storage.sql) and
//! are written through COPY.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use sqlx::{PgConnection, PgPool};

use super::snapshot_split::{self, SnapshotParts};
use crate::domain::Market;

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

/// The page's snapshots, written as COPY into a session-local staging table and one
/// insert-select: PostgreSQL receives typed text (no payload to parse unless a catalog version is
/// new) and decides in one statement which markets changed.
async fn insert_snapshots(
    conn: &mut PgConnection,
    markets: &[&Market],
    depth: &HashMap<String, Box<RawValue>>,
    observed_at: DateTime<Utc>,
    heartbeat_minutes: u32,
) -> Result<u64, sqlx::Error> {
    let parts = markets
        .iter()
        .map(|m| snapshot_split::split(m))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;

    // Runtime SQL from here to the versions: the staging table is a temporary table, which
    // sqlx's offline check (run against the migrated schema) cannot see.
    sqlx::query(
        "do $$ begin
           if to_regclass('pg_temp.market_snapshot_stage') is null then
             create temporary table market_snapshot_stage (
                 ticker text not null, status text not null, yes_bid numeric, yes_ask numeric,
                 no_bid numeric, no_ask numeric, yes_bid_size numeric, yes_ask_size numeric,
                 last_price numeric, volume numeric, volume_24h numeric, open_interest numeric,
                 previous_yes_bid numeric, previous_yes_ask numeric, previous_price numeric,
                 depth jsonb, body_md5 uuid not null, extra jsonb, missing text[]
             ) on commit delete rows;
           end if;
         end $$",
    )
    .execute(&mut *conn)
    .await?;
    let mut rows = Vec::with_capacity(markets.len() * 160);
    for (market, parts) in markets.iter().zip(&parts) {
        copy_row(
            &mut rows,
            market.ticker.as_str(),
            parts,
            depth.get(market.ticker.as_str()).map(|d| d.get()),
        );
    }
    let mut copy = conn
        .copy_in_raw(
            "copy market_snapshot_stage (ticker, status, yes_bid, yes_ask, no_bid, no_ask,
                 yes_bid_size, yes_ask_size, last_price, volume, volume_24h, open_interest,
                 previous_yes_bid, previous_yes_ask, previous_price, depth, body_md5, extra,
                 missing) from stdin",
        )
        .await?;
    copy.send(rows).await?;
    copy.finish().await?;

    // Catalog versions not stored yet (every market on a first pass, a changed one later): only
    // their bodies are sent and parsed.
    let unknown: Vec<(String, uuid::Uuid)> = sqlx::query_as(
        "select st.ticker, st.body_md5 from market_snapshot_stage st
          where not exists (select 1 from market_versions v
                             where v.ticker = st.ticker and v.body_md5 = st.body_md5)",
    )
    .fetch_all(&mut *conn)
    .await?;
    if !unknown.is_empty() {
        let bodies: HashMap<&str, &str> = markets
            .iter()
            .zip(&parts)
            .map(|(m, p)| (m.ticker.as_str(), p.body.as_str()))
            .collect();
        let (tickers, hashes): (Vec<String>, Vec<uuid::Uuid>) = unknown.into_iter().unzip();
        let texts: Vec<&str> = tickers
            .iter()
            .map(|t| bodies.get(t.as_str()).copied().unwrap_or("{}"))
            .collect();
        // language=PostgreSQL
        sqlx::query!(
            "insert into market_versions (ticker, body_md5, body, first_observed_at)
             select v.ticker, v.body_md5, v.body::jsonb, $4
               from unnest($1::text[], $2::uuid[], $3::text[]) as v(ticker, body_md5, body)
             on conflict (ticker, body_md5) do nothing",
            &tickers,
            &hashes,
            &texts as _,
            observed_at,
        )
        .execute(&mut *conn)
        .await?;
    }

    // Due: no snapshot yet, the last one older than the heartbeat, or a quote value (depth only
    // when fetched) that differs from it. A subquery row, not the hypertable's whole row:
    // TimescaleDB 2.28 cannot build whole-row values of compressed chunks. Runtime SQL: reads
    // the staging table (see above).
    let inserted: i64 = sqlx::query_scalar(
        "with due as (
             select st.*
               from market_snapshot_stage st
               join markets m on m.ticker = st.ticker
               left join lateral (
                   select ms.observed_at, ms.status, ms.yes_bid, ms.yes_ask, ms.no_bid, ms.no_ask,
                          ms.yes_bid_size, ms.yes_ask_size, ms.last_price, ms.volume,
                          ms.volume_24h, ms.open_interest, ms.depth
                     from market_snapshots ms
                    where ms.ticker = m.ticker and ms.observed_at = m.last_snapshot_at
                      and ms.source = 'rest'
               ) s on true
              where s.observed_at is null
                 or s.observed_at <= $1 - make_interval(mins => $2)
                 or (s.status, s.yes_bid, s.yes_ask, s.no_bid, s.no_ask, s.yes_bid_size,
                     s.yes_ask_size, s.last_price, s.volume, s.volume_24h, s.open_interest)
                    is distinct from
                    (st.status, st.yes_bid, st.yes_ask, st.no_bid, st.no_ask, st.yes_bid_size,
                     st.yes_ask_size, st.last_price, st.volume, st.volume_24h, st.open_interest)
                 or (st.depth is not null and s.depth is distinct from st.depth)
         ),
         inserted as (
             insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask,
                                           no_bid, no_ask, yes_bid_size, yes_ask_size, last_price,
                                           volume, volume_24h, open_interest, previous_yes_bid,
                                           previous_yes_ask, previous_price, depth, version_id,
                                           extra, missing)
             select d.ticker, $1, 'rest', d.status, d.yes_bid, d.yes_ask, d.no_bid, d.no_ask,
                    d.yes_bid_size, d.yes_ask_size, d.last_price, d.volume, d.volume_24h,
                    d.open_interest, d.previous_yes_bid, d.previous_yes_ask, d.previous_price,
                    d.depth,
                    -- Stored above; a missing one fails loudly on version_id's NOT NULL.
                    v.id, d.extra, d.missing
               from due d
               left join market_versions v on v.ticker = d.ticker and v.body_md5 = d.body_md5
             on conflict (ticker, observed_at, source) do nothing
             returning ticker
         ),
         moved as (
             update markets m set last_snapshot_at = $1
               from inserted i
              where m.ticker = i.ticker and m.last_snapshot_at is distinct from $1
         )
         select count(*) from inserted",
    )
    .bind(observed_at)
    .bind(i32::try_from(heartbeat_minutes).unwrap_or(i32::MAX))
    .fetch_one(&mut *conn)
    .await?;
    Ok(u64::try_from(inserted).unwrap_or(0))
}

/// One staging row in COPY's text format.
fn copy_row(out: &mut Vec<u8>, ticker: &str, parts: &SnapshotParts, depth: Option<&str>) {
    copy_field(out, Some(ticker));
    for value in &parts.quote {
        out.push(b'\t');
        copy_field(out, value.as_deref());
    }
    out.push(b'\t');
    copy_field(out, depth);
    out.push(b'\t');
    copy_field(out, Some(&parts.body_md5.to_string()));
    out.push(b'\t');
    copy_field(out, parts.extra.as_deref());
    out.push(b'\t');
    // Quote key names need no quoting inside an array literal.
    let missing = parts
        .missing
        .as_ref()
        .map(|keys| format!("{{{}}}", keys.join(",")));
    copy_field(out, missing.as_deref());
    out.push(b'\n');
}

/// A COPY text field: `\N` for null, backslash and the delimiters escaped.
fn copy_field(out: &mut Vec<u8>, value: Option<&str>) {
    let Some(value) = value else {
        out.extend_from_slice(b"\\N");
        return;
    };
    for &byte in value.as_bytes() {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.push(byte),
        }
    }
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
