//! The whole resource: a create never replaces by surprise.

use crate::support::{eventhub_id, target, TestEnv};

fn create_eventhub(name: &str, extra: &[&str]) -> Vec<String> {
    crate::support::create_eventhub(name, "orders", extra)
}

#[test]
fn an_identical_create_sends_no_write_a_different_one_names_the_changes_and_replace_replaces() {
    let env = TestEnv::new();
    let asked = ["--consumer-group", "adx", "--table", "Orders"];
    env.run(&create_eventhub("orders", &asked)).expect(0);
    assert_eq!(env.count("PUT", "/dataConnections/orders"), 1);

    // Re-run as is: nothing written, exit 0, the connection printed.
    let again = env.run(&create_eventhub(
        "orders",
        &[&asked[..], &["-o", "json"]].concat(),
    ));
    again.expect(0);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(again.json()["properties"]["consumerGroup"], "adx");
    assert_eq!(
        again.json()["crossTenant"],
        false,
        "the shape `show` prints"
    );
    assert_eq!(env.count("PUT", "/dataConnections/orders"), 1, "no write");

    // Fewer flags: the consumer group would go back to `$Default`. Nothing is sent.
    let different = env.run(&create_eventhub("orders", &["--table", "Orders"]));
    different.expect(8);
    assert!(
        different.stderr.contains("consumerGroup: adx → $Default"),
        "{}",
        different.stderr
    );
    assert!(
        different.stderr.contains("adxconn update eventhub"),
        "{}",
        different.stderr
    );
    assert!(
        different.stderr.contains("--replace"),
        "{}",
        different.stderr
    );
    assert_eq!(env.count("PUT", "/dataConnections/orders"), 1, "no write");
    assert_eq!(
        env.stored("orders").unwrap()["properties"]["consumerGroup"],
        "adx"
    );

    // --replace is ARM's create-or-replace.
    env.run(&create_eventhub(
        "orders",
        &["--table", "Orders", "--replace"],
    ))
    .expect(0);
    assert_eq!(env.count("PUT", "/dataConnections/orders"), 2);
    assert_eq!(
        env.stored("orders").unwrap()["properties"]["consumerGroup"],
        "$Default"
    );
}

/// The JSON body of the last request with `method` to a path containing `needle`.
fn last_body(env: &TestEnv, method: &str, needle: &str) -> serde_json::Value {
    let request = env
        .emulator
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == method && r.path_and_query.contains(needle))
        .unwrap_or_else(|| panic!("no {method} to {needle}"));
    serde_json::from_str(&request.body).unwrap()
}

fn update(kind: &str, name: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["update".to_string(), kind.to_string()];
    args.extend(target(name));
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn update_patches_only_what_changes_and_keeps_the_rest() {
    let env = TestEnv::new();
    env.run(&create_eventhub(
        "clicks",
        &[
            "--consumer-group",
            "adx",
            "--table",
            "Clicks",
            "--data-format",
            "json",
        ],
    ))
    .expect(0);
    let run = env.run(&update(
        "eventhub",
        "clicks",
        &["--consumer-group", "adx2", "-o", "json"],
    ));
    run.expect(0);
    assert_eq!(run.json()["properties"]["consumerGroup"], "adx2");
    assert_eq!(run.json()["crossTenant"], false, "the shape `show` prints");
    assert!(
        run.stderr.contains("consumerGroup: adx → adx2"),
        "{}",
        run.stderr
    );
    assert_eq!(env.count("PATCH", "/dataConnections/clicks"), 1);
    let sent = last_body(&env, "PATCH", "/dataConnections/clicks");
    assert_eq!(sent["kind"], "EventHub");
    let properties = sent["properties"].as_object().unwrap();
    let mut keys: Vec<&str> = properties.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["consumerGroup", "eventHubResourceId"],
        "only the change and what is required"
    );
    let stored = env.stored("clicks").unwrap();
    assert_eq!(stored["properties"]["consumerGroup"], "adx2");
    assert_eq!(
        stored["properties"]["tableName"], "Clicks",
        "the rest is kept"
    );
    assert_eq!(stored["properties"]["dataFormat"], "JSON");

    // Nothing to change, no flag, another kind's subcommand, another source: input errors, no write.
    for (args, named) in [
        (
            update("eventhub", "clicks", &["--consumer-group", "adx2"]),
            "nothing to change",
        ),
        (update("eventhub", "clicks", &[]), "no change was asked"),
        (
            update("iothub", "clicks", &["--table", "T"]),
            "adxconn update eventhub",
        ),
        (
            update(
                "eventhub",
                "clicks",
                &["--eventhub-id", &eventhub_id("other"), "--table", "T"],
            ),
            "cannot change in place",
        ),
        (
            update("eventhub", "clicks", &["--shared-access-policy", "p"]),
            "do not take it",
        ),
    ] {
        let run = env.run(&args);
        run.expect(2);
        assert!(run.stderr.contains(named), "{named}: {}", run.stderr);
    }
    assert_eq!(
        env.count("PATCH", "/dataConnections/clicks"),
        1,
        "no further write"
    );
    let run = env.run(&update("eventhub", "absent", &["--table", "T"]));
    run.expect(5);
}

