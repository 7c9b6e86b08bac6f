//! Frame access: where each frame's bytes are, found once per file; reading one frame is
//! O(frame), never O(file).
//!
//! Native pixel data: frame k starts at `k × frame size` (PS3.5 8.1.1; 1-bit frames are packed
//! and may start mid-byte, as may 12-bit frames: ACR-NEMA's two samples in three bytes).
//! Encapsulated pixel data (PS3.5 A.4): the item headers are scanned
//! once (8 bytes per fragment, the fragment bytes are skipped), and fragments are assigned to
//! frames by, in order: one fragment per frame; a single frame; the Extended Offset Table; the
//! Basic Offset Table; codec start markers (JPEG SOI, JPEG 2000 SOC / JP2 signature).
//! Encapsulated data under a native syntax (a mislabelled file) is decoded as what its first
//! codestream is, or refused (see `identify_mislabelled`).
//!
//! Reads use positioned reads (`pread`) on an open file rather than a memory map: a file that is
//! truncated or removed while open then yields a short read (a typed error), never SIGBUS.

use crate::codec::{
    self, DecodedFrame, FrameBytes, FrameDescription, NATIVE_SYNTAXES, SampleBuf, Samples,
    unpack_12_bit, unpack_bits,
};
use crate::error::PixelError;
use crate::info::ImageInfo;
use crate::render::{RenderOptions, RenderedFrame, Renderer, VoiChoice};
use crate::safe_math::{self, MAX_FRAME_BYTES};
use dicom_dictionary_std::tags;
use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_object::OpenFileOptions;
use lucent_index::HeaderIdentity;
use lucent_index::fingerprint::{self, FileFingerprint};
use lucent_index::header::{self, transfer_syntax};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Most fragments accepted in one file (each costs 16 bytes of table).
const MAX_FRAGMENTS: usize = 16_000_000;

/// One fragment's position in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// Offset of the fragment's first data byte.
    pub offset: u64,
    /// Length in bytes.
    pub length: u32,
}

#[derive(Debug)]
enum Layout {
    /// Native pixel data at `offset` (in the file), `length` bytes.
    Native {
        offset: u64,
        big_endian: bool,
        swap_byte_pairs: bool,
        length: u64,
    },
    /// Native pixel data already in memory (deflated data sets must be inflated as a whole).
    InMemory { data: Vec<u8> },
    /// Fragments of each frame.
    Encapsulated { frames: Vec<Vec<Fragment>> },
}

/// An image file opened for pixel access: attributes and frame locations, no pixel data.
#[derive(Debug)]
pub struct PixelFile {
    file: File,
    /// The file as opened (its `len` is the file's size); every read first checks that size and
    /// modification time still match (a file written to in place while open).
    fingerprint: FileFingerprint,
    pub(crate) sop_instance_uid: String,
    identity: HeaderIdentity,
    /// The pixel attributes.
    pub info: ImageInfo,
    layout: Layout,
}

impl PixelFile {
    /// Opens a file: validates the header, reads the pixel attributes and locates every frame.
    /// The header, the attributes and every later pixel read come from one open descriptor.
    pub fn open(path: &Path) -> Result<Self, PixelError> {
        Self::from_opened(fingerprint::open(path)?)
    }

    /// Opens a file of a study index and checks, on the descriptor its pixels are then read from,
    /// that it is still the file that was indexed: same SOP Instance UID, size, modification time
    /// and header bytes. Otherwise [`PixelError::FileChanged`]: another file's pixels are never
    /// shown under the indexed patient.
    pub fn open_indexed(
        path: &Path,
        sop_instance_uid: &str,
        indexed: &FileFingerprint,
    ) -> Result<Self, PixelError> {
        let opened = fingerprint::open(path)?;
        let now_uid = HeaderIdentity::sop_instance_uid_of(&opened.header);
        fingerprint::check(sop_instance_uid, indexed, &now_uid, &opened.fingerprint)
            .map_err(PixelError::FileChanged)?;
        Self::from_opened(opened)
    }

