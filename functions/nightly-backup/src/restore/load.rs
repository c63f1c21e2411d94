//! One object streamed from storage into its table with COPY, its SHA-256, row count and
//! content hash checked as it goes.

use std::io::Write;

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::catalog::Table;
use crate::hash::RowHasher;
use crate::manifest::ObjectEntry;
use crate::storage::Storage;

/// Streams one object into its table, checking checksum, rows and content as it goes.
pub async fn load_object(
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
