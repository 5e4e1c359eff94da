//! The support engineer's sweep over a seeded fleet: `list` at every scope, `audit` classifying
//! every connection as seeded, and `prune` deleting exactly the stale ones, under throttling
//! and Kusto's transient conflicts.
//!
//! The fleet: 3 clusters in 2 resource groups, 12 databases, 60 connections of four kinds, with
//! sources present, deleted, forbidden and in another tenant in turn, every 7th `Failed`; plus
//! one connection whose source is in a third tenant nobody passed a credential for.

use std::collections::BTreeMap;

use adxconn_emulator::{
    demo, source_id, Bucket, Fault, FaultRule, Fleet, SeedConnection, SourceCase, SourceState,
    Throttling,
};
use serde_json::Value;

use crate::support::{Run, TestEnv};

const THIRD_TENANT: &str = "10000000-0000-4000-8000-000000000003";
const THIRD_SUBSCRIPTION: &str = "30000000-0000-4000-8000-000000000003";
/// The connection whose source no credential can read: `unknown`.
const ORPHAN: &str = "orphan-eh";

fn fleet() -> Fleet {
    Fleet::new(3, 12, 60)
}

fn seeded() -> TestEnv {
    let fleet = fleet();
    let orphan_source = source_id::event_hub(THIRD_SUBSCRIPTION, "rg", "ns-third", "hub");
    let world = fleet
        .world()
        .with_subscription(THIRD_SUBSCRIPTION, THIRD_TENANT)
        .with_source(&orphan_source, SourceState::Present);
    let env = TestEnv::with_world(world);
    env.emulator.set_page_size(Some(3));
    env.emulator.seed_connections(fleet.connections());
    let cluster = &fleet.cluster_list()[0];
    env.emulator.seed_connection(SeedConnection::new(
        cluster,
        "db00",
        ORPHAN,
        "EventHub",
        serde_json::json!({"eventHubResourceId": orphan_source, "consumerGroup": "$Default"}),
    ));
    env
}

/// What the audit must find for each connection, by name.
fn seeded_statuses() -> BTreeMap<String, &'static str> {
    let fleet = fleet();
    let mut statuses: BTreeMap<String, &'static str> = (0..fleet.connections)
        .map(|i| {
            let status = if i % fleet.failed_every == fleet.failed_every - 1 {
                "failed"
            } else {
                match fleet.source_case(i) {
                    SourceCase::Present => "ok",
                    SourceCase::Deleted => "source-missing",
                    SourceCase::Forbidden => "access-denied",
                    SourceCase::OtherTenant => "cross-tenant",
                }
            };
            (format!("dc{i:03}"), status)
        })
        .collect();
    statuses.insert(ORPHAN.to_string(), "unknown");
    statuses
}

fn stale_names() -> Vec<String> {
    seeded_statuses()
        .into_iter()
        .filter(|(_, status)| ["failed", "source-missing", "access-denied"].contains(status))
        .map(|(name, _)| name)
        .collect()
}

fn sweep(env: &TestEnv, verb: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        verb,
        "--subscription",
        demo::SUBSCRIPTION,
        "--aux-tenant",
        demo::OTHER_TENANT,
    ];
    args.extend(extra);
    env.run(&args)
}

fn items(run: &Run) -> Vec<Value> {
    run.json().as_array().cloned().unwrap_or_default()
}

