//! The fill-in form: its protection and validation, the round trip, forms
//! filled by other programs, and every bad-cell error with its sheet!cell.

use crate::xlsx_support::*;
use calamine::{Data, Reader};
use nianbao::LoadError;
use nianbao::model::{Amount, Date, Report, Year};
use nianbao::spec::sheets::{self, TEXT_SHEET};
use nianbao::spec::tables::{self, BasicInfo, Content, Field, TITLE_ROWS};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// The form for the sample (as `nianbao form --from sample.toml` writes it).
fn sample_form() -> Vec<u8> {
    let report = nianbao::new_report("某县自然资源局", 2024, Some(sample()));
    nianbao::form_bytes(&report, Some("sample.toml")).expect("form")
}

/// The sample without given totals: what a form of it reads back as.
fn expected_sample() -> Report {
    let mut r = sample();
    nianbao::clear_given_totals(&mut r);
    r
}

fn read(bytes: &[u8]) -> Result<Report, LoadError> {
    nianbao::read_form_bytes(bytes, "填报表.xlsx")
}

/// The `sheet!A1：message` part of a form error.
fn cell_error(bytes: &[u8]) -> String {
    match read(bytes) {
        Err(LoadError::Form { cell, message, .. }) => format!("{cell}：{message}"),
        other => panic!("expected a form error, got {other:?}"),
    }
}

#[test]
fn sheets_protection_and_validation() {
    let bytes = sample_form();
    let wb = open(&bytes);
    assert_eq!(wb.sheet_names(), crate::xlsx_support::FORM_SHEETS);
    let styles = entry_text(&bytes, "xl/styles.xml");
    let xfs: Vec<&str> = styles
        .split("<cellXfs")
        .nth(1)
        .expect("cellXfs")
        .split("</cellXfs>")
        .next()
        .expect("end")
        .split("<xf ")
        .skip(1)
        .collect();
    let unlocked = |sheet_xml: &str, a1: &str| -> bool {
        let start = sheet_xml
            .find(&format!("<c r=\"{a1}\""))
            .unwrap_or_else(|| panic!("no {a1}"));
        let tag = &sheet_xml[start..start + sheet_xml[start..].find('>').expect(">")];
        let s: usize = tag
            .split("s=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        xfs[s].contains("locked=\"0\"")
    };
    for name in wb.sheet_names() {
        let xml = entry_text(&bytes, &sheet_part(&bytes, &name));
        assert!(xml.contains("<sheetProtection"), "{name} protected");
        assert!(!xml.contains("password="), "{name}: no password");
    }
    for table in tables::all() {
        let xml = entry_text(&bytes, &sheet_part(&bytes, table.sheet));
        let inputs = table.inputs().count();
        assert_eq!(
            xml.matches("<dataValidation ").count(),
            inputs,
            "{}: one validation per input cell",
            table.sheet
        );
        assert!(xml.contains("type=\"whole\" operator=\"greaterThanOrEqual\""));
        assert!(xml.contains("promptTitle=\"请填写件数\""));
        for cell in &table.cells {
            let a1 = table.a1(cell.row, cell.col);
            let open = matches!(cell.content, Content::Input(_));
            assert_eq!(unlocked(&xml, &a1), open, "{}!{a1}", table.sheet);
        }
    }
    let t2 = entry_text(&bytes, &sheet_part(&bytes, "主动公开"));
    assert!(
        t2.contains("type=\"decimal\" operator=\"greaterThanOrEqual\""),
        "fees"
    );
    let text = entry_text(&bytes, &sheet_part(&bytes, TEXT_SHEET));
    for row in sheets::text_rows() {
        assert!(
            unlocked(&text, &format!("C{}", row.sheet_row + 1)),
            "{}",
            row.key
        );
        assert!(
            !unlocked(&text, &format!("B{}", row.sheet_row + 1)),
            "{}",
            row.key
        );
    }
    let info = entry_text(&bytes, &sheet_part(&bytes, BasicInfo::SHEET));
    assert!(unlocked(&info, "B2"));
    assert!(!unlocked(&info, "A2"));
    assert!(!unlocked(
        &info,
        &BasicInfo::SourceFile.excel_ref()["基本信息!".len()..]
    ));
}

