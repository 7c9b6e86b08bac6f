//! The peers Lucent is measured against, and how each is run.
//!
//! Per process (one process per file, like a user's command): `lucent render` (process start and
//! the audited open included), dcmtk `dcmj2pnm` (`dcml2pnm` for JPEG-LS; dcmtk 3.6.7 has no
//! JPEG 2000), GDCM `gdcmconv --raw`. In process (one persistent Python process timing each
//! file): pydicom (with pylibjpeg) and GDCM's Python bindings (Debian `python3-gdcm`, used from
//! Debian's `/usr/bin/python3`).

use super::files::FileInfo;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

/// The in-process timing helper, run by Python (`pydicom` or `gdcm` mode). It reads one JSON
/// request per line (`{"file", "frame", "count": 1 | null, "repeat", "window": [c, w] | null}`;
/// `count` null: every frame) and answers one JSON line: the wall milliseconds of each repetition,
/// the process CPU milliseconds of each (`time.process_time`, all threads), the frames decoded
/// per repetition and the reader used. What one repetition does is [`timed`]'s text for the mode.
pub const PYTHON_HELPER: &str = r#"
import sys, json, time
mode = sys.argv[1]
import numpy as np

def linear_lut(x, c, w, invert):
    # PS3.3 C.11.2.1.2.1, the LINEAR window, to 8 bits; MONOCHROME1 inverted.
    y = ((x - (c - 0.5)) / max(w - 1.0, 1.0) + 0.5) * 255.0
    y = np.clip(np.rint(y), 0, 255).astype(np.uint8)
    return 255 - y if invert else y

UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32}

def to8(arr, bits_stored, signed, slope, intercept, window, invert):
    # Greyscale: one 8-bit table over the 2^BitsStored stored codes (modality LUT and window
    # folded in, as Lucent does), then one lookup per pixel. Colour: no VOI, as is.
    if window is None or arr.ndim == 3:
        return arr.astype(np.uint8, copy=False)
    c, w = window
    if arr.dtype.kind in "iu" and 1 <= bits_stored <= 16 and arr.dtype.itemsize in UNSIGNED:
        n = 1 << bits_stored
        codes = np.arange(n, dtype=np.float64)
        if signed:
            codes[n // 2:] -= n
        lut = linear_lut(codes * slope + intercept, c, w, invert)
        raw = arr.view(UNSIGNED[arr.dtype.itemsize])
        if n != 1 << (8 * arr.dtype.itemsize):
            raw = raw & (n - 1)
        return lut[raw]
    return linear_lut(arr.astype(np.float64) * slope + intercept, c, w, invert)

def ybr_full_to_rgb(a):
    # PS3.3 C.7.6.3.1.2 (YBR_FULL, YBR_FULL_422 once upsampled), what pydicom and Lucent apply.
    y = a[..., 0].astype(np.float32)
    cb = a[..., 1].astype(np.float32) - 128.0
    cr = a[..., 2].astype(np.float32) - 128.0
    rgb = np.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], axis=-1)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)

if mode == "pydicom":
    from pydicom import Dataset
    from pydicom.pixels import pixel_array, iter_pixels
    def render(path, frame, count, window):
        ds = Dataset()
        if count == 1:
            arrays, via = [pixel_array(path, index=frame, ds_out=ds)], "pixel_array(index)"
        else:
            arrays, via = iter_pixels(path, ds_out=ds), "iter_pixels"
        n, attrs = 0, None
        for arr in arrays:
            if attrs is None:
                attrs = (int(ds.get("BitsStored", 8)), int(ds.get("PixelRepresentation", 0)) == 1,
                         float(ds.get("RescaleSlope", 1) or 1), float(ds.get("RescaleIntercept", 0) or 0))
                invert = ds.get("PhotometricInterpretation") == "MONOCHROME1"
            to8(arr, *attrs, window, invert)
            n += 1
        return n, via
