//! Lucent's desktop shell (Tauri 2): windows, IPC and security wiring over `lucent-core`.
//!
//! Every command is a thin wrapper: validate the typed request, call the facade, encode the
//! answer ([`ipc`]). Decoding runs on the blocking pool, never on the main thread. The webview
//! gets opaque ids, display text and pixels; paths arrive only from the command line, the native
//! File menu dialogs and native drops, all handled here in Rust. Requests the app refuses (bad ids
//! or arguments) are audited as security alerts (110113); start and stop as 110100.
//!
//! The webview shows only the app's own origin (`allowed_navigation`), opens no other window
//! and downloads nothing; only a test build may be automated ([`automation`]).

pub mod automation;
pub mod ipc;

use ipc::{
    FrameRequest, IpcError, SeriesRequest, StackDto, StudyDto, TileRequest, ValuesRequest,
    encode_frame, encode_tile, encode_values,
};
use lucent_core::{ErrorCode, RenderOptions, SeriesId, Session, VoiChoice};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tauri::ipc::Response;
use tauri::menu::{MenuBuilder, MenuItemBuilder, PredefinedMenuItem, SubmenuBuilder};
use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};
use tauri_plugin_dialog::DialogExt;

/// Frames larger than this many pixels are sent as a coarse level first.
const LARGE_PIXELS: u64 = 4_000_000;

/// The pyramids of the large frames on screen, one per viewport at most (2×2 layout), keyed by
/// (series, index, window), most recent last.
#[derive(Default)]
struct Pyramids(std::collections::VecDeque<(String, Arc<lucent_core::Pyramid>)>);

impl Pyramids {
    /// One per viewport of the largest layout.
    const KEEP: usize = 4;

    fn get(&self, key: &str) -> Option<Arc<lucent_core::Pyramid>> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, p)| p.clone())
    }

    fn put(&mut self, key: String, pyramid: Arc<lucent_core::Pyramid>) {
        self.0.retain(|(k, _)| *k != key);
        if self.0.len() == Self::KEEP {
            self.0.pop_front();
        }
        self.0.push_back((key, pyramid));
    }
}

/// How often the in-app benchmark samples the memory of the viewer's process tree.
const BENCH_MEMORY_SAMPLE_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

/// The shell's state: one session, shared by reference with the blocking pool. The session
/// locks per concern inside (lucent-core), so commands for two viewports run side by side.
pub struct Viewer {
    session: Arc<Session>,
    bench_out: Option<PathBuf>,
    /// Benchmark mode: samples the memory of this process and its descendants (WebKit's web and
    /// network processes hold the canvases) from launch to the report.
    bench_memory: Mutex<Option<lucent_core::process_memory::Sampler>>,
    launched_epoch_ms: f64,
    /// When the first open request arrived (ms since the epoch, as f64 bits; 0 = none yet).
    first_open_epoch_ms: Arc<std::sync::atomic::AtomicU64>,
    /// Benchmark mode: paths opened when the UI is ready, so that "first image from the open
    /// request" measures Lucent, not WebKit's start-up.
    deferred_open: Mutex<Vec<PathBuf>>,
    /// The pyramids of the large frames on screen.
    pyramid: Arc<Mutex<Pyramids>>,
}

fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

impl Viewer {
    /// A viewer over a session; `bench_out` turns on the in-app benchmark.
    pub fn new(session: Session, bench_out: Option<PathBuf>) -> Self {
        let bench_memory = bench_out.as_ref().and_then(|_| {
            lucent_core::process_memory::Sampler::start(
                std::process::id(),
                BENCH_MEMORY_SAMPLE_INTERVAL,
            )
            .ok()
        });
        Viewer {
            session: Arc::new(session),
            bench_out,
            bench_memory: Mutex::new(bench_memory),
            launched_epoch_ms: epoch_ms(),
            first_open_epoch_ms: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            deferred_open: Mutex::new(Vec::new()),
            pyramid: Arc::new(Mutex::new(Pyramids::default())),
        }
    }

    fn session(&self) -> &Session {
        &self.session
    }
}

