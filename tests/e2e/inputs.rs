//! Bad input: every case exits 2, names the flag at fault, and sends nothing at all.

use adxconn_emulator::demo;

use crate::support::{eventhub_id, iothub_id, storage_id, TestEnv};

const SUB: &str = demo::SUBSCRIPTION;

/// A valid command line for `kind`, with `flag` set to `value` (replaced or appended): `None`
/// gives the flag alone, `"<omit>"` leaves it out.
fn with(kind: &str, flag: &str, value: Option<&str>) -> Vec<String> {
    let mut base: Vec<(String, Option<String>)> = vec![
        ("--subscription".into(), Some(SUB.into())),
        ("-g".into(), Some(demo::RESOURCE_GROUP.into())),
        ("--cluster".into(), Some(demo::CLUSTER.into())),
        ("--database".into(), Some(demo::DATABASE.into())),
        ("-n".into(), Some("conn".into())),
    ];
    match kind {
        "iothub" => {
            base.push(("--iothub-id".into(), Some(iothub_id())));
            base.push(("--shared-access-policy".into(), Some("registryRead".into())));
        }
        "eventhub" => base.push(("--eventhub-id".into(), Some(eventhub_id("h")))),
        "eventgrid" => {
            base.push(("--storage-account-id".into(), Some(storage_id())));
            base.push(("--eventhub-id".into(), Some(eventhub_id("h"))));
        }
        _ => unreachable!(),
    }
    match base.iter_mut().find(|(f, _)| f == flag) {
        Some(entry) => entry.1 = value.map(str::to_string),
        None => base.push((flag.to_string(), value.map(str::to_string))),
    }
    let mut args = vec!["create".to_string(), kind.to_string()];
    for (flag, value) in base {
        match value {
            Some(value) if value == "<omit>" => {}
            Some(value) => {
                args.push(flag);
                args.push(value);
            }
            None => args.push(flag),
        }
    }
    args
}

