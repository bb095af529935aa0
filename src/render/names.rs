//! Safe file names: whatever an agency is called, its files land inside the
//! output folder and every file system accepts the name.
//!
//! A name is made safe by replacing path separators, control and invisible
//! formatting characters and the characters Windows forbids (`: * ? " < > |`)
//! with `_`, by not letting it start with a dot or end with a dot or a space,
//! by not letting it be a reserved Windows device name, and by keeping it
//! under [`MAX_NAME_BYTES`]. Whenever anything had to change, the stem ends
//! in `~` and 8 hex digits of the SHA-256 of the original name, so that two
//! different names never become the same file.
//!
//! ```
//! use nianbao::safe_file_name;
//! assert_eq!(safe_file_name("某局2024年报告.docx").0, "某局2024年报告.docx");
//! let (name, changed) = safe_file_name("../../etc/passwd.docx");
//! assert!(changed);
//! assert!(!name.contains('/') && !name.starts_with('.') && name.ends_with(".docx"));
//! ```

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// An agency name as compared between inputs (duplicates, last year's
/// input): without surrounding white space, in Unicode normal form C, so
/// that `某局`, ` 某局 ` and the same name typed with decomposed characters
/// are one agency.
///
/// ```
/// use nianbao::agency_key;
/// assert_eq!(agency_key(" 潢川县\u{3000}"), agency_key("潢川县"));
/// assert_eq!(agency_key("Caf\u{e9}"), agency_key("Cafe\u{301}"));
/// ```
pub fn agency_key(name: &str) -> String {
    name.trim().nfc().collect()
}

/// The longest file name written, in bytes. File systems allow 255 (and the
/// temporary name used while writing is short, see `crate::output`); the
/// margin is for archive and sync tools that add to a name.
pub const MAX_NAME_BYTES: usize = 200;

/// Windows device names that cannot be file stems.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Whether `c` may not appear in a file name.
fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
        // zero-width and bidirectional formatting characters: invisible, and
        // able to make a name display as something else
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Splits `name` into stem and extension (with its dot), when the extension
/// is 1–5 ASCII letters or digits.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i)
            if i > 0
                && name.len() - i <= 6
                && name.len() - i >= 2
                && name[i + 1..].bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            (&name[..i], &name[i..])
        }
        _ => (name, ""),
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A safe version of the file name `name`, and whether it differs from `name`.
pub fn safe_file_name(name: &str) -> (String, bool) {
    let (stem, ext) = split_extension(name);
    let mut safe: String = stem
        .chars()
        .map(|c| if forbidden(c) { '_' } else { c })
        .collect();
    // No hidden files, no `.`/`..`, no trailing dots or spaces (Windows drops them).
    let leading = safe.len() - safe.trim_start_matches(['.', ' ']).len();
    if leading > 0 {
        safe.replace_range(..leading, &"_".repeat(leading));
    }
    let kept = safe.trim_end_matches(['.', ' ']).len();
    if kept < safe.len() {
        let trailing = safe.len() - kept;
        safe.replace_range(kept.., &"_".repeat(trailing));
    }
    if safe.is_empty() {
        safe.push('_');
    }
    let device = safe.split('.').next().unwrap_or("").to_ascii_uppercase();
    if RESERVED.contains(&device.as_str()) {
        safe.insert(0, '_');
    }
    let changed = safe != stem;
    if !changed && name.len() <= MAX_NAME_BYTES {
        return (name.to_string(), false);
    }
    // `~` + 8 hex digits tell the original names apart.
    let hash = Sha256::digest(name.as_bytes());
    let tag: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
    let room = MAX_NAME_BYTES - ext.len() - 1 - tag.len();
    let stem = shorten(&safe, room);
    (format!("{stem}~{tag}{ext}"), true)
}

/// `s` within `max` bytes: when too long, its head, `…`, and its last
/// [`TAIL_BYTES`] or so (which hold the year and the kind of document).
fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut start = s.len().saturating_sub(TAIL_BYTES);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    let tail = &s[start..];
    let head = truncate(s, max - tail.len() - '…'.len_utf8());
    format!("{head}…{tail}")
}

/// How much of the end of a long name is kept.
const TAIL_BYTES: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_safe(name: &str) {
        assert!(name.len() <= MAX_NAME_BYTES, "{name}");
        assert!(!name.chars().any(forbidden), "{name:?}");
        assert!(!name.starts_with('.') && !name.starts_with(' '), "{name:?}");
        assert_ne!(name, "..");
    }

    #[test]
    fn hostile_names() {
        let long = "很长的机关名称".repeat(30);
        for bad in [
            "../上级/机关.docx",
            "..",
            ".",
            "a\\b.xlsx",
            "a\u{0}b\u{7}c\u{1b}.docx",
            "tab\there\nnew.docx",
            "CON.docx",
            "nul",
            "尾点...",
            " 空格 .docx",
            "x\u{202E}fdp.exe.docx",
            long.as_str(),
            &format!("{long}.docx"),
        ] {
            let (safe, changed) = safe_file_name(bad);
            assert!(changed, "{bad:?}");
            assert_safe(&safe);
        }
        let (safe, _) = safe_file_name(&format!("{long}2024年政府信息公开工作年度报告.docx"));
        assert!(safe.starts_with("很长的机关名称"), "{safe}");
        assert!(safe.contains("…"), "{safe}");
        assert!(safe.contains("2024年政府信息公开工作年度报告~"), "{safe}");
        assert!(safe.ends_with(".docx"));
    }

    #[test]
    fn different_names_stay_different() {
        let a = safe_file_name("a/b.docx").0;
        let b = safe_file_name("a\\b.docx").0;
        let c = safe_file_name("a:b.docx").0;
        assert_ne!(a, b);
        assert_ne!(b, c);
        let long = "机".repeat(100);
        assert_ne!(
            safe_file_name(&format!("{long}一.docx")).0,
            safe_file_name(&format!("{long}二.docx")).0
        );
    }

    #[test]
    fn ordinary_names_unchanged() {
        for ok in [
            "潢川县卜塔集镇人民政府2024年政府信息公开工作年度报告.docx",
            "a.b.c.xlsx",
        ] {
            assert_eq!(safe_file_name(ok), (ok.to_string(), false));
        }
    }
}
