//! Kalshi's series and events: upserted when new or changed, looked up to avoid re-fetching.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::{Event, Series};

/// Which of `event_tickers` we already have.
pub async fn known_events(
    pool: &PgPool,
    event_tickers: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    // language=PostgreSQL
    let rows: Vec<String> =
        sqlx::query_scalar("select event_ticker from events where event_ticker = any($1)")
            .bind(event_tickers)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Which of `series_tickers` we already have.
pub async fn known_series(
    pool: &PgPool,
    series_tickers: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    // language=PostgreSQL
    let rows: Vec<String> = sqlx::query_scalar("select ticker from series where ticker = any($1)")
        .bind(series_tickers)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().collect())
}

/// When the catalog was last refreshed: the start of the function's last successful run. Changes
/// Kalshi stamped after it are fetched on the next pass.
pub async fn last_refresh(
    pool: &PgPool,
    function: &str,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    // language=PostgreSQL
    sqlx::query_scalar(
        "select max(started_at) from collection_runs where function = $1 and status = 'ok'",
    )
    .bind(function)
    .fetch_one(pool)
    .await
}

pub async fn upsert_series(conn: &mut PgConnection, series: &[Series]) -> Result<u64, sqlx::Error> {
    if series.is_empty() {
        return Ok(0);
    }
    let tickers: Vec<&str> = series.iter().map(|s| s.ticker.as_str()).collect();
    let titles: Vec<Option<&str>> = series.iter().map(|s| s.title.as_deref()).collect();
    let categories: Vec<Option<&str>> = series.iter().map(|s| s.category.as_deref()).collect();
    let frequencies: Vec<Option<&str>> = series.iter().map(|s| s.frequency.as_deref()).collect();
    // Arrays of arrays cannot be unnested row by row, so tags travel as JSON.
    let tags: Vec<String> = series
        .iter()
        .map(|s| serde_json::to_string(&s.tags).unwrap_or_else(|_| "[]".into()))
        .collect();
    let fee_types: Vec<Option<&str>> = series.iter().map(|s| s.fee_type.as_deref()).collect();
    let fee_multipliers: Vec<Option<rust_decimal::Decimal>> =
        series.iter().map(|s| s.fee_multiplier).collect();
    let urls: Vec<Option<&str>> = series.iter().map(|s| s.contract_url.as_deref()).collect();
    let updated: Vec<Option<DateTime<Utc>>> = series.iter().map(|s| s.last_updated_ts).collect();
    let raws: Vec<&str> = series.iter().map(|s| s.raw.get()).collect();
    // language=PostgreSQL
    let result = sqlx::query(
        "insert into series (ticker, title, category, frequency, tags, fee_type, fee_multiplier,
                             contract_url, last_updated_ts, raw)
         select distinct on (ticker) ticker, title, category, frequency,
                array(select jsonb_array_elements_text(tags::jsonb)), fee_type, fee_multiplier,
                contract_url, last_updated_ts, raw::jsonb
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::numeric[], $8::text[], $9::timestamptz[], $10::text[])
                as s(ticker, title, category, frequency, tags, fee_type, fee_multiplier,
                     contract_url, last_updated_ts, raw)
         on conflict (ticker) do update set
                title = excluded.title, category = excluded.category, frequency = excluded.frequency,
                tags = excluded.tags, fee_type = excluded.fee_type,
                fee_multiplier = excluded.fee_multiplier, contract_url = excluded.contract_url,
                last_updated_ts = excluded.last_updated_ts, raw = excluded.raw, updated_at = now()
          where series.raw is distinct from excluded.raw",
    )
    .bind(&tickers)
    .bind(&titles)
    .bind(&categories)
    .bind(&frequencies)
    .bind(&tags)
    .bind(&fee_types)
    .bind(&fee_multipliers)
    .bind(&urls)
    .bind(&updated)
    .bind(&raws)
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

pub async fn upsert_events(conn: &mut PgConnection, events: &[Event]) -> Result<u64, sqlx::Error> {
    if events.is_empty() {
        return Ok(0);
    }
    let tickers: Vec<&str> = events.iter().map(|e| e.event_ticker.as_str()).collect();
    let series: Vec<&str> = events.iter().map(|e| e.series_ticker.as_str()).collect();
    let titles: Vec<Option<&str>> = events.iter().map(|e| e.title.as_deref()).collect();
    let sub_titles: Vec<Option<&str>> = events.iter().map(|e| e.sub_title.as_deref()).collect();
    let exclusive: Vec<Option<bool>> = events.iter().map(|e| e.mutually_exclusive).collect();
    let strike_dates: Vec<Option<DateTime<Utc>>> = events.iter().map(|e| e.strike_date).collect();
    let strike_periods: Vec<Option<&str>> =
        events.iter().map(|e| e.strike_period.as_deref()).collect();
    let fee_types: Vec<Option<&str>> = events
        .iter()
        .map(|e| e.fee_type_override.as_deref())
        .collect();
    let fee_multipliers: Vec<Option<rust_decimal::Decimal>> =
        events.iter().map(|e| e.fee_multiplier_override).collect();
    let updated: Vec<Option<DateTime<Utc>>> = events.iter().map(|e| e.last_updated_ts).collect();
    let raws: Vec<&str> = events.iter().map(|e| e.raw.get()).collect();
    // language=PostgreSQL
    let result = sqlx::query(
        "insert into events (event_ticker, series_ticker, title, sub_title, mutually_exclusive,
                             strike_date, strike_period, fee_type_override, fee_multiplier_override,
                             last_updated_ts, raw)
         select distinct on (event_ticker) event_ticker, series_ticker, title, sub_title,
                mutually_exclusive, strike_date, strike_period, fee_type_override,
                fee_multiplier_override, last_updated_ts, raw::jsonb
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[],
                       $6::timestamptz[], $7::text[], $8::text[], $9::numeric[],
                       $10::timestamptz[], $11::text[])
                as e(event_ticker, series_ticker, title, sub_title, mutually_exclusive,
                     strike_date, strike_period, fee_type_override, fee_multiplier_override,
                     last_updated_ts, raw)
         on conflict (event_ticker) do update set
                series_ticker = excluded.series_ticker, title = excluded.title,
                sub_title = excluded.sub_title, mutually_exclusive = excluded.mutually_exclusive,
                strike_date = excluded.strike_date, strike_period = excluded.strike_period,
                fee_type_override = excluded.fee_type_override,
                fee_multiplier_override = excluded.fee_multiplier_override,
                last_updated_ts = excluded.last_updated_ts, raw = excluded.raw, updated_at = now()
          where events.raw is distinct from excluded.raw",
    )
    .bind(&tickers)
    .bind(&series)
    .bind(&titles)
    .bind(&sub_titles)
    .bind(&exclusive)
    .bind(&strike_dates)
    .bind(&strike_periods)
    .bind(&fee_types)
    .bind(&fee_multipliers)
    .bind(&updated)
    .bind(&raws)
    .execute(&mut *conn)
    .await?;
    // Markets stored before their event was known get their series now.
    // language=PostgreSQL
    sqlx::query(
        "update markets m set series_ticker = e.series_ticker
           from events e
          where e.event_ticker = m.event_ticker and e.event_ticker = any($1)
            and m.series_ticker is distinct from e.series_ticker",
    )
    .bind(&tickers)
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}
