//! Lucent's pixel pipeline: from a file and a frame number to display pixels.
//!
//! [`PixelFile::open`] validates the header (Lucent's header reader), reads the pixel attributes
//! ([`info`]) and locates every frame once ([`frames`]). [`PixelFile::decode_frame`] reads one
//! frame and decodes it with the codec of its transfer syntax ([`codec`]: one [`FrameDecoder`]
//! per codec, [`codec_for`] the table); [`PixelFile::render`] applies the modality and VOI LUTs and the
//! photometric interpretation ([`lut`], [`render`]) to give 8-bit grey or RGB pixels, then the
//! display shutter ([`shutter`]), and draws the overlay planes when asked ([`overlay`]).
//!
//! Architecture invariants: no Tauri, no audit (the facade orders audit before pixels); every
//! size from a header goes through [`safe_math`] and its caps before allocation; a codec panic
//! never escapes (it becomes `E_INTERNAL`, a contained bug, never a codec's `E_DECODE_FAILED`).
//! Integer arithmetic is checked by the compiler: sizes from the file through [`safe_math`],
//! everything else checked, saturating or wrapping with a comment saying why it is bounded.

// Every integer operation that could overflow, underflow or divide by zero is written out
// (glycin's rule). Unit tests compute their expected values freely; the library itself is
// linted without `cfg(test)`.
#![deny(clippy::arithmetic_side_effects)]
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

pub mod cache;
pub mod codec;
pub mod compare;
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
pub mod safe_math;
pub mod shutter;
pub mod stored;
pub mod tiles;
pub mod values;

pub use cache::{FrameCache, IndexedFile};
pub use codec::{
    ColorModel, DecodedFrame, FrameBytes, FrameDecoder, FrameDescription, SampleBuf, Samples,
    codec_for,
};
pub use compare::{Difference, Tolerance, Verdict};
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
