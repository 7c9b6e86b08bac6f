//! Segmented Palette Color Lookup Table Data (0028,1221-1223), expanded to a plain palette.
//!
//! PS3.3 C.7.9.2: the data is a series of segments, each an opcode, a length and a body:
//! discrete (opcode 0, C.7.9.2.1: `length` entries follow), linear (opcode 1, C.7.9.2.2: one end
//! value `y1`; the `length` entries join the previous segment's last value `y0` to `y1` by a
//! straight line) and indirect (opcode 2, C.7.9.2.3: `length` is a number of segments to
//! re-expand, starting at the segment a 32-bit offset points at, least significant 16 bits
//! first). Entries are as wide as the descriptor's bits per entry: 16-bit words for 16 bits,
//! 8-bit values two per 16-bit word (low byte first) for 8 bits, as the well-known palettes of
//! PS3.6 Annex B are written. The offset of an indirect segment counts entries from the start of
//! the data (as pydicom and GDCM read it).
//!
//! Hostile data cannot make this allocate or loop: the table is at most the descriptor's number
//! of entries (≤ 65,536), checked before every segment is appended; an indirect segment may only
//! point at the start of a segment already read, before itself, and may not copy another
//! indirect segment (no recursion, no cycles); the number of segments expanded, copies included,
//! is capped. Malformed data is `E_INVALID_PIXEL_ATTRIBUTES`.

use crate::error::PixelError;

/// Most segments expanded for one table, copies by indirect segments included. A real table
/// expands to at most 65,536 entries, so only empty segments could come close.
const MAX_SEGMENTS_EXPANDED: usize = 1 << 20;

/// Expands segmented palette data (`words`: the element's 16-bit words) to exactly `entries`
/// values (the descriptor's number of entries, 1..=65,536) of `bits` bits per entry.
///
/// For 8 bits per entry the data is read as 8-bit entries first; data that does not expand that
/// way is read as 16-bit entries (a writer that ignored the entry width), else the 8-bit error
/// is returned.
pub fn expand_segmented(words: &[u16], bits: u16, entries: usize) -> Result<Vec<u16>, PixelError> {
    if entries == 0 || entries > 65_536 {
        return Err(invalid(format!(
            "{entries} palette entries (must be 1..65536)"
        )));
    }
    if bits > 8 {
        return expand(words, Width::Sixteen, entries);
    }
    let bytes: Vec<u16> = words.iter().flat_map(|w| [w & 0xFF, w >> 8]).collect();
    match expand(&bytes, Width::Eight, entries) {
        Ok(table) => Ok(table),
        Err(first) => expand(words, Width::Sixteen, entries).map_err(|_| first),
    }
}

/// The size of one segment entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    Eight,
    Sixteen,
}

/// One parsed segment; discrete values stay in the data (`start..start + len`).
#[derive(Debug, Clone, Copy)]
enum Segment {
    Discrete { start: usize, len: usize },
    Linear { len: usize, y1: u16 },
    Indirect { count: usize, offset: usize },
}

fn invalid(reason: String) -> PixelError {
    PixelError::InvalidAttributes(format!("segmented palette: {reason}"))
}

/// Reads the segment at `pos`; returns it and the position after it.
fn parse(data: &[u16], pos: usize, width: Width) -> Result<(Segment, usize), PixelError> {
    let at = |i: usize| -> Result<u16, PixelError> {
        data.get(i).copied().ok_or_else(|| {
            invalid(format!(
                "the segment at entry {pos} runs past the end of the data ({} entries)",
                data.len()
            ))
        })
    };
    let opcode = at(pos)?;
    let len = usize::from(at(pos.saturating_add(1))?);
    let body = pos.saturating_add(2);
    match opcode {
        0 => {
            let end = body.checked_add(len).filter(|&e| e <= data.len());
            let Some(end) = end else {
                return Err(invalid(format!(
                    "the discrete segment at entry {pos} has {len} entries, past the end of the \
                     data ({} entries)",
                    data.len()
                )));
            };
            Ok((Segment::Discrete { start: body, len }, end))
        }
        1 => Ok((
            Segment::Linear { len, y1: at(body)? },
            body.saturating_add(1),
        )),
        2 => {
            // The offset's least significant 16 bits come first (PS3.3 C.7.9.2.3); for 8-bit
            // entries each 16-bit half is two entries, low byte first.
            let (offset, end) = match width {
                Width::Sixteen => {
                    let low = u32::from(at(body)?);
                    let high = u32::from(at(body.saturating_add(1))?);
                    (low | high << 16, body.saturating_add(2))
                }
                Width::Eight => {
                    let mut v = 0u32;
                    for (k, shift) in [0u32, 8, 16, 24].into_iter().enumerate() {
                        v |= u32::from(at(body.saturating_add(k))? & 0xFF) << shift;
                    }
                    (v, body.saturating_add(4))
                }
            };
            let offset = usize::try_from(offset).unwrap_or(usize::MAX);
            Ok((Segment::Indirect { count: len, offset }, end))
        }
        other => Err(invalid(format!(
            "unknown segment opcode {other} at entry {pos} (0 discrete, 1 linear, 2 indirect)"
        ))),
    }
}