/// The VOI a request asks for; a non-finite or non-positive window is refused and audited.
fn requested_voi(session: &Session, window: Option<ipc::WindowArg>) -> Result<VoiChoice, IpcError> {
    match window {
        Some(w) if w.center.is_finite() && w.width.is_finite() && w.width > 0.0 => {
            Ok(VoiChoice::Explicit {
                center: w.center,
                width: w.width,
            })
        }
        Some(_) => {
            let _ = session.audit_rejected_request("invalid window");
            Err(IpcError::new(
                ErrorCode::InvalidArgument,
                "the window width must be a number > 0",
            ))
        }
        None => Ok(VoiChoice::FromHeader),
    }
}

/// Parses a series id from the UI; an unknown form is refused and audited.
fn series_id(session: &Session, s: &str) -> Result<SeriesId, IpcError> {
    SeriesId::parse(s).ok_or_else(|| {
        let _ = session.audit_rejected_request("malformed series id");
        IpcError::new(ErrorCode::UnknownId, "unknown series")
    })
}

/// Converts a facade error for the UI; an unknown id is audited as a refused request.
fn rejected(session: &Session, e: lucent_core::CoreError) -> IpcError {
    if e.code() == ErrorCode::UnknownId {
        let _ = session.audit_rejected_request("unknown series id");
    }
    e.into()
}

use lucent_core::HasErrorCode;

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, IpcError> + Send + 'static,
) -> Result<T, IpcError> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .unwrap_or_else(|_| Err(IpcError::new(ErrorCode::Internal, "internal error")))
}

/// The studies and their stacks, for the browser and the corner text.
#[tauri::command]
async fn studies(state: tauri::State<'_, Viewer>) -> Result<Vec<StudyDto>, IpcError> {
    Ok(state
        .session()
        .studies()
        .iter()
        .map(StudyDto::from)
        .collect())
}

/// Files the index could not use, per error code: the browser says so, so a missing slice is
/// never silent.
#[tauri::command]
async fn skipped(state: tauri::State<'_, Viewer>) -> Result<Vec<ipc::SkippedDto>, IpcError> {
    Ok(state
        .session()
        .skipped_counts()
        .into_iter()
        .map(|(code, count)| ipc::SkippedDto {
            code: code.as_str().to_string(),
            meaning: code.description().to_string(),
            count,
        })
        .collect())
}

/// Per-slice locations and the file's windows of a stack.
#[tauri::command]
async fn stack(
    state: tauri::State<'_, Viewer>,
    request: SeriesRequest,
) -> Result<StackDto, IpcError> {
    let session = state.session.clone();
    blocking(move || {
        let id = series_id(&session, &request.series)?;
        let s = &*session;
        let (locations, windows) = match s.slice_locations(id) {
            Ok(v) => v,
            Err(e) => return Err(rejected(s, e)),
        };
        let default_window = s.default_window(id, 0).map_err(IpcError::from)?;
        let geometry = s.stack_geometry(id).map_err(IpcError::from)?;
        let spacing = s
            .frames(id)
            .ok()
            .and_then(|f| f.first().copied())
            .and_then(|f| s.instance(f.instance).ok())
            .and_then(|i| i.measurement_spacing())
            .map(ipc::SpacingDto::from);
        Ok(StackDto {
            frames: locations.len(),
            locations,
            windows,
            default_window,
            frame_time_ms: geometry.frame_time_ms,
            orientation: geometry.orientation,
            frame_of_reference: geometry.frame_of_reference.map(|f| f.to_string()),
            modality: geometry.modality,
            ultrasound_regions: geometry
                .ultrasound_regions
                .iter()
                .map(ipc::UltrasoundRegionDto::from)
                .collect(),
            spacing,
        })
    })
    .await
}

/// One frame, windowed, as raw bytes (see [`ipc`] for the layout).
#[tauri::command]
async fn frame(
    state: tauri::State<'_, Viewer>,
    request: FrameRequest,
) -> Result<Response, IpcError> {
    let session = state.session.clone();
    let pyramids = state.pyramid.clone();
    blocking(move || {
        let id = series_id(&session, &request.series)?;
        let voi = requested_voi(&session, request.window)?;
        let s = &*session;
        let index = request.index as usize;
        let options = RenderOptions {
            voi,
            overlays: request.overlays,
            shutters: request.shutters,
        };
        let full = match s.stack_frame(id, index, options) {
            Ok(f) => f,
            Err(e) => return Err(rejected(s, e)),
        };
        let direction = request.direction.unwrap_or(1).signum();
        let _ = s.prefetch(id, index, if direction == 0 { 1 } else { direction }, 6);
        let dims = (full.width, full.height);
        let large = u64::from(full.width) * u64::from(full.height) > LARGE_PIXELS;
        let bytes = match request.max_dim {
            Some(max) if large => {
                let pyramid = Arc::new(lucent_core::Pyramid::new(full, max.clamp(64, 4096)));
                let bytes = encode_frame(pyramid.coarsest(), true, dims);
                let key = pyramid_key(
                    &request.series,
                    request.index,
                    request.window,
                    (request.overlays, request.shutters),
                );
                pyramids
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .put(key, pyramid);
                bytes
            }
            _ => encode_frame(&full, false, dims),
        };
        Ok(Response::new(bytes))
    })
    .await
}

