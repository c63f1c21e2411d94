//! ESPN games and their observed states. Games are upserted when a fact changed (a postponed game
//! gets a new date); a state is stored only when it differs from the game's latest stored state,
//! which `games.last_state_at` points at so the comparison needs no history scan.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, Row};

use crate::domain::{EspnEventId, Game, GameState, Status, WinProbability};

/// What one store call changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// Games inserted or with a changed fact.
    pub games: u64,
    /// New `game_states` rows.
    pub states: u64,
}

/// Upserts the games and stores each state that changed, all observed at `observed_at`. Run it
/// inside a transaction so a pass's league lands whole or not at all.
pub async fn store(
    conn: &mut PgConnection,
    observed_at: DateTime<Utc>,
    items: &[(Game, GameState)],
) -> Result<Stored, sqlx::Error> {
    let ids: Vec<&str> = items
        .iter()
        .map(|(g, _)| g.espn_event_id.as_str())
        .collect();
    let previous = latest_states(conn, &ids).await?;
    let mut stored = Stored::default();
    for (game, state) in items {
        stored.games += upsert_game(conn, game, &state.status).await?;
        let changed = previous
            .get(&game.espn_event_id)
            .is_none_or(|before| !before.same_as(state));
        if changed {
            stored.states += insert_state(conn, observed_at, state).await?;
        }
    }
    Ok(stored)
}

async fn upsert_game(
    conn: &mut PgConnection,
    game: &Game,
    status: &Status,
) -> Result<u64, sqlx::Error> {
    // language=PostgreSQL
    let result = sqlx::query(
        "insert into games (espn_event_id, league, season, season_type, week, scheduled_start,
                            name, short_name, home_team_id, home_team_abbreviation, home_team_name,
                            away_team_id, away_team_abbreviation, away_team_name, venue, neutral_site,
                            status_type_id, status_name, status_state, completed)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
         on conflict (espn_event_id) do update
            set league = excluded.league, season = excluded.season,
                season_type = excluded.season_type, week = excluded.week,
                scheduled_start = excluded.scheduled_start, name = excluded.name,
                short_name = excluded.short_name, home_team_id = excluded.home_team_id,
                home_team_abbreviation = excluded.home_team_abbreviation,
                home_team_name = excluded.home_team_name, away_team_id = excluded.away_team_id,
                away_team_abbreviation = excluded.away_team_abbreviation,
                away_team_name = excluded.away_team_name, venue = excluded.venue,
                neutral_site = excluded.neutral_site, status_type_id = excluded.status_type_id,
                status_name = excluded.status_name, status_state = excluded.status_state,
                completed = excluded.completed, updated_at = now()
          where (games.league, games.season, games.season_type, games.week, games.scheduled_start,
                 games.name, games.short_name, games.home_team_id, games.home_team_abbreviation,
                 games.home_team_name, games.away_team_id, games.away_team_abbreviation,
                 games.away_team_name, games.venue, games.neutral_site, games.status_type_id,
                 games.status_name, games.status_state, games.completed)
                is distinct from
                (excluded.league, excluded.season, excluded.season_type, excluded.week,
                 excluded.scheduled_start, excluded.name, excluded.short_name,
                 excluded.home_team_id, excluded.home_team_abbreviation, excluded.home_team_name,
                 excluded.away_team_id, excluded.away_team_abbreviation, excluded.away_team_name,
                 excluded.venue, excluded.neutral_site, excluded.status_type_id,
                 excluded.status_name, excluded.status_state, excluded.completed)",
    )
    .bind(&game.espn_event_id)
    .bind(&game.league)
    .bind(game.season)
    .bind(game.season_type)
    .bind(game.week)
    .bind(game.scheduled_start)
    .bind(&game.name)
    .bind(&game.short_name)
    .bind(&game.home.id)
    .bind(&game.home.abbreviation)
    .bind(&game.home.name)
    .bind(&game.away.id)
    .bind(&game.away.abbreviation)
    .bind(&game.away.name)
    .bind(&game.venue)
    .bind(game.neutral_site)
    .bind(&status.type_id)
    .bind(&status.name)
    .bind(&status.state)
    .bind(status.completed)
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

