//! The hostile-input corpus: thousands of malformed DICOM files derived from valid seeds, one
//! family per way real files (and attackers) break readers — the CVE classes of
//! `../shared/docs/dicom-notes.md` (GDCM, DCMTK, Orthanc, MicroDicom).
//!
//! Seeds are the generated phantoms (native CT, MR, RGB, enhanced multi-frame, RLE, a DICOMDIR)
//! plus any folders given (the fetched pydicom files: JPEG, JPEG-LS, JPEG 2000, RLE, deflate,
//! big endian). Families, each named in the file name (`family-seed-variant.dcm`):
//!
//! - `truncate`: cut at many offsets (preamble, meta, data set, each element boundary near Pixel
//!   Data, inside fragments).
//! - `length`: a value length made huge (0xFFFFFFF0), odd, past the end, or undefined on a
//!   non-sequence element (PS3.5 7.1).
//! - `dims`: Rows/Columns 0 or 65535, Number of Frames 0, −1, 2^31−1, 1e9, garbage: products
//!   that overflow 32 and 64-bit arithmetic.
//! - `bits`: Bits Allocated 0, 7, 33, 64; Bits Stored > Bits Allocated; High Bit out of range;
//!   Samples per Pixel 0, 4, 65535; Pixel Representation 2.
//! - `offsets`: Basic Offset Table entries past the end, decreasing, or huge; a bogus Extended
//!   Offset Table (PS3.5 A.4).
//! - `rle`: RLE headers with 0, 15, 255 segments, offsets past the fragment, overlapping (PS3.5
//!   Annex G).
//! - `bomb`: decompression bombs: a deflated data set inflating to 256 MiB, Deflated Image Frame
//!   Compression that inflates past its frame, JPEG / JPEG-LS / JPEG 2000 headers claiming
//!   65535×65535 or 2^31 pixels.
//! - `nest`: sequences nested 2,000 to 100,000 deep (defined and undefined lengths).
//! - `dicomdir`: Referenced File IDs with `..`, absolute paths, drive letters, 10,000 records.
//! - `text`: Specific Character Set garbage, escape sequences cut short, invalid VRs (`\0\0`,
//!   `ZZ`), UN holding a sequence.
//! - `flip`: random byte flips and overwrites anywhere (fills up to the requested count).

use crate::{
    CtSeries, Rng, StudyIdentity, ct_series_specs, enhanced_mr_spec, mr_series_specs, rgb_us_spec,
    write_dicomdir,
};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// One malformed file: its name (family and variant) and bytes.
pub struct Malformed {
    /// `family-seed-variant.dcm`.
    pub name: String,
    /// The file.
    pub bytes: Vec<u8>,
}

/// A seed file: a short name and its bytes.
struct Seed {
    name: String,
    bytes: Vec<u8>,
}

/// Writes at least `count` malformed files into `out` (deterministic for a given `seed` and
/// inputs) and returns how many were written per family.
pub fn write_malformed_corpus(
    out: &Path,
    from: &[PathBuf],
    count: usize,
    seed: u64,
) -> io::Result<Vec<(String, usize)>> {
    std::fs::create_dir_all(out)?;
    let seeds = seeds(out, from, seed)?;
    let mut rng = Rng::new(seed);
    let mut files: Vec<Malformed> = Vec::new();
    for (i, s) in seeds.iter().enumerate() {
        let tag = format!("{i:03}{}", short(&s.name));
        // Every seed gets each family, sampled down so that no seed dominates the corpus.
        files.extend(sample(truncations(&tag, &s.bytes), 12, &mut rng));
        files.extend(sample(lying_lengths(&tag, &s.bytes), 16, &mut rng));
        files.extend(sample(pixel_attributes(&tag, &s.bytes), 14, &mut rng));
        files.extend(offset_tables(&tag, &s.bytes));
        files.extend(sample(text_garbage(&tag, &s.bytes, &mut rng), 6, &mut rng));
    }
    files.extend(rle_headers());
    files.extend(bombs());
    files.extend(nesting());
    files.extend(dicomdirs(out, seed)?);
    let mut k = 0;
    while files.len() < count && !seeds.is_empty() {
        let s = &seeds[k % seeds.len()];
        files.push(Malformed {
            name: format!("flip-{}-{k:05}.dcm", short(&s.name)),
            bytes: flip(&s.bytes, &mut rng),
        });
        k += 1;
    }
    // Names are unique (a nested element can repeat a tag): later ones get a suffix.
    let mut seen = std::collections::HashSet::new();
    for f in &mut files {
        let mut k = 1;
        while !seen.insert(f.name.clone()) {
            f.name = format!("{}-{k}.dcm", f.name.trim_end_matches(".dcm"));
            k += 1;
        }
    }
    let mut per_family: Vec<(String, usize)> = Vec::new();
    for f in &files {
        let family = f.name.split('-').next().unwrap_or("?").to_string();
        match per_family.iter_mut().find(|(n, _)| *n == family) {
            Some((_, c)) => *c += 1,
            None => per_family.push((family, 1)),
        }
        std::fs::File::create(out.join(&f.name))?.write_all(&f.bytes)?;
    }
    Ok(per_family)
}

/// At most `n` of `files`, chosen at random (order kept).
fn sample(mut files: Vec<Malformed>, n: usize, rng: &mut Rng) -> Vec<Malformed> {
    while files.len() > n {
        let i = rng.below(files.len() as u64) as usize;
        files.remove(i);
    }
    files
}

fn short(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(24)
        .collect()
}

