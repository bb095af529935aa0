//! `nianbao generate`: check, then write each report's DOCX and XLSX (and
//! its web version and PDF when asked).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use nianbao::model::Report;
use nianbao::{Error, OutputFile, Outputs, TextEngine};

use super::check::print_findings;
use super::{Fatal, Outcome, read_input, write_error};

/// Checks and renders every input into `out`. An input that cannot be read,
/// breaks a rule or whose files cannot be written is reported with its path
/// and the others go on. Two inputs for the same agency and year (or the same
/// output file) are both refused, as in a batch, instead of one silently
/// overwriting the other.
pub fn run(
    files: &[PathBuf],
    out: &Path,
    templates: Option<&Path>,
    outputs: Outputs,
    pdf: bool,
) -> Result<Outcome, Fatal> {
    let engine = templates.map(TextEngine::from_dir).transpose()?;
    let engine = engine.as_ref().unwrap_or_else(|| TextEngine::embedded());
    let mut outcome = Outcome::default();
    let mut reports = Vec::new();
    for file in files {
        match read_input(file) {
            Ok(report) => reports.push((file, report)),
            Err(e) => {
                eprintln!("{e}");
                outcome.failed_io = true;
            }
        }
    }
    let duplicates = duplicates(&reports);
    let mut rendered = Vec::new();
    for (i, (file, report)) in reports.iter().enumerate() {
        let source = file.display().to_string();
        if let Some(other) = duplicates.get(&i) {
            eprintln!(
                "{source}: 与 {} 是同一机关同一年度（或同名输出文件），均未生成",
                other.display()
            );
            outcome.failed_io = true;
            continue;
        }
        match nianbao::render_with(report, &source, outputs, engine) {
            Err(Error::Rules(findings)) => {
                outcome.findings = true;
                print_findings(file, &report.title(), &findings);
                eprintln!("{source}: 数据未通过校验，未生成文件。");
            }
            Err(e) => {
                // The input is wrong (a template, a text), or a writer failed:
                // either way this report gets no files and the others go on.
                outcome.failed_io = true;
                eprintln!("{source}: {e}");
            }
            Ok((written, findings)) => {
                for f in findings {
                    println!("{source}: {f}");
                }
                if pdf {
                    rendered.push((source, written));
                } else {
                    write_report(out, &source, &written, &mut outcome)?;
                }
            }
        }
    }
    if pdf && !rendered.is_empty() {
        add_pdfs(&mut rendered)?;
    }
    for (source, written) in rendered {
        write_report(out, &source, &written, &mut outcome)?;
    }
    Ok(outcome)
}

/// Writes the files of one report into `out`, all or none.
fn write_report(
    out: &Path,
    source: &str,
    written: &[OutputFile],
    outcome: &mut Outcome,
) -> Result<(), Fatal> {
    std::fs::create_dir_all(out).map_err(|e| Fatal(write_error(out, &e)))?;
    let mut paths = Vec::new();
    for f in written {
        // An agency name with `/`, `..` or control characters
        // must not write outside `out`.
        let (name, changed) = nianbao::safe_file_name(&f.name);
        if changed {
            eprintln!("{source}: 机关名称不宜作文件名，已改写为「{name}」");
        }
        paths.push(out.join(name));
    }
    let pairs: Vec<(&Path, &[u8])> = paths
        .iter()
        .zip(written)
        .map(|(p, f)| (p.as_path(), f.bytes.as_slice()))
        .collect();
    // The files of one report: all or none.
    match nianbao::write_all_or_none(&pairs) {
        Ok(()) => paths.iter().for_each(|p| println!("{}", p.display())),
        Err(e) => {
            // The error does not say which of the files failed:
            // name them all.
            outcome.failed_io = true;
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            eprintln!(
                "{}（均未写入）",
                write_error(Path::new(&names.join("、")), &e)
            );
        }
    }
    Ok(())
}

/// Adds each report's PDF, all converted in one LibreOffice run; the fonts
/// LibreOffice had to substitute are told once. Without LibreOffice, or when
/// the run fails, nothing is written.
fn add_pdfs(rendered: &mut [(String, Vec<OutputFile>)]) -> Result<(), Fatal> {
    let docx: Vec<OutputFile> = rendered
        .iter()
        .flat_map(|(_, files)| files.iter().filter(|f| f.name.ends_with(".docx")).cloned())
        .collect();
    // One LibreOffice run per core (a run converts on one), each with a few
    // documents at least: starting one costs as much as converting several.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runs = cores.min(docx.len().div_ceil(MIN_PER_RUN)).max(1);
    let mut offices = Vec::with_capacity(runs);
    for _ in 0..runs {
        offices.push(nianbao::Office::start(None).map_err(|e| Fatal(e.to_string()))?);
    }
    for (official, used) in offices[0].substitutions() {
        eprintln!("注意：本机未安装字体「{official}」，PDF 中以「{used}」代替");
    }
    let mut pdfs = nianbao::pdfs_side_by_side(&mut offices, &docx)
        .map_err(|e| Fatal(format!("{e}（均未写入）")))?
        .into_iter();
    for (_, files) in rendered.iter_mut() {
        if files.iter().any(|f| f.name.ends_with(".docx"))
            && let Some(pdf) = pdfs.next()
        {
            files.push(pdf);
        }
    }
    Ok(())
}

/// The fewest documents worth a LibreOffice run of their own.
const MIN_PER_RUN: usize = 8;

/// The inputs (by index) that share an agency and year, or an output file
/// name, with another input, each with that other input's path.
fn duplicates<'a>(reports: &[(&'a PathBuf, Report)]) -> HashMap<usize, &'a PathBuf> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = HashMap::new();
    for (i, (file, report)) in reports.iter().enumerate() {
        let keys = [
            format!(
                "{}\u{0}{}",
                nianbao::agency_key(&report.report.agency),
                report.report.year
            ),
            nianbao::safe_file_name(&report.title()).0.to_lowercase(),
        ];
        for key in keys {
            if let Some(&first) = seen.get(&key) {
                out.insert(i, reports[first].0);
                out.entry(first).or_insert(*file);
            } else {
                seen.insert(key, i);
            }
        }
    }
    out
}
