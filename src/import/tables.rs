//! The one matcher: the tables of the neutral shape onto the table
//! description of [`crate::spec::tables`], by label. A row is found by its
//! label (after its group's label, normalized, exactly or approximately);
//! a column by its header, or in the format's order when the table has no
//! usable header (tables recovered from text). Empty cells are 0; a 总计
//! column, when present, is kept as the given total so that the rules check
//! it; （六）其他处理 printed as one row is read as 3.其他.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::model::{MAX_COUNT, Report, WanYuan};
use crate::spec::tables::{self, Content, Given, Table, TableId};

use super::labels::{Match, best, normalize};
use super::shape::Grid;

/// A label that matched only approximately.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Approximate {
    /// The label as printed.
    pub printed: String,
    /// The label of the format it was taken for.
    pub label: String,
    /// Similarity, 0–1.
    pub similarity: f64,
}

/// What the tables gave.
#[derive(Debug, Default)]
pub struct Reading {
    /// Key paths of the input cells read (e.g. `applications.new[0]`).
    pub found: BTreeSet<String>,
    /// Labels matched approximately.
    pub approximate: Vec<Approximate>,
    /// Remarks in Chinese.
    pub notes: Vec<String>,
    /// The tables recognised.
    pub tables: BTreeSet<&'static str>,
    /// Rows already read, per table and spec row: a second match is ignored.
    rows_done: BTreeSet<(u8, usize)>,
}

/// A value as printed in a cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellValue {
    /// A number (thousands separators removed).
    Number(Decimal),
    /// Nothing, or a dash: 0.
    Empty,
    /// Words, not a number.
    Text,
}

/// Reads a cell's text as a number: `1,234`, `１２`, `12.5`, `0件`; empty,
/// `-`, `—`, `/`, `无` are empty.
pub fn cell_value(text: &str) -> CellValue {
    use unicode_normalization::UnicodeNormalization;
    let t: String = text
        .nfkc()
        .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '，' | '、'))
        .collect();
    let t = t
        .trim_end_matches(['件', '元', '个', '条'])
        .trim_end_matches("万");
    if t.is_empty() || matches!(t, "-" | "—" | "–" | "/" | "无" | "——" | "--" | "－") {
        return CellValue::Empty;
    }
    if t.len() > 24 || !t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return CellValue::Text;
    }
    match Decimal::from_str(t) {
        Ok(d) => CellValue::Number(d),
        Err(_) => CellValue::Text,
    }
}

fn table_no(id: TableId) -> u8 {
    match id {
        TableId::Active => 2,
        TableId::Applications => 3,
        TableId::ReviewLitigation => 4,
    }
}

/// Which mandated table a grid is, from its words.
fn identify(grid: &Grid) -> Option<TableId> {
    let all: String = grid
        .rows
        .iter()
        .flatten()
        .map(|c| normalize(&c.text))
        .collect();
    if all.contains("行政复议") && all.contains("行政诉讼") && !all.contains("本年新收")
    {
        Some(TableId::ReviewLitigation)
    } else if all.contains("自然人") || all.contains("本年新收") || all.contains("申请人情况")
    {
        Some(TableId::Applications)
    } else if all.contains("规章") || all.contains("行政许可") || all.contains("第二十条")
    {
        Some(TableId::Active)
    } else {
        None
    }
}

/// A body row of the format: its spec row, its labels and its number cells.
struct RowTarget {
    spec_row: usize,
    /// Normalized labels it answers to (with and without its group).
    aliases: Vec<String>,
    /// The label in words.
    words: String,
    /// (spec column, content) of its number cells, left to right.
    cells: Vec<(usize, Content)>,
    /// 表三（六）其他处理 as one row.
    other_group: bool,
}

/// The normalized row labels of table `id` (every alias), for recovering
/// a table's rows from text.
pub fn row_aliases(id: TableId) -> Vec<String> {
    targets(id.table())
        .into_iter()
        .flat_map(|t| t.aliases)
        .collect()
}

