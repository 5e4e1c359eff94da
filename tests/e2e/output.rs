//! What scripts and people read on stdout: tables that fit, tsv, YAML and `--query`.

use snapbox::{assert_data_eq, file};

use crate::support::{eventhub_id, target, TestEnv};

fn create_eventhub(name: &str, extra: &[&str]) -> Vec<String> {
    crate::support::create_eventhub(name, "orders", extra)
}

fn list(extra: &[&str]) -> Vec<String> {
    crate::support::list_database(extra)
}

fn show(name: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["show".to_string()];
    args.extend(target(name));
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Two Event Hub connections, `alpha` (consumer group `a`) and `beta` (`b`).
fn two_connections() -> TestEnv {
    let env = TestEnv::new();
    for (name, group) in [("alpha", "a"), ("beta", "b")] {
        env.run(&create_eventhub(
            name,
            &[
                "--consumer-group",
                group,
                "--table",
                "Events",
                "--retrieval-start-date",
                "2026-11-30T00:00:00Z",
            ],
        ))
        .expect(0);
    }
    env
}
#[test]
fn tsv_output_is_one_tab_separated_line_per_connection() {
    let env = TestEnv::new();
    for (name, group) in [("alpha", "a"), ("beta", "b")] {
        env.run(&create_eventhub(name, &["--consumer-group", group]))
            .expect(0);
    }
    let run = env.run(&list(&["-o", "tsv"]));
    run.expect(0);
    let lines: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|line| line.split('\t').collect())
        .collect();
    assert_eq!(lines.len(), 2, "no header: {}", run.stdout);
    assert_eq!(lines[0][0], "alpha");
    assert_eq!(lines[1][0], "beta");
    assert_eq!(lines[0][1], "EventHub");
    let mut show = vec!["show".to_string()];
    show.extend(target("beta"));
    show.extend(["-o".to_string(), "tsv".to_string()]);
    let run = env.run(&show);
    run.expect(0);
    assert_eq!(run.stdout.lines().count(), 1);
    assert!(run.stdout.starts_with("beta\tEventHub\t"), "{}", run.stdout);
}

#[test]
fn tables_at_80_and_200_columns_read_as_their_snapshots() {
    let mut env = two_connections();
    let whole = env.run(&show("beta", &[]));
    whole.expect(0);
    assert!(
        whole.stdout.contains(&eventhub_id("orders")),
        "a pipe gets the whole id: {}",
        whole.stdout
    );
    for (width, list_snapshot, show_snapshot) in [
        (
            80,
            file!["snapshots/list.80.txt"],
            file!["snapshots/show.80.txt"],
        ),
        (
            200,
            file!["snapshots/list.200.txt"],
            file!["snapshots/show.200.txt"],
        ),
    ] {
        env.set_env("COLUMNS", Some(&width.to_string()));
        let listed = env.run(&list(&[]));
        listed.expect(0);
        assert_data_eq!(listed.stdout.clone(), list_snapshot);
        let shown = env.run(&show("beta", &[]));
        shown.expect(0);
        assert_data_eq!(shown.stdout.clone(), show_snapshot);
        for run in [&listed, &shown] {
            assert!(
                run.stdout.lines().all(|line| line.chars().count() <= width),
                "{width}:\n{}",
                run.stdout
            );
        }
    }
}

#[test]
fn yaml_is_the_json_result_as_yaml() {
    let env = two_connections();
    let json = env.run(&show("beta", &["-o", "json"]));
    json.expect(0);
    let yaml = env.run(&show("beta", &["-o", "yaml"]));
    yaml.expect(0);
    assert_data_eq!(yaml.stdout.clone(), file!["snapshots/show.yaml"]);
    // Every key of the JSON's properties is in the YAML, in the same order.
    let mut rest = yaml.stdout.as_str();
    for key in json.json()["properties"]
        .as_object()
        .expect("properties")
        .keys()
    {
        let line = format!("\n  {key}:");
        let at = rest
            .find(&line)
            .unwrap_or_else(|| panic!("`{key}` in order in:\n{}", yaml.stdout));
        rest = &rest[at..];
    }
    let listed = env.run(&list(&["-o", "yaml"]));
    listed.expect(0);
    assert_eq!(
        listed
            .stdout
            .lines()
            .filter(|line| line.starts_with("- id: /subscriptions/"))
            .count(),
        2,
        "{}",
        listed.stdout
    );
}

#[test]
fn query_selects_from_the_json_and_prints_it_in_the_chosen_format() {
    let env = two_connections();
    let names = env.run(&list(&[
        "--query",
        "[?properties.consumerGroup=='b'].name",
        "-o",
        "json",
    ]));
    names.expect(0);
    assert_eq!(names.json(), serde_json::json!(["adxdemo/telemetry/beta"]));

    // tsv: one line per item, the columns in the order the query wrote them.
    let rows = env.run(&list(&[
        "--query",
        "[].{group: properties.consumerGroup, name: name, table: properties.tableName}",
        "-o",
        "tsv",
    ]));
    rows.expect(0);
    assert_eq!(
        rows.stdout,
        "a\tadxdemo/telemetry/alpha\tEvents\nb\tadxdemo/telemetry/beta\tEvents\n"
    );
    let reversed = env.run(&list(&[
        "--query",
        "[].[name, properties.consumerGroup]",
        "-o",
        "tsv",
    ]));
    reversed.expect(0);
    assert_eq!(
        reversed.stdout,
        "adxdemo/telemetry/alpha\ta\nadxdemo/telemetry/beta\tb\n"
    );

    // The default table: a list of scalars is one per line; objects get a header.
    let plain = env.run(&list(&["--query", "[].name"]));
    plain.expect(0);
    assert_eq!(
        plain.stdout,
        "adxdemo/telemetry/alpha\nadxdemo/telemetry/beta\n"
    );
    let table = env.run(&list(&[
        "--query",
        "[].{name: name, group: properties.consumerGroup}",
    ]));
    table.expect(0);
    let header: Vec<&str> = table
        .stdout
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "GROUP"], "{}", table.stdout);

    let yaml = env.run(&show(
        "alpha",
        &["--query", "properties.{group: consumerGroup}", "-o", "yaml"],
    ));
    yaml.expect(0);
    assert_eq!(yaml.stdout, "group: a\n");

    // A broken query is an input error before any request; a query that fails on the result
    // is one too, and names the flag.
    let before = env.emulator.requests().len();
    let broken = env.run(&list(&["--query", "[?name=='x'"]));
    broken.expect(2);
    assert!(broken.stderr.contains("--query"), "{}", broken.stderr);
    assert!(broken.stderr.contains("jmespath.org"), "{}", broken.stderr);
    assert_eq!(env.emulator.requests().len(), before, "nothing sent");
    let failing = env.run(&list(&[
        "--query",
        "length(@[0].properties.consumerGroup == `1`)",
    ]));
    failing.expect(2);
    assert!(failing.stderr.contains("--query"), "{}", failing.stderr);
}
