//! PATCH of a data connection, `dataConnectionValidation` as a long-running
//! operation, the one-connection-per-hub-and-consumer-group rule of a
//! cluster, the name check, and a PUT of every kind, over HTTPS.

mod common;

use std::time::Duration;

use adxconn_emulator::{
    demo, source_id, Bucket, Emulator, Fault, FaultRule, SeedConnection, Throttling, World,
    API_VERSION,
};
use common::{base, hub, start, Arm, Response};
use serde_json::{json, Value};

const TUPLE_IN_USE: &str =
    "event hub resource id and consumer group tuple provided are already used";

fn connection(name: &str) -> String {
    in_database(demo::DATABASE, name)
}

fn in_database(database: &str, name: &str) -> String {
    format!(
        "{}/dataConnections/{name}?api-version={API_VERSION}",
        base().replace(
            &format!("/databases/{}", demo::DATABASE),
            &format!("/databases/{database}")
        )
    )
}

fn other_hub(name: &str) -> String {
    source_id::event_hub(demo::SUBSCRIPTION, "rg-src", "ns", name)
}

fn iot_hub() -> String {
    source_id::iot_hub(demo::SUBSCRIPTION, "rg-src", "iot")
}

fn storage() -> String {
    source_id::storage_account(demo::SUBSCRIPTION, "rg-src", "sa")
}

fn cosmos() -> String {
    source_id::cosmos_db_account(demo::SUBSCRIPTION, "rg-src", "acct")
}

