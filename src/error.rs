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
  0    success (also: `delete` of a connection that does not exist)
  1    Azure refused the request, or the operation failed
  2    invalid input; nothing was sent
  3    authentication or authorization failed (token, 401, 403)
  4    timed out waiting (the operation may still finish)
  5    not found (`show`, `wait`)
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
    /// `show` of a connection that does not exist.
    #[error("data connection `{name}` was not found in database `{database}`")]
    NotFound { name: String, database: String },
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
            Error::Auth(_) | Error::CrossTenant { .. } => ExitStatus::Auth,
            Error::Arm(error) => error.exit_status(),
            Error::NotFound { .. } => ExitStatus::NotFound,
            Error::Output(_) => ExitStatus::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Error::Input(error) => error.hint.clone(),
            Error::Auth(error) => error.hint(),
            Error::Arm(error) => error.hint(),
            Error::NotFound { .. } => {
                Some("list the connections of the database with `adxconn list …`".into())
            }
            Error::CrossTenant {
                sources,
                had_auxiliary,
                ..
            } => Some(cross_tenant_hint(sources, *had_auxiliary)),
            Error::NotConfirmed(_) | Error::Output(_) => None,
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
    // Nothing sensible is left to do if stderr itself is gone.
    let _ = stderr.write_all(text.as_bytes());
    error.exit_status()
}
