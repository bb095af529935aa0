//! The filled form, structure-aware: a mutated entry of a valid form, rezipped
//! and read (see fuzz/entry.rs).
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::form_xml(data));
