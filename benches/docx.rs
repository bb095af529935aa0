//! `cargo bench --bench docx`: the sample report to DOCX bytes, in memory
//! (text blocks, docx-rs, the canonicalizing pass, deflate), the same without
//! the per-process cache, and the stages of the uncached path.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use nianbao::ooxml::{self, Fixes};
use nianbao::text::TextEngine;

fn sample_docx(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/butaji-2024.toml");
    let report = nianbao::load(&path).expect("the sample loads");
    c.bench_function("docx: sample report → bytes", |b| {
        b.iter(|| nianbao::docx::document_bytes(black_box(&report)).expect("renders"))
    });

    // Without the per-process cache: docx-rs builds the whole document and
    // every part is canonicalized and deflated (the path before the cache).
    let engine = TextEngine::embedded();
    c.bench_function("docx: sample report → bytes, uncached", |b| {
        b.iter(|| {
            nianbao::docx::document_bytes_uncached(black_box(&report), engine).expect("renders")
        })
    });

    // The stages of the uncached path, to see where the time goes.
    c.bench_function("stage: text blocks", |b| {
        b.iter(|| engine.render_all(black_box(&report)).expect("renders"))
    });
    let blocks = engine.render_all(&report).unwrap();
    c.bench_function("stage: docx-rs build", |b| {
        b.iter(|| nianbao::docx::build(black_box(&report), &blocks).build())
    });
    let xml = nianbao::docx::build(&report, &blocks).build();
    let fixes = Fixes {
        header_rows: vec![0, 3, 3],
        first_line_chars: vec![(640, 200)],
        ..Fixes::default()
    };
    c.bench_function("stage: canonicalize document.xml", |b| {
        b.iter(|| {
            ooxml::canonicalize(black_box(&xml.document), "word/document.xml", &fixes).unwrap()
        })
    });
    let doc = ooxml::canonicalize(&xml.document, "word/document.xml", &fixes).unwrap();
    let parts = vec![("word/document.xml".to_string(), doc)];
    c.bench_function("stage: deflate document.xml", |b| {
        b.iter(|| ooxml::pack(black_box(&parts)).unwrap())
    });
}

criterion_group!(benches, sample_docx);
criterion_main!(benches);
