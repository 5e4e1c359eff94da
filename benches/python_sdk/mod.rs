//! The Python SDK beside adxconn: a virtual environment under the target directory with
//! pinned `azure-mgmt-kusto` and `azure-identity` from PyPI, and `create.py`, which creates one
//! Event Hub data connection against an emulator with the SDK's default polling and times it.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use adxconn_emulator::{demo, Emulator, API_VERSION};

/// What the virtual environment holds; a change reinstalls it.
const REQUIREMENTS: [&str; 2] = ["azure-mgmt-kusto==4.0.0", "azure-identity==1.27.0"];
/// Written once the install succeeded, with the requirements it installed.
const MARKER: &str = "adxconn-bench-requirements.txt";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/python_sdk/create.py");
/// Far longer than a create with 30 s polls of a 30 s operation takes.
const CREATE_DEADLINE: Duration = Duration::from_secs(300);

/// An installed SDK.
#[derive(Debug, Clone)]
pub struct PythonSdk {
    python: PathBuf,
}

/// One timed create.
#[derive(Debug, Clone)]
pub struct Created {
    /// The wall time of `begin_create_or_update(...).result()`.
    pub elapsed: Duration,
    /// `azure-mgmt-kusto X, azure-identity Y (azure-core …, msal …), api-version Z`, as the
    /// script found them.
    pub versions: String,
}

impl PythonSdk {
    /// The virtual environment `target/python-sdk`, made with `python3 -m venv` and installed
    /// with pip unless an earlier run installed these requirements; why not, if it cannot be.
    pub fn install() -> Result<PythonSdk, String> {
        let dir = venv_dir();
        let python = dir.join("bin").join("python");
        let marker = dir.join(MARKER);
        let wanted = REQUIREMENTS.join("\n") + "\n";
        if python.is_file() && fs::read_to_string(&marker).is_ok_and(|had| had == wanted) {
            return Ok(PythonSdk { python });
        }
        let venv = dir.to_string_lossy().into_owned();
        run("python3", &["-m", "venv", "--clear", &venv])?;
        let mut pip = vec![
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ];
        pip.extend(REQUIREMENTS);
        run(&python.to_string_lossy(), &pip)?;
        fs::write(&marker, wanted)
            .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
        Ok(PythonSdk { python })
    }

    /// Creates data connection `name` of the demo database, reading `eventhub_id`, on
    /// `emulator` as the demo service principal.
    pub fn create(
        &self,
        emulator: &Emulator,
        name: &str,
        eventhub_id: &str,
    ) -> Result<Created, String> {
        let child = Command::new(&self.python)
            .arg(SCRIPT)
            .args(["--url", emulator.url()])
            .arg("--ca-file")
            .arg(emulator.ca_file())
            .args(["--tenant", demo::TENANT])
            .args(["--client-id", demo::CLIENT_ID])
            .args(["--client-secret", demo::CLIENT_SECRET])
            .args(["--subscription", demo::SUBSCRIPTION])
            .args(["--resource-group", demo::RESOURCE_GROUP])
            .args(["--cluster", demo::CLUSTER])
            .args(["--database", demo::DATABASE])
            .args(["--name", name])
            .args(["--eventhub-id", eventhub_id])
            .args(["--location", demo::LOCATION])
            .args(["--api-version", API_VERSION])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.python.display()))?;
        let output = wait(child, CREATE_DEADLINE)?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(format!(
                "create.py exited with {}: {}",
                output.status,
                last_line(&String::from_utf8_lossy(&output.stderr))
            ));
        }
        let line: serde_json::Value = serde_json::from_str(last_line(&stdout))
            .map_err(|e| format!("create.py printed {stdout:?}: {e}"))?;
        if line["provisioning_state"] != "Succeeded" {
            return Err(format!("the create ended {}", line["provisioning_state"]));
        }
        let seconds = line["seconds"]
            .as_f64()
            .ok_or_else(|| format!("create.py printed no seconds: {line}"))?;
        let version = |key: &str| line[key].as_str().unwrap_or("?").to_owned();
        Ok(Created {
            elapsed: Duration::from_secs_f64(seconds),
            versions: format!(
                "azure-mgmt-kusto {}, azure-identity {} (azure-core {}, msal {}), api-version {}",
                version("azure_mgmt_kusto"),
                version("azure_identity"),
                version("azure_core"),
                version("msal"),
                version("api_version")
            ),
        })
    }
}

/// `target/python-sdk`, beside the profile directories.
fn venv_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_adxconn"));
    let target = bin.ancestors().nth(2).unwrap_or(Path::new("target"));
    target.join("python-sdk")
}

/// Runs `program args…` to completion; its stderr's last line if it fails.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{program} {}`: {e}", args.join(" ")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{program} {}` exited with {}: {}",
            args.join(" "),
            output.status,
            last_line(&String::from_utf8_lossy(&output.stderr))
        ))
    }
}

/// Waits for `child` at most `deadline`, killing it then. Its output is small (one line, or a
/// traceback), so the pipes cannot fill while it runs.
fn wait(mut child: Child, deadline: Duration) -> Result<Output, String> {
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < deadline => thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("create.py did not finish in {deadline:?}"));
            }
            Err(e) => return Err(format!("cannot wait for create.py: {e}")),
        }
    };
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_end(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_end(&mut stderr);
    }
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(nothing printed)")
}
