#![no_main]
//! Fuzz target `envelope`: see `shoal_fuzz::envelope`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::envelope(data));
