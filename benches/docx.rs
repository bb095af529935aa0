//! `cargo bench --bench docx`: the sample report to DOCX bytes in memory
//! through the library's face (check, text blocks, docx-rs, the
//! canonicalizing pass, deflate), and the text blocks alone.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use nianbao::{Outputs, TextEngine};

fn sample_docx(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/butaji-2024.toml");
    let report = nianbao::read_path(&path).expect("the sample loads");
    let docx_only = Outputs {
        docx: true,
        xlsx: false,
        html: None,
    };
    c.bench_function("docx: sample report → bytes", |b| {
        b.iter(|| {
            nianbao::render(black_box(&report), "butaji-2024.toml", docx_only).expect("renders")
        })
    });
    let engine = TextEngine::embedded();
    c.bench_function("stage: text blocks", |b| {
        b.iter(|| engine.render_all(black_box(&report)).expect("renders"))
    });
    c.bench_function("stage: check", |b| {
        b.iter(|| nianbao::check(black_box(&report)))
    });
}

criterion_group!(benches, sample_docx);
criterion_main!(benches);
