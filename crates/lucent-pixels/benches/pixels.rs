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
    let ct = ct_series_specs(
        &study,
        &CtSeries {
            seed: 80,
            slices: 1,
            ..CtSeries::default()
        },
    )
    .remove(0);
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

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = pixels
}
criterion_main!(benches);
