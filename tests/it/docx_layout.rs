//! The layout a 政府办 reviewer looks at, read back from the DOCX: how the
//! table labels fall into lines in their cells (from the grid widths and the
//! cell margins in the XML), the character grid, what keeps together across
//! a page break, and the signature.

use crate::common::*;

/// One character of 五号 (10.5 pt) in twips; digits and Latin letters are half.
const CHAR: u32 = 210;

fn document(bytes: &[u8]) -> String {
    unzip(bytes)
        .remove("word/document.xml")
        .expect("word/document.xml")
}

/// Lines a renderer makes of `text` in `room` twips.
fn wrap(text: &str, room: u32) -> Vec<String> {
    wrap_cjk(text, f64::from(room), f64::from(CHAR))
}

/// A cell of a Word table laid out on its grid.
#[derive(Debug)]
struct Cell {
    table: usize,
    row: usize,
    col: usize,
    /// The explicit lines of the cell (its text cut at `w:br`).
    lines: Vec<String>,
    /// The width of the cell inside its margins.
    room: u32,
    margin: (u32, u32),
}

impl Cell {
    fn text(&self) -> String {
        self.lines.concat()
    }
    fn is_number(&self) -> bool {
        let t = self.text();
        !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.')
    }
    /// The lines on the page: each explicit line wrapped in the cell.
    fn rendered(&self) -> Vec<String> {
        self.lines.iter().flat_map(|l| wrap(l, self.room)).collect()
    }
}

fn twips(n: Option<roxmltree::Node>, side: &str) -> Option<u32> {
    n.and_then(|m| child(m, side))
        .and_then(|s| wattr(s, "w"))
        .map(|w| w.parse().expect("a width in twips"))
}

/// Every cell (not the continuation of a vertical merge) of every table.
fn cells(xml: &str) -> Vec<Cell> {
    let doc = parse("document.xml", xml);
    let mut out = Vec::new();
    for (ti, tbl) in descendants(doc.root(), "tbl").enumerate() {
        let grid: Vec<u32> = children(child(tbl, "tblGrid").unwrap(), "gridCol")
            .map(|g| wattr(g, "w").unwrap().parse().unwrap())
            .collect();
        assert_eq!(
            grid.iter().sum::<u32>(),
            8844,
            "table {ti} is the 版心 wide"
        );
        let tbl_mar = child(child(tbl, "tblPr").unwrap(), "tblCellMar");
        let default = (
            twips(tbl_mar, "left").expect("tblCellMar left"),
            twips(tbl_mar, "right").expect("tblCellMar right"),
        );
        for (r, tr) in children(tbl, "tr").enumerate() {
            let mut col = 0;
            for tc in children(tr, "tc") {
                let pr = child(tc, "tcPr").unwrap();
                let span: usize = child(pr, "gridSpan")
                    .and_then(|g| wattr(g, "val"))
                    .map_or(1, |v| v.parse().unwrap());
                let width: u32 = grid[col..col + span].iter().sum();
                let tcw: u32 = wattr(child(pr, "tcW").unwrap(), "w")
                    .unwrap()
                    .parse()
                    .unwrap();
                assert_eq!(tcw, width, "table {ti} ({r}, {col}): tcW is the grid's");
                let mar = child(pr, "tcMar");
                let margin = (
                    twips(mar, "left").unwrap_or(default.0),
                    twips(mar, "right").unwrap_or(default.1),
                );
                let continued = child(pr, "vMerge").is_some_and(|v| wattr(v, "val").is_none());
                if !continued {
                    // The text of each run, cut where a w:br stands.
                    let mut lines = vec![String::new()];
                    for node in tc.descendants().filter(|n| n.is_element()) {
                        match node.tag_name().name() {
                            "t" => lines
                                .last_mut()
                                .unwrap()
                                .push_str(node.text().unwrap_or("")),
                            "br" => lines.push(String::new()),
                            _ => {}
                        }
                    }
                    out.push(Cell {
                        table: ti,
                        row: r,
                        col,
                        lines,
                        room: width - margin.0 - margin.1,
                        margin,
                    });
                }
                col += span;
            }
        }
    }
    out
}

/// A line of one character, when the label has more than one.
fn lone(cell: &Cell) -> Option<String> {
    let lines = cell.rendered();
    (lines.len() > 1)
        .then(|| lines.into_iter().find(|l| l.chars().count() == 1))
        .flatten()
}

