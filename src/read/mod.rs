//! Reading inputs: TOML, JSON or a filled Excel form, chosen by extension.
//!
//! Every error names the file and, where the parser knows them, the key path,
//! line and column (see [`LoadError`]), in Chinese: the English of serde,
//! toml, serde_json and the operating system is translated here, and what
//! has no translation becomes a general Chinese message, never English.
//! An input over [`MAX_INPUT_BYTES`] is refused before it is parsed; names,
//! text blocks, counts and amounts are checked against the limits of
//! [`crate::model`] after. Nothing here panics on user input.

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::model::{self, Report};

mod error;
pub mod form;

pub use error::{IoAction, LoadError, MAX_INPUT_BYTES, io_reason};

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
    /// The largest input of this kind read, in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            InputKind::Toml | InputKind::Json => MAX_INPUT_BYTES,
            InputKind::Form => form::MAX_FORM_FILE,
        }
    }

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
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let handle = std::fs::File::open(path).map_err(io)?;
    let meta = handle.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::from(std::io::ErrorKind::IsADirectory)));
    }
    let limit = kind.max_bytes();
    if meta.len() > limit {
        return Err(LoadError::TooLarge {
            file,
            size: meta.len(),
            limit,
        });
    }
    let bytes = read_capped(handle, &file, limit).map_err(|e| e.into_load(io))?;
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
    if bytes.len() as u64 > kind.max_bytes() {
        return Err(LoadError::TooLarge {
            file: file.to_string(),
            size: bytes.len() as u64,
            limit: kind.max_bytes(),
        });
    }
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

/// Why [`read_capped`] failed.
enum ReadError {
    Io(std::io::Error),
    TooLarge(LoadError),
}

impl ReadError {
    fn into_load(self, io: impl Fn(std::io::Error) -> LoadError) -> LoadError {
        match self {
            ReadError::Io(e) => io(e),
            ReadError::TooLarge(e) => e,
        }
    }
}

/// Reads at most [`MAX_INPUT_BYTES`] from `reader` (a file that grew, a
/// device or standard input may say nothing of their size in advance).
fn read_capped(reader: impl Read, file: &str, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut buf = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge(LoadError::TooLarge {
            file: file.to_string(),
            size: buf.len() as u64,
            limit,
        }));
    }
    Ok(buf)
}

/// Reads TOML from `reader` (standard input), at most [`MAX_INPUT_BYTES`];
/// `file` names it in errors.
pub fn read_toml_from(reader: impl Read, file: &str) -> Result<Report, LoadError> {
    let bytes = read_capped(reader, file, MAX_INPUT_BYTES).map_err(|e| {
        e.into_load(|source| LoadError::Io {
            path: file.into(),
            source,
        })
    })?;
    read_bytes(&bytes, InputKind::Toml, file)
}

fn too_large(file: &str, size: usize) -> LoadError {
    LoadError::TooLarge {
        file: file.to_string(),
        size: size as u64,
        limit: MAX_INPUT_BYTES,
    }
}

/// The lower-case extension of `path`, or "".
fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Which text format is being read: the words for a table differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Toml,
    Json,
}

/// Reads a report from TOML text.
fn from_toml_str(text: &str, file: &str) -> Result<Report, LoadError> {
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large(file, text.len()));
    }
    let de = toml::Deserializer::parse(text).map_err(|e| {
        let span = e.span();
        let (line, column) = span
            .as_ref()
            .map(|s| line_column(text, s.start))
            .unwrap_or((1, 1));
        let message = first_line(e.message());
        if message == "duplicate key"
            && let Some(span) = span
        {
            return LoadError::Invalid {
                file: file.to_string(),
                key_path: toml_key_path(text, span),
                line: Some(line),
                column: Some(column),
                message: "键重复：同一个键（或表）只能写一次".to_string(),
            };
        }
        LoadError::Syntax {
            file: file.to_string(),
            line,
            column,
            message: toml_syntax_message(&message),
        }
    })?;
    let Root(report) = deserialize_tracked(de, file, Kind::Toml, |e: &toml::de::Error| {
        let span = e.span();
        Described {
            message: e.message().to_string(),
            position: span.as_ref().map(|s| line_column(text, s.start)),
            value: span.and_then(|s| text.get(s)).unwrap_or("").to_string(),
        }
    })?;
    check_text(&report, file)?;
    Ok(report)
}

