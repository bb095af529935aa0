//! The narrative of a published report: the six section headings split the
//! paragraphs; the run-in heads （一）主动公开： split sections 一 and 五 into
//! their blocks; the title gives the agency and the year, the signature the
//! 成文日期; the 信息处理费 sentence of 六 gives its three numbers.

use std::str::FromStr;

use crate::model::{Date, Report, Yuan};
use crate::spec::outline::{self, SECTION_HEADINGS};

use super::labels::{normalize, numeral_value, similarity};

/// Key words of each section heading, one of which a heading must hold
/// (reports word their headings a little differently).
const HEADING_WORDS: [&[&str]; 6] = [
    &["总体情况", "基本情况", "概述"],
    &["主动公开"],
    &["收到和处理", "依申请"],
    &["复议", "诉讼"],
    &["问题", "改进"],
    &["其他需要报告", "其他事项"],
];

/// The section (0–5) that paragraph `p` is the heading of, if it is one.
pub fn section_heading(p: &str) -> Option<usize> {
    let p = p.trim();
    if p.chars().count() > 40 {
        return None;
    }
    let mut chars = p.chars();
    let n = numeral_value(chars.next()?)?;
    if !(1..=6).contains(&n) {
        return None;
    }
    let sep = chars.next()?;
    if !matches!(sep, '、' | '.' | '．' | ',' | '，' | ' ' | '\u{3000}') {
        return None;
    }
    let rest = normalize(chars.as_str());
    let k = n - 1;
    let wanted = normalize(SECTION_HEADINGS[k]);
    let words = HEADING_WORDS[k].iter().any(|w| rest.contains(w));
    (words || similarity(&rest, &wanted) >= 0.6).then_some(k)
}

/// A run-in head at the start of a paragraph: its number (（一） = 1), the
/// head's words and the text after it.
pub fn run_in_head(p: &str) -> Option<(usize, String, String)> {
    let p = p.trim_start();
    let inner = p.strip_prefix('（').or_else(|| p.strip_prefix('('))?;
    let close = inner.find(['）', ')'])?;
    let numeral = &inner[..close];
    let mut ns = numeral.chars();
    let n = numeral_value(ns.next()?)?;
    if ns.next().is_some() {
        return None;
    }
    let after = inner[close..].chars().skip(1).collect::<String>();
    let after = after.trim_start();
    let limit = 30;
    let head_end = after
        .char_indices()
        .take(limit)
        .find(|(_, c)| matches!(c, '：' | ':' | '。'));
    match head_end {
        Some((i, c)) => {
            let head = after[..i].trim().to_string();
            let rest = after[i + c.len_utf8()..].trim().to_string();
            (!head.is_empty()).then_some((n, head, rest))
        }
        None if after.chars().count() <= 25 && !after.is_empty() => {
            Some((n, after.trim().to_string(), String::new()))
        }
        None => None,
    }
}

/// What the narrative gave, for the summary.
#[derive(Debug, Default)]
pub struct Narrative {
    /// The section headings found (0–5).
    pub sections: Vec<usize>,
    /// Whether a title with agency and year was found.
    pub title: bool,
    /// Remarks in Chinese.
    pub notes: Vec<String>,
}

/// Reads the paragraphs into `report`: agency, year, date, text blocks,
/// headings and 信息处理费.
pub fn read(paragraphs: &[String], report: &mut Report) -> Narrative {
    let mut out = Narrative::default();
    // Split at the section headings, in increasing order.
    let mut current: Option<usize> = None;
    let mut before: Vec<&str> = Vec::new();
    let mut sections: Vec<Vec<&str>> = vec![Vec::new(); 6];
    for p in paragraphs {
        if let Some(k) = section_heading(p)
            && current.is_none_or(|c| k > c)
        {
            current = Some(k);
            out.sections.push(k);
            continue;
        }
        match current {
            None => before.push(p),
            Some(k) => sections[k].push(p),
        }
    }
    read_title(&before, report, &mut out);
    // The signature and date close section 六 (or the last section found).
    let last = out.sections.last().copied().unwrap_or(5);
    let (kept, date, signer) = split_signature(&sections[last]);
    sections[last] = kept;
    report.report.issued_on = date;
    if report.report.agency.is_empty()
        && let Some(s) = signer
    {
        report.report.agency = s;
    }
    read_blocks(0, &sections[0], report, &mut out);
    read_blocks(4, &sections[4], report, &mut out);
    let (fees, rest): (Vec<&str>, Vec<&str>) = sections[5]
        .iter()
        .partition(|p| p.contains("信息处理费") && read_fees(p, report));
    if !fees.is_empty() {
        out.notes
            .push("六、其他需要报告的事项中的信息处理费一段读作 [processing_fees] 的三个数".into());
    }
    set_block(report, "other_matters", &rest);
    if out.title {
        derive_names(report);
    }
    out
}

