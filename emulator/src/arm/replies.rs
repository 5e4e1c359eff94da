//! What ARM answers have in common, whichever part of the emulator gives
//! them: the 401 with its `WWW-Authenticate` challenge, the headers every
//! answer carries, and the polling headers of long-running operations.

use std::time::SystemTime;

use crate::http::Reply;
use crate::log::RecordedRequest;
use crate::operation::StatusUrls;
use crate::text::{compact_timestamp, new_guid};
use crate::throttle::Operation;
use crate::token::Claims;

/// ARM's 401: the error envelope and a bearer challenge that repeats it.
pub(super) fn unauthorized(code: &str, message: String) -> Reply {
    let challenge = format!(
        "Bearer authorization_uri=\"https://login.microsoftonline.com/\", error=\"invalid_token\", error_description=\"{}\"",
        message.replace('"', "'")
    );
    Reply::arm_error(401, code, message).with_header("www-authenticate", challenge)
}

/// ARM's 403 for a caller whose role does not allow `action` on `scope`.
pub(super) fn authorization_failed(claims: &Claims, action: &str, scope: &str) -> Reply {
    Reply::arm_error(
        403,
        "AuthorizationFailed",
        format!(
            "The client '{}' with object id '{}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
            claims.appid, claims.oid
        ),
    )
}

/// The operation type ARM's rate limits count a method as.
pub(super) fn rate_limit_kind(method: &str) -> &'static str {
    Operation::of(method).plural()
}

/// Adds the headers every ARM answer carries.
pub(super) fn decorate(reply: &mut Reply, req: &RecordedRequest) {
    let correlation = req
        .header("x-ms-correlation-request-id")
        .filter(|c| !c.is_empty() && c.len() <= 128)
        .map_or_else(new_guid, str::to_owned);
    let kind = rate_limit_kind(&req.method);
    let (bucket, global) = match kind {
        "reads" => ("249", "3749"),
        "deletes" => ("799", "11999"),
        _ => ("199", "2999"),
    };
    reply.set_header_if_absent(
        &format!("x-ms-ratelimit-remaining-subscription-{kind}"),
        bucket,
    );
    reply.set_header_if_absent(
        &format!("x-ms-ratelimit-remaining-subscription-global-{kind}"),
        global,
    );
    reply.set_header_if_absent("x-ms-request-id", new_guid());
    reply.set_header_if_absent(
        "x-ms-routing-request-id",
        format!(
            "EMULATOR:{}:{correlation}",
            compact_timestamp(SystemTime::now())
        ),
    );
    reply.set_header_if_absent("x-ms-correlation-request-id", correlation);
    reply.set_header_if_absent("cache-control", "no-cache");
    reply.set_header_if_absent("pragma", "no-cache");
    reply.set_header_if_absent("expires", "-1");
    reply.set_header_if_absent(
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    );
    reply.set_header_if_absent("x-content-type-options", "nosniff");
}

/// Both status URLs of an operation, as a 202 that is still running
/// points to them.
pub(super) fn with_status_urls(reply: Reply, urls: &StatusUrls, origin: &str) -> Reply {
    reply
        .with_header("location", urls.location(origin))
        .with_header("azure-asyncoperation", urls.async_operation(origin))
}

/// `Retry-After`, when the settings ask for one.
pub(super) fn with_retry_after(reply: Reply, secs: Option<u64>) -> Reply {
    match secs {
        Some(secs) => reply.with_header("retry-after", secs.to_string()),
        None => reply,
    }
}
