//! The words of the store: who an account is ([`Role`]), where a report is
//! in its life ([`Status`]) and what was done to it ([`Action`]). Each has
//! a code (stored in the database and sent in JSON) and a Chinese label.

use std::fmt;

use serde::Serialize;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 县级管理员: sees every agency, manages agencies and accounts, returns
    /// submitted reports, sets the deadline.
    Admin,
    /// 填报人: bound to one agency; sees and edits only its reports.
    Clerk,
}

impl Role {
    /// 县级管理员 or 填报人.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "县级管理员",
            Role::Clerk => "填报人",
        }
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clerk => "clerk",
        }
    }

    pub(crate) fn from_code(code: &str) -> Option<Role> {
        [Role::Admin, Role::Clerk]
            .into_iter()
            .find(|r| r.code() == code)
    }
}

/// Where an agency's report of one year is in its life:
/// 未开始 → 草稿 → 已提交 → 已退回 → 草稿 …
///
/// ```
/// use nianbao::store::Status;
/// assert_eq!(Status::Returned.to_string(), "已退回");
/// assert_eq!(serde_json::to_string(&Status::NotStarted).unwrap(), "\"not_started\"");
/// assert!(Status::Returned.editable() && !Status::Submitted.editable());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 未开始: nothing saved yet.
    NotStarted,
    /// 草稿: saved, not submitted.
    Draft,
    /// 已提交: submitted; read-only for the agency until the county returns it.
    Submitted,
    /// 已退回: returned by the county with a reason; the agency edits again.
    Returned,
}

impl Status {
    /// Every status, in the order of the report's life.
    pub const ALL: [Status; 4] = [
        Status::NotStarted,
        Status::Draft,
        Status::Submitted,
        Status::Returned,
    ];

    /// 未开始, 草稿, 已提交 or 已退回.
    pub fn label(self) -> &'static str {
        match self {
            Status::NotStarted => "未开始",
            Status::Draft => "草稿",
            Status::Submitted => "已提交",
            Status::Returned => "已退回",
        }
    }

    /// Whether a draft may be saved in this status (everything but 已提交).
    pub fn editable(self) -> bool {
        self != Status::Submitted
    }

    /// The code stored and sent: `not_started`, `draft`, `submitted`, `returned`.
    pub fn code(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Returned => "returned",
        }
    }

    pub(crate) fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What one version of a report records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 保存: a draft was saved (new data).
    Save,
    /// 提交: submitted.
    Submit,
    /// 退回: returned by the county, with a reason.
    Return,
    /// 导入: imported from last year's batch folder (new data, submitted).
    Import,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 4] = [Action::Save, Action::Submit, Action::Return, Action::Import];

    /// 保存, 提交, 退回 or 导入.
    pub fn label(self) -> &'static str {
        match self {
            Action::Save => "保存",
            Action::Submit => "提交",
            Action::Return => "退回",
            Action::Import => "导入",
        }
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            Action::Save => "save",
            Action::Submit => "submit",
            Action::Return => "return",
            Action::Import => "import",
        }
    }

    pub(crate) fn from_code(code: &str) -> Option<Action> {
        [Action::Save, Action::Submit, Action::Return, Action::Import]
            .into_iter()
            .find(|a| a.code() == code)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
        }
        for r in [Role::Admin, Role::Clerk] {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        for a in [Action::Save, Action::Submit, Action::Return, Action::Import] {
            assert_eq!(Action::from_code(a.code()), Some(a));
        }
        assert_eq!(Status::from_code("x"), None);
    }
}
