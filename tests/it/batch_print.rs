//! The county batch outputs as printed and shown: the page setup of
//! `校验报告.xlsx` and of the summary's `汇总` sheet, borders and wrapped
//! headers, the charts' titles and labels, and the believable agencies of
//! `nianbao sample-inputs`. Every test reads the written files back (the
//! sheet XML for the page setup, calamine for values).

use std::io::Read;
use std::path::Path;

use crate::common::nianbao;
use calamine::{Data, Reader, Xlsx, open_workbook};
use nianbao::batch::{self, Options, Status, check_report, summary};
use nianbao::model::Report;

/// The text of a part of a workbook.
fn part(path: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|e| panic!("{name} in {}: {e}", path.display()))
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The names of a workbook's parts that start with `prefix`.
fn parts(path: &Path, prefix: &str) -> Vec<String> {
    let zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut names: Vec<String> = zip
        .file_names()
        .filter(|n| n.starts_with(prefix))
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

fn text(d: Option<&Data>) -> String {
    match d {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The value of attribute `name` in the first `<tag …>` of `xml`.
fn attribute(xml: &str, tag: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag} "))?;
    let element = &xml[start..start + xml[start..].find('>')?];
    let at = element.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(element[at..at + element[at..].find('"')?].to_string())
}

/// A batch of `n` sample inputs (and one that breaks R1, for finding rows)
/// named 某县; returns the output folder and the number of agencies summed.
/// The sheet XML `sheet` prints on landscape A4 (paperSize 9, ECMA-376 §18.3.1.63).
fn assert_landscape_a4(sheet: &str) {
    assert_eq!(
        attribute(sheet, "pageSetup", "orientation").as_deref(),
        Some("landscape")
    );
    assert_eq!(
        attribute(sheet, "pageSetup", "paperSize").as_deref(),
        Some("9")
    );
}

fn county(dir: &Path, n: u64) -> (std::path::PathBuf, usize) {
    let inputs = dir.join("in");
    batch::write_sample_inputs(n, &inputs).unwrap();
    let mut broken: Report = nianbao::synthetic::report(n + 1);
    broken.applications.granted.values[0] += 1;
    std::fs::write(
        inputs.join("broken.toml"),
        toml::to_string(&broken).unwrap(),
    )
    .unwrap();
    let out = dir.join("out");
    let mut options = Options::new(vec![inputs], out.clone());
    options.name = Some("某县".to_string());
    options.jobs = Some(2);
    let outcome = batch::run(&options, &|_, _, _| {}).unwrap();
    assert_eq!(outcome.count(Status::Failed), 1);
    (out, outcome.count(Status::Ok))
}

#[test]
fn check_report_prints_on_landscape_pages_one_wide() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, _) = county(tmp.path(), 12);
    let path = out.join(check_report::XLSX_NAME);
    let sheet = part(&path, "xl/worksheets/sheet1.xml");
    assert_landscape_a4(&sheet);
    // fitToWidth is 1 when absent (ECMA-376 §18.3.1.64).
    assert!(matches!(
        attribute(&sheet, "pageSetup", "fitToWidth").as_deref(),
        None | Some("1")
    ));
    assert_eq!(
        attribute(&sheet, "pageSetup", "fitToHeight").as_deref(),
        Some("0")
    );
    assert_eq!(
        attribute(&sheet, "pageSetUpPr", "fitToPage").as_deref(),
        Some("1")
    );
    // The header row is frozen and repeated on every printed page.
    let header = check_report::HEADER_ROW + 1;
    assert_eq!(
        attribute(&sheet, "pane", "ySplit").as_deref(),
        Some(check_report::FIRST_ROW.to_string().as_str())
    );
    let workbook = part(&path, "xl/workbook.xml");
    assert!(
        workbook.contains(&format!(
            "name=\"_xlnm.Print_Titles\" localSheetId=\"0\">{}!${header}:${header}<",
            check_report::SHEET
        )),
        "{workbook}"
    );
    // Bordered cells and wrapped texts.
    let styles = part(&path, "xl/styles.xml");
    assert!(styles.contains("<left style=\"thin\">"), "{styles}");
    assert!(styles.contains("wrapText=\"1\""), "{styles}");

    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let range = wb.worksheet_range(check_report::SHEET).unwrap();
    let title = text(range.get((0, 0)));
    assert_eq!(title, check_report::title("某县", Some(2024)));
    assert!(
        title.contains("某县") && title.contains("2024年度"),
        "{title}"
    );
    for (i, name) in check_report::COLUMNS.iter().enumerate() {
        assert_eq!(text(range.get((header as usize - 1, i))), *name);
    }
    // The failed input and its finding come first.
    let first = check_report::FIRST_ROW as usize;
    assert_eq!(text(range.get((first, 4))), "未通过");
    assert_eq!(text(range.get((first + 1, 6))), "R1");
}

