//! Real recorded ARM traffic (tests/fixtures/README.md) and odd answers a proxy or a future
//! service version might give, replayed to the real binary.

use adxconn_emulator::replay::{load_powershell_recording, Exchange, Replay};

use crate::support::{adxconn, finish, Run};

const RECORDING: &str = include_str!("../fixtures/Remove-AzKustoDataConnection.Recording.json");
const SUBSCRIPTION: &str = "e8257c73-24c5-4791-94dc-8b7901c90dbf";
/// The recorded cluster's database.
const DATABASE: [&str; 8] = [
    "--subscription",
    SUBSCRIPTION,
    "-g",
    "PWSH-SDK-2ekhd9",
    "--cluster",
    "pssdk2ekhd9",
    "--database",
    "TestDb",
];
/// The recorded connection.
const NAME: &str = "event-hub-dc";

fn run(replay: &Replay, args: &[String]) -> Run {
    finish(adxconn(replay.url(), replay.ca_file(), args))
}

/// `verb… DATABASE [-n name] extra…`.
fn args(verb: &[&str], name: Option<&str>, extra: &[&str]) -> Vec<String> {
    let name = name.map(|name| ["-n", name]);
    verb.iter()
        .chain(DATABASE.iter())
        .chain(name.iter().flatten())
        .chain(extra.iter())
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn the_recorded_create_poll_get_delete_poll_lifecycle() {
    let exchanges = load_powershell_recording(RECORDING).unwrap();
    assert_eq!(exchanges.len(), 6);
    let hub = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/PWSH-SDK-2ekhd9/providers/Microsoft.EventHub/namespaces/EHNamespace2ekhd9/eventhubs/eh2ekhd9");
    let replay = Replay::start(exchanges).unwrap();

    // PUT → 201 + Azure-AsyncOperation (a signed ~3.5 KB URL with `East%20US`) → poll → GET.
    let create = args(
        &["create", "eventhub"],
        Some(NAME),
        &[
            // The recording is of a create-or-replace PUT with no read before it.
            "--replace",
            "--eventhub-id",
            &hub,
            "--compression",
            "none",
            "--location",
            "East US",
            "-o",
            "json",
        ],
    );
    let created = run(&replay, &create);
    created.expect(0);
    assert!(replay.mismatches().is_empty(), "{:?}", replay.mismatches());
    let resource = created.json();
    assert_eq!(resource["properties"]["provisioningState"], "Succeeded");
    // The live service's way of saying "unset" comes through as is.
    assert_eq!(resource["properties"]["tableName"], "");
    assert_eq!(
        resource["properties"]["managedIdentityResourceId"],
        serde_json::Value::Null
    );
    assert!(resource["id"]
        .as_str()
        .unwrap()
        .contains("/Clusters/pssdk2ekhd9/Databases/TestDb/DataConnections/"));
    assert_eq!(replay.served(), 3);

    // DELETE → 202 + Location + Azure-AsyncOperation → poll (percentComplete 1.0) → done.
    let deleted = run(&replay, &args(&["delete", "--yes"], Some(NAME), &[]));
    deleted.expect(0);
    assert!(replay.mismatches().is_empty(), "{:?}", replay.mismatches());
    // The sixth exchange, the GET of the Location URL, is for clients without
    // Azure-AsyncOperation; its status already said Succeeded.
    assert_eq!(replay.served(), 5);
}

fn exchange(method: &str, path: &str, status: u16, content_type: &str, body: &str) -> Exchange {
    Exchange {
        method: method.into(),
        url: format!("https://management.azure.com{path}"),
        status,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: body.into(),
    }
}

const DB: &str = "/subscriptions/e8257c73-24c5-4791-94dc-8b7901c90dbf/resourceGroups/PWSH-SDK-2ekhd9/providers/Microsoft.Kusto/clusters/pssdk2ekhd9/databases/TestDb";

#[test]
fn a_list_with_unknown_kinds_nulls_and_extra_fields_is_shown() {
    let page2 = format!("{DB}/dataConnections?api-version=2025-02-14&$skiptoken=2");
    let first = format!(
        r#"{{"value":[{{"name":"pssdk2ekhd9/TestDb/cosmos","kind":"CosmosDb","properties":{{"cosmosDbAccountResourceId":"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/acct","tableName":null,"provisioningState":"Succeeded","brandNewField":{{"x":1}}}}}}],"nextLink":"https://management.azure.com{page2}"}}"#
    );
    let second = r#"{"value":[{"name":"pssdk2ekhd9/TestDb/future","kind":"SomethingNew2030","properties":null,"extra":[1,2,3]},{"kind":null}]}"#;
    let replay = Replay::start(vec![
        exchange(
            "GET",
            &format!("{DB}/dataConnections?api-version=2025-02-14"),
            200,
            "application/json",
            &first,
        ),
        exchange("GET", &page2, 200, "application/json", second),
    ])
    .unwrap();
    let table = run(&replay, &args(&["list"], None, &[]));
    table.expect(0);
    assert!(
        table.stdout.contains("CosmosDb") && table.stdout.contains("SomethingNew2030"),
        "{}",
        table.stdout
    );
    assert!(replay.mismatches().is_empty(), "{:?}", replay.mismatches());
}

#[test]
fn an_html_error_page_from_a_proxy_is_a_clear_error() {
    let replay = Replay::start(vec![exchange(
        "GET",
        &format!("{DB}/dataConnections/x?api-version=2025-02-14"),
        403,
        "text/html",
        "<html><body><h1>Access denied by corporate proxy</h1></body></html>",
    )])
    .unwrap();
    let shown = run(&replay, &args(&["show"], Some("x"), &[]));
    shown.expect(3);
    assert!(shown.stderr.contains("HTML page"), "{}", shown.stderr);
    assert!(!shown.stderr.contains("panicked"));
}

#[test]
fn a_200_with_an_empty_body_is_a_clear_error() {
    let replay = Replay::start(vec![exchange(
        "GET",
        &format!("{DB}/dataConnections/x?api-version=2025-02-14"),
        200,
        "application/json",
        "",
    )])
    .unwrap();
    let shown = run(&replay, &args(&["show"], Some("x"), &["-o", "json"]));
    shown.expect(1);
    assert!(
        shown.stderr.contains("not a JSON object"),
        "{}",
        shown.stderr
    );
}

#[test]
fn a_status_url_with_a_literal_space_is_followed() {
    // Kusto in 2020 sent `locations/Central US` unencoded in Azure-AsyncOperation (see
    // KustoIotHubTests.json in the shared recordings); a client must still reach it.
    let operation = format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Kusto/locations/Central US/operationResults/0b7b0e49-5b6e-4c4b-9a39-1f2b5c3d4e5f?api-version=2025-02-14");
    let connection = format!("{DB}/dataConnections/spaced?api-version=2025-02-14");
    let resource = r#"{"id":"/x","name":"pssdk2ekhd9/TestDb/spaced","kind":"EventHub","location":"Central US","properties":{"consumerGroup":"$Default","provisioningState":"Succeeded"}}"#;
    let mut put = exchange(
        "PUT",
        &connection,
        201,
        "application/json",
        r#"{"kind":"EventHub","properties":{"provisioningState":"Creating"}}"#,
    );
    put.headers.push((
        "Azure-AsyncOperation".into(),
        format!("https://management.azure.com{operation}"),
    ));
    let replay = Replay::start(vec![
        put,
        exchange(
            "GET",
            &operation.replace(' ', "%20"),
            200,
            "application/json",
            r#"{"status":"Succeeded","percentComplete":1.0}"#,
        ),
        exchange("GET", &connection, 200, "application/json", resource),
    ])
    .unwrap();
    let hub = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/eventhubs/h");
    let run = run(
        &replay,
        &args(
            &["create", "eventhub"],
            Some("spaced"),
            &[
                "--replace",
                "--eventhub-id",
                &hub,
                "--location",
                "Central US",
            ],
        ),
    );
    run.expect(0);
    assert!(replay.mismatches().is_empty(), "{:?}", replay.mismatches());
    assert_eq!(replay.served(), 3);
}

#[test]
fn a_status_url_on_another_host_is_never_sent_the_token() {
    let connection = format!("{DB}/dataConnections/elsewhere?api-version=2025-02-14");
    let mut put = exchange(
        "PUT",
        &connection,
        201,
        "application/json",
        r#"{"kind":"EventHub","properties":{"provisioningState":"Creating"}}"#,
    );
    put.headers.push((
        "Azure-AsyncOperation".into(),
        "https://attacker.example.com/operationResults/1".into(),
    ));
    let replay = Replay::start(vec![put]).unwrap();
    let hub = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/eventhubs/h");
    let run = run(
        &replay,
        &args(
            &["create", "eventhub"],
            Some("elsewhere"),
            &["--replace", "--eventhub-id", &hub, "--location", "westus"],
        ),
    );
    run.expect(1);
    assert!(
        run.stderr.contains("not on the ARM endpoint"),
        "{}",
        run.stderr
    );
    assert_eq!(replay.served(), 1);
    assert!(replay.mismatches().is_empty());
}
