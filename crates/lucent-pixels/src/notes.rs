//! Display notes: what a viewer must say about how a frame is shown when it is not simply what
//! the file asks for — an attribute ignored because it is malformed, a window applied otherwise
//! than written, a transfer syntax that does not describe the data.
//!
//! A note is one short fixed sentence with numbers and standard names only: it is shown in the
//! viewport's corner and printed by `lucent render`, so it never carries header text (no names,
//! descriptions or labels from the file).

use std::fmt;

/// One thing the viewer must tell the reader about a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum DisplayNote {
    // --- Windows (PS3.3 C.11.2.1.2) ---
    /// A LINEAR window narrower than 1 (not allowed for LINEAR) was applied as LINEAR_EXACT,
    /// which is defined for any positive width (C.11.2.1.3.2).
    NarrowWindowAsLinearExact {
        /// Window Center.
        center: f64,
        /// Window Width (0 < width < 1).
        width: f64,
    },
    /// A window in the file has no positive width (or is not a number) and was not applied.
    InvalidWindowIgnored {
        /// Window Center as written.
        center: f64,
        /// Window Width as written.
        width: f64,
    },
    /// No usable window or VOI LUT: the frame is shown over the range of its own values.
    MinMaxWindow {
        /// The centre of the min–max window.
        center: f64,
        /// Its width.
        width: f64,
    },

    // --- Transfer syntax (PS3.5 A.4) ---
    /// Encapsulated Pixel Data under a native transfer syntax: decoded as what its codestream
    /// is, not as the header says.
    MislabelledTransferSyntax {
        /// The transfer syntax the file declares (a native one).
        declared: &'static str,
        /// What the codestream is, e.g. "JPEG Lossless".
        found: &'static str,
    },

    // --- Display shutters (PS3.3 C.7.6.11, C.7.6.15) ---
    /// A shutter shape whose attributes are missing, not integers or contradict each other
    /// (left > right, radius ≤ 0, an odd number of vertex values, fewer than 3 vertices ...):
    /// that shape is not applied.
    MalformedShutterIgnored {
        /// The shape.
        shape: crate::shutter::ShapeKind,
    },
    /// Shutter Shape BITMAP (a Bitmap Display Shutter, C.7.6.15) is not applied yet.
    BitmapShutterNotApplied,
    /// A Shutter Shape value that is not a defined term, or that is repeated: ignored.
    UnknownShutterShape,
    /// Shutter Presentation Value (0018,1622) or Shutter Presentation Color CIELab Value
    /// (0018,1624) is not 1 resp. 3 unsigned 16-bit values: black is used.
    MalformedShutterValue,
    /// The shapes together would hide every pixel of the image: not applied.
    ShutterWouldHideImage,
    /// The reader turned the image's display shutter off: the whole image is shown.
    ShutterTurnedOff,

    // --- Attributes ---
    /// An optional attribute is malformed; the image is shown without it.
    IgnoredAttribute {
        /// The attribute's standard name, e.g. "VOI LUT Sequence".
        attribute: &'static str,
        /// Why, as a fixed phrase.
        reason: &'static str,
    },

    // --- Overlay planes (PS3.3 C.9) ---
    /// An overlay plane's attributes are malformed: it is not drawn (the image and the other
    /// planes are).
    OverlayIgnored {
        /// Its group, 0x6000–0x601E.
        group: u16,
        /// Why.
        problem: crate::overlay::OverlayProblem,
    },
    /// Overlays were asked for on a colour image: not drawn (as dcmtk draws none there).
    OverlaysNotDrawnOnColour,
}

/// Adds a note unless an equal one is there (a note per frame of 3,000 would say nothing more).
pub(crate) fn note_once(notes: &mut Vec<DisplayNote>, note: DisplayNote) {
    if !notes.contains(&note) {
        notes.push(note);
    }
}

/// A window value with as many digits as it needs: `40`, `0.215`, `5.6e-6`.
fn number(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{x:.3e}")
    } else if a >= 100.0 || x.fract() == 0.0 {
        format!("{}", x.round())
    } else {
        // Three significant digits below 100, trailing zeros dropped.
        // log10 of a value in 1e-3..100: a small integer, so the difference cannot overflow.
        let digits = 2i32.saturating_sub(a.log10().floor() as i32).clamp(0, 6) as usize;
        let s = format!("{x:.digits$}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

impl fmt::Display for DisplayNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisplayNote::NarrowWindowAsLinearExact { center, width } => write!(
                f,
                "W {} L {}: narrower than 1, applied as LINEAR_EXACT",
                number(*width),
                number(*center)
            ),
            DisplayNote::InvalidWindowIgnored { center, width } => write!(
                f,
                "The file's window W {} L {} is invalid (width must be > 0): ignored",
                number(*width),
                number(*center)
            ),
            DisplayNote::MinMaxWindow { center, width } => write!(
                f,
                "W {} L {}: min–max of the frame (no usable window in the file)",
                number(*width),
                number(*center)
            ),
            DisplayNote::MislabelledTransferSyntax { declared, found } => write!(
                f,
                "Mislabelled file: the pixel data is {found}, the header says {declared}"
            ),
            DisplayNote::MalformedShutterIgnored { shape } => write!(
                f,
                "The {} display shutter is malformed: not applied",
                shape.name()
            ),
            DisplayNote::BitmapShutterNotApplied => {
                write!(
                    f,
                    "The BITMAP display shutter is not applied (not supported yet)"
                )
            }
            DisplayNote::UnknownShutterShape => write!(
                f,
                "A Shutter Shape value is not RECTANGULAR, CIRCULAR, POLYGONAL or BITMAP, or is repeated: ignored"
            ),
            DisplayNote::MalformedShutterValue => write!(
                f,
                "The shutter's presentation value is malformed: black is used"
            ),
            DisplayNote::ShutterWouldHideImage => write!(
                f,
                "The display shutter would hide the whole image: not applied"
            ),
            DisplayNote::ShutterTurnedOff => {
                write!(f, "Display shutter off: the whole image is shown")
            }
            DisplayNote::IgnoredAttribute { attribute, reason } => {
                write!(f, "{attribute} ignored: {reason}")
            }
            DisplayNote::OverlayIgnored { group, problem } => {
                write!(f, "Overlay plane {group:04X} not drawn: {problem}")
            }
            DisplayNote::OverlaysNotDrawnOnColour => {
                f.write_str("Overlay planes are not drawn on colour images")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_the_digits_that_matter() {
        assert_eq!(number(40.0), "40");
        assert_eq!(number(-600.0), "-600");
        assert_eq!(number(0.215), "0.215");
        assert_eq!(number(0.10753), "0.108");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(1234.56), "1235");
        assert_eq!(number(5.6e-6), "5.600e-6");
    }

    #[test]
    fn sentences_carry_the_numbers() {
        let n = DisplayNote::NarrowWindowAsLinearExact {
            center: 0.108,
            width: 0.215,
        };
        assert_eq!(
            n.to_string(),
            "W 0.215 L 0.108: narrower than 1, applied as LINEAR_EXACT"
        );
    }
}
