//! The main job for each kind: create → show → list → delete, in table and JSON output.

use adxconn_emulator::demo;
use serde_json::Value;

use crate::support::{database_flags, eventhub_id, iothub_id, storage_id, target, TestEnv};

fn args(parts: &[&str], extra: Vec<String>) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).chain(extra).collect()
}

/// create → show → list → delete of one connection, asserting on what a user sees.
fn lifecycle(env: &TestEnv, kind: &str, name: &str, source_flags: &[String], arm_kind: &str) {
    // Create, table output: the connection as ARM now has it.
    let mut create = args(&["create", kind], target(name));
    create.extend(source_flags.iter().cloned());
    let run = env.run(&create);
    run.expect(0);
    assert!(
        run.stderr
            .contains(&format!("Created data connection `{name}` (Succeeded)")),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains(arm_kind) && run.stdout.contains("Succeeded"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(demo::LOCATION),
        "location defaults to the cluster's: {}",
        run.stdout
    );
    let stored = env.stored(name).expect("the emulator holds the connection");
    assert_eq!(stored["kind"], arm_kind);
    assert_eq!(stored["properties"]["provisioningState"], "Succeeded");

    // Show, JSON: the ARM resource as returned.
    let shown = env.run(&args(&["show", "-o", "json"], target(name)));
    shown.expect(0);
    let resource = shown.json();
    assert_eq!(resource["kind"], arm_kind);
    assert_eq!(resource["location"], demo::LOCATION);
    assert_eq!(
        resource["name"],
        format!("{}/{}/{name}", demo::CLUSTER, demo::DATABASE)
    );
    assert!(resource["id"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/DataConnections/{name}")));

    // Show by id, table.
    let by_id = env.run(&["show", "--id", resource["id"].as_str().unwrap()]);
    by_id.expect(0);
    assert!(
        by_id
            .stdout
            .lines()
            .any(|l| l.split_whitespace().eq(["name", name])),
        "{}",
        by_id.stdout
    );

    // List: the connection is there, in both formats.
    let listed = env.run(&args(&["list", "-o", "json"], database_flags()));
    listed.expect(0);
    let names: Vec<String> = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&format!("{}/{}/{name}", demo::CLUSTER, demo::DATABASE)),
        "{names:?}"
    );
    let table = env.run(&args(&["list"], database_flags()));
    table.expect(0);
    let header = table.stdout.lines().next().unwrap();
    assert!(
        header.contains("NAME") && header.contains("KIND") && header.contains("STATE"),
        "{header}"
    );
    assert!(table
        .stdout
        .lines()
        .any(|l| l.trim_start().starts_with(name) && l.contains(arm_kind)));

    // Delete (non-interactive, so --yes), then it is gone.
    let deleted = env.run(&args(&["delete", "--yes", "-o", "json"], target(name)));
    deleted.expect(0);
    assert_eq!(deleted.json()["result"], "deleted");
    assert!(env.stored(name).is_none());
    env.run(&args(&["show"], target(name))).expect(5);
}

#[test]
fn iothub_lifecycle() {
    let env = TestEnv::new();
    let flags = [
        "--iothub-id".to_string(),
        iothub_id(),
        "--shared-access-policy".into(),
        "registryRead".into(),
        "--event-system-properties".into(),
        "iothub-connection-device-id,iothub-enqueuedtime".into(),
        "--database-routing".into(),
        "multi".into(),
        "--table".into(),
        "Telemetry".into(),
        "--data-format".into(),
        "json".into(),
    ];
    lifecycle(&env, "iothub", "devices", &flags, "IotHub");
    // What was sent: exactly the flags the user set, in ARM's spelling.
    let put = env
        .arm_requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    let body: Value = serde_json::from_str(&put.body).unwrap();
    assert_eq!(body["location"], demo::LOCATION);
    assert_eq!(body["properties"]["consumerGroup"], "$Default");
    assert_eq!(body["properties"]["databaseRouting"], "Multi");
    assert_eq!(body["properties"]["dataFormat"], "JSON");
    assert_eq!(
        body["properties"]["eventSystemProperties"],
        serde_json::json!(["iothub-connection-device-id", "iothub-enqueuedtime"])
    );
    assert!(body["properties"].get("compression").is_none());
}

#[test]
fn eventhub_lifecycle_with_managed_identity() {
    let env = TestEnv::new();
    let flags = [
        "--eventhub-id".to_string(),
        eventhub_id("telemetry"),
        "--managed-identity".into(),
        "system".into(),
        "--compression".into(),
        "gzip".into(),
        "--consumer-group".into(),
        "adx".into(),
    ];
    lifecycle(&env, "eventhub", "telemetry-eh", &flags, "EventHub");
    let put = env
        .arm_requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    let body: Value = serde_json::from_str(&put.body).unwrap();
    assert_eq!(
        body["properties"]["managedIdentityResourceId"],
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/clusters/{}",
            demo::SUBSCRIPTION,
            demo::RESOURCE_GROUP,
            demo::CLUSTER
        )
    );
    assert_eq!(body["properties"]["compression"], "GZip");
}

