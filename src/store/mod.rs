//! The county collection server's state: agencies, accounts, sessions and
//! every agency's report with all its versions, in one SQLite file,
//! `DIR/nianbao.db` ([`Store`]).
//!
//! No HTTP here: the server calls these functions (synchronous; on tokio's
//! blocking pool) and maps [`StoreError::http_status`] to its answers.
//!
//! ## Who may do what
//!
//! Every call takes the caller, a [`Principal`], which only the store makes
//! (from a session token, [`Store::session`]), and checks it itself:
//!
//! | call | administrator | clerk of agency A |
//! |---|---|---|
//! | [`Store::report`], [`Store::history`], [`Store::version_json`], [`Store::agency`] | any agency | A only; another agency is [`StoreError::NotFound`] (ids tell nothing) |
//! | [`Store::save_draft`], [`Store::submit`] | any agency | A only; another agency is [`StoreError::Forbidden`] |
//! | [`Store::agencies`] | all | A |
//! | [`Store::return_report`], [`Store::county`], [`Store::submitted_reports`], [`Store::set_deadline`], agencies and accounts | yes | [`StoreError::Forbidden`] |
//! | [`Store::deadline`], [`Store::change_password`] | yes | yes |
//!
//! ## Accounts and sessions
//!
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults:
//!   19 MiB, 2 passes; a random 16-byte salt), stored as a PHC string. New
//!   accounts get a random one-time password ([`Secret`], 16 characters),
//!   shown once; [`Principal::must_change_password`] says it was not changed.
//! - A session is a random 256-bit token (64 hex digits, for the cookie);
//!   only its SHA-256 is stored. It ends [`SESSION_IDLE_SECONDS`] (12 h)
//!   after its last use or [`SESSION_MAX_SECONDS`] (7 days) after login.
//!   Each session has its own CSRF token ([`Principal::csrf_token`],
//!   [`Principal::csrf_matches`]).
//! - Failed logins are counted per account and per client address (an IPv6
//!   address by its /64). From the [`ACCOUNT_FREE_FAILURES`]th (5) failure
//!   of an account, or the [`ADDRESS_FREE_FAILURES`]th (20) of an address,
//!   login is refused for 30 s, then 60 s, 120 s, … up to an hour after each
//!   further failure ([`StoreError::RetryAfter`]), even with the right
//!   password. A successful login resets the account's count; counts are
//!   forgotten a day after their last failure (a success does not reset an
//!   address, or one valid account would let its holder guess the others').
//! - No secret appears in `Debug` output or in an error; the time comes
//!   from a [`Clock`] that tests replace ([`ManualClock`]).
//!
//! ## A report's life
//!
//! Per agency and year: 未开始 → 草稿 → 已提交 → 已退回 → 草稿 … ([`Status`]).
//! Every change names the version it was made on (`expected_version`, 0
//! before the first save); a stale one is [`StoreError::Conflict`] with who
//! saved the newer version and when, and nothing is written. Every save and
//! every transition is a version ([`Store::history`]). Submitting runs the
//! check, with R5/R6 against the agency's submitted report of the year
//! before (stored, or imported from last year's batch folder): errors block
//! it, warnings must be acknowledged ([`StoreError::Findings`]).
//!
//! ```
//! use nianbao::store::{NewAgency, Status, Store, StoreError};
//! let dir = tempfile::tempdir().unwrap();
//! let (store, password) = Store::init(dir.path(), "潢川县").unwrap();
//! let ip = "127.0.0.1".parse().unwrap();
//! let admin = store.login("admin", password.expose(), ip).unwrap().principal;
//!
//! let agency = store.create_agency(&admin, &NewAgency::named("潢川县卜塔集镇人民政府")).unwrap();
//! let clerk = store.create_clerk(&admin, agency.id, "butaji").unwrap();
//! let session = store.login("butaji", clerk.password.expose(), ip).unwrap();
//! let me = store.session(session.token.expose()).unwrap().unwrap();
//!
//! let report = nianbao::read_path("inputs/butaji-2024.toml".as_ref()).unwrap();
//! let json = serde_json::to_vec(&report).unwrap();
//! let saved = store.save_draft(&me, agency.id, 2024, 0, &json).unwrap();
//! assert_eq!((saved.version, saved.status), (1, Status::Draft));
//! // A second tab still on version 0 is refused, and nothing is lost.
//! let mut other = report.clone();
//! other.text.overview = Some("另一个标签页写的".into());
//! let other = serde_json::to_vec(&other).unwrap();
//! let stale = store.save_draft(&me, agency.id, 2024, 0, &other).unwrap_err();
//! assert!(matches!(stale, StoreError::Conflict { current_version: 1, .. }), "{stale}");
//! assert_eq!(stale.http_status(), 409);
//!
//! let submitted = store.submit(&me, agency.id, 2024, 1, false).unwrap();
//! assert_eq!(submitted.status, Status::Submitted);
//! let locked = store.save_draft(&me, agency.id, 2024, 2, &json).unwrap_err();
//! assert!(matches!(locked, StoreError::WrongStatus { .. }));
//!
//! let returned = store.return_report(&admin, agency.id, 2024, 2, "请补充第六部分").unwrap();
//! assert_eq!(returned.status, Status::Returned);
//! let view = store.county(&admin, 2024).unwrap();
//! assert_eq!(view.rows[0].status, Status::Returned);
//! assert_eq!(store.history(&me, agency.id, 2024).unwrap().len(), 3);
//! ```
//!
//! ## The file
//!
//! SQLite (bundled: nothing to install) in WAL mode with
//! `synchronous=FULL`: a call that returned `Ok` is on disk and survives a
//! killed process or a power loss. Readers never wait for the writer. The
//! schema is versioned (`PRAGMA user_version`, [`SCHEMA_VERSION`]) and
//! migrated when the file is opened; a file written by a newer nianbao is
//! refused ([`StoreError::TooNew`]).
//!
//! ## Backup and restore
//!
//! [`Store::backup`] (`nianbao admin backup DIR FILE`) writes a consistent
//! copy while the server runs and saves go on. To restore, with the server
//! stopped:
//!
//! ```text
//! rm -f DIR/nianbao.db-wal DIR/nianbao.db-shm
//! cp FILE DIR/nianbao.db
//! ```
//!
//! (the `-wal` file belongs to the database it was written for, and must not
//! be applied to the restored copy), then start the server again.

