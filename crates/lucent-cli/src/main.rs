//! `lucent`: the command-line face of Lucent. Argument parsing and output only; all work is done
//! by the `lucent-core` facade.
//!
//! Exit codes: 0 success; 1 an error the user can act on (one `error: CODE: message` line on
//! stderr); 2 usage errors (clap). Never a panic exit: a contained bug is reported as
//! `E_INTERNAL`. A closed stdout (e.g. `| head`) ends the program quietly.

mod info_json;
mod tree;

use clap::{Parser, Subcommand};
use lucent_core::{ErrorCode, HasErrorCode, Session};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lucent",
    version,
    about = "Lucent DICOM viewer: command-line tools"
)]
struct Cli {
    /// Worker threads for parallel work (default: one per core).
    #[arg(long, short = 'j', global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Index files, folders and DICOMDIRs (headers only) and print studies, series and stacks.
    Info {
        /// Files, folders (scanned recursively) or DICOMDIR files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print one JSON document instead of the tree.
        #[arg(long)]
        json: bool,
    },
}

/// An error for the one `error:` line.
struct CliError {
    code: ErrorCode,
    message: String,
}

impl<E: HasErrorCode + std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(threads) = cli.threads {
        // Only fails if a pool exists already, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global();
    }
    let outcome = std::panic::catch_unwind(|| run(cli.command));
    let result = match outcome {
        Ok(result) => result,
        Err(_) => Err(CliError {
            code: ErrorCode::Internal,
            message: "internal error (a bug; please report it)".into(),
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {}: {}", e.code, e.message);
            ExitCode::from(1)
        }
    }
}

fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Info { paths, json } => {
            let mut session = Session::new();
            session.open(&paths)?;
            let mut out = std::io::stdout().lock();
            let written = if json {
                let doc = info_json::InfoDocument::from_index(session.index());
                serde_json::to_writer(&mut out, &doc)
                    .map_err(std::io::Error::from)
                    .and_then(|_| writeln!(out))
            } else {
                tree::write_tree(&mut out, session.index())
            };
            match written {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(CliError {
                    code: ErrorCode::Io,
                    message: format!("cannot write output: {e}"),
                }),
                Ok(()) => Ok(()),
            }
        }
    }
}
