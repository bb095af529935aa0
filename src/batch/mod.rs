//! A whole county in one run: many inputs → every agency's DOCX and XLSX, a
//! summary workbook, a check report and an archive manifest.
//!
//! [`run`] works in two passes over the inputs (sorted by path):
//!
//! 1. read every input once, in parallel, to learn its agency and year, so
//!    that an agency given twice for the same year is caught before anything
//!    is written;
//! 2. in parallel again, in chunks: read, check (and compare with last year's
//!    input when asked), render through [`crate::render`] and write
//!    each file at once (atomically). Each chunk's results are then taken in
//!    input order: the agency's row goes to the summary, its findings to the
//!    check report.
//!
//! Nothing is kept in memory per input: each result is parked on disk (see
//! [`spool`]) and the summary's rows are streamed, so memory stays flat
//! however many agencies there are. One bad input — unreadable, malformed,
//! breaking a rule, duplicated, a dangling or looping link, even one that
//! makes a reader or a writer panic — never stops the others and never
//! leaves a partial file: every step of an input (reading it in either pass,
//! checking, rendering, writing, its summary row) fails that input alone, and
//! it is reported and skipped.
//!
//! [`Options::cancel`] stops a batch cleanly (the CLI sets it on SIGINT and
//! SIGTERM); temporary files that a killed process left in the output folder
//! are removed by the next run (`crate::render::output::remove_stale_temps`), under
//! a lock on the folder. [`run`] prints nothing and decides no exit code.
//!
//! Nothing depends on the clock or on thread timing: the same inputs give the
//! same bytes in every file, the manifest included.

pub mod check_report;
pub mod inputs;
pub mod manifest;
pub mod process;
pub mod spool;
pub mod summary;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use rust_xlsxwriter::XlsxError;
use serde::{Deserialize, Serialize};

use crate::check::Finding;
use crate::model::Report;
use crate::read::{IoAction, io_reason};
use crate::render::Outputs;
use crate::render::names::safe_file_name;
use crate::render::output::Durability;
use crate::render::pdf::Office;
pub use inputs::collect_inputs;
use manifest::ManifestEntry;
use summary::SummaryWriter;

/// What to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Input files and folders (folders are walked for .toml/.json/.xlsx).
    pub inputs: Vec<PathBuf>,
    /// Where everything is written; created when missing.
    pub out_dir: PathBuf,
    /// A folder of last year's inputs, for the cross-year rules R5/R6.
    pub previous: Option<PathBuf>,
    /// Worker threads; `None` = one per core; at most [`MAX_JOBS`].
    pub jobs: Option<usize>,
    /// The region's name in the summary's file name; default: the common
    /// `region` of the inputs.
    pub name: Option<String>,
    /// Also write the check report as JSON.
    pub json_report: bool,
    /// Which files to render per agency.
    pub outputs: Outputs,
    /// Set to `true` (e.g. from a signal handler) to stop the batch: no new
    /// input is taken, the inputs being processed finish (each one's files
    /// written whole or not at all), and no summary, check report or
    /// manifest is written; [`BatchOutcome::interrupted`] says so.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Name the inputs relative to this folder (in the manifest, the check
    /// report, the summary and the messages) instead of as given: a server
    /// that runs the batch in a temporary folder names them as a clerk who
    /// ran `nianbao batch` in that folder would see them.
    pub input_base: Option<PathBuf>,
    /// Also convert each agency's DOCX to PDF (`<stem>.pdf` beside it) with
    /// LibreOffice: each chunk of inputs in one run per core. The manifest
    /// then records LibreOffice's version.
    pub pdf: bool,
}

impl Options {
    /// Options for `inputs` → `out_dir`, everything else by default.
    pub fn new(inputs: Vec<PathBuf>, out_dir: PathBuf) -> Options {
        Options {
            inputs,
            out_dir,
            previous: None,
            jobs: None,
            name: None,
            json_report: false,
            outputs: Outputs::default(),
            cancel: None,
            input_base: None,
            pdf: false,
        }
    }
}

