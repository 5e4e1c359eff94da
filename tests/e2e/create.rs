//! Creating: waiting, not waiting, dry runs, failed operations, throttling and server errors.

use std::time::Duration;

use serde_json::Value;

use crate::support::{Fault, FaultRule, TestEnv};

fn create_eventhub(name: &str, extra: &[&str]) -> Vec<String> {
    crate::support::create_eventhub(name, "telemetry", extra)
}

#[test]
fn no_wait_returns_the_operation_url_without_polling() {
    let env = TestEnv::new();
    let run = env.run(&create_eventhub("nowait", &["--no-wait"]));
    run.expect(0);
    let url = run.stdout.trim();
    assert!(
        url.starts_with(env.emulator.url()) && url.contains("/operationResults/"),
        "{url}"
    );
    assert!(
        url.len() > 3000,
        "the signed status URL is printed whole ({} bytes)",
        url.len()
    );
    assert_eq!(env.emulator.operation_polls(), 0);

    // Its own consumer group: the first one reads the same hub with `$Default`.
    let json = env.run(&create_eventhub(
        "nowait-json",
        &["--no-wait", "-o", "json", "--consumer-group", "second"],
    ));
    json.expect(0);
    let value = json.json();
    assert!(value["operation"]
        .as_str()
        .unwrap()
        .contains("/operationResults/"));
    assert_eq!(
        value["resource"]["properties"]["provisioningState"],
        "Creating"
    );
}

#[test]
fn dry_run_prints_the_request_and_sends_nothing() {
    let env = TestEnv::new();
    let run = env.run(&create_eventhub("dry", &["--dry-run", "--table", "Events"]));
    run.expect(0);
    assert!(run.stdout.contains("PUT https://"), "{}", run.stdout);
    assert!(run.stdout.contains("Authorization: Bearer [redacted]"));
    assert!(run.stdout.contains("\"tableName\": \"Events\""));
    assert!(
        run.stdout.contains("GET "),
        "the location lookup is shown too"
    );

    let json = env.run(&create_eventhub(
        "dry",
        &["--dry-run", "--location", "westeurope", "-o", "json"],
    ));
    json.expect(0);
    let plan = json.json();
    let requests = plan.as_array().unwrap();
    // The connection is read first (an existing one is left alone); with --location there is
    // no cluster GET.
    assert_eq!(requests.len(), 2, "{plan}");
    assert_eq!(requests[0]["method"], "GET");
    assert_eq!(requests[1]["method"], "PUT");
    assert_eq!(requests[1]["body"]["location"], "westeurope");
    assert!(requests[1]["url"]
        .as_str()
        .unwrap()
        .ends_with("/dataConnections/dry?api-version=2025-02-14"));
    let replace = env.run(&create_eventhub(
        "dry",
        &[
            "--dry-run",
            "--replace",
            "--location",
            "westeurope",
            "-o",
            "json",
        ],
    ));
    replace.expect(0);
    let plan = replace.json();
    assert_eq!(
        plan.as_array().unwrap().len(),
        1,
        "--replace reads nothing first"
    );
    assert_eq!(plan[0]["method"], "PUT");
    assert!(
        env.emulator.requests().is_empty(),
        "not even a token request"
    );
}

#[test]
fn a_failed_operation_exits_1_with_arms_message() {
    let env = TestEnv::new();
    env.emulator.fail_next_operation(
        "EventHubConsumerGroupNotFound",
        "Consumer group 'adx' does not exist in event hub 'telemetry'",
    );
    let run = env.run(&create_eventhub("doomed", &["--consumer-group", "adx"]));
    run.expect(1);
    assert!(
        run.stderr.contains("EventHubConsumerGroupNotFound"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Consumer group 'adx' does not exist"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"));
}

