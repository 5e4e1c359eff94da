//! What the benchmarks share: running the real binary against an emulator.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use adxconn_emulator::{demo, Emulator};

/// Runs `adxconn args…` as the demo service principal, with nothing from the machine's own
/// Azure setup; its wall time and exit code.
pub fn adxconn(emulator: &Emulator, args: &[&str]) -> (Duration, i32) {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_adxconn"))
        .args(args)
        .env_clear()
        .env("ADXCONN_ARM_ENDPOINT", emulator.url())
        .env("AZURE_AUTHORITY_HOST", emulator.url())
        .env("SSL_CERT_FILE", emulator.ca_file())
        .env("AZURE_TENANT_ID", demo::TENANT)
        .env("AZURE_CLIENT_ID", demo::CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", demo::CLIENT_SECRET)
        .env("AZURE_SUBSCRIPTION_ID", demo::SUBSCRIPTION)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("adxconn runs");
    (started.elapsed(), status.code().unwrap_or(-1))
}