    fn from_opened(opened: fingerprint::OpenedFile) -> Result<Self, PixelError> {
        let fingerprint::OpenedFile {
            file,
            header,
            fingerprint,
        } = opened;
        let Some(pixel_data) = header.pixel_data else {
            return Err(PixelError::NoPixelData);
        };
        // The syntax the data set is actually encoded in (detected for raw data sets and for
        // files that declare explicit VR but write implicit VR).
        let dataset_ts = match (header.encoding.explicit_vr, header.encoding.big_endian) {
            (false, _) => transfer_syntax::IMPLICIT_VR_LITTLE_ENDIAN,
            (true, true) => transfer_syntax::EXPLICIT_VR_BIG_ENDIAN,
            (true, false) => transfer_syntax::EXPLICIT_VR_LITTLE_ENDIAN,
        };
        let ts = header
            .transfer_syntax_uid
            .clone()
            .unwrap_or_else(|| dataset_ts.to_string());
        let float_bits = match pixel_data.tag {
            header::tags::FLOAT_PIXEL_DATA => Some(32),
            header::tags::DOUBLE_FLOAT_PIXEL_DATA => Some(64),
            _ => None,
        };
        let obj = read_attributes(&file, &header, dataset_ts)?;
        let mut info = ImageInfo::from_object(&obj, &ts, float_bits)?;
        let frame_bytes = native_frame_bytes(&info)?;
        let file_len = fingerprint.len;
        let layout = match pixel_data.length {
            Some(length) => {
                if !NATIVE_SYNTAXES.contains(&ts.as_str()) {
                    return Err(PixelError::Malformed(format!(
                        "transfer syntax {ts} requires encapsulated pixel data, but it has a defined length"
                    )));
                }
                let mislabelled = if header.encoding.big_endian || header.deflated {
                    None
                } else {
                    mislabelled_defined_length(
                        &file,
                        &mut info,
                        pixel_data.value_offset,
                        length,
                        file_len,
                    )
                };
                if let Some(fragments) = mislabelled {
                    Layout::Encapsulated {
                        frames: assign_fragments(&file, &info, fragments)?,
                    }
                } else {
                    let needed = native_total_bytes(&info, frame_bytes)?;
                    if length < needed {
                        return Err(PixelError::Truncated(format!(
                            "Pixel Data holds {length} bytes, {} frame(s) need {needed}",
                            info.frames
                        )));
                    }
                    if header.deflated {
                        // The pixel data is inside the deflate stream: inflate the object once.
                        let full = OpenFileOptions::new()
                            .from_reader(reader_from_start(&file)?)
                            .map_err(|e| {
                                PixelError::Malformed(format!("deflated data set: {e}"))
                            })?;
                        let element = full.element(pixel_data_tag(float_bits)).map_err(|e| {
                            PixelError::Malformed(format!("deflated data set: {e}"))
                        })?;
                        let data = element
                            .to_bytes()
                            .map_err(|e| PixelError::Malformed(e.to_string()))?
                            .into_owned();
                        if (data.len() as u64) < needed {
                            return Err(PixelError::Truncated(format!(
                                "{} bytes of pixel data, {needed} needed",
                                data.len()
                            )));
                        }
                        Layout::InMemory { data }
                    } else {
                        if pixel_data.value_offset.saturating_add(needed) > file_len {
                            return Err(PixelError::Truncated(format!(
                                "the file ends {} bytes into Pixel Data; {needed} bytes needed",
                                file_len.saturating_sub(pixel_data.value_offset)
                            )));
                        }
                        let big_endian = header.encoding.big_endian;
                        Layout::Native {
                            offset: pixel_data.value_offset,
                            big_endian,
                            // PS3.5 7.3: in big endian, OW data is swapped in 16-bit words, also
                            // when the samples are 8 bits (or a 12-bit stream over the words).
                            swap_byte_pairs: big_endian
                                && &pixel_data.vr == b"OW"
                                && matches!(info.bits_allocated, 8 | 12),
                            length,
                        }
                    }
                }
            }
            None => {
                let mislabelled = NATIVE_SYNTAXES.contains(&ts.as_str());
                if mislabelled && (header.encoding.big_endian || header.deflated) {
                    // PS3.5 A.4: encapsulation is little endian; in a deflated data set the
                    // fragments are inside the deflate stream. Neither is sniffed.
                    return Err(PixelError::Malformed(format!(
                        "undefined-length Pixel Data in transfer syntax {ts}, which cannot hold encapsulated data"
                    )));
                }
                let fragments = scan_fragments(&file, file_len, pixel_data.value_offset)?;
                if mislabelled {
                    identify_mislabelled(&file, &mut info, &fragments.1)?;
                }
                let frames = assign_fragments(&file, &info, fragments)?;
                Layout::Encapsulated { frames }
            }
        };
        let identity = HeaderIdentity::of(&header);
        let sop_instance_uid = HeaderIdentity::sop_instance_uid_of(&header);
        Ok(PixelFile {
            file,
            sop_instance_uid,
            fingerprint,
            identity,
            info,
            layout,
        })
    }

