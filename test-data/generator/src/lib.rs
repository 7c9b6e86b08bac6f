//! Synthetic, realistic DICOM phantoms for tests, benchmarks and the bundled sample study.
//!
//! Everything here is generated: no patient data, names like `PHANTOM^CT`, UIDs under the
//! `2.25` root derived deterministically from a seed (PS3.5 B.2), so the same call writes the
//! same bytes. Files are written with dicom-object, an encoder independent of Lucent's header
//! reader, so tests that index them check Lucent against another implementation.
//!
//! What exists: a CT phantom series (512×512, signed 16-bit, HU through rescale, real geometry,
//! window presets), an MR series (sagittal, unsigned 12-bit), an enhanced multi-frame MR with
//! per-frame functional groups, an RGB ultrasound image, a 4000×5000 radiograph, geometry traps
//! (shuffled files, misleading InstanceNumber, interleaved stacks, gantry tilt), character-set
//! samples (PS3.5 Annexes H–K), a DICOMDIR, and junk; and the hostile-input corpus
//! ([`malformed`]).

pub mod malformed;
pub mod reference;

use dicom_core::value::{DataSetSequence, PrimitiveValue};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use std::io;
use std::path::{Path, PathBuf};

/// SOP Class UIDs used by the phantoms (PS3.4 B.5).
pub mod sop_class {
    /// CT Image Storage.
    pub const CT_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
    /// MR Image Storage.
    pub const MR_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.4";
    /// Enhanced MR Image Storage.
    pub const ENHANCED_MR_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.4.1";
    /// Ultrasound Multi-frame Image Storage.
    pub const US_MULTIFRAME_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.3.1";
    /// Ultrasound Image Storage.
    pub const US_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.6.1";
    /// Digital X-Ray Image Storage - For Presentation.
    pub const DX_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.1.1";
    /// Computed Radiography Image Storage.
    pub const CR_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.1";
    /// RT Image Storage.
    pub const RT_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.481.1";
    /// Basic Text SR Storage (no pixel data).
    pub const BASIC_TEXT_SR: &str = "1.2.840.10008.5.1.4.1.1.88.11";
    /// Secondary Capture Image Storage.
    pub const SECONDARY_CAPTURE: &str = "1.2.840.10008.5.1.4.1.1.7";
    /// Media Storage Directory Storage (DICOMDIR).
    pub const MEDIA_STORAGE_DIRECTORY: &str = "1.2.840.10008.1.3.10";
}

/// Transfer syntaxes the generator writes.
pub mod transfer_syntax {
    /// Explicit VR Little Endian.
    pub const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
    /// Implicit VR Little Endian.
    pub const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
    /// Explicit VR Big Endian (retired, PS3.5 A.3): dicom-object writes its sequences and items
    /// with undefined length and big-endian delimiters.
    pub const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
}

/// A deterministic UID under the `2.25` root (a UUID-derived UID, PS3.5 B.2).
pub fn uid(seed: u64, parts: &[u64]) -> String {
    let mut h: u128 = 0x6a09_e667_f3bc_c908_b2fb_1366_ea95_7d01 ^ u128::from(seed);
    for &p in parts {
        h ^= u128::from(splitmix(p ^ (h as u64)));
        h = h.wrapping_mul(0x2d35_8dcc_aa6c_78a5_8bb8_4b93_962e_acc9);
        h ^= h >> 61;
    }
    format!("2.25.{}", h >> 2)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A small deterministic PRNG for shuffles and noise.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        splitmix(self.0)
    }
    /// A value in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}

/// Pixel data of an image, all frames concatenated.
#[derive(Debug, Clone)]
pub enum Pixels {
    /// MONOCHROME2, 16 bits allocated.
    Mono16 {
        /// Pixel Representation 1.
        signed: bool,
        /// Bits Stored.
        bits_stored: u16,
        /// Stored values (two's complement bit patterns when signed).
        values: Vec<u16>,
    },
    /// MONOCHROME2, 8 bits.
    Mono8(Vec<u8>),
    /// RGB, 8 bits, planar configuration 0 (R G B R G B ...).
    Rgb8(Vec<u8>),
    /// MONOCHROME2 Float Pixel Data (7FE0,0008), 32-bit IEEE floats (PS3.3 C.7.6.24).
    Float32(Vec<f32>),
}

/// Everything written into one file. Text fields are raw bytes in `specific_character_set`.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// SOP Class UID.
    pub sop_class_uid: &'static str,
    /// SOP Instance UID.
    pub sop_instance_uid: String,
    /// Study Instance UID.
    pub study_instance_uid: String,
    /// Series Instance UID.
    pub series_instance_uid: String,
    /// Frame of Reference UID.
    pub frame_of_reference_uid: Option<String>,
    /// Transfer syntax of the data set.
    pub transfer_syntax: &'static str,
    /// Modality.
    pub modality: &'static str,
    /// Specific Character Set values (joined with `\`).
    pub specific_character_set: Option<String>,
    /// Patient's Name, raw bytes.
    pub patient_name: Vec<u8>,
    /// Patient ID, raw bytes.
    pub patient_id: Vec<u8>,
    /// Patient's Birth Date.
    pub patient_birth_date: Option<String>,
    /// Patient's Sex.
    pub patient_sex: Option<String>,
    /// Study Date.
    pub study_date: Option<String>,
    /// Study Time.
    pub study_time: Option<String>,
    /// Study Description, raw bytes.
    pub study_description: Vec<u8>,
    /// Series Description, raw bytes.
    pub series_description: Vec<u8>,
    /// Institution Name, raw bytes.
    pub institution_name: Vec<u8>,
    /// Accession Number.
    pub accession_number: Option<String>,
    /// Series Number.
    pub series_number: Option<i32>,
    /// Instance Number.
    pub instance_number: Option<i32>,
    /// Acquisition Number.
    pub acquisition_number: Option<i32>,
    /// Image Position (Patient).
    pub position: Option<[f64; 3]>,
    /// Image Orientation (Patient).
    pub orientation: Option<[f64; 6]>,
    /// Pixel Spacing (row, column).
    pub pixel_spacing: Option<[f64; 2]>,
    /// Imager Pixel Spacing (0018,1164), at the detector (projection radiography).
    pub imager_pixel_spacing: Option<[f64; 2]>,
    /// Slice Thickness.
    pub slice_thickness: Option<f64>,
    /// Slice Location.
    pub slice_location: Option<f64>,
    /// Gantry/Detector Tilt (0018,1120).
    pub gantry_tilt: Option<f64>,
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub columns: u16,
    /// Number of Frames; written when > 1 or when `per_frame_positions` is set.
    pub frames: u32,
    /// Pixels, all frames.
    pub pixels: Pixels,
    /// Rescale slope and intercept.
    pub rescale: Option<(f64, f64)>,
    /// Window presets: centre, width, explanation.
    pub windows: Vec<(f64, f64, &'static str)>,
    /// Pixel Padding Value (signed images).
    pub pixel_padding_value: Option<i16>,
    /// Photometric Interpretation override for monochrome data (e.g. `MONOCHROME1`).
    pub photometric_override: Option<&'static str>,
    /// Enhanced multi-frame: a position per frame in the Per-frame Functional Groups, with the
    /// orientation and pixel spacing in the Shared Functional Groups (PS3.3 C.7.6.16).
    pub per_frame_positions: Option<Vec<[f64; 3]>>,
    /// Frame Time (0018,1063) in ms, with Frame Increment Pointer naming it (PS3.3 C.7.6.5).
    pub frame_time_ms: Option<f64>,
    /// One calibrated 2-D ultrasound region (PS3.3 C.8.5.5): inclusive bounds [x0, y0, x1, y1]
    /// and the physical size of a pixel in cm (both directions).
    pub ultrasound_region: Option<([u32; 4], f64)>,
    /// Overlay planes (PS3.3 C.9.2, C.9.3).
    pub overlays: Vec<OverlaySpec>,
    /// One VOI LUT Sequence item (PS3.3 C.11.2): LUT Descriptor values *as written* (a
    /// malformed descriptor may have other than 3) and LUT Data.
    pub voi_lut: Option<(Vec<u16>, Vec<u16>)>,
}

/// One overlay plane of a phantom (PS3.3 C.9.2 Overlay Plane, C.9.3 Multi-frame Overlay).
#[derive(Debug, Clone)]
pub struct OverlaySpec {
    /// Its group, 0x6000–0x601E (even).
    pub group: u16,
    /// Overlay Rows.
    pub rows: u16,
    /// Overlay Columns.
    pub columns: u16,
    /// Overlay Origin, 1-based row\column (may be negative or outside the image).
    pub origin: [i16; 2],
    /// Overlay Type `R` (region of interest) instead of `G` (graphics).
    pub region_of_interest: bool,
    /// A multi-frame overlay: Number of Frames in Overlay and Image Frame Origin (1-based).
    pub frames: Option<(u32, u16)>,
    /// Where the bits are.
    pub bits: OverlayBits,
}

/// Where an overlay plane's bits are written.
#[derive(Debug, Clone)]
pub enum OverlayBits {
    /// Overlay Data (60xx,3000), packed little endian (PS3.5 8.1.2): one flag per pixel,
    /// row-major, frames one after the other.
    Separate(Vec<bool>),
    /// The retired form: bit `bit_position` of every Pixel Data sample, Overlay Bits Allocated
    /// = 16. The pixel values must carry the bits (see [`set_overlay_bits`]).
    InPixelData {
        /// Overlay Bit Position.
        bit_position: u16,
    },
}

