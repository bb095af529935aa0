//! Reading inputs: TOML, JSON or a filled Excel form, chosen by extension.
//!
//! Every error names the file and, where the parser knows them, the key path,
//! line and column (see [`LoadError`]). Nothing here panics on user input.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::model::Report;

mod error;
pub mod form;

pub use error::LoadError;

/// What kind of input a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// TOML text (`.toml`).
    Toml,
    /// JSON text (`.json`).
    Json,
    /// A filled fill-in form (`.xlsx`).
    Form,
}

impl InputKind {
    /// The kind a file name's extension says, if it names one.
    ///
    /// ```
    /// use nianbao::InputKind;
    /// assert_eq!(InputKind::from_path("a/b.TOML".as_ref()), Some(InputKind::Toml));
    /// assert_eq!(InputKind::from_path("b.docx".as_ref()), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<InputKind> {
        match extension(path).as_str() {
            "toml" => Some(InputKind::Toml),
            "json" => Some(InputKind::Json),
            "xlsx" => Some(InputKind::Form),
            _ => None,
        }
    }
}

/// Reads a report from `path`: `.toml`, `.json` or a filled form `.xlsx`,
/// by extension.
///
/// ```
/// let report = nianbao::read_path("inputs/butaji-2024.toml".as_ref()).unwrap();
/// assert_eq!(report.report.agency, "潢川县卜塔集镇人民政府");
/// ```
pub fn load(path: &Path) -> Result<Report, LoadError> {
    let file = path.display().to_string();
    let Some(kind) = InputKind::from_path(path) else {
        return Err(LoadError::UnknownKind { file });
    };
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_bytes(&bytes, kind, &file)
}

/// Reads a report from the bytes of an input of `kind`; `file` names it in
/// errors. A UTF-8 byte-order mark before TOML or JSON is ignored.
///
/// ```
/// use nianbao::{InputKind, read_bytes};
/// let toml = "[report]\nagency = \"某局\"\nyear = 2024\n";
/// let report = read_bytes(toml.as_bytes(), InputKind::Toml, "x.toml").unwrap();
/// assert_eq!(report.report.year.0, 2024);
/// let err = read_bytes(b"{\"report\": 3}", InputKind::Json, "x.json").unwrap_err();
/// assert!(err.to_string().starts_with("x.json"), "{err}");
/// ```
pub fn read_bytes(bytes: &[u8], kind: InputKind, file: &str) -> Result<Report, LoadError> {
    if kind == InputKind::Form {
        return form::read_form_bytes(bytes, file);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.valid_up_to();
            let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(LoadError::NotUtf8 {
                file: file.to_string(),
                offset,
                line,
            });
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match kind {
        InputKind::Json => from_json_str(text, file),
        _ => from_toml_str(text, file),
    }
}

impl Report {
    /// Reads a report from TOML text; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Report, LoadError> {
        from_toml_str(text, file)
    }

    /// Reads a report from JSON text; `file` names it in errors.
    pub fn from_json_str(text: &str, file: &str) -> Result<Report, LoadError> {
        from_json_str(text, file)
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
fn from_toml_str(text: &str, file: &str) -> Result<Report, LoadError> {
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
fn from_json_str(text: &str, file: &str) -> Result<Report, LoadError> {
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

/// Text blocks and names must be writable as XML 1.0 (see [`crate::model::validate_text`]).
pub(crate) fn check_text(report: &Report, file: &str) -> Result<(), LoadError> {
    crate::model::validate_text(report).map_err(|p| LoadError::Invalid {
        file: file.to_string(),
        key_path: p.key_path,
        line: None,
        column: None,
        message: p.message,
    })
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

/// What the operating system said, in Chinese (for messages about a user's file).
///
/// ```
/// let e = std::io::Error::from(std::io::ErrorKind::NotFound);
/// assert_eq!(nianbao::io_message(&e), "文件不存在");
/// ```
pub fn io_message(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "文件不存在".into(),
        PermissionDenied => "没有权限".into(),
        IsADirectory => "是一个文件夹，不是文件".into(),
        NotADirectory => "路径中有一段不是文件夹".into(),
        AlreadyExists => "文件已存在".into(),
        StorageFull => "磁盘已满".into(),
        ReadOnlyFilesystem => "文件系统只读".into(),
        InvalidFilename => "文件名不合法或过长".into(),
        _ => match e.raw_os_error() {
            Some(code) => format!("系统错误（错误码 {code}）"),
            None => "系统错误".into(),
        },
    }
}
