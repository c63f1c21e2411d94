//! Where backups live: an S3 bucket and prefix (any S3-compatible endpoint, `s3.rs`) or a local
//! folder (`folder.rs`), each an [`ObjectStore`] behind the one [`Storage`] handle the rest of
//! the crate uses. Objects are written in parts so a table never sits whole in memory; nothing
//! is visible under an object's key until it is complete (how, is each store's business).

mod folder;
mod s3;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use sha2::{Digest, Sha256};

pub use folder::FolderStore;
pub use s3::S3Store;

/// S3 refuses multipart parts below 5 MiB (except the last).
pub const MIN_PART_BYTES: usize = 5 * 1024 * 1024;

/// A parsed `BACKUP_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    S3 { bucket: String, prefix: String },
    Folder(PathBuf),
}

impl Location {
    /// `s3://bucket[/prefix]` or `file:///absolute/path`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw).map_err(|e| format!("not a URL: {e}"))?;
        match url.scheme() {
            "s3" => {
                let bucket = url
                    .host_str()
                    .filter(|b| !b.is_empty())
                    .ok_or("s3:// URL without a bucket")?
                    .to_owned();
                let prefix = url.path().trim_matches('/').to_owned();
                Ok(Self::S3 { bucket, prefix })
            }
            "file" => {
                let path = url
                    .to_file_path()
                    .map_err(|()| "file:// URL must be an absolute local path".to_owned())?;
                Ok(Self::Folder(path))
            }
            other => Err(format!(
                "scheme {other}: is not supported (use s3://bucket/prefix or file:///path)"
            )),
        }
    }
}

/// An object store; keys are relative to its root (a bucket's prefix, a folder). Futures are
/// boxed so the store can be chosen at run time from `BACKUP_URL`.
pub trait ObjectStore: Send + Sync + fmt::Debug {
    /// Writes a small object in one request.
    fn put<'a>(&'a self, key: &'a str, body: Bytes) -> BoxFuture<'a, anyhow::Result<()>>;

    /// Starts an object written part by part; nothing is visible until [`PartSink::complete`].
    fn start<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Box<dyn PartSink>>>;

    /// Streams an object in chunks; `None` when it does not exist.
    fn read<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Option<Box<dyn ChunkSource>>>>;

    /// Every key under `prefix` (relative to the store), in any order.
    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, anyhow::Result<Vec<String>>>;

    /// Deletes the keys (missing ones are fine).
    fn delete<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, anyhow::Result<()>>;

    /// The S3 client, when the store is a bucket (tests and scripts that must create one).
    fn s3_client(&self) -> Option<&aws_sdk_s3::Client> {
        None
    }
}

/// The receiving end of one object being written in parts of at least [`MIN_PART_BYTES`].
pub trait PartSink: Send {
    /// Stores one full part.
    fn part(&mut self, body: Vec<u8>) -> BoxFuture<'_, anyhow::Result<()>>;

    /// Stores the last (possibly empty or short) part and makes the object visible.
    fn complete(self: Box<Self>, last: Vec<u8>) -> BoxFuture<'static, anyhow::Result<()>>;

    /// Gives up on the object (best effort).
    fn abort(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// An object's bytes, chunk by chunk as they arrive.
pub trait ChunkSource: Send {
    fn next(&mut self) -> BoxFuture<'_, anyhow::Result<Option<Bytes>>>;
}

/// The store the backup was configured with.
#[derive(Debug, Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

/// What was stored: compressed size and the SHA-256 of exactly those bytes.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub bytes: u64,
    pub sha256: String,
}

impl Storage {
    pub fn new(store: impl ObjectStore + 'static) -> Self {
        Self {
            store: Arc::new(store),
        }
    }

    /// Builds the store for `location`; for S3 from the usual AWS environment (see
    /// [`S3Store::open`]).
    pub async fn open(location: &Location) -> Self {
        Self::open_with(location, None).await
    }

    /// As [`Storage::open`], with an explicit endpoint and static credentials (tests, scripts).
    pub async fn open_with(location: &Location, endpoint: Option<(&str, &str, &str)>) -> Self {
        match location {
            Location::Folder(path) => Self::new(FolderStore::new(path.clone())),
            Location::S3 { bucket, prefix } => {
                Self::new(S3Store::open(bucket, prefix, endpoint).await)
            }
        }
    }

