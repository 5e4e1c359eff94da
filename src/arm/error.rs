//! What can go wrong talking to ARM, with the exit status and hint for each.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use crate::auth::AuthError;
use crate::interrupt::Stop;
use crate::transport::TransportError;
use crate::wire::ErrorDetail;

/// ARM's error envelope `{"error": {"code", "message"}}`, or what we could make of a body that
/// is not one (a proxy's HTML page, an empty 503).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// `x-ms-correlation-request-id` (or `x-ms-request-id`), for a support ticket.
    pub correlation_id: Option<String>,
}

impl ApiError {
    pub fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ApiError {
        let correlation_id = ["x-ms-correlation-request-id", "x-ms-request-id"]
            .iter()
            .find_map(|name| headers.get(*name)?.to_str().ok())
            .map(str::to_string);
        let reason = status
            .canonical_reason()
            .unwrap_or("error")
            .replace(' ', "");
        let (code, message) = match ErrorDetail::from_body(body) {
            Some(detail) => (
                detail.code.clone().unwrap_or(reason),
                folded_message(&detail),
            ),
            None => (reason, describe_body(headers, body)),
        };
        ApiError {
            status,
            code,
            message,
            correlation_id,
        }
    }
}

/// The message with its details' messages folded in, since they often hold the cause.
fn folded_message(detail: &ErrorDetail) -> String {
    let mut message = detail.message.clone().unwrap_or_default();
    for text in detail.details.iter().filter_map(|d| d.message.as_deref()) {
        if !message.contains(text) {
            if !message.is_empty() {
                message.push_str("; ");
            }
            message.push_str(text);
        }
    }
    message
}

/// A short, printable description of a non-JSON body.
fn describe_body(headers: &HeaderMap, body: &[u8]) -> String {
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("no content type");
    if body.iter().all(u8::is_ascii_whitespace) {
        return "the response had no body".into();
    }
    if content_type.contains("html") {
        return format!("the response was an HTML page ({content_type}), probably from a proxy or gateway, not ARM");
    }
    let text: String = String::from_utf8_lossy(body)
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    format!("unexpected response ({content_type}): {text}")
}

