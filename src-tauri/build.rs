//! Declares the app's commands in the app manifest, so that the capability file governs them
//! (an undeclared command is not callable at all).

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "studies",
        "skipped",
        "stack",
        "frame",
        "tile",
        "thumbnail",
        "values",
        "app_mode",
        "bench_cold",
        "bench_report",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build script");
}
