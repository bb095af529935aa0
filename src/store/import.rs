//! Importing agencies: from a CSV list, and from last year's batch folder
//! (agencies and their reports). All or nothing: one bad line or file and
//! nothing is imported; every problem is reported.

use std::path::Path;

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::agencies::{self, Agency, NewAgency};
use super::auth::{self, NewAccount, Principal, Secret};
use super::error::{ImportProblem, Result, StoreError};
use super::reports::{self, Imported};
use super::status::Role;
use super::time::Timestamp;
use crate::model::Report;
use crate::read::{InputKind, load};

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    /// Agencies created, in the order of the file.
    pub created: Vec<Agency>,
    /// Agencies that were already there (left as they were).
    pub existing: Vec<Agency>,
    /// Clerk accounts created (CSV column 账号), with their one-time passwords.
    pub clerks: Vec<NewAccount>,
    /// Reports stored as submitted (batch folder).
    pub reports: Vec<ImportedReport>,
    /// Reports of the folder that were already stored, unchanged.
    pub unchanged_reports: usize,
}

/// A report imported from last year's batch folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedReport {
    /// The agency.
    pub agency: Agency,
    /// The report's year.
    pub year: u16,
}

/// Imports agencies from CSV: see [`crate::store::Store::import_agencies_csv`].
pub(crate) fn csv(
    db: &super::db::Db,
    principal: &Principal,
    bytes: &[u8],
    now: Timestamp,
) -> Result<ImportSummary> {
    principal.require_admin()?;
    let lines = agencies::parse_csv(bytes).map_err(StoreError::Import)?;
    // Hash the one-time passwords before taking the writer: argon2 takes a while.
    let mut passwords: Vec<Option<(Secret, String)>> = Vec::with_capacity(lines.len());
    for line in &lines {
        passwords.push(match line.login {
            Some(_) => {
                let secret = auth::one_time_password()?;
                let hash = auth::hash_password(secret.expose())?;
                Some((secret, hash))
            }
            None => None,
        });
    }
    db.write(|tx| {
        let mut summary = ImportSummary::default();
        let mut problems = Vec::new();
        for (line, password) in lines.iter().zip(passwords) {
            let agency = match agencies::agency_by_key(tx, &line.agency.key)? {
                Some(a) => {
                    summary.existing.push(a.clone());
                    a
                }
                None => {
                    let a = agencies::insert(tx, &line.agency, now)?;
                    summary.created.push(a.clone());
                    a
                }
            };
            let (Some((login, key)), Some((secret, hash))) = (&line.login, password) else {
                continue;
            };
            let holder: Option<(Option<i64>, String)> = tx
                .query_row(
                    "SELECT agency_id, role FROM accounts WHERE login_key = ?1",
                    [key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match holder {
                None => {
                    let id =
                        auth::insert_account(tx, login, Role::Clerk, Some(agency.id), &hash, now)?;
                    summary.clerks.push(NewAccount {
                        account: auth::account(tx, id)?,
                        password: secret,
                    });
                }
                Some((Some(id), role)) if id == agency.id && role == "clerk" => {}
                Some(_) => problems.push(ImportProblem {
                    place: format!("第 {} 行", line.line),
                    message: format!("账号「{login}」已被其他机关或管理员使用"),
                }),
            }
        }
        if problems.is_empty() {
            Ok(summary)
        } else {
            Err(StoreError::Import(problems))
        }
    })
}

/// Whether `path` names an input of a batch: .toml/.json/.xlsx, not hidden,
/// not an Office lock file (`~$…`).
fn is_input_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    !name.starts_with('.') && !name.starts_with("~$") && InputKind::from_path(path).is_some()
}

/// Imports last year's batch folder: see [`crate::store::Store::import_previous`].
pub(crate) fn previous(
    db: &super::db::Db,
    principal: &Principal,
    dir: &Path,
    now: Timestamp,
) -> Result<ImportSummary> {
    principal.require_admin()?;
    if !dir.is_dir() {
        return Err(StoreError::Input(format!("{}：不是文件夹", dir.display())));
    }
    let mut problems = Vec::new();
    let mut found: Vec<(String, Report)> = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                problems.push(ImportProblem {
                    place: e.path().unwrap_or(dir).display().to_string(),
                    message: format!("无法读取：{e}"),
                });
                continue;
            }
        };
        let path = entry.path();
        if entry.file_type().is_dir() || !is_input_file(path) {
            continue;
        }
        let place = path.display().to_string();
        match load(path) {
            Ok(report) => found.push((place, report)),
            Err(e) => problems.push(ImportProblem {
                place,
                message: e.to_string(),
            }),
        }
    }
    if found.is_empty() && problems.is_empty() {
        return Err(StoreError::Input(format!(
            "{}：文件夹中没有输入文件（.toml、.json 或 .xlsx）",
            dir.display()
        )));
    }
    let mut checked = Vec::with_capacity(found.len());
    for (place, report) in found {
        let info = &report.report;
        let new = NewAgency {
            name: info.agency.clone(),
            short_name: info.short_name.clone(),
            region: info.region.clone(),
        };
        match agencies::check_new(&new) {
            Err(e) => problems.push(ImportProblem {
                place,
                message: e.to_string(),
            }),
            Ok(agency) => {
                let year = info.year.0;
                if let Some((earlier, ..)) =
                    checked
                        .iter()
                        .find(|(_, a, r): &&(String, agencies::CheckedAgency, Report)| {
                            a.key == agency.key && r.report.year.0 == year
                        })
                {
                    problems.push(ImportProblem {
                        place,
                        message: format!(
                            "与 {earlier} 是同一机关（{}）同一年度（{year}）的报告",
                            agency.name
                        ),
                    });
                } else {
                    checked.push((place, agency, report));
                }
            }
        }
    }
    db.write(|tx| {
        let mut summary = ImportSummary::default();
        for (place, new, report) in &checked {
            let agency = match agencies::agency_by_key(tx, &new.key)? {
                Some(a) => {
                    if !summary.existing.contains(&a) && !summary.created.contains(&a) {
                        summary.existing.push(a.clone());
                    }
                    a
                }
                None => {
                    let a = agencies::insert(tx, new, now)?;
                    summary.created.push(a.clone());
                    a
                }
            };
            match reports::store_imported(tx, agency.id, report, principal.account_id, now) {
                Ok(Imported::New) => summary.reports.push(ImportedReport {
                    agency,
                    year: report.report.year.0,
                }),
                Ok(Imported::Unchanged) => summary.unchanged_reports += 1,
                Err(StoreError::Input(message)) => problems.push(ImportProblem {
                    place: place.clone(),
                    message,
                }),
                Err(e) => return Err(e),
            }
        }
        if problems.is_empty() {
            Ok(summary)
        } else {
            Err(StoreError::Import(std::mem::take(&mut problems)))
        }
    })
}
