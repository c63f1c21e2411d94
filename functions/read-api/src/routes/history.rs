//! Kalshi's own history of a market, as backfill-kalshi stored it: every printed trade, and
//! candlesticks by period. Both are keyset-paged oldest first; prices and counts are exact
//! decimals (strings in JSON).

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

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(market_trades))
        .routes(routes!(market_candles))
}

/// ~0.3 kB a trade or candle in JSON: 5,000 is ~1.5 MB, far under Lambda's 6 MB.
const MAX_PAGE: i64 = 5000;

/// One trade Kalshi printed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrintedTrade {
    pub trade_id: String,
    pub created_time: DateTime<Utc>,
    pub yes_price: Decimal,
    pub no_price: Decimal,
    /// Contracts (fractional since March 2026).
    pub count: Decimal,
    /// `yes` or `no`: the side that took liquidity.
    pub taker_side: Option<String>,
    pub is_block_trade: Option<bool>,
    /// `live` or `historical`: the Kalshi API tier it was read from.
    pub tier: String,
}

/// One candlestick: YES bid, YES ask and trade-price open/high/low/close (trade prices are null
/// in a period without trades).
#[derive(Debug, Serialize, ToSchema)]
pub struct Candle {
    /// Inclusive end of the period.
    pub end_period_ts: DateTime<Utc>,
    pub yes_bid_open: Option<Decimal>,
    pub yes_bid_high: Option<Decimal>,
    pub yes_bid_low: Option<Decimal>,
    pub yes_bid_close: Option<Decimal>,
    pub yes_ask_open: Option<Decimal>,
    pub yes_ask_high: Option<Decimal>,
    pub yes_ask_low: Option<Decimal>,
    pub yes_ask_close: Option<Decimal>,
    pub price_open: Option<Decimal>,
    pub price_high: Option<Decimal>,
    pub price_low: Option<Decimal>,
    pub price_close: Option<Decimal>,
    pub price_mean: Option<Decimal>,
    pub price_previous: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub open_interest: Option<Decimal>,
    pub tier: String,
}

/// `[start, end)`, either end open.
type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The window shared by both endpoints. A `start` at or after `end` is an empty window, not an
/// error, as for market history: the OpenAPI document cannot state a relation between two
/// parameters, so the server accepts what the document allows.
fn window(params: &Params) -> ApiResult<Window> {
    Ok((params.time("start")?, params.time("end")?))
}

/// 404 unless the catalog knows the market (backfilled markets are recorded there too).
async fn known(state: &AppState, ticker: &str) -> ApiResult<()> {
    // language=PostgreSQL
    let exists = sqlx::query_scalar!(
        r#"select exists(select 1 from markets where ticker = $1) as "exists!""#,
        ticker
    )
    .fetch_one(&state.pool)
    .await?;
    if exists {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("no market {ticker}")))
    }
}

/// A market's printed trades in `[start, end)`, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/markets/{ticker}/trades",
    tag = "markets",
    params(
        ("ticker" = String, Path, description = "Market ticker", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("start" = Option<String>, Query, description = "RFC 3339, inclusive (default: the first trade)", format = DateTime),
        ("end" = Option<String>, Query, description = "RFC 3339, exclusive (default: no limit)", format = DateTime),
        ("limit" = Option<i64>, Query, description = "Page size (default 1000)", minimum = 1, maximum = 5000),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "Trades, oldest first", body = Page<PrintedTrade>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 404, description = "No such market", body = ErrorBody),
    )
)]
pub async fn market_trades(
    State(state): State<AppState>,
    Path(ticker): Path<String>,
    params: Params,
) -> ApiResult<Json<Page<PrintedTrade>>> {
    params.only(&["start", "end", "limit", "cursor"])?;
    let ticker = identifier("ticker", &ticker)?;
    let (start, end) = window(&params)?;
    let limit = params.limit(1000, MAX_PAGE)?;
    let after: Option<(DateTime<Utc>, String)> = params.cursor("trades")?;
    known(&state, &ticker).await?;
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        PrintedTrade,
        "select trade_id, created_time, yes_price, no_price, count, taker_side, is_block_trade, tier
           from kalshi_trades
          where ticker = $1
            and ($2::timestamptz is null or created_time >= $2)
            and ($3::timestamptz is null or created_time < $3)
            and ($4::timestamptz is null or (created_time, trade_id) > ($4, $5::text))
          order by created_time, trade_id
          limit $6",
        ticker,
        start,
        end,
        after.as_ref().map(|a| a.0),
        after.as_ref().map(|a| a.1.clone()),
        limit + 1,
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::from_rows("trades", rows, limit, |t| {
        (t.created_time, t.trade_id.clone())
    })))
}

/// A market's candlesticks of one period whose end falls in `[start, end)`, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/markets/{ticker}/candles",
    tag = "markets",
    params(
        ("ticker" = String, Path, description = "Market ticker", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("period" = inline(Option<crate::openapi_params::CandlePeriodParam>), Query, description = "`1m`, `1h` (default) or `1d`"),
        ("start" = Option<String>, Query, description = "RFC 3339, inclusive (default: the first candle)", format = DateTime),
        ("end" = Option<String>, Query, description = "RFC 3339, exclusive (default: no limit)", format = DateTime),
        ("limit" = Option<i64>, Query, description = "Page size (default 1000)", minimum = 1, maximum = 5000),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "Candles, oldest first", body = Page<Candle>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 404, description = "No such market", body = ErrorBody),
    )
)]
pub async fn market_candles(
    State(state): State<AppState>,
    Path(ticker): Path<String>,
    params: Params,
) -> ApiResult<Json<Page<Candle>>> {
    params.only(&["period", "start", "end", "limit", "cursor"])?;
    let ticker = identifier("ticker", &ticker)?;
    let minutes: i32 = match params.choice("period", &["1m", "1h", "1d"])?.as_deref() {
        Some("1m") => 1,
        Some("1d") => 1440,
        _ => 60,
    };
    let (start, end) = window(&params)?;
    let limit = params.limit(1000, MAX_PAGE)?;
    let after: Option<DateTime<Utc>> = params.cursor("candles")?;
    known(&state, &ticker).await?;
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        Candle,
        "select end_period_ts, yes_bid_open, yes_bid_high, yes_bid_low, yes_bid_close,
                yes_ask_open, yes_ask_high, yes_ask_low, yes_ask_close, price_open, price_high,
                price_low, price_close, price_mean, price_previous, volume, open_interest, tier
           from kalshi_candles
          where ticker = $1 and period_minutes = $2
            and ($3::timestamptz is null or end_period_ts >= $3)
            and ($4::timestamptz is null or end_period_ts < $4)
            and ($5::timestamptz is null or end_period_ts > $5)
          order by end_period_ts
          limit $6",
        ticker,
        minutes,
        start,
        end,
        after,
        limit + 1,
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::from_rows("candles", rows, limit, |c| {
        c.end_period_ts
    })))
}
