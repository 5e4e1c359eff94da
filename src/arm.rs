//! The ARM client: one place that builds URLs, attaches tokens, retries what is safe to retry,
//! traces requests for `--debug`, and turns ARM's error envelope into `ArmError`.
//!
//! Every request adxconn sends (GET, PUT, DELETE) is idempotent, so a 429, a 5xx or a dropped
//! connection is retried, with ARM's `Retry-After` when it gives one and jittered exponential
//! backoff otherwise, bounded in attempts and in time. Other 4xx answers are final.

mod error;
pub mod operation;
mod pacer;
pub mod validation;
pub mod write;

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::trace;
pub use crate::trace::Trace;
pub use error::{ApiError, ArmError};

use crate::auth::{Auxiliary, Credential};
use crate::interrupt::Cancel;
use crate::transport::{TransportError, MAX_ARM_BODY};
use crate::wire::Page;

/// The header that carries tokens for the tenants of linked (source) resources.
const AUXILIARY_HEADER: &str = "x-ms-authorization-auxiliary";

/// The Microsoft.Kusto api-version adxconn speaks: the newest stable one, the first with the
/// `*WithManagedIdentity` kinds and AZMONSTREAM. Bumping it is a reviewed change.
pub const API_VERSION: &str = "2025-02-14";

/// Most pages of a list followed; ARM answers a database's connections in one or a few.
const MAX_PAGES: usize = 1_000;

/// Most items a list may hold; a database has tens of data connections, rarely hundreds.
const MAX_LIST_ITEMS: usize = 10_000;

/// The shortest pause before retrying, whatever `Retry-After` says (`0` would make a busy loop).
const MIN_RETRY_DELAY: Duration = Duration::from_millis(500);

/// Bounds on retrying one request.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub max_elapsed: Duration,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            max_elapsed: Duration::from_secs(120),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// An answer from ARM (from `send`, always a 2xx).
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body read as `T` (a wire type); an empty body reads as `null`, which most types
    /// refuse, so "200 with no body" is a clear error naming `what`.
    pub fn decode<T: DeserializeOwned>(&self, what: &str) -> Result<T, ArmError> {
        let decode_error = |problem: String| ArmError::Decode {
            what: what.to_string(),
            problem,
        };
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return T::deserialize(Value::Null)
                .map_err(|_| decode_error("the answer was empty, not a JSON object".into()));
        }
        serde_json::from_slice(&self.body).map_err(|e| decode_error(e.to_string()))
    }

    /// `Retry-After` in seconds (ARM sends integers; an HTTP-date is ignored).
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers)
    }
}

/// Which credentials sign a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tokens {
    /// The signed-in principal's token (reads).
    Primary,
    /// That token, plus the auxiliary tokens for linked sources (writes and their polls).
    WithAuxiliary,
    /// The `n`th auxiliary credential's token in place of the primary one.
    Auxiliary(usize),
}

/// A request body as JSON: what `put` sends and `planned` shows, from the same wire value.
pub fn to_json(body: &impl Serialize) -> Result<Value, ArmError> {
    serde_json::to_value(body).map_err(|e| ArmError::Decode {
        what: "the request body".into(),
        problem: e.to_string(),
    })
}

/// What stands for a token in a planned request.
const REDACTED: &str = "[redacted]";

/// A request as `--dry-run` shows it: what `send` would send, tokens redacted.
#[derive(Debug, Clone)]
pub struct Planned {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

pub struct ArmClient {
    http: reqwest::Client,
    endpoint: Url,
    credential: Credential,
    auxiliary: Option<Auxiliary>,
    scope: String,
    retry: RetryPolicy,
    trace: Trace,
    cancel: Cancel,
    pacer: pacer::Pacer,
}

impl ArmClient {
    pub fn new(
        http: reqwest::Client,
        endpoint: Url,
        credential: Credential,
        auxiliary: Option<Auxiliary>,
        scope: String,
        trace: Trace,
        cancel: Cancel,
    ) -> ArmClient {
        ArmClient {
            http,
            endpoint,
            credential,
            auxiliary,
            scope,
            retry: RetryPolicy::default(),
            trace,
            cancel,
            pacer: pacer::Pacer::default(),
        }
    }

    /// At most `limit` requests in flight at once, however many tasks share this client (a
    /// sweep's reads, a prune's deletes and polls).
    #[must_use]
    pub fn with_request_limit(mut self, limit: usize) -> ArmClient {
        self.pacer = pacer::Pacer::limited(limit);
        self
    }

