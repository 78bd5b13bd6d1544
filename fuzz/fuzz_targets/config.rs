#![no_main]
//! Fuzz target `config`: see `shoal_fuzz::config`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::config(data));
