//! AWS access: one `SdkConfig` from the standard credential chain, tuned
//! retries, and errors turned into one sentence each.

pub mod debug;
pub mod ec2;

/// A client of one AWS service from the session, in its region or another
/// one, with the call log when `--debug` is on.
macro_rules! client {
    ($sdk:ident, $aws:expr, $region:expr) => {{
        let region: Option<&str> = $region;
        let mut conf = $sdk::config::Builder::from(&$aws.config);
        if let Some(r) = region {
            conf = conf.region($sdk::config::Region::new(r.to_string()));
        }
        if debug::enabled() {
            conf = conf.interceptor(debug::CallLog {
                region: region.unwrap_or(&$aws.region).to_string(),
            });
        }
        $sdk::Client::from_conf(conf.build())
    }};
}

use crate::cli::AwsArgs;
use crate::commands::Failure;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::operation::RequestId;
use std::time::Duration;

/// A configured AWS session: where (region, endpoint) and as whom.
pub struct Aws {
    pub config: SdkConfig,
    pub region: String,
}

impl Aws {
    /// Build the session and make sure credentials exist, before any call.
    pub async fn connect(args: &AwsArgs) -> Result<Aws, Failure> {
        let args = &with_context(args)?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            // Throttling and 5xx answers are retried with exponential backoff;
            // a deploy polls for minutes, so be patient but bounded.
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(8)
                    .with_initial_backoff(Duration::from_millis(250))
                    .with_max_backoff(Duration::from_secs(20)),
            )
            // A server that accepts the connection and never answers must not
            // hang the CLI.
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(profile) = &args.aws_profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &args.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(url) = &args.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        let Some(region) = config.region().map(|r| r.to_string()) else {
            return Err(Failure::Message(
                "no AWS region is set: pass --region, set AWS_REGION, or set `region` in your AWS profile (aws configure)".into(),
            ));
        };
        let Some(provider) = config.credentials_provider() else {
            return Err(no_credentials(""));
        };
        if let Err(e) = provider.provide_credentials().await {
            return Err(no_credentials(&e.to_string()));
        }
        Ok(Aws { config, region })
    }

    pub fn cloudformation(&self) -> aws_sdk_cloudformation::Client {
        client!(aws_sdk_cloudformation, self, None)
    }
    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        client!(aws_sdk_ecs, self, None)
    }
    pub fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        client!(aws_sdk_cloudwatchlogs, self, None)
    }
    /// CloudWatch Logs of another region (a service's `awslogs-region`).
    pub fn logs_in(&self, region: &str) -> aws_sdk_cloudwatchlogs::Client {
        client!(aws_sdk_cloudwatchlogs, self, Some(region))
    }
    pub fn secrets(&self) -> aws_sdk_secretsmanager::Client {
        client!(aws_sdk_secretsmanager, self, None)
    }
    pub fn elb(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        client!(aws_sdk_elasticloadbalancingv2, self, None)
    }
    pub fn efs(&self) -> aws_sdk_efs::Client {
        client!(aws_sdk_efs, self, None)
    }
    /// ECR in the registry's own region.
    pub fn ecr(&self, region: &str) -> aws_sdk_ecr::Client {
        client!(aws_sdk_ecr, self, Some(region))
    }
    pub fn s3(&self) -> aws_sdk_s3::Client {
        // Path-style addressing works with every endpoint, including local
        // emulators that have no wildcard DNS.
        let mut conf = aws_sdk_s3::config::Builder::from(&self.config)
            .force_path_style(self.config.endpoint_url().is_some());
        if debug::enabled() {
            conf = conf.interceptor(debug::CallLog {
                region: self.region.clone(),
            });
        }
        aws_sdk_s3::Client::from_conf(conf.build())
    }
    pub fn ec2(&self) -> ec2::Ec2 {
        ec2::Ec2::new(&self.config, &self.region)
    }

    /// The account we act as; fails early with a clear message when the
    /// credentials are rejected.
    pub async fn caller_account(&self) -> Result<String, Failure> {
        let sts = client!(aws_sdk_sts, self, None);
        let who = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| message("checking your AWS identity (sts:GetCallerIdentity)", e))?;
        Ok(who.account().unwrap_or_default().to_string())
    }
}