/// What a large frame's pyramid was rendered with: the window, whether overlays are burnt in and
/// whether the shutter is applied (tiles are cut from the rendered full frame, so they carry both).
fn pyramid_key(
    series: &str,
    index: u32,
    window: Option<ipc::WindowArg>,
    (overlays, shutters): (bool, bool),
) -> String {
    let window = match window {
        Some(w) => format!("{}:{}", w.center.to_bits(), w.width.to_bits()),
        None => "file".to_string(),
    };
    format!("{series}:{index}:{window}:overlays={overlays}:shutters={shutters}")
}

/// One tile of the large frame on screen (after its coarse level): full-resolution tiles of the
/// visible region replace the coarse level where the user looks.
#[tauri::command]
async fn tile(state: tauri::State<'_, Viewer>, request: TileRequest) -> Result<Response, IpcError> {
    let session = state.session.clone();
    let pyramids = state.pyramid.clone();
    blocking(move || {
        let id = series_id(&session, &request.series)?;
        let key = pyramid_key(
            &request.series,
            request.index,
            request.window,
            (request.overlays, request.shutters),
        );
        let cached = pyramids.lock().unwrap_or_else(|p| p.into_inner()).get(&key);
        let pyramid = match cached {
            Some(p) => p,
            None => {
                let voi = requested_voi(&session, request.window)?;
                let s = &*session;
                let options = RenderOptions {
                    voi,
                    overlays: request.overlays,
                    shutters: request.shutters,
                };
                let full = match s.stack_frame(id, request.index as usize, options) {
                    Ok(f) => f,
                    Err(e) => return Err(rejected(s, e)),
                };
                let p = Arc::new(lucent_core::Pyramid::new(full, 1024));
                pyramids
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .put(key, p.clone());
                p
            }
        };
        let lossy = pyramid.coarsest().lossy;
        let tile = pyramid
            .tile(request.level, request.tx, request.ty)
            .ok_or_else(|| IpcError::new(ErrorCode::InvalidArgument, "no such tile"))?;
        Ok(Response::new(encode_tile(&tile, lossy)))
    })
    .await
}

/// Stored and modality values of one frame at full resolution (see [`ipc`] for the layout): the
/// pixel probe and region statistics read these, never the 8-bit display values.
#[tauri::command]
async fn values(
    state: tauri::State<'_, Viewer>,
    request: ValuesRequest,
) -> Result<Response, IpcError> {
    let session = state.session.clone();
    blocking(move || {
        let id = series_id(&session, &request.series)?;
        let s = &*session;
        match s.frame_values(id, request.index as usize) {
            Ok(v) => Ok(Response::new(encode_values(&v))),
            Err(e) => Err(rejected(s, e)),
        }
    })
    .await
}

/// A small preview of a stack's middle frame for the browser (covered by the listing record).
#[tauri::command]
async fn thumbnail(
    state: tauri::State<'_, Viewer>,
    request: SeriesRequest,
) -> Result<Response, IpcError> {
    let session = state.session.clone();
    blocking(move || {
        let id = series_id(&session, &request.series)?;
        let s = &*session;
        let pyramid = match s.thumbnail(id, 96) {
            Ok(p) => p,
            Err(e) => return Err(rejected(s, e)),
        };
        let full = pyramid.level(0).map_or((0, 0), |f| (f.width, f.height));
        Ok(Response::new(encode_frame(pyramid.coarsest(), true, full)))
    })
    .await
}

