//! What a codec produces: one frame's samples in typed containers ([`Samples`], each buffer a
//! [`SampleBuf`]), their colour model, and the conversion of native bytes into them.

use super::FrameDescription;
use crate::error::PixelError;
use crate::info::Photometric;

/// A buffer of samples: a `Vec`, or anonymous memory mapped for this buffer alone.
///
/// Frames kept in the cache are moved to their own mapping, so evicting one returns its pages to
/// the OS at once. Measured: with 512 KiB frames in ordinary heap buffers, glibc's malloc kept up
/// to 190 MB of freed frames resident past a 256 MiB cache cap (its mmap threshold adapts
/// upward after the first frees); with mapped buffers the process stays within the cap + 10 MB.
pub enum SampleBuf<T> {
    /// Heap storage.
    Heap(Vec<T>),
    /// Its own anonymous mapping holding `len` samples.
    Mapped(memmap2::MmapMut, usize),
}

/// Buffers at least this large are mapped when cached.
const MAP_AT_BYTES: usize = 64 * 1024;

impl<T: bytemuck::Pod> SampleBuf<T> {
    /// A zeroed mapped buffer of `len` samples.
    pub fn mapped_zeroed(len: usize) -> std::io::Result<Self> {
        let bytes = len
            .checked_mul(std::mem::size_of::<T>())
            .ok_or_else(|| std::io::Error::other("size overflow"))?;
        Ok(SampleBuf::Mapped(
            memmap2::MmapMut::map_anon(bytes.max(1))?,
            len,
        ))
    }

    /// Mutable samples.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            SampleBuf::Heap(v) => v,
            SampleBuf::Mapped(m, len) => {
                // Checked when the mapping was made (`mapped_zeroed`): cannot overflow.
                let n = len.saturating_mul(std::mem::size_of::<T>());
                bytemuck::cast_slice_mut(&mut m[..n])
            }
        }
    }

    /// The same samples in their own mapping when large (for long-lived cache entries).
    pub fn into_mapped(self) -> Self {
        match self {
            SampleBuf::Heap(v) if std::mem::size_of_val(v.as_slice()) >= MAP_AT_BYTES => {
                match SampleBuf::<T>::mapped_zeroed(v.len()) {
                    Ok(mut m) => {
                        m.as_mut_slice().copy_from_slice(&v);
                        m
                    }
                    Err(_) => SampleBuf::Heap(v),
                }
            }
            other => other,
        }
    }
}

impl<T: bytemuck::Pod> std::ops::Deref for SampleBuf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            SampleBuf::Heap(v) => v,
            SampleBuf::Mapped(m, len) => {
                // Checked when the mapping was made (`mapped_zeroed`): cannot overflow.
                bytemuck::cast_slice(&m[..len.saturating_mul(std::mem::size_of::<T>())])
            }
        }
    }
}

impl<T> From<Vec<T>> for SampleBuf<T> {
    fn from(v: Vec<T>) -> Self {
        SampleBuf::Heap(v)
    }
}

impl<T: bytemuck::Pod> Clone for SampleBuf<T> {
    fn clone(&self) -> Self {
        SampleBuf::Heap(self.to_vec())
    }
}

impl<T: bytemuck::Pod + PartialEq> PartialEq for SampleBuf<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: bytemuck::Pod> std::fmt::Debug for SampleBuf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if matches!(self, SampleBuf::Mapped(..)) {
            "mapped"
        } else {
            "heap"
        };
        write!(f, "SampleBuf({} samples, {kind})", self.len())
    }
}

/// Sample values of one frame, interleaved when there are several samples per pixel.
#[derive(Debug, Clone, PartialEq)]
pub enum Samples {
    /// 1- and 8-bit data.
    U8(SampleBuf<u8>),
    /// 16-bit data (raw bit patterns; signedness is applied by the LUT stage).
    U16(SampleBuf<u16>),
    /// 32-bit integer data.
    U32(SampleBuf<u32>),
    /// 32-bit float data (Float Pixel Data).
    F32(SampleBuf<f32>),
    /// 64-bit float data (Double Float Pixel Data).
    F64(SampleBuf<f64>),
}

