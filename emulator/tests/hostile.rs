//! The hostile-server faults, token-endpoint rules, unlimited rules and the
//! recording sinks, over real connections with the minimal client of
//! `common`.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use adxconn_emulator::{demo, Fault, FaultRule, Sink, API_VERSION};
use common::{base, hub, start, token, Arm, Client};
use serde_json::json;

fn list() -> String {
    format!("{}/dataConnections?api-version={API_VERSION}", base())
}

fn bearer(emulator: &adxconn_emulator::Emulator) -> String {
    format!(
        "Bearer {}",
        emulator.mint_token(demo::TENANT, demo::CLIENT_ID, Duration::from_secs(600))
    )
}

#[test]
fn redirect_answers_status_and_location_and_applies_nothing() {
    let emulator = start();
    let location = "https://elsewhere.invalid/steal?x=1";
    emulator.inject(
        FaultRule::new(Fault::Redirect {
            status: 307,
            location: location.to_owned(),
        })
        .method("PUT"),
    );
    let mut arm = Arm::new(&emulator);
    let body = json!({"kind": "EventHub", "properties": {"eventHubResourceId": hub(), "consumerGroup": "cg"}});
    let url = format!("{}/dataConnections/dc1?api-version={API_VERSION}", base());
    let r = arm.call("PUT", &url, &body.to_string());
    assert_eq!(r.status, 307);
    assert_eq!(r.header("location"), Some(location));
    assert_eq!(r.body, "");
    assert!(emulator
        .connection(
            demo::SUBSCRIPTION,
            demo::RESOURCE_GROUP,
            demo::CLUSTER,
            demo::DATABASE,
            "dc1"
        )
        .is_none());
    // The connection is still usable, and the rule is used up.
    assert_eq!(arm.call("GET", &list(), "").status, 200);
    assert_eq!(emulator.stats().faults.get("redirect"), Some(&1));
}

#[test]
fn hang_never_answers_while_others_are_served_and_drop_stays_prompt() {
    let emulator = start();
    emulator.inject(FaultRule::new(Fault::Hang).path_contains("/dataConnections"));
    let bearer = bearer(&emulator);
    let auth = [("authorization", bearer.as_str())];
    let mut hung = Client::connect(&emulator).unwrap_or_else(|e| panic!("{e}"));
    hung.set_read_timeout(Duration::from_secs(1))
        .unwrap_or_else(|e| panic!("{e}"));
    let sent = Instant::now();
    let err = match hung.send("GET", &list(), &auth, "") {
        Ok(r) => panic!("answered {}: {}", r.status, r.body),
        Err(e) => e,
    };
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err:?}"
    );
    assert!(sent.elapsed() >= Duration::from_millis(900));

    // Another connection is served while the first one hangs.
    let mut other = Client::connect(&emulator).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        other
            .send("GET", &list(), &auth, "")
            .unwrap_or_else(|e| panic!("{e}"))
            .status,
        200
    );
    let statuses: Vec<Option<u16>> = emulator.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [None, Some(200)]);
    assert_eq!(emulator.stats().faults.get("hang"), Some(&1));

    // Dropping the emulator does not wait for the hung request.
    let dropping = Instant::now();
    drop(emulator);
    assert!(
        dropping.elapsed() < Duration::from_secs(3),
        "{:?}",
        dropping.elapsed()
    );
    drop(hung);
}

#[test]
fn endless_body_goes_on_as_long_as_the_client_reads() {
    let emulator = start();
    emulator.inject(FaultRule::new(Fault::EndlessBody { status: 200 }));
    let bearer = bearer(&emulator);
    let auth = [("authorization", bearer.as_str())];
    let mut client = Client::connect(&emulator).unwrap_or_else(|e| panic!("{e}"));
    let head = client
        .send_head("GET", &list(), &auth, "")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("application/json"));
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    assert_eq!(head.header("content-length"), None);
    let mut buf = vec![0; 64 * 1024];
    let mut first = Vec::new();
    let mut total = 0;
    while total <= 10 * 1024 * 1024 {
        let n = client
            .reader()
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("after {total} bytes: {e}"));
        assert!(n > 0, "the body ended after {total} bytes");
        if first.len() < 4096 {
            first.extend_from_slice(&buf[..n]);
        }
        total += n;
    }
    let first = String::from_utf8_lossy(&first);
    assert!(first.contains("{\"value\":["), "{first}");
    assert!(
        first.contains("{\"name\":\"x\"},{\"name\":\"x\"},"),
        "{first}"
    );
    drop(client);

    // The emulator is none the worse for it.
    let mut again = Client::connect(&emulator).unwrap_or_else(|e| panic!("{e}"));
    let r = again
        .send("GET", &list(), &auth, "")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    assert_eq!(emulator.stats().faults.get("endless_body"), Some(&1));
}

