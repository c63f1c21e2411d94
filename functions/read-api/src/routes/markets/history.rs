//! One market's snapshots over a window, optionally downsampled to the last of each bucket.

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::Snapshot;
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{identifier, Page, Params};

/// Largest history page: ~0.4 kB a snapshot, so 5,000 is ~2 MB.
const MAX_HISTORY: i64 = 5000;

/// A market's snapshots over a window.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub ticker: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The downsampling bucket in seconds, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<i64>,
    pub items: Vec<Snapshot>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// One market's snapshots in `[start, end)`, oldest first; with `interval`, the last snapshot
/// of each bucket of that many seconds.
#[utoipa::path(
    get,
    path = "/api/v1/markets/{ticker}/history",
    tag = "markets",
    params(
        ("ticker" = String, Path, description = "Market ticker", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("start" = Option<String>, Query, description = "RFC 3339, inclusive (default: `end` minus 24 h)", format = DateTime),
        ("end" = Option<String>, Query, description = "RFC 3339, exclusive (default: now)", format = DateTime),
        ("interval" = Option<i64>, Query, description = "Downsample to one snapshot (the last) per this many seconds", minimum = 1, maximum = 2592000),
        ("limit" = Option<i64>, Query, description = "Page size (default 1000)", minimum = 1, maximum = 5000),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "Snapshots, oldest first", body = History),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 404, description = "No such market", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(ticker = %ticker))]
pub async fn market_history(
    State(state): State<AppState>,
    Path(ticker): Path<String>,
    params: Params,
) -> ApiResult<Json<History>> {
    params.only(&["start", "end", "interval", "limit", "cursor"])?;
    let ticker = identifier("ticker", &ticker)?;
    let end = params.time("end")?.unwrap_or_else(Utc::now);
    let start = match params.time("start")? {
        Some(start) => start,
        None => end
            .checked_sub_signed(Duration::days(1))
            .ok_or_else(|| ApiError::bad("end", "too early"))?,
    };
    // A window with `start` at or after `end` is empty, not an error (the SQL's
    // `observed_at >= start and observed_at < end` finds nothing): the OpenAPI document cannot
    // state a relation between two parameters, so the server accepts what it allows.
    let interval = match params.text("interval")? {
        Some(_) => Some(params.int("interval", 1, 2_592_000, 1)?),
        None => None,
    };
    let limit = params.limit(1000, MAX_HISTORY)?;
    let after: Option<(DateTime<Utc>, String)> = params.cursor("history")?;

    // language=PostgreSQL
    let exists = sqlx::query_scalar!(
        r#"select exists(select 1 from markets where ticker = $1) as "exists!""#,
        ticker
    )
    .fetch_one(&state.pool)
    .await?;
    if !exists {
        return Err(ApiError::not_found(format!("no market {ticker}")));
    }

    let snapshots = match interval {
        None => {
            let (after_at, after_source) = after.unzip();
            // language=PostgreSQL
            sqlx::query_as!(
                Snapshot,
                r#"select observed_at, null::timestamptz as "bucket?", source, status,
                          yes_bid, yes_ask, no_bid, no_ask, yes_bid_size, yes_ask_size,
                          last_price, volume, volume_24h, open_interest
                   from market_snapshots
                   where ticker = $1 and observed_at >= $2 and observed_at < $3
                     and ($4::timestamptz is null or (observed_at, source) > ($4, $5::text))
                   order by observed_at, source
                   limit $6"#,
                ticker,
                start,
                end,
                after_at,
                after_source,
                limit + 1
            )
            .fetch_all(&state.pool)
            .await?
        }
        Some(secs) => {
            // The cursor is the last bucket sent: the next page starts at the following bucket.
            let from = after.map(|a| {
                a.0.checked_add_signed(Duration::seconds(secs))
                    .unwrap_or(end)
            });
            // language=PostgreSQL
            sqlx::query_as!(
                Snapshot,
                r#"select bucket as "bucket?", observed_at, source, status, yes_bid, yes_ask,
                          no_bid, no_ask, yes_bid_size, yes_ask_size, last_price, volume,
                          volume_24h, open_interest
                   from (select distinct on (bucket)
                                date_bin(make_interval(secs => $4::float8), observed_at,
                                         timestamptz '1970-01-01 00:00:00+00') as bucket,
                                observed_at, source, status, yes_bid, yes_ask, no_bid, no_ask,
                                yes_bid_size, yes_ask_size, last_price, volume, volume_24h,
                                open_interest
                           from market_snapshots
                          where ticker = $1 and observed_at >= $2 and observed_at < $3
                            and ($5::timestamptz is null or observed_at >= $5)
                          order by bucket, observed_at desc, source
                          limit $6) b
                   order by b.bucket"#,
                ticker,
                start,
                end,
                secs as f64,
                from,
                limit + 1
            )
            .fetch_all(&state.pool)
            .await?
        }
    };
    let page = Page::from_rows("history", snapshots, limit, |s: &Snapshot| {
        (s.bucket.unwrap_or(s.observed_at), s.source.clone())
    });
    Ok(Json(History {
        ticker,
        start,
        end,
        interval_seconds: interval,
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
