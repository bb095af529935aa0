//! Finding the inputs, the first pass over them (duplicates), and last
//! year's inputs for the cross-year rules.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::model::{Active, ApplicantRow, Applications, DocumentCounts, Report, ReportInfo, Year};
use crate::render::names::{agency_key, safe_file_name};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use unicode_normalization::UnicodeNormalization;

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

/// Something found among the inputs that cannot be read as one: a dangling
/// or looping symbolic link, a folder that cannot be listed. Reported as an
/// unreadable input, never skipped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The link or folder.
    pub path: PathBuf,
    /// What is wrong with it, in Chinese.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// The inputs found by [`collect`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    /// The input files, sorted by path, each once.
    pub files: Vec<PathBuf>,
    /// Links and folders that could not be followed or listed, sorted by path.
    pub problems: Vec<Problem>,
}

/// Why the system refused, in Chinese.
fn io_reason(e: &std::io::Error) -> String {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return "符号链接成环（链接经过若干步又指向自己），未处理".to_string();
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => "不存在".to_string(),
        std::io::ErrorKind::PermissionDenied => "没有读取权限".to_string(),
        _ => crate::read::io_reason(e, crate::read::IoAction::Read),
    }
}

/// What is wrong with the link `path`, whose target could not be read.
fn link_problem(path: &Path, e: &std::io::Error) -> Problem {
    let message = match (e.kind(), std::fs::read_link(path)) {
        (std::io::ErrorKind::NotFound, Ok(target)) => format!(
            "符号链接指向的文件不存在（悬空链接，指向 {}），未处理",
            target.display()
        ),
        _ => format!("符号链接无法跟随：{}", io_reason(e)),
    };
    Problem {
        path: path.to_path_buf(),
        message,
    }
}

/// The input files: given files as they are, folders walked with `walkdir`
/// (recursively, in path order; hidden entries and the folder `skip` left
/// out; linked folders not followed, linked files read), sorted by path, each
/// once. Dangling or looping links with an input's name and folders that
/// cannot be listed are [`Collected::problems`].
pub fn collect(inputs: &[PathBuf], skip: Option<&Path>) -> Collected {
    collect_with(inputs, skip, is_input_file)
}

/// Whether `path` names last year's input: an input file, or a published
/// report that `import` reads (.txt, .docx, .html, .pdf).
pub fn is_previous_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    is_input_file(path)
        || (!name.starts_with('.')
            && !name.starts_with("~$")
            && crate::import::ImportKind::from_path(path).is_some())
}

/// [`collect`] with `accept` saying which files are inputs.
fn collect_with(inputs: &[PathBuf], skip: Option<&Path>, accept: fn(&Path) -> bool) -> Collected {
    let is_skipped =
        |dir: &Path| matches!((skip, dir.canonicalize()), (Some(skip), Ok(canon)) if canon == skip);
    let mut found = Collected::default();
    for input in inputs {
        if !input.is_dir() {
            found.files.push(input.clone());
            continue;
        }
        // A root that is a link to a folder is followed (walkdir's default);
        // below it, links are not.
        let walker = walkdir::WalkDir::new(input)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let hidden = e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
                !(e.file_type().is_dir() && (hidden || is_skipped(e.path())))
            });
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let path = e.path().unwrap_or(input).to_path_buf();
                    // Without an I/O error, walkdir's error is a loop.
                    let reason = e.io_error().map_or_else(
                        || "符号链接成环（链接指回上级文件夹），未处理".to_string(),
                        io_reason,
                    );
                    found.problems.push(Problem {
                        path,
                        message: format!("无法列出文件夹：{reason}"),
                    });
                    continue;
                }
            };
            let kind = entry.file_type();
            if kind.is_dir() || !accept(entry.path()) {
                continue;
            }
            if kind.is_file() {
                found.files.push(entry.into_path());
            } else if kind.is_symlink() {
                match std::fs::metadata(entry.path()) {
                    Ok(target) if target.is_file() => found.files.push(entry.into_path()),
                    // A linked folder (or device, socket…) is not an input.
                    Ok(_) => {}
                    Err(e) => found.problems.push(link_problem(entry.path(), &e)),
                }
            }
        }
    }
    let out = &mut found.files;
    out.sort();
    out.dedup();
    if inputs.len() > 1 {
        // The same file reached twice (`in/a.toml` and `./in/a.toml`) is one input.
        let mut seen = BTreeSet::new();
        out.retain(|p| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
    }
    found.problems.sort_by(|a, b| a.path.cmp(&b.path));
    found.problems.dedup();
    found
}

