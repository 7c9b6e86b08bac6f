//! `lucent policy show`: the managed policy in force: every key, its effective value and where
//! it comes from (the policy file, or the default). A policy file that is refused is reported as
//! the error it is (`E_POLICY_INVALID`, exit 1): nothing else would run under it either.

use crate::CliError;
use clap::Subcommand;
use lucent_core::policy::{KEYS, Policy, Source};
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Print every policy key, its effective value and its source (see docs/POLICY.md).
    Show {
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize)]
struct ShownPolicy {
    file: String,
    present: bool,
    keys: Vec<ShownKey>,
}

#[derive(Serialize)]
struct ShownKey {
    key: &'static str,
    value: String,
    /// `policy` or `default`.
    source: &'static str,
    /// How the value was chosen (the policy's value as written, or which default).
    from: String,
    description: &'static str,
}

pub fn run(command: PolicyCommand) -> Result<ExitCode, CliError> {
    let PolicyCommand::Show { json } = command;
    let policy = Policy::load()?;
    let location = lucent_core::data_dir::audit_location(None)?;
    let keys: Vec<ShownKey> = KEYS
        .iter()
        .map(|k| {
            let (value, from) = match k.name {
                "audit.directory" => (
                    location.dir.display().to_string(),
                    location.source.to_string(),
                ),
                _ => (String::new(), String::new()),
            };
            let source = match policy.source(k.name) {
                Source::PolicyFile(_) => "policy",
                Source::Default => "default",
            };
            ShownKey {
                key: k.name,
                value,
                source,
                from,
                description: k.description,
            }
        })
        .collect();
    let doc = ShownPolicy {
        file: policy.file().display().to_string(),
        present: policy.is_present(),
        keys,
    };
    let mut out = std::io::stdout().lock();
    let written = if json {
        serde_json::to_writer(&mut out, &doc)
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(out))
    } else {
        let mut text = format!(
            "policy file: {} ({})\n",
            doc.file,
            if doc.present {
                "present"
            } else {
                "absent: every key has its default"
            }
        );
        for k in &doc.keys {
            text.push_str(&format!(
                "{} = {}\n    source: {}\n",
                k.key, k.value, k.from
            ));
        }
        out.write_all(text.as_bytes())
    };
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError {
            code: lucent_core::ErrorCode::Io,
            message: format!("cannot write output: {e}"),
        }),
        _ => Ok(ExitCode::SUCCESS),
    }
}
