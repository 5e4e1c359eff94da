//! End-to-end checks of the emulator over real HTTPS, with the minimal
//! client of `common`, which trusts only the emulator's CA.

mod common;

use std::time::Duration;

use adxconn_emulator::{demo, Fault, FaultRule, API_VERSION};
use common::{base, hub, start, token, Arm, Client};
use serde_json::{json, Value};

#[test]
fn token_endpoint_issues_tokens_and_entra_errors() {
    let emulator = start();
    let mut client = Client::connect(&emulator).unwrap_or_else(|e| panic!("{e}"));
    let ok = token(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        demo::CLIENT_SECRET,
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["token_type"], "Bearer");
    assert_eq!(ok.json()["expires_in"], 3599);
    assert_eq!(
        ok.json()["access_token"]
            .as_str()
            .map(|t| t.split('.').count()),
        Some(3)
    );

    let cases = [
        (
            "00000000-0000-0000-0000-000000000000",
            demo::CLIENT_ID,
            demo::CLIENT_SECRET,
            400,
            "invalid_request",
            90002,
        ),
        (
            demo::TENANT,
            "11111111-0000-0000-0000-000000000000",
            demo::CLIENT_SECRET,
            400,
            "unauthorized_client",
            700016,
        ),
        (
            demo::TENANT,
            demo::CLIENT_ID,
            "wrong",
            401,
            "invalid_client",
            7000215,
        ),
    ];
    for (tenant, client_id, secret, status, error, code) in cases {
        let r = token(&mut client, tenant, client_id, secret);
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.json()["error"], error);
        assert_eq!(r.json()["error_codes"][0], code);
        assert!(r.json()["correlation_id"].is_string());
    }
    assert_eq!(emulator.requests().len(), 4);
    assert!(emulator.arm_requests().is_empty());
}

#[test]
fn token_from_endpoint_works_on_arm_and_auth_errors_are_arms() {
    let emulator = start();
    let mut client = Client::connect(&emulator).unwrap_or_else(|e| panic!("{e}"));
    let issued = token(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        demo::CLIENT_SECRET,
    )
    .json();
    let bearer = format!(
        "Bearer {}",
        issued["access_token"].as_str().unwrap_or_default()
    );
    let sub = format!(
        "/subscriptions/{}?api-version={API_VERSION}",
        demo::SUBSCRIPTION
    );
    let r = client
        .send("GET", &sub, &[("authorization", &bearer)], "")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["tenantId"], demo::TENANT);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(r.header("x-ms-request-id").is_some());
    assert!(r.header("x-ms-correlation-request-id").is_some());

    let expired = format!(
        "Bearer {}",
        emulator.mint_expired_token(demo::TENANT, demo::CLIENT_ID)
    );
    let other_tenant = format!(
        "Bearer {}",
        emulator.mint_token(demo::OTHER_TENANT, demo::CLIENT_ID, Duration::from_secs(60))
    );
    let reader = format!(
        "Bearer {}",
        emulator.mint_token(
            demo::TENANT,
            demo::READER_CLIENT_ID,
            Duration::from_secs(60)
        )
    );
    let foreign = {
        let other = start();
        format!(
            "Bearer {}",
            other.mint_token(demo::TENANT, demo::CLIENT_ID, Duration::from_secs(60))
        )
    };
    let conn = format!("{}/dataConnections/x?api-version={API_VERSION}", base());
    let cases = [
        ("GET", None, 401, "AuthenticationFailed"),
        (
            "GET",
            Some("Bearer nope"),
            401,
            "InvalidAuthenticationToken",
        ),
        (
            "GET",
            Some(foreign.as_str()),
            401,
            "InvalidAuthenticationToken",
        ),
        (
            "GET",
            Some(expired.as_str()),
            401,
            "ExpiredAuthenticationToken",
        ),
        (
            "GET",
            Some(other_tenant.as_str()),
            401,
            "InvalidAuthenticationTokenTenant",
        ),
        ("GET", Some(reader.as_str()), 404, "ResourceNotFound"),
        ("DELETE", Some(reader.as_str()), 403, "AuthorizationFailed"),
    ];
    for (method, authorization, status, code) in cases {
        let headers: Vec<(&str, &str)> = authorization
            .map(|a| ("authorization", a))
            .into_iter()
            .collect();
        let r = client
            .send(method, &conn, &headers, "")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status, status, "{method} {authorization:?}: {}", r.body);
        assert_eq!(r.error_code(), code, "{}", r.body);
    }
}

