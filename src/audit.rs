//! Which data connections are stale: each connection found by a walk gets one `Status`, with
//! the evidence that decided it.
//!
//! A connection is judged by its own `provisioningState` first, then by reading each of its
//! sources (Event Hub, IoT Hub, storage account, Event Grid subscription, Cosmos DB account)
//! with every credential at hand: the signed-in principal, then each auxiliary one. A source is
//! read once per run however many connections name it. Only a signal or the deadline stops an
//! audit; any other failure becomes an `unknown` status with its reason.

use std::collections::HashMap;

use futures_util::stream::{self, StreamExt};

use crate::arm::operation::ProgressReport;
use crate::arm::{ArmClient, ArmError};
use crate::fleet::Found;
use crate::resource_id::ResourceId;
use crate::tenancy::Tenancy;
use crate::wire::ProvisioningState;

/// What an audit concludes about one data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Provisioned, and every source read.
    Ok,
    /// Its `provisioningState` is `Failed`.
    Failed,
    /// A source answered 404: it was deleted (or its resource group or subscription was).
    SourceMissing,
    /// A source answered 401/403 to every credential that could speak for its tenant.
    AccessDenied,
    /// Every source read, at least one of them in another tenant.
    CrossTenant,
    /// It could not be told; the evidence says why.
    Unknown,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Ok,
        Status::Failed,
        Status::SourceMissing,
        Status::AccessDenied,
        Status::CrossTenant,
        Status::Unknown,
    ];

    /// What `prune` deletes unless told otherwise.
    pub const STALE: [Status; 3] = [Status::SourceMissing, Status::AccessDenied, Status::Failed];

    /// The name scripts see (`-o json`, `--status`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::SourceMissing => "source-missing",
            Status::AccessDenied => "access-denied",
            Status::CrossTenant => "cross-tenant",
            Status::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Whether the connection should go: it ingests nothing, or ingests from a source whose
    /// owner has withdrawn access.
    pub fn is_stale(self) -> bool {
        Status::STALE.contains(&self)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One connection's verdict.
#[derive(Debug, Clone)]
pub struct Audited {
    pub found: Found,
    pub status: Status,
    /// The source that decided the status (for `ok`, `failed` and `cross-tenant`: the one the
    /// messages come from), as the connection names it.
    pub source: Option<String>,
    /// Why, in a sentence: what was read, with which credential, and what ARM answered.
    pub evidence: String,
}

/// What reading one source found.
#[derive(Debug, Clone)]
enum SourceRead {
    /// Read with the signed-in principal's token.
    Home,
    /// Read with an auxiliary credential (named): the source is in another tenant.
    Auxiliary(String),
    Missing(String),
    Denied(String),
    Unknown(String),
}

impl SourceRead {
    /// How strongly a source's reading decides its connection's status: the worst one wins.
    fn severity(&self) -> u8 {
        match self {
            SourceRead::Missing(_) => 4,
            SourceRead::Denied(_) => 3,
            SourceRead::Unknown(_) => 2,
            SourceRead::Auxiliary(_) => 1,
            SourceRead::Home => 0,
        }
    }
}

/// Audits `found` (in its order) with at most `concurrency` requests at a time.
pub async fn audit(
    client: &ArmClient,
    found: Vec<Found>,
    concurrency: usize,
    progress: &dyn ProgressReport,
) -> Result<Vec<Audited>, ArmError> {
    // Every distinct source of a connection that is not already judged by its own state.
    let mut sources: Vec<ResourceId> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for connection in found.iter().filter(|found| !is_failed(found)) {
        for id in crate::tenancy::source_ids(&connection.connection.value) {
            if seen.insert(id.as_str().to_ascii_lowercase()) {
                sources.push(id);
            }
        }
    }
    progress.update(&format!(
        "reading the {} source{} of {} data connection{}",
        sources.len(),
        plural(sources.len()),
        found.len(),
        plural(found.len())
    ));
    let total = sources.len();
    let mut reads = stream::iter(sources)
        .map(|id| async move {
            let read = read_source(client, &id).await;
            (id, read)
        })
        .buffer_unordered(concurrency.clamp(1, crate::fleet::MAX_CONCURRENCY));
    let mut read: HashMap<String, SourceRead> = HashMap::new();
    while let Some((id, outcome)) = reads.next().await {
        read.insert(id.as_str().to_ascii_lowercase(), outcome?);
        if read.len().is_multiple_of(25) {
            progress.update(&format!("{} of {total} sources read", read.len()));
        }
    }
    drop(reads);

    let mut tenancy = Tenancy::new(client).await;
    let mut audited = Vec::with_capacity(found.len());
    for found in found {
        let verdict = verdict(&found, &read, &mut tenancy).await?;
        audited.push(verdict);
    }
    Ok(audited)
}

fn is_failed(found: &Found) -> bool {
    found.connection.value.provisioning_state() == Some(ProvisioningState::Failed)
}

/// The status of one connection from its state and its sources' readings.
async fn verdict(
    found: &Found,
    read: &HashMap<String, SourceRead>,
    tenancy: &mut Tenancy<'_>,
) -> Result<Audited, ArmError> {
    let connection = &found.connection.value;
    let message_source = connection.message_source_id().map(str::to_string);
    let audited = |status, source, evidence| Audited {
        found: found.clone(),
        status,
        source,
        evidence,
    };
    if is_failed(found) {
        return Ok(audited(
            Status::Failed,
            message_source,
            "its provisioningState is Failed: it ingests nothing".into(),
        ));
    }
    let named = connection.source_ids();
    let parsed = crate::tenancy::source_ids(connection);
    if named.len() != parsed.len() {
        let bad = named
            .iter()
            .find(|id| ResourceId::parse(id).is_err())
            .map(|id| crate::text::shorten(id))
            .unwrap_or_default();
        return Ok(audited(
            Status::Unknown,
            message_source,
            format!("its source `{bad}` is not an ARM resource id"),
        ));
    }
    if parsed.is_empty() {
        return Ok(audited(
            Status::Unknown,
            None,
            format!(
                "its kind `{}` names no source adxconn can read",
                connection.kind_name()
            ),
        ));
    }
    // The worst reading decides; on a tie, the first source in the kind's order.
    let mut worst: Option<(&ResourceId, &SourceRead)> = None;
    for id in &parsed {
        let Some(reading) = read.get(&id.as_str().to_ascii_lowercase()) else {
            continue;
        };
        if worst.is_none_or(|(_, current)| reading.severity() > current.severity()) {
            worst = Some((id, reading));
        }
    }
    let Some((id, reading)) = worst else {
        return Ok(audited(
            Status::Unknown,
            message_source,
            "its sources were not read".into(),
        ));
    };
    let source = Some(id.as_str().to_string());
    Ok(match reading {
        SourceRead::Missing(evidence) => audited(Status::SourceMissing, source, evidence.clone()),
        SourceRead::Denied(evidence) => audited(Status::AccessDenied, source, evidence.clone()),
        SourceRead::Unknown(evidence) => audited(Status::Unknown, source, evidence.clone()),
        SourceRead::Auxiliary(credential) => audited(
            Status::CrossTenant,
            source,
            format!(
                "every source was read; {} only with {credential}",
                describe(id)
            ),
        ),
        SourceRead::Home => {
            // Read by the signed-in principal, yet possibly another tenant's (delegated access):
            // the same test `list` marks `crossTenant` with.
            let tenant = tenancy
                .source_tenant(connection, &found.database.subscription)
                .await?;
            if tenant == crate::tenancy::SourceTenant::Other {
                audited(
                    Status::CrossTenant,
                    message_source,
                    "every source was read; one is in a subscription of another tenant".into(),
                )
            } else {
                audited(Status::Ok, message_source, "every source was read".into())
            }
        }
    })
}

/// Reads one source with each credential in turn until one answer decides.
async fn read_source(client: &ArmClient, id: &ResourceId) -> Result<SourceRead, ArmError> {
    let shown = describe(id);
    let Some(version) = api_version(id) else {
        return Ok(SourceRead::Unknown(format!(
            "adxconn does not know how to read {shown}"
        )));
    };
    let segments: Vec<&str> = id.as_str().trim_start_matches('/').split('/').collect();
    let url = match crate::arm::arm_url_with_version(client.endpoint(), &segments, version) {
        Ok(url) => url,
        Err(error) => return Ok(SourceRead::Unknown(format!("{shown}: {error}"))),
    };
    let mut answers = Vec::new();
    let mut denied = false;
    let mut subscription_missing = None;
    let mut wanted_tenant = None;
    for credential in std::iter::once(None).chain((0..client.auxiliary_count()).map(Some)) {
        let (who, answer) = match credential {
            None => (
                "the signed-in principal".to_string(),
                client.get(&url).await,
            ),
            Some(index) => (
                client.auxiliary_label(index),
                client.get_as_auxiliary(&url, index).await,
            ),
        };
        let error = match answer {
            Ok(_) if credential.is_none() => return Ok(SourceRead::Home),
            Ok(_) => return Ok(SourceRead::Auxiliary(who)),
            Err(error) if error.is_stop() => return Err(error),
            Err(error) => error,
        };
        let ArmError::Api(api) = &error else {
            answers.push(format!("{who}: {error}"));
            continue;
        };
        let answered = format!("{who} got {} {}", api.status.as_u16(), api.code);
        match api.status.as_u16() {
            // A subscription this credential cannot see may exist in another tenant: not
            // decisive while another credential may still see it.
            404 if api.code.eq_ignore_ascii_case("SubscriptionNotFound") => {
                subscription_missing.get_or_insert(format!("{shown} is gone: {answered}"));
                answers.push(answered);
            }
            404 => return Ok(SourceRead::Missing(format!("{shown} is gone: {answered}"))),
            401 if api
                .code
                .eq_ignore_ascii_case("InvalidAuthenticationTokenTenant") =>
            {
                wanted_tenant = wanted_tenant.or_else(|| required_tenant(&api.message));
                answers.push(format!("{who}: {WRONG_TENANT}"));
            }
            401 | 403 => {
                denied = true;
                answers.push(answered);
            }
            _ => answers.push(format!(
                "{answered}: {}",
                crate::text::shorten(&api.message)
            )),
        }
    }
    let tried = answers.join("; ");
    Ok(if denied {
        SourceRead::Denied(format!("{shown} refused every credential: {tried}"))
    } else if let Some(evidence) = subscription_missing {
        SourceRead::Missing(evidence)
    } else if answers.iter().all(|answer| answer.ends_with(WRONG_TENANT)) {
        SourceRead::Unknown(match wanted_tenant {
            Some(tenant) => format!(
                "no credential for tenant `{tenant}`, which owns {shown}; add `--aux-tenant {tenant}`"
            ),
            None => format!(
                "no credential for the tenant that owns {shown}; add `--aux-tenant` with that tenant"
            ),
        })
    } else {
        SourceRead::Unknown(format!("{shown} could not be read: {tried}"))
    })
}

/// What a credential of another tenant is told (401 `InvalidAuthenticationTokenTenant`).
const WRONG_TENANT: &str = "not a token of the source's tenant";

/// A source as people name it: `the Event Hub `ns/hub``.
fn describe(id: &ResourceId) -> String {
    let kind = match id.resource_type().to_ascii_lowercase().as_str() {
        "microsoft.eventhub/namespaces/eventhubs" => "the Event Hub",
        "microsoft.devices/iothubs" => "the IoT Hub",
        "microsoft.storage/storageaccounts" => "the storage account",
        "microsoft.eventgrid/eventsubscriptions" => "the Event Grid subscription",
        "microsoft.documentdb/databaseaccounts" => "the Cosmos DB account",
        _ => return format!("`{}`", crate::text::shorten(id.as_str())),
    };
    format!("{kind} `{}`", id.names().join("/"))
}

/// The tenant ARM names in a 401 `InvalidAuthenticationTokenTenant` ("… It must match the
/// tenant 'https://sts.windows.net/{tenant}/' …").
fn required_tenant(message: &str) -> Option<String> {
    let (_, after) = message.split_once("must match the tenant '")?;
    let url = after.split('\'').next()?;
    let tenant = url.trim_end_matches('/').rsplit('/').next()?;
    let is_guid = tenant.len() == 36 && tenant.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    is_guid.then(|| tenant.to_ascii_lowercase())
}

/// The api-version to read a source with: each provider speaks its own. These are stable
/// versions every public region serves.
fn api_version(id: &ResourceId) -> Option<&'static str> {
    let namespace = id.resource_type().split('/').next()?.to_ascii_lowercase();
    Some(match namespace.as_str() {
        "microsoft.eventhub" => "2024-01-01",
        "microsoft.devices" => "2023-06-30",
        "microsoft.storage" => "2023-05-01",
        "microsoft.eventgrid" => "2022-06-15",
        "microsoft.documentdb" => "2024-11-15",
        _ => return None,
    })
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_stale_ones_are_the_default_prune() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("Source-Missing"), Some(Status::SourceMissing));
        assert_eq!(Status::parse("stale"), None);
        let stale: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_stale()).collect();
        assert_eq!(
            stale,
            [Status::Failed, Status::SourceMissing, Status::AccessDenied]
        );
    }

    #[test]
    fn reads_the_tenant_arm_asks_for() {
        let message = "The access token is from the wrong issuer 'https://sts.windows.net/a/'. It must match the tenant 'https://sts.windows.net/10000000-0000-4000-8000-000000000002/' associated with this subscription.";
        assert_eq!(
            required_tenant(message).as_deref(),
            Some("10000000-0000-4000-8000-000000000002")
        );
        assert_eq!(required_tenant("must match the tenant 'x/'"), None);
        assert_eq!(required_tenant("other"), None);
    }

    const SUB: &str = "12345678-1234-1234-1234-123456789098";

    #[test]
    fn every_source_provider_has_an_api_version() {
        for id in [
            "/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.EventHub/namespaces/n/eventhubs/h",
            "/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.Devices/IotHubs/h",
            "/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a",
            "/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a/providers/Microsoft.EventGrid/eventSubscriptions/e",
            "/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.DocumentDB/databaseAccounts/a",
        ] {
            let id = ResourceId::parse(&id.replace("{SUB}", SUB)).unwrap();
            assert!(api_version(&id).is_some(), "{id}");
        }
        let other = ResourceId::parse(&format!(
            "/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.Sql/servers/x"
        ))
        .unwrap();
        assert_eq!(api_version(&other), None);
    }
}