else:
    import gdcm
    DTYPE = {(8, 0): np.uint8, (8, 1): np.int8, (16, 0): np.uint16, (16, 1): np.int16, (32, 0): np.uint32, (32, 1): np.int32}
    def frames_of(img, buf, first, count):
        pf = img.GetPixelFormat()
        dims = img.GetDimensions()
        spp = pf.GetSamplesPerPixel()
        arr = np.frombuffer(buf, dtype=DTYPE[(pf.GetBitsAllocated(), pf.GetPixelRepresentation())])
        per_frame = dims[0] * dims[1] * spp
        total = len(arr) // per_frame
        shape = (dims[1], dims[0], spp) if spp > 1 else (dims[1], dims[0])
        for k in range(first, total if count is None else min(first + count, total)):
            yield arr[k * per_frame:(k + 1) * per_frame].reshape(shape)
    def render(path, frame, count, window):
        img, buf, first, via = None, None, frame, None
        if count == 1:
            r = gdcm.ImageRegionReader()
            r.SetFileName(path)
            if not r.ReadInformation():
                raise RuntimeError("gdcm cannot read")
            dims = gdcm.ImageHelper.GetDimensionsValue(r.GetFile())
            box = gdcm.BoxRegion()
            box.SetDomain(0, dims[0] - 1, 0, dims[1] - 1, frame, frame)
            r.SetRegion(box)
            region = bytearray(r.ComputeBufferLength())
            if r.ReadIntoBuffer(region):
                img, buf, first, via = r.GetImage(), region, 0, "ImageRegionReader"
            elif dims[2] > 1:
                raise RuntimeError("GDCM's ImageRegionReader cannot read one frame of this file (ImageReader.GetBuffer would decode every frame): not timed")
        if img is None:
            r = gdcm.ImageReader()
            r.SetFileName(path)
            if not r.Read():
                raise RuntimeError("gdcm cannot read")
            img = r.GetImage()
            buf = img.GetBuffer().encode("utf-8", errors="surrogateescape")
            via = "ImageReader.GetBuffer" + (" (single-frame file; ImageRegionReader failed)" if count == 1 else "")
        pf = img.GetPixelFormat()
        pi = img.GetPhotometricInterpretation().GetString().strip()
        slope, intercept = img.GetSlope(), img.GetIntercept()
        n = 0
        for arr in frames_of(img, buf, first, count):
            if arr.ndim == 3 and pi.startswith("YBR_FULL"):
                ybr_full_to_rgb(arr)
            else:
                to8(arr, pf.GetBitsStored(), pf.GetPixelRepresentation() == 1, slope, intercept, window, pi == "MONOCHROME1")
            n += 1
        return n, via

print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    times, cpu, frames, via = [], [], 0, None
    try:
        for _ in range(req["repeat"]):
            t, c = time.perf_counter(), time.process_time()
            frames, via = render(req["file"], req["frame"], req["count"], req["window"])
            times.append((time.perf_counter() - t) * 1000.0)
            cpu.append((time.process_time() - c) * 1000.0)
        print(json.dumps({"ms": times, "cpu_ms": cpu, "frames": frames, "via": via}), flush=True)
    except Exception as e:
        print(json.dumps({"error": str(e)[:200]}), flush=True)
"#;

/// What one repetition of a tool in a mode does: the text the JSON (`timed`), the Markdown
/// report and the README give. One place for the fact.
pub fn timed(tool: &str) -> &'static str {
    match tool {
        "lucent" => {
            "in process: PixelFile::open + render of the frame(s) with the explicit window (decode, modality LUT and window folded into one 8-bit table, MONOCHROME1 inverted, colour converted to RGB); per process: `lucent --threads 1 render FILE --window C,W --overlays -o OUT.png` (process start, keychain, audited open, decode, window, overlays, PNG write)"
        }
        "pydicom" => {
            "pixel_array(path, index=k, ds_out) for one frame, iter_pixels(path) once for all frames (pydicom's default plugins: pylibjpeg, pylibjpeg-openjpeg, pylibjpeg-rle, numpy); then one numpy 8-bit table over the 2^BitsStored stored codes with Rescale Slope/Intercept and the same explicit LINEAR window, one lookup per pixel; colour as decoded (pydicom converts YBR to RGB)"
        }
        "gdcm" => {
            "gdcm.ImageRegionReader with a one-frame BoxRegion for one frame (ImageReader.GetBuffer on single-frame files it cannot read; not timed on multi-frame files it cannot read), ImageReader.GetBuffer once for all frames; then the same numpy 8-bit table as pydicom (GDCM's slope/intercept); YBR_FULL colour converted to RGB in numpy"
        }
        "dcmtk" => {
            "`dcmj2pnm` (`dcml2pnm` for JPEG-LS) `+on +F 1 +O 0 +Ww C W FILE OUT.png` per process: process start, parse, decode of frame 1, overlays, window, PNG write"
        }
        "gdcmconv" => {
            "decompress only: `gdcmconv --raw FILE OUT.dcm` per process (process start, decode of every frame, DICOM write; no window, no 8-bit output): not comparable with a render, kept out of both ratios"
        }
        _ => "",
    }
}

/// How an error of [`PythonPeer::send`] or [`PythonPeer::receive`] starts when the process
/// itself is gone (crashed, killed), not when the library reported an error.
pub const PEER_GONE: &str = "the peer's process died on this file: ";