/// How one input fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Its DOCX and XLSX were written.
    Ok,
    /// Read, but not generated: error findings, the same agency and year
    /// twice, or a writer failure.
    Failed,
    /// Could not be read (missing, not UTF-8, malformed, wrong keys…).
    Unreadable,
}

impl Status {
    /// 成功, 未通过 or 无法读取.
    pub fn chinese(&self) -> &'static str {
        match self {
            Status::Ok => "成功",
            Status::Failed => "未通过",
            Status::Unreadable => "无法读取",
        }
    }
}

/// Whether and how an input was compared with last year's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PreviousCheck {
    /// No `--previous` folder given (or the input was not read).
    NotRequested,
    /// Compared with this input of last year.
    Compared {
        /// Last year's input file.
        file: String,
        /// Its year.
        year: u16,
    },
    /// The `--previous` folder has no input of this agency for last year.
    Missing,
}

impl PreviousCheck {
    /// In words for the check report.
    pub fn describe(&self) -> String {
        match self {
            PreviousCheck::NotRequested => String::new(),
            PreviousCheck::Compared { file, year } => format!("已与{year}年输入比对：{file}"),
            PreviousCheck::Missing => "无上年输入，未做跨年校验".to_string(),
        }
    }
}

/// The outcome of one input: one row (and its findings) of the check report.
#[derive(Debug, Clone, Serialize)]
pub struct InputResult {
    /// The input file, as found.
    pub input: String,
    /// The agency, when the input could be read.
    pub agency: Option<String>,
    /// The reported year, when the input could be read.
    pub year: Option<u16>,
    /// What happened.
    pub status: Status,
    /// What happened, in words (the error, or what was written).
    pub message: String,
    /// The comparison with last year.
    pub previous: PreviousCheck,
    /// Every finding: this year's rules, then R5/R6 against last year.
    pub findings: Vec<Finding>,
    /// The files written for this input.
    pub files: Vec<ManifestEntry>,
}

/// How many inputs ended how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// All inputs.
    pub total: usize,
    /// Generated.
    pub ok: usize,
    /// Read but not generated.
    pub failed: usize,
    /// Not readable.
    pub unreadable: usize,
}

impl Counts {
    fn add(&mut self, status: Status) {
        self.total += 1;
        match status {
            Status::Ok => self.ok += 1,
            Status::Failed => self.failed += 1,
            Status::Unreadable => self.unreadable += 1,
        }
    }
}

/// The whole batch. The per-input results went to the check report (and to
/// the `progress` callback of [`run`]); only the counts are kept. What they
/// mean for an exit code or a message is the caller's to say.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    /// How many inputs ended how (of those processed).
    pub counts: Counts,
    /// How many inputs were found (files, and the links and folders that
    /// could not be read).
    pub inputs: usize,
    /// Stopped through [`Options::cancel`] after `counts.total` of `inputs`:
    /// the files of those inputs are written, but no summary, check report or
    /// manifest.
    pub interrupted: bool,
    /// The summary workbook(s) and check report(s) written.
    pub reports: Vec<ManifestEntry>,
    /// Remarks about the batch itself (e.g. unreadable inputs of last year).
    pub notes: Vec<String>,
}

impl BatchOutcome {
    /// How many inputs ended with `status`.
    pub fn count(&self, status: Status) -> usize {
        match status {
            Status::Ok => self.counts.ok,
            Status::Failed => self.counts.failed,
            Status::Unreadable => self.counts.unreadable,
        }
    }
}

/// The most worker threads a batch starts, whatever [`Options::jobs`] asks
/// (`-j 100000000` would otherwise spend minutes and gigabytes creating
/// threads that have nothing to do).
pub const MAX_JOBS: usize = 256;

