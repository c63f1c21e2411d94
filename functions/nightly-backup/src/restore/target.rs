//! What a restore does to its target inside the one transaction: the restore-state table, the
//! constraints, triggers and indexes set aside while loading, stale chunks, sequences.
//!
//! The restore-state queries are runtime SQL: a restore creates that table in its target; no
//! migration does, so the database the SQL is checked against at compile time does not have it.

use std::collections::HashMap;

use anyhow::Context;
use sqlx::PgConnection;

use crate::catalog::{self, ident, ForeignKey, Index, Table, Trigger, RESTORE_STATE_TABLE};
use crate::manifest::{Chunk, Manifest, ObjectEntry};

/// Creates the restore-state table if needed; returns the chunks it holds and their SHA-256.
pub async fn held_chunks(
    tx: &mut PgConnection,
) -> anyhow::Result<HashMap<(String, String), String>> {
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
    let rows = sqlx::query_as::<_, (String, String, String)>(&format!(
        "select table_name, chunk, sha256 from {RESTORE_STATE_TABLE}"
    ))
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(|(t, c, s)| ((t, c), s)).collect())
}

/// Records that the target now holds `object`'s chunk as in `backup_id`.
pub async fn remember(
    tx: &mut PgConnection,
    object: &ObjectEntry,
    backup_id: &str,
) -> anyhow::Result<()> {
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
    .bind(backup_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Deletes chunks the backup no longer has, rows and state; returns how many.
pub async fn remove_stale(
    tx: &mut PgConnection,
    tables: &HashMap<String, Table>,
    stale: &[(String, String)],
) -> anyhow::Result<u64> {
    for (table_name, label) in stale {
        if let (Some(table), Some(chunk)) = (tables.get(table_name), parse_label(label)) {
            // Runtime SQL: table and chunk column come from the catalog.
            sqlx::query(&table.delete_sql(chunk))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(&format!(
            "delete from {RESTORE_STATE_TABLE} where table_name = $1 and chunk = $2"
        ))
        .bind(table_name)
        .bind(label)
        .execute(&mut *tx)
        .await?;
    }
    Ok(stale.len() as u64)
}

fn parse_label(label: &str) -> Option<Chunk> {
    match label {
        "all" => Some(Chunk::All),
        "null" => Some(Chunk::Null),
        day => day.parse().ok().map(Chunk::Day),
    }
}

/// Sets every sequence to where the backup's source had it.
pub async fn set_sequences(tx: &mut PgConnection, manifest: &Manifest) -> anyhow::Result<()> {
    for sequence in &manifest.sequences {
        if let Some(value) = sequence.last_value {
            sqlx::query_scalar!(
                "select setval($1::text::regclass, $2, true)",
                sequence.name,
                value
            )
            .fetch_one(&mut *tx)
            .await
            .with_context(|| format!("setting sequence {}", sequence.name))?;
        }
    }
    Ok(())
}

/// Foreign keys and triggers (and, into an empty target, indexes) set aside while loading, so
/// tables load in any order, rows go in as the source stored them (in COPY's batches: a BEFORE
/// ROW trigger makes it insert row by row), and each index is built once, sorted, after the load.
pub struct SetAside {
    foreign_keys: Vec<ForeignKey>,
    triggers: Vec<Trigger>,
    indexes: Vec<Index>,
}

impl SetAside {
    /// Drops the foreign keys and triggers, and the indexes too when `indexes` (an empty target).
    pub async fn take(tx: &mut PgConnection, indexes: bool) -> anyhow::Result<Self> {
        let foreign_keys = catalog::foreign_keys(tx).await?;
        // Runtime SQL below: names and definitions come from the catalog.
        for fk in &foreign_keys {
            sqlx::query(&format!(
                "alter table {} drop constraint {}",
                fk.table,
                ident(&fk.name)
            ))
            .execute(&mut *tx)
            .await?;
        }
        let triggers = catalog::triggers(tx, RESTORE_STATE_TABLE).await?;
        for trigger in &triggers {
            sqlx::query(&trigger.drop_sql()).execute(&mut *tx).await?;
        }
        let indexes = if indexes {
            catalog::indexes(tx, RESTORE_STATE_TABLE).await?
        } else {
            Vec::new()
        };
        for index in &indexes {
            sqlx::query(&index.drop_sql()).execute(&mut *tx).await?;
        }
        Ok(Self {
            foreign_keys,
            triggers,
            indexes,
        })
    }

    /// Builds the indexes (with more sort memory when `more_memory`), re-adds (and so checks)
    /// the foreign keys, re-creates the triggers.
    pub async fn put_back(
        self,
        tx: &mut PgConnection,
        more_memory: bool,
        bar: &indicatif::ProgressBar,
    ) -> anyhow::Result<()> {
        bar.set_message("building indexes");
        if more_memory && !self.indexes.is_empty() {
            sort_memory_for_index_builds(tx).await?;
        }
        for index in &self.indexes {
            sqlx::query(&index.create_sql())
                .execute(&mut *tx)
                .await
                .with_context(|| format!("re-creating index {} on {}", index.name, index.table))?;
        }
        bar.set_message("checking foreign keys");
        for fk in &self.foreign_keys {
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
        for trigger in &self.triggers {
            for sql in trigger.create_sql() {
                sqlx::query(&sql).execute(&mut *tx).await.with_context(|| {
                    format!("re-creating trigger {} on {}", trigger.name, trigger.table)
                })?;
            }
        }
        Ok(())
    }
}

/// `maintenance_work_mem` for a restore's index builds; see [`sort_memory_for_index_builds`].
pub const INDEX_BUILD_MEMORY: &str = "256MB";

/// Sort memory for the index builds of this transaction (`SET LOCAL`: it ends with it), raised
/// to [`INDEX_BUILD_MEMORY`] when the server's `maintenance_work_mem` is lower, never lowered.
///
/// Each index is built from one sort of its keys. At PostgreSQL's default of 64 MB the planner
/// gives a large table's build one parallel worker (each participant needs 32 MB of the budget),
/// and each participant's share of a million-row key outgrows its memory. The budget is for the
/// whole build, parallel workers included, and the restore builds one index at a time, so the
/// server uses at most this much more memory. On the 2-core benchmark machine it made no
/// measurable difference (README); it is for more cores and larger tables. Only a restore asks for it (`Options::index_build_memory`):
/// a verify runs on the production server, whose memory may be small.
async fn sort_memory_for_index_builds(tx: &mut PgConnection) -> anyhow::Result<()> {
    sqlx::query!(
        "select set_config('maintenance_work_mem', $1, true)
          where pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes($1)",
        INDEX_BUILD_MEMORY
    )
    .fetch_optional(&mut *tx)
    .await
    .context("setting maintenance_work_mem for the index builds")?;
    Ok(())
}

/// Empties the tables a restore into an empty database is about to load that already hold rows.
/// The target was checked empty before the schema was created, so such rows are reference data a
/// migration seeded (game series, team aliases, league tokens); the backup carries the source's
/// copy of them, operator edits included, which must replace the seed rather than collide with it.
pub async fn clear_seeded(
    tx: &mut PgConnection,
    tables: &HashMap<String, Table>,
    to_load: &[&ObjectEntry],
) -> anyhow::Result<u64> {
    let mut names: Vec<&str> = to_load.iter().map(|o| o.table.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut cleared = 0;
    for name in names {
        let Some(table) = tables.get(name) else {
            continue;
        };
        // Runtime SQL: the table name comes from the catalog.
        let deleted = sqlx::query(&format!("delete from {}", ident(&table.name)))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("clearing the seeded rows of {}", table.name))?
            .rows_affected();
        cleared += deleted;
    }
    Ok(cleared)
}
