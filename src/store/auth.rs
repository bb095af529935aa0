//! Accounts, passwords and sessions: who is calling ([`Principal`]), logging
//! in and out, the throttle on failed logins, and the one-time passwords.
//! The rules are in the module doc of [`crate::store`] (Accounts and sessions).

use std::fmt;
use std::net::IpAddr;
use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::error::{Result, StoreError};
use super::status::Role;
use super::time::Timestamp;

/// A session ends this long after its last use: 12 hours.
pub const SESSION_IDLE_SECONDS: i64 = 12 * 3600;
/// A session ends this long after login, used or not: 7 days.
pub const SESSION_MAX_SECONDS: i64 = 7 * 24 * 3600;
/// Failures of one account before login is slowed.
pub const ACCOUNT_FREE_FAILURES: i64 = 5;
/// Failures from one address before login is slowed (offices share an address).
pub const ADDRESS_FREE_FAILURES: i64 = 20;
/// A count of failures is forgotten this long after its last failure: a day.
const FAILURES_FORGOTTEN_AFTER: i64 = 24 * 3600;
/// The longest wait after a failure: an hour.
const MAX_DELAY: i64 = 3600;
/// How often a session's last use is written (not on every request).
const LAST_SEEN_GRANULARITY: i64 = 60;
/// The shortest password a user may choose.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted (longer ones are refused before hashing).
const MAX_PASSWORD_BYTES: usize = 1024;
/// The longest login.
const MAX_LOGIN_CHARS: usize = 64;

/// A secret handed out once: a one-time password or a session token.
/// `Debug` does not show it; [`Secret::expose`] does.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// let (_store, password) = nianbao::store::Store::init(dir.path(), "某县").unwrap();
/// assert_eq!(format!("{password:?}"), "Secret(…)");
/// assert_eq!(password.expose().len(), 16);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, to print once or to put in a cookie.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Who is calling: the account behind a session. Only the store makes one
/// ([`crate::store::Store::session`], [`crate::store::Store::login`]), so a
/// caller cannot forge it; every call of the store checks what it allows.
///
/// Serialized (for `GET /api/me`) without the CSRF token; `Debug` does not
/// show it either.
#[derive(Clone, Serialize)]
pub struct Principal {
    /// The account's id.
    pub account_id: i64,
    /// The login name.
    pub login: String,
    /// Administrator or clerk.
    pub role: Role,
    /// The clerk's agency; `None` for an administrator.
    pub agency_id: Option<i64>,
    /// The password is a one-time password that should be changed.
    pub must_change_password: bool,
    /// SHA-256 of the session token; `None` for the console.
    #[serde(skip)]
    session: Option<[u8; 32]>,
    /// The session's CSRF token; empty for the console.
    #[serde(skip)]
    csrf: String,
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("account_id", &self.account_id)
            .field("login", &self.login)
            .field("role", &self.role)
            .field("agency_id", &self.agency_id)
            .finish_non_exhaustive()
    }
}

impl Principal {
    /// Whether this is a county administrator.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The session's CSRF token, to hand to the page (e.g. in `GET /api/me`)
    /// and to expect back in a header of every state-changing request.
    pub fn csrf_token(&self) -> &str {
        &self.csrf
    }

    /// Whether `candidate` is this session's CSRF token (compared in constant
    /// time). Always false for the console's principal.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let (store, password) = nianbao::store::Store::init(dir.path(), "某县").unwrap();
    /// let session = store.login("admin", password.expose(), "127.0.0.1".parse().unwrap()).unwrap();
    /// let csrf = session.principal.csrf_token().to_string();
    /// assert!(session.principal.csrf_matches(&csrf));
    /// assert!(!session.principal.csrf_matches(""));
    /// ```
    pub fn csrf_matches(&self, candidate: &str) -> bool {
        if self.csrf.is_empty() || candidate.len() != self.csrf.len() {
            return false;
        }
        let diff = self
            .csrf
            .bytes()
            .zip(candidate.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0
    }

    /// The SHA-256 of the session token, if this principal came from a session.
    pub(crate) fn session_hash(&self) -> Option<[u8; 32]> {
        self.session
    }

    /// Refuses anyone but an administrator.
    pub(crate) fn require_admin(&self) -> Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }

    /// Refuses a clerk of another agency (a change: [`StoreError::Forbidden`]).
    pub(crate) fn may_change(&self, agency_id: i64) -> Result<()> {
        if self.is_admin() || self.agency_id == Some(agency_id) {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }

    /// Refuses a clerk of another agency (a read: "no such agency", so ids
    /// do not tell which agencies exist).
    pub(crate) fn may_see(&self, agency_id: i64) -> Result<()> {
        if self.is_admin() || self.agency_id == Some(agency_id) {
            Ok(())
        } else {
            Err(StoreError::NotFound { what: "机关" })
        }
    }
}

/// A logged-in session, as [`crate::store::Store::login`] returns it.
#[derive(Debug, Clone)]
pub struct LoginSession {
    /// The session token, for the cookie. Shown nowhere else.
    pub token: Secret,
    /// Who logged in, with the session's CSRF token.
    pub principal: Principal,
    /// When the session ends at the latest (it ends earlier after
    /// [`SESSION_IDLE_SECONDS`] without use).
    pub expires_at: Timestamp,
}

/// An account as an administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// The account's id.
    pub id: i64,
    /// The login name.
    pub login: String,
    /// Administrator or clerk.
    pub role: Role,
    /// The clerk's agency.
    pub agency_id: Option<i64>,
    /// The clerk's agency's name.
    pub agency_name: Option<String>,
    /// The password is a one-time password not yet changed.
    pub must_change_password: bool,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A new account and its one-time password (shown once, never stored).
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The account.
    pub account: Account,
    /// Its one-time password.
    pub password: Secret,
}

/// Random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Internal(format!("无法取得随机数：{e}")))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random 256-bit token as 64 hex digits.
pub(crate) fn random_token() -> Result<String> {
    Ok(hex(&random_bytes::<32>()?))
}

/// The SHA-256 of a session token, if it has a token's shape.
fn token_hash(token: &str) -> Option<[u8; 32]> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(Sha256::digest(token.to_ascii_lowercase().as_bytes()).into())
}

/// The letters of one-time passwords: no 0/O, 1/l/I.
const PASSWORD_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// A one-time password: 16 characters of [`PASSWORD_ALPHABET`] (about 93 bits).
pub(crate) fn one_time_password() -> Result<Secret> {
    let n = PASSWORD_ALPHABET.len();
    let limit = 256 - 256 % n; // unbiased: bytes at or above are drawn again
    let mut out = String::with_capacity(16);
    while out.len() < 16 {
        for b in random_bytes::<32>()? {
            if usize::from(b) < limit && out.len() < 16 {
                out.push(char::from(PASSWORD_ALPHABET[usize::from(b) % n]));
            }
        }
    }
    Ok(Secret(out))
}

/// The argon2id hash of `password` with a random salt, as a PHC string.
pub(crate) fn hash_password(password: &str) -> Result<String> {
    let salt = random_bytes::<16>()?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Internal(format!("无法计算密码散列：{e}")))
}

/// Whether `password` matches the PHC string `hash`.
fn verify_password(password: &str, hash: &str) -> Result<bool> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Ok(false);
    }
    match Argon2::default().verify_password(password.as_bytes(), hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(StoreError::Internal(format!("密码散列无法读取：{e}"))),
    }
}

/// A hash to verify against when the login is unknown, so that an unknown
/// login takes as long as a wrong password.
fn dummy_hash() -> Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    let h = hash_password("nianbao-dummy-password")?;
    Ok(DUMMY.get_or_init(|| h))
}

