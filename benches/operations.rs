//! How long the things users wait for take, against the emulator with operations as long as
//! the live service's (~4 s, from the recordings' startTime/endTime):
//! - create and delete of a data connection, end to end (token, PUT, polls, GET);
//! - a `list` round trip; process start (`--version`);
//! - how soon a create returns after its operation ends, for operations of 1 to 30 s, beside
//!   the Python SDK's (`azure-mgmt-kusto`, default polling) measured in the same run.
//!
//! The SDK is installed from PyPI into `target/python-sdk` on the first run (pinned in
//! `python_sdk`). Its creates wait ~30 s each, so they run while adxconn's are measured, in
//! [`SDK_RUNS`] threads, each one create at a time against its own emulator. Without python3
//! or PyPI the SDK's columns say why they are missing and adxconn's are still measured.
//!
//! Run with `cargo bench`. Figures for the README and BENCHMARKS.md come from here, never
//! from timed tests.

#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]

mod python_sdk;
mod support;

use std::thread;
use std::time::Duration;

use adxconn_emulator::{demo, Emulator, World};
use python_sdk::PythonSdk;

const RUNS: usize = 3;
/// A real create took 3.9–4.9 s in the 2024 recordings.
const OPERATION: Duration = Duration::from_secs(4);
/// Operation lengths of the overshoot table: what live operations take (1.4–6 s mostly, a few
/// 25–40 s).
const LENGTHS: [u64; 9] = [1, 2, 3, 4, 5, 6, 8, 10, 30];
/// Runs of the SDK per length, each in its own thread against its own emulator.
const SDK_RUNS: usize = RUNS;
/// Between the SDK threads' starts, so that their processes start at different moments.
const SDK_STAGGER: Duration = Duration::from_secs(10);

/// One SDK create: its wall time and status polls, or why it failed.
type SdkCreate = Result<(Duration, usize), String>;

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

fn hub(name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-sources/providers/Microsoft.EventHub/namespaces/ns/eventhubs/{name}",
        demo::SUBSCRIPTION
    )
}

/// One SDK create per length against a fresh emulator, one after another; the creates in
/// [`LENGTHS`]' order, and the versions the SDK reported.
fn sdk_thread(sdk: &PythonSdk, run: usize) -> (Vec<SdkCreate>, Option<String>) {
    let emulator = match Emulator::start(World::demo()) {
        Ok(emulator) => emulator,
        Err(e) => {
            let why = format!("the emulator did not start: {e}");
            return (LENGTHS.iter().map(|_| Err(why.clone())).collect(), None);
        }
    };
    let mut versions = None;
    let rows = LENGTHS
        .iter()
        .map(|&seconds| {
            emulator.set_operation_duration(Duration::from_secs(seconds));
            let before = emulator.operation_polls();
            // Each create reads its own hub: the emulator, as the service, refuses a second
            // connection of the cluster to the same hub and consumer group.
            let name = format!("sdk-{seconds}-{run}");
            let created = sdk.create(&emulator, &name, &hub(&name))?;
            versions = Some(created.versions);
            Ok((created.elapsed, emulator.operation_polls() - before))
        })
        .collect();
    (rows, versions)
}

fn median(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64()
}

fn main() {
    // Installed first, so that pip does not run while anything is measured.
    let sdk = PythonSdk::install();
    if let Err(why) = &sdk {
        println!("Python SDK not measured: {why}");
    }

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

    // The SDK's creates, alongside everything below.
    let sdk_threads: Vec<_> = match &sdk {
        Ok(sdk) => (0..SDK_RUNS)
            .map(|run| {
                let sdk = sdk.clone();
                thread::spawn(move || {
                    thread::sleep(SDK_STAGGER * u32::try_from(run).unwrap_or(0));
                    sdk_thread(&sdk, run)
                })
            })
            .collect(),
        Err(_) => Vec::new(),
    };

    emulator.set_operation_duration(OPERATION);
    let hub = hub("bench");
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

    // How long after its operation ends a create returns, and how many polls that costs.
    let mut adxconn_rows = Vec::new();
    for seconds in LENGTHS {
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
        adxconn_rows.push((median(&mut samples), polls));
    }

    // The SDK's creates by length.
    let mut sdk_creates: Vec<Vec<SdkCreate>> = LENGTHS.iter().map(|_| Vec::new()).collect();
    let mut versions = None;
    for handle in sdk_threads {
        let (creates, reported) = handle.join().unwrap_or_else(|_| {
            let panicked = Err("the SDK's thread panicked".to_owned());
            (LENGTHS.iter().map(|_| panicked.clone()).collect(), None)
        });
        versions = versions.or(reported);
        for (by_length, create) in sdk_creates.iter_mut().zip(creates) {
            by_length.push(create);
        }
    }

    println!(
        "\n| operation | adxconn: create returns after (median of {RUNS}) | overshoot | polls | Python SDK: create returns after (median of {SDK_RUNS}) | overshoot | polls |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut failures = Vec::new();
    for ((seconds, (adxconn, polls)), creates) in LENGTHS.iter().zip(adxconn_rows).zip(sdk_creates)
    {
        let length = *seconds as f64;
        let measured: Result<Vec<(Duration, usize)>, String> = creates.into_iter().collect();
        let sdk_cells = match (&sdk, measured) {
            (Err(_), _) => "not measured | | ".to_owned(),
            (Ok(_), Ok(measured)) => {
                let mut samples: Vec<Duration> = measured.iter().map(|(d, _)| *d).collect();
                let sdk_polls: usize = measured.iter().map(|(_, p)| p).sum();
                let median = median(&mut samples);
                format!(
                    "{median:.2} s | {:.2} s | {:.1}",
                    median - length,
                    sdk_polls as f64 / measured.len() as f64
                )
            }
            (Ok(_), Err(why)) => {
                failures.push(format!("{seconds} s: {why}"));
                "failed | | ".to_owned()
            }
        };
        println!(
            "| {seconds} s | {adxconn:.2} s | {:.2} s | {:.1} | {sdk_cells} |",
            adxconn - length,
            polls as f64 / RUNS as f64
        );
    }
    match (&sdk, versions) {
        (Err(why), _) => println!("\nPython SDK not measured: {why}"),
        (Ok(_), Some(versions)) => {
            println!(
                "\nPython SDK: {versions}, default polling (begin_create_or_update(...).result())"
            );
        }
        (Ok(_), None) => {}
    }
    for failure in failures {
        println!("Python SDK create failed, {failure}");
    }
}
