//! ARM's throttling as a request meets it, once its caller is known: a token
//! from the bucket of the caller's principal, subscription and operation
//! type, or 429 `TooManyRequests` with `Retry-After`, nothing processed.

use std::time::Instant;

use crate::arm::routes::subscription_of;
use crate::http::Reply;
use crate::log::RecordedRequest;
use crate::state::State;
use crate::throttle::{Operation, Verdict};
use crate::token::Claims;

/// What a served request leaves in its bucket, for the
/// `x-ms-ratelimit-remaining-subscription-*` header.
pub(super) struct Remaining {
    operation: Operation,
    tokens: u64,
}

impl Remaining {
    /// Sets the header on an answer.
    pub(super) fn tell(&self, reply: Reply) -> Reply {
        reply.with_header(&header_name(self.operation), self.tokens.to_string())
    }
}

/// Takes a token for `req` when throttling is on: `Ok(None)` when it is
/// off, the tokens left when there was one, ARM's 429 when there was not.
pub(super) fn take_token(
    state: &mut State,
    claims: &Claims,
    req: &RecordedRequest,
) -> Result<Option<Remaining>, Reply> {
    let Some(buckets) = state.throttle.as_mut() else {
        return Ok(None);
    };
    let operation = Operation::of(&req.method);
    let subscription = subscription_of(req.path()).unwrap_or_default();
    match buckets.take(&claims.oid, subscription, operation, Instant::now()) {
        Verdict::Allowed { remaining } => Ok(Some(Remaining {
            operation,
            tokens: remaining,
        })),
        Verdict::Throttled { retry_after_secs } => {
            state.stats.throttled += 1;
            let kind = operation.plural();
            Err(Reply::arm_error(
                429,
                "TooManyRequests",
                format!(
                    "Number of '{}' requests for subscription '{subscription}' actor '{}' exceeded. Please try again after '{retry_after_secs}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling",
                    kind.trim_end_matches('s'),
                    claims.oid
                ),
            )
            .with_header("retry-after", retry_after_secs.to_string())
            .with_header(&header_name(operation), "0"))
        }
    }
}

/// `x-ms-ratelimit-remaining-subscription-reads` (or `-writes`, `-deletes`).
fn header_name(operation: Operation) -> String {
    format!(
        "x-ms-ratelimit-remaining-subscription-{}",
        operation.plural()
    )
}
