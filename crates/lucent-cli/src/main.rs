//! `lucent`: the command-line face of Lucent. Argument parsing and output only; all work is done
//! by the `lucent-core` facade.
//!
//! Exit codes: 0 success; 1 an error the user can act on (one `error: CODE: message` line on
//! stderr); 2 usage errors (clap). Never a panic exit: a contained bug is reported as
//! `E_INTERNAL`. A closed stdout (e.g. `| head`) ends the program quietly.

mod audit;
mod info_json;
mod output;
mod policy;
mod tree;

use clap::{Parser, Subcommand};
use lucent_core::{ErrorCode, HasErrorCode, RenderOptions, Session, VoiChoice};
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
    /// Render one frame through the full pipeline to an 8-bit grey or 24-bit RGB PNG.
    Render {
        /// The DICOM file.
        file: PathBuf,
        /// Frame number, counted from 0.
        #[arg(long, default_value_t = 0)]
        frame: u32,
        /// Window as CENTER,WIDTH (e.g. `--window -600,1500`); default: the file's own VOI.
        #[arg(long, allow_hyphen_values = true, value_parser = parse_window)]
        window: Option<(f64, f64)>,
        /// Draw the overlay planes (PS3.3 C.9) as `dcmj2pnm` does by default: graphics planes
        /// white, region-of-interest planes darkening the rest of their rectangle.
        #[arg(long)]
        overlays: bool,
        /// Output PNG file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Write one frame's stored values (decoded samples) for QA, audited like `render`.
    ///
    /// Layout: rows × columns × samples, row-major, the samples of a pixel interleaved, little
    /// endian; each integer sample is its stored value (Bits Stored bits ending at High Bit),
    /// sign-extended when Pixel Representation is 1, in Bits Allocated rounded up to 8, 16 or
    /// 32 bits; float data as IEEE values. Colour as the decoder delivers it (JPEG, JPEG-LS and
    /// JPEG 2000 as RGB, otherwise as stored). The layout is printed on stderr.
    Decode {
        /// The DICOM file.
        file: PathBuf,
        /// Frame number, counted from 0.
        #[arg(long, default_value_t = 0)]
        frame: u32,
        /// Output file for the raw stored values.
        #[arg(long)]
        raw: PathBuf,
    },
    /// The audit trail: verify it, show it, find a study's accesses.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// The managed policy (/etc/lucent/policy.toml): what it sets and what applies.
    Policy {
        #[command(subcommand)]
        command: policy::PolicyCommand,
    },
}

fn parse_window(s: &str) -> Result<(f64, f64), String> {
    let (c, w) = s
        .split_once(',')
        .ok_or("expected CENTER,WIDTH, e.g. 40,400")?;
    let c: f64 = c
        .trim()
        .parse()
        .map_err(|_| format!("invalid window centre {c:?}"))?;
    let w: f64 = w
        .trim()
        .parse()
        .map_err(|_| format!("invalid window width {w:?}"))?;
    if !c.is_finite() || !w.is_finite() || w <= 0.0 {
        return Err("the window centre must be a number and the width a number > 0".into());
    }
    Ok((c, w))
}

/// An error for the one `error:` line.
pub(crate) struct CliError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
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
    if let Err(e) = lucent_core::hardening::disable_core_dumps() {
        let _ = writeln!(std::io::stderr(), "warning: {e}");
    }
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
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {}: {}", e.code, e.message);
            ExitCode::from(1)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Audit { command } => audit::run(command),
        Command::Policy { command } => policy::run(command),
        Command::Render {
            file,
            frame,
            window,
            overlays,
            output,
        } => {
            let voi = match window {
                Some((center, width)) => VoiChoice::Explicit { center, width },
                None => VoiChoice::FromHeader,
            };
            let options = RenderOptions {
                voi,
                overlays,
                shutters: true,
            };
            let session = Session::new();
            let with_path = |e: lucent_core::CoreError| CliError {
                code: e.code(),
                message: format!("{}: {e}", file.display()),
            };
            let rendered = session
                .render_file(&file, frame, options)
                .map_err(with_path)?;
            let mut png = Vec::new();
            rendered
                .write_png(&mut png)
                .map_err(|e| with_path(e.into()))?;
            output::write_owner_only(&output, &png).map_err(|e| CliError {
                code: ErrorCode::Io,
                message: format!("{}: cannot write: {e}", output.display()),
            })?;
            // How the image was shown when it is not simply what the file asks (a window applied
            // as LINEAR_EXACT, an ignored malformed attribute, …): the viewer's corner line.
            let mut err = std::io::stderr().lock();
            for note in &rendered.notes {
                let _ = writeln!(err, "note: {note}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Decode { file, frame, raw } => {
            let session = Session::new();
            let values = session.decode_file(&file, frame).map_err(|e| CliError {
                code: e.code(),
                message: format!("{}: {e}", file.display()),
            })?;
            output::write_owner_only(&raw, values.le_bytes()).map_err(|e| CliError {
                code: ErrorCode::Io,
                message: format!("{}: cannot write: {e}", raw.display()),
            })?;
            let _ = writeln!(
                std::io::stderr(),
                "layout: {} rows, {} columns, {} samples of {} bits ({}), {:?}, little endian",
                values.rows,
                values.columns,
                values.len(),
                values.container_bits,
                match (values.float, values.signed) {
                    (true, _) => "float",
                    (false, true) => "signed",
                    (false, false) => "unsigned",
                },
                values.color
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Info { paths, json } => {
            let session = Session::new();
            session.open(&paths)?;
            let mut out = std::io::stdout().lock();
            let written = if json {
                let doc = info_json::InfoDocument::from_index(&session.index());
                serde_json::to_writer(&mut out, &doc)
                    .map_err(std::io::Error::from)
                    .and_then(|_| writeln!(out))
            } else {
                tree::write_tree(&mut out, &session.index())
            };
            match written {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
                Err(e) => Err(CliError {
                    code: ErrorCode::Io,
                    message: format!("cannot write output: {e}"),
                }),
                Ok(()) => Ok(ExitCode::SUCCESS),
            }
        }
    }
}
