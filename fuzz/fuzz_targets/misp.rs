#![no_main]
//! Fuzz target `misp`: see `shoal_fuzz::misp_event`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::misp_event(data));