/// Whether the in-app scroll benchmark should run.
#[tauri::command]
async fn app_mode<R: Runtime>(
    app: AppHandle<R>,
    state: tauri::State<'_, Viewer>,
) -> Result<serde_json::Value, IpcError> {
    let deferred = std::mem::take(
        &mut *state
            .deferred_open
            .lock()
            .unwrap_or_else(|p| p.into_inner()),
    );
    if !deferred.is_empty() {
        open_paths(&app, deferred);
    }
    let open = f64::from_bits(
        state
            .first_open_epoch_ms
            .load(std::sync::atomic::Ordering::Relaxed),
    );
    Ok(serde_json::json!({
        "benchScroll": state.bench_out.is_some(),
        "launchEpochMs": state.launched_epoch_ms,
        "openEpochMs": open,
    }))
}

/// The benchmark commands outside benchmark mode: refused and audited.
fn not_benchmarking(session: &Session) -> IpcError {
    let _ = session.audit_rejected_request("benchmark command outside benchmark mode");
    IpcError::new(ErrorCode::InvalidArgument, "not in benchmark mode")
}

/// The in-app benchmark's cold start, before its cold pass: the shell's pyramids and the
/// session's frame cache emptied, the stack's files evicted from the page cache (with the pages
/// still resident counted, see `lucent_core::page_cache`).
#[tauri::command]
async fn bench_cold(
    state: tauri::State<'_, Viewer>,
    request: SeriesRequest,
) -> Result<serde_json::Value, IpcError> {
    let session = state.session.clone();
    if state.bench_out.is_none() {
        return Err(not_benchmarking(&session));
    }
    let pyramids = state.pyramid.clone();
    blocking(move || {
        let id = series_id(&session, &request.series)?;
        pyramids.lock().unwrap_or_else(|p| p.into_inner()).0.clear();
        let s = &*session;
        let cold = match s.make_cold(id) {
            Ok(c) => c,
            Err(e) => return Err(rejected(s, e)),
        };
        serde_json::to_value(cold).map_err(|_| IpcError::new(ErrorCode::Internal, "internal error"))
    })
    .await
}

/// The in-app benchmark's exit status: 0 only for a report with no error whose scroll passes
/// all showed every frame (a pass without a `frames_failed` count fails too: fail closed).
fn bench_exit_code(report: &serde_json::Value) -> i32 {
    let passes_clean = report["passes"].as_array().is_some_and(|passes| {
        !passes.is_empty()
            && passes
                .iter()
                .all(|p| p["frames_failed"].as_u64() == Some(0))
    });
    if report.get("error").is_none() && passes_clean {
        0
    } else {
        1
    }
}

/// Receives the in-app benchmark's result, adds the process tree's peak memory, writes it and
/// quits: with status 1 when the run had an error or any frame failed ([`bench_exit_code`]).
#[tauri::command]
async fn bench_report<R: Runtime>(
    app: AppHandle<R>,
    state: tauri::State<'_, Viewer>,
    report: serde_json::Value,
) -> Result<(), IpcError> {
    let Some(out) = &state.bench_out else {
        return Err(not_benchmarking(&state.session));
    };
    let mut report = report;
    let code = bench_exit_code(&report);
    let memory = state
        .bench_memory
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .map(|sampler| sampler.finish());
    report["memory"] = serde_json::to_value(memory).unwrap_or_default();
    report["exit_status"] = serde_json::json!(code);
    std::fs::write(
        out,
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    )
    .map_err(|_| IpcError::new(ErrorCode::Io, "cannot write the benchmark report"))?;
    app.exit(code);
    Ok(())
}

/// Opens paths chosen in Rust (command line, dialogs, drops) and tells the UI.
pub fn open_paths<R: Runtime>(app: &AppHandle<R>, paths: Vec<PathBuf>) {
    if paths.is_empty() {
        return;
    }
    let app = app.clone();
    let viewer = app.state::<Viewer>();
    let _ = viewer.first_open_epoch_ms.compare_exchange(
        0,
        epoch_ms().to_bits(),
        std::sync::atomic::Ordering::Relaxed,
        std::sync::atomic::Ordering::Relaxed,
    );
    let session = viewer.session.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let result = session.open(&paths);
        match result {
            Ok(()) => {
                let _ = app.emit("studies-changed", ());
            }
            Err(e) => {
                let _ = app.emit("open-error", IpcError::from(e));
            }
        }
    });
}