    /// Whether this open file is the indexed file with this SOP Instance UID and fingerprint.
    pub fn is_indexed_as(&self, sop_instance_uid: &str, indexed: &FileFingerprint) -> bool {
        self.sop_instance_uid == sop_instance_uid && self.fingerprint == *indexed
    }

    /// Who and what the file is about, read from the same descriptor as its pixels: what an
    /// audit record of this file's access must name. Contains PHI.
    pub fn identity(&self) -> &HeaderIdentity {
        &self.identity
    }

    /// Number of frames.
    pub fn frame_count(&self) -> u32 {
        self.info.frames
    }

    /// Reads the encoded bytes of frame `k` (0-based).
    pub fn frame_bytes(&self, k: u32) -> Result<FrameBytes, PixelError> {
        if k >= self.info.frames {
            return Err(PixelError::FrameOutOfRange {
                requested: k,
                frames: self.info.frames,
            });
        }
        let frame_bytes = native_frame_bytes(&self.info)?;
        match &self.layout {
            Layout::Native {
                offset,
                swap_byte_pairs,
                length,
                ..
            } if self.info.bits_allocated == 12 => {
                let (start_bit, bits) = packed_bit_range(&self.info, k)?;
                // Whole 16-bit words around the frame (it may start mid-word), cut at the value.
                // `start_bit / 16 * 2` is at most `start_bit / 8`: the product cannot overflow.
                let first = (start_bit / 16).saturating_mul(2);
                let end = safe_math::add(start_bit, bits, "bit offset")?
                    .div_ceil(16)
                    .saturating_mul(2)
                    .min(*length);
                let mut packed = vec![0u8; safe_math::to_usize(end.saturating_sub(first))?];
                self.read_at(&mut packed, safe_math::add(*offset, first, "offset")?)?;
                if *swap_byte_pairs {
                    packed.chunks_exact_mut(2).for_each(|p| p.swap(0, 1));
                }
                Ok(FrameBytes::Native {
                    bytes: unpack_12_bit(&packed, start_bit % 16, bits / 12),
                    big_endian: false,
                })
            }
            Layout::Native {
                offset,
                swap_byte_pairs: true,
                length,
                ..
            } => {
                // Read the even-aligned range around the frame, swap each byte pair, cut.
                let rel = safe_math::mul(u64::from(k), frame_bytes, "frame offset")?;
                let a = rel & !1;
                let b = safe_math::add(
                    safe_math::add(rel, frame_bytes, "frame end")?,
                    1,
                    "frame end",
                )? & !1;
                // a <= rel < length: every frame lies inside Pixel Data (checked at open).
                let mut bytes = vec![0u8; safe_math::to_usize(b.min(*length).saturating_sub(a))?];
                self.read_at(&mut bytes, safe_math::add(*offset, a, "offset")?)?;
                bytes.chunks_exact_mut(2).for_each(|p| p.swap(0, 1));
                let start = safe_math::to_usize(rel % 2)?;
                // start <= 1 and the frame size is capped: no overflow.
                let end = start
                    .saturating_add(safe_math::to_usize(frame_bytes)?)
                    .min(bytes.len());
                Ok(FrameBytes::Native {
                    bytes: bytes[start..end].to_vec(),
                    big_endian: false,
                })
            }
            Layout::Native {
                offset, big_endian, ..
            } => {
                if self.info.bits_allocated == 1 {
                    let (start_bit, bits) = packed_bit_range(&self.info, k)?;
                    let first = safe_math::add(*offset, start_bit / 8, "offset")?;
                    let len = safe_math::to_usize(
                        safe_math::add(start_bit % 8, bits, "bit length")?.div_ceil(8),
                    )?;
                    let mut packed = vec![0u8; len];
                    self.read_at(&mut packed, first)?;
                    return Ok(FrameBytes::Native {
                        bytes: unpack_bits(&packed, start_bit % 8, bits),
                        big_endian: false,
                    });
                }
                let start = safe_math::add(
                    *offset,
                    safe_math::mul(u64::from(k), frame_bytes, "frame offset")?,
                    "offset",
                )?;
                let mut bytes = vec![0u8; safe_math::to_usize(frame_bytes)?];
                self.read_at(&mut bytes, start)?;
                Ok(FrameBytes::Native {
                    bytes,
                    big_endian: *big_endian,
                })
            }
            Layout::InMemory { data } => {
                if self.info.bits_allocated == 12 {
                    let (start_bit, bits) = packed_bit_range(&self.info, k)?;
                    let first = safe_math::to_usize(start_bit / 8)?;
                    let end = safe_math::to_usize(
                        safe_math::add(start_bit, bits, "bit offset")?.div_ceil(8),
                    )?;
                    let packed = data
                        .get(first..end)
                        .ok_or_else(|| PixelError::Truncated(format!("12-bit frame {k}")))?;
                    return Ok(FrameBytes::Native {
                        bytes: unpack_12_bit(packed, start_bit % 8, bits / 12),
                        big_endian: false,
                    });
                }
                if self.info.bits_allocated == 1 {
                    let (start_bit, bits) = packed_bit_range(&self.info, k)?;
                    let first = safe_math::to_usize(start_bit / 8)?;
                    let len = safe_math::to_usize(
                        safe_math::add(start_bit % 8, bits, "bit length")?.div_ceil(8),
                    )?;
                    // A saturated end fails the `get`: truncated, never wrapped.
                    let packed = data
                        .get(first..first.saturating_add(len))
                        .ok_or_else(|| PixelError::Truncated("1-bit frame".into()))?;
                    return Ok(FrameBytes::Native {
                        bytes: unpack_bits(packed, start_bit % 8, bits),
                        big_endian: false,
                    });
                }
                let start = safe_math::to_usize(safe_math::mul(
                    u64::from(k),
                    frame_bytes,
                    "frame offset",
                )?)?;
                // A saturated end fails the `get`: truncated, never wrapped.
                let end = start.saturating_add(safe_math::to_usize(frame_bytes)?);
                let bytes = data
                    .get(start..end)
                    .ok_or_else(|| PixelError::Truncated(format!("frame {k}")))?;
                Ok(FrameBytes::Native {
                    bytes: bytes.to_vec(),
                    big_endian: false,
                })
            }
            Layout::Encapsulated { frames } => {
                let fragments = &frames[k as usize];
                let total: u64 = fragments.iter().map(|f| u64::from(f.length)).sum();
                if total > MAX_FRAME_BYTES {
                    return Err(PixelError::TooLarge(format!(
                        "frame {k} has {total} encoded bytes"
                    )));
                }
                let mut bytes = vec![0u8; safe_math::to_usize(total)?];
                let mut at = 0usize;
                for f in fragments {
                    let len = f.length as usize;
                    // at + len <= total, the sum of the lengths, capped above: no overflow.
                    let end = at.saturating_add(len);
                    self.read_at(&mut bytes[at..end], f.offset)?;
                    at = end;
                }
                Ok(FrameBytes::Encapsulated(bytes))
            }
        }
    }

