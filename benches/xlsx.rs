//! Writing the statistical workbook and the fill-in form of the sample
//! report, and reading a form back (`cargo bench --bench xlsx`).

use criterion::{Criterion, criterion_group, criterion_main};
use nianbao::Outputs;
use std::hint::black_box;

fn sample() -> nianbao::model::Report {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/inputs/butaji-2024.toml");
    nianbao::read_path(std::path::Path::new(path)).expect("the sample loads")
}

fn bench(c: &mut Criterion) {
    let report = sample();
    let xlsx_only = Outputs {
        docx: false,
        xlsx: true,
        html: None,
    };
    c.bench_function("workbook_bytes (sample)", |b| {
        b.iter(|| nianbao::render(black_box(&report), "butaji-2024.toml", xlsx_only))
    });
    c.bench_function("form_bytes (sample)", |b| {
        b.iter(|| nianbao::form_bytes(black_box(&report), Some("butaji-2024.toml")))
    });
    let form = nianbao::form_bytes(&report, None).expect("form");
    c.bench_function("read_form_bytes (sample form)", |b| {
        b.iter(|| nianbao::read_form_bytes(black_box(&form), "form.xlsx"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
