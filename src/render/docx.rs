//! The Word report (DOCX): GB/T 9704 page, title, the six sections with their
//! text blocks, the three mandated tables built from [`crate::spec::tables`], the
//! signature, and `— N —` page numbers on the outer side.
//!
//! docx-rs builds the document; [`crate::render::ooxml`] then canonicalizes every XML
//! part (schema order, `tblHeader`, `firstLineChars`, no `w14:paraId`), writes
//! our own `docProps/core.xml` and packs the parts with deflate and fixed
//! timestamps, so the same input always gives the same bytes.
//!
//! The three tables (without their numbers) and every part but
//! `word/document.xml` and `docProps/core.xml` never change: they are built
//! and canonicalized once per process (a `LazyLock`); per document, docx-rs and
//! the canonicalizer handle the narrative, and the numbers are put between the
//! cached table segments. [`document_bytes_uncached`] builds everything from
//! scratch and gives the same bytes (tests/docx_cache.rs).

use docx_rs::{
    AlignmentType, BorderType, BreakType, DocGrid, DocGridType, Docx, FieldCharType, Footer,
    InstrPAGE, InstrText, LineSpacing, LineSpacingType, PageMargin, Paragraph, Run, RunFonts,
    SpecialIndentType, Style, StyleType, Table, TableAlignmentType, TableBorder,
    TableBorderPosition, TableBorders, TableCell, TableCellMargins, TableLayoutType, TableRow,
    VAlignType, VMergeType, WidthType,
};

use std::sync::LazyLock;

use crate::model::Report;
use crate::render::ooxml::{self, CoreProperties, Fixes, FontEntry, OoxmlError};
use crate::spec::grid::Figures;
use crate::spec::outline;
use crate::spec::tables::{self, Align, Content};
#[cfg(test)]
use crate::text::TextEngine;
use crate::text::{Blocks, TextError};

/// 仿宋_GB2312: body text and tables.
pub const BODY_FONT: &str = "仿宋_GB2312";
/// 方正小标宋简体: the title.
pub const TITLE_FONT: &str = "方正小标宋简体";
/// 黑体: the `一、` headings.
pub const HEADING_FONT: &str = "黑体";
/// 楷体_GB2312: the run-in `（一）…：` heads.
pub const RUN_IN_FONT: &str = "楷体_GB2312";
/// 宋体: page numbers.
pub const PAGE_NUMBER_FONT: &str = "宋体";
/// Latin letters and digits.
pub const LATIN_FONT: &str = "Times New Roman";

/// 二号 in half-points.
pub const TITLE_SIZE: usize = 44;
/// 三号 in half-points.
pub const BODY_SIZE: usize = 32;
/// 四号 in half-points.
pub const PAGE_NUMBER_SIZE: usize = 28;
/// 五号 in half-points.
pub const TABLE_SIZE: usize = 21;

/// Exact line spacing of the body, in twips (22 lines in the 225 mm 版心).
pub const LINE_TWIPS: i32 = 579;
/// One character of 三号 (16 pt) in twips: the first-line indent is two.
pub const CHAR_TWIPS: i32 = 320;
/// The 版心 width, 156 mm, in twips.
pub const TEXT_WIDTH: u32 = 8844;

/// A4 width and height in twips.
pub const PAGE_SIZE: (u32, u32) = (11906, 16838);
/// Margins in twips: top 37 mm, bottom 35 mm, left 28 mm, right 26 mm.
pub const MARGINS: Margins = Margins {
    top: 2098,
    bottom: 1984,
    left: 1587,
    right: 1474,
    header: 851,
    footer: 1304,
};

/// Page margins in twips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Margins {
    /// 天头 37 mm.
    pub top: i32,
    /// 35 mm.
    pub bottom: i32,
    /// 订口 28 mm.
    pub left: i32,
    /// 26 mm.
    pub right: i32,
    /// Header distance.
    pub header: i32,
    /// Footer distance: the page number's dash about 7 mm below the 版心.
    pub footer: i32,
}