    /// Fast path for native 16-bit frames in a file: read straight into the sample buffer
    /// (one copy from the page cache, no intermediate byte buffer). `None` when not applicable.
    pub fn read_native_u16(&self, k: u32) -> Option<Result<SampleBuf<u16>, PixelError>> {
        let Layout::Native {
            offset,
            big_endian,
            swap_byte_pairs: false,
            ..
        } = &self.layout
        else {
            return None;
        };
        if self.info.bits_allocated != 16 || self.info.float_bits.is_some() {
            return None;
        }
        Some((|| {
            if k >= self.info.frames {
                return Err(PixelError::FrameOutOfRange {
                    requested: k,
                    frames: self.info.frames,
                });
            }
            let frame_bytes = native_frame_bytes(&self.info)?;
            // Straight into its own mapping: one copy from the page cache, and the pages go back
            // to the OS when the frame leaves the cache (see `SampleBuf`).
            let mut samples =
                SampleBuf::<u16>::mapped_zeroed(safe_math::to_usize(frame_bytes / 2)?)?;
            self.read_at(
                bytemuck::cast_slice_mut(samples.as_mut_slice()),
                safe_math::add(
                    *offset,
                    safe_math::mul(u64::from(k), frame_bytes, "frame offset")?,
                    "offset",
                )?,
            )?;
            // The bytes are now in host order as if little endian; fix where that is wrong.
            if *big_endian == cfg!(target_endian = "little") {
                samples
                    .as_mut_slice()
                    .iter_mut()
                    .for_each(|s| *s = s.swap_bytes());
            }
            Ok(samples)
        })())
    }

