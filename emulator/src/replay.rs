//! Replays recorded ARM traffic over the same HTTPS and CA machinery as the
//! [`Emulator`](crate::Emulator), so a client can be checked against what
//! live Azure actually answered rather than against the emulator's model.
//!
//! A [`Replay`] serves a fixed list of [`Exchange`]s strictly in order: each
//! request must match the next exchange, which is then answered with its
//! recorded status, headers and body. The recorded origin
//! (`https://management.azure.com`) is replaced by the replay's own URL in
//! the `Location` and `Azure-AsyncOperation` headers and in bodies, so a
//! client following status URLs or `nextLink`s comes back to the replay.
//!
//! Matching is deliberately asymmetric:
//! - URLs the replay handed out itself (status URLs from an earlier answer's
//!   headers) must come back byte for byte in their query, since ARM signs
//!   them and a client that re-encodes them fails against ARM;
//! - any other URL is matched with its path compared case-insensitively
//!   (recordings say `/Clusters/.../Databases/.../DataConnections`, clients
//!   may send lowercase) and its query compared as decoded pairs in any
//!   order, ignoring the value of `api-version` (recordings are of older
//!   api-versions than the client speaks).
//!
//! Any bearer token is accepted. Token-endpoint requests
//! (`POST /{tenant}/oauth2/v2.0/token`) that the recording does not expect
//! get a placeholder token, so a client configured with a service principal
//! can run against the replay unchanged; they do not count as exchanges.
//!
//! [`load_powershell_recording`] reads the Azure PowerShell `*.Recording.json`
//! format, e.g. `tests/fixtures/Remove-AzKustoDataConnection.Recording.json`.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::host::{Bound, Host};
use crate::http::{Outcome, Reply};
use crate::log::{is_token_path, RecordedRequest};
use crate::text::{b64url, percent_decode, query_pairs, unix_now};

/// The origin recordings were made against; replaced by the replay's own.
const RECORDED_ORIGIN: &str = "https://management.azure.com";

/// Response headers that carry URLs a client follows.
const URL_HEADERS: [&str; 2] = ["location", "azure-asyncoperation"];

/// Headers that describe the recorded connection or body framing rather
/// than the answer; the host computes its own.
const FRAMING_HEADERS: [&str; 4] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
];

/// One recorded request and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub method: String,
    /// Absolute, as recorded, e.g. `https://management.azure.com/subscriptions/...`.
    pub url: String,
    pub status: u16,
    /// Response headers (including content headers), one pair per value.
    pub headers: Vec<(String, String)>,
    /// Response body (empty when the recording has none).
    pub body: String,
}

/// A running replay. Dropping it stops the server and removes its temporary
/// directory (which holds the CA certificate).
pub struct Replay {
    shared: Arc<Mutex<ReplayState>>,
    host: Host,
}

impl fmt::Debug for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replay")
            .field("url", &self.host.url())
            .field("ca_file", &self.host.ca_file())
            .finish_non_exhaustive()
    }
}

/// An exchange prepared for serving.
#[derive(Debug)]
struct Expected {
    exchange: Exchange,
    /// The recorded request URL's path and query (origin stripped).
    path_and_query: String,
    /// Whether an earlier answer handed this URL out in a header.
    issued: bool,
    /// The answer, with URLs rewritten to the replay's origin.
    reply: Reply,
}

#[derive(Debug)]
struct ReplayState {
    expected: Vec<Expected>,
    next: usize,
    mismatches: Vec<String>,
}

impl Replay {
    /// Starts serving `exchanges`, in order, on `127.0.0.1` with an
    /// OS-assigned port.
    pub fn start(exchanges: Vec<Exchange>) -> io::Result<Replay> {
        let bound = Bound::localhost()?;
        let pki = crate::tls::generate()?;
        let expected = prepare(exchanges, &bound.url);
        let shared = Arc::new(Mutex::new(ReplayState {
            expected,
            next: 0,
            mismatches: Vec::new(),
        }));
        let handler_shared = Arc::clone(&shared);
        let host = Host::start(
            bound,
            &pki,
            Arc::new(move |request| handle(&mut lock(&handler_shared), &request)),
        )?;
        Ok(Replay { shared, host })
    }

