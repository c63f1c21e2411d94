//! Where backups live: an S3 bucket and prefix (any S3-compatible endpoint) or a local folder,
//! behind one small type. Objects are written in parts so a table never sits whole in memory;
//! a folder object is written to `*.partial` and renamed, so a crash never leaves a short file
//! under the final name; an S3 object becomes visible only when its multipart upload completes.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// An object store rooted at a location; keys are relative to the prefix or folder.
#[derive(Debug, Clone)]
pub enum Storage {
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
    },
    Folder(PathBuf),
}

/// What was stored: compressed size and the SHA-256 of exactly those bytes.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub bytes: u64,
    pub sha256: String,
}

impl Storage {
    /// Builds the client for `location`. For S3 the credentials, region and endpoint come from
    /// the usual AWS environment; an endpoint override (`AWS_ENDPOINT_URL_S3`, MinIO, R2, a test
    /// server) gets path-style addressing, which S3-compatible servers expect and which has no
    /// environment variable of its own.
    pub async fn open(location: &Location) -> Self {
        Self::open_with(location, None).await
    }

    /// As [`Storage::open`], with an explicit endpoint and static credentials (tests, scripts).
    pub async fn open_with(location: &Location, endpoint: Option<(&str, &str, &str)>) -> Self {
        match location {
            Location::Folder(path) => Self::Folder(path.clone()),
            Location::S3 { bucket, prefix } => {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some((url, key, secret)) = endpoint {
                    loader = loader
                        .endpoint_url(url)
                        .region(aws_sdk_s3::config::Region::new("us-east-1"))
                        .credentials_provider(aws_sdk_s3::config::Credentials::new(
                            key, secret, None, None, "static",
                        ));
                }
                let shared = loader.load().await;
                let mut config = aws_sdk_s3::config::Builder::from(&shared);
                if shared.region().is_none() {
                    config = config.region(aws_sdk_s3::config::Region::new("us-east-1"));
                }
                let overridden = shared.endpoint_url().is_some()
                    || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
                if overridden {
                    config = config.force_path_style(true);
                }
                Self::S3 {
                    client: aws_sdk_s3::Client::from_conf(config.build()),
                    bucket: bucket.clone(),
                    prefix: prefix.clone(),
                }
            }
        }
    }

