//! Nothing lost, nothing duplicated, no false failures: lost answers, conflicts, unreadable
//! status, interrupts and resumed waits.

use std::time::Duration;

use crate::support::{target, Fault, FaultRule, TestEnv};

fn create(name: &str, extra: &[&str]) -> Vec<String> {
    crate::support::create_eventhub(name, "telemetry", extra)
}

fn delete(name: &str) -> Vec<String> {
    let mut args = vec!["delete".to_string(), "--yes".to_string()];
    args.extend(target(name));
    args
}

#[test]
fn a_lost_put_answer_is_not_a_failure_and_is_not_sent_twice() {
    let env = TestEnv::new();
    env.emulator
        .inject(FaultRule::new(Fault::LostResponse).method("PUT"));
    let run = env.run(&create("lost-put", &[]));
    run.expect(0);
    assert!(
        run.stderr.contains("answer to the PUT was lost"),
        "{}",
        run.stderr
    );
    assert_eq!(
        env.stored("lost-put").unwrap()["properties"]["provisioningState"],
        "Succeeded"
    );
    assert_eq!(
        env.count("PUT", "/dataConnections/lost-put"),
        1,
        "applied once, never re-sent"
    );
}

#[test]
fn a_lost_delete_answer_is_not_a_failure() {
    let env = TestEnv::new();
    env.run(&create("lost-delete", &[])).expect(0);
    env.emulator
        .inject(FaultRule::new(Fault::LostResponse).method("DELETE"));
    let run = env.run(&delete("lost-delete"));
    run.expect(0);
    assert!(env.stored("lost-delete").is_none());
    assert_eq!(env.count("DELETE", "/dataConnections/lost-delete"), 1);
}

#[test]
fn kusto_maintenance_conflicts_are_retried() {
    let env = TestEnv::new();
    env.emulator.inject(
        FaultRule::new(Fault::Conflict {
            code: "ServiceIsInMaintenance".into(),
        })
        .method("PUT")
        .times(2),
    );
    let run = env.run(&create("maintenance", &["--location", "westeurope"]));
    run.expect(0);
    assert_eq!(env.count("PUT", "/dataConnections/maintenance"), 3);
}

#[test]
fn unreadable_status_is_not_a_failed_operation() {
    let env = TestEnv::new();
    env.emulator.inject(
        FaultRule::new(Fault::Status(503))
            .path_contains("/operationResults/")
            .times(3),
    );
    let run = env.run(&create("unreadable", &[]));
    run.expect(0);
    assert_eq!(
        env.stored("unreadable").unwrap()["properties"]["provisioningState"],
        "Succeeded"
    );
}

#[test]
fn timeout_on_a_long_operation_exits_4_and_wait_resumes_it() {
    let env = TestEnv::new();
    env.emulator.set_operation_duration(Duration::from_secs(10));
    let run = env.run(&create("long", &["--timeout", "2s"]));
    run.expect(4);
    assert!(
        run.stderr.contains("PUT https://"),
        "says what was sent: {}",
        run.stderr
    );
    let url = operation_url(&run.stderr);
    env.emulator
        .set_operation_duration(Duration::from_millis(200));
    let resumed = env.run(&["wait", "--operation", &url]);
    resumed.expect(0);
    assert!(resumed.stderr.contains("succeeded"), "{}", resumed.stderr);
    assert_eq!(env.count("PUT", "/dataConnections/long"), 1);
}

#[test]
fn wait_follows_a_connection_or_its_deletion() {
    let env = TestEnv::new();
    env.run(&create("settle", &["--no-wait"])).expect(0);
    let mut wait = vec!["wait".to_string()];
    wait.extend(target("settle"));
    let run = env.run(&wait);
    run.expect(0);
    assert!(run.stdout.contains("Succeeded"), "{}", run.stdout);

    let mut no_wait_delete = delete("settle");
    no_wait_delete.push("--no-wait".into());
    env.run(&no_wait_delete).expect(0);
    let mut gone = wait.clone();
    gone.push("--deleted".into());
    env.run(&gone).expect(0);
    assert!(env.stored("settle").is_none());
    env.run(&wait).expect(5);
}

#[test]
fn wait_refuses_an_operation_url_on_another_host() {
    let env = TestEnv::new();
    let run = env.run(&[
        "wait",
        "--operation",
        "https://evil.example.com/subscriptions/x/operationResults/y",
    ]);
    run.expect(2);
    assert!(run.stderr.contains("--operation"), "{}", run.stderr);
    assert!(env.emulator.requests().is_empty());
}

/// The status URL in an error's `adxconn wait --operation '…'` hint.
fn operation_url(stderr: &str) -> String {
    let start = stderr.find("--operation '").expect("a resume hint") + "--operation '".len();
    let end = stderr[start..].find('\'').unwrap() + start;
    stderr[start..end].to_string()
}

#[cfg(unix)]
#[test]
fn sigint_while_waiting_exits_130_and_never_repeats_the_operation() {
    use std::process::Stdio;
    use std::time::Instant;

    let env = TestEnv::new();
    env.emulator.set_operation_duration(Duration::from_secs(20));
    let child = env
        .command(&create("interrupted", &[]))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while env.emulator.operation_polls() == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "no poll came");
        std::thread::sleep(Duration::from_millis(50));
    }
    crate::support::signal(&child, "INT");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stderr.contains("PUT https://"), "{stderr}");
    let url = operation_url(&stderr);
    assert_eq!(env.count("PUT", "/dataConnections/interrupted"), 1);

    env.emulator
        .set_operation_duration(Duration::from_millis(100));
    env.run(&["wait", "--operation", &url]).expect(0);
    assert_eq!(
        env.stored("interrupted").unwrap()["properties"]["provisioningState"],
        "Succeeded"
    );
    assert_eq!(
        env.count("PUT", "/dataConnections/interrupted"),
        1,
        "not repeated"
    );
}
