//! The layout of the statistical workbook's `基本信息` and `校验` sheets,
//! read back from the file: in Excel's character model (a column unit 7 px,
//! a CJK character 14 px, a Latin one 7 px, 4 px of cell padding) no text
//! leaves a character alone on a line, an explicit line break is never
//! wrapped again, every label of `基本信息` holds on one line, and each
//! row is tall enough for its lines.

use std::collections::HashMap;

use calamine::{Data, Reader};
use nianbao::spec::sheets::{CHECK_FIRST_ROW, CHECK_SHEET};
use nianbao::spec::tables::BasicInfo;

use crate::common::parse;
use crate::xlsx_support::{entry_text, open, sample, sheet_part, workbook_bytes};

/// rust_xlsxwriter writes a column of `w` units as `w + 0.7109375`.
const WIDTH_PADDING: f64 = 0.710_937_5;

/// Excel's width of a CJK character, in px; an ASCII one is half.
const CJK_PX: f64 = 14.0;

fn px(c: char) -> f64 {
    if c.is_ascii() { CJK_PX / 2.0 } else { CJK_PX }
}

/// The lines Excel makes of `text` in `room` px.
fn wrap(text: &str, room: f64) -> Vec<String> {
    crate::common::wrap_cjk(text, room, CJK_PX)
}

/// One string cell of a sheet with the room it has and the height of its rows.
#[derive(Debug)]
struct TextCell {
    row: u32,
    col: u32,
    text: String,
    /// Usable width in px (all columns of a merge).
    room: f64,
    /// Height in points of its rows (all rows of a merge).
    height: f64,
}

impl TextCell {
    /// The lines as Excel shows them: explicit breaks, then wrapping.
    fn shown(&self) -> Vec<String> {
        self.text
            .split('\n')
            .flat_map(|l| wrap(l, self.room))
            .collect()
    }
}

/// The elements named `name` (any namespace).
fn elements<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    doc.descendants()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

/// `A1` → (row, col), 0-based.
fn a1(cell: &str) -> (u32, u32) {
    let letters: String = cell.chars().take_while(char::is_ascii_alphabetic).collect();
    let col = letters
        .chars()
        .fold(0u32, |n, c| n * 26 + (c as u32 - 'A' as u32 + 1))
        - 1;
    let row: u32 = cell[letters.len()..].parse().expect("a row number");
    (row - 1, col)
}

/// Every string cell of `sheet` (merge continuations aside).
fn text_cells(bytes: &[u8], sheet: &str) -> Vec<TextCell> {
    let xml = entry_text(bytes, &sheet_part(bytes, sheet));
    let doc = parse(sheet, &xml);
    let mut widths: HashMap<u32, f64> = HashMap::new();
    for col in elements(&doc, "col") {
        let n = |a: &str| -> u32 { col.attribute(a).expect(a).parse().expect("a number") };
        let w: f64 = col
            .attribute("width")
            .expect("width")
            .parse()
            .expect("a width");
        for c in n("min")..=n("max") {
            widths.insert(c - 1, w - WIDTH_PADDING);
        }
    }
    let mut heights: HashMap<u32, f64> = HashMap::new();
    for row in elements(&doc, "row") {
        let r: u32 = row.attribute("r").expect("r").parse().expect("a row");
        let ht = row
            .attribute("ht")
            .map_or(15.0, |h| h.parse().expect("a height"));
        heights.insert(r - 1, ht);
    }
    let merges: Vec<((u32, u32), (u32, u32))> = elements(&doc, "mergeCell")
        .map(|m| {
            let (a, b) = m
                .attribute("ref")
                .expect("ref")
                .split_once(':')
                .expect("a range");
            (a1(a), a1(b))
        })
        .collect();
    let mut wb = open(bytes);
    let range = wb.worksheet_range(sheet).expect("the sheet");
    let mut out = Vec::new();
    for (r, c, value) in range.used_cells() {
        let Data::String(text) = value else { continue };
        let (r, c) = (r as u32, c as u32);
        let ((r1, c1), (r2, c2)) = merges
            .iter()
            .copied()
            .find(|((r1, c1), _)| (*r1, *c1) == (r, c))
            .unwrap_or(((r, c), (r, c)));
        let units: f64 = (c1..=c2)
            .map(|c| widths.get(&c).copied().unwrap_or(8.43))
            .sum();
        let height: f64 = (r1..=r2)
            .map(|r| heights.get(&r).copied().unwrap_or(15.0))
            .sum();
        out.push(TextCell {
            row: r,
            col: c,
            text: text.clone(),
            room: units * 7.0 - 4.0,
            height,
        });
    }
    out
}

/// No line of one character where there are several; an explicit line is
/// never wrapped again; the row holds every line (14.5 pt a line, as the
/// writer sizes rows, at least 13 pt each).
fn assert_no_lone_character(cells: &[TextCell]) {
    assert!(!cells.is_empty());
    for cell in cells {
        let shown = cell.shown();
        if shown.len() > 1 {
            assert!(
                shown.iter().all(|l| l.chars().count() >= 2),
                "({}, {}) {:?} in {} px: {shown:?}",
                cell.row,
                cell.col,
                cell.text,
                cell.room
            );
        }
        if cell.text.contains('\n') {
            for line in cell.text.split('\n') {
                assert_eq!(
                    wrap(line, cell.room).len(),
                    1,
                    "{line:?} in {} px",
                    cell.room
                );
            }
        }
        assert!(
            cell.height >= 13.0 * shown.len() as f64,
            "({}, {}) {} lines in {} pt",
            cell.row,
            cell.col,
            shown.len(),
            cell.height
        );
    }
}

#[test]
fn basic_info_labels_hold_on_one_line() {
    let bytes = workbook_bytes(&sample(), "sample.toml").expect("workbook");
    let cells = text_cells(&bytes, BasicInfo::SHEET);
    assert_no_lone_character(&cells);
    for item in BasicInfo::ALL {
        let label = cells
            .iter()
            .find(|c| c.row as usize == item.sheet_row() && c.col == 0)
            .unwrap_or_else(|| panic!("{} not found", item.label()));
        assert_eq!(label.text, item.label());
        assert_eq!(label.shown(), [item.label()], "{} px", label.room);
    }
    // The longest label needs the column: it is not much wider than that.
    let agency = BasicInfo::Agency.sheet_row() as u32;
    let room = cells
        .iter()
        .find(|c| (c.row, c.col) == (agency, 0))
        .expect("a label")
        .room;
    let longest = BasicInfo::ALL
        .iter()
        .map(|i| i.label().chars().map(px).sum::<f64>())
        .fold(0.0, f64::max);
    assert!(
        room >= longest && room <= longest + 2.0 * 14.0,
        "{room} px for {longest}"
    );
}

#[test]
fn check_sheet_texts_never_leave_a_character_alone() {
    for bytes in [
        workbook_bytes(&sample(), "sample.toml").expect("workbook"),
        nianbao::form_bytes(&sample(), None).expect("form"),
    ] {
        let cells = text_cells(&bytes, CHECK_SHEET);
        assert_no_lone_character(&cells);
        // The long texts are there, and cut into lines.
        let long: Vec<&TextCell> = cells
            .iter()
            .filter(|c| c.row as usize >= CHECK_FIRST_ROW && (c.col == 2 || c.col == 6))
            .collect();
        assert!(long.len() >= 8 + 2, "{long:?}");
        assert!(long.iter().all(|c| c.text.contains('\n')), "{long:?}");
    }
}
