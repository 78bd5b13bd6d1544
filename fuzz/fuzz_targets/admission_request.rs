#![no_main]
//! Fuzz target `admission_request`: see `shoal_fuzz::admission_request`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::admission_request(data));
