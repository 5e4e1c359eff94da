//! The [`Emulator`] handle and its HTTPS server: a dedicated thread running a
//! Tokio runtime that accepts TLS connections and serves HTTP/1.1 (with
//! keep-alive) on each concurrently. Requests are handled synchronously
//! under the state lock; nothing awaits while holding it.

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
use serde_json::Value;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::faults::FaultRule;
use crate::http::{Outcome, Reply};
use crate::log::{is_token_path, RecordedRequest};
use crate::operation::{ConnectionKey, OperationError, UrlSigner};
use crate::schema::validate;
use crate::state::{Shared, State, StoredConnection};
use crate::text::{now_unix, rfc3339};
use crate::token::{Claims, ARM_AUDIENCE};
use crate::world::World;

/// ARM accepts request bodies up to a few MB; data-connection bodies are tiny.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A running emulator. Dropping it stops the server and removes its
/// temporary directory (which holds the CA certificate).
pub struct Emulator {
    shared: Arc<Shared>,
    url: String,
    ca_file: PathBuf,
    temp_dir: PathBuf,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
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

impl Emulator {
    /// Starts an emulator on `127.0.0.1` with an OS-assigned port.
    pub fn start(world: World) -> io::Result<Emulator> {
        Emulator::start_on(world, SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
    }

    /// Starts an emulator on `addr`. The certificate covers `127.0.0.1` and
    /// `localhost` only, so other addresses are of little use.
    pub fn start_on(world: World, addr: SocketAddr) -> io::Result<Emulator> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        let host = if local.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            local.ip()
        };
        let url = format!("https://{}", SocketAddr::new(host, local.port()));

        let pki = crate::tls::generate()?;
        let temp_dir = create_temp_dir()?;
        let ca_file = temp_dir.join("ca.pem");
        if let Err(e) = std::fs::write(&ca_file, &pki.ca_pem) {
            let _ = std::fs::remove_dir_all(&temp_dir);
            return Err(e);
        }

