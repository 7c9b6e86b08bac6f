//! A strict structure check of a data set held in memory: every element, at every nesting
//! level, must have a known VR (explicit VR transfer syntaxes, PS3.5 6.2) and a value length that
//! fits inside its enclosing item or sequence (PS3.5 7.1, 7.5), with nesting at most
//! [`MAX_SEQUENCE_DEPTH`].
//!
//! Why: the header reader skips unwanted sequences by seeking, which is what makes indexing
//! fast, so it never looks inside them. The pixel pipeline then hands the same bytes to
//! dicom-object, whose parser sizes buffers from declared lengths: a sequence item with a
//! corrupted VR (`\0\0`) inside made it allocate 1.9 GB for a 100×100 image (found by the
//! hostile corpus). Checked first, every length is bounded by the bytes that are really there.

use crate::error::HeaderError;
use crate::header::Encoding;
use crate::limits::MAX_SEQUENCE_DEPTH;

const UNDEFINED: u32 = 0xFFFF_FFFF;

/// The VRs of PS3.5 Table 6.2-1.
fn known_vr(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"AE"
            | b"AS"
            | b"AT"
            | b"CS"
            | b"DA"
            | b"DS"
            | b"DT"
            | b"FL"
            | b"FD"
            | b"IS"
            | b"LO"
            | b"LT"
            | b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"PN"
            | b"SH"
            | b"SL"
            | b"SQ"
            | b"SS"
            | b"ST"
            | b"SV"
            | b"TM"
            | b"UC"
            | b"UI"
            | b"UL"
            | b"UN"
            | b"UR"
            | b"US"
            | b"UT"
            | b"UV"
    )
}

struct Walker<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Walker<'_> {
    fn malformed(&self, what: impl Into<String>) -> HeaderError {
        HeaderError::Malformed {
            what: what.into(),
            at: self.pos as u64,
        }
    }

    fn u16(&mut self, enc: Encoding) -> Result<u16, HeaderError> {
        let b = self
            .bytes
            .get(self.pos..self.pos + 2)
            .ok_or_else(|| self.malformed("a value runs past the end of the header"))?;
        self.pos += 2;
        Ok(if enc.big_endian {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    }

    fn u32(&mut self, enc: Encoding) -> Result<u32, HeaderError> {
        let b = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.malformed("a value runs past the end of the header"))?;
        self.pos += 4;
        Ok(if enc.big_endian {
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        } else {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        })
    }

    /// Elements until `end` (defined length) or an item delimiter (undefined length).
    fn elements(
        &mut self,
        enc: Encoding,
        end: Option<usize>,
        depth: u32,
    ) -> Result<(), HeaderError> {
        // The depth is checked where it grows: in `items`.
        let limit = end.unwrap_or(self.bytes.len());
        while self.pos < limit {
            let group = self.u16(enc)?;
            let element = self.u16(enc)?;
            if group == 0xFFFE {
                let _ = self.u32(enc)?;
                if element == 0xE00D && end.is_none() && depth > 0 {
                    return Ok(());
                }
                return Err(self.malformed(format!(
                    "unexpected ({group:04X},{element:04X}) in a data set"
                )));
            }
            let (vr, len) = if enc.explicit_vr {
                let vr = [
                    *self.bytes.get(self.pos).unwrap_or(&0),
                    *self.bytes.get(self.pos + 1).unwrap_or(&0),
                ];
                if !known_vr(vr) {
                    return Err(self.malformed(format!(
                        "invalid VR bytes {:02X} {:02X} in ({group:04X},{element:04X})",
                        vr[0], vr[1]
                    )));
                }
                self.pos += 2;
                if crate::header::has_long_length(vr) {
                    self.pos += 2;
                    (Some(vr), self.u32(enc)?)
                } else {
                    (Some(vr), u32::from(self.u16(enc)?))
                }
            } else {
                (None, self.u32(enc)?)
            };
            let is_sequence = vr == Some(*b"SQ") || vr == Some(*b"UN") && len == UNDEFINED;
            if len == UNDEFINED {
                let nested = if vr == Some(*b"UN") {
                    Encoding {
                        explicit_vr: false,
                        big_endian: false,
                    }
                } else {
                    enc
                };
                let fragments = matches!(vr, Some(v) if &v == b"OB" || &v == b"OW");
                if !(is_sequence || vr.is_none() || fragments) {
                    return Err(
                        self.malformed("undefined length on an element that is not a sequence")
                    );
                }
                self.items(nested, None, depth + 1, fragments)?;
                continue;
            }
            let value_end = self
                .pos
                .checked_add(len as usize)
                .filter(|&e| e <= limit)
                .ok_or_else(|| {
                    self.malformed(format!(
                        "({group:04X},{element:04X}) declares {len} bytes, past the end of its container"
                    ))
                })?;
            if vr == Some(*b"SQ") {
                self.items(enc, Some(value_end), depth + 1, false)?;
            }
            self.pos = value_end;
        }
        if self.pos > limit {
            return Err(self.malformed("an element runs past the end of its item"));
        }
        Ok(())
    }

    /// Items of a sequence (or, with `fragments`, the fragments of encapsulated data such as an
    /// icon image, which are not data sets) until `end` or the sequence delimiter.
    fn items(
        &mut self,
        enc: Encoding,
        end: Option<usize>,
        depth: u32,
        fragments: bool,
    ) -> Result<(), HeaderError> {
        if depth > MAX_SEQUENCE_DEPTH {
            return Err(HeaderError::NestingTooDeep {
                max: MAX_SEQUENCE_DEPTH,
                at: self.pos as u64,
            });
        }
        loop {
            if let Some(end) = end
                && self.pos >= end
            {
                return if self.pos == end {
                    Ok(())
                } else {
                    Err(self.malformed("an item runs past the end of its sequence"))
                };
            }
            let group = self.u16(enc)?;
            let element = self.u16(enc)?;
            let len = self.u32(enc)?;
            match (group, element) {
                (0xFFFE, 0xE0DD) if end.is_none() => return Ok(()),
                (0xFFFE, 0xE000) if len == UNDEFINED && !fragments => {
                    self.elements(enc, None, depth)?
                }
                (0xFFFE, 0xE000) => {
                    let limit = end.unwrap_or(self.bytes.len());
                    let item_end = self
                        .pos
                        .checked_add(len as usize)
                        .filter(|&e| e <= limit)
                        .ok_or_else(|| {
                            self.malformed(format!(
                                "an item declares {len} bytes, past the end of its sequence"
                            ))
                        })?;
                    if !fragments {
                        self.elements(enc, Some(item_end), depth)?;
                    }
                    self.pos = item_end;
                }
                _ => {
                    return Err(self.malformed(format!(
                        "expected an item, found ({group:04X},{element:04X})"
                    )));
                }
            }
        }
    }
}