/// Appends one discrete or linear segment to `table`, refusing to grow past `entries`.
fn append(
    table: &mut Vec<u16>,
    data: &[u16],
    segment: Segment,
    entries: usize,
) -> Result<(), PixelError> {
    let len = match segment {
        Segment::Discrete { len, .. } | Segment::Linear { len, .. } => len,
        Segment::Indirect { .. } => {
            return Err(invalid(
                "an indirect segment copies another indirect segment".into(),
            ));
        }
    };
    if table.len().saturating_add(len) > entries {
        return Err(invalid(format!(
            "the segments expand past the descriptor's {entries} entries"
        )));
    }
    match segment {
        Segment::Discrete { start, len } => {
            let values = start
                .checked_add(len)
                .and_then(|end| data.get(start..end))
                .ok_or_else(|| invalid("a discrete segment runs past the data".into()))?;
            table.extend_from_slice(values);
        }
        Segment::Linear { len, y1 } => {
            let Some(&y0) = table.last() else {
                return Err(invalid(
                    "a linear segment has no previous value to start from (it is first)".into(),
                ));
            };
            // Entry i of n (1..=n) lies on the line from (0, y0) to (n, y1):
            // y0 + (y1 − y0)·i/n = (y0·(n − i) + y1·i)/n, rounded half up, in integers (the
            // numerator is never negative; at most 65535 · 65535 · 2 + 65535, well inside u64, so
            // the saturating operations never saturate; n ≥ 1 whenever i exists).
            let n = len as u64;
            let (y0, y1) = (u64::from(y0), u64::from(y1));
            table.extend((1..=n).map(|i| {
                let numerator = y0
                    .saturating_mul(n.saturating_sub(i))
                    .saturating_add(y1.saturating_mul(i));
                let twice = numerator.saturating_mul(2).saturating_add(n);
                twice
                    .checked_div(n.saturating_mul(2))
                    .and_then(|v| u16::try_from(v).ok())
                    .unwrap_or(u16::MAX)
            }));
        }
        Segment::Indirect { .. } => {}
    }
    Ok(())
}

