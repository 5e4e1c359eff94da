//! The HTTP(S) host shared by the [`Emulator`](crate::Emulator), the
//! [`Replay`](crate::replay::Replay) and the [`Sink`](crate::Sink): a
//! listener on `127.0.0.1`, and a dedicated thread running a Tokio runtime
//! that accepts connections (TLS, or plain HTTP for the sink) and serves
//! HTTP/1.1 (with keep-alive) on each concurrently. A [`Host`] adds a
//! per-instance CA written to a temporary directory.
//!
//! What a request means is up to a synchronous [`Handler`]: the host reads
//! the whole body, hands the request over, and writes back the [`Outcome`]
//! (or closes the connection without answering, or never answers).

use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::body::Body;
use crate::http::{Outcome, Reply};
use crate::log::RecordedRequest;
use crate::tls::Pki;

/// ARM accepts request bodies up to a few MB; data-connection bodies are tiny.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Answers one request (its `status` is still `None`).
pub(crate) type Handler = Arc<dyn Fn(RecordedRequest) -> Outcome + Send + Sync>;

/// A bound listener whose URL is known before anything is served, so the
/// handler's state can be built with its own origin.
pub(crate) struct Bound {
    listener: std::net::TcpListener,
    /// `https://127.0.0.1:PORT` (`http://` for a plain listener)
    pub url: String,
}

impl Bound {
    pub(crate) fn bind(addr: SocketAddr) -> io::Result<Bound> {
        Bound::bind_as(addr, "https")
    }

    fn bind_as(addr: SocketAddr, scheme: &str) -> io::Result<Bound> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        let host = if local.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            local.ip()
        };
        let url = format!("{scheme}://{}", SocketAddr::new(host, local.port()));
        Ok(Bound { listener, url })
    }

    pub(crate) fn localhost() -> io::Result<Bound> {
        Bound::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
    }

    /// A listener for plain HTTP, its URL `http://127.0.0.1:PORT`.
    pub(crate) fn localhost_plain() -> io::Result<Bound> {
        Bound::bind_as(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0), "http")
    }
}

/// How a [`Serving`] talks to its clients.
pub(crate) struct Listen {
    /// TLS with this configuration, or plain HTTP when `None`.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Record an absolute-form (`http://host/path`) or authority-form
    /// (`CONNECT host:port`) target whole rather than just its path and
    /// query: what a proxy would be asked, which the sink must show. The
    /// emulator routes such a request by its path, as servers must.
    pub whole_targets: bool,
}

/// A serving thread: it serves until dropped.
pub(crate) struct Serving {
    url: String,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Serving {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serving")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// A running host. Dropping it stops the server and removes its temporary
/// directory (which holds the CA certificate).
pub(crate) struct Host {
    serving: Serving,
    ca_file: PathBuf,
    temp_dir: PathBuf,
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("url", &self.serving.url)
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

/// The error hyper gets when a request must go unanswered: returning an
/// error from the service makes hyper close the connection without writing
/// a response.
#[derive(Debug)]
struct Unanswered;

impl fmt::Display for Unanswered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection closed without an answer (injected fault)")
    }
}

impl std::error::Error for Unanswered {}

impl Host {
    /// Writes the CA to a fresh temporary directory and starts serving.
    pub(crate) fn start(bound: Bound, pki: &Pki, handler: Handler) -> io::Result<Host> {
        let temp_dir = create_temp_dir()?;
        let ca_file = temp_dir.join("ca.pem");
        let listen = Listen {
            tls: Some(Arc::clone(&pki.server_config)),
            whole_targets: false,
        };
        let serving = std::fs::write(&ca_file, &pki.ca_pem)
            .and_then(|()| Serving::start(bound, listen, handler));
        match serving {
            Ok(serving) => Ok(Host {
                serving,
                ca_file,
                temp_dir,
            }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&temp_dir);
                Err(e)
            }
        }
    }

    pub(crate) fn url(&self) -> &str {
        self.serving.url()
    }

    pub(crate) fn ca_file(&self) -> &Path {
        &self.ca_file
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.serving.stop();
        let _ = std::fs::remove_dir_all(&self.temp_dir);
    }
}