#[test]
fn cosmos_db_and_the_identity_only_kinds_round_trip() {
    let env = TestEnv::new();
    let identity = "system";
    let sub = adxconn_emulator::demo::SUBSCRIPTION;
    let cosmos = format!(
        "/subscriptions/{sub}/resourceGroups/rg-data/providers/Microsoft.DocumentDB/databaseAccounts/orders"
    );
    let storage = format!(
        "/subscriptions/{sub}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/blobs"
    );
    let cases: Vec<(&str, Vec<String>, &str, Vec<&str>)> = vec![
        (
            "cosmosdb",
            [
                "--cosmosdb-account-id",
                &cosmos,
                "--cosmosdb-database",
                "shop",
                "--cosmosdb-container",
                "orders",
                "--managed-identity",
                identity,
                "--table",
                "Orders",
            ]
            .map(String::from)
            .to_vec(),
            "CosmosDb",
            vec!["--table", "Orders2"],
        ),
        (
            "eventhub",
            [
                "--eventhub-id",
                &eventhub_id("mi"),
                "--identity-only",
                "--managed-identity",
                identity,
                "--consumer-group",
                "mi",
            ]
            .map(String::from)
            .to_vec(),
            "EventHubWithManagedIdentity",
            vec!["--consumer-group", "mi2"],
        ),
        (
            "eventgrid",
            [
                "--storage-account-id",
                &storage,
                "--eventhub-id",
                &eventhub_id("blobs"),
                "--identity-only",
                "--managed-identity",
                identity,
                "--consumer-group",
                "grid",
            ]
            .map(String::from)
            .to_vec(),
            "EventGridWithManagedIdentity",
            vec!["--table", "Blobs"],
        ),
    ];
    for (kind, flags, wire_kind, change) in cases {
        let name = format!("new-{kind}");
        let mut create = vec!["create".to_string(), kind.to_string()];
        create.extend(target(&name));
        create.extend(flags);
        create.extend(["-o".to_string(), "json".to_string()]);
        let run = env.run(&create);
        run.expect(0);
        assert_eq!(run.json()["kind"], wire_kind, "{kind}");
        let mut show = vec!["show".to_string()];
        show.extend(target(&name));
        let shown = env.run(&show);
        shown.expect(0);
        assert!(shown.stdout.contains(wire_kind), "{}", shown.stdout);
        let mut list = vec!["list".to_string()];
        list.extend(crate::support::database_flags());
        let listed = env.run(&list);
        listed.expect(0);
        assert!(listed.stdout.contains(&name), "{}", listed.stdout);
        env.run(&update(kind, &name, &change)).expect(0);
        assert_eq!(env.count("PATCH", &format!("/dataConnections/{name}")), 1);
        let mut delete = vec!["delete".to_string(), "--yes".to_string()];
        delete.extend(target(&name));
        env.run(&delete).expect(0);
        assert!(env.stored(&name).is_none(), "{kind} deleted");
    }
}

