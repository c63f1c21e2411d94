use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{identifier, Page, Params};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events))
        .routes(routes!(get_event))
        .routes(routes!(list_series))
        .routes(routes!(get_series))
}

const MAX_PAGE: i64 = 500;

/// A Kalshi event, with its own fee override and the fee that applies (override, else series).
#[derive(Debug, Serialize, ToSchema, FromRow)]
pub struct Event {
    pub event_ticker: String,
    pub series_ticker: String,
    pub title: Option<String>,
    pub sub_title: Option<String>,
    pub mutually_exclusive: Option<bool>,
    pub strike_date: Option<DateTime<Utc>>,
    pub strike_period: Option<String>,
    pub fee_type_override: Option<String>,
    pub fee_multiplier_override: Option<Decimal>,
    /// The fee schedule that applies: the event's override, else its series'.
    pub fee_type: Option<String>,
    pub fee_multiplier: Option<Decimal>,
    pub updated_at: DateTime<Utc>,
}

const EVENT_SELECT: &str = r#"
    select e.event_ticker, e.series_ticker, e.title, e.sub_title, e.mutually_exclusive,
           e.strike_date, e.strike_period, e.fee_type_override, e.fee_multiplier_override,
           coalesce(e.fee_type_override, s.fee_type) as fee_type,
           coalesce(e.fee_multiplier_override, s.fee_multiplier) as fee_multiplier,
           e.updated_at
    from events e left join series s on s.ticker = e.series_ticker
"#;

/// Events by ticker.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "catalog",
    params(
        ("series" = Option<String>, Query, description = "Series ticker", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 500),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "A page of events", body = Page<Event>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_events(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Page<Event>>> {
    params.only(&["series", "limit", "cursor"])?;
    let series = params.identifier("series")?;
    let limit = params.limit(100, MAX_PAGE)?;
    let after: Option<String> = params.cursor("events")?;
    let sql = format!(
        "{EVENT_SELECT}
         where ($1::text is null or e.series_ticker = $1)
           and ($2::text is null or e.event_ticker > $2)
         order by e.event_ticker limit $3"
    );
    let rows: Vec<Event> = sqlx::query_as(&sql)
        .bind(series)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&state.pool)
        .await?;
    Ok(Json(Page::from_rows("events", rows, limit, |e| {
        e.event_ticker.clone()
    })))
}

/// One event.
#[utoipa::path(
    get,
    path = "/api/v1/events/{event_ticker}",
    tag = "catalog",
    params(("event_ticker" = String, Path, description = "Event ticker", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$")),
    responses(
        (status = 200, description = "The event", body = Event),
        (status = 400, description = "Not a ticker", body = ErrorBody),
        (status = 404, description = "No such event", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(event_ticker = %event_ticker))]
pub async fn get_event(
    State(state): State<AppState>,
    Path(event_ticker): Path<String>,
    params: Params,
) -> ApiResult<Json<Event>> {
    params.only(&[])?;
    let ticker = identifier("event_ticker", &event_ticker)?;
    let sql = format!("{EVENT_SELECT} where e.event_ticker = $1");
    sqlx::query_as(&sql)
        .bind(&ticker)
        .fetch_optional(&state.pool)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no event {ticker}")))
}

/// A Kalshi series with its fee parameters.
#[derive(Debug, Serialize, ToSchema, FromRow)]
pub struct Series {
    pub ticker: String,
    pub title: Option<String>,
    pub category: Option<String>,
    pub frequency: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Kalshi's fee schedule name (e.g. `quadratic`).
    pub fee_type: Option<String>,
    /// The fee multiplier, exact as Kalshi sent it.
    pub fee_multiplier: Option<Decimal>,
    pub contract_url: Option<String>,
    pub updated_at: DateTime<Utc>,
}

const SERIES_SELECT: &str = r#"
    select ticker, title, category, frequency, tags, fee_type, fee_multiplier, contract_url,
           updated_at
    from series
"#;

/// Series by ticker.
#[utoipa::path(
    get,
    path = "/api/v1/series",
    tag = "catalog",
    params(
        ("category" = Option<String>, Query, description = "Kalshi category, e.g. `Sports`", max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 500),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "A page of series", body = Page<Series>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_series(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Page<Series>>> {
    params.only(&["category", "limit", "cursor"])?;
    let category = params.text("category")?;
    let limit = params.limit(100, MAX_PAGE)?;
    let after: Option<String> = params.cursor("series")?;
    let sql = format!(
        "{SERIES_SELECT}
         where ($1::text is null or category = $1)
           and ($2::text is null or ticker > $2)
         order by ticker limit $3"
    );
    let rows: Vec<Series> = sqlx::query_as(&sql)
        .bind(category)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&state.pool)
        .await?;
    Ok(Json(Page::from_rows("series", rows, limit, |s| {
        s.ticker.clone()
    })))
}

/// One series.
#[utoipa::path(
    get,
    path = "/api/v1/series/{ticker}",
    tag = "catalog",
    params(("ticker" = String, Path, description = "Series ticker", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$")),
    responses(
        (status = 200, description = "The series", body = Series),
        (status = 400, description = "Not a ticker", body = ErrorBody),
        (status = 404, description = "No such series", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(ticker = %ticker))]
pub async fn get_series(
    State(state): State<AppState>,
    Path(ticker): Path<String>,
    params: Params,
) -> ApiResult<Json<Series>> {
    params.only(&[])?;
    let ticker = identifier("ticker", &ticker)?;
    let sql = format!("{SERIES_SELECT} where ticker = $1");
    sqlx::query_as(&sql)
        .bind(&ticker)
        .fetch_optional(&state.pool)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no series {ticker}")))
}
