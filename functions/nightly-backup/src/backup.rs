//! Backup: every table streamed with `COPY … TO STDOUT` (text format, which every type reads
//! back exactly), zstd-compressed on the fly and uploaded in parts, one object per table or per
//! day of a time-series table. Each finished object gets a small `.meta.json` beside it, so an
//! invocation that runs out of time leaves a backup the next one resumes; the manifest is
//! written last, and only a backup with a manifest counts.

use std::io::Write;
use std::time::Duration;

use anyhow::{bail, Context};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::Serialize;
use sqlx::{Connection, PgConnection, PgPool};

use crate::catalog::{self, Table};
use crate::decimal;
use crate::hash::{self, RowHasher};
use crate::manifest::{self, Chunk, Manifest, ObjectEntry, ParquetEntry, Started, TableEntry};
use crate::parquet_day;
use crate::retention::{self, Policy};
use crate::storage::{Storage, MIN_PART_BYTES};
use crate::training;
use crate::Settings;

/// An incomplete backup younger than this is resumed; an older one is abandoned (and deleted by
/// retention once a newer backup completes).
pub const RESUME_WINDOW: Duration = Duration::from_secs(20 * 3600);

#[derive(Debug, Default, Serialize)]
pub struct BackupReport {
    pub backup: String,
    pub resumed: bool,
    /// Whether the manifest was written; `false` means the deadline came first and the next
    /// invocation continues.
    pub complete: bool,
    pub objects_written: u64,
    pub objects_reused: u64,
    pub objects_pending: u64,
    pub rows: u64,
    pub raw_bytes: u64,
    pub stored_bytes: u64,
    pub tables: usize,
    pub retention_deleted: Vec<String>,
}

/// Stops starting new objects when less than this fraction of the budget is left, keeping time
/// for the object in flight and the manifest.
fn reserve(remaining: Duration) -> Duration {
    (remaining / 10).clamp(Duration::from_secs(2), Duration::from_secs(90))
}

