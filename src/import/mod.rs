//! Importing a published report (.txt, .docx, .html, .pdf) into the input
//! format, with an honest summary of what was read.
//!
//! Every format is first turned into one neutral shape ([`shape::Doc`]: paragraphs and tables
//! with merged cells expanded) by its reader ([`docx`], [`html`], [`text`],
//! [`pdf`] through `pdftotext -layout`). Then one matcher ([`tables`]) maps
//! the tables onto the table description of [`crate::spec::tables`] by
//! label, and [`narrative`] splits the paragraphs into the text blocks by the
//! section headings and run-in heads of [`crate::spec::outline`]. The report
//! is written as TOML by the model's serializer, cells not found marked
//! `# 未读到`; its findings are those `nianbao check` gives on that TOML,
//! because they are computed on the TOML read back.
//!
//! ```
//! let text = std::fs::read("inputs/butaji-2024.toml").unwrap();
//! let report = nianbao::read_bytes(&text, nianbao::InputKind::Toml, "b.toml").unwrap();
//! let only_docx = nianbao::Outputs { docx: true, xlsx: false, ..Default::default() };
//! let docx = nianbao::render(&report, "b.toml", only_docx)
//!     .unwrap().0.remove(0).bytes;
//! let imported = nianbao::import::import_bytes(&docx, nianbao::import::ImportKind::Docx, "b.docx").unwrap();
//! assert_eq!(imported.report.applications, report.applications);
//! assert_eq!(imported.summary.cells_found, imported.summary.cells_total);
//! ```

use std::path::Path;

use serde::Serialize;

use crate::check::{Finding, Severity};
use crate::model::{Report, Year};
use crate::spec::outline;
use crate::text::TextEngine;

pub mod docx;
mod error;
pub mod html;
pub mod labels;
pub mod narrative;
pub mod pdf;
pub mod shape;
pub mod tables;
pub mod text;
mod toml_out;

pub use error::ImportError;
pub use tables::Approximate;

/// What kind of published file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportKind {
    /// Text (`.txt`), e.g. what `pdftotext -layout` gives.
    Text,
    /// A Word document (`.docx`).
    Docx,
    /// A web page (`.html`, `.htm`).
    Html,
    /// A PDF with a text layer (`.pdf`).
    Pdf,
}

impl ImportKind {
    /// The kind a file name's extension says.
    ///
    /// ```
    /// use nianbao::import::ImportKind;
    /// assert_eq!(ImportKind::from_path("a/报告.PDF".as_ref()), Some(ImportKind::Pdf));
    /// assert_eq!(ImportKind::from_path("a.toml".as_ref()), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<ImportKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        ImportKind::from_extension(&ext)
    }

    /// The kind of an extension (`txt`, `docx`, `html`, `htm`, `pdf`).
    pub fn from_extension(ext: &str) -> Option<ImportKind> {
        match ext {
            "txt" => Some(ImportKind::Text),
            "docx" => Some(ImportKind::Docx),
            "html" | "htm" => Some(ImportKind::Html),
            "pdf" => Some(ImportKind::Pdf),
            _ => None,
        }
    }

    /// The largest file of this kind read, in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            ImportKind::Text | ImportKind::Html => 10 * 1024 * 1024,
            ImportKind::Docx => 30 * 1024 * 1024,
            ImportKind::Pdf => 50 * 1024 * 1024,
        }
    }
}

/// A cell of tables 二、三、四 that was not found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingCell {
    /// Key path, e.g. `applications.new[0]`.
    pub key: String,
    /// The cell in words, e.g. `表三 一、本年新收政府信息公开申请数量 × 自然人`.
    pub cell: String,
}

/// What was read from one file.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The file.
    pub file: String,
    /// 机关全称 read.
    pub agency: String,
    /// The year read.
    pub year: u16,
    /// 成文日期 read, if any.
    pub issued_on: Option<String>,
    /// Input cells of tables 二、三、四.
    pub cells_total: usize,
    /// Input cells found.
    pub cells_found: usize,
    /// Input cells not found (0 in the TOML, marked `# 未读到`).
    pub missing: Vec<MissingCell>,
    /// Labels matched only approximately.
    pub approximate: Vec<Approximate>,
    /// Text blocks read (keys of `[text]`).
    pub text_blocks: Vec<&'static str>,
    /// Text blocks not found (the template will stand in for them).
    pub text_missing: Vec<&'static str>,
    /// Remarks.
    pub notes: Vec<String>,
    /// The findings of `nianbao check` on the written TOML.
    pub findings: Vec<Finding>,
}

