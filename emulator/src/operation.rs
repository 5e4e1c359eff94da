//! Long-running operations (create, update, delete of a data connection, and
//! the validation of a proposed one) and their signed, subscription-scoped
//! status URLs.
//!
//! An operation is decided when it starts (how long it runs, whether it
//! fails) and settled lazily: the state settles every operation whose time is
//! up before it handles a request, so no timers run in the background.
//!
//! Status URLs imitate ARM's signed ones: `t` (.NET ticks), `c` (a base64url
//! certificate), `s` (a 342-character signature) and `h` (a 43-character
//! hash), about 3.5 KB in all. The emulator answers a status GET only if its
//! query string is byte-for-byte one it issued, so a client that parses and
//! re-encodes the URL fails the way it would against ARM.

use std::time::{Duration, Instant, SystemTime};

use ring::{digest, hmac};
use serde_json::{json, Value};

use crate::text::{b64url, dotnet_ticks, percent_encode, random_bytes, rfc3339};
use crate::API_VERSION;

/// What the operation does to its data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Create,
    Update,
    Delete,
    /// `dataConnectionValidation`: changes nothing, and its result is a
    /// list of findings.
    Validate,
}

/// The error an operation ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OperationError {
    pub code: String,
    pub message: String,
}

/// The data connection an operation works on (lowercase key parts).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ConnectionKey {
    pub subscription: String,
    pub resource_group: String,
    pub cluster: String,
    pub database: String,
    pub name: String,
}

