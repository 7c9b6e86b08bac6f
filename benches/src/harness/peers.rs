//! The peers Lucent is measured against, and how each is run.
//!
//! Per process (one process per file, like a user's command): `lucent render` (process start and
//! the audited open included), dcmtk `dcmj2pnm` (`dcml2pnm` for JPEG-LS; dcmtk 3.6.7 has no
//! JPEG 2000), GDCM `gdcmconv --raw`. In process (one persistent Python process timing each
//! file): pydicom (with pylibjpeg) and GDCM's Python bindings (Debian `python3-gdcm`, used from
//! Debian's `/usr/bin/python3`).

use super::files::FileInfo;
use lucent_pixels::RenderedFrame;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

/// The in-process timing helper, run by Python (`pydicom` or `gdcm` mode). It reads one JSON
/// request per line (`{"file", "frame", "repeat", "window": [c, w] | null}`) and answers one JSON
/// line with the milliseconds of each repetition (read + decode + modality LUT + window to 8 bits).
pub const PYTHON_HELPER: &str = r#"
import sys, json, time
mode = sys.argv[1]
import numpy as np

def to8(arr, window):
    arr = arr.astype(np.float64)
    if window is not None:
        c, w = window
        lo, hi = c - w / 2.0, c + w / 2.0
    else:
        lo, hi = float(arr.min()), float(arr.max())
    return (np.clip((arr - lo) / max(hi - lo, 1e-9), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)

if mode == "pydicom":
    import pydicom
    from pydicom.pixels import pixel_array, apply_modality_lut
    def render(path, frame, window):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        arr = pixel_array(path, index=frame)
        if int(ds.get("SamplesPerPixel", 1)) == 1:
            return to8(apply_modality_lut(arr, ds), window)
        return arr.astype(np.uint8)
else:
    import gdcm
    def render(path, frame, window):
        r = gdcm.ImageReader()
        r.SetFileName(path)
        if not r.Read():
            raise RuntimeError("gdcm cannot read")
        img = r.GetImage()
        buf = img.GetBuffer().encode("utf-8", errors="surrogateescape")
        pf = img.GetPixelFormat()
        dtype = {(8, 0): np.uint8, (8, 1): np.int8, (16, 0): np.uint16, (16, 1): np.int16, (32, 0): np.uint32, (32, 1): np.int32}[(pf.GetBitsAllocated(), pf.GetPixelRepresentation())]
        dims = img.GetDimensions()
        spp = pf.GetSamplesPerPixel()
        arr = np.frombuffer(buf, dtype=dtype)
        per_frame = dims[0] * dims[1] * spp
        arr = arr[frame * per_frame:(frame + 1) * per_frame]
        if spp == 1:
            return to8(arr * img.GetSlope() + img.GetIntercept(), window)
        return arr.astype(np.uint8)

print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    times = []
    try:
        for _ in range(req["repeat"]):
            t = time.perf_counter()
            render(req["file"], req["frame"], req["window"])
            times.append((time.perf_counter() - t) * 1000.0)
        print(json.dumps({"ms": times}), flush=True)
    except Exception as e:
        print(json.dumps({"error": str(e)[:200]}), flush=True)
"#;

/// A persistent Python process running [`PYTHON_HELPER`].
pub struct PythonPeer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Version string for the report.
    pub version: String,
}

impl PythonPeer {
    /// Starts `python` in `mode` (`pydicom` or `gdcm`); `None` when the module is missing.
    pub fn start(python: &str, mode: &str, helper: &Path) -> Option<Self> {
        let module = if mode == "pydicom" { "pydicom" } else { "gdcm" };
        let version = Command::new(python)
            .args(["-c", &format!("import {module}, numpy; print(getattr({module}, '__version__', None) or {module}.Version.GetVersion())")])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())?;
        let mut child = Command::new(python)
            .arg(helper)
            .arg(mode)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let mut stdout = BufReader::new(child.stdout.take()?);
        let mut ready = String::new();
        stdout.read_line(&mut ready).ok()?;
        ready.contains("ready").then_some(PythonPeer {
            child,
            stdin,
            stdout,
            version,
        })
    }

    /// Milliseconds of each repetition, or the peer's error.
    pub fn time(
        &mut self,
        file: &Path,
        frame: u32,
        repeat: usize,
        window: Option<(f64, f64)>,
    ) -> Result<Vec<f64>, String> {
        let req = serde_json::json!({"file": file, "frame": frame, "repeat": repeat, "window": window.map(|(c, w)| [c, w])});
        writeln!(self.stdin, "{req}").map_err(|e| e.to_string())?;
        self.stdin.flush().map_err(|e| e.to_string())?;
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
        match v.get("ms").and_then(|m| m.as_array()) {
            Some(ms) => Ok(ms.iter().filter_map(|x| x.as_f64()).collect()),
            None => Err(v
                .get("error")
                .and_then(|e| e.as_str())
                .unwrap_or("unknown error")
                .to_string()),
        }
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A command-line peer's version, if installed.
pub fn tool_version(program: &str) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let version = text
        .split(|c: char| c.is_whitespace() || c == '$')
        .find(|w| {
            w.starts_with('v') && w[1..].starts_with(|c: char| c.is_ascii_digit())
                || w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.contains('.')
        })
        .map(|w| w.trim_start_matches('v').trim_end_matches(',').to_string())
        .unwrap_or_else(|| "unknown".into());
    Some(version)
}

