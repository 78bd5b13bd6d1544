#![no_main]
//! Fuzz target `witnessed`: see `shoal_fuzz::witnessed`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::witnessed(data));
