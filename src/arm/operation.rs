//! Long-running operations, followed the way the Kusto resource provider runs them.
//!
//! A PUT answers `201` with `Azure-AsyncOperation` only; a DELETE answers `202` with both
//! `Location` and `Azure-AsyncOperation`. We poll `Azure-AsyncOperation` when present (its body
//! says `Succeeded`/`Failed`/`Canceled`, anything else means still running, compared
//! case-insensitively), else `Location` (202 while running), else the resource's own
//! `provisioningState`. The status URLs are signed (~3.5 KB) and used exactly as given.
//!
//! Pacing: `Retry-After` when ARM sends it; otherwise the schedule of `Pacing`, which ends a
//! wait within a second of the operation for the usual lengths. The Python SDK and az poll
//! every 30 s, so they see a 4 s operation end after 30 s.

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

/// When to poll an operation whose answers carry no `Retry-After` (the live Kusto provider
/// sends none).
///
/// Recorded live operations take 1.4–6 s (creates mostly 3.9–4.9 s, some deletes 0.3 s) and a
/// few 25–40 s (Cosmos DB, older clusters). So: every second for the first 10 s, which ends
/// every short operation within a second of its end; then every 2 s until a minute, at most one
/// poll per 2 s waited on a 30 s operation; then half as often again each time, up to every
/// 10 s, for the rare long one. Measured in `benches/operations.rs`.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    started: Instant,
    /// The interval once past a minute, growing by half each poll.
    late: Duration,
}

impl Pacing {
    const SHORT: Duration = Duration::from_secs(1);
    const SHORT_UNTIL: Duration = Duration::from_secs(10);
    const MEDIUM: Duration = Duration::from_secs(2);
    const MEDIUM_UNTIL: Duration = Duration::from_secs(60);
    const MAX: Duration = Duration::from_secs(10);

    pub fn new() -> Pacing {
        Pacing {
            started: Instant::now(),
            late: Self::MEDIUM,
        }
    }

    /// The pause before the next poll.
    pub fn advance(&mut self) -> Duration {
        self.after(self.started.elapsed())
    }

    /// How long the operation has been going, as far as is known.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Places the schedule where the operation itself is: one Azure started `age` ago (a
    /// resumed `adxconn wait`) is paced, and its time shown, as that old, not as a new one.
    pub fn align(&mut self, age: Duration) {
        if let Some(start) = Instant::now().checked_sub(age.min(MAX_OPERATION_AGE)) {
            self.started = self.started.min(start);
        }
    }

    /// The pause before the next poll, `elapsed` into the wait.
    fn after(&mut self, elapsed: Duration) -> Duration {
        if elapsed < Self::SHORT_UNTIL {
            Self::SHORT
        } else if elapsed < Self::MEDIUM_UNTIL {
            Self::MEDIUM
        } else {
            self.late = self.late.mul_f64(1.5).min(Self::MAX);
            self.late
        }
    }
}

/// Beyond this a `startTime` is not believed (operations last minutes, not days).
const MAX_OPERATION_AGE: Duration = Duration::from_secs(24 * 3600);

/// How long ago Azure started an operation, by Azure's own clock: the answer's `Date` less the
/// status's `startTime` (so a skewed local clock does not matter); `None` when either is
/// missing or unreadable, or the difference is negative.
pub fn operation_age(start_time: Option<&str>, date: Option<&str>) -> Option<Duration> {
    let start = crate::wire::parse_time(start_time?)?;
    let now = crate::wire::parse_http_date(date?)?;
    Duration::try_from(now - start).ok()
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

    /// The same state, still going (a poll changed nothing): worth showing only where a line
    /// can be redrawn in place.
    fn tick(&self, _message: &str) {}
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
            Protocol::AsyncOperation => {
                let status: OperationStatus = response.decode("the operation status")?;
                if let Some(age) =
                    operation_age(status.start_time.as_deref(), response.header("date"))
                {
                    pacing.align(age);
                }
                read_status(&status, operation.url.as_str())?
            }
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
                let line = format!(
                    "operation {shown}, {:.0} s so far",
                    pacing.elapsed().as_secs_f64()
                );
                if shown != last_state {
                    progress.update(&line);
                    last_state = shown;
                } else {
                    progress.tick(&line);
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
    fn pacing_polls_every_second_then_every_two_then_backs_off_to_ten() {
        let mut pacing = Pacing::new();
        let at = |pacing: &mut Pacing, secs: u64| pacing.after(Duration::from_secs(secs));
        assert_eq!(at(&mut pacing, 0), Duration::from_secs(1));
        assert_eq!(at(&mut pacing, 9), Duration::from_secs(1));
        assert_eq!(at(&mut pacing, 10), Duration::from_secs(2));
        assert_eq!(at(&mut pacing, 59), Duration::from_secs(2));
        let late: Vec<f64> = (0..8).map(|_| at(&mut pacing, 61).as_secs_f64()).collect();
        assert!(late.windows(2).all(|w| w[0] <= w[1]), "{late:?}");
        assert_eq!(*late.last().unwrap(), 10.0);
        // On any operation of 1–10 s, some poll falls within a second after its end.
        for length in 1..=10u64 {
            let mut pacing = Pacing::new();
            let mut t = Duration::ZERO;
            while t < Duration::from_secs(length) {
                t += pacing.after(t);
            }
            assert!(
                t - Duration::from_secs(length) <= Duration::from_secs(1),
                "{length} s"
            );
        }
    }

    #[test]
    fn a_resumed_wait_is_paced_by_the_operations_own_age() {
        // Azure's clock on both sides: the answer's Date less the status's startTime.
        let age = operation_age(
            Some("2024-11-27T11:08:24.1414823Z"),
            Some("Wed, 27 Nov 2024 11:09:09 GMT"),
        );
        assert_eq!(age.map(|age| age.as_secs()), Some(44));
        assert_eq!(operation_age(Some("2024-11-27T11:08:24Z"), None), None);
        assert_eq!(
            operation_age(Some("not a time"), Some("Wed, 27 Nov 2024 11:09:09 GMT")),
            None
        );
        assert_eq!(
            operation_age(
                Some("2024-11-27T11:10:00Z"),
                Some("Wed, 27 Nov 2024 11:09:09 GMT")
            ),
            None,
            "a start after the answer is not believed"
        );

        // 44 s into an operation: polls every 2 s, not every second as for a new one.
        let mut pacing = Pacing::new();
        pacing.align(Duration::from_secs(44));
        assert!(pacing.elapsed() >= Duration::from_secs(44));
        assert_eq!(pacing.advance(), Duration::from_secs(2));
        // A younger age never moves the schedule back.
        pacing.align(Duration::from_secs(1));
        assert!(pacing.elapsed() >= Duration::from_secs(44));
        // Nor does an absurd one push it past the longest interval.
        let mut pacing = Pacing::new();
        pacing.align(Duration::from_secs(10 * 365 * 24 * 3600));
        assert!(pacing.advance() <= Duration::from_secs(10));
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
