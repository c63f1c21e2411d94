use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::{FromRow, Row};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{identifier, Page, Params};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_markets))
        .routes(routes!(get_market))
        .routes(routes!(market_history))
}

/// Largest markets page: ~1.5 kB a market, so 500 is ~0.75 MB, far under Lambda's 6 MB.
const MAX_MARKETS: i64 = 500;
/// Largest history page: ~0.4 kB a snapshot, so 5,000 is ~2 MB.
const MAX_HISTORY: i64 = 5000;

/// One quote as stored (prices in dollars, sizes in contracts, all exact decimals as strings).
#[derive(Debug, Serialize, ToSchema)]
pub struct Snapshot {
    pub observed_at: DateTime<Utc>,
    /// With `interval`: the start of the bucket this snapshot (its last) stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<DateTime<Utc>>,
    /// `rest`, `websocket` or `backfill`.
    pub source: String,
    pub status: String,
    pub yes_bid: Option<Decimal>,
    pub yes_ask: Option<Decimal>,
    pub no_bid: Option<Decimal>,
    pub no_ask: Option<Decimal>,
    pub yes_bid_size: Option<Decimal>,
    pub yes_ask_size: Option<Decimal>,
    pub last_price: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub volume_24h: Option<Decimal>,
    pub open_interest: Option<Decimal>,
}

impl Snapshot {
    /// Reads the snapshot columns, each prefixed with `prefix`; `None` when there is no row.
    fn from_prefixed(row: &PgRow, prefix: &str) -> Result<Option<Self>, sqlx::Error> {
        let col = |name: &str| format!("{prefix}{name}");
        let observed_at: Option<DateTime<Utc>> = row.try_get(col("observed_at").as_str())?;
        let Some(observed_at) = observed_at else {
            return Ok(None);
        };
        let bucket = match row.try_get::<Option<DateTime<Utc>>, _>("bucket") {
            Ok(b) => b,
            Err(sqlx::Error::ColumnNotFound(_)) => None,
            Err(e) => return Err(e),
        };
        Ok(Some(Self {
            observed_at,
            bucket,
            source: row.try_get(col("source").as_str())?,
            status: row.try_get(col("status").as_str())?,
            yes_bid: row.try_get(col("yes_bid").as_str())?,
            yes_ask: row.try_get(col("yes_ask").as_str())?,
            no_bid: row.try_get(col("no_bid").as_str())?,
            no_ask: row.try_get(col("no_ask").as_str())?,
            yes_bid_size: row.try_get(col("yes_bid_size").as_str())?,
            yes_ask_size: row.try_get(col("yes_ask_size").as_str())?,
            last_price: row.try_get(col("last_price").as_str())?,
            volume: row.try_get(col("volume").as_str())?,
            volume_24h: row.try_get(col("volume_24h").as_str())?,
            open_interest: row.try_get(col("open_interest").as_str())?,
        }))
    }
}

/// A market and its latest snapshot.
#[derive(Debug, Serialize, ToSchema)]
pub struct Market {
    pub ticker: String,
    pub event_ticker: String,
    pub series_ticker: Option<String>,
    pub market_type: String,
    pub title: Option<String>,
    pub yes_sub_title: Option<String>,
    pub no_sub_title: Option<String>,
    /// Kalshi's status word (`active`, `closed`, `determined`, `finalized`, …).
    pub status: String,
    pub open_time: Option<DateTime<Utc>>,
    pub close_time: Option<DateTime<Utc>>,
    pub expected_expiration_time: Option<DateTime<Utc>>,
    pub latest_expiration_time: Option<DateTime<Utc>>,
    pub notional_value: Option<Decimal>,
    pub strike_type: Option<String>,
    pub floor_strike: Option<Decimal>,
    pub cap_strike: Option<Decimal>,
    /// `yes`/`no`/… once determined; absent before.
    pub result: Option<String>,
    pub settlement_value: Option<Decimal>,
    pub settlement_ts: Option<DateTime<Utc>>,
    /// When Precog first saw the result.
    pub determined_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// The newest snapshot; absent when none was taken yet.
    pub latest: Option<Snapshot>,
}

