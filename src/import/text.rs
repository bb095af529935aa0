//! The text of a report (.txt, or what `pdftotext -layout` gives for a
//! PDF) into the neutral shape. Lines wrap inside paragraphs and page breaks
//! leave blank lines anywhere, so paragraphs are rebuilt: a paragraph ends
//! at a line shorter than the full width that ends a sentence, and before a
//! section heading or a run-in head. Between the headings 二 and 五 the
//! lines are the tables: each is recovered as rows of a label followed by
//! its numbers (a label may wrap over several lines, its numbers too); the
//! columns are then read in the format's order.

use unicode_width_lite::width;

use super::labels::{Match, best, normalize};
use super::narrative::{run_in_head, section_heading};
use super::shape::{Block, Doc, Grid, GridCell, tidy};
use super::tables::{CellValue, cell_value};
use crate::spec::tables::TableId;

/// A tiny display width: CJK and other wide characters count 2.
mod unicode_width_lite {
    pub fn width(s: &str) -> usize {
        s.chars()
            .map(|c| {
                let u = c as u32;
                let wide = (0x1100..=0x115F).contains(&u)
                    || (0x2E80..=0xA4CF).contains(&u)
                    || (0xAC00..=0xD7A3).contains(&u)
                    || (0xF900..=0xFAFF).contains(&u)
                    || (0xFE30..=0xFE4F).contains(&u)
                    || (0xFF00..=0xFF60).contains(&u)
                    || (0xFFE0..=0xFFE6).contains(&u)
                    || (0x20000..=0x3FFFD).contains(&u)
                    || matches!(c, '“' | '”' | '‘' | '’' | '—' | '…');
                if wide { 2 } else { 1 }
            })
            .sum()
    }
}

/// A page number line such as `— 3 —`, `- 3 -` or `第 3 页`.
fn page_number(line: &str) -> bool {
    let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    let inner = t.trim_matches(|c| matches!(c, '-' | '—' | '–' | '－'));
    let dashed =
        inner.len() < t.len() && !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit());
    let worded = t.starts_with('第') && (t.ends_with('页')) && t.chars().count() <= 12;
    dashed || worded
}

/// Reads the text into paragraphs and recovered tables.
pub fn read(text: &str) -> Doc {
    // Each line trimmed, and as laid out (the columns of a table line count).
    let lines: Vec<(&str, &str)> = text
        .lines()
        .map(|l| {
            let laid = l.trim_end().trim_start_matches('\u{c}');
            (
                l.trim_matches(|c: char| c.is_whitespace() || c == '\u{c}'),
                laid,
            )
        })
        .filter(|(l, _)| !l.is_empty() && !page_number(l))
        .collect();
    // Sections: the table lines (二、三、四) apart from the narrative.
    let mut current: Option<usize> = None;
    /// A line trimmed, and as laid out.
    type Line<'a> = (&'a str, &'a str);
    let mut parts: Vec<(Option<usize>, Vec<Line>)> = vec![(None, Vec::new())];
    for &line in &lines {
        if let Some(k) = section_heading(line.0)
            && current.is_none_or(|c| k > c)
        {
            current = Some(k);
            parts.push((Some(k), vec![line]));
            continue;
        }
        if let Some(last) = parts.last_mut() {
            last.1.push(line);
        }
    }
    let full = lines
        .iter()
        .map(|(l, _)| *l)
        .filter(|l| !is_table_line(l))
        .map(width)
        .max()
        .unwrap_or(0);
    let mut doc = Doc::default();
    for (section, part) in parts {
        match section {
            Some(k @ 1..=3) => {
                doc.blocks.push(Block::Para(part[0].0.to_string()));
                let id = [
                    TableId::Active,
                    TableId::Applications,
                    TableId::ReviewLitigation,
                ][k - 1];
                let laid: Vec<&str> = part[1..].iter().map(|(_, l)| *l).collect();
                doc.blocks.push(Block::Table(recover(&laid, id)));
            }
            Some(_) => {
                doc.blocks.push(Block::Para(part[0].0.to_string()));
                let trimmed: Vec<&str> = part[1..].iter().map(|(l, _)| *l).collect();
                paragraphs(&trimmed, full, &mut doc);
            }
            None => {
                let trimmed: Vec<&str> = part.iter().map(|(l, _)| *l).collect();
                paragraphs(&trimmed, full, &mut doc);
            }
        }
    }
    doc
}

