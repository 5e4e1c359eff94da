//! The test environment: an emulator per test and a way to run `adxconn` against it with a
//! clean, pinned environment. Every run is checked for leaked secrets and tokens.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use adxconn_emulator::{demo, Emulator, World};
use serde_json::Value;

pub use adxconn_emulator::{Fault, FaultRule};

/// Ids of demo resources that connections point at.
pub fn eventhub_id(hub: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-sources/providers/Microsoft.EventHub/namespaces/ns-telemetry/eventhubs/{hub}",
        demo::SUBSCRIPTION
    )
}

pub fn iothub_id() -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-sources/providers/Microsoft.Devices/IotHubs/hub-devices",
        demo::SUBSCRIPTION
    )
}

/// Sources in the other tenant's subscription.
pub fn partner_eventhub_id() -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-partner/providers/Microsoft.EventHub/namespaces/ns-partner/eventhubs/orders",
        demo::OTHER_SUBSCRIPTION
    )
}

pub fn storage_id() -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-sources/providers/Microsoft.Storage/storageAccounts/stlanding",
        demo::SUBSCRIPTION
    )
}

/// `--subscription … -g … --cluster … --database …` of the demo database.
pub fn database_flags() -> Vec<String> {
    [
        "--subscription",
        demo::SUBSCRIPTION,
        "-g",
        demo::RESOURCE_GROUP,
        "--cluster",
        demo::CLUSTER,
        "--database",
        demo::DATABASE,
    ]
    .map(String::from)
    .to_vec()
}

/// The demo database flags plus `-n name`.
pub fn target(name: &str) -> Vec<String> {
    let mut flags = database_flags();
    flags.extend(["-n".to_string(), name.to_string()]);
    flags
}

