//! Labels as printed and as the format spells them: normalized for
//! comparison (no spaces, full-width forms folded, numbering such as 一、
//! （一） 1. dropped, punctuation dropped), and matched exactly, by suffix
//! (a row label led by its group's label) or approximately (a typo).

use unicode_normalization::UnicodeNormalization;

/// How a label was matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Match {
    /// Equal after normalizing, or ending with the label.
    Exact,
    /// Similar enough (normalized Levenshtein similarity, 0–1).
    Approximate(f64),
}

/// The least similarity an approximate match needs.
pub const MIN_SIMILARITY: f64 = 0.72;
/// Labels shorter than this (in characters, normalized) only match exactly.
const MIN_APPROX_CHARS: usize = 4;

const NUMERALS: &str = "一二三四五六七八九十";

/// The label for comparison: NFKC (full-width to half-width), no white
/// space, no leading numbering, no punctuation.
///
/// ```
/// use nianbao::import::labels::normalize;
/// assert_eq!(normalize("（三）不 予公开"), "不予公开");
/// assert_eq!(normalize("1、自然人"), "自然人");
/// ```
pub fn normalize(text: &str) -> String {
    let folded: String = text.nfkc().filter(|c| !c.is_whitespace()).collect();
    let mut rest = folded.as_str();
    for _ in 0..4 {
        let stripped = strip_numbering(rest);
        if stripped.len() == rest.len() {
            break;
        }
        rest = stripped;
    }
    rest.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// `text` without one leading numbering: `一、` `(一)` `（一）` `1.` `1、` `(1)`.
///
/// ```
/// use nianbao::import::labels::strip_numbering;
/// assert_eq!(strip_numbering("（三）不予公开"), "不予公开");
/// assert_eq!(strip_numbering("(3)不予公开"), "不予公开");
/// assert_eq!(strip_numbering("一、本年新收"), "本年新收");
/// assert_eq!(strip_numbering("其他"), "其他");
/// ```
pub fn strip_numbering(text: &str) -> &str {
    let numeral_run = |s: &str| -> usize {
        s.char_indices()
            .take_while(|(_, c)| NUMERALS.contains(*c))
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8())
    };
    let digit_run = |s: &str| -> usize { s.bytes().take_while(u8::is_ascii_digit).count() };
    for (open, close) in [('(', ')'), ('（', '）')] {
        if let Some(inner) = text.strip_prefix(open) {
            let n = numeral_run(inner).max(digit_run(inner));
            if n > 0
                && let Some(rest) = inner[n..].strip_prefix(close)
            {
                return rest;
            }
            return text;
        }
    }
    let n = numeral_run(text);
    if n > 0
        && n <= 6
        && let Some(rest) = text[n..].strip_prefix('、')
    {
        return rest;
    }
    let d = digit_run(text);
    if d > 0 && d <= 2 {
        for sep in ['.', '、', '．'] {
            if let Some(rest) = text[d..].strip_prefix(sep)
                && !rest.starts_with(|c: char| c.is_ascii_digit())
            {
                return rest;
            }
        }
    }
    text
}

/// Similarity of two normalized labels, 0–1.
pub fn similarity(a: &str, b: &str) -> f64 {
    strsim::normalized_levenshtein(a, b)
}

/// The best of `candidates` (normalized labels with an id) for the
/// normalized `text`: equal, then the longest that `text` ends with, then
/// the most similar to `text` or to its tail of the candidate's length.
pub fn best<T: Copy>(text: &str, candidates: &[(T, String)]) -> Option<(T, Match)> {
    if text.is_empty() {
        return None;
    }
    if let Some((id, _)) = candidates.iter().find(|(_, l)| l == text) {
        return Some((*id, Match::Exact));
    }
    if let Some((id, _)) = candidates
        .iter()
        .filter(|(_, l)| !l.is_empty() && text.ends_with(l.as_str()))
        .max_by_key(|(_, l)| l.chars().count())
    {
        return Some((*id, Match::Exact));
    }
    let chars: Vec<char> = text.chars().collect();
    let mut found: Option<(T, f64)> = None;
    for (id, label) in candidates {
        let n = label.chars().count();
        if n < MIN_APPROX_CHARS {
            continue;
        }
        let tail: String = chars[chars.len().saturating_sub(n)..].iter().collect();
        let score = similarity(text, label).max(similarity(&tail, label));
        if score >= MIN_SIMILARITY && found.is_none_or(|(_, s)| score > s) {
            found = Some((*id, score));
        }
    }
    found.map(|(id, s)| (id, Match::Approximate(s)))
}

/// The index of a Chinese numeral 一–十 (一 = 1), for section and head numbers.
pub fn numeral_value(c: char) -> Option<usize> {
    NUMERALS.chars().position(|n| n == c).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing() {
        assert_eq!(normalize("（三）不 予公开"), "不予公开");
        assert_eq!(normalize("1.属于国家秘密"), "属于国家秘密");
        assert_eq!(normalize("四、结转下年度继续办理"), "结转下年度继续办理");
        assert_eq!(normalize("危及“三安全一稳定”"), "危及三安全一稳定");
        assert_eq!(normalize("一、总体情况"), "总体情况");
        assert_eq!(normalize("2024年"), "2024年");
        assert_eq!(normalize("１．其他"), "其他");
    }

    #[test]
    fn matching() {
        let c = vec![(1, "其他".to_string()), (2, "属于国家秘密".to_string())];
        assert_eq!(best("不予公开属于国家秘密", &c), Some((2, Match::Exact)));
        assert_eq!(best("其他", &c), Some((1, Match::Exact)));
        assert!(matches!(
            best("属于国家泌密", &c),
            Some((2, Match::Approximate(_)))
        ));
        assert_eq!(best("毫不相干的文字", &c), None);
    }
}
