//! Why a frame could not be rendered: typed, with a stable code and the DICOM context.

use lucent_error::{ErrorCode, HasErrorCode};

/// A pixel pipeline failure. Messages name attributes, transfer syntaxes and frame numbers, never
/// patient data or paths (the CLI adds the path; the IPC boundary does not).
#[derive(Debug, thiserror::Error)]
pub enum PixelError {
    /// The header could not be read (see the index's header reader).
    #[error(transparent)]
    Header(#[from] lucent_index::HeaderError),
    /// Reading the file failed.
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    /// The file has no pixel data.
    #[error("no pixel data")]
    NoPixelData,
    /// A transfer syntax Lucent does not decode.
    #[error("unsupported transfer syntax {0}")]
    UnsupportedTransferSyntax(String),
    /// Pixel attributes Lucent does not (yet) handle.
    #[error("unsupported pixel format: {0}")]
    UnsupportedPixelFormat(String),
    /// Pixel attributes that contradict each other or the standard.
    #[error("invalid pixel attributes: {0}")]
    InvalidAttributes(String),
    /// The frame number is past the last frame.
    #[error("frame {requested} does not exist (the image has {frames} frame(s), numbered from 0)")]
    FrameOutOfRange {
        /// Requested frame.
        requested: u32,
        /// Frames in the image.
        frames: u32,
    },
    /// The pixel data ends before the frame does.
    #[error("pixel data truncated: {0}")]
    Truncated(String),
    /// Encapsulated pixel data whose items are broken.
    #[error("malformed encapsulated pixel data: {0}")]
    Malformed(String),
    /// Encapsulated Pixel Data under a native transfer syntax whose codestream is none Lucent
    /// recognises (JPEG, JPEG-LS, JPEG 2000, RLE): it is not shown as anything.
    #[error(
        "Pixel Data is encapsulated although the transfer syntax {declared} is native, and its codestream is not JPEG, JPEG-LS, JPEG 2000 or RLE"
    )]
    UnrecognisedCodestream {
        /// The transfer syntax the file declares.
        declared: String,
    },
    /// A size from the header exceeds Lucent's caps.
    #[error("image too large: {0}")]
    TooLarge(String),
    /// The codec rejected the frame.
    #[error("cannot decode frame {frame} ({transfer_syntax}): {reason}")]
    Decode {
        /// Frame number.
        frame: u32,
        /// Transfer syntax UID.
        transfer_syntax: String,
        /// What the codec said.
        reason: String,
    },
    /// The codec panicked on the frame (a bug in it or in Lucent, caught and contained): not a
    /// rejection of the data, so it is `E_INTERNAL`, not `E_DECODE_FAILED`.
    #[error(
        "cannot decode frame {frame} ({transfer_syntax}): the codec panicked (a bug, contained; please report it)"
    )]
    CodecPanicked {
        /// Frame number.
        frame: u32,
        /// Transfer syntax UID.
        transfer_syntax: String,
    },
    /// A window with width ≤ 0 or a non-finite value.
    #[error("invalid window: {0}")]
    InvalidWindow(String),
    /// Writing the output image failed.
    #[error("cannot write image: {0}")]
    Output(String),
    /// The file is not the one that was indexed (see `lucent_index::fingerprint`).
    #[error("the file changed after it was indexed: {0}; open it again")]
    FileChanged(lucent_index::FileChange),
}

impl HasErrorCode for PixelError {
    fn code(&self) -> ErrorCode {
        match self {
            PixelError::Header(e) => e.code(),
            PixelError::Io(_) | PixelError::Output(_) => ErrorCode::Io,
            PixelError::NoPixelData => ErrorCode::NoPixelData,
            PixelError::UnsupportedTransferSyntax(_) => ErrorCode::UnsupportedTransferSyntax,
            PixelError::UnsupportedPixelFormat(_) => ErrorCode::UnsupportedPixelFormat,
            PixelError::InvalidAttributes(_) => ErrorCode::InvalidPixelAttributes,
            PixelError::FrameOutOfRange { .. } => ErrorCode::FrameOutOfRange,
            PixelError::Truncated(_) => ErrorCode::Truncated,
            PixelError::Malformed(_) => ErrorCode::Malformed,
            PixelError::UnrecognisedCodestream { .. } => ErrorCode::UnrecognisedCodestream,
            PixelError::TooLarge(_) => ErrorCode::ImageTooLarge,
            PixelError::Decode { .. } => ErrorCode::DecodeFailed,
            PixelError::CodecPanicked { .. } => ErrorCode::Internal,
            PixelError::InvalidWindow(_) => ErrorCode::InvalidArgument,
            PixelError::FileChanged(_) => ErrorCode::FileChanged,
        }
    }
}
