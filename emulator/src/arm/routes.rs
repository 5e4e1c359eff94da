//! Which ARM resource a request names, whether the method applies to it,
//! and whether its api-version is one that resource speaks.

use crate::http::Reply;
use crate::log::RecordedRequest;
use crate::text::{pair_value, percent_decode, query_pairs};
use crate::world::resource_type;
use crate::API_VERSION;

/// Subscription api-versions accepted on `GET /subscriptions/{id}` besides
/// [`API_VERSION`]: that route belongs to `Microsoft.Resources`, whose real
/// versions differ from Kusto's.
const SUBSCRIPTION_API_VERSIONS: &[&str] =
    &["2016-06-01", "2020-01-01", "2021-01-01", "2022-12-01"];

/// Which resource a path names. Segments are percent-decoded and keywords
/// compared case-insensitively, since ARM ids come back capitalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Route {
    Subscription(String),
    /// The clusters of a subscription, or of one of its resource groups.
    Clusters {
        subscription: String,
        resource_group: Option<String>,
    },
    Cluster(ClusterPath),
    Databases(ClusterPath),
    Database(DatabasePath),
    DataConnections(DatabasePath),
    DataConnection(DatabasePath, String),
    CheckNameAvailability(DatabasePath),
    DataConnectionValidation(DatabasePath),
    OperationResult {
        subscription: String,
        location: String,
        operation_id: String,
    },
    /// A source resource of data connections (another provider's), by its
    /// id as requested, decoded.
    Source {
        subscription: String,
        id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ClusterPath {
    pub subscription: String,
    pub resource_group: String,
    pub cluster: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DatabasePath {
    pub cluster: ClusterPath,
    pub database: String,
}

impl Route {
    fn parse(path: &str) -> Option<Route> {
        let decoded: Vec<String> = path
            .strip_prefix('/')?
            .split('/')
            .map(percent_decode)
            .collect();
        if decoded.iter().any(String::is_empty) {
            return None;
        }
        let segs: Vec<&str> = decoded.iter().map(String::as_str).collect();
        let kw = |seg: &str, word: &str| seg.eq_ignore_ascii_case(word);
        let owned = |s: &str| s.to_owned();
        match segs.as_slice() {
            [s, sub] if kw(s, "subscriptions") => Some(Route::Subscription(owned(sub))),
            [s, sub, p, ns, l, location, o, id]
                if kw(s, "subscriptions")
                    && kw(p, "providers")
                    && kw(ns, "Microsoft.Kusto")
                    && kw(l, "locations")
                    && kw(o, "operationResults") =>
            {
                Some(Route::OperationResult {
                    subscription: owned(sub),
                    location: owned(location),
                    operation_id: owned(id),
                })
            }
            // Both scopes: the subscription, or one of its resource groups.
            [s, sub, scope @ .., p, ns, c]
                if kw(s, "subscriptions")
                    && (scope.is_empty() || matches!(scope, [g, _] if kw(g, "resourceGroups")))
                    && kw(p, "providers")
                    && kw(ns, "Microsoft.Kusto")
                    && kw(c, "clusters") =>
            {
                Some(Route::Clusters {
                    subscription: owned(sub),
                    resource_group: scope.get(1).map(|g| owned(g)),
                })
            }
            [s, sub, g, _rg, p, ns, rest @ ..]
                if kw(s, "subscriptions")
                    && kw(g, "resourceGroups")
                    && kw(p, "providers")
                    && is_source(ns, rest) =>
            {
                Some(Route::Source {
                    subscription: owned(sub),
                    id: format!("/{}", segs.join("/")),
                })
            }
            [s, sub, g, rg, p, ns, c, cluster, rest @ ..]
                if kw(s, "subscriptions")
                    && kw(g, "resourceGroups")
                    && kw(p, "providers")
                    && kw(ns, "Microsoft.Kusto")
                    && kw(c, "clusters") =>
            {
                let cluster = ClusterPath {
                    subscription: owned(sub),
                    resource_group: owned(rg),
                    cluster: owned(cluster),
                };
                let db = |d: &str| DatabasePath {
                    cluster: cluster.clone(),
                    database: owned(d),
                };
                match rest {
                    [] => Some(Route::Cluster(cluster.clone())),
                    [d] if kw(d, "databases") => Some(Route::Databases(cluster.clone())),
                    [d, database] if kw(d, "databases") => Some(Route::Database(db(database))),
                    [d, database, x] if kw(d, "databases") && kw(x, "dataConnections") => {
                        Some(Route::DataConnections(db(database)))
                    }
                    [d, database, x] if kw(d, "databases") && kw(x, "checkNameAvailability") => {
                        Some(Route::CheckNameAvailability(db(database)))
                    }
                    [d, database, x] if kw(d, "databases") && kw(x, "dataConnectionValidation") => {
                        Some(Route::DataConnectionValidation(db(database)))
                    }
                    [d, database, x, name] if kw(d, "databases") && kw(x, "dataConnections") => {
                        Some(Route::DataConnection(db(database), owned(name)))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    pub(super) fn subscription(&self) -> &str {
        match self {
            Route::Subscription(s)
            | Route::Clusters {
                subscription: s, ..
            }
            | Route::Source {
                subscription: s, ..
            }
            | Route::OperationResult {
                subscription: s, ..
            } => s,
            Route::Cluster(c) | Route::Databases(c) => &c.subscription,
            Route::Database(d)
            | Route::DataConnections(d)
            | Route::DataConnection(d, _)
            | Route::CheckNameAvailability(d)
            | Route::DataConnectionValidation(d) => &d.cluster.subscription,
        }
    }

    fn allows(&self, method: &str) -> bool {
        match self {
            Route::DataConnection(..) => matches!(method, "GET" | "PUT" | "PATCH" | "DELETE"),
            Route::CheckNameAvailability(_) | Route::DataConnectionValidation(_) => {
                method == "POST"
            }
            _ => method == "GET",
        }
    }

    /// The RBAC action a request performs, for 403 messages.
    pub(super) fn action(&self, method: &str) -> String {
        let action = match (self, method) {
            (Route::Source { id, .. }, _) => return read_action(id),
            (Route::Subscription(_), _) => "Microsoft.Resources/subscriptions/read",
            (Route::Clusters { .. } | Route::Cluster(_), _) => "Microsoft.Kusto/clusters/read",
            (Route::Databases(_) | Route::Database(_), _) => {
                "Microsoft.Kusto/clusters/databases/read"
            }
            (Route::OperationResult { .. }, _) => "Microsoft.Kusto/locations/operationResults/read",
            (Route::CheckNameAvailability(_), _) => {
                "Microsoft.Kusto/clusters/databases/checkNameAvailability/action"
            }
            (Route::DataConnectionValidation(_), _) => {
                "Microsoft.Kusto/clusters/databases/dataConnectionValidation/action"
            }
            (_, "PUT" | "PATCH") => "Microsoft.Kusto/clusters/databases/dataConnections/write",
            (_, "DELETE") => "Microsoft.Kusto/clusters/databases/dataConnections/delete",
            _ => "Microsoft.Kusto/clusters/databases/dataConnections/read",
        };
        action.to_owned()
    }
}

/// Whether `namespace` and the segments after it name a source resource
/// type: an Event Hub, IoT Hub, storage account, Cosmos DB account, or an
/// Event Grid subscription on a storage account or a system topic.
fn is_source(namespace: &str, rest: &[&str]) -> bool {
    let kw = |seg: &str, word: &str| seg.eq_ignore_ascii_case(word);
    match rest {
        [n, _, h, _] if kw(namespace, "Microsoft.EventHub") => {
            kw(n, "namespaces") && kw(h, "eventhubs")
        }
        [t, _, e, _] if kw(namespace, "Microsoft.EventGrid") => {
            kw(t, "systemTopics") && kw(e, "eventSubscriptions")
        }
        [h, _] if kw(namespace, "Microsoft.Devices") => kw(h, "IotHubs"),
        [a, _] if kw(namespace, "Microsoft.DocumentDB") => kw(a, "databaseAccounts"),
        [a, _] if kw(namespace, "Microsoft.Storage") => kw(a, "storageAccounts"),
        [a, _, p, eg, e, _] if kw(namespace, "Microsoft.Storage") => {
            kw(a, "storageAccounts")
                && kw(p, "providers")
                && kw(eg, "Microsoft.EventGrid")
                && kw(e, "eventSubscriptions")
        }
        _ => false,
    }
}

/// The subscription segment of a resource id or request path.
pub(super) fn subscription_of(id: &str) -> Option<&str> {
    let mut segments = id.trim_start_matches('/').split('/');
    match (segments.next(), segments.next()) {
        (Some(s), Some(sub)) if s.eq_ignore_ascii_case("subscriptions") && !sub.is_empty() => {
            Some(sub)
        }
        _ => None,
    }
}

/// The RBAC read action on a resource id's type, e.g.
/// `Microsoft.EventHub/namespaces/eventhubs/read`.
pub(super) fn read_action(id: &str) -> String {
    let resource_type = resource_type(id);
    if resource_type.is_empty() {
        "read".to_owned()
    } else {
        format!("{resource_type}/read")
    }
}

/// A request ARM can route.
#[derive(Debug)]
pub(super) struct Routed<'r> {
    pub route: Route,
    /// Uppercase.
    pub method: String,
    pub path: &'r str,
    /// The raw query string, which signed status URLs are checked against.
    pub query: &'r str,
    /// The query's decoded pairs.
    pub params: Vec<(String, String)>,
}

/// The route of `req`, or the 404 (no such route), 405 (method) or 400
/// (api-version) ARM answers instead.
pub(super) fn resolve(req: &RecordedRequest) -> Result<Routed<'_>, Reply> {
    let (path, query) = req
        .path_and_query
        .split_once('?')
        .unwrap_or((req.path_and_query.as_str(), ""));
    let Some(route) = Route::parse(path) else {
        return Err(Reply::arm_error(
            404,
            "NoRoute",
            format!("The emulator has no route for '{} {path}'.", req.method),
        ));
    };
    let method = req.method.to_ascii_uppercase();
    if !route.allows(&method) {
        return Err(Reply::arm_error(
            405,
            "MethodNotAllowed",
            format!("The HTTP method '{method}' is not supported for '{path}'."),
        ));
    }
    let params = query_pairs(query);
    check_api_version(&route, pair_value(&params, "api-version"))?;
    Ok(Routed {
        route,
        method,
        path,
        query,
        params,
    })
}

fn check_api_version(route: &Route, version: Option<&str>) -> Result<(), Reply> {
    let Some(version) = version.filter(|v| !v.is_empty()) else {
        return Err(Reply::arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    if let Route::Source { id, .. } = route {
        return check_source_api_version(id, version);
    }
    if version == API_VERSION {
        return Ok(());
    }
    match route {
        Route::Source { .. } => Ok(()),
        Route::Subscription(_) if SUBSCRIPTION_API_VERSIONS.contains(&version) => Ok(()),
        Route::Subscription(_) => Err(Reply::arm_error(
            400,
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{version}' is invalid. The supported versions are '{API_VERSION},{}'.",
                SUBSCRIPTION_API_VERSIONS.join(",")
            ),
        )),
        _ => Err(Reply::arm_error(
            400,
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for api version '{version}' for type 'Microsoft.Kusto'. The api-version '{version}' is invalid. The supported versions are '{API_VERSION}'."
            ),
        )),
    }
}

/// Stable api-versions of the providers whose resources data connections
/// read (a few of each, the newest last): a client that guesses a Kusto
/// version for an Event Hub is refused, as by ARM.
const SOURCE_API_VERSIONS: &[(&str, &[&str])] = &[
    (
        "Microsoft.EventHub",
        &["2017-04-01", "2021-11-01", "2024-01-01"],
    ),
    ("Microsoft.Devices", &["2021-07-02", "2023-06-30"]),
    (
        "Microsoft.Storage",
        &["2022-09-01", "2023-01-01", "2023-05-01"],
    ),
    (
        "Microsoft.EventGrid",
        &["2020-06-01", "2022-06-15", "2025-02-15"],
    ),
    (
        "Microsoft.DocumentDB",
        &["2021-10-15", "2023-04-15", "2024-11-15"],
    ),
];

/// The provider of a source id is that of its last `providers` section (an
/// Event Grid subscription on a storage account is Microsoft.EventGrid's).
fn check_source_api_version(id: &str, version: &str) -> Result<(), Reply> {
    let segments: Vec<&str> = id.split('/').collect();
    let namespace = segments
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))
        .and_then(|i| segments.get(i + 1))
        .copied()
        .unwrap_or_default();
    let known = SOURCE_API_VERSIONS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(namespace));
    match known {
        Some((_, versions)) if versions.contains(&version) => Ok(()),
        Some((name, versions)) => Err(Reply::arm_error(
            400,
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for api version '{version}' for type '{name}'. The supported api-versions are '{}'.",
                versions.join(", ")
            ),
        )),
        // A provider the emulator does not model: any version reaches the 404.
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/d";

    fn db() -> DatabasePath {
        DatabasePath {
            cluster: ClusterPath {
                subscription: "s".to_owned(),
                resource_group: "rg".to_owned(),
                cluster: "c".to_owned(),
            },
            database: "d".to_owned(),
        }
    }

    #[test]
    fn routes() {
        assert_eq!(
            Route::parse("/subscriptions/s"),
            Some(Route::Subscription("s".to_owned()))
        );
        assert_eq!(
            Route::parse(&format!("{B}/dataConnections")),
            Some(Route::DataConnections(db()))
        );
        assert_eq!(
            Route::parse("/SUBSCRIPTIONS/s/resourcegroups/rg/providers/microsoft.kusto/Clusters/c/Databases/d/DataConnections/n"),
            Some(Route::DataConnection(db(), "n".to_owned()))
        );
        assert_eq!(
            Route::parse(&format!("{B}/checkNameAvailability")),
            Some(Route::CheckNameAvailability(db()))
        );
        assert_eq!(
            Route::parse("/subscriptions/s/providers/Microsoft.Kusto/locations/West%20Europe/operationResults/id"),
            Some(Route::OperationResult {
                subscription: "s".to_owned(),
                location: "West Europe".to_owned(),
                operation_id: "id".to_owned(),
            })
        );
        assert_eq!(
            Route::parse("/subscriptions/s/providers/Microsoft.Kusto/Clusters"),
            Some(Route::Clusters {
                subscription: "s".to_owned(),
                resource_group: None
            })
        );
        assert_eq!(
            Route::parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters"),
            Some(Route::Clusters {
                subscription: "s".to_owned(),
                resource_group: Some("rg".to_owned())
            })
        );
        assert_eq!(
            Route::parse(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/Databases"
            ),
            Some(Route::Databases(db().cluster))
        );
        let g = "/subscriptions/s/resourceGroups/g/providers";
        for source in [
            format!("{g}/Microsoft.EventHub/namespaces/n/eventhubs/h"),
            format!("{g}/Microsoft.Devices/IotHubs/h"),
            format!("{g}/Microsoft.Storage/storageAccounts/a"),
            format!("{g}/microsoft.storage/storageaccounts/a/providers/Microsoft.EventGrid/eventSubscriptions/e"),
            format!("{g}/Microsoft.EventGrid/systemTopics/t/eventSubscriptions/e"),
            format!("{g}/Microsoft.DocumentDB/databaseAccounts/a"),
        ] {
            assert_eq!(
                Route::parse(&source),
                Some(Route::Source {
                    subscription: "s".to_owned(),
                    id: source.clone()
                }),
                "{source}"
            );
        }
        for bad in [
            "",
            "/",
            "/subscriptions/s/providers/Microsoft.Kusto",
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.EventHub/namespaces/n",
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a/blobServices/default",
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/servers/x",
            "/subscriptions",
            "/subscriptions/",
            &format!("{B}/dataConnections/"),
            &format!("{B}/x/y"),
        ] {
            assert_eq!(Route::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_patch_is_a_write_of_a_connection() {
        let connection = Route::DataConnection(db(), "n".to_owned());
        for method in ["GET", "PUT", "PATCH", "DELETE"] {
            assert!(connection.allows(method), "{method}");
        }
        assert!(!connection.allows("POST"));
        assert!(!Route::DataConnections(db()).allows("PATCH"));
        assert_eq!(
            connection.action("PATCH"),
            "Microsoft.Kusto/clusters/databases/dataConnections/write"
        );
    }

    #[test]
    fn read_actions_follow_the_resource_type() {
        assert_eq!(
            read_action("/subscriptions/s/resourceGroups/g/providers/Microsoft.EventHub/namespaces/n/eventhubs/h"),
            "Microsoft.EventHub/namespaces/eventhubs/read"
        );
        assert_eq!(
            read_action("/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a/providers/Microsoft.EventGrid/eventSubscriptions/e"),
            "Microsoft.EventGrid/eventSubscriptions/read"
        );
        assert_eq!(
            read_action("/subscriptions/s/resourceGroups/g/providers/Microsoft.EventGrid/systemTopics/t/eventSubscriptions/e"),
            "Microsoft.EventGrid/systemTopics/eventSubscriptions/read"
        );
        assert_eq!(
            read_action("/subscriptions/s/resourceGroups/g"),
            "Microsoft.Resources/subscriptions/resourceGroups/read"
        );
        assert_eq!(
            read_action(""),
            "Microsoft.Resources/subscriptions/resourceGroups/read"
        );
        assert_eq!(read_action("/providers"), "read");
    }

    #[test]
    fn subscriptions_are_read_leniently() {
        assert_eq!(subscription_of("/SUBSCRIPTIONS/abc/x"), Some("abc"));
        assert_eq!(subscription_of("/subscriptions/"), None);
        assert_eq!(subscription_of("/tenants/abc"), None);
        assert_eq!(subscription_of(""), None);
    }
}