impl<'r> FromRow<'r, PgRow> for Market {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            ticker: row.try_get("ticker")?,
            event_ticker: row.try_get("event_ticker")?,
            series_ticker: row.try_get("series_ticker")?,
            market_type: row.try_get("market_type")?,
            title: row.try_get("title")?,
            yes_sub_title: row.try_get("yes_sub_title")?,
            no_sub_title: row.try_get("no_sub_title")?,
            status: row.try_get("status")?,
            open_time: row.try_get("open_time")?,
            close_time: row.try_get("close_time")?,
            expected_expiration_time: row.try_get("expected_expiration_time")?,
            latest_expiration_time: row.try_get("latest_expiration_time")?,
            notional_value: row.try_get("notional_value")?,
            strike_type: row.try_get("strike_type")?,
            floor_strike: row.try_get("floor_strike")?,
            cap_strike: row.try_get("cap_strike")?,
            result: row.try_get("result")?,
            settlement_value: row.try_get("settlement_value")?,
            settlement_ts: row.try_get("settlement_ts")?,
            determined_at: row.try_get("determined_at")?,
            updated_at: row.try_get("updated_at")?,
            latest: Snapshot::from_prefixed(row, "s_")?,
        })
    }
}

/// The market columns and its latest snapshot, found through `markets.last_snapshot_at` with one
/// primary-key probe per market (never a scan of the history). `{markets}` is the table or a
/// subquery that already applied the filters and the limit, so even a generic prepared plan
/// probes only the page's markets.
const MARKET_SELECT: &str = r#"
    select m.ticker, m.event_ticker, m.series_ticker, m.market_type, m.title, m.yes_sub_title,
           m.no_sub_title, m.status, m.open_time, m.close_time, m.expected_expiration_time,
           m.latest_expiration_time, m.notional_value, m.strike_type, m.floor_strike,
           m.cap_strike, m.result, m.settlement_value, m.settlement_ts, m.determined_at,
           m.updated_at,
           s.observed_at as s_observed_at, s.source as s_source, s.status as s_status,
           s.yes_bid as s_yes_bid, s.yes_ask as s_yes_ask, s.no_bid as s_no_bid,
           s.no_ask as s_no_ask, s.yes_bid_size as s_yes_bid_size,
           s.yes_ask_size as s_yes_ask_size, s.last_price as s_last_price,
           s.volume as s_volume, s.volume_24h as s_volume_24h,
           s.open_interest as s_open_interest
    from {markets} m
    left join lateral (
        select * from market_snapshots ms
        where ms.ticker = m.ticker and ms.observed_at = m.last_snapshot_at
        order by ms.source limit 1
    ) s on true
"#;

