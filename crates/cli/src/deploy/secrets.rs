//! Compose `file:` and `environment:` secrets → Secrets Manager, as
//! `<project>/<secret>`. Values go from the file straight to the API: they are
//! never printed, logged, put in the template or on a command line.

use crate::aws::{self, Aws};
use crate::commands::Failure;
use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::types::Tag;
use ecs::convert::{PROJECT_TAG, SecretParameter, SecretSource};

/// What happened to one secret.
pub struct Stored {
    pub parameter: String,
    pub name: String,
    pub arn: String,
    pub action: &'static str,
}

/// Read a secret's value from where the Compose file says.
fn value(secret: &SecretParameter, env: &compose::env::Environment) -> Result<Vec<u8>, Failure> {
    match &secret.source {
        SecretSource::File(path) => {
            compose::read::read_bytes(std::path::Path::new(path), compose::read::SECRET_FILE)
                .map_err(|e| Failure::Message(format!("secret {}: {}", secret.secret, e.message)))
        }
        SecretSource::Environment(var) => {
            env.get(var).map(|v| v.as_bytes().to_vec()).ok_or_else(|| {
                Failure::Message(format!(
                    "secret {}: the environment variable {var} is not set",
                    secret.secret
                ))
            })
        }
    }
}

/// Create or update every secret; with `dry_run`, only look them up.
pub async fn push(
    aws: &Aws,
    project: &str,
    secrets: &[SecretParameter],
    env: &compose::env::Environment,
    dry_run: bool,
    account: &str,
) -> Result<Vec<Stored>, Failure> {
    let client = aws.secrets();
    let mut out = Vec::new();
    for secret in secrets {
        let bytes = value(secret, env)?;
        let existing = match client
            .describe_secret()
            .secret_id(&secret.name)
            .send()
            .await
        {
            Ok(d) => Some(d),
            Err(e) if aws::code(&e) == Some("ResourceNotFoundException") => None,
            Err(e) => {
                return Err(aws::message(
                    &format!("looking up secret {}", secret.name),
                    e,
                ));
            }
        };
        let (arn, action) = match existing {
            Some(d) => {
                let arn = d.arn().unwrap_or_default().to_string();
                if d.deleted_date().is_some() {
                    return Err(Failure::Message(format!(
                        "secret {} is scheduled for deletion in Secrets Manager: restore it (aws secretsmanager restore-secret --secret-id {}) or wait until it is gone",
                        secret.name, secret.name
                    )));
                }
                let action = if current_value(&client, &arn).await.as_deref() == Some(&bytes[..]) {
                    "unchanged"
                } else if dry_run {
                    "would update"
                } else {
                    let (text, binary) = payload(bytes);
                    client
                        .put_secret_value()
                        .secret_id(&arn)
                        .set_secret_string(text)
                        .set_secret_binary(binary)
                        .send()
                        .await
                        .map_err(|e| {
                            aws::message(&format!("updating secret {}", secret.name), e)
                        })?;
                    "updated"
                };
                (arn, action)
            }
            // A placeholder of the right shape, only for the change set.
            None if dry_run => (
                format!(
                    "arn:aws:secretsmanager:{}:{account}:secret:{}",
                    aws.region, secret.name
                ),
                "would create",
            ),
            None => {
                let (text, binary) = payload(bytes);
                let created = client
                    .create_secret()
                    .name(&secret.name)
                    .description(format!(
                        "Compose secret {} of project {project} (docker-ecs)",
                        secret.secret
                    ))
                    .tags(Tag::builder().key(PROJECT_TAG).value(project).build())
                    .set_secret_string(text)
                    .set_secret_binary(binary)
                    .send()
                    .await
                    .map_err(|e| aws::message(&format!("creating secret {}", secret.name), e))?;
                (created.arn().unwrap_or_default().to_string(), "created")
            }
        };
        let stored = Stored {
            parameter: secret.parameter.clone(),
            name: secret.name.clone(),
            arn,
            action,
        };
        out.push(stored);
    }
    Ok(out)
}

/// A value as Secrets Manager stores it: text when it is UTF-8, else binary.
pub fn payload(bytes: Vec<u8>) -> (Option<String>, Option<Blob>) {
    match String::from_utf8(bytes) {
        Ok(text) => (Some(text), None),
        Err(e) => (None, Some(Blob::new(e.into_bytes()))),
    }
}

/// The stored value, to skip writing an identical version. Any error (for
/// example no secretsmanager:GetSecretValue permission) means "write it".
async fn current_value(client: &aws_sdk_secretsmanager::Client, arn: &str) -> Option<Vec<u8>> {
    let out = client.get_secret_value().secret_id(arn).send().await.ok()?;
    if let Some(s) = out.secret_string() {
        return Some(s.as_bytes().to_vec());
    }
    out.secret_binary().map(|b| b.as_ref().to_vec())
}
