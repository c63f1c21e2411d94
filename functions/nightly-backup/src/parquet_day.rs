//! Per-day Parquet files of the time-series tables for training: built from the same COPY text
//! stream as the backup object (the backup orders those days by ticker or game, then time), in
//! row groups of at most `ROW_GROUP` rows, zstd-compressed, drained into the object as each row
//! group is written. Memory is bounded in bytes, not rows, because a day of wide rows (large `raw`
//! JSONB) would otherwise make one row group tens of MB: the column builders are handed to the
//! writer every `BATCH_BYTES` of text, and a row group is cut early once its encoded pages reach
//! `ROW_GROUP_BYTES`. Readable as they are by pandas, polars and DuckDB.
//!
//! Types: integers as INT64, booleans, doubles, `timestamptz` as TIMESTAMP(µs, UTC), NUMERIC as
//! Parquet DECIMAL (see [`decimal`]: precision 38, the scale the data needs, never rounded);
//! everything else (JSONB, enums, text) as UTF-8 strings. Timestamps PostgreSQL prints as
//! `infinity` become null here; the COPY object remains the exact backup.

use std::sync::Arc;

use anyhow::Context;
use arrow_array::builder::{
    BooleanBuilder, Decimal128Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::catalog::Table;
use crate::decimal::{self, DecimalShape};
use crate::manifest::Column;

/// Tables that get Parquet files, and the column each day is sorted by before time.
pub const TABLES: &[(&str, &str)] = &[
    ("market_snapshots", "ticker"),
    ("game_states", "espn_event_id"),
];

const ROW_GROUP: usize = 32 * 1024;
const BATCH_BYTES: usize = 2 << 20;
const ROW_GROUP_BYTES: usize = 4 << 20;
const PAGE_BYTES: usize = 256 << 10;

/// The sort column for `table`, if it gets Parquet files (and has that column).
pub fn sort_column(table: &Table) -> Option<&'static str> {
    TABLES
        .iter()
        .find(|(name, col)| *name == table.name && table.columns.iter().any(|c| c.name == *col))
        .map(|(_, col)| *col)
}

enum Builder {
    Text(StringBuilder),
    Int(Int64Builder),
    Bool(BooleanBuilder),
    Float(Float64Builder),
    Time(TimestampMicrosecondBuilder),
    Decimal(Decimal128Builder, DecimalShape),
}

impl Builder {
    fn for_column(
        column: &Column,
        shape: Option<DecimalShape>,
    ) -> anyhow::Result<(Self, DataType)> {
        if let Some(shape) = shape {
            let builder = Decimal128Builder::new()
                .with_precision_and_scale(shape.precision, shape.scale)
                .with_context(|| format!("column {}: decimal type", column.name))?;
            return Ok((
                Self::Decimal(builder, shape),
                DataType::Decimal128(shape.precision, shape.scale),
            ));
        }
        Ok(match column.type_name.as_str() {
            "bigint" | "integer" | "smallint" => (Self::Int(Int64Builder::new()), DataType::Int64),
            "boolean" => (Self::Bool(BooleanBuilder::new()), DataType::Boolean),
            "double precision" | "real" => (Self::Float(Float64Builder::new()), DataType::Float64),
            "timestamp with time zone" => (
                Self::Time(TimestampMicrosecondBuilder::new().with_timezone("UTC")),
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ),
            _ => (Self::Text(StringBuilder::new()), DataType::Utf8),
        })
    }

    /// Appends one COPY text field (`None` for `\N`), already unescaped. Only a decimal can
    /// refuse a value: one that its type cannot hold exactly.
    fn append(&mut self, value: Option<&str>) -> Result<(), String> {
        match self {
            Self::Decimal(b, shape) => {
                let units = value.map(|v| decimal::units(v, *shape)).transpose()?;
                b.append_option(units);
                return Ok(());
            }
            Self::Text(b) => b.append_option(value),
            Self::Int(b) => b.append_option(value.and_then(|v| v.parse().ok())),
            Self::Bool(b) => b.append_option(value.map(|v| v == "t")),
            Self::Float(b) => b.append_option(value.and_then(|v| v.parse().ok())),
            Self::Time(b) => b.append_option(value.and_then(parse_timestamptz)),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Self::Text(b) => Arc::new(b.finish()),
            Self::Int(b) => Arc::new(b.finish()),
            Self::Bool(b) => Arc::new(b.finish()),
            Self::Float(b) => Arc::new(b.finish()),
            Self::Time(b) => Arc::new(b.finish()),
            Self::Decimal(b, _) => Arc::new(b.finish()),
        }
    }
}

/// `2026-09-13 17:00:00.123456+00` (the backup session runs with TimeZone UTC, DateStyle ISO).
fn parse_timestamptz(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z")
        .ok()
        .map(|t| t.timestamp_micros())
}