/// Most rows take the sheet's default height (the height most of them
/// need): only the others carry one of their own, which rust_xlsxwriter
/// keeps in memory to the end. The finding's long message gets its own.
#[test]
fn check_report_rows_mostly_take_the_default_height() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, ok) = county(tmp.path(), 40);
    let sheet = part(
        &out.join(check_report::XLSX_NAME),
        "xl/worksheets/sheet1.xml",
    );
    let default: f64 = attribute(&sheet, "sheetFormatPr", "defaultRowHeight")
        .expect("a default row height")
        .parse()
        .unwrap();
    assert!(default >= 15.0 && default % 15.0 == 0.0, "{default}");
    let first = check_report::FIRST_ROW + 1; // 1-based
    let own: Vec<(u32, f64)> = sheet
        .split("<row ")
        .skip(1)
        .filter_map(|row| {
            let r: u32 = row.split("r=\"").nth(1)?.split('"').next()?.parse().ok()?;
            let ht: f64 = row
                .split(" ht=\"")
                .nth(1)?
                .split('"')
                .next()?
                .parse()
                .ok()?;
            (r >= first && (ht - default).abs() > 0.01).then_some((r, ht))
        })
        .collect();
    assert!(
        own.len() * 4 < ok,
        "{} of {ok} rows with a height of their own: {own:?}",
        own.len()
    );
    // The failed input's finding (first after it) explains itself at length.
    assert!(
        own.iter().any(|&(r, ht)| r == first + 1 && ht > default),
        "{own:?}"
    );
}

#[test]
fn summary_prints_whole_groups_beside_the_agency_column() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, agencies) = county(tmp.path(), 30);
    let path = out.join("汇总-某县-2024.xlsx");
    let sheet = part(&path, "xl/worksheets/sheet1.xml");
    assert_landscape_a4(&sheet);
    assert_eq!(
        attribute(&sheet, "pageSetup", "scale").as_deref(),
        Some(summary::PRINT_SCALE.to_string().as_str())
    );

    // The header rows and the agency column on every page, the numbers and
    // their totals as the print area.
    let workbook = part(&path, "xl/workbook.xml");
    assert!(
        workbook.contains(">汇总!$A:$A,汇总!$1:$2<"),
        "print titles: {workbook}"
    );
    let last = summary::HEADER_ROWS as usize + agencies + 1;
    assert!(
        workbook.contains(">汇总!$E$1:$") && workbook.contains(&format!("${last}</definedName>")),
        "print area: {workbook}"
    );

    // Pages break only between groups, and before each table.
    let columns = summary::columns();
    let first = summary::INFO_COLUMNS.len();
    let breaks = summary::page_breaks(&columns);
    assert!(breaks.len() >= 3, "{breaks:?}");
    assert!(sheet.contains(&format!("<colBreaks count=\"{}\"", breaks.len())));
    for b in &breaks {
        assert!(
            sheet.contains(&format!("<brk id=\"{b}\" max=\"1048575\" man=\"1\"/>")),
            "{b}"
        );
        let i = *b as usize - first;
        assert_ne!(columns[i - 1].group, columns[i].group, "break at {b}");
    }
    for i in 1..columns.len() {
        if !std::ptr::eq(columns[i - 1].table, columns[i].table) {
            assert!(breaks.contains(&((first + i) as u32)), "table at {i}");
        }
    }
    // Far fewer pages than columns: at least two groups of table 三 a page.
    assert!(breaks.len() < 20, "{} breaks", breaks.len());

    // Thin borders on every number.
    let styles = part(&path, "xl/styles.xml");
    assert!(styles.contains("<left style=\"thin\">"), "{styles}");
    // Amounts (万元) as in each agency's workbook: 2 to 6 decimals, so that
    // 12.5 reads 12.50 and not 12.500000.
    assert!(styles.contains("formatCode=\"0.00####\""), "{styles}");
    assert!(!styles.contains("0.000000"), "{styles}");

    // Labels broken between words (社会/公益/组织), none left with one character.
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let range = wb.worksheet_range(summary::SUMMARY_SHEET).unwrap();
    let mut seen = 0;
    for (i, c) in columns.iter().enumerate() {
        let header = text(range.get((1, first + i)));
        assert_eq!(header, c.header());
        if c.label == "社会公益组织" {
            assert_eq!(header, "社会\n公益\n组织");
            seen += 1;
        }
        if c.label == "法律服务机构" {
            assert_eq!(header, "法律\n服务\n机构");
        }
        for line in header.lines() {
            assert!(line.chars().count() >= 2, "{header:?}");
        }
    }
    assert!(seen > 20, "{seen}");
}

