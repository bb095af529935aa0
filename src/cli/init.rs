//! `nianbao init`: the commented starter TOML.

use std::path::Path;

use super::{Fatal, Outcome, write_error};

/// Writes the starter TOML; never overwrites a file.
pub fn run(file: &Path, agency: &str, year: u16) -> Result<Outcome, Fatal> {
    if file.exists() {
        return Err(Fatal(format!("{}: 文件已存在，未覆盖", file.display())));
    }
    if agency.trim().is_empty() {
        return Err(Fatal("机关全称不能为空（--agency）".into()));
    }
    // The starter file must load: the agency passes the text guard first.
    super::check_agency(&nianbao::new_report(agency, year, None))?;
    let text = nianbao::starter_toml(agency, year);
    nianbao::write_atomically(file, text.as_bytes()).map_err(|e| Fatal(write_error(file, &e)))?;
    println!("{}", file.display());
    Ok(Outcome::default())
}
