//! The database: one pool per process, the embedded migrations, and small repository modules.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::config::DatabaseUrl;

/// Kalshi's catalog: series, events, markets.
pub mod catalog;
/// ESPN games and their change-only states.
pub mod games;
/// Kalshi's printed trades and candlesticks (backfill-kalshi) and the crawl's watermarks.
pub mod history;
/// Markets and their snapshots: upserts, change-only snapshots with a heartbeat.
pub mod markets;
/// Upstream records that did not parse, kept raw.
pub mod rejects;
/// The `collection_runs` ledger and the per-function advisory lock.
pub mod runs;
/// A market payload split into quote, catalog body and leftovers, as snapshots store it.
pub mod snapshot_split;
/// Sports history (load-history): historical games, odds and Elo.
pub mod sports_history;

/// Every migration under `migrations/`, embedded at compile time (see `build.rs`).
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Builds the process's pool without connecting: a cold start pays for a connection only when
/// the first query needs one. Functions are short and mostly sequential, so a few connections do.
pub fn lazy_pool(url: &DatabaseUrl, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.expose().parse()?;
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(options.application_name("precog")))
}

/// Applies pending migrations; returns how many were applied.
pub async fn migrate(pool: &PgPool) -> Result<usize, sqlx::migrate::MigrateError> {
    let before = applied_count(pool).await;
    MIGRATOR.run(pool).await?;
    Ok(applied_count(pool).await.saturating_sub(before))
}

async fn applied_count(pool: &PgPool) -> usize {
    let exists =
        sqlx::query_scalar!(r#"select to_regclass('_sqlx_migrations') is not null as "exists!""#)
            .fetch_one(pool)
            .await
            .unwrap_or(false);
    if !exists {
        return 0;
    }
    sqlx::query_scalar!(r#"select count(*) as "count!" from _sqlx_migrations where success"#)
        .fetch_one(pool)
        .await
        .map(|n| usize::try_from(n).unwrap_or(0))
        .unwrap_or(0)
}