    /// The S3 client, when the store is a bucket.
    pub fn s3_client(&self) -> Option<&aws_sdk_s3::Client> {
        self.store.s3_client()
    }

    /// Writes a small object in one request.
    pub async fn put(&self, key: &str, body: Bytes) -> anyhow::Result<()> {
        self.store.put(key, body).await
    }

    /// Reads a small object whole; `None` when it does not exist.
    pub async fn get(&self, key: &str) -> anyhow::Result<Option<Bytes>> {
        let Some(mut reader) = self.reader(key).await? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        while let Some(chunk) = reader.next().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(Some(Bytes::from(out)))
    }

    /// Every key under `prefix` (relative to the store), sorted.
    pub async fn list(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let mut keys = self.store.list(prefix).await?;
        keys.sort();
        Ok(keys)
    }

    /// Deletes the keys (missing ones are fine).
    pub async fn delete(&self, keys: &[String]) -> anyhow::Result<()> {
        self.store.delete(keys).await
    }

    /// Starts a streamed object; nothing is visible under `key` until [`ObjectWriter::finish`].
    pub async fn writer(&self, key: &str, part_bytes: usize) -> anyhow::Result<ObjectWriter> {
        let sink = self.store.start(key).await?;
        let part_bytes = part_bytes.max(MIN_PART_BYTES);
        Ok(ObjectWriter {
            sink,
            buffer: Vec::with_capacity(part_bytes),
            part_bytes,
            sha: Sha256::new(),
            bytes: 0,
        })
    }

    /// Streams an object in chunks; `None` when it does not exist.
    pub async fn reader(&self, key: &str) -> anyhow::Result<Option<ObjectReader>> {
        Ok(self.store.read(key).await?.map(ObjectReader))
    }
}

/// One object being written: bytes are buffered into parts of `part_bytes` and sent as each
/// part fills, so memory holds one part whatever the object's size.
pub struct ObjectWriter {
    sink: Box<dyn PartSink>,
    buffer: Vec<u8>,
    part_bytes: usize,
    sha: Sha256,
    bytes: u64,
}

impl ObjectWriter {
    pub async fn write(&mut self, data: &[u8]) -> anyhow::Result<()> {
        self.sha.update(data);
        self.bytes += data.len() as u64;
        // Fill the part to exactly `part_bytes` and carry the rest over, so the buffer never
        // grows past the capacity it was allocated with.
        let mut data = data;
        while !data.is_empty() {
            let room = self.part_bytes.saturating_sub(self.buffer.len());
            let (now, rest) = data.split_at(room.min(data.len()));
            self.buffer.extend_from_slice(now);
            if self.buffer.len() >= self.part_bytes {
                let body = std::mem::replace(&mut self.buffer, Vec::with_capacity(self.part_bytes));
                self.sink.part(body).await?;
            }
            data = rest;
        }
        Ok(())
    }

    /// Makes the object visible under its key and returns its size and checksum.
    pub async fn finish(self) -> anyhow::Result<StoredObject> {
        self.sink.complete(self.buffer).await?;
        Ok(StoredObject {
            bytes: self.bytes,
            sha256: hex::encode(self.sha.finalize()),
        })
    }

    /// Gives up on the object (best effort: the bucket's lifecycle rule also aborts stale uploads).
    pub async fn abort(self) {
        self.sink.abort().await;
    }
}

/// An object read in chunks as they arrive.
pub struct ObjectReader(Box<dyn ChunkSource>);

impl ObjectReader {
    pub async fn next(&mut self) -> anyhow::Result<Option<Bytes>> {
        self.0.next().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_urls_parse_into_bucket_and_prefix_or_folder() {
        assert_eq!(
            Location::parse("s3://my-bucket/precog/prod/").expect("valid"),
            Location::S3 {
                bucket: "my-bucket".into(),
                prefix: "precog/prod".into()
            }
        );
        assert_eq!(
            Location::parse("s3://b").expect("valid"),
            Location::S3 {
                bucket: "b".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            Location::parse("file:///tmp/backups").expect("valid"),
            Location::Folder(PathBuf::from("/tmp/backups"))
        );
        assert!(Location::parse("http://example.com/x").is_err());
        assert!(Location::parse("backups").is_err());
    }
}
