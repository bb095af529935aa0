//! The fill-in form as a clerk meets it: the 填表说明 sheet first, Chinese
//! names on the 文字 sheet, the 成文日期 typed in the usual ways, every bad
//! cell reported in one run, and forms of the previous version still read.
//!
//! Oracles: sheet names, units and wordings transcribed here from FORMAT.md
//! and the form as the clerk sees it; the rule wordings are the checker's
//! (one source, `spec::rules`), since the guide must say them the same way.

use calamine::{Data, Reader};
use nianbao::LoadError;
use nianbao::model::Report;
use nianbao::spec::rules::RULES;
use nianbao::spec::sheets::{self, TEXT_SHEET};
use nianbao::spec::tables::BasicInfo;

use crate::xlsx_support::*;

const FILE: &str = "填报表.xlsx";

fn read(bytes: &[u8]) -> Result<Report, LoadError> {
    nianbao::read_form_bytes(bytes, FILE)
}

/// The form of the 自然资源局 input, as `nianbao form --from` writes it.
fn form() -> Vec<u8> {
    let input = crate::common::input("mouxian-ziranziyuan-2024.toml");
    let (agency, year) = (input.report.agency.clone(), input.report.year.0);
    let report = nianbao::new_report(&agency, year, Some(input));
    nianbao::form_bytes(&report, Some("mouxian-ziranziyuan-2024.toml")).expect("form")
}

/// Every non-empty cell of `sheet`, row by row, as text.
fn sheet_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    let mut wb = open(bytes);
    let range = wb.worksheet_range(sheet).expect("sheet");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

// ---------------------------------------------------------------------------
// 填表说明

