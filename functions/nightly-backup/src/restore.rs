//! Restore and training sync: a backup's objects loaded into a PostgreSQL database, every
//! object's SHA-256 and row count checked as it streams, all of it in one transaction so a
//! failure leaves the target as it was (never a half-restored table).
//!
//! The target remembers what it holds in `precog_restore_state` (table, chunk, SHA-256). A later
//! restore into the same database loads only the chunks whose checksum changed (after deleting
//! that chunk's rows), and deletes chunks the backup no longer has: an incremental sync without
//! duplicates. A database that has data but no such table was not made by a restore, and is
//! refused unless the caller says otherwise.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

use anyhow::{bail, Context};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::migrate::Migrator;
use sqlx::{Connection, PgConnection};

use crate::catalog::{self, ident, Table, RESTORE_STATE_TABLE};
use crate::hash::RowHasher;
use crate::manifest::{self, Chunk, Manifest, ObjectEntry};
use crate::retention;
use crate::storage::Storage;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Load into a database that has rows but was not created by a restore.
    pub allow_non_empty: bool,
    /// Draw a progress bar on stderr (only shown when stderr is a terminal).
    pub progress: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct RestoreReport {
    pub backup: String,
    /// `fresh` (an empty database) or `incremental` (one a restore made before).
    pub kind: &'static str,
    pub objects_loaded: u64,
    pub objects_unchanged: u64,
    pub chunks_removed: u64,
    pub rows_loaded: u64,
    pub raw_bytes_loaded: u64,
}

/// The named backup's manifest, or the newest complete one's.
pub async fn load_manifest(storage: &Storage, backup: Option<&str>) -> anyhow::Result<Manifest> {
    let id = match backup {
        Some(id) => id.to_owned(),
        None => retention::list_backups(storage)
            .await?
            .into_iter()
            .filter(|b| b.complete)
            .map(|b| b.id)
            .max()
            .context("no complete backup (one with a manifest.json) under BACKUP_URL")?,
    };
    let raw = storage
        .get(&manifest::manifest_key(&id))
        .await?
        .with_context(|| {
            format!(
                "backup {id} has no manifest.json: it is incomplete or does not exist, and cannot be restored"
            )
        })?;
    let manifest: Manifest = serde_json::from_slice(&raw)
        .with_context(|| format!("backup {id}: manifest.json is not a valid manifest"))?;
    if manifest.format != manifest::FORMAT {
        bail!(
            "backup {id}: manifest format {} is not supported by this build (expects {})",
            manifest.format,
            manifest::FORMAT
        );
    }
    Ok(manifest)
}

