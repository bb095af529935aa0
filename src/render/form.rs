//! Writing the fill-in Excel form ([`form_bytes`]): the sheets of the
//! statistical workbook plus `文字`, only the input cells unlocked and shaded,
//! every sheet protected without a password, every input cell with a data
//! validation and a Chinese input message, totals and `校验` live formulas.
//! The filled form is read back by `read::form`.

use crate::model::{Report, Year};
use crate::render::xlsx::{self, Mode, WorkbookError};
use crate::spec::tables;

/// The fill-in form for `report` as XLSX bytes; the file name of `source`
/// (the `--from` file; its folders are dropped) is recorded on the `基本信息`
/// sheet. Given totals are not written: the totals of the form are formulas.
///
/// ```
/// let report = nianbao::new_report("某县统计局", 2024, None);
/// let bytes = nianbao::form_bytes(&report, None).unwrap();
/// assert_eq!(&bytes[..2], b"PK");
/// ```
pub fn form_bytes(report: &Report, source: Option<&str>) -> Result<Vec<u8>, WorkbookError> {
    xlsx::save(&xlsx::build(report, source, Mode::Form)?)
}

/// The report a new form starts from: `from` (if any) with the agency and
/// year replaced, and given totals dropped.
///
/// When `from` is the previous year's report (its year is `year - 1`), the
/// form starts a new year instead: it keeps who reports and the texts (as a
/// draft), pre-fills 二、上年结转 with last year's 四、结转下年度继续办理 and
/// 现行有效件数 with last year's, and leaves every other number 0.
///
/// ```
/// use nianbao::new_report;
/// let mut last = new_report("某局", 2024, None);
/// last.applications.carry_forward.values = [1, 0, 0, 0, 0, 2];
/// last.applications.new.values = [5, 0, 0, 0, 0, 2];
/// let this = new_report("某局", 2025, Some(last));
/// assert_eq!(this.applications.carried_over.values, [1, 0, 0, 0, 0, 2]);
/// assert_eq!(this.applications.new.values, [0; 6]);
/// ```
pub fn new_report(agency: &str, year: u16, from: Option<Report>) -> Report {
    let mut report = match from {
        Some(last) if last.report.year.0.checked_add(1) == Some(year) => {
            let mut r = Report {
                report: last.report.clone(),
                text: last.text.clone(),
                headings: last.headings.clone(),
                ..Report::default()
            };
            r.report.issued_on = None;
            r.applications.carried_over.values = last.applications.carry_forward.values;
            r.active.rules.in_force = last.active.rules.in_force;
            r.active.normative_documents.in_force = last.active.normative_documents.in_force;
            r
        }
        Some(r) => r,
        None => Report::default(),
    };
    report.report.agency = agency.to_string();
    report.report.year = Year(year);
    clear_given_totals(&mut report);
    report
}

/// Drops every total the input typed (the form computes them).
///
/// ```
/// let mut report = nianbao::model::Report::from_toml_str(
///     "[report]\nagency = \"某局\"\nyear = 2024\n[applications]\nnew = [1, 0, 0, 0, 0, 0, 1]\n",
///     "x.toml",
/// ).unwrap();
/// assert_eq!(report.applications.new.given_total, Some(1));
/// nianbao::clear_given_totals(&mut report);
/// assert_eq!(report.applications.new.given_total, None);
/// ```
pub fn clear_given_totals(report: &mut Report) {
    report.applications.total = None;
    for t in tables::all() {
        for (_, total) in t.totals() {
            match total.given {
                tables::Given::ApplicantRowTotal((_, get_mut)) => {
                    get_mut(report).given_total = None
                }
                tables::Given::OutcomeRowTotal((_, get_mut)) => get_mut(report).given_total = None,
                tables::Given::ResultsTotal(_) => {}
            }
        }
    }
}