    /// `https://127.0.0.1:PORT`, without a trailing slash: the ARM endpoint
    /// (and, for placeholder tokens, the authority host).
    pub fn url(&self) -> &str {
        self.host.url()
    }

    /// The CA certificate (PEM) to trust, e.g. through `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> &Path {
        self.host.ca_file()
    }

    /// How many exchanges were answered, in order, so far.
    pub fn served(&self) -> usize {
        lock(&self.shared).next
    }

    /// Each request that did not match the next exchange (or came after the
    /// last one), described for a test failure message.
    pub fn mismatches(&self) -> Vec<String> {
        lock(&self.shared).mismatches.clone()
    }
}

/// The state; a handler cannot leave it half-written, so poisoning is ignored.
fn lock(shared: &Mutex<ReplayState>) -> MutexGuard<'_, ReplayState> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The path and query of an absolute URL (`/` if it has no path).
fn path_and_query(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .find(['/', '?'])
        .map_or("/", |i| &after_scheme[i..])
}

fn prepare(exchanges: Vec<Exchange>, origin: &str) -> Vec<Expected> {
    let mut handed_out: Vec<String> = Vec::new();
    let mut expected = Vec::with_capacity(exchanges.len());
    for exchange in exchanges {
        let issued = handed_out.contains(&exchange.url);
        let mut reply = Reply {
            status: exchange.status,
            headers: Vec::new(),
            body: exchange.body.replace(RECORDED_ORIGIN, origin).into_bytes(),
        };
        for (name, value) in &exchange.headers {
            let lower = name.to_ascii_lowercase();
            if FRAMING_HEADERS.contains(&lower.as_str()) {
                continue;
            }
            if URL_HEADERS.contains(&lower.as_str()) {
                handed_out.push(value.clone());
                reply
                    .headers
                    .push((name.clone(), value.replace(RECORDED_ORIGIN, origin)));
            } else {
                reply.headers.push((name.clone(), value.clone()));
            }
        }
        expected.push(Expected {
            path_and_query: path_and_query(&exchange.url).to_owned(),
            issued,
            exchange,
            reply,
        });
    }
    expected
}

fn handle(state: &mut ReplayState, request: &RecordedRequest) -> Outcome {
    let next = state.expected.get(state.next);
    let expects_token = next.is_some_and(|e| is_token_path(split_query(&e.path_and_query).0));
    if is_token_path(request.path()) && !expects_token {
        return Outcome::Reply(placeholder_token());
    }
    let got = format!("{} {}", request.method, request.path_and_query);
    let Some(expected) = next else {
        let message = format!(
            "expected no more requests (all {} exchanges were served), got {got}",
            state.expected.len()
        );
        return Outcome::Reply(refuse(state, message));
    };
    if !expects_token && !has_bearer(request) {
        let message = format!(
            "expected {} {} with an 'Authorization: Bearer ...' header, got {got} without one",
            expected.exchange.method, expected.exchange.url
        );
        return Outcome::Reply(refuse(state, message));
    }
    if let Some(reason) = mismatch(expected, &request.method, &request.path_and_query) {
        let message = format!(
            "expected {} {}, got {got} ({reason})",
            expected.exchange.method, expected.exchange.url
        );
        return Outcome::Reply(refuse(state, message));
    }
    let reply = expected.reply.clone();
    state.next += 1;
    Outcome::Reply(reply)
}

/// Records a mismatch and answers it. The expected exchange stays next, so
/// a client that retries correctly can still go on.
fn refuse(state: &mut ReplayState, message: String) -> Reply {
    state.mismatches.push(message.clone());
    Reply::arm_error(400, "ReplayMismatch", message)
}

