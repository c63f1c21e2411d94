use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Duration, NaiveTime, Utc};
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
        .routes(routes!(list_games))
        .routes(routes!(get_game))
        .routes(routes!(game_states))
}

/// A game's state as observed (scores, clock, situation, win probability).
#[derive(Debug, Serialize, ToSchema)]
pub struct GameState {
    pub observed_at: DateTime<Utc>,
    pub status_name: Option<String>,
    /// `pre`, `in` or `post`.
    pub status_state: Option<String>,
    pub completed: Option<bool>,
    /// "10:17 - 1st Quarter", "Halftime", "Final/OT".
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
    pub is_red_zone: Option<bool>,
    pub home_timeouts: Option<i32>,
    pub away_timeouts: Option<i32>,
    pub last_play_text: Option<String>,
    pub home_win_probability: Option<Decimal>,
    pub away_win_probability: Option<Decimal>,
    pub tie_probability: Option<Decimal>,
    /// `scoreboard` or `summary`.
    pub win_probability_source: Option<String>,
}

const STATE_COLUMNS: &[&str] = &[
    "status_name",
    "status_state",
    "completed",
    "status_detail",
    "period",
    "clock_seconds",
    "display_clock",
    "home_score",
    "away_score",
    "possession_team_id",
    "down",
    "distance",
    "yard_line",
    "is_red_zone",
    "home_timeouts",
    "away_timeouts",
    "last_play_text",
    "home_win_probability",
    "away_win_probability",
    "tie_probability",
    "win_probability_source",
];

/// `gs.observed_at as gs_observed_at, gs.status_name as gs_status_name, …`
fn state_select(alias: &str) -> String {
    std::iter::once("observed_at")
        .chain(STATE_COLUMNS.iter().copied())
        .map(|c| format!("{alias}.{c} as gs_{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl GameState {
    fn from_row(row: &PgRow) -> Result<Option<Self>, sqlx::Error> {
        let observed_at: Option<DateTime<Utc>> = row.try_get("gs_observed_at")?;
        let Some(observed_at) = observed_at else {
            return Ok(None);
        };
        Ok(Some(Self {
            observed_at,
            status_name: row.try_get("gs_status_name")?,
            status_state: row.try_get("gs_status_state")?,
            completed: row.try_get("gs_completed")?,
            status_detail: row.try_get("gs_status_detail")?,
            period: row.try_get("gs_period")?,
            clock_seconds: row.try_get("gs_clock_seconds")?,
            display_clock: row.try_get("gs_display_clock")?,
            home_score: row.try_get("gs_home_score")?,
            away_score: row.try_get("gs_away_score")?,
            possession_team_id: row.try_get("gs_possession_team_id")?,
            down: row.try_get("gs_down")?,
            distance: row.try_get("gs_distance")?,
            yard_line: row.try_get("gs_yard_line")?,
            is_red_zone: row.try_get("gs_is_red_zone")?,
            home_timeouts: row.try_get("gs_home_timeouts")?,
            away_timeouts: row.try_get("gs_away_timeouts")?,
            last_play_text: row.try_get("gs_last_play_text")?,
            home_win_probability: row.try_get("gs_home_win_probability")?,
            away_win_probability: row.try_get("gs_away_win_probability")?,
            tie_probability: row.try_get("gs_tie_probability")?,
            win_probability_source: row.try_get("gs_win_probability_source")?,
        }))
    }
}

/// An ESPN game and its latest state.
#[derive(Debug, Serialize, ToSchema)]
pub struct Game {
    pub espn_event_id: String,
    /// ESPN's `sport/league`, e.g. `football/nfl`.
    pub league: String,
    pub season: Option<i32>,
    pub season_type: Option<i32>,
    pub week: Option<i32>,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub name: Option<String>,
    pub short_name: Option<String>,
    pub home_team_abbreviation: Option<String>,
    pub home_team_name: Option<String>,
    pub away_team_abbreviation: Option<String>,
    pub away_team_name: Option<String>,
    pub venue: Option<String>,
    pub status_name: Option<String>,
    /// `pre`, `in` (live) or `post`.
    pub status_state: Option<String>,
    pub completed: Option<bool>,
    pub updated_at: DateTime<Utc>,
    pub latest: Option<GameState>,
}

impl<'r> FromRow<'r, PgRow> for Game {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            espn_event_id: row.try_get("espn_event_id")?,
            league: row.try_get("league")?,
            season: row.try_get("season")?,
            season_type: row.try_get("season_type")?,
            week: row.try_get("week")?,
            scheduled_start: row.try_get("scheduled_start")?,
            name: row.try_get("name")?,
            short_name: row.try_get("short_name")?,
            home_team_abbreviation: row.try_get("home_team_abbreviation")?,
            home_team_name: row.try_get("home_team_name")?,
            away_team_abbreviation: row.try_get("away_team_abbreviation")?,
            away_team_name: row.try_get("away_team_name")?,
            venue: row.try_get("venue")?,
            status_name: row.try_get("status_name")?,
            status_state: row.try_get("status_state")?,
            completed: row.try_get("completed")?,
            updated_at: row.try_get("updated_at")?,
            latest: GameState::from_row(row)?,
        })
    }
}

