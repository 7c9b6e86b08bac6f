//! Scanning: paths in, a [`StudyIndex`] out. Header-only, in parallel, never aborted by a file.
//!
//! Files and folders (recursively) are collected, each file is reached once (canonical path),
//! headers are read on the rayon pool, DICOMDIRs are expanded into the files they reference, the
//! same SOP Instance reached through two files is indexed once, and images are grouped into
//! studies, series and geometrically sorted stacks ([`crate::geometry`]).
//!
//! **The walk stays inside the given paths.** A symbolic link (to a file or a folder) met in a
//! folder is followed only when its target, all links resolved, lies inside one of the given
//! paths (themselves canonicalized, so a given path may be a link). Any other link is not
//! followed and is reported as skipped with `E_LINK_OUTSIDE_ROOT`: a link to `/` or to the home
//! folder does not index (and audit) everything there. Loops of links inside the roots are
//! detected by the walker and reported as unreadable (`E_IO`); a file reached through a link and
//! directly is indexed once. DICOMDIR references resolve only below the DICOMDIR's own folder
//! ([`crate::dicomdir`]).
//!
//! **Grouping** ([`group`]) never trusts a UID alone: a study is one Study Instance UID *and*
//! one patient (Patient ID, else Patient's Name + Birth Date), files without UIDs never merge
//! across patients, and what was done is flagged in [`Study::warnings`]. An SOP Instance UID
//! found in files of different patients indexes none of them ([`dedupe_instances`]).

