//! The consistency rules (勾稽关系) of FORMAT.md §7.
//!
//! R1–R4 are errors that block generation; R10 and D1 (成文日期 in the year
//! after the reported one) are warnings; R5/R6 compare
//! with last year's report ([`check_against_previous`]). R8 (counts are whole
//! and non-negative) is held by the model's types: such input never loads.
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
//! ```

use std::fmt;

use serde::Serialize;

use crate::model::Report;
use crate::spec::tables::{self, Content, Table};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks generation (R1–R4).
    Error,
    /// Printed, does not block (R5, R6, R10, D1).
    Warning,
}

impl Severity {
    /// 错误 or 警告.
    pub fn chinese(&self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
        }
    }
}

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
    /// `错误 R1 表三 四、结转下年度继续办理 × 自然人（依申请公开!D29）：应为 1，实为 0。…`
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
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

/// Checks one report: R1–R4 (errors), R10 and D1 (warnings), in rule order.
pub fn check(report: &Report) -> Vec<Finding> {
    let mut findings = Vec::new();
    r1_balance(report, &mut findings);
    r2_results_total(report, &mut findings);
    r3_row_totals(report, &mut findings);
    r4_review_totals(report, &mut findings);
    r10_processing_fees(report, &mut findings);
    d1_issued_on(report, &mut findings);
    findings
}

/// The finding for the body cell at (`row`, `col`) of `table`.
#[allow(clippy::too_many_arguments)]
fn finding(
    table: &Table,
    row: usize,
    col: usize,
    rule: &'static str,
    severity: Severity,
    expected: i64,
    found: i64,
    message: String,
) -> Finding {
    let (cell, key) = match table.cell_at(row, col) {
        Some(c) => (
            table.describe(c),
            match &c.content {
                Content::Input(i) => i.key.clone(),
                Content::Total(t) => t.key.clone(),
                Content::Label(_) => String::new(),
            },
        ),
        None => (table.name.to_string(), String::new()),
    };
    Finding {
        rule,
        severity,
        cell,
        excel_cell: table.excel_ref(row, col),
        key,
        expected,
        found,
        message,
    }
}

/// Row of table 三 that holds the key `applications.<key>`.
fn t3_row(key: &str) -> usize {
    let t3 = tables::applications();
    let wanted = format!("applications.{key}[0]");
    t3.inputs()
        .map(|(c, i)| (c.row, &i.key))
        .chain(t3.totals().map(|(c, t)| (c.row, &t.key)))
        .find(|(_, k)| **k == wanted)
        .map(|(r, _)| r)
        .unwrap_or(0)
}

/// 三（七）总计 of column `col` as the report states it: the given row when
/// there is one, else computed.
fn stated_results_total(report: &Report, col: usize) -> u64 {
    match &report.applications.total {
        Some(row) if col < 6 => u64::from(row.values[col]),
        Some(row) => row
            .given_total
            .map(u64::from)
            .unwrap_or_else(|| row.total()),
        None => report.applications.outcomes_total(col),
    }
}

/// R1: 一 + 二 = 三（七）+ 四, in every column.
fn r1_balance(report: &Report, out: &mut Vec<Finding>) {
    let t3 = tables::applications();
    let a = &report.applications;
    let row = t3_row("carry_forward");
    for col in 0..7 {
        let received = (a.new.column(col) + a.carried_over.column(col)) as i64;
        let handled = stated_results_total(report, col) as i64;
        let carry = a.carry_forward.column(col) as i64;
        if received != handled + carry {
            out.push(finding(
                t3,
                row,
                3 + col,
                "R1",
                Severity::Error,
                received - handled,
                carry,
                format!(
                    "第一项加第二项之和（{received}）应等于第三项加第四项之和（{}）",
                    handled + carry
                ),
            ));
        }
    }
}

/// R2: a given 三（七）总计 equals the sum of the outcome rows, in every column.
fn r2_results_total(report: &Report, out: &mut Vec<Finding>) {
    let Some(given) = &report.applications.total else {
        return;
    };
    let t3 = tables::applications();
    let row = t3_row("total");
    for col in 0..7 {
        let stated = if col < 6 {
            Some(u64::from(given.values[col]))
        } else {
            given.given_total.map(u64::from)
        };
        let Some(stated) = stated else { continue };
        let computed = report.applications.outcomes_total(col);
        if stated != computed {
            out.push(finding(
                t3,
                row,
                3 + col,
                "R2",
                Severity::Error,
                computed as i64,
                stated as i64,
                "（七）总计应等于（一）至（六）各项之和".to_string(),
            ));
        }
    }
}