#[test]
fn throttling_is_retried_after_retry_after() {
    let env = TestEnv::new();
    env.emulator.inject(
        FaultRule::new(Fault::Throttle {
            retry_after_secs: 1,
        })
        .method("PUT")
        .times(2),
    );
    let run = env.run(&create_eventhub("throttled", &[]));
    run.expect(0);
    assert_eq!(env.count("PUT", "/dataConnections/throttled"), 3);
    let statuses: Vec<Option<u16>> = env
        .arm_requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Some(429), Some(429), Some(201)]);
}

#[test]
fn server_errors_and_dropped_connections_are_retried() {
    let env = TestEnv::new();
    env.emulator
        .inject(FaultRule::new(Fault::Status(503)).method("GET").times(1));
    env.emulator
        .inject(FaultRule::new(Fault::DropConnection).method("PUT").times(1));
    env.emulator
        .inject(FaultRule::new(Fault::Status(500)).method("PUT").times(1));
    let run = env.run(&create_eventhub("flaky", &[]));
    run.expect(0);
    assert_eq!(
        env.stored("flaky").unwrap()["properties"]["provisioningState"],
        "Succeeded"
    );
}

#[test]
fn persistent_throttling_gives_up_with_a_clear_error() {
    let env = TestEnv::new();
    env.emulator.inject(
        FaultRule::new(Fault::Throttle {
            retry_after_secs: 0,
        })
        .method("PUT")
        .times(100),
    );
    let run = env.run(&create_eventhub("swamped", &["--location", "westeurope"]));
    run.expect(1);
    assert!(run.stderr.contains("429"), "{}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    let puts = env.count("PUT", "/dataConnections/swamped");
    assert!((2..=10).contains(&puts), "bounded retries, got {puts}");
}

#[test]
fn timeout_while_waiting_exits_4_with_the_operation_url() {
    let env = TestEnv::new();
    env.emulator.set_operation_duration(Duration::from_secs(30));
    let run = env.run(&create_eventhub("slow", &["--timeout", "2s"]));
    run.expect(4);
    assert!(run.stderr.contains("/operationResults/"), "{}", run.stderr);
    assert!(run.stderr.contains("still running"), "{}", run.stderr);
}

#[test]
fn retry_after_on_polls_is_honoured() {
    let env = TestEnv::new();
    env.emulator.set_operation_duration(Duration::from_secs(30));
    env.emulator.set_poll_retry_after(Some(4));
    let run = env.run(&create_eventhub("paced", &["--timeout", "6s"]));
    run.expect(4);
    // Within 6 s, `Retry-After: 4` (on the PUT's answer and on each poll) leaves room for one or
    // two polls; the default pacing would have polled three times (1 s, 2.5 s, 4.75 s).
    let polls = env.emulator.operation_polls();
    assert!((1..=2).contains(&polls), "{polls} polls");
}

#[test]
fn status_urls_are_polled_byte_for_byte() {
    let env = TestEnv::new();
    let run = env.run(&create_eventhub("exact", &[]));
    run.expect(0);
    // The emulator answers only the exact signed URL it issued; reaching Succeeded proves it.
    let poll = env
        .arm_requests()
        .into_iter()
        .find(|r| r.path_and_query.contains("/operationResults/"))
        .unwrap();
    assert_eq!(poll.status, Some(200));
    assert!(
        poll.path_and_query.contains("West%20Europe"),
        "{}",
        poll.path_and_query
    );
    let auth = poll.header("authorization").unwrap();
    assert!(
        auth.starts_with("Bearer "),
        "polls carry the same credentials"
    );
}

#[test]
fn create_prints_the_resource_as_arm_returns_it() {
    let env = TestEnv::new();
    let run = env.run(&create_eventhub("as-returned", &["-o", "json"]));
    run.expect(0);
    let resource: Value = run.json();
    assert_eq!(
        resource["type"],
        "Microsoft.Kusto/Clusters/Databases/DataConnections"
    );
    // The live service's quirks survive untouched: "" for unset strings.
    assert_eq!(resource["properties"]["tableName"], "");
    assert_eq!(resource["properties"]["provisioningState"], "Succeeded");
}
