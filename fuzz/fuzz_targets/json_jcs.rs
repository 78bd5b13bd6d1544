#![no_main]
//! Fuzz target `json_jcs`: see `shoal_fuzz::json_jcs`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::json_jcs(data));