    /// Decodes frame `k` (0-based) with the codec of its transfer syntax ([`codec::codec_for`]).
    pub fn decode_frame(&self, k: u32) -> Result<DecodedFrame, PixelError> {
        #[cfg(feature = "test-fault")]
        crate::fault::wait_if_held(&self.sop_instance_uid);
        #[cfg_attr(not(feature = "test-fault"), allow(unused_mut))]
        let mut frame = self.decode_frame_as_stored(k)?;
        #[cfg(feature = "test-fault")]
        crate::fault::inject(&mut frame);
        Ok(frame)
    }

    fn decode_frame_as_stored(&self, k: u32) -> Result<DecodedFrame, PixelError> {
        let image = FrameDescription::of(&self.info);
        if let Some(samples) = self.read_native_u16(k) {
            return Ok(DecodedFrame {
                rows: image.rows,
                columns: image.columns,
                samples: Samples::U16(samples?),
                color: codec::color_of(&image, false)?,
                planar: image.planar,
            });
        }
        let encoded = self.frame_bytes(k)?;
        let frame = codec::codec_for(&image.transfer_syntax).decode(&image, k, encoded)?;
        codec::check_sample_count(&image, k, &frame)?;
        Ok(frame)
    }

    /// Decodes and renders frame `k`. Colour images ignore the VOI.
    pub fn render(
        &self,
        k: u32,
        options: impl Into<RenderOptions>,
    ) -> Result<RenderedFrame, PixelError> {
        let options = options.into();
        if let VoiChoice::Explicit { center, width } = options.voi {
            crate::render::validate_window(center, width)?;
        }
        let frame = self.decode_frame(k)?;
        Renderer::default().render(&self.info, &frame, k, options)
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<(), PixelError> {
        fingerprint::check_metadata(&self.file, &self.fingerprint)
            .map_err(PixelError::FileChanged)?;
        if offset.saturating_add(buf.len() as u64) > self.fingerprint.len {
            return Err(PixelError::Truncated(format!(
                "{} bytes at offset {offset}",
                buf.len()
            )));
        }
        self.file.read_exact_at(buf, offset).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                PixelError::Truncated("the file shrank while open".into())
            } else {
                PixelError::Io(e)
            }
        })
    }
}

/// The pixel attributes, read with dicom-object from exactly the bytes of the data set before
/// Pixel Data (the header reader found where they are), so that dicom-object parses neither the
/// File Meta Information (some writers omit its group length, which dicom-object rejects) nor
/// any pixel data. Deflated data sets are read by dicom-object from the file.
fn read_attributes(
    file: &File,
    header: &header::Header,
    dataset_ts: &str,
) -> Result<dicom_object::InMemDicomObject, PixelError> {
    let invalid = |e: &dyn std::fmt::Display| {
        PixelError::InvalidAttributes(format!("cannot read the header: {e}"))
    };
    if header.deflated {
        return OpenFileOptions::new()
            .read_until(tags::FLOAT_PIXEL_DATA)
            .from_reader(reader_from_start(file)?)
            .map(|o| o.into_inner())
            .map_err(|e| invalid(&e));
    }
    let end = header
        .pixel_data
        .map(|p| p.element_offset)
        .unwrap_or(header.file_len);
    let ts = dicom_transfer_syntax_registry::TransferSyntaxRegistry
        .get(dataset_ts)
        .ok_or_else(|| PixelError::UnsupportedTransferSyntax(dataset_ts.to_string()))?;
    // The data set before Pixel Data, in memory (its size is what dicom-object would hold
    // anyway), checked at every nesting level before dicom-object sizes anything from it.
    let size = end.saturating_sub(header.dataset_offset);
    if size > lucent_index::limits::MAX_INFLATED_HEADER_BYTES {
        return Err(PixelError::InvalidAttributes(format!(
            "the data set before Pixel Data is {size} bytes"
        )));
    }
    let mut bytes = vec![0u8; safe_math::to_usize(size)?];
    file.read_exact_at(&mut bytes, header.dataset_offset)
        .map_err(|_| PixelError::Truncated("the file shrank while its header was read".into()))?;
    lucent_index::structure::check_data_set(&bytes, header.encoding)?;
    dicom_object::InMemDicomObject::read_dataset_with_ts(std::io::Cursor::new(bytes), ts)
        .map_err(|e| invalid(&e))
}

