//! Tests on public test files fetched by `test-data/fetch.sh` (pydicom 3.0.1 wheel, MIT).
//! The README's test command runs the fetch first; run `test-data/fetch.sh` by hand otherwise.

use lucent_error::ErrorCode;
use lucent_index::scan;
use std::path::PathBuf;

fn pydicom_data() -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-data/cache/pydicom-3.0.1/data");
    assert!(
        dir.join("../.complete").exists(),
        "fetched test files missing: run test-data/fetch.sh (the README's test command does)"
    );
    dir
}

#[test]
fn pydicom_character_set_files_decode_as_the_standard_says() {
    let index = scan(&[pydicom_data().join("charset_files")]).unwrap();
    let mut names: Vec<String> = index
        .studies
        .iter()
        .filter_map(|s| s.patient.name.clone())
        .collect();
    names.sort();
    let mut expected = vec![
        "Buc^Jérôme",
        "Hong^Gildong=洪^吉洞=홍^길동",
        "Wang^XiaoDong=王^小东=",
        "Wang^XiaoDong=王^小東=",
        "Yamada^Tarou=山田^太郎=やまだ^たろう",
        "Äneas^Rüdiger",
        "Διονυσιος",
        "Люк\u{0063}\u{0065}мб\u{0079}\u{0070}г",
        "שרון^דבורה",
        "قباني^لنزار",
        "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう",
    ];
    expected.sort();
    assert_eq!(names, expected);
    // chrFrenMulti.dcm reuses chrFren.dcm's SOP Instance UID.
    assert!(
        index
            .skipped
            .iter()
            .any(|s| s.code == ErrorCode::DuplicateInstance)
    );
}

#[test]
fn pydicom_dicomdir_variants_reference_the_same_images() {
    let dir = pydicom_data().join("test_files/dicomdirtests");
    let reference = scan(&[dir.join("DICOMDIR")]).unwrap();
    assert_eq!(reference.studies.len(), 6);
    assert_eq!(reference.instances().count(), 31);
    assert!(reference.skipped.is_empty(), "{:?}", reference.skipped);
    let uids = |index: &lucent_index::StudyIndex| {
        let mut v: Vec<String> = index
            .instances()
            .map(|i| i.sop_instance_uid.clone())
            .collect();
        v.sort();
        v
    };
    for variant in [
        "DICOMDIR-implicit",
        "DICOMDIR-bigEnd",
        "DICOMDIR-nopatient",
        "DICOMDIR-reordered",
    ] {
        let index = scan(&[dir.join(variant)]).unwrap();
        assert_eq!(uids(&index), uids(&reference), "{variant}");
    }
    assert_eq!(
        scan(&[dir.join("DICOMDIR-empty.dcm")])
            .unwrap()
            .instances()
            .count(),
        0
    );
    // The folder and its DICOMDIR together: every image once.
    let both = scan(&[dir.clone(), dir.join("DICOMDIR")]).unwrap();
    assert_eq!(uids(&both), uids(&reference));
}

#[test]
fn every_pydicom_test_file_is_indexed_or_skipped_with_a_code() {
    let index = scan(&[pydicom_data()]).unwrap();
    assert!(
        index.instances().count() >= 70,
        "only {} images",
        index.instances().count()
    );
    assert!(
        index.skipped.iter().all(|s| s.code != ErrorCode::Internal),
        "a contained panic"
    );
    let ct = index
        .instances()
        .find(|i| i.path.ends_with("test_files/CT_small.dcm"))
        .expect("CT_small indexed");
    assert_eq!((ct.rows, ct.columns), (128, 128));
    assert_eq!(ct.position, Some([-158.135803, -179.035797, -75.699997]));
    // Big endian, deflated, implicit VR, a file declaring explicit VR written implicitly, and
    // raw data sets without meta information: each read on its own (several share a UID).
    for (name, rows, columns) in [
        ("MR_small_bigendian.dcm", 64, 64),
        ("image_dfl.dcm", 512, 512),
        ("MR_small_implicit.dcm", 64, 64),
        ("SC_rgb_jpeg.dcm", 256, 256),
        ("rtdose_expb.dcm", 10, 10),
    ] {
        let one = scan(&[pydicom_data().join("test_files").join(name)]).unwrap();
        let found: Vec<_> = one.instances().collect();
        assert_eq!(found.len(), 1, "{name}: {:?}", one.skipped);
        assert_eq!((found[0].rows, found[0].columns), (rows, columns), "{name}");
    }
}
