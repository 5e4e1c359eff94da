//! Sweeping a fleet over HTTPS: clusters and databases listed at every
//! scope and paged, source resources present, deleted, forbidden or in
//! another tenant, ARM's throttling, Kusto's transient and permanent delete
//! failures, latency, and the request counts a test asserts on.

mod common;

use std::time::{Duration, Instant};

use adxconn_emulator::{
    demo, source_id, Bucket, Emulator, Fault, FaultRule, Fleet, SeedConnection, SourceCase,
    SourceState, Throttling, World, API_VERSION,
};
use common::{Arm, Response};
use serde_json::{json, Value};

fn start(fleet: &Fleet) -> Emulator {
    let emulator = Emulator::start(fleet.world()).unwrap_or_else(|e| panic!("start: {e}"));
    emulator.seed_connections(fleet.connections());
    emulator.set_operation_duration(Duration::from_millis(30));
    emulator
}

/// [`start`], throttled like ARM but with this delete bucket.
fn start_throttled(fleet: &Fleet, deletes: Bucket) -> Emulator {
    let emulator = start(fleet);
    emulator.set_throttling(Some(Throttling {
        deletes,
        ..Throttling::arm()
    }));
    emulator
}

fn bearer(emulator: &Emulator, tenant: &str) -> String {
    format!(
        "Bearer {}",
        emulator.mint_token(tenant, demo::CLIENT_ID, Duration::from_secs(600))
    )
}

fn with_version(path: &str) -> String {
    format!("{path}?api-version={API_VERSION}")
}

fn group(name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{name}",
        demo::SUBSCRIPTION
    )
}

fn database(group_name: &str, cluster: &str, database: &str) -> String {
    format!(
        "{}/providers/Microsoft.Kusto/clusters/{cluster}/databases/{database}",
        group(group_name)
    )
}

fn connection_url(group_name: &str, cluster: &str, db: &str, name: &str) -> String {
    with_version(&format!(
        "{}/dataConnections/{name}",
        database(group_name, cluster, db)
    ))
}