    /// `{endpoint}/{segments…}?api-version=…`, each segment percent-encoded.
    pub fn url(&self, segments: &[&str]) -> Result<Url, ArmError> {
        arm_url(&self.endpoint, segments)
    }

    pub async fn get(&self, url: &Url) -> Result<Response, ArmError> {
        self.send(Method::GET, url, None, Tokens::Primary).await
    }

    /// A GET signed by the `index`th auxiliary credential instead of the primary one: how a
    /// source in another tenant is read (ARM takes auxiliary tokens only for linked access).
    pub async fn get_as_auxiliary(&self, url: &Url, index: usize) -> Result<Response, ArmError> {
        self.send(Method::GET, url, None, Tokens::Auxiliary(index))
            .await
    }

    /// Who the `index`th auxiliary credential is (its tenant or token file).
    pub fn auxiliary_label(&self, index: usize) -> String {
        self.auxiliary
            .as_ref()
            .and_then(|auxiliary| auxiliary.label(index))
            .unwrap_or_else(|| format!("auxiliary credential #{index}"))
    }

    /// How many auxiliary credentials there are.
    pub fn auxiliary_count(&self) -> usize {
        self.auxiliary.as_ref().map_or(0, Auxiliary::len)
    }

    /// A GET of an operation's status: it carries the same auxiliary tokens as the write.
    pub async fn poll(&self, url: &Url) -> Result<Response, ArmError> {
        self.send(Method::GET, url, None, Tokens::WithAuxiliary)
            .await
    }

    pub async fn put(&self, url: &Url, body: &impl Serialize) -> Result<Response, ArmError> {
        let body = to_json(body)?;
        self.send(Method::PUT, url, Some(&body), Tokens::WithAuxiliary)
            .await
    }

    /// A PATCH (an update in place): like a PUT, it carries the auxiliary tokens.
    pub async fn patch(&self, url: &Url, body: &impl Serialize) -> Result<Response, ArmError> {
        let body = to_json(body)?;
        self.send(Method::PATCH, url, Some(&body), Tokens::WithAuxiliary)
            .await
    }

    /// A POST of an action (validation): it carries the auxiliary tokens as the write would.
    pub async fn post(&self, url: &Url, body: &impl Serialize) -> Result<Response, ArmError> {
        let body = to_json(body)?;
        self.send(Method::POST, url, Some(&body), Tokens::WithAuxiliary)
            .await
    }

    pub async fn delete(&self, url: &Url) -> Result<Response, ArmError> {
        self.send(Method::DELETE, url, None, Tokens::WithAuxiliary)
            .await
    }

    /// GETs a collection and follows `nextLink` until it ends. A link already followed, more
    /// than `MAX_PAGES` pages or more than `MAX_LIST_ITEMS` items end it with an error: a
    /// server cannot keep adxconn reading forever.
    pub async fn list<T: DeserializeOwned>(&self, url: &Url) -> Result<Vec<T>, ArmError> {
        let unbounded = |problem: String| ArmError::Decode {
            what: "the list".into(),
            problem,
        };
        let mut items = Vec::new();
        let mut followed = std::collections::HashSet::new();
        let mut next = Some(url.clone());
        while let Some(url) = next.take() {
            if !followed.insert(url.to_string()) {
                return Err(unbounded(format!(
                    "its `nextLink` points back to a page already read (`{}`)",
                    trace::without_query(&url)
                )));
            }
            if followed.len() > MAX_PAGES {
                return Err(unbounded(format!("it did not end after {MAX_PAGES} pages")));
            }
            let page: Page<T> = self.get(&url).await?.decode("a list page")?;
            items.extend(page.value);
            if items.len() > MAX_LIST_ITEMS {
                return Err(unbounded(format!(
                    "it holds more than {MAX_LIST_ITEMS} items; a database has far fewer data connections"
                )));
            }
            next = match page.next_link {
                Some(link) => Some(self.checked_link(&link)?),
                None => None,
            };
        }
        Ok(items)
    }