#[test]
fn the_guide_comes_first_and_says_what_to_fill_units_rules_and_return() {
    let bytes = form();
    let wb = open(&bytes);
    assert_eq!(wb.sheet_names(), crate::xlsx_support::FORM_SHEETS);
    let rows = sheet_rows(&bytes, "填表说明");
    assert_eq!(rows[0][0], "填表说明");
    let all: String = rows
        .iter()
        .map(|r| r.join("\t"))
        .collect::<Vec<_>>()
        .join("\n");
    // What to fill: every sheet, the yellow cells, the basic-info labels.
    for sheet in &FORM_SHEETS[1..] {
        assert!(all.contains(sheet), "{sheet}\n{all}");
    }
    assert!(all.contains("黄色"), "{all}");
    for label in [
        "机关全称",
        "简称",
        "报告年度",
        "所属地区",
        "成文日期",
        "发出收费通知的件数",
        "收费通知的总金额（元）",
        "实际收取的总金额（元）",
    ] {
        assert!(all.contains(label), "{label}");
    }
    // The units: 件, 万元 (收费), 元 with two decimals (信息处理费), a date.
    for unit in [
        "单位：件",
        "单位：万元",
        "单位：元，最多 2 位小数",
        "2025年1月20日",
    ] {
        assert!(all.contains(unit), "{unit}\n{all}");
    }
    // Every rule, by id and in the checker's wording, with its severity.
    for rule in &RULES {
        let line = rows
            .iter()
            .find(|r| r[0].starts_with(&format!("{}（", rule.id)))
            .unwrap_or_else(|| panic!("no line for {}", rule.id));
        assert!(line[0].contains(rule.severity.chinese()), "{line:?}");
        assert!(line[1].contains(&rule.wording()), "{line:?}");
    }
    assert_eq!(
        rows.iter()
            .filter(|r| r[0].starts_with('R') && r[0].contains('（'))
            .count(),
        10,
        "R1–R10, once each"
    );
    // How to send it back.
    for words in [
        ".xlsx",
        "不要改工作表名称",
        "交回县政府办公室",
        "nianbao generate",
    ] {
        assert!(all.contains(words), "{words}\n{all}");
    }

    // Readable and printable: A4 portrait, one page wide, wrapped text,
    // a wide text column, protected (nothing to fill).
    let xml = entry_text(&bytes, &sheet_part(&bytes, "填表说明"));
    assert!(xml.contains("paperSize=\"9\""), "A4");
    assert!(xml.contains("fitToHeight=\"0\""), "one page wide");
    assert!(!xml.contains("orientation=\"landscape\""));
    assert!(xml.contains("<sheetProtection"));
    assert!(!xml.contains("<dataValidation"), "nothing to fill");
    let widths: Vec<f64> = xml
        .split("<col ")
        .skip(1)
        .filter_map(|c| c.split("width=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect();
    assert_eq!(widths.len(), 2, "{widths:?}");
    assert!(
        widths[1] >= 60.0 && widths.iter().sum::<f64>() <= 100.0,
        "{widths:?}"
    );
    let styles = entry_text(&bytes, "xl/styles.xml");
    assert!(styles.contains("wrapText=\"1\""));
    // Rows are tall enough for their wrapped text.
    assert!(xml.contains("customHeight=\"1\""));
    // The guide is never read: a clerk's scribble on it changes nothing.
    let scribbled = set_cell(&bytes, "填表说明", "B3", NewCell::Text("乱写 -1 text.x"));
    assert_eq!(
        read(&scribbled).expect("reads"),
        read(&bytes).expect("reads")
    );
}

// ---------------------------------------------------------------------------
// 文字: Chinese names

#[test]
fn the_text_sheet_names_its_rows_in_chinese() {
    let bytes = form();
    let rows = sheet_rows(&bytes, TEXT_SHEET);
    // Column headers, then the rows: section heading, name, text.
    assert_eq!(rows[1][0], "部分");
    assert_eq!(rows[1][1], "项目");
    assert_eq!(rows[2][0], "一、总体情况");
    assert_eq!(rows[2][1], "一、总体情况 开头段落");
    assert_eq!(rows[3][1], "一（一）主动公开");
    assert_eq!(rows[9][0], "五、存在的主要问题及改进情况");
    assert_eq!(rows[9][1], "五（二）改进情况");
    assert_eq!(rows[10][0], "六、其他需要报告的事项");
    assert!(
        rows[11][1].starts_with("一（一）主动公开 的小标题"),
        "{:?}",
        rows[11]
    );
    let names: Vec<&String> = rows[2..].iter().map(|r| &r[1]).collect();
    assert_eq!(names.len(), sheets::text_rows().len());
    for name in names {
        assert!(
            !name.is_ascii() && !name.contains("text.") && !name.contains("headings."),
            "{name}"
        );
    }
}

/// A form written before the Chinese names (key paths in column B) reads
/// the same.
#[test]
fn the_old_key_column_still_reads() {
    let bytes = form();
    let expected = read(&bytes).expect("reads");
    let mut old = bytes.clone();
    for row in sheets::text_rows() {
        old = set_cell(
            &old,
            TEXT_SHEET,
            &format!("B{}", row.sheet_row + 1),
            NewCell::Text(&row.key),
        );
    }
    assert_eq!(read(&old).expect("old keys read"), expected);
    // Neither a name nor a key: refused at the cell, with the name wanted.
    let wrong = set_cell(&bytes, TEXT_SHEET, "B4", NewCell::Text("text.proactiv"));
    let err = read(&wrong).expect_err("refused");
    assert_eq!(err.form_cells().len(), 1, "{err}");
    let (cell, message) = err.form_cells()[0];
    assert_eq!(cell, "文字!B4");
    assert!(
        message.starts_with("应为标签「一（一）主动公开」"),
        "{message}"
    );
}

/// A form written by the previous version (no 填表说明, key column on
/// 文字, the date as text; tests/fixtures/form-before-guide.xlsx, written by
/// `nianbao form --from inputs/mouxian-ziranziyuan-2024.toml` before this
/// change) reads as the new form does.
#[test]
fn a_form_of_the_previous_version_still_reads() {
    let old = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/form-before-guide.xlsx"),
    )
    .expect("fixture");
    let names = open(&old).sheet_names();
    assert_eq!(names[0], "基本信息", "the fixture is the old layout");
    assert_eq!(
        value(&mut open(&old), TEXT_SHEET, 2, 1),
        Data::String("text.overview".into())
    );
    let back = read(&old).expect("the old form reads");
    assert_eq!(back, read(&form()).expect("the new form reads"));
    assert_eq!(back.report.issued_on, "2025-01-20".parse().ok());
    assert!(back.text.overview.is_some());
}

// ---------------------------------------------------------------------------
// 成文日期

fn date_cell() -> String {
    BasicInfo::IssuedOn.excel_ref()["基本信息!".len()..].to_string()
}

#[test]
fn the_date_cell_is_a_date_with_a_validation() {
    let bytes = form();
    // The generated cell holds an Excel date (2025-01-20 in the input).
    let row = BasicInfo::IssuedOn.sheet_row();
    match value(&mut open(&bytes), BasicInfo::SHEET, row, 1) {
        Data::DateTime(d) => assert_eq!(d.as_f64(), 45677.0),
        other => panic!("not a date: {other:?}"),
    }
    let xml = entry_text(&bytes, &sheet_part(&bytes, BasicInfo::SHEET));
    let dv = xml
        .split("<dataValidation ")
        .find(|v| v.contains(&format!("sqref=\"{}\"", date_cell())))
        .expect("a validation on the date cell");
    assert!(dv.contains("type=\"date\""), "{dv}");
    assert!(
        dv.contains("<formula1>36526</formula1>"),
        "2000-01-01: {dv}"
    );
    assert!(
        dv.contains("<formula2>73415</formula2>"),
        "2100-12-31: {dv}"
    );
    assert!(dv.contains("promptTitle=\"成文日期\""), "{dv}");
    assert!(dv.contains("2025年1月20日"), "{dv}");
    assert!(dv.contains("errorTitle=\"日期有误\""), "{dv}");
}

#[test]
fn every_way_a_clerk_types_the_date_reads_the_same() {
    let want = "2025-01-20".parse().ok();
    let cell = date_cell();
    for typed in [
        "2025年1月20日",
        "2025年01月20日",
        "2025 年 1 月 20 日",
        "２０２５年１月２０日",
        "2025-1-20",
        "2025-01-20",
        "2025/1/20",
        "2025/01/20",
        "2025.1.20",
        "  2025-01-20  ",
        " 2025年1月20日\t",
    ] {
        let bytes = set_cell(&form(), BasicInfo::SHEET, &cell, NewCell::Text(typed));
        assert_eq!(
            read(&bytes).expect(typed).report.issued_on,
            want,
            "{typed:?}"
        );
    }
    // An Excel date: the serial number, in the date-formatted cell (a
    // DateTime to calamine) or in a cell without a format (a plain number).
    let bytes = set_cell(&form(), BasicInfo::SHEET, &cell, NewCell::Number(45677.0));
    assert_eq!(read(&bytes).expect("date cell").report.issued_on, want);
    let plain = edit_entry(&bytes, &sheet_part(&bytes, BasicInfo::SHEET), |xml| {
        let at = xml.find(&format!("<c r=\"{cell}\"")).expect("cell");
        let end = at + xml[at..].find('>').expect(">");
        let tag = &xml[at..end];
        let bare = tag
            .split(' ')
            .filter(|a| !a.starts_with("s="))
            .collect::<Vec<_>>()
            .join(" ");
        format!("{}{bare}{}", &xml[..at], &xml[end..])
    });
    assert!(matches!(
        value(
            &mut open(&plain),
            BasicInfo::SHEET,
            BasicInfo::IssuedOn.sheet_row(),
            1
        ),
        Data::Float(_)
    ));
    assert_eq!(read(&plain).expect("serial").report.issued_on, want);
    // Blank is no date.
    let bytes = set_cell(&form(), BasicInfo::SHEET, &cell, NewCell::Text("  "));
    assert_eq!(read(&bytes).expect("blank").report.issued_on, None);
}

#[test]
fn a_bad_date_is_named_in_chinese_with_its_cell() {
    let cell = BasicInfo::IssuedOn.excel_ref();
    for (typed, tail) in [
        ("2025-02-30", "\"2025-02-30\"（没有这一天）"),
        ("2025年2月30日", "\"2025年2月30日\"（没有这一天）"),
        ("2025-13-01", "\"2025-13-01\"（没有这一天）"),
        ("明年一月", "\"明年一月\""),
        ("2025-1/20", "\"2025-1/20\""),
        ("20250120", "\"20250120\""),
        ("25-1-20", "\"25-1-20\""),
    ] {
        let bytes = set_cell(
            &form(),
            BasicInfo::SHEET,
            &date_cell(),
            NewCell::Text(typed),
        );
        let err = read(&bytes).expect_err(typed);
        assert_eq!(
            err.to_string(),
            format!("{FILE}: {cell}：成文日期应为日期，如 2025年1月20日，实为 {tail}"),
            "{typed}"
        );
    }
    let bytes = set_cell(
        &form(),
        BasicInfo::SHEET,
        &date_cell(),
        NewCell::Number(-3.0),
    );
    assert_eq!(
        read(&bytes).expect_err("negative").form_cells(),
        [(cell.as_str(), "成文日期应为日期，如 2025年1月20日，实为 -3")]
    );
}

// ---------------------------------------------------------------------------
// Every bad cell in one run, from the command line

#[test]
fn three_bad_cells_are_all_reported_and_nothing_is_written() {
    let mut bytes = form();
    bytes = set_cell(&bytes, "依申请公开", "E5", NewCell::Text("五件"));
    bytes = set_cell(&bytes, "主动公开", "B4", NewCell::Number(-2.0));
    bytes = set_cell(
        &bytes,
        BasicInfo::SHEET,
        &date_cell(),
        NewCell::Text("2025-02-30"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("bad-form.xlsx"), &bytes).expect("write");
    let date = BasicInfo::IssuedOn.excel_ref();
    let expected = [
        format!(
            "bad-form.xlsx: {date}：成文日期应为日期，如 2025年1月20日，实为 \"2025-02-30\"（没有这一天）"
        ),
        "bad-form.xlsx: 主动公开!B4：应为非负整数，实为 -2".to_string(),
        "bad-form.xlsx: 依申请公开!E5：应为非负整数，实为 \"五件\"".to_string(),
    ];
    for args in [
        vec!["generate", "bad-form.xlsx", "-o", "out"],
        vec!["check", "bad-form.xlsx"],
    ] {
        let (code, _, stderr) = crate::common::nianbao_in(d, &args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        for line in &expected {
            assert!(stderr.contains(line.as_str()), "{args:?}: {line}\n{stderr}");
        }
        let first = expected
            .iter()
            .map(|l| stderr.find(l.as_str()))
            .collect::<Vec<_>>();
        assert!(
            first.windows(2).all(|w| w[0] < w[1]),
            "in sheet order: {stderr}"
        );
    }
    // Nothing written, not even the output folder.
    let mut left: Vec<String> = std::fs::read_dir(d)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["bad-form.xlsx"]);
}

/// Values the cell reader takes but the report refuses (counts above the
/// cap, texts with forbidden characters) are named at their cells too, all
/// of them, not only the first.
#[test]
fn too_large_counts_and_bad_texts_are_each_named_at_their_cell() {
    let mut bytes = form();
    bytes = set_cell(&bytes, "依申请公开", "D5", NewCell::Number(2e9));
    bytes = set_cell(&bytes, "主动公开", "B4", NewCell::Number(3e9));
    bytes = set_cell(&bytes, TEXT_SHEET, "C3", NewCell::Text("甲_x000B_乙"));
    bytes = set_cell(&bytes, TEXT_SHEET, "C5", NewCell::Text("丙_x0001_丁"));
    let err = read(&bytes).expect_err("refused");
    let mut cells: Vec<(&str, &str)> = err.form_cells();
    cells.sort();
    assert_eq!(
        cells,
        [
            (
                "主动公开!B4",
                "数量过大：3000000000，上限 1000000000；请检查是否多输入了数字"
            ),
            (
                "依申请公开!D5",
                "数量过大：2000000000，上限 1000000000；请检查是否多输入了数字"
            ),
            (
                "文字!C3",
                "含有 XML 不允许的字符 U+000B（常见于从 Excel 复制的文字），请删除"
            ),
            (
                "文字!C5",
                "含有 XML 不允许的字符 U+0001（常见于从 Excel 复制的文字），请删除"
            ),
        ]
    );
}
