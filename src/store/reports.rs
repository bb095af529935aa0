//! The life of one agency's report of one year: drafts saved with
//! optimistic concurrency, submit (after the check), return (with a
//! reason), and the versions that record every step.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::agencies::{self, Agency};
use super::auth::Principal;
use super::error::{Result, StoreError};
use super::status::{Action, Status};
use super::time::Timestamp;
use crate::check::{Finding, Severity, check, check_against_previous};
use crate::model::{Report, YEARS, forbidden_char};
use crate::read::{InputKind, read_bytes};
use crate::render::names::agency_key;

/// The longest reason for returning a report, in characters.
pub const MAX_REASON_CHARS: usize = 1000;

/// An agency's report of one year as it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportState {
    /// The agency.
    pub agency: Agency,
    /// The reported year.
    pub year: u16,
    /// Where it is in its life.
    pub status: Status,
    /// The current version: 0 before the first save; the `expected_version`
    /// of the next change.
    pub version: i64,
    /// The report as JSON (the input format), as last saved; `None` while 未开始.
    pub json: Option<String>,
    /// Every finding of the current data: the check, and R5/R6 against last
    /// year's submitted report of the agency when there is one.
    pub findings: Vec<Finding>,
    /// When the last change was made.
    pub changed_at: Option<Timestamp>,
    /// Who made it (login).
    pub changed_by: Option<String>,
    /// When it was submitted, while 已提交.
    pub submitted_at: Option<Timestamp>,
    /// Why the county returned it, while 已退回.
    pub return_reason: Option<String>,
}

/// The outcome of a save, a submit or a return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saved {
    /// The new version (the `expected_version` of the next change).
    pub version: i64,
    /// The status now.
    pub status: Status,
    /// When.
    pub at: Timestamp,
    /// Error findings of the data.
    pub errors: u32,
    /// Warning findings of the data.
    pub warnings: u32,
    /// Every finding of the data (see [`ReportState::findings`]).
    pub findings: Vec<Finding>,
}

/// One version of a report: a save or a transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionEntry {
    /// Its number, from 1.
    pub version: i64,
    /// What was done.
    pub action: Action,
    /// The status after it.
    pub status: Status,
    /// Who did it (login).
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// The reason of a return.
    pub reason: Option<String>,
    /// Whether this version brought new data (a save or an import); the data
    /// of any version is [`crate::store::Store::version_json`].
    pub has_data: bool,
}

/// The stored row of a report.
pub(crate) struct Current {
    pub status: Status,
    pub version: i64,
    pub data: String,
    pub changed_at: Timestamp,
    pub changed_by: String,
    pub changed_by_id: i64,
    pub submitted_at: Option<Timestamp>,
}

pub(crate) fn check_year(year: u16) -> Result<()> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(StoreError::Input(format!(
            "年度应在 {}–{} 之间，实为 {year}",
            YEARS.start(),
            YEARS.end()
        )))
    }
}

fn status_of(code: &str) -> rusqlite::Result<Status> {
    Status::from_code(code).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("未知的状态 {code}").into(),
        )
    })
}

pub(crate) fn current(conn: &Connection, agency_id: i64, year: u16) -> Result<Option<Current>> {
    Ok(conn
        .query_row(
            "SELECT r.status, r.version, r.data, r.changed_at, a.login, r.changed_by, r.submitted_at
             FROM reports r JOIN accounts a ON a.id = r.changed_by
             WHERE r.agency_id = ?1 AND r.year = ?2",
            params![agency_id, year],
            |r| {
                Ok(Current {
                    status: status_of(&r.get::<_, String>(0)?)?,
                    version: r.get(1)?,
                    data: r.get(2)?,
                    changed_at: Timestamp::from_unix(r.get(3)?),
                    changed_by: r.get(4)?,
                    changed_by_id: r.get(5)?,
                    submitted_at: r.get::<_, Option<i64>>(6)?.map(Timestamp::from_unix),
                })
            },
        )
        .optional()?)
}

