//! `adxconn completions` and `adxconn man`: generated from the same command-line definition
//! as `--help`, so they can never disagree with it.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, InputError};

use super::Context;

pub fn completions(context: &Context, shell: clap_complete::Shell) -> Result<(), Error> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "adxconn", &mut script);
    context.printer.text(&String::from_utf8_lossy(&script))
}

/// `adxconn.1`, and `adxconn-<command>.1` for every command and subcommand.
pub fn man_pages(context: &Context, dir: &Path) -> Result<(), Error> {
    let refused = |e: std::io::Error| InputError::new("--dir", format!("`{}`: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(refused)?;
    let mut written = 0;
    let mut pending = vec![(String::from("adxconn"), Cli::command())];
    while let Some((name, command)) = pending.pop() {
        for sub in command.get_subcommands() {
            if sub.get_name() != "help" {
                pending.push((format!("{name}-{}", sub.get_name()), sub.clone()));
            }
        }
        let mut page = Vec::new();
        clap_mangen::Man::new(command.clone().display_name(name.replace('-', " ")))
            .title(name.clone())
            .render(&mut page)
            .map_err(refused)?;
        std::fs::write(dir.join(format!("{name}.1")), page).map_err(refused)?;
        written += 1;
    }
    context
        .status
        .info(&format!("Wrote {written} man pages to `{}`", dir.display()));
    Ok(())
}