impl Serving {
    /// Starts serving `bound` on a thread of its own.
    pub(crate) fn start(bound: Bound, listen: Listen, handler: Handler) -> io::Result<Serving> {
        let Bound { listener, url } = bound;
        let (shutdown, shutdown_rx) = watch::channel(false);
        // The runtime is built and dropped on its own thread: dropping a
        // runtime inside another one panics, and callers may be async tests.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("adxconn-emulator".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("adxconn-emulator-worker")
                    .enable_all()
                    .build();
                let runtime = match runtime {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                runtime.block_on(serve(listener, listen, handler, shutdown_rx));
                // Connections still open are cancelled here, hung requests
                // and endless bodies included: their tasks are dropped, not
                // awaited, so the timeout only bounds blocking work.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        ready_rx
            .recv()
            .map_err(|_| io::Error::other("the emulator thread exited during start-up"))??;
        Ok(Serving {
            url,
            shutdown,
            thread: Some(spawned),
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Stops serving and waits for the thread; idempotent.
    fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.stop();
    }
}

fn create_temp_dir() -> io::Result<PathBuf> {
    let suffix: String = crate::text::random_bytes::<6>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir =
        std::env::temp_dir().join(format!("adxconn-emulator-{}-{suffix}", std::process::id()));
    std::fs::create_dir(&dir)?;
    Ok(dir)
}

async fn serve(
    listener: std::net::TcpListener,
    listen: Listen,
    handler: Handler,
    mut shutdown: watch::Receiver<bool>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let acceptor = listen.tls.map(TlsAcceptor::from);
    let whole_targets = listen.whole_targets;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let Ok((tcp, _peer)) = accepted else {
            // Transient accept errors (e.g. too many open files): back off briefly.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let acceptor = acceptor.clone();
        let handler = Arc::clone(&handler);
        tokio::spawn(async move {
            match acceptor {
                Some(acceptor) => {
                    // A client that fails the handshake (e.g. does not trust
                    // the CA) just loses its connection.
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        serve_connection(TokioIo::new(tls), handler, whole_targets).await;
                    }
                }
                None => serve_connection(TokioIo::new(tcp), handler, whole_targets).await,
            }
        });
    }
}

async fn serve_connection<I>(io: I, handler: Handler, whole_targets: bool)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let handler = Arc::clone(&handler);
        async move { respond(&handler, req, whole_targets).await }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service)
        .await;
}

async fn respond(
    handler: &Handler,
    req: Request<Incoming>,
    whole_targets: bool,
) -> Result<Response<Body>, Unanswered> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(to_response(Reply::arm_error(
                413,
                "RequestEntityTooLarge",
                "The request body is too large or could not be read.",
            )));
        }
    };
    let target = if whole_targets && parts.uri.authority().is_some() {
        parts.uri.to_string()
    } else {
        parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned())
    };
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path_and_query: target,
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        status: None,
    };
    let mut outcome = handler(recorded);
    while let Outcome::Delayed {
        after,
        outcome: delayed,
    } = outcome
    {
        tokio::time::sleep(after).await;
        outcome = *delayed;
    }
    match outcome {
        Outcome::Reply(reply) => Ok(to_response(reply)),
        Outcome::Stream {
            status,
            headers,
            body,
        } => Ok(build_response(status, headers, Body::streamed(body))),
        // A delayed outcome was unwrapped above.
        Outcome::Drop | Outcome::Delayed { .. } => Err(Unanswered),
        // Nothing is written; hyper drops this future (and the connection)
        // when the client closes it, and the runtime's shutdown drops it
        // with every other task.
        Outcome::Hang => match std::future::pending::<Infallible>().await {},
    }
}

fn to_response(reply: Reply) -> Response<Body> {
    build_response(reply.status, reply.headers, Body::full(reply.body))
}

fn build_response(status: u16, headers: Vec<(String, String)>, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let map = response.headers_mut();
    for (name, value) in headers {
        // Values echo client input in places; skip any that are not legal.
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            map.append(name, value);
        }
    }
    response
}