/// Reads a report from its JSON; a bad one is an input error with the
/// reader's message.
pub(crate) fn parse(json: &[u8]) -> Result<Report> {
    read_bytes(json, InputKind::Json, "报告").map_err(|e| StoreError::Input(e.to_string()))
}

/// Reads stored JSON (it was valid when stored).
pub(crate) fn parse_stored(json: &str) -> Result<Report> {
    read_bytes(json.as_bytes(), InputKind::Json, "报告")
        .map_err(|e| StoreError::Internal(format!("已存的报告无法读取：{e}")))
}

/// Last year's submitted report of the agency, if any.
fn previous(conn: &Connection, agency_id: i64, year: u16) -> Result<Option<Report>> {
    let data: Option<String> = conn
        .query_row(
            "SELECT data FROM reports WHERE agency_id = ?1 AND year = ?2 AND status = 'submitted'",
            params![agency_id, year - 1],
            |r| r.get(0),
        )
        .optional()?;
    // Last year's data stays readable; if a future change of the format made
    // it unreadable, the cross-year rules are left out rather than blocking.
    Ok(data.and_then(|d| parse_stored(&d).ok()))
}

/// The check's findings, and R5/R6 against last year's submitted report.
pub(crate) fn findings(
    conn: &Connection,
    agency_id: i64,
    year: u16,
    report: &Report,
) -> Result<Vec<Finding>> {
    let mut out = check(report);
    if let Some(last) = previous(conn, agency_id, year)? {
        out.extend(check_against_previous(report, &last));
    }
    Ok(out)
}

pub(crate) fn counts(findings: &[Finding]) -> (u32, u32) {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    (errors as u32, (findings.len() - errors) as u32)
}

/// Refuses a stale `expected` version. A retry of the last save (same data,
/// same account, still a draft) is no conflict: it is answered with that
/// save, so a response lost on the way loses nothing.
fn check_version<'c>(
    current: Option<&'c Current>,
    expected: i64,
    principal: &Principal,
    data: Option<&str>,
) -> Result<Option<&'c Current>> {
    let version = current.map_or(0, |c| c.version);
    if version == expected {
        return Ok(None);
    }
    match current {
        None => Err(StoreError::Input(format!(
            "版本号 {expected} 不存在：报告尚未保存过，应为 0"
        ))),
        Some(c)
            if c.status == Status::Draft
                && c.changed_by_id == principal.account_id
                && data == Some(c.data.as_str()) =>
        {
            Ok(Some(c))
        }
        Some(c) => Err(StoreError::Conflict {
            current_version: c.version,
            saved_by: c.changed_by.clone(),
            saved_at: c.changed_at,
        }),
    }
}