#[test]
fn create_poll_get_list_delete_life_cycle() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let url = format!("{}/dataConnections/dc1?api-version={API_VERSION}", base());
    let body = json!({"location": demo::LOCATION, "kind": "EventHub",
        "properties": {"eventHubResourceId": hub(), "consumerGroup": "$Default", "compression": "None"}});

    let created = arm.call("PUT", &url, &body.to_string());
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.json()["properties"]["provisioningState"],
        "Creating"
    );
    assert_eq!(
        created.json()["properties"].as_object().map(|p| p.len()),
        Some(4)
    );
    assert!(created.header("location").is_none());
    assert!(created.header("retry-after").is_none());
    let aao = created
        .header("azure-asyncoperation")
        .unwrap_or_default()
        .to_owned();
    assert!(aao.starts_with(&format!(
        "{}/subscriptions/{}/providers/Microsoft.Kusto/locations/West%20Europe/operationResults/",
        emulator.url(),
        demo::SUBSCRIPTION
    )));
    assert!(aao.len() > 3000, "{}", aao.len());

    // Busy while the create runs.
    let busy = arm.call("DELETE", &url, "");
    assert_eq!(busy.status, 409, "{}", busy.body);

    let done = arm.poll_until_done(&aao);
    assert_eq!(done.json()["status"], "Succeeded");
    assert_eq!(done.json()["percentComplete"], 1.0);
    assert!(done.body.contains("\"percentComplete\":1.0"));

    let got = arm.call(
        "GET",
        &url.replace("/dataConnections/", "/DataConnections/"),
        "",
    );
    assert_eq!(got.status, 200, "{}", got.body);
    let got = got.json();
    assert_eq!(got["name"], "adxdemo/telemetry/dc1");
    assert_eq!(
        got["type"],
        "Microsoft.Kusto/Clusters/Databases/DataConnections"
    );
    assert!(got["id"]
        .as_str()
        .unwrap_or_default()
        .contains("/Clusters/adxdemo/Databases/telemetry/DataConnections/dc1"));
    assert_eq!(got["properties"]["tableName"], "");
    assert_eq!(got["properties"]["managedIdentityResourceId"], Value::Null);
    assert_eq!(got["properties"]["provisioningState"], "Succeeded");
    assert!(got["properties"]["retrievalStartDate"].is_string());
    assert_eq!(
        emulator.connection(
            demo::SUBSCRIPTION,
            demo::RESOURCE_GROUP,
            demo::CLUSTER,
            demo::DATABASE,
            "DC1"
        ),
        Some(got.clone())
    );

    let updated = arm.call("PUT", &url, &body.to_string());
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(
        updated.json()["properties"]["provisioningState"],
        "Accepted"
    );
    let aao = updated
        .header("azure-asyncoperation")
        .unwrap_or_default()
        .to_owned();
    arm.poll_until_done(&aao);

    let list = arm.call(
        "GET",
        &format!("{}/dataConnections?api-version={API_VERSION}", base()),
        "",
    );
    assert_eq!(list.json()["value"].as_array().map(Vec::len), Some(1));

    let deleting = arm.call("DELETE", &url, "");
    assert_eq!(deleting.status, 202, "{}", deleting.body);
    assert_eq!(deleting.body, "");
    let location = deleting.header("location").unwrap_or_default().to_owned();
    assert!(
        location.contains("&operationResultResponseType=Location&t="),
        "{location}"
    );
    assert!(deleting.header("azure-asyncoperation").is_some());
    let in_progress = arm.call("GET", &url, "");
    assert_eq!(
        in_progress.json()["properties"]["provisioningState"],
        "Deleting"
    );
    let first = arm.call("GET", &location, "");
    assert_eq!(first.status, 202);
    std::thread::sleep(Duration::from_millis(80));
    let last = arm.call("GET", &location, "");
    assert_eq!(last.status, 200);
    assert_eq!(last.header("content-length"), Some("0"));
    assert_eq!(arm.call("GET", &url, "").status, 404);
    assert_eq!(arm.call("DELETE", &url, "").status, 204);
    assert!(emulator.operation_polls() >= 3);
}

