//! Scanning: paths in, a [`StudyIndex`] out. Header-only, in parallel, never aborted by a file.
//!
//! Files and folders (recursively) are collected, each file is reached once (canonical path),
//! headers are read on the rayon pool, DICOMDIRs are expanded into the files they reference, the
//! same SOP Instance reached through two files is indexed once, and images are grouped into
//! studies, series and geometrically sorted stacks ([`crate::geometry`]).

use crate::dicomdir;
use crate::error::HeaderError;
use crate::geometry::{SliceGeometry, build_stacks};
use crate::instance::{IndexedImage, SeriesAttributes, StudyAttributes};
use crate::model::{Series, Skipped, Study, StudyIndex};
use lucent_error::{ErrorCode, HasErrorCode};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A scan that could not run at all (a given path is missing or unreadable). Problems with
/// individual files never fail a scan; they become [`Skipped`] entries.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A path given by the caller does not exist.
    #[error("{}: no such file or folder", path.display())]
    PathNotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// A path given by the caller exists but cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable {
        /// The path as given.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl HasErrorCode for ScanError {
    fn code(&self) -> ErrorCode {
        match self {
            ScanError::PathNotFound { .. } => ErrorCode::PathNotFound,
            ScanError::Unreadable { .. } => ErrorCode::Io,
        }
    }
}

enum FileOutcome {
    Image(Box<IndexedImage>),
    Dicomdir(dicomdir::DicomdirReferences),
    Skipped(HeaderError),
    Contained(&'static str),
}

fn index_file(path: &Path) -> FileOutcome {
    // One descriptor for the header and its fingerprint (what the pixel pipeline checks again).
    let opened = match crate::fingerprint::open(path) {
        Ok(o) => o,
        Err(e) => return FileOutcome::Skipped(e),
    };
    let header = opened.header;
    if header.is_dicomdir() {
        return FileOutcome::Dicomdir(dicomdir::references(&header, path));
    }
    match IndexedImage::from_header(&header, path.to_path_buf(), opened.fingerprint) {
        Ok(image) => FileOutcome::Image(Box::new(image)),
        Err(e) => FileOutcome::Skipped(e),
    }
}

/// Checks the given paths, then scans them. See the module docs.
pub fn scan(paths: &[PathBuf]) -> Result<StudyIndex, ScanError> {
    for path in paths {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ScanError::PathNotFound { path: path.clone() });
            }
            Err(source) => {
                return Err(ScanError::Unreadable {
                    path: path.clone(),
                    source,
                });
            }
            Ok(meta) if meta.is_dir() => {
                std::fs::read_dir(path).map_err(|source| ScanError::Unreadable {
                    path: path.clone(),
                    source,
                })?;
            }
            Ok(_) => {
                std::fs::File::open(path).map_err(|source| ScanError::Unreadable {
                    path: path.clone(),
                    source,
                })?;
            }
        }
    }
    let mut skipped = Vec::new();
    let mut seen = HashSet::new();
    let mut pending = Vec::new();
    for path in paths {
        for entry in walkdir::WalkDir::new(path).follow_links(true) {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    push_new(e.into_path(), &mut seen, &mut pending, &mut skipped)
                }
                Ok(_) => {}
                Err(e) => skipped.push(Skipped {
                    path: e
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| path.clone()),
                    reason: format!("cannot read: {e}"),
                    code: ErrorCode::Io,
                }),
            }
        }
    }
    let mut images = Vec::new();
    while !pending.is_empty() {
        let outcomes: Vec<(PathBuf, FileOutcome)> = std::mem::take(&mut pending)
            .into_par_iter()
            .map(|p| {
                // A panic here is a bug in Lucent; contain it to this one file.
                let outcome =
                    std::panic::catch_unwind(|| index_file(&p)).unwrap_or(FileOutcome::Contained(
                        "internal error while reading the header (a bug; please report it)",
                    ));
                (p, outcome)
            })
            .collect();
        for (path, outcome) in outcomes {
            match outcome {
                FileOutcome::Image(image) => images.push(*image),
                FileOutcome::Contained(reason) => skipped.push(Skipped {
                    reason: reason.into(),
                    code: ErrorCode::Internal,
                    path,
                }),
                FileOutcome::Skipped(e) => skipped.push(Skipped {
                    reason: e.to_string(),
                    code: e.code(),
                    path,
                }),
                FileOutcome::Dicomdir(refs) => {
                    for refused in refs.refused {
                        let what = match refused.code {
                            ErrorCode::DicomdirReferenceOutside => {
                                "refused: outside the DICOMDIR's folder"
                            }
                            _ => "not found",
                        };
                        skipped.push(Skipped {
                            path: path.clone(),
                            reason: format!("referenced file {} {what}", refused.reference),
                            code: refused.code,
                        });
                    }
                    for file in refs.files {
                        push_new(file, &mut seen, &mut pending, &mut skipped);
                    }
                }
            }
        }
    }
    let images = dedupe_instances(images, &mut skipped);
    skipped.sort_by(|a, b| a.path.cmp(&b.path).then(a.reason.cmp(&b.reason)));
    Ok(StudyIndex {
        studies: group(images),
        skipped,
    })
}