/// Sets bit `bit` of each 16-bit value whose flag is set (an overlay in Pixel Data).
pub fn set_overlay_bits(values: &mut [u16], bit: u16, flags: &[bool]) {
    for (v, &f) in values.iter_mut().zip(flags) {
        if f {
            *v |= 1 << bit;
        }
    }
}

/// Packs flags one bit each, first flag in the least significant bit of the first byte (PS3.5
/// 8.1.2), padded to an even length.
fn pack_bits(flags: &[bool]) -> Vec<u8> {
    let mut bytes = vec![0u8; flags.len().div_ceil(8)];
    for (i, _) in flags.iter().enumerate().filter(|(_, f)| **f) {
        bytes[i / 8] |= 1 << (i % 8);
    }
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    bytes
}

impl OverlaySpec {
    fn put(&self, o: &mut InMemDicomObject) {
        let tag = |element| Tag(self.group, element);
        put_us(o, tag(0x0010), self.rows);
        put_us(o, tag(0x0011), self.columns);
        put_str(
            o,
            tag(0x0040),
            VR::CS,
            if self.region_of_interest { "R" } else { "G" },
        );
        o.put(DataElement::new(
            tag(0x0050),
            VR::SS,
            PrimitiveValue::I16(self.origin.into()),
        ));
        if let Some((frames, image_frame_origin)) = self.frames {
            put_str(o, tag(0x0015), VR::IS, &frames.to_string());
            put_us(o, tag(0x0051), image_frame_origin);
        }
        match &self.bits {
            OverlayBits::Separate(flags) => {
                put_us(o, tag(0x0100), 1);
                put_us(o, tag(0x0102), 0);
                o.put(DataElement::new(
                    tag(0x3000),
                    VR::OW,
                    PrimitiveValue::U8(pack_bits(flags).into()),
                ));
            }
            OverlayBits::InPixelData { bit_position } => {
                put_us(o, tag(0x0100), 16);
                put_us(o, tag(0x0102), *bit_position);
            }
        }
    }
}

impl ImageSpec {
    /// A 16-bit CT-like image with the given identity; other fields neutral.
    pub fn new(
        study_instance_uid: String,
        series_instance_uid: String,
        sop_instance_uid: String,
    ) -> Self {
        ImageSpec {
            sop_class_uid: sop_class::CT_IMAGE,
            sop_instance_uid,
            study_instance_uid,
            series_instance_uid,
            frame_of_reference_uid: None,
            transfer_syntax: transfer_syntax::EXPLICIT_LE,
            modality: "CT",
            specific_character_set: None,
            patient_name: b"PHANTOM^CT".to_vec(),
            patient_id: b"PHANTOM-0001".to_vec(),
            patient_birth_date: None,
            patient_sex: Some("O".into()),
            study_date: Some("20260101".into()),
            study_time: Some("120000".into()),
            study_description: b"PHANTOM STUDY".to_vec(),
            series_description: Vec::new(),
            institution_name: Vec::new(),
            accession_number: None,
            series_number: Some(1),
            instance_number: Some(1),
            acquisition_number: None,
            position: None,
            orientation: None,
            pixel_spacing: None,
            imager_pixel_spacing: None,
            slice_thickness: None,
            slice_location: None,
            gantry_tilt: None,
            rows: 16,
            columns: 16,
            frames: 1,
            pixels: Pixels::Mono16 {
                signed: false,
                bits_stored: 12,
                values: vec![0; 256],
            },
            rescale: None,
            windows: Vec::new(),
            pixel_padding_value: None,
            photometric_override: None,
            per_frame_positions: None,
            frame_time_ms: None,
            ultrasound_region: None,
            overlays: Vec::new(),
            voi_lut: None,
        }
    }

