//! The linker's reads and writes. Inputs are read in bulk (one query per table for a whole batch
//! of events), the rows are written with one upsert per chunk that skips rows whose content did
//! not change, so a relink with nothing new rewrites nothing.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use super::matcher::{
    AliasBook, AliasRow, GameFacts, GameIndex, LearnedAlias, LinkRow, MarketFacts, MilestoneFacts,
    MATCHER_VERSION,
};
use crate::domain::eastern_date;
use crate::domain::MarketKind;

mod write;
pub use write::*;

/// A game series: its league and what its markets are.
#[derive(Debug, Clone)]
pub struct GameSeries {
    pub league: String,
    pub kind: MarketKind,
}

pub async fn game_series(pool: &PgPool) -> Result<HashMap<String, GameSeries>, sqlx::Error> {
    // language=PostgreSQL
    let rows = sqlx::query!("select series_ticker, league, kind from game_series")
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let series = GameSeries {
                league: row.league,
                // The CHECK constraint allows only the four spellings.
                kind: row.kind.parse().unwrap_or(MarketKind::Other),
            };
            (row.series_ticker, series)
        })
        .collect())
}

/// The watermark `key` in `linker_state`.
pub async fn watermark(pool: &PgPool, key: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    // language=PostgreSQL
    sqlx::query_scalar!("select at from linker_state where key = $1", key)
        .fetch_optional(pool)
        .await
}

pub async fn set_watermark(pool: &PgPool, key: &str, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    // language=PostgreSQL
    sqlx::query!(
        "insert into linker_state (key, at) values ($1, $2)
         on conflict (key) do update set at = excluded.at, updated_at = now()",
        key,
        at,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The event tickers to (re)link: every game-series event when `since` is `None`, otherwise the
/// events whose markets, series, milestones, aliases or nearby games changed after `since`.
pub async fn events_to_link(
    pool: &PgPool,
    since: Option<DateTime<Utc>>,
    makeup_window_days: i64,
) -> Result<Vec<String>, sqlx::Error> {
    // language=PostgreSQL
    let rows: Vec<Option<String>> = sqlx::query_scalar!(
        "with gs as (select series_ticker from game_series)
         select distinct event_ticker from (
             -- New or changed markets (a market's updated_at moves only when its facts change).
             select m.event_ticker
               from markets m
              where ($1::timestamptz is null or m.updated_at > $1)
                and coalesce(m.series_ticker, split_part(m.event_ticker, '-', 1)) in (select series_ticker from gs)
             union all
             -- A series discovered or reclassified: all of its markets.
             select m.event_ticker
               from game_series s join markets m on m.series_ticker = s.series_ticker
              where $1 is not null and s.updated_at > $1
             union all
             -- Games that changed (new, moved, postponed, final): links of that league whose
             -- ticker date is within the makeup window before the game, or a day after it.
             select l.event_ticker
               from (select distinct league, scheduled_start from games
                      where $1 is not null and updated_at > $1 and scheduled_start is not null) g
               join game_links l on l.league = g.league
                and l.event_date between (g.scheduled_start at time zone 'America/New_York')::date - $2::int
                                     and (g.scheduled_start at time zone 'America/New_York')::date + 1
             union all
             -- Aliases an operator (or a migration) changed: the whole league.
             select l.event_ticker
               from (select distinct league from team_aliases
                      where $1 is not null and updated_at > $1 and source <> 'learned') a
               join game_links l on l.league = a.league
             union all
             select unnest(primary_event_tickers)
               from kalshi_milestones
              where $1 is not null and updated_at > $1
         ) changed
         order by event_ticker",
        since,
        makeup_window_days as i32,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().flatten().collect())
}

/// The markets of `events`, grouped by event.
pub async fn markets_of(
    pool: &PgPool,
    events: &[String],
) -> Result<HashMap<String, Vec<MarketFacts>>, sqlx::Error> {
    // language=PostgreSQL
    let rows = sqlx::query!(
        "select ticker, event_ticker, status, result, floor_strike, raw -> 'custom_strike' as custom_strike,
                first_seen_at, determined_at
           from markets where event_ticker = any($1)
          order by event_ticker, ticker",
        events,
    )
    .fetch_all(pool)
    .await?;
    let mut by_event: HashMap<String, Vec<MarketFacts>> = HashMap::new();
    for row in rows {
        by_event
            .entry(row.event_ticker)
            .or_default()
            .push(MarketFacts {
                ticker: row.ticker,
                status: row.status,
                result: row.result,
                floor_strike: row.floor_strike,
                custom_strike: row.custom_strike.filter(|v: &Value| !v.is_null()),
                first_seen_at: row.first_seen_at,
                determined_at: row.determined_at,
            });
    }
    Ok(by_event)
}

/// The milestone of each event (the most recently updated one when Kalshi lists several).
pub async fn milestones_of(
    pool: &PgPool,
    events: &[String],
) -> Result<HashMap<String, MilestoneFacts>, sqlx::Error> {
    // language=PostgreSQL
    let rows = sqlx::query!(
        r#"select e.event_ticker as "event_ticker!", m.id, m.start_date,
                  coalesce(m.details, 'null'::jsonb) as "details!"
             from unnest($1::text[]) as e(event_ticker)
             join lateral (select * from kalshi_milestones k
                            where k.primary_event_tickers @> array[e.event_ticker]
                            order by k.last_updated_ts desc nulls last, k.id limit 1) m on true"#,
        events,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let milestone = MilestoneFacts {
                id: row.id,
                start_date: row.start_date,
                details: row.details,
            };
            (row.event_ticker, milestone)
        })
        .collect())
}

/// Every Kalshi alias row and every ESPN abbreviation seen in `leagues`.
pub async fn alias_book(pool: &PgPool, leagues: &[String]) -> Result<AliasBook, sqlx::Error> {
    let mut book = AliasBook::default();
    // language=PostgreSQL
    let rows = sqlx::query!(
        "select provider, league, code, espn_team_id, valid_from, valid_until, source, created_at
           from team_aliases where provider in ('kalshi', 'kalshi_target') and league = any($1)",
        leagues,
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        if row.provider == "kalshi_target" {
            book.add_target(&row.league, &row.code, &row.espn_team_id);
            continue;
        }
        book.add_row(
            &row.league,
            &row.code,
            AliasRow {
                espn_team_id: row.espn_team_id,
                valid_from: row.valid_from,
                valid_until: row.valid_until,
                source: row.source,
                created_at: row.created_at,
            },
        );
    }
    // language=PostgreSQL
    let rows = sqlx::query!(
        r#"select distinct league as "league!", abbreviation as "abbreviation!", team_id as "team_id!" from (
             select league, home_team_abbreviation as abbreviation, home_team_id as team_id from games where league = any($1)
             union all
             select league, away_team_abbreviation, away_team_id from games where league = any($1)
         ) t where abbreviation is not null and team_id is not null"#,
        leagues,
    )
    .fetch_all(pool)
    .await?;
    for row in rows {
        book.add_abbreviation(&row.league, &row.abbreviation, &row.team_id);
    }
    Ok(book)
}

