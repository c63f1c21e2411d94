//! ESPN games with their latest state, and one game's state history (`states.rs`).

mod states;

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{identifier, Page, Params};

pub use states::game_states;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_games))
        .routes(routes!(get_game))
        .routes(routes!(states::game_states))
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

/// A game joined to its latest state, flat as the query returns it (`gs_` columns are the
/// state's, all null when there is none).
struct GameRow {
    espn_event_id: String,
    league: String,
    season: Option<i32>,
    season_type: Option<i32>,
    week: Option<i32>,
    scheduled_start: Option<DateTime<Utc>>,
    name: Option<String>,
    short_name: Option<String>,
    home_team_abbreviation: Option<String>,
    home_team_name: Option<String>,
    away_team_abbreviation: Option<String>,
    away_team_name: Option<String>,
    venue: Option<String>,
    status_name: Option<String>,
    status_state: Option<String>,
    completed: Option<bool>,
    updated_at: DateTime<Utc>,
    gs_observed_at: Option<DateTime<Utc>>,
    gs_status_name: Option<String>,
    gs_status_state: Option<String>,
    gs_completed: Option<bool>,
    gs_status_detail: Option<String>,
    gs_period: Option<i32>,
    gs_clock_seconds: Option<Decimal>,
    gs_display_clock: Option<String>,
    gs_home_score: Option<i32>,
    gs_away_score: Option<i32>,
    gs_possession_team_id: Option<String>,
    gs_down: Option<i32>,
    gs_distance: Option<i32>,
    gs_yard_line: Option<i32>,
    gs_is_red_zone: Option<bool>,
    gs_home_timeouts: Option<i32>,
    gs_away_timeouts: Option<i32>,
    gs_last_play_text: Option<String>,
    gs_home_win_probability: Option<Decimal>,
    gs_away_win_probability: Option<Decimal>,
    gs_tie_probability: Option<Decimal>,
    gs_win_probability_source: Option<String>,
}