fn expand(data: &[u16], width: Width, entries: usize) -> Result<Vec<u16>, PixelError> {
    let mut table = Vec::with_capacity(entries);
    // Top-level segments read so far: (start position, segment), in increasing position.
    let mut read: Vec<(usize, Segment)> = Vec::new();
    let mut expanded = 0usize;
    let mut count = |n: usize| -> Result<(), PixelError> {
        expanded = expanded.saturating_add(n);
        if expanded > MAX_SEGMENTS_EXPANDED {
            return Err(invalid(format!(
                "more than {MAX_SEGMENTS_EXPANDED} segments to expand"
            )));
        }
        Ok(())
    };
    let mut pos = 0usize;
    // A single entry left over is padding to an even length (8-bit entries), if zero; no
    // segment is shorter than two entries.
    while data.len().saturating_sub(pos) >= 2 {
        let (segment, next) = parse(data, pos, width)?;
        match segment {
            Segment::Indirect { count: n, offset } => {
                // Only whole segments already read, before this one, can be copied: no
                // forward reference, no self reference, hence no loop.
                let first = read
                    .binary_search_by_key(&offset, |&(start, _)| start)
                    .map_err(|_| {
                        invalid(format!(
                            "the indirect segment at entry {pos} points at entry {offset}, not \
                             the start of an earlier segment"
                        ))
                    })?;
                let copied = first
                    .checked_add(n)
                    .and_then(|end| read.get(first..end))
                    .ok_or_else(|| {
                        invalid(format!(
                            "the indirect segment at entry {pos} copies {n} segments from entry \
                             {offset}, past the segments before it"
                        ))
                    })?;
                count(n)?;
                for &(_, s) in copied {
                    append(&mut table, data, s, entries)?;
                }
            }
            s => {
                count(1)?;
                append(&mut table, data, s, entries)?;
            }
        }
        read.push((pos, segment));
        pos = next;
    }
    if data.get(pos).is_some_and(|&rest| rest != 0) {
        return Err(invalid(format!(
            "a truncated segment at entry {pos} (the data has {} entries)",
            data.len()
        )));
    }
    if table.len() != entries {
        return Err(invalid(format!(
            "the segments expand to {} entries, the descriptor says {entries}",
            table.len()
        )));
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discrete_linear_and_indirect_expand() {
        // 0: discrete [10, 20]; 4: linear to 60 in 4 steps; 7: indirect copying the 2 segments
        // at entry 0 (the linear one then starts from 20, the current last value).
        let data = [0, 2, 10, 20, 1, 4, 60, 2, 2, 0, 0];
        let t = expand_segmented(&data, 16, 12).unwrap();
        assert_eq!(t, [10, 20, 30, 40, 50, 60, 10, 20, 30, 40, 50, 60]);
    }

    #[test]
    fn linear_rounds_half_up() {
        // 0 → 1 in 2 steps: 0.5, 1 → 1, 1; 3 → 0 in 2 steps: 1.5, 0 → 2, 0.
        assert_eq!(
            expand_segmented(&[0, 1, 0, 1, 2, 1], 16, 3).unwrap(),
            [0, 1, 1]
        );
        assert_eq!(
            expand_segmented(&[0, 1, 3, 1, 2, 0], 16, 3).unwrap(),
            [3, 2, 0]
        );
    }

    #[test]
    fn eight_bit_entries_are_bytes_low_first_with_padding() {
        // Well-known WINTER red (PS3.6 B): 0,1,0 · 1,127,0 · 1,128,127 · pad 0.
        let bytes = [0u8, 1, 0, 1, 127, 0, 1, 128, 127, 0];
        let words: Vec<u16> = bytes
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let t = expand_segmented(&words, 8, 256).unwrap();
        assert_eq!(t.len(), 256);
        assert_eq!((t[0], t[127], t[128], t[255]), (0, 0, 1, 127));
    }

    #[test]
    fn malformed_data_is_refused() {
        let cases: &[(&[u16], usize)] = &[
            (&[0, 5, 1, 2], 5),            // discrete past the end
            (&[1, 3, 9], 3),               // linear first
            (&[2, 1, 0, 0], 1),            // indirect first
            (&[0, 1, 7, 2, 1, 4, 0], 2),   // indirect to a non-segment offset
            (&[0, 1, 7, 2, 1, 3, 0], 2),   // indirect pointing at itself
            (&[0, 1, 7, 2, 2, 0, 0], 2),   // indirect copying past the earlier segments
            (&[0, 1, 7, 3, 1, 0], 2),      // unknown opcode
            (&[0, 3, 1, 2, 3], 2),         // larger than the descriptor
            (&[0, 1, 1], 2),               // smaller than the descriptor
            (&[0, 1, 1, 1], 1),            // a truncated segment
            (&[0, 1, 1, 1, 0xFFFF, 9], 9), // linear past the descriptor
        ];
        for (data, entries) in cases {
            let e = expand_segmented(data, 16, *entries).unwrap_err();
            assert!(
                matches!(e, PixelError::InvalidAttributes(_)),
                "{data:?}: {e}"
            );
        }
    }

    #[test]
    fn nested_indirect_is_refused() {
        // 0: discrete; 3: indirect → 0; 7: indirect → 3 (an indirect segment): refused.
        let data = [0, 1, 5, 2, 1, 0, 0, 2, 1, 3, 0];
        let e = expand_segmented(&data, 16, 3).unwrap_err();
        assert!(e.to_string().contains("indirect"), "{e}");
    }

    #[test]
    fn many_empty_segments_are_bounded() {
        // 1,000 empty discrete segments, then indirect segments each copying all of them.
        let mut data: Vec<u16> = [0, 1, 1].to_vec();
        for _ in 0..1000 {
            data.extend([0, 0]);
        }
        for _ in 0..2000 {
            data.extend([2, 1000, 3, 0]);
        }
        let e = expand_segmented(&data, 16, 1).unwrap_err();
        assert!(e.to_string().contains("segments to expand"), "{e}");
    }
}