fn push_new(
    path: PathBuf,
    seen: &mut HashSet<PathBuf>,
    pending: &mut Vec<PathBuf>,
    skipped: &mut Vec<Skipped>,
) {
    match path.canonicalize() {
        Ok(canonical) => {
            if seen.insert(canonical) {
                pending.push(path);
            }
        }
        Err(e) => skipped.push(Skipped {
            path,
            reason: format!("cannot read: {e}"),
            code: ErrorCode::Io,
        }),
    }
}

/// Keeps the first file (in path order) of each SOP Instance UID; later ones are reported.
fn dedupe_instances(
    mut images: Vec<IndexedImage>,
    skipped: &mut Vec<Skipped>,
) -> Vec<IndexedImage> {
    images.sort_by(|a, b| a.instance.path.cmp(&b.instance.path));
    let mut first: HashMap<String, PathBuf> = HashMap::new();
    images.retain(|image| match first.get(&image.instance.sop_instance_uid) {
        _ if image.instance.sop_instance_uid.is_empty() => true,
        Some(original) => {
            skipped.push(Skipped {
                path: image.instance.path.clone(),
                reason: format!("same SOP Instance UID as {}", original.display()),
                code: ErrorCode::DuplicateInstance,
            });
            false
        }
        None => {
            first.insert(
                image.instance.sop_instance_uid.clone(),
                image.instance.path.clone(),
            );
            true
        }
    });
    images
}

type SeriesGroup = (SeriesAttributes, Vec<IndexedImage>);

fn group(images: Vec<IndexedImage>) -> Vec<Study> {
    let mut by_study: BTreeMap<String, (StudyAttributes, BTreeMap<String, SeriesGroup>)> =
        BTreeMap::new();
    for image in images {
        let (_, series) = by_study
            .entry(image.study.study_instance_uid.clone())
            .or_insert_with(|| (image.study.clone(), BTreeMap::new()));
        series
            .entry(image.series.series_instance_uid.clone())
            .or_insert_with(|| (image.series.clone(), Vec::new()))
            .1
            .push(image);
    }
    let mut studies: Vec<Study> = by_study
        .into_values()
        .map(|(attrs, series_map)| {
            let mut series: Vec<Series> = series_map.into_values().flat_map(stacks_of).collect();
            series.sort_by(|a, b| {
                a.series_number
                    .unwrap_or(i64::MAX)
                    .cmp(&b.series_number.unwrap_or(i64::MAX))
                    .then_with(|| a.series_instance_uid.cmp(&b.series_instance_uid))
                    .then(a.stack.cmp(&b.stack))
            });
            Study {
                key: attrs.study_instance_uid.clone(),
                warnings: Vec::new(),
                study_instance_uid: attrs.study_instance_uid,
                study_date: attrs.study_date,
                study_time: attrs.study_time,
                study_description: attrs.study_description,
                accession_number: attrs.accession_number,
                study_id: attrs.study_id,
                patient: attrs.patient,
                series,
            }
        })
        .collect();
    studies.sort_by(|a, b| {
        (
            a.study_date.is_none(),
            &a.study_date,
            &a.study_time,
            &a.study_instance_uid,
        )
            .cmp(&(
                b.study_date.is_none(),
                &b.study_date,
                &b.study_time,
                &b.study_instance_uid,
            ))
    });
    studies
}

fn stacks_of((attrs, images): SeriesGroup) -> Vec<Series> {
    let geometry: Vec<SliceGeometry> = images
        .iter()
        .map(|image| SliceGeometry {
            position: image.instance.position,
            orientation: image.instance.orientation,
            instance_number: image.instance.instance_number,
            size: (image.instance.rows, image.instance.columns),
            frames: image.instance.frames,
            acquisition_key: image.acquisition_key,
            sop_instance_uid: image.instance.sop_instance_uid.clone(),
        })
        .collect();
    let stacks = build_stacks(&geometry);
    let mut slots: Vec<Option<IndexedImage>> = images.into_iter().map(Some).collect();
    stacks
        .into_iter()
        .enumerate()
        .map(|(k, members)| {
            let instances: Vec<_> = members
                .into_iter()
                .filter_map(|i| slots[i].take())
                .map(|img| img.instance)
                .collect();
            Series {
                key: attrs.series_instance_uid.clone(),
                series_instance_uid: attrs.series_instance_uid.clone(),
                stack: k as u32,
                modality: attrs.modality.clone(),
                series_number: attrs.series_number,
                series_description: attrs.series_description.clone(),
                frame_of_reference_uid: attrs.frame_of_reference_uid.clone(),
                instances,
            }
        })
        .collect()
}