/// The games of `leagues` starting in `[from, until)`, with the final score when there is one.
pub async fn games_between(
    pool: &PgPool,
    leagues: &[String],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<GameIndex, sqlx::Error> {
    // language=PostgreSQL
    // The where clause makes both team ids non-null; the left join makes the state's columns
    // nullable.
    let rows = sqlx::query!(
        r#"select g.espn_event_id, g.league, g.scheduled_start, g.home_team_id as "home_team_id!",
                g.away_team_id as "away_team_id!", g.home_team_abbreviation, g.away_team_abbreviation,
                g.neutral_site, g.status_name, g.completed, g.first_seen_at,
                s.home_score as "home_score?", s.away_score as "away_score?", s.observed_at as "state_at?"
           from games g
           left join game_states s on s.espn_event_id = g.espn_event_id and s.observed_at = g.last_state_at
          where g.league = any($1) and g.scheduled_start >= $2 and g.scheduled_start < $3
            and g.home_team_id is not null and g.away_team_id is not null"#,
        leagues,
        from,
        until,
    )
    .fetch_all(pool)
    .await?;
    let mut index = GameIndex::default();
    for row in rows {
        let completed = row.completed;
        index.insert(GameFacts {
            espn_event_id: row.espn_event_id,
            league: row.league,
            scheduled_start: row.scheduled_start,
            et_date: row.scheduled_start.map(eastern_date),
            home_team_id: row.home_team_id,
            away_team_id: row.away_team_id,
            home_abbreviation: row.home_team_abbreviation,
            away_abbreviation: row.away_team_abbreviation,
            neutral_site: row.neutral_site,
            status_name: row.status_name,
            completed,
            home_score: row.home_score,
            away_score: row.away_score,
            first_seen_at: row.first_seen_at,
            final_seen_at: row.state_at.filter(|_| completed == Some(true)),
        });
    }
    Ok(index)
}