/// Every item of a list, following `nextLink`s; also how many pages it took.
fn list_all(arm: &mut Arm<'_>, first: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut next = Some(first.to_owned());
    let mut pages = 0;
    while let Some(url) = next {
        let r = arm.call("GET", &url, "");
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        pages += 1;
        let body = r.json();
        items.extend(body["value"].as_array().cloned().unwrap_or_default());
        next = body["nextLink"].as_str().map(str::to_owned);
        assert!(pages < 100, "endless paging");
    }
    (items, pages)
}

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn clusters_and_databases_are_listed_at_every_scope_and_paged() {
    let fleet = Fleet::new(3, 12, 60);
    let emulator = start(&fleet);
    emulator.set_page_size(Some(2));
    let mut arm = Arm::new(&emulator);

    let subscription = format!(
        "/subscriptions/{}/providers/Microsoft.Kusto/clusters",
        demo::SUBSCRIPTION
    );
    let (clusters, pages) = list_all(&mut arm, &with_version(&subscription));
    assert_eq!(names(&clusters), ["adxdemo", "fleet0", "fleet1", "fleet2"]);
    assert_eq!(pages, 2);
    assert_eq!(
        clusters[1]["id"],
        format!(
            "/subscriptions/{}/resourceGroups/rg-fleet-0/providers/Microsoft.Kusto/Clusters/fleet0",
            demo::SUBSCRIPTION
        )
    );
    assert_eq!(clusters[1]["type"], "Microsoft.Kusto/Clusters");
    assert_eq!(clusters[1]["location"], demo::LOCATION);
    assert_eq!(clusters[1]["properties"]["state"], "Running");
    assert_eq!(clusters[1]["properties"]["provisioningState"], "Succeeded");

    // The first page points at the same list, on the same origin.
    let first = arm.call("GET", &with_version(&subscription), "").json();
    let next = first["nextLink"].as_str().unwrap_or_default();
    assert!(
        next.starts_with(&format!("{}{subscription}?", emulator.url())),
        "{next}"
    );

    let in_group = |name: &str| {
        with_version(&format!(
            "{}/providers/Microsoft.Kusto/clusters",
            group(name)
        ))
    };
    let (clusters, _) = list_all(&mut arm, &in_group("RG-FLEET-0"));
    assert_eq!(names(&clusters), ["fleet0", "fleet2"]);
    let (clusters, pages) = list_all(&mut arm, &in_group("rg-fleet-1"));
    assert_eq!((names(&clusters), pages), (vec!["fleet1".to_owned()], 1));

    let r = arm.call("GET", &in_group("rg-nowhere"), "");
    assert_eq!(
        (r.status, r.error_code()),
        (404, json!("ResourceGroupNotFound"))
    );
    let r = arm.call(
        "GET",
        &with_version("/subscriptions/00000000-0000-0000-0000-00000000dead/providers/Microsoft.Kusto/clusters"),
        "",
    );
    assert_eq!(
        (r.status, r.error_code()),
        (404, json!("SubscriptionNotFound"))
    );

    // Cluster fleet0 holds databases 0, 3, 6 and 9.
    let databases = with_version(&format!(
        "{}/providers/Microsoft.Kusto/clusters/fleet0/databases",
        group("rg-fleet-0")
    ));
    let (dbs, pages) = list_all(&mut arm, &databases);
    assert_eq!(
        names(&dbs),
        ["fleet0/db00", "fleet0/db03", "fleet0/db06", "fleet0/db09"]
    );
    assert_eq!(pages, 2);
    assert_eq!(dbs[0]["type"], "Microsoft.Kusto/Clusters/Databases");
    assert_eq!(dbs[0]["kind"], "ReadWrite");
    assert_eq!(dbs[0]["location"], demo::LOCATION);
    assert!(dbs[0]["id"]
        .as_str()
        .unwrap_or_default()
        .ends_with("/Clusters/fleet0/Databases/db00"));
    let r = arm.call(
        "GET",
        &with_version(&format!(
            "{}/providers/Microsoft.Kusto/clusters/nope/databases",
            group("rg-fleet-0")
        )),
        "",
    );
    assert_eq!((r.status, r.error_code()), (404, json!("ResourceNotFound")));

    // Every connection of every database, page by page: all 60, once each.
    let mut seen = Vec::new();
    for j in 0..12 {
        let (rg, cluster) = (
            format!("rg-fleet-{}", (j % 3) % 2),
            format!("fleet{}", j % 3),
        );
        let list = with_version(&format!(
            "{}/dataConnections",
            database(&rg, &cluster, &format!("db{j:02}"))
        ));
        let (connections, pages) = list_all(&mut arm, &list);
        assert_eq!((connections.len(), pages), (5, 3), "{list}");
        seen.extend(names(&connections));
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 60);

    // Without a page size, one page.
    emulator.set_page_size(None);
    let (clusters, pages) = list_all(&mut arm, &with_version(&subscription));
    assert_eq!((clusters.len(), pages), (4, 1));
}

#[test]
fn seeded_connections_show_their_provisioning_state_and_sources() {
    let fleet = Fleet::new(3, 12, 60);
    let emulator = start(&fleet);
    let mut arm = Arm::new(&emulator);
    // dc006 is the 7th: Failed, in database 6 of cluster fleet0.
    let r = arm.call(
        "GET",
        &connection_url("rg-fleet-0", "fleet0", "db06", "dc006"),
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["properties"]["provisioningState"], "Failed");
    assert_eq!(r.json()["kind"], "EventGrid");
    let r = arm.call(
        "GET",
        &connection_url("rg-fleet-0", "fleet0", "db00", "dc000"),
        "",
    );
    assert_eq!(r.json()["properties"]["provisioningState"], "Succeeded");

    // A hand-made seed, sources and all.
    let world = World::demo();
    let hub = source_id::event_hub(demo::SUBSCRIPTION, "rg-src", "ns", "mine");
    let seed = SeedConnection::new(
        &world.clusters[0],
        demo::DATABASE,
        "mine",
        "EventHub",
        json!({"eventHubResourceId": hub, "consumerGroup": "cg"}),
    )
    .provisioning_state("Canceled");
    assert_eq!(seed.sources(), vec![hub.clone()]);
    emulator.seed_connection(seed);
    let got = emulator
        .connection(
            demo::SUBSCRIPTION,
            demo::RESOURCE_GROUP,
            demo::CLUSTER,
            demo::DATABASE,
            "mine",
        )
        .unwrap_or_default();
    assert_eq!(got["properties"]["provisioningState"], "Canceled");
    assert_eq!(got["properties"]["eventHubResourceId"], hub);
    assert!(emulator.arm_requests().iter().all(|r| r.method == "GET"));
}

