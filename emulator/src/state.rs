//! The emulator's mutable state behind one mutex: stored data connections,
//! running operations, per-test settings, injected faults, throttling
//! buckets and the request log. Handlers run synchronously under the lock, so each request sees and
//! leaves a consistent state, and the log order is the handling order.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::faults::{Faults, MixState};
use crate::issuer::FederatedIssuer;
use crate::log::{RecordedRequest, Stats};
use crate::operation::{Action, ConnectionKey, Operation, OperationError, UrlSigner};
use crate::schema::{echo_properties, render_properties, KindSchema};
use crate::throttle::Buckets;
use crate::token::TokenSigner;
use crate::world::World;

/// A data connection as stored.
#[derive(Debug, Clone)]
pub(crate) struct StoredConnection {
    // Spellings as seeded (subscription, group, cluster, database) or as first
    // PUT (name); ids in answers use them.
    pub subscription: String,
    pub resource_group: String,
    pub cluster: String,
    pub database: String,
    pub name: String,
    pub schema: &'static KindSchema,
    pub location: String,
    /// The writable properties the client set.
    pub properties: Map<String, Value>,
    /// Creation time, RFC 3339; the server-filled `retrievalStartDate`.
    pub created: String,
    pub provisioning_state: String,
    /// The operation currently changing this connection, if any.
    pub active_operation: Option<String>,
    /// Whether an update (PUT or PATCH) has succeeded on it, which changes
    /// how the service shows unset strings.
    pub updated: bool,
}

impl StoredConnection {
    /// `/subscriptions/.../Clusters/{c}/Databases/{d}/DataConnections/{n}`, the
    /// capitalisation the service uses in answers.
    pub(crate) fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/Clusters/{}/Databases/{}/DataConnections/{}",
            self.subscription, self.resource_group, self.cluster, self.database, self.name
        )
    }

    fn envelope(&self, properties: Map<String, Value>) -> Value {
        json!({
            "id": self.id(),
            "name": format!("{}/{}/{}", self.cluster, self.database, self.name),
            "type": "Microsoft.Kusto/Clusters/Databases/DataConnections",
            "location": self.location,
            "kind": self.schema.kind,
            "properties": properties,
        })
    }

    /// The resource as a GET returns it.
    pub(crate) fn resource(&self) -> Value {
        self.envelope(render_properties(
            self.schema,
            &self.properties,
            &self.created,
            &self.provisioning_state,
            self.updated,
        ))
    }

    /// The resource as a PUT answer echoes it.
    pub(crate) fn echo(&self) -> Value {
        self.envelope(echo_properties(
            self.schema,
            &self.properties,
            &self.provisioning_state,
        ))
    }
}

/// Per-test knobs.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub operation_duration: Duration,
    pub poll_retry_after: Option<u64>,
    /// Page size of every list; `None` answers in one page.
    pub page_size: Option<usize>,
    pub fail_next_operation: Option<OperationError>,
    /// Added to every ARM answer, after handling.
    pub latency: Duration,
    /// Appended to the findings of every `dataConnectionValidation`.
    pub validation_findings: Vec<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            operation_duration: Duration::from_millis(300),
            poll_retry_after: None,
            page_size: None,
            fail_next_operation: None,
            latency: Duration::ZERO,
            validation_findings: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct State {
    pub world: World,
    /// `https://127.0.0.1:PORT`
    pub origin: String,
    pub tokens: TokenSigner,
    /// Signs and verifies federated tokens (workload identity).
    pub issuer: FederatedIssuer,
    pub url_signer: UrlSigner,
    pub connections: BTreeMap<ConnectionKey, StoredConnection>,
    pub operations: HashMap<String, Operation>,
    pub settings: Settings,
    pub faults: Faults,
    /// The random fault mix, when one is set.
    pub mix: Option<MixState>,
    /// ARM's throttling, when on.
    pub throttle: Option<Buckets>,
    pub log: Vec<RecordedRequest>,
    pub stats: Stats,
    /// Status-URL GETs served.
    pub polls: usize,
}

impl State {
    pub(crate) fn new(
        world: World,
        origin: String,
        url_signer: UrlSigner,
        issuer: FederatedIssuer,
    ) -> State {
        State {
            world,
            origin,
            tokens: TokenSigner::random(),
            issuer,
            url_signer,
            connections: BTreeMap::new(),
            operations: HashMap::new(),
            settings: Settings::default(),
            faults: Faults::default(),
            mix: None,
            throttle: None,
            log: Vec::new(),
            stats: Stats::default(),
            polls: 0,
        }
    }

    /// Applies the outcome of every operation whose time is up.
    pub(crate) fn settle(&mut self) {
        let now = Instant::now();
        for op in self.operations.values_mut() {
            if op.settled || !op.is_done(now) {
                continue;
            }
            op.settled = true;
            let Some(conn) = self.connections.get_mut(&op.target) else {
                continue;
            };
            if conn.active_operation.as_deref() != Some(op.id.as_str()) {
                continue;
            }
            conn.active_operation = None;
            match (op.action, &op.failure) {
                (_, Some(_)) => conn.provisioning_state = "Failed".to_owned(),
                (Action::Delete, None) => {
                    self.connections.remove(&op.target);
                }
                (Action::Create, None) => {
                    conn.provisioning_state = "Succeeded".to_owned();
                }
                (Action::Update, None) => {
                    conn.provisioning_state = "Succeeded".to_owned();
                    conn.updated = true;
                }
                // A validation never holds a connection.
                (Action::Validate, None) => {}
            }
        }
    }
}

/// The state plus what lives outside the lock.
pub(crate) struct Shared {
    state: Mutex<State>,
    observer: Mutex<Option<Observer>>,
}

pub(crate) type Observer = Arc<dyn Fn(&RecordedRequest) + Send + Sync>;

impl Shared {
    pub(crate) fn new(state: State) -> Shared {
        Shared {
            state: Mutex::new(state),
            observer: Mutex::new(None),
        }
    }

    /// The state; a handler that panicked cannot leave it half-written in a
    /// way that matters to a test double, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_observer(&self, observer: Option<Observer>) {
        *self.observer.lock().unwrap_or_else(PoisonError::into_inner) = observer;
    }

    pub(crate) fn observer(&self) -> Option<Observer> {
        self.observer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