/// Why the DOCX could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    /// A text block failed (the message names the block).
    #[error(transparent)]
    Text(#[from] TextError),
    /// The canonicalizing pass or the packer failed.
    #[error(transparent)]
    Ooxml(#[from] OoxmlError),
}

/// Renders the report as DOCX bytes with the embedded templates.
#[cfg(test)]
pub fn document_bytes(report: &Report) -> Result<Vec<u8>, DocxError> {
    document_bytes_with(report, TextEngine::embedded())
}

/// Renders the report as DOCX bytes with the templates of `engine`.
#[cfg(test)]
pub fn document_bytes_with(report: &Report, engine: &TextEngine) -> Result<Vec<u8>, DocxError> {
    let blocks = engine.render_all(report)?;
    document_bytes_from(report, &blocks)
}

/// Renders the report as DOCX bytes with its text blocks already rendered.
pub fn document_bytes_from(report: &Report, blocks: &Blocks) -> Result<Vec<u8>, DocxError> {
    if let Some(cache) = Cache::get()
        && let Some(bytes) = cache.document_bytes(report, blocks)?
    {
        return Ok(bytes);
    }
    finish(build(report, blocks), report)
}

/// The fonts of a run: `east_asia` for Chinese, Times New Roman for Latin
/// letters and digits; characters both scripts share (“ ” — …) are set in
/// the East Asian font (`w:hint="eastAsia"`), as Chinese documents expect.
fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new()
        .hint("eastAsia")
        .east_asia(east_asia)
        .ascii(LATIN_FONT)
        .hi_ansi(LATIN_FONT)
        .cs(LATIN_FONT)
}

fn run(text: &str, east_asia: &str, size: usize) -> Run {
    Run::new().add_text(text).fonts(fonts(east_asia)).size(size)
}

fn exact_spacing() -> LineSpacing {
    LineSpacing::new()
        .line_rule(LineSpacingType::Exact)
        .line(LINE_TWIPS)
        .before(0)
        .after(0)
}

/// A body paragraph: justified, first line indented two characters, exact spacing.
fn body_paragraph() -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Both)
        .indent(
            None,
            Some(SpecialIndentType::FirstLine(2 * CHAR_TWIPS)),
            None,
            None,
        )
        .line_spacing(exact_spacing())
}

fn blank_line() -> Paragraph {
    Paragraph::new()
        .line_spacing(exact_spacing())
        .size(BODY_SIZE)
        .fonts(fonts(BODY_FONT))
}

/// Width of `s` at `size_twips` per CJK character (Latin and digits count half).
fn text_width(s: &str, char_twips: u32) -> u32 {
    s.chars()
        .map(|c| {
            if c.is_ascii() {
                char_twips / 2
            } else {
                char_twips
            }
        })
        .sum()
}

/// The lines of the title: one when it fits the 版心, else broken after the
/// agency name so that each line keeps its meaning (GB/T 9704).
pub fn title_lines(agency: &str, rest: &str) -> Vec<String> {
    let char_twips = (TITLE_SIZE as u32) * 10; // half-points → twips: 22 pt = 440
    let whole = format!("{agency}{rest}");
    if text_width(&whole, char_twips) <= TEXT_WIDTH {
        return vec![whole];
    }
    if text_width(agency, char_twips) <= TEXT_WIDTH {
        return vec![agency.to_string(), rest.to_string()];
    }
    // An agency name longer than a line: break it after the last
    // administrative unit (省, 市, 县, 区, 镇, 乡, 街道, …) that still fits.
    const UNITS: [&str; 11] = [
        "自治区",
        "自治州",
        "自治县",
        "街道",
        "省",
        "市",
        "州",
        "盟",
        "县",
        "区",
        "镇",
    ];
    let mut best = None;
    for (i, _) in agency.char_indices().skip(1) {
        let head = &agency[..i];
        if text_width(head, char_twips) > TEXT_WIDTH {
            break;
        }
        if UNITS.iter().any(|u| head.ends_with(u)) || head.ends_with('乡') {
            best = Some(i);
        }
    }
    match best {
        Some(i) => vec![
            agency[..i].to_string(),
            agency[i..].to_string(),
            rest.to_string(),
        ],
        None => vec![agency.to_string(), rest.to_string()],
    }
}

fn title(report: &Report) -> Paragraph {
    let rest = format!("{}年政府信息公开工作年度报告", report.report.year);
    let mut p = Paragraph::new()
        .align(AlignmentType::Center)
        .line_spacing(exact_spacing());
    for (i, line) in title_lines(&report.report.agency, &rest).iter().enumerate() {
        let mut r = run(line, TITLE_FONT, TITLE_SIZE);
        if i > 0 {
            r = Run::new()
                .fonts(fonts(TITLE_FONT))
                .size(TITLE_SIZE)
                .add_break(BreakType::TextWrapping)
                .add_text(line.as_str());
        }
        p = p.add_run(r);
    }
    p
}

fn heading(text: &str) -> Paragraph {
    body_paragraph()
        .keep_next(true)
        .add_run(run(text, HEADING_FONT, BODY_SIZE))
}