/// `create eventhub` of `name` in the demo database, reading Event Hub `hub`, then `extra`.
pub fn create_eventhub(name: &str, hub: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["create".to_string(), "eventhub".to_string()];
    args.extend(target(name));
    args.extend(["--eventhub-id".to_string(), eventhub_id(hub)]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// `list` of the demo database, then `extra`.
pub fn list_database(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["list".to_string()];
    args.extend(database_flags());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

pub struct TestEnv {
    pub emulator: Emulator,
    /// Extra environment for every run (overrides).
    env: HashMap<String, Option<String>>,
}

/// The outcome of one `adxconn` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv::with_world(World::demo())
    }

    pub fn with_world(world: World) -> TestEnv {
        let emulator = Emulator::start(world).expect("the emulator starts");
        // Operations finish quickly in tests; the first poll still comes after ~1 s.
        TestEnv {
            emulator,
            env: HashMap::new(),
        }
    }

    /// Sets (or with `None`, removes) an environment variable for every later run.
    pub fn set_env(&mut self, key: &str, value: Option<&str>) {
        self.env.insert(key.to_string(), value.map(str::to_string));
    }

    /// Runs `adxconn args…` with the demo service principal; stdin is not a terminal.
    pub fn run<S: AsRef<str>>(&self, args: &[S]) -> Run {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin<S: AsRef<str>>(&self, args: &[S], stdin: Option<&str>) -> Run {
        let mut command = self.command(args);
        command
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("adxconn starts");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin is piped");
            pipe.write_all(input.as_bytes()).expect("stdin is written");
        }
        let output = child.wait_with_output().expect("adxconn runs");
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert_no_secrets(&run, &self.secrets());
        run
    }

    /// `adxconn args…` with the pinned environment, not yet started.
    pub fn command<S: AsRef<str>>(&self, args: &[S]) -> Command {
        let mut command = adxconn(self.emulator.url(), self.emulator.ca_file(), args);
        for (key, value) in &self.env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
    }

    /// Every secret and token this environment could leak.
    fn secrets(&self) -> Vec<String> {
        let mut secrets = vec![
            demo::CLIENT_SECRET.to_string(),
            demo::READER_CLIENT_SECRET.to_string(),
        ];
        for (key, value) in self.env.iter().filter(|(key, _)| {
            key.contains("TOKEN")
                || key.contains("SECRET")
                || key.contains("CERTIFICATE")
                || key.starts_with("IDENTITY_")
        }) {
            match value {
                // A path is not secret; what the file holds is.
                Some(path) if key.ends_with("_FILE") || key.ends_with("_PATH") => {
                    if let Ok(content) = std::fs::read_to_string(path) {
                        secrets.extend(content.lines().map(str::to_string));
                    }
                }
                Some(value) => secrets.push(value.clone()),
                None => {}
            }
        }
        for request in self.emulator.requests() {
            for header in ["authorization", "x-ms-authorization-auxiliary"] {
                for entry in request.header(header).unwrap_or_default().split(',') {
                    if let Some(token) = entry.trim().strip_prefix("Bearer ") {
                        secrets.push(token.to_string());
                    }
                }
            }
        }
        secrets
    }

    /// A connection of the demo database as the emulator holds it.
    pub fn stored(&self, name: &str) -> Option<Value> {
        self.emulator.connection(
            demo::SUBSCRIPTION,
            demo::RESOURCE_GROUP,
            demo::CLUSTER,
            demo::DATABASE,
            name,
        )
    }

    /// Seeds an Event Hub connection into the demo database, already `Succeeded`.
    pub fn seed_eventhub(&self, name: &str, eventhub_id: &str, consumer_group: &str) {
        self.emulator.insert_connection(
            demo::SUBSCRIPTION,
            demo::RESOURCE_GROUP,
            demo::CLUSTER,
            demo::DATABASE,
            name,
            "EventHub",
            serde_json::json!({"eventHubResourceId": eventhub_id, "consumerGroup": consumer_group}),
        );
    }

    pub fn arm_requests(&self) -> Vec<adxconn_emulator::RecordedRequest> {
        self.emulator.arm_requests()
    }

    /// Requests with this method to paths containing `needle`.
    pub fn count(&self, method: &str, needle: &str) -> usize {
        self.emulator
            .requests()
            .iter()
            .filter(|r| r.method == method && r.path_and_query.contains(needle))
            .count()
    }
}

/// `adxconn args…` pointed at a server (emulator or replay) at `url` whose CA is `ca_file`, as
/// the demo service principal, with nothing from the developer's or CI's own Azure setup.
pub fn adxconn<S: AsRef<str>>(url: &str, ca_file: &std::path::Path, args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_adxconn"));
    command.args(args.iter().map(AsRef::as_ref));
    for (key, _) in std::env::vars() {
        if key.starts_with("AZURE_")
            || key.starts_with("ADXCONN_")
            || key.starts_with("ACTIONS_ID_TOKEN_")
            || key.starts_with("IDENTITY_")
            || key.to_ascii_uppercase().ends_with("_PROXY")
            || key == "SSL_CERT_FILE"
            || key == "RUST_BACKTRACE"
            || key == "COLUMNS"
        {
            command.env_remove(&key);
        }
    }
    command
        // No `az` of the machine's: tests of the Azure CLI sign-in put a stub on PATH.
        .env("PATH", "/nonexistent")
        .env("ADXCONN_ARM_ENDPOINT", url)
        .env("AZURE_AUTHORITY_HOST", url)
        .env("SSL_CERT_FILE", ca_file)
        .env("AZURE_TENANT_ID", demo::TENANT)
        .env("AZURE_CLIENT_ID", demo::CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", demo::CLIENT_SECRET)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null());
    command
}

/// Runs a command to completion.
pub fn finish(mut command: Command) -> Run {
    let output = command.output().expect("adxconn runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// No secret, no bearer token, and nothing JWT-shaped in any output.
#[track_caller]
fn assert_no_secrets(run: &Run, secrets: &[String]) {
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        assert!(
            !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
            "a secret or token leaked into the output:\nstdout:\n{}\nstderr:\n{}",
            run.stdout,
            run.stderr
        );
    }
    // JWT headers start `{"alg":` or `{"typ":`, in base64url `eyJhbGciOi` / `eyJ0eXAiOi`.
    for text in [&run.stdout, &run.stderr] {
        assert!(
            !text.contains("eyJhbGciOi") && !text.contains("eyJ0eXAiOi"),
            "something JWT-shaped leaked:\n{text}"
        );
    }
}

impl TestEnv {
    /// [`TestEnv::command`] run through `sh` under `ulimit -v kib` (address space, in KiB), with
    /// the same pinned environment: a run that buffers without bound fails instead of growing.
    pub fn command_with_memory_limit<S: AsRef<str>>(&self, kib: u64, args: &[S]) -> Command {
        let pinned = self.command(args);
        let mut command = Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
            .arg(pinned.get_program())
            .args(pinned.get_args());
        for (key, value) in pinned.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command.stdin(Stdio::null());
        command
    }

    /// Fails the test if a run of a command built by this environment (spawned by the test
    /// itself) leaked a secret or token, as [`TestEnv::run`] checks for its own runs.
    #[track_caller]
    pub fn assert_no_secrets(&self, run: &Run) {
        assert_no_secrets(run, &self.secrets());
    }
}

/// Sends `kill -SIGNAL` (e.g. `INT`) to a child process; returns when it was sent.
#[cfg(unix)]
pub fn signal(child: &std::process::Child, signal: &str) -> std::time::Instant {
    let status = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} failed");
    std::time::Instant::now()
}

/// A loopback port nothing listens on (bound, read, released).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}
