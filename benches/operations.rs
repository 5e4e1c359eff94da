//! How long the things users wait for take, against the emulator with operations as long as
//! the live service's (~4 s, from the recordings' startTime/endTime):
//! - create and delete of a data connection, end to end (token, PUT, polls, GET);
//! - a `list` round trip; process start (`--version`).
//!
//! Run with `cargo bench`. Figures for the README and BENCHMARKS.md come from here, never
//! from timed tests.

#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]

mod support;

use std::time::Duration;

use adxconn_emulator::{demo, Emulator, World};

const RUNS: usize = 3;
/// A real create took 3.9–4.9 s in the 2024 recordings.
const OPERATION: Duration = Duration::from_secs(4);
/// The Python SDK's and az's fixed polling interval.
const FIXED_POLL: Duration = Duration::from_secs(30);

/// Runs adxconn, which must succeed; its wall time.
fn adxconn(emulator: &Emulator, args: &[&str]) -> Duration {
    let (elapsed, code) = support::adxconn(emulator, args);
    assert_eq!(code, 0, "adxconn {args:?} failed");
    elapsed
}

fn summary(name: &str, samples: &[Duration]) {
    let seconds: Vec<f64> = samples.iter().map(Duration::as_secs_f64).collect();
    let mean = seconds.iter().sum::<f64>() / seconds.len() as f64;
    let min = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    let max = seconds.iter().copied().fold(0.0, f64::max);
    println!(
        "{name:<42} mean {mean:>7.3} s   min {min:>7.3} s   max {max:>7.3} s   ({} runs)",
        seconds.len()
    );
}

fn main() {
    let emulator = Emulator::start(World::demo()).expect("the emulator starts");
    let db = [
        "-g",
        demo::RESOURCE_GROUP,
        "--cluster",
        demo::CLUSTER,
        "--database",
        demo::DATABASE,
    ];

    let version: Vec<Duration> = (0..20)
        .map(|_| adxconn(&emulator, &["--version"]))
        .collect();
    summary("start-up (adxconn --version)", &version);

    let list: Vec<Duration> = (0..10)
        .map(|_| adxconn(&emulator, &[&["list"][..], &db[..]].concat()))
        .collect();
    summary("list (token + GET, new process each)", &list);

    emulator.set_operation_duration(OPERATION);
    let hub = format!(
        "/subscriptions/{}/resourceGroups/rg-sources/providers/Microsoft.EventHub/namespaces/ns/eventhubs/bench",
        demo::SUBSCRIPTION
    );
    let mut creates = Vec::new();
    let mut deletes = Vec::new();
    for run in 0..RUNS {
        let name = format!("bench-{run}");
        let target = [&db[..], &["-n", &name][..]].concat();
        creates.push(adxconn(
            &emulator,
            &[
                &["create", "eventhub"][..],
                &target,
                &["--eventhub-id", &hub],
            ]
            .concat(),
        ));
        deletes.push(adxconn(
            &emulator,
            &[&["delete", "--yes"][..], &target].concat(),
        ));
    }
    summary("create eventhub, 4 s operation", &creates);
    summary("delete, 4 s operation", &deletes);
    let fixed =
        FIXED_POLL.as_secs_f64() * (OPERATION.as_secs_f64() / FIXED_POLL.as_secs_f64()).ceil();
    println!(
        "a client polling every {} s first sees a 4 s operation finished after {fixed:.0} s (+ its own overhead)",
        FIXED_POLL.as_secs()
    );

    // How long after its operation ends a create returns, for the lengths live operations
    // take (1.4–6 s mostly, a few 25–40 s), and how many polls that costs.
    println!("\n| operation | create returns after (median of {RUNS}) | overshoot | polls | every 30 s |");
    println!("|---|---|---|---|---|");
    for seconds in [1, 2, 3, 4, 5, 6, 8, 10, 30] {
        let length = Duration::from_secs(seconds);
        let mut samples = Vec::new();
        let mut polls = 0;
        for run in 0..RUNS {
            emulator.set_operation_duration(length);
            let name = format!("over-{seconds}-{run}");
            let target = [&db[..], &["-n", &name][..]].concat();
            let before = emulator.operation_polls();
            samples.push(adxconn(
                &emulator,
                &[
                    &["create", "eventhub"][..],
                    &target,
                    &["--eventhub-id", &hub],
                ]
                .concat(),
            ));
            polls += emulator.operation_polls() - before;
            emulator.set_operation_duration(Duration::from_millis(100));
            adxconn(&emulator, &[&["delete", "--yes"][..], &target].concat());
        }
        samples.sort();
        let median = samples[samples.len() / 2].as_secs_f64();
        let fixed = FIXED_POLL.as_secs_f64() * (seconds as f64 / FIXED_POLL.as_secs_f64()).ceil();
        println!(
            "| {seconds} s | {median:.2} s | {:.2} s | {:.1} | {fixed:.0} s |",
            median - seconds as f64,
            polls as f64 / RUNS as f64
        );
    }
}