/// The generated phantoms, then every file under `from` that starts like DICOM (≤ 1 MiB).
fn seeds(out: &Path, from: &[PathBuf], seed: u64) -> io::Result<Vec<Seed>> {
    let tmp = out.join(".seeds");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    let study = StudyIdentity::phantom(seed, "HOSTILE^SEED");
    let ct = CtSeries {
        seed,
        slices: 1,
        size: 32,
        ..CtSeries::default()
    };
    let mut specs = ct_series_specs(&study, &ct);
    specs.extend(mr_series_specs(&study, seed, 1));
    specs.push(enhanced_mr_spec(&study, seed, 3));
    specs.push(rgb_us_spec(&study, seed));
    let mut out_seeds = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let p = tmp.join(format!("gen{i}.dcm"));
        spec.write(&p)?;
        out_seeds.push(Seed {
            name: format!("gen{i}"),
            bytes: std::fs::read(&p)?,
        });
    }
    let rle = rle_file(32, 32);
    out_seeds.push(Seed {
        name: "genrle".into(),
        bytes: rle,
    });
    let _ = std::fs::remove_dir_all(&tmp);
    let mut found = Vec::new();
    for dir in from {
        collect(dir, &mut found);
    }
    found.sort();
    for path in found {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if bytes.len() > 132 && bytes.len() <= 1 << 20 && &bytes[128..132] == b"DICM" {
            out_seeds.push(Seed {
                name: path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                bytes,
            });
        }
    }
    Ok(out_seeds)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

// --- The element walk of an explicit VR little endian file (PS3.5 7.1.2) -------------------

/// Where an element sits in the bytes.
#[derive(Debug, Clone, Copy)]
struct Element {
    tag: (u16, u16),
    /// Offset of the tag.
    at: usize,
    /// Offset and size (2 or 4) of the length field.
    len_at: usize,
    len_size: usize,
    /// Offset of the value.
    value_at: usize,
}

fn u16le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// The transfer syntax UID in the meta group, if the file has one.
fn transfer_syntax(b: &[u8]) -> Option<String> {
    let e = walk(b, 132, true)
        .into_iter()
        .find(|e| e.tag == (2, 0x10))?;
    let len = usize::from(u16le(b, e.len_at)?);
    let v = b.get(e.value_at..e.value_at + len)?;
    Some(
        String::from_utf8_lossy(v)
            .trim_end_matches(['\0', ' '])
            .to_string(),
    )
}

/// Elements from `start`, descending into sequences and items, stopping at Pixel Data (which is
/// included) or at the first thing that does not parse. Explicit VR little endian only; with
/// `meta_only`, stops after group 2.
fn walk(b: &[u8], start: usize, meta_only: bool) -> Vec<Element> {
    let mut out = Vec::new();
    let mut i = start;
    while i + 8 <= b.len() {
        let (Some(g), Some(e)) = (u16le(b, i), u16le(b, i + 2)) else {
            break;
        };
        if meta_only && g != 2 {
            break;
        }
        if g == 0xFFFE {
            // Item or delimiter: 4-byte length, no VR; descend into items.
            out.push(Element {
                tag: (g, e),
                at: i,
                len_at: i + 4,
                len_size: 4,
                value_at: i + 8,
            });
            i += 8;
            continue;
        }
        let vr = [b[i + 4], b[i + 5]];
        if !vr.iter().all(u8::is_ascii_uppercase) {
            break;
        }
        let long = matches!(
            &vr,
            b"OB"
                | b"OW"
                | b"OF"
                | b"SQ"
                | b"UT"
                | b"UN"
                | b"OD"
                | b"OL"
                | b"OV"
                | b"SV"
                | b"UV"
                | b"UC"
                | b"UR"
        );
        let (len_at, len_size, value_at) = if long {
            (i + 8, 4, i + 12)
        } else {
            (i + 6, 2, i + 8)
        };
        let Some(len) = (if long {
            u32le(b, len_at)
        } else {
            u16le(b, len_at).map(u32::from)
        }) else {
            break;
        };
        out.push(Element {
            tag: (g, e),
            at: i,
            len_at,
            len_size,
            value_at,
        });
        if (g, e) == (0x7FE0, 0x0010) {
            break;
        }
        if &vr == b"SQ" || len == u32::MAX {
            i = value_at;
        } else {
            i = value_at + len as usize;
        }
    }
    out
}

/// The data set's elements, when the file is explicit VR little endian (else empty).
fn dataset_elements(b: &[u8]) -> Vec<Element> {
    if b.len() < 132 || &b[128..132] != b"DICM" {
        return Vec::new();
    }
    let meta = walk(b, 132, true);
    let Some(last) = meta.last() else {
        return Vec::new();
    };
    let meta_end = last.value_at + u16le(b, last.len_at).map(usize::from).unwrap_or(0);
    match transfer_syntax(b).as_deref() {
        Some(ts)
            if ts != "1.2.840.10008.1.2"
                && ts != "1.2.840.10008.1.2.2"
                && ts != "1.2.840.10008.1.2.1.99" =>
        {
            walk(b, meta_end, false)
        }
        _ => Vec::new(),
    }
}

fn set_len(b: &mut [u8], e: &Element, value: u32) {
    if e.len_size == 4 {
        b[e.len_at..e.len_at + 4].copy_from_slice(&value.to_le_bytes());
    } else {
        b[e.len_at..e.len_at + 2].copy_from_slice(&(value as u16).to_le_bytes());
    }
}

/// Replaces an element's value (short VRs only), fixing its length.
fn replace_value(b: &[u8], e: &Element, value: &[u8]) -> Option<Vec<u8>> {
    if e.len_size != 2 {
        return None;
    }
    let old = usize::from(u16le(b, e.len_at)?);
    let mut out = b[..e.value_at].to_vec();
    let mut value = value.to_vec();
    if value.len() % 2 == 1 {
        value.push(b' ');
    }
    out[e.len_at..e.len_at + 2].copy_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend(&value);
    out.extend(b.get(e.value_at + old..)?);
    Some(out)
}

// --- Families -------------------------------------------------------------------------------

