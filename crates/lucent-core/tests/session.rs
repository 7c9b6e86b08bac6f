//! The facade: opaque ids, display views without paths, stable ids across opens.

use lucent_core::{CoreError, ErrorCode, HasErrorCode, SeriesId, Session};
use lucent_testdata::*;

/// Audit first: exactly one 110103 "viewed" record for the study however many frames or values
/// were read (besides the open's one "listed" record). Then the test's audit key leaves the
/// keychain.
fn assert_one_access_record_then_forget_key(data: &std::path::Path) {
    let bodies = lucent_audit::read_bodies(&data.join("audit")).unwrap();
    let accesses = |listed: bool| {
        bodies
            .iter()
            .filter(|b| {
                b.event_code == "110103"
                    && b.error_code.is_none()
                    && (b.event_type.as_deref() == Some("STUDY-LISTED")) == listed
            })
            .count()
    };
    assert_eq!(accesses(false), 1, "one viewed record");
    assert_eq!(accesses(true), 1, "one listed record");
    let _ = lucent_audit::AuditKeychain::open(data).and_then(|k| k.forget());
}

#[test]
fn ui_views_carry_ids_and_display_text_but_never_paths() {
    let dir = tempfile::tempdir().unwrap();
    write_sample_study(dir.path()).unwrap();
    let session = Session::new();
    session.open(&[dir.path().to_path_buf()]).unwrap();
    let studies = session.studies();
    assert_eq!(studies.len(), 1);
    assert_eq!(studies[0].patient.name.as_deref(), Some("PHANTOM^SAMPLE"));
    assert_eq!(studies[0].series.len(), 6);
    let rendered = format!("{studies:?}");
    let root = dir.path().display().to_string();
    assert!(!rendered.contains(&root), "a path leaked into the UI view");
    assert!(
        !rendered.contains(".dcm"),
        "a file name leaked into the UI view"
    );
    assert!(
        !rendered.contains("2.25."),
        "UIDs are not needed by the UI view"
    );
}

#[test]
fn frames_expand_multi_frame_instances_in_display_order() {
    let dir = tempfile::tempdir().unwrap();
    write_sample_study(dir.path()).unwrap();
    let session = Session::new();
    session.open(&[dir.path().to_path_buf()]).unwrap();
    let studies = session.studies();
    let ct = &studies[0].series[0];
    let enhanced = &studies[0].series[2];
    let ct_frames = session.frames(ct.id).unwrap();
    assert_eq!(ct_frames.len(), 60);
    assert!(ct_frames.iter().all(|f| f.frame == 0));
    let first = session.instance(ct_frames[0].instance).unwrap();
    let last = session.instance(ct_frames[59].instance).unwrap();
    assert!(first.position.unwrap()[2] < last.position.unwrap()[2]);
    let mf = session.frames(enhanced.id).unwrap();
    assert_eq!(
        mf.iter().map(|f| f.frame).collect::<Vec<_>>(),
        (0..12).collect::<Vec<_>>()
    );
    assert!(mf.iter().all(|f| f.instance == mf[0].instance));
}

#[test]
fn ids_survive_a_second_open_and_forged_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(3, "PHANTOM^CT");
    let p = CtSeries {
        seed: 3,
        slices: 4,
        size: 16,
        ..CtSeries::default()
    };
    write_all(&dir.path().join("a"), &ct_series_specs(&study, &p), None).unwrap();
    let session = Session::new();
    session.open(&[dir.path().join("a")]).unwrap();
    let before = session.studies();
    let other = StudyIdentity::phantom(4, "PHANTOM^OTHER");
    let q = CtSeries {
        seed: 4,
        slices: 2,
        size: 16,
        ..CtSeries::default()
    };
    write_all(&dir.path().join("b"), &ct_series_specs(&other, &q), None).unwrap();
    session.open(&[dir.path().join("b")]).unwrap();
    let after = session.studies();
    assert_eq!(after.len(), 2);
    let same = after
        .iter()
        .find(|s| s.id == before[0].id)
        .expect("id kept across opens");
    assert_eq!(same.series[0].id, before[0].series[0].id);

    let forged = SeriesId::parse("se-0000000000000001").unwrap();
    let err = session.frames(forged).unwrap_err();
    assert!(matches!(err, CoreError::UnknownId { kind: "series" }));
    assert_eq!(err.code(), ErrorCode::UnknownId);
}

#[test]
fn opening_a_missing_path_is_a_typed_error() {
    let session = Session::new();
    let err = session.open(&["/no/such/folder".into()]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PathNotFound);
}

