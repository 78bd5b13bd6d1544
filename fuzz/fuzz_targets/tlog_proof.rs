#![no_main]
//! Fuzz target `tlog_proof`: see `shoal_fuzz::tlog_proof`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::tlog_proof(data));
