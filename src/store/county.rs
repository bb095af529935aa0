//! The county's view: every agency's status for a year, the deadline, and
//! the submitted reports for the county ZIP.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::agencies::{AGENCY_COLUMNS, Agency, agency_from_row};
use super::auth::Principal;
use super::error::{Result, StoreError};
use super::reports::{check_year, parse_stored};
use super::status::Status;
use super::time::Timestamp;
use crate::model::{Date, Report};

/// The county's table for one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountyView {
    /// The county's name (given at `init`).
    pub county: String,
    /// The year.
    pub year: u16,
    /// The deadline of the year, if set.
    pub deadline: Option<Date>,
    /// One row per agency, by name.
    pub rows: Vec<CountyRow>,
}

/// One agency in the county's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountyRow {
    /// The agency.
    pub agency: Agency,
    /// Its report's status.
    pub status: Status,
    /// Its report's version (0: 未开始).
    pub version: i64,
    /// When it last changed.
    pub changed_at: Option<Timestamp>,
    /// Who changed it (login).
    pub changed_by: Option<String>,
    /// Error findings of the current data (counted when it was saved).
    pub errors: u32,
    /// Warning findings of the current data (counted when it was saved).
    pub warnings: u32,
    /// When it was submitted, while 已提交.
    pub submitted_at: Option<Timestamp>,
    /// The deadline has passed and the report is not 已提交.
    pub late: bool,
}

/// A submitted report, for the county ZIP.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubmittedReport {
    /// The agency.
    pub agency: Agency,
    /// The version submitted.
    pub version: i64,
    /// The report's JSON as stored.
    pub json: String,
    /// The report.
    #[serde(skip)]
    pub report: Report,
}

pub(crate) fn county_name(conn: &rusqlite::Connection) -> Result<String> {
    conn.query_row("SELECT value FROM meta WHERE key = 'county'", [], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| StoreError::Internal("数据库中没有县（区）名称".into()))
}

fn deadline_of(conn: &rusqlite::Connection, year: u16) -> Result<Option<Date>> {
    let text: Option<String> = conn
        .query_row("SELECT date FROM deadlines WHERE year = ?1", [year], |r| {
            r.get(0)
        })
        .optional()?;
    text.map(|t| {
        t.parse::<Date>()
            .map_err(|e| StoreError::Internal(format!("截止日期无法读取：{e}")))
    })
    .transpose()
}

/// The county's table: see [`crate::store::Store::county`].
pub(crate) fn county(
    db: &super::db::Db,
    principal: &Principal,
    year: u16,
    now: Timestamp,
) -> Result<CountyView> {
    principal.require_admin()?;
    check_year(year)?;
    db.read(|c| {
        let county = county_name(c)?;
        let deadline = deadline_of(c, year)?;
        let past_deadline = deadline.is_some_and(|d| now >= Timestamp::end_of_beijing_day(d));
        let mut stmt = c.prepare(&format!(
            "SELECT {AGENCY_COLUMNS}, r.status, r.version, r.changed_at, a.login, r.errors, r.warnings, r.submitted_at
             FROM agencies g
             LEFT JOIN reports r ON r.agency_id = g.id AND r.year = ?1
             LEFT JOIN accounts a ON a.id = r.changed_by
             ORDER BY g.name_key"
        ))?;
        let rows = stmt.query_map([year], |r| {
            let status = match r.get::<_, Option<String>>(4)? {
                Some(code) => Status::from_code(&code).unwrap_or(Status::Draft),
                None => Status::NotStarted,
            };
            Ok(CountyRow {
                agency: agency_from_row(r)?,
                status,
                version: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
                changed_at: r.get::<_, Option<i64>>(6)?.map(Timestamp::from_unix),
                changed_by: r.get(7)?,
                errors: r.get::<_, Option<u32>>(8)?.unwrap_or(0),
                warnings: r.get::<_, Option<u32>>(9)?.unwrap_or(0),
                submitted_at: r.get::<_, Option<i64>>(10)?.map(Timestamp::from_unix),
                late: past_deadline && status != Status::Submitted,
            })
        })?;
        Ok(CountyView {
            county,
            year,
            deadline,
            rows: rows.collect::<rusqlite::Result<_>>()?,
        })
    })
}

/// Sets or clears the deadline: see [`crate::store::Store::set_deadline`].
pub(crate) fn set_deadline(
    db: &super::db::Db,
    principal: &Principal,
    year: u16,
    date: Option<Date>,
) -> Result<()> {
    principal.require_admin()?;
    check_year(year)?;
    db.write(|tx| {
        match date {
            Some(d) => tx.execute(
                "INSERT INTO deadlines (year, date) VALUES (?1, ?2)
                 ON CONFLICT (year) DO UPDATE SET date = ?2",
                params![year, d.to_string()],
            )?,
            None => tx.execute("DELETE FROM deadlines WHERE year = ?1", [year])?,
        };
        Ok(())
    })
}

/// The deadline of a year: see [`crate::store::Store::deadline`].
pub(crate) fn deadline(db: &super::db::Db, year: u16) -> Result<Option<Date>> {
    check_year(year)?;
    db.read(|c| deadline_of(c, year))
}

/// Every submitted report of a year: see [`crate::store::Store::submitted_reports`].
pub(crate) fn submitted_reports(
    db: &super::db::Db,
    principal: &Principal,
    year: u16,
) -> Result<Vec<SubmittedReport>> {
    principal.require_admin()?;
    check_year(year)?;
    let rows: Vec<(Agency, i64, String)> = db.read(|c| {
        let mut stmt = c.prepare(&format!(
            "SELECT {AGENCY_COLUMNS}, r.version, r.data FROM reports r JOIN agencies g ON g.id = r.agency_id
             WHERE r.year = ?1 AND r.status = 'submitted' ORDER BY g.name_key"
        ))?;
        let rows = stmt.query_map([year], |r| Ok((agency_from_row(r)?, r.get(4)?, r.get(5)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })?;
    rows.into_iter()
        .map(|(agency, version, json)| {
            Ok(SubmittedReport {
                report: parse_stored(&json)?,
                agency,
                version,
                json,
            })
        })
        .collect()
}
