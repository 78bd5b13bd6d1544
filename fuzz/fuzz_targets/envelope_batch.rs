#![no_main]
//! Fuzz target `envelope_batch`: see `shoal_fuzz::envelope_batch`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::envelope_batch(data));
