//! Clinical safety of the facade: what is shown is what was indexed and audited.
//!
//! - A file replaced or rewritten after indexing is refused (`E_FILE_CHANGED`), audited, never
//!   shown under the indexed patient.
//! - Listing studies is recorded (110103 with EventTypeCode STUDY-LISTED) before any of their
//!   text can be read, and an open whose listing cannot be recorded discloses nothing.
//! - Thumbnails are part of the listing; viewing a frame is recorded once as viewed.

use lucent_audit::RecordBody;
use lucent_core::{ErrorCode, HasErrorCode, Session, VoiChoice};
use lucent_testdata::*;
use std::path::{Path, PathBuf};

const WINDOW: VoiChoice = VoiChoice::Explicit {
    center: 40.0,
    width: 400.0,
};

fn ct(dir: &Path, seed: u64, name: &str, slices: usize) -> Vec<PathBuf> {
    let study = StudyIdentity::phantom(seed, name);
    let p = CtSeries {
        seed,
        slices,
        size: 32,
        ..CtSeries::default()
    };
    write_all(dir, &ct_series_specs(&study, &p), None).unwrap()
}

fn bodies(data: &Path) -> Vec<RecordBody> {
    lucent_audit::read_bodies(&data.join("audit")).unwrap()
}

fn forget_key(data: &Path) {
    let _ = lucent_audit::AuditKeychain::open(data).and_then(|k| k.forget());
}

fn listed(b: &RecordBody) -> bool {
    b.event_code == "110103" && b.event_type.as_deref() == Some("STUDY-LISTED")
}

fn viewed(b: &RecordBody) -> bool {
    b.event_code == "110103" && b.event_type.is_none() && b.error_code.is_none()
}

fn failed_with(b: &RecordBody, code: &str) -> bool {
    b.event_code == "110103" && b.error_code.as_deref() == Some(code)
}

/// Sets a file's modification time back to what it was (as a copy tool that keeps times would).
fn restore_mtime(path: &Path, modified: std::time::SystemTime) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
}

#[test]
fn a_file_replaced_by_another_patients_file_after_indexing_is_refused_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lucent-data");
    let a = ct(&dir.path().join("a"), 21, "PATIENT^ALPHA", 3);
    let b = ct(&dir.path().join("b"), 22, "PATIENT^BRAVO", 3);
    let session = Session::new().with_data_dir(data.clone());
    session.open(&[dir.path().join("a")]).unwrap();
    let series = session.studies()[0].series[0].id;
    // Another patient's slice is copied over slice 1 of the indexed study (a swapped file on a
    // share), keeping the name and the modification time.
    let modified = std::fs::metadata(&a[1]).unwrap().modified().unwrap();
    std::fs::copy(&b[1], &a[1]).unwrap();
    restore_mtime(&a[1], modified);
    let err = session.stack_frame(series, 1, WINDOW).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FileChanged, "{err}");
    let err = session.frame_values(series, 1).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FileChanged, "{err}");
    // The other slices still show; the refusal is on the record.
    session.stack_frame(series, 0, WINDOW).unwrap();
    let records = bodies(&data);
    assert!(
        records
            .iter()
            .filter(|b| failed_with(b, "E_FILE_CHANGED"))
            .count()
            >= 2,
        "each refusal is audited"
    );
    forget_key(&data);
}

#[test]
fn a_header_rewritten_in_place_with_its_size_and_time_kept_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lucent-data");
    let a = ct(&dir.path().join("a"), 23, "PATIENT^ALPHA", 2);
    let session = Session::new().with_data_dir(data.clone());
    session.open(&[dir.path().join("a")]).unwrap();
    let series = session.studies()[0].series[0].id;
    // Same SOP Instance, same size, same modification time: only the patient's name differs.
    let modified = std::fs::metadata(&a[0]).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&a[0]).unwrap();
    let at = bytes
        .windows(13)
        .position(|w| w == b"PATIENT^ALPHA")
        .unwrap();
    bytes[at..at + 13].copy_from_slice(b"PATIENT^OMEGA");
    std::fs::write(&a[0], &bytes).unwrap();
    restore_mtime(&a[0], modified);
    let err = session.stack_frame(series, 0, WINDOW).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FileChanged, "{err}");
    assert!(
        !err.to_string().contains(&dir.path().display().to_string()),
        "no path in the message"
    );
    forget_key(&data);
}

