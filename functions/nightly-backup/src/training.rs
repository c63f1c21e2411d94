//! The training export (issue 10 §3): per league and UTC day, every game state joined with its
//! home and away moneyline markets' YES quotes as of that state, as one Parquet file next to the
//! per-day files: `parquet/training/<sport>-<league>/<YYYY-MM-DD>.parquet`. This is the frame a
//! user pulls down to train a model on "game state → market price".
//!
//! The join follows `game_timeline` (migration `20261201000110_asof.sql`): the latest snapshot at
//! or before the state (never a later one; equal counts), null when older than
//! [`MAX_QUOTE_AGE`], and only links whose `knowable_at` is at or before the state. It is written
//! out here rather than called so the backfill filter can be added: states loaded after the fact
//! from ESPN summaries say `source = 'backfill'` (migration `20261201000350`), and are left out
//! unless the backup's event says `"training_include_backfilled": true` (or the deployment sets
//! `BACKUP_TRAINING_INCLUDE_BACKFILLED`): a model must not learn from probabilities nobody saw
//! live. NUMERIC columns are Parquet DECIMAL as in the per-day files (see [`crate::decimal`]).

use anyhow::Context;
use chrono::{Duration, NaiveDate, NaiveTime};
use futures::TryStreamExt;
use sqlx::PgConnection;

use crate::catalog::Table;
use crate::decimal;
use crate::manifest::{Column, ParquetEntry};
use crate::parquet_day::DayWriter;
use crate::storage::{Storage, MIN_PART_BYTES};
use crate::Settings;

/// A quote older than this at a state is not used: collect-kalshi stores an unchanged market at
/// least every 60 minutes, so an older latest snapshot means collection had stopped.
pub const MAX_QUOTE_AGE: &str = "65 minutes";

/// The frame's columns, in order, with their PostgreSQL types (which pick the Parquet types).
pub const COLUMNS: &[(&str, &str)] = &[
    ("espn_event_id", "text"),
    ("league", "text"),
    ("observed_at", "timestamp with time zone"),
    ("status_state", "text"),
    ("status_detail", "text"),
    ("period", "integer"),
    ("clock_seconds", "numeric"),
    ("display_clock", "text"),
    ("home_score", "integer"),
    ("away_score", "integer"),
    ("possession_team_id", "text"),
    ("down", "integer"),
    ("distance", "integer"),
    ("yard_line", "integer"),
    ("is_red_zone", "boolean"),
    ("home_timeouts", "integer"),
    ("away_timeouts", "integer"),
    ("home_win_probability", "numeric"),
    ("away_win_probability", "numeric"),
    ("tie_probability", "numeric"),
    ("home_ticker", "text"),
    ("home_yes_bid", "numeric"),
    ("home_yes_ask", "numeric"),
    ("home_quote_age_seconds", "numeric"),
    ("away_ticker", "text"),
    ("away_yes_bid", "numeric"),
    ("away_yes_ask", "numeric"),
    ("away_quote_age_seconds", "numeric"),
];

/// Where a league's day goes under the backup: `football/nfl` → `football-nfl`.
pub fn key(backup_id: &str, league: &str, day: NaiveDate) -> String {
    let league: String = league
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("backups/{backup_id}/parquet/training/{league}/{day}.parquet")
}

