//! Azure's refusals are shown with ARM's code and message, a hint, and the right exit code.

use adxconn_emulator::demo;

use crate::support::{eventhub_id, TestEnv};

#[test]
fn a_missing_database_shows_arms_error_and_exits_1() {
    let env = TestEnv::new();
    let run = env.run(&[
        "create",
        "eventhub",
        "--subscription",
        demo::SUBSCRIPTION,
        "-g",
        demo::RESOURCE_GROUP,
        "--cluster",
        demo::CLUSTER,
        "--database",
        "nosuchdb",
        "-n",
        "x",
        "--eventhub-id",
        &eventhub_id("h"),
        "--location",
        "westeurope",
    ]);
    run.expect(1);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("error: ParentResourceNotFound")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: check --subscription"),
        "{}",
        run.stderr
    );
}

#[test]
fn show_of_a_missing_connection_exits_5() {
    let env = TestEnv::new();
    let mut args = vec!["show".to_string()];
    args.extend(crate::support::target("ghost"));
    let run = env.run(&args);
    run.expect(5);
    assert!(
        run.stderr.contains("`ghost` was not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_cluster_exits_1_before_the_put() {
    let env = TestEnv::new();
    let run = env.run(&[
        "create",
        "eventhub",
        "--subscription",
        demo::SUBSCRIPTION,
        "-g",
        demo::RESOURCE_GROUP,
        "--cluster",
        "nosuchcluster",
        "--database",
        demo::DATABASE,
        "-n",
        "x",
        "--eventhub-id",
        &eventhub_id("h"),
    ]);
    run.expect(1);
    assert!(run.stderr.contains("ResourceNotFound"), "{}", run.stderr);
    assert_eq!(env.count("PUT", "/dataConnections/"), 0);
}