#[test]
fn status_urls_must_be_used_verbatim() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let url = format!("{}/dataConnections/dc1?api-version={API_VERSION}", base());
    let body = json!({"kind": "EventHub", "properties": {"eventHubResourceId": hub(), "consumerGroup": "cg"}});
    let created = arm.call("PUT", &url, &body.to_string());
    let aao = created
        .header("azure-asyncoperation")
        .unwrap_or_default()
        .to_owned();
    let (path, query) = aao.split_once('?').unwrap_or_default();
    let mut params: Vec<&str> = query.split('&').collect();
    params.reverse();
    let reordered = format!("{path}?{}", params.join("&"));
    let r = arm.call("GET", &reordered, "");
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(emulator.operation_polls(), 0);
    assert_eq!(arm.call("GET", &aao, "").status, 200);
    assert_eq!(emulator.operation_polls(), 1);
}

#[test]
fn failed_operations_and_validation_errors() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let url = format!("{}/dataConnections/dc1?api-version={API_VERSION}", base());

    let bad = arm.call(
        "PUT",
        &url,
        &json!({"kind": "EventHub", "properties": {"consumerGroup": "cg"}}).to_string(),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.error_code(), "BadRequest");
    assert!(bad.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("eventHubResourceId"));
    assert_eq!(
        arm.call("PUT", &url, "{not json").error_code(),
        "InvalidRequestContent"
    );
    assert_eq!(
        arm.call("PUT", &url.replace(API_VERSION, "2024-04-13"), "{}")
            .error_code(),
        "NoRegisteredProviderFound"
    );

    emulator.fail_next_operation(
        "DataConnectionCreationFailed",
        "The event hub does not exist.",
    );
    let body = json!({"kind": "EventHub", "properties": {"eventHubResourceId": hub(), "consumerGroup": "cg"}});
    let created = arm.call("PUT", &url, &body.to_string());
    let aao = created
        .header("azure-asyncoperation")
        .unwrap_or_default()
        .to_owned();
    let done = arm.poll_until_done(&aao);
    assert_eq!(done.json()["status"], "Failed");
    assert_eq!(done.json()["error"]["code"], "DataConnectionCreationFailed");
    assert_eq!(
        arm.call("GET", &url, "").json()["properties"]["provisioningState"],
        "Failed"
    );

    let findings = arm.validate(&json!({"dataConnectionName": "x",
        "properties": {"kind": "IotHub", "properties": {"consumerGroup": "cg"}}}));
    assert_eq!(findings.len(), 2, "{findings:?}");

    let names = format!("{}/checkNameAvailability?api-version={API_VERSION}", base());
    let taken = arm.call(
        "POST",
        &names,
        &json!({"name": "DC1", "type": "Microsoft.Kusto/Clusters/Databases/dataConnections"})
            .to_string(),
    );
    assert_eq!(taken.json()["nameAvailable"], false);
    assert_eq!(taken.json()["reason"], "AlreadyExists");
    let free = arm.call(
        "POST",
        &names,
        &json!({"name": "dc2", "type": "Microsoft.Kusto/clusters/databases/dataConnections"})
            .to_string(),
    );
    assert_eq!(
        free.json(),
        json!({"name": "dc2", "nameAvailable": true, "message": ""})
    );

    let missing_db = arm.call(
        "GET",
        &format!(
            "{}/dataConnections?api-version={API_VERSION}",
            base().replace(demo::DATABASE, "nope")
        ),
        "",
    );
    assert_eq!(missing_db.error_code(), "ParentResourceNotFound");
    let missing_sub = arm.call(
        "GET",
        &format!("/subscriptions/00000000-0000-4000-8000-000000000000?api-version={API_VERSION}"),
        "",
    );
    assert_eq!(missing_sub.error_code(), "SubscriptionNotFound");
}

