//! The consistency rules (勾稽关系) of FORMAT.md §7.
//!
//! The rules themselves, their wording and the cells they relate, are data in
//! [`crate::spec::rules`]; this module evaluates them on a report. R1–R4 are
//! errors that block generation; R10 is a warning (also when there is no
//! `[processing_fees]` and 六 is silent on the fee, [`fees_not_reported`]),
//! and so are D1 (成文日期 in the year after the reported one, a
//! plausibility check outside §7) and D2 (narrative blocks left to the
//! built-in default texts, [`default_texts`]); R5/R6 compare with last
//! year's report ([`check_against_previous`]); R7 compares the numbers the
//! narrative quotes with the tables once the text is rendered
//! ([`check_text`]). R8 (counts are whole and non-negative) is held by the
//! model's types: such input never loads.
//!
//! ```
//! use nianbao::model::Report;
//! let mut report = Report::from_toml_str(
//!     "[report]\nagency = \"某局\"\nyear = 2024\n[applications]\nnew = [2, 0, 0, 0, 0, 0]\ngranted = [2, 0, 0, 0, 0, 0]\n",
//!     "x.toml",
//! ).unwrap();
//! assert!(nianbao::check(&report).is_empty());
//! report.applications.granted.values[0] = 1;
//! let findings = nianbao::check(&report);
//! assert_eq!(findings[0].rule, "R1");
//! assert_eq!(findings[0].cell, "表三 四、结转下年度继续办理 × 自然人");
//! assert_eq!((findings[0].expected, findings[0].found), (1, 0));
//! assert_eq!(
//!     findings[0].message,
//!     "一 + 二 = 2，三（七）+ 四 = 1，相差 1（第一项加第二项之和应等于第三项加第四项之和）"
//! );
//! ```

use std::fmt;

use serde::Serialize;

use crate::model::Report;
pub use crate::spec::rules::Severity;
use crate::spec::rules::{self, Comparison, Scope, Subject};
use crate::spec::tables;

mod narrative;
pub use narrative::check_text;

/// One broken rule at one cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule id of FORMAT.md §7, e.g. `R1`.
    pub rule: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// The table cell in words, e.g. `表三 （七）总计 × 自然人`.
    pub cell: String,
    /// The cell in the workbook, e.g. `依申请公开!D28`.
    pub excel_cell: String,
    /// The key path in the input, e.g. `applications.total[0]`.
    pub key: String,
    /// The value the rule expects in that cell.
    pub expected: i64,
    /// The value found there.
    pub found: i64,
    /// What the rule says, in Chinese.
    pub message: String,
}

impl fmt::Display for Finding {
    /// `错误 R1 表三 四、结转下年度继续办理 × 自然人（依申请公开!D29）：应为 1，实为 0。…`;
    /// D2 and R10 on the fee (no counts to compare): `警告 D2 文字 …（文字!C3）：…`.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let fee_unreported = self.rule == FEES_NOT_REPORTED && self.key == FEES_NOT_REPORTED_KEY;
        if self.rule == DEFAULT_TEXTS || fee_unreported {
            return write!(
                f,
                "{} {} {}（{}）：{}",
                self.severity.chinese(),
                self.rule,
                self.cell,
                self.excel_cell,
                self.message
            );
        }
        write!(
            f,
            "{} {} {}（{}）：应为 {}，实为 {}。{}",
            self.severity.chinese(),
            self.rule,
            self.cell,
            self.excel_cell,
            self.expected,
            self.found,
            self.message
        )
    }
}

/// The outcome of checking one report, as `nianbao check --format json` prints
/// it and the service returns it.
///
/// ```
/// let report = nianbao::read_path("inputs/butaji-2024.toml".as_ref()).unwrap();
/// let result = nianbao::CheckResult::new(&report);
/// assert!(result.ok());
/// let json = serde_json::to_value(&result).unwrap();
/// assert_eq!(json["agency"], "潢川县卜塔集镇人民政府");
/// assert_eq!(json["status"], "ok");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// 机关全称.
    pub agency: String,
    /// The reported year.
    pub year: u16,
    /// `ok` (no error findings) or `failed`.
    pub status: &'static str,
    /// Every finding, errors and warnings, in rule order.
    pub findings: Vec<Finding>,
}

