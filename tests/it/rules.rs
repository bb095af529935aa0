//! The consistency rules of FORMAT.md §7 through the library: one fixture per
//! rule (tests/fixtures/r*.toml) that breaks it and nothing else, and the
//! exact findings it yields.

use std::path::{Path, PathBuf};

use nianbao::model::Report;
use nianbao::{Finding, Severity};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> Report {
    let path = fixture(name);
    nianbao::read_path(&path).unwrap_or_else(|e| panic!("{name} should load: {e}"))
}

/// (rule, severity, cell, excel_cell, key, expected, found) of each finding.
type Summary = (&'static str, Severity, String, String, String, i64, i64);

fn summary(findings: &[Finding]) -> Vec<Summary> {
    findings
        .iter()
        .map(|f| {
            (
                f.rule,
                f.severity,
                f.cell.clone(),
                f.excel_cell.clone(),
                f.key.clone(),
                f.expected,
                f.found,
            )
        })
        .collect()
}

fn s(
    rule: &'static str,
    severity: Severity,
    cell: &str,
    excel_cell: &str,
    key: &str,
    expected: i64,
    found: i64,
) -> Summary {
    (
        rule,
        severity,
        cell.to_string(),
        excel_cell.to_string(),
        key.to_string(),
        expected,
        found,
    )
}

/// R1 broken in column 自然人: 新收 3 = 办结 2 + 结转 0 fails. The 总计 column
/// is the sum of the six, so it breaks with it: a break of R1 in one column
/// always yields two findings, that column and 总计 (R1 holds "in every one of
/// the 7 columns"). Nothing else fires.
#[test]
fn r1_fixture_yields_exactly_the_r1_findings() {
    let report = load("r1.toml");
    let findings = nianbao::check(&report);
    assert_eq!(
        summary(&findings),
        vec![
            s(
                "R1",
                Severity::Error,
                "表三 四、结转下年度继续办理 × 自然人",
                "依申请公开!D29",
                "applications.carry_forward[0]",
                1,
                0
            ),
            s(
                "R1",
                Severity::Error,
                "表三 四、结转下年度继续办理 × 总计",
                "依申请公开!J29",
                "applications.carry_forward[6]",
                1,
                0
            ),
        ]
    );
    assert!(nianbao::has_errors(&findings));
    assert!(
        findings[0]
            .message
            .contains("一 + 二 = 3，三（七）+ 四 = 2，相差 1")
    );
    assert!(
        findings[0]
            .message
            .ends_with("（第一项加第二项之和应等于第三项加第四项之和）")
    );
}

/// The JSON twin of r1.toml gives the same findings.
#[test]
fn r1_json_fixture_matches_the_toml_one() {
    let toml = nianbao::check(&load("r1.toml"));
    let json = nianbao::check(&load("r1.json"));
    assert_eq!(toml, json);
    assert_eq!(json.len(), 2);
}

#[test]
fn r2_fixture_yields_exactly_one_r2_finding() {
    let findings = nianbao::check(&load("r2.toml"));
    assert_eq!(
        summary(&findings),
        vec![s(
            "R2",
            Severity::Error,
            "表三 （七）总计 × 自然人",
            "依申请公开!D28",
            "applications.total[0]",
            1,
            2
        )]
    );
    assert!(findings[0].message.contains("（七）总计"));
}

#[test]
fn r3_fixture_yields_exactly_one_r3_finding() {
    let findings = nianbao::check(&load("r3.toml"));
    assert_eq!(
        summary(&findings),
        vec![s(
            "R3",
            Severity::Error,
            "表三 一、本年新收政府信息公开申请数量 × 总计",
            "依申请公开!J5",
            "applications.new[6]",
            2,
            3
        )]
    );
}

/// r4.toml also carries a correct given total (litigation_direct), which must
/// not be reported.
#[test]
fn r4_fixture_yields_exactly_one_r4_finding() {
    let findings = nianbao::check(&load("r4.toml"));
    assert_eq!(
        summary(&findings),
        vec![s(
            "R4",
            Severity::Error,
            "表四 行政复议 × 总计",
            "复议诉讼!E5",
            "review_litigation.review[4]",
            1,
            2
        )]
    );
}

/// R10 is a warning: it is reported but does not block.
#[test]
fn r10_fixture_yields_exactly_one_warning() {
    let findings = nianbao::check(&load("r10.toml"));
    assert_eq!(
        summary(&findings),
        vec![s(
            "R10",
            Severity::Warning,
            "六、其他需要报告的事项 信息处理费：发出收费通知的件数",
            "基本信息!B7",
            "processing_fees.notices",
            1,
            0
        )]
    );
    assert!(!nianbao::has_errors(&findings));
}

/// R10 holds once as many notices as overdue applications are reported.
#[test]
fn r10_holds_with_enough_notices() {
    let mut report = load("r10.toml");
    report.processing_fees.get_or_insert_default().notices = 1;
    assert_eq!(nianbao::check(&report), vec![]);
}

/// R8 is held by the types: a negative or fractional count never loads; the
/// error names the key path of the cell.
#[test]
fn r8_negative_and_fractional_counts_do_not_load() {
    for name in [
        "negative.toml",
        "fraction.toml",
        "negative.json",
        "fraction.json",
    ] {
        let err = nianbao::read_path(&fixture(name)).expect_err(name);
        assert_eq!(
            err.key_path(),
            Some("applications.withheld.third_party_rights[2]"),
            "{name}: {err}"
        );
        assert!(err.to_string().contains("应为非负整数"), "{name}: {err}");
    }
}

/// Every rule fixture breaks its rule only: fixed, it passes every rule.
#[test]
fn rule_fixtures_pass_once_repaired() {
    let mut r1 = load("r1.toml");
    r1.applications.carry_forward.values[0] = 1;
    assert_eq!(nianbao::check(&r1), vec![]);

    let mut r2 = load("r2.toml");
    if let Some(total) = r2.applications.total.as_mut() {
        total.values[0] = 1;
    }
    r2.applications.carry_forward.values[0] = 1;
    assert_eq!(nianbao::check(&r2), vec![]);

    let mut r3 = load("r3.toml");
    r3.applications.new.given_total = Some(2);
    assert_eq!(nianbao::check(&r3), vec![]);

    let mut r4 = load("r4.toml");
    r4.review_litigation.review.given_total = Some(1);
    assert_eq!(nianbao::check(&r4), vec![]);
}

/// R5/R6 (warnings) compare with last year's report.
#[test]
fn r5_r6_against_last_year() {
    let last = Report::from_toml_str(
        "[report]\nagency = \"某县测试局\"\nyear = 2023\n\
         [active]\nnormative_documents = { issued = 2, repealed = 0, in_force = 10 }\n\
         [applications]\nnew = [3, 0, 0, 0, 0, 0]\ngranted = [1, 0, 0, 0, 0, 0]\ncarry_forward = [2, 0, 0, 0, 0, 0]\n",
        "2023.toml",
    )
    .expect("last year loads");
    let this = Report::from_toml_str(
        "[report]\nagency = \"某县测试局\"\nyear = 2024\n\
         [active]\nnormative_documents = { issued = 1, repealed = 3, in_force = 8 }\n\
         [applications]\ncarried_over = [2, 0, 0, 0, 0, 0]\ngranted = [2, 0, 0, 0, 0, 0]\n",
        "2024.toml",
    )
    .expect("this year loads");
    assert_eq!(nianbao::check(&this), vec![]);
    assert_eq!(nianbao::check_against_previous(&this, &last), vec![]);

    // 上年结转 1 instead of 2; 现行有效 9 instead of 10 + 1 − 3 = 8.
    let mut wrong = this.clone();
    wrong.applications.carried_over.values[0] = 1;
    wrong.applications.granted.values[0] = 1;
    wrong.active.normative_documents.in_force = 9;
    let findings = nianbao::check_against_previous(&wrong, &last);
    assert_eq!(
        summary(&findings),
        vec![
            s(
                "R5",
                Severity::Warning,
                "表三 二、上年结转政府信息公开申请数量 × 自然人",
                "依申请公开!D6",
                "applications.carried_over[0]",
                2,
                1
            ),
            s(
                "R5",
                Severity::Warning,
                "表三 二、上年结转政府信息公开申请数量 × 总计",
                "依申请公开!J6",
                "applications.carried_over[6]",
                2,
                1
            ),
            s(
                "R6",
                Severity::Warning,
                "表二 行政规范性文件 × 现行有效件数",
                "主动公开!D5",
                "active.normative_documents.in_force",
                8,
                9
            ),
        ]
    );
}
