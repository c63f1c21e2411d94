//! Sports history beside the training frames (issue 14): per ESPN event that load-history knows,
//! each side's pre-game Elo and the closing line, from the `historical_game_context` view
//! (migration `20261201000500_sports_history.sql`), as one Parquet file
//! `parquet/training/game_context.parquet`. A model joins it to the per-league frames on
//! `espn_event_id`. Kept apart from `training.rs` so the frame query stays as it is.

use anyhow::Context;
use sqlx::PgConnection;

use crate::manifest::{Column, ParquetEntry};
use crate::storage::Storage;
use crate::Settings;

/// The view's columns, in order, with their PostgreSQL types.
pub const COLUMNS: &[(&str, &str)] = &[
    ("espn_event_id", "text"),
    ("league", "text"),
    ("season", "integer"),
    ("game_date", "date"),
    ("historical_game_id", "bigint"),
    ("home_elo_pre", "numeric"),
    ("away_elo_pre", "numeric"),
    ("elo_source", "text"),
    ("line_provider", "text"),
    ("home_spread", "numeric"),
    ("total", "numeric"),
    ("home_moneyline", "numeric"),
    ("away_moneyline", "numeric"),
];

pub fn key(backup_id: &str) -> String {
    format!("backups/{backup_id}/parquet/training/game_context.parquet")
}

/// Writes the file when the view exists and has rows; `None` otherwise.
pub async fn write(
    conn: &mut PgConnection,
    storage: &Storage,
    settings: &Settings,
    backup_id: &str,
) -> anyhow::Result<Option<ParquetEntry>> {
    // Built at run time: the view is absent from databases older than its migration.
    let present: bool = sqlx::query_scalar(
        "select to_regclass('historical_game_context') is not null
            and exists (select 1 from historical_games where espn_event_id is not null)",
    )
    .fetch_one(&mut *conn)
    .await
    .context("looking for historical_game_context")?;
    if !present {
        return Ok(None);
    }
    let key = key(backup_id);
    let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
    let sql = format!(
        "select {} from historical_game_context order by league, game_date, espn_event_id",
        names.join(", ")
    );
    let columns: Vec<Column> = COLUMNS
        .iter()
        .map(|(name, type_name)| Column {
            name: (*name).to_owned(),
            type_name: (*type_name).to_owned(),
        })
        .collect();
    crate::training::write_query(conn, storage, settings, key, &sql, &columns)
        .await
        .map(Some)
}