async fn insert_state(
    conn: &mut PgConnection,
    observed_at: DateTime<Utc>,
    state: &GameState,
) -> Result<u64, sqlx::Error> {
    let wp = state.win_probability.as_ref();
    // language=PostgreSQL
    let result = sqlx::query(
        "with inserted as (
             insert into game_states (espn_event_id, observed_at, status_type_id, status_name,
                 status_state, completed, status_detail, period, clock_seconds, display_clock,
                 home_score, away_score, possession_team_id, down, distance, yard_line, is_red_zone,
                 home_timeouts, away_timeouts, last_play_id, last_play_text, home_win_probability,
                 away_win_probability, tie_probability, win_probability_source, raw)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                     $18, $19, $20, $21, $22, $23, $24, $25, $26)
             on conflict (espn_event_id, observed_at) do nothing
             returning espn_event_id, observed_at)
         update games set last_state_at = inserted.observed_at
           from inserted
          where games.espn_event_id = inserted.espn_event_id
            and (games.last_state_at is null or games.last_state_at < inserted.observed_at)
         returning 1",
    )
    .bind(&state.espn_event_id)
    .bind(observed_at)
    .bind(&state.status.type_id)
    .bind(&state.status.name)
    .bind(&state.status.state)
    .bind(state.status.completed)
    .bind(&state.status.detail)
    .bind(state.period)
    .bind(state.clock_seconds)
    .bind(&state.display_clock)
    .bind(state.home_score)
    .bind(state.away_score)
    .bind(&state.possession_team_id)
    .bind(state.down)
    .bind(state.distance)
    .bind(state.yard_line)
    .bind(state.is_red_zone)
    .bind(state.home_timeouts)
    .bind(state.away_timeouts)
    .bind(&state.last_play_id)
    .bind(&state.last_play_text)
    .bind(wp.and_then(|w| w.home))
    .bind(wp.and_then(|w| w.away))
    .bind(wp.and_then(|w| w.tie))
    .bind(wp.map(|w| w.source))
    .bind(&state.raw)
    .fetch_all(conn)
    .await?;
    Ok(result.len() as u64)
}

/// The latest stored state of each game, through `games.last_state_at`.
async fn latest_states(
    conn: &mut PgConnection,
    ids: &[&str],
) -> Result<HashMap<EspnEventId, GameState>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // language=PostgreSQL
    let rows = sqlx::query(
        "select s.* from games g
           join game_states s on s.espn_event_id = g.espn_event_id and s.observed_at = g.last_state_at
          where g.espn_event_id = any($1)",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?;
    let mut states = HashMap::with_capacity(rows.len());
    for row in rows {
        let source: Option<String> = row.try_get("win_probability_source")?;
        let state = GameState {
            espn_event_id: row.try_get("espn_event_id")?,
            status: Status {
                type_id: row.try_get("status_type_id")?,
                name: row.try_get("status_name")?,
                state: row.try_get("status_state")?,
                completed: row.try_get("completed")?,
                detail: row.try_get("status_detail")?,
            },
            period: row.try_get("period")?,
            clock_seconds: row.try_get::<Option<Decimal>, _>("clock_seconds")?,
            display_clock: row.try_get("display_clock")?,
            home_score: row.try_get("home_score")?,
            away_score: row.try_get("away_score")?,
            possession_team_id: row.try_get("possession_team_id")?,
            down: row.try_get("down")?,
            distance: row.try_get("distance")?,
            yard_line: row.try_get("yard_line")?,
            is_red_zone: row.try_get("is_red_zone")?,
            home_timeouts: row.try_get("home_timeouts")?,
            away_timeouts: row.try_get("away_timeouts")?,
            last_play_id: row.try_get("last_play_id")?,
            last_play_text: row.try_get("last_play_text")?,
            win_probability: source
                .map(|source| -> Result<_, sqlx::Error> {
                    Ok(WinProbability {
                        home: row.try_get("home_win_probability")?,
                        away: row.try_get("away_win_probability")?,
                        tie: row.try_get("tie_probability")?,
                        source: if source == "summary" {
                            "summary"
                        } else {
                            "scoreboard"
                        },
                    })
                })
                .transpose()?,
            raw: serde_json::Value::Null,
        };
        states.insert(state.espn_event_id.clone(), state);
    }
    Ok(states)
}

/// Whether `league` has a game filed under an earlier US-Eastern day that is still live: late
/// games run past midnight ET and stay on their start day's scoreboard.
pub async fn live_before(
    conn: &mut PgConnection,
    league: &str,
    starts_before: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    // language=PostgreSQL
    sqlx::query_scalar(
        "select exists(select 1 from games
                        where league = $1 and status_state = 'in'
                          and scheduled_start < $2 and scheduled_start > $2 - interval '1 day')",
    )
    .bind(league)
    .bind(starts_before)
    .fetch_one(conn)
    .await
}

/// Start of a US-Eastern day in UTC, approximated at the later (EST) offset: a game that started
/// in the first hour of the day in summer is then also treated as "earlier", which only costs
/// one extra scoreboard call.
pub fn eastern_day_start(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(5, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default()
}
