//! Integration tests of the study index against files written by an independent encoder
//! (dicom-object, through `lucent-testdata`).

use lucent_error::ErrorCode;
use lucent_index::geometry::{location_along, slice_normal};
use lucent_index::{StudyIndex, StudyWarning, scan};
use lucent_testdata::*;
use std::path::{Path, PathBuf};

fn small_ct(
    seed: u64,
    slices: usize,
    numbering: Numbering,
    tilt: f64,
) -> (StudyIdentity, Vec<ImageSpec>) {
    let study = StudyIdentity::phantom(seed, "PHANTOM^CT");
    let p = CtSeries {
        seed,
        slices,
        size: 32,
        numbering,
        tilt_degrees: tilt,
        ..CtSeries::default()
    };
    let specs = ct_series_specs(&study, &p);
    (study, specs)
}

fn index_of(paths: &[&Path]) -> StudyIndex {
    scan(&paths.iter().map(|p| p.to_path_buf()).collect::<Vec<_>>()).expect("scan runs")
}

fn assert_ascending_along_normal(index: &StudyIndex) {
    for series in index
        .studies
        .iter()
        .flat_map(|s| &s.series)
        .filter(|s| s.instances.len() > 1)
    {
        let normal = slice_normal(&series.instances[0].orientation.unwrap()).unwrap();
        let locs: Vec<f64> = series
            .instances
            .iter()
            .map(|i| location_along(&normal, &i.position.unwrap()))
            .collect();
        assert!(
            locs.windows(2).all(|w| w[0] < w[1]),
            "not ascending: {locs:?}"
        );
    }
}

#[test]
fn shuffled_files_with_random_instance_numbers_sort_by_geometry() {
    let dir = tempfile::tempdir().unwrap();
    let (_, specs) = small_ct(11, 30, Numbering::Random, 0.0);
    write_all(dir.path(), &specs, Some(99)).unwrap();
    let index = index_of(&[dir.path()]);
    assert_eq!(index.studies.len(), 1);
    assert_eq!(index.studies[0].series.len(), 1);
    let series = &index.studies[0].series[0];
    assert_eq!(series.instances.len(), 30);
    assert_ascending_along_normal(&index);
    let expected: Vec<String> = specs.iter().map(|s| s.sop_instance_uid.clone()).collect();
    let got: Vec<String> = series
        .instances
        .iter()
        .map(|i| i.sop_instance_uid.clone())
        .collect();
    assert_eq!(
        got, expected,
        "display order is the generator's geometric order"
    );
}

#[test]
fn misleading_instance_numbers_do_not_decide_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let (_, specs) = small_ct(12, 12, Numbering::Reversed, 0.0);
    write_all(dir.path(), &specs, None).unwrap();
    let index = index_of(&[dir.path()]);
    let numbers: Vec<i64> = index.studies[0].series[0]
        .instances
        .iter()
        .map(|i| i.instance_number.unwrap())
        .collect();
    assert_eq!(
        numbers,
        (1..=12).rev().collect::<Vec<_>>(),
        "geometry wins over InstanceNumber"
    );
    assert_ascending_along_normal(&index);
}

#[test]
fn tilted_gantry_series_is_one_stack_sorted_along_the_normal() {
    let dir = tempfile::tempdir().unwrap();
    let (_, specs) = small_ct(13, 16, Numbering::Random, 22.0);
    write_all(dir.path(), &specs, Some(5)).unwrap();
    let index = index_of(&[dir.path()]);
    assert_eq!(
        index.studies[0].series.len(),
        1,
        "tilt must not split the stack"
    );
    assert_eq!(index.studies[0].series[0].instances.len(), 16);
    assert_ascending_along_normal(&index);
}

