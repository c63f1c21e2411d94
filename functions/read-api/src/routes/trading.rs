use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::query::{Page, Params};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_trades))
        .routes(routes!(list_positions))
}

const ENVIRONMENTS: &[&str] = &["live", "paper", "backtest"];

#[derive(Debug, Serialize, ToSchema, FromRow)]
pub struct Trade {
    pub id: i64,
    pub ticker: String,
    /// `yes` or `no`.
    pub side: String,
    /// `buy` or `sell`.
    pub action: String,
    /// Dollars per contract, 0 to 1.
    pub price: Decimal,
    pub contracts: Decimal,
    pub fee: Decimal,
    /// Whether the fill crossed the spread (taker) or was a resting order taken by someone else
    /// (maker); null where unknown.
    pub is_taker: Option<bool>,
    pub executed_at: DateTime<Utc>,
    pub strategy: Option<String>,
    pub order_id: Option<String>,
    /// `automated` or `manual`.
    pub trade_source: String,
    /// `live`, `paper` or `backtest`.
    pub execution_environment: String,
}

/// Trades in one execution environment, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/trades",
    tag = "trading",
    params(
        ("execution_environment" = inline(Option<crate::openapi_params::ExecutionEnvironmentParam>), Query, description = "`live` (default), `paper` or `backtest`"),
        ("ticker" = Option<String>, Query, description = "Market ticker", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("since" = Option<String>, Query, description = "Only trades executed at or after (RFC 3339)", format = DateTime),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 1000),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "A page of trades", body = Page<Trade>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_trades(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Page<Trade>>> {
    params.only(&[
        "execution_environment",
        "ticker",
        "since",
        "limit",
        "cursor",
    ])?;
    let environment = params
        .choice("execution_environment", ENVIRONMENTS)?
        .unwrap_or_else(|| "live".to_owned());
    let ticker = params.identifier("ticker")?;
    let since = params.time("since")?;
    let limit = params.limit(100, 1000)?;
    let after: Option<(DateTime<Utc>, i64)> = params.cursor("trades")?;
    // language=PostgreSQL
    let rows: Vec<Trade> = sqlx::query_as(
        r#"select id, ticker, side, action, price, contracts, fee, is_taker, executed_at, strategy,
                  order_id, trade_source::text as trade_source,
                  execution_environment::text as execution_environment
           from trades
           where execution_environment = $1::execution_environment
             and ($2::text is null or ticker = $2)
             and ($3::timestamptz is null or executed_at >= $3)
             and ($4::timestamptz is null or (executed_at, id) < ($4, $5::bigint))
           order by executed_at desc, id desc
           limit $6"#,
    )
    .bind(environment)
    .bind(ticker)
    .bind(since)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::from_rows("trades", rows, limit, |t| {
        (t.executed_at, t.id)
    })))
}

#[derive(Debug, Serialize, ToSchema, FromRow)]
pub struct Position {
    pub id: i64,
    pub ticker: String,
    pub side: String,
    pub contracts: Decimal,
    pub average_entry_price: Decimal,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// `open`, `closed` or `settled`.
    pub status: String,
    pub realized_pnl: Option<Decimal>,
    pub strategy: Option<String>,
    pub trade_source: String,
    pub execution_environment: String,
}

/// Positions in one execution environment, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/positions",
    tag = "trading",
    params(
        ("execution_environment" = inline(Option<crate::openapi_params::ExecutionEnvironmentParam>), Query, description = "`live` (default), `paper` or `backtest`"),
        ("status" = inline(Option<crate::openapi_params::PositionStatusParam>), Query, description = "`open`, `closed` or `settled`"),
        ("ticker" = Option<String>, Query, description = "Market ticker", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 1000),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "A page of positions", body = Page<Position>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_positions(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Page<Position>>> {
    params.only(&[
        "execution_environment",
        "status",
        "ticker",
        "limit",
        "cursor",
    ])?;
    let environment = params
        .choice("execution_environment", ENVIRONMENTS)?
        .unwrap_or_else(|| "live".to_owned());
    let status = params.choice("status", &["open", "closed", "settled"])?;
    let ticker = params.identifier("ticker")?;
    let limit = params.limit(100, 1000)?;
    let after: Option<(DateTime<Utc>, i64)> = params.cursor("positions")?;
    // language=PostgreSQL
    let rows: Vec<Position> = sqlx::query_as(
        r#"select id, ticker, side, contracts, average_entry_price, opened_at, closed_at, status,
                  realized_pnl, strategy, trade_source::text as trade_source,
                  execution_environment::text as execution_environment
           from positions
           where execution_environment = $1::execution_environment
             and ($2::text is null or status = $2)
             and ($3::text is null or ticker = $3)
             and ($4::timestamptz is null or (opened_at, id) < ($4, $5::bigint))
           order by opened_at desc, id desc
           limit $6"#,
    )
    .bind(environment)
    .bind(status)
    .bind(ticker)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::from_rows("positions", rows, limit, |p| {
        (p.opened_at, p.id)
    })))
}