fn truncations(tag: &str, b: &[u8]) -> Vec<Malformed> {
    let mut cuts: Vec<usize> = vec![0, 1, 64, 128, 130, 132, 140, 200];
    let n = b.len();
    cuts.extend((1..16).map(|k| n * k / 16));
    for e in dataset_elements(b).iter().rev().take(6) {
        cuts.extend([e.at, e.at + 1, e.value_at, e.value_at + 1]);
    }
    cuts.extend([
        n.saturating_sub(1),
        n.saturating_sub(2),
        n.saturating_sub(9),
    ]);
    cuts.sort_unstable();
    cuts.dedup();
    cuts.into_iter()
        .filter(|&c| c < n)
        .map(|c| Malformed {
            name: format!("truncate-{tag}-{c}.dcm"),
            bytes: b[..c].to_vec(),
        })
        .collect()
}

fn lying_lengths(tag: &str, b: &[u8]) -> Vec<Malformed> {
    let elements = dataset_elements(b);
    let mut out = Vec::new();
    let step = (elements.len() / 6).max(1);
    for (k, e) in elements.iter().enumerate() {
        if !(k % step == 0 || e.tag.0 == 0x0028 || e.tag == (0x7FE0, 0x0010)) {
            continue;
        }
        let current = if e.len_size == 4 {
            u32le(b, e.len_at).unwrap_or(0)
        } else {
            u32::from(u16le(b, e.len_at).unwrap_or(0))
        };
        let past_end = (b.len() - e.value_at) as u32 + 2;
        let lies: &[(&str, u32)] = &[
            ("huge", 0xFFFF_FFF0),
            ("odd", current | 1),
            ("pastend", past_end),
            ("undefined", u32::MAX),
            ("zero", 0),
        ];
        for (what, value) in lies {
            if e.len_size == 2 && *value > 0xFFFF && *what != "pastend" {
                let mut m = b.to_vec();
                set_len(&mut m, e, 0xFFFF);
                out.push(Malformed {
                    name: format!("length-{tag}-{k}-{:04x}{:04x}-{what}.dcm", e.tag.0, e.tag.1),
                    bytes: m,
                });
                continue;
            }
            let mut m = b.to_vec();
            set_len(&mut m, e, *value);
            out.push(Malformed {
                name: format!("length-{tag}-{k}-{:04x}{:04x}-{what}.dcm", e.tag.0, e.tag.1),
                bytes: m,
            });
        }
    }
    out
}

fn pixel_attributes(tag: &str, b: &[u8]) -> Vec<Malformed> {
    let elements = dataset_elements(b);
    let find = |t: (u16, u16)| elements.iter().find(|e| e.tag == t);
    let mut out = Vec::new();
    let us = |v: u16| v.to_le_bytes().to_vec();
    let cases: Vec<((u16, u16), &str, Vec<u8>)> = vec![
        ((0x0028, 0x0010), "rows0", us(0)),
        ((0x0028, 0x0010), "rowsmax", us(65535)),
        ((0x0028, 0x0011), "cols0", us(0)),
        ((0x0028, 0x0011), "colsmax", us(65535)),
        ((0x0028, 0x0008), "frames0", b"0".to_vec()),
        ((0x0028, 0x0008), "framesneg", b"-1".to_vec()),
        ((0x0028, 0x0008), "framesmax", b"2147483647".to_vec()),
        ((0x0028, 0x0008), "framesexp", b"1e9".to_vec()),
        ((0x0028, 0x0008), "framesjunk", b"\xff\xfe\\3".to_vec()),
        ((0x0028, 0x0100), "alloc0", us(0)),
        ((0x0028, 0x0100), "alloc7", us(7)),
        ((0x0028, 0x0100), "alloc33", us(33)),
        ((0x0028, 0x0100), "alloc64", us(64)),
        ((0x0028, 0x0101), "stored0", us(0)),
        ((0x0028, 0x0101), "stored33", us(33)),
        ((0x0028, 0x0101), "storedgtalloc", us(40)),
        ((0x0028, 0x0102), "highbit99", us(99)),
        ((0x0028, 0x0002), "spp0", us(0)),
        ((0x0028, 0x0002), "spp4", us(4)),
        ((0x0028, 0x0002), "sppmax", us(65535)),
        ((0x0028, 0x0103), "pixrep2", us(2)),
        ((0x0028, 0x0004), "photojunk", b"YBR_NONSENSE".to_vec()),
        ((0x0028, 0x0006), "planar7", us(7)),
        ((0x0028, 0x1052), "interceptnan", b"NaN".to_vec()),
        ((0x0028, 0x1053), "slopeinf", b"1e400".to_vec()),
        ((0x0028, 0x1051), "width0", b"0".to_vec()),
        ((0x0028, 0x1050), "centerjunk", b"\\\\\\".to_vec()),
    ];
    for (t, what, value) in cases {
        if let Some(e) = find(t)
            && let Some(bytes) = replace_value(b, e, &value)
        {
            out.push(Malformed {
                name: format!("dims-{tag}-{what}.dcm"),
                bytes,
            });
        }
    }
    // Both dimensions at their maximum together (the product overflows 32 bits).
    if let (Some(r), Some(_)) = (find((0x0028, 0x0010)), find((0x0028, 0x0011)))
        && let Some(step) = replace_value(b, r, &us(65535))
        && let Some(c) = dataset_elements(&step)
            .into_iter()
            .find(|e| e.tag == (0x0028, 0x0011))
        && let Some(bytes) = replace_value(&step, &c, &us(65535))
    {
        out.push(Malformed {
            name: format!("dims-{tag}-rowscolsmax.dcm"),
            bytes,
        });
    }
    out
}

/// Where the Basic Offset Table item of encapsulated Pixel Data starts, and its length (PS3.5
/// A.4: the first item after an undefined-length Pixel Data element).
fn basic_offset_table(b: &[u8], elements: &[Element]) -> Option<(usize, usize)> {
    let pixel = elements.iter().find(|e| e.tag == (0x7FE0, 0x0010))?;
    if u32le(b, pixel.len_at)? != u32::MAX {
        return None;
    }
    let bot = pixel.value_at;
    if u16le(b, bot)? != 0xFFFE || u16le(b, bot + 2)? != 0xE000 {
        return None;
    }
    Some((bot, u32le(b, bot + 4)? as usize))
}

