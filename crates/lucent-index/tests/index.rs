//! Integration tests of the study index against files written by an independent encoder
//! (dicom-object, through `lucent-testdata`).

use lucent_error::ErrorCode;
use lucent_index::geometry::{location_along, slice_normal};
use lucent_index::{StudyIndex, scan};
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
