//! Where the format's labels may break between lines: the one word rule
//! that the DOCX tables (`render::docx::label_lines`) and the county
//! summary's headers (`batch::summary::wrap_words`) follow.
//!
//! The labels of the mandated tables are runs of Chinese characters read
//! as words of two characters (社会/公益/组织, 本年/制发/件数); a run of odd
//! length keeps its first three together (本年度/办理/结果, 自然人), so that
//! no character is left alone on a line.
//!
//! ```
//! use nianbao::spec::words::han_words;
//! assert_eq!(han_words("社会公益组织").collect::<Vec<_>>(), ["社会", "公益", "组织"]);
//! assert_eq!(han_words("本年度办理结果").collect::<Vec<_>>(), ["本年度", "办理", "结果"]);
//! ```

/// Is `c` a Chinese character (a unified ideograph, not punctuation)?
///
/// ```
/// use nianbao::spec::words::is_han;
/// assert!(is_han('公') && !is_han('、') && !is_han('（') && !is_han('7'));
/// ```
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// The words of `run`, a run of Chinese characters ([`is_han`]): pairs, the
/// first word of three characters when the run is of odd length; a run of
/// one character is one word.
///
/// ```
/// use nianbao::spec::words::han_words;
/// assert_eq!(han_words("自然人").collect::<Vec<_>>(), ["自然人"]);
/// assert_eq!(han_words("其他").collect::<Vec<_>>(), ["其他"]);
/// assert_eq!(han_words("人").collect::<Vec<_>>(), ["人"]);
/// assert_eq!(han_words("法律服务机构").collect::<Vec<_>>(), ["法律", "服务", "机构"]);
/// ```
pub fn han_words(run: &str) -> impl Iterator<Item = &str> {
    let count = run.chars().count();
    let mut take = if count % 2 == 1 && count > 1 { 3 } else { 2 };
    let mut rest = run;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.char_indices().nth(take).map_or(rest.len(), |(i, _)| i);
        let (word, tail) = rest.split_at(end);
        rest = tail;
        take = 2;
        Some(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every run of 1 to 12 characters: the words put together give the run,
    /// each word has two characters, the first three when the run is odd
    /// (one when the run is one character).
    #[test]
    fn words_cover_the_run_and_never_leave_a_character_alone() {
        let all = "一二三四五六七八九十百千";
        for n in 1..=12 {
            let run: String = all.chars().take(n).collect();
            let words: Vec<&str> = han_words(&run).collect();
            assert_eq!(words.concat(), run);
            for (i, w) in words.iter().enumerate() {
                let len = w.chars().count();
                let want = match (i, n) {
                    (0, 1) => 1,
                    (0, n) if n % 2 == 1 => 3,
                    _ => 2,
                };
                assert_eq!(len, want, "{run}: {words:?}");
            }
        }
    }
}
