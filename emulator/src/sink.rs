//! A [`Sink`]: a server on another origin that records whatever reaches it
//! and answers `200 {}`. Tests point redirects, `nextLink`s, status URLs or
//! a proxy setting at it, then assert that nothing (or nothing secret)
//! arrived. The HTTPS sink uses the emulator's certificate, signed by the
//! emulator's CA, so a request that is not there was never sent, rather
//! than refused by TLS.

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::host::{Bound, Listen, Serving};
use crate::http::{Outcome, Reply};
use crate::log::RecordedRequest;

/// A recording server on `127.0.0.1`. Dropping it stops it.
pub struct Sink {
    log: Arc<Mutex<Vec<RecordedRequest>>>,
    serving: Serving,
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sink")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl Sink {
    /// A sink for plain `http://127.0.0.1:PORT`, also usable as a fake HTTP
    /// proxy: absolute-form targets (`GET http://host/path`) are recorded
    /// whole and answered `200 {}`; `CONNECT host:port` is recorded (its
    /// target is `host:port`) and refused with `502 {}`, so no tunnel opens.
    pub fn start_plain_http() -> io::Result<Sink> {
        Sink::start(Bound::localhost_plain()?, None)
    }

    /// An HTTPS sink presenting `tls`'s certificate (see
    /// [`Emulator::start_sink`](crate::Emulator::start_sink)).
    pub(crate) fn start_tls(tls: Arc<rustls::ServerConfig>) -> io::Result<Sink> {
        Sink::start(Bound::localhost()?, Some(tls))
    }

    fn start(bound: Bound, tls: Option<Arc<rustls::ServerConfig>>) -> io::Result<Sink> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler_log = Arc::clone(&log);
        let listen = Listen {
            tls,
            whole_targets: true,
        };
        let serving = Serving::start(
            bound,
            listen,
            Arc::new(move |mut request: RecordedRequest| {
                let status = if request.method.eq_ignore_ascii_case("CONNECT") {
                    502
                } else {
                    200
                };
                request.status = Some(status);
                lock(&handler_log).push(request);
                Outcome::Reply(Reply::json(status, &serde_json::json!({})))
            }),
        )?;
        Ok(Sink { log, serving })
    }

    /// `https://127.0.0.1:PORT` or `http://127.0.0.1:PORT`, without a
    /// trailing slash.
    pub fn url(&self) -> &str {
        self.serving.url()
    }

    /// Every request received so far, in arrival order. `path_and_query`
    /// is the request target as sent: origin-form (`/path?query`),
    /// absolute-form (`http://host/path`) or authority-form (`host:port`).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log).clone()
    }
}

/// The log; pushing cannot leave it half-written, so poisoning is ignored.
fn lock(log: &Mutex<Vec<RecordedRequest>>) -> MutexGuard<'_, Vec<RecordedRequest>> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}
