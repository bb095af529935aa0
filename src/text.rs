//! Text blocks: handlebars templates filled from the report.

/// Whether XML 1.0 allows `c` in a document (tab, line feed, carriage return
/// and everything from U+0020 except the surrogates, U+FFFE and U+FFFF).
///
/// ```
/// assert!(nianbao::text::is_xml_char('𠀀'));
/// assert!(!nianbao::text::is_xml_char('\u{b}'));
/// ```
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}
