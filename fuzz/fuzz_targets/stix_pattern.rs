#![no_main]
//! Fuzz target `stix_pattern`: see `shoal_fuzz::stix_pattern`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::stix_pattern(data));
