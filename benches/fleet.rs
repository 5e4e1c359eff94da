//! The support engineer's sweep at scale, against the emulator with 20 ms added to every ARM
//! answer and ARM's throttling on:
//! - `list` and `audit` over 500 connections in 50 databases of 5 clusters, at the default
//!   concurrency and one request at a time;
//! - `prune --yes` of the 200 stale ones, against the bound ARM's delete bucket allows, and
//!   against deleting them one `adxconn delete` at a time.
//!
//! Each measurement starts a fresh emulator (fresh buckets, the full fleet). Run with
//! `cargo bench --bench fleet`; the figures in BENCHMARKS.md come from here.

#![expect(clippy::print_stdout, reason = "a benchmark prints its figures")]

mod support;

use std::time::{Duration, Instant};

use adxconn_emulator::{Bucket, Emulator, Fleet, SourceCase, Stats, Throttling};
use support::adxconn;

const CLUSTERS: usize = 5;
const DATABASES: usize = 50;
const CONNECTIONS: usize = 500;
const LATENCY: Duration = Duration::from_millis(20);

/// ARM's delete bucket refills at 10 a second; a principal that has already spent most of its
/// burst of 200 has this many left when the prune starts.
const DELETE_BURST: u32 = 50;
/// ARM's read bucket, as `Throttling::arm()` has it.
const READ_BURST: u32 = 250;
const READ_REFILL_PER_SEC: f64 = 25.0;
const DELETE_REFILL_PER_SEC: f64 = 10.0;

/// 500 connections whose sources are present, present, deleted, present, deleted in turn
/// (four connections per turn): exactly 200 stale, none `Failed`.
fn fleet() -> Fleet {
    let mut fleet = Fleet::new(CLUSTERS, DATABASES, CONNECTIONS);
    fleet.source_cases = vec![
        SourceCase::Present,
        SourceCase::Deleted,
        SourceCase::Present,
        SourceCase::Deleted,
        SourceCase::Present,
    ];
    fleet.failed_every = 0;
    fleet
}

fn throttling() -> Throttling {
    Throttling {
        deletes: Bucket::new(DELETE_BURST, DELETE_REFILL_PER_SEC),
        ..Throttling::arm()
    }
}

fn start() -> Emulator {
    let fleet = fleet();
    let emulator = Emulator::start(fleet.world()).expect("the emulator starts");
    emulator.seed_connections(fleet.connections());
    emulator.set_latency(LATENCY);
    emulator.set_throttling(Some(throttling()));
    emulator
}

fn count(stats: &Stats, method: &str) -> usize {
    stats.methods.get(method).copied().unwrap_or_default()
}

fn row(what: &str, elapsed: Duration, code: i32, stats: &Stats, extra: &str) {
    println!(
        "| {what} | {:.2} s | {code} | {} | {} | {} | {extra} |",
        elapsed.as_secs_f64(),
        count(stats, "GET"),
        count(stats, "DELETE"),
        stats.throttled,
    );
}

/// The connections the emulator still holds.
fn remaining(emulator: &Emulator) -> usize {
    emulator.connections().len()
}

fn main() {
    println!(
        "{CONNECTIONS} connections in {DATABASES} databases of {CLUSTERS} clusters, {} ms per answer, ARM's read bucket (250, 25/s), a delete bucket of {DELETE_BURST} at {DELETE_REFILL_PER_SEC}/s\n",
        LATENCY.as_millis()
    );
    println!("| run | wall time | exit | GETs | DELETEs | 429s | notes |");
    println!("|---|---|---|---|---|---|---|");
    for (verb, concurrency) in [("list", "8"), ("list", "1"), ("audit", "8"), ("audit", "1")] {
        let emulator = start();
        let (elapsed, code) = adxconn(&emulator, &[verb, "--concurrency", concurrency]);
        let stats = emulator.stats();
        // The read bucket's bound for the reads the run needed (those ARM did not refuse).
        let needed = count(&stats, "GET") - stats.throttled;
        let bound = (needed as f64 - f64::from(READ_BURST)).max(0.0) / READ_REFILL_PER_SEC;
        row(
            &format!("`{verb} --concurrency {concurrency}`"),
            elapsed,
            code,
            &stats,
            &format!("{needed} reads needed; the read bucket's bound {bound:.2} s"),
        );
    }

    // The prune's own audit, alone, on an identical fleet: what comes before the deletes.
    let emulator = start();
    let (audit, _) = adxconn(&emulator, &["audit"]);
    let emulator = start();
    let before = remaining(&emulator);
    let (elapsed, code) = adxconn(&emulator, &["prune", "--yes"]);
    let stats = emulator.stats();
    let deleted = before - remaining(&emulator);
    let deletes = deleted as f64;
    // The delete bucket's bound: the burst at once, the rest at the refill rate; then one more
    // answer and one operation's first poll (the emulator's operations take 0.3 s, polled no
    // sooner than 1 s after the DELETE, as adxconn does for every operation).
    let bucket = ((deletes - f64::from(DELETE_BURST)).max(0.0) / DELETE_REFILL_PER_SEC)
        + LATENCY.as_secs_f64()
        + 1.0;
    let phase = elapsed.saturating_sub(audit).as_secs_f64();
    row(
        "`prune --yes` (default concurrency)",
        elapsed,
        code,
        &stats,
        &format!(
            "{deleted} deleted; delete phase {phase:.2} s (prune − its audit, {:.2} s) vs the bucket's bound {bucket:.2} s: {:.2}×",
            audit.as_secs_f64(),
            phase / bucket
        ),
    );

    // The same 200, one `adxconn delete` process after another, as a script around any CLI
    // would do it.
    let emulator = start();
    let fleet = fleet();
    let stale: Vec<_> = fleet
        .connections()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| fleet.source_case(*i) == SourceCase::Deleted)
        .map(|(_, seed)| seed)
        .collect();
    let started = Instant::now();
    let mut failures = 0;
    for seed in &stale {
        let (_, code) = adxconn(
            &emulator,
            &[
                "delete",
                "--yes",
                "-g",
                &seed.resource_group,
                "--cluster",
                &seed.cluster,
                "--database",
                &seed.database,
                "-n",
                &seed.name,
            ],
        );
        failures += usize::from(code != 0);
    }
    let sequential = started.elapsed();
    row(
        &format!("{} × `delete --yes`, one after another", stale.len()),
        sequential,
        i32::from(failures > 0),
        &emulator.stats(),
        &format!(
            "{failures} failed; {:.1}× the prune's delete phase",
            sequential.as_secs_f64() / phase
        ),
    );
}
