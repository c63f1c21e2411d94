//! ESPN games and their observed states. Games are upserted when a fact changed (a postponed game
//! gets a new date); a state is stored only when it differs from the game's latest stored state,
//! which `games.last_state_at` points at so the comparison needs no history scan. Whether it
//! differs is decided in SQL the way market snapshots are (see `insert_state_if_changed`).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::{Game, GameState, Status};

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
    let mut stored = Stored::default();
    for (game, state) in items {
        stored.games += upsert_game(conn, game, &state.status).await?;
        stored.states += insert_state_if_changed(conn, observed_at, state).await?;
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

/// Stores `state` unless the game's latest stored state already holds every value it would
/// store (the raw payload aside: odds and leaders churn there without the game moving), and
/// points `games.last_state_at` at it. The candidate row's columns are named like the table's
/// and compared as one JSON object, so a column added to the insert is compared without
/// another edit; no hand-kept field list can fall behind.
async fn insert_state_if_changed(
    conn: &mut PgConnection,
    observed_at: DateTime<Utc>,
    state: &GameState,
) -> Result<u64, sqlx::Error> {
    let wp = state.win_probability.as_ref();
    // language=PostgreSQL
    let result = sqlx::query(
        "with candidate as (
             select $1::text as espn_event_id, $3::text as status_type_id, $4::text as status_name,
                    $5::text as status_state, $6::bool as completed, $7::text as status_detail,
                    $8::int4 as period, $9::numeric as clock_seconds, $10::text as display_clock,
                    $11::int4 as home_score, $12::int4 as away_score,
                    $13::text as possession_team_id, $14::int4 as down, $15::int4 as distance,
                    $16::int4 as yard_line, $17::bool as is_red_zone, $18::int4 as home_timeouts,
                    $19::int4 as away_timeouts, $20::text as last_play_id,
                    $21::text as last_play_text, $22::numeric as home_win_probability,
                    $23::numeric as away_win_probability, $24::numeric as tie_probability,
                    $25::text as win_probability_source, $26::jsonb as raw
         ),
         inserted as (
             insert into game_states (espn_event_id, observed_at, status_type_id, status_name,
                 status_state, completed, status_detail, period, clock_seconds, display_clock,
                 home_score, away_score, possession_team_id, down, distance, yard_line, is_red_zone,
                 home_timeouts, away_timeouts, last_play_id, last_play_text, home_win_probability,
                 away_win_probability, tie_probability, win_probability_source, raw)
             select c.espn_event_id, $2, c.status_type_id, c.status_name, c.status_state,
                    c.completed, c.status_detail, c.period, c.clock_seconds, c.display_clock,
                    c.home_score, c.away_score, c.possession_team_id, c.down, c.distance,
                    c.yard_line, c.is_red_zone, c.home_timeouts, c.away_timeouts, c.last_play_id,
                    c.last_play_text, c.home_win_probability, c.away_win_probability,
                    c.tie_probability, c.win_probability_source, c.raw
               from candidate c
               left join games g on g.espn_event_id = c.espn_event_id
               left join game_states s
                      on s.espn_event_id = g.espn_event_id and s.observed_at = g.last_state_at
              where s.espn_event_id is null
                 or not to_jsonb(s) @> (to_jsonb(c) - 'raw')
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