/// The key path of the key at `span` of a TOML document: the table header
/// above it (or the header itself, for a repeated table), the keys of the
/// inline tables open on its line, and the key.
fn toml_key_path(text: &str, span: std::ops::Range<usize>) -> String {
    let start = text.floor_char_boundary(span.start.min(text.len()));
    let end = text
        .floor_char_boundary(span.end.min(text.len()))
        .max(start);
    let unquote = |k: &str| k.trim().trim_matches('"').trim_matches('\'').to_string();
    let key = unquote(&text[start..end]);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let header = |line: &str| {
        let line = line.trim();
        line.starts_with('[').then(|| {
            let name = line.trim_start_matches('[').split(']').next().unwrap_or("");
            name.split('.').map(unquote).collect::<Vec<_>>().join(".")
        })
    };
    let this_line = text[line_start..].lines().next().unwrap_or("");
    if let Some(h) = header(this_line) {
        return h;
    }
    let mut path: Vec<String> = text[..line_start]
        .lines()
        .rev()
        .find_map(header)
        .filter(|h| !h.is_empty())
        .into_iter()
        .collect();
    // Inline tables open before the key on its line: `rules = { issued = 1, issued = 2 }`.
    let mut open: Vec<String> = Vec::new();
    let mut last_key = String::new();
    let mut quote: Option<char> = None;
    let mut word = String::new();
    for c in text[line_start..start].chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '=') => {
                last_key = std::mem::take(&mut word).trim().to_string();
            }
            (None, '{') => {
                open.push(std::mem::take(&mut last_key));
                word.clear();
            }
            (None, '}') => {
                open.pop();
            }
            (None, ',') => word.clear(),
            (None, c) => word.push(c),
        }
    }
    path.extend(open.into_iter().filter(|k| !k.is_empty()));
    path.push(key);
    path.join(".")
}

const TRAILING: &str = "文件在 JSON 结束后还有多余的内容";

/// Reads a report from JSON text.
fn from_json_str(text: &str, file: &str) -> Result<Report, LoadError> {
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large(file, text.len()));
    }
    // Syntax first: a malformed or truncated document is a syntax error with
    // its position, not a value error at whatever key the parser had reached.
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text)
        && (e.is_syntax() || e.is_eof())
    {
        return Err(LoadError::Syntax {
            file: file.to_string(),
            line: e.line().max(1),
            column: json_column(text, e.line(), e.column()),
            message: json_syntax_message(&strip_json_position(e.to_string())),
        });
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let Root(report) = deserialize_tracked(&mut de, file, Kind::Json, |e: &serde_json::Error| {
        Described {
            // serde_json appends " at line L column C"; we print those ourselves.
            message: strip_json_position(e.to_string()),
            position: (e.line() > 0).then(|| (e.line(), json_column(text, e.line(), e.column()))),
            value: String::new(),
        }
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

fn strip_json_position(msg: String) -> String {
    msg.rsplit_once(" at line ")
        .map(|(m, _)| m.to_string())
        .unwrap_or(msg)
}

/// The document: a table (a JSON object) only, never an array whose
/// elements would fill the report by position (see [`model::table`]).
struct Root(Report);

impl<'de> serde::Deserialize<'de> for Root {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        model::table(deserializer).map(Root)
    }
}

/// What a parser's error says: its message, position and the text of the
/// value it points at (TOML only).
struct Described {
    message: String,
    position: Option<(usize, usize)>,
    value: String,
}

/// Deserializes with key-path tracking and turns the error into a [`LoadError`].
fn deserialize_tracked<'de, D, T, F>(
    de: D,
    file: &str,
    kind: Kind,
    describe: F,
) -> Result<T, LoadError>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
    F: Fn(&D::Error) -> Described,
{
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let described = describe(e.inner());
        let (key_path, message) = explain(
            &path,
            &first_line(&described.message),
            kind,
            &described.value,
        );
        LoadError::Invalid {
            file: file.to_string(),
            key_path,
            line: described.position.map(|p| p.0),
            column: described.position.map(|p| p.1),
            message,
        }
    })
}

