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

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::model::Report;
use crate::render::ooxml::{self, CoreProperties, Fixes, FontEntry, OoxmlError};
use crate::render::package::{self, Deflated, PackageError, Part};
use crate::spec::grid::Figures;
use crate::spec::outline;
use crate::spec::tables::{self, Align, Content};
use crate::spec::words::{han_words, is_han};
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
/// Characters of 三号 a body line holds (GB/T 9704: 22 lines of 28).
pub const CHARS_PER_LINE: u32 = 28;
/// The character spacing of the body (`w:spacing`, in 1/20 pt): −0.3 pt,
/// so that 28 characters of 16 pt fit the 版心 (28 × 15.7 pt = 439.6 pt of
/// 442.2) and 29 do not (455.3 pt); see [`normal_style`].
pub const BODY_CHAR_SPACING: i32 = -6;
/// `w:docGrid/@w:charSpace`: what the character grid adds to the pitch of
/// the Normal font (16 pt), in 1/4096 pt. 28 characters of 16 pt are 448 pt,
/// more than the 442.2 pt of the 版心, so the pitch is 442.2 / 28 =
/// 15.7929 pt: (15.7929 − 16) × 4096 = −848.6, rounded down so that the 28th
/// character still fits (28 × (16 − 849/4096) = 442.196 pt).
pub const CHAR_SPACE: isize = {
    let sixteen_pt = (BODY_SIZE as i64 / 2) * 4096; // 16 pt in 1/4096 pt
    let pitch = (TEXT_WIDTH as i64 * 4096) / (20 * CHARS_PER_LINE as i64); // floor
    (pitch - sixteen_pt) as isize
};

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

/// The title paragraph: its lines, the second and third after a line break.
fn title(lines: &[String]) -> Paragraph {
    // 二号 characters keep their own width.
    let mut p = Paragraph::new()
        .align(AlignmentType::Center)
        .line_spacing(exact_spacing());
    for (i, line) in lines.iter().enumerate() {
        let mut r = run(line, TITLE_FONT, TITLE_SIZE);
        if i > 0 {
            r = Run::new()
                .fonts(fonts(TITLE_FONT))
                .size(TITLE_SIZE)
                .add_break(BreakType::TextWrapping)
                .add_text(line.as_str());
        }
        p = p.add_run(r.character_spacing(0));
    }
    p
}

fn heading(text: &str) -> Paragraph {
    body_paragraph()
        .keep_next(true)
        .add_run(run(text, HEADING_FONT, BODY_SIZE))
}

/// The Normal style: the body's font and size (also in the document
/// defaults; Word and LibreOffice measure `w:charSpace` from the Normal
/// style's size), −0.3 pt character spacing, and off the character grid.
///
/// The section declares the 22 × 28 grid of GB/T 9704 (Word's 页面设置 shows
/// 每行 28 字、每页 22 行), but no paragraph snaps to it: LibreOffice gives a
/// 16-pt character two cells of a 15.79-pt grid (14 characters a line),
/// whereas 16 pt less 0.3 pt of spacing makes 28 a line in Word and
/// LibreOffice alike; lines are exactly 579 twips apart without the grid.
fn normal_style() -> Style {
    let mut style = Style::new("Normal", StyleType::Paragraph)
        .name("Normal")
        .snap_to_grid(false)
        .fonts(fonts(BODY_FONT))
        .size(BODY_SIZE);
    style.run_property = style.run_property.character_spacing(BODY_CHAR_SPACING);
    style
}

/// The paragraph style of every table cell: 仿宋_GB2312 五号, centred,
/// single line spacing, not snapped to the 579-twip line grid. Written once
/// in `styles.xml` instead of on each of the ~380 cells.
pub const TABLE_STYLE: &str = "TableText";

fn table_style() -> Style {
    let mut style = Style::new(TABLE_STYLE, StyleType::Paragraph)
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
        .size(TABLE_SIZE);
    // Tables are off the grid: their text keeps its natural spacing.
    style.run_property = style.run_property.character_spacing(0);
    style
}

