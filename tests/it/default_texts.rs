//! The default texts (issue 11, point 5): they read naturally for any agency
//! name (no 「人民政府政府信息公开工作」), a 人民政府's defaults cover what
//! 条例第五十条第四项 asks (工作考核、社会评议和责任追究), and `check` warns
//! (D2) naming the narrative blocks left to the built-in defaults.

use std::process::Command;

use nianbao::model::Report;
use nianbao::{BOILERPLATE_BLOCKS, DEFAULT_TEXTS, Finding, Severity, TextEngine};

use crate::common::{INPUTS, input as load};

/// `report` with every `[text]` block empty (left to the defaults).
fn defaults_only(report: &Report) -> Report {
    let mut r = report.clone();
    for block in nianbao::spec::outline::BLOCKS {
        r.text.set(block.name, Some("  ".into()));
    }
    r
}

fn d2(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.rule == DEFAULT_TEXTS)
        .collect()
}

/// The default text of every block for `agency` (short name `short`), joined.
fn default_text(agency: &str, short: Option<&str>) -> String {
    let mut report = defaults_only(&load("butaji-2024.toml"));
    report.report.agency = agency.into();
    report.report.short_name = short.map(str::to_string);
    let blocks = TextEngine::embedded().render_all(&report).expect("renders");
    blocks
        .iter()
        .map(|(name, paragraphs)| format!("[{name}]{}", paragraphs.join("\n")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn default_texts_never_double_the_word_government() {
    for (agency, short) in [
        ("某县人民政府", None),
        ("某县人民政府", Some("县政府")),
        ("某县某某镇人民政府", None),
        ("某县人民政府办公室", None),
        ("某县统计局", None),
    ] {
        let text = default_text(agency, short);
        assert!(!text.contains("政府政府"), "{agency}: {text}");
        assert!(text.contains(short.unwrap_or(agency)), "{agency}: {text}");
    }
    // What read 「某县人民政府政府信息公开工作取得了一定成效」 before.
    let text = default_text("某县人民政府", None);
    assert!(
        text.contains("某县人民政府在政府信息公开工作中取得了一定成效"),
        "{text}"
    );
}

/// 条例第五十条第四项: 各级人民政府的年度报告还应当包括工作考核、社会评议和
/// 责任追究结果情况. The defaults of a 人民政府 say all three; those of a
/// department are not made to.
#[test]
fn default_texts_of_a_government_cover_assessment_appraisal_and_accountability() {
    for agency in ["某县人民政府", "某县某某镇人民政府"] {
        let text = default_text(agency, None);
        let oversight = text
            .split("\n[")
            .find(|b| b.starts_with("oversight]"))
            .unwrap_or_else(|| panic!("{text}"));
        for words in ["工作考核", "社会评议", "责任追究"] {
            assert!(
                oversight.contains(words),
                "{agency}: {words} in {oversight}"
            );
        }
    }
    for agency in ["某县统计局", "某县人民政府办公室"] {
        let text = default_text(agency, None);
        assert!(!text.contains("社会评议"), "{agency}: {text}");
        assert!(text.contains("纳入年度工作考核"), "{agency}: {text}");
    }
}

/// A report with every text block empty gets one D2 warning that names the
/// six boilerplate blocks, in `check_with_text` and in `nianbao check`; it
/// does not block generation.
#[test]
fn default_texts_left_empty_are_named_in_a_warning() {
    let report = defaults_only(&load("butaji-2024.toml"));
    let findings = nianbao::check_with_text(&report, TextEngine::embedded());
    let found = d2(&findings);
    assert_eq!(found.len(), 1, "{findings:?}");
    let f = found[0];
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.found, BOILERPLATE_BLOCKS.len() as i64);
    assert_eq!(f.key, "text.overview");
    assert_eq!(f.excel_cell, "文字!C3");
    for name in BOILERPLATE_BLOCKS {
        let block = nianbao::spec::outline::block(name).expect("a block");
        let named = format!("{}（text.{name}）", block.place);
        assert!(f.message.contains(&named), "{named} in {}", f.message);
    }
    // Blocks worded from the figures, and 六, are not boilerplate.
    for name in ["proactive", "on_request", "other_matters"] {
        assert!(
            !f.message.contains(&format!("text.{name}")),
            "{}",
            f.message
        );
    }
    let line = f.to_string();
    assert!(line.starts_with("警告 D2 "), "{line}");
    assert!(!line.contains("应为"), "{line}");
    assert!(line.contains("内容雷同"), "{line}");

    // Only the blocks left empty are named.
    let mut some = load("butaji-2024.toml");
    some.text.problems = None;
    some.text.oversight = Some(String::new());
    let findings = nianbao::check_with_text(&some, TextEngine::embedded());
    let found = d2(&findings);
    assert_eq!(found.len(), 1, "{findings:?}");
    assert_eq!(found[0].found, 2);
    assert_eq!(found[0].key, "text.oversight");
    assert!(!found[0].message.contains("text.overview"));

    // Generating does not repeat it (a county batch would list it for
    // every agency): it is `check`'s.
    let (files, warnings) =
        nianbao::render(&report, "test.toml", nianbao::Outputs::default()).expect("renders");
    assert!(!files.is_empty());
    assert!(d2(&warnings).is_empty(), "{warnings:?}");

    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("defaults.toml");
    std::fs::write(&input, toml::to_string(&report).expect("toml")).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("check")
        .arg(&input)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("警告 D2 "), "{stdout}");
    assert!(
        stdout.contains("一（五）监督保障（text.oversight）"),
        "{stdout}"
    );
}

/// The three inputs write their own texts: no D2. Templates of a folder
/// (`--templates`) are the user's own, not built-in defaults.
#[test]
fn own_texts_get_no_default_text_warning() {
    for name in INPUTS {
        let report = load(name);
        let findings = nianbao::check_with_text(&report, TextEngine::embedded());
        assert!(d2(&findings).is_empty(), "{name}: {findings:?}");
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    for name in BOILERPLATE_BLOCKS {
        std::fs::write(
            tmp.path().join(format!("{name}.hbs")),
            format!("{{{{short_name}}}}本年度的{name}情况。"),
        )
        .expect("write");
    }
    let engine = TextEngine::from_dir(tmp.path()).expect("templates");
    let report = defaults_only(&load("butaji-2024.toml"));
    let findings = nianbao::check_with_text(&report, &engine);
    assert!(d2(&findings).is_empty(), "{findings:?}");
}
