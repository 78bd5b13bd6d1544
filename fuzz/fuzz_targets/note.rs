#![no_main]
//! Fuzz target `note`: see `shoal_fuzz::note`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::note(data));