#[test]
fn eventgrid_lifecycle() {
    let env = TestEnv::new();
    let flags = [
        "--storage-account-id".to_string(),
        storage_id(),
        "--eventhub-id".into(),
        eventhub_id("blob-events"),
        "--blob-event-type".into(),
        "renamed".into(),
        "--ignore-first-record".into(),
        "--data-format".into(),
        "csv".into(),
    ];
    lifecycle(&env, "eventgrid", "landing-blobs", &flags, "EventGrid");
    let put = env
        .arm_requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    let body: Value = serde_json::from_str(&put.body).unwrap();
    assert_eq!(
        body["properties"]["blobStorageEventType"],
        "Microsoft.Storage.BlobRenamed"
    );
    assert_eq!(body["properties"]["ignoreFirstRecord"], true);
}

#[test]
fn list_follows_next_link_across_pages() {
    let env = TestEnv::new();
    for i in 0..5 {
        env.seed_eventhub(&format!("conn-{i}"), &eventhub_id("h"), &format!("cg{i}"));
    }
    env.emulator.set_page_size(Some(2));
    let run = env.run(&args(&["list", "-o", "json"], database_flags()));
    run.expect(0);
    assert_eq!(run.json().as_array().unwrap().len(), 5);
    assert_eq!(
        env.count("GET", "/dataConnections"),
        3,
        "three pages, no more"
    );
}

#[test]
fn a_long_list_across_many_pages_is_read_whole() {
    let env = TestEnv::new();
    for i in 0..120 {
        env.seed_eventhub(
            &format!("bulk-{i:03}"),
            &eventhub_id(&format!("h{i}")),
            "$Default",
        );
    }
    env.emulator.set_page_size(Some(7));
    let run = env.run(&args(&["list", "-o", "json"], database_flags()));
    run.expect(0);
    assert_eq!(run.json().as_array().unwrap().len(), 120);
    assert_eq!(
        env.count("GET", "/dataConnections"),
        18,
        "ceil(120 / 7) pages"
    );
}

#[test]
fn delete_of_a_missing_connection_succeeds_and_says_so() {
    let env = TestEnv::new();
    let run = env.run(&args(&["delete", "--yes"], target("never-existed")));
    run.expect(0);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn delete_without_yes_off_a_terminal_refuses_and_sends_nothing() {
    let env = TestEnv::new();
    let run = env.run(&args(&["delete"], target("x")));
    run.expect(2);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert!(env.emulator.requests().is_empty());
}

#[test]
fn list_of_an_empty_database_prints_an_empty_array() {
    let env = TestEnv::new();
    let run = env.run(&args(&["list", "-o", "json"], database_flags()));
    run.expect(0);
    assert_eq!(run.json(), serde_json::json!([]));
}