fn offset_tables(tag: &str, b: &[u8]) -> Vec<Malformed> {
    let Some((bot, bot_len)) = basic_offset_table(b, &dataset_elements(b)) else {
        return Vec::new();
    };
    let head = &b[..bot];
    let rest = &b[bot + 8 + bot_len..];
    let with_table = |entries: &[u32]| {
        let mut m = head.to_vec();
        m.extend([0xFE, 0xFF, 0x00, 0xE0]);
        m.extend(((entries.len() * 4) as u32).to_le_bytes());
        for e in entries {
            m.extend(e.to_le_bytes());
        }
        m.extend(rest);
        m
    };
    let mut out = vec![
        ("pastend", with_table(&[0, b.len() as u32 * 2])),
        ("decreasing", with_table(&[1000, 8, 0])),
        ("huge", with_table(&[u32::MAX, u32::MAX - 7])),
        ("manyframes", with_table(&vec![0; 4096])),
        ("misaligned", with_table(&[3, 5])),
    ];
    // An item whose length runs past the end of the file.
    let mut long_item = b.to_vec();
    if bot + 8 + bot_len + 8 <= long_item.len() {
        let at = bot + 8 + bot_len + 4;
        long_item[at..at + 4].copy_from_slice(&0x7FFF_FFF0u32.to_le_bytes());
        out.push(("fragmentpastend", long_item));
    }
    out.into_iter()
        .map(|(what, bytes)| Malformed {
            name: format!("offsets-{tag}-{what}.dcm"),
            bytes,
        })
        .collect()
}

fn text_garbage(tag: &str, b: &[u8], rng: &mut Rng) -> Vec<Malformed> {
    let elements = dataset_elements(b);
    let mut out = Vec::new();
    if let Some(e) = elements.iter().find(|e| e.tag == (0x0008, 0x0005)) {
        for (what, v) in [
            ("charsetunknown", &b"ISO_IR 999\\ISO 2022 IR 87"[..]),
            ("charsetempty", &b"\\\\\\\\"[..]),
            ("charsetbinary", &b"\x1b$B\x1b(B\xff\xfe"[..]),
        ] {
            if let Some(bytes) = replace_value(b, e, v) {
                out.push(Malformed {
                    name: format!("text-{tag}-{what}.dcm"),
                    bytes,
                });
            }
        }
    }
    if let Some(e) = elements.iter().find(|e| e.tag == (0x0010, 0x0010)) {
        let mut garbage: Vec<u8> = (0..60).map(|_| rng.next_u64() as u8).collect();
        garbage.extend(b"\x1b$"); // an escape sequence cut short
        if let Some(bytes) = replace_value(b, e, &garbage) {
            out.push(Malformed {
                name: format!("text-{tag}-namegarbage.dcm"),
                bytes,
            });
        }
    }
    // Invalid VR bytes on a few elements.
    for (k, e) in elements
        .iter()
        .enumerate()
        .filter(|(_, e)| e.tag.0 != 0xFFFE)
        .take(40)
    {
        if k % 8 != 3 {
            continue;
        }
        for (what, vr) in [("vrnul", [0u8, 0]), ("vrzz", *b"ZZ"), ("vrlower", *b"ob")] {
            let mut m = b.to_vec();
            m[e.at + 4..e.at + 6].copy_from_slice(&vr);
            out.push(Malformed {
                name: format!("text-{tag}-{k}-{:04x}{:04x}-{what}.dcm", e.tag.0, e.tag.1),
                bytes: m,
            });
        }
    }
    out
}

// --- Files built from scratch ------------------------------------------------------------

/// The bytes of a small explicit VR little endian file: meta + `dataset` (already encoded).
fn file_with(transfer_syntax: &str, dataset: &[u8]) -> Vec<u8> {
    let mut meta = Vec::new();
    let mut put = |g: u16, e: u16, vr: &[u8; 2], v: &[u8]| {
        let mut v = v.to_vec();
        if v.len() % 2 == 1 {
            v.push(0);
        }
        meta.extend(g.to_le_bytes());
        meta.extend(e.to_le_bytes());
        meta.extend(vr);
        if vr == b"OB" {
            meta.extend([0, 0]);
            meta.extend((v.len() as u32).to_le_bytes());
        } else {
            meta.extend((v.len() as u16).to_le_bytes());
        }
        meta.extend(v);
    };
    put(2, 1, b"OB", &[0, 1]);
    put(2, 2, b"UI", b"1.2.840.10008.5.1.4.1.1.7");
    put(2, 3, b"UI", b"2.25.1234567");
    put(2, 0x10, b"UI", transfer_syntax.as_bytes());
    put(2, 0x12, b"UI", b"2.25.7654321");
    let mut out = vec![0u8; 128];
    out.extend(b"DICM");
    out.extend([2, 0, 0, 0]);
    out.extend(b"UL");
    out.extend(4u16.to_le_bytes());
    out.extend((meta.len() as u32).to_le_bytes());
    out.extend(meta);
    out.extend(dataset);
    out
}

/// An explicit VR little endian element with a short VR.
fn el(g: u16, e: u16, vr: &[u8; 2], v: &[u8]) -> Vec<u8> {
    let mut v = v.to_vec();
    if v.len() % 2 == 1 {
        v.push(if vr == b"UI" { 0 } else { b' ' });
    }
    let mut out = Vec::new();
    out.extend(g.to_le_bytes());
    out.extend(e.to_le_bytes());
    out.extend(vr);
    out.extend((v.len() as u16).to_le_bytes());
    out.extend(v);
    out
}

