//! The cached path (tables and static parts built and canonicalized once per
//! process) gives the very bytes of the uncached full build, for any input.

mod common;

use common::*;
use nianbao::docx::{document_bytes, document_bytes_uncached, document_bytes_with};
use nianbao::model::Report;
use nianbao::tables::{self, Content};
use nianbao::text::TextEngine;

fn same(report: &Report, what: &str) {
    let engine = TextEngine::embedded();
    let cached = document_bytes(report).unwrap();
    let full = document_bytes_uncached(report, engine).unwrap();
    assert!(
        cached == full,
        "{what}: cached and uncached bytes differ ({} vs {} bytes)",
        cached.len(),
        full.len()
    );
}

#[test]
fn cached_equals_uncached_for_the_inputs() {
    for name in [
        "butaji-2024.toml",
        "moushi-zhengfuban-2024.toml",
        "mouxian-ziranziyuan-2024.toml",
    ] {
        let report = nianbao::load(&root().join("inputs").join(name)).unwrap();
        same(&report, name);
    }
}

#[test]
fn cached_equals_uncached_for_small_and_odd_reports() {
    let cases = [
        ("empty", ""),
        ("signed", "issued_on = \"2025-01-20\"\n"),
        (
            "special characters",
            "[text]\noverview = \"A&B <c> \\\"q\\\" 'a' & {{agency}}\"\n",
        ),
        (
            "marker-like text",
            "[text]\noverview = \"NianbaoTables <w:p><w:pPr><w:pStyle w:val=\\\"NianbaoTables\\\"/></w:pPr></w:p> \u{E000}0\u{E001}\"\n",
        ),
    ];
    for (what, extra) in cases {
        same(&report(extra), what);
    }
}

/// Every number cell of the tables a different value, so that a value put
/// into the wrong cell cannot go unnoticed.
#[test]
fn cached_equals_uncached_with_every_number_different() {
    for round in 0..3u32 {
        let mut r = sample();
        let mut n = 1000 * round;
        for t in tables::all() {
            for c in &t.cells {
                if let Content::Input(i) = &c.content
                    && let Some(v) = i.field.count_mut(&mut r)
                {
                    n += 7;
                    *v = n;
                }
            }
        }
        same(&r, &format!("round {round}"));
        // The values reach their cells: the first and the last number written.
        let xml = unzip(&document_bytes(&r).unwrap())
            .remove("word/document.xml")
            .unwrap();
        assert!(xml.contains(&format!(">{}<", 1000 * round + 7)));
        assert!(xml.contains(&format!(">{n}<")));
    }
}

#[test]
fn cached_equals_uncached_with_other_templates() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("overview.hbs"),
        "我们的概述：{{agency}}。\n",
    )
    .unwrap();
    let engine = TextEngine::from_dir(dir.path()).unwrap();
    let report = sample();
    let cached = document_bytes_with(&report, &engine).unwrap();
    let full = document_bytes_uncached(&report, &engine).unwrap();
    assert!(cached == full, "cached and uncached bytes differ");
}
