//! Caps applied to every header before anything is allocated or followed.
//!
//! Every DICOM file is hostile input: lengths, counts and nesting come from the file and are
//! checked against these limits first. Each limit is far above what real scanners write and far
//! below what would exhaust the machine.

/// Deepest sequence nesting accepted (real data rarely exceeds 4; nesting bombs go to thousands).
pub const MAX_SEQUENCE_DEPTH: u32 = 32;

/// Largest single value kept in memory while indexing (display strings, numbers, UIDs).
/// Larger values of wanted attributes are treated as absent, never allocated.
pub const MAX_KEPT_VALUE_BYTES: u64 = 64 * 1024;

/// Total bytes of kept values per file (bounds memory for files with huge sequences).
pub const MAX_KEPT_BYTES_PER_FILE: u64 = 8 * 1024 * 1024;

/// Items kept per sequence (per-frame functional groups of a multi-frame image,
/// records of a DICOMDIR).
pub const MAX_KEPT_ITEMS_PER_SEQUENCE: usize = 262_144;

/// Bytes of a deflated data set that may be inflated to reach Pixel Data (decompression bombs).
pub const MAX_INFLATED_HEADER_BYTES: u64 = 256 * 1024 * 1024;

/// Largest frame count accepted from Number of Frames (0028,0008).
pub const MAX_FRAMES: u32 = 1_000_000;
