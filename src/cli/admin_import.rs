//! `nianbao admin import-agencies`: agencies from a CSV list, or agencies
//! and their reports from last year's batch folder.

use std::path::Path;

use super::{Fatal, Outcome};

/// Imports `source`: a folder is last year's batch inputs, a file is CSV.
/// Prints what was created, with the one-time passwords of new clerks.
/// Any bad line or file: every problem printed, nothing imported, exit 2.
pub fn run(data: &Path, source: &Path) -> Result<Outcome, Fatal> {
    let store = nianbao::store::Store::open(data)?;
    let admin = store.console_admin()?;
    let summary = if source.is_dir() {
        store.import_previous(&admin, source)?
    } else {
        let bytes = std::fs::read(source).map_err(|e| {
            Fatal(format!(
                "{}: {}",
                source.display(),
                nianbao::io_reason(&e, nianbao::IoAction::Read)
            ))
        })?;
        store.import_agencies_csv(&admin, &bytes)?
    };
    println!(
        "新建机关 {} 个，已有 {} 个。",
        summary.created.len(),
        summary.existing.len()
    );
    for agency in &summary.created {
        println!("  新建：{}", agency.name);
    }
    if !summary.reports.is_empty() || summary.unchanged_reports > 0 {
        println!(
            "导入报告 {} 份（已提交），已有且未变 {} 份。",
            summary.reports.len(),
            summary.unchanged_reports
        );
        for r in &summary.reports {
            println!("  {} {} 年度", r.agency.name, r.year);
        }
    }
    if !summary.clerks.is_empty() {
        println!(
            "新建填报人账号 {} 个（一次性密码只显示这一次）：",
            summary.clerks.len()
        );
        for clerk in &summary.clerks {
            println!(
                "  {}\t{}\t{}",
                clerk.account.agency_name.as_deref().unwrap_or(""),
                clerk.account.login,
                clerk.password.expose()
            );
        }
    }
    Ok(Outcome::default())
}
