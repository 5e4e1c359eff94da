//! The [`Emulator`] handle: the emulator's state behind its HTTPS
//! [`Host`]. Requests are handled synchronously under the state lock;
//! nothing awaits while holding it.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::faults::{FaultMix, FaultRule, MixState};
use crate::host::{Bound, Host};
use crate::http::Outcome;
use crate::log::{is_token_path, RecordedRequest, Stats};
use crate::operation::{ConnectionKey, OperationError, UrlSigner};
use crate::schema::validate;
use crate::sink::Sink;
use crate::state::{Shared, State, StoredConnection};
use crate::text::{rfc3339, unix_now};
use crate::token::{Claims, ARM_AUDIENCE};
use crate::world::World;

/// A running emulator. Dropping it stops the server and removes its
/// temporary directory (which holds the CA certificate).
pub struct Emulator {
    shared: Arc<Shared>,
    host: Host,
    /// The emulator's TLS configuration, which sinks present too.
    tls: Arc<rustls::ServerConfig>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.host.url())
            .field("ca_file", &self.host.ca_file())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator on `127.0.0.1` with an OS-assigned port.
    pub fn start(world: World) -> io::Result<Emulator> {
        Emulator::start_on(world, SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
    }

    /// Starts an emulator on `addr`. The certificate covers `127.0.0.1` and
    /// `localhost` only, so other addresses are of little use.
    pub fn start_on(world: World, addr: SocketAddr) -> io::Result<Emulator> {
        let bound = Bound::bind(addr)?;
        let pki = crate::tls::generate()?;
        let state = State::new(
            world,
            bound.url.clone(),
            UrlSigner::new(&pki.signing_cert_der),
        );
        let shared = Arc::new(Shared::new(state));
        let handler_shared = Arc::clone(&shared);
        let host = Host::start(
            bound,
            &pki,
            Arc::new(move |request| handle(&handler_shared, request)),
        )?;
        Ok(Emulator {
            shared,
            host,
            tls: pki.server_config,
        })
    }

    /// `https://127.0.0.1:PORT`, without a trailing slash: both the ARM
    /// endpoint and the Entra authority host.
    pub fn url(&self) -> &str {
        self.host.url()
    }

    /// The CA certificate (PEM) to trust, e.g. through `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> &Path {
        self.host.ca_file()
    }

    /// Starts a [`Sink`]: another HTTPS origin (`https://127.0.0.1:OTHER_PORT`)
    /// with the emulator's certificate, trusted through the same
    /// [`Emulator::ca_file`], recording every request and answering `200 {}`.
    /// Point redirects, `nextLink`s or status URLs at it to prove that a
    /// client sent nothing to another origin: TLS would not have stopped it.
    pub fn start_sink(&self) -> io::Result<Sink> {
        Sink::start_tls(Arc::clone(&self.tls))
    }

    /// Every request received so far, token and ARM, in handling order
    /// (faulted ones included).
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
        let now = unix_now();
        let claims = Claims::new(tenant, client_id, ARM_AUDIENCE, now, lifetime_secs);
        self.shared.lock().tokens.mint(&claims)
    }

    /// Adds a fault rule; rules apply in injection order. A rule hits ARM
    /// requests unless made with
    /// [`FaultRule::token_endpoint`](crate::FaultRule::token_endpoint).
    pub fn inject(&self, rule: FaultRule) {
        self.shared.lock().faults.push(rule);
    }

    /// Sets (or, with `None`, removes) a random fault mix for ARM requests
    /// no injected rule claims, operation polls and reads included, token
    /// requests never. Setting a mix restarts its generator from the seed.
    pub fn set_fault_mix(&self, mix: Option<FaultMix>) {
        self.shared.lock().mix = mix.map(MixState::new);
    }

    /// Counters since start: requests, faults, writes, creations.
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats.clone()
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

/// Handles one request under the state lock, logs it, then tells the
/// observer (outside the lock, so an observer may call back into the handle).
fn handle(shared: &Shared, mut recorded: RecordedRequest) -> Outcome {
    let outcome = {
        let mut state = shared.lock();
        state.settle();
        let outcome = if is_token_path(recorded.path()) {
            state.stats.token_requests += 1;
            crate::entra::handle(&mut state, &recorded)
        } else {
            state.stats.arm_requests += 1;
            crate::arm::handle(&mut state, &recorded)
        };
        recorded.status = outcome.status();
        state.log.push(recorded.clone());
        outcome
    };
    if let Some(observer) = shared.observer() {
        observer(&recorded);
    }
    outcome
}
