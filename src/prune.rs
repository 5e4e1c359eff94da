//! Deleting many data connections at once: bounded concurrency, each delete waited to the end,
//! one failure never stopping the others.
//!
//! Each delete is the one `adxconn delete` sends (`arm::write::delete`, so a lost answer is
//! reconciled, and 429s and Kusto's transient 409s are retried by the client). A signal or the
//! deadline stops starting new deletes and stops waiting for the running ones, which go on in
//! Azure; every connection's outcome says which is which.

use futures_util::stream::{self, StreamExt};
use reqwest::StatusCode;

use crate::arm::operation::{self, Operation, ProgressReport};
use crate::arm::write::{self, Written};
use crate::arm::{ArmClient, ArmError};
use crate::audit::Audited;
use crate::interrupt::Stop;
use crate::target::ConnectionRef;

/// What became of one connection `prune` set out to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Deleted, and the deletion finished.
    Deleted,
    /// It was gone before the DELETE (deleted meanwhile).
    AlreadyGone,
    /// `--no-wait`: Azure accepted the DELETE; it goes on there.
    Accepted { operation: Option<String> },
    /// Azure refused the DELETE, or the deletion ended `Failed`.
    Failed { code: String, message: String },
    /// Stopped (signal, deadline) after the DELETE was sent: the deletion goes on in Azure,
    /// followed at `operation` when known. `answered`: whether Azure had answered the DELETE.
    Running {
        operation: Option<String>,
        answered: bool,
    },
    /// Stopped before its DELETE was sent.
    NotStarted,
}

impl Outcome {
    /// The name scripts see in `-o json`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Deleted => "deleted",
            Outcome::AlreadyGone => "already-gone",
            Outcome::Accepted { .. } => "accepted",
            Outcome::Failed { .. } => "failed",
            Outcome::Running { .. } => "running",
            Outcome::NotStarted => "not-started",
        }
    }

    /// Whether the connection is gone or going: what `prune` set out to do.
    pub fn succeeded(&self) -> bool {
        matches!(
            self,
            Outcome::Deleted | Outcome::AlreadyGone | Outcome::Accepted { .. }
        )
    }
}

/// What can be deleted: an audited connection (`prune`), or one named by id (`delete --ids`).
pub trait Doomed {
    fn target(&self) -> ConnectionRef;
}

impl Doomed for Audited {
    fn target(&self) -> ConnectionRef {
        self.found.target()
    }
}

impl Doomed for ConnectionRef {
    fn target(&self) -> ConnectionRef {
        self.clone()
    }
}

/// One connection and what became of it.
#[derive(Debug, Clone)]
pub struct Pruned<T = Audited> {
    pub audited: T,
    pub outcome: Outcome,
}

/// What a prune did, in the order the connections were given.
#[derive(Debug)]
pub struct Report<T = Audited> {
    pub pruned: Vec<Pruned<T>>,
    /// Why it stopped early, if it did.
    pub stopped: Option<Stop>,
}

impl<T> Report<T> {
    pub fn count(&self, outcome: fn(&Outcome) -> bool) -> usize {
        self.pruned
            .iter()
            .filter(|pruned| outcome(&pruned.outcome))
            .count()
    }
}

/// Deletions in flight per request in flight: a deletion spends most of its time waiting
/// between polls, so holding one request slot per deletion would leave ARM's delete budget
/// unused (the client's own limit keeps requests to `concurrency`).
const DELETIONS_PER_REQUEST: usize = 4;

/// Deletes every connection of `doomed`, with up to `DELETIONS_PER_REQUEST × concurrency`
/// deletions in flight; `no_wait`: return once each DELETE is accepted.
pub async fn delete_all<T: Doomed>(
    client: &ArmClient,
    doomed: Vec<T>,
    concurrency: usize,
    no_wait: bool,
    progress: &dyn ProgressReport,
) -> Report<T> {
    let total = doomed.len();
    let mut deletes = stream::iter(doomed.into_iter().enumerate())
        .map(|(index, audited)| async move {
            let outcome = delete_one(client, &audited.target(), no_wait).await;
            (index, Pruned { audited, outcome })
        })
        .buffer_unordered(
            concurrency.clamp(1, crate::fleet::MAX_CONCURRENCY) * DELETIONS_PER_REQUEST,
        );
    let mut pruned = Vec::with_capacity(total);
    let (mut done, mut failed) = (0, 0);
    while let Some((index, one)) = deletes.next().await {
        match &one.outcome {
            Outcome::Failed { .. } => failed += 1,
            outcome if outcome.succeeded() => done += 1,
            _ => {}
        }
        pruned.push((index, one));
        let finished = pruned.len();
        if finished.is_multiple_of(10) || finished == total {
            progress.update(&format!(
                "{finished} of {total} handled: {done} deleted, {failed} failed"
            ));
        }
    }
    pruned.sort_by_key(|(index, _)| *index);
    Report {
        pruned: pruned.into_iter().map(|(_, pruned)| pruned).collect(),
        stopped: client.cancel().check().err(),
    }
}

/// One DELETE, followed to its end unless `no_wait`.
async fn delete_one(client: &ArmClient, target: &ConnectionRef, no_wait: bool) -> Outcome {
    if client.cancel().check().is_err() {
        return Outcome::NotStarted;
    }
    let url = match client.url(&target.path()) {
        Ok(url) => url,
        Err(error) => return failed(&error),
    };
    let (operation, first_delay) = match write::delete(client, &url).await {
        Ok(Written::Gone) => return Outcome::AlreadyGone,
        Ok(Written::Deleted) => return Outcome::Deleted,
        Ok(Written::Applied(_)) => (Some(Operation::until_gone(&url)), None),
        Ok(Written::Answered(response)) => {
            // A status URL adxconn will not follow: follow the connection itself instead.
            let operation = Operation::from_response(client, &response)
                .unwrap_or_else(|_| Some(Operation::until_gone(&url)))
                .or_else(|| {
                    (response.status == StatusCode::ACCEPTED).then(|| Operation::until_gone(&url))
                });
            (operation, response.retry_after())
        }
        Err(error) => return stopped_or_failed(&error, None),
    };
    let Some(operation) = operation else {
        return Outcome::Deleted;
    };
    if no_wait {
        return Outcome::Accepted {
            operation: operation.resumable_url(),
        };
    }
    // Many waits at once: their per-operation lines would drown the counts.
    match operation::wait(client, &operation, first_delay, &operation::NoProgress).await {
        Ok(()) => Outcome::Deleted,
        Err(error) => stopped_or_failed(&error, Some(&operation)),
    }
}

/// A stop after the DELETE went out is a deletion still running; before, one not started.
fn stopped_or_failed(error: &ArmError, operation: Option<&Operation>) -> Outcome {
    match error {
        ArmError::Interrupted {
            request,
            unanswered,
            ..
        }
        | ArmError::Timeout {
            request,
            unanswered,
            ..
        } => match (operation, request) {
            (Some(operation), _) => Outcome::Running {
                operation: operation.resumable_url(),
                answered: true,
            },
            (None, Some(_)) => Outcome::Running {
                operation: None,
                answered: !unanswered,
            },
            (None, None) => Outcome::NotStarted,
        },
        other => failed(other),
    }
}

fn failed(error: &ArmError) -> Outcome {
    let (code, message) = error.code_and_message();
    Outcome::Failed { code, message }
}
