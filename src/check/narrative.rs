//! R7: the numbers the narrative quotes against the tables (warnings).
//!
//! The text is read as it will be printed — the clerk's `[text]` blocks and
//! the rendered default templates — which the caller renders and hands over
//! as `(block name, paragraphs)`: the checker does not run the text engine.
//! What may be quoted, and in which words, is data in
//! [`crate::spec::quotes`]. A number is read only when it stands in one
//! clause as *words of a quote* + *fillers* + *number* + *unit*, in the
//! context the quote needs; anything else (years, dates, 第…条, percentages,
//! sums of money, ordinals, counts of other things) is never read. A quoted
//! number agrees when it equals any reading the format allows.
//!
//! ```
//! let mut report = nianbao::model::Report::default();
//! report.applications.new.values = [74, 0, 0, 0, 0, 0];
//! report.applications.carried_over.values = [1, 0, 0, 0, 0, 0];
//! report.applications.granted.values = [75, 0, 0, 0, 0, 0];
//! let text = vec!["2024年，本局收到政府信息公开申请75件，予以公开七十四件。".to_string()];
//! let findings = nianbao::check_text(&report, [("on_request", text.as_slice())]);
//! // 75 = 新收 74 + 上年结转 1 is a reading the format allows; 74 ≠ 75 予以公开 is not.
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].rule, "R7");
//! assert_eq!((findings[0].expected, findings[0].found), (75, 74));
//! assert_eq!(findings[0].excel_cell, "依申请公开!J7");
//! ```

use crate::check::Finding;
use crate::model::Report;
use crate::spec::outline;
use crate::spec::quotes::{
    AFTER_UNIT, FILLERS, Kind, NOT_BEFORE, PART_OF, PART_OF_APPLICATIONS, PART_OF_REVIEW, QUOTES,
    Quote, Topic,
};
use crate::spec::rules::{self, Operand, Subject};
use crate::spec::tables::{T2Doc, TableId};

/// The block whose text is about applications throughout.
const ON_REQUEST: &str = "on_request";

/// The characters that end a clause.
const CLAUSE_ENDS: &[char] = &[
    '，', ',', '、', '；', ';', '：', ':', '（', '(', '）', ')', '“', '”', '"', '「', '」', '《',
    '》', '【', '】',
];

/// The characters that end a sentence.
const SENTENCE_ENDS: &[char] = &['。', '！', '？', '!', '?', '\n'];

/// A quoted sentence longer than this is shown around the quote only.
const MAX_QUOTED: usize = 100;

/// R7 on the narrative `blocks` of `report`: each `(name, paragraphs)` is a
/// rendered text block (a name of [`crate::spec::outline::TEMPLATE_NAMES`]).
/// One warning per quoted number that equals no reading of its figure.
pub fn check_text<'a, I>(report: &Report, blocks: I) -> Vec<Finding>
where
    I: IntoIterator<Item = (&'a str, &'a [String])>,
{
    let now = Subject::new(report);
    let mut out = Vec::new();
    for (name, paragraphs) in blocks {
        for paragraph in paragraphs {
            let about_applications = name == ON_REQUEST || paragraph.contains("申请");
            for sentence in paragraph.split(SENTENCE_ENDS) {
                let chars: Vec<char> = sentence.chars().collect();
                let place = Place {
                    block: name,
                    about_applications,
                    sentence: &chars,
                };
                read_sentence(&now, &place, &mut out);
            }
        }
    }
    out
}

/// Where a number stands.
struct Place<'a> {
    block: &'a str,
    /// The block is `on_request` or the paragraph speaks of 申请.
    about_applications: bool,
    sentence: &'a [char],
}

/// A figure of the tables: its words and the cells whose sum it is.
struct Figure {
    words: String,
    terms: Vec<Operand>,
}

/// A quote found before a number.
struct Found<'q> {
    quote: &'q Quote,
    /// Where its words start in the sentence.
    start: usize,
}