fn message(r: &Response) -> String {
    r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn stored(emulator: &Emulator, name: &str) -> Value {
    emulator
        .connection(
            demo::SUBSCRIPTION,
            demo::RESOURCE_GROUP,
            demo::CLUSTER,
            demo::DATABASE,
            name,
        )
        .unwrap_or(Value::Null)
}

fn seed(emulator: &Emulator, name: &str, kind: &str, properties: Value) {
    let world = World::demo();
    emulator.seed_connection(SeedConnection::new(
        &world.clusters[0],
        demo::DATABASE,
        name,
        kind,
        properties,
    ));
}

/// PUTs a connection and waits for its operation; returns the final status body.
fn create(arm: &mut Arm, url: &str, body: &Value) -> Value {
    let created = arm.call("PUT", url, &body.to_string());
    assert!(
        [200, 201].contains(&created.status),
        "{}: {}",
        created.status,
        created.body
    );
    let aao = created
        .header("azure-asyncoperation")
        .unwrap_or_default()
        .to_owned();
    arm.poll_until_done(&aao).json()
}

/// The operation id in a status URL.
fn operation_id(url: &str) -> &str {
    url.split('?')
        .next()
        .and_then(|path| path.rsplit('/').next())
        .unwrap_or_default()
}

#[test]
fn patch_merges_the_properties_it_names_and_answers_like_the_live_service() {
    let emulator = start();
    // Long enough for the requests made while the update runs.
    emulator.set_operation_duration(Duration::from_millis(400));
    let mut arm = Arm::new(&emulator);
    let url = connection("dc1");
    let body = json!({"location": demo::LOCATION, "kind": "EventHub", "properties": {
        "eventHubResourceId": hub(), "consumerGroup": "$Default", "compression": "None",
        "tableName": "Events", "dataFormat": "JSON"}});
    assert_eq!(create(&mut arm, &url, &body)["status"], "Succeeded");
    // Still shown as "" before any update.
    assert_eq!(
        stored(&emulator, "dc1")["properties"]["mappingRuleName"],
        ""
    );

    let patch = json!({"kind": "EventHub", "location": demo::LOCATION, "properties": {
        "databaseRouting": "Multi", "tableName": null, "mappingRuleName": "EventsMapping"}});
    let accepted = arm.call("PATCH", &url, &patch.to_string());
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let resource = accepted.json();
    assert_eq!(resource["kind"], "EventHub");
    assert_eq!(resource["name"], "adxdemo/telemetry/dc1");
    let properties = &resource["properties"];
    assert_eq!(properties["provisioningState"], "Accepted");
    assert_eq!(properties["eventHubResourceId"], hub());
    assert_eq!(properties["consumerGroup"], "$Default");
    assert_eq!(properties["dataFormat"], "JSON");
    assert_eq!(properties["databaseRouting"], "Multi");
    assert_eq!(properties["mappingRuleName"], "EventsMapping");
    assert_eq!(properties["tableName"], "");
    assert!(properties["retrievalStartDate"].is_string());
    let location = accepted.header("location").unwrap_or_default().to_owned();
    let aao = accepted
        .header("azure-asyncoperation")
        .unwrap_or_default()
        .to_owned();
    assert!(
        location.contains("/locations/West%20Europe/operationResults/")
            && location.contains("&operationResultResponseType=Location&t="),
        "{location}"
    );
    assert!(!aao.contains("operationResultResponseType"), "{aao}");
    assert_eq!(operation_id(&location), operation_id(&aao));
    assert!(accepted.header("retry-after").is_none());

    // Busy while the update runs: the same 409 a PUT gets.
    let again = arm.call("PATCH", &url, &patch.to_string());
    let put = arm.call("PUT", &url, &body.to_string());
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(put.status, 409, "{}", put.body);
    assert_eq!(again.error_code(), "Conflict");
    assert_eq!(message(&again), message(&put));
    assert_eq!(
        arm.call("GET", &url, "").json()["properties"]["provisioningState"],
        "Accepted"
    );

    let done = arm.poll_until_done(&aao);
    assert_eq!(done.json()["status"], "Succeeded");
    assert_eq!(
        done.json()["properties"]["operationKind"],
        "DmServiceEventHubObtainerAdd"
    );
    let outcome = arm.poll_location(&location);
    assert_eq!(outcome.status, 200, "{}", outcome.body);
    let got = arm.call("GET", &url, "").json();
    assert_eq!(outcome.json(), got);
    let properties = &got["properties"];
    assert_eq!(properties["provisioningState"], "Succeeded");
    assert_eq!(properties["databaseRouting"], "Multi");
    assert_eq!(properties["mappingRuleName"], "EventsMapping");
    assert_eq!(properties["dataFormat"], "JSON");
    assert_eq!(properties["compression"], "None");
    // Once updated, the service shows unset strings as null.
    assert_eq!(properties["tableName"], Value::Null);
    assert_eq!(stored(&emulator, "DC1"), got);

    // Only properties and location: a patch may leave `properties` out.
    let bare = arm.call("PATCH", &url, &json!({"kind": "EventHub"}).to_string());
    assert_eq!(bare.status, 202, "{}", bare.body);
    arm.poll_until_done(bare.header("azure-asyncoperation").unwrap_or_default());
    assert_eq!(
        stored(&emulator, "dc1")["properties"]["mappingRuleName"],
        "EventsMapping"
    );

    let stats = emulator.stats();
    assert_eq!(stats.methods.get("PATCH"), Some(&3));
    assert_eq!(stats.methods.get("PUT"), Some(&2));
    assert_eq!(stats.writes, 5);
}

#[test]
fn patch_refuses_what_kusto_refuses_and_changes_nothing() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let url = connection("dc1");

    let missing = arm.call(
        "PATCH",
        &url,
        &json!({"kind": "EventHub", "properties": {"tableName": "T"}}).to_string(),
    );
    assert_eq!(missing.status, 404, "{}", missing.body);
    assert_eq!(missing.error_code(), "ResourceNotFound");
    assert!(emulator.connections().is_empty());

    seed(
        &emulator,
        "dc1",
        "EventHub",
        json!({"eventHubResourceId": hub(), "consumerGroup": "cg", "tableName": "T"}),
    );
    let before = stored(&emulator, "dc1");
    let refused = [
        (
            json!({"properties": {"tableName": "U"}}),
            "'kind' is missing",
        ),
        (
            json!({"kind": "IotHub", "properties": {"tableName": "U"}}),
            "cannot be changed from 'EventHub' to 'IotHub'",
        ),
        (
            json!({"kind": "EventHub", "properties": {"eventHubResourceId": other_hub("elsewhere")}}),
            "'eventHubResourceId' of data connection 'dc1' cannot be changed",
        ),
        (
            json!({"kind": "EventHub", "properties": {"consumerGroup": null}}),
            "'consumerGroup' is missing",
        ),
        (
            json!({"kind": "EventHub", "properties": {"compression": "gzip"}}),
            "'compression'",
        ),
        (
            json!({"kind": "EventHub", "properties": {"sharedAccessPolicyName": "x"}}),
            "'sharedAccessPolicyName' is not valid",
        ),
        (
            json!({"kind": "EventHub", "properties": {"dataFormat": "json"}}),
            "'dataFormat'",
        ),
        (
            json!({"kind": "EventHub", "location": "East US", "properties": {}}),
            "'location'",
        ),
        (
            json!({"kind": "EventHub", "properties": "tableName=U"}),
            "'properties' must be an object",
        ),
        (json!(["EventHub"]), "JSON object"),
    ];
    for (body, needle) in refused {
        let r = arm.call("PATCH", &url, &body.to_string());
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.error_code(), "BadRequest", "{body}");
        assert!(message(&r).contains(needle), "{body}: {}", message(&r));
    }
    let moved = arm.call(
        "PATCH",
        &url,
        &json!({"kind": "EventHub", "properties": {"eventHubResourceId": other_hub("elsewhere")}})
            .to_string(),
    );
    assert!(
        message(&moved).contains("cannot be moved to another source"),
        "{}",
        moved.body
    );
    assert_eq!(
        arm.call("PATCH", &url, "{not json").error_code(),
        "InvalidRequestContent"
    );
    assert_eq!(stored(&emulator, "dc1"), before);
    assert!(emulator.operation_polls() == 0);

    // The same source spelt differently is no move.
    let same = arm.call(
        "PATCH",
        &url,
        &json!({"kind": "EventHub", "properties": {"eventHubResourceId": hub().to_uppercase()
            .replace("/SUBSCRIPTIONS/", "/subscriptions/"), "tableName": "U"}})
        .to_string(),
    );
    assert_eq!(same.status, 202, "{}", same.body);
}

