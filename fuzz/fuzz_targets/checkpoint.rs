#![no_main]
//! Fuzz target `checkpoint`: see `shoal_fuzz::checkpoint`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::checkpoint(data));
