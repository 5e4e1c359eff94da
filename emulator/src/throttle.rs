//! ARM's request throttling: a token bucket per security principal,
//! subscription and operation type (reads, writes, deletes), as ARM's
//! regional throttling does it. Each request takes one token; an empty
//! bucket means 429 `TooManyRequests` with `Retry-After`, and the request is
//! not processed. Buckets refill continuously up to their capacity.
//!
//! Off by default; [`Emulator::set_throttling`](crate::Emulator::set_throttling)
//! turns it on, e.g. with [`Throttling::arm`].

use std::collections::HashMap;
use std::time::Instant;

/// One operation type's bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Tokens when full, and to start with.
    pub capacity: u32,
    /// Tokens added per second (fractions allowed); 0 never refills.
    pub refill_per_sec: f64,
}

impl Bucket {
    pub fn new(capacity: u32, refill_per_sec: f64) -> Bucket {
        Bucket {
            capacity,
            refill_per_sec,
        }
    }
}

/// The buckets of each operation type ARM counts: `GET`/`HEAD` are reads,
/// `DELETE` deletes, every other method (`PUT`, `PATCH`, `POST`) a write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttling {
    pub reads: Bucket,
    pub writes: Bucket,
    pub deletes: Bucket,
}

impl Throttling {
    /// ARM's published limits per principal and subscription: reads 250
    /// refilled at 25 a second, writes 200 at 10, deletes 200 at 10.
    pub fn arm() -> Throttling {
        Throttling {
            reads: Bucket::new(250, 25.0),
            writes: Bucket::new(200, 10.0),
            deletes: Bucket::new(200, 10.0),
        }
    }

    /// The same bucket for every operation type.
    pub fn uniform(capacity: u32, refill_per_sec: f64) -> Throttling {
        let bucket = Bucket::new(capacity, refill_per_sec);
        Throttling {
            reads: bucket,
            writes: bucket,
            deletes: bucket,
        }
    }

    fn bucket(&self, operation: Operation) -> Bucket {
        match operation {
            Operation::Read => self.reads,
            Operation::Write => self.writes,
            Operation::Delete => self.deletes,
        }
    }
}

/// The operation type ARM counts a request as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Operation {
    Read,
    Write,
    Delete,
}

impl Operation {
    pub(crate) fn of(method: &str) -> Operation {
        match method.to_ascii_uppercase().as_str() {
            "GET" | "HEAD" => Operation::Read,
            "DELETE" => Operation::Delete,
            _ => Operation::Write,
        }
    }

    /// `reads`, `writes` or `deletes`, as in `x-ms-ratelimit-remaining-subscription-reads`.
    pub(crate) fn plural(self) -> &'static str {
        match self {
            Operation::Read => "reads",
            Operation::Write => "writes",
            Operation::Delete => "deletes",
        }
    }
}

/// What a bucket said about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Served; this many whole tokens are left.
    Allowed { remaining: u64 },
    /// Refused; one token will be back after this many seconds (at least 1).
    Throttled { retry_after_secs: u64 },
}

/// `Retry-After` when a bucket never refills.
const NEVER_REFILLS_RETRY_AFTER: u64 = 60;

#[derive(Debug, Clone, Copy)]
struct Level {
    tokens: f64,
    at: Instant,
}

/// The buckets' levels, created full on first use.
#[derive(Debug)]
pub(crate) struct Buckets {
    limits: Throttling,
    levels: HashMap<(String, String, Operation), Level>,
}

impl Buckets {
    pub(crate) fn new(limits: Throttling) -> Buckets {
        Buckets {
            limits,
            levels: HashMap::new(),
        }
    }

    /// Takes a token from the bucket of `principal` in `subscription` for
    /// `operation`, if it has one.
    pub(crate) fn take(
        &mut self,
        principal: &str,
        subscription: &str,
        operation: Operation,
        now: Instant,
    ) -> Verdict {
        let bucket = self.limits.bucket(operation);
        let capacity = f64::from(bucket.capacity);
        let rate = if bucket.refill_per_sec.is_finite() {
            bucket.refill_per_sec.max(0.0)
        } else {
            0.0
        };
        let level = self
            .levels
            .entry((
                principal.to_ascii_lowercase(),
                subscription.to_ascii_lowercase(),
                operation,
            ))
            .or_insert(Level {
                tokens: capacity,
                at: now,
            });
        let elapsed = now.saturating_duration_since(level.at).as_secs_f64();
        level.tokens = (level.tokens + elapsed * rate).min(capacity);
        level.at = now;
        if level.tokens >= 1.0 {
            level.tokens -= 1.0;
            return Verdict::Allowed {
                remaining: whole(level.tokens),
            };
        }
        let retry_after_secs = if rate > 0.0 {
            whole(((1.0 - level.tokens) / rate).ceil()).max(1)
        } else {
            NEVER_REFILLS_RETRY_AFTER
        };
        Verdict::Throttled { retry_after_secs }
    }
}

/// The whole part of a non-negative, finite token count.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "token counts are non-negative and far below 2^53"
)]
fn whole(tokens: f64) -> u64 {
    tokens.max(0.0).floor() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::Duration;

    #[test]
    fn buckets_empty_refill_and_are_separate() {
        let mut buckets = Buckets::new(Throttling {
            deletes: Bucket::new(2, 0.5),
            ..Throttling::uniform(1, 10.0)
        });
        let t0 = Instant::now();
        let take = |b: &mut Buckets, who: &str, op, at| b.take(who, "S", op, at);
        assert_eq!(
            take(&mut buckets, "p", Operation::Delete, t0),
            Verdict::Allowed { remaining: 1 }
        );
        assert_eq!(
            take(&mut buckets, "p", Operation::Delete, t0),
            Verdict::Allowed { remaining: 0 }
        );
        assert_eq!(
            take(&mut buckets, "p", Operation::Delete, t0),
            Verdict::Throttled {
                retry_after_secs: 2
            }
        );
        // Another principal, another operation type, another subscription: other buckets.
        assert!(matches!(
            take(&mut buckets, "q", Operation::Delete, t0),
            Verdict::Allowed { .. }
        ));
        assert!(matches!(
            take(&mut buckets, "p", Operation::Read, t0),
            Verdict::Allowed { .. }
        ));
        assert!(matches!(
            buckets.take("p", "other", Operation::Delete, t0),
            Verdict::Allowed { .. }
        ));
        // Half a token a second: one more after two seconds, never above capacity.
        let later = t0 + Duration::from_secs(2);
        assert_eq!(
            take(&mut buckets, "P", Operation::Delete, later),
            Verdict::Allowed { remaining: 0 }
        );
        let much_later = t0 + Duration::from_secs(3600);
        assert_eq!(
            take(&mut buckets, "p", Operation::Delete, much_later),
            Verdict::Allowed { remaining: 1 }
        );
    }

    #[test]
    fn odd_buckets_are_tamed() {
        let t0 = Instant::now();
        let mut empty = Buckets::new(Throttling::uniform(0, f64::NAN));
        assert_eq!(
            empty.take("p", "s", Operation::Write, t0),
            Verdict::Throttled {
                retry_after_secs: NEVER_REFILLS_RETRY_AFTER
            }
        );
        let mut fast = Buckets::new(Throttling::uniform(0, 1000.0));
        assert_eq!(
            fast.take("p", "s", Operation::Write, t0),
            Verdict::Throttled {
                retry_after_secs: 1
            }
        );
        assert_eq!(Operation::of("head"), Operation::Read);
        assert_eq!(Operation::of("POST").plural(), "writes");
        assert_eq!(Operation::of("Delete").plural(), "deletes");
    }
}
