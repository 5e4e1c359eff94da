//! Long-running operations, followed the way the Kusto resource provider runs them.
//!
//! A PUT answers `201` with `Azure-AsyncOperation` only; a DELETE answers `202` with both
//! `Location` and `Azure-AsyncOperation`. We poll `Azure-AsyncOperation` when present (its body
//! says `Succeeded`/`Failed`/`Canceled`, anything else means still running, compared
//! case-insensitively), else `Location` (202 while running), else the resource's own
//! `provisioningState`. The status URLs are signed (~3.5 KB) and used exactly as given.
//!
//! Pacing: `Retry-After` when ARM sends it; otherwise start at 1 s and back off by half again
//! each poll up to 10 s. Real data-connection operations take about 4 s, so the 30 s fixed
//! interval of the Python SDK and az triples the wait.

use std::time::{Duration, Instant};

use url::Url;

use super::{ArmClient, ArmError, Response};
use crate::wire::{DataConnection, ErrorDetail, OperationStatus, ProvisioningState};

/// Polls that could not read the status (5xx, 429, dropped connections, after the client's own
/// retries) before giving up. A failure to read the status is not a failed operation.
const MAX_UNREADABLE_POLLS: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// The `Azure-AsyncOperation` status resource.
    AsyncOperation,
    /// The `Location` URL: 202 while running, 200/204 when done.
    Location,
    /// No status URL: the resource's `properties.provisioningState`.
    ProvisioningState,
    /// Until the resource no longer exists (a deletion).
    Absence,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub url: Url,
    pub protocol: Protocol,
}

impl Operation {
    /// The status URL of an accepted write, if it named one.
    pub fn from_response(
        client: &ArmClient,
        response: &Response,
    ) -> Result<Option<Operation>, ArmError> {
        for (header, protocol) in [
            ("azure-asyncoperation", Protocol::AsyncOperation),
            ("location", Protocol::Location),
        ] {
            if let Some(link) = response.header(header) {
                return Ok(Some(Operation {
                    url: client.checked_link(link.trim())?,
                    protocol,
                }));
            }
        }
        Ok(None)
    }

    /// Follows the resource itself.
    pub fn for_resource(url: &Url) -> Operation {
        Operation {
            url: url.clone(),
            protocol: Protocol::ProvisioningState,
        }
    }

    /// The status URL `adxconn wait --operation` can resume, when this is one (following the
    /// resource itself is resumed with `adxconn wait TARGET` instead).
    pub fn resumable_url(&self) -> Option<String> {
        matches!(self.protocol, Protocol::AsyncOperation | Protocol::Location)
            .then(|| self.url.to_string())
    }

    /// Follows the resource until it is gone.
    pub fn until_gone(url: &Url) -> Operation {
        Operation {
            url: url.clone(),
            protocol: Protocol::Absence,
        }
    }

    /// An operation URL given back to us (`adxconn wait --operation`): its kind is told by the
    /// `operationResultResponseType=Location` marker Kusto puts on `Location` URLs.
    pub fn from_url(url: Url) -> Operation {
        let location = url.query_pairs().any(|(key, value)| {
            key.eq_ignore_ascii_case("operationResultResponseType")
                && value.eq_ignore_ascii_case("Location")
        });
        Operation {
            url,
            protocol: if location {
                Protocol::Location
            } else {
                Protocol::AsyncOperation
            },
        }
    }
}

/// The adaptive poll interval used when ARM gives no `Retry-After`.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    next: Duration,
}

impl Pacing {
    const FIRST: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(10);

    pub fn new() -> Pacing {
        Pacing { next: Self::FIRST }
    }

    pub fn advance(&mut self) -> Duration {
        let current = self.next;
        self.next = current.mul_f64(1.5).min(Self::MAX);
        current
    }
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing::new()
    }
}

/// Where a wait reports how the operation is going; the ARM client prints nothing itself.
pub trait ProgressReport {
    /// One line about the operation (its state changed, a status could not be read).
    fn update(&self, message: &str);
}

/// For work whose progress nobody watches (many operations at once, a pre-flight read).
pub struct NoProgress;

impl ProgressReport for NoProgress {
    fn update(&self, _message: &str) {}
}

/// The shortest pause between polls, whatever `Retry-After` says: `Retry-After: 0` must not
/// turn a wait into a busy loop against ARM's read quota.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Waits until the operation ends; `first_delay` is the initial response's `Retry-After`.
///
/// `Ok(())` means it succeeded (for `Absence`, that the resource is gone). A signal or the
/// deadline (the client's `Cancel`) stops the wait, never the operation; the error then names
/// the status URL the wait can be resumed from.
pub async fn wait(
    client: &ArmClient,
    operation: &Operation,
    first_delay: Option<Duration>,
    progress: &dyn ProgressReport,
) -> Result<(), ArmError> {
    poll(client, operation, first_delay, progress)
        .await
        .map_err(|error| error.resumable_at(operation.resumable_url()))
}