#[test]
fn a_file_written_to_while_open_is_refused_for_frames_not_yet_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lucent-data");
    // One multi-frame file would be ideal; two reads of one single-frame file through the
    // cache show the same: the open descriptor is re-checked before every read.
    let a = ct(&dir.path().join("a"), 24, "PATIENT^ALPHA", 2);
    let session = Session::new().with_data_dir(data.clone());
    session.open(&[dir.path().join("a")]).unwrap();
    let series = session.studies()[0].series[0].id;
    // Opening the stack's geometry opens (and caches) the first file without decoding a frame.
    session.stack_geometry(series).unwrap();
    let mut bytes = std::fs::read(&a[0]).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&a[0], &bytes).unwrap();
    let err = session.stack_frame(series, 0, WINDOW).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FileChanged, "{err}");
    forget_key(&data);
}

#[test]
fn opening_the_folder_again_after_a_replacement_shows_the_new_file_under_its_own_patient() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lucent-data");
    let a = ct(&dir.path().join("a"), 25, "PATIENT^ALPHA", 1);
    let b = ct(&dir.path().join("b"), 26, "PATIENT^BRAVO", 1);
    let session = Session::new().with_data_dir(data.clone());
    session.open(&[dir.path().join("a")]).unwrap();
    let series = session.studies()[0].series[0].id;
    session.stack_frame(series, 0, WINDOW).unwrap();
    std::fs::copy(&b[0], &a[0]).unwrap();
    session.open(&[]).unwrap();
    let studies = session.studies();
    assert_eq!(studies.len(), 1);
    assert_eq!(studies[0].patient.name.as_deref(), Some("PATIENT^BRAVO"));
    let again = studies[0].series[0].id;
    assert_ne!(again, series, "another patient's series gets another id");
    session.stack_frame(again, 0, WINDOW).unwrap();
    forget_key(&data);
}

#[test]
fn listing_is_recorded_once_per_open_before_any_text_and_told_apart_from_viewing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lucent-data");
    ct(&dir.path().join("a"), 27, "PATIENT^ALPHA", 2);
    ct(&dir.path().join("b"), 28, "PATIENT^BRAVO", 2);
    let session = Session::new().with_data_dir(data.clone());
    session
        .open(&[dir.path().join("a"), dir.path().join("b")])
        .unwrap();
    let records = bodies(&data);
    let listings: Vec<&RecordBody> = records.iter().filter(|b| listed(b)).collect();
    assert_eq!(listings.len(), 1, "one record for the whole open");
    assert_eq!(listings[0].objects.len(), 2, "naming both studies");
    assert_eq!(listings[0].action, "R");
    assert!(!records.iter().any(viewed), "nothing viewed yet");
    // Thumbnails belong to the listing: no study reads as viewed.
    let studies = session.studies();
    for s in &studies {
        session.thumbnail(s.series[0].id, 96).unwrap();
    }
    assert!(!bodies(&data).iter().any(viewed));
    // Viewing is recorded once per study.
    let first = studies[0].series[0].id;
    session.stack_frame(first, 0, WINDOW).unwrap();
    session.stack_frame(first, 1, WINDOW).unwrap();
    let records = bodies(&data);
    assert_eq!(records.iter().filter(|b| viewed(b)).count(), 1);
    // Opening the same folders again lists nothing new, so records nothing.
    session.open(&[]).unwrap();
    assert_eq!(bodies(&data).iter().filter(|b| listed(b)).count(), 1);
    forget_key(&data);
}

#[test]
fn an_open_whose_listing_cannot_be_recorded_discloses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    ct(&dir.path().join("a"), 29, "PATIENT^ALPHA", 1);
    std::fs::write(dir.path().join("plain-file"), b"x").unwrap();
    // The audit folder cannot be created (its parent is a file): appends fail.
    let session = Session::new().with_data_dir(dir.path().join("plain-file").join("data"));
    let err = session.open(&[dir.path().join("a")]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuditUnavailable, "{err}");
    assert!(
        session.studies().is_empty(),
        "no patient text without a record"
    );
    assert!(session.index().studies.is_empty());
}
