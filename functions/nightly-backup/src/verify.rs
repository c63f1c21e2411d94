//! The restore test, verified rather than assumed: the backup is restored into a scratch
//! database on the source's server, then every table's row count and content hash is read back
//! from PostgreSQL and compared with the manifest (the source as it was backed up) and with the
//! source as it is now (tables written since the backup show up as changed, not as failures).

use anyhow::{bail, Context};
use futures::TryStreamExt;
use serde::Serialize;
use sqlx::{Connection, PgConnection, PgPool};

use crate::catalog::Table;
use crate::hash::RowHasher;
use crate::manifest::Chunk;
use crate::restore::{self, Options};
use crate::storage::Storage;

#[derive(Debug, Default, Serialize)]
pub struct VerifyReport {
    pub backup: String,
    pub scratch_database: String,
    pub tables_checked: usize,
    pub rows_checked: u64,
    pub raw_bytes_restored: u64,
    /// Tables whose restored rows equal the source's rows now.
    pub tables_equal_to_source: usize,
    /// Tables the source has written since the backup (informational).
    pub changed_since_backup: Vec<String>,
}

pub async fn run(
    pool: &PgPool,
    storage: &Storage,
    backup: Option<&str>,
) -> anyhow::Result<VerifyReport> {
    let manifest = restore::load_manifest(storage, backup).await?;
    let scratch = format!(
        "precog_verify_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    // Runtime SQL: a database name cannot be a bind parameter.
    sqlx::query(&format!("create database {scratch}"))
        .execute(pool)
        .await
        .context("creating the scratch database (the role needs CREATEDB)")?;
    let options = pool.connect_options().as_ref().clone().database(&scratch);
    let result = async {
        let mut conn = PgConnection::connect_with(&options)
            .await
            .context("connecting to the scratch database")?;
        let restored = restore::restore(storage, &manifest, &mut conn, Options::default()).await?;
        let mut report = VerifyReport {
            backup: manifest.id.clone(),
            scratch_database: scratch.clone(),
            raw_bytes_restored: restored.raw_bytes_loaded,
            ..Default::default()
        };
        let mut source = pool.acquire().await?;
        let mut mismatches = Vec::new();
        for entry in &manifest.tables {
            let table = Table {
                name: entry.name.clone(),
                columns: entry.columns.clone(),
                chunk_column: entry.chunk_column.clone(),
            };
            let restored = content(&mut conn, &table).await?;
            if restored.rows() != entry.rows || restored.hex() != entry.content_hash {
                mismatches.push(format!(
                    "{}: restored {} rows (hash {}), backed up {} rows (hash {})",
                    entry.name,
                    restored.rows(),
                    restored.hex(),
                    entry.rows,
                    entry.content_hash
                ));
            }
            match content(&mut source, &table).await {
                Ok(now) if now.rows() == restored.rows() && now.hex() == restored.hex() => {
                    report.tables_equal_to_source += 1;
                }
                _ => report.changed_since_backup.push(entry.name.clone()),
            }
            report.tables_checked += 1;
            report.rows_checked += restored.rows();
        }
        conn.close().await.ok();
        if !mismatches.is_empty() {
            bail!(
                "backup {} does not restore to what was backed up: {}",
                manifest.id,
                mismatches.join("; ")
            );
        }
        Ok(report)
    }
    .await;
    let dropped = sqlx::query(&format!("drop database if exists {scratch} with (force)"))
        .execute(pool)
        .await;
    if let Err(e) = dropped {
        tracing::warn!(error = %e, database = %scratch, "could not drop the scratch database");
    }
    result
}

/// Row count and content hash of a whole table, read with the same COPY text as a backup.
async fn content(conn: &mut PgConnection, table: &Table) -> anyhow::Result<RowHasher> {
    let mut hasher = RowHasher::default();
    let mut stream = conn.copy_out_raw(&table.copy_out_sql(Chunk::All)).await?;
    while let Some(data) = stream.try_next().await? {
        hasher.update(&data);
    }
    Ok(hasher)
}
