//! A published Word document, whole or its document.xml (see fuzz/entry.rs).
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::import_docx(data));