/// Why a batch could not run at all (a bad input never causes one).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The output folder could not be created.
    #[error("{}: 无法创建输出目录：{}", path.display(), io_reason(source, IoAction::Write))]
    OutDir {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// No input was found.
    #[error("没有找到输入文件（.toml、.json 或 .xlsx）")]
    NoInputs,
    /// The output folder is an input folder or inside one: the next run
    /// would read this run's workbooks as inputs.
    #[error(
        "{}: 输出目录不能是输入目录 {} 本身或其中的子目录（下次运行会把输出当作输入），请换一个输出目录",
        out.display(),
        input.display()
    )]
    OutInsideInput {
        /// The output folder.
        out: PathBuf,
        /// The input folder that holds it.
        input: PathBuf,
    },
    /// The `--previous` folder is not there.
    #[error("{}: 上年输入目录（--previous）不存在或不是目录", path.display())]
    Previous {
        /// The folder given.
        path: PathBuf,
    },
    /// Another batch is writing into the same output folder.
    #[error(
        "{}: 另一个 nianbao batch 正在写入这个输出目录，请等它结束或换一个输出目录",
        path.display()
    )]
    Busy {
        /// The output folder.
        path: PathBuf,
    },
    /// `--pdf` without LibreOffice (or its profile could not be made).
    #[error("{0}")]
    Pdf(#[from] crate::render::pdf::PdfError),
    /// The worker threads could not be started.
    #[error("无法启动工作线程：{0}")]
    Threads(String),
    /// A batch-level workbook could not be written.
    #[error("{}: 无法写入：{message}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Saves a batch-level file atomically: `save` writes it into a temporary
/// file, which is hashed and then renamed into place. Returns its manifest
/// entry; a failure names the file and says why in Chinese.
fn save_atomically(
    out_dir: &Path,
    wanted: &str,
    agency: Option<String>,
    year: Option<u16>,
    save: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<ManifestEntry, BatchError> {
    let (name, changed) = safe_file_name(wanted);
    let path = out_dir.join(&name);
    let saved = crate::render::output::write_with(&path, Durability::Unsynced, |file| {
        save(file)?;
        file.seek(SeekFrom::Start(0))?;
        manifest::hash_reader(file)
    });
    let (bytes, sha256) = saved.map_err(|e| write_error(&path, &e))?;
    Ok(ManifestEntry {
        path: name,
        bytes,
        sha256,
        source: None,
        agency,
        year,
        unsafe_name: changed.then(|| wanted.to_string()),
    })
}

/// Saves a batch-level workbook: `build` writes it straight into the
/// temporary file of [`save_atomically`] (a workbook of 10,000 agencies is
/// megabytes: made in memory first, it was the batch's peak), through a
/// [`Sticky`] writer, so that a failed write (a full disk) is reported once,
/// with the system's reason.
fn save_workbook(
    out_dir: &Path,
    wanted: &str,
    agency: Option<String>,
    year: Option<u16>,
    build: impl FnOnce(&mut Sticky) -> Result<(), XlsxError>,
) -> Result<ManifestEntry, BatchError> {
    let mut writer_failed = None;
    let saved = save_atomically(out_dir, wanted, agency, year, |file| {
        let mut sticky = Sticky { file, error: None };
        let built = build(&mut sticky);
        if let Some(e) = sticky.error.take() {
            return Err(e);
        }
        built.map_err(|e| {
            let io = std::io::Error::other(e.to_string());
            writer_failed = Some(e);
            io
        })
    });
    match (saved, writer_failed) {
        (Err(_), Some(e)) => Err(BatchError::Write {
            path: out_dir.join(safe_file_name(wanted).0),
            message: xlsx_reason(&e),
        }),
        (saved, _) => saved,
    }
}

/// A file that keeps its first write error and then takes every later write
/// and seek without trying: the zip writer inside rust_xlsxwriter, once a
/// write failed, tries again when it is dropped and prints its own debugging
/// text when that fails too.
struct Sticky<'f> {
    file: &'f mut std::fs::File,
    error: Option<std::io::Error>,
}

impl Sticky<'_> {
    fn fail(&mut self, e: std::io::Error) -> std::io::Error {
        let told = std::io::Error::new(e.kind(), e.to_string());
        self.error = Some(e);
        told
    }
}