/// Agency and year from the title: the last paragraph before 一 that reads
/// `{机关}{年}年（度）政府信息公开工作年度报告`.
fn read_title(before: &[&str], report: &mut Report, out: &mut Narrative) {
    for p in before.iter().rev() {
        let p = super::shape::tidy(p);
        let Some(at) = p.find("政府信息公开") else {
            continue;
        };
        let head = p[..at].trim_end_matches('度').trim_end_matches('年');
        let digits: String = head
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect();
        if digits.len() != 4 {
            continue;
        }
        let year: String = digits.chars().rev().collect();
        let Ok(year) = year.parse::<u16>() else {
            continue;
        };
        if !crate::model::YEARS.contains(&year) {
            continue;
        }
        let agency = &head[..head.len() - 4];
        let agency = agency
            .rsplit(['：', ':', '》', '】', '|'])
            .next()
            .unwrap_or(agency)
            .trim_start_matches("关于")
            .trim_matches(|c: char| c.is_whitespace() || "《【“\"".contains(c));
        report.report.year = crate::model::Year(year);
        if !agency.is_empty() {
            report.report.agency = agency.chars().take(crate::model::MAX_NAME_CHARS).collect();
            out.title = true;
        }
        return;
    }
}

/// 所属地区 and 简称 from an agency name such as 潢川县卜塔集镇人民政府.
fn derive_names(report: &mut Report) {
    let agency = report.report.agency.clone();
    let Some(i) = ["县", "区", "市"]
        .iter()
        .filter_map(|u| agency.find(u).map(|i| i + u.len()))
        .min()
    else {
        return;
    };
    let rest = &agency[i..];
    if rest.chars().count() < 2 {
        return;
    }
    report.report.region = Some(agency[..i].to_string());
    if let Some(short) = rest.strip_suffix("人民政府")
        && short.chars().count() >= 2
    {
        report.report.short_name = Some(short.to_string());
    }
}

/// Section `k` without its closing signature and date: the kept
/// paragraphs, the date, and the signer.
fn split_signature<'a>(paragraphs: &[&'a str]) -> (Vec<&'a str>, Option<Date>, Option<String>) {
    let n = paragraphs.len();
    for i in (n.saturating_sub(8)..n).rev() {
        if let Some(date) = parse_date(paragraphs[i]) {
            let mut end = i;
            let mut signer = None;
            if i > 0 {
                let s = paragraphs[i - 1].trim();
                if s.chars().count() <= 50 && !s.ends_with('。') && !s.is_empty() {
                    signer = Some(s.to_string());
                    end = i - 1;
                }
            }
            return (paragraphs[..end].to_vec(), Some(date), signer);
        }
    }
    (paragraphs.to_vec(), None, None)
}

/// A paragraph that is only a date: `2025年1月20日` or `二〇二五年一月二十日`.
pub fn parse_date(p: &str) -> Option<Date> {
    let p: String = p.chars().filter(|c| !c.is_whitespace()).collect();
    let p = p.trim_end_matches(['。', '.']);
    let (y, rest) = p.split_once('年')?;
    let (m, rest) = rest.split_once('月')?;
    let d = rest.strip_suffix('日')?;
    let year = chinese_or_digits(y, true)?;
    let month = chinese_or_digits(m, false)?;
    let day = chinese_or_digits(d, false)?;
    Date::from_str(&format!("{year:04}-{month:02}-{day:02}")).ok()
}

/// `2025`, `二〇二五` (digit by digit), `12`, `十二`, `二十`, `三十一`.
fn chinese_or_digits(s: &str, year: bool) -> Option<u32> {
    if s.is_empty() || s.chars().count() > 4 {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let digit = |c: char| match c {
        '〇' | '零' | 'O' | '○' => Some(0),
        c => numeral_value(c).filter(|&v| v < 10).map(|v| v as u32),
    };
    if year {
        return s
            .chars()
            .try_fold(0u32, |acc, c| Some(acc * 10 + digit(c)?));
    }
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [a] => digit(*a),
        ['十', b] => Some(10 + digit(*b)?),
        [a, '十'] => Some(digit(*a)? * 10),
        [a, '十', b] => Some(digit(*a)? * 10 + digit(*b)?),
        _ => None,
    }
}

