//! The example inputs in inputs/: every one loads and passes every error rule;
//! the county bureau and the city office have what they are there to show.

use std::path::{Path, PathBuf};
use std::process::Command;

use nianbao::model::Report;
use nianbao::spec::tables::{self, Value};

fn inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("inputs/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            matches!(
                p.extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("")
                    .to_ascii_lowercase()
                    .as_str(),
                "toml" | "json"
            )
        })
        .collect();
    files.sort();
    files
}

fn load(name: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("inputs")
        .join(name);
    nianbao::read_path(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_input_loads_without_error_findings() {
    let files = inputs();
    assert!(files.len() >= 3, "{files:?}");
    for file in &files {
        let report = nianbao::read_path(file).unwrap_or_else(|e| panic!("{e}"));
        let findings = nianbao::check(&report);
        assert!(
            !nianbao::has_errors(&findings),
            "{}: {findings:#?}",
            file.display()
        );
        // The same report written as JSON reads back the same and passes too.
        let json = serde_json::to_string_pretty(&report).expect("to JSON");
        let again = Report::from_json_str(&json, "again.json").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, report, "{}", file.display());
        assert_eq!(nianbao::check(&again), findings);
    }
}

#[test]
fn every_input_passes_through_the_binary() {
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("check")
        .args(inputs())
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout.matches("数据一致，勾稽关系全部通过").count(),
        inputs().len(),
        "{stdout}"
    );
}

/// The number of non-zero input cells of `table` and the rows they are in.
fn non_zero(table: &tables::Table, report: &Report) -> (usize, Vec<usize>) {
    let mut cells = 0;
    let mut rows = Vec::new();
    for (cell, input) in table.inputs() {
        let zero = match input.field.get(report) {
            Value::Count(n) => n == 0,
            Value::Amount(a) => a.is_zero(),
        };
        if !zero {
            cells += 1;
            if !rows.contains(&cell.row) {
                rows.push(cell.row);
            }
        }
    }
    (cells, rows)
}

#[test]
fn county_bureau_has_numbers_in_every_table() {
    let report = load("mouxian-ziranziyuan-2024.toml");
    assert_eq!(
        report.title(),
        "某县自然资源局2024年政府信息公开工作年度报告"
    );
    assert_eq!(nianbao::check(&report), vec![], "no warning either");
    let (t2, _) = non_zero(tables::active(), &report);
    let (t3, t3_rows) = non_zero(tables::applications(), &report);
    let (t4, _) = non_zero(tables::review_litigation(), &report);
    assert!(t2 >= 5, "表二: {t2}");
    assert!(t3_rows.len() >= 8, "表三 rows: {t3_rows:?}");
    assert!(t3 >= 10, "表三: {t3}");
    assert!(t4 >= 3, "表四: {t4}");
    assert_eq!(report.active.fees.to_string(), "312.6585");
    // Rows without 总计: the model computes them.
    assert_eq!(report.applications.total, None);
    assert_eq!(report.applications.handled_total(), 27);
    assert_eq!(report.applications.outcomes_total(6), 26);
    assert_eq!(report.applications.carry_forward.total(), 1);
    // on_request is left to the template; the others are written out.
    assert_eq!(report.text.get("on_request"), None);
    for block in [
        "overview",
        "proactive",
        "management",
        "platforms",
        "oversight",
    ] {
        assert!(report.text.get(block).is_some(), "{block}");
    }
    // The numbers the text quotes are those of table 二.
    let proactive = report.text.get("proactive").unwrap_or_default();
    let docs = report.active.normative_documents;
    assert!(proactive.contains(&format!(
        "全年制发行政规范性文件{}件，废止{}件，现行有效行政规范性文件{}件",
        docs.issued, docs.repealed, docs.in_force
    )));
}

