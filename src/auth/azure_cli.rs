//! The token of the operator's `az login` session: `az account get-access-token`.
//!
//! Run by adxconn itself rather than azure_identity's `AzureCliCredential`, which caches
//! nothing (one `az` process, ~1 s of Python, per request) and gives the process no time limit.
//! Here each tenant's token is fetched once and reused until five minutes before it expires,
//! `az` gets at most `AZ_TIMEOUT`, and what it prints is read within bounds.

use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use azure_core::credentials::Secret;
use tokio::io::AsyncReadExt;
use tokio::sync::Mutex;

/// How long `az` may take: it starts Python and may refresh its own token over the network.
const AZ_TIMEOUT: Duration = Duration::from_secs(30);

/// The most `az` may print; its answer is about 2 KB.
const MAX_OUTPUT: u64 = 256 * 1024;

/// A token is fetched again when it has less than this left.
const REFRESH_BEFORE: i64 = 300;

#[derive(Debug)]
pub struct AzureCli {
    /// `--tenant` for `az`: the primary token's tenant, when given, or an auxiliary tenant.
    tenant: Option<String>,
    /// The token and its expiry (epoch seconds), once fetched.
    cached: Mutex<Option<(Secret, i64)>>,
}

/// What `az account get-access-token` could not do, in its own words.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("`az` was not found on PATH")]
    NotInstalled,
    #[error("`az account get-access-token` did not finish within {} s", AZ_TIMEOUT.as_secs())]
    TimedOut,
    #[error("`az account get-access-token` failed: {0}")]
    Failed(String),
    #[error("`az account get-access-token` printed no token ({0})")]
    Unreadable(String),
}

impl AzureCli {
    pub fn new(tenant: Option<String>) -> AzureCli {
        AzureCli {
            tenant,
            cached: Mutex::new(None),
        }
    }

    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// A token for `scope` (`{resource}/.default`), from the cache or from `az`.
    pub async fn token(&self, scope: &str) -> Result<Secret, CliError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, expires)) = cached.as_ref() {
            if *expires - now() > REFRESH_BEFORE {
                return Ok(token.clone());
            }
        }
        let (token, expires) = self.fetch(scope).await?;
        crate::scrub::register(token.secret());
        *cached = Some((token.clone(), expires));
        Ok(token)
    }

    async fn fetch(&self, scope: &str) -> Result<(Secret, i64), CliError> {
        let mut command = tokio::process::Command::new("az");
        command.args([
            "account",
            "get-access-token",
            "--output",
            "json",
            "--scope",
            scope,
        ]);
        if let Some(tenant) = &self.tenant {
            command.args(["--tenant", tenant]);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // A run stopped by Ctrl-C or its timeout must not leave `az` behind.
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::NotFound => CliError::NotInstalled,
                _ => CliError::Failed(error.to_string()),
            })?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(CliError::Failed("its output could not be read".into()));
        };
        let run = async {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let (mut stdout, mut stderr) = (stdout.take(MAX_OUTPUT), stderr.take(MAX_OUTPUT));
            let (read_out, read_err) =
                tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
            read_out
                .and(read_err)
                .map_err(|e| CliError::Failed(e.to_string()))?;
            let status = child
                .wait()
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?;
            Ok::<_, CliError>((status, out, err))
        };
        let (status, out, err) = tokio::time::timeout(AZ_TIMEOUT, run)
            .await
            .map_err(|_| CliError::TimedOut)??;
        if !status.success() {
            let said = String::from_utf8_lossy(&err);
            let said = said
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            return Err(CliError::Failed(crate::text::shorten(&said)));
        }
        parse(&out)
    }
}

/// Reads `az account get-access-token -o json`: `accessToken`, and `expires_on` (epoch
/// seconds, az 2.54+) or else an hour from now (older `expiresOn` is local time, unusable).
fn parse(out: &[u8]) -> Result<(Secret, i64), CliError> {
    let json: serde_json::Value = serde_json::from_slice(out)
        .map_err(|_| CliError::Unreadable("its output is not JSON".into()))?;
    let token = json
        .get("accessToken")
        .and_then(serde_json::Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| CliError::Unreadable("no `accessToken`".into()))?;
    let expires = match json.get("expires_on") {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .unwrap_or_else(|| now() + 3600);
    Ok((Secret::new(token.to_string()), expires))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// For `adxconn auth` and hints: whether `az` can be found on PATH at all.
pub fn installed() -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            let candidate = dir.join("az");
            candidate.is_file() || dir.join("az.cmd").is_file()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_token_and_its_expiry_whichever_az_wrote_them() {
        let (token, expires) =
            parse(br#"{"accessToken":"abc","expiresOn":"2026-12-06 21:00:00.000000","expires_on":1796590800,"tenant":"t","tokenType":"Bearer"}"#)
                .unwrap();
        assert_eq!(token.secret(), "abc");
        assert_eq!(expires, 1_796_590_800);
        let (_, expires) = parse(br#"{"accessToken":"abc","expires_on":"1796590800"}"#).unwrap();
        assert_eq!(expires, 1_796_590_800);
        let (_, expires) = parse(br#"{"accessToken":"abc"}"#).unwrap();
        assert!(expires > now());
        assert!(parse(b"ERROR: Please run 'az login'").is_err());
        assert!(parse(br#"{"accessToken":""}"#).is_err());
    }
}