/// The image attributes of a secondary capture (group 0008 … 0028), in tag order.
fn image_header(
    rows: u16,
    cols: u16,
    spp: u16,
    bits: u16,
    photometric: &str,
    frames: u32,
) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend(el(0x0008, 0x0016, b"UI", b"1.2.840.10008.5.1.4.1.1.7"));
    d.extend(el(0x0008, 0x0018, b"UI", b"2.25.1234567"));
    d.extend(el(0x0008, 0x0060, b"CS", b"OT"));
    d.extend(el(0x0010, 0x0010, b"PN", b"HOSTILE^INPUT"));
    d.extend(el(0x0020, 0x000D, b"UI", b"2.25.1234568"));
    d.extend(el(0x0020, 0x000E, b"UI", b"2.25.1234569"));
    d.extend(el(0x0028, 0x0002, b"US", &spp.to_le_bytes()));
    d.extend(el(0x0028, 0x0004, b"CS", photometric.as_bytes()));
    if frames > 1 {
        d.extend(el(0x0028, 0x0008, b"IS", frames.to_string().as_bytes()));
    }
    d.extend(el(0x0028, 0x0010, b"US", &rows.to_le_bytes()));
    d.extend(el(0x0028, 0x0011, b"US", &cols.to_le_bytes()));
    d.extend(el(0x0028, 0x0100, b"US", &bits.to_le_bytes()));
    d.extend(el(0x0028, 0x0101, b"US", &bits.to_le_bytes()));
    d.extend(el(0x0028, 0x0102, b"US", &(bits.max(1) - 1).to_le_bytes()));
    d.extend(el(0x0028, 0x0103, b"US", &0u16.to_le_bytes()));
    d
}

/// Encapsulated Pixel Data: an empty Basic Offset Table, one item per fragment, a delimiter.
fn encapsulated(fragments: &[Vec<u8>]) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend([0xE0, 0x7F, 0x10, 0x00]);
    d.extend(b"OB");
    d.extend([0, 0]);
    d.extend(u32::MAX.to_le_bytes());
    d.extend([0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]);
    for f in fragments {
        let mut f = f.clone();
        if f.len() % 2 == 1 {
            f.push(0);
        }
        d.extend([0xFE, 0xFF, 0x00, 0xE0]);
        d.extend((f.len() as u32).to_le_bytes());
        d.extend(f);
    }
    d.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    d
}

/// A Part 10 file: the image attributes `header` (from [`image_header`]) and encapsulated Pixel
/// Data holding `fragments`.
fn encapsulated_file(transfer_syntax: &str, mut header: Vec<u8>, fragments: &[Vec<u8>]) -> Vec<u8> {
    header.extend(encapsulated(fragments));
    file_with(transfer_syntax, &header)
}

/// A valid RLE Lossless file (PS3.5 Annex G) of an 8-bit gradient: a seed.
fn rle_file(rows: u16, cols: u16) -> Vec<u8> {
    rle_gradient_file("1.2.840.10008.1.2.5", rows, cols)
}

/// The RLE gradient of [`rle_file`] under a native transfer syntax: a mislabelled file (PS3.5
/// A.4 allows encapsulation only under the compressed syntaxes) whose codestream says what it is.
pub fn mislabelled_rle_file(native_transfer_syntax: &str, rows: u16, cols: u16) -> Vec<u8> {
    rle_gradient_file(native_transfer_syntax, rows, cols)
}

fn rle_gradient_file(transfer_syntax: &str, rows: u16, cols: u16) -> Vec<u8> {
    let plane: Vec<u8> = (0..usize::from(rows) * usize::from(cols))
        .map(|i| (i % 251) as u8)
        .collect();
    let mut segment = Vec::new();
    for chunk in plane.chunks(128) {
        segment.push((chunk.len() - 1) as u8);
        segment.extend(chunk);
    }
    let mut frame = vec![0u8; 64];
    frame[..4].copy_from_slice(&1u32.to_le_bytes());
    frame[4..8].copy_from_slice(&64u32.to_le_bytes());
    frame.extend(segment);
    encapsulated_file(
        transfer_syntax,
        image_header(rows, cols, 1, 8, "MONOCHROME2", 1),
        &[frame],
    )
}

