//! adxconn: manage Azure Data Explorer (Kusto) data connections through Azure Resource Manager.
//!
//! The layers, outside in:
//! - `cli`: the command line (clap derive, data only);
//! - `target`, `connection`, `resource_id`: checking input and building ARM request bodies,
//!   all before any request;
//! - `commands`: one module per verb, the control flow;
//! - `arm`: the ARM client (tokens, retries, `--debug` traces, errors) and long-running
//!   operations; `auth`: credentials; `settings`: endpoints, environment, the HTTP client;
//! - `output`: stdout (`Printer`) and stderr (`Status`); `error`: exit codes and reporting.

pub mod arm;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod connection;
pub mod duration;
pub mod error;
pub mod fleet;
pub mod input;
pub mod interrupt;
pub mod names;
pub mod output;
pub mod prune;
pub mod resource_id;
pub mod scrub;
pub mod settings;
pub mod stderr;
pub mod target;
pub mod tenancy;
pub mod text;
pub mod trace;
pub mod transport;
pub mod wire;

use std::process::ExitCode;

use clap::Parser;

/// Parses the command line, runs it, reports any error; the whole program.
pub fn main() -> ExitCode {
    // reqwest is built without a default crypto provider, so that only ring is compiled in.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            if error.use_stderr() {
                // A usage error quotes the value given: shown like any other line, so that a
                // pasted id cannot carry escapes or direction overrides to the terminal.
                use std::io::Write;
                let text = crate::scrub::terminal(&error.render().to_string());
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            } else {
                let _ = error.print();
            }
            // clap uses 2 for usage errors and 0 for --help/--version, as we do.
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let error = error::Error::Output(error);
            return error::report(&error, &mut std::io::stderr()).into();
        }
    };
    match runtime.block_on(commands::run(cli, settings::Environment::read())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => error::report(&error, &mut std::io::stderr()).into(),
    }
}