/// One character of 五号 (10.5 pt) in twips; a digit or a Latin letter is half.
pub const TABLE_CHAR_TWIPS: u32 = 210;
/// Left and right margin of a label cell, in twips (1 mm): text never
/// touches the borders.
pub const LABEL_MARGIN: u32 = 57;
/// Left and right margin of a number cell (the table's default), in twips:
/// numbers are centred, so they keep clear of the borders anyway, and a
/// seven-digit count still fits the 811-twip columns of table 三.
pub const NUMBER_MARGIN: u32 = 28;

/// The words of a short label: a leading ordinal (`三、`, `（三）`) and then
/// the words of [`han_words`] (本年度/办理/结果, 社会/公益/组织). `None` when the label holds anything
/// but Chinese characters after its ordinal: such a label wraps where the
/// renderer wraps it.
fn label_words(label: &str) -> Option<Vec<&str>> {
    let mut rest = label;
    let mut words = Vec::new();
    let ordinal_end = if let Some(inner) = label.strip_prefix('（') {
        inner
            .find('）')
            .map(|i| '（'.len_utf8() + i + '）'.len_utf8())
    } else {
        label.find('、').map(|i| i + '、'.len_utf8())
    };
    if let Some(end) = ordinal_end {
        let (ordinal, tail) = label.split_at(end);
        let inner = ordinal
            .trim_start_matches('（')
            .trim_end_matches(['）', '、']);
        if !inner.is_empty() && inner.chars().all(|c| "一二三四五六七八九十".contains(c))
        {
            words.push(ordinal);
            rest = tail;
        }
    }
    if rest.is_empty() || !rest.chars().all(is_han) {
        return None;
    }
    words.extend(han_words(rest));
    Some(words)
}

/// Marks that never open a line, and marks that never close one (Chinese
/// line breaking, as Word and LibreOffice apply it).
const NO_LINE_START: &str = "、，。：；！？）”》";
const NO_LINE_END: &str = "（“《";

/// The pieces a long label may break between: single characters, except
/// that a closing mark stays with the character before it, an opening mark
/// with the one after, and Latin letters and digits (`2.`) stay together.
fn label_pieces(label: &str) -> Vec<&str> {
    let mut pieces: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    for (i, c) in label.char_indices() {
        let glued = prev.is_some_and(|p| {
            NO_LINE_START.contains(c) || NO_LINE_END.contains(p) || (p.is_ascii() && c.is_ascii())
        });
        if i > 0 && !glued {
            pieces.push(&label[start..i]);
            start = i;
        }
        prev = Some(c);
    }
    if start < label.len() {
        pieces.push(&label[start..]);
    }
    pieces
}

/// The lines a renderer makes of `pieces` in `room` twips, filling each line.
fn fill(pieces: &[&str], room: u32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for p in pieces {
        if !line.is_empty()
            && text_width(&line, TABLE_CHAR_TWIPS) + text_width(p, TABLE_CHAR_TWIPS) > room
        {
            lines.push(std::mem::take(&mut line));
        }
        line.push_str(p);
    }
    lines.push(line);
    lines
}

/// `pieces` cut into the fewest lines of at most `room` twips and at least
/// two characters each, the longest line as short as it can be; `None` when
/// no such cut exists.
fn balanced(pieces: &[&str], room: u32) -> Option<Vec<String>> {
    let n = pieces.len();
    let width = |from: usize, to: usize| -> u32 {
        pieces[from..to]
            .iter()
            .map(|p| text_width(p, TABLE_CHAR_TWIPS))
            .sum()
    };
    let chars = |from: usize, to: usize| -> usize {
        pieces[from..to].iter().map(|p| p.chars().count()).sum()
    };
    let fits = |from: usize, to: usize| width(from, to) <= room && chars(from, to) >= 2;
    // best[k][i]: the longest line of the best cut of the first i pieces
    // into k lines, with where its last line starts.
    let mut best: Vec<Vec<Option<(u32, usize)>>> = vec![vec![None; n + 1]];
    best[0][0] = Some((0, 0));
    for k in 1..=n {
        let mut row = vec![None; n + 1];
        for (i, slot) in row.iter_mut().enumerate().skip(1) {
            for (j, prev) in best[k - 1].iter().enumerate().take(i) {
                let Some((longest, _)) = *prev else {
                    continue;
                };
                if !fits(j, i) {
                    continue;
                }
                let m = longest.max(width(j, i));
                // On a tie the later start: the lines above are filled first.
                if slot.is_none_or(|(b, _)| m <= b) {
                    *slot = Some((m, j));
                }
            }
        }
        let done = row[n].is_some();
        best.push(row);
        if done {
            let mut lines = Vec::with_capacity(k);
            let (mut i, mut line) = (n, k);
            while line > 0 {
                let (_, j) = best[line][i]?;
                lines.push(pieces[j..i].concat());
                i = j;
                line -= 1;
            }
            lines.reverse();
            return Some(lines);
        }
    }
    None
}