fn rle_headers() -> Vec<Malformed> {
    let frame_with = |count: u32, offsets: &[u32], body: usize| {
        let mut f = vec![0u8; 64];
        f[..4].copy_from_slice(&count.to_le_bytes());
        for (i, o) in offsets.iter().take(15).enumerate() {
            f[4 + 4 * i..8 + 4 * i].copy_from_slice(&o.to_le_bytes());
        }
        f.extend(std::iter::repeat_n(0x81u8, body));
        f
    };
    let cases: Vec<(&str, u16, u16, Vec<u8>)> = vec![
        ("zerosegments", 1, 8, frame_with(0, &[], 100)),
        ("fifteen", 1, 8, frame_with(15, &[64; 15], 100)),
        ("count255", 1, 8, frame_with(255, &[64], 100)),
        ("offsetpastend", 1, 8, frame_with(1, &[100_000], 100)),
        ("offsetinheader", 1, 8, frame_with(1, &[4], 100)),
        ("overlapping", 3, 8, frame_with(3, &[64, 64, 65], 100)),
        ("decreasing", 3, 8, frame_with(3, &[200, 100, 64], 300)),
        ("shortsegment", 1, 16, frame_with(2, &[64, 65], 2)),
        ("runbomb", 1, 8, {
            // Replicate runs that would expand far past the frame.
            let mut f = frame_with(1, &[64], 0);
            for _ in 0..20_000 {
                f.extend([0x81, 0xAA]);
            }
            f
        }),
        ("tiny", 1, 8, vec![1, 0, 0]),
    ];
    cases
        .into_iter()
        .map(|(what, spp, bits, frame)| {
            let photometric = if spp == 3 { "RGB" } else { "MONOCHROME2" };
            Malformed {
                name: format!("rle-{what}.dcm"),
                bytes: encapsulated_file(
                    "1.2.840.10008.1.2.5",
                    image_header(64, 64, spp, bits, photometric, 1),
                    &[frame],
                ),
            }
        })
        .collect()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

/// The decompression bombs (public for the regression tests named after what they found).
pub fn bombs() -> Vec<Malformed> {
    let mut out = Vec::new();
    // A deflated data set (PS3.5 A.5) inflating to 256 MiB of zero-length elements.
    {
        let chunk = vec![0u8; 1 << 20];
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let header = image_header(16, 16, 1, 8, "MONOCHROME2", 1);
        let _ = enc.write_all(&header);
        // (0009,0010) LO … zeros: a private element claiming a huge value, then zeros.
        let _ = enc.write_all(&[0x09, 0x00, 0x10, 0x10, b'U', b'N', 0, 0]);
        let _ = enc.write_all(&(0xFFFF_FFF0u32).to_le_bytes());
        for _ in 0..256 {
            let _ = enc.write_all(&chunk);
        }
        let body = enc.finish().unwrap_or_default();
        out.push(Malformed {
            name: "bomb-deflated-dataset.dcm".into(),
            bytes: file_with("1.2.840.10008.1.2.1.99", &body),
        });
    }
    // Deflated Image Frame Compression (1.2.840.10008.1.2.8.1) inflating 64 MiB into a 64×64
    // frame.
    {
        out.push(Malformed {
            name: "bomb-deflated-frame.dcm".into(),
            bytes: encapsulated_file(
                "1.2.840.10008.1.2.8.1",
                image_header(64, 64, 1, 8, "MONOCHROME2", 1),
                &[deflate(&vec![0u8; 64 << 20])],
            ),
        });
    }
    // JPEG SOF claiming 65535×65535 (header 64×64, and header 65535×65535).
    let jpeg = |w: u16, h: u16, precision: u8, sof: u8| {
        let mut j = vec![0xFF, 0xD8, 0xFF, sof, 0x00, 0x0B, precision];
        j.extend(h.to_be_bytes());
        j.extend(w.to_be_bytes());
        j.extend([0x01, 0x01, 0x11, 0x00]);
        j.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        j.extend(std::iter::repeat_n(0x55u8, 4096));
        j.extend([0xFF, 0xD9]);
        j
    };
    let jls = |w: u16, h: u16| {
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xF7, 0x00, 0x0B, 0x08];
        j.extend(h.to_be_bytes());
        j.extend(w.to_be_bytes());
        j.extend([0x01, 0x01, 0x11, 0x00]);
        j.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00]);
        j.extend(std::iter::repeat_n(0x00u8, 4096));
        j.extend([0xFF, 0xD9]);
        j
    };
    let j2k = |w: u32, h: u32, components: u16| {
        let mut j = vec![0xFF, 0x4F, 0xFF, 0x51];
        j.extend((38 + 3 * components).to_be_bytes());
        j.extend([0x00, 0x00]);
        j.extend(w.to_be_bytes());
        j.extend(h.to_be_bytes());
        j.extend([0u8; 8]);
        j.extend(w.to_be_bytes());
        j.extend(h.to_be_bytes());
        j.extend([0u8; 8]);
        j.extend(components.to_be_bytes());
        for _ in 0..components {
            j.extend([0x07, 0x01, 0x01]);
        }
        j.extend([0xFF, 0x52, 0x00, 0x0C, 0, 0, 0, 1, 0, 5, 4, 4, 0, 0]);
        j.extend([0xFF, 0x90, 0x00, 0x0A, 0, 0, 0, 0, 0, 0, 0, 1]);
        j.extend([0xFF, 0x93]);
        j.extend(std::iter::repeat_n(0x00u8, 2048));
        j.extend([0xFF, 0xD9]);
        j
    };
    /// (name, transfer syntax, Rows, Columns, Bits Allocated, the codestream).
    type Bomb = (&'static str, &'static str, u16, u16, u16, Vec<u8>);
    let cases: Vec<Bomb> = vec![
        (
            "jpeg-sof-huge",
            "1.2.840.10008.1.2.4.50",
            64,
            64,
            8,
            jpeg(65535, 65535, 8, 0xC0),
        ),
        (
            "jpeg-both-huge",
            "1.2.840.10008.1.2.4.50",
            65535,
            65535,
            8,
            jpeg(65535, 65535, 8, 0xC0),
        ),
        (
            "jpeg12-sof-huge",
            "1.2.840.10008.1.2.4.51",
            64,
            64,
            16,
            jpeg(65535, 65535, 12, 0xC1),
        ),
        (
            "jpeg12-both-huge",
            "1.2.840.10008.1.2.4.51",
            16384,
            16384,
            16,
            jpeg(16384, 16384, 12, 0xC1),
        ),
        (
            "jpeglossless-huge",
            "1.2.840.10008.1.2.4.70",
            64,
            64,
            16,
            jpeg(65535, 65535, 16, 0xC3),
        ),
        (
            "jpegls-huge",
            "1.2.840.10008.1.2.4.80",
            64,
            64,
            8,
            jls(65535, 65535),
        ),
        (
            "jpegls-both-huge",
            "1.2.840.10008.1.2.4.80",
            65535,
            65535,
            8,
            jls(65535, 65535),
        ),
        (
            "j2k-siz-huge",
            "1.2.840.10008.1.2.4.90",
            64,
            64,
            8,
            j2k(0x7FFF_FFFF, 0x7FFF_FFFF, 1),
        ),
        (
            "j2k-both-huge",
            "1.2.840.10008.1.2.4.90",
            65535,
            65535,
            8,
            j2k(65535, 65535, 1),
        ),
        (
            "j2k-components",
            "1.2.840.10008.1.2.4.90",
            64,
            64,
            8,
            j2k(64, 64, 16384),
        ),
        (
            "htj2k-siz-huge",
            "1.2.840.10008.1.2.4.201",
            64,
            64,
            8,
            j2k(0x7FFF_FFFF, 64, 1),
        ),
    ];
    for (what, ts, rows, cols, bits, stream) in cases {
        out.push(Malformed {
            name: format!("bomb-{what}.dcm"),
            bytes: encapsulated_file(
                ts,
                image_header(rows, cols, 1, bits, "MONOCHROME2", 1),
                &[stream],
            ),
        });
    }
    // Many frames of nothing: 2^31−1 frames declared, four fragments present.
    out.push(Malformed {
        name: "bomb-frames-huge.dcm".into(),
        bytes: encapsulated_file(
            "1.2.840.10008.1.2.4.90",
            image_header(512, 512, 1, 16, "MONOCHROME2", 0x7FFF_FFFF),
            &[vec![0; 8], vec![0; 8], vec![0; 8], vec![0; 8]],
        ),
    });
    out
}