#[test]
fn table_labels_never_leave_a_character_alone() {
    let xml = document(&docx_bytes(&sample()));
    let cells = cells(&xml);
    assert!(cells.len() > 200, "{} cells", cells.len());
    for c in cells
        .iter()
        .filter(|c| !c.is_number() && !c.text().is_empty())
    {
        assert!(
            lone(c).is_none(),
            "table {} ({}, {}) {:?} in {} twips: {:?}",
            c.table,
            c.row,
            c.col,
            c.text(),
            c.room,
            c.rendered()
        );
        // No word is cut: an explicit line is never wrapped again.
        if c.lines.len() > 1 {
            for l in &c.lines {
                assert_eq!(wrap(l, c.room).len(), 1, "{l:?} in {} twips", c.room);
            }
        }
        // Text keeps 1 mm from the borders.
        assert!(c.margin.0 >= 57 && c.margin.1 >= 57, "{c:?}");
    }
    let rendered = |label: &str| -> Vec<String> {
        cells
            .iter()
            .find(|c| c.text() == label)
            .unwrap_or_else(|| panic!("{label} not found"))
            .rendered()
    };
    // The labels of table 三 the reviewer sent back, in whole words.
    assert_eq!(
        rendered("三、本年度办理结果"),
        ["三、", "本年度", "办理", "结果"]
    );
    for group in ["不予公开", "无法提供", "不予处理", "其他处理"] {
        let label = cells
            .iter()
            .find(|c| c.table == 1 && c.text().ends_with(group) && c.text().starts_with('（'))
            .unwrap()
            .text();
        let lines = rendered(&label);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[1..].concat(), group, "{lines:?}");
        assert!(lines.iter().all(|l| l.chars().count() >= 2), "{lines:?}");
    }
    // The header words break into whole pairs.
    for word in ["社会公益组织", "法律服务机构", "商业企业", "科研机构"] {
        let lines = rendered(word);
        assert!(
            lines.len() > 1 && lines.iter().all(|l| l.chars().count() % 2 == 0),
            "{word}: {lines:?}"
        );
    }
    assert_eq!(rendered("自然人"), ["自然人"]);
}

#[test]
fn table_three_fits_seven_digit_counts_and_keeps_numbers_off_the_borders() {
    let mut report = sample();
    report.applications.new.values = [1_234_567, 0, 0, 0, 0, 0];
    report.applications.granted.values = [1_234_567, 0, 0, 0, 0, 0];
    report.applications.new.given_total = None;
    report.applications.granted.given_total = None;
    report.applications.total = None;
    let xml = document(&docx_bytes(&report));
    let cells = cells(&xml);
    let numbers: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.table == 1 && c.is_number())
        .collect();
    assert_eq!(numbers.len(), 25 * 7);
    let seven = numbers.iter().filter(|c| c.text() == "1234567").count();
    assert_eq!(seven, 6, "新收, 予以公开 and 三（七）: 自然人 and 总计");
    for c in &numbers {
        // Seven digits on one line.
        assert!(c.room >= 7 * CHAR / 2, "{c:?}");
        assert_eq!(wrap("1234567", c.room).len(), 1);
        // A five-digit count, centred, keeps 1 mm from either border.
        let gap = (c.room - 5 * CHAR / 2) / 2;
        assert!(c.margin.0 + gap >= 57 && c.margin.1 + gap >= 57, "{c:?}");
    }
    // Five digits fit every number cell of every table.
    for c in cells.iter().filter(|c| c.is_number()) {
        assert!(c.room >= 5 * CHAR / 2, "{c:?}");
    }
}

/// A line of a PDF page as `pdftotext -bbox-layout` finds it.
#[derive(Debug, Clone)]
struct PdfLine {
    page: usize,
    x_min: f64,
    x_max: f64,
    y_min: f64,
    y_max: f64,
    /// The words of the line, joined without the spaces pdftotext puts
    /// between Chinese and Latin text.
    text: String,
}

fn attr(tag: &str, name: &str) -> f64 {
    let key = format!("{name}=\"");
    let at = tag.find(&key).expect("attribute") + key.len();
    let end = tag[at..].find('"').expect("closing quote");
    tag[at..at + end].parse().expect("a number")
}

