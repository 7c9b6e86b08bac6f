//! RLE Lossless (PS3.5 Annex G): one frame's fragment → native little-endian samples.
//!
//! A frame is a 64-byte header (G.5: the number of segments, then 15 segment offsets, u32 little
//! endian) followed by byte segments, each compressed with the PackBits scheme of G.3.1. There is
//! one segment per byte of each sample (G.2): for every sample, most significant byte first, so
//! 16-bit RGB is R-MSB, R-LSB, G-MSB, G-LSB, B-MSB, B-LSB. Any Bits Allocated that is a multiple
//! of 8 is decoded (8, 16, 32, 64), with up to 15 segments. Bits Allocated 1 (written by
//! highdicom for segmentations) has one segment per sample holding the frame's packed bits,
//! least significant bit first as in native data (PS3.5 8.1.1).
//!
//! Hostile input: every offset is checked against the fragment, every segment must decode to
//! exactly its size (excess output, such as an encoder's padding, is ignored; a short segment is
//! an error), and the output size is computed with [`safe_math`] and capped before allocation.

use super::samples::{color_of, samples_from_le_or_be};
use super::{DecodedFrame, FrameBytes, FrameDecoder, FrameDescription, decode_error};
use crate::error::PixelError;
use crate::safe_math;

/// RLE Lossless (PS3.5 A.4.2, Annex G).
pub const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";

/// What [`RleLossless`] is called in messages.
pub(super) const NAME: &str = "RLE (Lucent's decoder)";

/// RLE Lossless frames through [`decode_frame`].
pub(super) struct RleLossless;

impl FrameDecoder for RleLossless {
    fn name(&self) -> &'static str {
        NAME
    }

    fn decode(
        &self,
        image: &FrameDescription,
        frame: u32,
        encoded: FrameBytes,
    ) -> Result<DecodedFrame, PixelError> {
        let data = encoded.into_codestream(image)?;
        let native = decode_frame(
            &data,
            image.rows,
            image.columns,
            image.samples_per_pixel,
            image.bits_allocated,
        )
        .map_err(|e| decode_error(image, frame, e.to_string()))?;
        Ok(DecodedFrame {
            rows: image.rows,
            columns: image.columns,
            samples: samples_from_le_or_be(native, image, false)?,
            // RLE keeps the samples as stored: YBR stays YBR (PS3.5 G.2), no colour transform.
            color: color_of(image, false)?,
            planar: false,
        })
    }
}

/// Most segments a frame can have (PS3.5 G.5: the header has room for 15 offsets).
pub const MAX_SEGMENTS: usize = 15;

/// Why an RLE frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RleError {
    /// The fragment is shorter than the 64-byte header.
    #[error("the RLE header needs 64 bytes, the frame has {0}")]
    ShortHeader(usize),
    /// The header declares more segments than the header holds, or not one per sample byte.
    #[error("the RLE header declares {found} segment(s), {expected} expected")]
    SegmentCount {
        /// Declared.
        found: u32,
        /// Samples per pixel × bytes per sample.
        expected: usize,
    },
    /// A segment starts inside the header, past the end of the frame, or before the previous
    /// segment.
    #[error("RLE segment {index} starts at offset {offset}, outside the frame of {len} bytes")]
    SegmentOffset {
        /// Segment number.
        index: usize,
        /// Its declared offset.
        offset: u32,
        /// Frame length.
        len: usize,
    },
    /// A segment decodes to fewer bytes than the frame needs.
    #[error("RLE segment {index} decodes to {decoded} bytes, {expected} expected")]
    ShortSegment {
        /// Segment number.
        index: usize,
        /// Bytes it gave.
        decoded: usize,
        /// Bytes needed.
        expected: usize,
    },
    /// Bits Allocated that is neither 1 nor a multiple of 8.
    #[error("RLE with Bits Allocated {0}")]
    BitsAllocated(u16),
    /// The frame exceeds the size caps.
    #[error("{0}")]
    TooLarge(String),
}

