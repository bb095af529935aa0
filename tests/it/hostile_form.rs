//! Hostile filled forms (issue 8, family 3): forged cell addresses and
//! dimensions, zip bombs and lying zip headers, styles and shared strings that
//! make calamine allocate without bound, and files that make a reader panic.
//! Each ends quickly in a Chinese error that names the file (or reads as the
//! form it is), never in a panic. Also: every bad cell is reported in one run,
//! and a fee cell holding binary-float noise reads as the number it shows.

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use nianbao::LoadError;

use crate::xlsx_support::*;
use nianbao::model::Report;
use rust_decimal::Decimal;

const FILE: &str = "来历不明.xlsx";

/// The form of the sample, as `nianbao form --from sample.toml` writes it.
fn genuine() -> Vec<u8> {
    let report = nianbao::new_report("某县自然资源局", 2024, Some(sample()));
    nianbao::form_bytes(&report, Some("sample.toml")).expect("form")
}

/// What the genuine form reads back as.
fn expected() -> Report {
    let mut r = sample();
    nianbao::clear_given_totals(&mut r);
    r
}

/// Reads `bytes` as the form `FILE`, and fails the test if that took long.
fn read(bytes: &[u8]) -> Result<Report, LoadError> {
    let start = Instant::now();
    let result = nianbao::read_form_bytes(bytes, FILE);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(10), "reading took {took:?}");
    result
}

/// The error of a refused form, checked to name the file on every line and to
/// be in Chinese.
fn refused(bytes: &[u8]) -> String {
    let err = read(bytes).expect_err("refused");
    let shown = err.to_string();
    for line in shown.lines() {
        assert!(line.starts_with(&format!("{FILE}: ")), "{shown}");
        assert!(
            line.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "Chinese: {shown}"
        );
    }
    assert!(!err.form_cells().is_empty(), "{err:?}");
    shown
}

/// `bytes` with entry `name` replaced by (or added as) deflated data that
/// `fill` writes: a zip bomb when `fill` writes much.
fn with_deflated(bytes: &[u8], name: &str, fill: impl Fn(&mut dyn Write)) -> Vec<u8> {
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut replaced = false;
    for (n, data) in entries(bytes) {
        out.start_file(n.as_str(), deflated).expect("start");
        if n == name {
            fill(&mut out);
            replaced = true;
        } else {
            out.write_all(&data).expect("write");
        }
    }
    if !replaced {
        out.start_file(name, deflated).expect("start");
        fill(&mut out);
    }
    out.finish().expect("finish").into_inner()
}

/// Writes `total` bytes of `<!-- -->`-wrapped spaces (valid XML filler).
fn spaces(total: usize) -> impl Fn(&mut dyn Write) {
    move |w: &mut dyn Write| {
        let chunk = vec![b' '; 1 << 20];
        w.write_all(b"<worksheet><!--").expect("write");
        let mut left = total;
        while left > 0 {
            let n = left.min(chunk.len());
            w.write_all(&chunk[..n]).expect("write");
            left -= n;
        }
        w.write_all(b"--></worksheet>").expect("write");
    }
}