/// The lines of a label in a cell `room` twips wide (inside its margins),
/// so that no character is left alone on a line:
/// - one line when it fits;
/// - a short label ([`label_words`]) breaks between its words, into as few
///   lines as it needs, as even as they can be (三、/本年度/办理/结果);
/// - a longer one is left to the renderer's wrapping, unless that leaves a
///   character alone: then it is cut into even lines.
pub fn label_lines(label: &str, room: u32) -> Vec<String> {
    broken_lines(label, room, false)
}

/// [`label_lines`] with every line break explicit, also where the
/// renderer's own wrapping would do: for a workbook cell, whose width each
/// spreadsheet program measures its own way (lines cut for the narrowest,
/// Excel's, never wrap again in a wider one). `room` is in the twips of
/// [`TABLE_CHAR_TWIPS`] characters (a CJK character 210, a Latin one 105).
pub(crate) fn explicit_lines(label: &str, room: u32) -> Vec<String> {
    broken_lines(label, room, true)
}

fn broken_lines(label: &str, room: u32, explicit: bool) -> Vec<String> {
    if text_width(label, TABLE_CHAR_TWIPS) <= room {
        return vec![label.to_string()];
    }
    if let Some(words) = label_words(label)
        && let Some(lines) = balanced(&words, room)
    {
        return lines;
    }
    let pieces = label_pieces(label);
    let natural = fill(&pieces, room);
    let whole = |natural: Vec<String>| {
        if explicit {
            natural
        } else {
            vec![label.to_string()]
        }
    };
    if natural.iter().all(|l| l.chars().count() >= 2) {
        return whole(natural);
    }
    balanced(&pieces, room).unwrap_or_else(|| whole(natural))
}

fn cell_paragraph(lines: &[String], align: Align, bold: bool) -> Paragraph {
    let mut p = Paragraph::new().style(TABLE_STYLE);
    if align == Align::Left {
        p = p.align(AlignmentType::Left);
    }
    if lines.iter().all(String::is_empty) {
        return p;
    }
    let mut r = Run::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            r = r.add_break(BreakType::TextWrapping);
        }
        r = r.add_text(line.as_str());
    }
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

