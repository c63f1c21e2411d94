//! A file's bytes (local path or URL), its SHA-256, and its rows as text under named columns,
//! whether it was CSV or Parquet. Columns are checked before any row is read, so a missing or
//! renamed column refuses the whole file before anything is written.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use precog::runner::BadEvent;
use sha2::{Digest, Sha256};

use crate::event::Location;

/// The whole file, and its SHA-256 in hex.
pub struct Fetched {
    pub bytes: Bytes,
    pub sha256: String,
}

/// Reads the file. Files are small (nflverse's games.csv is about 2 MB), so whole.
pub async fn fetch(client: &reqwest::Client, location: &Location) -> anyhow::Result<Fetched> {
    let bytes = match location {
        Location::Path(path) => Bytes::from(
            tokio::fs::read(path)
                .await
                .map_err(|e| BadEvent::new("path", format!("cannot read {path}: {e}")))?,
        ),
        Location::Url(url) => {
            let response = client
                .get(url)
                .timeout(Duration::from_secs(120))
                .send()
                .await
                .with_context(|| format!("downloading {url}"))?
                .error_for_status()
                .with_context(|| format!("downloading {url}"))?;
            response
                .bytes()
                .await
                .with_context(|| format!("reading the body of {url}"))?
        }
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    Ok(Fetched { bytes, sha256 })
}

/// The file's columns by name.
#[derive(Debug, Clone)]
pub struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Header {
    pub fn new(names: Vec<String>) -> Self {
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.trim().to_owned(), i))
            .collect();
        Self { names, index }
    }

    /// Refuses the file when any of `required` is absent, naming the first missing column.
    pub fn require(&self, required: &[&str]) -> Result<(), BadEvent> {
        match required.iter().find(|c| !self.index.contains_key(**c)) {
            Some(missing) => Err(BadEvent::new(
                *missing,
                format!(
                    "the file has no `{missing}` column (missing or renamed); its columns are: {}",
                    self.names.join(",")
                ),
            )),
            None => Ok(()),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// One data row: its values in header order and its line (CSV) or row number (Parquet).
#[derive(Debug, Clone)]
pub struct Record<'h> {
    pub header: &'h Header,
    pub values: Vec<String>,
    pub line: u64,
}

impl Record<'_> {
    /// The text of a column, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.header
            .index
            .get(name)
            .and_then(|i| self.values.get(*i))
            .map(|v| v.trim())
            .unwrap_or("")
    }

    /// The row as `{column: text}`, what `raw` keeps.
    pub fn raw(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (i, name) in self.header.names.iter().enumerate() {
            let value = self.values.get(i).cloned().unwrap_or_default();
            map.insert(name.clone(), serde_json::Value::String(value));
        }
        serde_json::Value::Object(map)
    }
}

/// A data row (its values and line), or an unreadable one (its text, line and why).
pub type RawRow = Result<(Vec<String>, u64), (String, u64, String)>;

/// The rows of a CSV file: its header, then records (a malformed line is an `Err` with its
/// line number, counted and kept as a reject by the caller).
pub struct CsvRows {
    pub header: Header,
    reader: csv::Reader<std::io::Cursor<Bytes>>,
}

impl CsvRows {
    pub fn open(bytes: Bytes) -> anyhow::Result<Self> {
        // Strip a UTF-8 byte-order mark, which some exports start with.
        let bytes = if bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes.slice(3..)
        } else {
            bytes
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(std::io::Cursor::new(bytes));
        let names = reader
            .headers()
            .map_err(|e| BadEvent::new("path", format!("not a CSV file with a header: {e}")))?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        Ok(Self {
            header: Header::new(names),
            reader,
        })
    }

    /// Every row: `Ok(values, line)` or `Err((raw text, line, reason))`.
    pub fn rows(&mut self) -> Vec<RawRow> {
        let width = self.header.names.len();
        let mut out = Vec::new();
        for (i, result) in self.reader.records().enumerate() {
            let fallback_line = i as u64 + 2;
            match result {
                Ok(record) => {
                    let line = record.position().map_or(fallback_line, |p| p.line());
                    let values: Vec<String> = record.iter().map(str::to_owned).collect();
                    if values.len() != width {
                        out.push(Err((
                            values.join(","),
                            line,
                            format!("{} fields where the header has {width}", values.len()),
                        )));
                    } else {
                        out.push(Ok((values, line)));
                    }
                }
                Err(e) => {
                    let line = e.position().map_or(fallback_line, |p| p.line());
                    out.push(Err((String::new(), line, format!("unreadable CSV: {e}"))));
                }
            }
        }
        out
    }
}

/// A Parquet file's rows as text (schedules are a few thousand rows, so the record API does).
pub fn parquet_rows(bytes: Bytes) -> anyhow::Result<(Header, Vec<Vec<String>>)> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    let reader = SerializedFileReader::new(bytes)
        .map_err(|e| BadEvent::new("path", format!("not a Parquet file: {e}")))?;
    let names: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    let header = Header::new(names.clone());
    let mut rows = Vec::new();
    for row in reader.get_row_iter(None).context("reading Parquet rows")? {
        let row = row.context("reading a Parquet row")?;
        let mut by_name: HashMap<&str, String> = HashMap::new();
        for (name, field) in row.get_column_iter() {
            let text = match field {
                Field::Null => String::new(),
                Field::Str(s) => s.clone(),
                // Whole-number doubles (R writes scores and ids as doubles) read as integers.
                Field::Double(d) if d.fract() == 0.0 && d.abs() < 1e15 => format!("{d:.0}"),
                other => other.to_string(),
            };
            by_name.insert(name.as_str(), text);
        }
        rows.push(
            names
                .iter()
                .map(|n| by_name.remove(n.as_str()).unwrap_or_default())
                .collect(),
        );
    }
    Ok((header, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_column_is_named() {
        let header = Header::new(vec!["game_id".into(), "season".into()]);
        assert!(header.require(&["game_id"]).is_ok());
        let err = header
            .require(&["game_id", "spread_line"])
            .expect_err("refused");
        assert_eq!(err.field, "spread_line");
        assert!(err.message.contains("`spread_line`"));
    }

    #[test]
    fn short_rows_are_errors_with_their_line() {
        let mut csv =
            CsvRows::open(Bytes::from_static(b"\xEF\xBB\xBFa,b\n1,2\n3\n4,5\n")).expect("csv");
        assert_eq!(csv.header.names(), ["a", "b"]);
        let rows = csv.rows();
        assert_eq!(rows.len(), 3);
        assert!(rows[0].is_ok());
        let (_, line, reason) = rows[1].as_ref().expect_err("short row");
        assert_eq!(*line, 3);
        assert!(reason.contains("1 fields"), "{reason}");
    }
}