#[test]
fn sources_answer_present_deleted_forbidden_and_wrong_tenant() {
    let fleet = Fleet::new(1, 1, 16);
    let emulator = start(&fleet);
    let mut arm = Arm::new(&emulator);
    let other = bearer(&emulator, demo::OTHER_TENANT);
    let get = |arm: &mut Arm<'_>, id: &str, version: &str, auth: Option<&str>| -> Response {
        let url = format!("{id}?api-version={version}");
        match auth {
            Some(auth) => {
                let saved = std::mem::replace(&mut arm.bearer, auth.to_owned());
                let r = arm.call("GET", &url, "");
                arm.bearer = saved;
                r
            }
            None => arm.call("GET", &url, ""),
        }
    };
    for (i, seed) in fleet.connections().iter().enumerate() {
        for id in &seed.sources() {
            let version = source_version(id);
            let r = get(&mut arm, id, version, None);
            let expected = match fleet.source_case(i) {
                SourceCase::Present => (200, Value::Null),
                SourceCase::Deleted => (404, json!("ResourceNotFound")),
                SourceCase::Forbidden => (403, json!("AuthorizationFailed")),
                SourceCase::OtherTenant => (401, json!("InvalidAuthenticationTokenTenant")),
            };
            assert_eq!((r.status, r.error_code()), expected, "{id}: {}", r.body);
            if r.status == 200 {
                assert_eq!(r.json()["id"], id.as_str());
                assert_eq!(r.json()["location"], demo::LOCATION);
            }
            if r.status == 403 {
                let message = r.json()["error"]["message"].to_string();
                assert!(message.contains(id.as_str()), "{message}");
                assert!(message.contains("/read'"), "{message}");
            }
            // A token of the source's own tenant reads the other tenant's sources.
            if fleet.source_case(i) == SourceCase::OtherTenant {
                let r = get(&mut arm, id, version, Some(&other));
                assert_eq!(r.status, 200, "{id}: {}", r.body);
            }
        }
    }

    let shapes = [
        (
            source_id::event_hub(demo::SUBSCRIPTION, "g", "ns", "eh"),
            "Microsoft.EventHub/namespaces/eventhubs",
            "eh",
        ),
        (
            source_id::iot_hub(demo::SUBSCRIPTION, "g", "iot"),
            "Microsoft.Devices/IotHubs",
            "iot",
        ),
        (
            source_id::storage_account(demo::SUBSCRIPTION, "g", "st"),
            "Microsoft.Storage/storageAccounts",
            "st",
        ),
        (
            source_id::event_grid_subscription(
                &source_id::storage_account(demo::SUBSCRIPTION, "g", "st"),
                "eg",
            ),
            "Microsoft.EventGrid/eventSubscriptions",
            "eg",
        ),
        (
            source_id::cosmos_db_account(demo::SUBSCRIPTION, "g", "cosmos"),
            "Microsoft.DocumentDB/databaseAccounts",
            "cosmos",
        ),
    ];
    for (id, resource_type, name) in &shapes {
        // Never seeded, in a known subscription: 404.
        let r = get(&mut arm, id, source_version(id), None);
        assert_eq!((r.status, r.error_code()), (404, json!("ResourceNotFound")));
        emulator.with_world(|w| w.set_source(id, SourceState::Present));
        let r = get(&mut arm, &id.to_ascii_uppercase(), source_version(id), None);
        assert_eq!(r.status, 200, "{id}: {}", r.body);
        assert_eq!(
            r.json(),
            json!({"id": id, "name": name, "type": resource_type, "location": demo::LOCATION})
        );
        // Deleted mid-test.
        emulator.with_world(|w| w.set_source(id, SourceState::Deleted));
        assert_eq!(get(&mut arm, id, source_version(id), None).status, 404);
    }
    let (id, ..) = &shapes[0];
    let r = arm.call("GET", id, "");
    assert_eq!(
        (r.status, r.error_code()),
        (400, json!("MissingApiVersionParameter"))
    );
    // Each provider speaks its own versions: Kusto's is refused for an Event Hub.
    let r = get(&mut arm, id, API_VERSION, None);
    assert_eq!(
        (r.status, r.error_code()),
        (400, json!("NoRegisteredProviderFound"))
    );
    let r = arm.call(
        "DELETE",
        &format!("{id}?api-version={}", source_version(id)),
        "",
    );
    assert_eq!(r.status, 405);
    let unknown = source_id::event_hub("00000000-0000-0000-0000-00000000dead", "g", "n", "h");
    let r = get(&mut arm, &unknown, source_version(&unknown), None);
    assert_eq!(
        (r.status, r.error_code()),
        (404, json!("SubscriptionNotFound"))
    );
}

