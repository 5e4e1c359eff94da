//! Progress where it runs: one line redrawn in place on a terminal (a real pseudo-terminal,
//! through util-linux `script`), plain lines when piped.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{eventhub_id, target, TestEnv};

fn create(name: &str) -> Vec<String> {
    let mut args = vec!["create".to_string(), "eventhub".to_string()];
    args.extend(target(name));
    args.extend(["--eventhub-id".to_string(), eventhub_id(name)]);
    args
}

/// `'…'` for `sh`.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Runs `adxconn args…` with a pseudo-terminal for stdin, stdout and stderr (util-linux
/// `script`); what the terminal was sent.
fn through_pty(env: &TestEnv, args: &[String]) -> String {
    let pinned = env.command(args);
    let line = std::iter::once(pinned.get_program().to_string_lossy().into_owned())
        .chain(
            pinned
                .get_args()
                .map(|arg| arg.to_string_lossy().into_owned()),
        )
        .map(|part| quoted(&part))
        .collect::<Vec<_>>()
        .join(" ");
    let mut through_pty = Command::new("script");
    through_pty
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in pinned.get_envs() {
        match value {
            Some(value) => through_pty.env(key, value),
            None => through_pty.env_remove(key),
        };
    }
    // `script` itself must be found; adxconn gets the pinned PATH.
    through_pty.env("PATH", "/usr/bin:/bin");
    let output = through_pty.output().expect("script runs");
    let seen = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{seen}");
    seen
}

#[cfg(unix)]
#[test]
fn progress_is_redrawn_in_place_on_a_terminal_and_plain_when_piped() {
    let env = TestEnv::new();
    env.emulator.set_operation_duration(Duration::from_secs(3));

    // Through a pseudo-terminal: stderr is a terminal.
    let seen = through_pty(&env, &create("on-a-tty"));
    assert!(seen.contains("\r\x1b[2K"), "the line is redrawn: {seen:?}");
    assert!(
        ["⠋", "⠙", "⠹", "⠸"]
            .iter()
            .any(|frame| seen.contains(frame)),
        "a spinner: {seen:?}"
    );
    assert!(seen.contains("s so far"), "the time so far: {seen:?}");

    // Piped: plain lines, no control sequences, nothing of it on stdout.
    let run = env.run(&create("piped"));
    run.expect(0);
    assert!(
        !run.stderr.contains('\r') && !run.stderr.contains('\x1b'),
        "{:?}",
        run.stderr
    );
    assert!(run.stderr.contains("  … operation"), "{}", run.stderr);
    assert!(!run.stdout.contains("so far"), "{}", run.stdout);

    // With --debug, each trace starts a line of its own: the open progress line is erased
    // first, never continued.
    let mut debug = create("traced");
    debug.push("--debug".to_string());
    let seen = through_pty(&env, &debug);
    let traces = seen.match_indices("debug: ").count();
    assert!(traces > 4, "{seen:?}");
    for (at, _) in seen.match_indices("debug: ") {
        let before = &seen[..at];
        assert!(
            before.is_empty() || before.ends_with('\n') || before.ends_with("\r\x1b[2K"),
            "a trace continues the progress line: {:?}",
            &before[before.len().saturating_sub(80)..]
        );
    }
}
