//! The random fault mix over HTTPS: reproducible for a given seed, never on
//! token requests, and accounted for in `stats()`.

mod common;

use std::time::Duration;

use adxconn_emulator::{demo, Fault, FaultMix, FaultRule, API_VERSION};
use common::{base, hub, start, token, Arm, Client};
use serde_json::json;

fn mix(seed: u64) -> FaultMix {
    FaultMix {
        throttle: 0.1,
        server_error: 0.1,
        drop_connection: 0.1,
        lost_response: 0.1,
        conflict: 0.1,
        ..FaultMix::new(seed)
    }
}

/// Sends a fixed sequence of PUTs, GETs and lists, retrying each until it
/// gets a non-fault answer; returns what every attempt got (`None`: no answer).
fn workload(arm: &mut Arm<'_>, emulator: &adxconn_emulator::Emulator) -> Vec<Option<u16>> {
    let body = json!({"kind": "EventHub", "properties": {"eventHubResourceId": hub(), "consumerGroup": "cg"}})
        .to_string();
    let mut seen = Vec::new();
    for i in 0..40 {
        let name = format!("dc{}", i % 5);
        let url = format!(
            "{}/dataConnections/{name}?api-version={API_VERSION}",
            base()
        );
        let list = format!("{}/dataConnections?api-version={API_VERSION}", base());
        let (method, target, body) = match i % 3 {
            0 => ("PUT", url, body.as_str()),
            1 => ("GET", list, ""),
            _ => ("GET", url, ""),
        };
        for _attempt in 0..50 {
            let bearer = arm.bearer.clone();
            let sent = arm.client.send(
                method,
                &target,
                &[
                    ("authorization", &bearer),
                    ("content-type", "application/json"),
                ],
                body,
            );
            match sent {
                Ok(r) => {
                    seen.push(Some(r.status));
                    if ![409, 429, 500, 502, 503, 504].contains(&r.status) {
                        break;
                    }
                }
                Err(_) => {
                    seen.push(None);
                    arm.client = Client::connect(emulator).unwrap_or_else(|e| panic!("{e}"));
                }
            }
        }
    }
    seen
}

#[test]
fn a_seeded_mix_is_reproducible_and_accounted_for() {
    let run = |seed: u64| {
        let emulator = start();
        // Instant operations keep "another operation in progress" (a
        // timing-dependent 409) out of the sequence.
        emulator.set_operation_duration(Duration::ZERO);
        emulator.set_fault_mix(Some(mix(seed)));
        let mut arm = Arm::new(&emulator);
        let seen = workload(&mut arm, &emulator);
        (seen, emulator.stats(), emulator.connections().len())
    };
    let (seen, stats, stored) = run(42);
    assert_eq!(run(42).0, seen, "same seed, same sequence");
    assert_ne!(run(43).0, seen, "another seed, another sequence");

    let count = |f: &dyn Fn(&Option<u16>) -> bool| seen.iter().filter(|s| f(s)).count();
    assert_eq!(stats.arm_requests, seen.len());
    assert_eq!(stats.token_requests, 0);
    let fault = |name: &str| stats.faults.get(name).copied().unwrap_or(0);
    assert_eq!(fault("throttle"), count(&|s| *s == Some(429)));
    assert_eq!(
        fault("server_error"),
        count(&|s| s.is_some_and(|s| s >= 500))
    );
    assert_eq!(fault("conflict"), count(&|s| *s == Some(409)));
    assert_eq!(
        fault("drop_connection") + fault("lost_response"),
        count(&Option::is_none)
    );
    for name in [
        "throttle",
        "server_error",
        "drop_connection",
        "lost_response",
        "conflict",
    ] {
        assert!(fault(name) > 0, "{name} never drawn in {seen:?}");
    }
    assert!(stats.lost_writes > 0 && stats.lost_writes <= fault("lost_response"));
    assert!(stats.writes >= 14 && stats.writes < seen.len());

    // Each connection was created once, however many PUTs it took.
    assert_eq!(stored, 5);
    assert_eq!(stats.creations.len(), 5);
    assert!(
        stats.creations.values().all(|n| *n == 1),
        "{:?}",
        stats.creations
    );
    let id = format!("{}/dataconnections/dc0", base()).to_ascii_lowercase();
    assert_eq!(stats.creations.get(&id), Some(&1), "{:?}", stats.creations);
}

#[test]
fn rules_come_first_and_tokens_are_never_faulted() {
    let emulator = start();
    emulator.set_fault_mix(Some(FaultMix {
        throttle: 1.0,
        ..FaultMix::new(1)
    }));
    let mut client = Client::connect(&emulator).unwrap_or_else(|e| panic!("{e}"));
    let issued = token(
        &mut client,
        demo::TENANT,
        demo::CLIENT_ID,
        demo::CLIENT_SECRET,
    );
    assert_eq!(issued.status, 200);

    let mut arm = Arm::new(&emulator);
    let sub = format!(
        "/subscriptions/{}?api-version={API_VERSION}",
        demo::SUBSCRIPTION
    );
    let throttled = arm.call("GET", &sub, "");
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("1"));
    emulator.inject(FaultRule::new(Fault::Status(418)));
    assert_eq!(arm.call("GET", &sub, "").status, 418);
    emulator.set_fault_mix(None);
    assert_eq!(arm.call("GET", &sub, "").status, 200);

    let stats = emulator.stats();
    assert_eq!((stats.arm_requests, stats.token_requests), (3, 1));
    assert_eq!(stats.faults.get("throttle"), Some(&1));
    assert_eq!(stats.faults.get("status_418"), Some(&1));
    assert_eq!(stats.writes, 0);
    // The counters outlive the request log.
    emulator.clear_requests();
    assert_eq!(emulator.stats(), stats);
}