/// Undoes COPY text escaping: `\\`, `\t`, `\n`, `\r`, `\b`, `\f`, `\v`.
fn unescape(field: &[u8]) -> String {
    if !field.contains(&b'\\') {
        return String::from_utf8_lossy(field).into_owned();
    }
    let mut out = Vec::with_capacity(field.len());
    let mut bytes = field.iter();
    while let Some(&b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b't') => out.push(b'\t'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b'b') => out.push(0x08),
            Some(b'f') => out.push(0x0c),
            Some(b'v') => out.push(0x0b),
            Some(&other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Builds one Parquet file from COPY text fed in arbitrary chunks.
pub struct DayWriter {
    schema: SchemaRef,
    builders: Vec<Builder>,
    names: Vec<String>,
    writer: ArrowWriter<Vec<u8>>,
    carry: Vec<u8>,
    buffered: usize,
    buffered_bytes: usize,
    rows: u64,
}

impl DayWriter {
    /// `decimals` gives, column by column, the DECIMAL type of each NUMERIC column (see
    /// [`decimal::shapes`]); a column without one is written by its type name.
    pub fn new(
        columns: &[Column],
        decimals: &[Option<DecimalShape>],
        zstd_level: i32,
    ) -> anyhow::Result<Self> {
        let mut builders = Vec::with_capacity(columns.len());
        let mut fields = Vec::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            let (builder, data_type) = Builder::for_column(c, decimals.get(i).copied().flatten())?;
            builders.push(builder);
            fields.push(Field::new(&c.name, data_type, true));
        }
        let schema = Arc::new(Schema::new(fields));
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(zstd_level)?))
            .set_max_row_group_size(ROW_GROUP)
            // Every column buffers a data page and a dictionary page before it flushes them;
            // at the 1 MiB defaults that is ~2 MiB per column, most of the writer's memory.
            .set_data_page_size_limit(PAGE_BYTES)
            .set_dictionary_page_size_limit(PAGE_BYTES)
            .build();
        let writer = ArrowWriter::try_new(Vec::new(), Arc::clone(&schema), Some(props))?;
        Ok(Self {
            schema,
            builders,
            names: columns.iter().map(|c| c.name.clone()).collect(),
            writer,
            carry: Vec::new(),
            buffered: 0,
            buffered_bytes: 0,
            rows: 0,
        })
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Feeds COPY text; returns Parquet bytes ready to upload (empty until a row group fills).
    pub fn update(&mut self, data: &[u8]) -> anyhow::Result<Vec<u8>> {
        self.carry.extend_from_slice(data);
        let Some(last_newline) = self.carry.iter().rposition(|b| *b == b'\n') else {
            return Ok(Vec::new());
        };
        let rest = self.carry.split_off(last_newline + 1);
        let complete = std::mem::replace(&mut self.carry, rest);
        for line in complete.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let mut fields = line.split(|b| *b == b'\t');
            for (builder, name) in self.builders.iter_mut().zip(&self.names) {
                let field = fields.next().context("a COPY row with too few fields")?;
                let appended = if field == b"\\N" {
                    builder.append(None)
                } else {
                    builder.append(Some(&unescape(field)))
                };
                appended.map_err(|e| anyhow::anyhow!("column {name}: {e}"))?;
            }
            self.buffered += 1;
            self.buffered_bytes += line.len();
            self.rows += 1;
        }
        if self.buffered >= ROW_GROUP || self.buffered_bytes >= BATCH_BYTES {
            self.write_batch()?;
            if self.writer.in_progress_size() >= ROW_GROUP_BYTES {
                self.writer.flush()?;
            }
            return self.drain();
        }
        Ok(Vec::new())
    }

    fn write_batch(&mut self) -> anyhow::Result<()> {
        if self.buffered == 0 {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), columns)?;
        self.writer.write(&batch)?;
        self.buffered = 0;
        self.buffered_bytes = 0;
        Ok(())
    }

    /// Bytes the writer has produced so far; taking them out does not disturb its offsets,
    /// which count bytes written, not bytes held.
    fn drain(&mut self) -> anyhow::Result<Vec<u8>> {
        self.writer.sync()?;
        Ok(std::mem::take(self.writer.inner_mut()))
    }

    /// The remaining rows, the footer, and the last bytes to upload.
    pub fn finish(mut self) -> anyhow::Result<Vec<u8>> {
        self.write_batch()?;
        self.writer.finish()?;
        self.drain()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_are_undone() {
        assert_eq!(unescape(br"a\tb\nc\\d"), "a\tb\nc\\d");
        assert_eq!(unescape("ünï".as_bytes()), "ünï");
    }

    #[test]
    fn postgres_timestamps_parse_to_utc_micros() {
        assert_eq!(
            parse_timestamptz("1970-01-01 00:00:01.5+00"),
            Some(1_500_000)
        );
        assert_eq!(parse_timestamptz("1970-01-01 01:00:00+01"), Some(0));
        assert_eq!(parse_timestamptz("infinity"), None);
    }
}