/// A line with two or more numbers standing apart: a table row.
fn is_table_line(line: &str) -> bool {
    line.split_whitespace()
        .filter(|t| matches!(cell_value(t), CellValue::Number(_)))
        .count()
        >= 2
}

/// Rebuilds the paragraphs of narrative lines.
fn paragraphs(lines: &[&str], full: usize, doc: &mut Doc) {
    let mut current = String::new();
    let flush = |current: &mut String, doc: &mut Doc| {
        let p = tidy(current);
        if !p.is_empty() {
            doc.blocks.push(Block::Para(p));
        }
        current.clear();
    };
    for line in lines {
        let date = super::narrative::parse_date(line).is_some();
        let starts_block = run_in_head(line).is_some() || section_heading(line).is_some() || date;
        if starts_block {
            flush(&mut current, doc);
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(line);
        let ends_sentence = line.ends_with(['。', '！', '？', '；', '：', '”', '」', '）', ')']);
        // Justified lines with digits vary in width: short is under 85 % of the full width.
        let short = width(line) * 100 < full * 85;
        if (ends_sentence && short) || section_heading(line).is_some() || date {
            flush(&mut current, doc);
        }
    }
    flush(&mut current, doc);
}

/// The rows of a table whose lines are not laid out in columns (text
/// copied from a PDF): each row is the label gathered since the last
/// number, then the numbers that follow it.
fn stream_rows(lines: &[&str]) -> Vec<(String, Vec<String>)> {
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut label = String::new();
    let mut numbers: Vec<String> = Vec::new();
    for line in lines {
        for token in line.split_whitespace() {
            let is_number = cell_value(token) != CellValue::Text;
            if is_number {
                numbers.push(token.to_string());
            } else {
                if !numbers.is_empty() {
                    rows.push((std::mem::take(&mut label), std::mem::take(&mut numbers)));
                }
                label.push_str(token);
            }
        }
    }
    if !numbers.is_empty() || !label.is_empty() {
        rows.push((label, numbers));
    }
    rows
}

/// One word of a table line: its column (in characters, as pdftotext
/// lays the page out) and its text.
struct Token<'a> {
    x: usize,
    text: &'a str,
}

/// The words of `line` with their columns.
fn tokens(line: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    for (col, (i, c)) in line.char_indices().enumerate() {
        if c.is_whitespace() {
            if let Some((b, x)) = start.take() {
                out.push(Token {
                    x,
                    text: &line[b..i],
                });
            }
        } else if start.is_none() {
            start = Some((i, col));
        }
    }
    if let Some((b, x)) = start {
        out.push(Token {
            x,
            text: &line[b..],
        });
    }
    out
}

fn is_number(text: &str) -> bool {
    cell_value(text) != CellValue::Text
}

/// A table line split: the words of a label spanning rows (left of the
/// row labels), the row label's words, the numbers.
#[derive(Default, Clone)]
struct Split {
    group: String,
    row: String,
    numbers: Vec<String>,
}