/// A report imported: the report, its TOML and the summary.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The report (as read back from [`Imported::toml`]).
    pub report: Report,
    /// The TOML to write.
    pub toml: String,
    /// What was read.
    pub summary: Summary,
}

/// Imports the file at `path`, by its extension.
pub fn import_path(path: &Path) -> Result<Imported, ImportError> {
    let file = path.display().to_string();
    let Some(kind) = ImportKind::from_path(path) else {
        return Err(ImportError::UnknownKind { file });
    };
    let io = |e: std::io::Error| ImportError::Io {
        file: file.clone(),
        reason: crate::read::io_reason(&e, crate::read::IoAction::Read),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::from(std::io::ErrorKind::IsADirectory)));
    }
    if meta.len() > kind.max_bytes() {
        return Err(ImportError::TooLarge {
            file,
            size: meta.len(),
            limit: kind.max_bytes(),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    import_bytes(&bytes, kind, &file)
}

/// Text as UTF-8, else as GB18030 (the superset of GBK and GB2312 that
/// older Chinese pages and text files use); a UTF-8 BOM is dropped.
fn decode(bytes: &[u8], file: &str) -> Result<String, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err(ImportError::NotUtf8 {
            file: file.to_string(),
        });
    }
    Ok(text.into_owned())
}

/// Imports the bytes of a file of `kind`; `file` names it in messages.
pub fn import_bytes(bytes: &[u8], kind: ImportKind, file: &str) -> Result<Imported, ImportError> {
    import_bytes_within(bytes, kind, file, pdf::TIME_LIMIT)
}

/// As [`import_bytes`], with `pdf_time_limit` for the PDF's conversion
/// (pdftotext is stopped past it; the other readers work in memory, in
/// time bounded by the size limits).
pub fn import_bytes_within(
    bytes: &[u8],
    kind: ImportKind,
    file: &str,
    pdf_time_limit: std::time::Duration,
) -> Result<Imported, ImportError> {
    if bytes.len() as u64 > kind.max_bytes() {
        return Err(ImportError::TooLarge {
            file: file.to_string(),
            size: bytes.len() as u64,
            limit: kind.max_bytes(),
        });
    }
    let doc = match kind {
        ImportKind::Text => text::read(&decode(bytes, file)?),
        ImportKind::Html => html::read(&decode(bytes, file)?),
        ImportKind::Docx => docx::read(bytes, file)?,
        ImportKind::Pdf => text::read(&pdf::text_within(bytes, file, pdf_time_limit)?),
    };
    from_doc(&doc, file)
}

