//! The filled form (XLSX) as raw bytes (see fuzz/entry.rs).
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::form(data));
