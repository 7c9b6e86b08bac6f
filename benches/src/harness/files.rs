//! The image files under the harness's inputs, with the header facts every benchmark needs.

use lucent_index::header::{read_header, tags};
use std::path::PathBuf;

/// An image file found under the inputs, with the header facts the harness needs.
pub(crate) struct FileInfo {
    pub(crate) path: PathBuf,
    pub(crate) transfer_syntax: String,
    pub(crate) photometric: String,
    pub(crate) frames: u32,
    pub(crate) has_window: bool,
    pub(crate) bits_allocated: u16,
    pub(crate) bits_stored: u16,
}

/// Every file under `inputs` whose header reads and that has Pixel Data, sorted by name.
pub(crate) fn image_files(inputs: &[PathBuf]) -> Vec<FileInfo> {
    let mut out = Vec::new();
    for input in inputs {
        for entry in walkdir::WalkDir::new(input)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(h) = read_header(entry.path()) else {
                continue;
            };
            if h.pixel_data.is_none() || h.transfer_syntax_uid.is_none() {
                continue;
            }
            let frames = h
                .dataset
                .int(tags::NUMBER_OF_FRAMES)
                .and_then(|f| u32::try_from(f).ok())
                .unwrap_or(1)
                .max(1);
            out.push(FileInfo {
                path: entry.into_path(),
                transfer_syntax: h.transfer_syntax_uid.clone().unwrap_or_default(),
                photometric: h
                    .dataset
                    .ascii(tags::PHOTOMETRIC_INTERPRETATION)
                    .unwrap_or_default(),
                frames,
                has_window: h.dataset.element(tags::WINDOW_CENTER).is_some(),
                bits_allocated: small(h.dataset.int(tags::BITS_ALLOCATED)),
                bits_stored: small(h.dataset.int(tags::BITS_STORED)),
            });
        }
    }
    out
}

fn small(v: Option<i64>) -> u16 {
    v.and_then(|v| u16::try_from(v).ok()).unwrap_or(0)
}