mod agencies;
mod auth;
mod county;
mod db;
mod error;
mod import;
mod reports;
mod status;
mod time;

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use agencies::{Agency, NewAgency};
pub use auth::{
    ACCOUNT_FREE_FAILURES, ADDRESS_FREE_FAILURES, Account, LoginSession, MIN_PASSWORD_CHARS,
    NewAccount, Principal, SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS, Secret,
};
pub use county::{CountyRow, CountyView, SubmittedReport};
pub use db::SCHEMA_VERSION;
pub use error::{ImportProblem, Result, StoreError};
pub use import::{ImportSummary, ImportedReport};
pub use reports::{MAX_REASON_CHARS, ReportState, Saved, VersionEntry};
pub use status::{Action, Role, Status};
pub use time::{Clock, ManualClock, SystemClock, Timestamp};

use crate::model::Date;
use crate::render::names::agency_key;

/// The store of one county: `DIR/nianbao.db`. `Send + Sync`: share it
/// behind an `Arc`; one writer connection (behind a mutex) and a small pool
/// of readers.
pub struct Store {
    db: db::Db,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.db.path())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// The database's file name in the data folder.
    pub const FILE_NAME: &str = "nianbao.db";

    /// Creates the data folder (if needed) and the database (readable by its
    /// owner only), with the county's name and the first administrator, login `admin`, whose
    /// one-time password is returned (print it once; it is not stored).
    /// Fails if the folder already holds an initialised database.
    pub fn init(dir: &Path, county: &str) -> Result<(Store, Secret)> {
        Store::init_with_clock(dir, county, Arc::new(SystemClock))
    }

    /// [`Store::init`] with a clock of the caller's (tests).
    pub fn init_with_clock(
        dir: &Path,
        county: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<(Store, Secret)> {
        let county = agencies::validate_name("县（区）名称", county)?;
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let path = dir.join(Store::FILE_NAME);
        let db = db::Db::open(&path, true)?;
        owner_only(&path)?;
        let password = auth::one_time_password()?;
        let hash = auth::hash_password(password.expose())?;
        let now = clock.now();
        db.write(|tx| {
            let initialised: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'county')",
                [],
                |r| r.get(0),
            )?;
            if initialised {
                return Err(StoreError::AlreadyInitialised { path: path.clone() });
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('county', ?1), ('created_at', ?2)",
                rusqlite::params![county, now.unix().to_string()],
            )?;
            auth::insert_account(tx, "admin", Role::Admin, None, &hash, now)?;
            Ok(())
        })?;
        Ok((Store { db, clock }, password))
    }

    /// Opens the database of an initialised data folder, migrating its schema.
    pub fn open(dir: &Path) -> Result<Store> {
        Store::open_with_clock(dir, Arc::new(SystemClock))
    }

    /// [`Store::open`] with a clock of the caller's (tests).
    pub fn open_with_clock(dir: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        let path = dir.join(Store::FILE_NAME);
        if !path.is_file() {
            return Err(StoreError::NotInitialised { path });
        }
        let db = db::Db::open(&path, false)?;
        let initialised: bool = db.read(|c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'county')",
                [],
                |r| r.get(0),
            )?)
        })?;
        if !initialised {
            return Err(StoreError::NotInitialised { path });
        }
        Ok(Store { db, clock })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        self.db.path()
    }

    /// The county's name, as given to [`Store::init`].
    pub fn county_name(&self) -> Result<String> {
        self.db.read(county::county_name)
    }

    /// The first administrator, for the command line (`nianbao admin …`),
    /// which runs as whoever can read and write the database file anyway.
    /// It has no session and no CSRF token. Never use it for a request.
    pub fn console_admin(&self) -> Result<Principal> {
        self.db.read(auth::console_admin)
    }

    // ---------------------------------------------------------------
    // Sessions and accounts

    /// Logs in `login` with `password` from the client `address`: a new
    /// session. Wrong login or password: [`StoreError::BadLogin`] (which of
    /// the two is not said); too many failures of the account or the
    /// address: [`StoreError::RetryAfter`] (the throttle of the module doc:
    /// 5 failures of an account, 20 of an address, then 30 s doubling up to
    /// an hour).
    pub fn login(&self, login: &str, password: &str, address: IpAddr) -> Result<LoginSession> {
        auth::login(&self.db, login, password, address, self.clock.now())
    }

    /// The caller of a session token: `None` if the token is unknown, forged,
    /// logged out or expired ([`SESSION_IDLE_SECONDS`] idle,
    /// [`SESSION_MAX_SECONDS`] in all).
    pub fn session(&self, token: &str) -> Result<Option<Principal>> {
        auth::session(&self.db, token, self.clock.now())
    }

    /// Ends the session of `token` (nothing happens for an unknown token).
    pub fn logout(&self, token: &str) -> Result<()> {
        auth::logout(&self.db, token)
    }

    /// Changes the caller's password. The old one must be right (a wrong one
    /// is [`StoreError::Input`] and counts as a failed login); the new one has
    /// at least [`MIN_PASSWORD_CHARS`] characters, 4 different ones, and is not
    /// the login. The account's other sessions end.
    pub fn change_password(&self, principal: &Principal, old: &str, new: &str) -> Result<()> {
        auth::change_password(&self.db, principal, old, new, self.clock.now())
    }

    /// Every account (administrator only).
    pub fn accounts(&self, admin: &Principal) -> Result<Vec<Account>> {
        admin.require_admin()?;
        self.db.read(auth::accounts)
    }

    /// Creates another county administrator with a one-time password
    /// (administrator only).
    pub fn create_admin(&self, admin: &Principal, login: &str) -> Result<NewAccount> {
        admin.require_admin()?;
        self.create_account(login, Role::Admin, None)
    }

    /// Creates a clerk of agency `agency_id` with a one-time password
    /// (administrator only).
    pub fn create_clerk(
        &self,
        admin: &Principal,
        agency_id: i64,
        login: &str,
    ) -> Result<NewAccount> {
        admin.require_admin()?;
        self.create_account(login, Role::Clerk, Some(agency_id))
    }

    fn create_account(
        &self,
        login: &str,
        role: Role,
        agency_id: Option<i64>,
    ) -> Result<NewAccount> {
        auth::validate_login(login)?;
        let password = auth::one_time_password()?;
        let hash = auth::hash_password(password.expose())?;
        let now = self.clock.now();
        let account = self.db.write(|tx| {
            if let Some(id) = agency_id {
                agencies::agency(tx, id)?;
            }
            let id = auth::insert_account(tx, login, role, agency_id, &hash, now)?;
            auth::account(tx, id)
        })?;
        Ok(NewAccount { account, password })
    }

    /// Gives an account a new one-time password and ends its sessions
    /// (administrator only).
    pub fn reset_password(&self, admin: &Principal, account_id: i64) -> Result<Secret> {
        admin.require_admin()?;
        let password = auth::one_time_password()?;
        let hash = auth::hash_password(password.expose())?;
        self.db
            .write(|tx| auth::reset_password(tx, account_id, &hash))?;
        Ok(password)
    }

    // ---------------------------------------------------------------
    // Agencies

    /// Creates an agency (administrator only). Its names follow the model's
    /// rules for names; its full name must be new (compared trimmed, NFC:
    /// [`crate::agency_key`]).
    pub fn create_agency(&self, admin: &Principal, agency: &NewAgency) -> Result<Agency> {
        admin.require_admin()?;
        let checked = agencies::check_new(agency)?;
        let now = self.clock.now();
        self.db.write(|tx| agencies::insert(tx, &checked, now))
    }

    /// The agencies the caller sees: all (administrator) or their own (clerk), by name.
    pub fn agencies(&self, principal: &Principal) -> Result<Vec<Agency>> {
        self.db.read(|c| match principal.agency_id {
            _ if principal.is_admin() => agencies::all(c),
            Some(id) => Ok(vec![agencies::agency(c, id)?]),
            None => Ok(Vec::new()),
        })
    }

    /// One agency (a clerk: only their own, else [`StoreError::NotFound`]).
    pub fn agency(&self, principal: &Principal, agency_id: i64) -> Result<Agency> {
        principal.may_see(agency_id)?;
        self.db.read(|c| agencies::agency(c, agency_id))
    }

    /// The agency of a full name (compared as [`crate::agency_key`]), as the
    /// caller may see it.
    pub fn agency_by_name(&self, principal: &Principal, name: &str) -> Result<Agency> {
        let found = self
            .db
            .read(|c| agencies::agency_by_key(c, &agency_key(name)))?;
        match found {
            Some(a) if principal.may_see(a.id).is_ok() => Ok(a),
            _ => Err(StoreError::NotFound { what: "机关" }),
        }
    }

    /// Imports agencies from a CSV file (administrator only): UTF-8, a header
    /// `机关全称[,简称,所属地区,账号]` (columns in any order), one agency a
    /// line. Agencies already there are left as they are; a 账号 creates a
    /// clerk of the line's agency with a one-time password. Every bad line is
    /// reported with its number ([`StoreError::Import`]) and then nothing is
    /// imported.
    pub fn import_agencies_csv(&self, admin: &Principal, csv: &[u8]) -> Result<ImportSummary> {
        import::csv(&self.db, admin, csv, self.clock.now())
    }

    /// Imports last year's batch folder (administrator only): every input
    /// file (.toml, .json, .xlsx; hidden files and `~$` lock files left out)
    /// in the folder and below is read; its agency is created if missing, and
    /// the report stored as that year's submitted report (action 导入), for
    /// R5/R6 of the next year. A report already stored unchanged is skipped;
    /// a different one of the same agency and year is a problem. Every
    /// unreadable file is reported, and then nothing is imported.
    pub fn import_previous(&self, admin: &Principal, dir: &Path) -> Result<ImportSummary> {
        import::previous(&self.db, admin, dir, self.clock.now())
    }

    // ---------------------------------------------------------------
    // Reports

    /// An agency's report of `year` as it stands, with its findings.
    pub fn report(&self, principal: &Principal, agency_id: i64, year: u16) -> Result<ReportState> {
        reports::report(&self.db, principal, agency_id, year)
    }

    /// Saves a draft: `json` is the report in the JSON input format, read
    /// with [`crate::read_bytes`] (a bad one is [`StoreError::Input`] with the
    /// reader's message, and nothing is stored); its agency and year must be
    /// this report's. `expected_version` must be the current version (0
    /// before the first save), else [`StoreError::Conflict`]; a 已提交 report
    /// is [`StoreError::WrongStatus`]. The new version is returned; saving the
    /// same data as the current draft makes no new version.
    pub fn save_draft(
        &self,
        principal: &Principal,
        agency_id: i64,
        year: u16,
        expected_version: i64,
        json: &[u8],
    ) -> Result<Saved> {
        let now = self.clock.now();
        reports::save_draft(
            &self.db,
            principal,
            agency_id,
            year,
            expected_version,
            json,
            now,
        )
    }

    /// Submits the current data (a 草稿 or 已退回 report): errors of the
    /// check block it and warnings must be acknowledged, else
    /// [`StoreError::Findings`] with every finding; then 已提交, read-only
    /// for the agency.
    pub fn submit(
        &self,
        principal: &Principal,
        agency_id: i64,
        year: u16,
        expected_version: i64,
        acknowledge_warnings: bool,
    ) -> Result<Saved> {
        let now = self.clock.now();
        reports::submit(
            &self.db,
            principal,
            agency_id,
            year,
            expected_version,
            acknowledge_warnings,
            now,
        )
    }

    /// Returns a 已提交 report to its agency with a reason (administrator
    /// only; at most [`MAX_REASON_CHARS`] characters, not blank): 已退回,
    /// and the agency edits again.
    pub fn return_report(
        &self,
        admin: &Principal,
        agency_id: i64,
        year: u16,
        expected_version: i64,
        reason: &str,
    ) -> Result<Saved> {
        let now = self.clock.now();
        reports::return_report(
            &self.db,
            admin,
            agency_id,
            year,
            expected_version,
            reason,
            now,
        )
    }

    /// The audit trail of a report: every version, oldest first.
    pub fn history(
        &self,
        principal: &Principal,
        agency_id: i64,
        year: u16,
    ) -> Result<Vec<VersionEntry>> {
        reports::history(&self.db, principal, agency_id, year)
    }

    /// The report's JSON as it was at `version`.
    pub fn version_json(
        &self,
        principal: &Principal,
        agency_id: i64,
        year: u16,
        version: i64,
    ) -> Result<String> {
        reports::version_json(&self.db, principal, agency_id, year, version)
    }

    // ---------------------------------------------------------------
    // The county

    /// The county's table for `year` (administrator only): every agency by
    /// name, with its status, version, last change, counts of findings
    /// (counted when saved) and whether it is late (the deadline passed and
    /// it is not 已提交).
    pub fn county(&self, admin: &Principal, year: u16) -> Result<CountyView> {
        county::county(&self.db, admin, year, self.clock.now())
    }

    /// Sets (or with `None` clears) the deadline of `year` (administrator
    /// only). It ends at midnight, Beijing time, after `date`.
    pub fn set_deadline(&self, admin: &Principal, year: u16, date: Option<Date>) -> Result<()> {
        county::set_deadline(&self.db, admin, year, date)
    }

    /// The deadline of `year`, if set (anyone logged in).
    pub fn deadline(&self, _principal: &Principal, year: u16) -> Result<Option<Date>> {
        county::deadline(&self.db, year)
    }

    /// Every 已提交 report of `year`, by agency name (administrator only):
    /// the inputs of the county's batch.
    pub fn submitted_reports(&self, admin: &Principal, year: u16) -> Result<Vec<SubmittedReport>> {
        county::submitted_reports(&self.db, admin, year)
    }

    // ---------------------------------------------------------------
    // Backup

    /// Writes a consistent copy of the database to `file` (which must not
    /// exist) while the store is in use; returns its size in bytes. The copy
    /// is written under a temporary name, checked (`PRAGMA quick_check`),
    /// flushed to disk, and only then given its name.
    pub fn backup(&self, file: &Path) -> Result<u64> {
        if file.symlink_metadata().is_ok() {
            return Err(StoreError::Input(format!(
                "{}：已存在，不覆盖；请换一个文件名",
                file.display()
            )));
        }
        let Some(name) = file.file_name() else {
            return Err(StoreError::Input(format!("{}：不是文件名", file.display())));
        };
        let parent = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let suffix: String = auth::random_token()?.chars().take(8).collect();
        let temp = parent.join(format!(".{}.{suffix}.tmp", name.to_string_lossy()));
        let result = self.backup_to(&temp, file);
        if temp.exists() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }

    fn backup_to(&self, temp: &Path, file: &Path) -> Result<u64> {
        let Some(temp_text) = temp.to_str() else {
            return Err(StoreError::Input(format!(
                "{}：路径不是 UTF-8，无法写入备份",
                file.display()
            )));
        };
        self.db.with_own_connection(|c| {
            c.execute("VACUUM INTO ?1", [temp_text])?;
            Ok(())
        })?;
        {
            let copy = rusqlite::Connection::open_with_flags(
                temp,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )?;
            let check: String = copy.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
            if check != "ok" {
                return Err(StoreError::Internal(format!("备份检查未通过：{check}")));
            }
        }
        owner_only(temp)?;
        let handle = std::fs::File::open(temp).map_err(|e| StoreError::io(temp, e))?;
        handle.sync_all().map_err(|e| StoreError::io(temp, e))?;
        let size = handle
            .metadata()
            .map_err(|e| StoreError::io(temp, e))?
            .len();
        match std::fs::hard_link(temp, file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(StoreError::Input(format!(
                    "{}：已存在，不覆盖；请换一个文件名",
                    file.display()
                )));
            }
            // A file system without hard links: the name was free a moment ago.
            Err(_) => std::fs::rename(temp, file).map_err(|e| StoreError::io(file, e))?,
        }
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty())
            && let Ok(dir) = std::fs::File::open(parent)
        {
            let _ = dir.sync_all();
        }
        Ok(size)
    }
}

/// Lets only the owner read the database file (it holds password hashes);
/// SQLite gives its `-wal` and `-shm` files the same permissions.
fn owner_only(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| StoreError::io(path, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