#[test]
fn two_interleaved_stacks_in_one_series_are_split() {
    let dir = tempfile::tempdir().unwrap();
    // Pre- and post-contrast acquisitions at the same 8 positions, interleaved numbering.
    let (_, mut first) = small_ct(14, 8, Numbering::FollowsGeometry, 0.0);
    let (_, second) = small_ct(14, 8, Numbering::FollowsGeometry, 0.0);
    let mut specs = Vec::new();
    for (k, (mut a, mut b)) in first.drain(..).zip(second).enumerate() {
        a.instance_number = Some(2 * k as i32 + 1);
        a.acquisition_number = Some(1);
        b.instance_number = Some(2 * k as i32 + 2);
        b.acquisition_number = Some(2);
        b.sop_instance_uid = uid(14, &[99, k as u64]);
        specs.push(a);
        specs.push(b);
    }
    write_all(dir.path(), &specs, Some(3)).unwrap();
    let index = index_of(&[dir.path()]);
    let series = &index.studies[0].series;
    assert_eq!(series.len(), 2, "one entry per stack");
    assert_eq!(series[0].series_instance_uid, series[1].series_instance_uid);
    assert_eq!((series[0].stack, series[1].stack), (0, 1));
    assert!(
        series[0]
            .instances
            .iter()
            .all(|i| i.instance_number.unwrap() % 2 == 1)
    );
    assert!(
        series[1]
            .instances
            .iter()
            .all(|i| i.instance_number.unwrap() % 2 == 0)
    );
    assert_ascending_along_normal(&index);
}

#[test]
fn studies_series_and_multi_frame_are_grouped() {
    let dir = tempfile::tempdir().unwrap();
    write_sample_study(dir.path()).unwrap();
    let other = StudyIdentity::phantom(50, "PHANTOM^OTHER");
    let p = CtSeries {
        seed: 50,
        slices: 3,
        size: 16,
        ..CtSeries::default()
    };
    write_all(
        &dir.path().join("other"),
        &ct_series_specs(&other, &p),
        None,
    )
    .unwrap();
    let index = index_of(&[dir.path()]);
    assert_eq!(index.studies.len(), 2);
    assert!(index.skipped.is_empty(), "{:?}", index.skipped);
    let sample = index
        .studies
        .iter()
        .find(|s| s.patient.name.as_deref() == Some("PHANTOM^SAMPLE"))
        .unwrap();
    let summary: Vec<(Option<i64>, Option<&str>, usize, u64)> = sample
        .series
        .iter()
        .map(|s| {
            (
                s.series_number,
                s.modality.as_deref(),
                s.instances.len(),
                s.frame_count(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (Some(2), Some("CT"), 60, 60),
            (Some(3), Some("MR"), 20, 20),
            (Some(4), Some("MR"), 1, 12),
            (Some(5), Some("US"), 1, 1),
            (Some(6), Some("DX"), 1, 1),
            (Some(7), Some("US"), 1, 30),
        ]
    );
    let enhanced = &sample.series[2].instances[0];
    assert_eq!(
        enhanced.position,
        Some([-128.0, -20.0, 128.0]),
        "from the per-frame functional groups"
    );
    assert_eq!(
        enhanced.orientation,
        Some(CORONAL),
        "from the shared functional groups"
    );
    assert_eq!(enhanced.pixel_spacing, Some([2.0, 2.0]));
    let large = &sample.series[4].instances[0];
    assert_eq!((large.rows, large.columns), (5000, 4000));
    let ct = &sample.series[0].instances[0];
    assert_eq!(
        ct.windows,
        vec![(40.0, 400.0), (-600.0, 1500.0), (300.0, 1500.0)]
    );
    assert_eq!(ct.rescale, Some((1.0, -1024.0)));
    assert_eq!(ct.pixel_representation, Some(1));
    // The MR is sagittal: slices advance along x.
    assert_ascending_along_normal(&index);
}

#[test]
fn implicit_vr_files_are_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut specs) = small_ct(15, 4, Numbering::FollowsGeometry, 0.0);
    for s in &mut specs {
        s.transfer_syntax = transfer_syntax::IMPLICIT_LE;
    }
    write_all(dir.path(), &specs, None).unwrap();
    let index = index_of(&[dir.path()]);
    let instances: Vec<_> = index.instances().collect();
    assert_eq!(instances.len(), 4);
    assert_eq!((instances[0].rows, instances[0].columns), (32, 32));
    assert_eq!(
        instances[0].transfer_syntax_uid.as_deref(),
        Some(transfer_syntax::IMPLICIT_LE)
    );
    assert_ascending_along_normal(&index);
}