impl Write for Sticky<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.error.is_some() {
            return Ok(buf.len());
        }
        self.file.write(buf).map_err(|e| self.fail(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.error.is_some() {
            return Ok(());
        }
        self.file.flush().map_err(|e| self.fail(e))
    }
}

impl Seek for Sticky<'_> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        if self.error.is_some() {
            return Ok(0);
        }
        self.file.seek(pos).map_err(|e| self.fail(e))
    }
}

/// [`BatchError::Write`] of `path`, the system's reason in Chinese.
fn write_error(path: &Path, e: &std::io::Error) -> BatchError {
    BatchError::Write {
        path: path.to_path_buf(),
        message: io_reason(e, IoAction::Write),
    }
}

/// Why the workbook writer failed, in Chinese: the system's reason for an
/// I/O error (its temporary files), else the writer's own words, marked as
/// our failure.
fn xlsx_reason(e: &XlsxError) -> String {
    match e {
        XlsxError::IoError(io) => io_reason(io, IoAction::Write),
        other => format!("内部错误：Excel 写入程序失败（{other}）"),
    }
}

/// Runs the batch. `progress` is called once per input, in input order, as
/// results come in.
pub fn run(
    options: &Options,
    progress: &(dyn Fn(&InputResult, usize, usize) + Sync),
) -> Result<BatchOutcome, BatchError> {
    let out_dir = options.out_dir.as_path();
    if let Some(previous) = &options.previous
        && !previous.is_dir()
    {
        return Err(BatchError::Previous {
            path: previous.clone(),
        });
    }
    refuse_out_in_input(out_dir, resolved(out_dir).as_deref(), &options.inputs)?;
    std::fs::create_dir_all(out_dir).map_err(|source| BatchError::OutDir {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let skip = out_dir.canonicalize().ok();
    refuse_out_in_input(out_dir, skip.as_deref(), &options.inputs)?;
    // Held until the batch ends: no other batch writes here meanwhile, so
    // that the temporary files found now are stale ones.
    let _lock = lock(out_dir)?;
    let mut notes = Vec::new();
    match crate::render::output::remove_stale_temps(out_dir) {
        Ok(removed) if !removed.is_empty() => notes.push(format!(
            "已删除上次中断的运行留下的 {} 个临时文件",
            removed.len()
        )),
        Ok(_) => {}
        Err(e) => {
            return Err(BatchError::Write {
                path: out_dir.to_path_buf(),
                message: format!(
                    "无法清理上次中断的运行留下的临时文件：{}",
                    io_reason(&e, IoAction::Write)
                ),
            });
        }
    }
    let found = inputs::collect(&options.inputs, skip.as_deref());
    if found.files.is_empty() && found.problems.is_empty() {
        return Err(BatchError::NoInputs);
    }
    let jobs = options
        .jobs
        .filter(|&j| j > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(MAX_JOBS);
    // One LibreOffice per core, started before any input is processed, so
    // that a missing LibreOffice stops the batch before anything is written.
    let mut offices = Vec::new();
    if options.pdf {
        for _ in 0..jobs.min(std::thread::available_parallelism().map_or(1, |n| n.get())) {
            offices.push(Office::start(None)?);
        }
        for (official, used) in offices.first().map(Office::substitutions).unwrap_or(&[]) {
            notes.push(format!(
                "本机未安装字体「{official}」，PDF 中以「{used}」代替"
            ));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|_| {
            BatchError::Threads(format!("系统不允许创建 {jobs} 个线程，请用 -j 减少线程数"))
        })?;
    let mut outcome = pool.install(|| {
        run_in_pool(
            options,
            &found,
            skip.as_deref(),
            jobs,
            &mut offices,
            progress,
        )
    })?;
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    Ok(outcome)
}

/// `path` made absolute with every link resolved, also when its last
/// components do not exist yet (those are taken as written, `..` and all);
/// `None` when that cannot be told.
fn resolved(path: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let mut out = PathBuf::new();
    let mut exists = true;
    for part in std::path::absolute(path).ok()?.components() {
        match part {
            Component::Prefix(_) | Component::RootDir => out.push(part),
            Component::CurDir => {}
            Component::ParentDir if exists => out = out.join("..").canonicalize().ok()?,
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if exists {
                    match out.canonicalize() {
                        Ok(canonical) => out = canonical,
                        Err(_) => exists = false,
                    }
                }
            }
        }
    }
    Some(out)
}

/// Refuses an output folder (`canonical`: resolved) that is one of the input
/// folders or inside one.
fn refuse_out_in_input(
    out_dir: &Path,
    canonical: Option<&Path>,
    inputs: &[PathBuf],
) -> Result<(), BatchError> {
    let Some(out) = canonical else {
        return Ok(());
    };
    for input in inputs.iter().filter(|i| i.is_dir()) {
        if let Ok(folder) = input.canonicalize()
            && out.starts_with(&folder)
        {
            return Err(BatchError::OutInsideInput {
                out: out_dir.to_path_buf(),
                input: input.clone(),
            });
        }
    }
    Ok(())
}

/// An exclusive lock on the folder `dir` (`flock`), held while the returned
/// handle lives; [`BatchError::Busy`] when another batch holds it. Where the
/// file system has no locks, the batch runs without.
fn lock(dir: &Path) -> Result<Option<std::fs::File>, BatchError> {
    #[cfg(unix)]
    {
        let Ok(handle) = std::fs::File::open(dir) else {
            return Ok(None);
        };
        match handle.try_lock() {
            Ok(()) => Ok(Some(handle)),
            Err(std::fs::TryLockError::WouldBlock) => Err(BatchError::Busy {
                path: dir.to_path_buf(),
            }),
            Err(std::fs::TryLockError::Error(_)) => Ok(None),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(None)
    }
}

fn run_in_pool(
    options: &Options,
    found: &inputs::Collected,
    skip: Option<&Path>,
    jobs: usize,
    offices: &mut [Office],
    progress: &(dyn Fn(&InputResult, usize, usize) + Sync),
) -> Result<BatchOutcome, BatchError> {
    let out_dir = options.out_dir.as_path();
    let mut pdfs_made = 0usize;
    let mut notes = Vec::new();
    let previous = options.previous.as_deref().map(|dir| {
        let (index, mut problems) = inputs::previous_index(dir, skip);
        notes.append(&mut problems);
        index
    });
    let inputs = found.files.as_slice();
    let total = inputs.len() + found.problems.len();
    let cancel = options.cancel.as_deref();
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let ctx = process::Context {
        out_dir,
        outputs: options.outputs,
        previous: previous.as_ref(),
        input_base: options.input_base.as_deref(),
    };
    let mut spool = spool::Spool::create(out_dir).map_err(|e| write_error(out_dir, &e))?;

    let mut summaries: BTreeMap<u16, SummaryWriter> = BTreeMap::new();
    let mut regions: BTreeSet<String> = BTreeSet::new();
    let mut counts = Counts::default();
    let mut latest_year: Option<u16> = None;
    // Dangling or looping links and folders that cannot be listed: reported
    // first, as unreadable inputs.
    for problem in &found.problems {
        let result = InputResult {
            input: process::shown(options.input_base.as_deref(), &problem.path),
            agency: None,
            year: None,
            status: Status::Unreadable,
            message: problem.message.clone(),
            previous: PreviousCheck::NotRequested,
            findings: Vec::new(),
            files: Vec::new(),
        };
        spool.push(&result).map_err(|e| write_error(out_dir, &e))?;
        counts.add(result.status);
        progress(&result, counts.total, total);
    }
    let prechecks = inputs::precheck_with(inputs, &|path: &Path| crate::read::load(path), cancel);
    let indices: Vec<usize> = (0..inputs.len()).collect();
    // With PDFs, larger chunks: each chunk pays LibreOffice's start (2–3 s)
    // once per core.
    let chunk = if offices.is_empty() { 32 } else { 128 };
    for part in indices.chunks(jobs * chunk) {
        if cancelled() {
            break;
        }
        release_free_memory();
        // Once cancelled, the inputs not yet started are left alone.
        let mut done: Vec<(InputResult, Option<Report>)> = part
            .par_iter()
            .filter_map(|&i| {
                (!cancelled()).then(|| process::process_isolated(&ctx, &inputs[i], &prechecks[i]))
            })
            .collect();
        if !offices.is_empty() {
            pdfs_made += add_pdfs(out_dir, offices, &mut done, &mut notes);
        }
        for (mut result, report) in done {
            latest_year = latest_year.max(result.year);
            if let Some(report) = report {
                let year = report.report.year;
                let writer = match summaries.entry(year.0) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(SummaryWriter::new(year).map_err(|e| BatchError::Write {
                            path: out_dir.to_path_buf(),
                            message: xlsx_reason(&e),
                        })?)
                    }
                };
                // This input's row: a failure (or a panic) fails this input alone.
                let added = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    writer.add(&report, &result.input)
                }));
                let failure = match added {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(xlsx_reason(&e)),
                    Err(panic) => Some(inputs::panic_text(panic.as_ref())),
                };
                match failure {
                    Some(why) => process::withdraw(
                        out_dir,
                        &mut result,
                        format!("写入汇总表失败，未生成：{why}"),
                    ),
                    None if regions.len() < 2 => {
                        regions.insert(report.report.region.clone().unwrap_or_default());
                    }
                    None => {}
                }
            }
            spool.push(&result).map_err(|e| write_error(out_dir, &e))?;
            counts.add(result.status);
            progress(&result, counts.total, total);
        }
    }
    if cancelled() {
        // The spool (nameless files) goes with it; nothing else is written.
        return Ok(BatchOutcome {
            counts,
            inputs: total,
            interrupted: true,
            reports: Vec::new(),
            notes,
        });
    }
    spool.flush().map_err(|e| write_error(out_dir, &e))?;

    let name = options
        .name
        .clone()
        .unwrap_or_else(|| match regions.first() {
            Some(region) if regions.len() == 1 && !region.trim().is_empty() => region.clone(),
            _ => "全部机关".to_string(),
        });
    let mut reports = Vec::new();
    for (year, writer) in summaries {
        reports.push(save_workbook(
            out_dir,
            &format!("汇总-{name}-{year}.xlsx"),
            Some(name.clone()),
            Some(year),
            |out| writer.finish(&name, out),
        )?);
    }
    let year = latest_year.unwrap_or(*crate::model::YEARS.start());
    let title = check_report::title(&name, latest_year);
    reports.push(save_workbook(
        out_dir,
        check_report::XLSX_NAME,
        None,
        None,
        |out| check_report::write_xlsx(&spool, &title, year, out),
    )?);
    if options.json_report {
        reports.push(save_atomically(
            out_dir,
            check_report::JSON_NAME,
            None,
            None,
            |tmp| check_report::write_json(&spool, &counts, tmp),
        )?);
    }
    let libreoffice = offices
        .first()
        .filter(|_| pdfs_made > 0)
        .map(Office::version);
    manifest::write(
        out_dir,
        libreoffice,
        reports.clone(),
        spool.manifest_lines(),
    )
    .map_err(|e| write_error(&out_dir.join(manifest::MANIFEST), &e))?;
    Ok(BatchOutcome {
        counts,
        inputs: total,
        interrupted: false,
        reports,
        notes,
    })
}

