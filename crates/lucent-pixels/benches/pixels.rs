//! Pixel pipeline micro-benchmarks on a 512×512 signed 16-bit CT frame (one core):
//! decode (read + byte order) ≤ 0.1 ms and window to 8-bit with a cached table ≤ 0.3 ms are the
//! targets of the pipeline issue; also the table build (once per window change) and a full
//! render, and native multi-frame access (frame k costs O(frame)).

#![allow(missing_docs)] // criterion_group! generates an undocumented function.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use lucent_pixels::lut::{DisplayTable, ModalityTransform, VoiTransform};
use lucent_pixels::{PixelFile, Samples, VoiChoice, VoiFunction, Window};
use lucent_testdata::*;

fn pixels(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(80, "PHANTOM^BENCH");
    let ct = ct_slice_spec(&study, 80);
    let path = dir.path().join("ct.dcm");
    ct.write(&path).unwrap();
    let file = PixelFile::open(&path).unwrap();
    let info = file.info.clone();
    let modality = ModalityTransform::new(&info);
    let voi = VoiTransform::Window(Window {
        center: 40.0,
        width: 400.0,
        function: VoiFunction::Linear,
    });

    let mut g = c.benchmark_group("ct_512x512_s16");
    g.bench_function("decode_frame", |b| b.iter(|| file.decode_frame(0).unwrap()));
    g.bench_function("build_window_table", |b| {
        b.iter(|| DisplayTable::build(&info, &modality, &voi, false).unwrap())
    });
    let table = DisplayTable::build(&info, &modality, &voi, false).unwrap();
    let decoded = file.decode_frame(0).unwrap();
    let Samples::U16(raw) = &decoded.samples else {
        panic!("16-bit")
    };
    let mut out = Vec::with_capacity(raw.len());
    g.bench_function("window_to_8bit_cached_table", |b| {
        b.iter(|| table.map_u16(raw, &mut out))
    });
    g.bench_function("render_full_pipeline", |b| {
        b.iter(|| {
            file.render(
                0,
                VoiChoice::Explicit {
                    center: 40.0,
                    width: 400.0,
                },
            )
            .unwrap()
        })
    });
    g.bench_function("open_file", |b| b.iter(|| PixelFile::open(&path).unwrap()));
    g.finish();

    // Multi-frame: frame 180 of a 200-frame file costs the same as frame 0.
    let mut mf = enhanced_mr_spec(&study, 80, 200);
    mf.rows = 256;
    mf.columns = 256;
    mf.pixels = Pixels::Mono16 {
        signed: false,
        bits_stored: 12,
        values: vec![100; 200 * 256 * 256],
    };
    let mf_path = dir.path().join("mf.dcm");
    mf.write(&mf_path).unwrap();
    let mf_file = PixelFile::open(&mf_path).unwrap();
    let mut g = c.benchmark_group("multiframe_200x256x256");
    g.bench_function("decode_frame_0", |b| {
        b.iter(|| mf_file.decode_frame(0).unwrap())
    });
    g.bench_function("decode_frame_180", |b| {
        b.iter(|| mf_file.decode_frame(180).unwrap())
    });
    g.bench_function("open_and_decode_frame_180", |b| {
        b.iter_batched(
            || (),
            |_| {
                PixelFile::open(&mf_path)
                    .unwrap()
                    .decode_frame(180)
                    .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// Decode of one frame per codec, on the fetched pydicom test files (test-data/fetch.sh).
fn codecs(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-data/cache/pydicom-3.0.1/data/test_files");
    if !dir.exists() {
        eprintln!("codecs: run test-data/fetch.sh first; skipping the per-codec group");
        return;
    }
    let mut g = c.benchmark_group("decode_per_codec");
    for (codec, name) in [
        ("explicit_be_64x64", "MR_small_bigendian.dcm"),
        ("deflate_512x512", "image_dfl.dcm"),
        ("rle_64x64", "MR_small_RLE.dcm"),
        ("jpeg_baseline_rgb_100x100", "SC_rgb_jpeg_dcmtk.dcm"),
        ("jpeg_ls_64x64", "MR_small_jpeg_ls_lossless.dcm"),
        ("jpeg2000_lossless_64x64", "MR_small_jp2klossless.dcm"),
        ("jpeg2000_1024x256", "JPEG2000.dcm"),
    ] {
        let file = PixelFile::open(&dir.join(name)).unwrap();
        g.bench_function(codec, |b| b.iter(|| file.decode_frame(0).unwrap()));
    }
    g.finish();
}

/// Pyramid and tiles of a 4000×5000 radiograph (coarse level first, then visible tiles).
fn tiles(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let study = StudyIdentity::phantom(81, "PHANTOM^BENCH");
    large_dx_spec(&study, 81)
        .write(&dir.path().join("dx.dcm"))
        .unwrap();
    let file = PixelFile::open(&dir.path().join("dx.dcm")).unwrap();
    let full = file.render(0, VoiChoice::FromHeader).unwrap();
    let mut g = c.benchmark_group("dx_4000x5000");
    g.sample_size(10);
    g.bench_function("render_full", |b| {
        b.iter(|| file.render(0, VoiChoice::FromHeader).unwrap())
    });
    g.bench_function("pyramid_to_512", |b| {
        b.iter_batched(
            || full.clone(),
            |f| lucent_pixels::Pyramid::new(f, 512),
            BatchSize::LargeInput,
        )
    });
    let pyramid = lucent_pixels::Pyramid::new(full, 512);
    g.bench_function("visible_tiles_1280x800", |b| {
        b.iter(|| {
            pyramid
                .visible_tiles(0, (1000, 1000, 1280, 800))
                .into_iter()
                .filter_map(|(x, y)| pyramid.tile(0, x, y))
                .count()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = pixels, codecs, tiles
}
criterion_main!(benches);
