//! DICOMDIR: the directory records of an arbitrary file resolved against a folder that holds
//! one real file; nothing may resolve outside it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let base = lucent_fuzz::scratch().join("media");
    let _ = std::fs::create_dir_all(base.join("IMAGES"));
    let _ = std::fs::write(base.join("IMAGES").join("IM0001"), b"not dicom");
    let source = Box::new(std::io::Cursor::new(data.to_vec()));
    if let Ok(header) = lucent_index::header::read_header_from(source, data.len() as u64) {
        let refs = lucent_index::dicomdir::references(&header, &base.join("DICOMDIR"));
        let canonical = base.canonicalize().expect("base folder");
        for path in refs.files {
            let resolved = path.canonicalize().unwrap_or(path);
            assert!(
                resolved.starts_with(&canonical),
                "{} escapes the DICOMDIR's folder",
                resolved.display()
            );
        }
    }
});