#[test]
fn no_kind_moves_to_another_source_in_a_patch() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let identity = demo::USER_IDENTITY_RESOURCE_ID;
    let cases = [
        (
            "IotHub",
            json!({"iotHubResourceId": iot_hub(), "consumerGroup": "cg",
                "sharedAccessPolicyName": "registryRead"}),
            "iotHubResourceId",
            source_id::iot_hub(demo::SUBSCRIPTION, "rg-src", "other"),
        ),
        (
            "EventGrid",
            json!({"storageAccountResourceId": storage(), "eventHubResourceId": other_hub("grid"),
                "consumerGroup": "cg"}),
            "storageAccountResourceId",
            source_id::storage_account(demo::SUBSCRIPTION, "rg-src", "other"),
        ),
        (
            "CosmosDb",
            json!({"tableName": "T", "managedIdentityResourceId": identity,
                "cosmosDbAccountResourceId": cosmos(), "cosmosDbDatabase": "db",
                "cosmosDbContainer": "c"}),
            "cosmosDbAccountResourceId",
            source_id::cosmos_db_account(demo::SUBSCRIPTION, "rg-src", "other"),
        ),
        (
            "EventHubWithManagedIdentity",
            json!({"eventHubResourceIdForManagedIdentity": other_hub("mi"),
                "consumerGroup": "cg", "managedIdentityResourceId": identity}),
            "eventHubResourceIdForManagedIdentity",
            other_hub("other"),
        ),
        (
            "EventGridWithManagedIdentity",
            json!({"storageAccountResourceIdForManagedIdentity": storage(),
                "eventHubResourceIdForManagedIdentity": other_hub("mi-grid"),
                "consumerGroup": "cg", "managedIdentityResourceId": identity}),
            "storageAccountResourceIdForManagedIdentity",
            source_id::storage_account(demo::SUBSCRIPTION, "rg-src", "other"),
        ),
    ];
    for (kind, properties, source, elsewhere) in cases {
        let name = kind.to_ascii_lowercase();
        seed(&emulator, &name, kind, properties);
        let r = arm.call(
            "PATCH",
            &connection(&name),
            &json!({"kind": kind, "properties": {source: elsewhere}}).to_string(),
        );
        assert_eq!(r.status, 400, "{kind}: {}", r.body);
        assert!(
            message(&r).contains(&format!("'{source}' of data connection '{name}'")),
            "{kind}: {}",
            message(&r)
        );
        // A property that is not a source may change.
        let r = arm.call(
            "PATCH",
            &connection(&name),
            &json!({"kind": kind, "properties": {"mappingRuleName": "M"}}).to_string(),
        );
        assert_eq!(r.status, 202, "{kind}: {}", r.body);
        assert_eq!(r.json()["properties"]["mappingRuleName"], "M", "{kind}");
    }
}

