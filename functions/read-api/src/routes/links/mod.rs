//! Games meet markets (issue 10 §4): a game's linked markets, its timeline of states with the
//! home and away markets' quotes as of each, the game a market is about, and the links an
//! operator looks through (unmatched, ambiguous, …). The as-of join itself is the SQL function
//! `game_timeline` (migration `20261201000110_asof.sql`), so psql users and the API read the
//! same rows.
//!
//! The link queries are compile-checked (`query_as!`); the timeline (`timeline.rs`) reads the SQL
//! function with runtime SQL (see there).

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{identifier, Page, Params};

mod timeline;
pub use timeline::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(game_markets))
        .routes(routes!(game_timeline))
        .routes(routes!(market_game))
        .routes(routes!(list_links))
}

/// Largest links page: evidence makes a link ~1–2 kB, so 500 is at most ~1 MB.
const MAX_LINKS: i64 = 500;
/// Largest timeline page: ~0.6 kB a row, so 5,000 is ~3 MB, under Lambda's 6 MB.
const MAX_TIMELINE: i64 = 5000;
/// The timeline's default max quote age: collect-kalshi stores an unchanged market at least every
/// 60 minutes (its heartbeat), so an older latest snapshot means collection stopped.
const DEFAULT_MAX_QUOTE_AGE: i64 = 65 * 60;

const STATUSES: &[&str] = &[
    "matched",
    "verified",
    "ambiguous",
    "unmatched",
    "cancelled",
    "not_a_game",
];

/// One game-series market and what the linker concluded about it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Link {
    pub ticker: String,
    pub event_ticker: String,
    pub series_ticker: String,
    /// ESPN's `sport/league`, e.g. `football/nfl`.
    pub league: String,
    /// `moneyline`, `spread`, `total` or `other`.
    pub kind: String,
    /// The game, when matched or verified.
    pub espn_event_id: Option<String>,
    /// Which side YES is: `home` or `away` (moneyline: the team YES names; spread: the team that
    /// must cover), `over` for a total. From ESPN's home/away of the YES team, never the ticker.
    pub yes_side: Option<String>,
    /// Spread: the points the YES team must win by; total: the total. The market's
    /// `floor_strike`, never digits of the ticker.
    pub line: Option<Decimal>,
    /// `matched`, `verified`, `ambiguous`, `unmatched`, `cancelled` or `not_a_game`.
    pub status: String,
    /// Why this status, in one sentence.
    pub reason: String,
    /// The checks recorded: `[{check, ok, severity, detail}]`.
    #[schema(value_type = Vec<Object>)]
    pub checks: serde_json::Value,
    /// A check failed loudly (for one, the market that resolved YES is not ESPN's winner).
    pub flagged: bool,
    /// The candidates considered, team-block splits, milestone data.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    /// When the link could first have been known; as-of reads ignore it before then.
    pub knowable_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    pub matcher_version: i32,
    pub updated_at: DateTime<Utc>,
}

async fn game_exists(state: &AppState, id: &str) -> ApiResult<()> {
    // language=PostgreSQL
    let exists: bool = sqlx::query_scalar!(
        r#"select exists(select 1 from games where espn_event_id = $1) as "exists!""#,
        id
    )
    .fetch_one(&state.pool)
    .await?;
    if exists {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("no game {id}")))
    }
}

/// The markets linked to one game, by ticker.
#[utoipa::path(
    get,
    path = "/api/v1/games/{espn_event_id}/markets",
    tag = "links",
    params(
        ("espn_event_id" = String, Path, description = "ESPN event id", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 500),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "The game's linked markets", body = Page<Link>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 404, description = "No such game", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(espn_event_id = %espn_event_id))]
pub async fn game_markets(
    State(state): State<AppState>,
    Path(espn_event_id): Path<String>,
    params: Params,
) -> ApiResult<Json<Page<Link>>> {
    params.only(&["limit", "cursor"])?;
    let id = identifier("espn_event_id", &espn_event_id)?;
    let limit = params.limit(100, MAX_LINKS)?;
    let after: Option<String> = params.cursor("game_markets")?;
    game_exists(&state, &id).await?;
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        Link,
        "select ticker, event_ticker, series_ticker, league, kind, espn_event_id, yes_side, line,
                status, reason, checks, flagged, evidence, knowable_at, verified_at,
                matcher_version, updated_at
           from game_links
          where espn_event_id = $1 and ($2::text is null or ticker > $2)
          order by ticker limit $3",
        id,
        after,
        limit + 1
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::from_rows("game_markets", rows, limit, |l| {
        l.ticker.clone()
    })))
}

