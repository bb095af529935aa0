//! Writing the fill-in Excel form ([`form_bytes`]): a `填表说明` sheet first
//! ([`guide_lines`]), then the sheets of the statistical workbook plus `文字`,
//! only the input cells unlocked and shaded,
//! every sheet protected without a password, every input cell with a data
//! validation and a Chinese input message, totals and `校验` live formulas.
//! The filled form is read back by `read::form`.

use rust_xlsxwriter::XlsxError;

use crate::model::{Report, Year};
use crate::render::sheet::Book;
use crate::render::xlsx::{self, Mode, Styles, WorkbookError, lines_needed, row_height};
use crate::spec::rules::{RULES, Severity};
use crate::spec::sheets::{
    CHECK_SHEET, DATE_EXAMPLE, GUIDE_SHEET, TEXT_COLUMNS, TEXT_SHEET, UNIT_COUNT, UNIT_FEES,
    UNIT_YUAN, text_rows,
};
use crate::spec::tables::{self, BasicInfo, Field};

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
    let book = xlsx::build_with(report, source, Mode::Form, |wb, styles| {
        guide_sheet(wb, styles).map_err(xlsx::at(GUIDE_SHEET))
    })?;
    xlsx::save(&book)
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

// ---------------------------------------------------------------------------
// The 填表说明 sheet

/// One line of the `填表说明` sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuideLine {
    /// A part heading, e.g. `一、填写哪些单元格`.
    Part(String),
    /// An item: a short name (column A) and what to do (column B).
    Item(String, String),
}

/// The lines of the `填表说明` sheet: what to fill (which sheets, which
/// cells), the units, the consistency rules in the checker's wording
/// ([`RULES`]), and how to send the form back. Every sheet name, label, unit
/// and rule comes from the spec.
pub fn guide_lines() -> Vec<GuideLine> {
    let part = |s: &str| GuideLine::Part(s.to_string());
    let item = |a: &str, b: String| GuideLine::Item(a.to_string(), b);
    let mut lines = vec![part("一、填写哪些单元格")];
    lines.push(item(
        "黄色单元格",
        "只填黄色底色的单元格（只有它们可以编辑）。灰色单元格是自动合计（公式），白色单元格是标签，均已锁定，不必也不能修改。选中黄色单元格时会提示该填什么。".into(),
    ));
    let info_cells: Vec<&str> = BasicInfo::ALL
        .iter()
        .filter(|b| **b != BasicInfo::SourceFile)
        .map(|b| b.label())
        .collect();
    let info_col = column(1);
    lines.push(item(
        BasicInfo::SHEET,
        format!(
            "{info_col} 列：{}。{}、{}不能为空，其余可留空。",
            info_cells.join("、"),
            BasicInfo::Agency.label(),
            BasicInfo::Year.label()
        ),
    ));
    for table in tables::all() {
        lines.push(item(
            table.sheet,
            format!(
                "{}（{}）：在黄色单元格中填写件数；没有的填 0 或留空。合计和总计自动计算。",
                table.name, table.heading
            ),
        ));
    }
    let rows = text_rows();
    lines.push(item(
        TEXT_SHEET,
        format!(
            "{} 列（{}）：报告正文各部分，{} 列（{}）是该部分的名称，如「{}」。",
            column(2),
            TEXT_COLUMNS[2],
            column(1),
            TEXT_COLUMNS[1],
            rows.get(1).map(|r| r.label.as_str()).unwrap_or_default()
        ),
    ));
    lines.push(item(
        CHECK_SHEET,
        "不用填：随数据自动显示各项勾稽关系是否通过，填完后请看一眼。".into(),
    ));

    lines.push(part("二、单位"));
    lines.push(item("件数", format!("表二至表四的件数：{UNIT_COUNT}。")));
    if let Some((table, cell, input)) = tables::all().iter().find_map(|t| {
        t.inputs()
            .find(|(_, i)| matches!(i.field, Field::Fees))
            .map(|(c, i)| (t, c, i))
    }) {
        lines.push(item(
            "收费金额",
            format!(
                "{} {}（{}）：{UNIT_FEES}。",
                table.name,
                input.words.trim(),
                table.excel_ref(cell.row, cell.col)
            ),
        ));
    }
    let yuan: Vec<String> = [
        BasicInfo::ProcessingFeeNoticesAmount,
        BasicInfo::ProcessingFeeCollected,
    ]
    .iter()
    .map(|b| format!("{}（{}）", b.label(), b.excel_ref()))
    .collect();
    lines.push(item(
        "信息处理费",
        format!(
            "{}：{UNIT_YUAN}，如 96171.60；{}（{}）：{UNIT_COUNT}。",
            yuan.join("、"),
            BasicInfo::ProcessingFeeNotices.label(),
            BasicInfo::ProcessingFeeNotices.excel_ref()
        ),
    ));
    lines.push(item(
        BasicInfo::IssuedOn.label(),
        format!(
            "{}：填日期，如 {DATE_EXAMPLE}；也可写 2025-1-20、2025/1/20、2025.1.20；可留空。",
            BasicInfo::IssuedOn.excel_ref()
        ),
    ));

    lines.push(part("三、勾稽关系（校验规则）"));
    lines.push(item(
        "错误与警告",
        format!(
            "「{}」不改正就不能生成报告；「{}」提示核对，不影响生成。能在本表中校验的规则，「{CHECK_SHEET}」表随数据显示通过或不通过。",
            Severity::Error.chinese(),
            Severity::Warning.chinese()
        ),
    ));
    for rule in &RULES {
        let where_ = rule
            .check_sheet_note()
            .map(str::to_string)
            .unwrap_or_else(|| format!("在「{CHECK_SHEET}」表中随数据自动校验。"));
        lines.push(item(
            &format!("{}（{}）", rule.id, rule.severity.chinese()),
            format!("{}。{where_}", rule.wording()),
        ));
    }

    lines.push(part("四、填好以后"));
    lines.push(item(
        "保存",
        "用 Excel 或 WPS 保存，如需另存，选「Excel 工作簿（*.xlsx）」格式；不要改工作表名称，不要插入、删除或移动行列。".into(),
    ));
    lines.push(item(
        "交回",
        format!(
            "把填好的文件交回县政府办公室（政务公开工作机构）；或自行运行 nianbao generate 文件.xlsx 生成报告。填错的单元格会一次全部列出，如「{}：…」，改正后再交。",
            BasicInfo::IssuedOn.excel_ref()
        ),
    ));
    lines
}