fn has_bearer(request: &RecordedRequest) -> bool {
    request
        .header("authorization")
        .and_then(|h| h.split_once(' '))
        .is_some_and(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("Bearer") && !token.trim().is_empty()
        })
}

/// A token-endpoint answer with a JWT-shaped placeholder: the replay accepts
/// any bearer token, but clients may decode theirs (e.g. for its expiry).
fn placeholder_token() -> Reply {
    let now = unix_now();
    let header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = json!({
        "aud": "https://management.azure.com/",
        "iat": now,
        "nbf": now,
        "exp": now + 3599,
        "tid": "00000000-0000-0000-0000-000000000000",
        "appid": "00000000-0000-0000-0000-000000000000",
    });
    let payload = b64url(claims.to_string().as_bytes());
    Reply::json(
        200,
        &json!({
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": format!("{header}.{payload}.replay"),
        }),
    )
}

/// Why a request does not match an exchange, if it does not.
fn mismatch(expected: &Expected, method: &str, path_and_query: &str) -> Option<&'static str> {
    if method != expected.exchange.method {
        return Some("method differs");
    }
    let (want_path, want_query) = split_query(&expected.path_and_query);
    let (got_path, got_query) = split_query(path_and_query);
    if expected.issued {
        if !got_path.eq_ignore_ascii_case(want_path) {
            return Some("path differs");
        }
        if got_query != want_query {
            return Some(
                "query differs from the status URL handed out (it must be used byte for byte)",
            );
        }
        return None;
    }
    if !percent_decode(got_path).eq_ignore_ascii_case(&percent_decode(want_path)) {
        return Some("path differs");
    }
    if normalized_query(got_query) != normalized_query(want_query) {
        return Some("query differs");
    }
    None
}

fn split_query(path_and_query: &str) -> (&str, &str) {
    path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""))
}

/// Decoded query pairs, sorted, with `api-version`'s value blanked.
fn normalized_query(query: &str) -> Vec<(String, String)> {
    let mut pairs = query_pairs(query);
    for (name, value) in &mut pairs {
        if name.eq_ignore_ascii_case("api-version") {
            value.clear();
        }
    }
    pairs.sort();
    pairs
}

/// Reads an Azure PowerShell `*.Recording.json`: an object of
/// `key -> {Request: {Method, RequestUri, Content, ...}, Response:
/// {StatusCode, Headers: {name: [values]}, ContentHeaders: {...}, Content}}`,
/// in file order (the keys' `+N` suffixes count per URL, not globally, so the
/// file order is the only record of the sequence).
pub fn load_powershell_recording(json: &str) -> Result<Vec<Exchange>, String> {
    let entries: Ordered<Entry> =
        serde_json::from_str(json).map_err(|e| format!("not a PowerShell recording: {e}"))?;
    entries
        .0
        .into_iter()
        .map(|(key, entry)| {
            entry
                .into_exchange()
                .map_err(|e| format!("entry '{key}': {e}"))
        })
        .collect()
}

/// A JSON object's members in document order (serde_json's own map is
/// sorted unless a feature this crate does not control is enabled).
struct Ordered<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for OrderedVisitor<T> {
            type Value = Ordered<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<T>, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, T>()? {
                    members.push(member);
                }
                Ok(Ordered(members))
            }
        }

        deserializer.deserialize_map(OrderedVisitor(std::marker::PhantomData))
    }
}