/// A login as stored and as compared: trimmed, NFC, 1–64 letters, digits
/// or `. _ - @`; compared without case.
pub(crate) fn validate_login(login: &str) -> Result<(String, String)> {
    let login: String = login.trim().nfc().collect();
    let chars = login.chars().count();
    if chars == 0 {
        return Err(StoreError::Input("账号不能为空".into()));
    }
    if chars > MAX_LOGIN_CHARS {
        return Err(StoreError::Input(format!(
            "账号过长：{chars} 个字符，上限 {MAX_LOGIN_CHARS} 个"
        )));
    }
    if let Some(c) = login
        .chars()
        .find(|&c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
    {
        return Err(StoreError::Input(format!(
            "账号「{}」含有不允许的字符 U+{:04X}；只能用字母、数字和 . _ - @",
            login
                .chars()
                .filter(|c| !c.is_control())
                .collect::<String>(),
            c as u32
        )));
    }
    let key = login_key(&login);
    Ok((login, key))
}

/// How a login is compared: trimmed, NFC, lower case.
fn login_key(login: &str) -> String {
    login.trim().nfc().collect::<String>().to_lowercase()
}

/// The address failures are counted by: an IPv4 address, or an IPv6
/// address's /64 (one host usually has a whole /64).
fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Refuses a password a user chose that is too weak.
fn validate_new_password(login: &str, password: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(StoreError::Input(format!(
            "新密码太短：至少 {MIN_PASSWORD_CHARS} 个字符"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(StoreError::Input(format!(
            "新密码太长：至多 {MAX_PASSWORD_BYTES} 字节"
        )));
    }
    if password.chars().any(char::is_control) {
        return Err(StoreError::Input("新密码不能含控制字符".into()));
    }
    if login_key(password) == login_key(login) {
        return Err(StoreError::Input("新密码不能与账号相同".into()));
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Err(StoreError::Input(
            "新密码过于简单：至少要有 4 个不同的字符".into(),
        ));
    }
    Ok(())
}

/// The wait after `failures` failures when `free` are allowed: 0, then 30 s
/// doubling up to an hour.
fn delay(failures: i64, free: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = (failures - free).min(10) as u32;
    (30i64 << doublings).min(MAX_DELAY)
}

/// The columns of an account row that make a principal.
const PRINCIPAL_COLUMNS: &str = "a.id, a.login, a.role, a.agency_id, a.must_change_password";

fn principal_from_row(
    row: &rusqlite::Row<'_>,
    session: Option<[u8; 32]>,
    csrf: String,
) -> rusqlite::Result<Principal> {
    let role: String = row.get(2)?;
    Ok(Principal {
        account_id: row.get(0)?,
        login: row.get(1)?,
        role: Role::from_code(&role).unwrap_or(Role::Clerk),
        agency_id: row.get(3)?,
        must_change_password: row.get(4)?,
        session,
        csrf,
    })
}

/// What login needs of an account.
struct Credentials {
    id: i64,
    hash: String,
    locked_until: i64,
}

/// Creates an account; the login must be free.
pub(crate) fn insert_account(
    tx: &Transaction<'_>,
    login: &str,
    role: Role,
    agency_id: Option<i64>,
    password_hash: &str,
    now: Timestamp,
) -> Result<i64> {
    let (login, key) = validate_login(login)?;
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM accounts WHERE login_key = ?1)",
        [&key],
        |r| r.get(0),
    )?;
    if taken {
        return Err(StoreError::Input(format!("账号「{login}」已存在")));
    }
    tx.execute(
        "INSERT INTO accounts (login, login_key, role, agency_id, password_hash, must_change_password, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
        params![login, key, role.code(), agency_id, password_hash, now.unix()],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The account `id` as an administrator sees it.
pub(crate) fn account(conn: &Connection, id: i64) -> Result<Account> {
    conn.query_row(
        &format!("{ACCOUNT_SELECT} WHERE a.id = ?1"),
        [id],
        account_from_row,
    )
    .optional()?
    .ok_or(StoreError::NotFound { what: "账号" })
}

const ACCOUNT_SELECT: &str =
    "SELECT a.id, a.login, a.role, a.agency_id, g.name, a.must_change_password, a.created_at
     FROM accounts a LEFT JOIN agencies g ON g.id = a.agency_id";

fn account_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let role: String = row.get(2)?;
    Ok(Account {
        id: row.get(0)?,
        login: row.get(1)?,
        role: Role::from_code(&role).unwrap_or(Role::Clerk),
        agency_id: row.get(3)?,
        agency_name: row.get(4)?,
        must_change_password: row.get(5)?,
        created_at: Timestamp::from_unix(row.get(6)?),
    })
}

/// Every account, administrators first, then by login.
pub(crate) fn accounts(conn: &Connection) -> Result<Vec<Account>> {
    let mut stmt = conn.prepare(&format!(
        "{ACCOUNT_SELECT} ORDER BY a.role = 'clerk', a.login_key"
    ))?;
    let rows = stmt.query_map([], account_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The principal of the first administrator, for the command line.
pub(crate) fn console_admin(conn: &Connection) -> Result<Principal> {
    conn.query_row(
        &format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM accounts a WHERE a.role = 'admin' ORDER BY a.id LIMIT 1"
        ),
        [],
        |r| principal_from_row(r, None, String::new()),
    )
    .optional()?
    .ok_or_else(|| StoreError::Internal("数据库中没有管理员账号".into()))
}

/// The outcome of checking a login's credentials, before anything is written.
enum Verdict {
    Wrong(Option<i64>),
    Right(i64),
}

/// The login of `login` with `password` from `address` at `now`: see the module doc.
pub(crate) fn login(
    db: &super::db::Db,
    login: &str,
    password: &str,
    address: IpAddr,
    now: Timestamp,
) -> Result<LoginSession> {
    let key = login_key(login);
    let address = address_key(address);
    let (credentials, address_locked) = db.read(|c| {
        let credentials = c
            .query_row(
                "SELECT id, password_hash, locked_until FROM accounts WHERE login_key = ?1",
                [&key],
                |r| {
                    Ok(Credentials {
                        id: r.get(0)?,
                        hash: r.get(1)?,
                        locked_until: r.get(2)?,
                    })
                },
            )
            .optional()?;
        let address_locked: i64 = c
            .query_row(
                "SELECT locked_until FROM address_failures WHERE address = ?1",
                [&address],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        Ok((credentials, address_locked))
    })?;
    let locked_until = credentials
        .as_ref()
        .map_or(0, |c| c.locked_until)
        .max(address_locked);
    if locked_until > now.unix() {
        return Err(StoreError::RetryAfter {
            seconds: (locked_until - now.unix()) as u64,
        });
    }
    let verdict = match &credentials {
        Some(c) if verify_password(password, &c.hash)? => Verdict::Right(c.id),
        Some(c) => Verdict::Wrong(Some(c.id)),
        None => {
            verify_password(password, dummy_hash()?)?;
            Verdict::Wrong(None)
        }
    };
    let id = match verdict {
        Verdict::Wrong(id) => {
            db.write(|tx| record_failure(tx, id, &address, now))?;
            return Err(StoreError::BadLogin);
        }
        Verdict::Right(id) => id,
    };
    let token = random_token()?;
    let csrf = random_token()?;
    let hash = token_hash(&token).ok_or_else(|| StoreError::Internal("令牌格式错误".into()))?;
    let principal = db.write(|tx| {
        tx.execute(
            "UPDATE accounts SET failures = 0, locked_until = 0 WHERE id = ?1",
            [id],
        )?;
        delete_expired_sessions(tx, now)?;
        tx.execute(
            "INSERT INTO sessions (token_hash, account_id, csrf, created_at, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![hash, id, csrf, now.unix()],
        )?;
        Ok(tx.query_row(
            &format!("SELECT {PRINCIPAL_COLUMNS} FROM accounts a WHERE a.id = ?1"),
            [id],
            |r| principal_from_row(r, Some(hash), csrf.clone()),
        )?)
    })?;
    Ok(LoginSession {
        token: Secret(token),
        principal,
        expires_at: now.plus(SESSION_MAX_SECONDS),
    })
}

fn delete_expired_sessions(tx: &Transaction<'_>, now: Timestamp) -> Result<()> {
    tx.execute(
        "DELETE FROM sessions WHERE last_seen <= ?1 OR created_at <= ?2",
        params![
            now.unix() - SESSION_IDLE_SECONDS,
            now.unix() - SESSION_MAX_SECONDS
        ],
    )?;
    Ok(())
}

/// Counts a failed login against the account (if known) and the address.
fn record_failure(
    tx: &Transaction<'_>,
    account: Option<i64>,
    address: &str,
    now: Timestamp,
) -> Result<()> {
    let now = now.unix();
    let next = |failures: i64, last: i64| {
        if now - last > FAILURES_FORGOTTEN_AFTER {
            1
        } else {
            failures + 1
        }
    };
    if let Some(id) = account {
        let (failures, last): (i64, i64) = tx.query_row(
            "SELECT failures, last_failure FROM accounts WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let failures = next(failures, last);
        tx.execute(
            "UPDATE accounts SET failures = ?2, last_failure = ?3, locked_until = ?4 WHERE id = ?1",
            params![
                id,
                failures,
                now,
                now + delay(failures, ACCOUNT_FREE_FAILURES)
            ],
        )?;
    }
    tx.execute(
        "DELETE FROM address_failures WHERE last_failure < ?1",
        [now - FAILURES_FORGOTTEN_AFTER],
    )?;
    let (failures, last): (i64, i64) = tx
        .query_row(
            "SELECT failures, last_failure FROM address_failures WHERE address = ?1",
            [address],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, now));
    let failures = next(failures, last);
    tx.execute(
        "INSERT INTO address_failures (address, failures, last_failure, locked_until) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (address) DO UPDATE SET failures = ?2, last_failure = ?3, locked_until = ?4",
        params![
            address,
            failures,
            now,
            now + delay(failures, ADDRESS_FREE_FAILURES)
        ],
    )?;
    Ok(())
}

/// The principal of a session token, if the session exists and has not expired.
pub(crate) fn session(
    db: &super::db::Db,
    token: &str,
    now: Timestamp,
) -> Result<Option<Principal>> {
    let Some(hash) = token_hash(token) else {
        return Ok(None);
    };
    let found = db.read(|c| {
        Ok(c.query_row(
            &format!(
                "SELECT {PRINCIPAL_COLUMNS}, s.csrf, s.created_at, s.last_seen
                 FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?1"
            ),
            [hash],
            |r| {
                let principal = principal_from_row(r, Some(hash), r.get(5)?)?;
                Ok((principal, r.get::<_, i64>(6)?, r.get::<_, i64>(7)?))
            },
        )
        .optional()?)
    })?;
    let Some((principal, created, last_seen)) = found else {
        return Ok(None);
    };
    let t = now.unix();
    if t - last_seen >= SESSION_IDLE_SECONDS || t - created >= SESSION_MAX_SECONDS {
        db.write(|tx| {
            tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [hash])?;
            Ok(())
        })?;
        return Ok(None);
    }
    if t - last_seen >= LAST_SEEN_GRANULARITY {
        db.write(|tx| {
            tx.execute(
                "UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1",
                params![hash, t],
            )?;
            Ok(())
        })?;
    }
    Ok(Some(principal))
}

/// Ends the session of `token` (nothing if there is none).
pub(crate) fn logout(db: &super::db::Db, token: &str) -> Result<()> {
    let Some(hash) = token_hash(token) else {
        return Ok(());
    };
    db.write(|tx| {
        tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [hash])?;
        Ok(())
    })
}

/// Changes the password of `principal`'s account, after checking the old
/// one (a wrong one counts as a failed login); ends the account's other sessions.
pub(crate) fn change_password(
    db: &super::db::Db,
    principal: &Principal,
    old: &str,
    new: &str,
    now: Timestamp,
) -> Result<()> {
    validate_new_password(&principal.login, new)?;
    let (hash, locked_until): (String, i64) = db.read(|c| {
        Ok(c.query_row(
            "SELECT password_hash, locked_until FROM accounts WHERE id = ?1",
            [principal.account_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    })?;
    if locked_until > now.unix() {
        return Err(StoreError::RetryAfter {
            seconds: (locked_until - now.unix()) as u64,
        });
    }
    if !verify_password(old, &hash)? {
        db.write(|tx| {
            let now_s = now.unix();
            let (failures, last): (i64, i64) = tx.query_row(
                "SELECT failures, last_failure FROM accounts WHERE id = ?1",
                [principal.account_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let failures = if now_s - last > FAILURES_FORGOTTEN_AFTER {
                1
            } else {
                failures + 1
            };
            tx.execute(
                "UPDATE accounts SET failures = ?2, last_failure = ?3, locked_until = ?4 WHERE id = ?1",
                params![
                    principal.account_id,
                    failures,
                    now_s,
                    now_s + delay(failures, ACCOUNT_FREE_FAILURES)
                ],
            )?;
            Ok(())
        })?;
        return Err(StoreError::Input("原密码不正确".into()));
    }
    let new_hash = hash_password(new)?;
    db.write(|tx| {
        tx.execute(
            "UPDATE accounts SET password_hash = ?2, must_change_password = 0, failures = 0, locked_until = 0 WHERE id = ?1",
            params![principal.account_id, new_hash],
        )?;
        tx.execute(
            "DELETE FROM sessions WHERE account_id = ?1 AND token_hash IS NOT ?2",
            params![principal.account_id, principal.session_hash()],
        )?;
        Ok(())
    })
}

/// Gives account `id` a new one-time password and ends its sessions.
pub(crate) fn reset_password(tx: &Transaction<'_>, id: i64, hash: &str) -> Result<()> {
    let changed = tx.execute(
        "UPDATE accounts SET password_hash = ?2, must_change_password = 1, failures = 0, locked_until = 0 WHERE id = ?1",
        params![id, hash],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound { what: "账号" });
    }
    tx.execute("DELETE FROM sessions WHERE account_id = ?1", [id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_are_long_and_unambiguous() {
        let a = one_time_password().expect("random");
        let b = one_time_password().expect("random");
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 16);
        assert!(
            a.expose()
                .bytes()
                .all(|c| PASSWORD_ALPHABET.contains(&c) && !b"0O1lI".contains(&c))
        );
    }

    #[test]
    fn hashes_are_argon2id_phc_strings_with_random_salts() {
        let h1 = hash_password("correct horse").expect("hash");
        let h2 = hash_password("correct horse").expect("hash");
        assert!(h1.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h1}");
        assert_ne!(h1, h2);
        assert!(verify_password("correct horse", &h1).expect("verify"));
        assert!(!verify_password("correct horsf", &h1).expect("verify"));
        assert!(!verify_password(&"x".repeat(2000), &h1).expect("verify"));
    }

    #[test]
    fn delays_grow_and_stop_at_an_hour() {
        let seq: Vec<i64> = (3..=18).map(|f| delay(f, 5)).collect();
        assert_eq!(
            seq,
            [
                0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600, 3600, 3600, 3600
            ]
        );
    }

    #[test]
    fn logins_are_checked_and_compared_without_case() {
        assert_eq!(
            validate_login(" Tongji.Ju ").expect("ok"),
            ("Tongji.Ju".to_string(), "tongji.ju".to_string())
        );
        assert!(validate_login("统计局-1").is_ok());
        for bad in ["", "a b", "a/b", "a\u{0}b", &"a".repeat(65)] {
            assert!(validate_login(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn addresses_of_one_ipv6_network_count_together() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("ip");
        assert_eq!(address_key(a), address_key(b));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("ip");
        assert_eq!(address_key(mapped), "10.0.0.1");
    }

    #[test]
    fn weak_new_passwords_are_refused() {
        for bad in [
            "short",
            "aaaaaaaaaaaa",
            "abababababab",
            "Clerk.One1",
            "tab\tin-password",
        ] {
            assert!(validate_new_password("clerk.one1", bad).is_err(), "{bad}");
        }
        assert!(validate_new_password("clerk", "统计局的新密码2025").is_ok());
    }

    #[test]
    fn tokens_have_one_shape() {
        let t = random_token().expect("random");
        assert_eq!(t.len(), 64);
        assert!(token_hash(&t).is_some());
        assert!(token_hash("x").is_none());
        assert!(token_hash(&"g".repeat(64)).is_none());
    }
}