/// Decodes one RLE frame to native little-endian bytes, samples interleaved (colour-by-pixel).
/// For Bits Allocated 1, the result is one byte (0 or 1) per sample, as for native 1-bit data.
pub fn decode_frame(
    data: &[u8],
    rows: u16,
    columns: u16,
    samples_per_pixel: u16,
    bits_allocated: u16,
) -> Result<Vec<u8>, RleError> {
    let too_large = |e: PixelError| RleError::TooLarge(e.to_string());
    let pixels = safe_math::frame_pixels(rows, columns).map_err(too_large)?;
    let samples = usize::from(samples_per_pixel);
    let (bytes_per_sample, segment_len) = match bits_allocated {
        1 => (1, pixels.div_ceil(8)),
        b if b % 8 == 0 && b > 0 => (usize::from(b / 8), pixels),
        b => return Err(RleError::BitsAllocated(b)),
    };
    let expected = samples.saturating_mul(bytes_per_sample);
    let segment_len = safe_math::to_usize(segment_len).map_err(too_large)?;
    // The output size, checked and capped (PS3.5 8.1.1 sizes; 1 GiB per frame).
    safe_math::native_frame_bytes(rows, columns, samples_per_pixel, bits_allocated.max(8))
        .map_err(too_large)?;

    let offsets = segment_offsets(data, expected)?;
    // At most the native frame size just checked (1 GiB): no overflow.
    let mut out = vec![0u8; segment_len.saturating_mul(expected)];
    let mut segment = vec![0u8; segment_len];
    let stride = expected;
    // Segment `index` is byte `index % bytes_per_sample` (most significant first) of sample
    // `index / bytes_per_sample` (G.2); little-endian output reverses each sample's bytes, so
    // the segments go, in order, to these byte positions of each pixel.
    let pixel_bytes: Vec<usize> = (0..stride).collect();
    let destinations = pixel_bytes
        .chunks(bytes_per_sample)
        .flat_map(|sample| sample.iter().rev());
    for ((index, range), &at) in offsets.iter().enumerate().zip(destinations) {
        let decoded = unpack_bits(&data[range.clone()], &mut segment);
        if decoded < segment_len {
            return Err(RleError::ShortSegment {
                index,
                decoded,
                expected: segment_len,
            });
        }
        out.iter_mut()
            .skip(at)
            .step_by(stride)
            .zip(&segment)
            .for_each(|(o, v)| *o = *v);
    }
    if bits_allocated == 1 {
        // One segment per sample, each the frame's packed bits: unpack and interleave.
        let count = safe_math::to_usize(pixels).map_err(too_large)?;
        let planes: Vec<Vec<u8>> = (0..samples)
            .map(|s| {
                let packed: Vec<u8> = out.iter().skip(s).step_by(samples).copied().collect();
                super::unpack_bits(&packed, 0, pixels)
            })
            .collect();
        return Ok((0..count)
            .flat_map(|i| planes.iter().map(move |p| p[i]))
            .collect());
    }
    Ok(out)
}

/// The byte range of each segment, checked against the frame (PS3.5 G.5).
fn segment_offsets(data: &[u8], expected: usize) -> Result<Vec<std::ops::Range<usize>>, RleError> {
    let header = data.get(..64).ok_or(RleError::ShortHeader(data.len()))?;
    let words: Vec<u32> = header
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let count = words[0];
    if count as usize != expected || expected > MAX_SEGMENTS {
        return Err(RleError::SegmentCount {
            found: count,
            expected,
        });
    }
    let starts = &words[1..=expected];
    let mut ranges = Vec::with_capacity(expected);
    for (index, &start) in starts.iter().enumerate() {
        // index < MAX_SEGMENTS: the next index cannot overflow.
        let end = starts
            .get(index.saturating_add(1))
            .map_or(data.len(), |&e| e as usize);
        let bad = RleError::SegmentOffset {
            index,
            offset: start,
            len: data.len(),
        };
        let start = start as usize;
        if start < 64 || start > end || end > data.len() {
            return Err(bad);
        }
        ranges.push(start..end);
    }
    Ok(ranges)
}

