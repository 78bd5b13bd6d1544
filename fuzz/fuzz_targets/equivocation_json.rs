#![no_main]
//! Fuzz target `equivocation_json`: see `shoal_fuzz::equivocation_json`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::equivocation_json(data));