/// Sets the uncompressed size of entry `name` to `size` in its local header
/// and in the central directory: a header that lies.
fn lie_about_size(bytes: &mut [u8], name: &str, size: u32) {
    let name = name.as_bytes();
    let u16_at = |b: &[u8], i: usize| usize::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(46) {
        if bytes[i..].starts_with(b"PK\x03\x04") {
            let len = u16_at(bytes, i + 26);
            if bytes.get(i + 30..i + 30 + len) == Some(name) {
                bytes[i + 22..i + 26].copy_from_slice(&size.to_le_bytes());
                patched += 1;
            }
        } else if bytes[i..].starts_with(b"PK\x01\x02") {
            let len = u16_at(bytes, i + 28);
            if bytes.get(i + 46..i + 46 + len) == Some(name) {
                bytes[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
                patched += 1;
            }
        }
    }
    assert_eq!(patched, 2, "local and central header patched");
}

// ---------------------------------------------------------------------------
// Forged cell addresses and dimensions

/// One real cell at the last row and column of every sheet, and dimensions
/// that claim the whole grid: calamine's `worksheet_range` would allocate
/// 17 billion cells; the stream keeps only the form's cells, and the form reads.
#[test]
fn far_cells_and_forged_dimensions_are_ignored() {
    let mut bytes = genuine();
    for sheet in nianbao::spec::sheets::required_sheets() {
        bytes = edit_sheet(&bytes, sheet, |xml| {
            forged_dimension(&far_cell(xml, "XFD1048576", 1_048_576), "A1:XFD1048576")
        });
    }
    assert_eq!(read(&bytes).expect("reads"), expected());
    // A cell beyond Excel's grid (row 99,999,999) is no different.
    let bytes = edit_sheet(&genuine(), "依申请公开", |xml| {
        far_cell(xml, "A99999999", 99_999_999)
    });
    assert_eq!(read(&bytes).expect("reads"), expected());
}

/// An address that is not an address is the sheet's error.
#[test]
fn malformed_address() {
    let bytes = edit_sheet(&genuine(), "依申请公开", |xml| far_cell(xml, "1A", 99));
    let shown = refused(&bytes);
    assert_eq!(
        shown,
        format!("{FILE}: 依申请公开：无法读取工作表：工作簿的结构已损坏")
    );
}

/// An address or a dimension whose numbers overflow: calamine's arithmetic
/// panics in a debug build (and wraps in a release build); the panic is caught
/// and becomes the error of this one file.
#[test]
fn overflowing_address_or_dimension_does_not_panic() {
    let cases = [
        edit_sheet(&genuine(), "复议诉讼", |xml| {
            far_cell(xml, "A99999999999", 99)
        }),
        edit_sheet(&genuine(), "复议诉讼", |xml| {
            forged_dimension(xml, "B5:A1")
        }),
        edit_sheet(&genuine(), "复议诉讼", |xml| {
            far_cell(xml, "ZZZZZZZZZZZZZZ1", 99)
        }),
    ];
    for bytes in cases {
        match nianbao::read_form_bytes(&bytes, FILE) {
            // Without overflow checks calamine wraps and the form reads.
            Ok(report) if !cfg!(debug_assertions) => assert_eq!(report, expected()),
            _ => {
                let shown = refused(&bytes);
                if cfg!(debug_assertions) {
                    assert_eq!(
                        shown,
                        format!(
                            "{FILE}: 复议诉讼：无法读取表单：文件已损坏或不是本工具生成的填报表"
                        )
                    );
                }
            }
        }
    }
}

/// A shared formula whose index is four billion (calamine's
/// `worksheet_formula` resizes a table to it) reads as no formula at all.
#[test]
fn forged_shared_formula_index() {
    let bytes = edit_sheet(&genuine(), "依申请公开", |xml| {
        assert!(xml.contains("<f>SUM(D7:I7)</f>"), "J7 holds its SUM");
        xml.replace("<f>SUM(D7:I7)</f>", "<f t=\"shared\" si=\"4000000000\"/>")
    });
    let shown = refused(&bytes);
    assert!(
        shown.starts_with(&format!("{FILE}: 依申请公开!J7：")) && shown.contains("公式被删除"),
        "{shown}"
    );
}

/// Shared formulas as Excel writes them (an anchor and cells derived from it)
/// read as the formulas they stand for.
#[test]
fn shared_formulas_read_as_their_cells() {
    let bytes = edit_sheet(&genuine(), "依申请公开", |xml| {
        xml.replace(
            "<f>SUM(D7:I7)</f>",
            "<f t=\"shared\" ref=\"J7:J8\" si=\"0\">SUM(D7:I7)</f>",
        )
        .replace("<f>SUM(D8:I8)</f>", "<f t=\"shared\" si=\"0\"/>")
    });
    assert_eq!(read(&bytes).expect("reads"), expected());
    // Derived from the wrong anchor: J8 would be SUM(D9:I9).
    let bytes = edit_sheet(&genuine(), "依申请公开", |xml| {
        xml.replace(
            "<f>SUM(D7:I7)</f>",
            "<f t=\"shared\" ref=\"J7:J8\" si=\"0\">SUM(D8:I8)</f>",
        )
        .replace("<f>SUM(D8:I8)</f>", "<f t=\"shared\" si=\"0\"/>")
    });
    let cells: Vec<String> = read(&bytes)
        .expect_err("refused")
        .form_cells()
        .iter()
        .map(|(cell, _)| cell.to_string())
        .collect();
    assert_eq!(cells, ["依申请公开!J7", "依申请公开!J8"]);
}

// ---------------------------------------------------------------------------
// Parts that make calamine allocate

/// calamine reserves room for `uniqueCount` strings before reading one.
#[test]
fn shared_strings_that_claim_too_many() {
    let bytes = genuine();
    let name = "xl/sharedStrings.xml";
    let has_sst = entries(&bytes).iter().any(|(n, _)| n == name);
    let bytes = edit_entry(&bytes, name, |xml| {
        if has_sst {
            let start = xml.find("uniqueCount=\"").expect("uniqueCount") + 13;
            let end = start + xml[start..].find('"').expect("end");
            format!("{}999999999999999999{}", &xml[..start], &xml[end..])
        } else {
            "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"0\" uniqueCount=\"999999999999999999\"></sst>".to_string()
        }
    });
    assert_eq!(read(&bytes).expect("reads"), expected());
}

/// calamine copies a cell format's font into every cell format: a 256 KB
/// font name under 5,000 formats would be 1.3 GB. The reader keeps only the
/// number formats; too many cell formats are refused.
#[test]
fn styles_that_multiply() {
    let styles = |xfs: usize| {
        format!(
            "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
             <fonts count=\"1\"><font><name val=\"{}\"/></font></fonts>\
             <cellXfs count=\"{xfs}\">{}</cellXfs></styleSheet>",
            "字".repeat((256 << 10) / 3),
            "<xf numFmtId=\"0\" fontId=\"0\" applyFont=\"1\"/>".repeat(xfs)
        )
    };
    let bytes = edit_entry(&genuine(), "xl/styles.xml", |_| styles(5_000));
    assert_eq!(read(&bytes).expect("reads"), expected());
    let bytes = edit_entry(&genuine(), "xl/styles.xml", |_| styles(20_000));
    let shown = refused(&bytes);
    assert!(shown.contains("单元格格式超过 10000 个"), "{shown}");
}

/// A cell written 100,000 times with one 3 MB shared string: copied once,
/// not 100,000 times (300 GB).
#[test]
fn a_cell_repeated_with_a_long_shared_string() {
    let long = 3 << 20;
    let index = entry_text(&genuine(), "xl/sharedStrings.xml")
        .matches("<si>")
        .count();
    let bytes = edit_entry(&genuine(), "xl/sharedStrings.xml", |xml| {
        xml.replace(
            "</sst>",
            &format!("<si><t>{}</t></si></sst>", "a".repeat(long)),
        )
    });
    let cell = format!("<c r=\"C3\" t=\"s\"><v>{index}</v></c>");
    let bytes = edit_sheet(&bytes, nianbao::spec::sheets::TEXT_SHEET, |xml| {
        xml.replace(
            "</sheetData>",
            &format!("<row r=\"3\">{}</row></sheetData>", cell.repeat(100_000)),
        )
    });
    match read(&bytes) {
        Ok(report) => assert_eq!(report.text.overview.map(|t| t.len()), Some(long)),
        // A limit on the length of a text may refuse it, at its cell.
        Err(e) => assert!(e.form_cells().iter().any(|(c, _)| *c == "文字!C3"), "{e}"),
    }
}

// ---------------------------------------------------------------------------
// Zip bombs and broken zips

/// A sheet that inflates to 64 MB is refused by its declared size, before it
/// is inflated.
#[test]
fn zip_bomb_entry() {
    let part = sheet_part(&genuine(), "基本信息");
    let bytes = with_deflated(&genuine(), &part, spaces(64 << 20));
    assert!(bytes.len() < 1 << 20, "a bomb: {} bytes", bytes.len());
    let shown = refused(&bytes);
    assert_eq!(
        shown,
        format!(
            "{FILE}: 工作簿：zip 条目 \"{part}\" 解压后有 64.0 MB，超过每个条目的上限 4 MB；这不是 nianbao 填报表"
        )
    );
}

/// The same bomb with headers that claim 1,000 bytes: inflating stops at the
/// limit all the same.
#[test]
fn zip_bomb_with_a_lying_header() {
    let part = sheet_part(&genuine(), "基本信息");
    let mut bytes = with_deflated(&genuine(), &part, spaces(64 << 20));
    lie_about_size(&mut bytes, &part, 1_000);
    assert_eq!(
        refused(&bytes),
        format!(
            "{FILE}: 工作簿：zip 条目 \"{part}\" 解压后超过每个条目的上限 4 MB（文件头却声明 1000 字节）；这不是 nianbao 填报表"
        )
    );
}

/// Entries that are each under the limit but together are not.
#[test]
fn zip_bomb_of_many_entries() {
    let mut bytes = genuine();
    for i in 0..6 {
        bytes = with_deflated(&bytes, &format!("xl/pad{i}.xml"), spaces(3 << 20));
    }
    let shown = refused(&bytes);
    assert_eq!(
        shown,
        format!("{FILE}: 工作簿：zip 条目解压后合计超过上限 16 MB；这不是 nianbao 填报表")
    );
    let mut all = entries(&genuine());
    // 512: the most zip entries a form may hold (the documented limit of read::form).
    for i in 0..512 {
        all.push((format!("customXml/item{i}.xml"), b"<a/>".to_vec()));
    }
    let shown = refused(&repack(&all));
    assert!(shown.contains("个条目，超过上限 512"), "{shown}");
}

/// Bombs in entries the reader does not need are never inflated.
#[test]
fn unneeded_entries_are_not_inflated() {
    let bytes = with_deflated(&genuine(), "xl/media/image1.png", spaces(64 << 20));
    assert_eq!(read(&bytes).expect("reads"), expected());
}

#[test]
fn not_a_zip() {
    let whole = genuine();
    for bytes in [
        b"not a zip at all".to_vec(),
        b"PK\x03\x04garbage".to_vec(),
        whole[..whole.len() / 2].to_vec(),
        Vec::new(),
    ] {
        let shown = refused(&bytes);
        assert_eq!(
            shown,
            format!(
                "{FILE}: 工作簿：不是可读的 Excel 工作簿（.xlsx）：不是有效的 xlsx（zip）文件，可能已损坏或只是改了扩展名"
            )
        );
    }
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.resize(4096, 0);
    assert!(refused(&xls).contains("旧版 .xls 文件或设了密码的工作簿"));
}

#[test]
fn a_file_too_big_is_not_read_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("大.xlsx");
    let mut bytes = genuine();
    bytes.resize(17 << 20, 0);
    std::fs::write(&path, &bytes).expect("write");
    let shown = nianbao::read_path(&path).expect_err("refused").to_string();
    assert_eq!(
        shown,
        format!(
            "{}: 文件过大（{} 字节，上限 {} 字节）；一份年报的输入通常只有几 KB，请检查是否选错了文件",
            path.display(),
            17 << 20,
            16 << 20
        )
    );
}

