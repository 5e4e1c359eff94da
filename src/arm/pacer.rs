//! One run's share of ARM's request budget, kept by all its requests together.
//!
//! ARM throttles each principal per subscription and operation type (reads, writes, deletes)
//! with token buckets, and answers 429 with `Retry-After` when one runs dry. A sweep sends many
//! requests at once, so the budget is kept here rather than by each request alone: at most
//! `limit` requests are in flight, and once ARM has said "retry after d" for a type, no request
//! of that type goes out before d has passed. Without that, every request in flight would meet
//! its own 429 and retry on its own clock, a herd that keeps the bucket empty.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Method;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::interrupt::{Cancel, Stop};

/// ARM's operation types, each with its own bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Budget {
    Reads = 0,
    Writes = 1,
    Deletes = 2,
}

impl Budget {
    fn of(method: &Method) -> Budget {
        match *method {
            Method::GET | Method::HEAD => Budget::Reads,
            Method::DELETE => Budget::Deletes,
            _ => Budget::Writes,
        }
    }
}

#[derive(Default)]
pub struct Pacer {
    /// Requests in flight at once; unlimited when `None`.
    slots: Option<Semaphore>,
    /// Per budget: no request before this instant (ARM's last `Retry-After`).
    resume_at: Mutex<[Option<Instant>; 3]>,
}

/// Leave to send one request; the slot is given back when it is dropped.
pub struct Admission<'a> {
    _slot: Option<SemaphorePermit<'a>>,
}

impl Pacer {
    /// At most `limit` requests in flight (at least one).
    pub fn limited(limit: usize) -> Pacer {
        Pacer {
            slots: Some(Semaphore::new(limit.max(1))),
            ..Pacer::default()
        }
    }

    /// Waits until a request with `method` may go: its budget is not paused and a slot is free.
    pub async fn admit(&self, method: &Method, cancel: &Cancel) -> Result<Admission<'_>, Stop> {
        let budget = Budget::of(method);
        loop {
            self.wait_for(budget, cancel).await?;
            let slot = match &self.slots {
                // The semaphore is never closed; were it, the request would go unlimited.
                Some(slots) => cancel.guard(slots.acquire()).await?.ok(),
                None => None,
            };
            // ARM may have paused the budget while this request queued for a slot.
            if self.paused_for(budget).is_none() {
                return Ok(Admission { _slot: slot });
            }
        }
    }

    /// ARM answered 429 to a request with `method`: pause its budget for `retry_after`.
    pub fn throttled(&self, method: &Method, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        let mut resume_at = self.resume_at.lock().unwrap_or_else(|e| e.into_inner());
        let slot = &mut resume_at[Budget::of(method) as usize];
        if slot.is_none_or(|current| current < until) {
            *slot = Some(until);
        }
    }

    async fn wait_for(&self, budget: Budget, cancel: &Cancel) -> Result<(), Stop> {
        while let Some(wait) = self.paused_for(budget) {
            cancel.sleep(wait).await?;
        }
        Ok(())
    }

    /// How long `budget` is still paused, if it is.
    fn paused_for(&self, budget: Budget) -> Option<Duration> {
        let resume_at = self.resume_at.lock().unwrap_or_else(|e| e.into_inner());
        let until = resume_at[budget as usize]?;
        until
            .checked_duration_since(Instant::now())
            .filter(|wait| !wait.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_429_pauses_only_its_own_budget() {
        let pacer = Pacer::limited(2);
        let cancel = Cancel::new(Instant::now(), None);
        pacer.throttled(&Method::DELETE, Duration::from_millis(300));
        let started = Instant::now();
        drop(pacer.admit(&Method::GET, &cancel).await.unwrap());
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "reads go on"
        );
        drop(pacer.admit(&Method::DELETE, &cancel).await.unwrap());
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "deletes wait"
        );
    }

    #[tokio::test]
    async fn no_more_than_the_limit_are_in_flight() {
        let pacer = Pacer::limited(2);
        let cancel = Cancel::new(Instant::now(), None);
        let first = pacer.admit(&Method::GET, &cancel).await.unwrap();
        let _second = pacer.admit(&Method::GET, &cancel).await.unwrap();
        let third = tokio::time::timeout(
            Duration::from_millis(100),
            pacer.admit(&Method::GET, &cancel),
        )
        .await;
        assert!(third.is_err(), "a third waits for a slot");
        drop(first);
        let third = tokio::time::timeout(
            Duration::from_millis(100),
            pacer.admit(&Method::GET, &cancel),
        )
        .await;
        assert!(third.is_ok(), "a freed slot lets it go");
    }
}
