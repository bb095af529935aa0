//! Money: `active.fees` is a decimal in 万元 with up to 6 places (to the 分),
//! kept exactly; 7 places or a negative amount is refused with the key path.
//! The 信息处理费 amounts are in 元, up to 2 places.

use nianbao::model::{Report, WanYuan};
use nianbao::spec::tables::{self, Value};

const HEAD: &str = "[report]\nagency = \"某县测试局\"\nyear = 2024\n";

fn toml_fees(fees: &str) -> Result<Report, nianbao::LoadError> {
    Report::from_toml_str(&format!("{HEAD}[active]\nfees = {fees}\n"), "fees.toml")
}

fn json_fees(fees: &str) -> Result<Report, nianbao::LoadError> {
    Report::from_json_str(
        &format!(
            "{{\"report\": {{\"agency\": \"某县测试局\", \"year\": 2024}}, \"active\": {{\"fees\": {fees}}}}}"
        ),
        "fees.json",
    )
}

/// The value of 行政事业性收费 as table 二 shows it.
fn table_value(report: &Report) -> String {
    let t2 = tables::active();
    let (cell, _) = t2
        .inputs()
        .find(|(_, i)| i.key == "active.fees")
        .expect("table 二 has the fees cell");
    match t2.value(report, cell.row, cell.col) {
        Some(v @ Value::Amount(_)) => v.to_string(),
        other => panic!("fees cell holds {other:?}"),
    }
}

#[test]
fn six_places_are_kept_exactly() {
    let expected: WanYuan = "24252.311082".parse().expect("parses");
    for report in [
        toml_fees("24252.311082").expect("TOML number"),
        toml_fees("\"24252.311082\"").expect("TOML string"),
        json_fees("24252.311082").expect("JSON number"),
        json_fees("\"24252.311082\"").expect("JSON string"),
    ] {
        assert_eq!(report.active.fees, expected);
        assert_eq!(report.active.fees.to_string(), "24252.311082");
        assert_eq!(
            report.active.fees.value(),
            rust_decimal::Decimal::new(24252311082, 6)
        );
        assert_eq!(table_value(&report), "24252.311082");
        assert_eq!(report.active.fees.to_f64(), 24252.311082);
    }
}

/// Written back to JSON and read again, the amount is unchanged.
#[test]
fn fees_survive_a_json_round_trip() {
    let report = toml_fees("24252.311082").expect("loads");
    let json = serde_json::to_string(&report).expect("serializes");
    assert!(json.contains("\"fees\":24252.311082"), "{json}");
    let again = Report::from_json_str(&json, "again.json").expect("reads back");
    assert_eq!(again.active.fees.to_string(), "24252.311082");
    assert_eq!(again, report);
}

#[test]
fn trailing_zeros_and_whole_amounts() {
    assert_eq!(
        toml_fees("\"24252.3110820\"")
            .expect("7 digits, the last a zero")
            .active
            .fees
            .to_string(),
        "24252.311082"
    );
    assert_eq!(
        toml_fees("12").expect("whole").active.fees.to_string(),
        "12"
    );
    assert_eq!(toml_fees("0").expect("zero").active.fees.to_string(), "0");
    assert_eq!(
        toml_fees("0.5").expect("half").active.fees.to_string(),
        "0.5"
    );
}

/// Past Decimal's 28 places a tiny amount would round to 0 and pass: found
/// by schemathesis (`collected = 2.5890419884777833e-42` was read as 0).
#[test]
fn a_tiny_amount_is_refused_not_rounded_to_zero() {
    for result in [
        json_fees("2.5890419884777833e-42"),
        toml_fees("1e-40"),
        toml_fees("\"0.00000000000000000000000000000001\""),
    ] {
        let err = result.expect_err("tiny");
        assert_eq!(err.key_path(), Some("active.fees"), "{err}");
        assert!(err.to_string().contains("金额最多 6 位小数"), "{err}");
    }
    // Trailing zeros are not places.
    assert!(json_fees("\"1.50000000000000000000000000000000000\"").is_ok());
}