#[test]
fn folder_and_its_dicomdir_index_each_instance_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_, specs) = small_ct(16, 5, Numbering::FollowsGeometry, 0.0);
    let paths = write_all(&dir.path().join("IMAGES"), &specs, None).unwrap();
    let refs: Vec<Vec<String>> = paths
        .iter()
        .map(|p| {
            vec![
                "IMAGES".to_string(),
                p.file_name().unwrap().to_string_lossy().into_owned(),
            ]
        })
        .collect();
    let dicomdir = write_dicomdir(dir.path(), &refs, 16).unwrap();
    for roots in [
        vec![dir.path()],
        vec![dicomdir.as_path()],
        vec![dir.path(), dicomdir.as_path()],
    ] {
        let index = index_of(&roots);
        assert_eq!(index.instances().count(), 5, "roots {roots:?}");
        assert!(index.skipped.is_empty(), "{:?}", index.skipped);
    }
}

#[test]
fn a_copy_of_an_instance_is_reported_as_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let (_, specs) = small_ct(17, 3, Numbering::FollowsGeometry, 0.0);
    let paths = write_all(dir.path(), &specs, None).unwrap();
    std::fs::copy(&paths[0], dir.path().join("ZZ-copy.dcm")).unwrap();
    let index = index_of(&[dir.path()]);
    assert_eq!(index.instances().count(), 3);
    assert_eq!(index.skipped.len(), 1);
    assert_eq!(index.skipped[0].code, ErrorCode::DuplicateInstance);
    assert!(index.skipped[0].path.ends_with("ZZ-copy.dcm"));
}

#[test]
fn dicomdir_references_outside_its_folder_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let media = root.path().join("media");
    let (_, specs) = small_ct(18, 2, Numbering::FollowsGeometry, 0.0);
    write_all(&media.join("IMAGES"), &specs[..1], None).unwrap();
    // A real image outside the media folder that a hostile DICOMDIR points at.
    specs[1].write(&root.path().join("outside.dcm")).unwrap();
    let outside_abs = root.path().join("outside.dcm").display().to_string();
    let refs = vec![
        vec!["IMAGES".to_string(), "IM00001.dcm".to_string()],
        vec!["..".to_string(), "outside.dcm".to_string()],
        vec![outside_abs],
        vec!["IMAGES".to_string(), "NOPE".to_string()],
    ];
    let dicomdir = write_dicomdir(&media, &refs, 18).unwrap();
    let index = index_of(&[dicomdir.as_path()]);
    assert_eq!(
        index.instances().count(),
        1,
        "only the reference inside the folder"
    );
    let codes: Vec<ErrorCode> = index.skipped.iter().map(|s| s.code).collect();
    assert_eq!(
        codes
            .iter()
            .filter(|&&c| c == ErrorCode::DicomdirReferenceOutside)
            .count(),
        2,
        "{:?}",
        index.skipped
    );
    assert_eq!(
        codes
            .iter()
            .filter(|&&c| c == ErrorCode::DicomdirReferenceMissing)
            .count(),
        1
    );
    assert!(index.instances().all(|i| !i.path.ends_with("outside.dcm")));
}

