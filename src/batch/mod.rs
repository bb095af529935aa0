//! A whole county in one run: many inputs → every agency's DOCX and XLSX, a
//! summary workbook, a check report and an archive manifest.
//!
//! [`run`] works in two passes over the inputs (sorted by path):
//!
//! 1. read every input once, in parallel, to learn its agency and year, so
//!    that an agency given twice for the same year is caught before anything
//!    is written;
//! 2. in parallel again, in chunks: read, check (and compare with last year's
//!    input when asked), render through [`crate::generate::render`] and write
//!    each file at once (atomically). Each chunk's results are then taken in
//!    input order: the agency's row goes to the summary, its findings to the
//!    check report.
//!
//! Only small things are kept per input (status, findings, the names and
//! hashes of its files), so memory stays flat however many agencies there
//! are. One bad input — unreadable, malformed, breaking a rule, duplicated,
//! even one that makes a writer panic — never stops the others and never
//! leaves a partial file: it is reported and skipped.
//!
//! Nothing depends on the clock or on thread timing: the same inputs give the
//! same bytes in every file, the manifest included.

pub mod check_report;
pub mod manifest;
pub mod names;
pub mod summary;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::check::{self, Finding, Severity};
use crate::generate::{self, GenerateError, Outputs};
use crate::model::{Active, ApplicantRow, Applications, DocumentCounts, Report, ReportInfo, Year};
use manifest::ManifestEntry;
use names::safe_file_name;
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
    /// Worker threads; `None` = one per core.
    pub jobs: Option<usize>,
    /// The region's name in the summary's file name; default: the common
    /// `region` of the inputs.
    pub name: Option<String>,
    /// Also write the check report as JSON.
    pub json_report: bool,
    /// Which files to render per agency.
    pub outputs: Outputs,
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
        }
    }
}

/// How one input fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The whole batch: every input in input order, and the batch-level files.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    /// One per input, sorted by input path.
    pub results: Vec<InputResult>,
    /// The summary workbook(s) and check report(s) written.
    pub reports: Vec<ManifestEntry>,
    /// Remarks about the batch itself (e.g. unreadable inputs of last year).
    pub notes: Vec<String>,
}

impl BatchOutcome {
    /// How many inputs ended with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }

    /// 2 when any input could not be read, 1 when any failed, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.count(Status::Unreadable) > 0 {
            2
        } else if self.count(Status::Failed) > 0 {
            1
        } else {
            0
        }
    }

    /// The closing line: how many succeeded, failed and were unreadable.
    pub fn counts_line(&self) -> String {
        format!(
            "共 {} 个输入：成功 {}，未通过 {}，无法读取 {}。",
            self.results.len(),
            self.count(Status::Ok),
            self.count(Status::Failed),
            self.count(Status::Unreadable)
        )
    }
}

/// Why a batch could not run at all (a bad input never causes one).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The output folder could not be created.
    #[error("{}: 无法创建输出目录：{source}", path.display())]
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

/// What the first pass learnt about an input.
enum Scan {
    /// Read: the agency, the year, and a key that two inputs writing the
    /// same files share.
    Read {
        agency: String,
        year: Year,
        file_key: String,
        /// Set when another input has the same agency and year.
        duplicate_of: Vec<String>,
    },
    /// Not readable, with the reason.
    Unreadable(String),
}

/// Last year's numbers that R5 and R6 need.
#[derive(Debug, Clone)]
struct PreviousData {
    file: String,
    year: Year,
    carry_forward: ApplicantRow,
    rules: DocumentCounts,
    normative_documents: DocumentCounts,
}

impl PreviousData {
    fn report(&self, agency: &str) -> Report {
        Report {
            report: ReportInfo {
                agency: agency.to_string(),
                year: self.year,
                ..ReportInfo::default()
            },
            active: Active {
                rules: self.rules,
                normative_documents: self.normative_documents,
                ..Active::default()
            },
            applications: Applications {
                carry_forward: self.carry_forward,
                ..Applications::default()
            },
            ..Report::default()
        }
    }
}