impl ConnectionKey {
    pub(crate) fn new(
        subscription: &str,
        resource_group: &str,
        cluster: &str,
        database: &str,
        name: &str,
    ) -> ConnectionKey {
        ConnectionKey {
            subscription: subscription.to_ascii_lowercase(),
            resource_group: resource_group.to_ascii_lowercase(),
            cluster: cluster.to_ascii_lowercase(),
            database: database.to_ascii_lowercase(),
            name: name.to_ascii_lowercase(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Operation {
    pub id: String,
    pub subscription: String,
    /// The cluster's region display name, e.g. `West Europe`.
    pub location: String,
    pub action: Action,
    pub target: ConnectionKey,
    /// `properties.operationKind`, e.g. `DmServiceDataObtainerDrop`.
    pub operation_kind: &'static str,
    pub start: SystemTime,
    pub deadline: Instant,
    pub duration: Duration,
    /// Decided at start; applied at settlement.
    pub failure: Option<OperationError>,
    pub settled: bool,
    /// Status GETs served for this operation.
    pub polls: usize,
    pub urls: StatusUrls,
    /// What a validation found, decided at start (empty for other actions).
    pub findings: Vec<String>,
}

impl Operation {
    pub(crate) fn is_done(&self, now: Instant) -> bool {
        now >= self.deadline
    }

    fn end(&self) -> SystemTime {
        self.start + self.duration
    }

    /// A validation's result, `{"value": [{"errorMessage": ...}, ...]}`:
    /// what its `Location` URL answers once it succeeded.
    pub(crate) fn validation_result(&self) -> Value {
        let value: Vec<Value> = self
            .findings
            .iter()
            .map(|f| json!({"errorMessage": f}))
            .collect();
        json!({"value": value})
    }

    /// The `Azure-AsyncOperation` body as of `now`; `poll` is this GET's
    /// 1-based number (odd polls say `Running`, even `InProgress`: clients must
    /// treat any non-terminal status as running).
    pub(crate) fn status_body(&self, now: Instant, poll: usize) -> Value {
        let mut body = json!({
            "id": format!(
                "/subscriptions/{}/providers/Microsoft.Kusto/locations/{}/operationresults/{}",
                self.subscription, self.location, self.id
            ),
            "name": self.id,
            "startTime": rfc3339(self.start),
        });
        let fields = if !self.is_done(now) {
            json!({
                "status": if poll.is_multiple_of(2) { "InProgress" } else { "Running" },
                "percentComplete": 0.5,
                "properties": {
                    "operationKind": self.operation_kind,
                    "provisioningState": "Running",
                    "operationState": "InProgress",
                },
            })
        } else if let Some(error) = &self.failure {
            json!({
                "status": "Failed",
                "endTime": rfc3339(self.end()),
                "percentComplete": 1.0,
                "error": {"code": error.code, "message": error.message},
                "properties": {
                    "operationKind": self.operation_kind,
                    "provisioningState": "Failed",
                    "operationState": "Failed",
                },
            })
        } else if self.action == Action::Validate {
            // The recordings show the result itself as the properties.
            json!({
                "status": "Succeeded",
                "endTime": rfc3339(self.end()),
                "percentComplete": 1.0,
                "properties": self.validation_result(),
            })
        } else {
            json!({
                "status": "Succeeded",
                "endTime": rfc3339(self.end()),
                "percentComplete": 1.0,
                "properties": {
                    "operationKind": self.operation_kind,
                    "provisioningState": "Succeeded",
                    "operationState": "Completed",
                },
            })
        };
        if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
            body.extend(fields.clone());
        }
        body
    }
}

/// The two status URLs of an operation, relative to the emulator's origin.
#[derive(Debug, Clone)]
pub(crate) struct StatusUrls {
    /// `/subscriptions/{s}/providers/Microsoft.Kusto/locations/{Loc%20Name}/operationResults/{id}`
    pub path: String,
    /// Query of the `Azure-AsyncOperation` URL.
    pub async_query: String,
    /// Query of the `Location` URL (`operationResultResponseType=Location`).
    pub location_query: String,
}

impl StatusUrls {
    pub(crate) fn async_operation(&self, origin: &str) -> String {
        format!("{origin}{}?{}", self.path, self.async_query)
    }

    pub(crate) fn location(&self, origin: &str) -> String {
        format!("{origin}{}?{}", self.path, self.location_query)
    }
}

/// Which status URL a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusUrlKind {
    AsyncOperation,
    Location,
}

impl StatusUrls {
    /// Which of the issued URLs `query` is, byte for byte.
    pub(crate) fn kind_of(&self, query: &str) -> Option<StatusUrlKind> {
        if query == self.async_query {
            Some(StatusUrlKind::AsyncOperation)
        } else if query == self.location_query {
            Some(StatusUrlKind::Location)
        } else {
            None
        }
    }
}

/// Signs status URLs with a per-instance key.
pub(crate) struct UrlSigner {
    key: hmac::Key,
    /// base64url of the signing certificate, the `c=` parameter.
    certificate: String,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(..)")
    }
}

impl UrlSigner {
    pub(crate) fn new(certificate_der: &[u8]) -> UrlSigner {
        UrlSigner {
            key: hmac::Key::new(hmac::HMAC_SHA256, &random_bytes::<32>()),
            certificate: b64url(certificate_der),
        }
    }

    pub(crate) fn urls(
        &self,
        subscription: &str,
        location: &str,
        operation_id: &str,
        at: SystemTime,
    ) -> StatusUrls {
        let path = format!(
            "/subscriptions/{subscription}/providers/Microsoft.Kusto/locations/{}/operationResults/{operation_id}",
            percent_encode(location)
        );
        let t = dotnet_ticks(at).to_string();
        let h = b64url(digest::digest(&digest::SHA256, format!("{path}|{t}").as_bytes()).as_ref());
        // 256 bytes like an RSA-2048 signature: eight chained HMAC blocks.
        let mut signature = Vec::with_capacity(256);
        for block in 0u8..8 {
            let mut ctx = hmac::Context::with_key(&self.key);
            ctx.update(&[block]);
            ctx.update(path.to_ascii_lowercase().as_bytes());
            ctx.update(t.as_bytes());
            ctx.update(h.as_bytes());
            signature.extend_from_slice(ctx.sign().as_ref());
        }
        let s = b64url(&signature);
        let c = &self.certificate;
        StatusUrls {
            async_query: format!("api-version={API_VERSION}&t={t}&c={c}&s={s}&h={h}"),
            location_query: format!(
                "api-version={API_VERSION}&operationResultResponseType=Location&t={t}&c={c}&s={s}&h={h}"
            ),
            path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> UrlSigner {
        UrlSigner::new(&[0x30; 1998])
    }

    #[test]
    fn status_urls_look_like_arms() {
        let urls = signer().urls("sub", "West Europe", "op-1", SystemTime::now());
        assert_eq!(
            urls.path,
            "/subscriptions/sub/providers/Microsoft.Kusto/locations/West%20Europe/operationResults/op-1"
        );
        let params: Vec<(&str, usize)> = urls
            .async_query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k, v.len()))
            .collect();
        assert_eq!(params[0], ("api-version", 10));
        assert_eq!(params[1].0, "t");
        assert_eq!(params[2], ("c", 2664));
        assert_eq!(params[3], ("s", 342));
        assert_eq!(params[4], ("h", 43));
        assert!(urls
            .location_query
            .starts_with("api-version=2025-02-14&operationResultResponseType=Location&t="));
        assert!(urls.async_operation("https://x").len() > 3000);
    }