impl ApiError {
    /// Kusto's "not now" answers: a maintenance window, or another operation on the resource or
    /// cluster still running. Retrying later is what the messages themselves advise.
    pub fn is_transient_conflict(&self) -> bool {
        const CODES: [&str; 5] = [
            "ServiceIsInMaintenance",
            "RequestConflict",
            "RetryableErrorDueToAnotherOperation",
            "OperationInProgress",
            "AnotherOperationInProgress",
        ];
        if self.status != StatusCode::CONFLICT {
            return false;
        }
        let message = self.message.to_ascii_lowercase();
        CODES
            .iter()
            .any(|code| self.code.eq_ignore_ascii_case(code))
            || message.contains("another operation")
            || message.contains("in progress")
            || message.contains("maintenance")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    /// The request could not be sent or its answer not read, after retries.
    #[error("{method} {url} failed: no answer from the server")]
    Transport {
        method: String,
        url: String,
        #[source]
        source: TransportError,
    },
    /// A write was sent, but its answer never came: it may or may not have been applied.
    #[error("{method} {url}: the connection closed before Azure answered")]
    Unanswered {
        method: String,
        url: String,
        #[source]
        source: TransportError,
    },
    /// The answer was one ARM never gives (a redirect, a body of megabytes): refused, not
    /// followed or read further.
    #[error("{method} {url}: {source}")]
    Refused {
        method: String,
        url: String,
        source: TransportError,
    },
    /// ARM answered with an error status (after retries, when it was retryable).
    #[error("{} ({} {}): {}", .0.code, .0.status.as_u16(), .0.status.canonical_reason().unwrap_or(""), .0.message)]
    Api(ApiError),
    /// A URL segment that URL normalisation would change (`.`, `..`, empty): nothing is sent.
    #[error("`{segment}` cannot be part of an ARM path (it would address another resource); nothing was sent")]
    Path { segment: String },
    /// ARM answered 2xx with something we cannot read.
    #[error("could not read {what} in ARM's answer: {problem}")]
    Decode { what: String, problem: String },
    /// The long-running operation ended `Failed` or `Canceled`.
    #[error("the operation ended `{status}`: {code}: {message}")]
    OperationFailed {
        status: String,
        code: String,
        message: String,
        operation: String,
    },
    /// `--timeout` passed before the work was done.
    #[error("gave up after {}: {}", crate::duration::display(*.waited), stopped_while(.request, *.unanswered, "is still running in Azure"))]
    Timeout {
        waited: Duration,
        operation: Option<String>,
        /// The request that started the operation (`PUT https://…`), when known.
        request: Option<String>,
        /// Whether that request was a write still waiting for its answer.
        unanswered: bool,
    },
    /// SIGINT or SIGTERM. Waiting stopped; the operation was not cancelled.
    #[error("interrupted: {}", stopped_while(.request, *.unanswered, "goes on in Azure (it was not cancelled)"))]
    Interrupted {
        operation: Option<String>,
        request: Option<String>,
        unanswered: bool,
    },
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// What was going on when a run stopped early.
fn stopped_while(request: &Option<String>, unanswered: bool, going_on: &str) -> String {
    match (request, unanswered) {
        (Some(request), true) => format!(
            "`{request}` was sent but Azure had not answered: it may or may not have been applied"
        ),
        (Some(request), false) => format!("the operation started by `{request}` {going_on}"),
        (None, _) => format!("nothing was written; anything already started {going_on}"),
    }
}

impl ArmError {
    /// The error for a run stopped by a signal or the deadline, during `request` (when known).
    pub fn stopped(stop: Stop, request: Option<String>, unanswered: bool) -> ArmError {
        match stop {
            Stop::Interrupted => ArmError::Interrupted {
                operation: None,
                request,
                unanswered,
            },
            Stop::Deadline(waited) => ArmError::Timeout {
                waited,
                operation: None,
                request,
                unanswered,
            },
        }
    }

    /// ARM's error code and message, for a report line (`Error` and the whole text when ARM
    /// gave none).
    pub fn code_and_message(&self) -> (String, String) {
        match self {
            ArmError::Api(api) => (api.code.clone(), api.message.clone()),
            ArmError::OperationFailed { code, message, .. } => (code.clone(), message.clone()),
            other => ("Error".into(), other.to_string()),
        }
    }

    /// Whether a signal or the deadline ended the run.
    pub fn is_stop(&self) -> bool {
        matches!(
            self,
            ArmError::Interrupted { .. } | ArmError::Timeout { .. }
        )
    }

    /// Names the status URL a stopped wait can be resumed from.
    #[must_use]
    pub fn resumable_at(mut self, url: Option<String>) -> ArmError {
        if let ArmError::Timeout { operation, .. } | ArmError::Interrupted { operation, .. } =
            &mut self
        {
            if operation.is_none() {
                *operation = url;
            }
        }
        self
    }

    /// Names the request behind a wait that stopped early (timeout or signal).
    #[must_use]
    pub fn started_by(mut self, method: &str, url: &url::Url) -> ArmError {
        if let ArmError::Timeout { request, .. } | ArmError::Interrupted { request, .. } = &mut self
        {
            if request.is_none() {
                *request = Some(format!("{method} {}", crate::trace::without_query(url)));
            }
        }
        self
    }

    /// The status code of an API error, if that is what this is.
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Api(error) => Some(error.status.as_u16()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_envelope_and_odd_bodies() {
        let headers = HeaderMap::new();
        let error = ApiError::from_response(
            StatusCode::BAD_REQUEST,
            &headers,
            br#"{"error":{"code":"BadRequest","message":"missing consumerGroup","details":[{"code":"x","message":"more"}]}}"#,
        );
        assert_eq!(error.code, "BadRequest");
        assert_eq!(error.message, "missing consumerGroup; more");

        let mut html = HeaderMap::new();
        html.insert(reqwest::header::CONTENT_TYPE, "text/html".parse().unwrap());
        let error = ApiError::from_response(StatusCode::BAD_GATEWAY, &html, b"<html>oops</html>");
        assert_eq!(error.code, "BadGateway");
        assert!(error.message.contains("HTML page"));

        let error = ApiError::from_response(StatusCode::SERVICE_UNAVAILABLE, &headers, b"");
        assert_eq!(error.message, "the response had no body");

        let error = ApiError::from_response(StatusCode::CONFLICT, &headers, b"[1,2]");
        assert_eq!(error.code, "Conflict");
    }
}