fn build_menu<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open_file = MenuItemBuilder::with_id("open-file", "Open File…")
        .accelerator("CmdOrCtrl+O")
        .build(app)?;
    let open_folder = MenuItemBuilder::with_id("open-folder", "Open Folder…")
        .accelerator("CmdOrCtrl+Shift+O")
        .build(app)?;
    let quit = PredefinedMenuItem::quit(app, Some("Quit"))?;
    let file = SubmenuBuilder::new(app, "File")
        .items(&[&open_file, &open_folder, &quit])
        .build()?;
    app.set_menu(MenuBuilder::new(app).items(&[&file]).build()?)?;
    app.on_menu_event(|app, event| {
        let handle = app.clone();
        match event.id().as_ref() {
            "open-file" => app
                .dialog()
                .file()
                .add_filter("DICOM", &["dcm", "DCM", "dicom", ""])
                .pick_files(move |files| {
                    let paths = files
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|f| f.into_path().ok())
                        .collect();
                    open_paths(&handle, paths);
                }),
            "open-folder" => app.dialog().file().pick_folder(move |folder| {
                let paths = folder
                    .into_iter()
                    .filter_map(|f| f.into_path().ok())
                    .collect();
                open_paths(&handle, paths);
            }),
            _ => {}
        }
    });
    Ok(())
}

/// The app's own origins as (scheme, host, port): where the embedded UI is served from
/// (`tauri://localhost`; `http://tauri.localhost` on Windows and Android, where WebView2 and the
/// Android WebView cannot serve a custom scheme) and, only in the dev build (default feature
/// `custom-protocol` off), the Vite dev server.
const APP_ORIGINS: &[(&str, &str, Option<u16>)] = &[
    ("tauri", "localhost", None),
    #[cfg(any(windows, target_os = "android"))]
    ("http", "tauri.localhost", Some(80)),
    #[cfg(any(windows, target_os = "android"))]
    ("https", "tauri.localhost", Some(443)),
    #[cfg(not(feature = "custom-protocol"))]
    ("http", "localhost", Some(5173)),
];

/// Only the app's own origin may be shown: the full origin (scheme, host and port, RFC 6454
/// section 4) must be one of [`APP_ORIGINS`]; a URL with credentials is refused too.
fn allowed_navigation(url: &tauri::Url) -> bool {
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    let origin = (url.scheme(), host, url.port_or_known_default());
    APP_ORIGINS.contains(&origin)
}

/// Registers the app's commands (the same list as `build.rs` declares).
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        studies,
        skipped,
        stack,
        frame,
        tile,
        thumbnail,
        values,
        app_mode,
        bench_cold,
        bench_report
    ])
}

/// Builds the application: plugins, state, commands, the main window, menu and handlers.
pub fn builder<R: Runtime>(viewer: Viewer, initial: Vec<PathBuf>) -> tauri::Builder<R> {
    with_commands(tauri::Builder::<R>::new())
        .plugin(tauri_plugin_dialog::init())
        .manage(viewer)
        .setup(move |app| {
            let handle = app.handle().clone();
            if let Err(e) = handle.state::<Viewer>().session().audit_application(true) {
                eprintln!("lucent-viewer: {}: {e}", e.code());
            }
            // Owner-only before WebKit writes its caches there; if that fails, no window opens.
            let webview_dir = lucent_core::webview_data_dir()?;
            let window =
                WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
                    .title("Lucent")
                    .inner_size(1400.0, 900.0)
                    .min_inner_size(640.0, 480.0)
                    .data_directory(webview_dir)
                    .on_navigation(allowed_navigation)
                    // window.open and target=_blank open nothing; nothing is downloaded.
                    .on_new_window(|_, _| tauri::webview::NewWindowResponse::Deny)
                    .on_download(|_, _| false)
                    .build()?;
            let drop_handle = handle.clone();
            window.on_window_event(move |event| {
                if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) =
                    event
                {
                    open_paths(&drop_handle, paths.clone());
                }
            });
            build_menu(&handle)?;
            let viewer = handle.state::<Viewer>();
            if viewer.bench_out.is_some() {
                *viewer
                    .deferred_open
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = initial.clone();
            } else {
                open_paths(&handle, initial.clone());
            }
            Ok(())
        })
}