    /// Writes the file.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        self.write_object(self.to_object(), path)
    }

    /// Writes `obj` (this spec's data set, perhaps with attributes added) with this spec's meta.
    fn write_object(&self, obj: InMemDicomObject, path: &Path) -> io::Result<()> {
        let file = obj
            .with_meta(
                FileMetaTableBuilder::new()
                    .transfer_syntax(self.transfer_syntax)
                    .media_storage_sop_class_uid(self.sop_class_uid)
                    .media_storage_sop_instance_uid(self.sop_instance_uid.as_str())
                    .implementation_class_uid("2.25.90467021155437427152617232389131460001")
                    .implementation_version_name("LUCENT_TESTDATA"),
            )
            .map_err(io::Error::other)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        file.write_to_file(path).map_err(io::Error::other)
    }

    fn to_object(&self) -> InMemDicomObject {
        let mut o = InMemDicomObject::new_empty();
        if let Some(cs) = &self.specific_character_set {
            put_str(&mut o, tags::SPECIFIC_CHARACTER_SET, VR::CS, cs);
        }
        let image_type = if self.modality == "US" {
            "ORIGINAL\\PRIMARY"
        } else {
            "ORIGINAL\\PRIMARY\\AXIAL"
        };
        put_str(&mut o, tags::IMAGE_TYPE, VR::CS, image_type);
        put_str(&mut o, tags::SOP_CLASS_UID, VR::UI, self.sop_class_uid);
        put_str(
            &mut o,
            tags::SOP_INSTANCE_UID,
            VR::UI,
            &self.sop_instance_uid,
        );
        opt_str(&mut o, tags::STUDY_DATE, VR::DA, self.study_date.as_deref());
        opt_str(&mut o, tags::STUDY_TIME, VR::TM, self.study_time.as_deref());
        opt_str(
            &mut o,
            tags::ACCESSION_NUMBER,
            VR::SH,
            self.accession_number.as_deref(),
        );
        put_str(&mut o, tags::MODALITY, VR::CS, self.modality);
        put_raw(
            &mut o,
            tags::INSTITUTION_NAME,
            VR::LO,
            &self.institution_name,
        );
        put_raw(
            &mut o,
            tags::STUDY_DESCRIPTION,
            VR::LO,
            &self.study_description,
        );
        put_raw(
            &mut o,
            tags::SERIES_DESCRIPTION,
            VR::LO,
            &self.series_description,
        );
        put_raw(&mut o, tags::PATIENT_NAME, VR::PN, &self.patient_name);
        put_raw(&mut o, tags::PATIENT_ID, VR::LO, &self.patient_id);
        opt_str(
            &mut o,
            tags::PATIENT_BIRTH_DATE,
            VR::DA,
            self.patient_birth_date.as_deref(),
        );
        opt_str(
            &mut o,
            tags::PATIENT_SEX,
            VR::CS,
            self.patient_sex.as_deref(),
        );
        if let Some(t) = self.slice_thickness {
            put_str(&mut o, tags::SLICE_THICKNESS, VR::DS, &ds(&[t]));
        }
        if let Some(t) = self.gantry_tilt {
            put_str(&mut o, tags::GANTRY_DETECTOR_TILT, VR::DS, &ds(&[t]));
        }
        put_str(
            &mut o,
            tags::STUDY_INSTANCE_UID,
            VR::UI,
            &self.study_instance_uid,
        );
        put_str(
            &mut o,
            tags::SERIES_INSTANCE_UID,
            VR::UI,
            &self.series_instance_uid,
        );
        put_str(&mut o, tags::STUDY_ID, VR::SH, "1");
        if let Some(n) = self.series_number {
            put_str(&mut o, tags::SERIES_NUMBER, VR::IS, &n.to_string());
        }
        if let Some(n) = self.acquisition_number {
            put_str(&mut o, tags::ACQUISITION_NUMBER, VR::IS, &n.to_string());
        }
        if let Some(n) = self.instance_number {
            put_str(&mut o, tags::INSTANCE_NUMBER, VR::IS, &n.to_string());
        }
        if self.per_frame_positions.is_none() {
            if let Some(p) = self.position {
                put_str(&mut o, tags::IMAGE_POSITION_PATIENT, VR::DS, &ds(&p));
            }
            if let Some(r) = self.orientation {
                put_str(&mut o, tags::IMAGE_ORIENTATION_PATIENT, VR::DS, &ds(&r));
            }
        }
        opt_str(
            &mut o,
            tags::FRAME_OF_REFERENCE_UID,
            VR::UI,
            self.frame_of_reference_uid.as_deref(),
        );
        if let Some(l) = self.slice_location {
            put_str(&mut o, tags::SLICE_LOCATION, VR::DS, &ds(&[l]));
        }
        let (samples, photometric, bits_allocated, bits_stored, signed, bytes) = match &self.pixels
        {
            Pixels::Mono16 {
                signed,
                bits_stored,
                values,
            } => {
                let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                (1u16, "MONOCHROME2", 16u16, *bits_stored, *signed, bytes)
            }
            Pixels::Mono8(v) => (1, "MONOCHROME2", 8, 8, false, v.clone()),
            Pixels::Rgb8(v) => (3, "RGB", 8, 8, false, v.clone()),
            Pixels::Float32(v) => (
                1,
                "MONOCHROME2",
                32,
                32,
                false,
                v.iter().flat_map(|f| f.to_le_bytes()).collect(),
            ),
        };
        let float = matches!(self.pixels, Pixels::Float32(_));
        put_us(&mut o, tags::SAMPLES_PER_PIXEL, samples);
        put_str(
            &mut o,
            tags::PHOTOMETRIC_INTERPRETATION,
            VR::CS,
            photometric,
        );
        if samples == 3 {
            put_us(&mut o, tags::PLANAR_CONFIGURATION, 0);
        }
        if self.frames > 1 || self.per_frame_positions.is_some() {
            put_str(
                &mut o,
                tags::NUMBER_OF_FRAMES,
                VR::IS,
                &self.frames.to_string(),
            );
        }
        if let Some(([x0, y0, x1, y1], cm)) = self.ultrasound_region {
            let mut r = InMemDicomObject::new_empty();
            put_us(&mut r, tags::REGION_SPATIAL_FORMAT, 1);
            put_us(&mut r, tags::REGION_DATA_TYPE, 1);
            for (tag, v) in [
                (tags::REGION_LOCATION_MIN_X0, x0),
                (tags::REGION_LOCATION_MIN_Y0, y0),
                (tags::REGION_LOCATION_MAX_X1, x1),
                (tags::REGION_LOCATION_MAX_Y1, y1),
            ] {
                r.put(DataElement::new(tag, VR::UL, PrimitiveValue::from(v)));
            }
            put_us(&mut r, tags::PHYSICAL_UNITS_X_DIRECTION, 3);
            put_us(&mut r, tags::PHYSICAL_UNITS_Y_DIRECTION, 3);
            for tag in [tags::PHYSICAL_DELTA_X, tags::PHYSICAL_DELTA_Y] {
                r.put(DataElement::new(tag, VR::FD, PrimitiveValue::from(cm)));
            }
            o.put(sequence(tags::SEQUENCE_OF_ULTRASOUND_REGIONS, vec![r]));
        }
        if let Some(ms) = self.frame_time_ms {
            put_str(&mut o, tags::FRAME_TIME, VR::DS, &ds(&[ms]));
            o.put(DataElement::new(
                tags::FRAME_INCREMENT_POINTER,
                VR::AT,
                PrimitiveValue::from(tags::FRAME_TIME),
            ));
        }
        if let Some(s) = self.imager_pixel_spacing {
            put_str(&mut o, tags::IMAGER_PIXEL_SPACING, VR::DS, &ds(&s));
        }
        put_us(&mut o, tags::ROWS, self.rows);
        put_us(&mut o, tags::COLUMNS, self.columns);
        if self.per_frame_positions.is_none()
            && let Some(s) = self.pixel_spacing
        {
            put_str(&mut o, tags::PIXEL_SPACING, VR::DS, &ds(&s));
        }
        put_us(&mut o, tags::BITS_ALLOCATED, bits_allocated);
        if !float {
            // Float Pixel Data has no Bits Stored, High Bit or Pixel Representation (C.7.6.24).
            put_us(&mut o, tags::BITS_STORED, bits_stored);
            put_us(&mut o, tags::HIGH_BIT, bits_stored - 1);
            put_us(&mut o, tags::PIXEL_REPRESENTATION, u16::from(signed));
        }
        if let Some(p) = self.pixel_padding_value {
            o.put(DataElement::new(
                tags::PIXEL_PADDING_VALUE,
                VR::SS,
                PrimitiveValue::from(p),
            ));
        }
        if !self.windows.is_empty() {
            let centres: Vec<f64> = self.windows.iter().map(|w| w.0).collect();
            let widths: Vec<f64> = self.windows.iter().map(|w| w.1).collect();
            let names: Vec<&str> = self.windows.iter().map(|w| w.2).collect();
            put_str(&mut o, tags::WINDOW_CENTER, VR::DS, &ds(&centres));
            put_str(&mut o, tags::WINDOW_WIDTH, VR::DS, &ds(&widths));
            put_str(
                &mut o,
                tags::WINDOW_CENTER_WIDTH_EXPLANATION,
                VR::LO,
                &names.join("\\"),
            );
        }
        if let Some((descriptor, data)) = &self.voi_lut {
            let mut lut = InMemDicomObject::new_empty();
            lut.put(DataElement::new(
                tags::LUT_DESCRIPTOR,
                VR::US,
                PrimitiveValue::U16(descriptor.clone().into()),
            ));
            lut.put(DataElement::new(
                tags::LUT_DATA,
                VR::OW,
                PrimitiveValue::U16(data.clone().into()),
            ));
            o.put(sequence(tags::VOILUT_SEQUENCE, vec![lut]));
        }
        if let Some((slope, intercept)) = self.rescale {
            put_str(&mut o, tags::RESCALE_INTERCEPT, VR::DS, &ds(&[intercept]));
            put_str(&mut o, tags::RESCALE_SLOPE, VR::DS, &ds(&[slope]));
            put_str(
                &mut o,
                tags::RESCALE_TYPE,
                VR::LO,
                if self.modality == "CT" { "HU" } else { "US" },
            );
        }
        if let Some(positions) = &self.per_frame_positions {
            let mut shared = InMemDicomObject::new_empty();
            if let Some(r) = self.orientation {
                shared.put(sequence(
                    tags::PLANE_ORIENTATION_SEQUENCE,
                    vec![item(tags::IMAGE_ORIENTATION_PATIENT, &ds(&r))],
                ));
            }
            if let Some(s) = self.pixel_spacing {
                shared.put(sequence(
                    tags::PIXEL_MEASURES_SEQUENCE,
                    vec![item(tags::PIXEL_SPACING, &ds(&s))],
                ));
            }
            o.put(sequence(
                tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
                vec![shared],
            ));
            let per_frame = positions
                .iter()
                .map(|p| {
                    let mut group = InMemDicomObject::new_empty();
                    group.put(sequence(
                        tags::PLANE_POSITION_SEQUENCE,
                        vec![item(tags::IMAGE_POSITION_PATIENT, &ds(p))],
                    ));
                    group
                })
                .collect();
            o.put(sequence(
                tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
                per_frame,
            ));
        }
        for overlay in &self.overlays {
            overlay.put(&mut o);
        }
        let vr = if float {
            VR::OF
        } else if bits_allocated == 16 {
            VR::OW
        } else {
            VR::OB
        };
        let mut bytes = bytes;
        if bytes.len() % 2 == 1 {
            bytes.push(0);
        }
        let pixel_tag = if float {
            tags::FLOAT_PIXEL_DATA
        } else {
            tags::PIXEL_DATA
        };
        o.put(DataElement::new(
            pixel_tag,
            vr,
            PrimitiveValue::U8(bytes.into()),
        ));
        o
    }
}

fn item(tag: Tag, value: &str) -> InMemDicomObject {
    let mut o = InMemDicomObject::new_empty();
    put_str(&mut o, tag, VR::DS, value);
    o
}

fn sequence(tag: Tag, items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::SQ, DataSetSequence::new(items, Length::UNDEFINED))
}

/// Formats decimal strings (DS) within 16 characters each.
fn ds(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| {
            let s = format!("{v:.6}");
            let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
            // Six decimals would lose a small value such as a dose image's Rescale Slope 5.6e-6:
            // write those with an exponent (DS allows it, PS3.5 6.2).
            let lossy =
                v.abs() >= 1e-12 && ((s.parse::<f64>().unwrap_or(0.0) - v) / v).abs() > 1e-3;
            let s = if lossy { format!("{v:e}") } else { s };
            let s = if s == "-0" { "0".to_string() } else { s };
            s.chars().take(16).collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\\")
}

fn put_str(o: &mut InMemDicomObject, tag: Tag, vr: VR, value: &str) {
    o.put(DataElement::new(tag, vr, PrimitiveValue::from(value)));
}

fn opt_str(o: &mut InMemDicomObject, tag: Tag, vr: VR, value: Option<&str>) {
    if let Some(v) = value {
        put_str(o, tag, vr, v);
    }
}

/// Writes raw bytes (already encoded in the Specific Character Set), padded with a space.
fn put_raw(o: &mut InMemDicomObject, tag: Tag, vr: VR, value: &[u8]) {
    if value.is_empty() {
        return;
    }
    let mut bytes = value.to_vec();
    if bytes.len() % 2 == 1 {
        bytes.push(b' ');
    }
    o.put(DataElement::new(tag, vr, PrimitiveValue::U8(bytes.into())));
}

fn put_us(o: &mut InMemDicomObject, tag: Tag, value: u16) {
    o.put(DataElement::new(tag, VR::US, PrimitiveValue::from(value)));
}

/// Axial orientation: rows along +x, columns along +y (PS3.3 C.7.6.2.1.1).
pub const AXIAL: [f64; 6] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
/// Sagittal orientation: rows along +y, columns along -z.
pub const SAGITTAL: [f64; 6] = [0.0, 1.0, 0.0, 0.0, 0.0, -1.0];
/// Coronal orientation: rows along +x, columns along -z.
pub const CORONAL: [f64; 6] = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0];

/// Hounsfield values of the CT phantom's materials.
pub mod hu {
    /// Air.
    pub const AIR: i32 = -1000;
    /// Lung parenchyma.
    pub const LUNG: i32 = -850;
    /// Fat.
    pub const FAT: i32 = -100;
    /// Water / soft tissue background.
    pub const SOFT_TISSUE: i32 = 40;
    /// Liver-like insert.
    pub const LIVER: i32 = 60;
    /// Contrast-enhanced vessel.
    pub const VESSEL: i32 = 300;
    /// Cortical bone.
    pub const BONE: i32 = 1000;
}