pub async fn restore(
    storage: &Storage,
    manifest: &Manifest,
    target: &mut PgConnection,
    options: Options,
) -> anyhow::Result<RestoreReport> {
    let known = &precog::db::MIGRATOR;
    if let Some(unknown) = manifest
        .migrations
        .iter()
        .find(|v| !known.version_exists(**v))
    {
        bail!(
            "backup {} was taken at migration {unknown}, which this build does not have: restore with a newer nightly-backup",
            manifest.id
        );
    }
    let incremental: bool = sqlx::query_scalar(&format!(
        "select to_regclass('public.{RESTORE_STATE_TABLE}') is not null"
    ))
    .fetch_one(&mut *target)
    .await?;
    let applied = catalog::migrations(target).await?;
    if let Some(newer) = applied.iter().find(|v| !manifest.migrations.contains(v)) {
        bail!(
            "the target database has migration {newer}, which backup {} predates: restore into an empty database",
            manifest.id
        );
    }
    if !incremental && !options.allow_non_empty {
        for table in catalog::tables(target).await? {
            let has_rows: bool = sqlx::query_scalar(&format!(
                "select exists(select 1 from {})",
                ident(&table.name)
            ))
            .fetch_one(&mut *target)
            .await?;
            if has_rows {
                bail!(
                    "the target database is not empty (table {} has rows) and was not created by a restore; \
                     restore into an empty database, or set allow_non_empty to load into it anyway",
                    table.name
                );
            }
        }
    }

    // The schema exactly as the backup's source had it: our migrations up to its version.
    let migrator = Migrator {
        migrations: Cow::Owned(
            known
                .iter()
                .filter(|m| manifest.migrations.contains(&m.version))
                .cloned()
                .collect(),
        ),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    };
    migrator
        .run_direct(&mut *target)
        .await
        .context("creating the schema in the target")?;

    let mut tables = HashMap::new();
    for entry in &manifest.tables {
        let columns = catalog::columns(target, &entry.name)
            .await
            .with_context(|| format!("table {} is missing in the target schema", entry.name))?;
        if columns != entry.columns {
            bail!(
                "table {}: the target's columns differ from the backup's (schema drift outside migrations?)",
                entry.name
            );
        }
        tables.insert(
            entry.name.clone(),
            Table {
                name: entry.name.clone(),
                columns,
                chunk_column: entry.chunk_column.clone(),
            },
        );
    }

    let mut tx = target.begin().await?;
    sqlx::query(&format!(
        "create table if not exists {RESTORE_STATE_TABLE} (
             table_name  text not null,
             chunk       text not null,
             sha256      text not null,
             rows        bigint not null,
             backup_id   text not null,
             restored_at timestamptz not null default now(),
             primary key (table_name, chunk))"
    ))
    .execute(&mut *tx)
    .await?;
    let held: HashMap<(String, String), String> = sqlx::query_as::<_, (String, String, String)>(
        &format!("select table_name, chunk, sha256 from {RESTORE_STATE_TABLE}"),
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(t, c, s)| ((t, c), s))
    .collect();

    let mut report = RestoreReport {
        backup: manifest.id.clone(),
        kind: if incremental { "incremental" } else { "fresh" },
        ..Default::default()
    };
    let to_load: Vec<&ObjectEntry> = manifest
        .objects()
        .filter(|o| held.get(&(o.table.clone(), o.chunk.label())) != Some(&o.sha256))
        .collect();
    report.objects_unchanged = manifest.objects().count() as u64 - to_load.len() as u64;
    let stale: Vec<(String, String)> = held
        .keys()
        .filter(|(table, label)| {
            !manifest
                .objects()
                .any(|o| &o.table == table && &o.chunk.label() == label)
        })
        .cloned()
        .collect();

    let foreign_keys = catalog::foreign_keys(&mut tx).await?;
    for fk in &foreign_keys {
        sqlx::query(&format!(
            "alter table {} drop constraint {}",
            fk.table,
            ident(&fk.name)
        ))
        .execute(&mut *tx)
        .await?;
    }
    // Into a database checked empty above, nothing needs deleting and every index is built once
    // after the load. An incremental sync keeps its indexes: it deletes and loads a few chunks.
    let empty_target = !incremental && !options.allow_non_empty;
    let deferred_indexes = if empty_target {
        catalog::indexes(&mut tx, RESTORE_STATE_TABLE).await?
    } else {
        Vec::new()
    };
    for index in &deferred_indexes {
        sqlx::query(&index.drop_sql()).execute(&mut *tx).await?;
    }

    for (table_name, label) in &stale {
        if let Some(table) = tables.get(table_name) {
            if let Some(chunk) = parse_label(label) {
                sqlx::query(&table.delete_sql(chunk))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query(&format!(
            "delete from {RESTORE_STATE_TABLE} where table_name = $1 and chunk = $2"
        ))
        .bind(table_name)
        .bind(label)
        .execute(&mut *tx)
        .await?;
        report.chunks_removed += 1;
    }

    let bar = progress_bar(options.progress, to_load.iter().map(|o| o.raw_bytes).sum());
    for object in &to_load {
        let table = tables
            .get(&object.table)
            .with_context(|| format!("object {} names an unknown table", object.key))?;
        if !empty_target {
            sqlx::query(&table.delete_sql(object.chunk))
                .execute(&mut *tx)
                .await?;
        }
        bar.set_message(format!("{} {}", object.table, object.chunk.label()));
        load_object(&mut tx, storage, table, object, &bar).await?;
        sqlx::query(&format!(
            "insert into {RESTORE_STATE_TABLE} (table_name, chunk, sha256, rows, backup_id)
             values ($1, $2, $3, $4, $5)
             on conflict (table_name, chunk) do update
                set sha256 = excluded.sha256, rows = excluded.rows,
                    backup_id = excluded.backup_id, restored_at = now()"
        ))
        .bind(&object.table)
        .bind(object.chunk.label())
        .bind(&object.sha256)
        .bind(i64::try_from(object.rows)?)
        .bind(&manifest.id)
        .execute(&mut *tx)
        .await?;
        report.objects_loaded += 1;
        report.rows_loaded += object.rows;
        report.raw_bytes_loaded += object.raw_bytes;
    }

    for sequence in &manifest.sequences {
        if let Some(value) = sequence.last_value {
            sqlx::query("select setval($1::regclass, $2, true)")
                .bind(&sequence.name)
                .bind(value)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("setting sequence {}", sequence.name))?;
        }
    }
    bar.set_message("building indexes");
    for index in &deferred_indexes {
        sqlx::query(&index.create_sql())
            .execute(&mut *tx)
            .await
            .with_context(|| format!("re-creating index {} on {}", index.name, index.table))?;
    }
    bar.set_message("checking foreign keys");
    for fk in &foreign_keys {
        sqlx::query(&format!(
            "alter table {} add constraint {} {}",
            fk.table,
            ident(&fk.name),
            fk.definition
        ))
        .execute(&mut *tx)
        .await
        .with_context(|| format!("re-creating foreign key {} on {}", fk.name, fk.table))?;
    }
    tx.commit().await.context("committing the restore")?;
    bar.finish_with_message("restored");
    Ok(report)
}