/// A buffered reader over a duplicate of `file`'s descriptor, at the start of the file (for
/// dicom-object, which reads a Part 10 stream, preamble detected).
fn reader_from_start(file: &File) -> Result<BufReader<File>, PixelError> {
    let mut dup = file.try_clone()?;
    dup.seek(SeekFrom::Start(0))?;
    Ok(BufReader::new(dup))
}

fn pixel_data_tag(float_bits: Option<u16>) -> dicom_core::Tag {
    match float_bits {
        Some(32) => tags::FLOAT_PIXEL_DATA,
        Some(_) => tags::DOUBLE_FLOAT_PIXEL_DATA,
        None => tags::PIXEL_DATA,
    }
}

/// Bytes of one native frame (see [`codec::stored_frame_bytes`]).
pub fn native_frame_bytes(info: &ImageInfo) -> Result<u64, PixelError> {
    codec::stored_frame_bytes(
        info.photometric,
        info.rows,
        info.columns,
        info.samples_per_pixel,
        info.bits_allocated,
    )
}

/// Whether frames are packed bit streams that may start inside a byte or word: Bits Allocated 1
/// (PS3.5 8.1.1) and the ACR-NEMA era's 12 (two pixels in three bytes, see
/// [`codec::unpack_12_bit`]).
fn is_bit_packed(info: &ImageInfo) -> bool {
    matches!(info.bits_allocated, 1 | 12)
}

fn native_total_bytes(info: &ImageInfo, frame_bytes: u64) -> Result<u64, PixelError> {
    if is_bit_packed(info) {
        let (_, frame_bits) = packed_bit_range(info, 0)?;
        let bits = safe_math::mul(frame_bits, u64::from(info.frames), "bits × frames")?;
        return Ok(bits.div_ceil(8));
    }
    safe_math::mul(frame_bytes, u64::from(info.frames), "frame size × frames")
}

/// The first bit of frame `k` in a bit-packed Pixel Data value, and the frame's length in bits
/// (pixels × samples × Bits Allocated), checked.
fn packed_bit_range(info: &ImageInfo, k: u32) -> Result<(u64, u64), PixelError> {
    let bits = safe_math::mul(
        safe_math::mul(
            safe_math::frame_pixels(info.rows, info.columns)?,
            u64::from(info.samples_per_pixel),
            "samples",
        )?,
        u64::from(info.bits_allocated),
        "bits",
    )?;
    Ok((safe_math::mul(bits, u64::from(k), "bit offset")?, bits))
}

