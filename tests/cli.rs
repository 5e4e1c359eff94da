//! The command line as people meet it: `--help` of every command and the usage errors clap
//! reports, compared with the snapshots in `tests/snapshots/`. After a deliberate change,
//! `SNAPSHOTS=overwrite cargo test --test cli` rewrites them; review the diff.

use snapbox::cmd::{cargo_bin, Command};
use snapbox::file;

/// `adxconn args…` with no Azure settings from the environment, at a fixed width.
fn adxconn(args: &[&str]) -> Command {
    let mut command = Command::new(cargo_bin!("adxconn")).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("AZURE_") || key.starts_with("ADXCONN_") {
            command = command.env_remove(key);
        }
    }
    command.env("COLUMNS", "100")
}

#[test]
fn top_level_help() {
    adxconn(&["--help"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/help.txt"]);
}

#[test]
fn create_help() {
    adxconn(&["create", "--help"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/create.help.txt"]);
}

#[test]
fn create_iothub_help() {
    adxconn(&["create", "iothub", "--help"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/create-iothub.help.txt"]);
}

#[test]
fn create_eventhub_help() {
    adxconn(&["create", "eventhub", "--help"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/create-eventhub.help.txt"]);
}

#[test]
fn create_eventgrid_help() {
    adxconn(&["create", "eventgrid", "--help"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/create-eventgrid.help.txt"]);
}

#[test]
fn show_help() {
    adxconn(&["show", "--help"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/show.help.txt"]);
}

#[test]
fn list_help() {
    adxconn(&["list", "--help"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/list.help.txt"]);
}

#[test]
fn audit_help() {
    adxconn(&["audit", "--help"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/audit.help.txt"]);
}

#[test]
fn prune_help() {
    adxconn(&["prune", "--help"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/prune.help.txt"]);
}

#[test]
fn prune_bad_status() {
    adxconn(&[
        "prune",
        "--subscription",
        "30000000-0000-4000-8000-000000000001",
        "--status",
        "ok",
    ])
    .assert()
    .code(2)
    .stderr_eq(file!["snapshots/prune-bad-status.stderr.txt"]);
}

/// `--help` of the commands without a test of their own, each against its snapshot.
#[test]
fn every_other_command_help() {
    for (args, snapshot) in [
        (
            &["create", "cosmosdb", "--help"][..],
            file!["snapshots/create-cosmosdb.help.txt"],
        ),
        (
            &["update", "--help"][..],
            file!["snapshots/update.help.txt"],
        ),
        (
            &["update", "eventhub", "--help"][..],
            file!["snapshots/update-eventhub.help.txt"],
        ),
        (
            &["validate", "--help"][..],
            file!["snapshots/validate.help.txt"],
        ),
        (&["auth", "--help"][..], file!["snapshots/auth.help.txt"]),
        (
            &["completions", "--help"][..],
            file!["snapshots/completions.help.txt"],
        ),
        (&["man", "--help"][..], file!["snapshots/man.help.txt"]),
        (
            &["create", "iothub", "-h"][..],
            file!["snapshots/create-iothub.short-help.txt"],
        ),
    ] {
        adxconn(args).assert().success().stdout_eq(snapshot);
    }
}

#[test]
fn completions_bash() {
    adxconn(&["completions", "bash"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/completions.bash"]);
}

#[test]
fn man_pages_cover_every_command() {
    let dir = std::env::temp_dir().join(format!("adxconn-man-{}", std::process::id()));
    adxconn(&["man", "--dir", dir.to_str().unwrap()])
        .assert()
        .success();
    for page in [
        "adxconn",
        "adxconn-create-cosmosdb",
        "adxconn-prune",
        "adxconn-auth",
    ] {
        let text = std::fs::read_to_string(dir.join(format!("{page}.1"))).unwrap();
        assert!(text.contains(".SH NAME"), "{page}");
        assert!(text.contains(&page.replace('-', " ")), "{page}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn delete_help() {
    adxconn(&["delete", "--help"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/delete.help.txt"]);
}

#[test]
fn wait_help() {
    adxconn(&["wait", "--help"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/wait.help.txt"]);
}

#[test]
fn show_without_a_connection_names_every_missing_part() {
    adxconn(&["show"])
        .assert()
        .code(2)
        .stderr_eq(file!["snapshots/show-missing.stderr.txt"]);
}

#[test]
fn id_and_parts_together_are_refused() {
    adxconn(&[
        "show",
        "--id",
        "/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.Kusto/clusters/adxdemo/databases/db/dataConnections/c",
        "--cluster",
        "adxdemo",
    ])
    .assert()
    .code(2)
    .stderr_eq(file!["snapshots/show-id-and-parts.stderr.txt"]);
}

#[test]
fn a_bad_name_is_refused_with_the_rule() {
    adxconn(&[
        "list",
        "--subscription",
        "12345678-1234-1234-1234-123456789abc",
        "-g",
        "rg",
        "--cluster",
        "ab",
        "--database",
        "db",
    ])
    .assert()
    .code(2)
    .stderr_eq(file!["snapshots/list-bad-cluster.stderr.txt"]);
}

#[test]
fn operation_and_a_connection_together_are_refused() {
    adxconn(&[
        "wait",
        "--operation",
        "https://management.azure.com/x",
        "-n",
        "c",
    ])
    .assert()
    .code(2)
    .stderr_eq(file!["snapshots/wait-operation-and-name.stderr.txt"]);
}

#[test]
fn a_bad_timeout_is_refused() {
    adxconn(&[
        "delete",
        "--id",
        "/subscriptions/12345678-1234-1234-1234-123456789abc/resourceGroups/rg/providers/Microsoft.Kusto/clusters/adxdemo/databases/db/dataConnections/c",
        "--yes",
        "--timeout",
        "soon",
    ])
    .assert()
    .code(2)
    .stderr_eq(file!["snapshots/delete-bad-timeout.stderr.txt"]);
}