#[test]
fn paging_and_seeding() {
    let emulator = start();
    for i in 0..5 {
        emulator.insert_connection(
            demo::SUBSCRIPTION,
            demo::RESOURCE_GROUP,
            demo::CLUSTER,
            demo::DATABASE,
            &format!("dc{i}"),
            "EventHub",
            json!({"eventHubResourceId": hub(), "consumerGroup": "cg"}),
        );
    }
    emulator.set_page_size(Some(2));
    let mut arm = Arm::new(&emulator);
    let mut next = Some(format!(
        "{}/dataConnections?api-version={API_VERSION}",
        base()
    ));
    let mut seen = Vec::new();
    while let Some(url) = next.take() {
        let page = arm.call("GET", &url, "").json();
        for item in page["value"].as_array().cloned().unwrap_or_default() {
            seen.push(item["name"].as_str().unwrap_or_default().to_owned());
        }
        next = page["nextLink"].as_str().map(str::to_owned);
        if let Some(link) = &next {
            assert!(
                link.starts_with(emulator.url()) && link.contains("$skiptoken="),
                "{link}"
            );
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(emulator.connections().len(), 5);
}

#[test]
fn faults_hit_matching_arm_requests() {
    let emulator = start();
    let mut arm = Arm::new(&emulator);
    let sub = format!(
        "/subscriptions/{}?api-version={API_VERSION}",
        demo::SUBSCRIPTION
    );
    emulator.inject(
        FaultRule::new(Fault::Throttle {
            retry_after_secs: 7,
        })
        .method("GET"),
    );
    emulator.inject(FaultRule::new(Fault::Status(503)).path_contains("/subscriptions/"));
    emulator.inject(FaultRule::new(Fault::Conflict {
        code: "ServiceIsInMaintenance".to_owned(),
    }));
    let throttled = arm.call("GET", &sub, "");
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("7"));
    assert_eq!(arm.call("GET", &sub, "").status, 503);
    assert_eq!(
        arm.call("GET", &sub, "").error_code(),
        "ServiceIsInMaintenance"
    );
    assert_eq!(arm.call("GET", &sub, "").status, 200);

    // A lost response still creates the connection.
    emulator.inject(FaultRule::new(Fault::LostResponse).method("PUT"));
    let url = format!("{}/dataConnections/dc1?api-version={API_VERSION}", base());
    let body = json!({"kind": "EventHub", "properties": {"eventHubResourceId": hub(), "consumerGroup": "cg"}});
    let bearer = arm.bearer.clone();
    let lost = arm.client.send(
        "PUT",
        &url,
        &[("authorization", &bearer)],
        &body.to_string(),
    );
    assert!(lost.is_err());
    assert_eq!(emulator.connections().len(), 1);
    let last = emulator.requests().pop();
    assert_eq!(last.map(|r| r.status), Some(None));

    // A dropped connection changes nothing.
    emulator.inject(FaultRule::new(Fault::DropConnection));
    let mut client = Client::connect(&emulator).unwrap_or_else(|e| panic!("{e}"));
    assert!(client
        .send("DELETE", &url, &[("authorization", &bearer)], "")
        .is_err());
    assert_eq!(emulator.connections().len(), 1);
}
