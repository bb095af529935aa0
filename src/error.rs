//! Errors the user can cause, each with the file and, where known, the key path
//! and the line and column.

use std::path::PathBuf;

/// Why an input could not be read. Displayed as one line in Chinese that names
/// the file, the key path and, for TOML/JSON, the line and column.
///
/// ```
/// let err = nianbao::model::Report::from_toml_str(
///     "[report]\nagency = \"某局\"\nyear = 1999\n",
///     "bad.toml",
/// ).unwrap_err();
/// assert_eq!(err.key_path(), Some("report.year"));
/// assert!(err.to_string().starts_with("bad.toml:3:8: report.year:"), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{}: 无法读取文件：{source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error(
        "{file}: 不是 UTF-8 编码的文本（第 {line} 行附近，字节偏移 {offset}）；请以 UTF-8 保存"
    )]
    NotUtf8 {
        /// The file.
        file: String,
        /// Byte offset of the first bad byte.
        offset: usize,
        /// Line of the first bad byte.
        line: usize,
    },
    /// The extension says neither TOML, JSON nor XLSX.
    #[error("{file}: 不支持的文件类型（应为 .toml、.json 或 .xlsx）")]
    UnknownKind {
        /// The file.
        file: String,
    },
    /// A syntax error: the text is not TOML/JSON at all.
    #[error("{file}:{line}:{column}: 语法错误：{message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A value or key that does not fit the format.
    #[error("{file}{}: {key_path}: {message}", position(*line, *column))]
    Invalid {
        /// The file.
        file: String,
        /// Where in the document, e.g. `applications.withheld.third_party_rights[2]`.
        key_path: String,
        /// 1-based line, when the parser knows it.
        line: Option<usize>,
        /// 1-based column, when the parser knows it.
        column: Option<usize>,
        /// What is wrong, in Chinese.
        message: String,
    },
    /// A cell of a filled Excel form that is not what the form expects.
    #[error("{file}: {cell}：{message}")]
    Form {
        /// The file.
        file: String,
        /// `sheet!A1`, or the sheet name when a whole sheet is wrong.
        cell: String,
        /// What is wrong, in Chinese.
        message: String,
    },
    /// Several cells of a filled Excel form are wrong: all of them, one line
    /// each (`file: sheet!A1：message`). [`LoadError::form_cells`] lists them.
    #[error("{}", form_lines(file, cells))]
    FormCells {
        /// The file.
        file: String,
        /// Every wrong cell, in sheet order.
        cells: Vec<FormCell>,
    },
}

/// One wrong cell of a filled form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{cell}：{message}")]
pub struct FormCell {
    /// `sheet!A1`, or the sheet name when a whole sheet is wrong.
    pub cell: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

fn form_lines(file: &str, cells: &[FormCell]) -> String {
    let lines: Vec<String> = cells.iter().map(|c| format!("{file}: {c}")).collect();
    lines.join("\n")
}

fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

impl LoadError {
    /// The key path the error is about, when it is about one.
    pub fn key_path(&self) -> Option<&str> {
        match self {
            LoadError::Invalid { key_path, .. } => Some(key_path),
            _ => None,
        }
    }

    /// The wrong cells of a filled form (`sheet!A1`, message), one or several;
    /// empty for any other error.
    pub fn form_cells(&self) -> Vec<(&str, &str)> {
        match self {
            LoadError::Form { cell, message, .. } => vec![(cell.as_str(), message.as_str())],
            LoadError::FormCells { cells, .. } => cells
                .iter()
                .map(|c| (c.cell.as_str(), c.message.as_str()))
                .collect(),
            _ => Vec::new(),
        }
    }
}
