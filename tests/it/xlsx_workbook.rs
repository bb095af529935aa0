//! The statistical workbook, read back with calamine (and LibreOffice when
//! installed): sheets, labels, merges, values, formulas and cached values.

use crate::xlsx_support::*;
use calamine::{Data, Reader};
use nianbao::Outputs;
use nianbao::spec::sheets::{self as xlsx};
use nianbao::spec::tables::{self, BasicInfo, Content, TITLE_ROWS, Value};

/// The workbook `generate` renders for the sample, and its file name.
fn rendered() -> (String, Vec<u8>) {
    let (files, findings) = nianbao::render(
        &sample(),
        "sample.toml",
        Outputs {
            docx: false,
            xlsx: true,
            html: None,
        },
    )
    .expect("renders");
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(files.len(), 1);
    let file = files.into_iter().next().expect("one file");
    (file.name, file.bytes)
}

#[test]
fn file_name_and_sheets() {
    let (name, bytes) = rendered();
    assert_eq!(
        name,
        "某县自然资源局2024年政府信息公开工作年度报告统计表.xlsx"
    );
    let wb = open(&bytes);
    assert_eq!(
        wb.sheet_names(),
        ["基本信息", "主动公开", "依申请公开", "复议诉讼", "校验"]
    );
}

#[test]
fn every_label_value_and_total() {
    let (_, bytes) = rendered();
    let report = sample();
    let mut wb = open(&bytes);
    for table in tables::all() {
        let values = wb.worksheet_range(table.sheet).expect("sheet");
        let formulas = wb.worksheet_formula(table.sheet).expect("formulas");
        let at = |r: usize, c: usize| {
            values
                .get_value(((r + TITLE_ROWS) as u32, c as u32))
                .cloned()
                .unwrap_or(Data::Empty)
        };
        assert_eq!(
            values.get_value((0, 0)),
            Some(&Data::String(table.heading.to_string())),
            "{} title",
            table.sheet
        );
        for cell in &table.cells {
            let here = table.excel_ref(cell.row, cell.col);
            match &cell.content {
                Content::Label(label) => {
                    assert_eq!(
                        at(cell.row, cell.col),
                        Data::String(label.to_string()),
                        "{here}"
                    );
                }
                Content::Input(input) => {
                    let expected = match input.field.get(&report) {
                        Value::Count(n) => n as f64,
                        Value::Amount(a) => a.to_f64(),
                    };
                    assert_eq!(at(cell.row, cell.col), Data::Float(expected), "{here}");
                    let f = formulas.get_value(((cell.row + TITLE_ROWS) as u32, cell.col as u32));
                    assert!(f.is_none_or(String::is_empty), "{here} holds a formula");
                }
                Content::Total(total) => {
                    let f = formulas
                        .get_value(((cell.row + TITLE_ROWS) as u32, cell.col as u32))
                        .cloned()
                        .unwrap_or_default();
                    assert_eq!(f, xlsx::sum_formula(table, &total.terms, ""), "{here}");
                    assert!(f.starts_with("SUM("), "{here}: {f}");
                    let cached = table.sum(&report, &total.terms) as f64;
                    assert_eq!(at(cell.row, cell.col), Data::Float(cached), "{here}");
                }
            }
        }
    }
    // A few cells by address, as FORMAT.md and the checker name them.
    assert_eq!(value(&mut wb, "依申请公开", 27, 3), Data::Float(5.0)); // D28 （七）总计 × 自然人
    assert_eq!(value(&mut wb, "依申请公开", 4, 9), Data::Float(12.0)); // J5 一 × 总计
    assert_eq!(value(&mut wb, "依申请公开", 27, 9), Data::Float(12.0)); // J28
    assert_eq!(value(&mut wb, "复议诉讼", 4, 4), Data::Float(2.0)); // E5 行政复议 总计
    assert_eq!(value(&mut wb, "主动公开", 14, 1), Data::Float(24252.311082)); // B15 收费
    let formulas = wb.worksheet_formula("依申请公开").expect("formulas");
    assert_eq!(
        formulas.get_value((27, 3)).map(String::as_str),
        Some("SUM(D7:D27)")
    );
}

