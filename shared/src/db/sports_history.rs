//! `historical_games`, `historical_odds` and `historical_elo` (migration
//! `20261201000500_sports_history.sql`). Every write is an upsert on the natural key guarded by
//! `is distinct from`, so re-loading an unchanged file rewrites nothing and the counts returned
//! are rows that really changed.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use crate::domain::sports_history::{Alias, EloRow, GameSource, HistoricalGame, OddsLine};

/// One league's team aliases (every provider), plus ESPN's own abbreviations from `games` as
/// provider `espn` rows where the seed has none.
pub async fn aliases(pool: &PgPool, league: &str) -> Result<Vec<Alias>, sqlx::Error> {
    // language=PostgreSQL
    let rows = sqlx::query!(
        r#"select provider as "provider!", code as "code!", espn_team_id as "espn_team_id!",
                  valid_from, valid_until
             from team_aliases where league = $1
           union all
           select distinct 'espn', t.abbreviation, t.id, null::date, null::date
             from (select home_team_abbreviation as abbreviation, home_team_id as id
                     from games where league = $1
                   union
                   select away_team_abbreviation, away_team_id from games where league = $1) t
            where t.abbreviation is not null and t.id is not null
              and not exists (select 1 from team_aliases a
                               where a.provider = 'espn' and a.league = $1 and a.code = t.abbreviation)
           order by 1, 2, 4 nulls first"#,
        league
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Alias {
            provider: r.provider,
            code: r.code,
            espn_team_id: r.espn_team_id,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
        })
        .collect())
}