/// The DOCX converted by LibreOffice (`soffice --headless --convert-to
/// pdf`), its lines read back with `pdftotext -bbox-layout`; `None` (and
/// SKIPPED, or a failure under CI) when the tools are missing.
fn pdf_lines(docx: &[u8]) -> Option<Vec<PdfLine>> {
    use std::process::Command;
    let (Some(soffice), Some(pdftotext)) = (tool("soffice"), tool("pdftotext")) else {
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.docx");
    std::fs::write(&path, docx).unwrap();
    let out = Command::new(&soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            dir.path().join("profile").display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&path)
        .output()
        .expect("soffice runs");
    let pdf = dir.path().join("report.pdf");
    assert!(
        pdf.is_file(),
        "no PDF: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&pdftotext)
        .args(["-bbox-layout", "-enc", "UTF-8"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let html = String::from_utf8(out.stdout).expect("UTF-8");
    let mut lines = Vec::new();
    let mut page = 0;
    let mut current: Option<PdfLine> = None;
    for raw in html.lines() {
        let tag = raw.trim();
        if tag.starts_with("<page ") {
            page += 1;
        } else if tag.starts_with("<line ") {
            current = Some(PdfLine {
                page,
                x_min: attr(tag, "xMin"),
                x_max: attr(tag, "xMax"),
                y_min: attr(tag, "yMin"),
                y_max: attr(tag, "yMax"),
                text: String::new(),
            });
        } else if tag.starts_with("<word ") {
            if let Some(line) = current.as_mut() {
                let start = tag.find('>').unwrap() + 1;
                let end = tag.rfind("</word>").unwrap();
                line.text.push_str(
                    &tag[start..end]
                        .replace("&amp;", "&")
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&quot;", "\""),
                );
            }
        } else if tag.starts_with("</line>")
            && let Some(line) = current.take()
        {
            lines.push(line);
        }
    }
    Some(lines)
}

/// 28 characters of 三号 a line (GB/T 9704: 22 lines of 28 in the 版心), in
/// the LibreOffice render of the sample: every body line that runs from
/// the left edge of the 版心 to its right edge holds 28 characters (a
/// closing mark may hang past the edge, as Chinese typesetting allows);
/// the first line of a paragraph, indented two characters, holds 26.
#[test]
fn body_lines_hold_28_characters() {
    let xml = document(&docx_bytes(&sample()));
    let doc = parse("document.xml", &xml);
    let grid = descendants(doc.root(), "docGrid").next().expect("docGrid");
    assert_eq!(wattr(grid, "type"), Some("linesAndChars"));
    assert_eq!(wattr(grid, "linePitch"), Some("579"));
    // The character pitch the grid declares: 16 pt + charSpace/4096 pt,
    // 28 of them within the 156 mm (442.2 pt) of the 版心 and 29 not.
    let char_space: f64 = wattr(grid, "charSpace").unwrap().parse().unwrap();
    let pitch = 16.0 + char_space / 4096.0;
    assert!(28.0 * pitch <= 442.2 && 29.0 * pitch > 442.2, "{pitch}");

    let Some(lines) = pdf_lines(&docx_bytes(&sample())) else {
        return;
    };
    // The 版心 of an A4 page: left 28 mm, 156 mm wide (in points).
    let left = 1587.0 / 20.0;
    let right = left + 8844.0 / 20.0;
    const HANGING: &str = "，。、；：！？）”》";
    let (mut full, mut first) = (0, 0);
    for l in &lines {
        let height = l.y_max - l.y_min;
        // Body text is 16 pt (a line box of about 21 pt); tables are 五号.
        let body = (18.0..24.0).contains(&height);
        if !body || l.x_max < right - 4.0 {
            continue;
        }
        let chars: Vec<char> = l.text.chars().collect();
        let latin = chars.iter().filter(|c| c.is_ascii()).count();
        let wide = chars.len() - latin;
        let hangs = chars.last().is_some_and(|c| HANGING.contains(*c)) && l.x_max > right + 4.0;
        let expected = if (l.x_min - left).abs() < 3.0 {
            full += 1;
            28
        } else if (l.x_min - (left + 32.0)).abs() < 3.0 {
            first += 1;
            26
        } else {
            continue;
        };
        let held = if hangs { wide - 1 } else { wide };
        if latin == 0 {
            assert_eq!(held, expected, "page {}: {:?}", l.page, l.text);
        } else {
            // Latin letters and digits are half as wide, Word and
            // LibreOffice put a little space between them and Chinese, and
            // a quotation mark beside a digit may be set half wide too.
            let units = held as f64 + latin as f64 / 2.0;
            assert!(
                units <= expected as f64 + 1.0 && units >= expected as f64 - 2.0,
                "page {}: {:?} holds {units}",
                l.page,
                l.text
            );
        }
    }
    assert!(
        full >= 30 && first >= 5,
        "{full} full lines, {first} first lines"
    );
}

/// Whether a paragraph node has `w:keepNext` (on, not `w:val="false"`).
fn keeps_next(p: roxmltree::Node) -> bool {
    child(p, "pPr")
        .and_then(|ppr| child(ppr, "keepNext"))
        .is_some_and(|k| !matches!(wattr(k, "val"), Some("false" | "0")))
}

/// Across a page break: rows never split; the rows of a merged group of
/// table 三 keep together (every row but the last keeps with the next); each
/// table's heading keeps with the table; nothing forces a page break.
#[test]
fn tables_keep_their_groups_and_headings_together() {
    let xml = document(&docx_bytes(&sample()));
    assert!(!xml.contains("pageBreakBefore"), "no forced page break");
    assert!(!xml.contains("w:type=\"page\""), "no page break run");
    let doc = parse("document.xml", &xml);
    let body = descendants(doc.root(), "body").next().unwrap();
    let blocks: Vec<_> = body.children().filter(|n| n.is_element()).collect();
    let tables: Vec<usize> = (0..blocks.len())
        .filter(|&i| blocks[i].tag_name().name() == "tbl")
        .collect();
    assert_eq!(tables.len(), 3);
    for &i in &tables {
        let heading = blocks[i - 1];
        assert_eq!(heading.tag_name().name(), "p");
        assert!(
            keeps_next(heading),
            "heading {:?} keeps with its table",
            text(heading)
        );
    }
    let t3 = blocks[tables[1]];
    let rows: Vec<_> = children(t3, "tr").collect();
    let row_keeps = |r: usize| descendants(rows[r], "p").all(keeps_next);
    for tr in &rows {
        assert!(child(child(*tr, "trPr").unwrap(), "cantSplit").is_some());
    }
    // The groups of column B, from the description: （三） rows 8–15 of the
    // grid, （四） 16–18, （五） 19–23, （六） 24–26 (0-based 7.., as laid out).
    let spec = &nianbao::spec::tables::all()[1];
    let groups: Vec<(usize, usize)> = spec
        .cells
        .iter()
        .filter(|c| c.col == 1 && c.row_span > 1)
        .map(|c| (c.row, c.row + c.row_span - 1))
        .collect();
    assert_eq!(groups.len(), 4, "{groups:?}");
    for &(first, last) in &groups {
        for r in first..last {
            assert!(
                row_keeps(r),
                "table 三 row {r} keeps with the next ({first}–{last})"
            );
        }
    }
    // The body rows outside a group break freely (no table moves as a block).
    let free = (spec.header_rows..spec.rows - 1)
        .filter(|&r| !groups.iter().any(|&(f, l)| (f..l).contains(&r)))
        .filter(|&r| !row_keeps(r))
        .count();
    assert!(free >= 4, "{free} rows of table 三 may end a page");

    // In the LibreOffice render, each group is on one page.
    let Some(lines) = pdf_lines(&docx_bytes(&sample())) else {
        return;
    };
    let page_of = |start: &str| {
        lines
            .iter()
            .find(|l| l.text.contains(start))
            .unwrap_or_else(|| panic!("{start} not in the PDF"))
            .page
    };
    for (first, last) in [
        ("1.属于国家秘密", "8.属于行政查"),
        ("1.本机关不掌", "3.补正后申"),
        ("1.信访举报", "5.要求行政机"),
        ("1.申请人无正", "3.其他"),
    ] {
        assert_eq!(page_of(first), page_of(last), "{first} … {last}");
    }
    // No large gap: the page before table 三's continues to its foot.
    let pages = lines.iter().map(|l| l.page).max().unwrap();
    for page in 1..pages {
        let bottom = lines
            .iter()
            .filter(|l| l.page == page && (l.y_max - l.y_min) < 24.0)
            .map(|l| l.y_max)
            .fold(0.0, f64::max);
        // The 版心 ends 35 mm above the page's foot (841.9 − 99.2 pt);
        // a group of table 三 may leave up to about six rows free.
        assert!(bottom > 742.7 - 140.0, "page {page} ends at {bottom}");
    }
}

/// The last two body paragraphs of `xml`: the agency and the date, each
/// with its text and its right indent in twips.
fn signature_lines(xml: &str) -> [(String, i64); 2] {
    let doc = parse("document.xml", xml);
    let body = descendants(doc.root(), "body").next().expect("w:body");
    let paras: Vec<_> = children(body, "p").collect();
    let line = |p: roxmltree::Node| {
        let ppr = child(p, "pPr").expect("pPr");
        assert_eq!(wattr(child(ppr, "jc").expect("jc"), "val"), Some("right"));
        let ind = child(ppr, "ind").expect("ind");
        let right = wattr(ind, "right").expect("right").parse().expect("twips");
        (text(p), right)
    };
    let n = paras.len();
    [line(paras[n - 2]), line(paras[n - 1])]
}

/// Width in twips of body text on the character grid (28 to the 版心):
/// digits half a character, and a quarter where digits and Chinese meet
/// (Word's and LibreOffice's automatic space, measured in the render below).
fn body_width(s: &str) -> i64 {
    let pitch = 8844 / 28;
    let chars: i64 = s
        .chars()
        .map(|c| if c.is_ascii() { pitch / 2 } else { pitch })
        .sum();
    let joins = s
        .chars()
        .zip(s.chars().skip(1))
        .filter(|(a, b)| a.is_ascii() != b.is_ascii())
        .count() as i64;
    chars + joins * pitch / 4
}

/// GB/T 9704 7.3.5.1: the 成文日期 右空四字, the agency name centred over
/// the date; a name wider than that keeps no right indent instead of a
/// negative one.
#[test]
fn signature_date_four_characters_in_and_agency_centred_over_it() {
    let pitch = 8844 / 28;
    let mut report = sample();
    report.report.issued_on = Some("2025-01-20".parse().unwrap());
    let bytes = docx_bytes(&report);
    let [(agency, sig_right), (date, date_right)] = signature_lines(&document(&bytes));
    assert_eq!(agency, "潢川县卜塔集镇人民政府");
    assert_eq!(date, "2025年1月20日");
    assert_eq!(date_right, 4 * pitch, "成文日期 右空四字");
    // The centres, measured from the right edge of the 版心.
    let centre = |right: i64, text: &str| 2 * right + body_width(text);
    let (c_sig, c_date) = (centre(sig_right, &agency), centre(date_right, &date));
    assert!((c_sig - c_date).abs() <= 1, "{c_sig} vs {c_date} (doubled)");

    // A short name sits further in than the date.
    report.report.agency = "某局".into();
    let [(_, sig_right), (_, date_right)] = signature_lines(&document(&docx_bytes(&report)));
    assert_eq!(date_right, 4 * pitch);
    assert!(sig_right > date_right, "{sig_right}");
    assert!((centre(sig_right, "某局") - centre(date_right, &date)).abs() <= 1);

    // A name too long to be centred: no negative indent.
    report.report.agency = "某某省某某市某某县某某乡镇人民政府某某办公室".into();
    let [(_, sig_right), _] = signature_lines(&document(&docx_bytes(&report)));
    assert_eq!(sig_right, 0);

    // In the LibreOffice render: the date ends four characters (of 15.79 pt)
    // from the right edge of the 版心, and the name's centre is the date's.
    let Some(lines) = pdf_lines(&bytes) else {
        return;
    };
    let right = (1587.0 + 8844.0) / 20.0;
    let find = |t: &str| {
        lines
            .iter()
            .rev()
            .find(|l| l.text == t)
            .unwrap_or_else(|| panic!("{t} not in the PDF"))
            .clone()
    };
    let (sig, date) = (find("潢川县卜塔集镇人民政府"), find("2025年1月20日"));
    let four = 4.0 * 442.2 / 28.0;
    assert!(
        (right - date.x_max - four).abs() < 4.0,
        "the date ends {} pt from the edge",
        right - date.x_max
    );
    let mid = |l: &PdfLine| (l.x_min + l.x_max) / 2.0;
    assert!(
        (mid(&sig) - mid(&date)).abs() < 4.0,
        "centres {} and {}",
        mid(&sig),
        mid(&date)
    );
    assert!(sig.y_min > date.y_min - 40.0 && sig.y_max < date.y_min);
}
