//! The header-only reader on arbitrary bytes (Part 10 or raw data sets), and the identity the
//! index takes from a header.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = Box::new(std::io::Cursor::new(data.to_vec()));
    if let Ok(header) = lucent_index::header::read_header_from(source, data.len() as u64) {
        let _ = lucent_index::HeaderIdentity::of(&header);
    }
});
