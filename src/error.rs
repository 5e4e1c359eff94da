//! The top-level error type, the exit-code contract, and how errors are shown.
//!
//! Errors are typed where they arise (`InputError`, `AuthError`, `ArmError`) and meet here. One
//! `match` turns each into an exit status and one into a hint, so the table in the README and in
//! `--help` is the whole truth.

use std::fmt::Write as _;
use std::io;
use std::process::ExitCode;

use crate::arm::ArmError;
use crate::auth::AuthError;

/// The exit codes scripts can rely on. Documented in README.md and in `adxconn --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    Success = 0,
    /// Azure refused the request, or the operation finished as `Failed`/`Canceled`.
    Failure = 1,
    /// The command line was wrong; nothing was sent.
    Usage = 2,
    /// No usable credentials, a token could not be acquired, or ARM answered 401/403.
    Auth = 3,
    /// `--timeout` expired while waiting; the operation may still finish.
    Timeout = 4,
    /// `show` found no such data connection.
    NotFound = 5,
    /// SIGINT/SIGTERM while waiting (128 + SIGINT, as shells report it).
    Interrupted = 130,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}

/// The end of `adxconn --help`: examples and the exit codes (the README has the same table).
pub const AFTER_HELP: &str = "\
Examples:
  adxconn create eventhub -g rg --cluster adx --database db -n clicks \\
      --eventhub-id /subscriptions/…/providers/Microsoft.EventHub/namespaces/ns/eventhubs/clicks
  adxconn list -g rg --cluster adx --database db -o json
  adxconn delete -g rg --cluster adx --database db -n clicks --yes

Sign in with AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or ADXCONN_ACCESS_TOKEN.

Exit codes:
  0    success (also: `delete` of a connection that does not exist in a database that does)
  1    Azure refused the request, or the operation failed
  2    invalid input; nothing was sent
  3    authentication or authorization failed (token, 401, 403)
  4    timed out waiting (the operation may still finish)
  5    not found: the data connection (`show`, `wait`), or its database, cluster, resource
       group or subscription (every command)
  130  interrupted while waiting (the operation goes on; resume with `adxconn wait`)";

/// A problem with what the user typed, found before anything is sent.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.describe())]
pub struct InputError {
    /// The flag (or environment variable) at fault, e.g. `--iothub-id`.
    pub flag: String,
    /// What is wrong with it.
    pub problem: String,
    /// How to fix it.
    pub hint: Option<String>,
}

const MISSING: &str = "required but not given";

impl InputError {
    pub fn new(flag: impl Into<String>, problem: impl Into<String>) -> Self {
        InputError {
            flag: flag.into(),
            problem: problem.into(),
            hint: None,
        }
    }

    /// Required flags that were not given, named together.
    pub fn missing(flags: &[&str]) -> Self {
        InputError::new(flags.join(", "), MISSING)
    }

