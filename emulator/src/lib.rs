//! A local, stateful emulator of the parts of Azure that `adxconn` talks to:
//! Azure Resource Manager for `Microsoft.Kusto` data connections (api-version
//! [`API_VERSION`]) and the Entra ID v2 client-credentials token endpoint.
//!
//! The emulator serves real HTTPS on `127.0.0.1` with a CA generated for each
//! instance, so the `adxconn` binary can be pointed at it unchanged:
//!
//! ```no_run
//! use adxconn_emulator::{Emulator, World};
//!
//! let emulator = Emulator::start(World::demo())?;
//! // ADXCONN_ARM_ENDPOINT and AZURE_AUTHORITY_HOST = emulator.url(),
//! // SSL_CERT_FILE = emulator.ca_file()
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Module map: [`world`] holds the seeded identities and clusters, `server`
//! owns the listener and the [`Emulator`] handle, `entra` the token endpoint,
//! `arm` the ARM routes, `schema` the data-connection body rules, `operation`
//! the long-running operations and their signed status URLs, [`faults`] the
//! injectable failures and [`log`] the request log.

mod arm;
mod entra;
pub mod faults;
mod http;
pub mod log;
mod operation;
mod schema;
mod server;
mod state;
mod text;
mod tls;
mod token;
pub mod world;

pub use faults::{Fault, FaultRule};
pub use log::RecordedRequest;
pub use server::Emulator;
pub use world::{demo, App, Cluster, Role, Subscription, Tenant, World};

/// The only ARM api-version the emulator accepts.
pub const API_VERSION: &str = "2025-02-14";