/// A SQL string literal (the values come from our own tables; quoted all the same).
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The frame of one league's day: the states of its games observed that UTC day, oldest first
/// within each game; its column names are [`COLUMNS`]'. Built at run time: COPY takes no parameters, and the backfill filter depends
/// on the schema.
pub fn frame_sql(league: &str, day: NaiveDate, exclude_backfill: bool) -> String {
    let start = day.and_time(NaiveTime::MIN).and_utc();
    let end = start + Duration::days(1);
    let backfill = if exclude_backfill {
        "and s.source is distinct from 'backfill'"
    } else {
        ""
    };
    // Each game's home and away moneyline (the first by ticker), then one as-of probe each.
    let link = |side: &str| {
        format!(
            "{side}_link as (
                 select distinct on (l.espn_event_id) l.espn_event_id, l.ticker, l.knowable_at
                   from game_links l
                  where l.kind = 'moneyline' and l.yes_side = '{side}'
                    and l.status in ('matched', 'verified')
                  order by l.espn_event_id, l.ticker)"
        )
    };
    let quote = |side: &str| {
        format!(
            "left join {side}_link {side} on {side}.espn_event_id = s.espn_event_id
                                     and {side}.knowable_at <= s.observed_at
             left join lateral (
                 select ms.observed_at, ms.yes_bid, ms.yes_ask
                   from market_snapshots ms
                  where ms.ticker = {side}.ticker
                    and ms.observed_at <= s.observed_at
                    and ms.observed_at >= s.observed_at - interval '{MAX_QUOTE_AGE}'
                  order by ms.observed_at desc, ms.source desc
                  limit 1) {side}_q on true"
        )
    };
    format!(
        "with {home_link}, {away_link}
         select s.espn_event_id, g.league, s.observed_at, s.status_state, s.status_detail,
                s.period, s.clock_seconds, s.display_clock, s.home_score, s.away_score,
                s.possession_team_id, s.down, s.distance, s.yard_line, s.is_red_zone,
                s.home_timeouts, s.away_timeouts, s.home_win_probability,
                s.away_win_probability, s.tie_probability,
                home.ticker as home_ticker, home_q.yes_bid as home_yes_bid,
                home_q.yes_ask as home_yes_ask,
                extract(epoch from s.observed_at - home_q.observed_at) as home_quote_age_seconds,
                away.ticker as away_ticker, away_q.yes_bid as away_yes_bid,
                away_q.yes_ask as away_yes_ask,
                extract(epoch from s.observed_at - away_q.observed_at) as away_quote_age_seconds
           from games g
           join game_states s on s.espn_event_id = g.espn_event_id
           {home}
           {away}
          where g.league = {league}
            and s.observed_at >= {start} and s.observed_at < {end}
            {backfill}
          order by s.espn_event_id, s.observed_at",
        home_link = link("home"),
        away_link = link("away"),
        home = quote("home"),
        away = quote("away"),
        league = literal(league),
        start = literal(&start.to_rfc3339()),
        end = literal(&end.to_rfc3339()),
    )
}

/// The leagues and UTC days that have game states (the backfilled ones aside, when excluded).
pub async fn league_days(
    conn: &mut PgConnection,
    exclude_backfill: bool,
) -> sqlx::Result<Vec<(String, NaiveDate)>> {
    let filter = if exclude_backfill {
        "where s.source is distinct from 'backfill'"
    } else {
        ""
    };
    // Built at run time: the filter depends on whether the column exists.
    sqlx::query_as(&format!(
        "select g.league, (s.observed_at at time zone 'UTC')::date as day
           from game_states s join games g on g.espn_event_id = s.espn_event_id
           {filter}
          group by 1, 2 order by 1, 2"
    ))
    .fetch_all(conn)
    .await
}

/// Whether the export can run here: the tables it reads exist.
pub fn applies(tables: &[Table]) -> bool {
    ["game_states", "games", "game_links", "market_snapshots"]
        .iter()
        .all(|name| tables.iter().any(|t| t.name == *name))
}

/// Whether backfilled states are left out: when `game_states` marks them (a `source` column,
/// there since migration `20261201000350`) and neither the event nor the settings ask for them
/// (the handler folds the event's ask into `settings`).
pub fn excludes_backfill(tables: &[Table], settings: &Settings) -> bool {
    let has_source = tables
        .iter()
        .find(|t| t.name == "game_states")
        .is_some_and(|t| t.columns.iter().any(|c| c.name == "source"));
    has_source && !settings.training_include_backfilled
}