pub async fn run(
    pool: &PgPool,
    storage: &Storage,
    settings: &Settings,
    deadline: tokio::time::Instant,
    resume_only: bool,
    on_rows: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<BackupReport> {
    let mut conn = pool.acquire().await.context("connecting to the source")?;
    let migrations = catalog::migrations(&mut conn).await?;
    let now = Utc::now();
    let (started, resumed) = match resumable(storage, &migrations, now).await? {
        Some(started) => (started, true),
        None if resume_only => {
            tracing::info!("no unfinished backup to resume");
            return Ok(BackupReport::default());
        }
        None => {
            let started = Started {
                id: manifest::new_id(now),
                started_at: now,
                migrations: migrations.clone(),
            };
            storage
                .put(
                    &manifest::started_key(&started.id),
                    Bytes::from(serde_json::to_vec_pretty(&started)?),
                )
                .await?;
            (started, false)
        }
    };
    let id = started.id.clone();
    tracing::info!(backup = %id, resumed, "backup starting");
    let existing: std::collections::HashSet<String> = storage
        .list(&manifest::backup_dir(&id))
        .await?
        .into_iter()
        .collect();

    // One snapshot for everything this invocation reads.
    let mut tx = conn.begin().await?;
    sqlx::query!("set transaction isolation level repeatable read, read only")
        .execute(&mut *tx)
        .await?;
    // Fixed text forms: timestamptz in UTC (`+00`), ISO dates. Values restore the same either
    // way; fixing them makes the objects and Parquet timestamps independent of server settings.
    sqlx::query!("set local timezone = 'UTC'")
        .execute(&mut *tx)
        .await?;
    sqlx::query!("set local datestyle = 'ISO, MDY'")
        .execute(&mut *tx)
        .await?;
    let tables = catalog::tables(&mut tx).await?;
    let mut report = BackupReport {
        backup: id.clone(),
        resumed,
        tables: tables.len(),
        ..Default::default()
    };
    let mut entries = Vec::new();
    let mut pending = 0u64;
    let reserve = reserve(deadline.saturating_duration_since(tokio::time::Instant::now()));
    for table in &tables {
        let mut objects = Vec::new();
        for chunk in catalog::days(&mut tx, table).await? {
            let key = object_key(&id, &table.name, chunk);
            let meta_key = manifest::meta_key(&key);
            if existing.contains(&meta_key) {
                if let Some(meta) = storage.get(&meta_key).await? {
                    if let Ok(entry) = serde_json::from_slice::<ObjectEntry>(&meta) {
                        if entry.key == key {
                            report.objects_reused += 1;
                            objects.push(entry);
                            continue;
                        }
                    }
                }
            }
            if deadline.saturating_duration_since(tokio::time::Instant::now()) < reserve {
                pending += 1;
                continue;
            }
            let entry = write_object(&mut tx, storage, settings, table, chunk, key).await?;
            storage
                .put(&meta_key, Bytes::from(serde_json::to_vec(&entry)?))
                .await?;
            on_rows(entry.rows);
            report.objects_written += 1;
            objects.push(entry);
        }
        entries.push(table_entry(table, objects));
    }
    // The training frames are small and rewritten whole: only the invocation that completes the
    // backup writes them, in the same snapshot as the objects.
    let mut training = if settings.parquet && pending == 0 {
        training::write_all(&mut tx, storage, settings, &id, &tables).await?
    } else {
        Vec::new()
    };
    if settings.parquet && pending == 0 {
        training.extend(crate::training_history::write(&mut tx, storage, settings, &id).await?);
    }
    let sequences = catalog::sequences(&mut tx).await?;
    let server_version = catalog::server_version(&mut tx).await?;
    let timescaledb = catalog::timescaledb_version(&mut tx).await?;
    tx.commit().await?;

    report.objects_pending = pending;
    report.rows = entries.iter().map(|t| t.rows).sum();
    report.raw_bytes = entries
        .iter()
        .flat_map(|t| &t.objects)
        .map(|o| o.raw_bytes)
        .sum();
    report.stored_bytes = entries
        .iter()
        .flat_map(|t| &t.objects)
        .map(|o| o.bytes)
        .sum();
    if pending > 0 {
        tracing::info!(backup = %id, pending, "deadline near: the next invocation resumes");
        return Ok(report);
    }
    if migrations != started.migrations {
        bail!(
            "the schema changed during backup {id} (migrations applied meanwhile); the next run starts a new backup"
        );
    }
    let manifest = Manifest {
        format: manifest::FORMAT,
        id: id.clone(),
        started_at: started.started_at,
        finished_at: Utc::now(),
        migrations,
        server_version,
        timescaledb,
        tables: entries,
        sequences,
        training,
    };
    storage
        .put(
            &manifest::manifest_key(&id),
            Bytes::from(serde_json::to_vec_pretty(&manifest)?),
        )
        .await
        .context("writing the manifest")?;
    report.complete = true;
    tracing::info!(backup = %id, rows = report.rows, "backup complete");
    report.retention_deleted = apply_retention(storage, &settings.retention).await?;
    Ok(report)
}

fn table_entry(table: &Table, objects: Vec<ObjectEntry>) -> TableEntry {
    TableEntry {
        name: table.name.clone(),
        columns: table.columns.clone(),
        chunk_column: table.chunk_column.clone(),
        rows: objects.iter().map(|o| o.rows).sum(),
        content_hash: hash::combine(objects.iter().map(|o| o.content_hash.as_str())),
        objects,
    }
}

pub fn object_key(id: &str, table: &str, chunk: Chunk) -> String {
    match chunk {
        Chunk::All => format!("backups/{id}/tables/{table}.copy.zst"),
        other => format!("backups/{id}/tables/{table}/{}.copy.zst", other.label()),
    }
}

/// The newest incomplete backup worth resuming: younger than the window, newer than the newest
/// complete one, and taken at the same schema version.
async fn resumable(
    storage: &Storage,
    migrations: &[i64],
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Started>> {
    let listing = retention::list_backups(storage).await?;
    let newest_complete = listing.iter().filter(|b| b.complete).map(|b| &b.id).max();
    let Some(candidate) = listing
        .iter()
        .filter(|b| !b.complete && Some(&b.id) > newest_complete)
        .max_by(|a, b| a.id.cmp(&b.id))
    else {
        return Ok(None);
    };
    let Some(raw) = storage.get(&manifest::started_key(&candidate.id)).await? else {
        return Ok(None);
    };
    let Ok(started) = serde_json::from_slice::<Started>(&raw) else {
        return Ok(None);
    };
    let young = (now - started.started_at)
        .to_std()
        .is_ok_and(|age| age < RESUME_WINDOW);
    Ok((young && started.migrations == migrations).then_some(started))
}

/// Compressed bytes collected before they are passed to the object's part buffer.
const ENCODER_FLUSH_BYTES: usize = 1 << 20;

/// Streams one table or day: COPY text → row hash → zstd → parts of the object.
async fn write_object(
    conn: &mut PgConnection,
    storage: &Storage,
    settings: &Settings,
    table: &Table,
    chunk: Chunk,
    key: String,
) -> anyhow::Result<ObjectEntry> {
    let parquet_sort = match chunk {
        Chunk::Day(_) if settings.parquet => parquet_day::sort_column(table),
        _ => None,
    };
    let sql = match parquet_sort {
        Some(first) => table.copy_out_sql_ordered(chunk, first),
        None => table.copy_out_sql(chunk),
    };
    // The DECIMAL type of each NUMERIC column, from the day's own values (same snapshot); a value
    // no DECIMAL holds exactly stops the backup here, before anything is uploaded.
    let decimals = match parquet_sort {
        Some(_) => {
            let source = format!(
                "{} where {}",
                catalog::ident(&table.name),
                table.chunk_filter(chunk)
            );
            decimal::shapes(conn, &table.columns, &source)
                .await
                .with_context(|| format!("the Parquet file of {key}"))?
        }
        None => Vec::new(),
    };
    let mut writer = storage.writer(&key, settings.part_bytes).await?;
    let mut parquet = match parquet_sort {
        Some(_) => {
            let parquet_key = format!(
                "backups/{}/parquet/{}/{}.parquet",
                key.split('/').nth(1).unwrap_or_default(),
                table.name,
                chunk.label()
            );
            let day = parquet_day::DayWriter::new(&table.columns, &decimals, settings.zstd_level)?;
            // Parquet files are a fraction of the COPY object: the smallest part S3 allows keeps
            // the second part buffer small.
            let object = storage.writer(&parquet_key, MIN_PART_BYTES).await?;
            Some((parquet_key, day, object))
        }
        None => None,
    };
    let result = async {
        let mut hasher = RowHasher::default();
        let mut encoder = zstd::stream::write::Encoder::new(
            Vec::with_capacity(2 * ENCODER_FLUSH_BYTES),
            settings.zstd_level,
        )?;
        let mut stream = conn.copy_out_raw(&sql).await?;
        while let Some(data) = stream.try_next().await? {
            hasher.update(&data);
            encoder.write_all(&data)?;
            // Hand compressed bytes on in small pieces: the writer holds the one part buffer.
            if encoder.get_ref().len() >= ENCODER_FLUSH_BYTES {
                writer.write(encoder.get_ref()).await?;
                encoder.get_mut().clear();
            }
            if let Some((_, day, object)) = &mut parquet {
                let bytes = day.update(&data)?;
                if !bytes.is_empty() {
                    object.write(&bytes).await?;
                }
            }
        }
        drop(stream);
        let rest = encoder.finish()?;
        writer.write(&rest).await?;
        anyhow::Ok(hasher)
    }
    .await;
    let hasher = match result {
        Ok(hasher) => hasher,
        Err(e) => {
            writer.abort().await;
            if let Some((_, _, object)) = parquet {
                object.abort().await;
            }
            return Err(e.context(format!("backing up {key}")));
        }
    };
    let parquet = match parquet {
        Some((parquet_key, day, mut object)) => {
            let rows = day.rows();
            let tail = day.finish()?;
            object.write(&tail).await?;
            let stored = object.finish().await?;
            Some(ParquetEntry {
                key: parquet_key,
                rows,
                bytes: stored.bytes,
                sha256: stored.sha256,
            })
        }
        None => None,
    };
    let stored = writer.finish().await?;
    Ok(ObjectEntry {
        key,
        table: table.name.clone(),
        chunk,
        rows: hasher.rows(),
        raw_bytes: hasher.bytes(),
        bytes: stored.bytes,
        sha256: stored.sha256,
        content_hash: hasher.hex(),
        parquet,
    })
}

/// Deletes the backups the policy no longer keeps; only ever called after a backup completed,
/// so a newer complete backup always exists when anything is deleted.
pub async fn apply_retention(storage: &Storage, policy: &Policy) -> anyhow::Result<Vec<String>> {
    let listing = retention::list_backups(storage).await?;
    let doomed = retention::to_delete(&listing, policy);
    for id in &doomed {
        // The manifest goes first: a half-deleted backup must never look complete.
        storage.delete(&[manifest::manifest_key(id)]).await?;
        let keys = storage.list(&manifest::backup_dir(id)).await?;
        storage.delete(&keys).await?;
        tracing::info!(backup = %id, objects = keys.len(), "retention deleted a backup");
    }
    Ok(doomed)
}