#[test]
fn seven_places_are_refused_with_the_key_path() {
    for result in [
        toml_fees("24252.3110821"),
        toml_fees("\"24252.3110821\""),
        json_fees("24252.3110821"),
        json_fees("0.0000001"),
    ] {
        let err = result.expect_err("7 places");
        assert_eq!(err.key_path(), Some("active.fees"), "{err}");
        let text = err.to_string();
        assert!(text.contains("金额最多 6 位小数"), "{text}");
        assert!(
            text.starts_with("fees.toml:5:8: active.fees: ") || text.starts_with("fees.json:1:"),
            "{text}"
        );
    }
}

#[test]
fn negatives_are_refused_with_the_key_path() {
    for result in [
        toml_fees("-1"),
        toml_fees("-0.5"),
        toml_fees("\"-24252.311082\""),
        json_fees("-1"),
        json_fees("-0.000001"),
    ] {
        let err = result.expect_err("negative");
        assert_eq!(err.key_path(), Some("active.fees"), "{err}");
        assert!(err.to_string().contains("金额不能为负数"), "{err}");
    }
}

#[test]
fn not_an_amount() {
    for result in [toml_fees("\"二十万\""), toml_fees("nan"), toml_fees("inf")] {
        let err = result.expect_err("not an amount");
        assert_eq!(err.key_path(), Some("active.fees"), "{err}");
    }
}

/// 信息处理费 in 元: to the 分 (2 places), not beyond, not negative.
#[test]
fn processing_fee_amounts_in_yuan() {
    let ok = Report::from_toml_str(
        &format!(
            "{HEAD}[processing_fees]\nnotices = 2\nnotices_amount = 300.5\ncollected = 100.25\n"
        ),
        "y.toml",
    )
    .expect("loads");
    assert_eq!(ok.fees().notices_amount.to_string(), "300.5");
    assert_eq!(ok.fees().collected.to_string(), "100.25");
    for (key, value) in [("collected", "1.234"), ("notices_amount", "-5")] {
        let err = Report::from_toml_str(
            &format!("{HEAD}[processing_fees]\n{key} = {value}\n"),
            "y.toml",
        )
        .expect_err(value);
        assert_eq!(
            err.key_path(),
            Some(format!("processing_fees.{key}").as_str()),
            "{err}"
        );
    }
}

/// The format code of cell `a1` of `sheet` in the workbook `bytes`: its
/// style's `numFmtId`, looked up in the custom formats of styles.xml.
fn format_code(bytes: &[u8], sheet: &str, a1: &str) -> String {
    use crate::xlsx_support::{entry_text, sheet_part};
    let xml = entry_text(bytes, &sheet_part(bytes, sheet));
    let at = xml
        .find(&format!("<c r=\"{a1}\""))
        .unwrap_or_else(|| panic!("no cell {a1}"));
    let cell = &xml[at..at + xml[at..].find('>').expect("tag end")];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!(" {name}=\"");
        let start = tag.find(&key)? + key.len();
        Some(tag[start..start + tag[start..].find('"')?].to_string())
    };
    let style: usize = attr(cell, "s").expect("a style").parse().expect("index");
    let styles = entry_text(bytes, "xl/styles.xml");
    let xfs = &styles[styles.find("<cellXfs").expect("cellXfs")..];
    let xf = xfs.split("<xf ").nth(style + 1).expect("the xf");
    let id = attr(&format!(" {xf}"), "numFmtId").expect("numFmtId");
    styles
        .split("<numFmt ")
        .skip(1)
        .find(|f| attr(&format!(" {f}"), "numFmtId").as_deref() == Some(id.as_str()))
        .and_then(|f| attr(&format!(" {f}"), "formatCode"))
        .unwrap_or_else(|| format!("built-in {id}"))
}

/// The 信息处理费 figures read the same in the Word report and the
/// workbook: two decimals (96171.60 and 0.00, not 96171.6 against 96171.60).
#[test]
fn processing_fee_figures_agree_between_docx_and_xlsx() {
    use nianbao::spec::tables::BasicInfo;
    let report = Report::from_toml_str(
        &format!(
            "{HEAD}[processing_fees]\nnotices = 2\nnotices_amount = 96171.6\ncollected = 0\n[text]\nother_matters = \"本年度办理人大代表建议2件。\"\n"
        ),
        "y.toml",
    )
    .expect("loads");
    let docx = crate::common::docx_bytes(&report);
    let xml = crate::common::unzip(&docx)
        .remove("word/document.xml")
        .expect("document");
    assert!(xml.contains("收费通知总金额96171.60元"), "{xml}");
    assert!(xml.contains("实际收取信息处理费0.00元"), "{xml}");

    let xlsx = crate::xlsx_support::workbook_bytes(&report, "y.toml").expect("workbook");
    for info in [
        BasicInfo::ProcessingFeeNoticesAmount,
        BasicInfo::ProcessingFeeCollected,
    ] {
        let cell = info.excel_ref();
        let (sheet, a1) = cell.split_once('!').expect("sheet!cell");
        assert_eq!(format_code(&xlsx, sheet, a1), "0.00", "{cell}");
    }
}