fn parse_label(label: &str) -> Option<Chunk> {
    match label {
        "all" => Some(Chunk::All),
        "null" => Some(Chunk::Null),
        day => day.parse().ok().map(Chunk::Day),
    }
}

fn progress_bar(show: bool, total: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Streams one object into its table, checking checksum, rows and content as it goes.
async fn load_object(
    conn: &mut PgConnection,
    storage: &Storage,
    table: &Table,
    object: &ObjectEntry,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    let mut reader = storage.reader(&object.key).await?.with_context(|| {
        format!(
            "object {} is listed in the manifest but missing from storage",
            object.key
        )
    })?;
    let mut sha = Sha256::new();
    let mut hasher = RowHasher::default();
    let mut decoder = zstd::stream::write::Decoder::new(Vec::new())?;
    let mut copy = conn.copy_in_raw(&table.copy_in_sql()).await?;
    let streamed: anyhow::Result<()> = async {
        while let Some(chunk) = reader.next().await? {
            sha.update(&chunk);
            decoder.write_all(&chunk).context("decompressing")?;
            let out = std::mem::take(decoder.get_mut());
            hasher.update(&out);
            bar.inc(out.len() as u64);
            copy.send(out).await?;
        }
        decoder.flush().context("decompressing")?;
        let out = std::mem::take(decoder.get_mut());
        hasher.update(&out);
        bar.inc(out.len() as u64);
        copy.send(out).await?;
        Ok(())
    }
    .await;
    if let Err(e) = streamed {
        // Read the rest so a corrupt object is reported as such, not as a COPY syntax error.
        while let Ok(Some(chunk)) = reader.next().await {
            sha.update(&chunk);
        }
        let _ = copy.abort("restore failed").await;
        let actual = hex::encode(sha.finalize());
        if actual != object.sha256 {
            bail!(corrupt(object, &actual));
        }
        return Err(e.context(format!("loading {}", object.key)));
    }
    let actual = hex::encode(sha.finalize());
    if actual != object.sha256 {
        let _ = copy.abort("checksum mismatch").await;
        bail!(corrupt(object, &actual));
    }
    if hasher.rows() != object.rows || hasher.hex() != object.content_hash {
        let _ = copy.abort("row count mismatch").await;
        bail!(
            "object {}: {} rows read, the manifest says {} (content hash {} vs {})",
            object.key,
            hasher.rows(),
            object.rows,
            hasher.hex(),
            object.content_hash
        );
    }
    let loaded = copy
        .finish()
        .await
        .with_context(|| format!("loading {}", object.key))?;
    if loaded != object.rows {
        bail!(
            "object {}: PostgreSQL loaded {loaded} rows, the manifest says {}",
            object.key,
            object.rows
        );
    }
    Ok(())
}

fn corrupt(object: &ObjectEntry, actual: &str) -> String {
    format!(
        "object {} is corrupt: SHA-256 {actual} does not match the manifest's {}; nothing was restored",
        object.key, object.sha256
    )
}