fn targets(t: &Table) -> Vec<RowTarget> {
    let mut rows: BTreeMap<usize, RowTarget> = BTreeMap::new();
    for c in &t.cells {
        if matches!(c.content, Content::Input(_) | Content::Total(_)) {
            let entry = rows.entry(c.row).or_insert_with(|| RowTarget {
                spec_row: c.row,
                aliases: Vec::new(),
                words: String::new(),
                cells: Vec::new(),
                other_group: false,
            });
            entry.cells.push((c.col, c.content.clone()));
        }
    }
    for target in rows.values_mut() {
        target.cells.sort_by_key(|(col, _)| *col);
        let first = target.cells.first().map_or(0, |(c, _)| *c);
        // The most specific label of the row: the right-most label left of the numbers.
        let label = t
            .cells
            .iter()
            .filter(|c| {
                c.row == target.spec_row && c.col < first && matches!(c.content, Content::Label(_))
            })
            .max_by_key(|c| c.col);
        if let Some(tables::Cell {
            content: Content::Label(l),
            ..
        }) = label
        {
            target.words = l.to_string();
            let n = normalize(l);
            // （二）部分公开（区分处理的……）: also without the parenthesis.
            if let Some((core, _)) = l.split_once(['（', '(']).filter(|(c, _)| !c.is_empty())
                && let Some(short) =
                    Some(normalize(core)).filter(|s| s.chars().count() >= 4 && *s != n)
            {
                target.aliases.push(short);
            }
            target.aliases.push(n);
        }
    }
    let mut out: Vec<RowTarget> = rows.into_values().collect();
    if t.id == TableId::Applications {
        // （六）其他处理 printed as a single row: read as 3.其他.
        let other = tables::T3Row::Other.row();
        if let Some(cells) = out
            .iter()
            .find(|r| r.spec_row == other)
            .map(|r| r.cells.clone())
        {
            out.push(RowTarget {
                spec_row: other,
                aliases: vec![normalize("（六）其他处理")],
                words: "（六）其他处理".into(),
                cells,
                other_group: true,
            });
        }
    }
    out
}

/// The labels of grid row `r` left of its numbers (distinct cells, in
/// order), the printed words, and the first column of its value area.
fn row_label(grid: &Grid, r: usize) -> (String, String, usize) {
    let row = &grid.rows[r];
    let mut last_label = None;
    for (c, cell) in row.iter().enumerate() {
        if cell_value(&cell.text) == CellValue::Text {
            last_label = Some(c);
        }
    }
    let start = last_label.map_or(0, |c| c + 1);
    let mut seen = BTreeSet::new();
    let mut printed = Vec::new();
    for cell in &row[..start] {
        if !cell.text.trim().is_empty() && seen.insert(cell.origin) {
            printed.push(super::shape::tidy(&cell.text));
        }
    }
    let norm = printed.iter().map(|p| normalize(p)).collect::<String>();
    (norm, printed.join(" "), start)
}

/// The value cells of grid row `r` from column `start`: (column, text), one
/// per cell (a cell spanning columns counts once).
fn values(grid: &Grid, r: usize, start: usize) -> Vec<(usize, String)> {
    let row = &grid.rows[r];
    let mut out: Vec<(usize, String)> = (start..row.len())
        .filter(|&c| grid.is_origin(r, c))
        .map(|c| (c, row[c].text.clone()))
        .collect();
    if grid.positional {
        out.retain(|(_, t)| cell_value(t) != CellValue::Empty || !t.trim().is_empty());
    }
    out
}

/// The header words of column `c`: the distinct cells above row `first_body`, top down.
fn header(grid: &Grid, first_body: usize, c: usize) -> String {
    let mut seen = BTreeSet::new();
    let mut out = String::new();
    for row in grid.rows.iter().take(first_body) {
        if let Some(cell) = row.get(c)
            && seen.insert(cell.origin)
        {
            out.push_str(&normalize(&cell.text));
        }
    }
    out
}

/// Reads one grid into `report`.
pub fn read_grid(grid: &Grid, report: &mut Report, reading: &mut Reading) {
    let Some(id) = grid.hint.or_else(|| identify(grid)) else {
        return;
    };
    let table = id.table();
    let targets = targets(table);
    let candidates: Vec<(usize, String)> = targets
        .iter()
        .enumerate()
        .flat_map(|(i, t)| t.aliases.iter().map(move |a| (i, a.clone())))
        .collect();
    // The first row with a number in its value area ends the header.
    let first_body = (0..grid.rows.len()).find(|&r| {
        let (_, _, start) = row_label(grid, r);
        values(grid, r, start)
            .iter()
            .any(|(_, t)| matches!(cell_value(t), CellValue::Number(_)))
    });
    let Some(first_body) = first_body else {
        return;
    };
    reading.tables.insert(table.name);
    for r in first_body..grid.rows.len() {
        let (label, printed, start) = row_label(grid, r);
        let vals = values(grid, r, start);
        if vals.is_empty() {
            continue;
        }
        let target = if id == TableId::ReviewLitigation {
            targets.first().map(|t| (t, Match::Exact))
        } else {
            best(&label, &candidates).and_then(|(i, m)| targets.get(i).map(|t| (t, m)))
        };
        let Some((target, how)) = target else {
            if !label.is_empty() {
                reading.notes.push(format!(
                    "{}中“{printed}”一行对不上规定格式的任何一行，未读入",
                    table.name
                ));
            }
            continue;
        };
        if !reading.rows_done.insert((table_no(id), target.spec_row)) {
            continue;
        }
        if let Match::Approximate(s) = how {
            reading.approximate.push(Approximate {
                printed: printed.clone(),
                label: target.words.clone(),
                similarity: (s * 100.0).round() / 100.0,
            });
        }
        let columns = map_columns(grid, table, target, first_body, r, &vals);
        let mut assigned = 0;
        for (spec_col, content) in &target.cells {
            let Some(text) = columns.get(spec_col) else {
                continue;
            };
            if store(report, content, text, table, reading) {
                assigned += 1;
            }
        }
        if target.other_group {
            for row in [tables::T3Row::CorrectionOverdue, tables::T3Row::FeeOverdue] {
                reading.rows_done.insert((3, row.row()));
                for col in tables::T3Col::APPLICANTS {
                    reading
                        .found
                        .insert(format!("applications.{}[{}]", row.key(), col.index()));
                }
            }
            reading
                .notes
                .push("表三（六）其他处理只印了一行，数字记入 3.其他（1.、2. 两行记为 0）".into());
        }
        let wanted = target
            .cells
            .iter()
            .filter(|(_, c)| matches!(c, Content::Input(_)))
            .count();
        if assigned < wanted && !grid.positional {
            reading.notes.push(format!(
                "{}“{}”一行只读到 {assigned} 个数（应有 {wanted} 个）",
                table.name, target.words
            ));
        }
    }
}

