//! The reference decoders' decompression to a native file, for the exact comparison of stored
//! values (lossless data must decode to exactly the reference's samples). One table, used by the
//! golden tests (`crates/lucent-pixels/tests/golden.rs`) and the QA harness's pixel check
//! (`benches/src/harness/pixel_check.rs`), so both ask the same tool with the same options.
//!
//! dcmtk where it has a decoder for the transfer syntax: `dcmconv +te` (native and Deflated
//! syntaxes, written as Explicit VR Little Endian), `dcmdjpeg +cn` (JPEG; `+cn`: never convert
//! YCbCr to RGB, so the stored colour model is kept), `dcmdrle` (RLE), `dcmdjpls` (JPEG-LS);
//! GDCM's `gdcmconv --raw` where dcmtk 3.6.7 has none (JPEG 2000). Nobody here decodes HTJ2K or
//! Deflated Image Frame Compression. pydicom only where a committed exception names it.

use std::path::Path;
use std::process::Command;

/// Which reference decoder decompresses a transfer syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// dcmtk.
    Dcmtk,
    /// GDCM.
    Gdcm,
    /// pydicom (`pixel_array`, rewritten as Explicit VR Little Endian by [`PYDICOM_NATIVE`]):
    /// only as a committed exception's reference, where dcmtk and GDCM are both wrong.
    Pydicom,
}

/// pydicom's decoded frames written as a native Explicit VR Little Endian file: `pixel_array`
/// (all frames; colour interleaved, YCbCr converted to RGB by PS3.3 C.7.6.3.1.2's equations),
/// every element re-encoded little endian. Arguments: input, output.
pub const PYDICOM_NATIVE: &str = r#"
import sys, pydicom
from pydicom.uid import ExplicitVRLittleEndian
ds = pydicom.dcmread(sys.argv[1])
arr = ds.pixel_array
if int(ds.get("SamplesPerPixel", 1)) > 1:
    ds.PlanarConfiguration = 0
    if str(ds.PhotometricInterpretation).startswith("YBR"):
        ds.PhotometricInterpretation = "RGB"
ds.PixelData = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
ds["PixelData"].VR = "OB" if arr.dtype.itemsize == 1 else "OW"
ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
out = pydicom.Dataset()
for elem in ds:
    out.add(elem)
out.file_meta = ds.file_meta
pydicom.dcmwrite(sys.argv[2], out, implicit_vr=False, little_endian=True, enforce_file_format=True)
"#;

impl Reference {
    /// The name used in reports (`dcmtk`, `gdcm`).
    pub fn name(self) -> &'static str {
        match self {
            Reference::Dcmtk => "dcmtk",
            Reference::Gdcm => "gdcm",
            Reference::Pydicom => "pydicom",
        }
    }
}

/// The program and options that decompress `transfer_syntax` with `reference` (input and
/// output paths follow); `None` when that tool has no decoder for it.
pub fn decompressor(
    reference: Reference,
    transfer_syntax: &str,
) -> Option<(&'static str, &'static [&'static str])> {
    match (reference, transfer_syntax) {
        (
            Reference::Dcmtk,
            "1.2.840.10008.1.2"
            | "1.2.840.10008.1.2.1"
            | "1.2.840.10008.1.2.1.99"
            | "1.2.840.10008.1.2.2",
        ) => Some(("dcmconv", &["+te"])),
        (
            Reference::Dcmtk,
            "1.2.840.10008.1.2.4.50"
            | "1.2.840.10008.1.2.4.51"
            | "1.2.840.10008.1.2.4.57"
            | "1.2.840.10008.1.2.4.70",
        ) => Some(("dcmdjpeg", &["+cn"])),
        (Reference::Dcmtk, "1.2.840.10008.1.2.5") => Some(("dcmdrle", &[])),
        (Reference::Dcmtk, "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81") => {
            Some(("dcmdjpls", &[]))
        }
        (Reference::Dcmtk, _) => None,
        // GDCM 3.0.21 decodes JPEG 2000 and everything dcmtk does; not HTJ2K nor Deflated
        // Image Frame Compression ("Could not read (pixmap)").
        (Reference::Gdcm, ts)
            if ts.starts_with("1.2.840.10008.1.2.4.9")
                || decompressor(Reference::Dcmtk, ts).is_some() =>
        {
            Some(("gdcmconv", &["--raw"]))
        }
        (Reference::Gdcm, _) => None,
        (Reference::Pydicom, _) => Some(("python3", &["-c", PYDICOM_NATIVE])),
    }
}

/// Decompresses `input` to the native file `output` with `reference`'s tool; the error says
/// why not (no decoder, the tool failed).
pub fn decompress(
    reference: Reference,
    transfer_syntax: &str,
    input: &Path,
    output: &Path,
) -> Result<(), String> {
    let (program, options) = decompressor(reference, transfer_syntax)
        .ok_or_else(|| format!("{} has no decoder for {transfer_syntax}", reference.name()))?;
    let _ = std::fs::remove_file(output);
    let out = Command::new(program)
        .args(options)
        .arg(input)
        .arg(output)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() || !output.exists() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "{program} failed: {}",
            stderr.lines().next().unwrap_or("no output")
        ));
    }
    Ok(())
}