impl CheckResult {
    /// Checks `report`.
    pub fn new(report: &Report) -> CheckResult {
        CheckResult::from_findings(report, check(report))
    }

    /// The result for `report` with findings already computed (e.g. with R5/R6 added).
    pub fn from_findings(report: &Report, findings: Vec<Finding>) -> CheckResult {
        CheckResult {
            agency: report.report.agency.clone(),
            year: report.report.year.0,
            status: if has_errors(&findings) {
                "failed"
            } else {
                "ok"
            },
            findings,
        }
    }

    /// True when no finding blocks generation.
    pub fn ok(&self) -> bool {
        !has_errors(&self.findings)
    }
}

/// Whether any finding blocks generation.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Checks one report: R1–R4 (errors) and R10 (warning), in rule order.
pub fn check(report: &Report) -> Vec<Finding> {
    let now = Subject::new(report);
    let mut out = findings(Scope::Report, &now, None);
    d1_issued_on(report, &mut out);
    out
}

/// D1: a 成文日期 outside the year after the reported one (before the
/// reported year ends, or more than a year after) is probably a typo (warning).
fn d1_issued_on(report: &Report, out: &mut Vec<Finding>) {
    let Some(date) = report.report.issued_on else {
        return;
    };
    let year = report.report.year.0;
    let expected = i64::from(year) + 1;
    let found = i64::from(date.year);
    if found == expected {
        return;
    }
    let info = tables::BasicInfo::IssuedOn;
    let message = if found < expected {
        format!("成文日期 {date} 早于报告年度（{year} 年）结束，报告应在次年成文")
    } else {
        format!("成文日期 {date} 晚于报告年度（{year} 年）结束一年以上，请检查年份")
    };
    out.push(Finding {
        rule: "D1",
        severity: Severity::Warning,
        cell: info.label().to_string(),
        excel_cell: info.excel_ref(),
        key: info.key().to_string(),
        expected,
        found,
        message,
    });
}

/// The id of the warning on narrative blocks left to the built-in default texts.
pub const DEFAULT_TEXTS: &str = "D2";

/// The blocks whose default text says the same for every agency (the
/// others are worded from the report's figures, or say 「无」): a report
/// that leaves them to the defaults reads like every other one, which the
/// 2021 format notice (国办公开办函〔2021〕30号) warns against (内容雷同).
pub const BOILERPLATE_BLOCKS: [&str; 6] = [
    "overview",
    "management",
    "platforms",
    "oversight",
    "problems",
    "improvements",
];

/// D2: the blocks of [`BOILERPLATE_BLOCKS`] that `report` leaves empty and
/// that `builtin` (given a block name) says come from a built-in default
/// template, named in one warning; `None` when there are none.
///
/// ```
/// use nianbao::{DEFAULT_TEXTS, default_texts};
/// let mut report = nianbao::read_path("inputs/butaji-2024.toml".as_ref()).unwrap();
/// assert!(default_texts(&report, |_| true).is_none());
/// report.text.oversight = None;
/// let finding = default_texts(&report, |_| true).unwrap();
/// assert_eq!(finding.rule, DEFAULT_TEXTS);
/// assert!(finding.message.contains("一（五）监督保障（text.oversight）"));
/// // A template of the user's own (`--templates DIR`) is not a default.
/// assert!(default_texts(&report, |name| name != "oversight").is_none());
/// ```
pub fn default_texts(report: &Report, builtin: impl Fn(&str) -> bool) -> Option<Finding> {
    let rows: Vec<_> = crate::spec::sheets::text_rows()
        .into_iter()
        .filter(|r| r.kind == crate::spec::sheets::TextKind::Block)
        .filter(|r| BOILERPLATE_BLOCKS.contains(&r.name))
        .filter(|r| report.text.get(r.name).is_none() && builtin(r.name))
        .collect();
    let first = rows.first()?;
    let places: Vec<String> = rows
        .iter()
        .map(|r| format!("{}（{}）", r.label, r.key))
        .collect();
    Some(Finding {
        rule: DEFAULT_TEXTS,
        severity: Severity::Warning,
        cell: format!("文字 {} 段未填写", rows.len()),
        excel_cell: first.excel_ref(),
        key: first.key.clone(),
        expected: 0,
        found: rows.len() as i64,
        message: format!(
            "以下 {} 段文字未填写，将使用程序内置的默认文字：{}。默认文字对每个机关都一样，\
             2021 年年度报告格式通知要求避免内容雷同，请按本机关本年度的实际情况填写。",
            rows.len(),
            places.join("、")
        ),
    })
}

