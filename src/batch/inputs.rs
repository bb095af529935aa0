//! Finding the inputs, the first pass over them (duplicates), and last
//! year's inputs for the cross-year rules.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::model::{Active, ApplicantRow, Applications, DocumentCounts, Report, ReportInfo, Year};
use crate::render::names::safe_file_name;

/// Whether `path` names an input file: .toml/.json/.xlsx, not hidden, not an
/// Office lock file (`~$…`).
pub fn is_input_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    !name.starts_with('.')
        && !name.starts_with("~$")
        && crate::read::InputKind::from_path(path).is_some()
}

/// The input files: given files as they are, folders walked (recursively,
/// hidden entries and the folder `skip` left out), sorted by path, each once.
/// A folder that cannot be listed is kept as an input, so that it is reported.
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
            // Linked folders are not followed (no loops); linked files are read.
            let Ok(kind) = std::fs::symlink_metadata(&path).map(|m| m.file_type()) else {
                continue;
            };
            if kind.is_dir() {
                if !hidden {
                    walk(&path, skip, out);
                }
            } else if (kind.is_file() || (kind.is_symlink() && path.is_file()))
                && is_input_file(&path)
            {
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
    if inputs.len() > 1 {
        // The same file reached twice (`in/a.toml` and `./in/a.toml`) is one input.
        let mut seen = BTreeSet::new();
        out.retain(|p| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
    }
    out
}

/// What the first pass found out about an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precheck {
    /// Readable, and the only input of its agency and year.
    Fresh,
    /// Another input has the same agency and year (or would write the same
    /// files); the other inputs are named.
    Duplicate(Box<str>),
    /// Could not be read; the reason.
    Unreadable(Box<str>),
}

fn hash_of(value: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// Pass 1: reads every input (in parallel) and marks the ones that share
/// agency and year — or, case aside, the names of their files — with
/// another. Only hashes are kept per input, so this costs little memory.
pub fn precheck(inputs: &[PathBuf]) -> Vec<Precheck> {
    let keys: Vec<Result<(u64, u64), Box<str>>> = inputs
        .par_iter()
        .map(|path| match crate::read::load(path) {
            Ok(report) => Ok((
                hash_of((report.report.agency.trim(), report.report.year.0)),
                hash_of(safe_file_name(&report.title()).0.to_lowercase()),
            )),
            Err(e) => Err(e.to_string().into_boxed_str()),
        })
        .collect();
    let mut groups: BTreeMap<(u8, u64), Vec<usize>> = BTreeMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Ok((agency_year, files)) = k {
            groups.entry((0, *agency_year)).or_default().push(i);
            groups.entry((1, *files)).or_default().push(i);
        }
    }
    let mut clashes: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for members in groups.values().filter(|m| m.len() > 1) {
        for &i in members {
            clashes
                .entry(i)
                .or_default()
                .extend(members.iter().filter(|&&j| j != i));
        }
    }
    keys.into_iter()
        .enumerate()
        .map(|(i, k)| match (k, clashes.get(&i)) {
            (Err(e), _) => Precheck::Unreadable(e),
            (Ok(_), None) => Precheck::Fresh,
            (Ok(_), Some(others)) => Precheck::Duplicate(
                others
                    .iter()
                    .map(|&j| inputs[j].display().to_string())
                    .collect::<Vec<_>>()
                    .join("，")
                    .into_boxed_str(),
            ),
        })
        .collect()
}

/// Last year's numbers that R5 and R6 need, and where they come from.
#[derive(Debug, Clone)]
pub struct PreviousData {
    /// Last year's input file.
    pub file: String,
    /// Its year.
    pub year: Year,
    carry_forward: ApplicantRow,
    rules: DocumentCounts,
    normative_documents: DocumentCounts,
}

impl PreviousData {
    /// A report holding just what R5 and R6 compare with.
    pub fn report(&self, agency: &str) -> Report {
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

/// Last year's inputs by agency name (trimmed).
pub type PreviousIndex = BTreeMap<String, Vec<PreviousData>>;

/// Reads last year's inputs under `dir`: the index by agency, and remarks
/// about the ones that could not be read.
pub fn previous_index(dir: &Path, skip: Option<&Path>) -> (PreviousIndex, Vec<String>) {
    let files = collect_inputs(&[dir.to_path_buf()], skip);
    let loaded: Vec<(PathBuf, Result<Report, String>)> = files
        .into_par_iter()
        .map(|path| {
            let r = crate::read::load(&path).map_err(|e| e.to_string());
            (path, r)
        })
        .collect();
    let mut index = PreviousIndex::new();
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
