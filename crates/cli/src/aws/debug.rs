//! `--debug` (or `RUST_LOG`): one line on stderr for every attempt of every
//! AWS call: the operation, the region, the attempt, the HTTP status and the
//! request ID that AWS support asks for. Only these fields are printed: no
//! header but the request ID, and no body, so secret values, credentials
//! and signatures never reach the output.

use aws_sdk_sts::config::{ConfigBag, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static ON: AtomicBool = AtomicBool::new(false);

/// Turn the log on: `--debug`, or any `RUST_LOG`.
pub fn enable(flag: bool) {
    let from_env = std::env::var_os("RUST_LOG").is_some_and(|v| !v.is_empty());
    ON.store(flag || from_env, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// The request ID headers AWS services answer with.
const REQUEST_ID_HEADERS: &[&str] = &["x-amzn-requestid", "x-amz-request-id", "x-amzn-request-id"];

/// Write one line of the log.
pub fn line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "debug: {text}");
}

/// The interceptor every SDK client gets when the log is on.
#[derive(Debug)]
pub struct CallLog {
    pub region: String,
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "docker-ecs call log"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = cfg
            .load::<Metadata>()
            .map(|m| {
                (
                    m.service().to_lowercase().replace(" ", ""),
                    m.name().to_string(),
                )
            })
            .unwrap_or_default();
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        let outcome = match context.response() {
            Some(r) => {
                let id = REQUEST_ID_HEADERS
                    .iter()
                    .find_map(|h| r.headers().get(*h))
                    .unwrap_or("none");
                format!("status={} request-id={id}", r.status().as_u16())
            }
            None => "no response".to_string(),
        };
        line(&format!(
            "{service}.{operation} region={} attempt={attempt} {outcome}",
            self.region
        ));
        Ok(())
    }
}
