#![no_main]
//! Fuzz target `wire_gossip`: see `shoal_fuzz::wire_gossip`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| shoal_fuzz::wire_gossip(data));