/// Stored value written outside the reconstruction circle (Pixel Padding Value).
pub const CT_PADDING: i16 = -2000;
/// Rescale intercept of the CT phantom: HU = stored - 1024.
pub const CT_INTERCEPT: f64 = -1024.0;

/// The Hounsfield value of the CT phantom at pixel (x, y) of a `size`² slice at height z (mm).
/// An elliptical body (fat rim, soft tissue), two lungs, a spine, a liver and an aorta whose
/// sizes change with z, so that every slice differs and geometry mistakes show.
pub fn ct_phantom_hu(x: usize, y: usize, size: usize, z_mm: f64) -> Option<i32> {
    let c = size as f64 / 2.0;
    let u = (x as f64 + 0.5 - c) / c; // -1..1
    let v = (y as f64 + 0.5 - c) / c;
    if u * u + v * v > 1.0 {
        return None; // outside the reconstruction circle: padding
    }
    let inside = |cx: f64, cy: f64, rx: f64, ry: f64| {
        ((u - cx) / rx).powi(2) + ((v - cy) / ry).powi(2) <= 1.0
    };
    let phase = (z_mm / 40.0).sin();
    if !inside(0.0, 0.0, 0.85, 0.62) {
        return Some(hu::AIR);
    }
    if !inside(0.0, 0.0, 0.80, 0.57) {
        return Some(hu::FAT);
    }
    if inside(0.0, 0.42, 0.09, 0.09) {
        return Some(hu::BONE);
    }
    if inside(0.12, 0.22, 0.05 + 0.01 * phase, 0.05 + 0.01 * phase) {
        return Some(hu::VESSEL);
    }
    let lung_r = 0.20 + 0.06 * phase;
    if inside(-0.40, -0.05, lung_r, 0.30) || inside(0.40, -0.05, lung_r, 0.30) {
        return Some(hu::LUNG);
    }
    if inside(-0.30, 0.25, 0.25 - 0.05 * phase, 0.18) {
        return Some(hu::LIVER);
    }
    Some(hu::SOFT_TISSUE)
}

/// One CT phantom slice as signed stored values (two's complement in u16).
pub fn ct_slice_values(size: usize, z_mm: f64) -> Vec<u16> {
    let mut values = Vec::with_capacity(size * size);
    for y in 0..size {
        for x in 0..size {
            let stored = match ct_phantom_hu(x, y, size, z_mm) {
                Some(h) => (h - CT_INTERCEPT as i32) as i16,
                None => CT_PADDING,
            };
            values.push(stored as u16);
        }
    }
    values
}

/// How Instance Numbers are assigned in a generated series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbering {
    /// 1..N following the geometry (inferior to superior).
    FollowsGeometry,
    /// N..1: InstanceNumber runs against the geometry.
    Reversed,
    /// A random permutation: InstanceNumber says nothing.
    Random,
}

/// Parameters of a CT phantom series.
#[derive(Debug, Clone)]
pub struct CtSeries {
    /// Seed for UIDs and shuffles.
    pub seed: u64,
    /// Number of slices.
    pub slices: usize,
    /// Rows and columns (square).
    pub size: u16,
    /// Distance between slices along the normal, mm.
    pub spacing_mm: f64,
    /// Gantry tilt in degrees (0 = none).
    pub tilt_degrees: f64,
    /// InstanceNumber policy.
    pub numbering: Numbering,
    /// Series Number.
    pub series_number: i32,
    /// Compute a distinct phantom slice per file (false: reuse one, for fast bulk data).
    pub distinct_pixels: bool,
}

impl Default for CtSeries {
    fn default() -> Self {
        CtSeries {
            seed: 1,
            slices: 40,
            size: 512,
            spacing_mm: 2.5,
            tilt_degrees: 0.0,
            numbering: Numbering::FollowsGeometry,
            series_number: 2,
            distinct_pixels: true,
        }
    }
}

/// Study identity shared by the series of one generated study.
#[derive(Debug, Clone)]
pub struct StudyIdentity {
    /// Study Instance UID.
    pub study_instance_uid: String,
    /// Frame of Reference UID.
    pub frame_of_reference_uid: String,
    /// Patient's Name (raw bytes).
    pub patient_name: Vec<u8>,
    /// Patient ID.
    pub patient_id: Vec<u8>,
}

impl StudyIdentity {
    /// A phantom patient and study derived from `seed`.
    pub fn phantom(seed: u64, patient_name: &str) -> Self {
        StudyIdentity {
            study_instance_uid: uid(seed, &[1]),
            frame_of_reference_uid: uid(seed, &[2]),
            patient_name: patient_name.as_bytes().to_vec(),
            patient_id: format!("PHANTOM-{seed:04}").into_bytes(),
        }
    }
}

/// One default-size (512×512) CT phantom slice for `seed`: the single image of a
/// one-slice [`ct_series_specs`] series, for tests and benchmarks that need one frame.
pub fn ct_slice_spec(study: &StudyIdentity, seed: u64) -> ImageSpec {
    let one_slice = CtSeries {
        seed,
        slices: 1,
        ..CtSeries::default()
    };
    ct_series_specs(study, &one_slice).remove(0)
}

/// Builds the specs of a CT phantom series (slice k at distance k × spacing along the normal).
pub fn ct_series_specs(study: &StudyIdentity, p: &CtSeries) -> Vec<ImageSpec> {
    let series_uid = uid(p.seed, &[3, p.series_number as u64]);
    let t = p.tilt_degrees.to_radians();
    // With gantry tilt the image plane is tilted about x: columns run along (0, cos t, sin t).
    let orientation = [1.0, 0.0, 0.0, 0.0, t.cos(), t.sin()];
    let size = usize::from(p.size);
    let pixel_mm = 350.0 / f64::from(p.size);
    let shared = (!p.distinct_pixels).then(|| ct_slice_values(size, 0.0));
    let mut numbers: Vec<i32> = (1..=p.slices as i32).collect();
    match p.numbering {
        Numbering::FollowsGeometry => {}
        Numbering::Reversed => numbers.reverse(),
        Numbering::Random => Rng::new(p.seed ^ 0x5eed).shuffle(&mut numbers),
    }
    (0..p.slices)
        .map(|k| {
            let z = -200.0 + k as f64 * p.spacing_mm;
            // The table moves along z; with tilt the plane origin shifts in y to stay on the
            // tilted plane through the isocentre line.
            let position = [-175.0, -175.0 * t.cos() - z * t.tan(), z];
            let mut s = ImageSpec::new(
                study.study_instance_uid.clone(),
                series_uid.clone(),
                uid(p.seed, &[4, p.series_number as u64, k as u64]),
            );
            s.frame_of_reference_uid = Some(study.frame_of_reference_uid.clone());
            s.patient_name = study.patient_name.clone();
            s.patient_id = study.patient_id.clone();
            s.series_description = format!("PHANTOM AXIAL {:.1}MM", p.spacing_mm).into_bytes();
            s.series_number = Some(p.series_number);
            s.instance_number = Some(numbers[k]);
            s.acquisition_number = Some(1);
            s.position = Some(position);
            s.orientation = Some(orientation);
            s.pixel_spacing = Some([pixel_mm, pixel_mm]);
            s.slice_thickness = Some(p.spacing_mm);
            s.slice_location = Some(z);
            if p.tilt_degrees != 0.0 {
                s.gantry_tilt = Some(p.tilt_degrees);
            }
            s.rows = p.size;
            s.columns = p.size;
            s.pixels = Pixels::Mono16 {
                signed: true,
                bits_stored: 16,
                values: shared.clone().unwrap_or_else(|| ct_slice_values(size, z)),
            };
            s.rescale = Some((1.0, CT_INTERCEPT));
            s.windows = vec![
                (40.0, 400.0, "SOFT TISSUE"),
                (-600.0, 1500.0, "LUNG"),
                (300.0, 1500.0, "BONE"),
            ];
            s.pixel_padding_value = Some(CT_PADDING);
            s
        })
        .collect()
}

/// Writes specs as `dir/IM00001.dcm`, ... in the order given, optionally under shuffled names.
pub fn write_all(
    dir: &Path,
    specs: &[ImageSpec],
    shuffle_names_seed: Option<u64>,
) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut names: Vec<usize> = (0..specs.len()).collect();
    if let Some(seed) = shuffle_names_seed {
        Rng::new(seed).shuffle(&mut names);
    }
    let mut paths = Vec::with_capacity(specs.len());
    for (spec, name) in specs.iter().zip(names) {
        let path = dir.join(format!("IM{:05}.dcm", name + 1));
        spec.write(&path)?;
        paths.push(path);
    }
    Ok(paths)
}

