//! Soak: many operations of every kind, several adxconn processes at once, under a seeded mix
//! of throttling, server errors, dropped connections, lost answers and Kusto conflicts.
//! Afterwards the emulator holds exactly what was asked, every run exited 0, and no connection
//! was created twice. Bounded: a fixed plan, ~1 minute on 2 cores.

use std::time::{Duration, Instant};

use adxconn_emulator::FaultMix;

use crate::support::{database_flags, eventhub_id, iothub_id, storage_id, target, TestEnv};

const WORKERS: usize = 4;
const CONNECTIONS_PER_WORKER: usize = 10;

/// The create command for connection `index` of a worker: the kinds take turns.
fn create(name: &str, index: usize) -> Vec<String> {
    let mut args = vec!["create".to_string()];
    let source: Vec<String> = match index % 3 {
        0 => vec![
            "iothub".into(),
            "--iothub-id".into(),
            iothub_id(),
            "--shared-access-policy".into(),
            "registryRead".into(),
            // One IoT Hub for all: each connection reads it with its own consumer group, as
            // the service requires.
            "--consumer-group".into(),
            name.into(),
        ],
        1 => vec![
            "eventhub".into(),
            "--eventhub-id".into(),
            eventhub_id(&format!("hub-{name}")),
            "--managed-identity".into(),
            "system".into(),
        ],
        _ => vec![
            "eventgrid".into(),
            "--storage-account-id".into(),
            storage_id(),
            "--eventhub-id".into(),
            eventhub_id(&format!("grid-{name}")),
        ],
    };
    args.push(source[0].clone());
    args.extend(target(name));
    args.extend(source[1..].iter().cloned());
    args.extend([
        "--quiet".to_string(),
        "--location".into(),
        "westeurope".into(),
    ]);
    args
}

#[test]
fn soak_under_a_seeded_fault_mix() {
    let env = TestEnv::new();
    env.emulator
        .set_operation_duration(Duration::from_millis(200));
    env.emulator.set_fault_mix(Some(FaultMix {
        throttle: 0.04,
        server_error: 0.05,
        drop_connection: 0.03,
        lost_response: 0.15,
        conflict: 0.05,
        ..FaultMix::new(20_261_201)
    }));
    let started = Instant::now();
    let results: Vec<(String, i32, String)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|worker| {
                let env = &env;
                scope.spawn(move || {
                    let mut runs = Vec::new();
                    let mut record = |what: String, args: &[String]| {
                        let run = env.run(args);
                        runs.push((what, run.code, run.stderr));
                    };
                    for index in 0..CONNECTIONS_PER_WORKER {
                        let name = format!("w{worker}-c{index}");
                        record(format!("create {name}"), &create(&name, index));
                        let mut show = vec!["show".to_string(), "-o".into(), "json".into()];
                        show.extend(target(&name));
                        record(format!("show {name}"), &show);
                        if index % 2 == 1 {
                            let mut delete =
                                vec!["delete".to_string(), "--yes".into(), "--quiet".into()];
                            delete.extend(target(&name));
                            record(format!("delete {name}"), &delete);
                        }
                        if index % 5 == 4 {
                            let mut list = vec!["list".to_string(), "--quiet".into()];
                            list.extend(database_flags());
                            record("list".into(), &list);
                        }
                    }
                    runs
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let elapsed = started.elapsed();
    let stats = env.emulator.stats();
    let failures: Vec<&(String, i32, String)> =
        results.iter().filter(|(_, code, _)| *code != 0).collect();

    let faults: usize = stats.faults.values().sum();
    println!(
        "soak: {} operations by {WORKERS} parallel workers in {:.1} s; {} ARM requests ({} writes), {} token requests; \
         {faults} faults injected {:?}; {} writes applied with the answer lost ({:.1}% of writes); {} failures",
        results.len(),
        elapsed.as_secs_f64(),
        stats.arm_requests,
        stats.writes,
        stats.token_requests,
        stats.faults,
        stats.lost_writes,
        100.0 * stats.lost_writes as f64 / stats.writes.max(1) as f64,
        failures.len()
    );
    assert!(results.len() >= 100, "{} operations", results.len());
    assert!(failures.is_empty(), "failed runs: {failures:#?}");
    assert!(
        stats.lost_writes * 20 >= stats.writes,
        "lost answers on at least 5% of writes ({} of {})",
        stats.lost_writes,
        stats.writes
    );

    // Exactly what was asked: even-numbered connections kept and Succeeded, odd ones gone.
    for worker in 0..WORKERS {
        for index in 0..CONNECTIONS_PER_WORKER {
            let name = format!("w{worker}-c{index}");
            let stored = env.stored(&name);
            if index % 2 == 1 {
                assert!(stored.is_none(), "{name} should be gone");
            } else {
                let stored = stored.unwrap_or_else(|| panic!("{name} should exist"));
                assert_eq!(
                    stored["properties"]["provisioningState"], "Succeeded",
                    "{name}"
                );
                let kind = ["IotHub", "EventHub", "EventGrid"][index % 3];
                assert_eq!(stored["kind"], kind, "{name}");
            }
        }
    }
    assert_eq!(
        env.emulator.connections().len(),
        WORKERS * CONNECTIONS_PER_WORKER / 2
    );
    // Nothing created twice.
    assert_eq!(stats.creations.len(), WORKERS * CONNECTIONS_PER_WORKER);
    let twice: Vec<_> = stats.creations.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "created more than once: {twice:?}");
}