#[allow(clippy::too_many_arguments)]
fn write_row(
    tx: &Transaction<'_>,
    agency_id: i64,
    year: u16,
    version: i64,
    status: Status,
    data: &str,
    (errors, warnings): (u32, u32),
    who: i64,
    now: Timestamp,
) -> Result<()> {
    let submitted_at = (status == Status::Submitted).then_some(now.unix());
    tx.execute(
        "INSERT INTO reports (agency_id, year, status, version, data, errors, warnings, changed_at, changed_by, submitted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (agency_id, year) DO UPDATE SET
           status = ?3, version = ?4, data = ?5, errors = ?6, warnings = ?7,
           changed_at = ?8, changed_by = ?9, submitted_at = ?10",
        params![
            agency_id,
            year,
            status.code(),
            version,
            data,
            errors,
            warnings,
            now.unix(),
            who,
            submitted_at
        ],
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn write_version(
    tx: &Transaction<'_>,
    agency_id: i64,
    year: u16,
    version: i64,
    action: Action,
    status: Status,
    who: i64,
    now: Timestamp,
    reason: Option<&str>,
    data: Option<&str>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO versions (agency_id, year, version, action, status, account_id, at, reason, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            agency_id,
            year,
            version,
            action.code(),
            status.code(),
            who,
            now.unix(),
            reason,
            data
        ],
    )?;
    Ok(())
}

fn saved(version: i64, status: Status, at: Timestamp, findings: Vec<Finding>) -> Saved {
    let (errors, warnings) = counts(&findings);
    Saved {
        version,
        status,
        at,
        errors,
        warnings,
        findings,
    }
}

/// Saves a draft: see [`crate::store::Store::save_draft`].
pub(crate) fn save_draft(
    db: &super::db::Db,
    principal: &Principal,
    agency_id: i64,
    year: u16,
    expected_version: i64,
    json: &[u8],
    now: Timestamp,
) -> Result<Saved> {
    principal.may_change(agency_id)?;
    check_year(year)?;
    let report = parse(json)?;
    let text =
        std::str::from_utf8(json).map_err(|_| StoreError::Input("报告不是 UTF-8 文本".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if report.report.year.0 != year {
        return Err(StoreError::Input(format!(
            "报告中的年度为 {}，应为 {year}",
            report.report.year
        )));
    }
    db.write(|tx| {
        let agency = agencies::agency(tx, agency_id)?;
        if agency_key(&report.report.agency) != agency_key(&agency.name) {
            return Err(StoreError::Input(format!(
                "报告中的机关全称「{}」与本机关「{}」不一致",
                report.report.agency.trim(),
                agency.name
            )));
        }
        let current = current(tx, agency_id, year)?;
        if let Some(same) =
            check_version(current.as_ref(), expected_version, principal, Some(text))?
        {
            let found = findings(tx, agency_id, year, &report)?;
            return Ok(saved(same.version, same.status, same.changed_at, found));
        }
        let status = current.as_ref().map_or(Status::NotStarted, |c| c.status);
        if !status.editable() {
            return Err(StoreError::WrongStatus {
                status,
                action: "保存",
            });
        }
        let found = findings(tx, agency_id, year, &report)?;
        if let Some(c) = current
            .as_ref()
            .filter(|c| c.status == Status::Draft && c.data == text)
        {
            // Nothing changed: no new version.
            return Ok(saved(c.version, c.status, c.changed_at, found));
        }
        let version = expected_version + 1;
        let who = principal.account_id;
        write_row(
            tx,
            agency_id,
            year,
            version,
            Status::Draft,
            text,
            counts(&found),
            who,
            now,
        )?;
        write_version(
            tx,
            agency_id,
            year,
            version,
            Action::Save,
            Status::Draft,
            who,
            now,
            None,
            Some(text),
        )?;
        Ok(saved(version, Status::Draft, now, found))
    })
}

/// Submits: see [`crate::store::Store::submit`].
pub(crate) fn submit(
    db: &super::db::Db,
    principal: &Principal,
    agency_id: i64,
    year: u16,
    expected_version: i64,
    acknowledge_warnings: bool,
    now: Timestamp,
) -> Result<Saved> {
    principal.may_change(agency_id)?;
    check_year(year)?;
    db.write(|tx| {
        agencies::agency(tx, agency_id)?;
        let current = current(tx, agency_id, year)?;
        check_version(current.as_ref(), expected_version, principal, None)?;
        let Some(c) = current.filter(|c| c.status != Status::Submitted) else {
            return Err(StoreError::WrongStatus {
                status: if expected_version == 0 {
                    Status::NotStarted
                } else {
                    Status::Submitted
                },
                action: "提交",
            });
        };
        let report = parse_stored(&c.data)?;
        let found = findings(tx, agency_id, year, &report)?;
        let (errors, warnings) = counts(&found);
        if errors > 0 || (warnings > 0 && !acknowledge_warnings) {
            return Err(StoreError::Findings { findings: found });
        }
        let version = c.version + 1;
        let who = principal.account_id;
        let status = Status::Submitted;
        write_row(
            tx,
            agency_id,
            year,
            version,
            status,
            &c.data,
            (errors, warnings),
            who,
            now,
        )?;
        write_version(
            tx,
            agency_id,
            year,
            version,
            Action::Submit,
            status,
            who,
            now,
            None,
            None,
        )?;
        Ok(saved(version, status, now, found))
    })
}

/// Returns a submitted report: see [`crate::store::Store::return_report`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn return_report(
    db: &super::db::Db,
    principal: &Principal,
    agency_id: i64,
    year: u16,
    expected_version: i64,
    reason: &str,
    now: Timestamp,
) -> Result<Saved> {
    principal.require_admin()?;
    check_year(year)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::Input("退回报告须写明原因".into()));
    }
    let chars = reason.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(StoreError::Input(format!(
            "退回原因过长：{chars} 个字，上限 {MAX_REASON_CHARS} 个字"
        )));
    }
    if let Some(c) = forbidden_char(reason) {
        return Err(StoreError::Input(format!(
            "退回原因含有不允许的字符 U+{:04X}",
            c as u32
        )));
    }
    db.write(|tx| {
        agencies::agency(tx, agency_id)?;
        let current = current(tx, agency_id, year)?;
        check_version(current.as_ref(), expected_version, principal, None)?;
        let Some(c) = current.filter(|c| c.status == Status::Submitted) else {
            let status = current_status(tx, agency_id, year)?;
            return Err(StoreError::WrongStatus {
                status,
                action: "退回",
            });
        };
        let report = parse_stored(&c.data)?;
        let found = findings(tx, agency_id, year, &report)?;
        let version = c.version + 1;
        let who = principal.account_id;
        let status = Status::Returned;
        write_row(
            tx,
            agency_id,
            year,
            version,
            status,
            &c.data,
            counts(&found),
            who,
            now,
        )?;
        write_version(
            tx,
            agency_id,
            year,
            version,
            Action::Return,
            status,
            who,
            now,
            Some(reason),
            None,
        )?;
        Ok(saved(version, status, now, found))
    })
}

