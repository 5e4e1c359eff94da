//! The HTTPS host shared by the [`Emulator`](crate::Emulator) and the
//! [`Replay`](crate::replay::Replay): a listener on `127.0.0.1`, a
//! per-instance CA written to a temporary directory, and a dedicated thread
//! running a Tokio runtime that accepts TLS connections and serves HTTP/1.1
//! (with keep-alive) on each concurrently.
//!
//! What a request means is up to a synchronous [`Handler`]: the host reads
//! the whole body, hands the request over, and writes back the [`Outcome`]
//! (or closes the connection without answering).

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

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
    /// `https://127.0.0.1:PORT`
    pub url: String,
}

impl Bound {
    pub(crate) fn bind(addr: SocketAddr) -> io::Result<Bound> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        let host = if local.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            local.ip()
        };
        let url = format!("https://{}", SocketAddr::new(host, local.port()));
        Ok(Bound { listener, url })
    }

    pub(crate) fn localhost() -> io::Result<Bound> {
        Bound::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
    }
}

/// A running host. Dropping it stops the server and removes its temporary
/// directory (which holds the CA certificate).
pub(crate) struct Host {
    url: String,
    ca_file: PathBuf,
    temp_dir: PathBuf,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("url", &self.url)
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
        let Bound { listener, url } = bound;
        let temp_dir = create_temp_dir()?;
        let ca_file = temp_dir.join("ca.pem");
        if let Err(e) = std::fs::write(&ca_file, &pki.ca_pem) {
            let _ = std::fs::remove_dir_all(&temp_dir);
            return Err(e);
        }
        let (shutdown, shutdown_rx) = watch::channel(false);
        let acceptor = TlsAcceptor::from(Arc::clone(&pki.server_config));
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
                runtime.block_on(serve(listener, acceptor, handler, shutdown_rx));
                // Connections still open are cancelled here.
                runtime.shutdown_timeout(Duration::from_secs(1));
            });
        let started = spawned.and_then(|thread| {
            ready_rx
                .recv()
                .map_err(|_| io::Error::other("the emulator thread exited during start-up"))
                .and_then(|ready| ready)
                .map(|()| thread)
        });
        match started {
            Ok(thread) => Ok(Host {
                url,
                ca_file,
                temp_dir,
                shutdown,
                thread: Some(thread),
            }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&temp_dir);
                Err(e)
            }
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn ca_file(&self) -> &Path {
        &self.ca_file
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_dir_all(&self.temp_dir);
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
    acceptor: TlsAcceptor,
    handler: Handler,
    mut shutdown: watch::Receiver<bool>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
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
            // A client that fails the handshake (e.g. does not trust the CA)
            // just loses its connection.
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = service_fn(move |req| {
                let handler = Arc::clone(&handler);
                async move { respond(&handler, req).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

async fn respond(
    handler: &Handler,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Unanswered> {
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
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
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
    match handler(recorded) {
        Outcome::Reply(reply) => Ok(to_response(reply)),
        Outcome::Drop => Err(Unanswered),
    }
}

fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        // Values echo client input in places; skip any that are not legal.
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.append(name, value);
        }
    }
    response
}
