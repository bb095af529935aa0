//! `nianbao import`: published reports (.txt, .docx, .html, .pdf) into
//! input TOML files, one per report, with a summary of what was read. Rule
//! findings never stop it (a published report may break the rules: the
//! findings are the point); a file that is not a readable report is named
//! with what is missing, nothing is written for it, and the exit code is 2.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use nianbao::import::{self, ImportKind};

use super::{Fatal, Format, Outcome, write_error};

/// Imports every file into `out`.
pub fn run(files: &[PathBuf], out: &Path, format: Format) -> Result<Outcome, Fatal> {
    let mut outcome = Outcome::default();
    let mut json = Vec::new();
    let mut names = BTreeSet::new();
    let mut made_dir = false;
    for file in files {
        let imported = match import::import_path(file) {
            Ok(i) => i,
            Err(e) => {
                outcome.failed_io = true;
                eprintln!("{e}");
                if let Format::Json = format {
                    json.push(serde_json::json!({
                        "file": file.display().to_string(),
                        "status": "unreadable",
                        "error": e.to_string(),
                    }));
                }
                continue;
            }
        };
        if !made_dir {
            std::fs::create_dir_all(out).map_err(|e| Fatal(write_error(out, &e)))?;
            made_dir = true;
        }
        let target = out.join(toml_name(file, &mut names));
        if let Err(e) = nianbao::write_atomically(&target, imported.toml.as_bytes()) {
            outcome.failed_io = true;
            eprintln!("{}", write_error(&target, &e));
            continue;
        }
        match format {
            Format::Text => {
                print!("{}", imported.summary);
                println!("  写入：{}", target.display());
            }
            Format::Json => {
                let mut value = serde_json::to_value(&imported.summary).unwrap_or_default();
                if let Some(map) = value.as_object_mut() {
                    map.insert("status".into(), "imported".into());
                    map.insert("written".into(), target.display().to_string().into());
                }
                json.push(value);
            }
        }
    }
    if let Format::Json = format {
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    }
    Ok(outcome)
}

/// `<stem>.toml`, or `<stem>-<ext>.toml` when two inputs share a stem.
fn toml_name(file: &Path, taken: &mut BTreeSet<String>) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let mut name = format!("{stem}.toml");
    if !taken.insert(name.clone()) {
        let ext = ImportKind::from_path(file)
            .map(|k| format!("{k:?}").to_lowercase())
            .unwrap_or_default();
        name = format!("{stem}-{ext}.toml");
        let mut n = 2;
        while !taken.insert(name.clone()) {
            name = format!("{stem}-{ext}-{n}.toml");
            n += 1;
        }
    }
    name
}