#[test]
fn charts_are_titled_with_the_region_and_the_count() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, agencies) = county(tmp.path(), 12);
    let path = out.join("汇总-某县-2024.xlsx");
    let charts = parts(&path, "xl/charts/chart");
    assert_eq!(charts.len(), 2, "{charts:?}");
    let mut pies = 0;
    for chart in &charts {
        let xml = part(&path, chart);
        let start = xml.find("<c:title>").expect("a title");
        let end = xml[start..].find("</c:title>").unwrap() + start;
        let title: String = xml[start..end]
            .split("<a:t>")
            .skip(1)
            .filter_map(|t| t.split("</a:t>").next())
            .collect();
        assert!(title.starts_with("某县 2024年 "), "{title}");
        assert!(title.ends_with(&format!("（{agencies}个机关）")), "{title}");
        for number in ["一、", "二、", "三、", "（一）", "（三）"] {
            assert!(!title.contains(number), "{title}");
        }
        if xml.contains("<c:pieChart>") {
            pies += 1;
            let labels = &xml[xml.find("<c:dLbls>").expect("data labels")..];
            assert!(
                labels.contains("<c:showPercent val=\"1\"/>")
                    || labels.contains("<c:showVal val=\"1\"/>"),
                "{labels}"
            );
        }
    }
    assert_eq!(pies, 1);
    // The pie's categories, without row numbers or notes.
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let range = wb.worksheet_range(summary::CHART_SHEET).unwrap();
    assert_eq!(text(range.get((1, 0))), "予以公开");
    assert_eq!(text(range.get((2, 0))), "部分公开");
}

#[test]
fn sample_inputs_are_believable_agencies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("samples");
    let (code, stdout, stderr) = nianbao(&["sample-inputs", "60", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 60);
    let units = [
        "局",
        "委员会",
        "办公室",
        "镇人民政府",
        "乡人民政府",
        "街道办事处",
    ];
    let (mut governments, mut others) = (0, 0);
    for p in &paths {
        let r = nianbao::read_path(p).unwrap();
        let name = &r.report.agency;
        assert!(name.starts_with(nianbao::synthetic::REGION), "{name}");
        assert!(
            units.iter().any(|u| name.ends_with(u))
                || name == &format!("{}人民政府", nianbao::synthetic::REGION),
            "{name}"
        );
        // A whole short name (县统计局, 柳林镇), not a fragment of a place.
        let short = r.short_name();
        assert!(short.chars().count() >= 3, "{name}: {short}");
        assert!(
            name.contains(short.trim_start_matches('县')),
            "{name}: {short}"
        );
        if r.is_government() {
            governments += 1;
        } else {
            others += 1;
            assert_eq!(r.active.rules.issued, 0, "{name}");
            assert_eq!(r.active.rules.repealed, 0, "{name}");
            assert_eq!(r.active.rules.in_force, 0, "{name}");
        }
        let a = &r.applications;
        for col in 0..6 {
            assert!(
                a.carried_over.values[col] <= a.new.values[col],
                "{name}: 上年结转 {} against 新收 {}",
                a.carried_over.values[col],
                a.new.values[col]
            );
        }
    }
    assert!(governments >= 10 && others >= 30, "{governments} {others}");
    // Every sample passes `nianbao check`.
    let args: Vec<&str> = std::iter::once("check")
        .chain(paths.iter().map(|p| p.to_str().unwrap()))
        .collect();
    let (code, stdout, stderr) = nianbao(&args);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
}
