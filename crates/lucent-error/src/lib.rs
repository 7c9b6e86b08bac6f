//! The stable catalogue of Lucent error codes.
//!
//! Every typed error in every Lucent crate maps to exactly one [`ErrorCode`]. The code is the part
//! of an error that machines rely on: the CLI prints it (`error: E_NOT_DICOM: ...`), the IPC
//! boundary sends it as `{code, message}`, the audit trail records it for failed opens, and the
//! conformance report groups unsupported files by it.
//!
//! **Stability rule:** a code's string never changes meaning once released. New codes may be
//! added; retired codes stay in the enum (documented as such) so old audit records stay readable.
//! `docs/ERROR-CODES.md` is generated from [`ErrorCode::ALL`] and a test fails when it is stale.

use std::fmt;

/// Implemented by every typed error that crosses a crate boundary.
pub trait HasErrorCode {
    /// The stable code that classifies this error.
    fn code(&self) -> ErrorCode;
}

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident => $code:literal, )*) => {
        /// A stable, machine-readable error classification (see the crate docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The code as it appears in output, e.g. `"E_NOT_DICOM"`.
            pub const fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }

            /// One sentence saying when this code is used.
            pub fn description(self) -> &'static str {
                match self { $( ErrorCode::$variant => concat!($($doc),*).trim_ascii(), )* }
            }

            /// Looks a code up by its string form.
            pub fn from_code_str(s: &str) -> Option<ErrorCode> {
                match s { $( $code => Some(ErrorCode::$variant), )* _ => None }
            }
        }
    };
}

error_codes! {
    /// A path given by the user does not exist.
    PathNotFound => "E_PATH_NOT_FOUND",
    /// A file or folder exists but the operating system refused or failed to read it.
    Io => "E_IO",
    /// The file is not DICOM: no `DICM` marker after the preamble and no recognisable data set.
    NotDicom => "E_NOT_DICOM",
    /// The file ends before a header element, value or item it declares is complete.
    Truncated => "E_TRUNCATED",
    /// The file is DICOM but its structure is broken (bad lengths, delimiters or values).
    Malformed => "E_MALFORMED",
    /// Sequences are nested deeper than Lucent accepts (a nesting bomb).
    NestingTooDeep => "E_NESTING_TOO_DEEP",
    /// The header (everything before Pixel Data) is larger than Lucent accepts.
    HeaderTooLarge => "E_HEADER_TOO_LARGE",
    /// The transfer syntax is not one Lucent can read.
    UnsupportedTransferSyntax => "E_UNSUPPORTED_TS",
    /// A DICOM object with no pixel data (e.g. a structured report): nothing to display.
    NoPixelData => "E_NO_PIXEL_DATA",
    /// A required attribute (e.g. SOP Instance UID, Rows) is absent or unusable.
    MissingAttribute => "E_MISSING_ATTRIBUTE",
    /// Another file with the same SOP Instance UID was already indexed.
    DuplicateInstance => "E_DUPLICATE_INSTANCE",
    /// A DICOMDIR record references a file outside the DICOMDIR's folder (`..`, absolute path).
    DicomdirReferenceOutside => "E_DICOMDIR_REFERENCE_OUTSIDE",
    /// A DICOMDIR record references a file that does not exist.
    DicomdirReferenceMissing => "E_DICOMDIR_REFERENCE_MISSING",
    /// An opaque id that this session never issued (or that belongs to another session).
    UnknownId => "E_UNKNOWN_ID",
    /// Pixel attributes Lucent does not handle (e.g. an unusual bit depth or photometric).
    UnsupportedPixelFormat => "E_UNSUPPORTED_PIXEL_FORMAT",
    /// Pixel attributes contradict each other (e.g. Bits Stored > Bits Allocated, 0 rows).
    InvalidPixelAttributes => "E_INVALID_PIXEL_ATTRIBUTES",
    /// The requested frame does not exist.
    FrameOutOfRange => "E_FRAME_OUT_OF_RANGE",
    /// Rows × Columns × Frames × sample size exceeds Lucent's caps.
    ImageTooLarge => "E_IMAGE_TOO_LARGE",
    /// A codec (JPEG, JPEG-LS, JPEG 2000, RLE, deflate) rejected the frame's data.
    DecodeFailed => "E_DECODE_FAILED",
    /// An argument given by the user is invalid (e.g. a window width ≤ 0).
    InvalidArgument => "E_INVALID_ARGUMENT",
    /// The audit trail cannot be written, so the study does not open (audit first, fail closed).
    AuditUnavailable => "E_AUDIT_UNAVAILABLE",
    /// The OS keychain (Secret Service, Keychain, Credential Manager) is missing or locked.
    KeychainUnavailable => "E_KEYCHAIN_UNAVAILABLE",
    /// The audit log's key is not in the keychain: the log is unverifiable.
    AuditKeyLost => "E_AUDIT_KEY_LOST",
    /// The audit log failed verification (edited, reordered, truncated, rolled back, forged).
    AuditTampered => "E_AUDIT_TAMPERED",
    /// An audit record's sealed patient identifiers do not open with the keychain's key (another
    /// key, or the record was altered), so they cannot be exported.
    AuditUnsealable => "E_AUDIT_UNSEALABLE",
    /// A bug in Lucent was caught and contained (a panic while reading one file); please report it.
    Internal => "E_INTERNAL",
    /// The file is no longer the one that was indexed (replaced, rewritten or another instance):
    /// its pixels are not shown under the indexed patient; open the folder again.
    FileChanged => "E_FILE_CHANGED",
    /// A symbolic link in a scanned folder leads outside the folders and files given to the scan;
    /// it is not followed (and nothing behind it is indexed).
    LinkOutsideRoot => "E_LINK_OUTSIDE_ROOT",
    /// The managed policy (`/etc/lucent/policy.toml`) exists but is refused: it does not parse,
    /// has an unknown key or an invalid value, or others could change it; no study opens.
    PolicyInvalid => "E_POLICY_INVALID",
    /// Pixel Data is encapsulated (in fragments) although the transfer syntax says it is not,
    /// and the fragments hold no codestream Lucent recognises (JPEG, JPEG-LS, JPEG 2000, RLE):
    /// the file is mislabelled and its pixels are not shown.
    UnrecognisedCodestream => "E_UNRECOGNISED_CODESTREAM",
}