/// Turns a serde message into a Chinese one, and for an unknown key appends
/// the key to the path and suggests the nearest known key. `value` is the
/// source text of the offending value, when the parser knows it.
fn explain(path: &str, message: &str, kind: Kind, value: &str) -> (String, String) {
    let at = if path.is_empty() { "." } else { path };
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let known: Vec<&str> = expected
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, s)| s)
            .collect();
        // serde_path_to_error already ends the path with the unknown key.
        let key_path = if at == "." {
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
        let key_path = if at == "." {
            field.to_string()
        } else {
            format!("{path}.{field}")
        };
        return (key_path, format!("缺少必填的键 `{field}`"));
    }
    if let Some(field) = message
        .strip_prefix("duplicate field `")
        .and_then(|r| r.split_once('`'))
        .map(|(f, _)| f)
    {
        let key_path = if at == "." {
            field.to_string()
        } else if path == field || path.ends_with(&format!(".{field}")) {
            path.to_string()
        } else {
            format!("{path}.{field}")
        };
        return (key_path, format!("键重复：`{field}` 只能写一次"));
    }
    let message = if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let found = found_words(found, kind, value);
        match expected_words(expected, at, kind) {
            Expected::Count => format!("应为非负整数，实为 {found}"),
            Expected::Integer => format!("应为整数，实为 {found}"),
            Expected::Words(words) => format!("类型不符：应为{words}，实为 {found}"),
        }
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        // "integer `N`", or "integer `N` as i128" beyond 64 bits.
        let number = found
            .strip_prefix("integer `")
            .and_then(|r| r.split('`').next());
        let found = found_words(found, kind, value);
        match (expected_words(expected, at, kind), number) {
            (Expected::Count, Some(n)) if !n.starts_with('-') => format!(
                "数量过大：{n}，上限 {}；请检查是否多输入了数字",
                model::MAX_COUNT
            ),
            (Expected::Count, _) => format!("应为非负整数，实为 {found}"),
            (Expected::Integer, _) => format!("整数超出范围：{found}"),
            (Expected::Words(words), _) => format!("值不符：应为{words}，实为 {found}"),
        }
    } else if let Some(rest) = message.strip_prefix("invalid length ") {
        let (n, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        match expected_words(expected, at, kind) {
            Expected::Words(words) => format!("个数不符：应为{words}，实有 {n} 个"),
            _ => format!("个数不符：实有 {n} 个"),
        }
    } else if message.chars().any(is_cjk) {
        // Our own messages (model.rs), already in Chinese.
        message.to_string()
    } else {
        foreign_message(message)
    };
    (at.to_string(), message)
}

/// What stands where serde expected something else, in Chinese.
enum Expected {
    /// A non-negative integer (u8–u64).
    Count,
    /// A signed integer.
    Integer,
    /// Anything else, in words (with a leading space where the words are ours).
    Words(String),
}

/// serde's "expected …" in Chinese; our own visitors' words pass through.
fn expected_words(expected: &str, at: &str, kind: Kind) -> Expected {
    let table = || match kind {
        Kind::Toml if at == "." => "表".to_string(),
        Kind::Toml => format!("表（[{at}]）"),
        Kind::Json => "对象（{ … }）".to_string(),
    };
    match expected {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => Expected::Count,
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => Expected::Integer,
        "a string" | "string" | "a borrowed string" => Expected::Words(match kind {
            Kind::Toml => "文本（用引号括起来）".to_string(),
            Kind::Json => "文本（用双引号括起来）".to_string(),
        }),
        "a boolean" => Expected::Words("true 或 false".to_string()),
        "f32" | "f64" => Expected::Words("数".to_string()),
        "a sequence" | "sequence" => Expected::Words("数组".to_string()),
        "a map" | "map" => Expected::Words(table()),
        e if e.starts_with("struct ") => Expected::Words(table()),
        e if e.chars().any(is_cjk) => Expected::Words(format!(" {e}")),
        _ => Expected::Words("其他类型的值".to_string()),
    }
}

