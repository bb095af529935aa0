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
    /// The file could not be opened or read (the reason in Chinese, see
    /// [`io_reason`]).
    #[error("{}: {}", path.display(), io_reason(source, IoAction::Read))]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The input is larger than any real report ([`MAX_INPUT_BYTES`]); it is
    /// refused before it is parsed.
    #[error(
        "{file}: 文件过大（{size} 字节，上限 {limit} 字节）；一份年报的输入通常只有几 KB，请检查是否选错了文件"
    )]
    TooLarge {
        /// The file.
        file: String,
        /// Its size in bytes (at least this many, for standard input).
        size: u64,
        /// The limit in bytes.
        limit: u64,
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

/// The largest TOML or JSON input read, in bytes (2 MiB). A real report is a
/// few KB; nine text blocks at Excel's cell limit fit well within it.
pub const MAX_INPUT_BYTES: u64 = 2 * 1024 * 1024;

/// What was being done with a path when the system refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoAction {
    /// Reading a file the user named.
    Read,
    /// Writing a file or creating a folder.
    Write,
}

/// The reason of an I/O error in Chinese, without the system's English text:
/// `文件不存在`, `是一个文件夹，不是文件`, `无权限读取` …; an error the table
/// does not know shows its system error number only.
///
/// ```
/// use nianbao::{IoAction, io_reason};
/// let e = std::fs::read("/no/such/file").unwrap_err();
/// assert_eq!(io_reason(&e, IoAction::Read), "文件不存在");
/// let e = std::fs::read(std::env::temp_dir()).unwrap_err();
/// assert_eq!(io_reason(&e, IoAction::Read), "是一个文件夹，不是文件");
/// ```
pub fn io_reason(err: &std::io::Error, action: IoAction) -> String {
    use std::io::ErrorKind as K;
    let read = action == IoAction::Read;
    let reason = match err.kind() {
        K::NotFound if read => "文件不存在",
        K::NotFound => "所在的文件夹不存在",
        K::PermissionDenied if read => "无权限读取",
        K::PermissionDenied => "无权限写入",
        K::IsADirectory => "是一个文件夹，不是文件",
        K::NotADirectory => "路径中的某一级不是文件夹",
        K::AlreadyExists => "文件已存在",
        K::DirectoryNotEmpty => "文件夹不是空的",
        K::InvalidFilename => "文件名无效或过长",
        K::InvalidInput => "路径无效",
        K::InvalidData => "内容无效",
        K::UnexpectedEof => "文件意外结束",
        K::StorageFull => "磁盘空间已满",
        K::QuotaExceeded => "超出磁盘配额",
        K::FileTooLarge => "文件过大",
        K::ReadOnlyFilesystem => "文件系统为只读",
        K::ResourceBusy | K::ExecutableFileBusy => "文件正被占用",
        K::Interrupted => "读写被中断",
        K::OutOfMemory => "内存不足",
        K::TimedOut => "操作超时",
        K::WouldBlock => "暂时无法读写，请稍后重试",
        K::BrokenPipe => "管道已关闭",
        K::StaleNetworkFileHandle => "网络文件已失效",
        K::CrossesDevices => "不能跨磁盘移动文件",
        K::TooManyLinks => "链接过多",
        K::Deadlock => "文件锁死锁",
        K::Unsupported => "系统不支持此操作",
        _ => {
            let what = if read { "读取失败" } else { "写入失败" };
            return match err.raw_os_error() {
                Some(code) => format!("{what}（系统错误码 {code}）"),
                None => what.to_string(),
            };
        }
    };
    reason.to_string()
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