/// A sagittal MR series: 256×256 unsigned 12-bit, slices advancing along x.
pub fn mr_series_specs(study: &StudyIdentity, seed: u64, slices: usize) -> Vec<ImageSpec> {
    let series_uid = uid(seed, &[5]);
    (0..slices)
        .map(|k| {
            let x = -40.0 + k as f64 * 4.0;
            let mut s = ImageSpec::new(
                study.study_instance_uid.clone(),
                series_uid.clone(),
                uid(seed, &[6, k as u64]),
            );
            s.sop_class_uid = sop_class::MR_IMAGE;
            s.modality = "MR";
            s.frame_of_reference_uid = Some(study.frame_of_reference_uid.clone());
            s.patient_name = study.patient_name.clone();
            s.patient_id = study.patient_id.clone();
            s.series_description = b"PHANTOM T1 SAG".to_vec();
            s.series_number = Some(3);
            s.instance_number = Some(k as i32 + 1);
            s.position = Some([x, -128.0, 128.0]);
            s.orientation = Some(SAGITTAL);
            s.pixel_spacing = Some([1.0, 1.0]);
            s.slice_thickness = Some(4.0);
            s.rows = 256;
            s.columns = 256;
            let values = (0..256 * 256)
                .map(|i| {
                    let (r, c) = ((i / 256) as f64 - 128.0, (i % 256) as f64 - 128.0);
                    let d = (r * r / 1.4 + c * c).sqrt();
                    let brain = 100.0 - (x.abs() * 1.2);
                    if d < brain {
                        1800
                    } else if d < brain + 12.0 {
                        3000
                    } else {
                        40
                    }
                })
                .collect();
            s.pixels = Pixels::Mono16 {
                signed: false,
                bits_stored: 12,
                values,
            };
            s.windows = vec![(1600.0, 3200.0, "T1")];
            s
        })
        .collect()
}

/// A textured phantom: a 512×512 unsigned 12-bit MR whose every region differs from its
/// neighbours (a product of sinusoids plus noise), window 2048/4096. For the tests that prove the
/// pixel checks catch a wrong region: on a smooth phantom a moved block would look the same.
pub fn textured_phantom_spec(study: &StudyIdentity, seed: u64) -> ImageSpec {
    let mut s = mr_series_specs(study, seed, 1).remove(0);
    s.sop_instance_uid = uid(seed, &[6, 0x7e47]);
    s.series_description = b"PHANTOM TEXTURED".to_vec();
    s.rows = 512;
    s.columns = 512;
    let mut rng = Rng::new(seed ^ 0x7e47);
    let values = (0..512 * 512)
        .map(|i| {
            let (r, c) = ((i / 512) as f64, (i % 512) as f64);
            let wave = 600.0 * (c * 0.7).sin() * (r * 0.45).cos();
            let noise = rng.below(401) as f64 - 200.0;
            (2048.0 + wave + noise).clamp(0.0, 4095.0) as u16
        })
        .collect();
    s.pixels = Pixels::Mono16 {
        signed: false,
        bits_stored: 12,
        values,
    };
    s.windows = vec![(2048.0, 4096.0, "FULL")];
    s
}

/// An enhanced MR multi-frame (one file, `frames` frames) with per-frame positions.
pub fn enhanced_mr_spec(study: &StudyIdentity, seed: u64, frames: u32) -> ImageSpec {
    let mut s = ImageSpec::new(
        study.study_instance_uid.clone(),
        uid(seed, &[7]),
        uid(seed, &[8]),
    );
    s.sop_class_uid = sop_class::ENHANCED_MR_IMAGE;
    s.modality = "MR";
    s.frame_of_reference_uid = Some(study.frame_of_reference_uid.clone());
    s.patient_name = study.patient_name.clone();
    s.patient_id = study.patient_id.clone();
    s.series_description = b"PHANTOM ENHANCED MR".to_vec();
    s.series_number = Some(4);
    s.orientation = Some(CORONAL);
    s.pixel_spacing = Some([2.0, 2.0]);
    s.rows = 128;
    s.columns = 128;
    s.frames = frames;
    let positions: Vec<[f64; 3]> = (0..frames)
        .map(|f| [-128.0, -20.0 + f64::from(f) * 5.0, 128.0])
        .collect();
    s.position = positions.first().copied();
    s.per_frame_positions = Some(positions);
    let values = (0..frames as usize * 128 * 128)
        .map(|i| ((i * 7 + i / 128 * 3) % 4096) as u16)
        .collect();
    s.pixels = Pixels::Mono16 {
        signed: false,
        bits_stored: 12,
        values,
    };
    s
}

/// An overlay drawing of `frames` frames of rows × columns: a 2-pixel border, the main diagonal
/// and a band that moves down 12 rows per frame (so that each frame's plane differs).
pub fn overlay_pattern(rows: u16, columns: u16, frames: u32) -> Vec<bool> {
    let (rows, columns) = (usize::from(rows), usize::from(columns));
    (0..frames as usize)
        .flat_map(|f| {
            (0..rows * columns).map(move |i| {
                let (r, c) = (i / columns, i % columns);
                let border = r < 2 || c < 2 || r + 2 >= rows || c + 2 >= columns;
                let band = (10 + 12 * f..14 + 12 * f).contains(&r);
                border || r == c || band
            })
        })
        .collect()
}

/// The overlay phantoms (PS3.3 C.9), each with the frame to compare: (a) an MR slice with a
/// graphics plane in Overlay Data and a region-of-interest plane; (b) an MR slice (Bits Stored
/// 12) whose overlay is in bit 14 of Pixel Data, written in implicit VR; (c) an enhanced MR
/// multi-frame with a 3-frame overlay from Image Frame Origin 2; (d) a CT slice with a plane
/// whose origin puts it partly above and right of the image. Series 41–44, in this order.
pub fn overlay_phantom_specs(study: &StudyIdentity, seed: u64) -> Vec<(&'static str, ImageSpec)> {
    let separate = |group, rows, columns, origin, frames: Option<(u32, u16)>| OverlaySpec {
        group,
        rows,
        columns,
        origin,
        region_of_interest: false,
        frames,
        bits: OverlayBits::Separate(overlay_pattern(rows, columns, frames.map_or(1, |(n, _)| n))),
    };
    let mut graphics = mr_series_specs(study, seed, 3).remove(1);
    graphics.sop_instance_uid = uid(seed, &[40, 1]);
    graphics.series_instance_uid = uid(seed, &[40]);
    graphics.overlays = vec![
        separate(0x6000, 256, 256, [1, 1], None),
        OverlaySpec {
            region_of_interest: true,
            ..separate(0x6002, 64, 96, [150, 100], None)
        },
    ];
    let mut in_pixel_data = mr_series_specs(study, seed, 3).remove(2);
    in_pixel_data.sop_instance_uid = uid(seed, &[40, 2]);
    in_pixel_data.series_instance_uid = uid(seed, &[41]);
    in_pixel_data.transfer_syntax = transfer_syntax::IMPLICIT_LE;
    if let Pixels::Mono16 { values, .. } = &mut in_pixel_data.pixels {
        set_overlay_bits(values, 14, &overlay_pattern(256, 256, 1));
    }
    in_pixel_data.overlays = vec![OverlaySpec {
        bits: OverlayBits::InPixelData { bit_position: 14 },
        ..separate(0x6000, 256, 256, [1, 1], None)
    }];
    let mut multi_frame = enhanced_mr_spec(study, seed, 6);
    multi_frame.sop_instance_uid = uid(seed, &[40, 3]);
    multi_frame.series_instance_uid = uid(seed, &[42]);
    multi_frame.windows = vec![(2048.0, 4096.0, "FULL")];
    multi_frame.overlays = vec![separate(0x6000, 128, 128, [1, 1], Some((3, 2)))];
    let mut outside = ct_slice_spec(study, seed);
    outside.sop_instance_uid = uid(seed, &[40, 4]);
    outside.series_instance_uid = uid(seed, &[43]);
    outside.overlays = vec![separate(0x6004, 100, 120, [-30, 450], None)];
    let mut specs = vec![
        ("overlay-graphics-and-roi", graphics),
        ("overlay-in-pixel-data", in_pixel_data),
        ("overlay-multi-frame", multi_frame),
        ("overlay-partly-outside", outside),
    ];
    for (number, (_, spec)) in (41..).zip(specs.iter_mut()) {
        spec.series_number = Some(number);
        spec.series_description = b"PHANTOM OVERLAY".to_vec();
    }
    specs
}

/// An RGB ultrasound image (256×256, 8-bit, planar configuration 0).
pub fn rgb_us_spec(study: &StudyIdentity, seed: u64) -> ImageSpec {
    let mut s = ImageSpec::new(
        study.study_instance_uid.clone(),
        uid(seed, &[9]),
        uid(seed, &[10]),
    );
    s.sop_class_uid = sop_class::US_IMAGE;
    s.modality = "US";
    s.patient_name = study.patient_name.clone();
    s.patient_id = study.patient_id.clone();
    s.series_description = b"PHANTOM DOPPLER".to_vec();
    s.series_number = Some(5);
    s.rows = 256;
    s.columns = 256;
    let mut rgb = Vec::with_capacity(256 * 256 * 3);
    for y in 0..256u32 {
        for x in 0..256u32 {
            let grey = ((x ^ y) & 0xFF) as u8 / 2;
            let flow = (x as i32 - 128).pow(2) + (y as i32 - 100).pow(2) < 900;
            rgb.extend_from_slice(&if flow {
                [200, 30, (x / 2) as u8]
            } else {
                [grey, grey, grey]
            });
        }
    }
    s.pixels = Pixels::Rgb8(rgb);
    s
}