/// The text of the Word report of `report`, paragraph by paragraph.
fn docx_paragraphs(report: &Report) -> Vec<String> {
    let xml = crate::common::unzip(&crate::common::docx_bytes(report))
        .remove("word/document.xml")
        .expect("document");
    let doc = crate::common::parse("document.xml", &xml);
    crate::common::descendants(doc.root(), "p")
        .map(crate::common::text)
        .filter(|t| !t.is_empty())
        .collect()
}

/// `nianbao check` on `toml` written to a file: exit code and stdout.
fn check_cli(toml: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fees.toml");
    std::fs::write(&path, toml).expect("written");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("check")
        .arg(&path)
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("UTF-8"),
    )
}

const SIX: &str = "[text]\nother_matters = \"本年度办理人大代表建议2件。\"\n";
const NO_FEES_SENTENCE: &str = "本年度，本机关未发出信息处理费收费通知，未收取信息处理费。";

/// `[processing_fees]` left out: the report invents nothing — no fee
/// sentence in 六 (the clerk's text stands alone), the table prints its
/// mandated 0 / 0.00, and `nianbao check` warns R10 (a warning: exit 0)
/// naming 六 and the missing table.
#[test]
fn absent_fees_write_no_sentence_and_check_warns() {
    let toml = format!("{HEAD}{SIX}");
    let report = Report::from_toml_str(&toml, "y.toml").expect("loads");
    assert_eq!(report.processing_fees, None);
    // Written back, the table stays absent.
    let json = serde_json::to_value(&report).expect("serialises");
    assert!(json.get("processing_fees").is_none(), "{json}");

    let text = docx_paragraphs(&report);
    assert!(
        !text.iter().any(|p| p.contains("信息处理费")),
        "no fee sentence from invented zeros: {text:?}"
    );
    assert!(
        text.iter().any(|p| p == "本年度办理人大代表建议2件。"),
        "{text:?}"
    );

    let xlsx = crate::xlsx_support::workbook_bytes(&report, "y.toml").expect("workbook");
    let mut wb = crate::xlsx_support::open(&xlsx);
    use nianbao::spec::tables::BasicInfo;
    for info in [
        BasicInfo::ProcessingFeeNotices,
        BasicInfo::ProcessingFeeNoticesAmount,
        BasicInfo::ProcessingFeeCollected,
    ] {
        assert_eq!(
            crate::xlsx_support::value(&mut wb, BasicInfo::SHEET, info.sheet_row(), 1),
            calamine::Data::Float(0.0)
        );
    }
    let amount = BasicInfo::ProcessingFeeCollected.excel_ref();
    let (sheet, a1) = amount.split_once('!').expect("sheet!cell");
    assert_eq!(format_code(&xlsx, sheet, a1), "0.00");

    let (code, out) = check_cli(&toml);
    assert_eq!(code, Some(0), "{out}");
    let d3: Vec<&str> = out.lines().filter(|l| l.contains("警告 R10 ")).collect();
    assert_eq!(d3.len(), 1, "{out}");
    assert!(d3[0].contains("六、其他需要报告的事项"), "{out}");
    assert!(d3[0].contains("[processing_fees]"), "{out}");
    assert!(
        out.lines().last().is_some_and(|l| l.contains("个警告")),
        "{out}"
    );
    let findings = nianbao::check_with_text(&report, nianbao::TextEngine::embedded());
    assert_eq!(
        findings
            .iter()
            .filter(|f| f.rule == nianbao::FEES_NOT_REPORTED)
            .count(),
        1
    );
}

