//! Reading inputs: TOML, JSON or a filled Excel form, chosen by extension.
//!
//! Every error names the file and, where the parser knows them, the key path,
//! line and column (see [`LoadError`]). Nothing here panics on user input.

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::LoadError;
use crate::model::Report;

/// Reads a report from `path`: `.toml`, `.json` or a filled form `.xlsx`;
/// `-` reads TOML from standard input.
///
/// ```no_run
/// let report = nianbao::load(std::path::Path::new("inputs/卜塔集镇-2024.toml")).unwrap();
/// println!("{}", report.title());
/// ```
pub fn load(path: &Path) -> Result<Report, LoadError> {
    match extension(path).as_str() {
        "xlsx" => crate::form::read_form(path),
        _ => load_text_file(path),
    }
}

/// Reads a TOML or JSON input (or `-`: TOML from standard input).
pub fn load_text_file(path: &Path) -> Result<Report, LoadError> {
    let file = path.display().to_string();
    let bytes = if file == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|source| LoadError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        buf
    } else {
        std::fs::read(path).map_err(|source| LoadError::Io {
            path: path.to_path_buf(),
            source,
        })?
    };
    let kind = if file == "-" {
        "toml".to_string()
    } else {
        extension(path)
    };
    if kind != "toml" && kind != "json" {
        return Err(LoadError::UnknownKind { file });
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return Err(LoadError::NotUtf8 { file, offset, line });
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if kind == "json" {
        from_json_str(text, &file)
    } else {
        from_toml_str(text, &file)
    }
}

/// The lower-case extension of `path`, or "".
pub fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Reads a report from TOML text.
pub fn from_toml_str(text: &str, file: &str) -> Result<Report, LoadError> {
    let de = toml::Deserializer::parse(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| line_column(text, s.start))
            .unwrap_or((1, 1));
        LoadError::Syntax {
            file: file.to_string(),
            line,
            column,
            message: first_line(e.message()),
        }
    })?;
    let report: Report = deserialize_tracked(de, file, |e: &toml::de::Error| {
        (
            e.message().to_string(),
            e.span().map(|s| line_column(text, s.start)),
        )
    })?;
    check_text(&report, file)?;
    Ok(report)
}

const TRAILING: &str = "文件在 JSON 结束后还有多余的内容";

/// Reads a report from JSON text.
pub fn from_json_str(text: &str, file: &str) -> Result<Report, LoadError> {
    // Syntax first: a malformed or truncated document is a syntax error with
    // its position, not a value error at whatever key the parser had reached.
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text)
        && (e.is_syntax() || e.is_eof())
    {
        let msg = e.to_string();
        let message = match msg.rsplit_once(" at line ") {
            Some(("trailing characters", _)) => TRAILING.to_string(),
            Some((m, _)) => m.to_string(),
            None => msg,
        };
        return Err(LoadError::Syntax {
            file: file.to_string(),
            line: e.line().max(1),
            column: json_column(text, e.line(), e.column()),
            message,
        });
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let report: Report = deserialize_tracked(&mut de, file, |e: &serde_json::Error| {
        let msg = e.to_string();
        // serde_json appends " at line L column C"; we print those ourselves.
        let msg = msg
            .rsplit_once(" at line ")
            .map(|(m, _)| m.to_string())
            .unwrap_or(msg);
        (
            msg,
            (e.line() > 0).then(|| (e.line(), json_column(text, e.line(), e.column()))),
        )
    })
    .map_err(|err| match err {
        // A JSON syntax error has no key path; report it as such.
        LoadError::Invalid {
            key_path,
            line: Some(line),
            column: Some(column),
            message,
            file,
        } if key_path == "." && !message.contains("未知的键") => LoadError::Syntax {
            file,
            line,
            column,
            message,
        },
        other => other,
    })?;
    de.end().map_err(|e| LoadError::Syntax {
        file: file.to_string(),
        line: e.line().max(1),
        column: json_column(text, e.line(), e.column()),
        message: TRAILING.to_string(),
    })?;
    check_text(&report, file)?;
    Ok(report)
}