/// serde's description of the value found ("string \"x\"", "integer `5`",
/// "map" …) in Chinese; a scalar shows as the user wrote it (long text cut).
fn found_words(found: &str, kind: Kind, value: &str) -> String {
    let quoted = |s: &str| {
        s.strip_suffix('`')
            .map(str::to_string)
            .unwrap_or_else(|| s.to_string())
    };
    if let Some(v) = found.strip_prefix("integer `") {
        // serde writes a 128-bit integer as "integer `N` as i128".
        return v.split('`').next().unwrap_or(v).to_string();
    }
    if let Some(v) = found.strip_prefix("floating point `") {
        let v = quoted(v);
        return match v.parse::<f64>() {
            Ok(f) => model::float_words(f),
            Err(_) => v,
        };
    }
    if let Some(v) = found.strip_prefix("boolean `") {
        return quoted(v);
    }
    if let Some(v) = found.strip_prefix("character `") {
        return format!("文本 \"{}\"", quoted(v));
    }
    if let Some(v) = found.strip_prefix("string ") {
        let inner = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        return format!("文本 \"{}\"", model::shorten(inner));
    }
    match found {
        "sequence" => "数组".to_string(),
        // A TOML date-time reaches serde as a one-key map.
        "map" if kind == Kind::Toml && value.starts_with(|c: char| c.is_ascii_digit()) => {
            let what = if value.contains([':', 'T', 't', ' ']) {
                "日期时间"
            } else {
                "日期"
            };
            format!("{what} \"{}\"", model::shorten(value))
        }
        "map" if kind == Kind::Toml => "表".to_string(),
        "map" => "对象".to_string(),
        "null" => "null".to_string(),
        "unit value" | "Option value" => match kind {
            Kind::Json => "null".to_string(),
            Kind::Toml => "空值".to_string(),
        },
        "byte array" => "字节串".to_string(),
        _ => "其他类型的值".to_string(),
    }
}

/// Whether `c` is a CJK ideograph or CJK punctuation (our messages have some).
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303F}' | '\u{4E00}'..='\u{9FFF}' | '\u{FF00}'..='\u{FFEF}')
}

/// A message of serde, toml or serde_json that is not one of serde's
/// patterns: through the tables of syntax messages, never shown in English.
fn foreign_message(message: &str) -> String {
    let json = json_syntax_message(message);
    if json != UNPARSABLE {
        return json;
    }
    let toml = toml_syntax_message(message);
    if !toml.starts_with(UNPARSABLE) {
        return toml;
    }
    "此处的值不符合格式".to_string()
}

/// What a syntax message not in the tables becomes.
const UNPARSABLE: &str = "无法解析此处的内容";

/// A TOML syntax error (toml_parser's wording: a description, then maybe
/// ", expected …") in Chinese; what was expected is kept when it is only
/// characters (`` `]` ``).
fn toml_syntax_message(message: &str) -> String {
    let (description, expected) = message.split_once(", expected ").unwrap_or((message, ""));
    let mut chinese = toml_description(description).to_string();
    let literals: Vec<&str> = expected
        .split(", ")
        .filter(|e| e.len() >= 3 && e.starts_with('`') && e.ends_with('`'))
        .collect();
    if !literals.is_empty() && literals.len() == expected.split(", ").count() {
        chinese.push_str(&format!("（此处应为 {}）", literals.join("、")));
    }
    chinese
}