        let state = State::new(world, url.clone(), UrlSigner::new(&pki.signing_cert_der));
        let shared = Arc::new(Shared::new(state));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let acceptor = TlsAcceptor::from(pki.server_config);
        let server_shared = Arc::clone(&shared);
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
                runtime.block_on(serve(listener, acceptor, server_shared, shutdown_rx));
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
        let thread = match started {
            Ok(thread) => thread,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&temp_dir);
                return Err(e);
            }
        };

        Ok(Emulator {
            shared,
            url,
            ca_file,
            temp_dir,
            shutdown,
            thread: Some(thread),
        })
    }

    /// `https://127.0.0.1:PORT`, without a trailing slash: both the ARM
    /// endpoint and the Entra authority host.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The CA certificate (PEM) to trust, e.g. through `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// Every request received so far, token and ARM, in handling order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.clone()
    }

    /// The requests that went to ARM (not to the token endpoint).
    pub fn arm_requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .lock()
            .log
            .iter()
            .filter(|r| !r.is_token_request())
            .cloned()
            .collect()
    }

    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// Calls `observer` with each request after it was handled (the binary
    /// uses it for its access log). Replaces any previous observer.
    pub fn on_request(&self, observer: impl Fn(&RecordedRequest) + Send + Sync + 'static) {
        self.shared.set_observer(Some(Arc::new(observer)));
    }

    /// The stored data connection as a GET would return it.
    pub fn connection(
        &self,
        subscription: &str,
        resource_group: &str,
        cluster: &str,
        database: &str,
        name: &str,
    ) -> Option<Value> {
        let mut state = self.shared.lock();
        state.settle();
        state
            .connections
            .get(&ConnectionKey::new(
                subscription,
                resource_group,
                cluster,
                database,
                name,
            ))
            .map(StoredConnection::resource)
    }

    /// Every stored data connection, as GETs would return them, ordered by
    /// subscription, group, cluster, database and name.
    pub fn connections(&self) -> Vec<Value> {
        let mut state = self.shared.lock();
        state.settle();
        state
            .connections
            .values()
            .map(StoredConnection::resource)
            .collect()
    }

    /// Stores a data connection directly, `Succeeded`, as if created earlier.
    /// The cluster and database need not exist in the world (so a test can
    /// seed orphans). Replaces any connection with the same name.
    ///
    /// # Panics
    ///
    /// If `kind` and `properties` do not form a valid data connection: this
    /// is a test-setup mistake, not request input.
    #[expect(clippy::too_many_arguments, reason = "mirrors the resource id's parts")]
    pub fn insert_connection(
        &self,
        subscription: &str,
        resource_group: &str,
        cluster: &str,
        database: &str,
        name: &str,
        kind: &str,
        properties: Value,
    ) {
        let body = serde_json::json!({"kind": kind, "properties": properties});
        let body = match validate(&body) {
            Ok(body) => body,
            Err(errors) => panic!("insert_connection: invalid {kind} data connection: {errors:?}"),
        };
        let mut state = self.shared.lock();
        let seeded = state
            .world
            .cluster(subscription, resource_group, cluster)
            .cloned();
        let (subscription, resource_group, cluster_name, location, database) = match &seeded {
            Some(c) => (
                c.subscription_id.clone(),
                c.resource_group.clone(),
                c.name.clone(),
                c.location.clone(),
                c.database(database).unwrap_or(database).to_owned(),
            ),
            None => (
                subscription.to_owned(),
                resource_group.to_owned(),
                cluster.to_owned(),
                crate::world::demo::LOCATION.to_owned(),
                database.to_owned(),
            ),
        };
        let key = ConnectionKey::new(
            &subscription,
            &resource_group,
            &cluster_name,
            &database,
            name,
        );
        let conn = StoredConnection {
            subscription,
            resource_group,
            cluster: cluster_name,
            database,
            name: name.to_owned(),
            schema: body.schema,
            location,
            properties: body.properties,
            created: rfc3339(std::time::SystemTime::now()),
            provisioning_state: "Succeeded".to_owned(),
            active_operation: None,
        };
        state.connections.insert(key, conn);
    }

    /// A token the emulator accepts for `client_id` in `tenant`, valid for
    /// `lifetime` from now. Use [`Emulator::mint_expired_token`] for one that
    /// has already expired. The app need not exist (ARM then answers 403).
    pub fn mint_token(&self, tenant: &str, client_id: &str, lifetime: Duration) -> String {
        let secs = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2);
        self.mint(tenant, client_id, secs)
    }

    /// A correctly signed token that expired a minute ago.
    pub fn mint_expired_token(&self, tenant: &str, client_id: &str) -> String {
        self.mint(tenant, client_id, -60)
    }

    fn mint(&self, tenant: &str, client_id: &str, lifetime_secs: i64) -> String {
        let now = i64::try_from(now_unix().as_secs()).unwrap_or(0);
        let claims = Claims::new(tenant, client_id, ARM_AUDIENCE, now, lifetime_secs);
        self.shared.lock().tokens.mint(&claims)
    }

    /// Adds a fault rule; rules apply in injection order.
    pub fn inject(&self, rule: FaultRule) {
        self.shared.lock().faults.push(rule);
    }

    /// Makes the next operation started (PUT or DELETE) end `Failed` with
    /// this error. A failed create or update leaves the connection
    /// `Failed`; a failed delete leaves it in place, `Failed`.
    pub fn fail_next_operation(&self, code: &str, message: &str) {
        self.shared.lock().settings.fail_next_operation = Some(OperationError {
            code: code.to_owned(),
            message: message.to_owned(),
        });
    }

    /// How long operations started from now on stay in progress (default 300 ms).
    pub fn set_operation_duration(&self, duration: Duration) {
        self.shared.lock().settings.operation_duration = duration;
    }

    /// `Retry-After` (seconds) on operation-starting answers and in-progress
    /// polls; `None` (the default, like live Kusto) sends none.
    pub fn set_poll_retry_after(&self, secs: Option<u64>) {
        self.shared.lock().settings.poll_retry_after = secs;
    }

    /// Page size of data-connection lists (`nextLink` paging); `None` (the
    /// default) answers everything in one page.
    pub fn set_page_size(&self, page_size: Option<usize>) {
        self.shared.lock().settings.page_size = page_size;
    }

    /// Status-URL GETs served so far (both URL kinds; refused ones not counted).
    pub fn operation_polls(&self) -> usize {
        self.shared.lock().polls
    }
}

impl Drop for Emulator {
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
    shared: Arc<Shared>,
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
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            // A client that fails the handshake (e.g. does not trust the CA)
            // just loses its connection.
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = service_fn(move |req| {
                let shared = Arc::clone(&shared);
                async move { respond(&shared, req).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

async fn respond(
    shared: &Shared,
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
    let mut recorded = RecordedRequest {
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

    let outcome = {
        let mut state = shared.lock();
        state.settle();
        let outcome = if is_token_path(recorded.path()) {
            Outcome::Reply(crate::entra::handle(&state, &recorded))
        } else {
            crate::arm::handle(&mut state, &recorded)
        };
        recorded.status = match &outcome {
            Outcome::Reply(reply) => Some(reply.status),
            Outcome::Drop => None,
        };
        state.log.push(recorded.clone());
        outcome
    };
    if let Some(observer) = shared.observer() {
        observer(&recorded);
    }
    match outcome {
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
