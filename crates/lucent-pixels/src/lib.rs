//! Lucent's pixel pipeline: from a file and a frame number to display pixels.
//!
//! [`PixelFile::open`] validates the header (Lucent's header reader), reads the pixel attributes
//! ([`info`]) and locates every frame once ([`frames`]). [`PixelFile::decode_frame`] reads and
//! decodes one frame ([`decode`]); [`PixelFile::render`] applies the modality and VOI LUTs and the
//! photometric interpretation ([`lut`], [`render`]) to give 8-bit grey or RGB pixels, then the
//! display shutter ([`shutter`]), and draws the overlay planes when asked ([`overlay`]).
//!
//! Architecture invariants: no Tauri, no audit (the facade orders audit before pixels); every
//! size from a header goes through [`safe_math`] and its caps before allocation; a codec panic
//! never escapes (it becomes `E_INTERNAL`, a contained bug, never a codec's `E_DECODE_FAILED`).

pub mod cache;
pub mod compare;
pub mod decode;
pub mod error;
#[cfg(feature = "test-fault")]
pub mod fault;
pub mod frames;
pub mod info;
pub mod lut;
pub mod notes;
pub mod overlay;
pub mod palette;
pub mod render;
pub mod rle;
pub mod safe_math;
pub mod shutter;
pub mod stored;
pub mod tiles;
pub mod values;

pub use cache::{FrameCache, IndexedFile};
pub use compare::{Difference, Tolerance, Verdict};
pub use decode::{ColorModel, DecodedFrame, SampleBuf, Samples};
pub use error::PixelError;
pub use frames::PixelFile;
pub use info::{ImageInfo, Photometric, UltrasoundRegion, VoiFunction, Window};
pub use notes::DisplayNote;
pub use overlay::{OverlayKind, OverlayMask, OverlayPlane, OverlayProblem};
pub use render::{RenderOptions, RenderedFrame, Renderer, VoiChoice};
pub use shutter::DisplayShutter;
pub use stored::StoredValues;
pub use tiles::{Pyramid, Tile};
pub use values::{FrameValues, ModalityValues};

#[cfg(test)]
pub(crate) fn test_info() -> ImageInfo {
    ImageInfo {
        transfer_syntax: "1.2.840.10008.1.2.1".into(),
        rows: 2,
        columns: 2,
        samples_per_pixel: 1,
        bits_allocated: 16,
        bits_stored: 16,
        high_bit: 15,
        signed: false,
        photometric: Photometric::Monochrome2,
        photometric_text: "MONOCHROME2".into(),
        planar: false,
        frames: 1,
        rescale: (1.0, 0.0),
        modality_lut: None,
        windows: Vec::new(),
        frame_windows: Vec::new(),
        voi_lut: None,
        padding: None,
        palette: None,
        lossy: false,
        float_bits: None,
        extended_offsets: None,
        frame_time_ms: None,
        rescale_type: None,
        ultrasound_regions: Vec::new(),
        shutter: None,
        overlays: Vec::new(),
        notes: Vec::new(),
    }
}