#[test]
fn throttling_answers_429_with_retry_after_and_applies_nothing() {
    let emulator = start_throttled(&Fleet::new(1, 1, 5).healthy(), Bucket::new(2, 0.5));
    let mut arm = Arm::new(&emulator);
    let url = |i: usize| connection_url("rg-fleet-0", "fleet0", "db00", &format!("dc{i:03}"));

    let r = arm.call("GET", &url(0), "");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("x-ms-ratelimit-remaining-subscription-reads"),
        Some("249")
    );
    for (i, left) in [(0, "1"), (1, "0")] {
        let r = arm.call("DELETE", &url(i), "");
        assert_eq!(r.status, 202, "{}", r.body);
        assert_eq!(
            r.header("x-ms-ratelimit-remaining-subscription-deletes"),
            Some(left)
        );
    }
    let r = arm.call("DELETE", &url(2), "");
    assert_eq!((r.status, r.error_code()), (429, json!("TooManyRequests")));
    let retry_after: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(
        r.header("x-ms-ratelimit-remaining-subscription-deletes"),
        Some("0")
    );
    // Not applied: dc002 is as it was, while reads still pass.
    let r = arm.call("GET", &url(2), "");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        r.header("x-ms-ratelimit-remaining-subscription-reads"),
        Some("248")
    );
    // Another principal has buckets of its own.
    let saved = std::mem::replace(
        &mut arm.bearer,
        format!(
            "Bearer {}",
            emulator.mint_token(
                demo::TENANT,
                demo::READER_CLIENT_ID,
                Duration::from_secs(60)
            )
        ),
    );
    let r = arm.call("DELETE", &url(2), "");
    assert_eq!(
        (r.status, r.error_code()),
        (403, json!("AuthorizationFailed"))
    );
    arm.bearer = saved;
    let stats = emulator.stats();
    assert_eq!(stats.throttled, 1);
    assert_eq!(stats.methods.get("DELETE"), Some(&4));

    // Off again: no more 429s, no more counts.
    emulator.set_throttling(None);
    let r = arm.call("DELETE", &url(2), "");
    assert_eq!(r.status, 202);
    assert_eq!(
        r.header("x-ms-ratelimit-remaining-subscription-deletes"),
        Some("799")
    );
}

#[test]
fn transient_conflicts_clear_and_a_permanent_failure_stays_alone() {
    let fleet = Fleet::new(1, 1, 4).healthy();
    let emulator = start(&fleet);
    let url = |i: usize| connection_url("rg-fleet-0", "fleet0", "db00", &format!("dc{i:03}"));
    emulator.inject(
        FaultRule::new(Fault::Conflict {
            code: "RequestConflict".to_owned(),
        })
        .method("DELETE")
        .connection("dc001")
        .times(2),
    );
    emulator.inject(
        FaultRule::new(Fault::Conflict {
            code: "ServiceIsInMaintenance".to_owned(),
        })
        .method("DELETE")
        .times(1),
    );
    emulator.inject(
        FaultRule::new(Fault::Error {
            status: 400,
            code: "DeleteBlocked".to_owned(),
            message: "The data connection 'dc003' is protected by a lock.".to_owned(),
        })
        .method("DELETE")
        .connection("dc003")
        .always(),
    );
    let mut arm = Arm::new(&emulator);

    // dc000 meets the one maintenance conflict, then goes.
    let r = arm.call("DELETE", &url(0), "");
    assert_eq!(
        (r.status, r.error_code()),
        (409, json!("ServiceIsInMaintenance"))
    );
    assert_eq!(arm.call("DELETE", &url(0), "").status, 202);

    // dc001 meets its two, then goes.
    for _ in 0..2 {
        let r = arm.call("DELETE", &url(1), "");
        assert_eq!((r.status, r.error_code()), (409, json!("RequestConflict")));
        let message = r.json()["error"]["message"].to_string();
        assert!(
            message.contains("another operation is in progress"),
            "{message}"
        );
        assert!(r.header("x-ms-request-id").is_some());
    }
    assert_eq!(arm.call("DELETE", &url(1), "").status, 202);

    // dc003 fails every time, dc002 is not affected.
    for _ in 0..3 {
        let r = arm.call("DELETE", &url(3), "");
        assert_eq!((r.status, r.error_code()), (400, json!("DeleteBlocked")));
        assert_eq!(
            r.json()["error"]["message"],
            "The data connection 'dc003' is protected by a lock."
        );
    }
    assert_eq!(arm.call("DELETE", &url(2), "").status, 202);
    std::thread::sleep(Duration::from_millis(60));
    let left: Vec<String> = emulator
        .connections()
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(left, ["fleet0/db00/dc003"]);
    let stats = emulator.stats();
    assert_eq!(stats.faults.get("conflict"), Some(&3));
    assert_eq!(stats.faults.get("status_400"), Some(&3));
}

