//! Pass 2 for one input: read, check, compare with last year, render, write.

use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::Path;

use super::inputs::{Precheck, PreviousIndex};
use super::manifest::{self, ManifestEntry};
use super::{InputResult, PreviousCheck, Status};
use crate::check::{self, Severity};
use crate::model::Report;
use crate::render::Error;
use crate::render::names::{agency_key, safe_file_name};
use crate::render::output::Durability;
use crate::render::{self, Outputs};

/// Writes `bytes` to `path` atomically ([`crate::render::output::write_with`]) but
/// without waiting for the disk (no fsync per file): on a batch of thousands
/// of files that wait dominates the run. The manifest, written last, is synced.
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::render::output::write_with(path, Durability::Unsynced, |f| f.write_all(bytes))
}

/// What pass 2 needs besides the input.
pub struct Context<'a> {
    /// The output folder.
    pub out_dir: &'a Path,
    /// Which files to render.
    pub outputs: Outputs,
    /// Last year's inputs, when `--previous` was given.
    pub previous: Option<&'a PreviousIndex>,
    /// See [`super::Options::input_base`].
    pub input_base: Option<&'a Path>,
}

/// How an input is named: relative to `base` when it is inside it, else as given.
pub fn shown(base: Option<&Path>, path: &Path) -> String {
    base.and_then(|b| path.strip_prefix(b).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Pass 2 for one input: the check-report row, and the report when it was generated.
fn process(ctx: &Context, path: &Path, pre: &Precheck) -> (InputResult, Option<Report>) {
    let source = shown(ctx.input_base, path);
    let mut result = InputResult {
        input: source.clone(),
        agency: None,
        year: None,
        status: Status::Unreadable,
        message: String::new(),
        previous: PreviousCheck::NotRequested,
        findings: Vec::new(),
        files: Vec::new(),
    };
    match pre {
        Precheck::Unreadable(e) => {
            result.message = e.to_string();
            return (result, None);
        }
        Precheck::Duplicate(others) => {
            result.status = Status::Failed;
            result.message =
                format!("同一机关同一年度（或同名输出文件）有多个输入，均未生成：{others}");
            // Read again only to name the agency in the report.
            if let Ok(report) = crate::read::load(path) {
                result.agency = Some(report.report.agency);
                result.year = Some(report.report.year.0);
            }
            return (result, None);
        }
        Precheck::NotRead => {
            result.message = "未处理：批处理已中断".to_string();
            return (result, None);
        }
        Precheck::Fresh => {}
    }
    let report = match crate::read::load(path) {
        Ok(report) => report,
        Err(e) => {
            result.message = e.to_string();
            return (result, None);
        }
    };
    result.agency = Some(report.report.agency.clone());
    result.year = Some(report.report.year.0);
    result.status = Status::Failed;
    result.findings = check::check(&report);
    if let Some(index) = ctx.previous {
        let last_year = report.report.year.0.saturating_sub(1);
        let agency = report.report.agency.trim();
        match index
            .get(&agency_key(agency))
            .and_then(|v| v.iter().find(|p| p.year.0 == last_year))
        {
            Some(prev) => {
                result
                    .findings
                    .extend(check::check_against_previous(&report, &prev.report(agency)));
                result.previous = PreviousCheck::Compared {
                    file: prev.file.clone(),
                    year: prev.year.0,
                };
            }
            None => result.previous = PreviousCheck::Missing,
        }
    }
    let errors = result
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = result.findings.len() - errors;
    if errors > 0 {
        result.message = format!("{errors} 个错误，{warnings} 个警告，未生成");
        return (result, None);
    }
    // The rules were checked above (not again); R7 needs the rendered text:
    // its warnings come with the files, after those of the check.
    let engine = crate::text::TextEngine::embedded();
    let checked = result.findings.clone();
    let files = match render::render_checked(&report, &source, ctx.outputs, engine, checked) {
        Ok((files, findings)) => {
            result.findings = findings;
            files
        }
        Err(Error::Rules(_)) => {
            result.message = "未通过校验，未生成".to_string();
            return (result, None);
        }
        Err(e) => {
            result.message = format!("生成失败：{e}");
            return (result, None);
        }
    };
    for file in &files {
        let (name, changed) = safe_file_name(&file.name);
        let target = ctx.out_dir.join(&name);
        if let Err(e) = write_file(&target, &file.bytes) {
            let why = crate::read::io_reason(&e, crate::read::IoAction::Write);
            withdraw(
                ctx.out_dir,
                &mut result,
                format!("{}: 写入失败，未生成：{why}", target.display()),
            );
            return (result, None);
        }
        result.files.push(ManifestEntry {
            path: name,
            bytes: file.bytes.len() as u64,
            sha256: manifest::sha256_hex(&file.bytes),
            source: Some(source.clone()),
            agency: Some(report.report.agency.clone()),
            year: Some(report.report.year.0),
            unsafe_name: changed.then(|| file.name.clone()),
        });
    }
    result.status = Status::Ok;
    result.message = generated(files.len(), result.findings.len());
    (result, Some(report))
}

/// The message of a generated input: how many files, how many warnings.
pub fn generated(files: usize, warnings: usize) -> String {
    if warnings > 0 {
        format!("已生成 {files} 个文件；{warnings} 个警告")
    } else {
        format!("已生成 {files} 个文件")
    }
}

/// All or nothing: removes the files `result` lists (written into
/// `out_dir` for this input) and marks it failed with `message`.
pub fn withdraw(out_dir: &Path, result: &mut InputResult, message: String) {
    for written in &result.files {
        let _ = std::fs::remove_file(out_dir.join(&written.path));
    }
    result.files.clear();
    result.status = Status::Failed;
    result.message = message;
}

/// Pass 2 for one input — read, check, compare, render, write — with a
/// panic turned into a failed input.
pub fn process_isolated(
    ctx: &Context,
    path: &Path,
    pre: &Precheck,
) -> (InputResult, Option<Report>) {
    std::panic::catch_unwind(AssertUnwindSafe(|| process(ctx, path, pre))).unwrap_or_else(|panic| {
        let what = super::inputs::panic_text(panic.as_ref());
        let result = InputResult {
            input: shown(ctx.input_base, path),
            agency: None,
            year: None,
            status: Status::Failed,
            message: format!("内部错误，未生成：{what}"),
            previous: PreviousCheck::NotRequested,
            findings: Vec::new(),
            files: Vec::new(),
        };
        (result, None)
    })
}
