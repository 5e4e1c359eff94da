//! The replay of a real recording over HTTPS, driven the way `adxconn`
//! drives ARM: lowercase paths, a newer api-version, status URLs followed
//! verbatim from the headers.

mod common;

use adxconn_emulator::replay::{load_powershell_recording, Replay};
use common::{Client, Response};

const REMOVE: &str =
    include_str!("../../tests/fixtures/Remove-AzKustoDataConnection.Recording.json");

const CONNECTION: &str = "/subscriptions/e8257c73-24c5-4791-94dc-8b7901c90dbf/resourceGroups/PWSH-SDK-2ekhd9/providers/Microsoft.Kusto/clusters/pssdk2ekhd9/databases/TestDb/dataConnections/event-hub-dc?api-version=2025-02-14";

fn start() -> Replay {
    let exchanges = load_powershell_recording(REMOVE).unwrap_or_else(|e| panic!("{e}"));
    Replay::start(exchanges).unwrap_or_else(|e| panic!("start: {e}"))
}

fn call(client: &mut Client, method: &str, target: &str, body: &str) -> Response {
    client
        .send(
            method,
            target,
            &[
                ("authorization", "Bearer anything"),
                ("content-type", "application/json"),
            ],
            body,
        )
        .unwrap_or_else(|e| panic!("{method} {target}: {e}"))
}

#[test]
fn a_client_walks_the_recorded_life_cycle() {
    let replay = start();
    let mut client =
        Client::connect_to(replay.url(), replay.ca_file()).unwrap_or_else(|e| panic!("{e}"));

    let created = call(&mut client, "PUT", CONNECTION, r#"{"kind":"EventHub"}"#);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.json()["properties"]["provisioningState"],
        "Creating"
    );
    assert_eq!(
        created.header("content-length"),
        Some(created.body.len().to_string().as_str())
    );
    let poll = created
        .header("azure-asyncoperation")
        .unwrap_or_else(|| panic!("no Azure-AsyncOperation"))
        .to_owned();
    assert!(
        poll.starts_with(&format!("{}/subscriptions/", replay.url())),
        "{poll}"
    );
    assert!(poll.contains("/locations/East%20US/operationResults/"));

    let done = call(&mut client, "GET", &poll, "");
    assert_eq!(done.json()["status"], "Succeeded");
    let got = call(&mut client, "GET", CONNECTION, "");
    assert_eq!(got.json()["properties"]["provisioningState"], "Succeeded");

    let deleting = call(&mut client, "DELETE", CONNECTION, "");
    assert_eq!(deleting.status, 202);
    let location = deleting.header("location").unwrap_or_default().to_owned();
    let poll = deleting
        .header("azure-asyncoperation")
        .unwrap_or_default()
        .to_owned();
    assert!(location.starts_with(replay.url()) && poll.starts_with(replay.url()));

    // A status URL whose api-version was "fixed" is refused (ARM signs the
    // query), and the replay waits for the right request.
    let decoded = call(
        &mut client,
        "GET",
        &poll.replace("api-version=2024-04-13", "api-version=2025-02-14"),
        "",
    );
    assert_eq!(decoded.status, 400);
    assert_eq!(decoded.error_code(), "ReplayMismatch");
    assert_eq!(replay.served(), 4);

    let done = call(&mut client, "GET", &poll, "");
    assert_eq!(
        done.json()["properties"]["operationKind"],
        "DmServiceDataObtainerDrop"
    );
    let gone = call(&mut client, "GET", &location, "");
    assert_eq!((gone.status, gone.body.as_str()), (200, ""));
    assert_eq!(gone.header("content-length"), Some("0"));
    assert_eq!(replay.served(), 6);

    let extra = call(&mut client, "GET", CONNECTION, "");
    assert_eq!(extra.status, 400);
    assert_eq!(extra.error_code(), "ReplayMismatch");
    let mismatches = replay.mismatches();
    assert_eq!(mismatches.len(), 2, "{mismatches:#?}");
    assert!(mismatches[0].starts_with("expected GET https://management.azure.com/subscriptions/"));
    assert!(mismatches[0].contains("byte for byte"), "{}", mismatches[0]);
    assert!(mismatches[1].starts_with(
        "expected no more requests (all 6 exchanges were served), got GET /subscriptions/"
    ));
}

#[test]
fn out_of_order_and_unauthenticated_requests_are_mismatches() {
    let replay = start();
    let mut client =
        Client::connect_to(replay.url(), replay.ca_file()).unwrap_or_else(|e| panic!("{e}"));
    let early = call(&mut client, "DELETE", CONNECTION, "");
    assert_eq!(early.status, 400);
    assert!(early.json()["error"]["message"].as_str().is_some_and(|m| m
        .starts_with("expected PUT https://management.azure.com/")
        && m.ends_with("(method differs)")));
    let anonymous = client
        .send("PUT", CONNECTION, &[], "{}")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(anonymous.error_code(), "ReplayMismatch");
    assert_eq!(replay.served(), 0);
    assert_eq!(replay.mismatches().len(), 2);

    // Token requests the recording does not hold get a placeholder token.
    let token = client
        .send(
            "POST",
            "/some-tenant/oauth2/v2.0/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            "grant_type=client_credentials",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(token.status, 200);
    assert_eq!(token.json()["token_type"], "Bearer");
    assert_eq!(replay.mismatches().len(), 2);
    assert_eq!(call(&mut client, "PUT", CONNECTION, "{}").status, 201);
    assert_eq!(replay.served(), 1);
}
