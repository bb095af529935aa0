//! TOML input: whatever the reader accepts is checked and rendered to both
//! documents in memory (see fuzz/entry.rs).
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::toml(data));
