//! A [text] block template rendered against the sample report
//! (see fuzz/entry.rs; NIANBAO_FUZZ_SKIP_KNOWN=1 skips the known families).
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::template(data));
