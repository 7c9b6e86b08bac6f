//! Frame decode and render through the pipeline, transfer syntax 1.2.840.10008.1.2.8.1 (see
//! `lucent_fuzz::decode` for the input layout).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| lucent_fuzz::decode("1.2.840.10008.1.2.8.1", data));
