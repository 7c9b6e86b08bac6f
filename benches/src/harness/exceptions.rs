//! The committed list of files whose designated reference decoder is known to be wrong
//! (`benches/reference-exceptions.toml`), read by the pixel check. Each entry names the file by
//! SHA-256 (and a name for people), the reference used instead, the reason and the evidence
//! (the values a third tool gives). A file is matched by its content, so a renamed copy keeps
//! its entry and a changed file loses it.

use lucent_testdata::reference::Reference;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::OnceLock;

/// The list, compiled in: what the harness applies is what is committed.
pub const EXCEPTIONS_TOML: &str = include_str!("../../reference-exceptions.toml");

/// One file whose designated reference is wrong.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// A name for people (the file's name in the set it came from).
    pub name: String,
    /// SHA-256 of the whole file, lower-case hex.
    pub sha256: String,
    /// The reference chosen by transfer syntax, which is wrong here.
    #[serde(deserialize_with = "reference")]
    pub designated: Reference,
    /// The reference used instead.
    #[serde(deserialize_with = "reference")]
    pub reference: Reference,
    /// Why the designated reference is wrong.
    pub reason: String,
    /// What shows it (values from a third tool).
    pub evidence: String,
    /// Which comparisons the reference used instead serves: `all` (default), or `render` when
    /// the designated reference's decompressed values are right and only its render is wrong
    /// (e.g. an approximate colour conversion); the exact comparison then stays with it.
    #[serde(default)]
    pub scope: Scope,
}

/// See [`Exception::scope`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Both comparisons.
    #[default]
    All,
    /// The render only.
    Render,
}

fn reference<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Reference, D::Error> {
    match String::deserialize(d)?.as_str() {
        "dcmtk" => Ok(Reference::Dcmtk),
        "gdcm" => Ok(Reference::Gdcm),
        "pydicom" => Ok(Reference::Pydicom),
        other => Err(serde::de::Error::custom(format!(
            "unknown reference {other:?}: dcmtk, gdcm or pydicom"
        ))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct List {
    #[serde(default)]
    exception: Vec<Exception>,
}

/// Parses and checks a list: every hash 64 hex digits and unique, the reference used instead
/// different from the designated one, a reason and evidence given.
pub fn parse(text: &str) -> Result<Vec<Exception>, String> {
    let list: List = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut seen = std::collections::HashSet::new();
    for e in &list.exception {
        let hex = e.sha256.len() == 64
            && e.sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        if !hex {
            return Err(format!(
                "{}: sha256 must be 64 lower-case hex digits",
                e.name
            ));
        }
        if !seen.insert(e.sha256.clone()) {
            return Err(format!("{}: listed twice", e.name));
        }
        if e.designated == e.reference {
            return Err(format!(
                "{}: the reference used instead is the designated one",
                e.name
            ));
        }
        if e.reason.trim().is_empty() || e.evidence.trim().is_empty() {
            return Err(format!(
                "{}: a reason and the evidence are required",
                e.name
            ));
        }
    }
    Ok(list.exception)
}

/// The committed list (parsed once; a malformed list is a bug the tests catch).
pub fn all() -> &'static [Exception] {
    static LIST: OnceLock<Vec<Exception>> = OnceLock::new();
    LIST.get_or_init(|| parse(EXCEPTIONS_TOML).expect("benches/reference-exceptions.toml"))
}

/// SHA-256 of a file, lower-case hex.
pub fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The exception for this file's content, if listed.
pub fn for_file(path: &Path) -> Option<&'static Exception> {
    let list = all();
    if list.is_empty() {
        return None;
    }
    let hash = sha256_of(path).ok()?;
    list.iter().find(|e| e.sha256 == hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_list_parses_and_a_bad_entry_is_refused() {
        all();
        let entry = |sha: &str, designated: &str, reference: &str, evidence: &str| {
            format!(
                "[[exception]]\nname = \"x.dcm\"\nsha256 = \"{sha}\"\ndesignated = \"{designated}\"\nreference = \"{reference}\"\nreason = \"r\"\nevidence = \"{evidence}\"\n"
            )
        };
        let good = "a".repeat(64);
        assert!(parse(&entry(&good, "dcmtk", "gdcm", "e")).is_ok());
        assert!(parse(&entry("abc", "dcmtk", "gdcm", "e")).is_err());
        assert!(parse(&entry(&good, "dcmtk", "dcmtk", "e")).is_err());
        assert!(parse(&entry(&good, "dcmtk", "gdcm", " ")).is_err());
        assert!(parse(&entry(&good, "dcmtk", "pydicom", "e")).is_ok());
        assert!(parse(&entry(&good, "dcmtk", "imagej", "e")).is_err());
        let twice = entry(&good, "dcmtk", "gdcm", "e").repeat(2);
        assert!(parse(&twice).is_err());
    }
}