impl From<GameRow> for Game {
    fn from(r: GameRow) -> Self {
        let latest = r.gs_observed_at.map(|observed_at| GameState {
            observed_at,
            status_name: r.gs_status_name,
            status_state: r.gs_status_state,
            completed: r.gs_completed,
            status_detail: r.gs_status_detail,
            period: r.gs_period,
            clock_seconds: r.gs_clock_seconds,
            display_clock: r.gs_display_clock,
            home_score: r.gs_home_score,
            away_score: r.gs_away_score,
            possession_team_id: r.gs_possession_team_id,
            down: r.gs_down,
            distance: r.gs_distance,
            yard_line: r.gs_yard_line,
            is_red_zone: r.gs_is_red_zone,
            home_timeouts: r.gs_home_timeouts,
            away_timeouts: r.gs_away_timeouts,
            last_play_text: r.gs_last_play_text,
            home_win_probability: r.gs_home_win_probability,
            away_win_probability: r.gs_away_win_probability,
            tie_probability: r.gs_tie_probability,
            win_probability_source: r.gs_win_probability_source,
        });
        Self {
            espn_event_id: r.espn_event_id,
            league: r.league,
            season: r.season,
            season_type: r.season_type,
            week: r.week,
            scheduled_start: r.scheduled_start,
            name: r.name,
            short_name: r.short_name,
            home_team_abbreviation: r.home_team_abbreviation,
            home_team_name: r.home_team_name,
            away_team_abbreviation: r.away_team_abbreviation,
            away_team_name: r.away_team_name,
            venue: r.venue,
            status_name: r.status_name,
            status_state: r.status_state,
            completed: r.completed,
            updated_at: r.updated_at,
            latest,
        }
    }
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
    let (after_start, after_id) = after.unzip();
    // Games without a scheduled start sort last (as the oldest). The optional filters get a plan
    // for the filters given (`plan_cache_mode = force_custom_plan`, see `serve.rs`); the latest
    // state is one primary-key probe a game, through `games.last_state_at`.
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        GameRow,
        r#"select
                  g.espn_event_id, g.league, g.season, g.season_type, g.week,
                  g.scheduled_start, g.name, g.short_name, g.home_team_abbreviation,
                  g.home_team_name, g.away_team_abbreviation, g.away_team_name, g.venue,
                  g.status_name, g.status_state, g.completed, g.updated_at,
                  gs.observed_at as "gs_observed_at?", gs.status_name as "gs_status_name",
                  gs.status_state as "gs_status_state", gs.completed as "gs_completed",
                  gs.status_detail as "gs_status_detail", gs.period as "gs_period",
                  gs.clock_seconds as "gs_clock_seconds", gs.display_clock as "gs_display_clock",
                  gs.home_score as "gs_home_score", gs.away_score as "gs_away_score",
                  gs.possession_team_id as "gs_possession_team_id", gs.down as "gs_down",
                  gs.distance as "gs_distance", gs.yard_line as "gs_yard_line",
                  gs.is_red_zone as "gs_is_red_zone", gs.home_timeouts as "gs_home_timeouts",
                  gs.away_timeouts as "gs_away_timeouts",
                  gs.last_play_text as "gs_last_play_text",
                  gs.home_win_probability as "gs_home_win_probability",
                  gs.away_win_probability as "gs_away_win_probability",
                  gs.tie_probability as "gs_tie_probability",
                  gs.win_probability_source as "gs_win_probability_source"
           from games g
           left join game_states gs
             on gs.espn_event_id = g.espn_event_id and gs.observed_at = g.last_state_at
           where ($1::text is null or g.league = $1)
             and ($2::timestamptz is null or g.scheduled_start >= $2)
             and ($3::timestamptz is null or g.scheduled_start < $3)
             and ($4::text is null or g.status_state = $4)
             and ($6::text is null
                  or (coalesce(g.scheduled_start, '-infinity'), g.espn_event_id)
                     < (coalesce($5::timestamptz, '-infinity'), $6::text))
           order by coalesce(g.scheduled_start, '-infinity') desc, g.espn_event_id desc
           limit $7"#,
        league,
        from,
        until,
        status_state,
        after_start.flatten(),
        after_id,
        limit + 1
    )
    .fetch_all(&state.pool)
    .await?;
    let rows = rows.into_iter().map(Game::from).collect();
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
    // language=PostgreSQL
    sqlx::query_as!(
        GameRow,
        r#"select
                  g.espn_event_id, g.league, g.season, g.season_type, g.week,
                  g.scheduled_start, g.name, g.short_name, g.home_team_abbreviation,
                  g.home_team_name, g.away_team_abbreviation, g.away_team_name, g.venue,
                  g.status_name, g.status_state, g.completed, g.updated_at,
                  gs.observed_at as "gs_observed_at?", gs.status_name as "gs_status_name",
                  gs.status_state as "gs_status_state", gs.completed as "gs_completed",
                  gs.status_detail as "gs_status_detail", gs.period as "gs_period",
                  gs.clock_seconds as "gs_clock_seconds", gs.display_clock as "gs_display_clock",
                  gs.home_score as "gs_home_score", gs.away_score as "gs_away_score",
                  gs.possession_team_id as "gs_possession_team_id", gs.down as "gs_down",
                  gs.distance as "gs_distance", gs.yard_line as "gs_yard_line",
                  gs.is_red_zone as "gs_is_red_zone", gs.home_timeouts as "gs_home_timeouts",
                  gs.away_timeouts as "gs_away_timeouts",
                  gs.last_play_text as "gs_last_play_text",
                  gs.home_win_probability as "gs_home_win_probability",
                  gs.away_win_probability as "gs_away_win_probability",
                  gs.tie_probability as "gs_tie_probability",
                  gs.win_probability_source as "gs_win_probability_source"
           from games g
           left join game_states gs
             on gs.espn_event_id = g.espn_event_id and gs.observed_at = g.last_state_at
           where g.espn_event_id = $1"#,
        id
    )
    .fetch_optional(&state.pool)
    .await?
    .map(|row| Json(Game::from(row)))
    .ok_or_else(|| ApiError::not_found(format!("no game {id}")))
}