#[test]
fn sample_round_trip_and_live_totals() {
    let bytes = sample_form();
    assert_eq!(read(&bytes).expect("reads"), expected_sample());
    let mut wb = open(&bytes);
    // Totals are formulas with cached values; the 文字 sheet holds the text.
    assert_eq!(value(&mut wb, "依申请公开", 27, 9), Data::Float(12.0));
    let f = wb.worksheet_formula("依申请公开").expect("formulas");
    assert_eq!(
        f.get_value((27, 9)).map(String::as_str),
        Some("SUM(D28:I28)")
    );
    assert_eq!(
        value(&mut wb, TEXT_SHEET, sheets::text_rows()[0].sheet_row, 2),
        Data::String("2024年，本局认真贯彻《条例》。\n\n第二段。".into())
    );
    assert_eq!(sample_form(), bytes, "same input, same bytes");
}

/// `generate` accepts a filled form wherever it accepts TOML: the workbook it
/// renders from the form equals the one rendered from the TOML.
#[test]
fn generate_from_a_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("填报表.xlsx");
    std::fs::write(&path, sample_form()).expect("write");
    let from_form = nianbao::read_path(&path).expect("loads through load()");
    let outputs = nianbao::Outputs {
        docx: false,
        xlsx: true,
        html: None,
    };
    let (a, _) = nianbao::render(&from_form, "sample.toml", outputs).expect("renders");
    let (b, _) = nianbao::render(&expected_sample(), "sample.toml", outputs).expect("renders");
    assert_eq!(a[0].name, b[0].name);
    assert_eq!(a[0].bytes, b[0].bytes);
}

#[test]
fn a_new_year_carries_over() {
    let next = nianbao::new_report("某县自然资源局", 2025, Some(sample()));
    assert_eq!(next.report.year, Year(2025));
    assert_eq!(next.applications.carried_over.values, [1, 0, 0, 0, 0, 0]);
    assert_eq!(next.active.normative_documents.in_force, 12);
    assert_eq!(next.active.licensing, 0);
    assert_eq!(next.report.issued_on, None);
    assert_eq!(next.text, sample().text);
    let back =
        read(&nianbao::form_bytes(&next, Some("sample.toml")).expect("form")).expect("reads");
    assert_eq!(back, next);
}

// ---------------------------------------------------------------------------
// Bad cells

#[test]
fn text_in_a_count_cell() {
    let bytes = set_cell(&sample_form(), "依申请公开", "D7", NewCell::Text("三"));
    assert_eq!(
        cell_error(&bytes),
        "依申请公开!D7：应为非负整数，实为 \"三\""
    );
    let shown = read(&bytes).expect_err("refused").to_string();
    assert_eq!(
        shown,
        "填报表.xlsx: 依申请公开!D7：应为非负整数，实为 \"三\""
    );
}

#[test]
fn negative_count() {
    let bytes = set_cell(&sample_form(), "主动公开", "B4", NewCell::Number(-3.0));
    assert_eq!(cell_error(&bytes), "主动公开!B4：应为非负整数，实为 -3");
}

#[test]
fn decimal_count() {
    let bytes = set_cell(&sample_form(), "复议诉讼", "A5", NewCell::Number(2.5));
    assert_eq!(cell_error(&bytes), "复议诉讼!A5：应为非负整数，实为 2.5");
}

#[test]
fn total_formula_deleted() {
    let bytes = set_cell(&sample_form(), "依申请公开", "J7", NewCell::Number(5.0));
    assert_eq!(
        cell_error(&bytes),
        "依申请公开!J7：（一）予以公开 × 总计是自动合计，公式被删除（现为 5）；应为 =SUM(D7:I7)，请恢复公式"
    );
    let bytes = set_cell(&sample_form(), "复议诉讼", "E5", NewCell::Empty);
    assert!(
        cell_error(&bytes).starts_with("复议诉讼!E5："),
        "{}",
        cell_error(&bytes)
    );
}

#[test]
fn fees_with_too_many_places() {
    let bytes = set_cell(
        &sample_form(),
        "主动公开",
        "B15",
        NewCell::Number(1.0000001),
    );
    assert_eq!(
        cell_error(&bytes),
        "主动公开!B15：金额最多 6 位小数，实为 1.0000001（单元格中为 1.0000001）"
    );
    let bytes = set_cell(&sample_form(), "主动公开", "B15", NewCell::Number(-1.0));
    assert!(cell_error(&bytes).starts_with("主动公开!B15：金额不能为负数"));
}