/// `[processing_fees]` given (zeros too): the sentence as before, no R10 on the fee.
#[test]
fn given_fees_write_the_sentence_and_check_is_quiet() {
    let toml = format!("{HEAD}[processing_fees]\nnotices = 0\n{SIX}");
    let report = Report::from_toml_str(&toml, "y.toml").expect("loads");
    let text = docx_paragraphs(&report);
    let at = text
        .iter()
        .position(|p| p == NO_FEES_SENTENCE)
        .unwrap_or_else(|| panic!("{text:?}"));
    assert_eq!(text[at + 1], "本年度办理人大代表建议2件。");
    let (code, out) = check_cli(&toml);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("没有 [processing_fees] 表"), "{out}");

    let toml = format!(
        "{HEAD}[processing_fees]\nnotices = 2\nnotices_amount = 300\ncollected = 200.5\n{SIX}"
    );
    let report = Report::from_toml_str(&toml, "y.toml").expect("loads");
    let text = docx_paragraphs(&report);
    assert!(
        text.contains(&"依据《政府信息公开信息处理费管理办法》，本年度本机关发出信息处理费收费通知2件，收费通知总金额300.00元，实际收取信息处理费200.50元。".to_string()),
        "{text:?}"
    );
}

/// Planted: no `[processing_fees]`, but the clerk's 六 speaks of the fee in
/// words of its own (收费, 费用, 信息处理费): no R10 on the fee, no generated sentence,
/// the clerk's words as written.
#[test]
fn absent_fees_with_a_six_that_speaks_of_them_is_not_warned() {
    for six in [
        "本年度未发生依申请公开收费情况。",
        "本年度依申请公开政府信息未收取任何费用。",
        "本年度共收取信息处理费3940元。",
    ] {
        let toml = format!("{HEAD}[text]\nother_matters = \"{six}\"\n");
        let report = Report::from_toml_str(&toml, "y.toml").expect("loads");
        let findings = nianbao::check_with_text(&report, nianbao::TextEngine::embedded());
        assert!(
            !findings
                .iter()
                .any(|f| f.rule == nianbao::FEES_NOT_REPORTED),
            "{six}: {findings:?}"
        );
        let (code, out) = check_cli(&toml);
        assert_eq!(code, Some(0), "{out}");
        assert!(!out.contains("没有 [processing_fees] 表"), "{six}: {out}");
        let text = docx_paragraphs(&report);
        assert!(text.iter().any(|p| p == six), "{text:?}");
        assert!(!text.iter().any(|p| p == NO_FEES_SENTENCE), "{text:?}");
    }
}

/// The fill-in form of a report without `[processing_fees]` leaves the three
/// rows blank and reads back without the table; a figure typed into one of
/// them gives the table (the blanks beside it 0).
#[test]
fn the_form_keeps_fees_absent_until_the_clerk_fills_them() {
    use crate::xlsx_support::{NewCell, set_cell};
    use nianbao::spec::tables::BasicInfo;
    let report = Report::from_toml_str(&format!("{HEAD}{SIX}"), "y.toml").expect("loads");
    let form = nianbao::form_bytes(&report, None).expect("form");
    let mut wb = crate::xlsx_support::open(&form);
    let row = BasicInfo::ProcessingFeeCollected.sheet_row();
    assert_eq!(
        crate::xlsx_support::value(&mut wb, BasicInfo::SHEET, row, 1),
        calamine::Data::Empty
    );
    let back = nianbao::read_form_bytes(&form, "y.xlsx").expect("reads");
    assert_eq!(back.processing_fees, None);
    assert_eq!(back, report);

    let cell = BasicInfo::ProcessingFeeCollected.excel_ref();
    let (_, a1) = cell.split_once('!').expect("sheet!cell");
    let filled = set_cell(&form, BasicInfo::SHEET, a1, NewCell::Number(3940.0));
    let back = nianbao::read_form_bytes(&filled, "y.xlsx").expect("reads");
    let fees = back.processing_fees.expect("a figure gives the table");
    assert_eq!(
        (fees.notices, fees.collected.to_string().as_str()),
        (0, "3940")
    );

    // A report with the table: its figures, 0 included, as before.
    let given = Report::from_toml_str(
        &format!("{HEAD}[processing_fees]\nnotices = 0\n{SIX}"),
        "y.toml",
    )
    .expect("loads");
    let back =
        nianbao::read_form_bytes(&nianbao::form_bytes(&given, None).expect("form"), "y.xlsx")
            .expect("reads");
    assert_eq!(back.processing_fees, given.processing_fees);
}