/// Fill the AWS profile and region from the Docker context in use when it
/// is an `ecs` context; flags still win.
pub fn with_context(args: &AwsArgs) -> Result<AwsArgs, Failure> {
    let config = crate::context::config_dir(args.docker_config.as_deref());
    let Some(name) = crate::context::current(&config, args.context.as_deref()) else {
        return Ok(args.clone());
    };
    let chosen = args.context.is_some() || std::env::var_os("DOCKER_CONTEXT").is_some();
    let ctx = match crate::context::get(&config, &name) {
        Some(c) => c,
        None if chosen && name != "default" => {
            return Err(Failure::Message(format!(
                "context {name:?} does not exist: list them with `docker context ls`"
            )));
        }
        None => return Ok(args.clone()),
    };
    let Some(endpoint) = ctx.ecs.filter(|_| ctx.kind == crate::context::TYPE) else {
        if chosen && name != "default" {
            return Err(Failure::Message(format!(
                "context {name:?} is not an ecs context: create one with `docker ecs context create`"
            )));
        }
        // A Docker engine context is the usual current context: not ours.
        return Ok(args.clone());
    };
    let mut out = args.clone();
    if out.aws_profile.is_none() && !endpoint.from_env {
        out.aws_profile = endpoint.profile;
    }
    if out.region.is_none() {
        out.region = endpoint.region;
    }
    Ok(out)
}

fn no_credentials(detail: &str) -> Failure {
    let mut m = String::from(
        "no AWS credentials found: run `aws configure` or `aws sso login`, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or choose a profile with --aws-profile or AWS_PROFILE",
    );
    // The chain's own reason is kept when it says more than "not found"
    // (for example an expired SSO session).
    let generic = ["no providers in chain", "was not enabled", "not loaded"];
    if !detail.is_empty() && !generic.iter().any(|g| detail.contains(g)) {
        m.push_str(&format!(" ({detail})"));
    }
    Failure::Message(m)
}

/// One sentence for a failed SDK call: what we were doing, then AWS's code
/// and message, or why the endpoint could not be reached.
pub fn message<E, R>(doing: &str, err: SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
    SdkError<E, R>: RequestId,
{
    Failure::Message(describe(doing, &err))
}

/// What went wrong, in one sentence that names AWS's request ID when AWS
/// answered, so that AWS support can find the call.
pub fn describe<E, R>(doing: &str, err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
    SdkError<E, R>: RequestId,
{
    let request = err
        .request_id()
        .map(|id| format!(" (request ID {id})"))
        .unwrap_or_default();
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            match (e.code(), e.message()) {
                (Some(code), Some(msg)) => format!("{doing}: {code}: {msg}{request}"),
                (Some(code), None) => format!("{doing}: {code}{request}"),
                _ => format!("{doing}: {e}{request}"),
            }
        }
        SdkError::TimeoutError(_) => format!("{doing}: the AWS endpoint did not answer in time"),
        SdkError::DispatchFailure(_) => {
            format!("{doing}: cannot reach the AWS endpoint ({})", chain(err))
        }
        SdkError::ResponseError(_) => {
            format!("{doing}: the AWS endpoint sent a response that is not a valid AWS answer")
        }
        _ => format!("{doing}: {}", chain(err)),
    }
}

/// An error and its sources on one line, without the SDK's debug dump.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let text = DisplayErrorContext(err).to_string();
    text.chars().take(300).collect()
}

/// The AWS error code of a failed call, if AWS sent one.
pub fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(se) => se.err().code(),
        _ => None,
    }
}

/// The AWS error message of a failed call, if AWS sent one.
pub fn error_message<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(se) => se.err().message(),
        _ => None,
    }
}

/// A runtime for one command: the CLI is synchronous everywhere else.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the async runtime starts")
}
