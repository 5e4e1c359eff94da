//! `adxconn-emulator`: runs the emulator with the demo world until SIGINT or
//! SIGTERM, printing the environment that points `adxconn` at it.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use adxconn_emulator::{demo, Emulator, FaultMix, Fleet, Throttling, World};
use clap::Parser;

/// Runs a local emulator of Azure Resource Manager (Microsoft.Kusto data
/// connections, api-version 2025-02-14) and of the Entra ID token endpoint, over
/// HTTPS on 127.0.0.1, seeded with a demo tenant, subscription and cluster.
///
/// On start it prints shell `export` lines that point adxconn at it. It keeps
/// running, so have it write them to a file and read that once it exists:
///     adxconn-emulator --env-file /tmp/adx.env &
///     while [ ! -s /tmp/adx.env ]; do sleep 0.2; done; set -a; . /tmp/adx.env; set +a
#[derive(Debug, Parser)]
#[command(name = "adxconn-emulator", verbatim_doc_comment)]
struct Args {
    /// port to listen on (0: any free port)
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    port: u16,
    /// also write the variables as KEY=VALUE lines to PATH
    #[arg(long, value_name = "PATH")]
    env_file: Option<PathBuf>,
    /// log every request to stderr (one line each)
    #[arg(long)]
    log: bool,
    /// do not log requests (the default; kept for scripts that pass it)
    #[arg(long, hide = true)]
    quiet: bool,
    /// how long each create, update and delete runs before it ends, e.g. `4s` (live
    /// operations take 1.4–6 s) or `300ms`
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    operation_duration: Option<std::time::Duration>,
    /// answer some requests with faults, at random but repeatably from SEED: MIX is a comma
    /// list of throttle, server-error, drop, lost (writes applied, answer lost) and conflict
    /// (Kusto's transient 409), each =PERCENT, e.g. `7:throttle=4%,lost=15%`
    #[arg(long, value_name = "SEED:MIX", value_parser = parse_faults)]
    faults: Option<FaultMix>,
    /// answer lists (clusters, databases, data connections) N items a page, with nextLink
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    page_size: Option<u32>,
    /// delay every ARM answer by MS milliseconds
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,
    /// throttle like ARM (429 with Retry-After): per principal, subscription and
    /// reads/writes/deletes, ARM's buckets (250 at 25/s, 200 at 10/s, 200 at 10/s)
    /// or, given CAPACITY/PER_SEC, that bucket for each
    #[arg(long, value_name = "CAPACITY/PER_SEC", num_args = 0..=1, require_equals = true,
          default_missing_value = "arm", value_parser = parse_throttle)]
    throttle: Option<Throttling>,
    /// also seed a generated fleet in the demo subscription: CLUSTERS in two
    /// resource groups, DATABASES and CONNECTIONS spread over them, sources
    /// present, deleted, forbidden or in the other tenant in turn
    #[arg(long, value_name = "CLUSTERS,DATABASES,CONNECTIONS", value_parser = parse_fleet)]
    fleet: Option<Fleet>,
}

/// `SEED:name=P%,name=P%`.
fn parse_faults(value: &str) -> Result<FaultMix, String> {
    let (seed, mix) = value
        .split_once(':')
        .ok_or_else(|| format!("expected SEED:MIX, e.g. 7:throttle=4%,lost=15%, not '{value}'"))?;
    let seed: u64 = seed
        .trim()
        .parse()
        .map_err(|_| format!("the seed '{seed}' is not a whole number"))?;
    let mut faults = FaultMix::new(seed);
    for part in mix
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let (name, percent) = part
            .split_once('=')
            .ok_or_else(|| format!("expected name=PERCENT, not '{part}'"))?;
        let percent: f64 = percent
            .trim()
            .trim_end_matches('%')
            .parse()
            .map_err(|_| format!("'{percent}' is not a percentage"))?;
        if !(0.0..=100.0).contains(&percent) {
            return Err(format!("'{part}': a percentage from 0 to 100"));
        }
        let share = percent / 100.0;
        match name.trim() {
            "throttle" => faults.throttle = share,
            "server-error" => faults.server_error = share,
            "drop" => faults.drop_connection = share,
            "lost" => faults.lost_response = share,
            "conflict" => faults.conflict = share,
            other => {
                return Err(format!(
                    "unknown fault '{other}'; use throttle, server-error, drop, lost or conflict"
                ))
            }
        }
    }
    Ok(faults)
}

/// `4s`, `300ms`, `1.5s` or plain seconds.
fn parse_duration(value: &str) -> Result<std::time::Duration, String> {
    let value = value.trim();
    let (number, unit) = match value.strip_suffix("ms") {
        Some(number) => (number, 0.001),
        None => (value.strip_suffix('s').unwrap_or(value), 1.0),
    };
    let seconds: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("expected a duration such as 4s or 300ms, not '{value}'"))?;
    if !(0.0..=3600.0).contains(&(seconds * unit)) {
        return Err("a duration from 0 to 3600 s".into());
    }
    Ok(std::time::Duration::from_secs_f64(seconds * unit))
}

/// `arm` (ARM's buckets) or `CAPACITY/PER_SEC`.
fn parse_throttle(value: &str) -> Result<Throttling, String> {
    if value == "arm" {
        return Ok(Throttling::arm());
    }
    let (capacity, rate) = value
        .split_once('/')
        .ok_or_else(|| format!("expected CAPACITY/PER_SEC, e.g. 200/10, not '{value}'"))?;
    let capacity: u32 = capacity
        .trim()
        .parse()
        .map_err(|e| format!("capacity '{capacity}': {e}"))?;
    let rate: f64 = rate
        .trim()
        .parse()
        .map_err(|e| format!("refill rate '{rate}': {e}"))?;
    if !rate.is_finite() || rate < 0.0 {
        return Err(format!("refill rate '{rate}' must be a number >= 0"));
    }
    Ok(Throttling::uniform(capacity, rate))
}

