//! `lucent-testdata`: writes Lucent's synthetic phantoms to disk (see the library docs).

use clap::{Parser, Subcommand};
use lucent_testdata::*;
use std::path::PathBuf;

#[derive(Parser)]
#[command(version, about = "Write synthetic DICOM phantoms (no patient data)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The bundled sample study (CT, MR, enhanced MR, RGB US, US cine, 4000×5000 DX).
    Sample {
        /// Output folder.
        out: PathBuf,
    },
    /// A CT phantom series.
    Ct {
        /// Output folder.
        out: PathBuf,
        /// Number of slices.
        #[arg(long, default_value_t = 100)]
        slices: usize,
        /// Rows and columns.
        #[arg(long, default_value_t = 512)]
        size: u16,
        /// Gantry tilt in degrees.
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        tilt: f64,
        /// Shuffle file names and InstanceNumbers (geometry must still sort it).
        #[arg(long)]
        shuffle: bool,
        /// Seed for UIDs.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Patient's Name (UTF-8; e.g. hostile markup for the viewer's escaping test).
        #[arg(long, default_value = "PHANTOM^CT")]
        patient_name: String,
        /// Patient ID (default `PHANTOM-<seed>`; e.g. a marker for the viewer's PHI scan).
        #[arg(long)]
        patient_id: Option<String>,
        /// Distance between slices, mm.
        #[arg(long, default_value_t = 2.5)]
        spacing_mm: f64,
        /// Series Number: another number with the same seed is another series of the same study
        /// and frame of reference (e.g. a thick reconstruction for synchronised scrolling).
        #[arg(long, default_value_t = 2)]
        series_number: i32,
    },
    /// A 4000×5000 radiograph alone (the large-image case), dated 2027-01-01.
    Large {
        /// Output folder.
        out: PathBuf,
    },
    /// A 30-frame ultrasound cine loop alone (Frame Time 33.3 ms), dated 2027-01-02.
    Cine {
        /// Output folder.
        out: PathBuf,
    },
    /// The overlay phantoms (PS3.3 C.9; series 41–44), dated 2027-01-03.
    Overlays {
        /// Output folder.
        out: PathBuf,
    },
    /// The hostile-input corpus: malformed files derived from the phantoms and `--from` folders.
    Malformed {
        /// Output folder.
        out: PathBuf,
        /// Folders of valid files to derive from as well (e.g. the fetched pydicom files).
        #[arg(long)]
        from: Vec<PathBuf>,
        /// At least this many files (random byte flips fill up to it).
        #[arg(long, default_value_t = 5000)]
        count: usize,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Seed corpora for the cargo-fuzz targets in `fuzz/` (one folder per target).
    FuzzSeeds {
        /// Output folder.
        out: PathBuf,
        /// Folders of valid files to take seeds from as well.
        #[arg(long)]
        from: Vec<PathBuf>,
    },
    /// Turns a decode fuzz target's input (e.g. a finding) into the DICOM file the target opened,
    /// to reproduce it with `lucent render`.
    FuzzInputToDicom {
        /// The target: decode_rle, decode_jpeg, decode_jpegls, decode_j2k or decode_deflate.
        target: String,
        /// The fuzz input.
        input: PathBuf,
        /// The DICOM file to write.
        out: PathBuf,
    },
    /// Character-set samples (PS3.5 Annexes H, I, K).
    Charset {
        /// Output folder.
        out: PathBuf,
    },
    /// One file per display class of the conformance issue (a window narrower than 1, a
    /// malformed optional VOI LUT, …): the files of `docs/CONFORMANCE.md`'s display section.
    DisplayClasses {
        /// Output folder.
        out: PathBuf,
    },
}

fn main() -> std::io::Result<()> {
    match Cli::parse().command {
        Command::Sample { out } => write_sample_study(&out),
        Command::Ct {
            out,
            slices,
            size,
            tilt,
            shuffle,
            seed,
            patient_name,
            patient_id,
            spacing_mm,
            series_number,
        } => {
            let mut study = StudyIdentity::phantom(seed, "PHANTOM^CT");
            study.patient_name = patient_name.into_bytes();
            if let Some(id) = patient_id {
                study.patient_id = id.into_bytes();
            }
            let numbering = if shuffle {
                Numbering::Random
            } else {
                Numbering::FollowsGeometry
            };
            let p = CtSeries {
                seed,
                slices,
                size,
                tilt_degrees: tilt,
                numbering,
                spacing_mm,
                series_number,
                ..CtSeries::default()
            };
            write_all(&out, &ct_series_specs(&study, &p), shuffle.then_some(seed)).map(|_| ())
        }
        Command::Malformed {
            out,
            from,
            count,
            seed,
        } => {
            let families =
                lucent_testdata::malformed::write_malformed_corpus(&out, &from, count, seed)?;
            let total: usize = families.iter().map(|(_, n)| n).sum();
            let list: Vec<String> = families.iter().map(|(f, n)| format!("{f} {n}")).collect();
            println!("{total} files in {}: {}", out.display(), list.join(", "));
            Ok(())
        }
        Command::FuzzSeeds { out, from } => {
            let counts = lucent_testdata::malformed::write_fuzz_seeds(&out, &from, 1)?;
            let list: Vec<String> = counts.iter().map(|(t, n)| format!("{t} {n}")).collect();
            println!("fuzz seeds in {}: {}", out.display(), list.join(", "));
            Ok(())
        }
        Command::FuzzInputToDicom { target, input, out } => {
            let ts = lucent_testdata::malformed::FUZZ_CODECS
                .iter()
                .find(|(t, _)| *t == target)
                .map(|(_, ts)| *ts)
                .ok_or_else(|| std::io::Error::other(format!("unknown decode target {target}")))?;
            let file = lucent_testdata::malformed::fuzz_decode_file(ts, &std::fs::read(input)?)
                .ok_or_else(|| std::io::Error::other("input shorter than its 6-byte prefix"))?;
            std::fs::write(out, file)
        }
        Command::Charset { out } => write_charset_samples(&out, 3).map(|_| ()),
        Command::DisplayClasses { out } => {
            let written = write_display_classes(&out)?;
            println!("{} display-class files in {}", written.len(), out.display());
            Ok(())
        }
        Command::Large { out } => {
            let study = StudyIdentity::phantom(9, "PHANTOM^DX");
            let mut spec = large_dx_spec(&study, 9);
            spec.study_date = Some("20270101".into());
            spec.write(&out.join("LARGE.dcm"))
        }
        Command::Overlays { out } => {
            let study = StudyIdentity::phantom(11, "PHANTOM^OVERLAY");
            for (name, mut spec) in overlay_phantom_specs(&study, 11) {
                spec.study_date = Some("20270103".into());
                spec.write(&out.join(format!("{name}.dcm")))?;
            }
            Ok(())
        }
        Command::Cine { out } => {
            let study = StudyIdentity::phantom(10, "PHANTOM^US");
            let mut spec = us_cine_spec(&study, 10, 30, 33.3);
            spec.study_date = Some("20270102".into());
            spec.write(&out.join("CINE.dcm"))
        }
    }
}