#[test]
fn patch_is_a_write_to_roles_faults_throttling_and_queued_failures() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let url = connection("dc1");
    seed(
        &emulator,
        "dc1",
        "EventHub",
        json!({"eventHubResourceId": hub(), "consumerGroup": "cg"}),
    );
    let before = stored(&emulator, "dc1");
    let patch = json!({"kind": "EventHub", "properties": {"tableName": "T"}}).to_string();

    let mut reader = Arm::new(&emulator);
    reader.bearer = format!(
        "Bearer {}",
        emulator.mint_token(
            demo::TENANT,
            demo::READER_CLIENT_ID,
            Duration::from_secs(600)
        )
    );
    let denied = reader.call("PATCH", &url, &patch);
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(denied.error_code(), "AuthorizationFailed");
    assert!(message(&denied)
        .contains("perform action 'Microsoft.Kusto/clusters/databases/dataConnections/write'"));
    assert_eq!(reader.call("GET", &url, "").status, 200);

    emulator.inject(FaultRule::new(Fault::Status(503)).method("PATCH"));
    let faulted = arm.call("PATCH", &url, &patch);
    assert_eq!(faulted.status, 503, "{}", faulted.body);
    assert_eq!(stored(&emulator, "dc1"), before);
    assert_eq!(emulator.stats().faults.get("server_error"), Some(&1));

    emulator.fail_next_operation("DataConnectionUpdateFailed", "The table does not exist.");
    let accepted = arm.call("PATCH", &url, &patch);
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let done = arm.poll_until_done(accepted.header("azure-asyncoperation").unwrap_or_default());
    assert_eq!(done.json()["status"], "Failed");
    assert_eq!(done.json()["error"]["code"], "DataConnectionUpdateFailed");
    let failed = arm.poll_location(accepted.header("location").unwrap_or_default());
    assert_eq!(failed.status, 400);
    assert_eq!(failed.error_code(), "DataConnectionUpdateFailed");
    assert_eq!(
        stored(&emulator, "dc1")["properties"]["provisioningState"],
        "Failed"
    );

    // One write token: the PATCH takes it, the next write is throttled.
    emulator.set_throttling(Some(Throttling {
        writes: Bucket::new(1, 0.001),
        ..Throttling::arm()
    }));
    let last = arm.call("PATCH", &url, &patch);
    assert_eq!(last.status, 202, "{}", last.body);
    assert_eq!(
        last.header("x-ms-ratelimit-remaining-subscription-writes"),
        Some("0")
    );
    let throttled = arm.call("PATCH", &url, &patch);
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    assert_eq!(throttled.error_code(), "TooManyRequests");
    let stats = emulator.stats();
    assert_eq!(stats.throttled, 1);
    assert_eq!(stats.methods.get("PATCH"), Some(&5));
    assert_eq!(stats.writes, 5);
}