// ---------------------------------------------------------------------------
// Every bad cell in one run

#[test]
fn several_bad_cells_are_all_reported() {
    let mut bytes = genuine();
    bytes = set_cell(&bytes, "依申请公开", "D7", NewCell::Text("三"));
    bytes = set_cell(&bytes, "主动公开", "B4", NewCell::Number(-3.0));
    bytes = set_cell(&bytes, "复议诉讼", "A5", NewCell::Number(2.5));
    bytes = set_cell(&bytes, "基本信息", "B4", NewCell::Number(1999.0));
    let err = read(&bytes).expect_err("refused");
    assert_eq!(
        err.form_cells(),
        [
            (
                "基本信息!B4",
                "报告年度应为 2008–2100 之间的整数，实为 1999"
            ),
            ("主动公开!B4", "应为非负整数，实为 -3"),
            ("依申请公开!D7", "应为非负整数，实为 \"三\""),
            ("复议诉讼!A5", "应为非负整数，实为 2.5"),
        ]
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{FILE}: 基本信息!B4：报告年度应为 2008–2100 之间的整数，实为 1999\n\
             {FILE}: 主动公开!B4：应为非负整数，实为 -3\n\
             {FILE}: 依申请公开!D7：应为非负整数，实为 \"三\"\n\
             {FILE}: 复议诉讼!A5：应为非负整数，实为 2.5"
        )
    );
    assert!(matches!(err, LoadError::FormCells { ref cells, .. } if cells.len() == 4));
    // One bad cell stays a single `Form` error.
    let one = set_cell(&genuine(), "依申请公开", "D7", NewCell::Text("三"));
    assert!(matches!(read(&one), Err(LoadError::Form { .. })));
}