impl Samples {
    /// The same samples, large buffers moved to their own mappings (see [`SampleBuf`]).
    pub fn into_mapped(self) -> Self {
        match self {
            Samples::U8(b) => Samples::U8(b.into_mapped()),
            Samples::U16(b) => Samples::U16(b.into_mapped()),
            Samples::U32(b) => Samples::U32(b.into_mapped()),
            Samples::F32(b) => Samples::F32(b.into_mapped()),
            Samples::F64(b) => Samples::F64(b.into_mapped()),
        }
    }
}

impl Samples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Samples::U8(v) => v.len(),
            Samples::U16(v) => v.len(),
            Samples::U32(v) => v.len(),
            Samples::F32(v) => v.len(),
            Samples::F64(v) => v.len(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How the decoded samples encode colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorModel {
    /// One greyscale sample per pixel.
    Monochrome,
    /// One palette index per pixel.
    Palette,
    /// R, G, B.
    Rgb,
    /// Y, Cb, Cr (full range).
    YbrFull,
    /// Y1 Y2 Cb Cr per pair of pixels.
    YbrFull422,
}

/// One decoded frame.
#[derive(Debug, Clone)]
pub struct DecodedFrame {
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub columns: u16,
    /// The samples.
    pub samples: Samples,
    /// Their colour model.
    pub color: ColorModel,
    /// Colour-by-plane (R plane, G plane, B plane) instead of interleaved.
    pub planar: bool,
}

/// The colour model of the decoded samples: RGB when the codec converted them (JPEG, JPEG-LS,
/// JPEG 2000 deliver RGB), otherwise what the Photometric Interpretation says.
pub(crate) fn color_of(
    info: &FrameDescription,
    codec_made_rgb: bool,
) -> Result<ColorModel, PixelError> {
    Ok(match info.photometric {
        Photometric::Monochrome1 | Photometric::Monochrome2 => ColorModel::Monochrome,
        Photometric::PaletteColor => ColorModel::Palette,
        _ if codec_made_rgb => ColorModel::Rgb,
        Photometric::Rgb => ColorModel::Rgb,
        Photometric::YbrFull => ColorModel::YbrFull,
        Photometric::YbrFull422 => ColorModel::YbrFull422,
        other => {
            return Err(PixelError::InvalidAttributes(format!(
                "{other:?} is only valid for compressed data"
            )));
        }
    })
}

/// Native sample bytes (little or big endian) as typed samples of the image's Bits Allocated.
pub(crate) fn samples_from_le_or_be(
    bytes: Vec<u8>,
    info: &FrameDescription,
    big_endian: bool,
) -> Result<Samples, PixelError> {
    Ok(match (info.bits_allocated, info.float_bits) {
        (1 | 8, _) => Samples::U8(bytes.into()),
        // 12-bit samples arrive unpacked, two little-endian bytes each.
        (12 | 16, _) => Samples::U16(SampleBuf::Heap(
            bytes
                .chunks_exact(2)
                .map(|c| {
                    if big_endian {
                        u16::from_be_bytes([c[0], c[1]])
                    } else {
                        u16::from_le_bytes([c[0], c[1]])
                    }
                })
                .collect(),
        )),
        (32, Some(_)) => Samples::F32(SampleBuf::Heap(
            bytes
                .chunks_exact(4)
                .map(|c| {
                    let b = [c[0], c[1], c[2], c[3]];
                    if big_endian {
                        f32::from_be_bytes(b)
                    } else {
                        f32::from_le_bytes(b)
                    }
                })
                .collect(),
        )),
        (32, None) => Samples::U32(SampleBuf::Heap(
            bytes
                .chunks_exact(4)
                .map(|c| {
                    let b = [c[0], c[1], c[2], c[3]];
                    if big_endian {
                        u32::from_be_bytes(b)
                    } else {
                        u32::from_le_bytes(b)
                    }
                })
                .collect(),
        )),
        (64, Some(_)) => Samples::F64(SampleBuf::Heap(
            bytes
                .chunks_exact(8)
                .map(|c| {
                    let b: [u8; 8] = c.try_into().unwrap_or([0; 8]);
                    if big_endian {
                        f64::from_be_bytes(b)
                    } else {
                        f64::from_le_bytes(b)
                    }
                })
                .collect(),
        )),
        (bits, _) => {
            return Err(PixelError::UnsupportedPixelFormat(format!(
                "Bits Allocated {bits}"
            )));
        }
    })
}
