//! The labels and headings against an independent oracle: every label cell of
//! tables 二, 三 and 四 and the six section headings, transcribed by hand from
//! ../shared/FORMAT.md into tests/fixtures/format-labels.txt and
//! tests/fixtures/format-headings.txt. The spec must list exactly these
//! labels at exactly these ranges, and the Word report, the statistical
//! workbook and the fill-in form must show each of them there.

use std::collections::{BTreeMap, BTreeSet};

use calamine::{Data, Reader};
use nianbao::spec::outline::SECTION_HEADINGS;
use nianbao::spec::tables::{self, Content, TITLE_ROWS};

use crate::common::{child, children, descendants, parse, root, text, unzip, wattr};

/// One label cell: table name, range relative to the table (`A6:A27`, `A2`), label.
type Entry = (String, String, String);

/// The lines of a fixture that are not comments or blank.
pub(crate) fn fixture_lines(name: &str) -> Vec<String> {
    let path = root().join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// The label cells of the oracle.
fn oracle() -> BTreeSet<Entry> {
    let mut set = BTreeSet::new();
    for line in fixture_lines("format-labels.txt") {
        let mut parts = line.splitn(3, ' ');
        let (Some(table), Some(range), Some(label)) = (parts.next(), parts.next(), parts.next())
        else {
            panic!("format-labels.txt: not `表X RANGE LABEL`: {line}");
        };
        let entry = (table.to_string(), range.to_string(), label.to_string());
        assert!(set.insert(entry), "format-labels.txt: twice: {line}");
    }
    set
}

/// Column letters of a 0-based column (the tables are at most 15 wide).
fn letters(col: usize) -> String {
    assert!(col < 26, "column {col}");
    char::from(b'A' + col as u8).to_string()
}

/// `A6:A27` for a cell spanning rows 5..27 of column 0; `A2` for one cell.
pub(crate) fn a1_range(row: usize, col: usize, row_span: usize, col_span: usize) -> String {
    let first = format!("{}{}", letters(col), row + 1);
    if row_span == 1 && col_span == 1 {
        first
    } else {
        let last = format!("{}{}", letters(col + col_span - 1), row + row_span);
        format!("{first}:{last}")
    }
}

/// Where a cell starts and how far it spans: (row, column, rows, columns), 0-based.
pub(crate) type Span = (usize, usize, usize, usize);

/// `A6:A27` → (row 5, col 0, 22 rows, 1 column).
fn parse_range(range: &str) -> Span {
    let cell = |a1: &str| -> (usize, usize) {
        let (col, row) = a1.split_at(1);
        let col = usize::from(col.as_bytes()[0] - b'A');
        let row: usize = row
            .parse()
            .unwrap_or_else(|_| panic!("not a cell: {a1} in {range}"));
        (row - 1, col)
    };
    let (first, last) = range.split_once(':').unwrap_or((range, range));
    let ((r1, c1), (r2, c2)) = (cell(first), cell(last));
    assert!(r2 >= r1 && c2 >= c1, "range {range}");
    (r1, c1, r2 - r1 + 1, c2 - c1 + 1)
}

/// The label cells the spec describes, in the fixture's form.
fn from_spec() -> BTreeSet<Entry> {
    let mut set = BTreeSet::new();
    for t in tables::all() {
        for c in &t.cells {
            if let Content::Label(label) = &c.content {
                let range = a1_range(c.row, c.col, c.row_span, c.col_span);
                let entry = (t.name.to_string(), range, label.to_string());
                assert!(set.insert(entry.clone()), "spec lists twice: {entry:?}");
            }
        }
    }
    set
}

fn show(entries: &[&Entry]) -> String {
    entries
        .iter()
        .map(|(t, r, l)| format!("  {t} {r} {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_spec_has_exactly_the_labels_of_format_md() {
    let oracle = oracle();
    let spec = from_spec();
    let missing: Vec<&Entry> = oracle.difference(&spec).collect();
    let extra: Vec<&Entry> = spec.difference(&oracle).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the spec's label cells differ from tests/fixtures/format-labels.txt\n\
         in the fixture, not in the spec ({}):\n{}\n\
         in the spec, not in the fixture ({}):\n{}",
        missing.len(),
        show(&missing),
        extra.len(),
        show(&extra)
    );
    // The fixture is whole: the label cells counted in FORMAT.md §3–§5
    // (表二 20 of its 14 rows, 表三 10 header and 30 body, 表四 19).
    for (table, count) in [("表二", 20), ("表三", 40), ("表四", 19)] {
        let n = oracle.iter().filter(|(t, ..)| t == table).count();
        assert_eq!(n, count, "{table}: labels in the fixture");
    }
}

#[test]
fn the_section_headings_are_those_of_format_md() {
    let oracle = fixture_lines("format-headings.txt");
    assert_eq!(oracle.len(), 6, "format-headings.txt: {oracle:?}");
    assert_eq!(SECTION_HEADINGS.as_slice(), oracle.as_slice());
}

/// The oracle's cells of one table, by table name, parsed.
pub(crate) fn oracle_by_table() -> BTreeMap<String, Vec<(Span, String)>> {
    let mut by_table: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for (table, range, label) in oracle() {
        by_table
            .entry(table)
            .or_default()
            .push((parse_range(&range), label));
    }
    by_table
}

/// The Word report of the sample: each table's label cells hold the oracle's
/// label at the oracle's place, with its horizontal span (gridSpan) and its
/// vertical span (vMerge restart, then continue on the rows below); the six
/// headings are paragraphs of the body.
#[test]
fn the_word_report_shows_every_label_where_format_md_puts_it() {
    let docx = crate::common::docx_bytes(&crate::common::sample());
    let xml = unzip(&docx)
        .remove("word/document.xml")
        .expect("word/document.xml");
    let doc = parse("word/document.xml", &xml);
    let tbls: Vec<_> = descendants(doc.root(), "tbl").collect();
    let by_table = oracle_by_table();
    assert_eq!(tbls.len(), by_table.len(), "one Word table per table");
    let mut wrong = Vec::new();
    // The tables stand in the order 二, 三, 四.
    for (name, tbl) in ["表二", "表三", "表四"].into_iter().zip(tbls) {
        // (row, grid column) → (gridSpan, vMerge, text)
        let mut at = BTreeMap::new();
        for (r, tr) in children(tbl, "tr").enumerate() {
            let mut col = 0;
            for tc in children(tr, "tc") {
                let pr = child(tc, "tcPr");
                let span: usize = pr
                    .and_then(|p| child(p, "gridSpan"))
                    .and_then(|g| wattr(g, "val"))
                    .map_or(1, |v| v.parse().expect("gridSpan"));
                let vmerge = pr
                    .and_then(|p| child(p, "vMerge"))
                    .map(|v| wattr(v, "val").unwrap_or("continue").to_string());
                at.insert((r, col), (span, vmerge, text(tc)));
                col += span;
            }
        }
        for ((row, col, rows, cols), label) in &by_table[name] {
            let here = a1_range(*row, *col, *rows, *cols);
            match at.get(&(*row, *col)) {
                None => wrong.push(format!("{name} {here} {label}: no cell there")),
                Some((span, vmerge, txt)) => {
                    if txt != label {
                        wrong.push(format!("{name} {here}: 「{txt}」, not 「{label}」"));
                    }
                    if span != cols {
                        wrong.push(format!("{name} {here} {label}: gridSpan {span}"));
                    }
                    let want = (*rows > 1).then(|| "restart".to_string());
                    if *vmerge != want {
                        wrong.push(format!("{name} {here} {label}: vMerge {vmerge:?}"));
                    }
                    for r in row + 1..row + rows {
                        let below = at.get(&(r, *col));
                        if below.and_then(|b| b.1.as_deref()) != Some("continue") {
                            wrong.push(format!(
                                "{name} {here} {label}: row {} not merged: {below:?}",
                                r + 1
                            ));
                        }
                    }
                    if let Some(next) = at.get(&(row + rows, *col))
                        && next.1.as_deref() == Some("continue")
                    {
                        wrong.push(format!("{name} {here} {label}: merged further down"));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "the Word report:\n{}", wrong.join("\n"));
    // The headings: paragraphs of the body (not inside a table).
    let body = descendants(doc.root(), "body").next().expect("w:body");
    let paragraphs: Vec<String> = children(body, "p").map(text).collect();
    for heading in fixture_lines("format-headings.txt") {
        assert!(
            paragraphs.iter().any(|p| p.trim() == heading),
            "heading {heading} is not a paragraph of the Word report"
        );
    }
}

/// A workbook (the statistical one or the form): on the sheet of each table,
/// below its title row(s), each label cell holds the oracle's label, and the
/// cells of a range are merged into exactly that range.
fn assert_workbook_labels(what: &str, bytes: &[u8]) {
    let mut wb = crate::xlsx_support::open(bytes);
    let by_table = oracle_by_table();
    let mut wrong = Vec::new();
    for t in tables::all() {
        let values = wb.worksheet_range(t.sheet).expect("the table's sheet");
        let merges: BTreeSet<((u32, u32), (u32, u32))> = wb
            .merge_cells_by_sheet_name(t.sheet)
            .expect("merges")
            .into_iter()
            .map(|d| (d.start, d.end))
            .collect();
        for ((row, col, rows, cols), label) in &by_table[t.name] {
            let here = a1_range(*row, *col, *rows, *cols);
            let r = (row + TITLE_ROWS) as u32;
            let c = *col as u32;
            let got = values.get_value((r, c)).cloned().unwrap_or(Data::Empty);
            if got != Data::String(label.clone()) {
                wrong.push(format!("{} {here}: {got:?}, not 「{label}」", t.name));
            }
            if *rows > 1 || *cols > 1 {
                let range = ((r, c), (r + *rows as u32 - 1, c + *cols as u32 - 1));
                if !merges.contains(&range) {
                    wrong.push(format!("{} {here} {label}: not merged", t.name));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{what}:\n{}", wrong.join("\n"));
}

#[test]
fn the_workbook_and_the_form_show_every_label_where_format_md_puts_it() {
    let report = crate::xlsx_support::sample();
    let workbook = crate::xlsx_support::workbook_bytes(&report, "sample.toml").expect("workbook");
    assert_workbook_labels("the statistical workbook", &workbook);
    let form = nianbao::form_bytes(&report, None).expect("form");
    assert_workbook_labels("the fill-in form", &form);
}

/// The oracle's own A1 arithmetic, on cells whose ranges FORMAT.md states.
#[test]
fn ranges_are_written_like_excel_writes_them() {
    assert_eq!(a1_range(5, 0, 22, 1), "A6:A27");
    assert_eq!(a1_range(1, 0, 1, 1), "A2");
    assert_eq!(a1_range(0, 5, 1, 10), "F1:O1");
    assert_eq!(parse_range("A6:A27"), (5, 0, 22, 1));
    assert_eq!(parse_range("B13:D13"), (12, 1, 1, 3));
    assert_eq!(parse_range("J2:J3"), (1, 9, 2, 1));
}