fn read_sentence(now: &Subject, place: &Place, out: &mut Vec<Finding>) {
    let s = place.sentence;
    let mut document: Option<T2Doc> = None;
    // Just after the unit of the previous number, so that a clause does not
    // reach back over it.
    let mut last = 0;
    for unit in 0..s.len() {
        if !matches!(s[unit], '件' | '起') {
            continue;
        }
        let Some((start, value)) = number_before(s, unit) else {
            continue;
        };
        let previous_end = last;
        last = unit + 1;
        if start > 0 && is_not_a_count_before(s[start - 1]) {
            continue;
        }
        if !only_fillers_after(s, unit + 1) {
            continue;
        }
        let Some(clause) = clause_start(s, start, previous_end) else {
            continue;
        };
        let Some(found) = quote_before(place, &s[..start], clause) else {
            continue;
        };
        let quote = found.quote;
        if !quote.units().contains(&s[unit]) {
            continue;
        }
        let figures = match quote.kind {
            Kind::Fixed(readings) => readings
                .iter()
                .map(|r| Figure {
                    words: r.words.to_string(),
                    terms: r.terms.to_vec(),
                })
                .collect(),
            Kind::Document(doc, cols) => {
                document = Some(doc);
                document_figures(doc, cols)
            }
            Kind::SameDocument(cols) => match document {
                Some(doc) => document_figures(doc, cols),
                None => continue,
            },
        };
        if let Some(f) = finding(now, place, &figures, value, found.start, unit + 1) {
            out.push(f);
        }
    }
}

/// The cells of document row `doc` in columns `cols`, one figure each.
fn document_figures(doc: T2Doc, cols: &[crate::spec::tables::T2DocCol]) -> Vec<Figure> {
    cols.iter()
        .map(|&col| {
            let (r, c) = doc.at(col);
            let op = Operand::Cell(TableId::Active, r, c);
            let words = op.words();
            let words = words
                .strip_prefix(TableId::Active.table().name)
                .unwrap_or(&words)
                .trim()
                .to_string();
            Figure {
                words,
                terms: vec![op],
            }
        })
        .collect()
}

/// The warning for `value`, quoted at `s[start..end]`, when it equals none of `figures`.
fn finding(
    now: &Subject,
    place: &Place,
    figures: &[Figure],
    value: u64,
    start: usize,
    end: usize,
) -> Option<Finding> {
    let found = i64::try_from(value).ok()?;
    let values: Vec<i64> = figures
        .iter()
        .map(|f| {
            f.terms
                .iter()
                .try_fold(0i64, |sum, t| Some(sum + t.value(now, None)?))
        })
        .collect::<Option<_>>()?;
    if values.contains(&found) {
        return None;
    }
    let rule = rules::rule("R7")?;
    let first = figures.first()?;
    let expected = *values.first()?;
    let readings: Vec<String> = figures
        .iter()
        .zip(&values)
        .map(|(f, v)| format!("{}为 {v}", f.words))
        .collect();
    let phrase: String = place.sentence[start..end].iter().collect();
    Some(Finding {
        rule: rule.id,
        severity: rule.severity,
        cell: cell_words(first),
        excel_cell: excel_cells(&first.terms),
        key: first
            .terms
            .iter()
            .map(Operand::key)
            .collect::<Vec<_>>()
            .join(" + "),
        expected,
        found,
        message: format!(
            "{}「{}」中「{phrase}」为 {found}，表中{}，不一致",
            block_place(place.block),
            quoted(place.sentence, start, end),
            readings.join("，或")
        ),
    })
}

/// The figure's cell in words: the cell's own words for one cell, else the
/// table and the figure's words.
fn cell_words(figure: &Figure) -> String {
    match figure.terms.as_slice() {
        [one] => one.words(),
        terms => {
            let table = match terms.first() {
                Some(Operand::Cell(t, ..)) => t.table().name,
                _ => "",
            };
            format!("{table} {}", figure.words)
        }
    }
}