/// One timed run of a command; wall milliseconds and peak RSS (MiB) when GNU time is present.
pub fn time_process(program: &str, args: &[String]) -> Result<(f64, Option<f64>), String> {
    let gnu_time = Path::new("/usr/bin/time").exists();
    let mut cmd = if gnu_time {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "LUCENT_MAXRSS_KB %M", program]);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
    let started = Instant::now();
    let out = cmd.output().map_err(|e| format!("{program}: {e}"))?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let reason = stderr
            .lines()
            .find(|l| !l.starts_with("LUCENT_MAXRSS_KB") && !l.starts_with("Command exited"))
            .unwrap_or("failed");
        return Err(format!("{program}: {reason}"));
    }
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("LUCENT_MAXRSS_KB "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0);
    Ok((ms, rss))
}

/// The `lucent` binary beside this harness (same build), or on PATH.
pub fn lucent_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("lucent")))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("lucent"))
}

/// Which dcmtk converter decodes a transfer syntax, if any.
pub fn dcmtk_program(transfer_syntax: &str) -> Option<&'static str> {
    match transfer_syntax {
        "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81" => Some("dcml2pnm"),
        ts if ts.starts_with("1.2.840.10008.1.2.4.9")
            || ts.starts_with("1.2.840.10008.1.2.4.20") =>
        {
            None
        }
        "1.2.840.10008.1.2.8.1" => None,
        _ => Some("dcmj2pnm"),
    }
}

/// pydicom as the third reference for greyscale images, used only when dcmtk and GDCM both
/// disagree with Lucent: `pixel_array` of frame 0, Rescale Slope/Intercept, the same LINEAR
/// window (PS3.3 C.11.2.1.2.1), MONOCHROME1 inverted. Writes `width height\n` then 8-bit pixels.
const PYDICOM_GREY: &str = r#"
import sys, numpy as np, pydicom
path, out, center, width = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
ds = pydicom.dcmread(path)
a = ds.pixel_array
if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1:
    a = a[0]
x = a.astype(np.float64) * float(getattr(ds, "RescaleSlope", 1) or 1) + float(getattr(ds, "RescaleIntercept", 0) or 0)
w = max(width, 1.0)
y = ((x - (center - 0.5)) / (w - 1 if w > 1 else 1) + 0.5) * 255
y = np.where(x <= center - 0.5 - (w - 1) / 2, 0, np.where(x > center - 0.5 + (w - 1) / 2, 255, y))
y = np.clip(np.rint(y), 0, 255).astype(np.uint8)
if ds.PhotometricInterpretation == "MONOCHROME1":
    y = 255 - y
with open(out, "wb") as f:
    f.write(f"{y.shape[1]} {y.shape[0]}\n".encode())
    f.write(y.tobytes())
"#;

/// Frame 0 of a greyscale file rendered by pydicom under an explicit window (see
/// [`PYDICOM_GREY`]); `None` when pydicom or numpy is missing or cannot read it.
pub fn pydicom_grey(path: &Path, center: f64, width: f64, work: &Path) -> Option<RenderedFrame> {
    let out = work.join("pydicom-grey.raw");
    let _ = std::fs::remove_file(&out);
    let status = Command::new("python3")
        .args(["-c", PYDICOM_GREY])
        .arg(path)
        .arg(&out)
        .arg(center.to_string())
        .arg(width.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    let bytes = std::fs::read(&out).ok()?;
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let header = std::str::from_utf8(&bytes[..newline]).ok()?;
    let mut dims = header.split(' ').map(|v| v.parse::<u32>().ok());
    let (width, height) = (dims.next()??, dims.next()??);
    let pixels = bytes[newline + 1..].to_vec();
    (pixels.len() as u64 == u64::from(width) * u64::from(height))
        .then(|| RenderedFrame::grey(width, height, pixels))
}

/// dcmtk's arguments: PNG, frame 1, the window; overlay planes drawn (dcmtk's default, `+O 0`),
/// as `compare` asks Lucent to draw them.
pub(crate) fn dcmtk_args(
    f: &FileInfo,
    input: &Path,
    out: &Path,
    window: Option<(f64, f64)>,
) -> Vec<String> {
    let mut args = vec![
        "+on".to_string(),
        "+F".into(),
        "1".into(),
        "+O".into(),
        "0".into(),
    ];
    if f.photometric.starts_with("MONOCHROME") {
        match window {
            Some((c, w)) => args.extend(["+Ww".into(), c.to_string(), w.to_string()]),
            None if f.has_window => args.extend(["+Wi".into(), "1".into()]),
            None => args.push("+Wm".into()),
        }
    }
    args.push(input.display().to_string());
    args.push(out.display().to_string());
    args
}