/// A label moved away and a bad value in the same run: both named.
#[test]
fn a_bad_label_and_a_bad_value() {
    let mut bytes = genuine();
    bytes = set_cell(&bytes, "依申请公开", "C9", NewCell::Text("1.属于国家机密"));
    bytes = set_cell(&bytes, "主动公开", "B15", NewCell::Text("很多"));
    let cells: Vec<String> = read(&bytes)
        .expect_err("refused")
        .form_cells()
        .iter()
        .map(|(cell, _)| cell.to_string())
        .collect();
    assert_eq!(cells, ["主动公开!B15", "依申请公开!C9"]);
}

/// A sheet whose labels are all wrong is one error, not forty.
#[test]
fn a_sheet_that_is_not_the_forms() {
    let other = entries(&genuine())
        .into_iter()
        .find(|(n, _)| *n == sheet_part(&genuine(), "复议诉讼"))
        .map(|(_, data)| String::from_utf8(data).expect("utf-8"))
        .expect("复议诉讼");
    let bytes = edit_sheet(&genuine(), "依申请公开", |_| other.clone());
    let err = read(&bytes).expect_err("refused");
    let cells = err.form_cells();
    assert_eq!(cells.len(), 1, "{err}");
    let (cell, message) = cells[0];
    assert_eq!(cell, "依申请公开");
    assert!(
        message.contains("个标签与填报表不符（如 依申请公开!"),
        "{message}"
    );
}