async fn poll(
    client: &ArmClient,
    operation: &Operation,
    first_delay: Option<Duration>,
    progress: &dyn ProgressReport,
) -> Result<(), ArmError> {
    let started = Instant::now();
    let mut pacing = Pacing::new();
    let mut delay = first_delay.unwrap_or_else(|| pacing.advance());
    let mut unreadable = 0;
    let mut last_state = String::new();
    loop {
        client
            .cancel()
            .sleep(delay.max(MIN_POLL_INTERVAL))
            .await
            .map_err(|stop| ArmError::stopped(stop, None, false))?;
        let response = match client.poll(&operation.url).await {
            Ok(response) => response,
            // Gone is what a deletion waits for; for anything else a 404 is an error.
            Err(error)
                if operation.protocol == Protocol::Absence && error.status() == Some(404) =>
            {
                return Ok(());
            }
            Err(error) if is_unreadable(&error) && unreadable < MAX_UNREADABLE_POLLS => {
                unreadable += 1;
                progress.update(&format!(
                    "could not read the operation's status ({error}); still waiting"
                ));
                delay = pacing.advance();
                continue;
            }
            Err(error) => return Err(error),
        };
        unreadable = 0;
        let state = match operation.protocol {
            Protocol::AsyncOperation => read_status(
                &response.decode("the operation status")?,
                operation.url.as_str(),
            )?,
            Protocol::Location => {
                if response.status.as_u16() == 202 {
                    Progress::Running("Running".into(), None)
                } else {
                    Progress::Succeeded
                }
            }
            Protocol::ProvisioningState | Protocol::Absence => {
                let resource: DataConnection = response.decode("the resource")?;
                // ARM: no provisioningState means Succeeded.
                let provisioning = resource
                    .provisioning_state()
                    .unwrap_or(ProvisioningState::Succeeded);
                match classify(&provisioning, None, None, operation.url.as_str())? {
                    // Still there: a deletion is not done until the resource is gone.
                    Progress::Succeeded if operation.protocol == Protocol::Absence => {
                        Progress::Running(provisioning.to_string(), None)
                    }
                    state => state,
                }
            }
        };
        match state {
            Progress::Succeeded => return Ok(()),
            Progress::Running(name, percent) => {
                let shown = match percent {
                    Some(percent) => format!("{name} ({percent:.0}%)"),
                    None => name,
                };
                if shown != last_state {
                    progress.update(&format!(
                        "operation {shown}, {:.0} s so far",
                        started.elapsed().as_secs_f64()
                    ));
                    last_state = shown;
                }
            }
        }
        delay = response.retry_after().unwrap_or_else(|| pacing.advance());
    }
}

/// Where an operation stands; an operation that ended `Failed`/`Canceled` is an `Err`.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Succeeded,
    /// Still running: the status as ARM spelled it, and the percentage done if known.
    Running(String, Option<f64>),
}

/// Reads an `Azure-AsyncOperation` status body; `url` is named in a failure.
pub fn read_status(status: &OperationStatus, url: &str) -> Result<Progress, ArmError> {
    if status.status.is_empty() {
        return Err(ArmError::Decode {
            what: "the operation status".into(),
            problem: "it has no `status`".into(),
        });
    }
    classify(
        &status.state(),
        status.percent(),
        status.error.as_ref(),
        url,
    )
}

fn classify(
    state: &ProvisioningState,
    percent: Option<f64>,
    error: Option<&ErrorDetail>,
    url: &str,
) -> Result<Progress, ArmError> {
    if state.is_succeeded() {
        return Ok(Progress::Succeeded);
    }
    if !state.is_terminal() {
        return Ok(Progress::Running(state.to_string(), percent));
    }
    Err(ArmError::OperationFailed {
        status: state.to_string(),
        code: error
            .and_then(|e| e.code.clone())
            .unwrap_or_else(|| state.to_string()),
        message: error
            .and_then(|e| e.message.clone())
            .unwrap_or_else(|| "Azure gave no reason".into()),
        operation: url.to_string(),
    })
}

fn is_unreadable(error: &ArmError) -> bool {
    match error {
        ArmError::Transport { .. } => true,
        ArmError::Api(api) => api.status.as_u16() == 429 || api.status.is_server_error(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacing_starts_near_a_second_and_caps_at_ten() {
        let mut pacing = Pacing::new();
        let delays: Vec<f64> = (0..10).map(|_| pacing.advance().as_secs_f64()).collect();
        assert_eq!(delays[0], 1.0);
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*delays.last().unwrap(), 10.0);
    }

    #[test]
    fn statuses_are_case_insensitive() {
        let url = "https://x/y";
        let status =
            |body: serde_json::Value| -> OperationStatus { serde_json::from_value(body).unwrap() };
        assert_eq!(
            read_status(&status(serde_json::json!({"status": "SUCCEEDED"})), url).unwrap(),
            Progress::Succeeded
        );
        assert!(matches!(
            read_status(&status(serde_json::json!({"status": "InProgress"})), url),
            Ok(Progress::Running(..))
        ));
        let running = status(serde_json::json!({"status": "Running", "percentComplete": 0.5}));
        assert_eq!(
            read_status(&running, url).unwrap(),
            Progress::Running("Running".into(), Some(50.0))
        );
        let failed = status(
            serde_json::json!({"status":"failed","error":{"code":"Boom","message":"it broke"}}),
        );
        match read_status(&failed, url) {
            Err(ArmError::OperationFailed { code, message, .. }) => {
                assert_eq!(code, "Boom");
                assert_eq!(message, "it broke");
            }
            _ => panic!("expected a failure"),
        }
        assert!(read_status(&status(serde_json::json!({})), url).is_err());
    }
}
