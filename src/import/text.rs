//! The text of a report (.txt, or what `pdftotext -layout` gives for a
//! PDF) into the neutral shape. Lines wrap inside paragraphs and page breaks
//! leave blank lines anywhere, so paragraphs are rebuilt: a paragraph ends
//! at a line shorter than the full width that ends a sentence, and before a
//! section heading or a run-in head. Between the headings 二 and 五 the
//! lines are the tables: each is recovered as rows of a label followed by
//! its numbers (a label may wrap over several lines, its numbers too); the
//! columns are then read in the format's order.

use unicode_width_lite::width;

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
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c == '\u{c}'))
        .filter(|l| !l.is_empty() && !page_number(l))
        .collect();
    // Sections: the table lines (二、三、四) apart from the narrative.
    let mut current: Option<usize> = None;
    let mut parts: Vec<(Option<usize>, Vec<&str>)> = vec![(None, Vec::new())];
    for line in &lines {
        if let Some(k) = section_heading(line)
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
        .filter(|l| !is_table_line(l))
        .map(|l| width(l))
        .max()
        .unwrap_or(0);
    let mut doc = Doc::default();
    for (section, part) in parts {
        match section {
            Some(k @ 1..=3) => {
                doc.blocks.push(Block::Para(part[0].to_string()));
                let id = [
                    TableId::Active,
                    TableId::Applications,
                    TableId::ReviewLitigation,
                ][k - 1];
                doc.blocks.push(Block::Table(recover(&part[1..], id)));
            }
            Some(_) => {
                doc.blocks.push(Block::Para(part[0].to_string()));
                paragraphs(&part[1..], full, &mut doc);
            }
            None => paragraphs(&part, full, &mut doc),
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

/// A table recovered from its lines: each row is the label gathered since
/// the last number, then the numbers that follow it.
fn recover(lines: &[&str], id: TableId) -> Grid {
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