use crate::dicomdir;
use crate::error::HeaderError;
use crate::geometry::{SliceGeometry, build_stacks};
use crate::instance::{IndexedImage, SeriesAttributes, StudyAttributes, key_of};
use crate::model::{Series, Skipped, Study, StudyIndex, StudyWarning};
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
    let roots = canonical_roots(paths)?;
    let mut skipped = Vec::new();
    let mut seen = HashSet::new();
    let mut pending = Vec::new();
    for path in paths {
        let mut outside = Vec::new();
        let walk = walkdir::WalkDir::new(path)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| {
                if e.depth() == 0 || !e.path_is_symlink() {
                    return true;
                }
                let refused = match link_inside(e.path(), &roots) {
                    Ok(true) => return true,
                    Ok(false) => outside_root(e.path().to_path_buf()),
                    Err(err) => Skipped {
                        path: e.path().to_path_buf(),
                        reason: format!("cannot resolve the symbolic link: {err}"),
                        code: ErrorCode::Io,
                    },
                };
                outside.push(refused);
                false
            });
        for entry in walk {
            match entry {
                Ok(e) if e.file_type().is_file() => push_new(
                    e.into_path(),
                    Some(&roots),
                    &mut seen,
                    &mut pending,
                    &mut skipped,
                ),
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
        skipped.extend(outside);
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
                        push_new(file, None, &mut seen, &mut pending, &mut skipped);
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

/// The given paths, canonical (symbolic links resolved): the places a scan may reach.
fn canonical_roots(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ScanError> {
    paths
        .iter()
        .map(|path| {
            path.canonicalize().map_err(|source| ScanError::Unreadable {
                path: path.clone(),
                source,
            })
        })
        .collect()
}

/// Whether the symbolic link at `link` resolves (every link on the way followed) to a place
/// inside one of the canonical `roots`.
fn link_inside(link: &Path, roots: &[PathBuf]) -> std::io::Result<bool> {
    let target = link.canonicalize()?;
    Ok(roots.iter().any(|root| target.starts_with(root)))
}

/// Queues `path` unless its file was queued before (canonical path). A file found by the walk
/// (`roots` given) must also lie inside a root once every link is resolved — checked again here,
/// after the walk's check of each link, so that a link changed while the walk runs still cannot
/// take it out. DICOMDIR references are checked against the DICOMDIR's folder instead.
fn push_new(
    path: PathBuf,
    roots: Option<&[PathBuf]>,
    seen: &mut HashSet<PathBuf>,
    pending: &mut Vec<PathBuf>,
    skipped: &mut Vec<Skipped>,
) {
    match path.canonicalize() {
        Ok(canonical) => {
            if roots.is_some_and(|roots| !roots.iter().any(|r| canonical.starts_with(r))) {
                skipped.push(outside_root(path));
            } else if seen.insert(canonical) {
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

fn outside_root(path: PathBuf) -> Skipped {
    Skipped {
        path,
        reason: "symbolic link to a place outside the scanned folders: not followed".into(),
        code: ErrorCode::LinkOutsideRoot,
    }
}

/// One image per SOP Instance UID (PS3.3 C.12.1.1.1: the UID identifies the instance).
///
/// Copies of one instance within one patient's files (a folder and its DICOMDIR, a copied
/// file) keep the first file in path order; later ones are reported as duplicates. When files of
/// *different patients* (patient keys, see [`group`]) carry the same SOP Instance UID, one
/// of them is wrong and nothing tells which: keeping the first would show that file as the
/// instance and silently drop the other patient's image. None of them is indexed; each is
/// reported as a duplicate saying so. Files without a SOP Instance UID are all kept.
fn dedupe_instances(
    mut images: Vec<IndexedImage>,
    skipped: &mut Vec<Skipped>,
) -> Vec<IndexedImage> {
    images.sort_by(|a, b| a.instance.path.cmp(&b.instance.path));
    // Per SOP Instance UID: its first file and patient, and whether another patient's files
    // carry it too.
    let mut first: HashMap<String, (PathBuf, String, bool)> = HashMap::new();
    for image in &images {
        let uid = &image.instance.sop_instance_uid;
        if uid.is_empty() {
            continue;
        }
        let patient = &image.study.patient_key;
        match first.get_mut(uid) {
            Some((_, first_patient, conflict)) => *conflict |= first_patient != patient,
            None => {
                first.insert(
                    uid.clone(),
                    (image.instance.path.clone(), patient.clone(), false),
                );
            }
        }
    }
    images.retain(|image| {
        let path = &image.instance.path;
        let Some((original, _, conflict)) = first.get(&image.instance.sop_instance_uid) else {
            return true;
        };
        let reason = match (*conflict, original == path) {
            (false, true) => return true,
            (false, false) => format!("same SOP Instance UID as {}", original.display()),
            (true, true) => {
                "files of different patients have this SOP Instance UID: none is shown".to_string()
            }
            (true, false) => format!(
                "same SOP Instance UID as {} but another patient: none is shown",
                original.display()
            ),
        };
        skipped.push(Skipped {
            path: path.clone(),
            reason,
            code: ErrorCode::DuplicateInstance,
        });
        false
    });
    images
}

type SeriesGroup = (SeriesAttributes, Vec<IndexedImage>);

/// One study's files before stacking: attributes of its first file, and its series by key.
struct StudyGroup {
    attrs: StudyAttributes,
    series: BTreeMap<String, SeriesGroup>,
}

/// Groups images into studies and series (see the module docs for the rules).
///
/// A study is the files with one Study Instance UID *and one patient key* (Patient ID, else
/// Patient's Name + Birth Date, as written): a UID carried by several patients gives one study
/// per patient, each flagged [`StudyWarning::UidSharedByPatients`]. Files without a Study
/// Instance UID never join a study with a UID and never merge across patients: they are grouped
/// by patient key and Study Date (a study of 2019 and one of 2024 without UIDs stay apart), and
/// flagged [`StudyWarning::MissingStudyUid`]. Within a study, files without a Series Instance UID
/// are grouped by Series Number, Modality and Frame of Reference UID, and the study is flagged
/// [`StudyWarning::MissingSeriesUid`].
fn group(images: Vec<IndexedImage>) -> Vec<Study> {
    let mut by_study: BTreeMap<String, StudyGroup> = BTreeMap::new();
    for image in images {
        let key = study_key(&image.study);
        let study = by_study.entry(key).or_insert_with(|| StudyGroup {
            attrs: image.study.clone(),
            series: BTreeMap::new(),
        });
        study
            .series
            .entry(image.series.series_key.clone())
            .or_insert_with(|| (image.series.clone(), Vec::new()))
            .1
            .push(image);
    }
    // Patients per Study Instance UID.
    let mut patients_of_uid: HashMap<&str, HashSet<&str>> = HashMap::new();
    for group in by_study.values() {
        if !group.attrs.study_instance_uid.is_empty() {
            patients_of_uid
                .entry(group.attrs.study_instance_uid.as_str())
                .or_default()
                .insert(group.attrs.patient_key.as_str());
        }
    }
    let shared: HashSet<String> = patients_of_uid
        .into_iter()
        .filter(|(_, patients)| patients.len() > 1)
        .map(|(uid, _)| uid.to_string())
        .collect();
    let mut studies: Vec<Study> = by_study
        .into_iter()
        .map(|(key, group)| {
            let attrs = group.attrs;
            let mut warnings = Vec::new();
            if shared.contains(&attrs.study_instance_uid) {
                warnings.push(StudyWarning::UidSharedByPatients);
            }
            if attrs.study_instance_uid.is_empty() {
                warnings.push(StudyWarning::MissingStudyUid);
            }
            if group
                .series
                .values()
                .any(|(s, _)| s.series_instance_uid.is_empty())
            {
                warnings.push(StudyWarning::MissingSeriesUid);
            }
            let mut series: Vec<Series> = group.series.into_values().flat_map(stacks_of).collect();
            series.sort_by(|a, b| {
                a.series_number
                    .unwrap_or(i64::MAX)
                    .cmp(&b.series_number.unwrap_or(i64::MAX))
                    .then_with(|| a.series_instance_uid.cmp(&b.series_instance_uid))
                    .then_with(|| a.key.cmp(&b.key))
                    .then(a.stack.cmp(&b.stack))
            });
            Study {
                key,
                warnings,
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
            &a.key,
        )
            .cmp(&(
                b.study_date.is_none(),
                &b.study_date,
                &b.study_time,
                &b.study_instance_uid,
                &b.key,
            ))
    });
    studies
}

/// [`Study::key`]: the Study Instance UID and the patient key, or for files without a UID the
/// patient key and the Study Date (as written). Unique per group, the same on every scan of the
/// same files.
fn study_key(attrs: &StudyAttributes) -> String {
    if attrs.study_instance_uid.is_empty() {
        key_of(
            'P',
            &[
                Some(&attrs.patient_key),
                attrs.study_date_as_written.as_deref(),
            ],
        )
    } else {
        key_of(
            'U',
            &[Some(&attrs.study_instance_uid), Some(&attrs.patient_key)],
        )
    }
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
                key: attrs.series_key.clone(),
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