/// `CLUSTERS,DATABASES,CONNECTIONS`.
fn parse_fleet(value: &str) -> Result<Fleet, String> {
    let numbers: Vec<usize> = value
        .split(',')
        .map(|n| n.trim().parse().map_err(|e| format!("'{n}': {e}")))
        .collect::<Result<_, String>>()?;
    match numbers.as_slice() {
        [clusters, databases, connections] if *clusters > 0 && *databases > 0 => {
            Ok(Fleet::new(*clusters, *databases, *connections))
        }
        _ => Err(format!(
            "expected CLUSTERS,DATABASES,CONNECTIONS with at least one cluster and database, not '{value}'"
        )),
    }
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
    let world = match &args.fleet {
        Some(fleet) => fleet.world(),
        None => World::demo(),
    };
    let emulator =
        Emulator::start_on(world, addr).map_err(|e| format!("cannot start on {addr}: {e}"))?;
    if let Some(fleet) = &args.fleet {
        emulator.seed_connections(fleet.connections());
    }
    emulator.set_page_size(args.page_size.and_then(|n| usize::try_from(n).ok()));
    emulator.set_latency(Duration::from_millis(args.latency_ms));
    emulator.set_throttling(args.throttle);
    let env = environment(&emulator);

    if let Some(path) = &args.env_file {
        let content: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        // Written aside and renamed: whoever waits for the file never reads half of it.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, content)
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let mut banner: String = env
        .iter()
        .map(|(k, v)| format!("export {k}={}\n", shell_quote(v)))
        .collect();
    if let Some(fleet) = &args.fleet {
        banner.push_str(&format!(
            "# fleet: {} clusters in resource groups rg-fleet-*, {} databases, {} data connections.\n",
            fleet.clusters, fleet.databases, fleet.connections
        ));
    }
    // Not exported: setting them would change which credential adxconn picks.
    banner.push_str(&format!(
        "# other sign-ins: GitHub Actions OIDC ACTIONS_ID_TOKEN_REQUEST_URL={} ACTIONS_ID_TOKEN_REQUEST_TOKEN={}; App Service managed identity IDENTITY_ENDPOINT={} IDENTITY_HEADER={}\n",
        shell_quote(&emulator.github_oidc_request_url()),
        shell_quote(demo::GITHUB_REQUEST_TOKEN),
        shell_quote(&emulator.identity_endpoint()),
        shell_quote(demo::IDENTITY_HEADER),
    ));
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

    if let Some(duration) = args.operation_duration {
        emulator.set_operation_duration(duration);
    }
    if let Some(faults) = &args.faults {
        emulator.set_fault_mix(Some(faults.clone()));
    }
    if args.log && !args.quiet {
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
        assert_eq!(
            (defaults.page_size, defaults.latency_ms, defaults.throttle),
            (None, 0, None)
        );
        assert!(defaults.fleet.is_none());
        assert!(!defaults.log, "quiet unless asked");
        assert_eq!(defaults.operation_duration, None);
        let timed = parse(&["--log", "--operation-duration", "4s"]).unwrap();
        assert!(timed.log);
        assert_eq!(
            timed.operation_duration,
            Some(std::time::Duration::from_secs(4))
        );
        assert_eq!(
            parse(&["--operation-duration=300ms"])
                .unwrap()
                .operation_duration,
            Some(std::time::Duration::from_millis(300))
        );
        assert!(parse(&["--operation-duration", "soon"]).is_err());
        let mixed = parse(&["--faults", "7:throttle=4%,lost=15%,server-error=5"]).unwrap();
        let faults = mixed.faults.unwrap();
        assert_eq!(faults.seed, 7);
        assert!((faults.throttle - 0.04).abs() < 1e-9);
        assert!((faults.lost_response - 0.15).abs() < 1e-9);
        assert!((faults.server_error - 0.05).abs() < 1e-9);
        assert_eq!(faults.conflict, 0.0);
        for bad in [
            "7",
            "x:throttle=1%",
            "7:throttle",
            "7:gremlins=1%",
            "7:lost=150%",
        ] {
            assert!(parse(&["--faults", bad]).is_err(), "{bad}");
        }
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
    fn fleet_knobs() {
        let args = parse(&[
            "--page-size",
            "5",
            "--latency-ms=20",
            "--throttle",
            "--fleet",
            "3,12,60",
        ])
        .unwrap();
        assert_eq!(args.page_size, Some(5));
        assert_eq!(args.latency_ms, 20);
        assert_eq!(args.throttle, Some(Throttling::arm()));
        assert_eq!(args.fleet, Some(Fleet::new(3, 12, 60)));
        assert_eq!(
            parse(&["--throttle=20/2.5"]).unwrap().throttle,
            Some(Throttling::uniform(20, 2.5))
        );
        for bad in [
            &["--page-size", "0"][..],
            &["--throttle=20"],
            &["--throttle=x/1"],
            &["--throttle=1/-1"],
            &["--throttle=1/inf"],
            &["--fleet", "3,12"],
            &["--fleet", "0,1,1"],
            &["--fleet", "1,x,1"],
            &["--latency-ms", "-1"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
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