fn nesting() -> Vec<Malformed> {
    let mut out = Vec::new();
    for depth in [2_000usize, 20_000, 100_000] {
        // Undefined-length sequences and items, never closed.
        let mut open = image_header(8, 8, 1, 8, "MONOCHROME2", 1);
        for _ in 0..depth {
            open.extend([0x09, 0x00, 0x10, 0x10, b'S', b'Q', 0, 0]);
            open.extend(u32::MAX.to_le_bytes());
            open.extend([0xFE, 0xFF, 0x00, 0xE0]);
            open.extend(u32::MAX.to_le_bytes());
        }
        out.push(Malformed {
            name: format!("nest-undefined-{depth}.dcm"),
            bytes: file_with("1.2.840.10008.1.2.1", &open),
        });
        // Defined lengths, properly closed: the lengths nest too.
        let mut inner: Vec<u8> = Vec::new();
        for _ in 0..depth.min(20_000) {
            let mut item = vec![0xFE, 0xFF, 0x00, 0xE0];
            item.extend((inner.len() as u32).to_le_bytes());
            item.extend(&inner);
            let mut sq = vec![0x09, 0x00, 0x10, 0x10, b'S', b'Q', 0, 0];
            sq.extend((item.len() as u32).to_le_bytes());
            sq.extend(item);
            inner = sq;
        }
        let mut d = image_header(8, 8, 1, 8, "MONOCHROME2", 1);
        d.extend(inner);
        out.push(Malformed {
            name: format!("nest-defined-{}.dcm", depth.min(20_000)),
            bytes: file_with("1.2.840.10008.1.2.1", &d),
        });
    }
    // A UN element holding an implicit VR sequence nested deep (PS3.5 6.2.2).
    let mut un = Vec::new();
    for _ in 0..5_000 {
        un.extend([0x09, 0x00, 0x10, 0x10]);
        un.extend(u32::MAX.to_le_bytes());
        un.extend([0xFE, 0xFF, 0x00, 0xE0]);
        un.extend(u32::MAX.to_le_bytes());
    }
    let mut d = image_header(8, 8, 1, 8, "MONOCHROME2", 1);
    d.extend([0x09, 0x00, 0x10, 0x10, b'U', b'N', 0, 0]);
    d.extend(u32::MAX.to_le_bytes());
    d.extend(un);
    out.push(Malformed {
        name: "nest-un-5000.dcm".into(),
        bytes: file_with("1.2.840.10008.1.2.1", &d),
    });
    out
}

