//! The one error type of the library's face: it says whether the input was
//! wrong (the user can fix it: exit 2 or a 4xx) or we failed (a writer or the
//! disk: exit 2 or a 5xx).

use std::path::PathBuf;

use crate::check::{Finding, Severity};
use crate::read::LoadError;
use crate::render::docx::DocxError;
use crate::render::ooxml::OoxmlError;
use crate::render::xlsx::WorkbookError;
use crate::text::TextError;

/// Why a report could not be read, checked or rendered.
///
/// ```
/// let err = nianbao::read_bytes(b"[report]\nyear = 2024\n", nianbao::InputKind::Toml, "x.toml")
///     .map_err(nianbao::Error::from)
///     .unwrap_err();
/// assert!(err.is_input());
/// assert!(err.to_string().starts_with("x.toml"), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input could not be read: bad syntax, a bad value, a bad cell. The input is wrong.
    #[error(transparent)]
    Read(#[from] LoadError),
    /// A text block's template is wrong (syntax, an unknown variable, too much
    /// work, a forbidden character). The input is wrong.
    #[error(transparent)]
    Template(#[from] TextError),
    /// The report breaks rules that block generation. The input is wrong.
    #[error("数据未通过校验（{} 个错误）", .0.iter().filter(|f| f.severity == Severity::Error).count())]
    Rules(Vec<Finding>),
    /// A text of the report cannot be written into a document (a character
    /// XML forbids, too long, a blank agency). The input is wrong.
    #[error("{0}")]
    Text(#[from] crate::model::TextProblem),
    /// A document writer failed. We failed.
    #[error("生成文档失败：{0}")]
    Writer(String),
    /// A file could not be written. We failed (or the disk is full).
    #[error("{}: 无法写入：{}", path.display(), crate::read::io_reason(source, crate::read::IoAction::Write))]
    Write {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// True when the input was wrong (the user can fix it), false when we failed.
    pub fn is_input(&self) -> bool {
        match self {
            Error::Read(_) | Error::Template(_) | Error::Rules(_) | Error::Text(_) => true,
            Error::Writer(_) | Error::Write { .. } => false,
        }
    }
}

impl From<DocxError> for Error {
    fn from(e: DocxError) -> Error {
        match e {
            DocxError::Text(t) => Error::Template(t),
            DocxError::Ooxml(o) => Error::from(o),
        }
    }
}

impl From<OoxmlError> for Error {
    fn from(e: OoxmlError) -> Error {
        Error::Writer(e.to_string())
    }
}

impl From<WorkbookError> for Error {
    fn from(e: WorkbookError) -> Error {
        Error::Writer(e.to_string())
    }
}
