//! Cross-tenant rules over HTTPS: the `x-ms-authorization-auxiliary` header
//! and the linked-scope check on writes whose sources live in another tenant.

mod common;

use std::time::Duration;

use adxconn_emulator::{demo, App, Emulator, Role, World, API_VERSION};
use common::{base, hub, Arm, Response};
use serde_json::json;

const AUX: &str = "x-ms-authorization-auxiliary";

fn other_hub() -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-src/providers/Microsoft.EventHub/namespaces/ns/eventhubs/hub",
        demo::OTHER_SUBSCRIPTION
    )
}

fn connection(name: &str) -> String {
    format!(
        "{}/dataConnections/{name}?api-version={API_VERSION}",
        base()
    )
}

fn event_hub_body(hub_id: &str) -> String {
    json!({"kind": "EventHub", "properties": {"eventHubResourceId": hub_id, "consumerGroup": "cg"}})
        .to_string()
}

fn bearer(emulator: &Emulator, tenant: &str, client_id: &str) -> String {
    format!(
        "Bearer {}",
        emulator.mint_token(tenant, client_id, Duration::from_secs(600))
    )
}

fn message(r: &Response) -> String {
    r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The demo world, plus the Reader app as a Reader in the other tenant too.
fn start() -> Emulator {
    let mut world = World::demo();
    if let Some(other) = world
        .tenants
        .iter_mut()
        .find(|t| t.id == demo::OTHER_TENANT)
    {
        other.apps.push(App::new(
            demo::READER_CLIENT_ID,
            demo::READER_CLIENT_SECRET,
            Role::Reader,
        ));
    }
    let emulator = Emulator::start(world).unwrap_or_else(|e| panic!("start: {e}"));
    emulator.set_operation_duration(Duration::from_millis(50));
    emulator
}

#[test]
fn the_auxiliary_header_is_checked_on_every_request() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let list = format!("{}/dataConnections?api-version={API_VERSION}", base());
    let aux = bearer(&emulator, demo::OTHER_TENANT, demo::CLIENT_ID);

    // Up to three tokens, either scheme name, blank entries ignored.
    let three = format!("{aux}, EncryptedBearer {}, {aux},", &aux["Bearer ".len()..]);
    assert_eq!(
        arm.call_with("GET", &list, "", &[(AUX, &three)]).status,
        200
    );
    let four = format!("{aux}, {aux}, {aux}, {aux}");
    let r = arm.call_with("GET", &list, "", &[(AUX, &four)]);
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "AuxiliaryTokensLimitExceeded");
    assert!(message(&r).contains("4 tokens"), "{}", message(&r));

    // Every token must verify; the answer names the bad one's tenant and client.
    let expired = format!(
        "Bearer {}",
        emulator.mint_expired_token(demo::OTHER_TENANT, demo::CLIENT_ID)
    );
    let r = arm.call_with("GET", &list, "", &[(AUX, &format!("{aux}, {expired}"))]);
    assert_eq!(r.status, 401);
    assert_eq!(r.error_code(), "InvalidAuthenticationToken");
    assert!(r.header("www-authenticate").is_some());
    assert_eq!(
        message(&r),
        format!(
            "The access token in the auxiliary header '{AUX}' from tenant '{}' for client '{}' is invalid or expired (it has expired).",
            demo::OTHER_TENANT,
            demo::CLIENT_ID
        )
    );
    let stranger = Emulator::start(World::demo()).unwrap_or_else(|e| panic!("{e}"));
    let foreign = bearer(&stranger, demo::OTHER_TENANT, demo::CLIENT_ID);
    let r = arm.call_with("GET", &list, "", &[(AUX, &foreign)]);
    assert_eq!(r.status, 401);
    assert!(
        message(&r).contains("(its signature is invalid)"),
        "{}",
        message(&r)
    );
    for garbage in ["Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer"] {
        let r = arm.call_with("GET", &list, "", &[(AUX, garbage)]);
        assert_eq!(r.status, 401, "{garbage}");
        assert_eq!(r.error_code(), "InvalidAuthenticationToken", "{garbage}");
        assert!(message(&r).contains("#1"), "{garbage}: {}", message(&r));
    }
}

#[test]
fn cross_tenant_sources_need_a_contributor_token_of_their_tenant() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let url = connection("dc1");
    let body = event_hub_body(&other_hub());

    let denied = arm.call("PUT", &url, &body);
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(denied.error_code(), "LinkedAuthorizationFailed");
    let expected_scope = url.split('?').next().unwrap_or_default().to_owned();
    let text = message(&denied);
    assert!(
        text.starts_with(&format!(
            "The client '{}' with object id '",
            demo::CLIENT_ID
        )),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            "' has permission to perform action 'Microsoft.Kusto/clusters/databases/dataConnections/write' on scope '{expected_scope}'; however, it does not have permission to perform action 'Microsoft.EventHub/namespaces/eventhubs/read' on the linked scope(s) '{}' or the linked scope(s) are invalid.",
            other_hub()
        )),
        "{text}"
    );

    // A token of the wrong tenant, or of an app that is only Reader (or
    // absent) in the source's tenant, does not help.
    let home = bearer(&emulator, demo::TENANT, demo::CLIENT_ID);
    let reader = bearer(&emulator, demo::OTHER_TENANT, demo::READER_CLIENT_ID);
    let unknown = bearer(
        &emulator,
        demo::OTHER_TENANT,
        "99999999-0000-4000-8000-000000000009",
    );
    for aux in [&home, &reader, &unknown] {
        let r = arm.call_with("PUT", &url, &body, &[(AUX, aux)]);
        assert_eq!(r.error_code(), "LinkedAuthorizationFailed", "{}", r.body);
    }
    assert!(emulator.connections().is_empty());

    // The Contributor app's token for the other tenant does, in any position.
    let other = bearer(&emulator, demo::OTHER_TENANT, demo::CLIENT_ID);
    let r = arm.call_with("PUT", &url, &body, &[(AUX, &format!("{home}, {other}"))]);
    assert_eq!(r.status, 201, "{}", r.body);

    // Polls and the delete of a cross-tenant connection need no auxiliary token.
    let poll = r
        .header("azure-asyncoperation")
        .unwrap_or_default()
        .to_owned();
    assert_eq!(arm.poll_until_done(&poll).json()["status"], "Succeeded");
    let deleted = arm.call("DELETE", &url, "");
    assert_eq!(deleted.status, 202, "{}", deleted.body);
    let poll = deleted
        .header("azure-asyncoperation")
        .unwrap_or_default()
        .to_owned();
    assert_eq!(arm.poll_until_done(&poll).json()["status"], "Succeeded");
    assert!(emulator.connections().is_empty());
}