/// Runs the viewer with command-line arguments: `[--bench-scroll OUT.json] PATH...`.
pub fn run() {
    // Before anything else: a shipped build re-executes itself without the variables that would
    // let whoever starts it script the webview.
    automation::refuse_automation();
    // Before any window or thread: the webview's processes inherit the core-dump limit.
    if let Err(e) = lucent_core::hardening::disable_core_dumps() {
        eprintln!("lucent-viewer: warning: {e}");
    }
    let mut args = std::env::args().skip(1);
    let mut bench_out = None;
    let mut paths = Vec::new();
    while let Some(a) = args.next() {
        if a == "--bench-scroll" {
            bench_out = args.next().map(PathBuf::from);
        } else if !a.starts_with("--") {
            paths.push(PathBuf::from(a));
        }
    }
    let session =
        Session::new().with_application(&format!("lucent-viewer {}", env!("CARGO_PKG_VERSION")));
    let app = match builder::<tauri::Wry>(Viewer::new(session, bench_out), paths)
        .build(tauri::generate_context!())
    {
        Ok(app) => app,
        Err(e) => {
            // E.g. the data folder cannot be created owner-only: say so and stop, no panic.
            eprintln!("lucent-viewer: the viewer window could not be created: {e}");
            std::process::exit(1);
        }
    };
    // The status `AppHandle::exit` is given (the benchmark's) is kept from ExitRequested: tauri's
    // `run` ends the process with 0 whatever it was, and tauri-runtime-wry 2.11 drops it from
    // the value `run_return` returns (ControlFlow::Exit).
    let requested = std::rc::Rc::new(std::cell::Cell::new(0));
    let kept = requested.clone();
    let status = app.run_return(move |handle, event| match event {
        tauri::RunEvent::ExitRequested { code: Some(c), .. } => kept.set(c),
        tauri::RunEvent::Exit => {
            let _ = handle.state::<Viewer>().session().audit_application(false);
        }
        _ => {}
    });
    std::process::exit(if status != 0 { status } else { requested.get() });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_exits_non_zero_on_an_error_or_a_failed_frame() {
        let pass = |failed: serde_json::Value| serde_json::json!({"kind": "cold", "frames_failed": failed});
        let report =
            |passes: Vec<serde_json::Value>| serde_json::json!({"frames": 10, "passes": passes});
        assert_eq!(
            bench_exit_code(&report(vec![pass(0.into()), pass(0.into())])),
            0
        );
        assert_eq!(
            bench_exit_code(&report(vec![pass(0.into()), pass(1.into())])),
            1
        );
        assert_eq!(
            bench_exit_code(&report(vec![pass(serde_json::Value::Null)])),
            1,
            "no count: fails"
        );
        assert_eq!(bench_exit_code(&report(vec![])), 1, "no pass ran");
        assert_eq!(
            bench_exit_code(&serde_json::json!({"error": "frame 3 not shown"})),
            1
        );
        let mut with_error = report(vec![pass(0.into())]);
        with_error["error"] = "late".into();
        assert_eq!(bench_exit_code(&with_error), 1);
    }

    fn allowed(url: &str) -> bool {
        allowed_navigation(&url.parse().unwrap())
    }

    #[test]
    fn navigation_compares_the_full_origin() {
        assert!(allowed("tauri://localhost"));
        assert!(allowed("tauri://localhost/index.html?x=1#y"));
        for refused in [
            "tauri://evil",
            "tauri://evil/index.html",
            "tauri://localhost:1234/index.html",
            "tauri://user@localhost/",
            "tauri://user:pw@localhost/",
            "http://tauri.localhost.evil.com/",
            "https://tauri.localhost.evil.com/",
            "http://tauri.localhost:8080/",
            "http://localhost/",
            "http://localhost:5174/",
            "https://localhost:5173/",
            "https://example.org/",
            "file:///etc/passwd",
            "data:text/html,hi",
            "about:blank",
            "javascript:alert(1)",
            "blob:tauri://localhost/1234",
            "ipc://localhost/frame",
        ] {
            assert!(!allowed(refused), "{refused} must be refused");
        }
        // The Windows and Android origin is the app's own only there.
        assert_eq!(
            allowed("http://tauri.localhost/index.html"),
            cfg!(any(windows, target_os = "android"))
        );
        // The dev server only in the dev build (default feature `custom-protocol` off).
        assert_eq!(
            allowed("http://localhost:5173/"),
            cfg!(not(feature = "custom-protocol"))
        );
    }
}
