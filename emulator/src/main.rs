//! `adxconn-emulator`: runs the emulator with the demo world until SIGINT or
//! SIGTERM, printing the environment that points `adxconn` at it.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use adxconn_emulator::{demo, Emulator, World};
use clap::Parser;

/// Runs a local emulator of Azure Resource Manager (Microsoft.Kusto data
/// connections, api-version 2025-02-14) and of the Entra ID token endpoint, over
/// HTTPS on 127.0.0.1, seeded with a demo tenant, subscription and cluster.
///
/// On start it prints shell `export` lines that point adxconn at it:
///     eval "$(adxconn-emulator --port 8443 | grep ^export)"
#[derive(Debug, Parser)]
#[command(name = "adxconn-emulator", verbatim_doc_comment)]
struct Args {
    /// port to listen on (0: any free port)
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    port: u16,
    /// also write the variables as KEY=VALUE lines to PATH
    #[arg(long, value_name = "PATH")]
    env_file: Option<PathBuf>,
    /// do not log requests to stderr
    #[arg(long)]
    quiet: bool,
}

fn environment(emulator: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("ADXCONN_ARM_ENDPOINT", emulator.url().to_owned()),
        ("AZURE_AUTHORITY_HOST", emulator.url().to_owned()),
        ("SSL_CERT_FILE", emulator.ca_file().display().to_string()),
        ("AZURE_TENANT_ID", demo::TENANT.to_owned()),
        ("AZURE_CLIENT_ID", demo::CLIENT_ID.to_owned()),
        ("AZURE_CLIENT_SECRET", demo::CLIENT_SECRET.to_owned()),
        ("AZURE_SUBSCRIPTION_ID", demo::SUBSCRIPTION.to_owned()),
    ]
}

/// Single-quotes a value for POSIX shells.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let head: String = s.chars().take(max).collect();
        format!("{head}...")
    }
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn run(args: Args) -> Result<(), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let emulator = Emulator::start_on(World::demo(), addr)
        .map_err(|e| format!("cannot start on {addr}: {e}"))?;
    let env = environment(&emulator);

    if let Some(path) = &args.env_file {
        let content: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::fs::write(path, content)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let mut banner: String = env
        .iter()
        .map(|(k, v)| format!("export {k}={}\n", shell_quote(v)))
        .collect();
    banner.push_str(&format!(
        "# adxconn emulator at {}: resource group '{}', cluster '{}', databases '{}' and '{}'. Ctrl-C stops it.\n",
        emulator.url(),
        demo::RESOURCE_GROUP,
        demo::CLUSTER,
        demo::DATABASE,
        demo::STAGING_DATABASE
    ));
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    drop(stdout);

    if !args.quiet {
        emulator.on_request(|req| {
            let status = req
                .status
                .map_or_else(|| "dropped".to_owned(), |s| s.to_string());
            let line = format!(
                "{} {} -> {status}\n",
                req.method,
                truncate(&req.path_and_query, 120)
            );
            // A closed stderr must not take the server down.
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        });
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the signal handler: {e}"))?;
    runtime.block_on(wait_for_shutdown());
    // Dropping the emulator stops the server and removes the CA's temp dir.
    drop(emulator);
    Ok(())
}

fn main() -> ExitCode {
    // Usage errors and --help end the process here, before anything starts.
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "adxconn-emulator: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use clap::error::ErrorKind;
    use clap::CommandFactory as _;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("adxconn-emulator").chain(args.iter().copied()))
    }

    #[test]
    fn arguments() {
        Args::command().debug_assert();
        let args = parse(&["--port", "8443", "--env-file=/tmp/x.env", "--quiet"]).unwrap();
        assert_eq!(args.port, 8443);
        assert_eq!(args.env_file, Some(PathBuf::from("/tmp/x.env")));
        assert!(args.quiet);
        let defaults = parse(&[]).unwrap();
        assert_eq!(
            (defaults.port, defaults.env_file, defaults.quiet),
            (0, None, false)
        );
        assert_eq!(parse(&["--port=1"]).unwrap().port, 1);
        for help in ["--help", "-h"] {
            assert_eq!(parse(&[help]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        }
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "x"]).is_err());
        assert!(parse(&["--port", "65536"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }

    #[test]
    fn help_names_the_api_version_served() {
        let help = Args::command().render_long_help().to_string();
        assert!(help.contains(adxconn_emulator::API_VERSION), "{help}");
    }

    #[test]
    fn quoting_and_truncation() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(truncate("abcdef", 3), "abc...");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