#[test]
fn malformed_inputs_exit_2_name_the_flag_and_send_nothing() {
    let env = TestEnv::new();
    let eh = eventhub_id("h");
    let hub = iothub_id();
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("--subscription", with("eventhub", "--subscription", Some("not-a-guid"))),
        ("--subscription", with("eventhub", "--subscription", Some(""))),
        ("--subscription", with("eventhub", "--subscription", Some("12345678-1234-1234-1234-12345678901g"))),
        ("--subscription", with("eventhub", "--subscription", Some("<omit>"))),
        ("--resource-group", with("eventhub", "-g", Some("rg/other"))),
        ("--resource-group", with("eventhub", "-g", Some(&"r".repeat(91)))),
        ("--resource-group", with("eventhub", "-g", Some("ends."))),
        ("--resource-group", with("eventhub", "-g", Some("<omit>"))),
        ("--cluster", with("eventhub", "--cluster", Some("ab"))),
        ("--cluster", with("eventhub", "--cluster", Some("has space"))),
        ("--cluster", with("eventhub", "--cluster", Some("9starts-digit"))),
        ("--cluster", with("eventhub", "--cluster", Some("clüster"))),
        ("--database", with("eventhub", "--database", Some("db/../x"))),
        ("--database", with("eventhub", "--database", Some(" padded "))),
        ("--database", with("eventhub", "--database", Some(""))),
        ("--name", with("eventhub", "-n", Some(""))),
        ("--name", with("eventhub", "-n", Some("has space"))),
        ("--name", with("eventhub", "-n", Some(&"n".repeat(41)))),
        ("--name", with("eventhub", "-n", Some("slash/name"))),
        ("--name", with("eventhub", "-n", Some("ünicode"))),
        ("--name", with("eventhub", "-n", Some("<omit>"))),
        ("--eventhub-id", with("eventhub", "--eventhub-id", Some(""))),
        ("--eventhub-id", with("eventhub", "--eventhub-id", Some("hub"))),
        ("--eventhub-id", with("eventhub", "--eventhub-id", Some(&hub))),
        ("--eventhub-id", with("eventhub", "--eventhub-id", Some(&format!("{eh}/")))),
        ("--eventhub-id", with("eventhub", "--eventhub-id", Some(&format!(" {eh}")))),
        ("--eventhub-id", with("eventhub", "--eventhub-id", Some(&eh.replace(SUB, "nope")))),
        ("--eventhub-id", with("eventhub", "--eventhub-id", Some(&format!("{eh}?x=1")))),
        ("--eventhub-id", with("eventhub", "--eventhub-id", Some(&"x".repeat(5000)))),
        ("--iothub-id", with("iothub", "--iothub-id", Some(&eh))),
        ("--iothub-id", with("iothub", "--iothub-id", Some("/subscriptions/"))),
        ("--shared-access-policy", with("iothub", "--shared-access-policy", Some(""))),
        ("--shared-access-policy", with("iothub", "--shared-access-policy", Some("has space"))),
        ("--storage-account-id", with("eventgrid", "--storage-account-id", Some(&eh))),
        ("--event-grid-id", with("eventgrid", "--event-grid-id", Some(&storage_id()))),
        ("--consumer-group", with("eventhub", "--consumer-group", Some(""))),
        ("--consumer-group", with("eventhub", "--consumer-group", Some("$Other"))),
        ("--consumer-group", with("eventhub", "--consumer-group", Some(&"c".repeat(51)))),
        ("--data-format", with("eventhub", "--data-format", Some("xml"))),
        ("--data-format", with("iothub", "--data-format", Some("raw"))),
        ("--data-format", with("eventhub", "--data-format", Some("RAW"))),
        ("--data-format", with("eventhub", "--data-format", Some(""))),
        ("--compression", with("eventhub", "--compression", Some("zip"))),
        ("--database-routing", with("eventhub", "--database-routing", Some("many"))),
        ("--blob-event-type", with("eventgrid", "--blob-event-type", Some("deleted"))),
        ("--ignore-first-record", with("eventgrid", "--ignore-first-record=maybe", None)),
        ("--retrieval-start-date", with("eventhub", "--retrieval-start-date", Some("yesterday"))),
        ("--retrieval-start-date", with("eventhub", "--retrieval-start-date", Some("2026-11-30"))),
        ("--retrieval-start-date", with("eventhub", "--retrieval-start-date", Some("2026-13-01T00:00:00Z"))),
        ("--retrieval-start-date", with("eventgrid", "--retrieval-start-date", Some("2026-11-30T00:00:00Z"))),
        ("--event-system-properties", with("eventhub", "--event-system-properties", Some("a,,b"))),
        ("--event-system-properties", with("eventhub", "--event-system-properties", Some("has space"))),
        ("--event-system-properties", with("eventgrid", "--event-system-properties", Some("x-opt-offset"))),
        ("--managed-identity", with("eventhub", "--managed-identity", Some("me"))),
        ("--managed-identity", with("eventhub", "--managed-identity", Some(&eh))),
        ("--location", with("eventhub", "--location", Some("west/europe"))),
        ("--location", with("eventhub", "--location", Some(""))),
        ("--table", with("eventhub", "--table", Some("bad;table"))),
        ("--table", with("eventhub", "--table", Some(""))),
        ("--mapping", with("eventhub", "--mapping", Some(&"m".repeat(1025)))),
        ("--timeout", with("eventhub", "--timeout", Some("soon"))),
        ("--timeout", with("eventhub", "--timeout", Some("0s"))),
        ("--timeout", with("eventhub", "--timeout=-5m", None)),
        ("--output", with("eventhub", "-o", Some("xml"))),
        ("--cloud", with("eventhub", "--cloud", Some("mars"))),
        ("--tenant", with("eventhub", "--tenant", Some("bad/tenant"))),
        ("--client-id", with("eventhub", "--client-id", Some("not-a-guid"))),
        ("--id", vec!["show".into(), "--id".into(), eh.clone()]),
        ("--id", vec!["show".into(), "--id".into(), "/subscriptions/x".into()]),
        ("--id", vec!["delete".into(), "--yes".into(), "--id".into(), "".into()]),
        ("--cluster", vec!["show".into(), "--id".into(), format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Kusto/clusters/adxdemo/databases/db/dataConnections/c"), "--cluster".into(), "adxdemo".into()]),
        // A narrower scope needs the wider parts.
        ("--cluster", vec!["list".into(), "--subscription".into(), SUB.into(), "-g".into(), "rg".into(), "--database".into(), "db".into()]),
        ("--client-secret-file", with("eventhub", "--client-secret-file", Some("/nonexistent/secret"))),
        ("--client-secret-file", with("eventhub", "--client-secret-file", Some("/"))),
        ("--aux-token-file", with("eventhub", "--aux-token-file", Some("/nonexistent/token"))),
        ("--aux-token-file", with("eventhub", "--aux-token-file", Some("/dev/null"))),
        ("--aux-tenant", with("eventhub", "--aux-tenant", Some("not a tenant"))),
        ("--name", with("eventhub", "-n", Some("\u{202e}rtl"))),
        ("--table", with("eventhub", "--table", Some("tab\tle"))),
        ("ADXCONN_ARM_ENDPOINT", {
            let mut args = with("eventhub", "--arm-endpoint", Some("http://10.1.2.3"));
            args.push("--quiet".into());
            args
        }),
    ];
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (flag, args) in &cases {
        env.emulator.clear_requests();
        let run = env.run(args);
        let mut wrong = Vec::new();
        if run.code != 2 {
            wrong.push(format!("exited {}", run.code));
        }
        if !run.stderr.contains(flag) {
            wrong.push(format!("does not name {flag}"));
        }
        if run.stderr.contains("panicked") {
            wrong.push("panicked".to_string());
        }
        if !env.emulator.requests().is_empty() {
            wrong.push("sent a request".to_string());
        }
        if !wrong.is_empty() {
            failures.push(format!("{args:?}: {}:\n{}", wrong.join(", "), run.stderr));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