/// Converts the DOCX of every generated input in `done` to PDF (in one
/// LibreOffice run per office), writes each PDF beside its DOCX and adds it
/// to the input's files. An input whose PDF fails keeps its other files and
/// says why in its message (and in `notes`); the others go on. Returns how
/// many PDFs were written.
fn add_pdfs(
    out_dir: &Path,
    offices: &mut [Office],
    done: &mut [(InputResult, Option<Report>)],
    notes: &mut Vec<String>,
) -> usize {
    let failed = |result: &mut InputResult, notes: &mut Vec<String>, why: String| {
        result.message.push_str(&format!("；PDF 未生成：{why}"));
        let agency = result.agency.as_deref().unwrap_or("-");
        notes.push(format!("{}（{agency}）：PDF 未生成：{why}", result.input));
    };
    // (index in `done`, the DOCX's entry, its bytes)
    let mut wanted = Vec::new();
    for (i, (result, _)) in done.iter_mut().enumerate() {
        if result.status != Status::Ok {
            continue;
        }
        let Some(entry) = result
            .files
            .iter()
            .find(|f| f.path.ends_with(".docx"))
            .cloned()
        else {
            continue;
        };
        match std::fs::read(out_dir.join(&entry.path)) {
            Ok(bytes) => wanted.push((i, entry, bytes)),
            Err(e) => {
                let why = format!("无法读取 Word 报告：{}", io_reason(&e, IoAction::Read));
                failed(result, notes, why);
            }
        }
    }
    if wanted.is_empty() {
        return 0;
    }
    let runs = offices
        .len()
        .min(wanted.len().div_ceil(crate::render::pdf::MIN_PER_RUN))
        .max(1);
    let docx: Vec<&[u8]> = wanted.iter().map(|(_, _, b)| b.as_slice()).collect();
    let pdfs = crate::render::pdf::convert_each(&mut offices[..runs], &docx);
    let mut made = 0;
    for ((i, docx, _), pdf) in wanted.iter().zip(pdfs) {
        let result = &mut done[*i].0;
        let bytes = match pdf {
            Ok(bytes) => bytes,
            Err(e) => {
                failed(result, notes, e.to_string());
                continue;
            }
        };
        let docx_name = docx.unsafe_name.as_deref().unwrap_or(&docx.path);
        let wanted_name = format!("{}.pdf", docx_name.trim_end_matches(".docx"));
        let (name, changed) = safe_file_name(&wanted_name);
        let target = out_dir.join(&name);
        if let Err(e) = process::write_file(&target, &bytes) {
            let why = format!(
                "{}: 写入失败：{}",
                target.display(),
                io_reason(&e, IoAction::Write)
            );
            failed(result, notes, why);
            continue;
        }
        result.files.push(ManifestEntry {
            path: name,
            bytes: bytes.len() as u64,
            sha256: manifest::sha256_hex(&bytes),
            source: docx.source.clone(),
            agency: docx.agency.clone(),
            year: docx.year,
            unsafe_name: changed.then_some(wanted_name),
        });
        result.message = process::generated(result.files.len(), result.findings.len());
        made += 1;
    }
    made
}