/// Deserializes with key-path tracking and turns the error into a [`LoadError`].
fn deserialize_tracked<'de, D, T, F>(de: D, file: &str, describe: F) -> Result<T, LoadError>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
    F: Fn(&D::Error) -> (String, Option<(usize, usize)>),
{
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let (message, position) = describe(e.inner());
        let (key_path, message) = explain(&path, &first_line(&message));
        LoadError::Invalid {
            file: file.to_string(),
            key_path,
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
            message,
        }
    })
}

/// Turns a serde message into a Chinese one, and for an unknown key appends
/// the key to the path and suggests the nearest known key.
fn explain(path: &str, message: &str) -> (String, String) {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let known: Vec<&str> = expected
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, s)| s)
            .collect();
        // serde_path_to_error already ends the path with the unknown key.
        let key_path = if path == "." || path.is_empty() {
            field.to_string()
        } else if path == field || path.ends_with(&format!(".{field}")) {
            path.to_string()
        } else {
            format!("{path}.{field}")
        };
        let suggestion = known
            .iter()
            .map(|k| (strsim::jaro_winkler(field, k), *k))
            .filter(|(score, _)| *score > 0.75)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| format!("，是否应为 `{k}`？"))
            .unwrap_or_else(|| format!("；此处可用的键：{}", known.join("、")));
        return (key_path, format!("未知的键 `{field}`{suggestion}"));
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.split_once('`'))
        .map(|(f, _)| f)
    {
        // The path is the table that lacks the key; name the key itself.
        let key_path = if path == "." || path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        };
        return (key_path, format!("缺少必填的键 `{field}`"));
    }
    let message = if message.ends_with("expected u32") {
        let found = message
            .split('`')
            .nth(1)
            .map(str::to_string)
            .unwrap_or_else(|| {
                message
                    .trim_start_matches("invalid type: ")
                    .trim_end_matches(", expected u32")
                    .to_string()
            });
        format!("应为非负整数，实为 {found}")
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        format!("类型不符：应为 {expected}，实为 {found}")
    } else {
        message.to_string()
    };
    let key_path = if path.is_empty() { "." } else { path };
    (key_path.to_string(), message)
}

/// Text blocks and names must be writable as XML 1.0: refuse what it forbids.
pub(crate) fn check_text(report: &Report, file: &str) -> Result<(), LoadError> {
    let mut fields: Vec<(String, &str)> = vec![
        ("report.agency".into(), report.report.agency.as_str()),
        (
            "report.short_name".into(),
            report.report.short_name.as_deref().unwrap_or(""),
        ),
        (
            "report.region".into(),
            report.report.region.as_deref().unwrap_or(""),
        ),
    ];
    for (name, _) in crate::model::TEXT_BLOCKS {
        if let Some(t) = report.text.get(name) {
            fields.push((format!("text.{name}"), t));
        }
        fields.push((format!("headings.{name}"), report.headings.get(name)));
    }
    for (key_path, value) in fields {
        if let Some(c) = value.chars().find(|&c| !crate::text::is_xml_char(c)) {
            return Err(LoadError::Invalid {
                file: file.to_string(),
                key_path,
                line: None,
                column: None,
                message: format!(
                    "含有 XML 不允许的字符 U+{:04X}（常见于从 Excel 复制的文字），请删除",
                    c as u32
                ),
            });
        }
    }
    if report.report.agency.trim().is_empty() {
        return Err(LoadError::Invalid {
            file: file.to_string(),
            key_path: "report.agency".into(),
            line: None,
            column: None,
            message: "机关全称不能为空".into(),
        });
    }
    Ok(())
}

/// serde_json counts columns in bytes; the column in characters of the byte
/// serde_json points at (1-based line `line`, 1-based byte column `byte_col`).
fn json_column(text: &str, line: usize, byte_col: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    line_column(text, start + byte_col.saturating_sub(1)).1
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}
