//! Restore and training sync: a backup's objects loaded into a PostgreSQL database, every
//! object's SHA-256 and row count checked as it streams, all of it in one transaction so a
//! failure leaves the target as it was (never a half-restored table).
//!
//! The target remembers what it holds in `precog_restore_state` (table, chunk, SHA-256). A later
//! restore into the same database loads only the chunks whose checksum changed (after deleting
//! that chunk's rows), and deletes chunks the backup no longer has: an incremental sync without
//! duplicates. A database that has data but no such table was not made by a restore, and is
//! refused unless the caller says otherwise.
//!
//! The steps: `preflight` (may this backup go into this target; schema), then in one
//! transaction `target` (state, constraints and triggers set aside, stale chunks), `load` per
//! changed object (read, checked and decompressed ahead by a producer task), sequences, and the
//! constraints and triggers back.

mod load;
mod preflight;
mod target;

use std::collections::HashMap;

use anyhow::{bail, Context};
use serde::Serialize;
use sqlx::{Connection, PgConnection};

use crate::manifest::{self, Manifest, ObjectEntry};
use crate::retention;
use crate::storage::Storage;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Load into a database that has rows but was not created by a restore.
    pub allow_non_empty: bool,
    /// Draw a progress bar on stderr (only shown when stderr is a terminal).
    pub progress: bool,
    /// Give the index builds more sort memory than the server's default (see
    /// `target::INDEX_BUILD_MEMORY`): for a restore onto a machine of one's own. A verify, which
    /// restores on the production server, leaves the server's setting alone.
    pub index_build_memory: bool,
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

/// Loads `manifest`'s backup from `storage` into `target` (see the module docs).
pub async fn restore(
    storage: &Storage,
    manifest: &Manifest,
    target: &mut PgConnection,
    options: Options,
) -> anyhow::Result<RestoreReport> {
    preflight::known_migrations(manifest)?;
    let incremental = preflight::made_by_restore(target).await?;
    preflight::no_newer_migrations(target, manifest).await?;
    // Into a database checked empty here, nothing needs deleting and every index is built once
    // after the load. An incremental sync keeps its indexes: it deletes and loads a few chunks.
    let empty_target = !incremental && !options.allow_non_empty;
    if empty_target {
        preflight::refuse_non_empty(target).await?;
    }
    preflight::create_schema(target, manifest).await?;
    let tables = preflight::target_tables(target, manifest).await?;

    let mut tx = target.begin().await?;
    let plan = Plan::new(manifest, &target::held_chunks(&mut tx).await?);
    let mut report = RestoreReport {
        backup: manifest.id.clone(),
        kind: if incremental { "incremental" } else { "fresh" },
        objects_unchanged: plan.unchanged,
        ..Default::default()
    };
    let set_aside = target::SetAside::take(&mut tx, empty_target).await?;
    if empty_target {
        target::clear_seeded(&mut tx, &tables, &plan.to_load).await?;
    }
    report.chunks_removed = target::remove_stale(&mut tx, &tables, &plan.stale).await?;
    let bar = progress_bar(
        options.progress,
        plan.to_load.iter().map(|o| o.raw_bytes).sum(),
    );
    // Reads ahead of the COPY on another core; see `load` for the memory bound.
    let mut prefetch = load::prefetch(
        storage.clone(),
        plan.to_load.iter().map(|o| (*o).clone()).collect(),
    );
    for object in &plan.to_load {
        let table = tables
            .get(&object.table)
            .with_context(|| format!("object {} names an unknown table", object.key))?;
        if !empty_target {
            // Runtime SQL: table and chunk column come from the catalog.
            sqlx::query(&table.delete_sql(object.chunk))
                .execute(&mut *tx)
                .await?;
        }
        bar.set_message(format!("{} {}", object.table, object.chunk.label()));
        load::load_object(&mut tx, &mut prefetch, table, object, &bar).await?;
        target::remember(&mut tx, object, &manifest.id).await?;
        report.objects_loaded += 1;
        report.rows_loaded += object.rows;
        report.raw_bytes_loaded += object.raw_bytes;
    }
    target::set_sequences(&mut tx, manifest).await?;
    set_aside
        .put_back(&mut tx, options.index_build_memory, &bar)
        .await?;
    tx.commit().await.context("committing the restore")?;
    bar.finish_with_message("restored");
    Ok(report)
}

/// Which objects to load and which held chunks to delete, from what the target holds.
struct Plan<'m> {
    /// Objects whose chunk the target does not hold with the same SHA-256.
    to_load: Vec<&'m ObjectEntry>,
    unchanged: u64,
    /// `(table, chunk label)` the target holds that the backup does not have.
    stale: Vec<(String, String)>,
}

impl<'m> Plan<'m> {
    fn new(manifest: &'m Manifest, held: &HashMap<(String, String), String>) -> Self {
        let to_load: Vec<&ObjectEntry> = manifest
            .objects()
            .filter(|o| held.get(&(o.table.clone(), o.chunk.label())) != Some(&o.sha256))
            .collect();
        let unchanged = manifest.objects().count() as u64 - to_load.len() as u64;
        let stale = held
            .keys()
            .filter(|(table, label)| {
                !manifest
                    .objects()
                    .any(|o| &o.table == table && &o.chunk.label() == label)
            })
            .cloned()
            .collect();
        Self {
            to_load,
            unchanged,
            stale,
        }
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