    /// A URL ARM handed us (nextLink, Azure-AsyncOperation, Location), used byte for byte, but
    /// only on the ARM endpoint's own origin and without userinfo: bearer tokens go nowhere
    /// else (and the endpoint itself is https, or http on loopback).
    pub fn checked_link(&self, link: &str) -> Result<Url, ArmError> {
        let refused = |problem: String| ArmError::Decode {
            what: "a link".into(),
            problem,
        };
        let url = Url::parse(link).map_err(|e| {
            refused(format!(
                "`{}` is not a URL: {e}",
                crate::text::shorten(link)
            ))
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused(format!(
                "`{}` carries a user name or password; ARM's links never do",
                crate::text::shorten(&trace::without_query(&url))
            )));
        }
        if !crate::transport::same_origin(&url, &self.endpoint) {
            return Err(refused(format!(
                "`{}` is not on the ARM endpoint `{}`; credentials are sent nowhere else",
                crate::text::shorten(link),
                self.endpoint
            )));
        }
        Ok(url)
    }

    /// Sends one request, retrying what ARM did not act on: throttling (429), server errors,
    /// Kusto's transient conflicts (409 `ServiceIsInMaintenance`, "another operation is in
    /// progress") and connections that failed before the request was sent. A GET is also
    /// retried when the connection drops after sending; a write is not, because it may have
    /// been applied: it ends in `ArmError::Unanswered`, and `write` reconciles from there.
    ///
    /// Every step (tokens, the exchange, the pause before a retry) yields to Ctrl-C, SIGTERM
    /// and the deadline. `tokens`: which credentials sign it.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
        tokens: Tokens,
    ) -> Result<Response, ArmError> {
        let started = Instant::now();
        let body = body.map(|value| serde_json::to_vec(value).unwrap_or_default());
        let shown = || format!("{method} {}", trace::without_query(url));
        let is_write = method != Method::GET;
        let transport_error = |source| ArmError::Transport {
            method: method.to_string(),
            url: trace::without_query(url),
            source,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self
                .cancel
                .guard(self.request(&method, url, body.as_deref(), tokens))
                .await
                // Nothing of this attempt was sent yet.
                .map_err(|stop| ArmError::stopped(stop, None, false))??;
            let request = request
                .build()
                .map_err(|e| transport_error(TransportError::Http(e)))?;
            let admission = self
                .pacer
                .admit(&method, &self.cancel)
                .await
                .map_err(|stop| ArmError::stopped(stop, None, false))?;
            self.trace.request(&request, body.as_deref());
            let sent = Instant::now();
            let answer = self
                .cancel
                .guard(crate::transport::execute(&self.http, request, MAX_ARM_BODY))
                .await
                // Only a write starts something in Azure; a read (a list page, a status poll)
                // is named by its caller, which knows the write behind it.
                .map_err(|stop| ArmError::stopped(stop, is_write.then(shown), is_write))?;
            drop(admission);
            let delay = match answer {
                Ok(answer) if answer.status.is_success() => {
                    self.trace.response(
                        answer.status,
                        &answer.headers,
                        &answer.body,
                        sent.elapsed(),
                    );
                    return Ok(Response {
                        status: answer.status,
                        headers: answer.headers,
                        body: answer.body,
                    });
                }
                Ok(answer) => {
                    self.trace.response(
                        answer.status,
                        &answer.headers,
                        &answer.body,
                        sent.elapsed(),
                    );
                    let error =
                        ApiError::from_response(answer.status, &answer.headers, &answer.body);
                    let delay = if error.is_transient_conflict() {
                        // Maintenance windows last minutes: back off longer than for 5xx.
                        self.backoff(attempt).saturating_mul(4)
                    } else if is_retryable(answer.status) {
                        let delay = retry_after(&answer.headers)
                            .unwrap_or_else(|| self.backoff(attempt))
                            .max(MIN_RETRY_DELAY);
                        if answer.status == StatusCode::TOO_MANY_REQUESTS {
                            // The bucket is the run's, not this request's: pause them all.
                            self.pacer.throttled(&method, delay);
                        }
                        delay
                    } else {
                        return Err(ArmError::Api(error));
                    };
                    if self.gives_up(attempt, started, delay) {
                        return Err(ArmError::Api(error));
                    }
                    delay
                }
                Err(
                    source @ (TransportError::Redirected { .. } | TransportError::TooLarge { .. }),
                ) => {
                    self.trace.note(&format!("refused the answer: {source}"));
                    return Err(ArmError::Refused {
                        method: method.to_string(),
                        url: trace::without_query(url),
                        source,
                    });
                }
                Err(source) => {
                    self.trace.failure(&source, sent.elapsed());
                    // Unless the connection never opened, a write may have been applied.
                    if !source.is_connect() && is_write {
                        return Err(ArmError::Unanswered {
                            method: method.to_string(),
                            url: trace::without_query(url),
                            source,
                        });
                    }
                    let delay = self.backoff(attempt);
                    if self.gives_up(attempt, started, delay) {
                        return Err(transport_error(source));
                    }
                    delay
                }
            };
            self.trace.note(&format!(
                "retrying {method} in {:.1} s (attempt {} of {})",
                delay.as_secs_f64(),
                attempt + 1,
                self.retry.max_attempts
            ));
            self.cancel
                .sleep(delay)
                .await
                // The last attempt was refused or never connected: nothing was applied.
                .map_err(|stop| ArmError::stopped(stop, None, false))?;
        }
    }

