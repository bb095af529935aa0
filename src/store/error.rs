//! The store's one error type, [`StoreError`]: Chinese messages, whether
//! the caller was wrong or we failed ([`StoreError::is_input`]), and the HTTP
//! status each maps to ([`StoreError::http_status`]).
//!
//! No message holds a password, a session token or a CSRF token.

use std::fmt;
use std::path::PathBuf;

use super::status::Status;
use super::time::Timestamp;
use crate::check::{Finding, Severity};

/// One bad line of a CSV file or one bad file of a batch folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportProblem {
    /// Where: `第 3 行` or a file's path.
    pub place: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}：{}", self.place, self.message)
    }
}

/// Why a call of the store failed.
///
/// ```
/// use nianbao::store::StoreError;
/// let e = StoreError::RetryAfter { seconds: 30 };
/// assert_eq!(e.http_status(), 429);
/// assert!(e.is_input());
/// assert_eq!(e.to_string(), "登录失败次数过多，请 30 秒后再试");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No session, or it expired or was logged out (401).
    #[error("未登录或登录已过期，请重新登录")]
    Unauthenticated,
    /// Wrong login or password; which of the two is not said (401).
    #[error("账号或密码不正确")]
    BadLogin,
    /// Too many failed logins for this account or from this address: login
    /// is refused for this many seconds, even with the right password (429).
    #[error("登录失败次数过多，请 {seconds} 秒后再试")]
    RetryAfter {
        /// Seconds until the next try is accepted.
        seconds: u64,
    },
    /// The caller may not do this: an administrator's call by a clerk, or a
    /// change to another agency's data (403).
    #[error("无权进行此操作")]
    Forbidden,
    /// No such thing, or the caller may not see it (a clerk asking for another
    /// agency's data is told it does not exist) (404).
    #[error("{what}不存在")]
    NotFound {
        /// What was asked for, e.g. 机关.
        what: &'static str,
    },
    /// The report changed since the caller read it: `expected_version` is
    /// stale. Nothing was saved (409).
    #[error(
        "报告已被 {saved_by} 于 {} 修改（现为第 {current_version} 版），你的修改未保存；请重新载入后再改",
        saved_at.to_beijing()
    )]
    Conflict {
        /// The version now stored.
        current_version: i64,
        /// The login of who made it.
        saved_by: String,
        /// When.
        saved_at: Timestamp,
    },
    /// The report's status does not allow this (e.g. saving a submitted
    /// report, returning a draft) (409).
    #[error("报告当前状态为「{status}」，不能{action}")]
    WrongStatus {
        /// The report's status.
        status: Status,
        /// What was tried, e.g. 保存.
        action: &'static str,
    },
    /// Submitting was refused by the check: errors block it, or warnings were
    /// not acknowledged (422).
    #[error("{}", findings_message(findings))]
    Findings {
        /// Every finding of the report (errors and warnings).
        findings: Vec<Finding>,
    },
    /// A value given is wrong: the report's JSON, a name, a login, a password
    /// that is too weak, a missing reason (400).
    #[error("{0}")]
    Input(String),
    /// A CSV file or a batch folder has bad lines or files; nothing was imported (400).
    #[error("未导入任何内容，共 {} 处问题：\n{}", .0.len(), problems_message(.0))]
    Import(Vec<ImportProblem>),
    /// `init` on a folder that already holds a database (400).
    #[error("{}：数据库已初始化，不能再次初始化", path.display())]
    AlreadyInitialised {
        /// The database file.
        path: PathBuf,
    },
    /// `open` on a folder without a database (400).
    #[error(
        "{}：没有数据库；请先运行 nianbao admin init --data <文件夹> --county <名称>",
        path.display()
    )]
    NotInitialised {
        /// The database file.
        path: PathBuf,
    },
    /// The database was written by a newer nianbao (500).
    #[error(
        "数据库结构版本为 {found}，本程序只支持到 {supported}：它由更新版本的 nianbao 写入，请升级 nianbao 后再打开"
    )]
    TooNew {
        /// The database's schema version.
        found: i64,
        /// The newest this program knows.
        supported: i64,
    },
    /// A file could not be read or written (500).
    #[error("{}: {}", path.display(), crate::read::io_reason(source, crate::read::IoAction::Write))]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The database failed (disk full, corrupt file, …) (500).
    #[error("数据库错误：{0}")]
    Database(#[from] rusqlite::Error),
    /// Something that should not happen did (500).
    #[error("内部错误：{0}")]
    Internal(String),
}

fn findings_message(findings: &[Finding]) -> String {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    if errors > 0 {
        format!("数据未通过校验（{errors} 个错误），不能提交")
    } else {
        format!("有 {} 个警告，请逐条确认后再提交", findings.len() - errors)
    }
}

fn problems_message(problems: &[ImportProblem]) -> String {
    problems
        .iter()
        .map(ImportProblem::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl StoreError {
    /// True when the caller was wrong (bad input, not allowed, stale, not
    /// logged in), false when we failed (the database, the disk).
    pub fn is_input(&self) -> bool {
        !matches!(
            self,
            StoreError::TooNew { .. }
                | StoreError::Io { .. }
                | StoreError::Database(_)
                | StoreError::Internal(_)
        )
    }

    /// The HTTP status this error is answered with: 400, 401, 403, 404, 409,
    /// 422, 429 or 500.
    pub fn http_status(&self) -> u16 {
        match self {
            StoreError::Input(_)
            | StoreError::Import(_)
            | StoreError::AlreadyInitialised { .. }
            | StoreError::NotInitialised { .. } => 400,
            StoreError::Unauthenticated | StoreError::BadLogin => 401,
            StoreError::Forbidden => 403,
            StoreError::NotFound { .. } => 404,
            StoreError::Conflict { .. } | StoreError::WrongStatus { .. } => 409,
            StoreError::Findings { .. } => 422,
            StoreError::RetryAfter { .. } => 429,
            StoreError::TooNew { .. }
            | StoreError::Io { .. }
            | StoreError::Database(_)
            | StoreError::Internal(_) => 500,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

/// The store's result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_status_and_a_chinese_message() {
        let all = [
            StoreError::Unauthenticated,
            StoreError::BadLogin,
            StoreError::RetryAfter { seconds: 1 },
            StoreError::Forbidden,
            StoreError::NotFound { what: "机关" },
            StoreError::Conflict {
                current_version: 3,
                saved_by: "a".into(),
                saved_at: Timestamp::from_unix(0),
            },
            StoreError::WrongStatus {
                status: Status::Submitted,
                action: "保存",
            },
            StoreError::Findings { findings: vec![] },
            StoreError::Input("坏".into()),
            StoreError::Import(vec![ImportProblem {
                place: "第 2 行".into(),
                message: "坏".into(),
            }]),
            StoreError::AlreadyInitialised { path: "x".into() },
            StoreError::NotInitialised { path: "x".into() },
            StoreError::TooNew {
                found: 9,
                supported: 1,
            },
            StoreError::io("x", std::io::Error::other("x")),
            StoreError::Internal("x".into()),
        ];
        for e in &all {
            let text = e.to_string();
            assert!(
                text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{text}"
            );
            assert_eq!(e.is_input(), e.http_status() < 500, "{text}");
        }
    }
}