/// The blocks of section `k` (一 or 五): the lead paragraphs, then one
/// block per run-in head.
fn read_blocks(k: usize, paragraphs: &[&str], report: &mut Report, out: &mut Narrative) {
    let headed: Vec<&outline::Block> = outline::BLOCKS
        .iter()
        .filter(|b| b.section == k && b.default_head.is_some())
        .collect();
    let lead = outline::BLOCKS
        .iter()
        .find(|b| b.section == k && b.default_head.is_none())
        .map(|b| b.name);
    let mut groups: Vec<(Option<&'static str>, Vec<String>)> = vec![(lead, Vec::new())];
    for p in paragraphs {
        match run_in_head(p) {
            Some((n, head, rest)) => {
                let block = block_for(&headed, n, &head);
                if let Some(b) = block
                    && b.default_head != Some(head.as_str())
                {
                    report.headings.set(b.name, Some(head.clone()));
                }
                if block.is_none() {
                    out.notes.push(format!(
                        "小标题“{head}”对不上{}的任何一块，其文字并入上一块",
                        SECTION_HEADINGS[k]
                    ));
                    if let Some(last) = groups.last_mut() {
                        last.1.push(p.to_string());
                    }
                    continue;
                }
                let mut texts = Vec::new();
                if !rest.is_empty() {
                    texts.push(rest);
                }
                groups.push((block.map(|b| b.name), texts));
            }
            None => {
                if let Some(last) = groups.last_mut() {
                    last.1.push(p.to_string());
                }
            }
        }
    }
    for (name, texts) in groups {
        let Some(name) = name else {
            if !texts.is_empty() {
                out.notes.push(format!(
                    "{}开头的 {} 段文字没有对应的文字块，未读入",
                    SECTION_HEADINGS[k],
                    texts.len()
                ));
            }
            continue;
        };
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        if report.text.get(name).is_some() {
            // A second head for the same block: append.
            let mut all: Vec<String> = report
                .text
                .get(name)
                .map(|t| vec![t.to_string()])
                .unwrap_or_default();
            all.extend(texts);
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            set_block(report, name, &refs);
        } else {
            set_block(report, name, &refs);
        }
    }
}

/// The block a run-in head opens: by its words when they are like a
/// block's default head, else by its number.
fn block_for(
    headed: &[&'static outline::Block],
    n: usize,
    head: &str,
) -> Option<&'static outline::Block> {
    let words = normalize(head);
    let by_words = headed.iter().copied().max_by(|a, b| {
        let s = |x: &outline::Block| similarity(&words, &normalize(x.default_head.unwrap_or("")));
        s(a).total_cmp(&s(b))
    });
    if let Some(b) = by_words {
        let default = normalize(b.default_head.unwrap_or(""));
        if words.starts_with(&default) || similarity(&words, &default) >= 0.6 {
            return Some(b);
        }
    }
    headed.get(n.checked_sub(1)?).copied()
}

/// Sets a text block from paragraphs (joined by a blank line, as the
/// templates separate paragraphs); `{{` is escaped so that the text stays
/// literal; forbidden characters are dropped and the length held.
fn set_block(report: &mut Report, name: &str, paragraphs: &[&str]) {
    let text = paragraphs
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let text: String = text
        .chars()
        .filter(|&c| crate::model::is_xml_char(c))
        .take(crate::model::MAX_TEXT_CHARS - 16)
        .collect();
    let text = text.replace("{{", "\\{{");
    report.text.set(name, (!text.is_empty()).then_some(text));
}

/// Reads the 信息处理费 numbers from a sentence of 六; false when it holds none.
fn read_fees(p: &str, report: &mut Report) -> bool {
    let count_after = |key: &str| -> Option<String> {
        let at = p.find(key)? + key.len();
        let s: String = p[at..]
            .chars()
            .skip_while(|c| c.is_whitespace())
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
            .filter(|c| *c != ',')
            .collect();
        (!s.is_empty()).then_some(s)
    };
    let mut fees = report.processing_fees.unwrap_or_default();
    let mut any = false;
    if let Some(n) = count_after("收费通知").and_then(|s| s.parse::<u32>().ok()) {
        fees.notices = n.min(crate::model::MAX_COUNT);
        any = true;
    } else if p.contains("未发出") {
        fees.notices = 0;
        any = true;
    }
    if let Some(a) = count_after("总金额").and_then(|s| Yuan::from_str(&s).ok()) {
        fees.notices_amount = a;
        any = true;
    }
    if let Some(a) = count_after("实际收取信息处理费")
        .or_else(|| count_after("实际收取"))
        .and_then(|s| Yuan::from_str(&s).ok())
    {
        fees.collected = a;
        any = true;
    } else if p.contains("未收取") {
        any = true;
    }
    if any {
        report.processing_fees = Some(fees);
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings() {
        assert_eq!(section_heading("一、总体情况"), Some(0));
        assert_eq!(
            section_heading("四、政府信息公开行政复议、行政诉讼情况"),
            Some(3)
        );
        assert_eq!(section_heading("四、结转下年度继续办理"), None);
        assert_eq!(section_heading("一、本年新收政府信息公开申请数量"), None);
        assert_eq!(section_heading("五、存在的主要问题及改进情况"), Some(4));
    }

    #[test]
    fn heads_and_dates() {
        assert_eq!(
            run_in_head("（二）依申请公开：2024年，无。"),
            Some((2, "依申请公开".into(), "2024年，无。".into()))
        );
        assert_eq!(
            run_in_head("（一）主动公开情况"),
            Some((1, "主动公开情况".into(), String::new()))
        );
        assert_eq!(
            parse_date("2025年1月20日").map(|d| d.to_string()),
            Some("2025-01-20".into())
        );
        assert_eq!(
            parse_date("二〇二五年一月二十日").map(|d| d.to_string()),
            Some("2025-01-20".into())
        );
        assert_eq!(parse_date("2025年13月1日"), None);
    }
}