/// The game a market is about, with the market's link.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarketGame {
    pub link: Link,
    pub game: LinkedGame,
}

/// The fixed facts of a game (its states: `/api/v1/games/{id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedGame {
    pub espn_event_id: String,
    pub league: String,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub name: Option<String>,
    pub short_name: Option<String>,
    pub home_team_id: Option<String>,
    pub home_team_abbreviation: Option<String>,
    pub away_team_id: Option<String>,
    pub away_team_abbreviation: Option<String>,
    pub neutral_site: Option<bool>,
    /// `pre`, `in` (live) or `post`.
    pub status_state: Option<String>,
    pub completed: Option<bool>,
}

/// The game a market is about: 404 when the market is not linked to one (unknown, unmatched,
/// ambiguous, …; `/api/v1/links` says why).
#[utoipa::path(
    get,
    path = "/api/v1/markets/{ticker}/game",
    tag = "links",
    params(("ticker" = String, Path, description = "Market ticker", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$")),
    responses(
        (status = 200, description = "The market's link and game", body = MarketGame),
        (status = 400, description = "Not a ticker", body = ErrorBody),
        (status = 404, description = "The market is not linked to a game", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(ticker = %ticker))]
pub async fn market_game(
    State(state): State<AppState>,
    Path(ticker): Path<String>,
    params: Params,
) -> ApiResult<Json<MarketGame>> {
    params.only(&[])?;
    let ticker = identifier("ticker", &ticker)?;
    // language=PostgreSQL
    let link = sqlx::query_as!(
        Link,
        "select ticker, event_ticker, series_ticker, league, kind, espn_event_id, yes_side, line,
                status, reason, checks, flagged, evidence, knowable_at, verified_at,
                matcher_version, updated_at
           from game_links
          where ticker = $1 and espn_event_id is not null
            and status in ('matched', 'verified')",
        ticker
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("market {ticker} is not linked to a game")))?;
    // language=PostgreSQL
    let game = sqlx::query_as!(
        LinkedGame,
        "select espn_event_id, league, scheduled_start, name, short_name, home_team_id,
                home_team_abbreviation, away_team_id, away_team_abbreviation, neutral_site,
                status_state, completed
           from games where espn_event_id = $1",
        link.espn_event_id
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("market {ticker} is not linked to a game")))?;
    Ok(Json(MarketGame { link, game }))
}

/// Every link, by ticker: what an operator reads to find unmatched or ambiguous markets.
#[utoipa::path(
    get,
    path = "/api/v1/links",
    tag = "links",
    params(
        ("status" = inline(Option<crate::openapi_params::LinkStatusParam>), Query, description = "`matched`, `verified`, `ambiguous`, `unmatched`, `cancelled` or `not_a_game`"),
        ("league" = Option<String>, Query, description = "ESPN `sport/league`, e.g. `football/nfl`", max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"),
        ("series" = Option<String>, Query, description = "Kalshi series ticker, e.g. `KXNFLGAME`", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 500),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "A page of links", body = Page<Link>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_links(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Page<Link>>> {
    params.only(&["status", "league", "series", "limit", "cursor"])?;
    let status = params.choice("status", STATUSES)?;
    let league = params.text("league")?;
    let series = params.identifier("series")?;
    let limit = params.limit(100, MAX_LINKS)?;
    let after: Option<String> = params.cursor("links")?;
    // Optional filters in one static statement: the API's pool plans every call afresh
    // (`plan_cache_mode = force_custom_plan`), so each combination still gets its own plan.
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        Link,
        "select ticker, event_ticker, series_ticker, league, kind, espn_event_id, yes_side, line,
                status, reason, checks, flagged, evidence, knowable_at, verified_at,
                matcher_version, updated_at
           from game_links
          where ($1::text is null or status = $1)
            and ($2::text is null or league = $2)
            and ($3::text is null or series_ticker = $3)
            and ($4::text is null or ticker > $4)
          order by ticker limit $5",
        status,
        league,
        series,
        after,
        limit + 1
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::from_rows("links", rows, limit, |l| {
        l.ticker.clone()
    })))
}