    fn describe(&self) -> String {
        if self.problem == MISSING {
            format!("missing {}", self.flag)
        } else {
            format!("invalid value for `{}`: {}", self.flag, self.problem)
        }
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Arm(#[from] ArmError),
    /// A data connection, or a part of its address, does not exist.
    #[error(transparent)]
    NotFound(#[from] Missing),
    /// ARM refused access to a source in another tenant (`LinkedAuthorizationFailed`, or a
    /// rejected auxiliary token).
    #[error("{error}")]
    CrossTenant {
        error: ArmError,
        /// `(source id, its subscription)` for each source the connection names.
        sources: Vec<(String, String)>,
        /// Whether auxiliary tokens were sent.
        had_auxiliary: bool,
    },
    /// ARM refused a write with a 404: its error, and the part of the address that is missing.
    #[error("{error}")]
    WrongAddress {
        error: Box<ArmError>,
        missing: Missing,
    },
    /// Azure accepted a write, but its status URL is one adxconn will not follow.
    #[error("Azure accepted the {method}, but adxconn will not follow its status URL")]
    Unfollowable {
        method: String,
        #[source]
        source: Box<ArmError>,
        /// The command that follows the connection instead.
        resume: String,
    },
    /// A destructive command needs confirmation and none could be had.
    #[error("{0}")]
    NotConfirmed(String),
    #[error("could not write the output")]
    Output(#[source] io::Error),
}

impl Error {
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Input(_) | Error::NotConfirmed(_) => ExitStatus::Usage,
            Error::Auth(error) => error.exit_status(),
            Error::CrossTenant { .. } => ExitStatus::Auth,
            Error::Arm(error) => error.exit_status(),
            Error::NotFound(_) => ExitStatus::NotFound,
            Error::Output(_) | Error::Unfollowable { .. } | Error::WrongAddress { .. } => {
                ExitStatus::Failure
            }
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Error::Input(error) => error.hint.clone(),
            Error::Auth(error) => error.hint(),
            Error::Arm(error) => error.hint(),
            Error::NotFound(missing) => Some(missing.hint()),
            Error::WrongAddress { missing, .. } => Some(format!(
                "check --subscription, --resource-group, --cluster and --database: {missing}"
            )),
            Error::CrossTenant {
                sources,
                had_auxiliary,
                ..
            } => Some(cross_tenant_hint(sources, *had_auxiliary)),
            Error::Unfollowable { resume, .. } => Some(format!(
                "the write goes on in Azure; follow the data connection itself: {resume}"
            )),
            Error::NotConfirmed(_) | Error::Output(_) => None,
        }
    }
}

/// What does not exist: the data connection, or the part of its address that is wrong.
#[derive(Debug, thiserror::Error)]
pub enum Missing {
    #[error("data connection `{name}` was not found in database `{database}`")]
    Connection { name: String, database: String },
    #[error("database `{name}` was not found in cluster `{cluster}`")]
    Database { name: String, cluster: String },
    #[error("cluster `{name}` was not found in resource group `{resource_group}`")]
    Cluster {
        name: String,
        resource_group: String,
    },
    #[error("resource group `{name}` was not found in subscription `{subscription}`")]
    ResourceGroup { name: String, subscription: String },
    #[error("subscription `{id}` was not found (or the signed-in principal cannot see it)")]
    Subscription { id: String },
}

impl Missing {
    fn hint(&self) -> String {
        match self {
            Missing::Connection { .. } => {
                "list the connections of the database with `adxconn list …`".into()
            }
            Missing::Database { .. } => "check --database (names are case-insensitive; `az kusto database list` lists them)".into(),
            Missing::Cluster { .. } => "check --cluster and --resource-group".into(),
            Missing::ResourceGroup { .. } => {
                "check --resource-group and --subscription (AZURE_SUBSCRIPTION_ID)".into()
            }
            Missing::Subscription { .. } => "check --subscription (AZURE_SUBSCRIPTION_ID) and that the principal has a role in it".into(),
        }
    }
}

/// What to pass and which roles to grant when a source lives in another tenant.
fn cross_tenant_hint(sources: &[(String, String)], had_auxiliary: bool) -> String {
    let mut hint = String::new();
    for (id, subscription) in sources {
        let _ = writeln!(
            hint,
            "the source `{id}` is in subscription `{subscription}`, which the signed-in tenant cannot reach alone"
        );
    }
    let role = if sources
        .iter()
        .any(|(id, _)| id.to_ascii_lowercase().contains("/microsoft.devices/"))
    {
        "`Contributor` on the IoT Hub"
    } else if sources
        .iter()
        .any(|(id, _)| id.to_ascii_lowercase().contains("/microsoft.storage/"))
    {
        "`Azure Event Hubs Data Owner` on the Event Hubs namespace and `Storage Blob Data Reader` (or Contributor) on the storage account"
    } else {
        "`Azure Event Hubs Data Owner` on the Event Hubs namespace (not just the event hub)"
    };
    let _ = write!(
        hint,
        "{}pass `--aux-tenant <tenant of that subscription>` (the same multi-tenant app signs in there) \
         or `--aux-token-file FILE` (a token from an account in that tenant); \
         that tenant must grant the principal {role}, and this one `Contributor` on the cluster",
        if had_auxiliary {
            "the auxiliary tokens sent did not give access: check they are for that tenant and unexpired; "
        } else {
            ""
        }
    );
    hint
}

/// Prints `error: …`, each `caused by: …` and a `hint: …` to `stderr`; returns the exit status.
///
/// Errors are shown with `Display` and their `source()` chain, never `Debug`: azure_core's
/// `Debug` carries a backtrace, and the chain is where a TLS or connection failure's real cause
/// lives.
pub fn report(error: &Error, stderr: &mut impl io::Write) -> ExitStatus {
    let mut text = format!("error: {error}\n");
    let mut last = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let line = cause.to_string();
        // azure_core and reqwest often repeat the inner message in the outer one.
        if !last.contains(&line) {
            let _ = writeln!(text, "  caused by: {line}");
        }
        last = line;
        source = cause.source();
    }
    if let Some(hint) = error.hint() {
        let _ = write!(text, "\nhint: {hint}\n");
    }
    // Server text (messages, echoed requests) is in here: scrub it like every printed line.
    // Nothing sensible is left to do if stderr itself is gone.
    let _ = stderr.write_all(crate::scrub::terminal(&text).as_bytes());
    error.exit_status()
}
