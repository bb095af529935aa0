//! Helpers of the workbook and form tests: a non-trivial report, reading
//! workbooks back with calamine, editing cells in the XML as another program
//! would, and LibreOffice with recalculation on load.
#![allow(dead_code)]

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use nianbao::model::Report;

/// A consistent report with numbers in every table, fees with 6 places, a
/// 成文日期 and text.
pub const SAMPLE: &str = r#"
[report]
agency = "某县自然资源局"
short_name = "县自然资源局"
year = 2024
region = "某县"
issued_on = "2025-01-20"

[active]
rules = { issued = 1, repealed = 0, in_force = 3 }
normative_documents = { issued = 4, repealed = 1, in_force = 12 }
licensing = 37
punishment = 5
enforcement = 2
fees = 24252.311082

[applications]
new = [5, 2, 1, 0, 1, 3]
carried_over = [1, 0, 0, 0, 0, 0]
granted = [2, 1, 0, 0, 0, 1]
partially_granted = [1, 0, 0, 0, 0, 0]
carry_forward = [1, 0, 0, 0, 0, 0]

[applications.withheld]
third_party_rights = [1, 0, 0, 0, 0, 1]

[applications.unavailable]
not_held = [1, 1, 1, 0, 0, 0]

[applications.not_processed]
duplicate = [0, 0, 0, 0, 1, 0]

[applications.other]
fee_overdue = [0, 0, 0, 0, 0, 1]

[review_litigation]
review = [1, 0, 0, 1]
litigation_direct = [0, 1, 0, 0]

[processing_fees]
notices = 1
notices_amount = 200
collected = 0

[text]
overview = "2024年，本局认真贯彻《条例》。\n\n第二段。"
other_matters = "无。"

[headings]
improvements = "下步打算"
"#;

/// The sheets of the fill-in form, in order: the guide, the four sheets of
/// the statistical workbook (FORMAT.md §11, docs/excel.md), the texts and
/// the checks.
pub const FORM_SHEETS: [&str; 7] = [
    "填表说明",
    "基本信息",
    "主动公开",
    "依申请公开",
    "复议诉讼",
    "文字",
    "校验",
];

/// The sample report.
pub fn sample() -> Report {
    Report::from_toml_str(SAMPLE, "sample.toml").expect("sample parses")
}

/// Opens workbook bytes with calamine.
pub fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("calamine opens it")
}

/// The value at 0-based (row, col) of `sheet`.
pub fn value(wb: &mut Xlsx<Cursor<Vec<u8>>>, sheet: &str, row: usize, col: usize) -> Data {
    let range = wb.worksheet_range(sheet).expect("sheet");
    range
        .get_value((row as u32, col as u32))
        .cloned()
        .unwrap_or(Data::Empty)
}

/// Every entry of a zip archive, in order.
pub fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).expect("entry");
            let mut data = Vec::new();
            f.read_to_end(&mut data).expect("read entry");
            (f.name().to_string(), data)
        })
        .collect()
}

/// A zip archive of `entries`.
pub fn repack(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        out.start_file(name.as_str(), options).expect("start");
        out.write_all(data).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

/// The text of one entry.
pub fn entry_text(bytes: &[u8], name: &str) -> String {
    let (_, data) = entries(bytes)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no entry {name}"));
    String::from_utf8(data).expect("utf-8")
}

/// The part of `sheet` (rust_xlsxwriter numbers the parts in sheet order).
pub fn sheet_part(bytes: &[u8], sheet: &str) -> String {
    let workbook = entry_text(bytes, "xl/workbook.xml");
    let names: Vec<&str> = workbook
        .split("<sheet ")
        .skip(1)
        .map(|s| {
            let start = s.find("name=\"").expect("name") + 6;
            let end = s[start..].find('"').expect("end") + start;
            &s[start..end]
        })
        .collect();
    let index = names
        .iter()
        .position(|n| *n == sheet)
        .unwrap_or_else(|| panic!("no sheet {sheet} in {names:?}"));
    format!("xl/worksheets/sheet{}.xml", index + 1)
}

/// What to put into a cell.
pub enum NewCell<'a> {
    /// A number.
    Number(f64),
    /// An inline string.
    Text(&'a str),
    /// Nothing (the cell is emptied; its format stays).
    Empty,
}

/// Replaces cell `a1` of `sheet` as another program would write it: the cell's
/// style is kept, its formula (if any) is dropped. Totals keep their (now stale)
/// cached values.
pub fn set_cell(bytes: &[u8], sheet: &str, a1: &str, new: NewCell) -> Vec<u8> {
    let part = sheet_part(bytes, sheet);
    let mut all = entries(bytes);
    let (_, data) = all.iter_mut().find(|(n, _)| *n == part).expect("part");
    let xml = String::from_utf8(data.clone()).expect("utf-8");
    let open = format!("<c r=\"{a1}\"");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no cell {a1} in {part}"));
    let tag_end = xml[start..].find('>').expect("tag end") + start;
    let end = if xml[..tag_end].ends_with('/') {
        tag_end + 1
    } else {
        xml[start..].find("</c>").expect("cell end") + start + 4
    };
    let tag = &xml[start..tag_end];
    let style = tag
        .split("s=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|s| format!(" s=\"{s}\""))
        .unwrap_or_default();
    let cell = match new {
        NewCell::Number(v) => format!("<c r=\"{a1}\"{style}><v>{v}</v></c>"),
        NewCell::Text(t) => format!("<c r=\"{a1}\"{style} t=\"inlineStr\"><is><t>{t}</t></is></c>"),
        NewCell::Empty => format!("<c r=\"{a1}\"{style}/>"),
    };
    let new_xml = format!("{}{cell}{}", &xml[..start], &xml[end..]);
    *data = new_xml.into_bytes();
    repack(&all)
}

