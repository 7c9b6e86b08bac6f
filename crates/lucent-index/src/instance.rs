//! From a parsed header to an indexable image: required attributes checked, text decoded and
//! made safe to display ([`crate::display_text`]), grouping keys taken from the values as written.

use crate::charset::CharacterSet;
use crate::display_text;
use crate::error::{HeaderError, Tag};
use crate::header::{DataSet, Header, tags};
use crate::limits::MAX_FRAMES;
use crate::model::{Instance, Patient};

/// Study-level attributes of one image, used for grouping.
#[derive(Debug, Clone)]
pub(crate) struct StudyAttributes {
    pub study_instance_uid: String,
    /// Who the file belongs to, for grouping ([`patient_key`]); never displayed.
    pub patient_key: String,
    /// Study Date as written (trimmed), for grouping files without a Study Instance UID.
    pub study_date_as_written: Option<String>,
    pub study_date: Option<String>,
    pub study_time: Option<String>,
    pub study_description: Option<String>,
    pub accession_number: Option<String>,
    pub study_id: Option<String>,
    pub patient: Patient,
}

/// Series-level attributes of one image.
#[derive(Debug, Clone)]
pub(crate) struct SeriesAttributes {
    pub series_instance_uid: String,
    /// What the series is grouped by within its study ([`series_key`]); never displayed.
    pub series_key: String,
    pub modality: Option<String>,
    pub series_number: Option<i64>,
    pub series_description: Option<String>,
    pub frame_of_reference_uid: Option<String>,
}

/// One image ready to be grouped.
#[derive(Debug, Clone)]
pub(crate) struct IndexedImage {
    pub study: StudyAttributes,
    pub series: SeriesAttributes,
    pub instance: Instance,
    pub acquisition_key: crate::geometry::AcquisitionKey,
}

/// A text value decoded per Specific Character Set, padding (spaces, NUL) and white space
/// trimmed, nothing else changed: for grouping keys, never for display.
fn as_written(ds: &DataSet, charset: &CharacterSet, tag: Tag, person_name: bool) -> Option<String> {
    let raw = ds.bytes(tag)?;
    let decoded = charset.decode(raw, person_name);
    let trimmed = decoded.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// A text value decoded per Specific Character Set, then made safe to display
/// ([`display_text::sanitize`]); `None` when nothing displayable is left.
fn text(ds: &DataSet, charset: &CharacterSet, tag: Tag, person_name: bool) -> Option<String> {
    let raw = ds.bytes(tag)?;
    let shown = display_text::sanitize(&charset.decode(raw, person_name));
    (!shown.is_empty()).then_some(shown)
}

/// A default-repertoire value (CS, DA, TM, AS) made safe to display.
fn display_ascii(ds: &DataSet, tag: Tag) -> Option<String> {
    let shown = display_text::sanitize(&ds.ascii(tag)?);
    (!shown.is_empty()).then_some(shown)
}

/// One key from parts, injectively: each part is written as `<byte length>:<text>`, an absent
/// part as `-`, so no two different part lists give the same key.
pub(crate) fn key_of(tag: char, parts: &[Option<&str>]) -> String {
    let mut key = String::from(tag);
    for part in parts {
        match part {
            Some(p) => {
                key.push_str(&p.len().to_string());
                key.push(':');
                key.push_str(p);
            }
            None => key.push('-'),
        }
    }
    key
}

/// Who a file belongs to, for grouping: its Patient ID (0010,0020) when present, else its
/// Patient's Name (0010,0010) and Patient's Birth Date (0010,0030) together (both may be absent:
/// files without any of the three share the key of an unidentified patient). Values count as
/// written: decoded per Specific Character Set and trimmed of padding and white space, nothing
/// else (case, inner spaces, `^` components and invisible characters all count).
fn patient_key(ds: &DataSet, charset: &CharacterSet) -> String {
    match as_written(ds, charset, tags::PATIENT_ID, false) {
        Some(id) => key_of('I', &[Some(&id)]),
        None => key_of(
            'N',
            &[
                as_written(ds, charset, tags::PATIENT_NAME, true).as_deref(),
                ds.ascii(tags::PATIENT_BIRTH_DATE)
                    .as_deref()
                    .map(str::trim)
                    .filter(|d| !d.is_empty()),
            ],
        ),
    }
}

/// What a series is grouped by within its study: its Series Instance UID, else (the UID empty or
/// absent) Series Number, Modality and Frame of Reference UID as written.
fn series_key(ds: &DataSet) -> String {
    match ds.ascii(tags::SERIES_INSTANCE_UID) {
        Some(uid) => key_of('U', &[Some(&uid)]),
        None => key_of(
            'N',
            &[
                ds.int(tags::SERIES_NUMBER)
                    .map(|n| n.to_string())
                    .as_deref(),
                ds.ascii(tags::MODALITY).as_deref(),
                ds.ascii(tags::FRAME_OF_REFERENCE_UID).as_deref(),
            ],
        ),
    }
}

/// Leading decimal digits of an IS value (`"1A"` → 1), as lenient readers such as dcmtk do.
fn leading_integer(ds: &DataSet, tag: Tag) -> Option<i64> {
    ds.int(tag).or_else(|| {
        let first = ds.ascii_values(tag).into_iter().next()?;
        let digits: String = first
            .chars()
            .take_while(char::is_ascii_digit)
            .take(18)
            .collect();
        digits.parse().ok()
    })
}

fn array<const N: usize>(values: Option<Vec<f64>>) -> Option<[f64; N]> {
    values.and_then(|v| v.get(..N).and_then(|s| s.try_into().ok()))
}

/// Looks an attribute up at the top level, then in the shared functional groups, then in the
/// first per-frame functional group (enhanced multi-frame, PS3.3 C.7.6.16).
fn functional<const N: usize>(ds: &DataSet, sequence: Tag, tag: Tag) -> Option<[f64; N]> {
    array(ds.decimals(tag)).or_else(|| {
        [
            tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE,
            tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE,
        ]
        .into_iter()
        .filter_map(|groups| ds.items(groups).first())
        .filter_map(|group| group.items(sequence).first())
        .find_map(|item| array(item.decimals(tag)))
    })
}

/// Who and what a file is about, decoded and made safe for display ([`display_text`]): for the
/// audit trail (which seals it) and for error reports. Contains PHI: never log it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderIdentity {
    /// Study Instance UID (empty when absent), exactly as written (never displayed).
    pub study_instance_uid: String,
    /// Patient ID.
    pub patient_id: Option<String>,
    /// Patient's Name (all component groups).
    pub patient_name: Option<String>,
    /// Modality.
    pub modality: Option<String>,
}

