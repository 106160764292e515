//! The project's template bucket: child stack templates (and a root
//! template over the inline limit) that CloudFormation reads by URL.
//! Versioned, encrypted, closed to the public, tagged with the project;
//! `down` empties and removes it.

use crate::aws::{self, Aws};
use crate::commands::Failure;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CreateBucketConfiguration, Delete, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, ObjectIdentifier, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging, VersioningConfiguration,
};

pub struct Bucket {
    pub name: String,
    /// What `NestedTemplatesUrl` holds: objects are `<url>/<key>`.
    pub url: String,
}

/// The URL CloudFormation reads an object of `bucket` at (the endpoint's
/// own form when one is configured, as for a local emulator).
pub fn url(aws: &Aws, bucket: &str) -> String {
    match aws.config.endpoint_url() {
        Some(endpoint) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
        None => {
            let suffix = if aws.region.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            format!("https://{bucket}.s3.{}.{suffix}", aws.region)
        }
    }
}

/// Create `name` in our region, or fail saying what for.
pub async fn create(aws: &Aws, name: &str, what: &str) -> Result<(), Failure> {
    let mut create = aws.s3().create_bucket().bucket(name);
    if aws.region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(aws.region.as_str()))
                .build(),
        );
    }
    create
        .send()
        .await
        .map_err(|e| aws::message(&format!("creating S3 bucket {name} for {what}"), e))?;
    Ok(())
}

/// The project's bucket (`names::template_bucket`), created and locked
/// down on first use.
pub async fn ensure(aws: &Aws, name: &str, project: &str) -> Result<Bucket, Failure> {
    let s3 = aws.s3();
    if s3.head_bucket().bucket(name).send().await.is_err() {
        create(aws, name, "the nested stacks' templates").await?;
        secure(aws, name, project).await?;
    }
    Ok(Bucket {
        url: url(aws, name),
        name: name.to_string(),
    })
}

async fn secure(aws: &Aws, name: &str, project: &str) -> Result<(), Failure> {
    let s3 = aws.s3();
    let fail = |what: &str| format!("{what} of S3 bucket {name}");
    let block = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    s3.put_public_access_block()
        .bucket(name)
        .public_access_block_configuration(block)
        .send()
        .await
        .map_err(|e| aws::message(&fail("blocking public access"), e))?;
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::Aes256)
                .build()
                .map_err(|e| fail(&format!("encryption settings: {e}")))?,
        )
        .build();
    s3.put_bucket_encryption()
        .bucket(name)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .map_err(|e| fail(&format!("encryption settings: {e}")))?,
        )
        .send()
        .await
        .map_err(|e| aws::message(&fail("setting the encryption"), e))?;
    s3.put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map_err(|e| aws::message(&fail("turning on versioning"), e))?;
    // Templates replaced by newer ones are kept a week, then expire.
    let lifecycle = LifecycleRule::builder()
        .id("expire-replaced-templates")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(7)
                .build(),
        )
        .build()
        .map_err(|e| fail(&format!("lifecycle rule: {e}")))?;
    s3.put_bucket_lifecycle_configuration()
        .bucket(name)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(lifecycle)
                .build()
                .map_err(|e| fail(&format!("lifecycle rule: {e}")))?,
        )
        .send()
        .await
        .map_err(|e| aws::message(&fail("setting the lifecycle"), e))?;
    let tag = Tag::builder()
        .key(ecs::convert::PROJECT_TAG)
        .value(project)
        .build()
        .map_err(|e| fail(&format!("tag: {e}")))?;
    s3.put_bucket_tagging()
        .bucket(name)
        .tagging(
            Tagging::builder()
                .tag_set(tag)
                .build()
                .map_err(|e| fail(&format!("tags: {e}")))?,
        )
        .send()
        .await
        .map_err(|e| aws::message(&fail("tagging"), e))?;
    Ok(())
}

