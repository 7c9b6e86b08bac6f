//! Helpers shared by the golden tests (`golden.rs`, `shutters.rs`): reference tools, reading
//! their outputs, and keeping the images of a failed comparison.

#![allow(dead_code)] // each test crate uses its own subset

use lucent_pixels::RenderedFrame;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs a reference tool, asserting success; returns what it printed (stdout, then stderr).
pub fn run(program: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// Whether a reference tool is installed.
pub fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// Reads an 8-bit grey or RGB PNG written by a reference tool.
pub fn read_png(path: &Path) -> RenderedFrame {
    let file = std::fs::File::open(path).unwrap();
    RenderedFrame::read_png(file).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a binary 8-bit PGM (P5, maxval 255), as `dcmp2pgm` writes it: width, height, pixels.
pub fn read_pgm(path: &Path) -> RenderedFrame {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Header: magic, width, height, maxval, separated by whitespace, then one whitespace byte.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        let start = at;
        while bytes.get(at).is_some_and(|b| !b.is_ascii_whitespace()) {
            at += 1;
        }
        assert!(at > start, "{}: truncated PGM header", path.display());
        fields.push(String::from_utf8_lossy(&bytes[start..at]).to_string());
    }
    let number = |s: &str| -> u32 { s.parse().unwrap_or_else(|_| panic!("PGM field {s:?}")) };
    assert_eq!(fields[0], "P5", "{}: not a binary PGM", path.display());
    let (width, height) = (number(&fields[1]), number(&fields[2]));
    assert_eq!(number(&fields[3]), 255, "{}: not 8-bit", path.display());
    let pixels = bytes[at + 1..].to_vec();
    assert_eq!(
        pixels.len(),
        width as usize * height as usize,
        "{}",
        path.display()
    );
    RenderedFrame::grey(width, height, pixels)
}

/// Where failed comparisons leave their images: `<target>/golden-failures/`.
pub fn failures_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("golden-failures")
}

/// Writes `<name>-<label>.png` for each image into [`failures_dir`] and returns the folder.
pub fn keep_failure_images(name: &str, images: &[(&str, &RenderedFrame)]) -> PathBuf {
    let dir = failures_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for (label, image) in images {
        let path = dir.join(format!("{name}-{label}.png"));
        image
            .write_png(std::fs::File::create(path).unwrap())
            .unwrap();
    }
    dir
}