#[test]
fn bad_basic_info() {
    let agency = BasicInfo::Agency.excel_ref();
    let bytes = set_cell(&sample_form(), BasicInfo::SHEET, "B2", NewCell::Empty);
    assert_eq!(cell_error(&bytes), format!("{agency}：机关全称不能为空"));
    let bytes = set_cell(
        &sample_form(),
        BasicInfo::SHEET,
        "B4",
        NewCell::Number(1999.0),
    );
    assert_eq!(
        cell_error(&bytes),
        "基本信息!B4：报告年度应为 2008–2100 之间的整数，实为 1999"
    );
    let bytes = set_cell(
        &sample_form(),
        BasicInfo::SHEET,
        "B6",
        NewCell::Text("2025-02-30"),
    );
    assert_eq!(
        cell_error(&bytes),
        "基本信息!B6：成文日期应为日期，如 2025年1月20日，实为 \"2025-02-30\"（没有这一天）"
    );
    // A date typed into Excel becomes a serial number: accepted.
    let bytes = set_cell(
        &sample_form(),
        BasicInfo::SHEET,
        "B6",
        NewCell::Number(45677.0),
    );
    assert_eq!(
        read(&bytes).expect("reads").report.issued_on,
        "2025-01-20".parse().ok()
    );
}

/// A control character pasted from Excel (stored as `_x000B_`) is refused at its cell.
#[test]
fn control_character_in_text() {
    let bytes = set_cell(
        &sample_form(),
        TEXT_SHEET,
        "C3",
        NewCell::Text("第一段_x000B_第二段"),
    );
    assert_eq!(
        cell_error(&bytes),
        "文字!C3：含有 XML 不允许的字符 U+000B（常见于从 Excel 复制的文字），请删除"
    );
}

#[test]
fn empty_inputs_count_as_zero() {
    let mut bytes = sample_form();
    for a1 in ["D5", "E5", "F5", "H5", "I5"] {
        bytes = set_cell(&bytes, "依申请公开", a1, NewCell::Empty);
    }
    let back = read(&bytes).expect("reads");
    assert_eq!(back.applications.new.values, [0; 6]);
    let bytes = set_cell(&sample_form(), "主动公开", "B15", NewCell::Empty);
    assert!(read(&bytes).expect("reads").active.fees.is_zero());
}

#[test]
fn not_our_form() {
    let bytes = rename_sheet(&sample_form(), TEXT_SHEET, "Sheet5");
    let message = cell_error(&bytes);
    assert!(message.starts_with("文字：缺少工作表「文字」"), "{message}");
    let bytes = set_cell(
        &sample_form(),
        "依申请公开",
        "C9",
        NewCell::Text("1.属于国家机密"),
    );
    assert_eq!(
        cell_error(&bytes),
        "依申请公开!C9：应为标签「1.属于国家秘密」，实为 \"1.属于国家机密\"；这不是 nianbao 填报表，或表格的行列被移动、标签被改动"
    );
    let message = cell_error(b"not a zip at all");
    assert!(
        message.starts_with("工作簿：不是可读的 Excel 工作簿"),
        "{message}"
    );
    // The statistical workbook is not a form: it has no 文字 sheet.
    let stat = crate::xlsx_support::workbook_bytes(&sample(), "sample.toml").expect("workbook");
    assert!(cell_error(&stat).starts_with("文字：缺少工作表"));
}

// ---------------------------------------------------------------------------
// Filled by other programs

/// Values typed into the input cells by another program (the cached totals
/// are now stale) read back as typed.
#[test]
fn values_written_into_the_xml() {
    let mut bytes = sample_form();
    bytes = set_cell(&bytes, "依申请公开", "D5", NewCell::Number(9.0));
    bytes = set_cell(&bytes, "依申请公开", "E5", NewCell::Text(" 4 "));
    bytes = set_cell(&bytes, "主动公开", "B8", NewCell::Number(40.0));
    bytes = set_cell(&bytes, TEXT_SHEET, "C11", NewCell::Text("无其他事项。"));
    let back = read(&bytes).expect("reads");
    assert_eq!(back.applications.new.values, [9, 4, 1, 0, 1, 3]);
    assert_eq!(back.active.licensing, 40);
    assert_eq!(back.text.other_matters.as_deref(), Some("无其他事项。"));
}