/// Store a template under its content-addressed key, unless it is there.
pub async fn put(aws: &Aws, bucket: &Bucket, key: &str, body: &str) -> Result<(), Failure> {
    let s3 = aws.s3();
    if s3
        .head_object()
        .bucket(&bucket.name)
        .key(key)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    s3.put_object()
        .bucket(&bucket.name)
        .key(key)
        .content_type("application/json")
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .map_err(|e| aws::message(&format!("uploading {key} to S3 bucket {}", bucket.name), e))?;
    Ok(())
}

/// A template stored under `key`, if it is there and of a template's size
/// (CloudFormation reads at most 1 MB by URL). Best effort: `None` on any
/// failure.
pub async fn get(aws: &Aws, bucket: &str, key: &str) -> Option<String> {
    const MAX: i64 = 1_000_000;
    let object = aws
        .s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .ok()?;
    if object.content_length().is_none_or(|n| n > MAX) {
        return None;
    }
    let bytes = object.body.collect().await.ok()?.into_bytes();
    String::from_utf8(bytes.into()).ok()
}

/// Store many templates, eight requests at a time.
pub async fn put_all(
    aws: &Aws,
    bucket: &Bucket,
    files: &[(String, String)],
) -> Result<(), Failure> {
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    stream::iter(files.iter().map(|(key, body)| put(aws, bucket, key, body)))
        .buffer_unordered(8)
        .try_collect::<()>()
        .await
}

/// Remove the templates a deployment no longer names (their versions
/// expire with the lifecycle rule). Best effort: a failure is a warning.
pub async fn prune(aws: &Aws, bucket: &Bucket, keep: &[&str]) {
    let s3 = aws.s3();
    let mut stale = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(&bucket.name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let Ok(page) = page else {
            return;
        };
        for o in page.contents() {
            if let Some(key) = o.key().filter(|k| !keep.contains(k)) {
                stale.push(key.to_string());
            }
        }
    }
    for chunk in stale.chunks(1000) {
        let objects = chunk.iter().map(|k| (k.as_str(), None));
        if delete_objects(aws, &bucket.name, objects).await.is_err() {
            crate::report::warning(&format!(
                "could not remove the templates of earlier deployments from S3 bucket {}",
                bucket.name
            ));
            return;
        }
    }
}

/// Empty the project's bucket (every version) and remove it; `false` when
/// there was none.
pub async fn remove(aws: &Aws, name: &str) -> Result<bool, Failure> {
    let s3 = aws.s3();
    if s3.head_bucket().bucket(name).send().await.is_err() {
        return Ok(false);
    }
    loop {
        let listed = s3
            .list_object_versions()
            .bucket(name)
            .send()
            .await
            .map_err(|e| aws::message(&format!("listing S3 bucket {name}"), e))?;
        // A page holds at most 1,000 versions, as many as one delete takes.
        let mut objects = Vec::new();
        for v in listed.versions() {
            objects.extend(v.key().map(|k| (k, v.version_id())));
        }
        for m in listed.delete_markers() {
            objects.extend(m.key().map(|k| (k, m.version_id())));
        }
        if objects.is_empty() {
            break;
        }
        delete_objects(aws, name, objects.into_iter()).await?;
    }
    s3.delete_bucket()
        .bucket(name)
        .send()
        .await
        .map_err(|e| aws::message(&format!("removing S3 bucket {name}"), e))?;
    Ok(true)
}

/// Delete up to 1,000 objects (a version each, or the current one) in one
/// request.
async fn delete_objects<'a>(
    aws: &Aws,
    bucket: &str,
    objects: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) -> Result<(), Failure> {
    let ids = objects
        .filter_map(|(key, version)| {
            ObjectIdentifier::builder()
                .key(key)
                .set_version_id(version.map(str::to_string))
                .build()
                .ok()
        })
        .collect();
    let delete = Delete::builder()
        .set_objects(Some(ids))
        .quiet(true)
        .build()
        .map_err(|e| format!("emptying S3 bucket {bucket}: {e}"))?;
    aws.s3()
        .delete_objects()
        .bucket(bucket)
        .delete(delete)
        .send()
        .await
        .map_err(|e| aws::message(&format!("emptying S3 bucket {bucket}"), e))?;
    Ok(())
}
