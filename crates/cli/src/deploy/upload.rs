//! Templates over CloudFormation's 51,200-byte `TemplateBody` limit travel
//! through a temporary S3 object, removed as soon as CloudFormation has read it.

use crate::aws::{self, Aws};
use crate::commands::Failure;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

pub const BODY_LIMIT: usize = 51_200;

/// How the template reaches CloudFormation.
pub enum Source {
    Body(String),
    Url {
        url: String,
        bucket: String,
        key: String,
    },
}

impl Source {
    pub async fn new(
        aws: &Aws,
        stack: &str,
        account: &str,
        body: String,
    ) -> Result<Source, Failure> {
        if body.len() <= BODY_LIMIT {
            return Ok(Source::Body(body));
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        // Bucket names are global: account, region and time make it ours.
        let bucket = format!(
            "docker-ecs-{account}-{}-{:x}",
            aws.region,
            nanos % (1 << 40)
        );
        let key = format!("{stack}.json");
        let s3 = aws.s3();
        let mut create = s3.create_bucket().bucket(&bucket);
        if aws.region != "us-east-1" {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(aws.region.as_str()))
                    .build(),
            );
        }
        create.send().await.map_err(|e| {
            aws::message(
                &format!("creating S3 bucket {bucket} for the template ({} bytes, over CloudFormation's {BODY_LIMIT})", body.len()),
                e,
            )
        })?;
        let put = s3
            .put_object()
            .bucket(&bucket)
            .key(&key)
            .content_type("application/json")
            .body(ByteStream::from(body.into_bytes()))
            .send()
            .await;
        if let Err(e) = put {
            let _ = s3.delete_bucket().bucket(&bucket).send().await;
            return Err(aws::message("uploading the template to S3", e));
        }
        let url = match aws.config.endpoint_url() {
            Some(endpoint) => format!("{}/{bucket}/{key}", endpoint.trim_end_matches('/')),
            None => {
                let suffix = if aws.region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://{bucket}.s3.{}.{suffix}/{key}", aws.region)
            }
        };
        Ok(Source::Url { url, bucket, key })
    }

    /// `TemplateBody`, when the template travels inline.
    pub fn body(&self) -> Option<String> {
        match self {
            Source::Body(b) => Some(b.clone()),
            Source::Url { .. } => None,
        }
    }

    /// `TemplateURL`, when the template travels through S3.
    pub fn url(&self) -> Option<String> {
        match self {
            Source::Url { url, .. } => Some(url.clone()),
            Source::Body(_) => None,
        }
    }

    /// Remove the temporary object and bucket; a failure is only a warning.
    pub async fn clean_up(&self, aws: &Aws) {
        if let Source::Url { bucket, key, .. } = self {
            let s3 = aws.s3();
            let object = s3.delete_object().bucket(bucket).key(key).send().await;
            let bucket_gone = s3.delete_bucket().bucket(bucket).send().await;
            if object.is_err() || bucket_gone.is_err() {
                crate::report::warning(&format!(
                    "could not remove the temporary S3 bucket {bucket}; delete it with `aws s3 rb s3://{bucket} --force`"
                ));
            }
        }
    }
}