/// A form written from scratch by a plain xlsx writer (no styles, no
/// protection, totals without cached values) reads back.
#[test]
fn written_by_a_plain_writer() {
    let report = expected_sample();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name(BasicInfo::SHEET).expect("name");
    for item in BasicInfo::ALL {
        let r = item.sheet_row() as u32;
        ws.write(r, 0, item.label()).expect("label");
        match item {
            BasicInfo::Agency => ws.write(r, 1, report.report.agency.as_str()),
            BasicInfo::Year => ws.write(r, 1, 2024),
            BasicInfo::ShortName => ws.write(r, 1, "县自然资源局"),
            BasicInfo::Region => ws.write(r, 1, "某县"),
            BasicInfo::IssuedOn => ws.write(r, 1, "2025-01-20"),
            BasicInfo::ProcessingFeeNotices => ws.write(r, 1, 1),
            BasicInfo::ProcessingFeeNoticesAmount => ws.write(r, 1, "200"),
            _ => Ok(&mut *ws),
        }
        .expect("value");
    }
    for table in tables::all() {
        let ws = wb.add_worksheet().set_name(table.sheet).expect("name");
        for cell in &table.cells {
            let (r, c) = ((cell.row + TITLE_ROWS) as u32, cell.col as u16);
            match &cell.content {
                Content::Label(l) => ws.write(r, c, *l),
                Content::Input(i) => match i.field.get(&report) {
                    tables::Value::Count(0) => Ok(&mut *ws), // left empty
                    tables::Value::Count(n) => ws.write(r, c, n as f64),
                    tables::Value::Amount(a) => ws.write(r, c, a.to_f64()),
                },
                Content::Total(t) => ws.write_formula(
                    r,
                    c,
                    format!(
                        "={}",
                        nianbao::spec::sheets::sum_formula(table, &t.terms, "")
                    )
                    .as_str(),
                ),
            }
            .expect("cell");
        }
    }
    let ws = wb.add_worksheet().set_name(TEXT_SHEET).expect("name");
    for row in sheets::text_rows() {
        let r = row.sheet_row as u32;
        ws.write(r, 1, row.key.as_str()).expect("key");
        let text = match row.kind {
            sheets::TextKind::Block => report.text.get(row.name).map(str::to_string),
            sheets::TextKind::Heading if row.name == "improvements" => {
                report.headings.improvements.clone()
            }
            sheets::TextKind::Heading => None,
        };
        if let Some(t) = text {
            ws.write(r, 2, t.as_str()).expect("text");
        }
    }
    let bytes = wb.save_to_buffer().expect("buffer");
    assert_eq!(read(&bytes).expect("reads"), report);
}

/// LibreOffice edits and saves the form (recalculating): it reads back, and
/// its recalculated totals and 校验 follow the new numbers.
#[test]
fn filled_and_saved_by_libreoffice() {
    let Some(soffice) = crate::common::tool("soffice") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // Another program typed 7 into 一 × 自然人 (D5): R1 now fails for 自然人 and 总计.
    let bytes = set_cell(&sample_form(), "依申请公开", "D5", NewCell::Number(7.0));
    let file = dir.path().join("filled.xlsx");
    std::fs::write(&file, &bytes).expect("write");
    let profile = recalculating_profile(dir.path());
    let out = dir.path().join("saved");
    lo_convert(
        &soffice,
        &profile,
        &file,
        "xlsx:Calc MS Excel 2007 XML",
        &out,
    );
    let saved = std::fs::read(out.join("filled.xlsx")).expect("LibreOffice wrote it");
    let mut expected = expected_sample();
    expected.applications.new.values[0] = 7;
    assert_eq!(
        read(&saved).expect("LibreOffice's file reads back"),
        expected
    );
    let mut wb = open(&saved);
    assert_eq!(value(&mut wb, "依申请公开", 4, 9), Data::Float(14.0)); // J5 recalculated
    assert_eq!(
        value(&mut wb, nianbao::spec::sheets::CHECK_SHEET, 1, 5),
        Data::String("2项不通过".into())
    );
    // The CSV export sees the same.
    let sheets = lo_csv(&soffice, dir.path(), &file);
    let check = &sheets
        .iter()
        .find(|(s, _)| s == nianbao::spec::sheets::CHECK_SHEET)
        .expect("校验 CSV")
        .1;
    assert_eq!(check[1][5], "2项不通过");
    assert_eq!(check[nianbao::spec::sheets::CHECK_FIRST_ROW][5], "不通过");
}