/// The paragraphs of a block, the first one led by a run-in head in 楷体.
fn run_in(head: Option<String>, paragraphs: &[String]) -> Vec<Paragraph> {
    let mut out = Vec::with_capacity(paragraphs.len().max(1));
    let mut head = head;
    for text in paragraphs {
        let mut p = body_paragraph();
        if let Some(h) = head.take() {
            p = p.add_run(run(&h, RUN_IN_FONT, BODY_SIZE));
        }
        out.push(p.add_run(run(text, BODY_FONT, BODY_SIZE)));
    }
    if let Some(h) = head {
        out.push(body_paragraph().add_run(run(&h, RUN_IN_FONT, BODY_SIZE)));
    }
    out
}

/// The paragraph style of every table cell: 仿宋_GB2312 五号, centred,
/// single line spacing, not snapped to the 579-twip line grid. Written once
/// in `styles.xml` instead of on each of the ~380 cells.
pub const TABLE_STYLE: &str = "TableText";

fn table_style() -> Style {
    Style::new(TABLE_STYLE, StyleType::Paragraph)
        .name("表格文字")
        .based_on("Normal")
        .snap_to_grid(false)
        .line_spacing(
            LineSpacing::new()
                .line_rule(LineSpacingType::Auto)
                .line(240)
                .before(0)
                .after(0),
        )
        .align(AlignmentType::Center)
        .fonts(fonts(BODY_FONT))
        .size(TABLE_SIZE)
}

fn cell_paragraph(text: &str, align: Align, bold: bool) -> Paragraph {
    let mut p = Paragraph::new().style(TABLE_STYLE);
    if align == Align::Left {
        p = p.align(AlignmentType::Left);
    }
    if text.is_empty() {
        return p;
    }
    let mut r = Run::new().add_text(text);
    if bold {
        r = r.bold();
    }
    p.add_run(r)
}

fn border(position: TableBorderPosition) -> TableBorder {
    TableBorder::new(position)
        .border_type(BorderType::Single)
        .size(4)
        .color("000000")
}