impl HeaderIdentity {
    /// SOP Instance UID (0008,0018), else the Media Storage SOP Instance UID of the meta group;
    /// empty when absent (some tools and codec test suites write none).
    pub fn sop_instance_uid_of(header: &Header) -> String {
        header
            .dataset
            .ascii(tags::SOP_INSTANCE_UID)
            .or_else(|| header.meta.ascii(tags::MEDIA_STORAGE_SOP_INSTANCE_UID))
            .unwrap_or_default()
    }

    /// Reads the identity attributes of a parsed header.
    pub fn of(header: &Header) -> Self {
        let ds = &header.dataset;
        let charset = CharacterSet::from_values(&ds.ascii_values(tags::SPECIFIC_CHARACTER_SET));
        HeaderIdentity {
            study_instance_uid: ds.ascii(tags::STUDY_INSTANCE_UID).unwrap_or_default(),
            patient_id: text(ds, &charset, tags::PATIENT_ID, false),
            patient_name: text(ds, &charset, tags::PATIENT_NAME, true),
            modality: display_ascii(ds, tags::MODALITY),
        }
    }
}

impl IndexedImage {
    pub(crate) fn from_header(
        header: &Header,
        path: std::path::PathBuf,
        fingerprint: crate::fingerprint::FileFingerprint,
    ) -> Result<Self, HeaderError> {
        let ds = &header.dataset;
        // Missing UIDs are tolerated (empty strings): images written by some tools and codec test
        // suites lack them, and dcmtk and GDCM still display such files.
        let sop_instance_uid = HeaderIdentity::sop_instance_uid_of(header);
        let sop_class_uid = ds
            .ascii(tags::SOP_CLASS_UID)
            .or_else(|| header.meta.ascii(tags::MEDIA_STORAGE_SOP_CLASS_UID));
        let Some(pixel_data) = header.pixel_data else {
            return Err(HeaderError::NoPixelData(
                sop_class_uid.unwrap_or_else(|| "unknown".into()),
            ));
        };
        if let Some(len) = pixel_data.length
            && !header.deflated
            && pixel_data.value_offset.saturating_add(len) > header.file_len
        {
            return Err(HeaderError::Truncated {
                what: format!(
                    "Pixel Data: {len} bytes declared, {} present",
                    header.file_len.saturating_sub(pixel_data.value_offset)
                ),
                at: header.file_len,
            });
        }
        let study_instance_uid = ds.ascii(tags::STUDY_INSTANCE_UID).unwrap_or_default();
        let series_instance_uid = ds.ascii(tags::SERIES_INSTANCE_UID).unwrap_or_default();
        let rows = ds
            .u16(tags::ROWS)
            .filter(|&r| r > 0)
            .ok_or(HeaderError::MissingAttribute {
                name: "Rows",
                tag: tags::ROWS,
            })?;
        let columns =
            ds.u16(tags::COLUMNS)
                .filter(|&c| c > 0)
                .ok_or(HeaderError::MissingAttribute {
                    name: "Columns",
                    tag: tags::COLUMNS,
                })?;
        let frames = match ds.element(tags::NUMBER_OF_FRAMES) {
            None => 1,
            Some(_) => leading_integer(ds, tags::NUMBER_OF_FRAMES)
                .and_then(|f| u32::try_from(f).ok())
                .filter(|f| (1..=MAX_FRAMES).contains(f))
                .ok_or(HeaderError::MissingAttribute {
                    name: "NumberOfFrames",
                    tag: tags::NUMBER_OF_FRAMES,
                })?,
        };
        let charset = CharacterSet::from_values(&ds.ascii_values(tags::SPECIFIC_CHARACTER_SET));
        let windows = match (
            ds.decimals(tags::WINDOW_CENTER),
            ds.decimals(tags::WINDOW_WIDTH),
        ) {
            (Some(c), Some(w)) => c.into_iter().zip(w).filter(|(_, w)| *w > 0.0).collect(),
            _ => Vec::new(),
        };
        let rescale = match (
            ds.decimals(tags::RESCALE_SLOPE),
            ds.decimals(tags::RESCALE_INTERCEPT),
        ) {
            (Some(s), Some(i)) if !s.is_empty() && !i.is_empty() => Some((s[0], i[0])),
            _ => None,
        };
        let instance = Instance {
            sop_instance_uid,
            sop_class_uid,
            instance_number: ds.int(tags::INSTANCE_NUMBER),
            frames,
            rows,
            columns,
            position: functional(
                ds,
                tags::PLANE_POSITION_SEQUENCE,
                tags::IMAGE_POSITION_PATIENT,
            ),
            orientation: functional(
                ds,
                tags::PLANE_ORIENTATION_SEQUENCE,
                tags::IMAGE_ORIENTATION_PATIENT,
            ),
            pixel_spacing: functional(ds, tags::PIXEL_MEASURES_SEQUENCE, tags::PIXEL_SPACING),
            imager_pixel_spacing: array(ds.decimals(tags::IMAGER_PIXEL_SPACING)),
            slice_location: ds
                .decimals(tags::SLICE_LOCATION)
                .and_then(|v| v.first().copied()),
            transfer_syntax_uid: header.transfer_syntax_uid.clone(),
            photometric_interpretation: ds.ascii(tags::PHOTOMETRIC_INTERPRETATION),
            samples_per_pixel: ds.u16(tags::SAMPLES_PER_PIXEL),
            bits_allocated: ds.u16(tags::BITS_ALLOCATED),
            bits_stored: ds.u16(tags::BITS_STORED),
            pixel_representation: ds.u16(tags::PIXEL_REPRESENTATION),
            windows,
            rescale,
            path,
            fingerprint,
        };
        Ok(IndexedImage {
            study: StudyAttributes {
                study_instance_uid,
                patient_key: patient_key(ds, &charset),
                study_date_as_written: ds.ascii(tags::STUDY_DATE),
                study_date: display_ascii(ds, tags::STUDY_DATE),
                study_time: display_ascii(ds, tags::STUDY_TIME),
                study_description: text(ds, &charset, tags::STUDY_DESCRIPTION, false),
                accession_number: text(ds, &charset, tags::ACCESSION_NUMBER, false),
                study_id: text(ds, &charset, tags::STUDY_ID, false),
                patient: Patient {
                    name: text(ds, &charset, tags::PATIENT_NAME, true),
                    id: text(ds, &charset, tags::PATIENT_ID, false),
                    birth_date: display_ascii(ds, tags::PATIENT_BIRTH_DATE),
                    sex: display_ascii(ds, tags::PATIENT_SEX),
                    age: display_ascii(ds, tags::PATIENT_AGE),
                },
            },
            series: SeriesAttributes {
                series_instance_uid,
                series_key: series_key(ds),
                modality: display_ascii(ds, tags::MODALITY),
                series_number: ds.int(tags::SERIES_NUMBER),
                series_description: text(ds, &charset, tags::SERIES_DESCRIPTION, false),
                frame_of_reference_uid: ds.ascii(tags::FRAME_OF_REFERENCE_UID),
            },
            acquisition_key: (
                ds.int(tags::ACQUISITION_NUMBER),
                ds.int(tags::ECHO_NUMBERS),
                ds.int(tags::TEMPORAL_POSITION_IDENTIFIER),
            ),
            instance,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::key_of;

    #[test]
    fn keys_are_injective() {
        let keys = [
            key_of('U', &[Some("1.2"), Some("3")]),
            key_of('U', &[Some("1"), Some("2.3")]),
            key_of('U', &[Some("1:2"), Some("3")]),
            key_of('U', &[Some("1"), Some("2:3")]),
            key_of('U', &[Some(""), Some("3")]),
            key_of('U', &[None, Some("3")]),
            key_of('U', &[Some("-"), Some("3")]),
            key_of('P', &[Some("1.2"), Some("3")]),
        ];
        let unique: std::collections::HashSet<&String> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "{keys:?}");
        assert_eq!(key_of('I', &[Some("AB")]), key_of('I', &[Some("AB")]));
    }
}
