#![no_main]
//! Fuzz target `wire_sync_response`: see `shoal_fuzz::wire_sync_response`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::wire_sync_response(data));
