//! `lucent-viewer PATH...`: the desktop viewer. See the crate docs (`lib.rs`).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    lucent_viewer::run();
}
