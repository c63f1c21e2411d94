//! Games meet markets (issue 10 §4): a game's linked markets, its timeline of states with the
//! home and away markets' quotes as of each, the game a market is about, and the links an
//! operator looks through (unmatched, ambiguous, …). The as-of join itself is the SQL function
//! `game_timeline` (migration `20261201000110_asof.sql`), so psql users and the API read the
//! same rows.
//!
//! Runtime SQL (`query_as` with `FromRow`) like the rest of read-api today; the link tables come
//! from another migration landing at the same time, so compile-checked macros follow the
//! crate's move to them.

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
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
#[derive(Debug, Serialize, ToSchema, FromRow)]
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

/// `select … from game_links l`, the columns of [`Link`].
const LINK_SELECT: &str = "select l.ticker, l.event_ticker, l.series_ticker, l.league, l.kind,
        l.espn_event_id, l.yes_side, l.line, l.status, l.reason, l.checks, l.flagged,
        l.evidence, l.knowable_at, l.verified_at, l.matcher_version, l.updated_at
   from game_links l";

async fn game_exists(state: &AppState, id: &str) -> ApiResult<()> {
    // language=PostgreSQL
    let exists: bool =
        sqlx::query_scalar("select exists(select 1 from games where espn_event_id = $1)")
            .bind(id)
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
    // Runtime SQL: the column list is shared with the other link queries (LINK_SELECT).
    let sql = format!(
        "{LINK_SELECT}
         where l.espn_event_id = $1 and ($2::text is null or l.ticker > $2)
         order by l.ticker limit $3"
    );
    let rows: Vec<Link> = sqlx::query_as(&sql)
        .bind(&id)
        .bind(after)
        .bind(limit + 1)
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
#[derive(Debug, Serialize, ToSchema, FromRow)]
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
    let sql = format!(
        "{LINK_SELECT}
         where l.ticker = $1 and l.espn_event_id is not null
           and l.status in ('matched', 'verified')"
    );
    let link: Link = sqlx::query_as(&sql)
        .bind(&ticker)
        .fetch_optional(&state.pool)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("market {ticker} is not linked to a game")))?;
    // language=PostgreSQL
    let game: LinkedGame = sqlx::query_as(
        "select espn_event_id, league, scheduled_start, name, short_name, home_team_id,
                home_team_abbreviation, away_team_id, away_team_abbreviation, neutral_site,
                status_state, completed
           from games where espn_event_id = $1",
    )
    .bind(&link.espn_event_id)
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
    let sql = format!(
        "{LINK_SELECT}
         where ($1::text is null or l.status = $1)
           and ($2::text is null or l.league = $2)
           and ($3::text is null or l.series_ticker = $3)
           and ($4::text is null or l.ticker > $4)
         order by l.ticker limit $5"
    );
    let rows: Vec<Link> = sqlx::query_as(&sql)
        .bind(status)
        .bind(league)
        .bind(series)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&state.pool)
        .await?;
    Ok(Json(Page::from_rows("links", rows, limit, |l| {
        l.ticker.clone()
    })))
}

/// A linked market's YES quote as of a state (null prices: no snapshot within the max age).
#[derive(Debug, Serialize, ToSchema)]
pub struct AsOfQuote {
    pub ticker: String,
    /// When the quote used was observed (at or before the state, never after).
    pub observed_at: Option<DateTime<Utc>>,
    pub yes_bid: Option<Decimal>,
    pub yes_ask: Option<Decimal>,
}

/// One state of the game with the markets as of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineRow {
    pub observed_at: DateTime<Utc>,
    /// With `interval`: the start of the bucket this state (its last) stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<DateTime<Utc>>,
    /// `pre`, `in` or `post`.
    pub status_state: Option<String>,
    pub status_detail: Option<String>,
    pub period: Option<i32>,
    pub clock_seconds: Option<Decimal>,
    pub display_clock: Option<String>,
    pub home_score: Option<i32>,
    pub away_score: Option<i32>,
    pub possession_team_id: Option<String>,
    pub down: Option<i32>,
    pub distance: Option<i32>,
    pub yard_line: Option<i32>,
    /// ESPN's home win probability as observed then.
    pub home_win_probability: Option<Decimal>,
    /// The home team's moneyline market (YES = home wins); absent when none was knowable.
    pub home: Option<AsOfQuote>,
    /// The away team's moneyline market (YES = away wins).
    pub away: Option<AsOfQuote>,
    /// home mid / (home mid + away mid) of the YES mids, or the one mid there is (home), or
    /// 1 − away mid; 6 decimals.
    pub implied_home_probability: Option<Decimal>,
}

/// A row of `game_timeline(…)`.
#[derive(FromRow)]
struct TimelineRecord {
    bucket: Option<DateTime<Utc>>,
    observed_at: Option<DateTime<Utc>>,
    status_state: Option<String>,
    status_detail: Option<String>,
    period: Option<i32>,
    clock_seconds: Option<Decimal>,
    display_clock: Option<String>,
    home_score: Option<i32>,
    away_score: Option<i32>,
    possession_team_id: Option<String>,
    down: Option<i32>,
    distance: Option<i32>,
    yard_line: Option<i32>,
    home_win_probability: Option<Decimal>,
    home_ticker: Option<String>,
    home_quote_at: Option<DateTime<Utc>>,
    home_yes_bid: Option<Decimal>,
    home_yes_ask: Option<Decimal>,
    away_ticker: Option<String>,
    away_quote_at: Option<DateTime<Utc>>,
    away_yes_bid: Option<Decimal>,
    away_yes_ask: Option<Decimal>,
    implied_home_probability: Option<Decimal>,
}