#[test]
fn city_office_has_hundreds_of_applications_over_many_cells() {
    let report = load("moushi-zhengfuban-2024.toml");
    assert_eq!(nianbao::check(&report), vec![], "no warning either");
    let a = &report.applications;
    assert!(a.handled_total() >= 300, "{}", a.handled_total());
    let (t3, t3_rows) = non_zero(tables::applications(), &report);
    assert!(t3_rows.len() >= 20, "表三 rows: {t3_rows:?}");
    assert!(t3 >= 70, "表三 cells: {t3}");
    // Every applicant column has numbers.
    for col in 0..6 {
        assert!(a.new.values[col] > 0, "column {col}");
    }
    // Every total is given, and checked.
    let t3_table = tables::applications();
    for (cell, total) in t3_table.totals() {
        assert!(
            total.given.get(&report).is_some(),
            "{} has no given total",
            t3_table.describe(cell)
        );
    }
    for (_, row) in [
        ("review", &report.review_litigation.review),
        (
            "litigation_direct",
            &report.review_litigation.litigation_direct,
        ),
        (
            "litigation_after_review",
            &report.review_litigation.litigation_after_review,
        ),
    ] {
        assert_eq!(row.given_total.map(u64::from), Some(row.total()));
    }
}

/// R7 for the city office: every number its narrative quotes is the table's.
#[test]
fn city_office_text_quotes_the_tables() {
    let report = load("moushi-zhengfuban-2024.toml");
    let a = &report.applications;
    let rl = &report.review_litigation;
    let on_request = report.text.get("on_request").unwrap_or_default();
    let sum = |rows: &[&nianbao::model::ApplicantRow]| rows.iter().map(|r| r.total()).sum::<u64>();
    let w = &a.withheld;
    let u = &a.unavailable;
    let n = &a.not_processed;
    let o = &a.other;
    let legal_persons: u64 = a.new.values[1..].iter().map(|&v| u64::from(v)).sum();
    let litigation =
        |col: usize| rl.litigation_direct.column(col) + rl.litigation_after_review.column(col);
    for quoted in [
        format!("新收政府信息公开申请{}件", a.new.total()),
        format!("上年结转{}件", a.carried_over.total()),
        format!("共需办理{}件", a.handled_total()),
        format!("以自然人名义提出的申请{}件", a.new.values[0]),
        format!("以法人或其他组织名义提出的申请{legal_persons}件"),
        format!("全年办结{}件", a.outcomes_total(6)),
        format!("予以公开{}件", a.granted.total()),
        format!("部分公开{}件", a.partially_granted.total()),
        format!(
            "不予公开{}件",
            sum(&[
                &w.state_secret,
                &w.law_prohibited,
                &w.three_securities_one_stability,
                &w.third_party_rights,
                &w.internal_affairs,
                &w.process_information,
                &w.enforcement_files,
                &w.administrative_queries
            ])
        ),
        format!(
            "无法提供{}件",
            sum(&[&u.not_held, &u.needs_creation, &u.unclear_after_correction])
        ),
        format!(
            "不予处理{}件",
            sum(&[
                &n.complaints,
                &n.duplicate,
                &n.publications,
                &n.excessive,
                &n.reconfirmation
            ])
        ),
        format!(
            "其他处理{}件",
            sum(&[&o.correction_overdue, &o.fee_overdue, &o.other])
        ),
        format!("结转下年度继续办理{}件", a.carry_forward.total()),
        format!(
            "申请行政复议{}件，其中结果维持{}件，结果纠正{}件，其他结果{}件，尚未审结{}件",
            rl.review.total(),
            rl.review.values[0],
            rl.review.values[1],
            rl.review.values[2],
            rl.review.values[3]
        ),
        format!(
            "提起行政诉讼{}件，其中结果维持{}件，结果纠正{}件，其他结果{}件，尚未审结{}件",
            rl.litigation_total(),
            litigation(0),
            litigation(1),
            litigation(2),
            litigation(3)
        ),
    ] {
        assert!(
            on_request.contains(&quoted),
            "on_request lacks 「{quoted}」"
        );
    }
    let other = report.text.get("other_matters").unwrap_or_default();
    let fees = report
        .processing_fees
        .expect("the inputs give [processing_fees]");
    assert!(other.contains(&format!(
        "发出收费通知{}件，收费通知总金额{}元，实际收取信息处理费{}元",
        fees.notices, fees.notices_amount, fees.collected
    )));
    let proactive = report.text.get("proactive").unwrap_or_default();
    let (rules, docs) = (report.active.rules, report.active.normative_documents);
    assert!(proactive.contains(&format!(
        "制定政府规章{}件、废止{}件，现行有效政府规章{}件",
        rules.issued, rules.repealed, rules.in_force
    )));
    assert!(proactive.contains(&format!(
        "制发行政规范性文件{}件、废止{}件，现行有效行政规范性文件{}件",
        docs.issued, docs.repealed, docs.in_force
    )));
}
