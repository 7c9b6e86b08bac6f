//! Checked size arithmetic for every size that comes from a header (glycin's `safe_math` idea).
//!
//! Rows × Columns × Samples × Bits × Frames is computed in u64 with overflow checks, then
//! compared with explicit caps before anything is allocated.

use crate::error::PixelError;

/// Largest decoded frame accepted (bytes): 1 GiB, e.g. 16k × 16k × 3 samples × 16 bits.
pub const MAX_FRAME_BYTES: u64 = 1 << 30;

/// Largest number of pixels in one frame: 2^28 (e.g. 16384 × 16384).
pub const MAX_FRAME_PIXELS: u64 = 1 << 28;

/// `a × b`, or a typed error naming what overflowed.
pub fn mul(a: u64, b: u64, what: &str) -> Result<u64, PixelError> {
    a.checked_mul(b)
        .ok_or_else(|| PixelError::TooLarge(format!("{what} overflows")))
}

/// `a + b`, or a typed error naming what overflowed (offsets and lengths from the file).
pub fn add(a: u64, b: u64, what: &str) -> Result<u64, PixelError> {
    a.checked_add(b)
        .ok_or_else(|| PixelError::TooLarge(format!("{what} overflows")))
}

/// Pixels in one frame, capped.
pub fn frame_pixels(rows: u16, columns: u16) -> Result<u64, PixelError> {
    let n = mul(u64::from(rows), u64::from(columns), "rows × columns")?;
    if n > MAX_FRAME_PIXELS {
        return Err(PixelError::TooLarge(format!(
            "{rows} × {columns} pixels per frame"
        )));
    }
    Ok(n)
}

/// Bytes of one native (uncompressed) frame, capped (PS3.5 8.1.1: 1-bit data is packed).
pub fn native_frame_bytes(
    rows: u16,
    columns: u16,
    samples: u16,
    bits_allocated: u16,
) -> Result<u64, PixelError> {
    let pixels = frame_pixels(rows, columns)?;
    let bits = mul(
        mul(pixels, u64::from(samples), "pixels × samples")?,
        u64::from(bits_allocated),
        "bits",
    )?;
    let bytes = bits.div_ceil(8);
    if bytes > MAX_FRAME_BYTES {
        return Err(PixelError::TooLarge(format!("{bytes} bytes per frame")));
    }
    Ok(bytes)
}

/// `usize` from a checked `u64` (always fits after the caps on 64-bit targets).
pub fn to_usize(v: u64) -> Result<usize, PixelError> {
    usize::try_from(v).map_err(|_| PixelError::TooLarge(format!("{v} does not fit in memory")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked_and_capped() {
        assert_eq!(native_frame_bytes(512, 512, 1, 16).unwrap(), 512 * 512 * 2);
        assert_eq!(
            native_frame_bytes(3, 3, 1, 1).unwrap(),
            2,
            "1-bit frames are packed"
        );
        assert!(matches!(
            native_frame_bytes(65535, 65535, 3, 32),
            Err(PixelError::TooLarge(_))
        ));
        assert!(mul(u64::MAX, 2, "x").is_err());
        assert_eq!(add(2, 3, "x").unwrap(), 5);
        assert!(
            matches!(add(u64::MAX, 1, "offset"), Err(PixelError::TooLarge(m)) if m == "offset overflows")
        );
    }
}