fn current_status(conn: &Connection, agency_id: i64, year: u16) -> Result<Status> {
    Ok(current(conn, agency_id, year)?.map_or(Status::NotStarted, |c| c.status))
}

/// The report as it stands: see [`crate::store::Store::report`].
pub(crate) fn report(
    db: &super::db::Db,
    principal: &Principal,
    agency_id: i64,
    year: u16,
) -> Result<ReportState> {
    principal.may_see(agency_id)?;
    check_year(year)?;
    db.read(|c| {
        let agency = agencies::agency(c, agency_id)?;
        let Some(cur) = current(c, agency_id, year)? else {
            return Ok(ReportState {
                agency,
                year,
                status: Status::NotStarted,
                version: 0,
                json: None,
                findings: Vec::new(),
                changed_at: None,
                changed_by: None,
                submitted_at: None,
                return_reason: None,
            });
        };
        let report = parse_stored(&cur.data)?;
        let found = findings(c, agency_id, year, &report)?;
        let return_reason = if cur.status == Status::Returned {
            c.query_row(
                "SELECT reason FROM versions WHERE agency_id = ?1 AND year = ?2 AND action = 'return'
                 ORDER BY version DESC LIMIT 1",
                params![agency_id, year],
                |r| r.get(0),
            )
            .optional()?
            .flatten()
        } else {
            None
        };
        Ok(ReportState {
            agency,
            year,
            status: cur.status,
            version: cur.version,
            json: Some(cur.data),
            findings: found,
            changed_at: Some(cur.changed_at),
            changed_by: Some(cur.changed_by),
            submitted_at: cur.submitted_at,
            return_reason,
        })
    })
}