/// Scans the items of encapsulated Pixel Data starting at `value_offset` (PS3.5 A.4): the Basic
/// Offset Table, then fragments up to the sequence delimiter or `file_len` (the end of the file,
/// or of a defined-length value). Returns the Basic Offset Table and the fragments.
fn scan_fragments(
    file: &File,
    file_len: u64,
    value_offset: u64,
) -> Result<(Vec<u32>, Vec<Fragment>), PixelError> {
    let mut reader = BufReader::with_capacity(8 * 1024, file);
    reader.seek(SeekFrom::Start(value_offset))?;
    let mut pos = value_offset;
    let read_item = |reader: &mut BufReader<&File>,
                     pos: &mut u64|
     -> Result<Option<(u16, u16, u32)>, PixelError> {
        let mut h = [0u8; 8];
        match reader.read_exact(&mut h) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        // pos <= file_len: the saturating additions of this scan never saturate.
        *pos = pos.saturating_add(8);
        let group = u16::from_le_bytes([h[0], h[1]]);
        let element = u16::from_le_bytes([h[2], h[3]]);
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        Ok(Some((group, element, len)))
    };
    let Some((0xFFFE, 0xE000, bot_len)) = read_item(&mut reader, &mut pos)? else {
        return Err(PixelError::Malformed(
            "encapsulated Pixel Data does not start with an item".into(),
        ));
    };
    if bot_len % 4 != 0 || u64::from(bot_len) > file_len.saturating_sub(pos) {
        return Err(PixelError::Malformed(format!(
            "Basic Offset Table of {bot_len} bytes"
        )));
    }
    let mut bot_bytes = vec![0u8; bot_len as usize];
    reader
        .read_exact(&mut bot_bytes)
        .map_err(|_| PixelError::Truncated("Basic Offset Table".into()))?;
    pos = pos.saturating_add(u64::from(bot_len));
    let bot: Vec<u32> = bot_bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let mut fragments = Vec::new();
    loop {
        if pos >= file_len {
            break; // the end of the file, or of a defined-length value
        }
        match read_item(&mut reader, &mut pos)? {
            None => break, // no sequence delimiter: tolerated when every fragment is complete
            Some((0xFFFE, 0xE0DD, _)) => break,
            Some((0xFFFE, 0xE000, len)) => {
                if u64::from(len) > file_len.saturating_sub(pos) {
                    return Err(PixelError::Truncated(format!(
                        "fragment {} claims {len} bytes",
                        fragments.len()
                    )));
                }
                if fragments.len() >= MAX_FRAGMENTS {
                    return Err(PixelError::TooLarge(format!(
                        "more than {MAX_FRAGMENTS} fragments"
                    )));
                }
                fragments.push(Fragment {
                    offset: pos,
                    length: len,
                });
                reader.seek_relative(i64::from(len))?;
                pos = pos.saturating_add(u64::from(len));
            }
            Some((g, e, _)) => {
                return Err(PixelError::Malformed(format!(
                    "unexpected ({g:04X},{e:04X}) among pixel data fragments"
                )));
            }
        }
    }
    if fragments.is_empty() {
        return Err(PixelError::Malformed(
            "encapsulated Pixel Data without fragments".into(),
        ));
    }
    Ok((bot, fragments))
}

/// Encapsulated Pixel Data under a native transfer syntax (a mislabelled file; PS3.5 A.4 allows
/// encapsulation only under the compressed syntaxes): the first fragment's codestream says what
/// the data really is (`codec::identify_codestream`), and the frames are decoded as that, through
/// the same decoders and their codestream-size check. A stream that is none of them is refused
/// ([`PixelError::UnrecognisedCodestream`]), never shown.
fn identify_mislabelled(
    file: &File,
    info: &mut ImageInfo,
    fragments: &[Fragment],
) -> Result<(), PixelError> {
    /// Enough of a codestream for its markers before the first SOF / SIZ (tables included).
    const SNIFF_BYTES: u32 = 64 * 1024;
    let first = fragments
        .first()
        .ok_or_else(|| PixelError::Malformed("encapsulated Pixel Data without fragments".into()))?;
    let mut head = vec![0u8; first.length.min(SNIFF_BYTES) as usize];
    file.read_exact_at(&mut head, first.offset)?;
    let (actual, found) = codec::identify_codestream(&head, info).ok_or_else(|| {
        PixelError::UnrecognisedCodestream {
            declared: info.transfer_syntax.clone(),
        }
    })?;
    let declared = transfer_syntax_name(&info.transfer_syntax);
    info.transfer_syntax = actual.to_string();
    info.lossy |= crate::info::LOSSY_SYNTAXES.contains(&actual);
    info.notes
        .push(crate::notes::DisplayNote::MislabelledTransferSyntax { declared, found });
    Ok(())
}

/// The name of a transfer syntax (PS3.6 Table A-1) Lucent reads.
pub fn transfer_syntax_name(uid: &str) -> &'static str {
    match uid {
        "1.2.840.10008.1.2" => "Implicit VR Little Endian",
        "1.2.840.10008.1.2.1" => "Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.98" => "Encapsulated Uncompressed Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.99" => "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.2" => "Explicit VR Big Endian (retired)",
        "1.2.840.10008.1.2.4.50" => "JPEG Baseline (Process 1)",
        "1.2.840.10008.1.2.4.51" => "JPEG Extended (Process 2 & 4)",
        "1.2.840.10008.1.2.4.57" => "JPEG Lossless (Process 14)",
        "1.2.840.10008.1.2.4.70" => "JPEG Lossless SV1 (Process 14, Selection Value 1)",
        "1.2.840.10008.1.2.4.80" => "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81" => "JPEG-LS Near-Lossless",
        "1.2.840.10008.1.2.4.90" => "JPEG 2000 Lossless Only",
        "1.2.840.10008.1.2.4.91" => "JPEG 2000",
        "1.2.840.10008.1.2.4.201" => "HTJ2K Lossless Only",
        "1.2.840.10008.1.2.4.202" => "HTJ2K Lossless RPCL",
        "1.2.840.10008.1.2.4.203" => "HTJ2K",
        "1.2.840.10008.1.2.5" => "RLE Lossless",
        "1.2.840.10008.1.2.8.1" => "Deflated Image Frame Compression",
        _ => "other",
    }
}