/// PackBits (PS3.5 G.3.1) into `out`, stopping when it is full; returns the bytes written.
/// A header byte n in 0..=127 copies the next n + 1 bytes; -127..=-1 repeats the next byte
/// 1 - n times; -128 is a no-op.
fn unpack_bits(src: &[u8], out: &mut [u8]) -> usize {
    // `i <= src.len()` and `o <= out.len()` hold throughout and a step adds at most 129, so the
    // saturating additions never saturate and `out.len() - o` never goes below zero.
    let (mut i, mut o) = (0usize, 0usize);
    while o < out.len() {
        let Some(&header) = src.get(i) else { break };
        i = i.saturating_add(1);
        let n = header as i8;
        // Both kinds of run are |n| + 1 bytes: n + 1 literal bytes, or 1 - n repeats.
        let run = usize::from(n.unsigned_abs()).saturating_add(1);
        let room = out.len().saturating_sub(o);
        if n >= 0 {
            let len = run.min(room);
            let Some(literal) = src.get(i..i.saturating_add(len)) else {
                // A literal run cut short by the end of the segment: keep what is there.
                let rest = &src[i.min(src.len())..];
                out[o..o.saturating_add(rest.len())].copy_from_slice(rest);
                return o.saturating_add(rest.len());
            };
            out[o..o.saturating_add(len)].copy_from_slice(literal);
            i = i.saturating_add(run);
            o = o.saturating_add(len);
        } else if n != -128 {
            let Some(&value) = src.get(i) else { break };
            i = i.saturating_add(1);
            let len = run.min(room);
            out[o..o.saturating_add(len)].fill(value);
            o = o.saturating_add(len);
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A straightforward PackBits encoder (PS3.5 G.3.1): runs of 3+ equal bytes as replicate
    /// runs, everything else as literal runs of at most 128 bytes.
    fn pack_bits(src: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < src.len() {
            let run = src[i..]
                .iter()
                .take(128)
                .take_while(|&&b| b == src[i])
                .count();
            if run >= 3 {
                out.push((1i16 - run as i16) as i8 as u8);
                out.push(src[i]);
                i += run;
                continue;
            }
            let start = i;
            while i < src.len()
                && i - start < 128
                && !(i + 2 < src.len() && src[i] == src[i + 1] && src[i] == src[i + 2])
            {
                i += 1;
            }
            out.push((i - start - 1) as u8);
            out.extend_from_slice(&src[start..i]);
        }
        out
    }

    /// An RLE frame (header + segments, each padded to even length) from segment contents.
    fn rle_frame(segments: &[Vec<u8>]) -> Vec<u8> {
        let mut header = vec![0u8; 64];
        header[..4].copy_from_slice(&(segments.len() as u32).to_le_bytes());
        let mut body = Vec::new();
        for (i, s) in segments.iter().enumerate() {
            let offset = 64 + body.len() as u32;
            header[4 + 4 * i..8 + 4 * i].copy_from_slice(&offset.to_le_bytes());
            body.extend(pack_bits(s));
            if body.len() % 2 == 1 {
                body.push(0x80); // a no-op header byte as padding
            }
        }
        header.extend(body);
        header
    }

    /// Segments of little-endian interleaved samples: per sample, most significant byte first.
    fn segments_of(samples: &[u32], spp: usize, bytes: usize) -> Vec<Vec<u8>> {
        let mut segments = Vec::new();
        for s in 0..spp {
            for b in (0..bytes).rev() {
                segments.push(
                    samples
                        .iter()
                        .skip(s)
                        .step_by(spp)
                        .map(|v| (v >> (8 * b)) as u8)
                        .collect(),
                );
            }
        }
        segments
    }

    fn pattern(n: usize, seed: u32) -> Vec<u32> {
        // Runs and noise, so that both PackBits run kinds occur.
        (0..n as u32)
            .map(|i| {
                if (i / 7) % 2 == 0 {
                    0x0102_0304u32.wrapping_mul(seed)
                } else {
                    i.wrapping_mul(2_654_435_761).rotate_left(seed) ^ seed
                }
            })
            .collect()
    }

    #[test]
    fn decodes_every_bit_depth_and_sample_count_exactly() {
        let (rows, cols) = (13u16, 11u16);
        let n = usize::from(rows) * usize::from(cols);
        for bits in [8u16, 16, 32] {
            let bytes = usize::from(bits / 8);
            for spp in [1usize, 3] {
                let mask = if bits == 32 {
                    u32::MAX
                } else {
                    (1u32 << bits) - 1
                };
                let values: Vec<u32> = pattern(n * spp, bits as u32 + spp as u32)
                    .into_iter()
                    .map(|v| v & mask)
                    .collect();
                let frame = rle_frame(&segments_of(&values, spp, bytes));
                let decoded = decode_frame(&frame, rows, cols, spp as u16, bits).unwrap();
                let expected: Vec<u8> = values
                    .iter()
                    .flat_map(|v| v.to_le_bytes()[..bytes].to_vec())
                    .collect();
                assert_eq!(decoded, expected, "{bits} bits, {spp} samples");
            }
        }
    }

    #[test]
    fn decodes_packed_one_bit_segments() {
        let (rows, cols) = (3u16, 5u16); // 15 bits: the last byte is partly used
        let bits: Vec<u8> = (0..15).map(|i| u8::from(i % 3 == 0 || i == 14)).collect();
        let mut packed = vec![0u8; 2];
        for (i, b) in bits.iter().enumerate() {
            packed[i / 8] |= b << (i % 8);
        }
        let frame = rle_frame(&[packed]);
        assert_eq!(decode_frame(&frame, rows, cols, 1, 1).unwrap(), bits);
    }

    #[test]
    fn replicate_and_literal_runs_follow_g_3_1() {
        // -3 → 4 copies of 7; 1 → 2 literal bytes; -128 → no-op; 0 → 1 literal byte.
        let mut out = [0u8; 7];
        assert_eq!(
            unpack_bits(&[0xFD, 7, 0x01, 1, 2, 0x80, 0x00, 9], &mut out),
            7
        );
        assert_eq!(out, [7, 7, 7, 7, 1, 2, 9]);
        // Output beyond the frame (encoder padding) is ignored.
        let mut out = [0u8; 2];
        assert_eq!(unpack_bits(&[0xFD, 5, 0x00], &mut out), 2);
        assert_eq!(out, [5, 5]);
    }

    #[test]
    fn malformed_headers_are_typed_errors() {
        let values = pattern(16, 3);
        let good = rle_frame(&segments_of(&values, 1, 2));
        assert!(decode_frame(&good, 4, 4, 1, 16).is_ok());

        assert_eq!(
            decode_frame(&good[..40], 4, 4, 1, 16),
            Err(RleError::ShortHeader(40))
        );

        // More segments than the header can hold.
        let mut bad = good.clone();
        bad[..4].copy_from_slice(&16u32.to_le_bytes());
        assert_eq!(
            decode_frame(&bad, 4, 4, 1, 16),
            Err(RleError::SegmentCount {
                found: 16,
                expected: 2
            })
        );
        // 16 segments needed (a hypothetical 4 samples × 32 bits): refused, not read past the
        // header.
        assert!(matches!(
            decode_frame(&good, 4, 4, 4, 32),
            Err(RleError::SegmentCount { expected: 16, .. })
        ));

        // Offsets: inside the header, past the end, and decreasing.
        let past_second = good.len() as u32 - 1; // segment 0 would start after segment 1
        for (slot, offset) in [(1usize, 10u32), (2, 1_000_000), (1, past_second)] {
            let mut bad = good.clone();
            bad[4 * slot..4 * slot + 4].copy_from_slice(&offset.to_le_bytes());
            assert!(
                matches!(
                    decode_frame(&bad, 4, 4, 1, 16),
                    Err(RleError::SegmentOffset { .. })
                ),
                "offset {offset} in slot {slot}"
            );
        }

        // A segment that decodes short: segment 0 given one byte, then the frame cut.
        let mut bad = good.clone();
        bad[8..12].copy_from_slice(&65u32.to_le_bytes());
        assert!(matches!(
            decode_frame(&bad, 4, 4, 1, 16),
            Err(RleError::ShortSegment { index: 0, .. })
        ));
        let short = &good[..good.len() - 4];
        assert!(matches!(
            decode_frame(short, 4, 4, 1, 16),
            Err(RleError::ShortSegment { index: 1, .. })
        ));

        // Bits Allocated 12 is not a byte-segment layout.
        assert_eq!(
            decode_frame(&good, 4, 4, 1, 12),
            Err(RleError::BitsAllocated(12))
        );
        // A frame beyond the caps is refused before allocating.
        assert!(matches!(
            decode_frame(&good, 65535, 65535, 3, 32),
            Err(RleError::TooLarge(_))
        ));
    }
}