    #[test]
    fn only_issued_queries_are_recognised() {
        let urls = signer().urls("sub", "West Europe", "op-1", SystemTime::now());
        assert_eq!(
            urls.kind_of(&urls.async_query),
            Some(StatusUrlKind::AsyncOperation)
        );
        assert_eq!(
            urls.kind_of(&urls.location_query),
            Some(StatusUrlKind::Location)
        );
        assert_eq!(
            urls.kind_of(&urls.async_query.replace("api-version", "Api-Version")),
            None
        );
        let reordered = urls
            .location_query
            .replace("&operationResultResponseType=Location", "")
            + "&operationResultResponseType=Location";
        assert_eq!(urls.kind_of(&reordered), None);
        let other = signer().urls("sub", "West Europe", "op-1", SystemTime::now());
        assert_eq!(urls.kind_of(&other.async_query), None);
    }

    #[test]
    fn status_body_follows_the_operation() {
        let start = SystemTime::now();
        let now = Instant::now();
        let mut op = Operation {
            id: "op-1".to_owned(),
            subscription: "sub".to_owned(),
            location: "West Europe".to_owned(),
            action: Action::Delete,
            target: ConnectionKey::new("s", "rg", "c", "d", "n"),
            operation_kind: "DmServiceDataObtainerDrop",
            start,
            deadline: now + Duration::from_secs(60),
            duration: Duration::from_secs(60),
            failure: None,
            settled: false,
            polls: 0,
            urls: signer().urls("sub", "West Europe", "op-1", start),
            findings: Vec::new(),
        };
        let running = op.status_body(now, 1);
        assert_eq!(running["status"], "Running");
        assert_eq!(op.status_body(now, 2)["status"], "InProgress");
        assert_eq!(running["properties"]["operationState"], "InProgress");
        assert_eq!(running["id"], "/subscriptions/sub/providers/Microsoft.Kusto/locations/West Europe/operationresults/op-1");
        let later = now + Duration::from_secs(61);
        let done = op.status_body(later, 3);
        assert_eq!(done["status"], "Succeeded");
        assert_eq!(done["percentComplete"], 1.0);
        assert!(done["percentComplete"].is_f64());
        assert_eq!(done["properties"]["operationState"], "Completed");
        op.failure = Some(OperationError {
            code: "Boom".to_owned(),
            message: "it broke".to_owned(),
        });
        let failed = op.status_body(later, 4);
        assert_eq!(failed["status"], "Failed");
        assert_eq!(failed["error"]["code"], "Boom");

        op.failure = None;
        op.action = Action::Validate;
        op.findings = vec!["Database does not exist".to_owned()];
        let validated = op.status_body(later, 5);
        assert_eq!(validated["status"], "Succeeded");
        assert_eq!(
            validated["properties"],
            json!({"value": [{"errorMessage": "Database does not exist"}]})
        );
        assert_eq!(validated["properties"], op.validation_result());
    }
}