/// The game and its latest state through `games.last_state_at`: one primary-key probe a game.
fn game_select() -> String {
    format!(
        "select g.espn_event_id, g.league, g.season, g.season_type, g.week, g.scheduled_start,
                g.name, g.short_name, g.home_team_abbreviation, g.home_team_name,
                g.away_team_abbreviation, g.away_team_name, g.venue, g.status_name,
                g.status_state, g.completed, g.updated_at, {}
         from games g
         left join game_states gs
           on gs.espn_event_id = g.espn_event_id and gs.observed_at = g.last_state_at",
        state_select("gs")
    )
}

/// Games with their latest state, newest scheduled start first.
#[utoipa::path(
    get,
    path = "/api/v1/games",
    tag = "games",
    params(
        ("league" = Option<String>, Query, description = "ESPN `sport/league`, e.g. `football/nfl`", max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"),
        ("date" = Option<String>, Query, description = "Scheduled start on this UTC date (YYYY-MM-DD)", format = Date),
        ("state" = inline(Option<crate::openapi_params::GameStateParam>), Query, description = "`pre`, `in` (live) or `post`"),
        ("limit" = Option<i64>, Query, description = "Page size (default 100)", minimum = 1, maximum = 500),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "A page of games", body = Page<Game>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_games(
    State(state): State<AppState>,
    params: Params,
) -> ApiResult<Json<Page<Game>>> {
    params.only(&["league", "date", "state", "limit", "cursor"])?;
    let league = params.text("league")?;
    let day = params.date("date")?;
    let status_state = params.choice("state", &["pre", "in", "post"])?;
    let limit = params.limit(100, 500)?;
    let after: Option<(Option<DateTime<Utc>>, String)> = params.cursor("games")?;
    let (from, until) = match day {
        Some(d) => {
            let from = d.and_time(NaiveTime::MIN).and_utc();
            (Some(from), from.checked_add_signed(Duration::days(1)))
        }
        None => (None, None),
    };
    // Games without a scheduled start sort last (as the oldest).
    let sql = format!(
        "{}
         where ($1::text is null or g.league = $1)
           and ($2::timestamptz is null or g.scheduled_start >= $2)
           and ($3::timestamptz is null or g.scheduled_start < $3)
           and ($4::text is null or g.status_state = $4)
           and ($6::text is null
                or (coalesce(g.scheduled_start, '-infinity'), g.espn_event_id)
                   < (coalesce($5::timestamptz, '-infinity'), $6::text))
         order by coalesce(g.scheduled_start, '-infinity') desc, g.espn_event_id desc
         limit $7",
        game_select()
    );
    let rows: Vec<Game> = sqlx::query_as(&sql)
        .bind(league)
        .bind(from)
        .bind(until)
        .bind(status_state)
        .bind(after.as_ref().and_then(|a| a.0))
        .bind(after.as_ref().map(|a| a.1.clone()))
        .bind(limit + 1)
        .fetch_all(&state.pool)
        .await?;
    Ok(Json(Page::from_rows("games", rows, limit, |g| {
        (g.scheduled_start, g.espn_event_id.clone())
    })))
}

/// One game with its latest state.
#[utoipa::path(
    get,
    path = "/api/v1/games/{espn_event_id}",
    tag = "games",
    params(("espn_event_id" = String, Path, description = "ESPN event id", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$")),
    responses(
        (status = 200, description = "The game", body = Game),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 404, description = "No such game", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(espn_event_id = %espn_event_id))]
pub async fn get_game(
    State(state): State<AppState>,
    Path(espn_event_id): Path<String>,
    params: Params,
) -> ApiResult<Json<Game>> {
    params.only(&[])?;
    let id = identifier("espn_event_id", &espn_event_id)?;
    let sql = format!("{} where g.espn_event_id = $1", game_select());
    sqlx::query_as(&sql)
        .bind(&id)
        .fetch_optional(&state.pool)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no game {id}")))
}

/// One game's state history, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/games/{espn_event_id}/states",
    tag = "games",
    params(
        ("espn_event_id" = String, Path, description = "ESPN event id", min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]{1,100}$"),
        ("start" = Option<String>, Query, description = "RFC 3339, inclusive", format = DateTime),
        ("end" = Option<String>, Query, description = "RFC 3339, exclusive", format = DateTime),
        ("limit" = Option<i64>, Query, description = "Page size (default 1000)", minimum = 1, maximum = 5000),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; empty or absent: the first page", pattern = "^[0-9a-f]*$", max_length = 4000),
    ),
    responses(
        (status = 200, description = "States, oldest first", body = Page<GameState>),
        (status = 400, description = "A bad parameter, named", body = ErrorBody),
        (status = 404, description = "No such game", body = ErrorBody),
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(espn_event_id = %espn_event_id))]
pub async fn game_states(
    State(state): State<AppState>,
    Path(espn_event_id): Path<String>,
    params: Params,
) -> ApiResult<Json<Page<GameState>>> {
    params.only(&["start", "end", "limit", "cursor"])?;
    let id = identifier("espn_event_id", &espn_event_id)?;
    let start = params.time("start")?;
    let end = params.time("end")?;
    // A window with `start` at or after `end` is empty (the SQL below finds nothing), not an
    // error: the OpenAPI document cannot state a relation between two parameters, so the server
    // accepts what the document allows.
    let limit = params.limit(1000, 5000)?;
    let after: Option<DateTime<Utc>> = params.cursor("game_states")?;
    let exists: bool =
        sqlx::query_scalar("select exists(select 1 from games where espn_event_id = $1)")
            .bind(&id)
            .fetch_one(&state.pool)
            .await?;
    if !exists {
        return Err(ApiError::not_found(format!("no game {id}")));
    }
    let sql = format!(
        "select {} from game_states s
         where s.espn_event_id = $1
           and ($2::timestamptz is null or s.observed_at >= $2)
           and ($3::timestamptz is null or s.observed_at < $3)
           and ($4::timestamptz is null or s.observed_at > $4)
         order by s.observed_at limit $5",
        state_select("s")
    );
    let rows = sqlx::query(&sql)
        .bind(&id)
        .bind(start)
        .bind(end)
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&state.pool)
        .await?;
    let states = rows
        .iter()
        .map(GameState::from_row)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    Ok(Json(Page::from_rows("game_states", states, limit, |s| {
        s.observed_at
    })))
}