#[test]
fn character_sets_decode_for_display() {
    let dir = tempfile::tempdir().unwrap();
    write_charset_samples(dir.path(), 3).unwrap();
    let index = index_of(&[dir.path()]);
    assert!(index.skipped.is_empty(), "{:?}", index.skipped);
    let mut names: Vec<String> = index
        .studies
        .iter()
        .filter_map(|s| s.patient.name.clone())
        .collect();
    let mut expected: Vec<String> = charset_samples()
        .into_iter()
        .map(|(_, _, _, e)| e.to_string())
        .collect();
    names.sort();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn junk_is_skipped_with_reasons_and_never_aborts_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let (_, specs) = small_ct(19, 2, Numbering::FollowsGeometry, 0.0);
    let good = write_all(&dir.path().join("good"), &specs, None).unwrap();
    let junk = write_junk(&dir.path().join("junk"), &good[0], 19).unwrap();
    let sr = dir.path().join("junk").join("report.dcm");
    write_text_sr(&sr, &StudyIdentity::phantom(19, "PHANTOM^CT"), 19).unwrap();
    let index = index_of(&[dir.path()]);
    assert_eq!(index.instances().count(), 2);
    let code_of = |name: &str| {
        index
            .skipped
            .iter()
            .find(|s| s.path.file_name().unwrap() == name)
            .map(|s| s.code)
    };
    assert_eq!(index.skipped.len(), junk.len() + 1, "{:#?}", index.skipped);
    assert_eq!(code_of("empty.dcm"), Some(ErrorCode::NotDicom));
    assert_eq!(code_of("notes.txt"), Some(ErrorCode::NotDicom));
    assert_eq!(code_of("random.bin"), Some(ErrorCode::NotDicom));
    assert_eq!(code_of("truncated-preamble.dcm"), Some(ErrorCode::NotDicom));
    assert_eq!(code_of("truncated-meta.dcm"), Some(ErrorCode::Truncated));
    assert_eq!(code_of("truncated-header.dcm"), Some(ErrorCode::Truncated));
    assert_eq!(code_of("truncated-pixels.dcm"), Some(ErrorCode::Truncated));
    assert_eq!(code_of("report.dcm"), Some(ErrorCode::NoPixelData));
    assert_eq!(
        code_of("dicm-garbage.dcm"),
        Some(ErrorCode::NotDicom),
        "DICM must be followed by group 0002"
    );
    assert!(index.skipped.iter().all(|s| !s.reason.is_empty()));
}

#[test]
fn every_truncation_of_a_real_file_is_handled() {
    let dir = tempfile::tempdir().unwrap();
    let (_, specs) = small_ct(20, 1, Numbering::FollowsGeometry, 0.0);
    let good = write_all(dir.path(), &specs, None).unwrap();
    let bytes = std::fs::read(&good[0]).unwrap();
    let cut_dir = dir.path().join("cuts");
    std::fs::create_dir(&cut_dir).unwrap();
    // Every cut through the header, then a few through the pixel data.
    let header_len = bytes.len() - 32 * 32 * 2;
    let cuts: Vec<usize> = (0..header_len + 16)
        .chain((header_len + 16..bytes.len()).step_by(97))
        .collect();
    for &cut in &cuts {
        std::fs::write(cut_dir.join(format!("cut-{cut:06}")), &bytes[..cut]).unwrap();
    }
    let index = index_of(&[cut_dir.as_path()]);
    let mut seen: Vec<&Path> = index.skipped.iter().map(|s| s.path.as_path()).collect();
    seen.extend(index.instances().map(|i| i.path.as_path()));
    for &cut in &cuts {
        let name = cut_dir.join(format!("cut-{cut:06}"));
        assert!(
            seen.contains(&name.as_path()),
            "cut at {cut} neither indexed nor skipped"
        );
    }
    assert_eq!(index.instances().count() + index.skipped.len(), cuts.len());
    assert_eq!(
        index.instances().count(),
        0,
        "no truncated file is indexed as an image"
    );
    assert!(
        index.skipped.iter().all(|s| s.code != ErrorCode::Internal),
        "no contained panics"
    );
}

#[test]
fn missing_path_fails_the_scan() {
    let err = scan(&[PathBuf::from("/definitely/not/here")]).unwrap_err();
    assert_eq!(
        lucent_error::HasErrorCode::code(&err),
        ErrorCode::PathNotFound
    );
}

