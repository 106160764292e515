//! Image tags → manifest digests, so that a re-pushed tag rolls out and every
//! task of a deployment runs the same bytes. `up` pins by default; `convert`
//! only with `--resolve-image-digests` (it stays offline otherwise).
//!
//! ECR images resolve through the ECR API with the deploy's credentials;
//! other registries through the OCI distribution API (oci-client), anonymously
//! or with the Docker config's credentials and credential helpers.

use crate::aws::{self, Aws};
use crate::commands::Failure;
use oci_client::Reference;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use std::collections::BTreeMap;
use std::path::Path;

/// Image as written → image pinned to its digest (`repo@sha256:…`).
pub type Pins = BTreeMap<String, String>;

/// Resolve every image of the project that is not pinned already. `aws`
/// is needed only for ECR images.
pub async fn resolve(
    project: &compose::Project,
    aws: Option<&Aws>,
    docker_config: &Path,
) -> Result<Pins, Failure> {
    let mut images: Vec<&str> = project
        .services
        .values()
        .map(|s| s.image.as_str())
        .filter(|i| !i.is_empty())
        .collect();
    images.sort();
    images.dedup();
    let mut pins = Pins::new();
    for image in images {
        let reference: Reference = image.parse().map_err(|e| {
            Failure::Message(format!("image {image:?} is not a valid reference: {e}"))
        })?;
        if reference.digest().is_some() {
            continue;
        }
        let digest = match ecr_registry(reference.registry()) {
            Some(ecr) => ecr_digest(aws, &ecr, &reference, image).await?,
            None => registry_digest(&reference, image, docker_config).await?,
        };
        pins.insert(
            image.to_string(),
            format!(
                "{}/{}@{digest}",
                reference.registry(),
                reference.repository()
            ),
        );
    }
    Ok(pins)
}

/// Rewrite the project's images to their pinned form.
pub fn pin(project: &mut compose::Project, pins: &Pins) {
    for service in project.services.values_mut() {
        if let Some(p) = pins.get(&service.image) {
            service.image = p.clone();
        }
    }
}

/// An ECR registry host: `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`.
struct Ecr {
    account: String,
    region: String,
}

fn ecr_registry(host: &str) -> Option<Ecr> {
    let mut parts = host.split('.');
    let account = parts.next()?;
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if parts.next()? != "dkr" || !parts.next()?.starts_with("ecr") {
        return None;
    }
    let region = parts.next()?;
    (parts.next()? == "amazonaws").then(|| Ecr {
        account: account.to_string(),
        region: region.to_string(),
    })
}

async fn ecr_digest(
    aws: Option<&Aws>,
    ecr: &Ecr,
    reference: &Reference,
    image: &str,
) -> Result<String, Failure> {
    let Some(aws) = aws else {
        return Err(Failure::Message(format!(
            "image {image}: resolving an ECR image needs AWS credentials"
        )));
    };
    let tag = reference.tag().unwrap_or("latest");
    let answer = aws
        .ecr(&ecr.region)
        .describe_images()
        .registry_id(&ecr.account)
        .repository_name(reference.repository())
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag(tag)
                .build(),
        )
        .send()
        .await
        .map_err(|e| aws::message(&format!("resolving image {image} in ECR"), e))?;
    answer
        .image_details()
        .first()
        .and_then(|d| d.image_digest())
        .map(str::to_string)
        .ok_or_else(|| Failure::Message(format!("image {image}: ECR has no image tagged {tag}")))
}

async fn registry_digest(
    reference: &Reference,
    image: &str,
    docker_config: &Path,
) -> Result<String, Failure> {
    let registry = reference.resolve_registry().to_string();
    // Docker talks plain HTTP to a registry on this machine, and so do we.
    let host = registry
        .rsplit_once(':')
        .map_or(registry.as_str(), |(h, _)| h);
    let loopback = matches!(host, "localhost" | "[::1]") || host.starts_with("127.");
    let client = oci_client::Client::new(ClientConfig {
        protocol: if loopback {
            ClientProtocol::HttpsExcept(vec![registry.clone()])
        } else {
            ClientProtocol::Https
        },
        ..Default::default()
    });
    let auth = credentials(docker_config, reference.registry());
    client
        .fetch_manifest_digest(reference, &auth)
        .await
        .map_err(|e| {
            Failure::Message(format!(
                "cannot resolve image {image} to a digest: the registry {registry} answered: {e}; push the image first, or deploy tags as they are with --no-resolve-image-digests"
            ))
        })
}

/// The Docker config's credentials for a registry (credential helpers
/// included); anonymous when it has none.
fn credentials(docker_config: &Path, registry: &str) -> RegistryAuth {
    let server = if registry == "docker.io" {
        "https://index.docker.io/v1/".to_string()
    } else {
        registry.to_string()
    };
    let Ok(file) = std::fs::File::open(docker_config.join("config.json")) else {
        return RegistryAuth::Anonymous;
    };
    match docker_credential::get_credential_from_reader(std::io::BufReader::new(file), &server) {
        Ok(docker_credential::DockerCredential::UsernamePassword(user, password)) => {
            RegistryAuth::Basic(user, password)
        }
        Ok(docker_credential::DockerCredential::IdentityToken(token)) => {
            RegistryAuth::Bearer(token)
        }
        Err(_) => RegistryAuth::Anonymous,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_hosts_are_recognised() {
        let e = ecr_registry("123456789012.dkr.ecr.eu-west-1.amazonaws.com").unwrap();
        assert_eq!(
            (e.account.as_str(), e.region.as_str()),
            ("123456789012", "eu-west-1")
        );
        assert!(ecr_registry("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com").is_some());
        assert!(ecr_registry("docker.io").is_none());
        assert!(ecr_registry("ghcr.io").is_none());
        assert!(ecr_registry("12345.dkr.ecr.us-east-1.amazonaws.com").is_none());
    }

    #[test]
    fn pinning_rewrites_only_resolved_images() {
        let mut p = compose::Project::default();
        let service = |image: &str| compose::model::Service {
            image: image.into(),
            ..Default::default()
        };
        p.services.insert("web".into(), service("nginx:1.27"));
        p.services.insert("cache".into(), service("redis"));
        let pins = Pins::from([(
            "nginx:1.27".to_string(),
            "docker.io/library/nginx@sha256:ab".to_string(),
        )]);
        pin(&mut p, &pins);
        assert_eq!(p.services["web"].image, "docker.io/library/nginx@sha256:ab");
        assert_eq!(p.services["cache"].image, "redis");
    }
}