/// Renames a sheet in xl/workbook.xml (the sheet is then "missing" under its name).
pub fn rename_sheet(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let mut all = entries(bytes);
    let (_, data) = all
        .iter_mut()
        .find(|(n, _)| n == "xl/workbook.xml")
        .expect("workbook.xml");
    let xml = String::from_utf8(data.clone()).expect("utf-8");
    *data = xml
        .replace(&format!("name=\"{from}\""), &format!("name=\"{to}\""))
        .into_bytes();
    repack(&all)
}

/// A LibreOffice user profile that recalculates every formula of an OOXML
/// file on load (`OOXMLRecalcMode` = 0, "always"); without it LibreOffice
/// headless shows the cached values.
pub fn recalculating_profile(dir: &Path) -> PathBuf {
    let profile = dir.join("lo-profile");
    std::fs::create_dir_all(profile.join("user")).expect("profile dir");
    std::fs::write(
        profile.join("user/registrymodifications.xcu"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"#,
    )
    .expect("registrymodifications.xcu");
    profile
}

/// Converts `file` with LibreOffice (recalculating on load) to `filter` in `out`.
pub fn lo_convert(soffice: &Path, profile: &Path, file: &Path, filter: &str, out: &Path) {
    let status = Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", filter, "--outdir"])
        .arg(out)
        .arg(file)
        .output()
        .expect("run soffice");
    assert!(status.status.success(), "soffice failed: {status:?}");
}

/// Every sheet of `file` as CSV rows, after LibreOffice recalculated it.
pub fn lo_csv(soffice: &Path, dir: &Path, file: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    let profile = recalculating_profile(dir);
    let out = dir.join("csv");
    // Field sep 44 (,), text delimiter 34 ("), UTF-8 (76), values not as shown, every sheet (-1).
    lo_convert(
        soffice,
        &profile,
        file,
        "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
        &out,
    );
    let stem = file
        .file_stem()
        .expect("stem")
        .to_string_lossy()
        .into_owned();
    let mut sheets = Vec::new();
    for entry in std::fs::read_dir(&out).expect("csv dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let Some(sheet) = name.strip_prefix(&format!("{stem}-")) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("csv");
        sheets.push((sheet.to_string(), parse_csv(&text)));
    }
    sheets
}

/// A small CSV parser (quotes, doubled quotes, newlines in quotes).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// The statistical workbook of `report`, through the public face; `source`
/// is the input file name it records.
pub fn workbook_bytes(report: &Report, source: &str) -> Result<Vec<u8>, nianbao::Error> {
    let outputs = nianbao::Outputs {
        docx: false,
        xlsx: true,
        html: None,
    };
    let (mut files, _) = nianbao::render(report, source, outputs)?;
    Ok(files.remove(0).bytes)
}

/// `bytes` with the XML of `sheet` changed by `edit`.
pub fn edit_sheet(bytes: &[u8], sheet: &str, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let part = sheet_part(bytes, sheet);
    edit_entry(bytes, &part, edit)
}

/// `bytes` with the text of entry `name` changed by `edit` (added when missing).
pub fn edit_entry(bytes: &[u8], name: &str, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let mut all = entries(bytes);
    match all.iter_mut().find(|(n, _)| n == name) {
        Some((_, data)) => {
            let xml = String::from_utf8(data.clone()).expect("utf-8");
            *data = edit(&xml).into_bytes();
        }
        None => all.push((name.to_string(), edit("").into_bytes())),
    }
    repack(&all)
}

/// A cell far outside the form, in a row of its own at the end of the sheet data.
pub fn far_cell(xml: &str, a1: &str, row: u64) -> String {
    xml.replace(
        "</sheetData>",
        &format!("<row r=\"{row}\"><c r=\"{a1}\"><v>1</v></c></row></sheetData>"),
    )
}

pub fn forged_dimension(xml: &str, range: &str) -> String {
    let start = xml.find("<dimension ref=\"").expect("dimension");
    let end = start + xml[start..].find("/>").expect("end") + 2;
    format!(
        "{}<dimension ref=\"{range}\"/>{}",
        &xml[..start],
        &xml[end..]
    )
}
