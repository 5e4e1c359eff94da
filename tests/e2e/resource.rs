//! The whole resource: a create never replaces by surprise.

use crate::support::{eventhub_id, target, TestEnv};

fn create_eventhub(name: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["create".to_string(), "eventhub".to_string()];
    args.extend(target(name));
    args.extend(["--eventhub-id".to_string(), eventhub_id("orders")]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn an_identical_create_sends_no_write_a_different_one_names_the_changes_and_replace_replaces() {
    let env = TestEnv::new();
    let asked = ["--consumer-group", "adx", "--table", "Orders"];
    env.run(&create_eventhub("orders", &asked)).expect(0);
    assert_eq!(env.count("PUT", "/dataConnections/orders"), 1);

    // Re-run as is: nothing written, exit 0, the connection printed.
    let again = env.run(&create_eventhub(
        "orders",
        &[&asked[..], &["-o", "json"]].concat(),
    ));
    again.expect(0);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(again.json()["properties"]["consumerGroup"], "adx");
    assert_eq!(env.count("PUT", "/dataConnections/orders"), 1, "no write");

    // Fewer flags: the consumer group would go back to `$Default`. Nothing is sent.
    let different = env.run(&create_eventhub("orders", &["--table", "Orders"]));
    different.expect(8);
    assert!(
        different.stderr.contains("consumerGroup: adx → $Default"),
        "{}",
        different.stderr
    );
    assert!(
        different.stderr.contains("adxconn update eventhub"),
        "{}",
        different.stderr
    );
    assert!(
        different.stderr.contains("--replace"),
        "{}",
        different.stderr
    );
    assert_eq!(env.count("PUT", "/dataConnections/orders"), 1, "no write");
    assert_eq!(
        env.stored("orders").unwrap()["properties"]["consumerGroup"],
        "adx"
    );

    // --replace is ARM's create-or-replace.
    env.run(&create_eventhub(
        "orders",
        &["--table", "Orders", "--replace"],
    ))
    .expect(0);
    assert_eq!(env.count("PUT", "/dataConnections/orders"), 2);
    assert_eq!(
        env.stored("orders").unwrap()["properties"]["consumerGroup"],
        "$Default"
    );
}