fn dicomdirs(out: &Path, seed: u64) -> io::Result<Vec<Malformed>> {
    let tmp = out.join(".dicomdir");
    let cases: Vec<(&str, Vec<Vec<String>>)> = vec![
        (
            "dotdot",
            vec![vec![
                "..".into(),
                "..".into(),
                "etc".into(),
                "passwd".into(),
            ]],
        ),
        (
            "dotdotdeep",
            vec![vec![
                "IMAGES".into(),
                "..".into(),
                "..".into(),
                "..".into(),
                "..".into(),
                "root".into(),
            ]],
        ),
        ("absolute", vec![vec!["/etc/passwd".into()]]),
        (
            "absolutecomponents",
            vec![vec!["".into(), "etc".into(), "shadow".into()]],
        ),
        (
            "drive",
            vec![vec!["C:".into(), "WINDOWS".into(), "WIN.INI".into()]],
        ),
        ("backslash", vec![vec!["..\\..\\etc\\passwd".into()]]),
        ("nul", vec![vec!["IM\0AGE".into()]]),
        (
            "proc",
            vec![vec![
                "..".into(),
                "..".into(),
                "proc".into(),
                "self".into(),
                "mem".into(),
            ]],
        ),
        (
            "dev",
            vec![vec!["..".into(), "..".into(), "dev".into(), "zero".into()]],
        ),
        ("long", vec![vec!["A".repeat(5000)]]),
        (
            "many",
            (0..10_000).map(|i| vec![format!("IM{i:05}")]).collect(),
        ),
    ];
    let mut files = Vec::new();
    for (what, refs) in cases {
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        let path = write_dicomdir(&tmp, &refs, seed)?;
        files.push(Malformed {
            name: format!("dicomdir-{what}.dcm"),
            bytes: std::fs::read(path)?,
        });
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(files)
}

fn flip(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut m = seed.to_vec();
    let n = m.len().max(1) as u64;
    for _ in 0..(1 + rng.below(8)) {
        let at = rng.below(n) as usize;
        if at >= m.len() {
            continue;
        }
        match rng.below(4) {
            0 => m[at] ^= 1 << rng.below(8),
            1 => m[at] = 0xFF,
            2 => m[at] = 0x00,
            _ => {
                let end = (at + 4).min(m.len());
                for b in &mut m[at..end] {
                    *b = rng.next_u64() as u8;
                }
            }
        }
    }
    m
}

// --- Fuzzing support (the `fuzz/` targets and their seed corpora) ----------------------------

/// The codec a decode fuzz target feeds, and its transfer syntax.
pub const FUZZ_CODECS: &[(&str, &str)] = &[
    ("decode_rle", "1.2.840.10008.1.2.5"),
    ("decode_jpeg", "1.2.840.10008.1.2.4.50"),
    ("decode_jpegls", "1.2.840.10008.1.2.4.80"),
    ("decode_j2k", "1.2.840.10008.1.2.4.90"),
    ("decode_deflate", "1.2.840.10008.1.2.8.1"),
];

/// The image a decode fuzz input describes: its first 6 bytes are Rows (u16 LE, 1..=512),
/// Columns (same), Samples per Pixel (1 or 3) and Bits Allocated (8 or 16, or 12-bit JPEG for
/// `decode_jpeg`); the rest is the frame's codestream. Returns the whole Part 10 file.
pub fn fuzz_decode_file(transfer_syntax: &str, input: &[u8]) -> Option<Vec<u8>> {
    let head = input.get(..6)?;
    let rows = u16::from_le_bytes([head[0], head[1]]) % 512 + 1;
    let cols = u16::from_le_bytes([head[2], head[3]]) % 512 + 1;
    let spp = if head[4] & 1 == 1 { 3 } else { 1 };
    let (bits, ts) = match head[5] % 3 {
        0 => (8, transfer_syntax),
        1 => (16, transfer_syntax),
        _ if transfer_syntax == "1.2.840.10008.1.2.4.50" => (16, "1.2.840.10008.1.2.4.51"),
        _ => (16, transfer_syntax),
    };
    let photometric = if spp == 3 { "RGB" } else { "MONOCHROME2" };
    Some(encapsulated_file(
        ts,
        image_header(rows, cols, spp, bits, photometric, 1),
        &[input[6..].to_vec()],
    ))
}

/// Writes the seed corpora of the fuzz targets into `out/<target>/`: whole files (generated
/// phantoms, DICOMDIRs, the malformed families' specimens and every file under `from`) for
/// `header` and `index`, DICOMDIRs for `dicomdir`, and for each decode target the first
/// fragment of every file of its transfer syntax, prefixed as [`fuzz_decode_file`] reads it.
pub fn write_fuzz_seeds(
    out: &Path,
    from: &[PathBuf],
    seed: u64,
) -> io::Result<Vec<(String, usize)>> {
    let scratch = out.join(".scratch");
    let seeds = seeds(&scratch, from, seed)?;
    let _ = std::fs::remove_dir_all(&scratch);
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut write = |target: &str, name: &str, bytes: &[u8]| -> io::Result<()> {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)?;
        match counts.iter_mut().find(|(t, _)| t == target) {
            Some((_, n)) => *n += 1,
            None => counts.push((target.to_string(), 1)),
        }
        Ok(())
    };
    for (i, s) in seeds.iter().enumerate() {
        let name = format!("{i:03}-{}", short(&s.name));
        if s.bytes.len() <= 256 << 10 {
            write("header", &name, &s.bytes)?;
            write("index", &name, &s.bytes)?;
        }
        if let Some((ts, prefix, fragment)) = first_fragment(&s.bytes)
            && let Some((target, _)) = FUZZ_CODECS.iter().find(|(_, t)| {
                *t == ts
                    || (ts == "1.2.840.10008.1.2.4.51" && *t == "1.2.840.10008.1.2.4.50")
                    || (ts == "1.2.840.10008.1.2.4.81" && *t == "1.2.840.10008.1.2.4.80")
                    || (ts == "1.2.840.10008.1.2.4.91" && *t == "1.2.840.10008.1.2.4.90")
            })
            && fragment.len() <= 256 << 10
        {
            let mut input = prefix.to_vec();
            input.extend(fragment);
            write(target, &name, &input)?;
        }
    }
    // Deflated Image Frame Compression: no public file uses it; a generated 64×64 ramp.
    let ramp: Vec<u8> = (0..64 * 64).map(|i| (i % 256) as u8).collect();
    let mut input = vec![63, 0, 63, 0, 0, 0];
    input.extend(deflate(&ramp));
    write("decode_deflate", "ramp", &input)?;
    // (Not the deflated-data-set bomb: inflating 256 MiB per execution would slow every run.)
    for m in nesting().into_iter().chain(bombs()).chain(rle_headers()) {
        if m.bytes.len() <= 256 << 10 && m.name != "bomb-deflated-dataset.dcm" {
            write("header", &m.name, &m.bytes)?;
        }
    }
    for m in dicomdirs(out, seed)? {
        if m.bytes.len() <= 256 << 10 {
            write("dicomdir", &m.name, &m.bytes)?;
        }
    }
    Ok(counts)
}

/// (transfer syntax, the 6-byte fuzz prefix, first fragment) of an encapsulated explicit VR
/// little endian file.
fn first_fragment(b: &[u8]) -> Option<(String, [u8; 6], Vec<u8>)> {
    let ts = transfer_syntax(b)?;
    let elements = dataset_elements(b);
    let us = |t: (u16, u16)| {
        let e = elements.iter().find(|e| e.tag == t)?;
        u16le(b, e.value_at)
    };
    let (rows, cols) = (us((0x0028, 0x0010))?, us((0x0028, 0x0011))?);
    let spp = us((0x0028, 0x0002)).unwrap_or(1);
    let bits = us((0x0028, 0x0100)).unwrap_or(8);
    let (bot, bot_len) = basic_offset_table(b, &elements)?;
    let item = bot + 8 + bot_len;
    if u16le(b, item)? != 0xFFFE || u16le(b, item + 2)? != 0xE000 {
        return None;
    }
    let len = u32le(b, item + 4)? as usize;
    let fragment = b.get(item + 8..item + 8 + len)?.to_vec();
    // Rows and columns are stored so that `% 512 + 1` gives them back (when ≤ 512).
    let r = rows.saturating_sub(1).to_le_bytes();
    let c = cols.saturating_sub(1).to_le_bytes();
    let bits_selector = match (bits, ts.as_str()) {
        (8, _) => 0,
        (_, "1.2.840.10008.1.2.4.51") => 2,
        _ => 1,
    };
    Some((
        ts,
        [r[0], r[1], c[0], c[1], u8::from(spp == 3), bits_selector],
        fragment,
    ))
}
