//! Times the training export (README "nightly-backup" → "Training export"): every league-day
//! frame of the database at `DATABASE_URL`, written to a temporary folder, as the nightly backup
//! writes them (one snapshot transaction, Parquet with DECIMAL columns). Prints the frames, rows,
//! seconds and megabytes. `scripts/bench-timeline.sh` seeds a busy day and runs this.
//!
//!   DATABASE_URL=postgres://… [BENCH_DAY=2026-11-15] cargo bench -p nightly-backup --bench training

use std::time::Instant;

use anyhow::Context;
use nightly_backup::retention::Policy;
use nightly_backup::storage::{Location, Storage};
use nightly_backup::{catalog, training, Settings};
use sqlx::Connection;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL names the database to read")?;
    // BENCH_DAY=2026-11-15: only that UTC day's frames (the default: every day, as a backup).
    let only_day: Option<chrono::NaiveDate> = match std::env::var("BENCH_DAY") {
        Ok(day) => Some(day.parse().context("BENCH_DAY is YYYY-MM-DD")?),
        Err(_) => None,
    };
    let folder = std::env::temp_dir().join(format!("precog-training-bench-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    let location = Location::Folder(folder.clone());
    let settings = Settings {
        location: location.clone(),
        zstd_level: 3,
        part_bytes: 8 << 20,
        retention: Policy::default(),
        parquet: true,
        training_include_backfilled: false,
    };
    let storage = Storage::open(&location).await;
    let mut conn = sqlx::PgConnection::connect(&url).await?;
    let started = Instant::now();
    let mut tx = conn.begin().await?;
    sqlx::query("set transaction isolation level repeatable read, read only")
        .execute(&mut *tx)
        .await?;
    sqlx::query("set local timezone = 'UTC'")
        .execute(&mut *tx)
        .await?;
    let tables = catalog::tables(&mut tx).await?;
    let exclude = training::excludes_backfill(&tables, &settings);
    let mut frames = Vec::new();
    for (league, day) in training::league_days(&mut tx, exclude).await? {
        if only_day.is_some_and(|only| only != day) {
            continue;
        }
        frames.push(
            training::write_frame(&mut tx, &storage, &settings, "bench", &league, day, exclude)
                .await?,
        );
    }
    tx.commit().await?;
    let seconds = started.elapsed().as_secs_f64();
    for frame in &frames {
        println!(
            "{}: {} rows, {:.2} MB",
            frame.key,
            frame.rows,
            frame.bytes as f64 / 1e6
        );
    }
    let rows: u64 = frames.iter().map(|f| f.rows).sum();
    let bytes: u64 = frames.iter().map(|f| f.bytes).sum();
    println!(
        "training export: {} frames, {rows} rows, {seconds:.2} s, {:.2} MB",
        frames.len(),
        bytes as f64 / 1e6
    );
    std::fs::remove_dir_all(&folder)?;
    Ok(())
}