/// One mandated table as a Word table, walking its description; `value`
/// gives the text of the number cell at `(row, col)`.
fn table(t: &tables::Table, mut value: impl FnMut(usize, usize) -> String) -> Table {
    // Which described cell covers each grid position.
    let mut cover = vec![vec![usize::MAX; t.cols]; t.rows];
    for (i, c) in t.cells.iter().enumerate() {
        for row in cover.iter_mut().skip(c.row).take(c.row_span) {
            for slot in row.iter_mut().skip(c.col).take(c.col_span) {
                *slot = i;
            }
        }
    }
    let width = |c: &tables::Cell| -> usize {
        t.widths_twips[c.col..c.col + c.col_span]
            .iter()
            .map(|&w| w as usize)
            .sum()
    };
    // A row of labels only (a header, a block title of table 二) keeps with
    // the next row, so that no header is left alone at the foot of a page.
    let label_only: Vec<bool> = (0..t.rows)
        .map(|r| {
            !t.cells
                .iter()
                .any(|c| c.row == r && !matches!(c.content, Content::Label(_)))
        })
        .collect();
    let mut rows = Vec::with_capacity(t.rows);
    for (r, line) in cover.iter().enumerate() {
        let keep = label_only[r] && r + 1 < t.rows;
        let mut cells = Vec::new();
        let mut col = 0;
        while col < t.cols {
            let Some(c) = t.cells.get(line[col]) else {
                // Not reachable: the description covers every grid cell (tested in tables.rs).
                col += 1;
                continue;
            };
            let mut cell = TableCell::new()
                .width(width(c), WidthType::Dxa)
                .vertical_align(VAlignType::Center);
            if c.col_span > 1 {
                cell = cell.grid_span(c.col_span);
            }
            if c.row == r {
                let text = match &c.content {
                    Content::Label(l) => l.to_string(),
                    Content::Input(_) | Content::Total(_) => value(c.row, c.col),
                };
                if c.row_span > 1 {
                    cell = cell.vertical_merge(VMergeType::Restart);
                }
                cell =
                    cell.add_paragraph(cell_paragraph(&text, c.align, c.emphasis).keep_next(keep));
            } else {
                cell = cell
                    .vertical_merge(VMergeType::Continue)
                    .add_paragraph(cell_paragraph("", c.align, false).keep_next(keep));
            }
            cells.push(cell);
            col += c.col_span;
        }
        rows.push(TableRow::new(cells).cant_split());
    }
    let borders = [
        TableBorderPosition::Top,
        TableBorderPosition::Left,
        TableBorderPosition::Bottom,
        TableBorderPosition::Right,
        TableBorderPosition::InsideH,
        TableBorderPosition::InsideV,
    ]
    .into_iter()
    .fold(TableBorders::with_empty(), |b, p| b.set(border(p)));
    Table::new(rows)
        .set_grid(t.widths_twips.iter().map(|&w| w as usize).collect())
        .width(TEXT_WIDTH as usize, WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
        .align(TableAlignmentType::Center)
        .margins(
            TableCellMargins::new()
                .margin_left(28, WidthType::Dxa)
                .margin_right(28, WidthType::Dxa),
        )
        .set_borders(borders)
}

/// The footer `— N —`: odd pages on the right, even pages on the left, one
/// character in from the edge.
fn footer(odd: bool) -> Footer {
    let rp = |r: Run| {
        r.fonts(
            fonts(PAGE_NUMBER_FONT)
                .ascii(PAGE_NUMBER_FONT)
                .hi_ansi(PAGE_NUMBER_FONT),
        )
        .size(PAGE_NUMBER_SIZE)
    };
    let one_char = (PAGE_NUMBER_SIZE * 10) as i32;
    let p = Paragraph::new().line_spacing(
        LineSpacing::new()
            .line_rule(LineSpacingType::Auto)
            .line(240)
            .before(0)
            .after(0),
    );
    let p = if odd {
        p.align(AlignmentType::Right)
            .indent(Some(0), None, Some(one_char), None)
    } else {
        p.align(AlignmentType::Left)
            .indent(Some(one_char), None, None, None)
    };
    Footer::new().add_paragraph(
        p.add_run(rp(Run::new().add_text("— ")))
            .add_run(rp(Run::new().add_field_char(FieldCharType::Begin, false)))
            .add_run(rp(
                Run::new().add_instr_text(InstrText::PAGE(InstrPAGE::new()))
            ))
            .add_run(rp(Run::new().add_field_char(FieldCharType::Separate, false)))
            .add_run(rp(Run::new().add_text("1")))
            .add_run(rp(Run::new().add_field_char(FieldCharType::End, false)))
            .add_run(rp(Run::new().add_text(" —"))),
    )
}

/// The signature (agency) and the date: 右空二字, the date's first character
/// two characters right of the signature's (GB/T 9704 7.3.5.2).
fn signature(agency: &str, date: &str) -> [Paragraph; 3] {
    let sig_w = text_width(agency, CHAR_TWIPS as u32) as i32;
    let date_w = text_width(date, CHAR_TWIPS as u32) as i32;
    let two = 2 * CHAR_TWIPS;
    let (mut sig_right, mut date_right) = (two, sig_w - date_w);
    if date_right < two {
        date_right = two;
        sig_right = date_right + date_w + two - sig_w;
    }
    let line = |text: &str, right: i32| {
        Paragraph::new()
            .align(AlignmentType::Right)
            .indent(Some(0), None, Some(right), None)
            .line_spacing(exact_spacing())
            .add_run(run(text, BODY_FONT, BODY_SIZE))
    };
    [
        blank_line(),
        line(agency, sig_right),
        line(date, date_right),
    ]
}

/// The page, the styles and the footers: the document without its body.
fn skeleton() -> Docx {
    let mut docx = Docx::new()
        .page_size(PAGE_SIZE.0, PAGE_SIZE.1)
        .page_margin(
            PageMargin::new()
                .top(MARGINS.top)
                .bottom(MARGINS.bottom)
                .left(MARGINS.left)
                .right(MARGINS.right)
                .header(MARGINS.header)
                .footer(MARGINS.footer)
                .gutter(0),
        )
        .default_fonts(fonts(BODY_FONT))
        .default_size(BODY_SIZE)
        .add_style(table_style())
        .footer(footer(true))
        .even_footer(footer(false));
    docx.document = docx.document.doc_grid(
        DocGrid::new()
            .grid_type(DocGridType::Lines)
            .line_pitch(LINE_TWIPS as usize),
    );
    docx
}

/// Sections 二、三、四: each heading and its table. `value(table, row, col)`
/// gives the text of a number cell (`table` counts from 0 in document order).
fn add_tables(mut docx: Docx, mut value: impl FnMut(usize, usize, usize) -> String) -> Docx {
    for (i, t) in tables::all().into_iter().enumerate() {
        docx = docx
            .add_paragraph(heading(t.heading))
            .add_table(table(t, |row, col| value(i, row, col)));
    }
    docx
}

/// The text of the number cell `(row, col)` of table `t` (its grid in `figures`).
fn cell_value(figures: &Figures, t: &tables::Table, row: usize, col: usize) -> String {
    figures
        .grid(t.id)
        .value(row, col)
        .map(|v| v.to_string())
        .unwrap_or_else(|| "0".into())
}

/// What [`build_body`] puts where sections 二、三、四 go.
#[derive(Clone, Copy)]
enum TablesAs<'r> {
    /// The headings and tables with the numbers of the report.
    Values(&'r Report),
    /// One empty paragraph of style [`MARKER_STYLE`], for the cached tables.
    Marker,
}

/// The paragraph style naming the place of the cached tables (never written).
const MARKER_STYLE: &str = "NianbaoTables";

fn marker() -> Paragraph {
    Paragraph::new().style(MARKER_STYLE)
}

/// Builds the document with docx-rs (before the canonicalizing pass).
pub fn build(report: &Report, blocks: &Blocks) -> Docx {
    build_body(report, blocks, TablesAs::Values(report))
}

fn build_body(report: &Report, blocks: &Blocks, tables_as: TablesAs) -> Docx {
    let mut docx = skeleton();
    let mut body: Vec<Paragraph> = vec![title(report), blank_line()];
    for (section, heading_text) in outline::SECTION_HEADINGS.iter().enumerate() {
        if section == outline::FIRST_TABLE_SECTION {
            // 二、三、四: the tables, each under its own heading.
            for p in body.drain(..) {
                docx = docx.add_paragraph(p);
            }
            docx = match tables_as {
                TablesAs::Values(r) => {
                    let figures = Figures::new(r);
                    add_tables(docx, |i, row, col| {
                        cell_value(&figures, tables::all()[i], row, col)
                    })
                }
                TablesAs::Marker => docx.add_paragraph(marker()),
            };
        }
        if outline::is_table_section(section) {
            continue;
        }
        body.push(heading(heading_text));
        // The blocks of the section; those with a run-in head are numbered （一）（二）….
        let mut numbered = 0;
        for name in outline::templates_of(section) {
            let head = outline::head(&report.headings, name).map(|head| {
                numbered += 1;
                super::numbered_head(numbered, head)
            });
            body.extend(run_in(head, blocks.get(name)));
        }
    }
    if let Some(date) = report.report.issued_on {
        body.extend(signature(&report.report.agency, &date.to_chinese()));
    }
    for p in body {
        docx = docx.add_paragraph(p);
    }
    docx
}

/// The fonts of the report for `word/fontTable.xml`: the official names
/// with the names Windows ships (仿宋, 楷体, SimHei, SimSun) as alternatives.
pub const FONTS: [FontEntry; 6] = [
    FontEntry {
        name: LATIN_FONT,
        alt_name: None,
        charset: "00",
        family: "roman",
        pitch: "variable",
    },
    FontEntry {
        name: BODY_FONT,
        alt_name: Some("仿宋"),
        charset: "86",
        family: "modern",
        pitch: "fixed",
    },
    FontEntry {
        name: RUN_IN_FONT,
        alt_name: Some("楷体"),
        charset: "86",
        family: "modern",
        pitch: "fixed",
    },
    FontEntry {
        name: HEADING_FONT,
        alt_name: Some("SimHei"),
        charset: "86",
        family: "modern",
        pitch: "fixed",
    },
    FontEntry {
        name: TITLE_FONT,
        alt_name: Some("宋体"),
        charset: "86",
        family: "auto",
        pitch: "variable",
    },
    FontEntry {
        name: PAGE_NUMBER_FONT,
        alt_name: Some("SimSun"),
        charset: "86",
        family: "auto",
        pitch: "variable",
    },
];

/// Parts docx-rs writes that the report does not use (all empty).
const OMITTED_PARTS: [&str; 5] = [
    "comments.xml",
    "commentsExtended.xml",
    "numbering.xml",
    "footnotes.xml",
    "custom.xml",
];

/// The header rows each table repeats, in document order.
fn header_rows() -> Vec<usize> {
    tables::all().iter().map(|t| t.header_rows).collect()
}

/// The fixes of `word/document.xml` and the footers.
fn document_fixes() -> Fixes {
    Fixes {
        header_rows: header_rows(),
        first_line_chars: vec![(i64::from(2 * CHAR_TWIPS), 200)],
        omit_parts: Vec::new(),
    }
}

/// `docProps/core.xml` of the report.
fn core(report: &Report) -> Result<Vec<u8>, OoxmlError> {
    let created = report
        .report
        .issued_on
        .map(|d| d.to_iso_datetime())
        .unwrap_or_else(|| format!("{}-12-31T00:00:00Z", report.report.year));
    ooxml::core_xml(&CoreProperties {
        title: report.title(),
        author: report.report.agency.clone(),
        created,
    })
}

const DOCUMENT_PART: &str = "word/document.xml";
const CORE_PART: &str = "docProps/core.xml";

/// The package parts in order: every part of `x` but `word/document.xml`
/// canonicalized, with `document` and `core` as they are given.
fn package_parts(
    x: &docx_rs::XMLDocx,
    document: Vec<u8>,
    core: Vec<u8>,
) -> Result<Vec<(String, Vec<u8>)>, OoxmlError> {
    let fixes = document_fixes();
    // docx-rs always writes empty comments, numbering, footnotes and custom
    // properties: we leave them out of the package, with their references.
    let package = Fixes {
        omit_parts: OMITTED_PARTS.to_vec(),
        ..Fixes::default()
    };
    let plain = Fixes::default();
    let c = |bytes: &[u8], part: &str, fixes: &Fixes| ooxml::canonicalize(bytes, part, fixes);
    let mut parts: Vec<(String, Vec<u8>)> = vec![
        (
            "[Content_Types].xml".into(),
            c(&x.content_type, "[Content_Types].xml", &package)?,
        ),
        ("_rels/.rels".into(), c(&x.rels, "_rels/.rels", &package)?),
        (
            "docProps/app.xml".into(),
            c(&x.doc_props.app, "docProps/app.xml", &plain)?,
        ),
        (CORE_PART.into(), core),
        (
            "word/_rels/document.xml.rels".into(),
            c(&x.document_rels, "word/_rels/document.xml.rels", &package)?,
        ),
        (DOCUMENT_PART.into(), document),
        (
            "word/styles.xml".into(),
            c(&x.styles, "word/styles.xml", &plain)?,
        ),
        (
            "word/settings.xml".into(),
            c(&x.settings, "word/settings.xml", &plain)?,
        ),
        // docx-rs's font table is fixed (Times New Roman, Symbol, Arial): ours
        // lists the fonts the report uses, with their fallbacks.
        ("word/fontTable.xml".into(), ooxml::font_table_xml(&FONTS)?),
    ];
    for (i, h) in x.headers.iter().enumerate() {
        let name = format!("word/header{}.xml", i + 1);
        parts.push((name.clone(), c(h, &name, &plain)?));
        if let Some(rels) = x.header_rels.get(i) {
            let name = format!("word/_rels/header{}.xml.rels", i + 1);
            parts.push((name.clone(), c(rels, &name, &plain)?));
        }
    }
    for (i, f) in x.footers.iter().enumerate() {
        let name = format!("word/footer{}.xml", i + 1);
        parts.push((name.clone(), c(f, &name, &fixes)?));
        if let Some(rels) = x.footer_rels.get(i) {
            let name = format!("word/_rels/footer{}.xml.rels", i + 1);
            parts.push((name.clone(), c(rels, &name, &plain)?));
        }
    }
    Ok(parts)
}

/// Runs `docx.build()`, the canonicalizing pass over every part and the packer.
fn finish(docx: Docx, report: &Report) -> Result<Vec<u8>, DocxError> {
    let x = docx.build();
    let document = ooxml::canonicalize(&x.document, DOCUMENT_PART, &document_fixes())?;
    let parts = package_parts(&x, document, core(report)?)?;
    Ok(ooxml::pack(&parts)?)
}

/// The same bytes as [`document_bytes_with`], without the per-process cache:
/// docx-rs builds the whole document and every part is canonicalized. The
/// reference the cached path is tested against.
#[cfg(test)]
pub fn document_bytes_uncached(report: &Report, engine: &TextEngine) -> Result<Vec<u8>, DocxError> {
    let blocks = engine.render_all(report)?;
    finish(build(report, &blocks), report)
}

/// What does not change from one report to the next, built by docx-rs and
/// canonicalized once per process.
struct Cache {
    /// The canonical XML of sections 二、三、四 (headings and tables), cut at
    /// each number cell: one segment more than [`Cache::slots`].
    segments: Vec<Vec<u8>>,
    /// `(table, row, col)` of each number cell, in document order.
    slots: Vec<(usize, usize, usize)>,
    /// The marker paragraph as the canonicalizer writes it.
    marker: Vec<u8>,
    /// The package parts, canonicalized, with `word/document.xml` and
    /// `docProps/core.xml` left empty.
    parts: Vec<(String, Vec<u8>)>,
}

/// Placeholder of number cell `k` in the cached tables: private-use
/// characters, written through unchanged by docx-rs and the canonicalizer.
const SLOT_OPEN: char = '\u{E000}';
const SLOT_CLOSE: char = '\u{E001}';

/// The children of `w:body` before its `w:sectPr`, in a canonical document.xml.
fn body_content(doc: &[u8]) -> Option<&[u8]> {
    let open = b"<w:body>";
    let start = memchr::memmem::find(doc, open)? + open.len();
    let end = memchr::memmem::rfind(doc, b"<w:sectPr")?;
    doc.get(start..end)
}

impl Cache {
    fn build() -> Result<Cache, DocxError> {
        let fixes = document_fixes();
        // The tables with a placeholder in each number cell.
        let mut slots = Vec::new();
        let docx = add_tables(skeleton(), |i, row, col| {
            slots.push((i, row, col));
            format!("{SLOT_OPEN}{}{SLOT_CLOSE}", slots.len() - 1)
        });
        let doc = ooxml::canonicalize(&docx.build().document, DOCUMENT_PART, &fixes)?;
        let block = body_content(&doc).ok_or_else(|| cache_error("no body"))?;
        let block = std::str::from_utf8(block).map_err(|e| cache_error(&e.to_string()))?;
        let mut segments = Vec::with_capacity(slots.len() + 1);
        let mut rest = block;
        for k in 0..slots.len() {
            let placeholder = format!("{SLOT_OPEN}{k}{SLOT_CLOSE}");
            let at = rest
                .find(&placeholder)
                .ok_or_else(|| cache_error("placeholder missing"))?;
            segments.push(rest.as_bytes()[..at].to_vec());
            rest = &rest[at + placeholder.len()..];
        }
        if rest.contains(SLOT_OPEN) {
            return Err(cache_error("placeholder out of order").into());
        }
        segments.push(rest.as_bytes().to_vec());
        // The marker paragraph and the parts besides document.xml.
        let x = skeleton().add_paragraph(marker()).build();
        let doc = ooxml::canonicalize(&x.document, DOCUMENT_PART, &fixes)?;
        let marker = body_content(&doc)
            .ok_or_else(|| cache_error("no body"))?
            .to_vec();
        let parts = package_parts(&x, Vec::new(), Vec::new())?;
        Ok(Cache {
            segments,
            slots,
            marker,
            parts,
        })
    }

    /// The process's cache; `None` if it could not be built (then every
    /// document takes the uncached path, which reports the error).
    fn get() -> Option<&'static Cache> {
        static CACHE: LazyLock<Option<Cache>> = LazyLock::new(|| Cache::build().ok());
        CACHE.as_ref()
    }

    /// The document through the cache, or `None` where the cache does not
    /// apply (a number that is not plain digits).
    fn document_bytes(
        &self,
        report: &Report,
        blocks: &Blocks,
    ) -> Result<Option<Vec<u8>>, DocxError> {
        let all = tables::all();
        let figures = Figures::new(report);
        let mut values = Vec::with_capacity(self.slots.len());
        for &(i, row, col) in &self.slots {
            let v = cell_value(&figures, all[i], row, col);
            // Written as they are: only text no writer escapes.
            let plain = !v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
            if !plain {
                return Ok(None);
            }
            values.push(v);
        }
        let x = build_body(report, blocks, TablesAs::Marker).build();
        let doc = ooxml::canonicalize(&x.document, DOCUMENT_PART, &document_fixes())?;
        let Some(at) = memchr::memmem::find(&doc, &self.marker) else {
            return Ok(None);
        };
        let size = doc.len() + self.segments.iter().map(Vec::len).sum::<usize>() + 8 * values.len();
        let mut document = Vec::with_capacity(size);
        document.extend_from_slice(&doc[..at]);
        for (segment, value) in self.segments.iter().zip(&values) {
            document.extend_from_slice(segment);
            document.extend_from_slice(value.as_bytes());
        }
        document.extend_from_slice(self.segments.last().map_or(&[][..], Vec::as_slice));
        document.extend_from_slice(&doc[at + self.marker.len()..]);
        let core = core(report)?;
        let parts: Vec<(&str, &[u8])> = self
            .parts
            .iter()
            .map(|(name, bytes)| {
                let bytes = match name.as_str() {
                    DOCUMENT_PART => &document[..],
                    CORE_PART => &core[..],
                    _ => &bytes[..],
                };
                (name.as_str(), bytes)
            })
            .collect();
        Ok(Some(ooxml::pack(&parts)?))
    }
}

