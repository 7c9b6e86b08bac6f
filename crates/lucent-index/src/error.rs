//! Why a file could not be indexed: one typed error per cause, each with a stable code.

use lucent_error::{ErrorCode, HasErrorCode};

/// A DICOM tag (group, element), printed as `(gggg,eeee)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u16, pub u16);

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({:04X},{:04X})", self.0, self.1)
    }
}

/// Why one file could not be read as an indexable DICOM instance.
///
/// Messages name tags and byte offsets, never patient data; the caller adds the path where the
/// audience may see it (the CLI does, the IPC boundary does not).
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    /// Reading the file failed at the OS level.
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    /// Neither a Part 10 file nor a recognisable raw data set.
    #[error("not a DICOM file: {0}")]
    NotDicom(&'static str),
    /// The file ends inside a header element.
    #[error("file ends at byte {at} inside {what}")]
    Truncated {
        /// What was being read.
        what: String,
        /// Byte offset in the (inflated) stream.
        at: u64,
    },
    /// A structural error: bad value length, stray delimiter, invalid VR.
    #[error("malformed header at byte {at}: {what}")]
    Malformed {
        /// What is wrong.
        what: String,
        /// Byte offset in the (inflated) stream.
        at: u64,
    },
    /// Sequence nesting deeper than [`crate::limits::MAX_SEQUENCE_DEPTH`].
    #[error("sequences nested deeper than {max} levels at byte {at}")]
    NestingTooDeep {
        /// The cap.
        max: u32,
        /// Byte offset.
        at: u64,
    },
    /// The header exceeds a cap in [`crate::limits`].
    #[error("header too large: {0}")]
    TooLarge(String),
    /// A transfer syntax whose data set encoding Lucent cannot parse.
    #[error("unsupported transfer syntax {0}")]
    UnsupportedTransferSyntax(String),
    /// A DICOM object without pixel data.
    #[error("no pixel data (SOP Class {0}): nothing to display")]
    NoPixelData(String),
    /// A required attribute is absent or unusable.
    #[error("missing or invalid {name} {tag}")]
    MissingAttribute {
        /// The attribute keyword.
        name: &'static str,
        /// Its tag.
        tag: Tag,
    },
}

impl HasErrorCode for HeaderError {
    fn code(&self) -> ErrorCode {
        match self {
            HeaderError::Io(_) => ErrorCode::Io,
            HeaderError::NotDicom(_) => ErrorCode::NotDicom,
            HeaderError::Truncated { .. } => ErrorCode::Truncated,
            HeaderError::Malformed { .. } => ErrorCode::Malformed,
            HeaderError::NestingTooDeep { .. } => ErrorCode::NestingTooDeep,
            HeaderError::TooLarge(_) => ErrorCode::HeaderTooLarge,
            HeaderError::UnsupportedTransferSyntax(_) => ErrorCode::UnsupportedTransferSyntax,
            HeaderError::NoPixelData(_) => ErrorCode::NoPixelData,
            HeaderError::MissingAttribute { .. } => ErrorCode::MissingAttribute,
        }
    }
}