#[test]
fn merged_ranges_match_the_description() {
    let (_, bytes) = rendered();
    let form = nianbao::form_bytes(&sample(), None).expect("form");
    for workbook in [&form, &bytes] {
        assert_merges(workbook);
    }
}

fn assert_merges(bytes: &[u8]) {
    let mut wb = open(bytes);
    for table in tables::all() {
        let mut expected: Vec<((u32, u32), (u32, u32))> = table
            .cells
            .iter()
            .filter(|c| c.row_span > 1 || c.col_span > 1)
            .map(|c| {
                let r = (c.row + TITLE_ROWS) as u32;
                (
                    (r, c.col as u32),
                    (r + c.row_span as u32 - 1, (c.col + c.col_span - 1) as u32),
                )
            })
            .collect();
        expected.push(((0, 0), (0, table.cols as u32 - 1)));
        expected.sort();
        let mut found: Vec<_> = wb
            .merge_cells_by_sheet_name(table.sheet)
            .expect("merges")
            .into_iter()
            .map(|d| (d.start, d.end))
            .collect();
        found.sort();
        assert_eq!(found, expected, "{}", table.sheet);
    }
    // Spot checks against FORMAT.md §4 (shifted down by the title row).
    let t3: Vec<_> = wb
        .merge_cells_by_sheet_name("依申请公开")
        .expect("merges")
        .into_iter()
        .map(|d| (d.start, d.end))
        .collect();
    assert!(t3.contains(&((1, 0), (3, 2)))); // A1:C3 of the table
    assert!(t3.contains(&((6, 0), (27, 0)))); // 三、本年度办理结果 A6:A27 (rowspan 22)
}

#[test]
fn basic_info_sheet() {
    let (_, bytes) = rendered();
    let mut wb = open(&bytes);
    for item in BasicInfo::ALL {
        assert_eq!(
            value(&mut wb, BasicInfo::SHEET, item.sheet_row(), 0),
            Data::String(item.label().to_string())
        );
    }
    let v = |wb: &mut _, item: BasicInfo| value(wb, BasicInfo::SHEET, item.sheet_row(), 1);
    assert_eq!(
        v(&mut wb, BasicInfo::Agency),
        Data::String("某县自然资源局".into())
    );
    assert_eq!(v(&mut wb, BasicInfo::Year), Data::Float(2024.0));
    assert_eq!(v(&mut wb, BasicInfo::Region), Data::String("某县".into()));
    assert_eq!(
        v(&mut wb, BasicInfo::IssuedOn),
        Data::String("2025-01-20".into())
    );
    assert_eq!(
        v(&mut wb, BasicInfo::ProcessingFeeNoticesAmount),
        Data::Float(200.0)
    );
    assert_eq!(
        v(&mut wb, BasicInfo::SourceFile),
        Data::String("sample.toml".into())
    );
}

#[test]
fn a_broken_rule_shows_as_failed() {
    // The statistical workbook is written only for a consistent report; the
    // fill-in form, whose 校验 sheet is the same, takes any numbers.
    let mut report = sample();
    report.applications.new.values[0] += 2; // R1 breaks for 自然人 and 总计
    let bytes = nianbao::form_bytes(&report, None).expect("form");
    let mut wb = open(&bytes);
    let first = xlsx::CHECK_FIRST_ROW;
    assert_eq!(
        value(&mut wb, xlsx::CHECK_SHEET, first, 5),
        Data::String("不通过".into())
    );
    assert_eq!(
        value(&mut wb, xlsx::CHECK_SHEET, first, 3),
        Data::Float(8.0)
    );
    assert_eq!(
        value(&mut wb, xlsx::CHECK_SHEET, first, 4),
        Data::Float(6.0)
    );
    assert_eq!(
        value(&mut wb, xlsx::CHECK_SHEET, first + 6, 5),
        Data::String("不通过".into())
    );
    assert_eq!(
        value(&mut wb, xlsx::CHECK_SHEET, 1, 5),
        Data::String("2项不通过".into())
    );
}