#[test]
fn validation_is_a_long_running_operation_whose_location_holds_the_findings() {
    let emulator = start();
    emulator.set_operation_duration(Duration::from_millis(300));
    let mut arm = Arm::new(&emulator);
    let url = format!(
        "{}/dataConnectionValidation?api-version={API_VERSION}",
        base()
    );
    let body = json!({"dataConnectionName": "dc1", "properties": {"location": demo::LOCATION,
        "kind": "EventHub", "properties": {"eventHubResourceId": hub(),
        "consumerGroup": "$Default", "compression": "None"}}});
    let accepted = arm.call("POST", &url, &body.to_string());
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    assert_eq!(accepted.body, "");
    assert!(accepted.header("retry-after").is_none());
    let location = accepted.header("location").unwrap_or_default().to_owned();
    let aao = accepted
        .header("azure-asyncoperation")
        .unwrap_or_default()
        .to_owned();
    assert!(
        location.starts_with(&format!(
            "{}/subscriptions/{}/providers/Microsoft.Kusto/locations/West%20Europe/operationResults/",
            emulator.url(),
            demo::SUBSCRIPTION
        )) && location.contains("&operationResultResponseType=Location&"),
        "{location}"
    );
    assert_eq!(operation_id(&location), operation_id(&aao));

    let running = arm.call("GET", &location, "");
    assert_eq!(running.status, 202, "{}", running.body);
    assert_eq!(running.header("location"), Some(location.as_str()));
    let status = arm.call("GET", &aao, "").json();
    assert!(
        ["Running", "InProgress"].contains(&status["status"].as_str().unwrap_or_default()),
        "{status}"
    );

    let done = arm.poll_until_done(&aao).json();
    assert_eq!(done["status"], "Succeeded");
    assert_eq!(done["properties"], json!({"value": []}));
    assert!(done["id"]
        .as_str()
        .unwrap_or_default()
        .contains("/locations/West Europe/operationresults/"));
    let result = arm.call("GET", &location, "");
    assert_eq!(result.status, 200, "{}", result.body);
    assert_eq!(result.body, r#"{"value":[]}"#);
    // Nothing was created, nothing is held.
    assert!(emulator.connections().is_empty());
    let put = arm.call(
        "PUT",
        &connection("dc1"),
        &json!({"kind": "EventHub", "properties": body["properties"]["properties"]}).to_string(),
    );
    assert_eq!(put.status, 201, "{}", put.body);
    assert_eq!(emulator.stats().methods.get("POST"), Some(&1));
}

#[test]
fn validation_findings_are_the_put_checks_then_the_configured_ones() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let iot = json!({"dataConnectionName": "iot", "properties": {"kind": "IotHub",
        "properties": {"consumerGroup": "cg"}}});
    let findings = arm.validate(&iot);
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert!(
        findings[0].contains("'iotHubResourceId' is missing"),
        "{findings:?}"
    );
    assert!(
        findings[1].contains("'sharedAccessPolicyName' is missing"),
        "{findings:?}"
    );

    let elsewhere = json!({"dataConnectionName": "dc1", "properties": {"location": "East US",
        "kind": "EventHub", "properties": {"eventHubResourceId": hub(), "consumerGroup": "cg"}}});
    let findings = arm.validate(&elsewhere);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].contains("'location'"), "{findings:?}");

    let configured = vec![
        "Event hub's namespace does not exist".to_owned(),
        "Database does not exist".to_owned(),
    ];
    emulator.set_validation_findings(configured.clone());
    let valid = json!({"dataConnectionName": "dc1", "properties": {"kind": "EventHub",
        "properties": {"eventHubResourceId": hub(), "consumerGroup": "cg"}}});
    assert_eq!(arm.validate(&valid), configured);
    let findings = arm.validate(&iot);
    assert_eq!(findings.len(), 4, "{findings:?}");
    assert_eq!(findings[2..], configured[..]);
    emulator.set_validation_findings(Vec::new());
    assert!(arm.validate(&valid).is_empty());

    // The body itself is refused at once.
    let url = format!(
        "{}/dataConnectionValidation?api-version={API_VERSION}",
        base()
    );
    assert_eq!(
        arm.call("POST", &url, "{not json").error_code(),
        "InvalidRequestContent"
    );
    let no_properties = arm.call(
        "POST",
        &url,
        &json!({"dataConnectionName": "x"}).to_string(),
    );
    assert_eq!(no_properties.status, 400, "{}", no_properties.body);
    assert!(message(&no_properties).contains("'properties'"));

    let mut reader = Arm::new(&emulator);
    reader.bearer = format!(
        "Bearer {}",
        emulator.mint_token(
            demo::TENANT,
            demo::READER_CLIENT_ID,
            Duration::from_secs(600)
        )
    );
    let denied = reader.call("POST", &url, &valid.to_string());
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert!(message(&denied).contains("dataConnectionValidation/action"));

    // Queued failures are for writes, not for validations.
    emulator.fail_next_operation("Boom", "for the next write");
    assert!(arm.validate(&valid).is_empty());
    let done = create(
        &mut arm,
        &connection("dc1"),
        &json!({"kind": "EventHub", "properties": valid["properties"]["properties"]}),
    );
    assert_eq!(done["status"], "Failed");
    assert_eq!(done["error"]["code"], "Boom");
}

