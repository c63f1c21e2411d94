//! One game's state history.

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};

use super::GameState;
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{identifier, Page, Params};

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
    // language=PostgreSQL
    let exists = sqlx::query_scalar!(
        r#"select exists(select 1 from games where espn_event_id = $1) as "exists!""#,
        id
    )
    .fetch_one(&state.pool)
    .await?;
    if !exists {
        return Err(ApiError::not_found(format!("no game {id}")));
    }
    // language=PostgreSQL
    let states = sqlx::query_as!(
        GameState,
        r#"select observed_at, status_name, status_state, completed, status_detail, period,
                  clock_seconds, display_clock, home_score, away_score, possession_team_id,
                  down, distance, yard_line, is_red_zone, home_timeouts, away_timeouts,
                  last_play_text, home_win_probability, away_win_probability, tie_probability,
                  win_probability_source
           from game_states
           where espn_event_id = $1
             and ($2::timestamptz is null or observed_at >= $2)
             and ($3::timestamptz is null or observed_at < $3)
             and ($4::timestamptz is null or observed_at > $4)
           order by observed_at limit $5"#,
        id,
        start,
        end,
        after,
        limit + 1
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page::from_rows("game_states", states, limit, |s| {
        s.observed_at
    })))
}