/// toml_parser's and toml_datetime's descriptions in Chinese.
fn toml_description(description: &str) -> &'static str {
    match description {
        "recursion limit" | "cannot recurse further; max recursion depth met" => {
            "嵌套层数过多（数组或表套得太深）"
        }
        "carriage return must be followed by newline" => "回车符（CR）后应紧跟换行符",
        "missing opening quote" => "缺少开头的引号",
        "missing comma between array elements" => "数组元素之间缺少逗号",
        "integers with a radix cannot be signed" => "带进制前缀的整数不能带正负号",
        "radix must be lowercase" => "进制前缀应为小写（0x、0o、0b）",
        "missing assignment between key-value pairs" | "key with no value" => "键的后面应为 = 和值",
        "missing escaped value" => "反斜杠 \\ 后缺少转义字符",
        "unexpected leading zero" => "数字不能以 0 开头",
        "unclosed array table" => "[[…]] 缺少结尾的 ]]",
        "missing key for inline table element" => "内联表中缺少键",
        "missing inline table opening" => "缺少内联表开头的 {",
        "missing array opening" => "缺少数组开头的 [",
        "invalid unquoted key" | "invalid key" => {
            "键名无效（不加引号的键只能含字母、数字、_ 和 -）"
        }
        "unquoted keys cannot be empty" => "键名不能为空",
        "invalid string"
        | "invalid basic string"
        | "invalid literal string"
        | "invalid multi-line basic string"
        | "invalid multi-line literal string" => {
            "字符串无效（缺少结尾的引号，或含有不允许的控制字符）"
        }
        "unexpected sign" | "redundant numeric sign" => "多余的正负号",
        "unexpected key or value" | "unexpected content" => "此处有多余的内容",
        "unexpected content between comment and newline" => "注释后有多余的内容",
        "unexpected `=` in array" => "数组中不应有 =",
        "unclosed table" | "invalid table" => "表头无效，应写作 [表名]",
        "unclosed inline table" => "内联表缺少结尾的 }",
        "unclosed array" => "数组缺少结尾的 ]",
        "too few unicode value digits" => "\\u 转义的十六进制位数不足",
        "string values must be quoted" => "文本须用引号括起来",
        "redundant integer number prefix" => "多余的数字前缀",
        "missing value" | "missing value for key" => "= 的后面缺少值",
        "missing table open" => "缺少表头开头的 [",
        "missing comment start" => "缺少注释开头的 #",
        "missing comma between key-value pairs" => "内联表的键值对之间缺少逗号",
        "keys cannot be multi-line literal strings" | "keys cannot be multi-line basic strings" => {
            "键不能是多行字符串"
        }
        "invalid value" => "值无效",
        "invalid key-value pair" => "键值对无效（应写作 键 = 值）",
        "invalid inline table element" => "内联表的元素无效",
        "invalid comment character" => "注释中含有不允许的控制字符",
        "extra comma in inline table" => "内联表中有多余的逗号",
        "extra comma in array" => "数组中有多余的逗号",
        "extra assignment between key-value pairs" | "extra `=`" => "多余的 =",
        "`_` may only go between digits" => "下划线 _ 只能位于两个数字之间",
        "invalid boolean" => "布尔值无效（应为 true 或 false）",
        "invalid date-time" => "日期时间无效",
        "invalid float" | "invalid mantissa" | "invalid fraction" | "invalid exponent" => {
            "小数无效"
        }
        "invalid integer number" => "整数无效",
        "invalid hexadecimal number" => "十六进制整数无效",
        "invalid octal number" => "八进制整数无效",
        "invalid binary number" => "二进制整数无效",
        "could not allocate for string" => "内存不足",
        "integer number overflowed" => "整数无效或过大",
        "floating-point number overflowed" => "数值过大",
        "invalid date" => "日期无效（应写作 2025-01-20，且为实有的日期）",
        "invalid time" => "时间无效",
        "invalid offset" => "时区无效",
        "invalid datetime" => "日期时间无效",
        _ => UNPARSABLE,
    }
}