/// A greyscale ultrasound cine loop (Ultrasound Multi-frame, 8-bit, 240×320): a bright
/// "heart wall" ring that beats once per `frames` frames, with the given Frame Time, and one
/// calibrated region (0.03 cm per pixel) over the image but its 16-pixel top and bottom bands.
pub fn us_cine_spec(
    study: &StudyIdentity,
    seed: u64,
    frames: u32,
    frame_time_ms: f64,
) -> ImageSpec {
    let (rows, cols) = (240u16, 320u16);
    let mut s = ImageSpec::new(
        study.study_instance_uid.clone(),
        uid(seed, &[13]),
        uid(seed, &[14]),
    );
    s.sop_class_uid = sop_class::US_MULTIFRAME_IMAGE;
    s.modality = "US";
    s.patient_name = study.patient_name.clone();
    s.patient_id = study.patient_id.clone();
    s.series_description = b"PHANTOM CINE".to_vec();
    s.series_number = Some(7);
    s.rows = rows;
    s.columns = cols;
    s.frames = frames;
    s.frame_time_ms = Some(frame_time_ms);
    s.ultrasound_region = Some(([0, 16, 319, 223], 0.03));
    let mut pixels = Vec::with_capacity(usize::from(rows) * usize::from(cols) * frames as usize);
    for f in 0..frames {
        let beat = (std::f64::consts::TAU * f64::from(f) / f64::from(frames)).sin();
        let radius = 60.0 + 20.0 * beat;
        for y in 0..rows {
            for x in 0..cols {
                let d = ((f64::from(x) - 160.0).powi(2) + (f64::from(y) - 120.0).powi(2)).sqrt();
                let wall = (1.0 - ((d - radius).abs() / 8.0)).max(0.0);
                let speckle = ((u32::from(x) * 37 + u32::from(y) * 101 + f * 13) % 29) as f64;
                pixels.push((20.0 + speckle + 200.0 * wall).min(255.0) as u8);
            }
        }
    }
    s.pixels = Pixels::Mono8(pixels);
    s
}

/// A 4000×5000 digital radiograph (16-bit, 12 stored): the large-image case.
pub fn large_dx_spec(study: &StudyIdentity, seed: u64) -> ImageSpec {
    let (rows, cols) = (5000u16, 4000u16);
    let mut s = ImageSpec::new(
        study.study_instance_uid.clone(),
        uid(seed, &[11]),
        uid(seed, &[12]),
    );
    s.sop_class_uid = sop_class::DX_IMAGE;
    s.modality = "DX";
    s.patient_name = study.patient_name.clone();
    s.patient_id = study.patient_id.clone();
    s.series_description = b"PHANTOM CHEST PA".to_vec();
    s.series_number = Some(6);
    s.rows = rows;
    s.columns = cols;
    s.pixel_spacing = Some([0.1, 0.1]);
    let values = (0..usize::from(rows) * usize::from(cols))
        .map(|i| {
            let (r, c) = (i / usize::from(cols), i % usize::from(cols));
            let rib = ((r / 180) % 2 == 0) as u16 * 400;
            (1000 + rib + (c as u16 % 512)).min(4095)
        })
        .collect();
    s.pixels = Pixels::Mono16 {
        signed: false,
        bits_stored: 12,
        values,
    };
    s.windows = vec![(2048.0, 4096.0, "FULL")];
    s
}

/// An RT image whose modality values are small — Rescale Slope 5.6e-6 turns stored values up to
/// 55,000 into 0–0.31, like a dose or portal image — with the file's LINEAR window 0.108 / 0.215:
/// narrower than 1, which PS3.3 C.11.2.1.2.1 does not allow for LINEAR (as LINEAR it is a
/// threshold; shown as LINEAR_EXACT it is the image). 64×64: a ramp left to right and a disc.
pub fn narrow_window_rt_spec(study: &StudyIdentity, seed: u64) -> ImageSpec {
    let size = 64usize;
    let mut s = ImageSpec::new(
        study.study_instance_uid.clone(),
        uid(seed, &[21]),
        uid(seed, &[22]),
    );
    s.sop_class_uid = sop_class::RT_IMAGE;
    s.modality = "RTIMAGE";
    s.patient_name = study.patient_name.clone();
    s.patient_id = study.patient_id.clone();
    s.series_description = b"PHANTOM PORTAL".to_vec();
    s.series_number = Some(7);
    s.rows = size as u16;
    s.columns = size as u16;
    let values = (0..size * size)
        .map(|i| {
            let (r, c) = ((i / size) as f64 - 32.0, (i % size) as f64);
            let disc = if r * r + (c - 32.0).powi(2) < 144.0 {
                15_000.0
            } else {
                0.0
            };
            (c * 40_000.0 / 63.0 + disc).min(55_000.0) as u16
        })
        .collect();
    s.pixels = Pixels::Mono16 {
        signed: false,
        bits_stored: 16,
        values,
    };
    s.rescale = Some((5.6e-6, 0.0));
    s.windows = vec![(0.108, 0.215, "FILE")];
    s
}

/// A 64×64 MR-like image whose only VOI is a VOI LUT Sequence item with a malformed LUT
/// Descriptor (two values instead of three, PS3.3 C.11.2.1.1): an optional attribute that must
/// not make the image unviewable.
pub fn malformed_voi_lut_spec(study: &StudyIdentity, seed: u64) -> ImageSpec {
    let size = 64usize;
    let mut s = ImageSpec::new(
        study.study_instance_uid.clone(),
        uid(seed, &[23]),
        uid(seed, &[24]),
    );
    s.sop_class_uid = sop_class::MR_IMAGE;
    s.modality = "MR";
    s.patient_name = study.patient_name.clone();
    s.patient_id = study.patient_id.clone();
    s.series_number = Some(8);
    s.rows = size as u16;
    s.columns = size as u16;
    s.pixels = Pixels::Mono16 {
        signed: false,
        bits_stored: 12,
        values: (0..size * size)
            .map(|i| ((i % size) * 50 + (i / size) * 13) as u16)
            .collect(),
    };
    s.voi_lut = Some((vec![4096, 0], (0..4096u16).map(|v| v / 16).collect()));
    s
}

/// Writes a MONOCHROME2 Secondary Capture file with the given Pixel Data bytes and image
/// attributes, built with dicom-object in `transfer_syntax`.
pub fn write_native_image(
    path: &Path,
    transfer_syntax: &str,
    sop_instance: &str,
    (rows, columns, frames): (u16, u16, u32),
    (bits_allocated, bits_stored, signed): (u16, u16, bool),
    pixel_data: Vec<u8>,
) -> io::Result<()> {
    let mut o = secondary_capture_image(
        sop_instance,
        (rows, columns, frames),
        (bits_allocated, bits_stored, signed),
    );
    // OW as 16-bit words, so that a big-endian file stores each word byte-swapped (PS3.5 7.3).
    let words: Vec<u16> = pixel_data
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)]))
        .collect();
    o.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::U16(words.into()),
    ));
    write_secondary_capture(o, path, transfer_syntax, sop_instance)
}

/// Writes a MONOCHROME2 Secondary Capture file whose Pixel Data is encapsulated (PS3.5 A.4): an
/// empty Basic Offset Table, then one fragment per frame, each padded to even length.
pub fn write_encapsulated_image(
    path: &Path,
    transfer_syntax: &str,
    sop_instance: &str,
    (rows, columns): (u16, u16),
    (bits_allocated, bits_stored, signed): (u16, u16, bool),
    frames: Vec<Vec<u8>>,
) -> io::Result<()> {
    let mut o = secondary_capture_image(
        sop_instance,
        (rows, columns, frames.len() as u32),
        (bits_allocated, bits_stored, signed),
    );
    let fragments: Vec<Vec<u8>> = frames
        .into_iter()
        .map(|mut f| {
            if f.len() % 2 == 1 {
                f.push(0);
            }
            f
        })
        .collect();
    o.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        dicom_core::value::PixelFragmentSequence::new(Vec::<u32>::new(), fragments),
    ));
    write_secondary_capture(o, path, transfer_syntax, sop_instance)
}

