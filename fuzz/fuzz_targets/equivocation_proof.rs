#![no_main]
//! Fuzz target `equivocation_proof`: see `shoal_fuzz::equivocation_proof`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::equivocation_proof(data));