/// Fixes glibc's thresholds for mapping large blocks and for returning
/// freed memory to the system (4 MiB and 8 MiB). A process-wide setting, so
/// [`run`] does not make it: the program that runs a large batch calls this
/// first (the CLI does, for `batch` and for `serve`). Left to glibc's dynamic
/// adjustment, the resident memory of a batch grew with every agency
/// although nothing is kept (60 MB after 5,000); at glibc's initial 128 KiB
/// the writers' buffers were mapped and unmapped for every document
/// (1,500 page faults and 5 ms of system time per agency). Fixed, the
/// buffers are reused and memory stays flat.
///
/// It also bounds glibc's arenas to [`MALLOC_ARENAS`]. glibc gives a thread
/// that allocates while the others' arenas are busy an arena of its own, up
/// to eight per core, and each reserves 64 MiB of address space. A batch has
/// its workers, and rust_xlsxwriter starts a thread per worksheet for every
/// workbook it saves: the address space of a 16-input batch went from 364 to
/// 638 MB from run to run, and under `ulimit -v 500000` a thread could then
/// not be started (rust_xlsxwriter panics then). With four arenas it stays
/// near 245 MB, whatever the number of cores; the per-thread caches of glibc
/// take most allocations without touching an arena, so the speed is the
/// same (measured in docs/speed.md). No-op on other C libraries.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets allocator parameters; it accepts or
        // refuses a value and touches no memory of ours.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 8 << 20);
            libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
        }
    }
}