/// A defined-length Pixel Data value under a native syntax that holds items with a known
/// codestream (a mislabelled file written with the fragments' total length; as native data it
/// is noise, or too short and refused as truncated): its fragments, with `info` switched to the
/// codestream's syntax. `None` when the value does not start with an item, its items do not
/// fill it, or the codestream is none Lucent knows — then it is read as native data and `info`
/// is unchanged ([`identify_mislabelled`] changes it only once the codestream is known). Only
/// little-endian, non-deflated data sets (PS3.5 A.4: encapsulation is little endian).
fn mislabelled_defined_length(
    file: &File,
    info: &mut ImageInfo,
    value_offset: u64,
    length: u64,
    file_len: u64,
) -> Option<(Vec<u32>, Vec<Fragment>)> {
    let mut tag = [0u8; 4];
    file.read_exact_at(&mut tag, value_offset).ok()?;
    if tag != [0xFE, 0xFF, 0x00, 0xE0] {
        return None;
    }
    let end = value_offset.checked_add(length)?.min(file_len);
    let fragments = scan_fragments(file, end, value_offset).ok()?;
    identify_mislabelled(file, info, &fragments.1).ok()?;
    Some(fragments)
}

/// Assigns fragments to frames (see the module docs).
fn assign_fragments(
    file: &File,
    info: &ImageInfo,
    (bot, fragments): (Vec<u32>, Vec<Fragment>),
) -> Result<Vec<Vec<Fragment>>, PixelError> {
    let frames = info.frames as usize;
    if fragments.len() == frames {
        return Ok(fragments.into_iter().map(|f| vec![f]).collect());
    }
    if frames == 1 {
        return Ok(vec![fragments]);
    }
    // Offsets in both tables count from the first fragment's item tag (PS3.5 A.4).
    // Every fragment's data follows its 8-byte item header, at or after the first's.
    let base = fragments[0].offset.saturating_sub(8);
    let by_offsets = |offsets: &[u64]| -> Option<Vec<Vec<Fragment>>> {
        if offsets.len() != frames || offsets.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        let mut out = vec![Vec::new(); frames];
        for f in &fragments {
            let rel = f.offset.saturating_sub(8).saturating_sub(base);
            let k = offsets.partition_point(|&o| o <= rel).checked_sub(1)?;
            out[k].push(*f);
        }
        out.iter().all(|v| !v.is_empty()).then_some(out)
    };
    if let Some((offsets, _)) = &info.extended_offsets
        && let Some(out) = by_offsets(offsets)
    {
        return Ok(out);
    }
    if !bot.is_empty() {
        let offsets: Vec<u64> = bot.iter().map(|&o| u64::from(o)).collect();
        if let Some(out) = by_offsets(&offsets) {
            return Ok(out);
        }
    }
    // No usable table: a new frame starts at each fragment that begins with a codec marker.
    let mut out: Vec<Vec<Fragment>> = Vec::new();
    for f in &fragments {
        let mut head = [0u8; 12];
        let n = (f.length as usize).min(12);
        file.read_exact_at(&mut head[..n], f.offset)?;
        let starts = head.starts_with(&[0xFF, 0xD8])
            || head.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
            || head.starts_with(&[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50]);
        match out.last_mut() {
            Some(current) if !starts => current.push(*f),
            _ => out.push(vec![*f]),
        }
    }
    if out.len() == frames {
        return Ok(out);
    }
    Err(PixelError::Malformed(format!(
        "{} fragments cannot be assigned to {frames} frames (no usable offset table)",
        fragments.len()
    )))
}