/// One frame of Deflated Image Frame Compression (`1.2.840.10008.1.2.8.1`, PS3.5 A.4.11): the
/// frame's native little-endian bytes as a raw deflate stream (RFC 1951, no zlib header).
pub fn deflate_image_frame(native: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(native)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// The attributes of a MONOCHROME2 Secondary Capture image, without Pixel Data.
fn secondary_capture_image(
    sop_instance: &str,
    (rows, columns, frames): (u16, u16, u32),
    (bits_allocated, bits_stored, signed): (u16, u16, bool),
) -> InMemDicomObject {
    let mut o = InMemDicomObject::new_empty();
    let mut put = |tag, vr, value: PrimitiveValue| o.put(DataElement::new(tag, vr, value));
    put(
        tags::SOP_CLASS_UID,
        VR::UI,
        sop_class::SECONDARY_CAPTURE.into(),
    );
    put(tags::SOP_INSTANCE_UID, VR::UI, sop_instance.into());
    put(tags::STUDY_INSTANCE_UID, VR::UI, "2.25.1718".into());
    put(tags::SERIES_INSTANCE_UID, VR::UI, "2.25.1719".into());
    put(tags::MODALITY, VR::CS, "OT".into());
    put(tags::SAMPLES_PER_PIXEL, VR::US, 1u16.into());
    put(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        "MONOCHROME2".into(),
    );
    put(tags::NUMBER_OF_FRAMES, VR::IS, frames.to_string().into());
    put(tags::ROWS, VR::US, rows.into());
    put(tags::COLUMNS, VR::US, columns.into());
    put(tags::BITS_ALLOCATED, VR::US, bits_allocated.into());
    put(tags::BITS_STORED, VR::US, bits_stored.into());
    put(tags::HIGH_BIT, VR::US, (bits_stored - 1).into());
    put(tags::PIXEL_REPRESENTATION, VR::US, u16::from(signed).into());
    o
}

fn write_secondary_capture(
    o: InMemDicomObject,
    path: &Path,
    transfer_syntax: &str,
    sop_instance: &str,
) -> io::Result<()> {
    o.with_meta(
        FileMetaTableBuilder::new()
            .transfer_syntax(transfer_syntax)
            .media_storage_sop_class_uid(sop_class::SECONDARY_CAPTURE)
            .media_storage_sop_instance_uid(sop_instance),
    )
    .map_err(io::Error::other)?
    .write_to_file(path)
    .map_err(io::Error::other)
}

/// Bits Allocated 12 packing (ACR-NEMA 2.0, as dcmtk reads it): sample i is bits 12·i … 12·i + 11
/// of a little-endian bit stream, padded to whole 16-bit words.
pub fn pack_twelve_bit(values: &[u16]) -> Vec<u8> {
    let mut packed = vec![0u8; (values.len() * 12).div_ceil(16) * 2];
    for (i, &v) in values.iter().enumerate() {
        for bit in 0..12 {
            if v >> bit & 1 == 1 {
                let at = i * 12 + bit;
                packed[at / 8] |= 1 << (at % 8);
            }
        }
    }
    packed
}

/// One display class of `docs/CONFORMANCE.md`: a kind of image that must be shown as the file
/// asks (issue 17), the file [`write_display_classes`] writes for it, and the test that checks
/// Lucent on it against a reference.
pub struct DisplayClass {
    /// File stem in the display-classes folder.
    pub name: &'static str,
    /// What the file holds.
    pub holds: &'static str,
    /// The golden test (`crates/lucent-pixels/tests/golden.rs`) and its reference.
    pub checked_by: &'static str,
}

/// Every display class, in the order of the report.
pub const DISPLAY_CLASSES: &[DisplayClass] = &[
    DisplayClass {
        name: "narrow-linear-window",
        holds: "RT image, Rescale Slope 5.6e-6, LINEAR window 0.108 / 0.215 (narrower than 1)",
        checked_by: "narrow_linear_window_is_shown_as_linear_exact_like_pydicom (pydicom LINEAR_EXACT; dcmtk refuses the window)",
    },
    DisplayClass {
        name: "zero-width-window",
        holds: "a window of width 0: not applied, min–max instead",
        checked_by: "a_window_without_width_falls_back_to_min_max_and_says_so (dcmtk +Wm)",
    },
    DisplayClass {
        name: "malformed-voi-lut",
        holds: "VOI LUT Sequence item whose LUT Descriptor has 2 values: ignored, image shown",
        checked_by: "malformed_voi_lut_is_ignored_and_the_image_shown_like_dcmtk (dcmtk +Wm)",
    },
    DisplayClass {
        name: "display-shutters",
        holds: "CR image with a rectangular and a circular display shutter (PS3.3 C.7.6.11), Shutter Presentation Value 0",
        checked_by: "shutters.rs greyscale_shutters_match_dcmtk_and_the_reference_geometry (dcmtk for the pixels, numpy for the geometry: dcmtk 3.6.7 draws no geometric shutter, hence differs here)",
    },
    DisplayClass {
        name: "overlay-graphics-and-roi",
        holds: "MR with a graphics and a region-of-interest overlay plane in Overlay Data (PS3.3 C.9.2)",
        checked_by: "overlay_planes_match_dcmtk (dcmj2pnm, overlays drawn on both sides)",
    },
    DisplayClass {
        name: "overlay-in-pixel-data",
        holds: "MR, Bits Stored 12, an overlay in bit 14 of Pixel Data (retired form), implicit VR",
        checked_by: "overlay_planes_match_dcmtk (dcmj2pnm)",
    },
    DisplayClass {
        name: "overlay-multi-frame",
        holds: "enhanced MR, a 3-frame overlay from Image Frame Origin 2 (PS3.3 C.9.3)",
        checked_by: "overlay_planes_match_dcmtk (dcmj2pnm, frames 0–4; this report compares frame 0)",
    },
    DisplayClass {
        name: "overlay-partly-outside",
        holds: "CT with an overlay plane whose origin puts it partly outside the image",
        checked_by: "overlay_planes_match_dcmtk (dcmj2pnm)",
    },
    DisplayClass {
        name: "mislabelled-rle",
        holds: "RLE Lossless fragments under Explicit VR Little Endian (mislabelled)",
        checked_by: "mislabelled_encapsulated_pixel_data_is_decoded_as_what_it_is (JPEG Lossless, JPEG-LS, JPEG 2000, defined length; dcmtk on the correctly labelled file)",
    },
    DisplayClass {
        name: "twelve-bit-packed-le",
        holds: "Bits Allocated 12 (packed, ACR-NEMA 2.0), 3 frames, Explicit VR Little Endian",
        checked_by: "twelve_bit_packed_pixel_data_matches_dcmtk (dcmtk; pydicom refuses it)",
    },
    DisplayClass {
        name: "twelve-bit-packed-be",
        holds: "Bits Allocated 12 (packed), 3 frames, Explicit VR Big Endian",
        checked_by: "twelve_bit_packed_pixel_data_matches_dcmtk (dcmtk)",
    },
    DisplayClass {
        name: "big-endian-undefined-length",
        holds: "enhanced MR, Explicit VR Big Endian, sequences and items of undefined length",
        checked_by: "big_endian_with_undefined_length_sequences_matches_dcmtk (dcmtk)",
    },
];

/// The 31 × 33 × 3 stored values of the 12-bit class (frames start mid-byte when packed).
pub fn twelve_bit_values() -> ((u16, u16, u32), Vec<u16>) {
    let (rows, columns, frames) = (31u16, 33u16, 3u32);
    let n = usize::from(rows) * usize::from(columns);
    let values = (0..n * frames as usize)
        .map(|i| ((i * 37 + (i / n) * 911) % 4096) as u16)
        .collect();
    ((rows, columns, frames), values)
}

/// Writes the file of one display class (see [`DISPLAY_CLASSES`]); all in one study,
/// `PHANTOM^DISPLAY`.
pub fn write_display_class(name: &str, path: &Path) -> io::Result<()> {
    let study = StudyIdentity::phantom(70, "PHANTOM^DISPLAY");
    // After the other phantoms' dates, so that a viewer opened on several folders shows those
    // first (studies are listed by date).
    let dated = |mut spec: ImageSpec| {
        spec.study_date = Some("20270104".into());
        spec
    };
    let twelve = |ts: &str, sop_instance_uid: &str| {
        let (size, values) = twelve_bit_values();
        write_native_image(
            path,
            ts,
            sop_instance_uid,
            size,
            (12, 12, false),
            pack_twelve_bit(&values),
        )
    };
    if let Some((_, spec)) = overlay_phantom_specs(&study, 76)
        .into_iter()
        .find(|(n, _)| *n == name)
    {
        return dated(spec).write(path);
    }
    match name {
        "narrow-linear-window" => dated(narrow_window_rt_spec(&study, 71)).write(path),
        "zero-width-window" => {
            let mut spec = dated(malformed_voi_lut_spec(&study, 73));
            spec.voi_lut = None;
            spec.windows = vec![(600.0, 0.0, "ZERO")];
            spec.series_number = Some(9);
            spec.write(path)
        }
        "malformed-voi-lut" => dated(malformed_voi_lut_spec(&study, 72)).write(path),
        "display-shutters" => {
            let mut spec = dated(malformed_voi_lut_spec(&study, 75));
            spec.sop_class_uid = sop_class::CR_IMAGE;
            spec.modality = "CR";
            spec.series_number = Some(10);
            spec.voi_lut = None;
            spec.windows = vec![(2048.0, 4096.0, "FULL")];
            // Stored 1000 and up: nothing of the image itself windows to black.
            spec.pixels = Pixels::Mono16 {
                signed: false,
                bits_stored: 12,
                values: (0..64 * 64)
                    .map(|i| (1000 + (i % 64) * 30 + (i / 64) * 13) as u16)
                    .collect(),
            };
            let mut o = spec.to_object();
            // Inside the rectangle columns 9–56, rows 5–60 and the circle of radius 26 around
            // row 32, column 32 (PS3.3 C.7.6.11.1: both must hold a pixel for it to show).
            put_str(&mut o, tags::SHUTTER_SHAPE, VR::CS, "RECTANGULAR\\CIRCULAR");
            for (tag, value) in [
                (tags::SHUTTER_LEFT_VERTICAL_EDGE, "9"),
                (tags::SHUTTER_RIGHT_VERTICAL_EDGE, "56"),
                (tags::SHUTTER_UPPER_HORIZONTAL_EDGE, "5"),
                (tags::SHUTTER_LOWER_HORIZONTAL_EDGE, "60"),
                (tags::CENTER_OF_CIRCULAR_SHUTTER, "32\\32"),
                (tags::RADIUS_OF_CIRCULAR_SHUTTER, "26"),
            ] {
                put_str(&mut o, tag, VR::IS, value);
            }
            o.put(DataElement::new(
                tags::SHUTTER_PRESENTATION_VALUE,
                VR::US,
                PrimitiveValue::from(0u16),
            ));
            spec.write_object(o, path)
        }
        "mislabelled-rle" => std::fs::write(
            path,
            malformed::mislabelled_rle_file(transfer_syntax::EXPLICIT_LE, 64, 64),
        ),
        "twelve-bit-packed-le" => twelve(transfer_syntax::EXPLICIT_LE, "2.25.1717"),
        "twelve-bit-packed-be" => twelve(transfer_syntax::EXPLICIT_BE, "2.25.1720"),
        "big-endian-undefined-length" => {
            let mut spec = dated(enhanced_mr_spec(&study, 74, 4));
            spec.transfer_syntax = transfer_syntax::EXPLICIT_BE;
            spec.write(path)
        }
        other => Err(io::Error::other(format!("no display class {other}"))),
    }
}

/// Writes every display class into `dir` as `<name>.dcm`. Returns the paths.
pub fn write_display_classes(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    DISPLAY_CLASSES
        .iter()
        .map(|class| {
            let path = dir.join(format!("{}.dcm", class.name));
            write_display_class(class.name, &path).map(|_| path)
        })
        .collect()
}

/// Character-set samples: (file stem, Specific Character Set, raw Patient's Name, expected text).
/// The byte strings are the examples of PS3.5 Annexes H, I and K and common single-byte sets.
pub fn charset_samples() -> Vec<(&'static str, &'static str, Vec<u8>, &'static str)> {
    vec![
        ("latin1", "ISO_IR 100", b"Buc^J\xe9r\xf4me".to_vec(), "Buc^Jérôme"),
        ("greek", "ISO_IR 126", b"\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2".to_vec(), "Διονυσιος"),
        ("utf8", "ISO_IR 192", "Wang^XiaoDong=王^小東=".as_bytes().to_vec(), "Wang^XiaoDong=王^小東="),
        ("gb18030", "GB18030", b"Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab=".to_vec(), "Wang^XiaoDong=王^小东="),
        (
            "japanese",
            "\\ISO 2022 IR 87",
            b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B".to_vec(),
            "Yamada^Tarou=山田^太郎=やまだ^たろう",
        ),
        (
            "japanese-katakana",
            "ISO 2022 IR 13\\ISO 2022 IR 87",
            b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J=\x1b$B$d$^$@\x1b(J^\x1b$B$?$m$&\x1b(J".to_vec(),
            "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう",
        ),
        (
            "korean",
            "\\ISO 2022 IR 149",
            b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf".to_vec(),
            "Hong^Gildong=洪^吉洞=홍^길동",
        ),
    ]
}

/// Writes one small image per character-set sample into `dir`, each its own study.
pub fn write_charset_samples(dir: &Path, seed: u64) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for (k, (stem, charset, name, _)) in charset_samples().into_iter().enumerate() {
        let k = k as u64;
        let mut s = ImageSpec::new(
            uid(seed, &[20, k]),
            uid(seed, &[21, k]),
            uid(seed, &[22, k]),
        );
        s.specific_character_set = Some(charset.to_string());
        s.patient_name = name;
        let path = dir.join(format!("{stem}.dcm"));
        s.write(&path)?;
        out.push(path);
    }
    Ok(out)
}

/// Writes a DICOMDIR at `dir/DICOMDIR` referencing `references` (each a list of path
/// components relative to `dir`), one IMAGE record per reference (PS3.3 F.3.2.2).
pub fn write_dicomdir(dir: &Path, references: &[Vec<String>], seed: u64) -> io::Result<PathBuf> {
    let mut o = InMemDicomObject::new_empty();
    put_str(&mut o, tags::FILE_SET_ID, VR::CS, "LUCENT_PHANTOM");
    let records = references
        .iter()
        .map(|components| {
            let mut r = InMemDicomObject::new_empty();
            r.put(DataElement::new(
                tags::OFFSET_OF_THE_NEXT_DIRECTORY_RECORD,
                VR::UL,
                PrimitiveValue::from(0u32),
            ));
            r.put(DataElement::new(
                tags::RECORD_IN_USE_FLAG,
                VR::US,
                PrimitiveValue::from(0xFFFFu16),
            ));
            r.put(DataElement::new(
                tags::OFFSET_OF_REFERENCED_LOWER_LEVEL_DIRECTORY_ENTITY,
                VR::UL,
                PrimitiveValue::from(0u32),
            ));
            put_str(&mut r, tags::DIRECTORY_RECORD_TYPE, VR::CS, "IMAGE");
            r.put(DataElement::new(
                tags::REFERENCED_FILE_ID,
                VR::CS,
                PrimitiveValue::Strs(components.iter().cloned().collect()),
            ));
            r
        })
        .collect();
    o.put(sequence(tags::DIRECTORY_RECORD_SEQUENCE, records));
    let file = o
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(transfer_syntax::EXPLICIT_LE)
                .media_storage_sop_class_uid(sop_class::MEDIA_STORAGE_DIRECTORY)
                .media_storage_sop_instance_uid(uid(seed, &[30]))
                .implementation_class_uid("2.25.90467021155437427152617232389131460001"),
        )
        .map_err(io::Error::other)?;
    let path = dir.join("DICOMDIR");
    file.write_to_file(&path).map_err(io::Error::other)?;
    Ok(path)
}

/// Writes non-DICOM and broken files: `(file name, what it is)`.
pub fn write_junk(
    dir: &Path,
    valid_dicom: &Path,
    seed: u64,
) -> io::Result<Vec<(PathBuf, &'static str)>> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(seed);
    let valid = std::fs::read(valid_dicom)?;
    let random: Vec<u8> = (0..4096).map(|_| rng.next_u64() as u8).collect();
    let mut dicm_garbage = vec![0u8; 128];
    dicm_garbage.extend_from_slice(b"DICM");
    dicm_garbage.extend(random.iter().take(300));
    let files: Vec<(&str, Vec<u8>, &'static str)> = vec![
        ("empty.dcm", Vec::new(), "an empty file"),
        (
            "notes.txt",
            b"Radiology notes: nothing to see here.\n".to_vec(),
            "a text file",
        ),
        ("random.bin", random, "random bytes"),
        (
            "dicm-garbage.dcm",
            dicm_garbage,
            "a DICM marker followed by garbage",
        ),
        (
            "truncated-preamble.dcm",
            valid[..100.min(valid.len())].to_vec(),
            "cut inside the preamble",
        ),
        (
            "truncated-meta.dcm",
            valid[..150.min(valid.len())].to_vec(),
            "cut inside the meta group",
        ),
        (
            "truncated-header.dcm",
            valid[..valid.len().min(700)].to_vec(),
            "cut inside the data set",
        ),
        (
            "truncated-pixels.dcm",
            valid[..valid.len() - valid.len() / 3].to_vec(),
            "cut inside Pixel Data",
        ),
    ];
    let mut out = Vec::new();
    for (name, bytes, what) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes)?;
        out.push((path, what));
    }
    Ok(out)
}