/// The cells in the workbook: one cell, a range of one column, or the cells joined by `+`.
fn excel_cells(terms: &[Operand]) -> String {
    let cells: Option<Vec<(TableId, usize, usize)>> = terms
        .iter()
        .map(|t| match *t {
            Operand::Cell(id, r, c) => Some((id, r, c)),
            _ => None,
        })
        .collect();
    if let Some(cells) = cells
        && let (Some(&(id, r1, c)), Some(&(_, rn, _))) = (cells.first(), cells.last())
        && cells.len() > 1
        && cells
            .iter()
            .enumerate()
            .all(|(i, &(t, r, cc))| t == id && cc == c && r == r1 + i)
    {
        let table = id.table();
        return format!("{}!{}", table.sheet, table.range((r1, c), (rn, c)));
    }
    terms
        .iter()
        .map(Operand::excel_ref)
        .collect::<Vec<_>>()
        .join("+")
}

/// Where block `name` stands in the report, e.g. `一（二）依申请公开`.
fn block_place(name: &str) -> String {
    match outline::block(name) {
        Some(b) => b.place.to_string(),
        None if name == outline::PROCESSING_FEES => "六、其他需要报告的事项 信息处理费".to_string(),
        None => name.to_string(),
    }
}

/// The sentence, or a window of it around `s[start..end]` when it is long.
fn quoted(s: &[char], start: usize, end: usize) -> String {
    if s.len() <= MAX_QUOTED {
        let text: String = s.iter().collect();
        return text.trim().to_string();
    }
    let from = start.saturating_sub(30);
    let to = (end + 30).min(s.len());
    let mut text = String::new();
    if from > 0 {
        text.push('…');
    }
    text.extend(s[from..to].iter().skip_while(|c| c.is_whitespace()));
    if to < s.len() {
        text.push('…');
    }
    text
}

/// A character right before a number that makes it a decimal, an ordinal,
/// a range or part of a longer code: `2.5件`, `第3件`, `3-5件`.
fn is_not_a_count_before(c: char) -> bool {
    matches!(
        c,
        '.' | '．' | '第' | '-' | '—' | '–' | '~' | '～' | '/' | '／' | '+' | '＋' | '×'
    ) || c.is_ascii_digit()
        || ('０'..='９').contains(&c)
}

/// Whether the rest of the clause after the unit at `from` is empty or only
/// names what was counted (「75件政府信息公开申请」); `件次`, `以上`,
/// `左右`, `一件事` … are not counts of the table.
fn only_fillers_after(s: &[char], from: usize) -> bool {
    let mut i = from;
    let end = (from..s.len())
        .find(|&j| CLAUSE_ENDS.contains(&s[j]))
        .unwrap_or(s.len());
    while i < end {
        match AFTER_UNIT.iter().find(|w| starts_with(&s[i..end], w)) {
            Some(w) => i += w.chars().count(),
            None => return false,
        }
    }
    true
}

/// The start of the clause of the number at `start`: after the last clause
/// end before it, and not before `floor` (the end of the previous number).
/// `None` when the clause follows a `、` after words that were not counted:
/// the number is shared by a list (「行政许可、行政处罚决定209件」).
fn clause_start(s: &[char], start: usize, floor: usize) -> Option<usize> {
    let floor = floor.min(start);
    match (floor..start).rev().find(|&j| CLAUSE_ENDS.contains(&s[j])) {
        Some(j) if s[j] == '、' => {
            let counted = j > 0 && matches!(s[j - 1], '件' | '起');
            counted.then_some(j + 1)
        }
        Some(j) => Some(j + 1),
        None => Some(floor),
    }
}