#[test]
fn measurement_spacing_says_whether_it_is_in_the_patient_or_at_the_detector() {
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(77, "PHANTOM^DX");
    let mut both = ImageSpec::new(
        study.study_instance_uid.clone(),
        uid(77, &[2]),
        uid(77, &[3]),
    );
    both.pixel_spacing = Some([0.15, 0.15]);
    both.imager_pixel_spacing = Some([0.18, 0.18]);
    both.write(&dir.path().join("both.dcm")).unwrap();
    let mut detector = ImageSpec::new(
        study.study_instance_uid.clone(),
        uid(77, &[4]),
        uid(77, &[5]),
    );
    detector.imager_pixel_spacing = Some([0.143, 0.144]);
    detector.write(&dir.path().join("detector.dcm")).unwrap();
    let mut none = ImageSpec::new(
        study.study_instance_uid.clone(),
        uid(77, &[6]),
        uid(77, &[7]),
    );
    none.imager_pixel_spacing = Some([0.0, -1.0]);
    none.write(&dir.path().join("none.dcm")).unwrap();
    let index = scan(&[dir.path().to_path_buf()]).unwrap();
    let spacing = |name: &str| {
        index.studies[0]
            .series
            .iter()
            .flat_map(|s| &s.instances)
            .find(|i| i.path.ends_with(name))
            .unwrap()
            .measurement_spacing()
    };
    let both = spacing("both.dcm").unwrap();
    assert_eq!(
        (both.row_mm, both.basis),
        (0.15, lucent_index::SpacingBasis::Patient)
    );
    let detector = spacing("detector.dcm").unwrap();
    assert_eq!(
        (detector.row_mm, detector.column_mm, detector.basis),
        (0.143, 0.144, lucent_index::SpacingBasis::Detector)
    );
    assert_eq!(
        spacing("none.dcm"),
        None,
        "zero or negative spacing is no spacing"
    );
}

// --- What is shown is what was indexed (issue 16) ---

/// A small image of one patient: `id` empty means no Patient ID; `study`/`series` empty mean the
/// file has those UIDs empty.
fn patient_image(study: &str, series: &str, sop: String, id: &str, name: &str) -> ImageSpec {
    let mut s = ImageSpec::new(study.into(), series.into(), sop);
    s.patient_id = id.as_bytes().to_vec();
    s.patient_name = name.as_bytes().to_vec();
    s
}

fn sop_uids(study: &lucent_index::Study) -> Vec<String> {
    let mut uids: Vec<String> = study
        .series
        .iter()
        .flat_map(|s| &s.instances)
        .map(|i| i.sop_instance_uid.clone())
        .collect();
    uids.sort();
    uids
}

fn assert_keys_unique(index: &StudyIndex) {
    let mut studies = std::collections::HashSet::new();
    let mut series = std::collections::HashSet::new();
    for study in &index.studies {
        assert!(studies.insert(study.key.clone()), "study key twice");
        for s in &study.series {
            assert!(
                series.insert((study.key.clone(), s.key.clone(), s.stack)),
                "series key twice"
            );
        }
    }
}

#[test]
fn two_patients_sharing_a_study_uid_are_two_flagged_studies() {
    let dir = tempfile::tempdir().unwrap();
    let (study, series) = (uid(80, &[1]), uid(80, &[2]));
    let mut a_uids = Vec::new();
    let mut b_uids = Vec::new();
    for k in 0..3u64 {
        let mut a = patient_image(&study, &series, uid(80, &[3, k]), "PAT-A", "ALPHA^ANN");
        a.instance_number = Some(k as i32 + 1);
        a.write(&dir.path().join(format!("a{k}.dcm"))).unwrap();
        a_uids.push(a.sop_instance_uid);
        // Patient B's files carry the same Study and Series Instance UIDs.
        let mut b = patient_image(&study, &series, uid(80, &[4, k]), "PAT-B", "BRAVO^BOB");
        b.instance_number = Some(k as i32 + 1);
        b.write(&dir.path().join(format!("b{k}.dcm"))).unwrap();
        b_uids.push(b.sop_instance_uid);
    }
    a_uids.sort();
    b_uids.sort();
    let index = index_of(&[dir.path()]);
    assert!(index.skipped.is_empty(), "{:?}", index.skipped);
    assert_eq!(index.studies.len(), 2, "one study per patient");
    for s in &index.studies {
        assert_eq!(s.study_instance_uid, study);
        assert_eq!(s.warnings, vec![StudyWarning::UidSharedByPatients]);
        let expected = match s.patient.id.as_deref() {
            Some("PAT-A") => (&a_uids, "ALPHA^ANN"),
            Some("PAT-B") => (&b_uids, "BRAVO^BOB"),
            other => panic!("unexpected patient {other:?}"),
        };
        assert_eq!(&sop_uids(s), expected.0, "only the patient's own instances");
        assert_eq!(s.patient.name.as_deref(), Some(expected.1));
    }
    assert_keys_unique(&index);
}