/// Whether `path` names an input file: .toml/.json/.xlsx, not hidden, not an
/// Office lock file.
fn is_input_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    !name.starts_with('.')
        && !name.starts_with("~$")
        && matches!(
            crate::load::extension(path).as_str(),
            "toml" | "json" | "xlsx"
        )
}

/// The input files: given files as they are, folders walked (recursively,
/// hidden entries and `skip` left out), sorted by path, each once. A folder
/// that cannot be listed is kept as an input, so that it is reported.
pub fn collect_inputs(inputs: &[PathBuf], skip: Option<&Path>) -> Vec<PathBuf> {
    fn walk(dir: &Path, skip: Option<&Path>, out: &mut Vec<PathBuf>) {
        if let (Some(skip), Ok(canon)) = (skip, dir.canonicalize())
            && canon == skip
        {
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(_) => {
                out.push(dir.to_path_buf());
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if path.is_dir() {
                if !hidden {
                    walk(&path, skip, out);
                }
            } else if is_input_file(&path) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            walk(input, skip, &mut out);
        } else {
            out.push(input.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The report's file stem made safe and case-folded: two inputs with the
/// same key would write the same files.
fn file_key(report: &Report) -> String {
    safe_file_name(&report.title()).0.to_lowercase()
}

/// Pass 1: reads every input, then marks the ones that share agency and
/// year (or file names) with another.
fn scan(inputs: &[PathBuf]) -> Vec<Scan> {
    let mut scans: Vec<Scan> = inputs
        .par_iter()
        .map(|path| match crate::load(path) {
            Ok(report) => Scan::Read {
                file_key: file_key(&report),
                agency: report.report.agency,
                year: report.report.year,
                duplicate_of: Vec::new(),
            },
            Err(e) => Scan::Unreadable(e.to_string()),
        })
        .collect();
    let mut groups: BTreeMap<(String, u16), Vec<usize>> = BTreeMap::new();
    let mut by_file: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in scans.iter().enumerate() {
        if let Scan::Read {
            agency,
            year,
            file_key,
            ..
        } = s
        {
            groups
                .entry((agency.trim().to_string(), year.0))
                .or_default()
                .push(i);
            by_file.entry(file_key.clone()).or_default().push(i);
        }
    }
    let mut clashes: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for members in groups.values().chain(by_file.values()) {
        if members.len() > 1 {
            for &i in members {
                clashes
                    .entry(i)
                    .or_default()
                    .extend(members.iter().filter(|&&j| j != i));
            }
        }
    }
    for (i, others) in clashes {
        if let Scan::Read { duplicate_of, .. } = &mut scans[i] {
            *duplicate_of = others
                .into_iter()
                .map(|j| inputs[j].display().to_string())
                .collect();
        }
    }
    scans
}

/// Reads last year's inputs: agency → its inputs, and remarks about the
/// ones that could not be read.
fn previous_index(
    dir: &Path,
    skip: Option<&Path>,
) -> (BTreeMap<String, Vec<PreviousData>>, Vec<String>) {
    let files = collect_inputs(&[dir.to_path_buf()], skip);
    let loaded: Vec<(PathBuf, Result<Report, String>)> = files
        .into_par_iter()
        .map(|path| {
            let r = crate::load(&path).map_err(|e| e.to_string());
            (path, r)
        })
        .collect();
    let mut index: BTreeMap<String, Vec<PreviousData>> = BTreeMap::new();
    let mut notes = Vec::new();
    for (path, r) in loaded {
        match r {
            Ok(report) => index
                .entry(report.report.agency.trim().to_string())
                .or_default()
                .push(PreviousData {
                    file: path.display().to_string(),
                    year: report.report.year,
                    carry_forward: report.applications.carry_forward,
                    rules: report.active.rules,
                    normative_documents: report.active.normative_documents,
                }),
            Err(e) => notes.push(format!("上年输入无法读取，未用于比对：{e}")),
        }
    }
    (index, notes)
}

/// What pass 2 needs besides the input.
struct Context<'a> {
    out_dir: &'a Path,
    outputs: Outputs,
    previous: Option<&'a BTreeMap<String, Vec<PreviousData>>>,
}

/// Pass 2 for one input: the check-report row, and the report when it was generated.
fn process(ctx: &Context, path: &Path, scan: &Scan) -> (InputResult, Option<Report>) {
    let source = path.display().to_string();
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
    match scan {
        Scan::Unreadable(e) => {
            result.message = e.clone();
            return (result, None);
        }
        Scan::Read {
            agency,
            year,
            duplicate_of,
            ..
        } if !duplicate_of.is_empty() => {
            result.agency = Some(agency.clone());
            result.year = Some(year.0);
            result.status = Status::Failed;
            result.message = format!(
                "同一机关同一年度（或同名输出文件）有多个输入，均未生成：{}",
                duplicate_of.join("，")
            );
            return (result, None);
        }
        Scan::Read { .. } => {}
    }
    let report = match crate::load(path) {
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
            .get(agency)
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
    let files = match generate::render(&report, &source, ctx.outputs) {
        Ok((files, _)) => files,
        Err(GenerateError::Rules(_)) => {
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
        if let Err(e) = crate::output::write_atomically(&target, &file.bytes) {
            // All or nothing: take back what this input already wrote.
            for written in &result.files {
                let _ = std::fs::remove_file(ctx.out_dir.join(&written.path));
            }
            result.files.clear();
            result.message = format!("写入 {name} 失败：{e}");
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
    result.message = if warnings > 0 {
        format!("已生成 {} 个文件；{warnings} 个警告", files.len())
    } else {
        format!("已生成 {} 个文件", files.len())
    };
    (result, Some(report))
}

/// [`process`], with a panic turned into a failed input.
fn process_isolated(ctx: &Context, path: &Path, scan: &Scan) -> (InputResult, Option<Report>) {
    std::panic::catch_unwind(AssertUnwindSafe(|| process(ctx, path, scan))).unwrap_or_else(
        |panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let result = InputResult {
                input: path.display().to_string(),
                agency: None,
                year: None,
                status: Status::Failed,
                message: format!("内部错误，未生成：{what}"),
                previous: PreviousCheck::NotRequested,
                findings: Vec::new(),
                files: Vec::new(),
            };
            (result, None)
        },
    )
}

/// Saves a batch-level file through `save(tmp)` and a rename, and returns its manifest entry.
fn save_atomically<E: std::fmt::Display>(
    out_dir: &Path,
    wanted: &str,
    agency: Option<String>,
    year: Option<u16>,
    save: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<ManifestEntry, BatchError> {
    let (name, changed) = safe_file_name(wanted);
    let path = out_dir.join(&name);
    let tmp = out_dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let fail = |message: String| BatchError::Write {
        path: path.clone(),
        message,
    };
    let result = save(&tmp)
        .map_err(|e| fail(e.to_string()))
        .and_then(|()| manifest::hash_file(&tmp).map_err(|e| fail(e.to_string())))
        .and_then(|hashed| {
            std::fs::rename(&tmp, &path)
                .map(|()| hashed)
                .map_err(|e| fail(e.to_string()))
        });
    match result {
        Ok((bytes, sha256)) => Ok(ManifestEntry {
            path: name,
            bytes,
            sha256,
            source: None,
            agency,
            year,
            unsafe_name: changed.then(|| wanted.to_string()),
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Runs the batch. `progress` is called once per input, in input order, as
/// results come in.
pub fn run(
    options: &Options,
    progress: &(dyn Fn(&InputResult, usize, usize) + Sync),
) -> Result<BatchOutcome, BatchError> {
    let out_dir = options.out_dir.as_path();
    std::fs::create_dir_all(out_dir).map_err(|source| BatchError::OutDir {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let skip = out_dir.canonicalize().ok();
    let inputs = collect_inputs(&options.inputs, skip.as_deref());
    if inputs.is_empty() {
        return Err(BatchError::NoInputs);
    }
    let jobs = options
        .jobs
        .filter(|&j| j > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| BatchError::Threads(e.to_string()))?;
    pool.install(|| run_in_pool(options, &inputs, skip.as_deref(), jobs, progress))
}

fn run_in_pool(
    options: &Options,
    inputs: &[PathBuf],
    skip: Option<&Path>,
    jobs: usize,
    progress: &(dyn Fn(&InputResult, usize, usize) + Sync),
) -> Result<BatchOutcome, BatchError> {
    let out_dir = options.out_dir.as_path();
    let mut notes = Vec::new();
    let previous = options.previous.as_deref().map(|dir| {
        let (index, mut problems) = previous_index(dir, skip);
        notes.append(&mut problems);
        index
    });
    let scans = scan(inputs);
    let ctx = Context {
        out_dir,
        outputs: options.outputs,
        previous: previous.as_ref(),
    };

    let mut summaries: BTreeMap<u16, SummaryWriter> = BTreeMap::new();
    let mut regions: BTreeSet<String> = BTreeSet::new();
    let mut results = Vec::with_capacity(inputs.len());
    let mut latest_year: Option<u16> = None;
    let chunk = jobs * 16;
    let indices: Vec<usize> = (0..inputs.len()).collect();
    for part in indices.chunks(chunk) {
        let done: Vec<(InputResult, Option<Report>)> = part
            .par_iter()
            .map(|&i| process_isolated(&ctx, &inputs[i], &scans[i]))
            .collect();
        for (result, report) in done {
            if let Some(year) = result.year {
                latest_year = latest_year.max(Some(year));
            }
            if let Some(report) = report {
                let year = report.report.year;
                let writer = match summaries.entry(year.0) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(SummaryWriter::new(year).map_err(|e| BatchError::Write {
                            path: out_dir.to_path_buf(),
                            message: e.to_string(),
                        })?)
                    }
                };
                writer
                    .add(&report, &result.input)
                    .map_err(|e| BatchError::Write {
                        path: out_dir.to_path_buf(),
                        message: e.to_string(),
                    })?;
                if regions.len() < 2 {
                    regions.insert(report.report.region.clone().unwrap_or_default());
                }
            }
            results.push(result);
            progress(
                results.last().expect("just pushed"),
                results.len(),
                inputs.len(),
            );
        }
    }

    let name = options
        .name
        .clone()
        .unwrap_or_else(|| match regions.first() {
            Some(region) if regions.len() == 1 && !region.trim().is_empty() => region.clone(),
            _ => "全部机关".to_string(),
        });
    let mut reports = Vec::new();
    for (year, writer) in summaries {
        reports.push(save_atomically(
            out_dir,
            &format!("汇总-{name}-{year}.xlsx"),
            Some(name.clone()),
            Some(year),
            |tmp| writer.finish(&name, tmp),
        )?);
    }
    let year = latest_year.unwrap_or(*crate::model::YEARS.start());
    reports.push(save_atomically(
        out_dir,
        check_report::XLSX_NAME,
        None,
        None,
        |tmp| check_report::write_xlsx(&results, year, tmp),
    )?);
    if options.json_report {
        reports.push(save_atomically(
            out_dir,
            check_report::JSON_NAME,
            None,
            None,
            |tmp| check_report::write_json(&results, tmp),
        )?);
    }
    let entries: Vec<ManifestEntry> = results
        .iter()
        .flat_map(|r| r.files.iter().cloned())
        .chain(reports.iter().cloned())
        .collect();
    manifest::write(out_dir, entries).map_err(|e| BatchError::Write {
        path: out_dir.join(manifest::MANIFEST),
        message: e.to_string(),
    })?;
    Ok(BatchOutcome {
        results,
        reports,
        notes,
    })
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
            crate::output::write_atomically(&path, text.as_bytes())?;
            Ok(path)
        })
        .collect()
}