/// The quote whose words end `before` (over fillers), starting at or after
/// `clause`, when its context holds and nothing before it in the clause makes
/// the number a part, a change or a negation.
fn quote_before<'q>(place: &Place, before: &[char], clause: usize) -> Option<Found<'q>> {
    let mut end = before.len();
    let mut says_application = false;
    let (quote, start) = loop {
        if end < clause {
            return None;
        }
        let text = &before[clause..end];
        let best = QUOTES
            .iter()
            .filter_map(|q| Some((q, clause + match_parts(text, q.pattern)?)))
            .min_by_key(|&(_, start)| start);
        if let Some(best) = best {
            break best;
        }
        let filler = longest_filler(text)?;
        says_application |= filler.contains("申请");
        end -= filler.chars().count();
    };
    let lead = &before[clause..start];
    if NOT_BEFORE.iter().any(|w| ends_with(lead, w)) {
        return None;
    }
    let part_of: &[&str] = match quote.topic {
        Topic::Applications => &PART_OF_APPLICATIONS,
        Topic::ReviewLitigation => &PART_OF_REVIEW,
        Topic::Active => &[],
    };
    if PART_OF.iter().chain(part_of).any(|w| contains(lead, w)) {
        return None;
    }
    if quote.total && contains(lead, "其中") {
        return None;
    }
    let in_context = match quote.topic {
        Topic::Applications => {
            place.about_applications
                && (!quote.weak || says_application || place.block == ON_REQUEST)
        }
        Topic::ReviewLitigation => {
            place.block == ON_REQUEST || contains(place.sentence, "信息公开")
        }
        Topic::Active => true,
    };
    in_context.then_some(Found { quote, start })
}

/// The longest filler that ends `text`.
fn longest_filler(text: &[char]) -> Option<&'static str> {
    FILLERS
        .iter()
        .filter(|f| ends_with(text, f))
        .max_by_key(|f| f.chars().count())
        .copied()
}

/// Where `parts` (each a choice of alternatives, `""` for none) match at the
/// end of `text`: the index their words start at.
fn match_parts(text: &[char], parts: &[&[&str]]) -> Option<usize> {
    let Some((last, rest)) = parts.split_last() else {
        return Some(text.len());
    };
    let mut alternatives: Vec<&str> = last.to_vec();
    alternatives.sort_by_key(|a| std::cmp::Reverse(a.chars().count()));
    alternatives.into_iter().find_map(|a| {
        if !ends_with(text, a) {
            return None;
        }
        let cut = text.len() - a.chars().count();
        let start = match_parts(&text[..cut], rest)?;
        // A pattern of only empty alternatives matches nothing.
        (start < text.len()).then_some(start)
    })
}

fn ends_with(text: &[char], word: &str) -> bool {
    let n = word.chars().count();
    n <= text.len() && text[text.len() - n..].iter().copied().eq(word.chars())
}

fn starts_with(text: &[char], word: &str) -> bool {
    let n = word.chars().count();
    n > 0 && n <= text.len() && text[..n].iter().copied().eq(word.chars())
}

fn contains(text: &[char], word: &str) -> bool {
    let w: Vec<char> = word.chars().collect();
    !w.is_empty() && text.windows(w.len()).any(|x| x == w.as_slice())
}

/// The number that ends right before `unit`: its start and value. Arabic
/// digits (half or full width, `1,234`) or Chinese numerals (`七十五`).
fn number_before(s: &[char], unit: usize) -> Option<(usize, u64)> {
    let digit = |c: char| c.to_digit(10).or_else(|| full_width_digit(c));
    let mut start = unit;
    while start > 0 {
        let c = s[start - 1];
        let comma_between_digits = c == ','
            && start >= 2
            && digit(s[start - 2]).is_some()
            && start < unit
            && digit(s[start]).is_some();
        if digit(c).is_some() || comma_between_digits {
            start -= 1;
        } else {
            break;
        }
    }
    if start < unit {
        let mut value: u64 = 0;
        for &c in &s[start..unit] {
            if let Some(d) = digit(c) {
                value = value.checked_mul(10)?.checked_add(u64::from(d))?;
            }
        }
        return Some((start, value));
    }
    while start > 0 && is_chinese_numeral(s[start - 1]) {
        start -= 1;
    }
    if start == unit {
        return None;
    }
    Some((start, chinese_number(&s[start..unit])?))
}

fn full_width_digit(c: char) -> Option<u32> {
    ('０'..='９').contains(&c).then(|| c as u32 - '０' as u32)
}

fn is_chinese_numeral(c: char) -> bool {
    chinese_digit(c).is_some() || matches!(c, '十' | '百' | '千' | '万')
}

