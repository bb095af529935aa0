//! `nianbao init`: the starter file holds every key of the input format of
//! DESIGN.md, each with a Chinese comment, and passes `nianbao check` as is.

use std::collections::BTreeSet;
use std::process::Command;

use nianbao::model::Report;
use nianbao::starter_toml;

/// Every key of DESIGN.md's input format, as full paths, in its order.
/// `applications.total` is optional and appears commented out (see below).
const DESIGN_KEYS: &[&str] = &[
    "report.agency",
    "report.short_name",
    "report.year",
    "report.region",
    "report.issued_on",
    "active.rules.issued",
    "active.rules.repealed",
    "active.rules.in_force",
    "active.normative_documents.issued",
    "active.normative_documents.repealed",
    "active.normative_documents.in_force",
    "active.licensing",
    "active.punishment",
    "active.enforcement",
    "active.fees",
    "applications.new",
    "applications.carried_over",
    "applications.granted",
    "applications.partially_granted",
    "applications.carry_forward",
    "applications.withheld.state_secret",
    "applications.withheld.law_prohibited",
    "applications.withheld.three_securities_one_stability",
    "applications.withheld.third_party_rights",
    "applications.withheld.internal_affairs",
    "applications.withheld.process_information",
    "applications.withheld.enforcement_files",
    "applications.withheld.administrative_queries",
    "applications.unavailable.not_held",
    "applications.unavailable.needs_creation",
    "applications.unavailable.unclear_after_correction",
    "applications.not_processed.complaints",
    "applications.not_processed.duplicate",
    "applications.not_processed.publications",
    "applications.not_processed.excessive",
    "applications.not_processed.reconfirmation",
    "applications.other.correction_overdue",
    "applications.other.fee_overdue",
    "applications.other.other",
    "review_litigation.review",
    "review_litigation.litigation_direct",
    "review_litigation.litigation_after_review",
    "processing_fees.notices",
    "processing_fees.notices_amount",
    "processing_fees.collected",
    "text.overview",
    "text.proactive",
    "text.on_request",
    "text.management",
    "text.platforms",
    "text.oversight",
    "text.problems",
    "text.improvements",
    "text.other_matters",
    // DESIGN.md shows only `improvements` under [headings] and lists the
    // defaults of all seven; the starter writes all seven.
    "headings.proactive",
    "headings.on_request",
    "headings.management",
    "headings.platforms",
    "headings.oversight",
    "headings.problems",
    "headings.improvements",
];

/// The key paths of the leaves of a TOML document.
fn leaf_paths(value: &toml::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaf_paths(v, &path, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

#[test]
fn starter_has_every_key_of_the_format_and_no_other() {
    let text = starter_toml("某县自然资源局", 2024);
    let doc: toml::Value = toml::from_str(&text).expect("the starter is TOML");
    let mut found = BTreeSet::new();
    leaf_paths(&doc, "", &mut found);
    let wanted: BTreeSet<String> = DESIGN_KEYS.iter().map(|k| k.to_string()).collect();
    let missing: Vec<_> = wanted.difference(&found).collect();
    let extra: Vec<_> = found.difference(&wanted).collect();
    assert!(missing.is_empty(), "missing from the starter: {missing:?}");
    assert!(extra.is_empty(), "not in DESIGN.md: {extra:?}");
}

/// `applications.total` is there, commented out, inside [applications]; taken
/// in (uncommented) it still loads and passes.
#[test]
fn starter_has_applications_total_as_a_comment() {
    let text = starter_toml("某县自然资源局", 2024);
    let section: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("[applications]"))
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .collect();
    let total = section
        .iter()
        .find(|l| l.starts_with("# total = ["))
        .expect("a commented `total` line in [applications]");
    assert!(total.contains("（七）总计"), "{total}");
    let uncommented = text.replacen("# total = ", "total = ", 1);
    let report = Report::from_toml_str(&uncommented, "init.toml").expect("loads");
    assert!(report.applications.total.is_some());
    assert_eq!(nianbao::check(&report), vec![]);
}

/// Every key line carries a Chinese comment, so the clerk needs no manual.
#[test]
fn every_key_line_has_a_chinese_comment() {
    let text = starter_toml("某县自然资源局", 2024);
    let mut key_lines = 0;
    for line in text.lines() {
        if line.starts_with('#') || line.starts_with('[') || line.trim().is_empty() {
            continue;
        }
        key_lines += 1;
        let (_, comment) = line
            .split_once("  # ")
            .unwrap_or_else(|| panic!("no comment: {line}"));
        assert!(
            comment
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{line}"
        );
    }
    // 5 + 6 + 24 + 3 + 3 + 9 + 7 key lines (rules/normative_documents are one line each).
    assert_eq!(key_lines, 5 + 6 + 24 + 3 + 3 + 9 + 7);
}

#[test]
fn starter_passes_check_and_keeps_the_agency() {
    for agency in [
        "某县自然资源局",
        "某市人民政府办公室",
        "名字里有\"引号\"和\\反斜杠的机关",
        "O'Brien 'quoted' agency",
        "多行\n名称",
    ] {
        let text = starter_toml(agency, 2100);
        let report = Report::from_toml_str(&text, "init.toml")
            .unwrap_or_else(|e| panic!("{agency}: {e}\n{text}"));
        assert_eq!(report.report.agency, agency);
        assert_eq!(report.report.year.0, 2100);
        assert_eq!(report.report.issued_on, None);
        assert_eq!(nianbao::check(&report), vec![]);
    }
}

/// Through the binary: `nianbao init` writes the file, `nianbao check` passes
/// it, and a second `init` does not overwrite it.
#[test]
fn init_then_check_through_the_binary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("某县自然资源局-2024.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["init", "--agency", "某县自然资源局", "--year", "2024"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&file).expect("written");
    assert_eq!(written, starter_toml("某县自然资源局", 2024));

    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("check")
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Consistent; the texts are still to be written (warning D2).
    assert!(
        stdout.contains("某县自然资源局2024年政府信息公开工作年度报告：0 个错误，1 个警告"),
        "{stdout}"
    );
    assert!(stdout.contains("警告 D2 "), "{stdout}");

    std::fs::write(&file, "# edited by the clerk\n").expect("edit");
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["init", "--agency", "别的机关", "--year", "2024"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("文件已存在，未覆盖"));
    assert_eq!(
        std::fs::read_to_string(&file).expect("kept"),
        "# edited by the clerk\n"
    );
}

#[test]
fn init_refuses_a_year_outside_the_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    for year in ["2007", "2101"] {
        let file = dir.path().join(format!("{year}.toml"));
        let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
            .args(["init", "--agency", "某局", "--year", year])
            .arg(&file)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{year}");
        assert!(!file.exists());
    }
}
