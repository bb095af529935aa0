//! The SQLite file: connections with the store's settings, the versioned
//! schema migrations, and the two ways in: [`Db::read`] (a pooled reader,
//! one consistent snapshot per call) and [`Db::write`] (the one writer,
//! one immediate transaction per call).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use super::error::{Result, StoreError};

/// The migrations, in order: migration `i` (from 0) brings the schema from
/// version `i` to `i + 1`. Append only; never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: accounts, sessions, agencies, reports and their versions, deadlines.
    "
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;
    CREATE TABLE agencies (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        name_key   TEXT NOT NULL UNIQUE,
        short_name TEXT,
        region     TEXT,
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE accounts (
        id                   INTEGER PRIMARY KEY,
        login                TEXT NOT NULL,
        login_key            TEXT NOT NULL UNIQUE,
        role                 TEXT NOT NULL CHECK (role IN ('admin', 'clerk')),
        agency_id            INTEGER REFERENCES agencies(id),
        password_hash        TEXT NOT NULL,
        must_change_password INTEGER NOT NULL,
        failures             INTEGER NOT NULL DEFAULT 0,
        last_failure         INTEGER NOT NULL DEFAULT 0,
        locked_until         INTEGER NOT NULL DEFAULT 0,
        created_at           INTEGER NOT NULL,
        CHECK ((role = 'admin') = (agency_id IS NULL))
    ) STRICT;
    CREATE INDEX accounts_agency ON accounts(agency_id);
    CREATE TABLE address_failures (
        address      TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL,
        last_failure INTEGER NOT NULL,
        locked_until INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE sessions (
        token_hash BLOB PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        csrf       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX sessions_account ON sessions(account_id);
    CREATE INDEX sessions_last_seen ON sessions(last_seen);
    CREATE TABLE reports (
        id           INTEGER PRIMARY KEY,
        agency_id    INTEGER NOT NULL REFERENCES agencies(id),
        year         INTEGER NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned')),
        version      INTEGER NOT NULL CHECK (version > 0),
        data         TEXT NOT NULL,
        errors       INTEGER NOT NULL,
        warnings     INTEGER NOT NULL,
        changed_at   INTEGER NOT NULL,
        changed_by   INTEGER NOT NULL REFERENCES accounts(id),
        submitted_at INTEGER,
        UNIQUE (agency_id, year)
    ) STRICT;
    CREATE INDEX reports_year ON reports(year, agency_id);
    CREATE TABLE versions (
        agency_id  INTEGER NOT NULL,
        year       INTEGER NOT NULL,
        version    INTEGER NOT NULL,
        action     TEXT NOT NULL CHECK (action IN ('save', 'submit', 'return', 'import')),
        status     TEXT NOT NULL,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        at         INTEGER NOT NULL,
        reason     TEXT,
        data       TEXT,
        PRIMARY KEY (agency_id, year, version),
        FOREIGN KEY (agency_id, year) REFERENCES reports(agency_id, year)
    ) STRICT;
    CREATE TABLE deadlines (
        year INTEGER PRIMARY KEY,
        date TEXT NOT NULL
    ) STRICT;
    ",
];

/// The schema version this program writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Read connections kept for reuse; more are opened when needed and closed after.
const POOLED_READERS: usize = 8;

/// How long a connection waits for another process's lock (the command
/// line while the server runs) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The database file and its connections.
pub(crate) struct Db {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

/// Takes a lock even if a thread panicked while holding it: the connection
/// is fine (a transaction dropped while unwinding was rolled back).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A connection with the store's settings: WAL, `synchronous=FULL` (a
/// committed transaction is on disk before the call returns, so it survives
/// a killed process and a power loss), foreign keys, a busy timeout.
fn connect(path: &Path, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Internal(format!(
            "数据库不能使用 WAL 日志模式（得到 {mode}）"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(conn)
}

/// Brings the schema up to [`SCHEMA_VERSION`], in one transaction; refuses
/// a database written by a newer program.
fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (done, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", done as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

impl Db {
    /// Opens (or with `create`, creates) the file and migrates it.
    pub(crate) fn open(path: &Path, create: bool) -> Result<Db> {
        let mut writer = connect(path, create)?;
        migrate(&mut writer)?;
        Ok(Db {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// The database file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one read transaction (a consistent snapshot) on a reader.
    /// Readers never wait for the writer (WAL).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => connect(&self.path, false)?,
        };
        let result = (|| {
            let tx = conn.unchecked_transaction()?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        let mut pool = lock(&self.readers);
        if pool.len() < POOLED_READERS {
            pool.push(conn);
        }
        result
    }

    /// Runs `f` in one immediate write transaction, committed (and on disk)
    /// when `f` succeeds, rolled back when it fails.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on a fresh connection of its own (for a backup).
    pub(crate) fn with_own_connection<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        let conn = connect(&self.path, false)?;
        f(&conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.db");
        let db = Db::open(&path, true).expect("opens");
        let version = db
            .read(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?))
            .expect("reads");
        assert_eq!(version, SCHEMA_VERSION);
        drop(db);
        // Opening again runs nothing twice (the CREATEs would fail).
        let db = Db::open(&path, false).expect("reopens");
        db.write(|tx| {
            tx.pragma_update(None, "user_version", SCHEMA_VERSION + 1)?;
            Ok(())
        })
        .expect("bumps");
        drop(db);
        let err = Db::open(&path, false).err().expect("refused");
        assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
        assert!(err.to_string().contains("更新版本"), "{err}");
    }
}