#[test]
fn huge_body_has_an_exact_content_length() {
    let emulator = start();
    emulator.inject(FaultRule::new(Fault::HugeBody {
        status: 200,
        bytes: 500_000_000,
    }));
    emulator.inject(FaultRule::new(Fault::HugeBody {
        status: 200,
        bytes: 1_000_003,
    }));
    let bearer = bearer(&emulator);
    let auth = [("authorization", bearer.as_str())];

    // 500 MB announced; read a little and hang up.
    let mut client = Client::connect(&emulator).unwrap_or_else(|e| panic!("{e}"));
    let head = client
        .send_head("GET", &list(), &auth, "")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("500000000"));
    assert_eq!(head.header("content-type"), Some("application/json"));
    let mut start = vec![0; 1024 * 1024];
    client
        .reader()
        .read_exact(&mut start)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(start.starts_with(b"{\"value\":[{\"name\":\"x\"},"));
    drop(client);

    // 1 MB read whole: exactly that long, and valid JSON.
    let mut client = Client::connect(&emulator).unwrap_or_else(|e| panic!("{e}"));
    let r = client
        .send("GET", &list(), &auth, "")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.header("content-length"), Some("1000003"));
    assert_eq!(r.body.len(), 1_000_003);
    assert!(r.json()["value"]
        .as_array()
        .is_some_and(|v| v.len() > 70_000));
    // The connection is still in step: the next answer is a normal one.
    let r = client
        .send("GET", &list(), &auth, "")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["value"], json!([]));
    assert_eq!(emulator.stats().faults.get("huge_body"), Some(&2));
}

#[test]
fn echo_reflects_headers_and_body() {
    let emulator = start();
    emulator.inject(FaultRule::new(Fault::Echo { status: 500 }));
    let mut arm = Arm::new(&emulator);
    let r = arm.call_with(
        "POST",
        &list(),
        "raw-body-here",
        &[("x-ms-authorization-auxiliary", "Bearer aux-token")],
    );
    assert_eq!(r.status, 500);
    assert_eq!(r.error_code(), "Echo");
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains(&format!("authorization: {}\n", arm.bearer)),
        "{message}"
    );
    assert!(
        message.contains("x-ms-authorization-auxiliary: Bearer aux-token\n"),
        "{message}"
    );
    assert!(message.ends_with("\n\nraw-body-here"), "{message}");

    // On the token endpoint it reflects the client secret.
    emulator.inject(FaultRule::new(Fault::Echo { status: 400 }).token_endpoint());
    let r = token(
        &mut arm.client,
        demo::TENANT,
        demo::CLIENT_ID,
        demo::CLIENT_SECRET,
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "Echo");
    let message = r.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains(&format!("client_secret={}", demo::CLIENT_SECRET)),
        "{message}"
    );
    assert_eq!(emulator.stats().faults.get("echo"), Some(&2));
}

#[test]
fn reply_is_answered_verbatim() {
    let emulator = start();
    let body = "\u{1b}[2J\u{1b}]0;pwned\u{7}{\"status\":\"InProgress\"}";
    emulator.inject(FaultRule::new(Fault::Reply {
        status: 202,
        headers: vec![
            ("Retry-After".to_owned(), "0".to_owned()),
            (
                "Azure-AsyncOperation".to_owned(),
                "https://user:pass@127.0.0.1:1/op?x=1".to_owned(),
            ),
        ],
        body: body.to_owned(),
    }));
    let mut arm = Arm::new(&emulator);
    let r = arm.call("GET", &list(), "");
    assert_eq!(r.status, 202);
    assert_eq!(r.header("retry-after"), Some("0"));
    assert_eq!(
        r.header("azure-asyncoperation"),
        Some("https://user:pass@127.0.0.1:1/op?x=1")
    );
    assert_eq!(r.body, body);
    // None of ARM's usual headers are added.
    assert_eq!(r.header("x-ms-request-id"), None);
    assert_eq!(r.header("content-type"), None);
}

#[test]
fn token_endpoint_rules_hit_token_requests_only() {
    let emulator = start();
    emulator.inject(
        FaultRule::new(Fault::Status(503))
            .token_endpoint()
            .method("POST")
            .path_contains(demo::TENANT),
    );
    let mut arm = Arm::new(&emulator);
    // ARM is left alone...
    assert_eq!(arm.call("GET", &list(), "").status, 200);
    // ...the token request is hit, once, in Entra's error shape.
    let r = token(
        &mut arm.client,
        demo::TENANT,
        demo::CLIENT_ID,
        demo::CLIENT_SECRET,
    );
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.json()["error"], "temporarily_unavailable");
    let r = token(
        &mut arm.client,
        demo::TENANT,
        demo::CLIENT_ID,
        demo::CLIENT_SECRET,
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // A plain rule still hits ARM, not the token endpoint.
    emulator.inject(FaultRule::new(Fault::Status(500)));
    let r = token(
        &mut arm.client,
        demo::TENANT,
        demo::CLIENT_ID,
        demo::CLIENT_SECRET,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(arm.call("GET", &list(), "").status, 500);

    // A token request the fault leaves unanswered is still logged.
    emulator.inject(FaultRule::new(Fault::DropConnection).token_endpoint());
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=x%2F.default",
        demo::CLIENT_ID,
        demo::CLIENT_SECRET
    );
    let dropped = arm.client.send(
        "POST",
        &format!("/{}/oauth2/v2.0/token", demo::TENANT),
        &[],
        &form,
    );
    assert!(dropped.is_err());

    let seen: Vec<(bool, Option<u16>)> = emulator
        .requests()
        .iter()
        .map(|r| (r.is_token_request(), r.status))
        .collect();
    assert_eq!(
        seen,
        [
            (false, Some(200)),
            (true, Some(503)),
            (true, Some(200)),
            (true, Some(200)),
            (false, Some(500)),
            (true, None),
        ]
    );
    let stats = emulator.stats();
    assert_eq!(stats.token_requests, 4);
    assert_eq!(stats.faults.get("server_error"), Some(&2));
    assert_eq!(stats.faults.get("drop_connection"), Some(&1));
}