/// The longest vertical merge whose rows are kept on one page (table 三's
/// （三）不予公开 has 8).
const MAX_GROUP_ROWS: usize = 8;

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
    // The rows of a merged group (（六）其他处理 and its three rows) keep
    // together, so that no row of it starts a page with empty group cells.
    // A merge longer than a page's worth of rows (三、本年度办理结果, 22) is
    // left to break.
    let mut in_group = vec![false; t.rows];
    for c in t
        .cells
        .iter()
        .filter(|c| (2..=MAX_GROUP_ROWS).contains(&c.row_span))
    {
        for keep in in_group.iter_mut().skip(c.row).take(c.row_span - 1) {
            *keep = true;
        }
    }
    let mut rows = Vec::with_capacity(t.rows);
    for (r, line) in cover.iter().enumerate() {
        let keep = (label_only[r] || in_group[r]) && r + 1 < t.rows;
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
            let is_label = matches!(c.content, Content::Label(_));
            if is_label {
                cell.property = cell
                    .property
                    .margin_left(LABEL_MARGIN as usize, WidthType::Dxa)
                    .margin_right(LABEL_MARGIN as usize, WidthType::Dxa);
            }
            if c.col_span > 1 {
                cell = cell.grid_span(c.col_span);
            }
            if c.row == r {
                let lines = match &c.content {
                    Content::Label(l) => {
                        let room = (width(c) as u32).saturating_sub(2 * LABEL_MARGIN);
                        label_lines(l, room)
                    }
                    Content::Input(_) | Content::Total(_) => vec![value(c.row, c.col)],
                };
                if c.row_span > 1 {
                    cell = cell.vertical_merge(VMergeType::Restart);
                }
                cell =
                    cell.add_paragraph(cell_paragraph(&lines, c.align, c.emphasis).keep_next(keep));
            } else {
                cell = cell
                    .vertical_merge(VMergeType::Continue)
                    .add_paragraph(cell_paragraph(&[], c.align, false).keep_next(keep));
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
                .margin_left(NUMBER_MARGIN as usize, WidthType::Dxa)
                .margin_right(NUMBER_MARGIN as usize, WidthType::Dxa),
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
        .character_spacing(0)
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

/// The pitch of a body character on the character grid, in twips: the
/// 版心 holds [`CHARS_PER_LINE`] of them.
const GRID_PITCH: i32 = (TEXT_WIDTH / CHARS_PER_LINE) as i32;

/// Width of a body line of `s` as Word and LibreOffice set it, in twips: a
/// grid pitch a Chinese character, half one a digit or Latin letter, and a
/// quarter of one where Chinese and Latin meet (`w:autoSpaceDE`/`DN`, on by
/// default: 2025年1月20日 has four such joins).
fn set_width(s: &str) -> i32 {
    let joins = s
        .chars()
        .zip(s.chars().skip(1))
        .filter(|(a, b)| a.is_ascii() != b.is_ascii())
        .count() as i32;
    text_width(s, GRID_PITCH as u32) as i32 + joins * GRID_PITCH / 4
}

/// The signature (agency) and the date as GB/T 9704 7.3.5.1 lays them out:
/// the 成文日期 右空四字, the agency name centred over it (the centre of the
/// name on the centre of the date). A name too long to be centred so keeps
/// no right indent.
fn signature_indents(agency: &str, date: &str) -> (i32, i32) {
    let sig_w = set_width(agency);
    let date_w = set_width(date);
    let date_right = 4 * GRID_PITCH;
    let sig_right = (date_right + (date_w - sig_w) / 2).max(0);
    (sig_right, date_right)
}

/// A line of the signature: right-aligned, `right` twips in from the right.
fn signature_line(text: &str, right: i32) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Right)
        .indent(Some(0), None, Some(right), None)
        .line_spacing(exact_spacing())
        .add_run(run(text, BODY_FONT, BODY_SIZE))
}

