//! Injected faults as ARM meets them: which fault a request draws (an
//! explicit rule, else the random mix), and the answer ARM would give for
//! each kind (a throttle, a conflict, a 5xx with ARM's wording).

use std::time::SystemTime;

use crate::arm::replies::{decorate, rate_limit_kind};
use crate::faults::{fault_name, verbatim_outcome, Fault};
use crate::http::{Outcome, Reply};
use crate::log::RecordedRequest;
use crate::state::State;
use crate::text::{compact_timestamp, new_guid, percent_decode};

/// The fault `req` gets, if any, counted in the stats. Explicit rules come
/// first: a test that injects one wants exactly that fault; the mix draws
/// only for the requests the rules leave alone.
pub(super) fn draw(state: &mut State, req: &RecordedRequest, write: bool) -> Option<Fault> {
    let fault = match state.faults.take(false, &req.method, &req.path_and_query) {
        Some(fault) => Some(fault),
        None => state.mix.as_mut().and_then(|mix| mix.draw(write)),
    }?;
    *state.stats.faults.entry(fault_name(&fault)).or_default() += 1;
    Some(fault)
}

/// The answer to a request whose fault replaces it (every fault but a lost
/// response, which lets the request take effect first).
pub(super) fn fault_outcome(fault: &Fault, req: &RecordedRequest) -> Outcome {
    let path = req.path();
    let segment_after = |word: &str| {
        let segs: Vec<&str> = path.split('/').collect();
        segs.iter()
            .position(|s| s.eq_ignore_ascii_case(word))
            .and_then(|i| segs.get(i + 1))
            .map(|s| percent_decode(s))
            .unwrap_or_default()
    };
    let mut reply = match fault {
        Fault::LostResponse => return Outcome::Drop,
        Fault::DropConnection
        | Fault::Redirect { .. }
        | Fault::Hang
        | Fault::EndlessBody { .. }
        | Fault::HugeBody { .. }
        | Fault::Echo { .. }
        | Fault::Reply { .. } => {
            return verbatim_outcome(fault, req).unwrap_or(Outcome::Drop);
        }
        Fault::Throttle { retry_after_secs } => {
            let kind = rate_limit_kind(&req.method);
            Reply::arm_error(
                429,
                "SubscriptionRequestsThrottled",
                format!(
                    "Number of '{}' requests for subscription '{}' exceeded. Please try again after '{retry_after_secs}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling",
                    kind.trim_end_matches('s'),
                    segment_after("subscriptions")
                ),
            )
            .with_header("retry-after", retry_after_secs.to_string())
            .with_header(&format!("x-ms-ratelimit-remaining-subscription-{kind}"), "0")
        }
        Fault::Conflict { code } => {
            let message = match code.as_str() {
                "ServiceIsInMaintenance" => format!(
                    "[Conflict] Cluster '{}' is in process of maintenance for a short period. You may retry to invoke the operation in a few minutes.",
                    segment_after("clusters")
                ),
                "RequestConflict" | "Conflict" => format!(
                    "[Conflict] Cannot perform the operation on '{}': another operation is in progress. Please retry after it completes.",
                    req.path().rsplit('/').next().map(percent_decode).unwrap_or_default()
                ),
                _ => format!("[Conflict] The operation cannot be performed right now ({code}). Please retry later."),
            };
            Reply::arm_error(409, code, message)
        }
        Fault::Error {
            status,
            code,
            message,
        } => Reply::arm_error(*status, code, message.clone()),
        Fault::Status(status) => status_fault(*status, &segment_after("subscriptions")),
    };
    decorate(&mut reply, req);
    Outcome::Reply(reply)
}

fn status_fault(status: u16, subscription: &str) -> Reply {
    let (code, message) = match status {
        500 => (
            "InternalServerError".to_owned(),
            format!(
                "Encountered internal server error. Diagnostic information: timestamp '{}', subscription id '{subscription}', tracking id '{}', request correlation id '{}'.",
                compact_timestamp(SystemTime::now()),
                new_guid(),
                new_guid()
            ),
        ),
        502 => (
            "BadGateway".to_owned(),
            "The gateway received an invalid response from the resource provider 'Microsoft.Kusto'.".to_owned(),
        ),
        503 => (
            "ServiceUnavailable".to_owned(),
            "The resource provider 'Microsoft.Kusto' is temporarily unavailable. Please retry the request.".to_owned(),
        ),
        504 => (
            "GatewayTimeout".to_owned(),
            "The gateway did not receive a response from 'Microsoft.Kusto' within the specified time period.".to_owned(),
        ),
        _ => {
            let reason = hyper::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            (
                reason.replace([' ', '-'], ""),
                format!("Injected fault: HTTP {status} {reason}."),
            )
        }
    };
    Reply::arm_error(status, &code, message)
}