/// R3: every given 总计 of table 三 equals the sum of its row.
fn r3_row_totals(report: &Report, out: &mut Vec<Finding>) {
    let t3 = tables::applications();
    for (cell, total) in t3.totals().filter(|(c, _)| c.col == 9) {
        let Some(given) = total.given.get(report) else {
            continue;
        };
        let computed = match (&total.given, &report.applications.total) {
            // The given （七）row is summed as given, not as computed.
            (tables::Given::ResultsTotal(_), Some(row)) => row.total(),
            _ => t3.sum(report, &total.terms),
        };
        if given != computed {
            out.push(finding(
                t3,
                cell.row,
                cell.col,
                "R3",
                Severity::Error,
                computed as i64,
                given as i64,
                "总计应等于自然人与法人或其他组织各列之和".to_string(),
            ));
        }
    }
}

/// R4: every given 总计 of table 四 equals 结果维持 + 结果纠正 + 其他结果 + 尚未审结.
fn r4_review_totals(report: &Report, out: &mut Vec<Finding>) {
    let t4 = tables::review_litigation();
    for (cell, total) in t4.totals() {
        let Some(given) = total.given.get(report) else {
            continue;
        };
        let computed = t4.sum(report, &total.terms);
        if given != computed {
            out.push(finding(
                t4,
                cell.row,
                cell.col,
                "R4",
                Severity::Error,
                computed as i64,
                given as i64,
                "总计应等于结果维持、结果纠正、其他结果、尚未审结之和".to_string(),
            ));
        }
    }
}

/// R10: applications closed for unpaid fees (三（六）2) presuppose at least as
/// many 收费通知 reported under 六.
fn r10_processing_fees(report: &Report, out: &mut Vec<Finding>) {
    let overdue = report.applications.other.fee_overdue.total();
    let notices = u64::from(report.processing_fees.notices);
    if overdue > notices {
        out.push(Finding {
            rule: "R10",
            severity: Severity::Warning,
            cell: tables::BasicInfo::ProcessingFeeNotices.words(),
            excel_cell: tables::BasicInfo::ProcessingFeeNotices.excel_ref(),
            key: tables::BasicInfo::ProcessingFeeNotices.key().to_string(),
            expected: overdue as i64,
            found: notices as i64,
            message: format!(
                "表三（六）2 有 {overdue} 件因逾期未缴纳信息处理费不再处理，应至少发出同样多的收费通知"
            ),
        });
    }
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

/// R5 and R6: this year against last year's report of the same agency (warnings).
///
/// R5: 二、上年结转 = last year's 四、结转下年度继续办理, in every column.
/// R6: 现行有效件数 = last year's 现行有效件数 + 本年制发件数 − 本年废止件数.
pub fn check_against_previous(report: &Report, previous: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    let t3 = tables::applications();
    let row = t3_row("carried_over");
    for col in 0..7 {
        let expected = previous.applications.carry_forward.column(col) as i64;
        let found = report.applications.carried_over.column(col) as i64;
        if expected != found {
            out.push(finding(
                t3,
                row,
                3 + col,
                "R5",
                Severity::Warning,
                expected,
                found,
                format!(
                    "本年上年结转应等于{}年报告的结转下年度继续办理",
                    previous.report.year
                ),
            ));
        }
    }
    let t2 = tables::active();
    for (cell, input) in t2.inputs() {
        let (this, last) = match input.key.as_str() {
            "active.rules.in_force" => (&report.active.rules, &previous.active.rules),
            "active.normative_documents.in_force" => (
                &report.active.normative_documents,
                &previous.active.normative_documents,
            ),
            _ => continue,
        };
        let expected = i64::from(last.in_force) + i64::from(this.issued) - i64::from(this.repealed);
        let found = i64::from(this.in_force);
        if expected != found {
            out.push(finding(
                t2,
                cell.row,
                cell.col,
                "R6",
                Severity::Warning,
                expected,
                found,
                format!(
                    "现行有效件数应等于{}年的现行有效件数（{}）加本年制发件数减本年废止件数",
                    previous.report.year, last.in_force
                ),
            ));
        }
    }
    out
}