/// The id of the warning on a report that says nothing of the 信息处理费.
pub const FEES_NOT_REPORTED: &str = "R10";

/// The key of that warning, which tells it from R10's comparison of counts
/// (its key is a field of `[processing_fees]`).
pub const FEES_NOT_REPORTED_KEY: &str = "processing_fees";

/// R10 (FORMAT.md §7: the fee reported in 六): `[processing_fees]` is not given and 六 as it will be printed
/// (`other_matters`, its paragraphs) says nothing of the fee either, so the
/// report would not report it at all (FORMAT.md §7 R10: the fee must be
/// reported in 六, zero included). Nothing is invented instead: the report
/// is generated without a fee sentence, with this warning.
///
/// ```
/// use nianbao::{FEES_NOT_REPORTED, fees_not_reported};
/// let mut report = nianbao::read_path("inputs/butaji-2024.toml".as_ref()).unwrap();
/// let six = vec!["无".to_string()];
/// assert!(fees_not_reported(&report, &six).is_none()); // the table is given
/// report.processing_fees = None;
/// let finding = fees_not_reported(&report, &six).unwrap();
/// assert_eq!(finding.rule, FEES_NOT_REPORTED);
/// assert!(finding.message.contains("[processing_fees]"));
/// // 六 speaks of the fee itself: nothing is missing.
/// let six = vec!["本年度未收取信息处理费。".to_string()];
/// assert!(fees_not_reported(&report, &six).is_none());
/// ```
pub fn fees_not_reported(report: &Report, other_matters: &[String]) -> Option<Finding> {
    if report.processing_fees.is_some()
        || other_matters
            .iter()
            .any(|p| crate::spec::outline::mentions_fees(p))
    {
        return None;
    }
    let info = tables::BasicInfo::ProcessingFeeNotices;
    let six = crate::spec::outline::SECTION_HEADINGS[5];
    Some(Finding {
        rule: FEES_NOT_REPORTED,
        severity: Severity::Warning,
        cell: format!("{six} 信息处理费"),
        excel_cell: info.excel_ref(),
        key: FEES_NOT_REPORTED_KEY.to_string(),
        expected: 0,
        found: 0,
        message: format!(
            "输入文件没有 [processing_fees] 表（信息处理费：发出收费通知的件数、收费通知的总金额、\
             实际收取的总金额），「{six}」（text.other_matters）也没有说到信息处理费，\
             报告中将不写信息处理费的情况。年度报告应在此报告信息处理费（没有收取也要写明）：\
             请补上 [processing_fees] 表（没有就都填 0），或在「{six}」中写明。"
        ),
    })
}

/// R5 and R6: this year against last year's report of the same agency (warnings).
///
/// R5: 二、上年结转 = last year's 四、结转下年度继续办理, in every column.
/// R6: 现行有效件数 = last year's 现行有效件数 + 本年制发件数 − 本年废止件数.
pub fn check_against_previous(report: &Report, previous: &Report) -> Vec<Finding> {
    let now = Subject::new(report);
    let last = Subject::new(previous);
    findings(Scope::AgainstPrevious, &now, Some(&last))
}

/// The findings of every comparison of the rules of `scope`, in rule order.
fn findings(scope: Scope, now: &Subject, previous: Option<&Subject>) -> Vec<Finding> {
    rules::comparisons()
        .iter()
        .filter(|c| c.rule.scope == scope)
        .filter_map(|c| finding(c, now, previous))
        .collect()
}

/// The finding of comparison `c`, if it applies and fails.
fn finding(c: &Comparison, now: &Subject, previous: Option<&Subject>) -> Option<Finding> {
    let outcome = c.evaluate(now, previous)?;
    if outcome.holds {
        return None;
    }
    Some(Finding {
        rule: c.rule.id,
        severity: c.rule.severity,
        cell: c.at.words(),
        excel_cell: c.at.excel_ref(),
        key: c.at.key(),
        expected: outcome.expected,
        found: outcome.found,
        message: c.rule.message(outcome.left, outcome.right),
    })
}
