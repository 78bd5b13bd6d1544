#![no_main]
//! Fuzz target `stix_input`: see `shoal_fuzz::stix_input`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::stix_input(data));
