//! Markets with their latest snapshot, and one market's history (`history.rs`).

mod history;

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{identifier, Page, Params};

pub use history::{market_history, History};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_markets))
        .routes(routes!(get_market))
        .routes(routes!(history::market_history))
}

/// Largest markets page: ~1.5 kB a market, so 500 is ~0.75 MB, far under Lambda's 6 MB.
const MAX_MARKETS: i64 = 500;

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

/// A market row joined to its latest snapshot, flat as the query returns it (`s_` columns are
/// the snapshot's, all null when there is none).
struct MarketRow {
    ticker: String,
    event_ticker: String,
    series_ticker: Option<String>,
    market_type: String,
    title: Option<String>,
    yes_sub_title: Option<String>,
    no_sub_title: Option<String>,
    status: String,
    open_time: Option<DateTime<Utc>>,
    close_time: Option<DateTime<Utc>>,
    expected_expiration_time: Option<DateTime<Utc>>,
    latest_expiration_time: Option<DateTime<Utc>>,
    notional_value: Option<Decimal>,
    strike_type: Option<String>,
    floor_strike: Option<Decimal>,
    cap_strike: Option<Decimal>,
    result: Option<String>,
    settlement_value: Option<Decimal>,
    settlement_ts: Option<DateTime<Utc>>,
    determined_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    s_observed_at: Option<DateTime<Utc>>,
    s_source: Option<String>,
    s_status: Option<String>,
    s_yes_bid: Option<Decimal>,
    s_yes_ask: Option<Decimal>,
    s_no_bid: Option<Decimal>,
    s_no_ask: Option<Decimal>,
    s_yes_bid_size: Option<Decimal>,
    s_yes_ask_size: Option<Decimal>,
    s_last_price: Option<Decimal>,
    s_volume: Option<Decimal>,
    s_volume_24h: Option<Decimal>,
    s_open_interest: Option<Decimal>,
}

impl From<MarketRow> for Market {
    fn from(r: MarketRow) -> Self {
        let latest = r.s_observed_at.map(|observed_at| Snapshot {
            observed_at,
            bucket: None,
            source: r.s_source.unwrap_or_default(),
            status: r.s_status.unwrap_or_default(),
            yes_bid: r.s_yes_bid,
            yes_ask: r.s_yes_ask,
            no_bid: r.s_no_bid,
            no_ask: r.s_no_ask,
            yes_bid_size: r.s_yes_bid_size,
            yes_ask_size: r.s_yes_ask_size,
            last_price: r.s_last_price,
            volume: r.s_volume,
            volume_24h: r.s_volume_24h,
            open_interest: r.s_open_interest,
        });
        Self {
            ticker: r.ticker,
            event_ticker: r.event_ticker,
            series_ticker: r.series_ticker,
            market_type: r.market_type,
            title: r.title,
            yes_sub_title: r.yes_sub_title,
            no_sub_title: r.no_sub_title,
            status: r.status,
            open_time: r.open_time,
            close_time: r.close_time,
            expected_expiration_time: r.expected_expiration_time,
            latest_expiration_time: r.latest_expiration_time,
            notional_value: r.notional_value,
            strike_type: r.strike_type,
            floor_strike: r.floor_strike,
            cap_strike: r.cap_strike,
            result: r.result,
            settlement_value: r.settlement_value,
            settlement_ts: r.settlement_ts,
            determined_at: r.determined_at,
            updated_at: r.updated_at,
            latest,
        }
    }
}

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
    // The optional filters (`$n is null or …`) get a plan for the filters actually given: the
    // API's pool sets `plan_cache_mode = force_custom_plan` (see `serve.rs`). The page is cut
    // in the subquery, so the latest snapshot is one primary-key probe per market of the page.
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        MarketRow,
        r#"select m.ticker as "ticker!", m.event_ticker as "event_ticker!", m.series_ticker,
                  m.market_type as "market_type!", m.title, m.yes_sub_title, m.no_sub_title,
                  m.status as "status!", m.open_time, m.close_time, m.expected_expiration_time,
                  m.latest_expiration_time, m.notional_value, m.strike_type, m.floor_strike,
                  m.cap_strike, m.result, m.settlement_value, m.settlement_ts, m.determined_at,
                  m.updated_at as "updated_at!",
                  s.observed_at as "s_observed_at?", s.source as "s_source?",
                  s.status as "s_status?", s.yes_bid as "s_yes_bid?", s.yes_ask as "s_yes_ask?",
                  s.no_bid as "s_no_bid?", s.no_ask as "s_no_ask?",
                  s.yes_bid_size as "s_yes_bid_size?", s.yes_ask_size as "s_yes_ask_size?",
                  s.last_price as "s_last_price?", s.volume as "s_volume?",
                  s.volume_24h as "s_volume_24h?", s.open_interest as "s_open_interest?"
           from (select * from markets
                  where ($1::text is null or status = $1)
                    and ($2::text is null or series_ticker = $2)
                    and ($3::text is null or event_ticker = $3)
                    and ($4::text is null or title ilike $4)
                    and ($5::text is null or ticker > $5)
                  order by ticker
                  limit $6) m
           left join lateral (
               select * from market_snapshots ms
               where ms.ticker = m.ticker and ms.observed_at = m.last_snapshot_at
               order by ms.source limit 1
           ) s on true
           order by m.ticker"#,
        status,
        series,
        event,
        q,
        after,
        limit + 1
    )
    .fetch_all(&state.pool)
    .await?;
    let rows = rows.into_iter().map(Market::from).collect();
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
    // language=PostgreSQL
    sqlx::query_as!(
        MarketRow,
        r#"select m.ticker, m.event_ticker, m.series_ticker, m.market_type, m.title,
                  m.yes_sub_title, m.no_sub_title, m.status, m.open_time, m.close_time,
                  m.expected_expiration_time, m.latest_expiration_time, m.notional_value,
                  m.strike_type, m.floor_strike, m.cap_strike, m.result, m.settlement_value,
                  m.settlement_ts, m.determined_at, m.updated_at,
                  s.observed_at as "s_observed_at?", s.source as "s_source?",
                  s.status as "s_status?", s.yes_bid as "s_yes_bid?", s.yes_ask as "s_yes_ask?",
                  s.no_bid as "s_no_bid?", s.no_ask as "s_no_ask?",
                  s.yes_bid_size as "s_yes_bid_size?", s.yes_ask_size as "s_yes_ask_size?",
                  s.last_price as "s_last_price?", s.volume as "s_volume?",
                  s.volume_24h as "s_volume_24h?", s.open_interest as "s_open_interest?"
           from markets m
           left join lateral (
               select * from market_snapshots ms
               where ms.ticker = m.ticker and ms.observed_at = m.last_snapshot_at
               order by ms.source limit 1
           ) s on true
           where m.ticker = $1"#,
        ticker
    )
    .fetch_optional(&state.pool)
    .await?
    .map(|row| Json(Market::from(row)))
    .ok_or_else(|| ApiError::not_found(format!("no market {ticker}")))
}