#[test]
fn latency_delays_every_answer_concurrently() {
    let fleet = Fleet::new(1, 2, 8).healthy();
    let emulator = start(&fleet);
    emulator.set_latency(Duration::from_millis(150));
    let url = with_version(&format!(
        "{}/dataConnections",
        database("rg-fleet-0", "fleet0", "db00")
    ));
    let started = Instant::now();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let mut arm = Arm::new(&emulator);
                    let begun = Instant::now();
                    let r = arm.call("GET", &url, "");
                    assert_eq!(r.status, 200);
                    begun.elapsed()
                })
            })
            .collect();
        for handle in handles {
            let took = handle.join().unwrap_or_default();
            assert!(took >= Duration::from_millis(150), "{took:?}");
        }
    });
    // Eight delayed answers at once, not one after the other.
    assert!(
        started.elapsed() < Duration::from_millis(8 * 150),
        "{:?}",
        started.elapsed()
    );
    let stats = emulator.stats();
    assert_eq!(stats.methods.get("GET"), Some(&8));
    assert_eq!(stats.methods.get("DELETE"), None);
    assert!(emulator.arm_requests().iter().all(|r| r.method != "DELETE"));
}

#[test]
fn concurrent_deletes_under_throttling_each_apply_once() {
    let fleet = Fleet::new(2, 4, 40).healthy();
    // A small delete bucket that refills fast: some 429s, then tokens again.
    let emulator = start_throttled(&fleet, Bucket::new(10, 100.0));
    emulator.set_latency(Duration::from_millis(5));
    let seeds = fleet.connections();
    let accepted: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = seeds
            .chunks(5)
            .map(|chunk| {
                let emulator = &emulator;
                scope.spawn(move || {
                    let mut arm = Arm::new(emulator);
                    let mut accepted = 0;
                    for seed in chunk {
                        let url = connection_url(
                            &seed.resource_group,
                            &seed.cluster,
                            &seed.database,
                            &seed.name,
                        );
                        for _attempt in 0..200 {
                            let r = arm.call("DELETE", &url, "");
                            if r.status == 429 {
                                assert!(r.header("retry-after").is_some());
                                std::thread::sleep(Duration::from_millis(10));
                                continue;
                            }
                            assert_eq!(r.status, 202, "{}", r.body);
                            accepted += 1;
                            break;
                        }
                    }
                    accepted
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    assert_eq!(accepted, 40);
    let stats = emulator.stats();
    assert_eq!(stats.methods.get("DELETE"), Some(&(40 + stats.throttled)));
    std::thread::sleep(Duration::from_millis(60));
    assert!(emulator.connections().is_empty());

    // A bucket that refills gives a token back after a while.
    emulator.set_throttling(Some(Throttling::uniform(1, 20.0)));
    let mut arm = Arm::new(&emulator);
    let list = with_version(&format!(
        "{}/dataConnections",
        database("rg-fleet-0", "fleet0", "db00")
    ));
    assert_eq!(arm.call("GET", &list, "").status, 200);
    let r = arm.call("GET", &list, "");
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    std::thread::sleep(Duration::from_millis(80));
    assert_eq!(arm.call("GET", &list, "").status, 200);
}

/// A version each source's provider speaks (the emulator refuses others), chosen by the
/// provider of the id's last `providers` section.
fn source_version(id: &str) -> &'static str {
    let id = id.to_ascii_lowercase();
    let provider = id.rsplit("/providers/").next().unwrap_or_default();
    match provider.split('/').next().unwrap_or_default() {
        "microsoft.eventhub" => "2024-01-01",
        "microsoft.devices" => "2023-06-30",
        "microsoft.storage" => "2023-05-01",
        "microsoft.eventgrid" => "2022-06-15",
        _ => "2024-11-15",
    }
}
