#![no_main]
//! Fuzz target `wire_sync_request`: see `shoal_fuzz::wire_sync_request`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::wire_sync_request(data));
