//! Validation of the report's text: every name, block and heading must be
//! writable as XML 1.0 (DOCX and XLSX are XML), and the agency must be named.
//! One guard for the readers and the writers.

use super::{MAX_HEADING_CHARS, MAX_NAME_CHARS, MAX_TEXT_CHARS, Report};

/// Whether XML 1.0 allows `c` in a document (tab, line feed, carriage return
/// and everything from U+0020 except the surrogates, U+FFFE and U+FFFF).
///
/// ```
/// assert!(nianbao::model::is_xml_char('𠀀'));
/// assert!(!nianbao::model::is_xml_char('\u{b}'));
/// ```
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// The first character of `text` that XML 1.0 forbids, if any. Searches the
/// bytes (C0 controls, and U+FFFE/U+FFFF as `EF BF BE`/`EF BF BF`: a UTF-8
/// `str` holds no surrogates), which is fast on long documents.
///
/// ```
/// use nianbao::model::forbidden_char;
/// assert_eq!(forbidden_char("abc\t\n\r中文𠀀"), None);
/// assert_eq!(forbidden_char("中\u{fffe}x\u{b}"), Some('\u{fffe}'));
/// assert_eq!(forbidden_char("\u{fffd}\u{ffbf}"), None);
/// ```
pub fn forbidden_char(text: &str) -> Option<char> {
    let bytes = text.as_bytes();
    let control = bytes
        .iter()
        .position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'));
    let nonchar = memchr::memmem::find_iter(bytes, b"\xEF\xBF")
        .find(|&i| matches!(bytes.get(i + 2), Some(0xBE | 0xBF)));
    let at = match (control, nonchar) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    text[at..].chars().next()
}

/// What is wrong with a text of the report, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextProblem {
    /// The key path, e.g. `text.overview` or `report.agency`.
    pub key_path: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl std::fmt::Display for TextProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}：{}", self.key_path, self.message)
    }
}

impl std::error::Error for TextProblem {}

/// One text of the report: its key path, what it is in words, the text and
/// its length limit in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextField<'r> {
    /// The key path, e.g. `text.overview`.
    pub key_path: String,
    /// What it is, e.g. 机关全称.
    pub what: &'static str,
    /// The text as given.
    pub text: &'r str,
    /// The longest it may be, in characters.
    pub max_chars: usize,
}

/// Every text of the report with its key path: names, blocks, headings.
pub fn text_fields(report: &Report) -> Vec<TextField<'_>> {
    let info = &report.report;
    let field = |key_path: String, what, text, max_chars| TextField {
        key_path,
        what,
        text,
        max_chars,
    };
    let mut fields = vec![
        field(
            "report.agency".into(),
            "机关全称",
            info.agency.as_str(),
            MAX_NAME_CHARS,
        ),
        field(
            "report.short_name".into(),
            "简称",
            info.short_name.as_deref().unwrap_or(""),
            MAX_NAME_CHARS,
        ),
        field(
            "report.region".into(),
            "所属地区",
            info.region.as_deref().unwrap_or(""),
            MAX_NAME_CHARS,
        ),
    ];
    for (name, text) in report.text.entries() {
        if let Some(t) = text {
            fields.push(field(format!("text.{name}"), "文字", t, MAX_TEXT_CHARS));
        }
    }
    for (name, head) in report.headings.entries() {
        if let Some(h) = head {
            fields.push(field(
                format!("headings.{name}"),
                "小标题",
                h,
                MAX_HEADING_CHARS,
            ));
        }
    }
    fields
}

/// Checks every text of the report: within its length limit
/// ([`MAX_NAME_CHARS`], [`MAX_HEADING_CHARS`], [`MAX_TEXT_CHARS`]), no
/// character XML 1.0 forbids, and an agency name that is not blank.
///
/// ```
/// let mut report = nianbao::model::Report::from_toml_str(
///     "[report]\nagency = \"某局\"\nyear = 2024\n", "x.toml").unwrap();
/// assert!(nianbao::model::validate_text(&report).is_ok());
/// report.text.problems = Some("a\u{b}b".into());
/// let problem = nianbao::model::validate_text(&report).unwrap_err();
/// assert_eq!(problem.key_path, "text.problems");
/// ```
pub fn validate_text(report: &Report) -> Result<(), TextProblem> {
    match text_problems(report).into_iter().next() {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

/// Every problem [`validate_text`] finds, not only the first (a filled
/// form names each wrong cell).
pub fn text_problems(report: &Report) -> Vec<TextProblem> {
    let mut problems = Vec::new();
    for TextField {
        key_path,
        what,
        text,
        max_chars,
    } in text_fields(report)
    {
        // Bytes bound characters: most texts need no count.
        if text.len() > max_chars {
            let chars = text.chars().count();
            if chars > max_chars {
                problems.push(TextProblem {
                    key_path,
                    message: format!("{what}过长：{chars} 个字，上限 {max_chars} 个字"),
                });
                continue;
            }
        }
        if let Some(c) = forbidden_char(text) {
            problems.push(TextProblem {
                key_path,
                message: format!(
                    "含有 XML 不允许的字符 U+{:04X}（常见于从 Excel 复制的文字），请删除",
                    c as u32
                ),
            });
        }
    }
    if report.report.agency.trim().is_empty() {
        problems.push(TextProblem {
            key_path: "report.agency".into(),
            message: "机关全称不能为空".into(),
        });
    }
    problems
}