/// The frame's columns as the Parquet writer takes them.
pub fn columns() -> Vec<Column> {
    COLUMNS
        .iter()
        .map(|(name, type_name)| Column {
            name: (*name).to_owned(),
            type_name: (*type_name).to_owned(),
        })
        .collect()
}

/// Writes every league-day's frame; returns their entries for the manifest. Runs inside the
/// backup's snapshot transaction, so the frames agree with the COPY objects.
pub async fn write_all(
    conn: &mut PgConnection,
    storage: &Storage,
    settings: &Settings,
    backup_id: &str,
    tables: &[Table],
) -> anyhow::Result<Vec<ParquetEntry>> {
    if !applies(tables) {
        return Ok(Vec::new());
    }
    let exclude_backfill = excludes_backfill(tables, settings);
    let mut entries = Vec::new();
    for (league, day) in league_days(conn, exclude_backfill).await? {
        entries.push(
            write_frame(
                conn,
                storage,
                settings,
                backup_id,
                &league,
                day,
                exclude_backfill,
            )
            .await?,
        );
    }
    Ok(entries)
}

/// One league-day's frame: the DECIMAL types from the frame's own values, then the frame
/// streamed through COPY into Parquet and uploaded as it is encoded.
pub async fn write_frame(
    conn: &mut PgConnection,
    storage: &Storage,
    settings: &Settings,
    backup_id: &str,
    league: &str,
    day: NaiveDate,
    exclude_backfill: bool,
) -> anyhow::Result<ParquetEntry> {
    let key = key(backup_id, league, day);
    let sql = frame_sql(league, day, exclude_backfill);
    write_query(conn, storage, settings, key, &sql, &columns())
        .await
        .map_err(|e| e.context("writing the training frame"))
}

/// Streams `sql`'s rows (whose columns are `columns`) through COPY into one Parquet object at
/// `key`: DECIMAL types from the rows' own values, uploaded as it is encoded, aborted on failure.
pub async fn write_query(
    conn: &mut PgConnection,
    storage: &Storage,
    settings: &Settings,
    key: String,
    sql: &str,
    columns: &[Column],
) -> anyhow::Result<ParquetEntry> {
    let context = || format!("writing {key}");
    let decimals = decimal::shapes(conn, columns, &format!("({sql}) frame"))
        .await
        .with_context(context)?;
    let mut frame = DayWriter::new(columns, &decimals, settings.zstd_level)?;
    let mut object = storage.writer(&key, MIN_PART_BYTES).await?;
    let streamed = async {
        let mut stream = conn
            .copy_out_raw(&format!("copy ({sql}) to stdout"))
            .await?;
        while let Some(data) = stream.try_next().await? {
            let bytes = frame.update(&data)?;
            if !bytes.is_empty() {
                object.write(&bytes).await?;
            }
        }
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = streamed {
        object.abort().await;
        return Err(e.context(context()));
    }
    let rows = frame.rows();
    object.write(&frame.finish()?).await?;
    let stored = object.finish().await?;
    Ok(ParquetEntry {
        key,
        rows,
        bytes: stored.bytes,
        sha256: stored.sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_put_each_league_in_its_folder() {
        let day = NaiveDate::from_ymd_opt(2026, 9, 13).expect("date");
        assert_eq!(
            key("20260914T030000Z", "football/college-football", day),
            "backups/20260914T030000Z/parquet/training/football-college-football/2026-09-13.parquet"
        );
    }

    #[test]
    fn the_backfill_filter_is_there_only_when_asked() {
        let day = NaiveDate::from_ymd_opt(2026, 9, 13).expect("date");
        assert!(frame_sql("football/nfl", day, true).contains("'backfill'"));
        assert!(!frame_sql("football/nfl", day, false).contains("'backfill'"));
        assert!(frame_sql("it's", day, false).contains("'it''s'"));
    }
}