/// Checks the structure of a data set (no File Meta Information, no Pixel Data) held in memory.
pub fn check_data_set(bytes: &[u8], encoding: Encoding) -> Result<(), HeaderError> {
    Walker { bytes, pos: 0 }.elements(encoding, None, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LE: Encoding = Encoding {
        explicit_vr: true,
        big_endian: false,
    };

    fn el(g: u16, e: u16, vr: &[u8; 2], v: &[u8]) -> Vec<u8> {
        let mut out = [g.to_le_bytes(), e.to_le_bytes()].concat();
        out.extend(vr);
        out.extend((v.len() as u16).to_le_bytes());
        out.extend(v);
        out
    }

    fn sq(items: &[Vec<u8>]) -> Vec<u8> {
        let mut body = Vec::new();
        for item in items {
            body.extend([0xFE, 0xFF, 0x00, 0xE0]);
            body.extend((item.len() as u32).to_le_bytes());
            body.extend(item);
        }
        let mut out = vec![0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0];
        out.extend((body.len() as u32).to_le_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn a_sound_data_set_with_nested_items_passes() {
        let mut d = el(0x0008, 0x0060, b"CS", b"CT");
        d.extend(sq(&[
            el(0x0008, 0x0104, b"LO", b"MEANING "),
            el(0x0008, 0x0100, b"SH", b"CODE"),
        ]));
        d.extend(el(0x0028, 0x0010, b"US", &16u16.to_le_bytes()));
        assert!(check_data_set(&d, LE).is_ok());
    }

    #[test]
    fn a_corrupt_vr_or_length_inside_an_item_is_found() {
        let mut inner = el(0x0008, 0x0104, b"LO", b"MEANING ");
        inner[4] = 0;
        inner[5] = 0;
        let d = sq(&[inner]);
        let err = check_data_set(&d, LE).unwrap_err().to_string();
        assert!(err.contains("invalid VR"), "{err}");
        let mut long = el(0x0008, 0x0104, b"LO", b"MEANING ");
        long[7] = 0x08; // length 0x0808 inside a 16-byte item
        let err = check_data_set(&sq(&[long]), LE).unwrap_err().to_string();
        assert!(err.contains("past the end"), "{err}");
    }

    #[test]
    fn sequences_nested_past_the_cap_are_refused() {
        let mut d = el(0x0008, 0x0104, b"LO", b"LEAF");
        for _ in 0..=MAX_SEQUENCE_DEPTH {
            d = sq(&[d]);
        }
        let err = check_data_set(&d, LE).unwrap_err();
        assert!(matches!(err, HeaderError::NestingTooDeep { .. }), "{err}");
    }
}