#[test]
fn unlimited_rules_never_run_out() {
    let emulator = start();
    emulator.inject(FaultRule::new(Fault::Status(503)).method("GET").always());
    emulator.inject(
        FaultRule::new(Fault::Throttle {
            retry_after_secs: 0,
        })
        .token_endpoint()
        .times(usize::MAX),
    );
    let mut arm = Arm::new(&emulator);
    for _ in 0..30 {
        assert_eq!(arm.call("GET", &list(), "").status, 503);
        let r = token(
            &mut arm.client,
            demo::TENANT,
            demo::CLIENT_ID,
            demo::CLIENT_SECRET,
        );
        assert_eq!(r.status, 429);
        assert_eq!(r.header("retry-after"), Some("0"));
    }
    let stats = emulator.stats();
    assert_eq!(stats.faults.get("server_error"), Some(&30));
    assert_eq!(stats.faults.get("throttle"), Some(&30));
}

#[test]
fn https_sink_records_everything_under_the_emulators_ca() {
    let emulator = start();
    let sink = emulator.start_sink().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        sink.url().starts_with("https://127.0.0.1:"),
        "{}",
        sink.url()
    );
    assert_ne!(sink.url(), emulator.url());
    let mut client =
        Client::connect_to(sink.url(), emulator.ca_file()).unwrap_or_else(|e| panic!("{e}"));
    let r = client
        .send(
            "GET",
            "/next?page=2",
            &[("authorization", "Bearer leaked")],
            "",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.status, r.json()), (200, json!({})));
    let r = client
        .send("PUT", "/put", &[], "{\"a\":1}")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status, 200);

    let requests = sink.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path_and_query, "/next?page=2");
    assert_eq!(requests[0].header("authorization"), Some("Bearer leaked"));
    assert_eq!(requests[0].status, Some(200));
    assert_eq!(requests[1].body, "{\"a\":1}");
    assert!(emulator.requests().is_empty());

    let url = sink.url().to_owned();
    drop(sink);
    assert!(Client::connect_to(&url, emulator.ca_file()).is_err());
}

/// Sends `raw` (a whole request, `connection: close`) over plain TCP; the
/// status and body of the answer.
fn plain(sink: &Sink, raw: &str) -> (u16, String) {
    let addr = sink.url().trim_start_matches("http://");
    let mut tcp = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap_or_else(|e| panic!("{e}"));
    tcp.write_all(raw.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = String::new();
    tcp.read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("{e}"));
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn plain_sink_records_origin_absolute_and_connect_targets() {
    let sink = Sink::start_plain_http().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        sink.url().starts_with("http://127.0.0.1:"),
        "{}",
        sink.url()
    );

    let origin = plain(
        &sink,
        "POST /plain?q=1 HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc",
    );
    assert_eq!(origin, (200, "{}".to_owned()));
    let absolute = plain(
        &sink,
        "GET http://example.invalid/over/proxy?x=1 HTTP/1.1\r\nhost: example.invalid\r\nproxy-authorization: Basic c2VjcmV0\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(absolute, (200, "{}".to_owned()));
    let (status, _) = plain(
        &sink,
        "CONNECT management.azure.com:443 HTTP/1.1\r\nhost: management.azure.com:443\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(status, 502);

    let seen: Vec<(String, String, String, Option<u16>)> = sink
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path_and_query, r.body, r.status))
        .collect();
    let own =
        |m: &str, t: &str, b: &str, s: u16| (m.to_owned(), t.to_owned(), b.to_owned(), Some(s));
    assert_eq!(
        seen,
        [
            own("POST", "/plain?q=1", "abc", 200),
            own("GET", "http://example.invalid/over/proxy?x=1", "", 200),
            own("CONNECT", "management.azure.com:443", "", 502),
        ]
    );
    assert_eq!(
        sink.requests()[1].header("proxy-authorization"),
        Some("Basic c2VjcmV0")
    );
}