/// The most malloc arenas [`tune_allocator`] lets glibc make (the main one
/// included).
pub const MALLOC_ARENAS: i32 = 4;

/// Gives the memory freed so far back to the system (glibc's `malloc_trim`),
/// between two chunks of a batch: freed blocks scattered through the
/// allocator's arenas are otherwise kept resident, and with them the peak
/// grew with the number of inputs (10,000: about 20 % above 1,000). The
/// writers' buffers are then mapped again once per chunk, not per document.
/// No-op on other C libraries.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only returns free memory of the allocator to
        // the system; it touches no live allocation.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

/// Writes `count` synthetic inputs ([`crate::synthetic::report`] of seeds
/// 0..count) into `dir`: TOML, every tenth one JSON. Returns the paths.
pub fn write_sample_inputs(count: u64, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let width = count.saturating_sub(1).max(1).to_string().len();
    (0..count)
        .into_par_iter()
        .map(|seed| {
            let report = crate::synthetic::report(seed);
            let (ext, text) = if seed % 10 == 9 {
                ("json", serde_json::to_string_pretty(&report)?)
            } else {
                (
                    "toml",
                    toml::to_string(&report).map_err(std::io::Error::other)?,
                )
            };
            let path = dir.join(format!("{seed:0width$}.{ext}"));
            crate::render::output::write_atomically(&path, text.as_bytes())?;
            Ok(path)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The workbook goes straight into its file, and the manifest entry
    /// (size, hash) is that of the file as written.
    #[test]
    fn workbooks_are_written_into_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let entry = save_workbook(
            dir.path(),
            "汇总-某县-2024.xlsx",
            None,
            Some(2024),
            |out| {
                let report = crate::synthetic::report(1);
                let mut writer = SummaryWriter::new(report.report.year)?;
                writer.add(&report, "1.toml")?;
                writer.finish("某县", out)
            },
        )
        .unwrap();
        let saved = std::fs::read(dir.path().join(&entry.path)).unwrap();
        assert_eq!(&saved[..2], b"PK");
        assert_eq!(entry.bytes, saved.len() as u64);
        assert_eq!(entry.sha256, manifest::sha256_hex(&saved));
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(saved)).unwrap();
        assert!(zip.by_name("xl/workbook.xml").is_ok());
    }

    /// After a failed write the sticky writer keeps the first error and
    /// takes everything else without trying (no second failure to report).
    #[test]
    fn a_sticky_writer_keeps_the_first_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro");
        std::fs::write(&path, b"x").unwrap();
        // Opened read-only: every write fails.
        let mut file = std::fs::File::open(&path).unwrap();
        let mut sticky = Sticky {
            file: &mut file,
            error: None,
        };
        assert!(sticky.write(b"abc").is_err());
        assert_eq!(sticky.write(b"def").unwrap(), 3);
        assert_eq!(sticky.seek(SeekFrom::Start(0)).unwrap(), 0);
        assert!(sticky.flush().is_ok());
        assert!(sticky.error.is_some());
    }

    /// A failed write names the file and says why in Chinese, without the
    /// system's English; a failed build is a write error of that file too.
    #[test]
    fn failed_saves_say_why_in_chinese() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("不存在");
        let err = save_workbook(&gone, "校验报告.xlsx", None, None, |out| {
            out.write_all(b"PK").map_err(XlsxError::IoError)
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("校验报告.xlsx"), "{err}");
        assert!(err.contains("所在的文件夹不存在"), "{err}");
        assert!(!err.contains("os error"), "{err}");
        let err = save_workbook(dir.path(), "x.xlsx", None, None, |_| {
            Err(XlsxError::IoError(std::io::Error::from(
                std::io::ErrorKind::StorageFull,
            )))
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("x.xlsx") && err.contains("磁盘空间已满"),
            "{err}"
        );
        // Nothing was written for the failed build.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