    /// One attempt's request, with fresh tokens (the credentials cache and refresh them).
    async fn request(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        tokens: Tokens,
    ) -> Result<reqwest::RequestBuilder, ArmError> {
        let token = match (tokens, &self.auxiliary) {
            (Tokens::Auxiliary(index), auxiliary) => {
                let token = match auxiliary {
                    Some(auxiliary) => auxiliary.token(index, &self.scope).await?,
                    None => None,
                };
                token.ok_or_else(|| ArmError::Decode {
                    what: "the request".into(),
                    problem: format!("there is no auxiliary credential #{index} to sign it"),
                })?
            }
            _ => self.credential.token(&self.scope).await?,
        };
        let auxiliary = match (tokens, &self.auxiliary) {
            (Tokens::WithAuxiliary, Some(auxiliary)) => Some(auxiliary.header(&self.scope).await?),
            _ => None,
        };
        Ok(self.build(
            method,
            url,
            body,
            token.secret(),
            auxiliary.as_ref().map(|header| header.secret()),
        ))
    }

    /// The one place a request is put together, for sending and for `--dry-run`.
    fn build(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        token: &str,
        auxiliary: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(ACCEPT, "application/json");
        if let Some(header) = auxiliary {
            request = request.header(AUXILIARY_HEADER, header);
        }
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        request
    }

    /// The request `send` would make (writes carry the auxiliary tokens), built the same way
    /// with every token shown as `[redacted]`; nothing is sent and no token is requested.
    pub fn planned(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<Planned, ArmError> {
        let bytes = body.map(|value| serde_json::to_vec(value).unwrap_or_default());
        let auxiliary = match (&method, &self.auxiliary) {
            (&Method::GET, _) | (_, None) => None,
            (_, Some(tokens)) => Some(tokens.redacted_header()),
        };
        let request = self
            .build(
                &method,
                url,
                bytes.as_deref(),
                REDACTED,
                auxiliary.as_deref(),
            )
            .build()
            .map_err(|e| ArmError::Transport {
                method: method.to_string(),
                url: trace::without_query(url),
                source: TransportError::Http(e),
            })?;
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        Ok(Planned {
            method: method.to_string(),
            url: url.to_string(),
            headers,
            body: body.cloned(),
        })
    }

    /// The same jittered backoff the client uses between attempts, for callers that retry a
    /// whole exchange (a write whose answer was lost, once the resource has been read).
    pub async fn pause_before_retry(&self, attempt: u32) -> Result<(), ArmError> {
        self.cancel
            .sleep(self.backoff(attempt))
            .await
            .map_err(|stop| ArmError::stopped(stop, None, false))
    }

    /// What cuts this client's awaits; waits for operations run under it too.
    pub fn cancel(&self) -> &Cancel {
        &self.cancel
    }

    fn gives_up(&self, attempt: u32, started: Instant, delay: Duration) -> bool {
        attempt >= self.retry.max_attempts || started.elapsed() + delay > self.retry.max_elapsed
    }

    /// Exponential backoff with "equal jitter": half fixed, half random, so parallel runs that
    /// failed together do not retry together.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self
            .retry
            .base_delay
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.retry.max_delay);
        let half = exponential / 2;
        half + half.mul_f64(jitter())
    }

    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// The signed-in token for ARM, as every request gets it (for `adxconn auth`).
    pub async fn primary_token(&self) -> Result<azure_core::credentials::Secret, ArmError> {
        Ok(self
            .cancel
            .guard(self.credential.token(&self.scope))
            .await
            .map_err(|stop| ArmError::stopped(stop, None, false))??)
    }

    /// The `index`th auxiliary credential's token for ARM (for `adxconn auth`).
    pub async fn auxiliary_token(
        &self,
        index: usize,
    ) -> Result<Option<azure_core::credentials::Secret>, ArmError> {
        let Some(auxiliary) = &self.auxiliary else {
            return Ok(None);
        };
        Ok(self
            .cancel
            .guard(auxiliary.token(index, &self.scope))
            .await
            .map_err(|stop| ArmError::stopped(stop, None, false))??)
    }

    pub fn has_auxiliary(&self) -> bool {
        self.auxiliary.is_some()
    }

    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// The signed-in principal's tenant, read from its token's `tid` claim.
    pub async fn home_tenant(&self) -> Option<String> {
        let token = self
            .cancel
            .guard(self.credential.token(&self.scope))
            .await
            .ok()?
            .ok()?;
        crate::auth::claims::Claims::decode(token.secret())
            .ok()?
            .tenant
    }

    /// A line in the `--debug` trace.
    pub fn trace_note(&self, message: &str) {
        self.trace.note(message);
    }
}

