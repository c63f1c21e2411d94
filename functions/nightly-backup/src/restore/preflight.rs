//! Before anything is loaded: the backup and the target must fit (migrations known, target empty
//! or made by a restore), the schema is created from our migrations, and every backed-up table
//! must have the same columns in the target.

use std::borrow::Cow;
use std::collections::HashMap;

use anyhow::{bail, Context};
use sqlx::migrate::Migrator;
use sqlx::PgConnection;

use crate::catalog::{self, ident, Table};
use crate::manifest::Manifest;

/// Every migration the backup was taken at is one this build has.
pub fn known_migrations(manifest: &Manifest) -> anyhow::Result<()> {
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
    Ok(())
}

/// Whether an earlier restore made the target (it has the restore-state table).
pub async fn made_by_restore(target: &mut PgConnection) -> anyhow::Result<bool> {
    // The name is `catalog::RESTORE_STATE_TABLE`.
    let exists = sqlx::query_scalar!(
        r#"select to_regclass('public.precog_restore_state') is not null as "exists!""#
    )
    .fetch_one(&mut *target)
    .await?;
    Ok(exists)
}

/// The target has no migration the backup predates.
pub async fn no_newer_migrations(
    target: &mut PgConnection,
    manifest: &Manifest,
) -> anyhow::Result<()> {
    let applied = catalog::migrations(target).await?;
    if let Some(newer) = applied.iter().find(|v| !manifest.migrations.contains(v)) {
        bail!(
            "the target database has migration {newer}, which backup {} predates: restore into an empty database",
            manifest.id
        );
    }
    Ok(())
}

/// Refuses a target that has rows in any table (it was not made by a restore).
pub async fn refuse_non_empty(target: &mut PgConnection) -> anyhow::Result<()> {
    for table in catalog::tables(target).await? {
        // Runtime SQL: the table names come from the database's catalog.
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
    Ok(())
}

/// The schema exactly as the backup's source had it: our migrations up to its version.
pub async fn create_schema(target: &mut PgConnection, manifest: &Manifest) -> anyhow::Result<()> {
    let migrator = Migrator {
        migrations: Cow::Owned(
            precog::db::MIGRATOR
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
        .context("creating the schema in the target")
}

/// The backed-up tables as the target has them, by name; refused when their columns differ.
pub async fn target_tables(
    target: &mut PgConnection,
    manifest: &Manifest,
) -> anyhow::Result<HashMap<String, Table>> {
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
    Ok(tables)
}