#[test]
fn two_patients_files_without_uids_are_never_one_study() {
    let dir = tempfile::tempdir().unwrap();
    // A and B by Patient ID; C and D without one, told apart by name; E and F by birth date.
    let patients = [
        ("A", "PAT-A", "SAME^NAME", None),
        ("B", "PAT-B", "SAME^NAME", None),
        ("C", "", "CHARLIE^C", None),
        ("D", "", "DELTA^D", None),
        ("E", "", "SAME^NAME", Some("19500101")),
        ("F", "", "SAME^NAME", Some("19600101")),
    ];
    for (n, (tag, id, name, birth)) in patients.iter().enumerate() {
        for k in 0..2u64 {
            let mut s = patient_image("", "", uid(81, &[n as u64, k]), id, name);
            s.patient_birth_date = birth.map(str::to_string);
            s.instance_number = Some(k as i32 + 1);
            s.write(&dir.path().join(format!("{tag}{k}.dcm"))).unwrap();
        }
    }
    let index = index_of(&[dir.path()]);
    assert!(index.skipped.is_empty(), "{:?}", index.skipped);
    assert_eq!(index.studies.len(), patients.len(), "one study per patient");
    for (n, _) in patients.iter().enumerate() {
        let mut expected: Vec<String> = (0..2u64).map(|k| uid(81, &[n as u64, k])).collect();
        expected.sort();
        let study = index
            .studies
            .iter()
            .find(|s| sop_uids(s).contains(&expected[0]))
            .unwrap();
        assert_eq!(sop_uids(study), expected, "patient {n} alone in its study");
        assert_eq!(
            study.warnings,
            vec![
                StudyWarning::MissingStudyUid,
                StudyWarning::MissingSeriesUid
            ]
        );
    }
    assert_keys_unique(&index);
}

#[test]
fn one_patients_files_without_uids_are_one_flagged_study() {
    let dir = tempfile::tempdir().unwrap();
    // Two series (numbers 1 and 2) without Series Instance UIDs, one without a Study UID.
    for series in [1, 2] {
        for k in 0..3u64 {
            let mut s = patient_image("", "", uid(82, &[series, k]), "PAT-A", "ALPHA^ANN");
            s.series_number = Some(series as i32);
            s.instance_number = Some(k as i32 + 1);
            s.write(&dir.path().join(format!("s{series}-{k}.dcm")))
                .unwrap();
        }
    }
    let index = index_of(&[dir.path()]);
    assert!(index.skipped.is_empty(), "{:?}", index.skipped);
    assert_eq!(index.studies.len(), 1);
    let study = &index.studies[0];
    assert_eq!(
        study.warnings,
        vec![
            StudyWarning::MissingStudyUid,
            StudyWarning::MissingSeriesUid
        ]
    );
    let series: Vec<(Option<i64>, usize)> = study
        .series
        .iter()
        .map(|s| (s.series_number, s.instances.len()))
        .collect();
    assert_eq!(series, vec![(Some(1), 3), (Some(2), 3)]);
    assert_keys_unique(&index);
    // The keys are the same on every scan of the same files.
    let again = index_of(&[dir.path()]);
    let keys = |i: &StudyIndex| -> Vec<(String, Vec<String>)> {
        i.studies
            .iter()
            .map(|s| {
                (
                    s.key.clone(),
                    s.series.iter().map(|x| x.key.clone()).collect(),
                )
            })
            .collect()
    };
    assert_eq!(keys(&index), keys(&again));
}

#[test]
fn one_sop_instance_uid_in_two_patients_files_indexes_neither() {
    let dir = tempfile::tempdir().unwrap();
    let (study, series) = (uid(83, &[1]), uid(83, &[2]));
    let shared = uid(83, &[3]);
    let mut a = patient_image(&study, &series, shared.clone(), "PAT-A", "ALPHA^ANN");
    a.write(&dir.path().join("a.dcm")).unwrap();
    a.instance_number = Some(2);
    a.sop_instance_uid = uid(83, &[4]);
    a.write(&dir.path().join("a2.dcm")).unwrap();
    let b = patient_image(&study, &series, shared.clone(), "PAT-B", "BRAVO^BOB");
    b.write(&dir.path().join("b.dcm")).unwrap();
    let index = index_of(&[dir.path()]);
    assert_eq!(
        index
            .instances()
            .map(|i| &i.sop_instance_uid)
            .collect::<Vec<_>>(),
        vec![&uid(83, &[4])],
        "neither file with the contested UID is shown"
    );
    let skipped: Vec<(&Path, ErrorCode)> = index
        .skipped
        .iter()
        .map(|s| (s.path.as_path(), s.code))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (
                dir.path().join("a.dcm").as_path(),
                ErrorCode::DuplicateInstance
            ),
            (
                dir.path().join("b.dcm").as_path(),
                ErrorCode::DuplicateInstance
            ),
        ]
    );
}