#[test]
fn validate_reports_azure_findings_and_create_validate_sends_no_put_on_a_finding() {
    let env = TestEnv::new();
    let mut validate = vec!["validate".to_string(), "eventhub".to_string()];
    validate.extend(target("checked"));
    validate.extend(["--eventhub-id".to_string(), eventhub_id("checked")]);
    env.run(&validate).expect(0);
    env.emulator.set_validation_findings(vec![
        "The event hub cannot be reached by the cluster.".into()
    ]);
    let run = env.run(&validate);
    run.expect(1);
    assert!(
        run.stdout
            .contains("problem: The event hub cannot be reached by the cluster."),
        "{}",
        run.stdout
    );
    let json = env.run(&[&validate[..], &["-o".to_string(), "json".to_string()]].concat());
    json.expect(1);
    assert_eq!(json.json()["valid"], false);
    let run = env.run(&create_eventhub("checked", &["--validate"]));
    run.expect(1);
    assert_eq!(
        env.count("PUT", "/dataConnections/checked"),
        0,
        "no PUT after a finding"
    );
    env.emulator.set_validation_findings(Vec::new());
    env.run(&create_eventhub("checked", &["--validate"]))
        .expect(0);
    assert_eq!(env.count("PUT", "/dataConnections/checked"), 1);
}

#[test]
fn a_source_and_consumer_group_already_used_in_the_cluster_is_refused_before_any_write() {
    let env = TestEnv::new();
    env.run(&create_eventhub("first", &["--consumer-group", "shared"]))
        .expect(0);
    // Another database of the same cluster, the same hub and consumer group.
    let mut second = vec!["create".to_string(), "eventhub".to_string()];
    second.extend(target("second").into_iter().map(|flag| {
        if flag == adxconn_emulator::demo::DATABASE {
            adxconn_emulator::demo::STAGING_DATABASE.to_string()
        } else {
            flag
        }
    }));
    second.extend([
        "--eventhub-id".to_string(),
        eventhub_id("orders"),
        "--consumer-group".to_string(),
        "SHARED".to_string(),
    ]);
    let run = env.run(&second);
    run.expect(8);
    assert!(
        run.stderr.contains("/dataConnections/first"),
        "{}",
        run.stderr
    );
    assert_eq!(env.count("PUT", "/dataConnections/second"), 0);
    // Its own consumer group is fine.
    let own: Vec<String> = second
        .iter()
        .map(|arg| {
            if arg == "SHARED" {
                "own".to_string()
            } else {
                arg.clone()
            }
        })
        .collect();
    env.run(&own).expect(0);
}

#[test]
fn a_name_the_database_still_holds_is_refused_before_any_write() {
    use adxconn_emulator::{Fault, FaultRule};
    let env = TestEnv::new();
    // No connection reads as `held`, but the database does not give the name out (as while a
    // deletion finishes).
    env.emulator.inject(
        FaultRule::new(Fault::Reply {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: r#"{"name":"held","nameAvailable":false,"reason":"AlreadyExists","message":"Name 'held' is already taken. Please specify a different name."}"#.into(),
        })
        .method("POST")
        .path_ends_with("/checkNameAvailability")
        .always(),
    );
    let run = env.run(&create_eventhub("held", &[]));
    run.expect(8);
    assert!(run.stderr.contains("is already taken"), "{}", run.stderr);
    assert_eq!(env.count("PUT", "/dataConnections/held"), 0);
}

