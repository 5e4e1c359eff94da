//! `list` over scopes wider than one database: a cluster, a resource group, a subscription.

use adxconn_emulator::demo;
use serde_json::json;

use crate::support::{eventhub_id, iothub_id, TestEnv};

/// Two connections in each demo database, one of them IoT Hub.
fn seeded() -> TestEnv {
    let env = TestEnv::new();
    for database in [demo::DATABASE, demo::STAGING_DATABASE] {
        for (name, kind, properties) in [
            (
                "zeta-eh",
                "EventHub",
                json!({"eventHubResourceId": eventhub_id("h"), "consumerGroup": "$Default"}),
            ),
            (
                "Alpha-iot",
                "IotHub",
                json!({"iotHubResourceId": iothub_id(), "consumerGroup": "$Default",
                       "sharedAccessPolicyName": "registryRead"}),
            ),
        ] {
            env.emulator.insert_connection(
                demo::SUBSCRIPTION,
                demo::RESOURCE_GROUP,
                demo::CLUSTER,
                database,
                name,
                kind,
                properties,
            );
        }
    }
    env
}

fn list(env: &TestEnv, scope: &[&str], extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["list", "--subscription", demo::SUBSCRIPTION];
    args.extend(scope);
    args.extend(extra);
    env.run(&args)
}

/// `(database, name)` of each JSON item, in order.
fn listed(run: &crate::support::Run) -> Vec<(String, String)> {
    run.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let parts: Vec<&str> = item["name"].as_str().unwrap().split('/').collect();
            (parts[1].to_string(), parts[2].to_string())
        })
        .collect()
}

fn expected_all() -> Vec<(String, String)> {
    // Sorted by database, then name, case-insensitively.
    [
        (demo::STAGING_DATABASE, "Alpha-iot"),
        (demo::STAGING_DATABASE, "zeta-eh"),
        (demo::DATABASE, "Alpha-iot"),
        (demo::DATABASE, "zeta-eh"),
    ]
    .map(|(database, name)| (database.to_string(), name.to_string()))
    .to_vec()
}

#[test]
fn every_scope_lists_exactly_the_seeded_set_sorted() {
    let env = seeded();
    env.emulator.set_page_size(Some(1));
    let cluster = list(
        &env,
        &["-g", demo::RESOURCE_GROUP, "--cluster", demo::CLUSTER],
        &["-o", "json"],
    );
    cluster.expect(0);
    assert_eq!(listed(&cluster), expected_all());
    let group = list(&env, &["-g", demo::RESOURCE_GROUP], &["-o", "json"]);
    group.expect(0);
    assert_eq!(listed(&group), expected_all());
    let subscription = list(&env, &[], &["-o", "json"]);
    subscription.expect(0);
    assert_eq!(listed(&subscription), expected_all());
    // Items stay ARM resources plus crossTenant.
    let first = &subscription.json()[0];
    assert_eq!(first["kind"], "IotHub");
    assert!(first.get("crossTenant").is_some(), "{first}");
}

#[test]
fn filters_keep_only_the_kind_and_names_asked_for() {
    let env = seeded();
    let run = list(
        &env,
        &["-g", demo::RESOURCE_GROUP, "--cluster", demo::CLUSTER],
        &["--kind", "iothub", "-o", "json"],
    );
    run.expect(0);
    let names: Vec<String> = listed(&run).into_iter().map(|(_, name)| name).collect();
    assert_eq!(names, ["Alpha-iot", "Alpha-iot"]);
    let run = list(
        &env,
        &["-g", demo::RESOURCE_GROUP],
        &["--name-pattern", "ZETA-*", "-o", "json"],
    );
    run.expect(0);
    let names: Vec<String> = listed(&run).into_iter().map(|(_, name)| name).collect();
    assert_eq!(names, ["zeta-eh", "zeta-eh"]);
    let sent = env.arm_requests().len();
    let run = list(&env, &[], &["--kind", "kafka"]);
    run.expect(2);
    assert!(run.stderr.contains("--kind"), "{}", run.stderr);
    assert_eq!(env.arm_requests().len(), sent, "no request for bad input");
}

#[test]
fn the_table_names_cluster_and_database_when_the_scope_spans_several() {
    let env = seeded();
    let wide = list(&env, &["-g", demo::RESOURCE_GROUP], &[]);
    wide.expect(0);
    let header = wide.stdout.lines().next().unwrap();
    assert!(
        header.contains("CLUSTER") && header.contains("DATABASE"),
        "{header}"
    );
    assert_eq!(wide.stdout.lines().count(), 5, "{}", wide.stdout);
    let one = list(
        &env,
        &[
            "-g",
            demo::RESOURCE_GROUP,
            "--cluster",
            demo::CLUSTER,
            "--database",
            demo::DATABASE,
        ],
        &[],
    );
    one.expect(0);
    let header = one.stdout.lines().next().unwrap();
    assert!(!header.contains("CLUSTER"), "{header}");
}

#[test]
fn a_narrower_part_needs_the_wider_ones_and_a_missing_cluster_is_named() {
    let env = seeded();
    let run = list(&env, &["--cluster", demo::CLUSTER], &[]);
    run.expect(2);
    assert!(run.stderr.contains("--resource-group"), "{}", run.stderr);
    let run = list(
        &env,
        &["-g", demo::RESOURCE_GROUP, "--cluster", "adxdemo-typo"],
        &[],
    );
    run.expect(5);
    assert!(run.stderr.contains("adxdemo-typo"), "{}", run.stderr);
}

#[test]
fn a_database_that_cannot_be_read_is_reported_and_the_rest_is_listed() {
    use adxconn_emulator::{Fault, FaultRule};
    let env = seeded();
    env.emulator.inject(
        FaultRule::new(Fault::Error {
            status: 403,
            code: "AuthorizationFailed".to_owned(),
            message: "no read access to this database".to_owned(),
        })
        .method("GET")
        .path_ends_with(&format!(
            "/databases/{}/dataConnections",
            demo::STAGING_DATABASE
        ))
        .always(),
    );
    let run = list(
        &env,
        &["-g", demo::RESOURCE_GROUP, "--cluster", demo::CLUSTER],
        &["-o", "json"],
    );
    run.expect(1);
    assert!(
        run.stderr.contains(demo::STAGING_DATABASE) && run.stderr.contains("could not be read"),
        "{}",
        run.stderr
    );
    let items = run.json();
    let items = items.as_array().unwrap();
    let listed: Vec<&str> = items
        .iter()
        .filter_map(|item| item["name"].as_str())
        .collect();
    assert_eq!(
        listed,
        [
            format!("{}/{}/Alpha-iot", demo::CLUSTER, demo::DATABASE),
            format!("{}/{}/zeta-eh", demo::CLUSTER, demo::DATABASE)
        ]
    );
    let unreadable: Vec<&serde_json::Value> = items
        .iter()
        .filter(|item| item.get("error").is_some())
        .collect();
    assert_eq!(unreadable.len(), 1, "{items:?}");
    assert_eq!(unreadable[0]["error"]["code"], "AuthorizationFailed");
    assert!(unreadable[0]["id"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/databases/{}", demo::STAGING_DATABASE)));
}