#[test]
fn same_input_same_bytes_and_time_from_the_report() {
    let (_, a) = rendered();
    let (_, b) = rendered();
    assert_eq!(a, b);
    let core = entry_text(&a, "docProps/core.xml");
    assert!(core.contains(">2025-01-20T00:00:00Z<"), "{core}");
    // No 成文日期: 1 January of the following year.
    let mut report = sample();
    report.report.issued_on = None;
    let c = crate::xlsx_support::workbook_bytes(&report, "sample.toml").expect("workbook");
    assert!(entry_text(&c, "docProps/core.xml").contains(">2025-01-01T00:00:00Z<"));
    assert_eq!(
        c,
        crate::xlsx_support::workbook_bytes(&report, "sample.toml").expect("again")
    );
}

#[test]
fn fonts_formats_and_print_setup() {
    let (_, bytes) = rendered();
    let styles = entry_text(&bytes, "xl/styles.xml");
    assert!(styles.contains("仿宋_GB2312"), "font");
    assert!(styles.contains("<sz val=\"10.5\"/>"), "五号");
    assert!(styles.contains("formatCode=\"0.00####\""), "fees format");
    let workbook = entry_text(&bytes, "xl/workbook.xml");
    assert!(
        workbook.contains("_xlnm.Print_Titles"),
        "repeated title rows"
    );
    assert!(workbook.contains("依申请公开!$1:$4"), "{workbook}");
    for table in tables::all() {
        let sheet = entry_text(&bytes, &sheet_part(&bytes, table.sheet));
        assert!(sheet.contains("paperSize=\"9\""), "{} A4", table.sheet);
        assert!(
            sheet.contains("fitToHeight=\"0\""),
            "{} one page wide",
            table.sheet
        );
        assert!(sheet.contains("<fitToPage=\"1\"/>") || sheet.contains("fitToPage=\"1\""));
        assert!(
            sheet.contains("horizontalCentered=\"1\""),
            "{} centred",
            table.sheet
        );
        assert!(
            !sheet.contains("<sheetProtection"),
            "the workbook is not locked"
        );
    }
}

/// LibreOffice, recalculating on load, computes the same totals and 校验
/// results that nianbao cached.
#[test]
fn libreoffice_recalculates_to_the_cached_values() {
    let Some(soffice) = crate::common::tool("soffice") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, bytes) = rendered();
    let file = dir.path().join("stat.xlsx");
    std::fs::write(&file, &bytes).expect("write");
    let sheets = lo_csv(&soffice, dir.path(), &file);
    let mut wb = open(&bytes);
    let mut compared = 0;
    let mut check_sheets: Vec<&str> = tables::all().iter().map(|t| t.sheet).collect();
    check_sheets.push(xlsx::CHECK_SHEET);
    for name in check_sheets {
        let (_, csv) = sheets
            .iter()
            .find(|(s, _)| s == name)
            .unwrap_or_else(|| panic!("no CSV for {name}"));
        let formulas = wb.worksheet_formula(name).expect("formulas");
        let values = wb.worksheet_range(name).expect("values");
        let Some((start_r, start_c)) = formulas.start() else {
            continue; // 主动公开 has no totals
        };
        for (dr, dc, f) in formulas.cells() {
            if f.is_empty() {
                continue;
            }
            let (r, c) = (dr as u32 + start_r, dc as u32 + start_c);
            let cached = match values.get_value((r, c)) {
                Some(Data::Float(v)) => v.to_string(),
                Some(Data::String(s)) => s.clone(),
                other => panic!("{name} ({r},{c}): {other:?}"),
            };
            let lo = csv
                .get(r as usize)
                .and_then(|row| row.get(c as usize))
                .cloned()
                .unwrap_or_default();
            assert_eq!(
                lo,
                cached,
                "{name} row {} col {}: LibreOffice vs cached",
                r + 1,
                c + 1
            );
            compared += 1;
        }
    }
    // Every total of the tables, and on 校验 the two sides and the result of
    // each line plus the summary cell.
    let totals: usize = tables::all().iter().map(|t| t.totals().count()).sum();
    let lines = nianbao::spec::sheets::check_lines(&sample()).len();
    assert_eq!(
        compared,
        totals + 3 * lines + 1,
        "compared {compared} formula cells"
    );
}