/// The input files of [`collect`], without the problems.
pub fn collect_inputs(inputs: &[PathBuf], skip: Option<&Path>) -> Vec<PathBuf> {
    collect(inputs, skip).files
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
    /// Not read: the batch was cancelled first.
    NotRead,
}

/// The message of a caught panic.
pub fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn hash_of(value: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// Reads an input into a report.
pub type Loader<'a> = dyn Fn(&Path) -> Result<Report, crate::read::LoadError> + Sync + 'a;

/// The duplicate keys of one input (hashes), or why it could not be read.
type Keys = Result<(u64, u64), Box<str>>;

/// The duplicate keys of one input: agency (trimmed, NFC) and year, and the
/// name of its files (NFC, case aside). A panic while reading is caught and
/// reported for this input alone.
fn keys_of(path: &Path, load: &Loader<'_>) -> Keys {
    let keys = std::panic::catch_unwind(AssertUnwindSafe(|| {
        load(path).map(|report| key_hashes(&report.report.agency, report.report.year))
    }));
    match keys {
        Ok(Ok(keys)) => Ok(keys),
        Ok(Err(e)) => Err(e.to_string().into_boxed_str()),
        Err(panic) => Err(format!(
            "{}: 读取时程序内部出错，未处理（请报告此问题）：{}",
            path.display(),
            panic_text(panic.as_ref())
        )
        .into_boxed_str()),
    }
}

/// The hashes of the duplicate keys of an agency and year.
fn key_hashes(agency: &str, year: Year) -> (u64, u64) {
    let title = crate::spec::outline::title(agency, year);
    let files: String = safe_file_name(&title).0.nfc().collect();
    (
        hash_of((agency_key(agency), year.0)),
        hash_of(files.to_lowercase()),
    )
}

/// The keys of a TOML input from its `[report]` agency and year alone,
/// without reading the rest of the report (about half the cost of a full
/// read, which the second pass does anyway). `None` wherever that does not
/// simply work: then the full read decides.
fn quick_keys(path: &Path) -> Option<(u64, u64)> {
    #[derive(serde::Deserialize)]
    struct Head {
        report: HeadReport,
    }
    #[derive(serde::Deserialize)]
    struct HeadReport {
        agency: String,
        year: Year,
    }
    if crate::read::InputKind::from_path(path)? != crate::read::InputKind::Toml {
        return None;
    }
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > crate::read::InputKind::Toml.max_bytes() {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let head: Head = toml::from_str(report_section(&text)?).ok()?;
    Some(key_hashes(&head.report.agency, head.report.year))
}

/// The `[report]` table of a TOML text, from its header to the next line
/// that starts with `[`, when it is the first thing in the text (comments
/// and blank lines aside); `None` otherwise.
///
/// The toml parser reads a whole document before it deserializes any of
/// it: this keeps the quick read quick. The cut cannot change agency or
/// year: a value cannot go on across a line that starts with `[` except in
/// a multi-line string or array, and a cut one does not parse (then the
/// full read decides, as for every `None`).
fn report_section(text: &str) -> Option<&str> {
    const HEADER: &str = "[report]";
    let mut start = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        match start {
            None => {
                let t = line.trim();
                let header = t.strip_prefix(HEADER).is_some_and(|rest| {
                    rest.trim_start().is_empty() || rest.trim_start().starts_with('#')
                });
                if header {
                    start = Some(offset);
                } else if !(t.is_empty() || t.starts_with('#')) {
                    return None;
                }
            }
            Some(s) if line.trim_start().starts_with('[') => return text.get(s..offset),
            Some(_) => {}
        }
        offset += line.len();
    }
    start.and_then(|s| text.get(s..))
}

/// Pass 1: reads every input (in parallel) and marks the ones that share
/// agency and year — or, case aside, the names of their files — with
/// another. Only hashes are kept per input, so this costs little memory.
/// Agency names are compared trimmed and in Unicode normal form C, so that
/// the same name typed with composed or decomposed characters, or with
/// spaces around it, is the same agency.
pub fn precheck(inputs: &[PathBuf]) -> Vec<Precheck> {
    precheck_with(inputs, &|path: &Path| crate::read::load(path), None)
}

/// [`precheck`] with another reader; once `cancel` is set, the inputs not
/// yet read are [`Precheck::NotRead`].
pub fn precheck_with(
    inputs: &[PathBuf],
    load: &Loader<'_>,
    cancel: Option<&AtomicBool>,
) -> Vec<Precheck> {
    // A TOML input's keys come from its agency and year alone; where that
    // does not work, and for every input that then looks like a duplicate,
    // the full read decides (an unreadable input is nobody's duplicate).
    let mut quick = vec![false; inputs.len()];
    let mut keys: Vec<Option<Keys>> = inputs
        .par_iter()
        .zip(quick.par_iter_mut())
        .map(|(path, quick)| {
            let cancelled = cancel.is_some_and(|c| c.load(Ordering::Relaxed));
            (!cancelled).then(|| match quick_keys(path) {
                Some(keys) => {
                    *quick = true;
                    Ok(keys)
                }
                None => keys_of(path, load),
            })
        })
        .collect();
    let mut clashes = clashes_of(&keys);
    let unsure: Vec<usize> = clashes.keys().copied().filter(|&i| quick[i]).collect();
    if !unsure.is_empty() {
        for i in unsure {
            keys[i] = Some(keys_of(&inputs[i], load));
        }
        clashes = clashes_of(&keys);
    }
    keys.into_iter()
        .enumerate()
        .map(|(i, k)| match (k, clashes.get(&i)) {
            (None, _) => Precheck::NotRead,
            (Some(Err(e)), _) => Precheck::Unreadable(e),
            (Some(Ok(_)), None) => Precheck::Fresh,
            (Some(Ok(_)), Some(others)) => Precheck::Duplicate(
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

/// Which inputs share a key with which others.
fn clashes_of(keys: &[Option<Keys>]) -> BTreeMap<usize, BTreeSet<usize>> {
    let mut groups: BTreeMap<(u8, u64), Vec<usize>> = BTreeMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(Ok((agency_year, files))) = k {
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
    clashes
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

/// Last year's inputs by agency name ([`agency_key`]: trimmed, NFC).
pub type PreviousIndex = BTreeMap<String, Vec<PreviousData>>;

/// Reads last year's inputs under `dir`: the index by agency, and remarks
/// about the ones that could not be read.
pub fn previous_index(dir: &Path, skip: Option<&Path>) -> (PreviousIndex, Vec<String>) {
    let Collected { files, problems } = collect_with(&[dir.to_path_buf()], skip, is_previous_file);
    let loaded: Vec<(PathBuf, Result<Report, String>)> = files
        .into_par_iter()
        .map(|path| {
            // A published report (last year's, as printed) is imported on the fly.
            let load = |path: &Path| -> Result<Report, String> {
                if crate::read::InputKind::from_path(path).is_none()
                    && crate::import::ImportKind::from_path(path).is_some()
                {
                    return crate::import::import_path(path)
                        .map(|i| i.report)
                        .map_err(|e| e.to_string());
                }
                crate::read::load(path).map_err(|e| e.to_string())
            };
            let r = std::panic::catch_unwind(AssertUnwindSafe(|| load(&path)))
                .map_err(|panic| {
                    format!(
                        "{}: 读取时程序内部出错（请报告此问题）：{}",
                        path.display(),
                        panic_text(panic.as_ref())
                    )
                })
                .and_then(|r| r);
            (path, r)
        })
        .collect();
    let mut index = PreviousIndex::new();
    let mut notes: Vec<String> = problems
        .iter()
        .map(|p| format!("上年输入无法读取，未用于比对：{p}"))
        .collect();
    for (path, r) in loaded {
        match r {
            Ok(report) => index
                .entry(agency_key(&report.report.agency))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick keys, where there are any, are the keys of the full read:
    /// on the three inputs, synthetic reports, and texts made to mislead a
    /// cut (a `[report]` inside a string, a line starting with `[` inside
    /// the table, the table not first).
    #[test]
    fn quick_keys_are_the_full_keys_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
        let mut texts: Vec<String> = [
            "butaji-2024.toml",
            "moushi-zhengfuban-2024.toml",
            "mouxian-ziranziyuan-2024.toml",
        ]
        .iter()
        .map(|n| std::fs::read_to_string(root.join(n)).unwrap())
        .collect();
        texts.extend((0..5).map(|i| toml::to_string(&crate::synthetic::report(i)).unwrap()));
        let base = texts[0].clone();
        let agency_line = base
            .lines()
            .find(|l| l.starts_with("agency"))
            .unwrap()
            .to_string();
        texts.push(format!("# 注释\n\n{base}"));
        texts.push(base.replacen(
            &agency_line,
            &format!("{agency_line}\nnote = \"\"\"\n[report]\nagency = \"假\"\n\"\"\""),
            1,
        ));
        texts.push(base.replacen(&agency_line, &format!("{agency_line}\nlist = [\n[1]]"), 1));
        texts.push(format!(
            "[text]\noverview = \"\"\"\n[report]\nagency = \"假\"\nyear = 2024\n\"\"\"\n{base}"
        ));
        texts.push(base.replacen("[report]", "[report] # 基本信息", 1));
        let mut quick = 0;
        for (i, text) in texts.iter().enumerate() {
            let path = dir.path().join(format!("r{i}.toml"));
            std::fs::write(&path, text).unwrap();
            let full = keys_of(&path, &|p: &Path| crate::read::load(p));
            if let Some(keys) = quick_keys(&path) {
                quick += 1;
                assert_eq!(Ok(keys), full.map_err(|e| e.to_string()), "input {i}");
            }
        }
        // The plain inputs and the commented ones take the quick way.
        assert!(quick >= 9, "{quick} quick reads");
    }

    /// Linked files are read, linked folders are not followed, dangling and
    /// looping links with an input's name are problems, others are ignored.
    #[cfg(unix)]
    #[test]
    fn links_are_read_skipped_or_reported() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("in");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("far.toml"), "").unwrap();
        std::fs::write(root.join("sub/a.toml"), "").unwrap();
        symlink(elsewhere.join("far.toml"), root.join("linked.toml")).unwrap();
        symlink(&elsewhere, root.join("linked-folder")).unwrap();
        symlink(root.join("nowhere.toml"), root.join("dangling.toml")).unwrap();
        symlink(root.join("loop-b.json"), root.join("loop-a.json")).unwrap();
        symlink(root.join("loop-a.json"), root.join("loop-b.json")).unwrap();
        symlink(root.join("self.xlsx"), root.join("self.xlsx")).unwrap();
        symlink(root.join("nowhere"), root.join("dangling-notes.txt")).unwrap();

        let found = collect(std::slice::from_ref(&root), None);
        let rel = |p: &Path| p.strip_prefix(&root).unwrap().display().to_string();
        let files: Vec<String> = found.files.iter().map(|p| rel(p)).collect();
        assert_eq!(files, ["linked.toml", "sub/a.toml"]);
        let problems: Vec<(String, &str)> = found
            .problems
            .iter()
            .map(|p| (rel(&p.path), p.message.as_str()))
            .collect();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert_eq!(problems[0].0, "dangling.toml");
        assert!(problems[0].1.contains("悬空链接"), "{problems:?}");
        assert!(problems[0].1.contains("nowhere.toml"), "{problems:?}");
        for (name, message) in &problems[1..] {
            assert!(
                ["loop-a.json", "loop-b.json", "self.xlsx"].contains(&name.as_str()),
                "{problems:?}"
            );
            assert!(message.contains("符号链接成环"), "{message}");
        }
        assert!(
            found.problems[0]
                .to_string()
                .starts_with(&root.display().to_string())
        );
    }

    /// A reader that panics on one input fails that input alone in pass 1;
    /// names equal up to NFC/NFD or surrounding spaces are duplicates.
    #[test]
    fn pass_one_isolates_panics_and_normalizes_names() {
        let agency = |stem: &str| match stem {
            "nfc" => Some("Caf\u{e9}县人民政府"),
            "nfd" => Some("Cafe\u{301}县人民政府"),
            "spaced" => Some("\u{3000}某局 "),
            "plain" => Some("某局"),
            _ => None,
        };
        let load = |path: &Path| -> Result<Report, crate::read::LoadError> {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if stem == "panic" {
                panic!("reader bug");
            }
            let seed = stem.len() as u64;
            let mut report = crate::synthetic::report(seed);
            if let Some(name) = agency(&stem) {
                report.report.agency = name.to_string();
            }
            Ok(report)
        };
        let inputs: Vec<PathBuf> = ["a", "panic", "nfc", "nfd", "spaced", "plain", "bbbbbbb"]
            .iter()
            .map(|s| PathBuf::from(format!("{s}.toml")))
            .collect();
        let pre = precheck_with(&inputs, &load, None);
        assert_eq!(pre[0], Precheck::Fresh);
        match &pre[1] {
            Precheck::Unreadable(m) => {
                assert!(m.starts_with("panic.toml: 读取时程序内部出错"), "{m}");
                assert!(m.contains("reader bug"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(pre[2], Precheck::Duplicate("nfd.toml".into()));
        assert_eq!(pre[3], Precheck::Duplicate("nfc.toml".into()));
        assert_eq!(pre[4], Precheck::Duplicate("plain.toml".into()));
        assert_eq!(pre[5], Precheck::Duplicate("spaced.toml".into()));
        assert_eq!(pre[6], Precheck::Fresh);
        let cancelled = AtomicBool::new(true);
        let pre = precheck_with(&inputs, &load, Some(&cancelled));
        assert!(pre.iter().all(|p| *p == Precheck::NotRead), "{pre:?}");
    }
}
