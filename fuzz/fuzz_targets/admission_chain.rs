#![no_main]
//! Fuzz target `admission_chain`: see `shoal_fuzz::admission_chain`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::admission_chain(data));