    fn s3_key(prefix: &str, key: &str) -> String {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}/{key}")
        }
    }

    fn folder_path(root: &Path, key: &str) -> PathBuf {
        root.join(key)
    }

    /// Writes a small object in one request.
    pub async fn put(&self, key: &str, body: Bytes) -> anyhow::Result<()> {
        match self {
            Self::S3 {
                client,
                bucket,
                prefix,
            } => {
                client
                    .put_object()
                    .bucket(bucket)
                    .key(Self::s3_key(prefix, key))
                    .body(ByteStream::from(body))
                    .send()
                    .await
                    .with_context(|| format!("putting {key}"))?;
            }
            Self::Folder(root) => {
                let path = Self::folder_path(root, key);
                write_file_atomically(&path, &body).await?;
            }
        }
        Ok(())
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
        let mut keys = Vec::new();
        match self {
            Self::S3 {
                client,
                bucket,
                prefix: root,
            } => {
                let full = Self::s3_key(root, prefix);
                let strip = if root.is_empty() { 0 } else { root.len() + 1 };
                let mut pages = client
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(full)
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    let page = page.with_context(|| format!("listing {prefix}"))?;
                    for object in page.contents() {
                        if let Some(key) = object.key() {
                            keys.push(key.get(strip..).unwrap_or(key).to_owned());
                        }
                    }
                }
            }
            Self::Folder(root) => {
                let mut pending = vec![root.clone()];
                while let Some(dir) = pending.pop() {
                    let mut entries = match tokio::fs::read_dir(&dir).await {
                        Ok(entries) => entries,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => {
                            return Err(e).with_context(|| format!("listing {}", dir.display()))
                        }
                    };
                    while let Some(entry) = entries.next_entry().await? {
                        let path = entry.path();
                        if entry.file_type().await?.is_dir() {
                            pending.push(path);
                        } else if let Ok(rel) = path.strip_prefix(root) {
                            let rel = rel.to_string_lossy().replace('\\', "/");
                            if rel.starts_with(prefix) && !rel.ends_with(".partial") {
                                keys.push(rel);
                            }
                        }
                    }
                }
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// Deletes the keys (missing ones are fine).
    pub async fn delete(&self, keys: &[String]) -> anyhow::Result<()> {
        match self {
            Self::S3 {
                client,
                bucket,
                prefix,
            } => {
                for batch in keys.chunks(1000) {
                    let objects = batch
                        .iter()
                        .map(|k| {
                            ObjectIdentifier::builder()
                                .key(Self::s3_key(prefix, k))
                                .build()
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    let output = client
                        .delete_objects()
                        .bucket(bucket)
                        .delete(Delete::builder().set_objects(Some(objects)).build()?)
                        .send()
                        .await
                        .context("deleting objects")?;
                    if let Some(error) = output.errors().first() {
                        bail!(
                            "deleting {}: {}",
                            error.key().unwrap_or("?"),
                            error.message().unwrap_or("?")
                        );
                    }
                }
            }
            Self::Folder(root) => {
                for key in keys {
                    match tokio::fs::remove_file(Self::folder_path(root, key)).await {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(e).with_context(|| format!("deleting {key}")),
                    }
                }
            }
        }
        Ok(())
    }

    /// Starts a streamed object; nothing is visible under `key` until [`ObjectWriter::finish`].
    pub async fn writer(&self, key: &str, part_bytes: usize) -> anyhow::Result<ObjectWriter> {
        let target = match self {
            Self::S3 {
                client,
                bucket,
                prefix,
            } => Target::S3 {
                client: client.clone(),
                bucket: bucket.clone(),
                key: Self::s3_key(prefix, key),
                upload_id: None,
                parts: Vec::new(),
            },
            Self::Folder(root) => {
                let path = Self::folder_path(root, key);
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent).await?;
                }
                let partial = partial_path(&path);
                let file = tokio::fs::File::create(&partial)
                    .await
                    .with_context(|| format!("creating {}", partial.display()))?;
                Target::Folder {
                    file,
                    partial,
                    path,
                }
            }
        };
        let part_bytes = part_bytes.max(MIN_PART_BYTES);
        Ok(ObjectWriter {
            target,
            buffer: Vec::with_capacity(part_bytes),
            part_bytes,
            sha: Sha256::new(),
            bytes: 0,
        })
    }

    /// Streams an object in chunks; `None` when it does not exist.
    pub async fn reader(&self, key: &str) -> anyhow::Result<Option<ObjectReader>> {
        match self {
            Self::S3 {
                client,
                bucket,
                prefix,
            } => {
                let result = client
                    .get_object()
                    .bucket(bucket)
                    .key(Self::s3_key(prefix, key))
                    .send()
                    .await;
                match result {
                    Ok(output) => Ok(Some(ObjectReader::S3(output.body))),
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
                    Err(e) => Err(e).with_context(|| format!("getting {key}")),
                }
            }
            Self::Folder(root) => match tokio::fs::File::open(Self::folder_path(root, key)).await {
                Ok(file) => Ok(Some(ObjectReader::Folder(file))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("opening {key}")),
            },
        }
    }
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

async fn write_file_atomically(path: &Path, body: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let partial = partial_path(path);
    let mut file = tokio::fs::File::create(&partial).await?;
    file.write_all(body).await?;
    file.sync_all().await?;
    tokio::fs::rename(&partial, path)
        .await
        .with_context(|| format!("writing {}", path.display()))
}

enum Target {
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        key: String,
        upload_id: Option<String>,
        parts: Vec<CompletedPart>,
    },
    Folder {
        file: tokio::fs::File,
        partial: PathBuf,
        path: PathBuf,
    },
}

/// One object being written: bytes are buffered into parts of `part_bytes` and sent as each
/// part fills, so memory holds one part whatever the object's size.
pub struct ObjectWriter {
    target: Target,
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
                self.flush_part().await?;
            }
            data = rest;
        }
        Ok(())
    }

    async fn flush_part(&mut self) -> anyhow::Result<()> {
        let body = std::mem::replace(&mut self.buffer, Vec::with_capacity(self.part_bytes));
        match &mut self.target {
            Target::Folder { file, .. } => file.write_all(&body).await?,
            Target::S3 {
                client,
                bucket,
                key,
                upload_id,
                parts,
            } => {
                let id = match upload_id {
                    Some(id) => id.clone(),
                    None => {
                        let created = client
                            .create_multipart_upload()
                            .bucket(bucket.as_str())
                            .key(key.as_str())
                            .send()
                            .await
                            .with_context(|| format!("starting the upload of {key}"))?;
                        let id = created
                            .upload_id()
                            .context("S3 returned no upload id")?
                            .to_owned();
                        *upload_id = Some(id.clone());
                        id
                    }
                };
                let number = i32::try_from(parts.len() + 1)?;
                let uploaded = client
                    .upload_part()
                    .bucket(bucket.as_str())
                    .key(key.as_str())
                    .upload_id(&id)
                    .part_number(number)
                    .body(ByteStream::from(body))
                    .send()
                    .await
                    .with_context(|| format!("uploading part {number} of {key}"))?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(uploaded.e_tag().map(str::to_owned))
                        .set_checksum_crc32(uploaded.checksum_crc32().map(str::to_owned))
                        .build(),
                );
            }
        }
        Ok(())
    }

    /// Makes the object visible under its key and returns its size and checksum.
    pub async fn finish(mut self) -> anyhow::Result<StoredObject> {
        let multipart = matches!(
            &self.target,
            Target::S3 {
                upload_id: Some(_),
                ..
            }
        );
        // A small S3 object goes in one PUT below; anything else flushes its last part.
        let streamed = multipart || matches!(&self.target, Target::Folder { .. });
        if streamed && !self.buffer.is_empty() {
            self.flush_part().await?;
        }
        match self.target {
            Target::Folder {
                mut file,
                partial,
                path,
            } => {
                file.flush().await?;
                file.sync_all().await?;
                drop(file);
                tokio::fs::rename(&partial, &path)
                    .await
                    .with_context(|| format!("finishing {}", path.display()))?;
            }
            Target::S3 {
                client,
                bucket,
                key,
                upload_id,
                parts,
            } => match upload_id {
                None => {
                    client
                        .put_object()
                        .bucket(bucket)
                        .key(&key)
                        .body(ByteStream::from(std::mem::take(&mut self.buffer)))
                        .send()
                        .await
                        .with_context(|| format!("putting {key}"))?;
                }
                Some(id) => {
                    client
                        .complete_multipart_upload()
                        .bucket(bucket)
                        .key(&key)
                        .upload_id(id)
                        .multipart_upload(
                            CompletedMultipartUpload::builder()
                                .set_parts(Some(parts))
                                .build(),
                        )
                        .send()
                        .await
                        .with_context(|| format!("completing the upload of {key}"))?;
                }
            },
        }
        Ok(StoredObject {
            bytes: self.bytes,
            sha256: hex::encode(self.sha.finalize()),
        })
    }

    /// Gives up on the object (best effort: the bucket's lifecycle rule also aborts stale uploads).
    pub async fn abort(self) {
        match self.target {
            Target::Folder { partial, .. } => {
                let _ = tokio::fs::remove_file(partial).await;
            }
            Target::S3 {
                client,
                bucket,
                key,
                upload_id: Some(id),
                ..
            } => {
                let _ = client
                    .abort_multipart_upload()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(id)
                    .send()
                    .await;
            }
            Target::S3 { .. } => {}
        }
    }
}

/// An object read in chunks as they arrive.
pub enum ObjectReader {
    S3(ByteStream),
    Folder(tokio::fs::File),
}

impl ObjectReader {
    pub async fn next(&mut self) -> anyhow::Result<Option<Bytes>> {
        match self {
            Self::S3(body) => match body.next().await {
                None => Ok(None),
                Some(chunk) => Ok(Some(chunk.context("reading the object")?)),
            },
            Self::Folder(file) => {
                let mut buf = vec![0u8; 1 << 20];
                let n = file.read(&mut buf).await?;
                if n == 0 {
                    return Ok(None);
                }
                buf.truncate(n);
                Ok(Some(Bytes::from(buf)))
            }
        }
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