#[test]
fn header_text_is_one_clean_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = patient_image(&uid(84, &[1]), &uid(84, &[2]), uid(84, &[3]), "", "");
    s.specific_character_set = Some("ISO_IR 192".into());
    s.patient_name = "EVIL\nW 40 L 400\u{202E}rongo\u{202C}".as_bytes().to_vec();
    s.patient_id = "ID\u{200B}\r\n7".as_bytes().to_vec();
    s.study_description = "HEAD\u{2066}\tCT\u{2069}\u{0007}".as_bytes().to_vec();
    s.series_description = "AX\u{FEFF}IAL\u{0085}2".as_bytes().to_vec();
    s.accession_number = Some("ACC\n1".into());
    s.patient_sex = Some("M\r".into());
    s.study_date = Some("2026\n0101".into());
    let path = dir.path().join("evil.dcm");
    s.write(&path).unwrap();
    let index = index_of(&[dir.path()]);
    assert!(index.skipped.is_empty(), "{:?}", index.skipped);
    let study = &index.studies[0];
    let p = &study.patient;
    assert_eq!(p.name.as_deref(), Some("EVIL W 40 L 400rongo"));
    assert_eq!(p.id.as_deref(), Some("ID 7"));
    assert_eq!(p.sex.as_deref(), Some("M"));
    assert_eq!(study.study_description.as_deref(), Some("HEAD CT"));
    assert_eq!(study.accession_number.as_deref(), Some("ACC 1"));
    assert_eq!(study.study_date.as_deref(), Some("2026 0101"));
    assert_eq!(
        study.series[0].series_description.as_deref(),
        Some("AXIAL 2")
    );
    // The identity the audit trail and error reports use is cleaned the same way.
    let header = lucent_index::header::read_header(&path).unwrap();
    let identity = lucent_index::HeaderIdentity::of(&header);
    assert_eq!(identity.patient_name, p.name);
    assert_eq!(identity.patient_id, p.id);
}

/// Runs a scan on another thread and fails the test (instead of hanging it) after `limit`.
fn scan_within(paths: Vec<PathBuf>, limit: std::time::Duration) -> StudyIndex {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(scan(&paths).expect("scan runs"));
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("the scan did not finish within {limit:?}"))
}

#[test]
fn symbolic_links_out_of_the_given_folder_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    let (_, specs) = small_ct(85, 2, Numbering::FollowsGeometry, 0.0);
    write_all(&outside.path().join("other"), &specs, None).unwrap();
    let root = tempfile::tempdir().unwrap();
    let (_, inside) = small_ct(86, 2, Numbering::FollowsGeometry, 0.0);
    write_all(&root.path().join("mine"), &inside, None).unwrap();
    let folder_link = root.path().join("mine").join("elsewhere");
    std::os::unix::fs::symlink(outside.path().join("other"), &folder_link).unwrap();
    let file_link = root.path().join("one.dcm");
    std::os::unix::fs::symlink(outside.path().join("other/IM00001.dcm"), &file_link).unwrap();
    let index = scan_within(
        vec![root.path().to_path_buf()],
        std::time::Duration::from_secs(20),
    );
    assert_eq!(index.instances().count(), 2, "only the files inside");
    assert!(
        index
            .instances()
            .all(|i| i.path.starts_with(root.path().join("mine"))
                && !i.path.starts_with(&folder_link))
    );
    let skipped: Vec<(&Path, ErrorCode)> = index
        .skipped
        .iter()
        .map(|s| (s.path.as_path(), s.code))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (folder_link.as_path(), ErrorCode::LinkOutsideRoot),
            (file_link.as_path(), ErrorCode::LinkOutsideRoot),
        ]
    );
    // Given as a root itself, the outside folder (here through a link) is scanned.
    let root_link = root.path().join("root-link");
    std::os::unix::fs::symlink(outside.path(), &root_link).unwrap();
    let index = scan_within(vec![root_link], std::time::Duration::from_secs(20));
    assert_eq!(index.instances().count(), 2);
    assert!(index.skipped.is_empty(), "{:?}", index.skipped);
}