/// A JSON syntax error (serde_json's wording, position removed) in Chinese.
fn json_syntax_message(message: &str) -> String {
    let chinese = match message {
        "trailing characters" => TRAILING,
        "EOF while parsing a list" => "文件意外结束：数组缺少结尾的 ]",
        "EOF while parsing an object" => "文件意外结束：对象缺少结尾的 }",
        "EOF while parsing a string" => "文件意外结束：字符串缺少结尾的双引号",
        "EOF while parsing a value" => "文件意外结束：缺少值",
        "expected `:`" => "键的后面应为冒号 :",
        "expected `,` or `]`" => "数组元素之间应为逗号 , 或以 ] 结束",
        "expected `,` or `}`" => "对象的键值对之间应为逗号 , 或以 } 结束",
        "expected ident" => "无法识别的值（应为 true、false 或 null）",
        "expected value" => "此处应为值（数、文本、数组或对象）",
        "expected `\"`" => "此处应为双引号 \"",
        "invalid escape" => "反斜杠 \\ 后的转义字符无效",
        "invalid number" => "数无效",
        "number out of range" => "数值超出范围",
        "invalid unicode code point" | "lone leading surrogate in hex escape" => {
            "\\u 转义的字符无效"
        }
        "unexpected end of hex escape" => "\\u 转义的十六进制位数不足",
        "control character (\\u0000-\\u001F) found while parsing a string" => {
            "字符串中含有控制字符（如换行、制表符），请写作转义形式"
        }
        "key must be a string" => "对象的键须为加双引号的文本",
        "trailing comma" => "多余的逗号",
        "recursion limit exceeded" => "嵌套层数过多（数组或对象套得太深）",
        _ => UNPARSABLE,
    };
    chinese.to_string()
}

/// Text blocks and names must be writable as XML 1.0 and fit their limits
/// ([`model::validate_text`]); counts and amounts must stay below
/// [`model::MAX_COUNT`], [`model::MAX_WAN_YUAN`] and [`model::MAX_YUAN`].
/// Refuses the first value that does not, by key path.
pub(crate) fn check_text(report: &Report, file: &str) -> Result<(), LoadError> {
    let invalid = |key_path: String, message: String| LoadError::Invalid {
        file: file.to_string(),
        key_path,
        line: None,
        column: None,
        message,
    };
    model::validate_text(report).map_err(|p| invalid(p.key_path, p.message))?;
    match number_problems(report).into_iter().next() {
        Some((key, message)) => Err(invalid(key, message)),
        None => Ok(()),
    }
}

/// Every problem [`check_text`] finds, not only the first: (key path,
/// message), texts first (a filled form names each wrong cell).
pub(crate) fn text_and_number_problems(report: &Report) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = model::text_problems(report)
        .into_iter()
        .map(|p| (p.key_path, p.message))
        .collect();
    all.extend(number_problems(report));
    all
}

/// Every count at most [`model::MAX_COUNT`], every amount below its cap.
fn number_problems(report: &Report) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let count = |key: &str, n: u64| {
        if n > u64::from(model::MAX_COUNT) {
            Some((
                key.to_string(),
                format!(
                    "数量过大：{n}，上限 {}；请检查是否多输入了数字",
                    model::MAX_COUNT
                ),
            ))
        } else {
            None
        }
    };
    for table in crate::spec::tables::all() {
        for (_, input) in table.inputs() {
            if let crate::spec::tables::Value::Count(n) = input.field.get(report) {
                problems.extend(count(&input.key, n));
            }
        }
        for (_, total) in table.totals() {
            if let Some(n) = total.given.get(report) {
                problems.extend(count(&total.key, n));
            }
        }
    }
    let fees = report.fees();
    problems.extend(count("processing_fees.notices", u64::from(fees.notices)));
    let amount = |key: &str, value: rust_decimal::Decimal, max: u64, unit: &str, hint: &str| {
        if value > rust_decimal::Decimal::from(max) {
            Some((
                key.to_string(),
                format!("金额过大：{value} {unit}，上限 {max} {unit}{hint}"),
            ))
        } else {
            None
        }
    };
    problems.extend(amount(
        "active.fees",
        report.active.fees.value(),
        model::MAX_WAN_YUAN,
        "万元",
        "；请检查单位是否为万元",
    ));
    for (key, value) in [
        (
            "processing_fees.notices_amount",
            fees.notices_amount.value(),
        ),
        ("processing_fees.collected", fees.collected.value()),
    ] {
        problems.extend(amount(
            key,
            value,
            model::MAX_YUAN,
            "元",
            "；请检查单位是否为元",
        ));
    }
    problems
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