fn chinese_digit(c: char) -> Option<u64> {
    Some(match c {
        '〇' | '零' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// A count in Chinese numerals (`七十五` = 75, `一百零三` = 103, `十二` = 12,
/// `三万二千` = 32000); `None` for what is not plainly one — digits in a row
/// (`二〇二四`), a lone `零` (`零件` are parts), a unit out of order.
fn chinese_number(chars: &[char]) -> Option<u64> {
    let mut total: u64 = 0; // whole 万s
    let mut section: u64 = 0; // below 万
    let mut pending: Option<u64> = None; // a digit waiting for its unit
    let mut last_unit: u64 = 10_000;
    let mut after_zero = false;
    for (i, &c) in chars.iter().enumerate() {
        if let Some(d) = chinese_digit(c) {
            if pending.is_some() {
                return None;
            }
            if d == 0 {
                // 零 only stands between a unit and a digit (一百零三).
                if section == 0 || after_zero {
                    return None;
                }
                after_zero = true;
            } else {
                pending = Some(d);
            }
            continue;
        }
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            '万' => {
                section += pending.take().unwrap_or(0);
                if section == 0 || total != 0 {
                    return None;
                }
                total = section.checked_mul(10_000)?;
                section = 0;
                last_unit = 10_000;
                after_zero = false;
                continue;
            }
            _ => return None,
        };
        if unit >= last_unit {
            return None;
        }
        let d = match pending.take() {
            Some(d) => d,
            None if unit == 10 && i == 0 => 1, // 十二
            None => return None,
        };
        section += d * unit;
        last_unit = unit;
        after_zero = false;
    }
    if let Some(d) = pending {
        // A last digit right after 百 or 千 (一百三) is spoken shorthand for
        // 一百三十: not plainly a count.
        if last_unit > 10 && last_unit < 10_000 && !after_zero {
            return None;
        }
        section += d;
    }
    let value = total.checked_add(section)?;
    (value > 0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers() {
        for (text, n) in [
            ("七十五", Some(75)),
            ("十二", Some(12)),
            ("二十", Some(20)),
            ("一百零三", Some(103)),
            ("一百一十五", Some(115)),
            ("两千", Some(2000)),
            ("三万二千", Some(32_000)),
            ("五", Some(5)),
            ("两", Some(2)),
            ("二〇二四", None),
            ("零", None),
            ("一百三", None),
            ("万", None),
            ("十十", None),
            ("百", None),
        ] {
            let chars: Vec<char> = text.chars().collect();
            assert_eq!(chinese_number(&chars), n, "{text}");
        }
    }

    #[test]
    fn numbers_before_a_unit() {
        let at = |text: &str| {
            let s: Vec<char> = text.chars().collect();
            let unit = s.iter().rposition(|&c| c == '件').unwrap();
            number_before(&s, unit).map(|(_, v)| v)
        };
        assert_eq!(at("申请75件"), Some(75));
        assert_eq!(at("申请１２件"), Some(12));
        assert_eq!(at("申请1,234件"), Some(1234));
        assert_eq!(at("申请七十五件"), Some(75));
        assert_eq!(at("文件"), None);
        assert_eq!(at("零件"), None);
    }

    #[test]
    fn patterns_match_at_the_end() {
        let s = |t: &str| t.chars().collect::<Vec<char>>();
        let p: &[&[&str]] = &[&["制发", "制定"], &["", "行政"], &["规范性文件"]];
        assert_eq!(match_parts(&s("市政府制发行政规范性文件"), p), Some(3));
        assert_eq!(match_parts(&s("制定规范性文件"), p), Some(0));
        assert_eq!(match_parts(&s("清理规范性文件"), p), None);
        let optional: &[&[&str]] = &[&["结转下年度"], &["", "继续办理"]];
        assert_eq!(match_parts(&s("结转下年度继续办理"), optional), Some(0));
        assert_eq!(match_parts(&s("结转下年度"), optional), Some(0));
    }
}