/// Upserts games (one source, one league per call); returns how many rows were inserted or
/// changed, and every game's row id by source game id.
pub async fn upsert_games(
    conn: &mut PgConnection,
    games: &[HistoricalGame],
) -> Result<(u64, HashMap<String, i64>), sqlx::Error> {
    let Some(first) = games.first() else {
        return Ok((0, HashMap::new()));
    };
    let league = first.league.clone();
    let source = first.source.as_str();
    let ids: Vec<&str> = games.iter().map(|g| g.source_game_id.as_str()).collect();
    let seasons: Vec<i32> = games.iter().map(|g| g.season).collect();
    let season_types: Vec<Option<&str>> = games.iter().map(|g| g.season_type.as_deref()).collect();
    let weeks: Vec<Option<i32>> = games.iter().map(|g| g.week).collect();
    let playoffs: Vec<bool> = games.iter().map(|g| g.playoff).collect();
    let dates: Vec<NaiveDate> = games.iter().map(|g| g.game_date).collect();
    let numbers: Vec<i16> = games.iter().map(|g| g.game_number).collect();
    let starts: Vec<Option<DateTime<Utc>>> = games.iter().map(|g| g.scheduled_start).collect();
    let neutrals: Vec<Option<bool>> = games.iter().map(|g| g.neutral).collect();
    let home_codes: Vec<&str> = games.iter().map(|g| g.home.code.as_str()).collect();
    let away_codes: Vec<&str> = games.iter().map(|g| g.away.code.as_str()).collect();
    let home_ids: Vec<Option<&str>> = games
        .iter()
        .map(|g| g.home.espn_team_id.as_deref())
        .collect();
    let away_ids: Vec<Option<&str>> = games
        .iter()
        .map(|g| g.away.espn_team_id.as_deref())
        .collect();
    let home_scores: Vec<Option<i32>> = games.iter().map(|g| g.home_score).collect();
    let away_scores: Vec<Option<i32>> = games.iter().map(|g| g.away_score).collect();
    let events: Vec<Option<&str>> = games.iter().map(|g| g.espn_event_id.as_deref()).collect();
    let raws: Vec<String> = games.iter().map(|g| g.raw.to_string()).collect();
    // language=PostgreSQL
    let written = sqlx::query!(
        "insert into historical_games
                (league, source, source_game_id, season, season_type, week, playoff, game_date,
                 game_number, scheduled_start, neutral, home_team_code, away_team_code,
                 home_team_id, away_team_id, home_score, away_score, espn_event_id, raw, raw_md5)
         select $1, $2, b.id, b.season, b.season_type, b.week, b.playoff, b.game_date,
                b.game_number, b.scheduled_start, b.neutral, b.home_code, b.away_code,
                b.home_id, b.away_id, b.home_score, b.away_score, b.espn_event_id,
                b.raw::jsonb, md5(b.raw::jsonb::text)
           from unnest($3::text[], $4::int[], $5::text[], $6::int[], $7::bool[], $8::date[],
                       $9::smallint[], $10::timestamptz[], $11::bool[], $12::text[], $13::text[],
                       $14::text[], $15::text[], $16::int[], $17::int[], $18::text[], $19::text[])
                as b(id, season, season_type, week, playoff, game_date, game_number,
                     scheduled_start, neutral, home_code, away_code, home_id, away_id,
                     home_score, away_score, espn_event_id, raw)
         on conflict (league, source, source_game_id) do update
            set season = excluded.season, season_type = excluded.season_type,
                week = excluded.week, playoff = excluded.playoff,
                game_date = excluded.game_date, game_number = excluded.game_number,
                scheduled_start = excluded.scheduled_start, neutral = excluded.neutral,
                home_team_code = excluded.home_team_code, away_team_code = excluded.away_team_code,
                home_team_id = excluded.home_team_id, away_team_id = excluded.away_team_id,
                home_score = excluded.home_score, away_score = excluded.away_score,
                espn_event_id = excluded.espn_event_id, raw = excluded.raw,
                raw_md5 = excluded.raw_md5, updated_at = now()
          where historical_games.raw_md5 is distinct from excluded.raw_md5
             or historical_games.game_number is distinct from excluded.game_number
             or historical_games.home_team_id is distinct from excluded.home_team_id
             or historical_games.away_team_id is distinct from excluded.away_team_id",
        league,
        source,
        &ids as _,
        &seasons,
        &season_types as _,
        &weeks as _,
        &playoffs,
        &dates,
        &numbers,
        &starts as _,
        &neutrals as _,
        &home_codes as _,
        &away_codes as _,
        &home_ids as _,
        &away_ids as _,
        &home_scores as _,
        &away_scores as _,
        &events as _,
        &raws,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // language=PostgreSQL
    let rows = sqlx::query!(
        "select id, source_game_id from historical_games
          where league = $1 and source = $2 and source_game_id = any($3)",
        league,
        source,
        &ids as _,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok((
        written,
        rows.into_iter().map(|r| (r.source_game_id, r.id)).collect(),
    ))
}

/// Upserts lines; each is `(historical game id, line)`. Returns rows inserted or changed.
pub async fn upsert_odds(
    conn: &mut PgConnection,
    source: GameSource,
    lines: &[(i64, OddsLine)],
) -> Result<u64, sqlx::Error> {
    if lines.is_empty() {
        return Ok(0);
    }
    let games: Vec<i64> = lines.iter().map(|(g, _)| *g).collect();
    let providers: Vec<&str> = lines.iter().map(|(_, l)| l.provider.as_str()).collect();
    let markets: Vec<&str> = lines.iter().map(|(_, l)| l.market.as_str()).collect();
    let sides: Vec<&str> = lines.iter().map(|(_, l)| l.side.as_str()).collect();
    let phases: Vec<&str> = lines.iter().map(|(_, l)| l.phase.as_str()).collect();
    let values: Vec<Option<Decimal>> = lines.iter().map(|(_, l)| l.line).collect();
    let prices: Vec<Option<Decimal>> = lines.iter().map(|(_, l)| l.price).collect();
    let flags: Vec<Option<&str>> = lines.iter().map(|(_, l)| l.flag.as_deref()).collect();
    let raws: Vec<Option<String>> = lines
        .iter()
        .map(|(_, l)| l.raw.as_ref().map(|r| r.to_string()))
        .collect();
    // language=PostgreSQL
    let result = sqlx::query!(
        "insert into historical_odds
                (historical_game_id, provider, market, side, phase, line, price, flagged,
                 flag_reason, source, raw)
         select b.game, b.provider, b.market, b.side, b.phase, b.line, b.price,
                b.flag is not null, b.flag, $1, b.raw::jsonb
           from unnest($2::int8[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::numeric[], $8::numeric[], $9::text[], $10::text[])
                as b(game, provider, market, side, phase, line, price, flag, raw)
         on conflict (historical_game_id, provider, market, side, phase) do update
            set line = excluded.line, price = excluded.price, flagged = excluded.flagged,
                flag_reason = excluded.flag_reason, source = excluded.source,
                raw = excluded.raw, updated_at = now()
          where (historical_odds.line, historical_odds.price, historical_odds.flag_reason,
                 historical_odds.raw)
                is distinct from (excluded.line, excluded.price, excluded.flag_reason, excluded.raw)",
        source.as_str(),
        &games,
        &providers as _,
        &markets as _,
        &sides as _,
        &phases as _,
        &values as _,
        &prices as _,
        &flags as _,
        &raws as _,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// Which ratings an Elo row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EloSource {
    /// FiveThirtyEight's published values.
    Fivethirtyeight,
    /// Our computation from `historical_games`.
    Computed,
}

impl EloSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fivethirtyeight => "fivethirtyeight",
            Self::Computed => "computed",
        }
    }
}

/// Upserts Elo rows; each is `(row, its historical game id)`. `params` is stored with computed
/// rows. Returns rows inserted or changed.
pub async fn upsert_elo(
    conn: &mut PgConnection,
    source: EloSource,
    params: Option<&serde_json::Value>,
    rows: &[(EloRow, Option<i64>)],
) -> Result<u64, sqlx::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let leagues: Vec<&str> = rows.iter().map(|(r, _)| r.league.as_str()).collect();
    let seasons: Vec<i32> = rows.iter().map(|(r, _)| r.season).collect();
    let dates: Vec<NaiveDate> = rows.iter().map(|(r, _)| r.game_date).collect();
    let numbers: Vec<i16> = rows.iter().map(|(r, _)| r.game_number).collect();
    let keys: Vec<&str> = rows.iter().map(|(r, _)| r.team.key()).collect();
    let codes: Vec<&str> = rows.iter().map(|(r, _)| r.team.code.as_str()).collect();
    let opponents: Vec<&str> = rows.iter().map(|(r, _)| r.opponent_key.as_str()).collect();
    let homes: Vec<Option<bool>> = rows.iter().map(|(r, _)| r.is_home).collect();
    let pres: Vec<Decimal> = rows.iter().map(|(r, _)| r.elo_pre).collect();
    let posts: Vec<Option<Decimal>> = rows.iter().map(|(r, _)| r.elo_post).collect();
    let probs: Vec<Option<Decimal>> = rows.iter().map(|(r, _)| r.win_probability).collect();
    let games: Vec<Option<i64>> = rows.iter().map(|(_, g)| *g).collect();
    // language=PostgreSQL
    let result = sqlx::query!(
        "insert into historical_elo
                (league, source, season, game_date, game_number, team_key, team_code,
                 opponent_key, is_home, elo_pre, elo_post, win_probability, historical_game_id,
                 params)
         select b.league, $1, b.season, b.game_date, b.game_number, b.team_key, b.team_code,
                b.opponent_key, b.is_home, b.elo_pre, b.elo_post, b.win_probability, b.game,
                $2::jsonb
           from unnest($3::text[], $4::int[], $5::date[], $6::smallint[], $7::text[],
                       $8::text[], $9::text[], $10::bool[], $11::numeric[], $12::numeric[],
                       $13::numeric[], $14::int8[])
                as b(league, season, game_date, game_number, team_key, team_code, opponent_key,
                     is_home, elo_pre, elo_post, win_probability, game)
         on conflict (league, source, team_key, game_date, game_number) do update
            set season = excluded.season, team_code = excluded.team_code,
                opponent_key = excluded.opponent_key, is_home = excluded.is_home,
                elo_pre = excluded.elo_pre, elo_post = excluded.elo_post,
                win_probability = excluded.win_probability,
                historical_game_id = excluded.historical_game_id, params = excluded.params,
                updated_at = now()
          where (historical_elo.season, historical_elo.team_code, historical_elo.opponent_key,
                 historical_elo.is_home, historical_elo.elo_pre, historical_elo.elo_post,
                 historical_elo.win_probability, historical_elo.historical_game_id,
                 historical_elo.params)
                is distinct from
                (excluded.season, excluded.team_code, excluded.opponent_key, excluded.is_home,
                 excluded.elo_pre, excluded.elo_post, excluded.win_probability,
                 excluded.historical_game_id, excluded.params)",
        source.as_str(),
        params,
        &leagues as _,
        &seasons,
        &dates,
        &numbers,
        &keys as _,
        &codes as _,
        &opponents as _,
        &homes as _,
        &pres,
        &posts as _,
        &probs as _,
        &games as _,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// A game the Elo computation rates.
#[derive(Debug, Clone)]
pub struct EloInput {
    pub id: i64,
    pub season: i32,
    pub game_date: NaiveDate,
    pub game_number: i16,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub home_code: String,
    pub home_id: Option<String>,
    pub away_code: String,
    pub away_id: Option<String>,
    pub neutral: Option<bool>,
    pub home_score: Option<i32>,
    pub away_score: Option<i32>,
}

/// The games of `league` in `seasons`, one per real game (the same game from several sources
/// is taken from the preferred source: nflverse, ESPN schedules, CBBD, then 538's copy), in the
/// order they were played.
pub async fn elo_inputs(
    pool: &PgPool,
    league: &str,
    seasons: &[i32],
) -> Result<Vec<EloInput>, sqlx::Error> {
    // language=PostgreSQL
    let rows = sqlx::query_as!(
        EloInput,
        r#"select id as "id!", season as "season!", game_date as "game_date!",
                  game_number as "game_number!", scheduled_start,
                  home_team_code as "home_code!", home_team_id as home_id,
                  away_team_code as "away_code!", away_team_id as away_id,
                  neutral, home_score, away_score
             from (select distinct on (g.game_date, coalesce(g.home_team_id, g.home_team_code),
                                       coalesce(g.away_team_id, g.away_team_code), g.game_number)
                          g.*
                     from historical_games g
                    where g.league = $1 and g.season = any($2)
                    order by g.game_date, coalesce(g.home_team_id, g.home_team_code),
                             coalesce(g.away_team_id, g.away_team_code), g.game_number,
                             case g.source when 'nflverse' then 0 when 'espn_schedule' then 1
                                           when 'cbbd' then 2 else 3 end) one
            order by season, game_date, game_number, scheduled_start nulls first, id"#,
        league,
        seasons,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// Each team's last rating before `season` (published where both exist on the same date), to
/// start a computation from.
pub async fn ratings_before(
    pool: &PgPool,
    league: &str,
    season: i32,
) -> Result<Vec<(String, Decimal, i32)>, sqlx::Error> {
    // language=PostgreSQL
    let rows = sqlx::query!(
        r#"select distinct on (team_key) team_key, elo_post as "elo_post!", season
             from historical_elo
            where league = $1 and season < $2 and elo_post is not null
            order by team_key, game_date desc, game_number desc,
                     (source = 'fivethirtyeight') desc"#,
        league,
        season,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.team_key, r.elo_post, r.season))
        .collect())
}

/// How far computed ratings are from 538's where both exist for `seasons`: the mean absolute
/// difference of pre-game ratings and how many team-games were compared.
pub async fn computed_vs_published(
    pool: &PgPool,
    league: &str,
    seasons: &[i32],
) -> Result<(Option<Decimal>, i64), sqlx::Error> {
    // language=PostgreSQL
    let row = sqlx::query!(
        r#"select avg(abs(c.elo_pre - f.elo_pre)) as mae, count(*) as "n!"
             from historical_elo c
             join historical_elo f
               on f.league = c.league and f.source = 'fivethirtyeight'
              and f.team_key = c.team_key and f.game_date = c.game_date
              and f.game_number = c.game_number
            where c.league = $1 and c.source = 'computed' and c.season = any($2)"#,
        league,
        seasons,
    )
    .fetch_one(pool)
    .await?;
    Ok((row.mae, row.n))
}

/// How many of a league's games from `source` carry an ESPN event id that is in `games`.
pub async fn linked_games(
    pool: &PgPool,
    league: &str,
    source: GameSource,
) -> Result<u64, sqlx::Error> {
    // language=PostgreSQL
    let n = sqlx::query_scalar!(
        r#"select count(*) as "n!" from historical_games h
            where h.league = $1 and h.source = $2
              and exists (select 1 from games g where g.espn_event_id = h.espn_event_id)"#,
        league,
        source.as_str(),
    )
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}