/// The text of each spec column of `target` in grid row `r`: by the header
/// words, or in the format's order.
fn map_columns(
    grid: &Grid,
    table: &Table,
    target: &RowTarget,
    first_body: usize,
    r: usize,
    vals: &[(usize, String)],
) -> BTreeMap<usize, String> {
    let inputs = target
        .cells
        .iter()
        .filter(|(_, c)| matches!(c, Content::Input(_)))
        .count();
    if !grid.positional
        && let Some(map) = by_header(grid, table, target, first_body, r, vals, inputs)
    {
        return map;
    }
    // In order: the inputs, then 总计 when there is one more number.
    let spec_cols: Vec<usize> = target.cells.iter().map(|(c, _)| *c).collect();
    let mut out = BTreeMap::new();
    if table.id == TableId::ReviewLitigation {
        // Three groups of four, each with or without its 总计.
        let per = if vals.len() >= 15 { 5 } else { 4 };
        for (i, (_, text)) in vals.iter().enumerate().take(per * 3) {
            let (group, col) = (i / per, i % per);
            if let Some(&sc) = spec_cols.get(group * 5 + col) {
                out.insert(sc, text.clone());
            }
        }
        return out;
    }
    let with_total = vals.len() > inputs;
    for (i, (_, text)) in vals.iter().enumerate() {
        if (i < inputs || with_total)
            && let Some(&sc) = spec_cols.get(i)
        {
            out.insert(sc, text.clone());
        }
    }
    out
}

/// Columns by header words; `None` when the header does not name every input column.
fn by_header(
    grid: &Grid,
    table: &Table,
    target: &RowTarget,
    first_body: usize,
    r: usize,
    vals: &[(usize, String)],
    inputs: usize,
) -> Option<BTreeMap<usize, String>> {
    // The spec column's header words, by the same rule as the grid's.
    let spec_header = |sc: usize| -> (String, String) {
        let mut words = String::new();
        let mut last = String::new();
        for c in &table.cells {
            if let Content::Label(l) = c.content
                && c.row < target.spec_row
                && c.col <= sc
                && sc < c.col + c.col_span
                && !c.emphasis
            {
                words.push_str(&normalize(l));
                last = normalize(l);
            }
        }
        (words, last)
    };
    // Header rows of the grid: for table 二, the nearest row above without numbers.
    let header_of = |c: usize| -> String {
        if table.id == TableId::Active {
            (0..r)
                .rev()
                .find(|&hr| {
                    let (_, _, s) = row_label(grid, hr);
                    values(grid, hr, s)
                        .iter()
                        .all(|(_, t)| cell_value(t) == CellValue::Empty)
                })
                .and_then(|hr| grid.rows[hr].get(c))
                .map(|cell| normalize(&cell.text))
                .unwrap_or_default()
        } else {
            header(grid, first_body, c)
        }
    };
    if table.id == TableId::Active && inputs == 1 {
        // One number spanning the row.
        let (_, text) = vals.first()?;
        let (sc, _) = target.cells.first()?;
        return Some(BTreeMap::from([(*sc, text.clone())]));
    }
    let spec: Vec<(usize, String, String)> = target
        .cells
        .iter()
        .map(|(sc, _)| {
            let (words, last) = spec_header(*sc);
            (*sc, words, last)
        })
        .collect();
    let mut out = BTreeMap::new();
    for (c, text) in vals {
        let h = header_of(*c);
        if h.is_empty() {
            continue;
        }
        let group_ok = |words: &str| -> bool {
            if table.id != TableId::ReviewLitigation {
                return true;
            }
            let g = |s: &str| {
                if s.contains("复议后起诉") {
                    2
                } else if s.contains("直接起诉") || s.contains("未经复议") {
                    1
                } else {
                    0
                }
            };
            g(words) == g(&h)
        };
        let candidates: Vec<(usize, String)> = spec
            .iter()
            .filter(|(_, words, _)| group_ok(words))
            .map(|(sc, _, last)| (*sc, last.clone()))
            .collect();
        if let Some((sc, _)) = best(&h, &candidates)
            && !out.contains_key(&sc)
        {
            out.insert(sc, text.clone());
        }
    }
    let named = target
        .cells
        .iter()
        .filter(|(sc, c)| matches!(c, Content::Input(_)) && out.contains_key(sc))
        .count();
    (named == inputs).then_some(out)
}