/// Markets with their latest snapshot, by ticker.
#[utoipa::path(
    get,
    path = "/api/v1/markets",
    tag = "markets",
    params(
        ("status" = Option<String>, Query, description = "Kalshi status word, e.g. `active`", max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"),
        ("series" = Option<String>, Query, description = "Series ticker", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("event" = Option<String>, Query, description = "Event ticker", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("q" = Option<String>, Query, description = "Case-insensitive search in the title", max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 500),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "A page of markets", body = Page<Market>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key", body = ErrorBody),
        (status = 429, description = "Rate limit reached", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_markets(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Page<Market>>> {
    params.only(&["status", "series", "event", "q", "limit", "cursor"])?;
    let status = params.text("status")?;
    let series = params.identifier("series")?;
    let event = params.identifier("event")?;
    let q = params.text("q")?.map(|q| format!("%{}%", escape_like(&q)));
    let limit = params.limit(100, MAX_MARKETS)?;
    let after: Option<String> = params.cursor("markets")?;
    let page = "(select * from markets
          where ($1::text is null or status = $1)
            and ($2::text is null or series_ticker = $2)
            and ($3::text is null or event_ticker = $3)
            and ($4::text is null or title ilike $4)
            and ($5::text is null or ticker > $5)
          order by ticker
          limit $6)";
    let sql = format!(
        "{} order by m.ticker",
        MARKET_SELECT.replace("{markets}", page)
    );
    let rows: Vec<Market> = sqlx::query_as(&sql)
        .bind(status)
        .bind(series)
        .bind(event)
        .bind(q)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&state.pool)
        .await?;
    Ok(Json(Page::from_rows("markets", rows, limit, |m| {
        m.ticker.clone()
    })))
}

/// `%`, `_` and `\` are literal in a title search.
fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// One market with its latest snapshot.
#[utoipa::path(
    get,
    path = "/api/v1/markets/{ticker}",
    tag = "markets",
    params(("ticker" = String, Path, description = "Market ticker", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$")),
    responses(
        (status = 200, description = "The market", body = Market),
        (status = 400, description = "Not a ticker", body = ErrorBody),
        (status = 404, description = "No such market", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(ticker = %ticker))]
pub async fn get_market(
    State(state): State<AppState>,
    Path(ticker): Path<String>,
    params: Params,
) -> ApiResult<Json<Market>> {
    params.only(&[])?;
    let ticker = identifier("ticker", &ticker)?;
    let sql = format!(
        "{} where m.ticker = $1",
        MARKET_SELECT.replace("{markets}", "markets")
    );
    sqlx::query_as(&sql)
        .bind(&ticker)
        .fetch_optional(&state.pool)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no market {ticker}")))
}

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

    let exists: bool = sqlx::query_scalar("select exists(select 1 from markets where ticker = $1)")
        .bind(&ticker)
        .fetch_one(&state.pool)
        .await?;
    if !exists {
        return Err(ApiError::not_found(format!("no market {ticker}")));
    }

    let rows = match interval {
        None => {
            // language=PostgreSQL
            sqlx::query(
                r#"select observed_at as s_observed_at, source as s_source, status as s_status,
                          yes_bid as s_yes_bid, yes_ask as s_yes_ask, no_bid as s_no_bid,
                          no_ask as s_no_ask, yes_bid_size as s_yes_bid_size,
                          yes_ask_size as s_yes_ask_size, last_price as s_last_price,
                          volume as s_volume, volume_24h as s_volume_24h,
                          open_interest as s_open_interest
                   from market_snapshots
                   where ticker = $1 and observed_at >= $2 and observed_at < $3
                     and ($4::timestamptz is null or (observed_at, source) > ($4, $5::text))
                   order by observed_at, source
                   limit $6"#,
            )
            .bind(&ticker)
            .bind(start)
            .bind(end)
            .bind(after.as_ref().map(|a| a.0))
            .bind(after.as_ref().map(|a| a.1.clone()))
            .bind(limit + 1)
            .fetch_all(&state.pool)
            .await?
        }
        Some(secs) => {
            // The cursor is the last bucket sent: the next page starts at the following bucket.
            // language=PostgreSQL
            sqlx::query(
                r#"select distinct on (bucket)
                          date_bin(make_interval(secs => $4::float8), observed_at,
                                   timestamptz '1970-01-01 00:00:00+00') as bucket,
                          observed_at as s_observed_at, source as s_source, status as s_status,
                          yes_bid as s_yes_bid, yes_ask as s_yes_ask, no_bid as s_no_bid,
                          no_ask as s_no_ask, yes_bid_size as s_yes_bid_size,
                          yes_ask_size as s_yes_ask_size, last_price as s_last_price,
                          volume as s_volume, volume_24h as s_volume_24h,
                          open_interest as s_open_interest
                   from market_snapshots
                   where ticker = $1 and observed_at >= $2 and observed_at < $3
                     and ($5::timestamptz is null or observed_at >= $5)
                   order by bucket, observed_at desc, source
                   limit $6"#,
            )
            .bind(&ticker)
            .bind(start)
            .bind(end)
            .bind(secs as f64)
            .bind(after.as_ref().map(|a| {
                a.0.checked_add_signed(Duration::seconds(secs))
                    .unwrap_or(end)
            }))
            .bind(limit + 1)
            .fetch_all(&state.pool)
            .await?
        }
    };
    let snapshots = rows
        .iter()
        .map(|row| Snapshot::from_prefixed(row, "s_"))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
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