impl ErrorCode {
    /// The catalogue as Markdown; `docs/ERROR-CODES.md` holds exactly this text.
    pub fn catalogue_markdown() -> String {
        let mut out = String::from(
            "# Lucent error codes\n\n\
             Generated from `crates/lucent-error/src/lib.rs` (`ErrorCode::catalogue_markdown`); \
             a test fails when this file is stale.\n\
             Codes are stable: a code never changes meaning once released.\n\n\
             | code | meaning |\n|---|---|\n",
        );
        for code in Self::ALL {
            out.push_str(&format!(
                "| `{}` | {} |\n",
                code.as_str(),
                code.description()
            ));
        }
        out
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_prefixed_and_round_trip() {
        let mut seen = HashSet::new();
        for &code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(s.starts_with("E_"), "{s} lacks the E_ prefix");
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit())
            );
            assert!(seen.insert(s), "{s} is listed twice");
            assert_eq!(ErrorCode::from_code_str(s), Some(code));
            assert!(!code.description().is_empty(), "{s} has no description");
        }
        assert_eq!(ErrorCode::from_code_str("E_NOPE"), None);
    }

    #[test]
    fn released_codes_keep_their_strings() {
        // Pinned: changing one of these breaks audit logs and scripts in the field.
        assert_eq!(ErrorCode::NotDicom.as_str(), "E_NOT_DICOM");
        assert_eq!(
            ErrorCode::UnsupportedTransferSyntax.as_str(),
            "E_UNSUPPORTED_TS"
        );
        assert_eq!(ErrorCode::Truncated.as_str(), "E_TRUNCATED");
        assert_eq!(
            ErrorCode::DicomdirReferenceOutside.as_str(),
            "E_DICOMDIR_REFERENCE_OUTSIDE"
        );
    }

    #[test]
    fn error_code_docs_are_fresh() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ERROR-CODES.md");
        let expected = ErrorCode::catalogue_markdown();
        if std::env::var_os("LUCENT_BLESS").is_some() {
            std::fs::write(path, &expected).expect("write docs/ERROR-CODES.md");
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            actual, expected,
            "docs/ERROR-CODES.md is stale: run `LUCENT_BLESS=1 cargo test -p lucent-error`"
        );
    }
}