/// The report of a document in the neutral shape.
pub fn from_doc(doc: &shape::Doc, file: &str) -> Result<Imported, ImportError> {
    let mut report = Report::default();
    let mut reading = tables::Reading::default();
    let mut paragraphs = Vec::new();
    for block in &doc.blocks {
        match block {
            shape::Block::Para(p) => paragraphs.push(p.clone()),
            shape::Block::Table(grid) => tables::read_grid(grid, &mut report, &mut reading),
        }
    }
    let narrative = narrative::read(&paragraphs, &mut report);
    let not_a_report = |missing: &str| ImportError::NotAReport {
        file: file.to_string(),
        missing: missing.to_string(),
    };
    if reading.found.is_empty() && narrative.sections.len() < 3 {
        return Err(not_a_report(
            "未找到年度报告的六个部分的标题（如“一、总体情况”），也未找到统计表（二、三、四）",
        ));
    }
    if report.report.year == Year::default() {
        let year = report
            .report
            .issued_on
            .map(|d| d.year.saturating_sub(1))
            .filter(|y| crate::model::YEARS.contains(y));
        match year {
            Some(y) => report.report.year = Year(y),
            None => {
                return Err(not_a_report(
                    "未找到报告年度（标题应如“某某县人民政府2024年政府信息公开工作年度报告”）",
                ));
            }
        }
    }
    if report.report.agency.trim().is_empty() {
        return Err(not_a_report(
            "未找到机关名称（标题应如“某某县人民政府2024年政府信息公开工作年度报告”，或文末署名）",
        ));
    }
    let missing: Vec<MissingCell> = tables::missing(&reading)
        .into_iter()
        .map(|(key, cell)| MissingCell { key, cell })
        .collect();
    let mut notes = reading.notes.clone();
    notes.extend(narrative.notes.iter().cloned());
    for name in ["表二", "表三", "表四"] {
        if !reading.tables.contains(name) {
            notes.push(format!("未找到{name}"));
        }
    }
    let toml = toml_out::write(&report, file, &missing).map_err(|reason| ImportError::Io {
        file: file.to_string(),
        reason,
    })?;
    // The findings of `nianbao check` on exactly what is written.
    let report = Report::from_toml_str(&toml, file).map_err(|e| ImportError::Io {
        file: file.to_string(),
        reason: format!("导入结果无法读回（请报告此问题）：{e}"),
    })?;
    let findings = crate::render::check_with_text(&report, TextEngine::embedded());
    let (text_blocks, text_missing): (Vec<&'static str>, Vec<&'static str>) = outline::BLOCKS
        .iter()
        .map(|b| b.name)
        .partition(|name| report.text.get(name).is_some());
    let cells_total = tables::input_cells();
    let summary = Summary {
        file: file.to_string(),
        agency: report.report.agency.clone(),
        year: report.report.year.0,
        issued_on: report.report.issued_on.map(|d| d.to_string()),
        cells_total,
        cells_found: cells_total - missing.len(),
        missing,
        approximate: reading.approximate,
        text_blocks,
        text_missing,
        notes,
        findings,
    };
    Ok(Imported {
        report,
        toml,
        summary,
    })
}

impl std::fmt::Display for Summary {
    /// The summary as `nianbao import` prints it, in Chinese.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}: {}（{} 年）", self.file, self.agency, self.year)?;
        if let Some(d) = &self.issued_on {
            writeln!(f, "  成文日期：{d}")?;
        }
        writeln!(
            f,
            "  表格数字：读到 {} 格，未读到 {} 格（共 {} 格；未读到的记为 0，在 TOML 中注明“未读到”）",
            self.cells_found,
            self.missing.len(),
            self.cells_total
        )?;
        for m in self.missing.iter().take(20) {
            writeln!(f, "    未读到：{}（{}）", m.cell, m.key)?;
        }
        if self.missing.len() > 20 {
            writeln!(f, "    ……另有 {} 格未读到", self.missing.len() - 20)?;
        }
        if self.approximate.is_empty() {
            writeln!(f, "  近似匹配的标签：无")?;
        } else {
            writeln!(f, "  近似匹配的标签：{} 个", self.approximate.len())?;
            for a in &self.approximate {
                writeln!(
                    f,
                    "    “{}” 按 “{}” 读（相似度 {:.2}）",
                    a.printed, a.label, a.similarity
                )?;
            }
        }
        writeln!(
            f,
            "  文字：读到 {} 块{}",
            self.text_blocks.len(),
            if self.text_missing.is_empty() {
                String::new()
            } else {
                format!("，未找到：{}", self.text_missing.join("、"))
            }
        )?;
        for n in &self.notes {
            writeln!(f, "  说明：{n}")?;
        }
        if self.findings.is_empty() {
            writeln!(f, "  校验：数据一致，勾稽关系全部通过。")?;
        } else {
            let errors = self
                .findings
                .iter()
                .filter(|x| x.severity == Severity::Error)
                .count();
            writeln!(
                f,
                "  校验：{errors} 个错误，{} 个警告（已发布的报告也可能不一致；导入照常完成）",
                self.findings.len() - errors
            )?;
            for x in &self.findings {
                writeln!(f, "    {x}")?;
            }
        }
        Ok(())
    }
}
