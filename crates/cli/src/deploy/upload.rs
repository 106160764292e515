//! Templates over CloudFormation's 51,200-byte `TemplateBody` limit travel
//! through S3: the project's template bucket when it has one (nested
//! stacks), else a temporary bucket removed as soon as CloudFormation has
//! read the template.

use super::bucket::{self, Bucket};
use crate::aws::Aws;
use crate::commands::Failure;

pub const BODY_LIMIT: usize = 51_200;

/// How the template reaches CloudFormation.
pub enum Source {
    Body(String),
    Url {
        url: String,
        /// The temporary bucket and object to remove afterwards.
        temporary: Option<(String, String)>,
    },
}

impl Source {
    pub async fn new(
        aws: &Aws,
        stack: &str,
        account: &str,
        body: String,
        project_bucket: Option<&Bucket>,
    ) -> Result<Source, Failure> {
        if body.len() <= BODY_LIMIT {
            return Ok(Source::Body(body));
        }
        if let Some(b) = project_bucket {
            let key = format!("{stack}-{}.json", ecs::nested::content_hash(&body));
            bucket::put(aws, b, &key, &body).await?;
            return Ok(Source::Url {
                url: format!("{}/{key}", b.url),
                temporary: None,
            });
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        // Bucket names are global: account, region and time make it ours.
        let name = format!(
            "docker-ecs-{account}-{}-{:x}",
            aws.region,
            nanos % (1 << 40)
        );
        let what = format!(
            "the template ({} bytes, over CloudFormation's {BODY_LIMIT})",
            body.len()
        );
        bucket::create(aws, &name, &what).await?;
        let b = Bucket {
            url: bucket::url(aws, &name),
            name,
        };
        let key = format!("{stack}.json");
        if let Err(e) = bucket::put(aws, &b, &key, &body).await {
            let _ = aws.s3().delete_bucket().bucket(&b.name).send().await;
            return Err(e);
        }
        Ok(Source::Url {
            url: format!("{}/{key}", b.url),
            temporary: Some((b.name, key)),
        })
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
        if let Source::Url {
            temporary: Some((bucket, key)),
            ..
        } = self
        {
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