#[test]
fn frames_render_by_id_through_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(5, "PHANTOM^CT");
    let p = CtSeries {
        seed: 5,
        slices: 3,
        size: 32,
        ..CtSeries::default()
    };
    write_all(&dir.path().join("ct"), &ct_series_specs(&study, &p), None).unwrap();
    let session = Session::new().with_data_dir(dir.path().join("lucent-data"));
    session.open(&[dir.path().join("ct")]).unwrap();
    let series = session.studies()[0].series[0].id;
    let frames = session.frames(series).unwrap();
    let window = lucent_core::VoiChoice::Explicit {
        center: -600.0,
        width: 1500.0,
    };
    let first = session.render_frame(frames[0], window).unwrap();
    assert_eq!((first.width, first.height, first.channels), (32, 32, 1));
    assert!(!first.lossy);
    // The header's soft-tissue window differs from the lung window.
    let header = session
        .render_frame(frames[0], lucent_core::VoiChoice::FromHeader)
        .unwrap();
    assert_ne!(first.pixels, header.pixels);
    // Audit first: one 110103 record for the study, however many frames were read.
    assert_one_access_record_then_forget_key(&dir.path().join("lucent-data"));
}

#[test]
fn no_pixel_without_an_audit_record() {
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(6, "PHANTOM^CT");
    let p = CtSeries {
        seed: 6,
        slices: 1,
        size: 16,
        ..CtSeries::default()
    };
    let paths = write_all(&dir.path().join("ct"), &ct_series_specs(&study, &p), None).unwrap();
    std::fs::write(dir.path().join("plain-file"), b"x").unwrap();
    let session = Session::new().with_data_dir(dir.path().join("plain-file").join("data"));
    let err = session
        .render_file(&paths[0], 0, lucent_core::VoiChoice::FromHeader)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AuditUnavailable, "{err}");
}

#[test]
fn stack_frames_come_from_a_bounded_cache_and_prefetch_warms_neighbours() {
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(9, "PHANTOM^CT");
    let p = CtSeries {
        seed: 9,
        slices: 12,
        size: 64,
        ..CtSeries::default()
    };
    write_all(&dir.path().join("ct"), &ct_series_specs(&study, &p), None).unwrap();
    let session = Session::new().with_data_dir(dir.path().join("lucent-data"));
    session.open(&[dir.path().join("ct")]).unwrap();
    let series = session.studies()[0].series[0].id;
    assert_eq!(session.frame_count(series).unwrap(), 12);
    let voi = lucent_core::VoiChoice::Explicit {
        center: 40.0,
        width: 400.0,
    };
    let frames = session.frames(series).unwrap();
    let direct = session.render_frame(frames[3], voi).unwrap();
    let cached = session.stack_frame(series, 3, voi).unwrap();
    assert_eq!(direct, cached, "the cached path renders the same pixels");
    session.clear_cache();
    session.stack_frame(series, 0, voi).unwrap();
    session.stack_frame(series, 0, voi).unwrap();
    assert!(
        (session.cache_stats().hit_rate - 0.5).abs() < 1e-9,
        "second access is a hit"
    );
    // Prefetch the next 5 in the scroll direction, then they are hits.
    session.prefetch(series, 0, 1, 5).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while session.cache_stats().bytes < 6 * 64 * 64 * 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    session.clear_cache();
    session.prefetch(series, 0, 1, 5).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    for i in 1..=5 {
        session.stack_frame(series, i, voi).unwrap();
    }
    assert!(
        session.cache_stats().hit_rate > 0.99,
        "prefetched frames are hits: {}",
        session.cache_stats().hit_rate
    );
    // The cap holds: 4 frames of 8 KiB.
    session.set_cache_bytes(4 * 64 * 64 * 2);
    for i in 0..12 {
        session.stack_frame(series, i, voi).unwrap();
    }
    assert!(session.cache_stats().bytes <= 4 * 64 * 64 * 2);
    assert!(
        session.stack_frame(series, 12, voi).is_err(),
        "past the last frame"
    );
    let _ =
        lucent_audit::AuditKeychain::open(&dir.path().join("lucent-data")).and_then(|k| k.forget());
}

