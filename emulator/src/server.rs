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

use crate::entra::TOKEN_LIFETIME_SECS;
use crate::faults::{FaultMix, FaultRule, MixState};
use crate::fleet::SeedConnection;
use crate::host::{Bound, Host};
use crate::http::Outcome;
use crate::issuer::FederatedIssuer;
use crate::log::{endpoint, Endpoint, RecordedRequest, Stats, GITHUB_OIDC_PATH, IDENTITY_PATH};
use crate::operation::{ConnectionKey, OperationError, UrlSigner};
use crate::sink::Sink;
use crate::state::{Shared, State, StoredConnection};
use crate::text::unix_now;
use crate::throttle::{Buckets, Throttling};
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
            FederatedIssuer::generate()?,
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

    /// Every request received so far, token, OpenID discovery, GitHub OIDC,
    /// managed identity and ARM, in handling order (faulted ones included).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.clone()
    }

    /// The requests that went to ARM (not to the token endpoint, the OpenID
    /// discovery document, the GitHub OIDC stand-in or the managed-identity
    /// endpoint).
    pub fn arm_requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .lock()
            .log
            .iter()
            .filter(|r| r.is_arm_request())
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
    /// seed orphans). Replaces any connection with the same name. Same as
    /// [`Emulator::seed_connection`] with [`SeedConnection`]'s fields.
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
        self.seed_connection(SeedConnection {
            subscription: subscription.to_owned(),
            resource_group: resource_group.to_owned(),
            cluster: cluster.to_owned(),
            database: database.to_owned(),
            name: name.to_owned(),
            kind: kind.to_owned(),
            properties,
            provisioning_state: "Succeeded".to_owned(),
        });
    }

    /// Stores a data connection directly, in its provisioning state, as if
    /// created earlier: no PUT, no operation, nothing logged. Its cluster
    /// and database need not exist in the world (an orphan). Replaces any
    /// connection with the same name.
    ///
    /// ```no_run
    /// use adxconn_emulator::{demo, source_id, Emulator, SeedConnection, SourceState, World};
    /// use serde_json::json;
    ///
    /// let hub = source_id::event_hub(demo::SUBSCRIPTION, "rg-src", "ns", "gone");
    /// let world = World::demo().with_source(&hub, SourceState::Deleted);
    /// let emulator = Emulator::start(world.clone())?;
    /// let properties = json!({"eventHubResourceId": hub, "consumerGroup": "$Default"});
    /// emulator.seed_connection(
    ///     SeedConnection::new(&world.clusters[0], demo::DATABASE, "dc1", "EventHub", properties)
    ///         .provisioning_state("Failed"),
    /// );
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Panics
    ///
    /// If its kind and properties do not form a valid data connection: this
    /// is a test-setup mistake, not request input.
    pub fn seed_connection(&self, seed: SeedConnection) {
        self.seed_connections([seed]);
    }

    /// [`Emulator::seed_connection`] for each, under one lock.
    ///
    /// # Panics
    ///
    /// As [`Emulator::seed_connection`], at the first invalid one (those
    /// before it are stored).
    pub fn seed_connections(&self, seeds: impl IntoIterator<Item = SeedConnection>) {
        let mut state = self.shared.lock();
        for seed in seeds {
            let conn = match seed.stored(&state.world) {
                Ok(conn) => conn,
                Err(errors) => panic!(
                    "seed_connection: invalid {} data connection '{}': {errors:?}",
                    seed.kind, seed.name
                ),
            };
            let key = ConnectionKey::new(
                &conn.subscription,
                &conn.resource_group,
                &conn.cluster,
                &conn.database,
                &conn.name,
            );
            state.connections.insert(key, conn);
        }
    }

    /// Runs `f` on the running emulator's world, e.g. to delete a source or
    /// a database mid-test:
    /// `emulator.with_world(|w| w.set_source(&id, SourceState::Deleted))`.
    /// Data connections are not part of it; those of a removed database stay
    /// stored, unreachable.
    pub fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.shared.lock().world)
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

    /// An ARM access token for `client_id` in `tenant` as the token endpoint
    /// would issue it (same claims, same lifetime), e.g. for a stub `az`
    /// to print. The app need not exist (ARM then answers 403).
    pub fn arm_token(&self, tenant: &str, client_id: &str) -> String {
        self.mint(tenant, client_id, TOKEN_LIFETIME_SECS)
    }

    /// A federated token (workload identity) from `issuer` for `subject` and
    /// `audience`, ES256-signed with the emulator's own issuer key, valid
    /// from now for `lifetime_secs` (negative for one that has already
    /// expired). The token endpoint takes it as a `client_assertion` of an
    /// app with a matching [`FederatedCredential`](crate::FederatedCredential):
    ///
    /// ```no_run
    /// # let emulator = adxconn_emulator::Emulator::start(adxconn_emulator::World::demo())?;
    /// use adxconn_emulator::demo;
    /// // What AZURE_FEDERATED_TOKEN_FILE would hold in the demo AKS pod.
    /// let token = emulator.mint_federated_token(
    ///     demo::AKS_ISSUER,
    ///     demo::AKS_SUBJECT,
    ///     demo::FEDERATED_AUDIENCE,
    ///     3600,
    /// );
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn mint_federated_token(
        &self,
        issuer: &str,
        subject: &str,
        audience: &str,
        lifetime_secs: i64,
    ) -> String {
        self.shared.lock().issuer.mint(
            issuer,
            subject,
            audience,
            unix_now(),
            lifetime_secs,
            serde_json::Map::new(),
        )
    }

    /// What `ACTIONS_ID_TOKEN_REQUEST_URL` holds in a GitHub Actions job:
    /// `{url}/github/oidc/token?api-version=2.0`. With
    /// `Authorization: bearer {demo::GITHUB_REQUEST_TOKEN}` and
    /// `&audience=...` it answers `{"count": 1, "value": "<token>"}`, a
    /// federated token of [`demo::GITHUB_ISSUER`](crate::demo::GITHUB_ISSUER)
    /// for [`demo::GITHUB_SUBJECT`](crate::demo::GITHUB_SUBJECT), valid 5
    /// minutes. Without an audience the token's is
    /// [`demo::GITHUB_DEFAULT_AUDIENCE`](crate::demo::GITHUB_DEFAULT_AUDIENCE),
    /// as GitHub does, which the token endpoint then refuses (AADSTS70021).
    /// Counted in [`Stats::oidc_requests`].
    pub fn github_oidc_request_url(&self) -> String {
        format!("{}{GITHUB_OIDC_PATH}?api-version=2.0", self.url())
    }

    /// What `IDENTITY_ENDPOINT` holds on App Service: `{url}/msi/token`,
    /// the managed-identity endpoint (api-version 2019-08-01, secret
    /// [`demo::IDENTITY_HEADER`](crate::demo::IDENTITY_HEADER) in
    /// `X-IDENTITY-HEADER`). It answers tokens of the world's managed
    /// identities ([`App::managed_identity`](crate::App::managed_identity)):
    /// the system-assigned one, or the one named by `client_id`,
    /// `principal_id`/`object_id` or `mi_res_id`. Counted in
    /// [`Stats::identity_requests`].
    pub fn identity_endpoint(&self) -> String {
        format!("{}{IDENTITY_PATH}", self.url())
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

    /// Makes the next operation started by a PUT, PATCH or DELETE end
    /// `Failed` with this error (validations neither take nor use it). A
    /// failed create or update leaves the connection `Failed`; a failed
    /// delete leaves it in place, `Failed`. An operation that fails on its
    /// own (a hub and consumer group another connection of the cluster
    /// reads) leaves it queued.
    pub fn fail_next_operation(&self, code: &str, message: &str) {
        self.shared.lock().settings.fail_next_operation = Some(OperationError {
            code: code.to_owned(),
            message: message.to_owned(),
        });
    }

    /// Findings appended to the result of every `dataConnectionValidation`
    /// started from now on, after the emulator's own (none by default;
    /// replaces any set before). A validation is a long-running operation,
    /// as on the live service:
    ///
    /// 1. `POST {database}/dataConnectionValidation?api-version=2025-02-14`
    ///    with `{"dataConnectionName": name, "properties": {"kind": ...,
    ///    "properties": {...}}}` answers 202, empty, with `Location` and
    ///    `Azure-AsyncOperation` headers;
    /// 2. `Azure-AsyncOperation` answers 200 with the operation's `status`,
    ///    `Succeeded` after [`Emulator::set_operation_duration`], whose
    ///    `properties` then hold the result;
    /// 3. `Location` answers 202 while it runs, then 200 with the result:
    ///    `{"value": [{"errorMessage": "..."}, ...]}`, these findings last.
    ///
    /// The emulator's own findings: each reason a PUT of the connection
    /// would be refused (schema, location), and the live service's `event
    /// hub resource id and consumer group tuple provided are already used`
    /// when another connection of the cluster reads the same hub with the
    /// same consumer group.
    ///
    /// ```no_run
    /// # let emulator = adxconn_emulator::Emulator::start(adxconn_emulator::World::demo())?;
    /// emulator.set_validation_findings(vec!["Database does not exist".to_owned()]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_validation_findings(&self, findings: Vec<String>) {
        self.shared.lock().settings.validation_findings = findings;
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

    /// Page size of every list: clusters (of a subscription or a resource
    /// group), databases and data connections, each page but the last with
    /// a `nextLink` on the emulator's origin; `None` (the default) answers
    /// everything in one page.
    pub fn set_page_size(&self, page_size: Option<usize>) {
        self.shared.lock().settings.page_size = page_size;
    }

    /// A delay added to every ARM answer (token requests are not delayed),
    /// after the request is handled: a round trip to a far region. Requests
    /// are delayed concurrently, not one after another. Default: none.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().settings.latency = latency;
    }

    /// Turns ARM's throttling on (with fresh, full buckets) or, with `None`
    /// (the default), off. When on, each authenticated ARM request takes a
    /// token from the bucket of its principal (the token's `oid`), its
    /// subscription and its operation type; with none left it is answered
    /// 429 `TooManyRequests` with `Retry-After` (whole seconds, at least 1)
    /// and not processed, and every answer to an authenticated request says
    /// what is left in `x-ms-ratelimit-remaining-subscription-reads`,
    /// `-writes` or `-deletes`. Throttled requests count in
    /// [`Stats::throttled`].
    ///
    /// ```no_run
    /// # let emulator = adxconn_emulator::Emulator::start(adxconn_emulator::World::demo())?;
    /// use adxconn_emulator::{Bucket, Throttling};
    /// // ARM's limits, but only 20 deletes, refilled at 2 a second.
    /// emulator.set_throttling(Some(Throttling {
    ///     deletes: Bucket::new(20, 2.0),
    ///     ..Throttling::arm()
    /// }));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_throttling(&self, throttling: Option<Throttling>) {
        self.shared.lock().throttle = throttling.map(Buckets::new);
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
        let outcome = match endpoint(recorded.path()) {
            Endpoint::Token => {
                state.stats.token_requests += 1;
                crate::entra::handle(&mut state, &recorded)
            }
            Endpoint::Discovery => Outcome::Reply(crate::entra::openid_configuration(
                &state.world,
                &state.origin,
                &recorded,
            )),
            Endpoint::GithubOidc => {
                state.stats.oidc_requests += 1;
                Outcome::Reply(crate::identity::github_token(&state, &recorded))
            }
            Endpoint::ManagedIdentity => {
                state.stats.identity_requests += 1;
                Outcome::Reply(crate::identity::managed_identity_token(&state, &recorded))
            }
            Endpoint::Arm => arm(&mut state, &recorded),
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

/// An ARM request, counted, with the latency set.
fn arm(state: &mut State, recorded: &RecordedRequest) -> Outcome {
    state.stats.arm_requests += 1;
    *state
        .stats
        .methods
        .entry(recorded.method.to_ascii_uppercase())
        .or_default() += 1;
    let outcome = crate::arm::handle(state, recorded);
    match state.settings.latency {
        latency if latency.is_zero() => outcome,
        latency => Outcome::Delayed {
            after: latency,
            outcome: Box::new(outcome),
        },
    }
}