/// Builds `{endpoint}/{segments…}?api-version=…`; kept free of the client for `--dry-run`.
pub fn arm_url(endpoint: &Url, segments: &[&str]) -> Result<Url, ArmError> {
    arm_url_with_version(endpoint, segments, API_VERSION)
}

/// The same, for another resource provider's api-version.
///
/// Each segment is percent-encoded and must come back out of the URL exactly as given: an
/// empty, `.` or `..` segment (which URL normalisation would drop or turn into "the parent")
/// is refused, so no name can address another resource than the one it names.
pub fn arm_url_with_version(
    endpoint: &Url,
    segments: &[&str],
    api_version: &str,
) -> Result<Url, ArmError> {
    let refused = |segment: &str| ArmError::Path {
        segment: crate::text::shorten(segment),
    };
    if let Some(bad) = segments
        .iter()
        .find(|segment| matches!(**segment, "" | "." | ".."))
    {
        return Err(refused(bad));
    }
    let mut url = endpoint.clone();
    url.set_query(None);
    url.set_fragment(None);
    let prefix = url
        .path_segments()
        .map(|path| path.filter(|s| !s.is_empty()).count())
        .unwrap_or_default();
    match url.path_segments_mut() {
        Ok(mut path) => {
            path.pop_if_empty().extend(segments);
        }
        Err(()) => return Err(refused(endpoint.as_str())),
    }
    let built: Vec<String> = url
        .path_segments()
        .into_iter()
        .flatten()
        .skip(prefix)
        .map(|segment| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    if built != segments {
        return Err(refused(&segments.join("/")));
    }
    url.query_pairs_mut()
        .append_pair("api-version", api_version);
    Ok(url)
}

fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// ARM's `Retry-After` is whole seconds; capped so a confused server cannot park us for hours.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds.min(300)))
}

/// A number in [0, 1) that differs between processes and calls; good enough for jitter,
/// without a random-number crate.
fn jitter() -> f64 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_encode_segments_and_carry_the_api_version() {
        let endpoint = Url::parse("https://management.azure.com").unwrap();
        let url = arm_url(
            &endpoint,
            &["subscriptions", "s", "resourceGroups", "my rg"],
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://management.azure.com/subscriptions/s/resourceGroups/my%20rg?api-version=2025-02-14"
        );
        let prefixed = Url::parse("https://127.0.0.1:8443/arm/").unwrap();
        assert_eq!(
            arm_url(&prefixed, &["subscriptions"]).unwrap().as_str(),
            "https://127.0.0.1:8443/arm/subscriptions?api-version=2025-02-14"
        );
    }

    #[test]
    fn segments_that_normalise_away_are_refused() {
        let endpoint = Url::parse("https://management.azure.com/").unwrap();
        for bad in [".", "..", ""] {
            assert!(
                arm_url(&endpoint, &["subscriptions", bad, "x"]).is_err(),
                "{bad:?}"
            );
        }
        for odd in ["a/b", "%2e%2e", "..a", "a b", "?x", "#y", "\\"] {
            let url = arm_url(&endpoint, &["subscriptions", odd]).unwrap();
            assert_eq!(url.path_segments().unwrap().count(), 2, "{url}");
        }
    }

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..1000 {
            let value = jitter();
            assert!((0.0..1.0).contains(&value));
        }
    }
}