/// Writes a Basic Text SR (no pixel data) into `path`.
pub fn write_text_sr(path: &Path, study: &StudyIdentity, seed: u64) -> io::Result<()> {
    let mut o = InMemDicomObject::new_empty();
    put_str(
        &mut o,
        tags::SOP_CLASS_UID,
        VR::UI,
        sop_class::BASIC_TEXT_SR,
    );
    put_str(&mut o, tags::SOP_INSTANCE_UID, VR::UI, &uid(seed, &[40]));
    put_str(&mut o, tags::MODALITY, VR::CS, "SR");
    put_raw(&mut o, tags::PATIENT_NAME, VR::PN, &study.patient_name);
    put_str(
        &mut o,
        tags::STUDY_INSTANCE_UID,
        VR::UI,
        &study.study_instance_uid,
    );
    put_str(&mut o, tags::SERIES_INSTANCE_UID, VR::UI, &uid(seed, &[41]));
    let file = o
        .with_meta(FileMetaTableBuilder::new().transfer_syntax(transfer_syntax::EXPLICIT_LE))
        .map_err(io::Error::other)?;
    file.write_to_file(path).map_err(io::Error::other)
}

/// The bundled sample study: a 60-slice CT, a 20-slice sagittal MR, an enhanced MR multi-frame,
/// an RGB ultrasound image and a 4000×5000 radiograph, all of patient `PHANTOM^SAMPLE`.
pub fn write_sample_study(dir: &Path) -> io::Result<()> {
    let study = StudyIdentity::phantom(7, "PHANTOM^SAMPLE");
    let ct = CtSeries {
        seed: 7,
        slices: 60,
        ..CtSeries::default()
    };
    write_all(&dir.join("ct"), &ct_series_specs(&study, &ct), None)?;
    write_all(&dir.join("mr"), &mr_series_specs(&study, 7, 20), None)?;
    enhanced_mr_spec(&study, 7, 12).write(&dir.join("mf").join("ENHANCED.dcm"))?;
    rgb_us_spec(&study, 7).write(&dir.join("us").join("RGB.dcm"))?;
    us_cine_spec(&study, 7, 30, 33.3).write(&dir.join("us").join("CINE.dcm"))?;
    large_dx_spec(&study, 7).write(&dir.join("dx").join("LARGE.dcm"))?;
    Ok(())
}

/// Panics unless `scripts/validate-audit-export.sh` (xmllint against the DICOM audit schema,
/// PS3.15 A.5.1) accepts the `lucent audit export --format xml` document at `doc`: the check the
/// export tests of several crates share.
pub fn assert_audit_export_valid(doc: &Path) {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/validate-audit-export.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg(doc)
        .output()
        .expect("run scripts/validate-audit-export.sh");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} is not schema-valid (xmllint comes with libxml2-utils):\n{}{}",
        doc.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