impl TimelineRecord {
    fn into_row(self, downsampled: bool) -> Option<TimelineRow> {
        let quote = |ticker: Option<String>, at, bid, ask| {
            ticker.map(|ticker| AsOfQuote {
                ticker,
                observed_at: at,
                yes_bid: bid,
                yes_ask: ask,
            })
        };
        Some(TimelineRow {
            observed_at: self.observed_at?,
            bucket: if downsampled { self.bucket } else { None },
            status_state: self.status_state,
            status_detail: self.status_detail,
            period: self.period,
            clock_seconds: self.clock_seconds,
            display_clock: self.display_clock,
            home_score: self.home_score,
            away_score: self.away_score,
            possession_team_id: self.possession_team_id,
            down: self.down,
            distance: self.distance,
            yard_line: self.yard_line,
            home_win_probability: self.home_win_probability,
            home: quote(
                self.home_ticker,
                self.home_quote_at,
                self.home_yes_bid,
                self.home_yes_ask,
            ),
            away: quote(
                self.away_ticker,
                self.away_quote_at,
                self.away_yes_bid,
                self.away_yes_ask,
            ),
            implied_home_probability: self.implied_home_probability,
        })
    }
}

/// A game's timeline over a window.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    pub espn_event_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<Utc>>,
    /// The downsampling bucket in seconds, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<i64>,
    /// A quote older than this many seconds at a state is not used (null).
    pub max_quote_age_seconds: i64,
    pub items: Vec<TimelineRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// One game's states in `[start, end)`, oldest first, each with the home and away moneyline
/// markets' YES bid/ask as of that state (the latest snapshot at or before it; never a later
/// one) and the market-implied home probability; with `interval`, the last state of each bucket.
#[utoipa::path(
    get,
    path = "/api/v1/games/{espn_event_id}/timeline",
    tag = "links",
    params(
        ("espn_event_id" = String, Path, description = "ESPN event id", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("start" = Option<String>, Query, description = "RFC 3339, inclusive (default: the first state)", format = DateTime),
        ("end" = Option<String>, Query, description = "RFC 3339, exclusive (default: after the last state)", format = DateTime),
        ("interval" = Option<i64>, Query, description = "Downsample to one state (the last) per this many seconds", minimum = 1, maximum = 2592000),
        ("max_quote_age" = Option<i64>, Query, description = "Seconds; an older quote is not used (default 3900)", minimum = 1, maximum = 604800),
        ("limit" = Option<i64>, Query, description = "Page size (default 1000)", minimum = 1, maximum = 5000),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "States with the markets as of each, oldest first", body = Timeline),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 404, description = "No such game", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(espn_event_id = %espn_event_id))]
pub async fn game_timeline(
    State(state): State<AppState>,
    Path(espn_event_id): Path<String>,
    params: Params,
) -> ApiResult<Json<Timeline>> {
    params.only(&[
        "start",
        "end",
        "interval",
        "max_quote_age",
        "limit",
        "cursor",
    ])?;
    let id = identifier("espn_event_id", &espn_event_id)?;
    // A `start` at or after `end` is an empty window, not an error, as for market history: the
    // OpenAPI document cannot state a relation between two parameters.
    let start = params.time("start")?;
    let end = params.time("end")?;
    let interval = match params.text("interval")? {
        Some(_) => Some(params.int("interval", 1, 2_592_000, 1)?),
        None => None,
    };
    let max_age = params.int("max_quote_age", 1, 604_800, DEFAULT_MAX_QUOTE_AGE)?;
    let limit = params.limit(1000, MAX_TIMELINE)?;
    // The cursor is the last row's bucket (its state's time without `interval`): the next page
    // starts just after it, or at the following bucket.
    let after: Option<DateTime<Utc>> = params.cursor("timeline")?;
    let from = match (after, interval) {
        (None, _) => start,
        (Some(t), None) => Some(
            t.checked_add_signed(Duration::microseconds(1))
                .ok_or_else(|| ApiError::bad("cursor", "not a cursor this endpoint issued"))?,
        ),
        (Some(t), Some(secs)) => Some(
            t.checked_add_signed(Duration::seconds(secs))
                .ok_or_else(|| ApiError::bad("cursor", "not a cursor this endpoint issued"))?,
        ),
    };
    game_exists(&state, &id).await?;
    // language=PostgreSQL
    let records: Vec<TimelineRecord> = sqlx::query_as(
        r#"select bucket, observed_at, status_state, status_detail, period, clock_seconds,
                  display_clock, home_score, away_score, possession_team_id, down, distance,
                  yard_line, home_win_probability, home_ticker, home_quote_at, home_yes_bid,
                  home_yes_ask, away_ticker, away_quote_at, away_yes_bid, away_yes_ask,
                  implied_home_probability
             from game_timeline($1, coalesce($2, '-infinity'::timestamptz),
                                coalesce($3, 'infinity'::timestamptz),
                                make_interval(secs => $4::float8),
                                make_interval(secs => $5::float8), $6)"#,
    )
    .bind(&id)
    .bind(from)
    .bind(end)
    .bind(interval.map(|s| s as f64))
    .bind(max_age as f64)
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    let rows = records
        .into_iter()
        .filter_map(|r| r.into_row(interval.is_some()))
        .collect();
    let page = Page::from_rows("timeline", rows, limit, |r: &TimelineRow| {
        r.bucket.unwrap_or(r.observed_at)
    });
    Ok(Json(Timeline {
        espn_event_id: id,
        start,
        end,
        interval_seconds: interval,
        max_quote_age_seconds: max_age,
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