/// Stores the text of one cell into its field; true when an input was read.
fn store(
    report: &mut Report,
    content: &Content,
    text: &str,
    table: &Table,
    reading: &mut Reading,
) -> bool {
    let value = match cell_value(text) {
        CellValue::Number(d) => d,
        CellValue::Empty => Decimal::ZERO,
        CellValue::Text => {
            reading.notes.push(format!(
                "{}的“{}”不是数字，未读入",
                describe(table, content),
                super::shape::tidy(text)
            ));
            return false;
        }
    };
    match content {
        Content::Input(input) => {
            if let tables::Field::Fees = input.field {
                match WanYuan::from_str(&value.to_string()) {
                    Ok(a) if a.value() <= Decimal::from(crate::model::MAX_WAN_YUAN) => {
                        report.active.fees = a;
                    }
                    _ => {
                        reading.notes.push(format!(
                            "{}的“{value}”不是可用的金额，未读入",
                            describe(table, content)
                        ));
                        return false;
                    }
                }
            } else {
                let Some(n) = count(value) else {
                    reading.notes.push(format!(
                        "{}的“{value}”不是 0–{MAX_COUNT} 的整数，未读入",
                        describe(table, content)
                    ));
                    return false;
                };
                if let Some(slot) = input.field.count_mut(report) {
                    *slot = n;
                }
            }
            reading.found.insert(input.key.clone());
            true
        }
        Content::Total(total) => {
            let Some(n) = count(value) else {
                return false;
            };
            match total.given {
                Given::ApplicantRowTotal((_, get_mut)) => get_mut(report).given_total = Some(n),
                Given::OutcomeRowTotal((_, get_mut)) => get_mut(report).given_total = Some(n),
                Given::ResultsTotal(col) => {
                    let row = report
                        .applications
                        .total
                        .get_or_insert_with(Default::default);
                    if col < 6 {
                        row.values[col] = n;
                    } else {
                        row.given_total = Some(n);
                    }
                }
            }
            false
        }
        Content::Label(_) => false,
    }
}

fn count(value: Decimal) -> Option<u32> {
    if value.is_sign_negative() || value.normalize().scale() > 0 {
        return None;
    }
    u32::try_from(value.normalize().mantissa())
        .ok()
        .filter(|&n| n <= MAX_COUNT)
}

fn describe(table: &Table, content: &Content) -> String {
    match content {
        Content::Input(i) => format!("{} {}", table.name, i.words),
        Content::Total(t) => format!("{} {}", table.name, t.words),
        Content::Label(l) => format!("{} {l}", table.name),
    }
}

/// Every input cell the tables did not give: (key, words).
pub fn missing(reading: &Reading) -> Vec<(String, String)> {
    tables::all()
        .iter()
        .flat_map(|t| {
            t.inputs()
                .filter(|(_, i)| !reading.found.contains(&i.key))
                .map(|(_, i)| (i.key.clone(), format!("{} {}", t.name, i.words)))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The number of input cells of the three tables.
pub fn input_cells() -> usize {
    tables::all().iter().map(|t| t.inputs().count()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_values() {
        assert_eq!(cell_value("1,234"), CellValue::Number(Decimal::from(1234)));
        assert_eq!(cell_value(" １２ "), CellValue::Number(Decimal::from(12)));
        assert_eq!(cell_value("—"), CellValue::Empty);
        assert_eq!(cell_value(""), CellValue::Empty);
        assert_eq!(cell_value("规章"), CellValue::Text);
        assert_eq!(cell_value("1.属于国家秘密"), CellValue::Text);
        assert_eq!(cell_value("12.5"), CellValue::Number(Decimal::new(125, 1)));
    }
}