/// A table recovered from its lines. Each line with numbers is a row; the
/// label lines around it (a label wraps over several lines, centred on its
/// numbers) are shared out between neighbouring rows where the labels of
/// the format fit best, else evenly. Words left of the row labels' column
/// (a label spanning several rows, such as 三、/本年度/办理/结果, broken into
/// pieces among the rows) go before the row's own words; words above the
/// numbers' columns (the header) are left out.
fn recover(lines: &[&str], id: TableId) -> Grid {
    let toks: Vec<Vec<Token>> = lines.iter().map(|l| tokens(l)).collect();
    // The left edge of the numbers: the leftmost number of a line with two.
    let value_x = toks
        .iter()
        .filter(|t| t.iter().filter(|k| is_number(k.text)).count() >= 2)
        .filter_map(|t| t.iter().filter(|k| is_number(k.text)).map(|k| k.x).min())
        .min()
        .unwrap_or(usize::MAX);
    // Laid out in columns: most rows' numbers start in the same column.
    let mut firsts: std::collections::BTreeMap<usize, usize> = Default::default();
    for t in &toks {
        let numbers: Vec<usize> = t
            .iter()
            .filter(|k| is_number(k.text))
            .map(|k| k.x)
            .collect();
        if numbers.len() >= 2 {
            *firsts.entry(numbers[0]).or_default() += 1;
        }
    }
    let lines_with_numbers: usize = firsts.values().sum();
    let columnar = firsts
        .values()
        .max()
        .is_some_and(|&n| n * 2 >= lines_with_numbers);
    if !columnar {
        return grid(stream_rows(lines), id);
    }
    // The row labels' column: where most lines' last label word starts.
    let mut starts: std::collections::BTreeMap<usize, usize> = Default::default();
    for t in &toks {
        if let Some(k) = t.iter().rev().find(|k| k.x < value_x && !is_number(k.text)) {
            *starts.entry(k.x).or_default() += 1;
        }
    }
    let row_x = starts
        .iter()
        .max_by_key(|(x, n)| (**n, std::cmp::Reverse(**x)))
        .map_or(0, |(x, _)| *x);
    let splits: Vec<Split> = toks
        .iter()
        .map(|t| {
            let mut s = Split::default();
            for k in t {
                if is_number(k.text) && k.x + 1 >= value_x {
                    s.numbers.push(k.text.to_string());
                } else if k.x >= value_x {
                    // A header word.
                } else if k.x + 1 < row_x {
                    s.group.push_str(k.text);
                } else {
                    s.row.push_str(k.text);
                }
            }
            s
        })
        .collect();
    let anchors: Vec<usize> = (0..splits.len())
        .filter(|&i| !splits[i].numbers.is_empty())
        .collect();
    let candidates: Vec<(usize, String)> = super::tables::row_aliases(id)
        .into_iter()
        .enumerate()
        .collect();
    let label_of = |ls: &[usize]| -> String {
        let g: String = ls.iter().map(|&i| splits[i].group.as_str()).collect();
        let r: String = ls.iter().map(|&i| splits[i].row.as_str()).collect();
        g + &r
    };
    let fits = |label: &str| -> f64 {
        match best(&normalize(label), &candidates) {
            Some((_, Match::Exact)) => 2.0,
            Some((_, Match::Approximate(s))) => s,
            None => 0.0,
        }
    };
    let begins = |ls: &[usize]| -> f64 {
        let r: String = ls.iter().map(|&i| splits[i].row.as_str()).collect();
        let whole = normalize(&label_of(ls));
        let row = normalize(&r);
        let starts = |p: &str| !p.is_empty() && candidates.iter().any(|(_, a)| a.starts_with(p));
        if starts(&row) || starts(&whole) {
            1.0
        } else {
            0.0
        }
    };
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    // Above the first row: the header, then maybe the first label's top lines.
    let header: Vec<usize> = anchors.first().map_or(Vec::new(), |&a| (0..a).collect());
    let mut above: Vec<usize> = Vec::new();
    for (k, &a) in anchors.iter().enumerate() {
        let next = anchors.get(k + 1).copied();
        let gap: Vec<usize> = (a + 1..next.unwrap_or(splits.len())).collect();
        let tops = if k == 0 { header.len() } else { 0 };
        let mut chosen = (f64::MIN, 0, 0);
        for t in 0..=tops {
            let top: Vec<usize> = if k == 0 {
                header[header.len() - t..].to_vec()
            } else {
                above.clone()
            };
            let even = top.len().min(gap.len());
            for s in 0..=gap.len() {
                let mut mine = top.clone();
                mine.push(a);
                mine.extend_from_slice(&gap[..s]);
                let mut score = 2.0 * fits(&label_of(&mine));
                if let Some(n) = next {
                    let mut theirs = gap[s..].to_vec();
                    theirs.push(n);
                    score += begins(&theirs);
                }
                // Evenly on a tie, and no more of the header than needed.
                score -= 0.01 * s.abs_diff(even) as f64 + 0.001 * t as f64;
                if score > chosen.0 {
                    chosen = (score, s, t);
                }
            }
        }
        if k == 0 {
            above = header[header.len() - chosen.2..].to_vec();
        }
        let s = chosen.1;
        let mut mine = std::mem::take(&mut above);
        mine.push(a);
        mine.extend_from_slice(&gap[..s]);
        above = gap[s..].to_vec();
        rows.push((label_of(&mine), splits[a].numbers.clone()));
    }
    grid(rows, id)
}

/// The grid of recovered rows: a label, then its numbers.
fn grid(rows: Vec<(String, Vec<String>)>, id: TableId) -> Grid {
    let rows = rows
        .into_iter()
        .take(super::shape::MAX_ROWS)
        .enumerate()
        .map(|(r, (label, numbers))| {
            std::iter::once(label)
                .chain(numbers.into_iter().take(super::shape::MAX_COLS - 1))
                .enumerate()
                .map(|(c, text)| GridCell {
                    text,
                    origin: (r, c),
                })
                .collect()
        })
        .collect();
    Grid {
        rows,
        positional: true,
        hint: Some(id),
    }
}