#[test]
fn a_link_to_the_file_system_root_is_not_walked() {
    let root = tempfile::tempdir().unwrap();
    let (_, specs) = small_ct(87, 2, Numbering::FollowsGeometry, 0.0);
    write_all(root.path(), &specs, None).unwrap();
    std::os::unix::fs::symlink("/", root.path().join("slash")).unwrap();
    let started = std::time::Instant::now();
    let index = scan_within(
        vec![root.path().to_path_buf()],
        std::time::Duration::from_secs(20),
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(index.instances().count(), 2);
    assert!(index.instances().all(|i| i.path.starts_with(root.path())));
    assert_eq!(index.skipped.len(), 1, "{:?}", index.skipped);
    assert_eq!(index.skipped[0].code, ErrorCode::LinkOutsideRoot);
    assert!(index.skipped[0].path.ends_with("slash"));
}

#[test]
fn links_inside_the_given_folder_are_followed_once_and_loops_end() {
    let root = tempfile::tempdir().unwrap();
    let (_, specs) = small_ct(88, 3, Numbering::FollowsGeometry, 0.0);
    write_all(&root.path().join("series"), &specs, None).unwrap();
    std::os::unix::fs::symlink(root.path().join("series"), root.path().join("alias")).unwrap();
    std::fs::create_dir(root.path().join("nest")).unwrap();
    // A loop: nest/up → the root.
    std::os::unix::fs::symlink(root.path(), root.path().join("nest").join("up")).unwrap();
    let index = scan_within(
        vec![root.path().to_path_buf()],
        std::time::Duration::from_secs(20),
    );
    assert_eq!(index.instances().count(), 3, "each file once");
    // The loop is reported where it closes (walkdir detects it); nothing is outside the root.
    assert_eq!(index.skipped.len(), 1, "{:?}", index.skipped);
    assert!(
        index
            .skipped
            .iter()
            .all(|s| s.code != ErrorCode::LinkOutsideRoot && s.path.ends_with("nest/up")),
        "{:?}",
        index.skipped
    );
}

#[test]
fn a_dicomdir_reached_through_a_link_references_files_next_to_its_target() {
    let root = tempfile::tempdir().unwrap();
    let media = root.path().join("media");
    let (_, specs) = small_ct(89, 2, Numbering::FollowsGeometry, 0.0);
    write_all(&media.join("IMAGES"), &specs, None).unwrap();
    let refs: Vec<Vec<String>> = (1..=2)
        .map(|k| vec!["IMAGES".to_string(), format!("IM{k:05}.dcm")])
        .collect();
    let dicomdir = write_dicomdir(&media, &refs, 89).unwrap();
    // A folder elsewhere in the root holding only a link to the DICOMDIR.
    std::fs::create_dir(root.path().join("entry")).unwrap();
    let link = root.path().join("entry").join("DICOMDIR");
    std::os::unix::fs::symlink(&dicomdir, &link).unwrap();
    // Given itself, the link is the DICOMDIR: its references resolve next to the target.
    let index = index_of(&[link.as_path()]);
    assert_eq!(index.instances().count(), 2, "{:?}", index.skipped);
    assert!(index.skipped.is_empty(), "{:?}", index.skipped);
    // Met in a given folder, the link leads outside it and is not followed.
    let index = index_of(&[root.path().join("entry").as_path()]);
    assert_eq!(index.instances().count(), 0);
    let codes: Vec<ErrorCode> = index.skipped.iter().map(|s| s.code).collect();
    assert_eq!(codes, vec![ErrorCode::LinkOutsideRoot]);
}