#[test]
fn a_large_image_comes_as_a_coarse_level_and_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(10, "PHANTOM^DX");
    large_dx_spec(&study, 10)
        .write(&dir.path().join("dx").join("LARGE.dcm"))
        .unwrap();
    let session = Session::new().with_data_dir(dir.path().join("lucent-data"));
    session.open(&[dir.path().join("dx")]).unwrap();
    let series = session.studies()[0].series[0].id;
    let pyramid = session
        .stack_frame_pyramid(series, 0, lucent_core::VoiChoice::FromHeader, 512)
        .unwrap();
    let coarse = pyramid.coarsest();
    assert!(
        coarse.width <= 512 && coarse.height <= 512,
        "{}×{}",
        coarse.width,
        coarse.height
    );
    let full = pyramid.level(0).unwrap();
    assert_eq!(
        (full.width, full.height),
        (4000, 5000),
        "full resolution is kept for measurements"
    );
    let tile = pyramid.tile(0, 1, 1).unwrap();
    assert_eq!((tile.width, tile.height), (256, 256));
    let _ =
        lucent_audit::AuditKeychain::open(&dir.path().join("lucent-data")).and_then(|k| k.forget());
}

#[test]
fn reading_tools_get_full_resolution_values_geometry_and_frame_time() {
    let dir = tempfile::tempdir().unwrap();
    write_sample_study(&dir.path().join("sample")).unwrap();
    let session = Session::new().with_data_dir(dir.path().join("lucent-data"));
    session.open(&[dir.path().join("sample")]).unwrap();
    let series = session.studies()[0].series.clone();
    let by = |modality: &str, frames: u64| {
        series
            .iter()
            .find(|s| s.modality.as_deref() == Some(modality) && s.frame_count == frames)
            .unwrap()
            .id
    };
    let (ct, mr, cine, rgb) = (by("CT", 60), by("MR", 20), by("US", 30), by("US", 1));

    // Every pixel's modality value is the phantom's HU at that slice's height (PS3.3 C.11.1).
    let index = 30;
    let frame = session.frames(ct).unwrap()[index];
    let z = session.instance(frame.instance).unwrap().position.unwrap()[2];
    let values = session.frame_values(ct, index).unwrap();
    assert_eq!((values.width, values.height), (512, 512));
    assert_eq!(values.unit.as_deref(), Some("HU"));
    let lucent_core::ModalityValues::Rescale { slope, intercept } = values.modality else {
        panic!("CT uses a rescale");
    };
    let mut checked = 0;
    for y in 0..512 {
        for x in 0..512 {
            let stored = f64::from(values.stored[y * 512 + x]);
            match ct_phantom_hu(x, y, 512, z) {
                Some(hu) => {
                    assert_eq!(stored * slope + intercept, f64::from(hu), "({x},{y})");
                    checked += 1;
                }
                None => assert_eq!(stored, f64::from(CT_PADDING)),
            }
        }
    }
    assert!(checked > 150_000);

    // Stacks of one study share its frame of reference (an opaque id, never the UID).
    let g_ct = session.stack_geometry(ct).unwrap();
    let g_mr = session.stack_geometry(mr).unwrap();
    assert!(g_ct.frame_of_reference.is_some());
    assert_eq!(g_ct.frame_of_reference, g_mr.frame_of_reference);
    assert!(
        g_ct.frame_of_reference
            .unwrap()
            .to_string()
            .starts_with("fr-")
    );
    assert_eq!(g_ct.orientation, Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]));
    assert_eq!(g_ct.frame_time_ms, None);
    // Cine plays at the file's Frame Time (PS3.3 C.7.6.5).
    let g_cine = session.stack_geometry(cine).unwrap();
    assert_eq!(g_cine.frame_time_ms, Some(33.3));
    assert_eq!(g_cine.modality.as_deref(), Some("US"));
    // Its calibrated ultrasound region (PS3.3 C.8.5.5): 0.03 cm per pixel = 0.3 mm.
    let [region] = g_cine.ultrasound_regions[..] else {
        panic!("one region: {:?}", g_cine.ultrasound_regions);
    };
    assert_eq!(region.bounds, [0, 16, 319, 223]);
    assert!(
        region
            .mm_per_pixel
            .iter()
            .all(|mm| (mm - 0.3).abs() < 1e-12)
    );
    assert!(g_ct.ultrasound_regions.is_empty());
    // An 8-bit US frame has values without a unit; a colour frame has none at all.
    let us = session.frame_values(cine, 29).unwrap();
    assert_eq!(us.unit, None);
    assert_eq!(us.stored.len(), 240 * 320);
    let e = session.frame_values(rgb, 0).unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedPixelFormat);
    assert!(session.frame_values(ct, 60).is_err());

    // Values are pixels: reading them is audited like a frame (one 110103 for the study).
    assert_one_access_record_then_forget_key(&dir.path().join("lucent-data"));
}