/// Fifty cells are listed; the rest are counted.
#[test]
fn very_many_bad_cells_are_counted() {
    let mut bytes = genuine();
    for row in 5..=14 {
        for col in ["D", "E", "F", "G", "H", "I"] {
            bytes = set_cell(
                &bytes,
                "依申请公开",
                &format!("{col}{row}"),
                NewCell::Text("x"),
            );
        }
    }
    let err = read(&bytes).expect_err("refused");
    let cells = err.form_cells();
    assert_eq!(cells.len(), 51);
    assert_eq!(cells[0], ("依申请公开!D5", "应为非负整数，实为 \"x\""));
    assert_eq!(
        cells[50],
        ("工作簿", "另有 10 处错误未列出；请先改正以上各处")
    );
}

// ---------------------------------------------------------------------------
// Binary-float noise in fee cells

#[test]
fn fee_float_noise_reads_as_shown() {
    let amount = |s: &str| s.parse::<Decimal>().expect("decimal");
    // 万元 (6 places) on 主动公开!B15.
    for (stored, shown) in [
        (0.30000000000000004, "0.3"),
        (24252.311081999998, "24252.311082"),
        (0.1 + 0.7, "0.8"),
    ] {
        let bytes = set_cell(&genuine(), "主动公开", "B15", NewCell::Number(stored));
        let fees = read(&bytes).expect("reads").active.fees;
        assert_eq!(fees.0, amount(shown), "{stored}");
    }
    // 元 (2 places) on 基本信息.
    let cell = nianbao::spec::tables::BasicInfo::ProcessingFeeNoticesAmount.excel_ref();
    let a1 = cell.split('!').nth(1).expect("a1");
    for (stored, shown) in [(200.01000000000002, "200.01"), (0.30000000000000004, "0.3")] {
        let bytes = set_cell(&genuine(), "基本信息", a1, NewCell::Number(stored));
        let fees = read(&bytes).expect("reads").fees();
        assert_eq!(fees.notices_amount.0, amount(shown), "{stored}");
    }
    // Real places beyond the amount's are still refused.
    let bytes = set_cell(&genuine(), "基本信息", a1, NewCell::Number(200.001));
    assert_eq!(
        refused(&bytes),
        format!("{FILE}: {cell}：金额最多 2 位小数，实为 200.001（单元格中为 200.001）")
    );
    let bytes = set_cell(&genuine(), "主动公开", "B15", NewCell::Number(1.0000001));
    assert!(refused(&bytes).contains("金额最多 6 位小数"));
    // Text shows what it says: no rounding.
    let bytes = set_cell(
        &genuine(),
        "主动公开",
        "B15",
        NewCell::Text("0.30000000000000004"),
    );
    assert!(refused(&bytes).contains("金额最多 6 位小数"));
}

// ---------------------------------------------------------------------------
// The command line: exit 2, one Chinese line naming the file, no panic
// message, bounded memory.

#[cfg(target_os = "linux")]
#[test]
fn check_refuses_hostile_forms_within_a_memory_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let part = sheet_part(&genuine(), "基本信息");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "bomb.xlsx",
            with_deflated(&genuine(), &part, spaces(64 << 20)),
        ),
        (
            "overflow.xlsx",
            edit_sheet(&genuine(), "复议诉讼", |xml| {
                far_cell(xml, "A99999999999", 99)
            }),
        ),
        ("broken.xlsx", b"PK\x03\x04garbage".to_vec()),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        // 500 MB of address space: an unbounded allocation aborts the child.
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 512000 && exec \"$0\" check \"$1\"")
            .arg(env!("CARGO_BIN_EXE_nianbao"))
            .arg(&path)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(
            stderr.starts_with(&format!("{}: ", path.display())),
            "{name}: {stderr}"
        );
    }
}