/// `name → field` of each JSON item.
fn by_name(run: &Run, field: &str) -> BTreeMap<String, String> {
    items(run)
        .iter()
        .map(|item| {
            (
                item["name"].as_str().unwrap_or_default().to_string(),
                item[field].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// DELETEs the emulator received, faulted ones included.
fn deletes(env: &TestEnv) -> usize {
    env.emulator
        .stats()
        .methods
        .get("DELETE")
        .copied()
        .unwrap_or_default()
}

/// The connections the emulator still holds, by name.
fn remaining(env: &TestEnv) -> Vec<String> {
    let mut names: Vec<String> = env
        .emulator
        .connections()
        .iter()
        .filter_map(|c| c["name"].as_str()?.rsplit('/').next().map(str::to_string))
        .collect();
    names.sort();
    names
}

#[test]
fn list_at_each_scope_returns_exactly_the_seeded_set() {
    let env = seeded();
    let fleet = fleet();
    let seeds = fleet.connections();
    let names = |run: &Run| -> Vec<String> {
        // List items are ARM resources, named `cluster/database/connection`.
        let mut names: Vec<String> = by_name(run, "kind")
            .into_keys()
            .map(|name| name.rsplit('/').next().unwrap_or_default().to_string())
            .collect();
        names.sort();
        names
    };
    let expect = |keep: &dyn Fn(&SeedConnection) -> bool, orphan: bool| -> Vec<String> {
        let mut names: Vec<String> = seeds
            .iter()
            .filter(|seed| keep(seed))
            .map(|seed| seed.name.clone())
            .collect();
        if orphan {
            names.push(ORPHAN.to_string());
        }
        names.sort();
        names
    };
    let run = sweep(&env, "list", &["-o", "json"]);
    run.expect(0);
    assert_eq!(names(&run), expect(&|_| true, true));
    let run = sweep(&env, "list", &["-g", "rg-fleet-1", "-o", "json"]);
    run.expect(0);
    assert_eq!(
        names(&run),
        expect(&|seed| seed.resource_group == "rg-fleet-1", false)
    );
    let run = sweep(
        &env,
        "list",
        &["-g", "rg-fleet-0", "--cluster", "fleet2", "-o", "json"],
    );
    run.expect(0);
    assert_eq!(names(&run), expect(&|seed| seed.cluster == "fleet2", false));
    let run = sweep(
        &env,
        "list",
        &[
            "-g",
            "rg-fleet-0",
            "--cluster",
            "fleet0",
            "--database",
            "db03",
            "-o",
            "json",
        ],
    );
    run.expect(0);
    assert_eq!(names(&run), expect(&|seed| seed.database == "db03", false));
    // Sorted by resource group, cluster, database, then name.
    let run = sweep(&env, "list", &["-o", "json"]);
    let ids: Vec<String> = items(&run)
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}

#[test]
fn audit_classifies_every_connection_as_seeded_and_exits_6() {
    let env = seeded();
    let run = sweep(&env, "audit", &["-o", "json"]);
    run.expect(6);
    let expected: BTreeMap<String, String> = seeded_statuses()
        .into_iter()
        .map(|(name, status)| (name, status.to_string()))
        .collect();
    assert_eq!(by_name(&run, "status"), expected);
    let all = items(&run);
    for status in [
        "ok",
        "failed",
        "source-missing",
        "access-denied",
        "cross-tenant",
        "unknown",
    ] {
        assert!(
            all.iter().any(|item| item["status"] == status),
            "no {status}"
        );
    }
    for item in &all {
        for field in ["id", "name", "kind", "status", "evidence"] {
            assert!(item[field].is_string(), "{field} in {item}");
        }
    }
    let orphan = all.iter().find(|item| item["name"] == ORPHAN).unwrap();
    assert!(
        orphan["evidence"].as_str().unwrap().contains(THIRD_TENANT),
        "the evidence names the tenant to add: {orphan}"
    );
    let missing = all.iter().find(|item| item["status"] == "source-missing");
    assert!(missing.unwrap()["evidence"]
        .as_str()
        .unwrap()
        .contains("404 ResourceNotFound"));
    assert!(run.stderr.contains("stale"), "{}", run.stderr);
    // Nothing but reads.
    assert!(env.arm_requests().iter().all(|r| r.method == "GET"));
    assert!(env.emulator.stats().token_requests >= 2, "both tenants");

    // Without the other tenant's credential, its sources cannot be told.
    let run = env.run(&["audit", "--subscription", demo::SUBSCRIPTION, "-o", "json"]);
    run.expect(6);
    let statuses = by_name(&run, "status");
    assert!(!statuses.values().any(|status| status == "cross-tenant"));
    assert_eq!(
        statuses
            .values()
            .filter(|status| *status == "unknown")
            .count(),
        expected
            .values()
            .filter(|status| *status == "cross-tenant" || *status == "unknown")
            .count()
    );
}

#[test]
fn audit_of_a_healthy_scope_exits_0_and_its_table_names_each_status() {
    let env = seeded();
    // fleet0/db09's connections: dc009 (forbidden), dc021 (deleted), dc033 (ok), dc045 (other
    // tenant), dc057 (forbidden) — narrowed by name to the healthy two.
    let scope = [
        "-g",
        "rg-fleet-0",
        "--cluster",
        "fleet0",
        "--database",
        "db09",
    ];
    let run = sweep(
        &env,
        "audit",
        &[&scope[..], &["--name-pattern", "dc03*"]].concat(),
    );
    run.expect(0);
    assert!(
        run.stdout.contains("dc033") && run.stdout.contains(" ok "),
        "{}",
        run.stdout
    );
    let run = sweep(&env, "audit", &scope);
    run.expect(6);
    for status in ["access-denied", "source-missing", "ok", "cross-tenant"] {
        assert!(run.stdout.contains(status), "{status}: {}", run.stdout);
    }
    assert!(
        !run.stdout.contains("CLUSTER"),
        "one database: {}",
        run.stdout
    );
}

#[test]
fn prune_without_yes_sends_no_delete_and_names_every_stale_connection() {
    let env = seeded();
    let run = sweep(&env, "prune", &["-o", "json"]);
    run.expect(0);
    let mut planned: Vec<String> = by_name(&run, "outcome")
        .into_iter()
        .map(|(name, outcome)| {
            assert_eq!(outcome, "planned");
            name
        })
        .collect();
    planned.sort();
    assert_eq!(planned, stale_names());
    assert_eq!(deletes(&env), 0, "no DELETE was sent");
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    // The table too, and a chosen status.
    let run = sweep(&env, "prune", &["--status", "cross-tenant"]);
    run.expect(0);
    assert!(run.stdout.contains("cross-tenant") && !run.stdout.contains("source-missing"));
    assert_eq!(deletes(&env), 0);
    // `ok` is never pruned, and a typo is named; nothing is sent for either.
    let sent = env.arm_requests().len();
    for status in ["ok", "stale"] {
        let run = sweep(&env, "prune", &["--status", status, "--yes"]);
        run.expect(2);
        assert!(run.stderr.contains("--status"), "{}", run.stderr);
    }
    assert_eq!(env.arm_requests().len(), sent);
}

#[test]
fn prune_deletes_exactly_the_stale_ones_under_429s_and_409s_and_reports_a_failure() {
    let env = seeded();
    let stale = stale_names();
    // ARM's delete bucket, made small enough that these deletes meet it.
    env.emulator.set_throttling(Some(Throttling {
        deletes: Bucket::new(6, 4.0),
        ..Throttling::arm()
    }));
    // Kusto's transient conflicts on two of them, and one whose every delete fails.
    for (name, code) in [
        (&stale[0], "ServiceIsInMaintenance"),
        (&stale[1], "Conflict"),
    ] {
        env.emulator.inject(
            FaultRule::new(Fault::Conflict {
                code: code.to_string(),
            })
            .method("DELETE")
            .connection(name)
            .times(2),
        );
    }
    let locked = stale[2].clone();
    env.emulator.inject(
        FaultRule::new(Fault::Error {
            status: 409,
            code: "ScopeLocked".to_owned(),
            message: "The scope is locked by a delete lock.".to_owned(),
        })
        .method("DELETE")
        .connection(&locked)
        .always(),
    );
    let before = remaining(&env);
    let run = sweep(&env, "prune", &["--yes", "-o", "json"]);
    run.expect(1);
    let outcomes = by_name(&run, "outcome");
    let reported: Vec<String> = outcomes.keys().cloned().collect();
    assert_eq!(reported, stale, "the report names every stale connection");
    for (name, outcome) in &outcomes {
        let expected = if *name == locked { "failed" } else { "deleted" };
        assert_eq!(outcome, expected, "{name}");
    }
    let failure = items(&run)
        .into_iter()
        .find(|item| item["name"] == locked.as_str())
        .unwrap();
    assert_eq!(failure["error"]["code"], "ScopeLocked");
    assert!(run.stderr.contains("ScopeLocked"), "{}", run.stderr);
    // Exactly the stale ones are gone, the failed one excepted.
    let expected_left: Vec<String> = before
        .into_iter()
        .filter(|name| !stale.contains(name) || *name == locked)
        .collect();
    assert_eq!(remaining(&env), expected_left);
    let stats = env.emulator.stats();
    assert!(stats.throttled > 0, "the delete bucket ran dry: {stats:?}");
    assert!(
        stats.faults.get("conflict").copied().unwrap_or_default() >= 4,
        "{stats:?}"
    );

    // Again: only the locked one is left to prune, and it fails again.
    let run = sweep(&env, "prune", &["--yes", "-o", "json"]);
    run.expect(1);
    assert_eq!(by_name(&run, "outcome").len(), 1);
}

#[test]
fn prune_no_wait_returns_accepted_and_an_empty_plan_is_an_empty_array() {
    let env = seeded();
    let run = sweep(
        &env,
        "prune",
        &in_fleet0("db00", &["--yes", "--no-wait", "-o", "json"]),
    );
    run.expect(0);
    let outcomes = by_name(&run, "outcome");
    assert!(!outcomes.is_empty());
    assert!(
        outcomes.values().all(|outcome| outcome == "accepted"),
        "{outcomes:?}"
    );
    for item in items(&run) {
        assert!(item["operation"].is_string(), "{item}");
    }
    // One deleted meanwhile by someone else: already gone, not a failure.
    gone_meanwhile(&env, "dc039");
    let run = sweep(&env, "prune", &in_fleet0("db03", &["--yes", "-o", "json"]));
    run.expect(0);
    let outcomes = by_name(&run, "outcome");
    assert_eq!(outcomes["dc039"], "already-gone");
    assert_eq!(outcomes["dc027"], "deleted");
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    // `-o json` of an empty plan is an empty array, not nothing.
    let run = sweep(
        &env,
        "prune",
        &["--name-pattern", "no-such-*", "--yes", "-o", "json"],
    );
    run.expect(0);
    assert_eq!(run.json(), serde_json::json!([]));
}

#[test]
fn a_typo_in_the_scope_is_named_and_nothing_is_deleted() {
    let env = seeded();
    for args in [
        vec!["audit", "-g", "rg-fleet-9"],
        vec!["prune", "-g", "rg-fleet-9", "--yes"],
        vec!["prune", "-g", "rg-fleet-0", "--cluster", "fleet9", "--yes"],
    ] {
        let run = sweep(&env, args[0], &args[1..]);
        run.expect(5);
        assert!(
            run.stderr.contains("fleet-9") || run.stderr.contains("fleet9"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(deletes(&env), 0);
}

/// `-g rg-fleet-0 --cluster fleet0 --database DATABASE`, then `extra`.
fn in_fleet0<'a>(database: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "-g",
        "rg-fleet-0",
        "--cluster",
        "fleet0",
        "--database",
        database,
    ];
    args.extend(extra);
    args
}

/// ARM's answer to deleting what is not there (another engineer deleted it meanwhile).
fn gone_meanwhile(env: &TestEnv, name: &str) {
    env.emulator.inject(
        FaultRule::new(Fault::Reply {
            status: 204,
            headers: Vec::new(),
            body: String::new(),
        })
        .method("DELETE")
        .connection(name)
        .always(),
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_starting_deletes_reports_done_and_running_and_exits_130() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let env = seeded();
    let stale = stale_names();
    // The first stale one in the walk's order (rg-fleet-0/fleet0/db00) was deleted meanwhile.
    gone_meanwhile(&env, "dc024");
    env.emulator.set_operation_duration(Duration::from_secs(30));
    let child = env
        .command(&[
            "prune",
            "--subscription",
            demo::SUBSCRIPTION,
            "--aux-tenant",
            demo::OTHER_TENANT,
            "--yes",
            // One request at a time, four deletions in flight.
            "--concurrency",
            "1",
            "-o",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while deletes(&env) < 5 || env.emulator.operation_polls() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the deletes did not start: {} DELETEs, {} polls",
            deletes(&env),
            env.emulator.operation_polls()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let signalled = crate::support::signal(&child, "INT");
    let output = child.wait_with_output().unwrap();
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "it waited for the deletions"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("the report is printed");
    let outcome = |name: &str| {
        report
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["name"] == name)
            .map(|item| item["outcome"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(outcome("dc024"), "already-gone");
    let count = |wanted: &str| {
        report
            .as_array()
            .unwrap()
            .iter()
            .filter(|item| item["outcome"] == wanted)
            .count()
    };
    assert_eq!(count("running"), 4, "{report}");
    assert_eq!(count("not-started"), stale.len() - 5, "{report}");
    for item in report.as_array().unwrap() {
        if item["outcome"] == "running" {
            assert!(item["operation"].is_string(), "{item}");
        }
    }
    assert!(
        stderr.contains(&format!(
            "interrupted: 1 deleted, 4 still running in Azure, {} not started",
            stale.len() - 5
        )),
        "{stderr}"
    );
    // No new DELETE after the signal, and nothing was deleted twice.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(deletes(&env), 5);
}
