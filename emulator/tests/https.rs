//! End-to-end checks of the emulator over real HTTPS, with a minimal
//! HTTP/1.1 client on rustls that trusts only the emulator's CA.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use adxconn_emulator::{demo, Emulator, Fault, FaultRule, World, API_VERSION};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn error_code(&self) -> Value {
        self.json()["error"]["code"].clone()
    }
}

/// One keep-alive connection to the emulator.
struct Client {
    stream: BufReader<Tls>,
    host: String,
}

impl Client {
    fn connect(emulator: &Emulator) -> std::io::Result<Client> {
        let pem = std::fs::read(emulator.ca_file())?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            roots
                .add(cert.map_err(std::io::Error::other)?)
                .map_err(std::io::Error::other)?;
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let host = emulator.url().trim_start_matches("https://").to_owned();
        let tcp = TcpStream::connect(&host)?;
        tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
        let name = ServerName::try_from("127.0.0.1").map_err(std::io::Error::other)?;
        let conn =
            rustls::ClientConnection::new(Arc::new(config), name).map_err(std::io::Error::other)?;
        Ok(Client {
            stream: BufReader::new(rustls::StreamOwned::new(conn, tcp)),
            host,
        })
    }

    /// Sends a request; `Err` when the server closed without answering.
    fn send(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> std::io::Result<Response> {
        let target = target
            .strip_prefix(&format!("https://{}", self.host))
            .unwrap_or(target);
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\n",
            self.host,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let stream = self.stream.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        stream.flush()?;

        let mut status_line = String::new();
        if self.stream.read_line(&mut status_line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed",
            ));
        }
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.stream.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((n, v)) = line.split_once(':') {
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body)?;
        Ok(Response {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

fn token(client: &mut Client, tenant: &str, client_id: &str, secret: &str) -> Response {
    let form = format!(
        "grant_type=client_credentials&client_id={client_id}&client_secret={}&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
        secret.replace(' ', "+")
    );
    client
        .send(
            "POST",
            &format!("/{tenant}/oauth2/v2.0/token"),
            &[("content-type", "application/x-www-form-urlencoded")],
            &form,
        )
        .unwrap_or_else(|e| panic!("token request: {e}"))
}

fn base() -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/clusters/{}/databases/{}",
        demo::SUBSCRIPTION,
        demo::RESOURCE_GROUP,
        demo::CLUSTER,
        demo::DATABASE
    )
}

fn hub() -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-src/providers/Microsoft.EventHub/namespaces/ns/eventhubs/hub",
        demo::SUBSCRIPTION
    )
}

struct Arm<'a> {
    client: Client,
    bearer: String,
    _emulator: &'a Emulator,
}

impl Arm<'_> {
    fn new(emulator: &Emulator) -> Arm<'_> {
        let bearer = format!(
            "Bearer {}",
            emulator.mint_token(demo::TENANT, demo::CLIENT_ID, Duration::from_secs(600))
        );
        Arm {
            client: Client::connect(emulator).unwrap_or_else(|e| panic!("connect: {e}")),
            bearer,
            _emulator: emulator,
        }
    }

    fn call(&mut self, method: &str, target: &str, body: &str) -> Response {
        let bearer = self.bearer.clone();
        self.client
            .send(
                method,
                target,
                &[
                    ("authorization", &bearer),
                    ("content-type", "application/json"),
                ],
                body,
            )
            .unwrap_or_else(|e| panic!("{method} {target}: {e}"))
    }

    fn poll_until_done(&mut self, url: &str) -> Response {
        for _ in 0..100 {
            let r = self.call("GET", url, "");
            assert_eq!(r.status, 200, "{}", r.body);
            let status = r.json()["status"].as_str().unwrap_or_default().to_owned();
            if ["Succeeded", "Failed", "Canceled"].contains(&status.as_str()) {
                return r;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("operation did not finish")
    }
}

fn start() -> Emulator {
    let emulator = Emulator::start(World::demo()).unwrap_or_else(|e| panic!("start: {e}"));
    emulator.set_operation_duration(Duration::from_millis(50));
    emulator
}

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

    let validation = arm.call(
        "POST",
        &format!("{}/dataConnectionValidation?api-version={API_VERSION}", base()),
        &json!({"dataConnectionName": "x", "properties": {"kind": "IotHub", "properties": {"consumerGroup": "cg"}}}).to_string(),
    );
    assert_eq!(validation.status, 200);
    assert_eq!(validation.json()["value"].as_array().map(Vec::len), Some(2));

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