#[test]
fn ids_from_a_list_pipe_into_show_and_delete() {
    let env = TestEnv::new();
    for (name, group) in [("keep", "k"), ("drop-1", "d1"), ("drop-2", "d2")] {
        env.run(&create_eventhub(name, &["--consumer-group", group]))
            .expect(0);
    }
    let listed = env.run(&crate::support::list_database(&["-o", "json"]));
    listed.expect(0);
    let ids: Vec<String> = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .filter(|id| id.contains("/drop-"))
        .collect();
    assert_eq!(ids.len(), 2);

    let shown = env.run(
        &[
            &["show".to_string(), "--ids".to_string()][..],
            &ids[..],
            &["-o".to_string(), "json".to_string()],
        ]
        .concat(),
    );
    shown.expect(0);
    assert_eq!(shown.json().as_array().unwrap().len(), 2);

    // Off a terminal, `--ids -` needs --yes; with it, each is deleted and reported.
    let stdin = format!("{}\n\n{}\n", ids[0], ids[1]);
    let refused = env.run_with_stdin(&["delete", "--ids", "-"], Some(&stdin));
    refused.expect(2);
    let deleted = env.run_with_stdin(
        &["delete", "--ids", "-", "--yes", "-o", "json"],
        Some(&stdin),
    );
    deleted.expect(0);
    let report = deleted.json();
    let outcomes: Vec<&str> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["deleted", "deleted"]);
    assert!(env.stored("drop-1").is_none() && env.stored("drop-2").is_none());
    assert!(env.stored("keep").is_some());

    // A malformed id is named before anything is sent.
    let before = env.emulator.requests().len();
    let bad = env.run_with_stdin(
        &["delete", "--ids", "-", "--yes"],
        Some("/subscriptions/nope\n"),
    );
    bad.expect(2);
    assert!(bad.stderr.contains("--ids"), "{}", bad.stderr);
    assert_eq!(env.emulator.requests().len(), before);

    // A filter that matched nothing: nothing to do, exit 0, nothing sent.
    for args in [
        &["delete", "--ids", "-", "--yes", "-o", "json"][..],
        &["show", "--ids", "-", "-o", "json"],
        &["wait", "--ids", "-", "-o", "json"],
    ] {
        let empty = env.run_with_stdin(args, Some(""));
        empty.expect(0);
        assert_eq!(empty.stdout.trim(), "[]", "{args:?}");
        assert_eq!(env.emulator.requests().len(), before, "{args:?}");
    }
}

#[test]
fn wait_ids_waits_for_each_and_names_what_is_not_there() {
    use std::time::Duration;
    let env = TestEnv::new();
    let id = |name: &str| {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/clusters/{}/databases/{}/dataConnections/{name}",
            adxconn_emulator::demo::SUBSCRIPTION,
            adxconn_emulator::demo::RESOURCE_GROUP,
            adxconn_emulator::demo::CLUSTER,
            adxconn_emulator::demo::DATABASE
        )
    };
    env.emulator.set_operation_duration(Duration::from_secs(2));
    for (name, group) in [("one", "g1"), ("two", "g2")] {
        env.run(&create_eventhub(
            name,
            &["--consumer-group", group, "--no-wait"],
        ))
        .expect(0);
    }

    // A deadline first: each still going is `stopped`, exit 4.
    let early = env.run(&[
        "wait",
        "--ids",
        &id("one"),
        "--timeout",
        "1ms",
        "-o",
        "json",
    ]);
    early.expect(4);
    assert_eq!(early.json()[0]["outcome"], "stopped", "{}", early.stdout);

    // Both settle; a typo'd name is `absent` and the run exits 5, never 0.
    let stdin = format!("{}\n{}\n{}\n", id("one"), id("two"), id("three"));
    let waited = env.run_with_stdin(&["wait", "--ids", "-", "-o", "json"], Some(&stdin));
    waited.expect(5);
    let outcomes: Vec<String> = waited
        .json()
        .as_array()
        .expect("a report")
        .iter()
        .map(|item| item["outcome"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(outcomes, ["succeeded", "succeeded", "absent"]);
    assert!(waited.stderr.contains("not found"), "{}", waited.stderr);
    env.run(&["wait", "--ids", &id("one"), &id("two")])
        .expect(0);

    // Until gone, after deletes that did not wait.
    for name in ["one", "two"] {
        let mut delete = vec![
            "delete".to_string(),
            "--yes".to_string(),
            "--no-wait".to_string(),
        ];
        delete.extend(target(name));
        env.run(&delete).expect(0);
    }
    env.emulator.clear_requests();
    let gone = env.run(&["wait", "--deleted", "--ids", &id("one"), &id("two")]);
    gone.expect(0);
    let database_reads = env
        .arm_requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path().ends_with("/databases/telemetry"))
        .count();
    assert_eq!(database_reads, 1, "their one database is read once");
    assert_eq!(gone.stdout.matches("gone").count(), 2, "{}", gone.stdout);
    assert!(env.stored("one").is_none() && env.stored("two").is_none());
}