#[test]
fn same_tenant_and_unknown_subscriptions_need_no_auxiliary_token() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let same = arm.call("PUT", &connection("same"), &event_hub_body(&hub()));
    assert_eq!(same.status, 201, "{}", same.body);
    let unknown_hub = other_hub().replace(
        demo::OTHER_SUBSCRIPTION,
        "40000000-0000-4000-8000-000000000404",
    );
    let unknown = arm.call("PUT", &connection("unknown"), &event_hub_body(&unknown_hub));
    assert_eq!(unknown.status, 201, "{}", unknown.body);
}

#[test]
fn every_source_property_is_checked_and_validation_too() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let storage = format!(
        "/subscriptions/{}/resourceGroups/rg-src/providers/Microsoft.Storage/storageAccounts/sa",
        demo::OTHER_SUBSCRIPTION
    );
    // Event Hub in the home tenant, storage account in the other one.
    let grid = json!({"kind": "EventGrid", "properties": {
        "storageAccountResourceId": storage, "eventHubResourceId": hub(), "consumerGroup": "cg"}})
    .to_string();
    let r = arm.call("PUT", &connection("grid"), &grid);
    assert_eq!(r.error_code(), "LinkedAuthorizationFailed");
    assert!(
        message(&r).contains(&format!(
            "'Microsoft.Storage/storageAccounts/read' on the linked scope(s) '{storage}'"
        )),
        "{}",
        message(&r)
    );
    let cosmos = format!(
        "/subscriptions/{}/resourceGroups/rg-src/providers/Microsoft.DocumentDB/databaseAccounts/acct",
        demo::OTHER_SUBSCRIPTION
    );
    let body = json!({"kind": "CosmosDb", "properties": {"tableName": "T",
        "managedIdentityResourceId": format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/clusters/{}", demo::SUBSCRIPTION, demo::RESOURCE_GROUP, demo::CLUSTER),
        "cosmosDbAccountResourceId": cosmos, "cosmosDbDatabase": "db", "cosmosDbContainer": "c"}})
    .to_string();
    let r = arm.call("PUT", &connection("cosmos"), &body);
    assert!(
        message(&r).contains("'Microsoft.DocumentDB/databaseAccounts/read'"),
        "{}",
        r.body
    );

    let validate = format!(
        "{}/dataConnectionValidation?api-version={API_VERSION}",
        base()
    );
    let body = json!({"dataConnectionName": "v", "properties": {"kind": "EventHub",
        "properties": {"eventHubResourceId": other_hub(), "consumerGroup": "cg"}}})
    .to_string();
    let r = arm.call("POST", &validate, &body);
    assert_eq!(r.status, 403);
    assert!(message(&r).contains(
        "permission to perform action 'Microsoft.Kusto/clusters/databases/dataConnectionValidation/action' on scope"
    ));
    let other = bearer(&emulator, demo::OTHER_TENANT, demo::CLIENT_ID);
    let r = arm.call_with("POST", &validate, &body, &[(AUX, &other)]);
    assert_eq!(r.status, 202, "{}", r.body);
    let location = r.header("location").unwrap_or_default().to_owned();
    let result = arm.poll_location(&location);
    assert_eq!(result.status, 200, "{}", result.body);
    assert_eq!(result.json(), json!({"value": []}));
}

#[test]
fn subscriptions_answer_only_their_own_tenant() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let sub = |id: &str| format!("/subscriptions/{id}?api-version=2022-12-01");
    let r = arm.call("GET", &sub(demo::OTHER_SUBSCRIPTION), "");
    assert_eq!(r.status, 401);
    assert_eq!(r.error_code(), "InvalidAuthenticationTokenTenant");
    assert!(message(&r).contains(demo::OTHER_TENANT));
    let r = arm.call("GET", &sub("40000000-0000-4000-8000-000000000404"), "");
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "SubscriptionNotFound");
    // An auxiliary token does not change whose subscription it is.
    let other = bearer(&emulator, demo::OTHER_TENANT, demo::CLIENT_ID);
    let r = arm.call_with("GET", &sub(demo::OTHER_SUBSCRIPTION), "", &[(AUX, &other)]);
    assert_eq!(r.error_code(), "InvalidAuthenticationTokenTenant");
    arm.bearer = other;
    let r = arm.call("GET", &sub(demo::OTHER_SUBSCRIPTION), "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["tenantId"], demo::OTHER_TENANT);
}