#[test]
fn one_connection_of_a_cluster_reads_a_hub_with_a_consumer_group() {
    let world = World::demo().with_cluster(
        demo::SUBSCRIPTION,
        demo::RESOURCE_GROUP,
        "adxother",
        [demo::DATABASE],
    );
    let emulator = Emulator::start(world).unwrap_or_else(|e| panic!("start: {e}"));
    emulator.set_operation_duration(Duration::from_millis(50));
    let mut arm = Arm::new(&emulator);
    let event_hub = |group: &str| json!({"kind": "EventHub", "properties": {"eventHubResourceId": hub(), "consumerGroup": group}});
    assert_eq!(
        create(&mut arm, &connection("dc1"), &event_hub("$Default"))["status"],
        "Succeeded"
    );

    // Another database of the cluster, the hub spelt in capitals: accepted,
    // then the operation fails.
    let shouting = json!({"kind": "EventHub", "properties": {
        "eventHubResourceId": hub().to_uppercase().replace("/SUBSCRIPTIONS/", "/subscriptions/"),
        "consumerGroup": "$Default"}});
    let url = in_database(demo::STAGING_DATABASE, "dc2");
    let accepted = arm.call("PUT", &url, &shouting.to_string());
    assert_eq!(accepted.status, 201, "{}", accepted.body);
    assert_eq!(
        accepted.json()["properties"]["provisioningState"],
        "Creating"
    );
    let done = arm
        .poll_until_done(accepted.header("azure-asyncoperation").unwrap_or_default())
        .json();
    assert_eq!(done["status"], "Failed");
    assert_eq!(done["error"]["code"], "EventHubValidationErorFound");
    assert_eq!(
        done["error"]["message"],
        format!("[BadRequest] Validation Errors found: {TUPLE_IN_USE}")
    );
    let got = arm.call("GET", &url, "");
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["properties"]["provisioningState"], "Failed");
    assert_eq!(got.json()["properties"]["consumerGroup"], "$Default");

    // Every kind that reads the hub counts, whatever its property's name.
    let identity = demo::USER_IDENTITY_RESOURCE_ID;
    let readers = [
        (
            "grid",
            json!({"kind": "EventGrid", "properties": {"storageAccountResourceId": storage(),
                "eventHubResourceId": hub(), "consumerGroup": "$Default"}}),
        ),
        (
            "mi",
            json!({"kind": "EventHubWithManagedIdentity", "properties": {
                "eventHubResourceIdForManagedIdentity": hub(), "consumerGroup": "$default",
                "managedIdentityResourceId": identity}}),
        ),
        (
            "mi-grid",
            json!({"kind": "EventGridWithManagedIdentity", "properties": {
                "storageAccountResourceIdForManagedIdentity": storage(),
                "eventHubResourceIdForManagedIdentity": hub(), "consumerGroup": "$Default",
                "managedIdentityResourceId": identity}}),
        ),
    ];
    for (name, body) in readers {
        let done = create(&mut arm, &connection(name), &body);
        assert_eq!(done["status"], "Failed", "{name}");
        assert!(
            done["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(TUPLE_IN_USE),
            "{name}: {done}"
        );
    }

    // Another consumer group, another cluster, or an update of the reader
    // itself: no conflict.
    assert_eq!(
        create(&mut arm, &connection("dc3"), &event_hub("adx"))["status"],
        "Succeeded"
    );
    let other_cluster = connection("dc1").replace("/clusters/adxdemo/", "/clusters/adxother/");
    assert_eq!(
        create(&mut arm, &other_cluster, &event_hub("$Default"))["status"],
        "Succeeded"
    );
    assert_eq!(
        create(&mut arm, &connection("dc1"), &event_hub("$Default"))["status"],
        "Succeeded"
    );

    // IoT Hubs too.
    let iot = json!({"kind": "IotHub", "properties": {"iotHubResourceId": iot_hub(),
        "consumerGroup": "$Default", "sharedAccessPolicyName": "registryRead"}});
    assert_eq!(
        create(&mut arm, &connection("iot1"), &iot)["status"],
        "Succeeded"
    );
    assert_eq!(
        create(&mut arm, &connection("iot2"), &iot)["status"],
        "Failed"
    );

    // Validation reports it as a finding, never comparing a connection
    // with itself.
    let proposal = |name: &str, database_body: Value| json!({"dataConnectionName": name, "properties": database_body});
    assert_eq!(
        arm.validate(&proposal("dc4", event_hub("$Default"))),
        vec![TUPLE_IN_USE.to_owned()]
    );
    assert!(arm
        .validate(&proposal("dc1", event_hub("$Default")))
        .is_empty());
    assert!(arm
        .validate(&proposal("dc4", event_hub("fresh")))
        .is_empty());
    assert_eq!(
        arm.validate(&proposal("iot9", iot.clone())),
        vec![TUPLE_IN_USE.to_owned()]
    );

    // A PATCH onto a used pair fails the same way, and leaves it Failed.
    let patched = arm.call(
        "PATCH",
        &connection("dc3"),
        &json!({"kind": "EventHub", "properties": {"consumerGroup": "$Default"}}).to_string(),
    );
    assert_eq!(patched.status, 202, "{}", patched.body);
    let done = arm
        .poll_until_done(patched.header("azure-asyncoperation").unwrap_or_default())
        .json();
    assert_eq!(done["status"], "Failed");
    assert!(done["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains(TUPLE_IN_USE));
    let failed = arm.poll_location(patched.header("location").unwrap_or_default());
    assert_eq!(failed.status, 400);
    assert!(message(&failed).contains(TUPLE_IN_USE));
    assert_eq!(
        stored(&emulator, "dc3")["properties"]["provisioningState"],
        "Failed"
    );

    // Once the reader is gone the pair is free (failed ones read nothing).
    let deleting = arm.call("DELETE", &connection("dc1"), "");
    assert_eq!(deleting.status, 202);
    arm.poll_until_done(deleting.header("azure-asyncoperation").unwrap_or_default());
    assert_eq!(
        create(&mut arm, &connection("dc5"), &event_hub("$Default"))["status"],
        "Succeeded"
    );
}

#[test]
fn the_name_check_answers_like_the_example() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    seed(
        &emulator,
        "DataConnections8",
        "EventHub",
        json!({"eventHubResourceId": hub(), "consumerGroup": "cg"}),
    );
    let url = format!("{}/checkNameAvailability?api-version={API_VERSION}", base());
    let check = |arm: &mut Arm, name: &str| {
        let r = arm.call(
            "POST",
            &url,
            &json!({"name": name, "type": "Microsoft.Kusto/clusters/databases/dataConnections"})
                .to_string(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    assert_eq!(
        check(&mut arm, "DataConnections8"),
        json!({"name": "DataConnections8", "nameAvailable": false, "reason": "AlreadyExists",
            "message": "Name 'DataConnections8' is already taken. Please specify a different name."})
    );
    assert_eq!(check(&mut arm, "dataconnections8")["nameAvailable"], false);
    assert_eq!(
        check(&mut arm, "dc2"),
        json!({"name": "dc2", "nameAvailable": true, "message": ""})
    );
    // A POST: counted as a write, and takes a write token (as live).
    emulator.set_throttling(Some(Throttling::arm()));
    let r = arm.call(
        "POST",
        &url,
        &json!({"name": "dc2", "type": "Microsoft.Kusto/clusters/databases/dataConnections"})
            .to_string(),
    );
    assert_eq!(
        r.header("x-ms-ratelimit-remaining-subscription-writes"),
        Some("199")
    );
    let stats = emulator.stats();
    assert_eq!(stats.methods.get("POST"), Some(&4));
    assert_eq!(stats.writes, 4);
    assert!(emulator.connections().len() == 1);
}

#[test]
fn every_kind_is_created_by_put_with_the_swagger_required_properties() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let identity = demo::USER_IDENTITY_RESOURCE_ID;
    let kinds = [
        (
            "EventHub",
            json!({"eventHubResourceId": other_hub("a"), "consumerGroup": "cg"}),
        ),
        (
            "EventGrid",
            json!({"storageAccountResourceId": storage(), "eventHubResourceId": other_hub("b"),
                "consumerGroup": "cg"}),
        ),
        (
            "IotHub",
            json!({"iotHubResourceId": iot_hub(), "consumerGroup": "cg",
                "sharedAccessPolicyName": "registryRead"}),
        ),
        (
            "CosmosDb",
            json!({"tableName": "T", "managedIdentityResourceId": identity,
                "cosmosDbAccountResourceId": cosmos(), "cosmosDbDatabase": "db",
                "cosmosDbContainer": "c"}),
        ),
        (
            "EventHubWithManagedIdentity",
            json!({"eventHubResourceIdForManagedIdentity": other_hub("c"), "consumerGroup": "cg",
                "managedIdentityResourceId": identity}),
        ),
        (
            "EventGridWithManagedIdentity",
            json!({"storageAccountResourceIdForManagedIdentity": storage(),
                "eventHubResourceIdForManagedIdentity": other_hub("d"), "consumerGroup": "cg",
                "managedIdentityResourceId": identity}),
        ),
    ];
    for (kind, required) in kinds {
        let name = kind.to_ascii_lowercase();
        let Some(properties) = required.as_object() else {
            panic!("{kind}")
        };
        // Each required property is required.
        for missing in properties.keys() {
            let mut partial = properties.clone();
            partial.remove(missing);
            let r = arm.call(
                "PUT",
                &connection(&name),
                &json!({"kind": kind, "properties": partial}).to_string(),
            );
            assert_eq!(r.status, 400, "{kind} without {missing}: {}", r.body);
            assert!(
                message(&r).contains(&format!("'{missing}' is missing")),
                "{kind}: {}",
                message(&r)
            );
        }
        let done = create(
            &mut arm,
            &connection(&name),
            &json!({"location": demo::LOCATION, "kind": kind, "properties": required}),
        );
        assert_eq!(done["status"], "Succeeded", "{kind}: {done}");
        let got = stored(&emulator, &name);
        assert_eq!(got["kind"], kind);
        assert_eq!(got["properties"]["provisioningState"], "Succeeded");
        for (property, value) in properties {
            assert_eq!(&got["properties"][property], value, "{kind}.{property}");
        }
    }
    assert_eq!(emulator.connections().len(), 6);
}
