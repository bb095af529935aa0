//! From a loaded report to the files nianbao writes: check first, then render
//! in memory. The writers: [`docx`] (with the [`ooxml`] pass), [`xlsx`], the
//! fill-in [`form`], the [`starter`] file; [`names`] makes file names safe and
//! [`output`] writes files atomically.
//!
//! ```
//! let report = nianbao::read_path("inputs/butaji-2024.toml".as_ref()).unwrap();
//! let rendered = nianbao::render(&report, "butaji-2024.toml", nianbao::Outputs::default()).unwrap();
//! assert_eq!(rendered.0.len(), 2);
//! assert!(rendered.0[0].name.ends_with("年政府信息公开工作年度报告.docx"));
//! ```

pub mod docx;
mod error;
pub mod form;
pub mod html;
pub mod names;
pub mod ooxml;
pub mod output;
pub mod package;
pub mod pdf;
pub mod sheet;
pub mod starter;
mod workbook_cache;
pub mod xlsx;

use crate::check::{self, Finding};
use crate::model::Report;
use crate::text::TextEngine;
pub use error::Error;
pub use html::Html;

/// Which outputs to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outputs {
    /// The Word report.
    pub docx: bool,
    /// The Excel statistical workbook.
    pub xlsx: bool,
    /// The web version (`<stem>.html`), a page or a fragment.
    pub html: Option<Html>,
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            docx: true,
            xlsx: true,
            html: None,
        }
    }
}

/// The run-in head of the `number`th numbered block: `（一）主动公开：`.
fn numbered_head(number: usize, head: &str) -> String {
    format!("（{}）{head}：", crate::text::chinese_number(number as u64))
}

/// One file to write: its name (no folder) and its bytes.
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// File name, e.g. `某局2024年政府信息公开工作年度报告.docx`.
    pub name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// [`check()`](crate::check()), R7 ([`crate::check_text`]) on the text
/// rendered with `engine`, D2 ([`check::default_texts`], blocks left to
/// the built-in default texts) and R10 ([`check::fees_not_reported`], the
/// 信息处理费 reported nowhere): every finding `nianbao check` prints. When a
/// template fails, R7 is left out (generating the report says why).
///
/// ```
/// let mut report = nianbao::read_path("inputs/butaji-2024.toml".as_ref()).unwrap();
/// assert!(nianbao::check_with_text(&report, nianbao::TextEngine::embedded()).is_empty());
/// report.text.on_request = Some("2024年，本镇收到政府信息公开申请3件。".into());
/// let findings = nianbao::check_with_text(&report, nianbao::TextEngine::embedded());
/// assert_eq!(findings[0].rule, "R7");
/// ```
pub fn check_with_text(report: &Report, engine: &TextEngine) -> Vec<Finding> {
    let mut findings = check::check(report);
    let blocks = engine.render_all(report);
    if let Ok(blocks) = &blocks {
        findings.extend(check::check_text(report, blocks.iter()));
    }
    findings.extend(check::default_texts(report, |name| engine.is_builtin(name)));
    // 六 as it will be printed; the clerk's text as written when a template fails.
    let six = match &blocks {
        Ok(blocks) => blocks.get("other_matters").to_vec(),
        Err(_) => report.text.other_matters.iter().cloned().collect(),
    };
    findings.extend(check::fees_not_reported(report, &six));
    findings
}

/// Checks `report` and, when no rule blocks it, renders the requested outputs
/// in memory. `source` is the input file name, recorded in the workbook. The
/// warnings returned with the files include R7, the numbers the rendered
/// narrative quotes against the tables.
pub fn render(
    report: &Report,
    source: &str,
    outputs: Outputs,
) -> Result<(Vec<OutputFile>, Vec<Finding>), Error> {
    render_with(report, source, outputs, TextEngine::embedded())
}

/// [`render`] with the text templates of `engine` (e.g. `--templates DIR`).
pub fn render_with(
    report: &Report,
    source: &str,
    outputs: Outputs,
    engine: &TextEngine,
) -> Result<(Vec<OutputFile>, Vec<Finding>), Error> {
    render_checked(report, source, outputs, engine, check::check(report))
}

/// [`render_with`] for a report whose rule findings (`check::check`) are
/// already known, as in a batch, which checks before it renders.
pub(crate) fn render_checked(
    report: &Report,
    source: &str,
    outputs: Outputs,
    engine: &TextEngine,
    mut findings: Vec<Finding>,
) -> Result<(Vec<OutputFile>, Vec<Finding>), Error> {
    crate::model::validate_text(report)?;
    if check::has_errors(&findings) {
        return Err(Error::Rules(findings));
    }
    // The text as it will be printed, rendered once: for R7 and the DOCX.
    // Without a DOCX or HTML a template that fails only leaves R7 out.
    let blocks = if outputs.docx || outputs.html.is_some() {
        Some(engine.render_all(report)?)
    } else {
        engine.render_all(report).ok()
    };
    if let Some(blocks) = &blocks {
        findings.extend(check::check_text(report, blocks.iter()));
    }
    let title = report.title();
    let mut files = Vec::new();
    if let (true, Some(blocks)) = (outputs.docx, &blocks) {
        files.push(OutputFile {
            name: format!("{title}.docx"),
            bytes: docx::document_bytes_from(report, blocks)?,
        });
    }
    if outputs.xlsx {
        files.push(OutputFile {
            name: format!("{title}统计表.xlsx"),
            bytes: xlsx::workbook_bytes(report, source)?,
        });
    }
    if let (Some(form), Some(blocks)) = (outputs.html, &blocks) {
        files.push(OutputFile {
            name: format!("{title}.html"),
            bytes: html::html_bytes(report, blocks, form),
        });
    }
    Ok((files, findings))
}