impl<T> Default for Ordered<T> {
    fn default() -> Ordered<T> {
        Ordered(Vec::new())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    request: EntryRequest,
    response: EntryResponse,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EntryRequest {
    method: String,
    request_uri: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EntryResponse {
    /// A number in the recordings; some recorders write `"200"`.
    status_code: Value,
    #[serde(default)]
    headers: Ordered<Value>,
    #[serde(default)]
    content_headers: Ordered<Value>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default, rename = "isContentBase64")]
    is_content_base64: bool,
}

impl Entry {
    fn into_exchange(self) -> Result<Exchange, String> {
        let response = self.response;
        let status = match &response.status_code {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .and_then(|n| u16::try_from(n).ok())
        .filter(|n| (100..=999).contains(n))
        .ok_or_else(|| format!("invalid StatusCode {}", response.status_code))?;
        let mut headers = Vec::new();
        for (name, values) in response
            .headers
            .0
            .into_iter()
            .chain(response.content_headers.0)
        {
            match values {
                Value::Array(values) => {
                    for value in values {
                        headers.push((name.clone(), header_value(&name, value)?));
                    }
                }
                value => headers.push((name.clone(), header_value(&name, value)?)),
            }
        }
        let body = match response.content {
            None => String::new(),
            Some(content) if response.is_content_base64 => {
                let bytes = STANDARD
                    .decode(content.trim())
                    .map_err(|e| format!("Content is not valid base64: {e}"))?;
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Some(content) => content,
        };
        Ok(Exchange {
            method: self.request.method,
            url: self.request.request_uri,
            status,
            headers,
            body,
        })
    }
}

fn header_value(name: &str, value: Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("header '{name}' has a non-string value {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REMOVE: &str =
        include_str!("../../tests/fixtures/Remove-AzKustoDataConnection.Recording.json");

    #[test]
    fn loads_the_remove_recording_in_file_order() {
        let exchanges = load_powershell_recording(REMOVE).unwrap_or_else(|e| panic!("{e}"));
        let seen: Vec<(&str, u16)> = exchanges
            .iter()
            .map(|e| (e.method.as_str(), e.status))
            .collect();
        assert_eq!(
            seen,
            [
                ("PUT", 201),
                ("GET", 200),
                ("GET", 200),
                ("DELETE", 202),
                ("GET", 200),
                ("GET", 200),
            ]
        );
        assert!(exchanges[0].url.starts_with(
            "https://management.azure.com/subscriptions/e8257c73-24c5-4791-94dc-8b7901c90dbf/resourceGroups/PWSH-SDK-2ekhd9/providers/Microsoft.Kusto/Clusters/"
        ));
        assert!(exchanges[1]
            .url
            .contains("/locations/East%20US/operationResults/"));
        assert!(exchanges[5]
            .url
            .contains("operationResultResponseType=Location"));
        // Headers and content headers are both kept; bodies as recorded.
        let header = |i: usize, name: &str| {
            exchanges[i]
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            header(0, "Azure-AsyncOperation").as_deref(),
            Some(exchanges[1].url.as_str())
        );
        assert_eq!(
            header(3, "Location").as_deref(),
            Some(exchanges[5].url.as_str())
        );
        assert_eq!(
            header(0, "Content-Length"),
            Some(exchanges[0].body.len().to_string())
        );
        assert!(exchanges[0]
            .body
            .contains(r#""provisioningState":"Creating""#));
        assert_eq!(exchanges[3].body, "");
        assert_eq!(exchanges[5].body, "");
    }

    #[test]
    fn rejects_what_is_not_a_recording() {
        for bad in [
            "",
            "[]",
            "{\"k\": 1}",
            "{\"k\": {\"Request\": {\"Method\": \"GET\"}}}",
            "{\"k\": {\"Request\": {\"Method\": \"GET\", \"RequestUri\": \"https://x/\"}, \"Response\": {\"StatusCode\": 99}}}",
            "{\"k\": {\"Request\": {\"Method\": \"GET\", \"RequestUri\": \"https://x/\"}, \"Response\": {\"StatusCode\": 200, \"Headers\": {\"a\": [{}]}}}}",
        ] {
            assert!(load_powershell_recording(bad).is_err(), "{bad}");
        }
        let ok = load_powershell_recording(
            "{\"b\": {\"Request\": {\"Method\": \"GET\", \"RequestUri\": \"https://x/b\"}, \"Response\": {\"StatusCode\": \"204\", \"Content\": \"aGk=\", \"isContentBase64\": true}},
              \"a\": {\"Request\": {\"Method\": \"GET\", \"RequestUri\": \"https://x/a\"}, \"Response\": {\"StatusCode\": 200, \"Headers\": {\"X\": \"1\"}}}}",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.len(), 2);
        assert_eq!(
            (ok[0].url.as_str(), ok[0].status, ok[0].body.as_str()),
            ("https://x/b", 204, "hi")
        );
        assert_eq!(ok[1].headers, [("X".to_owned(), "1".to_owned())]);
    }

    fn exchange(method: &str, url: &str, headers: &[(&str, &str)]) -> Exchange {
        Exchange {
            method: method.to_owned(),
            url: url.to_owned(),
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: format!("{{\"nextLink\":\"{RECORDED_ORIGIN}/next\"}}"),
        }
    }

    #[test]
    fn matching_rules() {
        let status = "https://management.azure.com/subscriptions/s/providers/Microsoft.Kusto/locations/East%20US/operationResults/op?api-version=2024-04-13&t=1&s=a%2Bb";
        let prepared = prepare(
            vec![
                exchange(
                    "PUT",
                    "https://management.azure.com/subscriptions/s/Clusters/c/DataConnections/d?api-version=2024-04-13&x=a%20b",
                    &[("Azure-AsyncOperation", status), ("Content-Length", "9")],
                ),
                exchange("GET", status, &[]),
            ],
            "https://127.0.0.1:1",
        );
        let (put, poll) = (&prepared[0], &prepared[1]);
        assert!(!put.issued);
        assert!(poll.issued);
        // Origins are rewritten in URL headers and bodies; framing is dropped.
        assert_eq!(
            put.reply.headers,
            [(
                "Azure-AsyncOperation".to_owned(),
                status.replace(RECORDED_ORIGIN, "https://127.0.0.1:1")
            )]
        );
        assert_eq!(
            put.reply.body,
            br#"{"nextLink":"https://127.0.0.1:1/next"}"#
        );

        let ok = "/subscriptions/s/clusters/c/dataconnections/d?x=a+b&api-version=2025-02-14";
        assert_eq!(
            mismatch(put, "PUT", ok),
            Some("query differs"),
            "'+' is not a space in a query"
        );
        let ok = "/subscriptions/s/clusters/c/dataconnections/d?x=a%20b&api-version=2025-02-14";
        assert_eq!(mismatch(put, "PUT", ok), None);
        assert_eq!(mismatch(put, "GET", ok), Some("method differs"));
        assert_eq!(
            mismatch(
                put,
                "PUT",
                "/subscriptions/s/clusters/c/dataconnections/e?api-version=1&x=a%20b"
            ),
            Some("path differs")
        );
        assert_eq!(
            mismatch(
                put,
                "PUT",
                "/subscriptions/s/clusters/c/dataconnections/d?api-version=1"
            ),
            Some("query differs")
        );

        let verbatim = path_and_query(status);
        assert_eq!(mismatch(poll, "GET", verbatim), None);
        assert_eq!(
            mismatch(poll, "GET", &verbatim.to_ascii_lowercase()),
            Some("query differs from the status URL handed out (it must be used byte for byte)")
        );
        assert!(mismatch(poll, "GET", &verbatim.replace("%2B", "+")).is_some());
        assert!(mismatch(poll, "GET", &verbatim.replace("2024-04-13", "2025-02-14")).is_some());
    }

    #[test]
    fn origins_are_stripped() {
        assert_eq!(path_and_query("https://h/a/b?c=d"), "/a/b?c=d");
        assert_eq!(path_and_query("https://h?c=d"), "?c=d");
        assert_eq!(path_and_query("https://h"), "/");
        assert_eq!(path_and_query("/rel"), "/rel");
    }
}