/// A persistent Python process running [`PYTHON_HELPER`].
pub struct PythonPeer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Version string for the report.
    pub version: String,
    /// How it was started (python, mode, helper), to start it again after a crash.
    start: (String, String, PathBuf),
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
            start: (python.to_string(), mode.to_string(), helper.to_path_buf()),
        })
    }

    /// A fresh process started as this one was.
    pub fn restart(&self) -> Option<Self> {
        let (python, mode, helper) = &self.start;
        PythonPeer::start(python, mode, helper)
    }

    /// Sends one timing request: `frame` (0-based) when `count` is `Some(1)`, every frame from
    /// the first when it is `None`; `repeat` repetitions under `window`.
    pub fn send(
        &mut self,
        file: &Path,
        frame: u32,
        count: Option<u32>,
        repeat: usize,
        window: Option<(f64, f64)>,
    ) -> Result<(), String> {
        let req = serde_json::json!({"file": file, "frame": frame, "count": count, "repeat": repeat, "window": window.map(|(c, w)| [c, w])});
        writeln!(self.stdin, "{req}").map_err(|e| format!("{PEER_GONE}{e}"))?;
        self.stdin.flush().map_err(|e| format!("{PEER_GONE}{e}"))
    }

    /// The answer to the last [`PythonPeer::send`], or the peer's error.
    pub fn receive(&mut self) -> Result<PeerTiming, String> {
        let mut line = String::new();
        let read = self
            .stdout
            .read_line(&mut line)
            .map_err(|e| format!("{PEER_GONE}{e}"))?;
        if read == 0 {
            return Err(format!("{PEER_GONE}it exited"));
        }
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
        let numbers = |key: &str| -> Option<Vec<f64>> {
            Some(
                v.get(key)?
                    .as_array()?
                    .iter()
                    .filter_map(|x| x.as_f64())
                    .collect(),
            )
        };
        match (numbers("ms"), numbers("cpu_ms")) {
            (Some(ms), Some(cpu_ms)) => Ok(PeerTiming {
                ms,
                cpu_ms,
                frames: v
                    .get("frames")
                    .and_then(|f| f.as_u64())
                    .and_then(|f| u32::try_from(f).ok())
                    .unwrap_or(0),
                via: v.get("via").and_then(|f| f.as_str()).map(str::to_string),
            }),
            _ => Err(v
                .get("error")
                .and_then(|e| e.as_str())
                .unwrap_or("unknown error")
                .to_string()),
        }
    }
}

/// One answer of the Python helper.
#[derive(Debug, Clone)]
pub struct PeerTiming {
    /// Wall milliseconds of each repetition.
    pub ms: Vec<f64>,
    /// Process CPU milliseconds of each repetition (all threads).
    pub cpu_ms: Vec<f64>,
    /// Frames decoded per repetition.
    pub frames: u32,
    /// The reader the peer used.
    pub via: Option<String>,
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
    let run = time_processes(program, args, 1)?;
    Ok((run.wall_ms, run.each.first().and_then(|p| p.peak_rss_mb)))
}

/// One child of [`time_processes`], as GNU time saw it.
#[derive(Debug, Clone, Copy)]
pub struct ProcessTiming {
    /// Wall milliseconds from spawn to exit, as this harness saw it.
    pub ms: f64,
    /// Peak resident memory, MiB.
    pub peak_rss_mb: Option<f64>,
    /// User + system CPU milliseconds (GNU time's 10 ms resolution).
    pub cpu_ms: Option<f64>,
}

/// `copies` concurrent runs of a command, started together.
#[derive(Debug, Clone)]
pub struct ProcessRun {
    /// Wall milliseconds from the first spawn to the last exit.
    pub wall_ms: f64,
    /// Each child.
    pub each: Vec<ProcessTiming>,
}

/// Runs `copies` instances of a command at once (each under GNU time when present, for peak
/// RSS and CPU time) and waits for all; the first failure is the error.
pub fn time_processes(program: &str, args: &[String], copies: usize) -> Result<ProcessRun, String> {
    let gnu_time = Path::new("/usr/bin/time").exists();
    let started = Instant::now();
    let mut children = Vec::new();
    for _ in 0..copies.max(1) {
        let mut cmd = if gnu_time {
            let mut c = Command::new("/usr/bin/time");
            c.args(["-f", "LUCENT_TIME %M %U %S", program]);
            c
        } else {
            Command::new(program)
        };
        cmd.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
        let child = cmd.spawn().map_err(|e| format!("{program}: {e}"))?;
        children.push((Instant::now(), child));
    }
    let mut each = Vec::new();
    let mut error = None;
    for (spawned, child) in children {
        let out = child
            .wait_with_output()
            .map_err(|e| format!("{program}: {e}"))?;
        let ms = spawned.elapsed().as_secs_f64() * 1000.0;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            let reason = stderr
                .lines()
                .find(|l| !l.starts_with("LUCENT_TIME") && !l.starts_with("Command exited"))
                .unwrap_or("failed");
            error.get_or_insert_with(|| format!("{program}: {reason}"));
            continue;
        }
        let fields: Vec<f64> = stderr
            .lines()
            .find_map(|l| l.strip_prefix("LUCENT_TIME "))
            .map(|v| {
                v.split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        each.push(ProcessTiming {
            ms,
            peak_rss_mb: fields.first().map(|kb| kb / 1024.0),
            cpu_ms: (fields.len() == 3).then(|| (fields[1] + fields[2]) * 1000.0),
        });
    }
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    match error {
        Some(e) => Err(e),
        None => Ok(ProcessRun { wall_ms, each }),
    }
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