/// The letter of 0-based column `col`, e.g. `B`.
fn column(col: usize) -> String {
    tables::cell_name(0, col)
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .to_string()
}

/// Writes the `填表说明` sheet (protected, nothing to fill): A4 portrait,
/// wrapped text, one page wide.
pub(crate) fn guide_sheet(wb: &mut Book, st: &Styles) -> Result<(), XlsxError> {
    const WIDTHS: [f64; 2] = [16.0, 70.0];
    let ws = wb.add_worksheet();
    ws.set_name(GUIDE_SHEET)?;
    for (col, w) in WIDTHS.iter().enumerate() {
        ws.set_column_width(col as u16, *w)?;
    }
    ws.merge_range(0, 0, 0, 1, GUIDE_SHEET, &st.title)?;
    ws.set_row_height(0, 30)?;
    for (i, line) in guide_lines().iter().enumerate() {
        let r = u32::try_from(i + 1).unwrap_or(u32::MAX);
        match line {
            GuideLine::Part(text) => {
                ws.merge_range(r, 0, r, 1, text, &st.label_bold_left)?;
                ws.set_row_height(r, 24)?;
            }
            GuideLine::Item(name, text) => {
                ws.write_string_with_format(r, 0, name, &st.label_left)?;
                ws.write_string_with_format(r, 1, text, &st.label_left)?;
                let lines = lines_needed(text, WIDTHS[1]).max(lines_needed(name, WIDTHS[0]));
                ws.set_row_height(r, row_height(lines))?;
            }
        }
    }
    xlsx::print_setup(ws, 1)?;
    xlsx::protect(ws);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_names_every_rule_and_unit() {
        let lines = guide_lines();
        assert_eq!(lines[0], GuideLine::Part("一、填写哪些单元格".into()));
        let all: String = lines
            .iter()
            .map(|l| match l {
                GuideLine::Part(p) => p.clone(),
                GuideLine::Item(a, b) => format!("{a}\t{b}"),
            })
            .collect::<Vec<_>>()
            .join("\n");
        for rule in &RULES {
            assert!(all.contains(&rule.wording()), "{}", rule.id);
        }
        for unit in [UNIT_COUNT, UNIT_FEES, UNIT_YUAN, DATE_EXAMPLE] {
            assert!(all.contains(unit), "{unit}");
        }
        assert_eq!(column(1), "B");
        assert_eq!(column(2), "C");
    }
}
