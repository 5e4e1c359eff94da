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

/// Every command's path below the top level (`[]`, `["create"]`, `["create", "iothub"]`, …), as
/// clap knows them: a new command cannot go without its snapshot.
fn command_paths(command: &clap::Command, path: Vec<String>, paths: &mut Vec<Vec<String>>) {
    paths.push(path.clone());
    for sub in command.get_subcommands() {
        let mut deeper = path.clone();
        deeper.push(sub.get_name().to_string());
        command_paths(sub, deeper, paths);
    }
}

/// `--help` of every command against `tests/snapshots/<path>.help.txt` (`help.txt` for the top
/// level), and `-h` of one against its short snapshot.
#[test]
fn every_commands_help_reads_as_its_snapshot() {
    use clap::CommandFactory;
    let mut paths = Vec::new();
    command_paths(&adxconn::cli::Cli::command(), Vec::new(), &mut paths);
    assert!(paths.len() >= 25, "{paths:?}");
    let snapshots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for path in &paths {
        let name = if path.is_empty() {
            "help.txt".to_string()
        } else {
            format!("{}.help.txt", path.join("-"))
        };
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        adxconn(&args)
            .assert()
            .success()
            .stdout_eq(snapbox::Data::read_from(&snapshots.join(name), None));
    }
    adxconn(&["create", "iothub", "-h"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/create-iothub.short-help.txt"]);
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