/// The audit trail: see [`crate::store::Store::history`].
pub(crate) fn history(
    db: &super::db::Db,
    principal: &Principal,
    agency_id: i64,
    year: u16,
) -> Result<Vec<VersionEntry>> {
    principal.may_see(agency_id)?;
    check_year(year)?;
    db.read(|c| {
        agencies::agency(c, agency_id)?;
        let mut stmt = c.prepare(
            "SELECT v.version, v.action, v.status, a.login, v.at, v.reason, v.data IS NOT NULL
             FROM versions v JOIN accounts a ON a.id = v.account_id
             WHERE v.agency_id = ?1 AND v.year = ?2 ORDER BY v.version",
        )?;
        let rows = stmt.query_map(params![agency_id, year], |r| {
            let action: String = r.get(1)?;
            Ok(VersionEntry {
                version: r.get(0)?,
                action: Action::from_code(&action).unwrap_or(Action::Save),
                status: status_of(&r.get::<_, String>(2)?)?,
                by: r.get(3)?,
                at: Timestamp::from_unix(r.get(4)?),
                reason: r.get(5)?,
                has_data: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
}

/// The data of one version: see [`crate::store::Store::version_json`].
pub(crate) fn version_json(
    db: &super::db::Db,
    principal: &Principal,
    agency_id: i64,
    year: u16,
    version: i64,
) -> Result<String> {
    principal.may_see(agency_id)?;
    check_year(year)?;
    db.read(|c| {
        agencies::agency(c, agency_id)?;
        let exists: bool = c.query_row(
            "SELECT EXISTS (SELECT 1 FROM versions WHERE agency_id = ?1 AND year = ?2 AND version = ?3)",
            params![agency_id, year, version],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(StoreError::NotFound { what: "版本" });
        }
        c.query_row(
            "SELECT data FROM versions WHERE agency_id = ?1 AND year = ?2 AND version <= ?3 AND data IS NOT NULL
             ORDER BY version DESC LIMIT 1",
            params![agency_id, year, version],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::Internal("版本没有数据".into()))
    })
}

/// What importing one of last year's reports did.
pub(crate) enum Imported {
    /// Stored as a new submitted report.
    New,
    /// The same data was already stored.
    Unchanged,
}

/// Stores an imported report as the agency's submitted report of its year;
/// refuses when a different report of that year is already stored.
pub(crate) fn store_imported(
    tx: &Transaction<'_>,
    agency_id: i64,
    report: &Report,
    who: i64,
    now: Timestamp,
) -> Result<Imported> {
    let year = report.report.year.0;
    let json = serde_json::to_string(report)
        .map_err(|e| StoreError::Internal(format!("报告无法写成 JSON：{e}")))?;
    if let Some(c) = current(tx, agency_id, year)? {
        if c.status == Status::Submitted
            && parse_stored(&c.data).is_ok_and(|stored| stored == *report)
        {
            return Ok(Imported::Unchanged);
        }
        return Err(StoreError::Input(format!(
            "数据库中已有该机关 {year} 年度的另一份报告（{}，第 {} 版），未导入",
            c.status, c.version
        )));
    }
    let found = findings(tx, agency_id, year, report)?;
    let status = Status::Submitted;
    write_row(
        tx,
        agency_id,
        year,
        1,
        status,
        &json,
        counts(&found),
        who,
        now,
    )?;
    write_version(
        tx,
        agency_id,
        year,
        1,
        Action::Import,
        status,
        who,
        now,
        None,
        Some(&json),
    )?;
    // Next year's counts now include R5/R6 against this report.
    if year < *YEARS.end()
        && let Some(next) = current(tx, agency_id, year + 1)?
    {
        let next_report = parse_stored(&next.data)?;
        let (errors, warnings) = counts(&findings(tx, agency_id, year + 1, &next_report)?);
        tx.execute(
            "UPDATE reports SET errors = ?3, warnings = ?4 WHERE agency_id = ?1 AND year = ?2",
            params![agency_id, year + 1, errors, warnings],
        )?;
    }
    Ok(Imported::New)
}