/// The docx-rs paragraph of one entry of the flow ([`Para::Tables`] is not
/// a paragraph: an empty one stands for it).
fn paragraph(para: &Para) -> Paragraph {
    match para {
        Para::Title(lines) => title(lines),
        Para::Blank => blank_line(),
        Para::Heading(text) => heading(text),
        Para::Body { head, text } => {
            let mut p = body_paragraph();
            if let Some(h) = head {
                p = p.add_run(run(h, RUN_IN_FONT, BODY_SIZE));
            }
            if let Some(t) = text {
                p = p.add_run(run(t, BODY_FONT, BODY_SIZE));
            }
            p
        }
        Para::Tables => Paragraph::new(),
        Para::Signature { text, right } => signature_line(text, *right),
    }
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
        .add_style(normal_style())
        .add_style(table_style())
        .footer(footer(true))
        .even_footer(footer(false));
    docx.document = docx.document.doc_grid(
        DocGrid::new()
            .grid_type(DocGridType::LinesAndChars)
            .line_pitch(LINE_TWIPS as usize)
            .char_space(CHAR_SPACE),
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

/// Builds the document with docx-rs (before the canonicalizing pass).
pub fn build(report: &Report, blocks: &Blocks) -> Docx {
    build_body(report, blocks)
}

/// One paragraph of the document's flow, before any writer sees it: the
/// docx-rs path ([`build_body`]) and the cached path ([`Cache`]) write the
/// same flow, so they cannot disagree on what comes where.
#[derive(Debug, Clone, PartialEq)]
enum Para<'a> {
    /// The title, in the lines of [`title_lines`].
    Title(Vec<String>),
    /// An empty line of the body's size.
    Blank,
    /// A `一、` heading (黑体).
    Heading(&'a str),
    /// A body paragraph: a run-in head (楷体), its text, or both.
    Body {
        head: Option<String>,
        text: Option<&'a str>,
    },
    /// Sections 二、三、四: the headings and tables.
    Tables,
    /// A line of the signature: right-aligned, `right` twips in from the right.
    Signature { text: Cow<'a, str>, right: i32 },
}

/// The document's flow for `report` with its rendered `blocks`.
fn flow<'a>(report: &'a Report, blocks: &'a Blocks) -> Vec<Para<'a>> {
    let rest = format!("{}年政府信息公开工作年度报告", report.report.year);
    let mut out = vec![
        Para::Title(title_lines(&report.report.agency, &rest)),
        Para::Blank,
    ];
    for (section, heading_text) in outline::SECTION_HEADINGS.iter().enumerate() {
        if section == outline::FIRST_TABLE_SECTION {
            out.push(Para::Tables);
        }
        if outline::is_table_section(section) {
            continue;
        }
        out.push(Para::Heading(heading_text));
        // The blocks of the section; those with a run-in head are numbered （一）（二）….
        let mut numbered = 0;
        for name in outline::templates_of(section) {
            let mut head = outline::head(&report.headings, name).map(|head| {
                numbered += 1;
                super::numbered_head(numbered, head)
            });
            let paragraphs = blocks.get(name);
            for text in paragraphs {
                out.push(Para::Body {
                    head: head.take(),
                    text: Some(text),
                });
            }
            if paragraphs.is_empty() && head.is_some() {
                out.push(Para::Body { head, text: None });
            }
        }
    }
    if let Some(date) = &report.report.issued_on {
        let agency = report.report.agency.as_str();
        let date = date.to_chinese();
        let (sig_right, date_right) = signature_indents(agency, &date);
        out.push(Para::Blank);
        out.push(Para::Signature {
            text: Cow::Borrowed(agency),
            right: sig_right,
        });
        out.push(Para::Signature {
            text: Cow::Owned(date),
            right: date_right,
        });
    }
    out
}

/// The document of `report`, every paragraph and table by docx-rs.
fn build_body(report: &Report, blocks: &Blocks) -> Docx {
    // The skeleton is the same for every report: built once, cloned.
    static SKELETON: LazyLock<Docx> = LazyLock::new(skeleton);
    let mut docx = SKELETON.clone();
    for para in flow(report, blocks) {
        docx = match para {
            Para::Tables => {
                let figures = Figures::new(report);
                add_tables(docx, |i, row, col| {
                    cell_value(&figures, tables::all()[i], row, col)
                })
            }
            other => docx.add_paragraph(paragraph(&other)),
        };
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
    /// `word/document.xml` up to the first child of `w:body`, and from the
    /// body's `w:sectPr` to the end.
    document_head: Vec<u8>,
    document_tail: Vec<u8>,
    /// Each kind of paragraph of the flow, cut where its text goes.
    paragraphs: Paragraphs,
    /// The package parts in order: the static ones canonicalized and
    /// deflated once, `None` for `word/document.xml` and `docProps/core.xml`.
    parts: Vec<(String, Option<Deflated>)>,
}

/// Placeholder of number cell `k` in the cached tables: private-use
/// characters, written through unchanged by docx-rs and the canonicalizer.
const SLOT_OPEN: char = '\u{E000}';
const SLOT_CLOSE: char = '\u{E001}';

/// The children of `w:body` before its `w:sectPr`, in a canonical document.xml:
/// their start and end.
fn body_bounds(doc: &[u8]) -> Option<(usize, usize)> {
    let open = b"<w:body>";
    let start = memchr::memmem::find(doc, open)? + open.len();
    let end = memchr::memmem::rfind(doc, b"<w:sectPr")?;
    (start <= end).then_some((start, end))
}

/// The canonical XML of `para` alone, as it stands in a document's body.
fn canonical_paragraph(para: &Para) -> Result<Vec<u8>, DocxError> {
    let doc = skeleton().add_paragraph(paragraph(para)).build().document;
    let doc = ooxml::canonicalize(&doc, DOCUMENT_PART, &document_fixes())?;
    let (start, end) = body_bounds(&doc).ok_or_else(|| cache_error("no body"))?;
    Ok(doc[start..end].to_vec())
}

/// The canonical XML of one kind of paragraph, cut at its placeholders:
/// `pieces[0] value[slots[0]] pieces[1] … pieces[n]`.
struct Template {
    pieces: Vec<Vec<u8>>,
    slots: Vec<usize>,
}

/// Placeholder `k` of a paragraph's text.
fn text_placeholder(k: usize) -> String {
    format!("\u{E002}{k}\u{E003}")
}

/// A right indent no signature has, standing for the signature's own.
const INDENT_PLACEHOLDER: i32 = 8_765_431;

impl Template {
    /// The paragraph `para`, built with `placeholders` for its values, cut at
    /// them (each must occur exactly once).
    fn new(para: &Para, placeholders: &[String]) -> Result<Template, DocxError> {
        let xml = canonical_paragraph(para)?;
        let mut found: Vec<(usize, usize)> = Vec::with_capacity(placeholders.len());
        for (k, ph) in placeholders.iter().enumerate() {
            let mut at = memchr::memmem::find_iter(&xml, ph.as_bytes());
            match (at.next(), at.next()) {
                (Some(i), None) => found.push((i, k)),
                _ => return Err(cache_error("paragraph placeholder").into()),
            }
        }
        found.sort_unstable();
        let mut pieces = Vec::with_capacity(found.len() + 1);
        let mut from = 0;
        for &(i, k) in &found {
            pieces.push(xml[from..i].to_vec());
            from = i + placeholders[k].len();
        }
        pieces.push(xml[from..].to_vec());
        Ok(Template {
            pieces,
            slots: found.into_iter().map(|(_, k)| k).collect(),
        })
    }

    /// Writes the paragraph with `values` (already escaped) in its places.
    fn write(&self, out: &mut Vec<u8>, values: &[&[u8]]) {
        for (piece, &k) in self.pieces.iter().zip(&self.slots) {
            out.extend_from_slice(piece);
            out.extend_from_slice(values[k]);
        }
        if let Some(last) = self.pieces.last() {
            out.extend_from_slice(last);
        }
    }
}

/// The titles of one, two and three lines.
const TITLE_LINES: usize = 3;

/// The paragraphs of the flow as templates.
struct Paragraphs {
    blank: Vec<u8>,
    heading: Template,
    head_and_text: Template,
    text_only: Template,
    head_only: Template,
    signature: Template,
    titles: Vec<Template>,
}

impl Paragraphs {
    fn build() -> Result<Paragraphs, DocxError> {
        let p = |k: usize| text_placeholder(k);
        let body = |head: Option<usize>, text: Option<usize>| {
            let ph: Vec<String> = head.into_iter().chain(text).map(p).collect();
            Template::new(
                &Para::Body {
                    head: head.map(p),
                    text: text.map(|_| ph.last().map_or("", String::as_str)),
                },
                &ph,
            )
        };
        let titles = (1..=TITLE_LINES)
            .map(|n| {
                let ph: Vec<String> = (0..n).map(p).collect();
                Template::new(&Para::Title(ph.clone()), &ph)
            })
            .collect::<Result<_, _>>()?;
        Ok(Paragraphs {
            blank: canonical_paragraph(&Para::Blank)?,
            heading: Template::new(&Para::Heading(&p(0)), &[p(0)])?,
            head_and_text: body(Some(0), Some(1))?,
            text_only: body(None, Some(0))?,
            head_only: body(Some(0), None)?,
            signature: Template::new(
                &Para::Signature {
                    text: Cow::Owned(p(0)),
                    right: INDENT_PLACEHOLDER,
                },
                &[p(0), INDENT_PLACEHOLDER.to_string()],
            )?,
            titles,
        })
    }
}

/// `text` as docx-rs writes it into a `w:t` (the cached path must give the
/// bytes of the uncached one), or `None` where only the uncached path
/// decides: empty text, or a character XML forbids (it reports the error).
fn escaped(text: &str) -> Option<Cow<'_, str>> {
    if text.is_empty() || crate::model::forbidden_char(text).is_some() {
        return None;
    }
    let special = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'' | '\n' | '\r');
    if !text.contains(special) {
        return Some(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => {}
            c => out.push(c),
        }
    }
    Some(Cow::Owned(out))
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
        let (start, end) = body_bounds(&doc).ok_or_else(|| cache_error("no body"))?;
        let block =
            std::str::from_utf8(&doc[start..end]).map_err(|e| cache_error(&e.to_string()))?;
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
        // The document around its body, and the parts besides document.xml.
        let x = skeleton().build();
        let doc = ooxml::canonicalize(&x.document, DOCUMENT_PART, &fixes)?;
        let (start, end) = body_bounds(&doc).ok_or_else(|| cache_error("no body"))?;
        let parts = package_parts(&x, Vec::new(), Vec::new())?
            .into_iter()
            .map(|(name, bytes)| {
                let deflated = match name.as_str() {
                    DOCUMENT_PART | CORE_PART => None,
                    _ => Some(Deflated::new(&name, &bytes)?),
                };
                Ok((name, deflated))
            })
            .collect::<Result<_, PackageError>>()
            .map_err(OoxmlError::from)?;
        Ok(Cache {
            segments,
            slots,
            document_head: doc[..start].to_vec(),
            document_tail: doc[end..].to_vec(),
            paragraphs: Paragraphs::build()?,
            parts,
        })
    }

    /// The process's cache; `None` if it could not be built (then every
    /// document takes the uncached path, which reports the error).
    fn get() -> Option<&'static Cache> {
        static CACHE: LazyLock<Option<Cache>> = LazyLock::new(|| Cache::build().ok());
        CACHE.as_ref()
    }

    /// Writes the body paragraph `para` (not [`Para::Tables`]); `false` where
    /// the cache does not apply.
    fn write_paragraph(&self, para: &Para, out: &mut Vec<u8>) -> bool {
        let t = &self.paragraphs;
        let one = |template: &Template, text: &str, out: &mut Vec<u8>| match escaped(text) {
            Some(e) => {
                template.write(out, &[e.as_bytes()]);
                true
            }
            None => false,
        };
        match para {
            Para::Blank => {
                out.extend_from_slice(&t.blank);
                true
            }
            Para::Heading(text) => one(&t.heading, text, out),
            Para::Body {
                head: Some(h),
                text: Some(x),
            } => match (escaped(h), escaped(x)) {
                (Some(h), Some(x)) => {
                    t.head_and_text.write(out, &[h.as_bytes(), x.as_bytes()]);
                    true
                }
                _ => false,
            },
            Para::Body {
                head: None,
                text: Some(x),
            } => one(&t.text_only, x, out),
            Para::Body {
                head: Some(h),
                text: None,
            } => one(&t.head_only, h, out),
            Para::Body {
                head: None,
                text: None,
            }
            | Para::Tables => false,
            Para::Signature { text, right } => match escaped(text) {
                Some(e) => {
                    let right = right.to_string();
                    t.signature.write(out, &[e.as_bytes(), right.as_bytes()]);
                    true
                }
                None => false,
            },
            Para::Title(lines) => {
                let Some(template) = lines.len().checked_sub(1).and_then(|i| t.titles.get(i))
                else {
                    return false;
                };
                let lines: Option<Vec<Cow<str>>> = lines.iter().map(|l| escaped(l)).collect();
                let Some(lines) = lines else {
                    return false;
                };
                let values: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
                template.write(out, &values);
                true
            }
        }
    }

    /// The document through the cache, or `None` where the cache does not
    /// apply (a number that is not plain digits, a text only the uncached
    /// path may judge).
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
        let flow = flow(report, blocks);
        let text: usize = blocks
            .iter()
            .map(|(_, p)| p.iter().map(String::len).sum::<usize>())
            .sum();
        let size = self.document_head.len()
            + self.document_tail.len()
            + self.segments.iter().map(Vec::len).sum::<usize>()
            + 8 * values.len()
            + flow.len() * 700
            + text;
        let mut document = Vec::with_capacity(size);
        document.extend_from_slice(&self.document_head);
        for para in &flow {
            if let Para::Tables = para {
                for (segment, value) in self.segments.iter().zip(&values) {
                    document.extend_from_slice(segment);
                    document.extend_from_slice(value.as_bytes());
                }
                document.extend_from_slice(self.segments.last().map_or(&[][..], Vec::as_slice));
            } else if !self.write_paragraph(para, &mut document) {
                return Ok(None);
            }
        }
        document.extend_from_slice(&self.document_tail);
        let core = core(report)?;
        let parts: Vec<Part> = self
            .parts
            .iter()
            .map(|(name, deflated)| match deflated {
                Some(d) => Part::Ready(d),
                None if name == DOCUMENT_PART => Part::Deflate(name, &document),
                None => Part::Deflate(name, &core),
            })
            .collect();
        Ok(Some(package::pack(&parts).map_err(OoxmlError::from)?))
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
    /// The cache must apply too: a fallback would compare the uncached path
    /// with itself.
    fn same(report: &Report, what: &str) {
        let blocks = TextEngine::embedded().render_all(report).unwrap();
        let cache = Cache::get().expect("the cache builds");
        let cached = cache.document_bytes(report, &blocks).unwrap();
        let cached = cached.unwrap_or_else(|| panic!("{what}: the cache does not apply"));
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

    /// Titles of one, two and three lines, text with line breaks, spaces at
    /// either end and every character docx-rs escapes, a run-in head without
    /// text, signatures of short and long names, every block the clerk's.
    #[test]
    fn cached_equals_uncached_for_every_kind_of_paragraph() {
        let agencies = [
            "某局",
            "潢川县卜塔集镇人民政府",
            "某某自治区某某自治州某某自治县某某街道办事处城关市场监督管理所综合执法大队",
        ];
        for agency in agencies {
            let mut r = sample();
            r.report.agency = agency.to_string();
            r.text.overview =
                Some(" 首行空格，\n第二行 & <标签> \"引号\" '单引号' 末尾空格 ".into());
            same(&r, agency);
        }
        // Every block the clerk's, in several paragraphs; no 成文日期.
        let mut r = sample();
        r.report.issued_on = None;
        let t = &mut r.text;
        for (i, block) in [
            &mut t.overview,
            &mut t.proactive,
            &mut t.on_request,
            &mut t.management,
            &mut t.platforms,
            &mut t.oversight,
            &mut t.problems,
            &mut t.improvements,
            &mut t.other_matters,
        ]
        .into_iter()
        .enumerate()
        {
            *block = Some(format!(
                "第{i}块第一段。\n\n第{i}块第二段 {{{{agency}}}}。\n\n无"
            ));
        }
        same(&r, "every block the clerk's");
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
    fn labels_break_between_words_and_never_leave_a_character_alone() {
        let three = 3 * TABLE_CHAR_TWIPS + 20;
        assert_eq!(
            label_lines("三、本年度办理结果", three),
            ["三、", "本年度", "办理", "结果"]
        );
        assert_eq!(
            label_lines("（六）其他处理", three),
            ["（六）", "其他", "处理"]
        );
        assert_eq!(label_lines("社会公益组织", three), ["社会", "公益", "组织"]);
        assert_eq!(label_lines("自然人", three), ["自然人"]);
        // Four characters wide: two lines, even.
        assert_eq!(
            label_lines("社会公益组织", 4 * TABLE_CHAR_TWIPS),
            ["社会公益", "组织"]
        );
        // A long label the renderer would end with one character.
        let long = "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请";
        let lines = label_lines(long, 7 * TABLE_CHAR_TWIPS + 55);
        assert_eq!(lines.concat(), long);
        assert!(lines.iter().all(|l| l.chars().count() >= 2), "{lines:?}");
        assert_eq!(lines[0], "2.申请人逾期未");
        assert!(!lines.iter().any(|l| l.starts_with('、')), "{lines:?}");
        // One the renderer wraps well is left to it.
        let label = "2.其他法律行政法规禁止公开";
        assert_eq!(label_lines(label, 7 * TABLE_CHAR_TWIPS + 55), [label]);
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
