//! A local folder as an object store. An object is written to `<key>.partial` and renamed when
//! complete, so a crash never leaves a short file under the final name.

use std::path::{Path, PathBuf};

use anyhow::Context;
use bytes::Bytes;
use futures::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{ChunkSource, ObjectStore, PartSink};

/// Bytes read from a file per chunk.
const READ_CHUNK: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct FolderStore {
    root: PathBuf,
}

impl FolderStore {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    /// Every file under `dir`'s tree whose key starts with `prefix`, partial ones left out.
    async fn walk(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut pending = vec![self.root.clone()];
        while let Some(dir) = pending.pop() {
            let mut entries = match tokio::fs::read_dir(&dir).await {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
            };
            while let Some(entry) = entries.next_entry().await? {
                let path = entry.path();
                if entry.file_type().await?.is_dir() {
                    pending.push(path);
                } else if let Ok(rel) = path.strip_prefix(&self.root) {
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    if rel.starts_with(prefix) && !rel.ends_with(".partial") {
                        keys.push(rel);
                    }
                }
            }
        }
        Ok(keys)
    }
}

impl ObjectStore for FolderStore {
    fn put<'a>(&'a self, key: &'a str, body: Bytes) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let path = self.path(key);
            let mut sink = FolderSink::create(path).await?;
            sink.file.write_all(&body).await?;
            Box::new(sink).complete(Vec::new()).await
        })
    }

    fn start<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Box<dyn PartSink>>> {
        Box::pin(async move {
            let sink: Box<dyn PartSink> = Box::new(FolderSink::create(self.path(key)).await?);
            Ok(sink)
        })
    }

    fn read<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Option<Box<dyn ChunkSource>>>> {
        Box::pin(async move {
            match tokio::fs::File::open(self.path(key)).await {
                Ok(file) => Ok(Some(Box::new(FileChunks(file)) as Box<dyn ChunkSource>)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("opening {key}")),
            }
        })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(self.walk(prefix))
    }

    fn delete<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            for key in keys {
                match tokio::fs::remove_file(self.path(key)).await {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e).with_context(|| format!("deleting {key}")),
                }
            }
            Ok(())
        })
    }
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// An object being written to its `.partial` file.
struct FolderSink {
    file: tokio::fs::File,
    partial: PathBuf,
    path: PathBuf,
}

impl FolderSink {
    async fn create(path: PathBuf) -> anyhow::Result<Self> {
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        let partial = partial_path(&path);
        let file = tokio::fs::File::create(&partial)
            .await
            .with_context(|| format!("creating {}", partial.display()))?;
        Ok(Self {
            file,
            partial,
            path,
        })
    }
}

impl PartSink for FolderSink {
    fn part(&mut self, body: Vec<u8>) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move { Ok(self.file.write_all(&body).await?) })
    }

    fn complete(self: Box<Self>, last: Vec<u8>) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let Self {
                mut file,
                partial,
                path,
            } = *self;
            file.write_all(&last).await?;
            file.flush().await?;
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&partial, &path)
                .await
                .with_context(|| format!("finishing {}", path.display()))
        })
    }

    fn abort(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let partial = self.partial.clone();
            drop(self);
            let _ = tokio::fs::remove_file(partial).await;
        })
    }
}

/// A file read a chunk at a time.
struct FileChunks(tokio::fs::File);

impl ChunkSource for FileChunks {
    fn next(&mut self) -> BoxFuture<'_, anyhow::Result<Option<Bytes>>> {
        Box::pin(async move {
            let mut buf = vec![0u8; READ_CHUNK];
            let n = self.0.read(&mut buf).await?;
            if n == 0 {
                return Ok(None);
            }
            buf.truncate(n);
            Ok(Some(Bytes::from(buf)))
        })
    }
}
