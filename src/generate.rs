//! From a loaded report to the files nianbao writes: check first, then render.
//!
//! Used by `nianbao generate` and by the batch.

use crate::check::{self, Finding};
use crate::model::Report;
use crate::text::TextEngine;

/// Which outputs to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outputs {
    /// The Word report.
    pub docx: bool,
    /// The Excel statistical workbook.
    pub xlsx: bool,
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            docx: true,
            xlsx: true,
        }
    }
}

/// One file to write: its name (no folder) and its bytes.
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// File name, e.g. `某局2024年政府信息公开工作年度报告.docx`.
    pub name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The report breaks rules that block generation.
    #[error("数据未通过校验（{} 个错误）", .0.iter().filter(|f| f.severity == check::Severity::Error).count())]
    Rules(Vec<Finding>),
    /// Rendering failed (a text block, the document writer).
    #[error("{0}")]
    Render(String),
}

/// Checks `report` and, when no rule blocks it, renders the requested outputs
/// in memory. `source` is the input file name, recorded in the workbook.
pub fn render(
    report: &Report,
    source: &str,
    outputs: Outputs,
) -> Result<(Vec<OutputFile>, Vec<Finding>), GenerateError> {
    render_with(report, source, outputs, TextEngine::embedded())
}

/// [`render`] with the text templates of `engine` (e.g. `--templates DIR`).
pub fn render_with(
    report: &Report,
    source: &str,
    outputs: Outputs,
    engine: &TextEngine,
) -> Result<(Vec<OutputFile>, Vec<Finding>), GenerateError> {
    let findings = check::check(report);
    if check::has_errors(&findings) {
        return Err(GenerateError::Rules(findings));
    }
    let title = report.title();
    let mut files = Vec::new();
    if outputs.docx {
        files.push(OutputFile {
            name: format!("{title}.docx"),
            bytes: crate::docx::document_bytes_with(report, engine)
                .map_err(|e| GenerateError::Render(e.to_string()))?,
        });
    }
    if outputs.xlsx {
        files.push(OutputFile {
            name: format!("{title}统计表.xlsx"),
            bytes: crate::xlsx::workbook_bytes(report, source)
                .map_err(|e| GenerateError::Render(e.to_string()))?,
        });
    }
    Ok((files, findings))
}