// ---------------------------------------------------------------------------
// Round trip

fn text() -> impl Strategy<Value = String> {
    "[一-龥a-zA-Z0-9 ，。、“”（）&<>\"'\n]{1,60}".prop_filter("not blank", |s| !s.trim().is_empty())
}

fn line() -> impl Strategy<Value = String> {
    "[一-龥a-zA-Z0-9（）&]{1,20}"
}

fn amount<const P: u32>(d: Decimal) -> Amount<P> {
    d.to_string().parse().expect("amount")
}

fn report_strategy() -> impl Strategy<Value = Report> {
    let counts = tables::all()
        .iter()
        .map(|t| t.inputs().count())
        .sum::<usize>();
    (
        (
            line(),
            proptest::option::of(line()),
            2008u16..=2100,
            proptest::option::of(line()),
        ),
        proptest::option::of((1990u16..2150, 1u8..=12, 1u8..=28)),
        proptest::collection::vec(
            prop_oneof![Just(0u32), 0u32..50, 0u32..=nianbao::model::MAX_COUNT],
            counts,
        ),
        0u64..=100_000_000_000_000, // up to model::MAX_WAN_YUAN (in millionths)
        (0u32..1000, 0u64..10_000_000, 0u64..10_000_000),
        proptest::collection::vec(proptest::option::of(text()), 9),
        proptest::collection::vec(proptest::option::of(line()), 7),
    )
        .prop_map(|(who, date, numbers, fees, processing, texts, headings)| {
            let mut r = Report::default();
            r.report.agency = who.0;
            r.report.short_name = who.1;
            r.report.year = Year(who.2);
            r.report.region = who.3;
            r.report.issued_on =
                date.and_then(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}").parse::<Date>().ok());
            let mut n = numbers.into_iter();
            for t in tables::all() {
                for (_, input) in t.inputs() {
                    let v = n.next().unwrap_or(0);
                    if let Some(slot) = input.field.count_mut(&mut r) {
                        *slot = v;
                    } else if matches!(input.field, Field::Fees) {
                        r.active.fees = amount::<6>(Decimal::new(fees as i64, 6));
                    }
                }
            }
            // The form always carries the fee rows: a read form gives the table.
            let f = r.processing_fees.get_or_insert_default();
            f.notices = processing.0;
            f.notices_amount = amount::<2>(Decimal::new(processing.1 as i64, 2));
            f.collected = amount::<2>(Decimal::new(processing.2 as i64, 2));
            for (block, t) in nianbao::spec::outline::BLOCKS.iter().zip(texts) {
                let name = block.name;
                r.text.set(name, t);
            }
            let h = &mut r.headings;
            let mut hs = headings.into_iter();
            for slot in [
                &mut h.proactive,
                &mut h.on_request,
                &mut h.management,
                &mut h.platforms,
                &mut h.oversight,
                &mut h.problems,
                &mut h.improvements,
            ] {
                *slot = hs.next().flatten();
            }
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// random report → form --from → read back = the same report.
    #[test]
    fn round_trip(report in report_strategy()) {
        // As `nianbao form --from x.toml`: through the TOML file first.
        let toml = toml::to_string(&report).expect("serializes");
        let from = Report::from_toml_str(&toml, "x.toml").expect("the TOML loads");
        prop_assert_eq!(&from, &report);
        let start = nianbao::new_report(&report.report.agency, report.report.year.0, Some(from));
        prop_assert_eq!(&start, &report);
        let bytes = nianbao::form_bytes(&start, Some("random.toml")).expect("form");
        let back = read(&bytes).expect("reads back");
        prop_assert_eq!(back, report);
    }
}
