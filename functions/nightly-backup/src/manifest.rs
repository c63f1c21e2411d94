//! The manifest: the last object a backup writes, and the only thing that makes it a backup.
//! It lists every object with its row count, size and SHA-256, so a restore can check each one.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Bumped when the layout changes incompatibly; restores refuse formats they do not know.
pub const FORMAT: u32 = 1;

/// Where a backup's objects live, relative to `BACKUP_URL`.
pub fn backup_dir(id: &str) -> String {
    format!("backups/{id}/")
}

pub fn manifest_key(id: &str) -> String {
    format!("backups/{id}/manifest.json")
}

pub fn started_key(id: &str) -> String {
    format!("backups/{id}/started.json")
}

/// The sidecar written after an object completes: what a resumed backup reuses.
pub fn meta_key(object_key: &str) -> String {
    format!("{object_key}.meta.json")
}

/// Backup ids are their start time, so they sort by age.
pub fn new_id(now: DateTime<Utc>) -> String {
    now.format("%Y%m%dT%H%M%SZ").to_string()
}

pub fn parse_id(id: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(id, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Started {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub migrations: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// `format_type()` of the column, e.g. `numeric`, `timestamp with time zone`.
    #[serde(rename = "type")]
    pub type_name: String,
}

/// Which rows of a table an object holds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Chunk {
    /// The whole table.
    All,
    /// Rows whose chunk column falls on this UTC day.
    Day(NaiveDate),
    /// Rows whose chunk column is NULL.
    Null,
}

impl Chunk {
    /// The key a restore target remembers the chunk by.
    pub fn label(&self) -> String {
        match self {
            Self::All => "all".to_owned(),
            Self::Day(day) => day.to_string(),
            Self::Null => "null".to_owned(),
        }
    }
}

/// One stored object: zstd-compressed PostgreSQL COPY text of one table or day of a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ObjectEntry {
    pub key: String,
    pub table: String,
    pub chunk: Chunk,
    pub rows: u64,
    /// Uncompressed COPY text bytes ("table data" in throughput figures).
    pub raw_bytes: u64,
    /// Stored (compressed) bytes.
    pub bytes: u64,
    /// SHA-256 of the stored bytes.
    pub sha256: String,
    /// Order-independent hash of the rows (see `hash.rs`), compared by `verify`.
    pub content_hash: String,
    /// The same rows as a Parquet file for training (time-series days only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parquet: Option<ParquetEntry>,
}

/// A per-day Parquet file: sorted by ticker or game, then time; zstd.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ParquetEntry {
    pub key: String,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    pub columns: Vec<Column>,
    /// The timestamptz column the table is chunked by, if any.
    pub chunk_column: Option<String>,
    pub rows: u64,
    pub content_hash: String,
    pub objects: Vec<ObjectEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SequenceValue {
    /// Schema-qualified, quoted as `regclass` prints it.
    pub name: String,
    pub last_value: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Applied migration versions of the source, oldest first; the last is the schema version.
    pub migrations: Vec<i64>,
    pub server_version: String,
    /// The TimescaleDB extension version on the source, if installed.
    pub timescaledb: Option<String>,
    pub tables: Vec<TableEntry>,
    pub sequences: Vec<SequenceValue>,
    /// The training frames (`parquet/training/<league>/<day>.parquet`): game states joined with
    /// their markets' quotes as of each. Not restored; absent in older manifests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub training: Vec<ParquetEntry>,
}

impl Manifest {
    pub fn schema_version(&self) -> Option<i64> {
        self.migrations.last().copied()
    }

    pub fn total_raw_bytes(&self) -> u64 {
        self.objects().map(|o| o.raw_bytes).sum()
    }

    pub fn objects(&self) -> impl Iterator<Item = &ObjectEntry> {
        self.tables.iter().flat_map(|t| t.objects.iter())
    }
}