fn cache_error(message: &str) -> OoxmlError {
    OoxmlError::Xml {
        part: DOCUMENT_PART.into(),
        message: format!("内部错误：表格缓存：{message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cache builds, and the sample goes through it (not the fallback).
    #[test]
    fn the_sample_takes_the_cached_path() {
        let cache = Cache::get().expect("the cache builds");
        assert_eq!(cache.segments.len(), cache.slots.len() + 1);
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/butaji-2024.toml");
        let report = crate::read::load(&path).unwrap();
        let blocks = TextEngine::embedded().render_all(&report).unwrap();
        let cached = cache.document_bytes(&report, &blocks).unwrap();
        let cached = cached.expect("the cache applies to the sample");
        let full = finish(build(&report, &blocks), &report).unwrap();
        assert!(cached == full);
    }

    fn sample() -> Report {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/butaji-2024.toml");
        crate::read::load(&path).unwrap()
    }

    fn report(extra: &str) -> Report {
        Report::from_toml_str(
            &format!("[report]\nagency = \"某县统计局\"\nyear = 2024\n{extra}"),
            "test.toml",
        )
        .unwrap()
    }

    fn document_xml(bytes: &[u8]) -> String {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name("word/document.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        xml
    }

    /// The cached path (tables and static parts built and canonicalized once
    /// per process) gives the very bytes of the uncached full build.
    fn same(report: &Report, what: &str) {
        let cached = document_bytes(report).unwrap();
        let full = document_bytes_uncached(report, TextEngine::embedded()).unwrap();
        assert!(
            cached == full,
            "{what}: cached and uncached bytes differ ({} vs {} bytes)",
            cached.len(),
            full.len()
        );
    }

    #[test]
    fn cached_equals_uncached_for_the_inputs() {
        for name in [
            "butaji-2024.toml",
            "moushi-zhengfuban-2024.toml",
            "mouxian-ziranziyuan-2024.toml",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("inputs")
                .join(name);
            same(&crate::read::load(&path).unwrap(), name);
        }
    }

    #[test]
    fn cached_equals_uncached_for_small_and_odd_reports() {
        let cases = [
            ("empty", ""),
            ("signed", "issued_on = \"2025-01-20\"\n"),
            (
                "special characters",
                "[text]\noverview = \"A&B <c> \\\"q\\\" 'a' & {{agency}}\"\n",
            ),
            (
                "marker-like text",
                "[text]\noverview = \"NianbaoTables <w:p><w:pPr><w:pStyle w:val=\\\"NianbaoTables\\\"/></w:pPr></w:p> \u{E000}0\u{E001}\"\n",
            ),
        ];
        for (what, extra) in cases {
            same(&report(extra), what);
        }
    }

    /// Every number cell of the tables a different value, so that a value put
    /// into the wrong cell cannot go unnoticed.
    #[test]
    fn cached_equals_uncached_with_every_number_different() {
        for round in 0..3u32 {
            let mut r = sample();
            let mut n = 1000 * round;
            for t in tables::all() {
                for c in &t.cells {
                    if let Content::Input(i) = &c.content
                        && let Some(v) = i.field.count_mut(&mut r)
                    {
                        n += 7;
                        *v = n;
                    }
                }
            }
            same(&r, &format!("round {round}"));
            let xml = document_xml(&document_bytes(&r).unwrap());
            assert!(xml.contains(&format!(">{}<", 1000 * round + 7)));
            assert!(xml.contains(&format!(">{n}<")));
        }
    }

    #[test]
    fn cached_equals_uncached_with_other_templates() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("overview.hbs"),
            "我们的概述：{{agency}}。\n",
        )
        .unwrap();
        let engine = TextEngine::from_dir(dir.path()).unwrap();
        let report = sample();
        let cached = document_bytes_with(&report, &engine).unwrap();
        let full = document_bytes_uncached(&report, &engine).unwrap();
        assert!(cached == full, "cached and uncached bytes differ");
    }

    #[test]
    fn title_breaks_into_lines() {
        assert_eq!(
            title_lines("潢川县卜塔集镇人民政府", "2024年政府信息公开工作年度报告").len(),
            2
        );
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of this private module, run as unit tests.

    #[test]
    fn module_example() {
        let report = crate::model::Report::from_toml_str(
            "[report]\nagency = \"某县统计局\"\nyear = 2024\n",
            "x.toml",
        )
        .unwrap();
        let bytes = crate::render::docx::document_bytes(&report).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        assert_eq!(bytes, crate::render::docx::document_bytes(&report).unwrap());
    }

    #[test]
    fn title_lines() {
        use crate::render::docx::title_lines;
        assert_eq!(
            title_lines("潢川县卜塔集镇人民政府", "2024年政府信息公开工作年度报告"),
            vec!["潢川县卜塔集镇人民政府", "2024年政府信息公开工作年度报告"]
        );
        assert_eq!(
            title_lines("某县统计局", "2024年政府信息公开工作年度报告"),
            vec!["某县统计局2024年政府信息公开工作年度报告"]
        );
        // A name longer than a line breaks after an administrative unit.
        assert_eq!(
            title_lines(
                "新疆维吾尔自治区巴音郭楞蒙古自治州和静县巴润哈尔莫敦镇人民政府",
                "2024年政府信息公开工作年度报告"
            ),
            vec![
                "新疆维吾尔自治区巴音郭楞蒙古自治州和静县",
                "巴润哈尔莫敦镇人民政府",
                "2024年政府信息公开工作年度报告"
            ]
        );
    }
}
