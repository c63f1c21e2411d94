//! An S3 bucket and prefix (or any S3-compatible endpoint) as an object store. A streamed object
//! is a multipart upload, visible only once it completes; one that never filled a part goes up
//! in a single PUT.

use anyhow::{bail, Context};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
use bytes::Bytes;
use futures::future::BoxFuture;

use super::{ChunkSource, ObjectStore, PartSink};

/// `DeleteObjects` takes at most this many keys per request.
const DELETE_BATCH: usize = 1000;

#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
}

impl S3Store {
    /// Builds the client. Credentials, region and endpoint come from the usual AWS environment
    /// unless `endpoint` gives a URL and static key/secret (tests, scripts). An endpoint override
    /// (`AWS_ENDPOINT_URL_S3`, MinIO, R2, a test server) gets path-style addressing, which
    /// S3-compatible servers expect and which has no environment variable of its own.
    pub async fn open(bucket: &str, prefix: &str, endpoint: Option<(&str, &str, &str)>) -> Self {
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
        let overridden =
            shared.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        if overridden {
            config = config.force_path_style(true);
        }
        Self {
            client: Client::from_conf(config.build()),
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        }
    }

    /// The bucket key of a store key.
    fn key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    async fn list_keys(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let strip = if self.prefix.is_empty() {
            0
        } else {
            self.prefix.len() + 1
        };
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(self.key(prefix))
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.with_context(|| format!("listing {prefix}"))?;
            for object in page.contents() {
                if let Some(key) = object.key() {
                    keys.push(key.get(strip..).unwrap_or(key).to_owned());
                }
            }
        }
        Ok(keys)
    }

    async fn delete_keys(&self, keys: &[String]) -> anyhow::Result<()> {
        for batch in keys.chunks(DELETE_BATCH) {
            let objects = batch
                .iter()
                .map(|k| ObjectIdentifier::builder().key(self.key(k)).build())
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
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
        Ok(())
    }
}

impl ObjectStore for S3Store {
    fn put<'a>(&'a self, key: &'a str, body: Bytes) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(self.key(key))
                .body(ByteStream::from(body))
                .send()
                .await
                .with_context(|| format!("putting {key}"))?;
            Ok(())
        })
    }

    fn start<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Box<dyn PartSink>>> {
        let sink = Upload {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: self.key(key),
            upload_id: None,
            parts: Vec::new(),
        };
        Box::pin(async move { Ok(Box::new(sink) as Box<dyn PartSink>) })
    }

    fn read<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Option<Box<dyn ChunkSource>>>> {
        Box::pin(async move {
            let result = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(self.key(key))
                .send()
                .await;
            match result {
                Ok(output) => Ok(Some(Box::new(Body(output.body)) as Box<dyn ChunkSource>)),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
                Err(e) => Err(e).with_context(|| format!("getting {key}")),
            }
        })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(self.list_keys(prefix))
    }

    fn delete<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(self.delete_keys(keys))
    }

    fn s3_client(&self) -> Option<&Client> {
        Some(&self.client)
    }
}

/// A multipart upload, started when its first part is full.
struct Upload {
    client: Client,
    bucket: String,
    key: String,
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
}

impl Upload {
    async fn upload_id(&mut self) -> anyhow::Result<String> {
        if let Some(id) = &self.upload_id {
            return Ok(id.clone());
        }
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .send()
            .await
            .with_context(|| format!("starting the upload of {}", self.key))?;
        let id = created
            .upload_id()
            .context("S3 returned no upload id")?
            .to_owned();
        self.upload_id = Some(id.clone());
        Ok(id)
    }

    async fn upload_part(&mut self, body: Vec<u8>) -> anyhow::Result<()> {
        let id = self.upload_id().await?;
        let number = i32::try_from(self.parts.len() + 1)?;
        let uploaded = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .with_context(|| format!("uploading part {number} of {}", self.key))?;
        self.parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(uploaded.e_tag().map(str::to_owned))
                .set_checksum_crc32(uploaded.checksum_crc32().map(str::to_owned))
                .build(),
        );
        Ok(())
    }

    async fn finish(mut self, last: Vec<u8>) -> anyhow::Result<()> {
        let Some(id) = self.upload_id.clone() else {
            // Never filled a part: one PUT.
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .body(ByteStream::from(last))
                .send()
                .await
                .with_context(|| format!("putting {}", self.key))?;
            return Ok(());
        };
        if !last.is_empty() {
            self.upload_part(last).await?;
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(self.parts))
                    .build(),
            )
            .send()
            .await
            .with_context(|| format!("completing the upload of {}", self.key))?;
        Ok(())
    }
}

impl PartSink for Upload {
    fn part(&mut self, body: Vec<u8>) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(self.upload_part(body))
    }

    fn complete(self: Box<Self>, last: Vec<u8>) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin((*self).finish(last))
    }

    fn abort(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            if let Some(id) = self.upload_id {
                let _ = self
                    .client
                    .abort_multipart_upload()
                    .bucket(self.bucket)
                    .key(self.key)
                    .upload_id(id)
                    .send()
                    .await;
            }
        })
    }
}

/// An object's body as it streams in.
struct Body(ByteStream);

impl ChunkSource for Body {
    fn next(&mut self) -> BoxFuture<'_, anyhow::Result<Option<Bytes>>> {
        Box::pin(async move {
            match self.0.next().await {
                None => Ok(None),
                Some(chunk) => Ok(Some(chunk.context("reading the object")?)),
            }
        })
    }
}
