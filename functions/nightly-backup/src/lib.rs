//! `nightly-backup`: streams every table of the database to S3 (or a folder) as zstd-compressed
//! COPY text with a manifest written last; restores a backup into a local PostgreSQL (fresh or
//! incremental); verifies the latest backup by restoring it into a scratch database.
#![forbid(unsafe_code)]

/// Backup: objects per table or day, resumable, manifest last, then retention.
pub mod backup;
/// Tables, columns, chunk days, sequences and foreign keys, read from the catalog.
pub mod catalog;
/// NUMERIC as Parquet DECIMAL: the type each column needs, exact values or an error.
pub mod decimal;
/// The event a schedule or a person sends.
mod event;
/// Row counts and an order-independent content hash over COPY text.
pub mod hash;
/// The manifest and the layout of a backup's objects.
pub mod manifest;
/// Per-day Parquet files of the time-series tables, for training.
pub mod parquet_day;
/// Restore and training sync.
pub mod restore;
/// Which backups to keep.
pub mod retention;
/// S3 or a local folder behind one type.
pub mod storage;
/// The training export: game states with their markets' quotes as of each, per league and day.
pub mod training;
/// Sports history beside the training frames: pre-game Elo and closing lines per ESPN event.
pub mod training_history;
/// Restore into a scratch database and compare.
pub mod verify;

use anyhow::Context;
use precog::config::{ConfigError, Env};
use precog::runner::{Function, NoArgs, Run, Setup};
use sqlx::{Connection, PgPool};
use tokio::sync::OnceCell;

pub use event::{BackupEvent, Mode};
use retention::Policy;
use storage::{Location, Storage};

/// Settings read once from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BACKUP_URL`: `s3://bucket/prefix` or `file:///path`.
    pub location: Location,
    /// `BACKUP_ZSTD_LEVEL` (default 3): higher is smaller and slower.
    pub zstd_level: i32,
    /// `BACKUP_PART_MIB` (default 8, at least 5): multipart part size, and the memory per stream.
    pub part_bytes: usize,
    /// `BACKUP_KEEP_DAILY` / `_WEEKLY` / `_MONTHLY` (7 / 4 / 12).
    pub retention: Policy,
    /// `BACKUP_PARQUET` (default true): per-day Parquet files of the time-series tables, and
    /// the training frames.
    pub parquet: bool,
    /// `BACKUP_TRAINING_INCLUDE_BACKFILLED` (default false): keep game states marked as
    /// backfilled in the training frames.
    pub training_include_backfilled: bool,
}

impl Settings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let raw = env.required("BACKUP_URL")?;
        let location = Location::parse(&raw).map_err(|e| ConfigError::new("BACKUP_URL", e))?;
        let zstd_level: i32 = env.parse_within("BACKUP_ZSTD_LEVEL", 3, 1..=19)?;
        let part_mib: usize = env.parse_within("BACKUP_PART_MIB", 8, 5..=512)?;
        let retention = Policy {
            daily: env.parse_or("BACKUP_KEEP_DAILY", 7)?,
            weekly: env.parse_or("BACKUP_KEEP_WEEKLY", 4)?,
            monthly: env.parse_or("BACKUP_KEEP_MONTHLY", 12)?,
        };
        if retention.daily == 0 {
            return Err(ConfigError::new("BACKUP_KEEP_DAILY", "must be at least 1"));
        }
        Ok(Self {
            location,
            zstd_level,
            part_bytes: part_mib * 1024 * 1024,
            retention,
            parquet: env.parse_or("BACKUP_PARQUET", true)?,
            training_include_backfilled: env
                .parse_or("BACKUP_TRAINING_INCLUDE_BACKFILLED", false)?,
        })
    }
}

pub struct NightlyBackup {
    pool: PgPool,
    settings: Settings,
    /// The S3 client needs an async load of the AWS configuration: made on first use, then
    /// kept for the process like the pool.
    storage: OnceCell<Storage>,
}

impl NightlyBackup {
    pub fn new(pool: PgPool, settings: Settings) -> Self {
        Self {
            pool,
            settings,
            storage: OnceCell::new(),
        }
    }

    pub fn build(setup: Setup<NoArgs>) -> Result<Self, ConfigError> {
        Ok(Self::new(setup.pool, Settings::from_env(&setup.env)?))
    }

    async fn storage(&self) -> &Storage {
        self.storage
            .get_or_init(|| Box::pin(Storage::open(&self.settings.location)))
            .await
    }
}

/// What an invocation reports (the `summary` column of its `collection_runs` row).
#[derive(Debug, serde::Serialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum Details {
    Backup(backup::BackupReport),
    Restore(restore::RestoreReport),
    Verify(verify::VerifyReport),
}

impl Function for NightlyBackup {
    const NAME: &'static str = "nightly-backup";
    const DEFAULT_MAX_SECONDS: u64 = 870;
    type Event = BackupEvent;
    type Details = Details;

    /// Backups never overlap each other; a verify or a restore may run beside a backup.
    fn lock_key(event: &BackupEvent) -> String {
        match event.mode {
            Mode::Backup => Self::NAME.to_owned(),
            Mode::Restore => format!("{}/restore", Self::NAME),
            Mode::Verify => format!("{}/verify", Self::NAME),
        }
    }

    async fn handle(&self, event: BackupEvent, run: &Run) -> anyhow::Result<Details> {
        let storage = self.storage().await;
        match event.mode {
            Mode::Backup => {
                // Boxed: the three modes' futures are large, and nesting them inline overflows
                // the compiler's layout depth in the runner's future.
                // The event may ask for backfilled game states in the training export; the
                // setting is the deployment's default.
                let settings = Settings {
                    training_include_backfilled: self.settings.training_include_backfilled
                        || event.training_include_backfilled,
                    ..self.settings.clone()
                };
                let report = Box::pin(backup::run(
                    &self.pool,
                    storage,
                    &settings,
                    run.deadline(),
                    event.resume_only,
                    &|rows| run.add_written(rows),
                ))
                .await?;
                Ok(Details::Backup(report))
            }
            Mode::Restore => {
                let url = event
                    .target_database_url
                    .as_deref()
                    .context("target_database_url is required")?;
                let options: sqlx::postgres::PgConnectOptions =
                    url.parse().context("target_database_url")?;
                let manifest = restore::load_manifest(storage, event.backup.as_deref()).await?;
                let mut target = sqlx::PgConnection::connect_with(&options)
                    .await
                    .context("connecting to target_database_url")?;
                let report = Box::pin(restore::restore(
                    storage,
                    &manifest,
                    &mut target,
                    restore::Options {
                        allow_non_empty: event.allow_non_empty,
                        progress: true,
                        index_build_memory: true,
                    },
                ))
                .await?;
                run.add_written(report.rows_loaded);
                target.close().await.ok();
                Ok(Details::Restore(report))
            }
            Mode::Verify => {
                let report =
                    Box::pin(verify::run(&self.pool, storage, event.backup.as_deref())).await?;
                Ok(Details::Verify(report))
            }
        }
    }
}
