//! `nianbao form`: the fill-in Excel form, empty or pre-filled.

use std::path::{Path, PathBuf};

use super::{Fatal, Outcome, read_input, write_error};

/// `--from`: an input file, or a published report imported on the fly
/// (its summary goes to standard error).
fn read_or_import(path: &Path) -> Result<nianbao::model::Report, Fatal> {
    if nianbao::InputKind::from_path(path).is_none()
        && nianbao::import::ImportKind::from_path(path).is_some()
    {
        let imported = nianbao::import::import_path(path).map_err(|e| Fatal(e.to_string()))?;
        eprint!("{}", imported.summary);
        return Ok(imported.report);
    }
    Ok(read_input(path)?)
}

/// Writes the fill-in form. Its default name is made safe like every file
/// name (an agency named `../../x` writes in the current folder); a file
/// that exists is never overwritten. `--from` a report of another year than
/// this one or the last says what it does with it.
pub fn run(
    agency: Option<&str>,
    year: Option<u16>,
    from: Option<&Path>,
    output: Option<&Path>,
) -> Result<Outcome, Fatal> {
    let previous = from.map(read_or_import).transpose()?;
    let agency = agency
        .map(str::to_string)
        .or_else(|| previous.as_ref().map(|r| r.report.agency.clone()))
        .unwrap_or_default();
    let Some(year) = year.or_else(|| previous.as_ref().map(|r| r.report.year.0)) else {
        return Err(Fatal("缺少 --year".into()));
    };
    if agency.trim().is_empty() {
        return Err(Fatal("机关全称不能为空（--agency）".into()));
    }
    if let (Some(from), Some(last)) = (from, &previous) {
        let from_year = last.report.year.0;
        if from_year.checked_add(1) != Some(year) && from_year != year {
            eprintln!(
                "{}: 是 {from_year} 年度的报告，既不是 {year} 年度也不是上一年度：其数字按原样带入，请逐项核对",
                from.display()
            );
        }
    }
    let report = nianbao::new_report(&agency, year, previous);
    // The agency must be one the form can be read back with (no control
    // characters, not too long), as every other text already is.
    super::check_agency(&report)?;
    let path = match output {
        Some(path) => path.to_path_buf(),
        None => {
            let (name, changed) =
                nianbao::safe_file_name(&format!("{}填报表.xlsx", report.title()));
            if changed {
                eprintln!("机关名称不宜作文件名，已改写为「{name}」");
            }
            PathBuf::from(name)
        }
    };
    if path.exists() {
        return Err(Fatal(format!("{}: 文件已存在，未覆盖", path.display())));
    }
    let source = from.map(|f| {
        f.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let bytes = nianbao::form_bytes(&report, source.as_deref())
        .map_err(|e| Fatal(format!("{}: {e}", path.display())))?;
    nianbao::write_atomically(&path, &bytes).map_err(|e| Fatal(write_error(&path, &e)))?;
    println!("{}", path.display());
    Ok(Outcome::default())
}
