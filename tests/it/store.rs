//! The county server's store (`nianbao::store`): the file and its
//! migrations, accounts and sessions, the isolation of agencies, the life of
//! a report with its versions, the county view, backup, and a process killed
//! in the middle of saving.

use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use nianbao::store::{
    Action, ManualClock, NewAgency, Principal, Role, SCHEMA_VERSION, Status, Store, StoreError,
    Timestamp,
};

/// 2025-01-10T00:00:00Z.
const START: i64 = 1_736_467_200;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("an address")
}

/// A new store with a manual clock, and its administrator's principal.
struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
    clock: Arc<ManualClock>,
    admin: Principal,
    admin_password: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix(START)));
    let (store, password) =
        Store::init_with_clock(dir.path(), "潢川县", clock.clone()).expect("init");
    let admin = store
        .login("admin", password.expose(), ip("127.0.0.1"))
        .expect("admin logs in")
        .principal;
    Fixture {
        dir,
        store,
        clock,
        admin,
        admin_password: password.expose().to_string(),
    }
}

impl Fixture {
    /// An agency and a logged-in clerk of it.
    fn agency_with_clerk(&self, name: &str, login: &str) -> (i64, Principal) {
        let agency = self
            .store
            .create_agency(&self.admin, &NewAgency::named(name))
            .expect("agency");
        let clerk = self
            .store
            .create_clerk(&self.admin, agency.id, login)
            .expect("clerk");
        let session = self
            .store
            .login(login, clerk.password.expose(), ip("10.0.0.2"))
            .expect("clerk logs in");
        (agency.id, session.principal)
    }
}

/// A report of `agency` for `year` as JSON, from TOML lines after `[report]`.
fn json(agency: &str, year: u16, extra: &str) -> Vec<u8> {
    let report = nianbao::model::Report::from_toml_str(
        &format!("[report]\nagency = \"{agency}\"\nyear = {year}\n{extra}"),
        "test.toml",
    )
    .expect("test report loads");
    serde_json::to_vec(&report).expect("serializes")
}

/// TOML lines that break R1 (an error).
const R1_BROKEN: &str = "[applications]\nnew = [2, 0, 0, 0, 0, 0]\ngranted = [1, 0, 0, 0, 0, 0]\n";
/// TOML lines that pass R1.
const CONSISTENT: &str = "[applications]\nnew = [2, 0, 0, 0, 0, 0]\ngranted = [2, 0, 0, 0, 0, 0]\n";

// ---------------------------------------------------------------------------
// The file

#[test]
fn store_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Store>();
    shared::<Arc<Store>>();
}

#[test]
fn reopening_migrates_nothing_twice_and_keeps_everything() {
    let f = fixture();
    let (agency, clerk) = f.agency_with_clerk("某县统计局", "tongji");
    f.store
        .save_draft(
            &clerk,
            agency,
            2024,
            0,
            &json("某县统计局", 2024, CONSISTENT),
        )
        .expect("saves");
    drop(f.store);
    let conn = rusqlite::Connection::open(f.dir.path().join("nianbao.db")).expect("sqlite");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version");
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal_mode");
    assert_eq!(mode, "wal");
    drop(conn);
    let store = Store::open(f.dir.path()).expect("reopens");
    assert_eq!(store.county_name().expect("county"), "潢川县");
    let admin = store.console_admin().expect("admin");
    let report = store.report(&admin, agency, 2024).expect("report");
    assert_eq!((report.status, report.version), (Status::Draft, 1));
    // The session of before the restart is still good.
    assert_eq!(store.accounts(&admin).expect("accounts").len(), 2);
}

#[test]
fn a_database_of_a_newer_nianbao_is_refused_in_chinese() {
    let f = fixture();
    drop(f.store);
    let conn = rusqlite::Connection::open(f.dir.path().join("nianbao.db")).expect("sqlite");
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .expect("bump");
    drop(conn);
    let err = Store::open(f.dir.path()).expect_err("refused");
    assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
    assert!(err.to_string().contains("请升级 nianbao"), "{err}");
    assert!(!err.is_input());
}

#[test]
fn init_twice_and_open_without_init_are_refused() {
    let f = fixture();
    let err = Store::init(f.dir.path(), "潢川县").expect_err("second init refused");
    assert!(
        matches!(err, StoreError::AlreadyInitialised { .. }),
        "{err}"
    );
    // The first administrator's password still works.
    f.store
        .login("admin", &f.admin_password, ip("127.0.0.1"))
        .expect("unchanged");
    let empty = tempfile::tempdir().expect("temp dir");
    let err = Store::open(empty.path()).expect_err("no database");
    assert!(err.to_string().contains("nianbao admin init"), "{err}");
    assert!(Store::init(empty.path(), " ").is_err(), "a blank county");
    assert!(
        Store::init(empty.path(), "某\u{0}县").is_err(),
        "a control character"
    );
}

// ---------------------------------------------------------------------------
// Accounts and sessions

#[test]
fn sessions_expire_when_idle_and_after_seven_days_and_on_logout() {
    let f = fixture();
    let session = f
        .store
        .login("ADMIN", &f.admin_password, ip("127.0.0.1"))
        .expect("login ignores case");
    let token = session.token.expose().to_string();
    let me = f.store.session(&token).expect("ok").expect("a session");
    assert_eq!((me.login.as_str(), me.role), ("admin", Role::Admin));
    assert!(me.must_change_password);
    assert_eq!(me.csrf_token(), session.principal.csrf_token());
    assert_eq!(me.csrf_token().len(), 64);
    // Idle for just under 12 hours: still good; 12 hours: gone.
    f.clock.advance(12 * 3600 - 1);
    assert!(f.store.session(&token).expect("ok").is_some());
    f.clock.advance(12 * 3600);
    assert!(f.store.session(&token).expect("ok").is_none(), "idle");
    // Used every 11 hours, a session still ends 7 days after login.
    let session = f
        .store
        .login("admin", &f.admin_password, ip("127.0.0.1"))
        .expect("login");
    let token = session.token.expose().to_string();
    let mut alive = 0;
    while f.store.session(&token).expect("ok").is_some() {
        alive += 1;
        f.clock.advance(11 * 3600);
    }
    assert_eq!(alive, 16, "7 days = 15.3 periods of 11 hours");
    // Logout ends a session; forged and malformed tokens are no session.
    let session = f
        .store
        .login("admin", &f.admin_password, ip("127.0.0.1"))
        .expect("login");
    let token = session.token.expose().to_string();
    f.store.logout(&token).expect("logout");
    assert!(f.store.session(&token).expect("ok").is_none());
    for forged in ["", "x", &"0".repeat(64), &"é".repeat(32), &token[..63]] {
        assert!(f.store.session(forged).expect("ok").is_none(), "{forged}");
    }
}

#[test]
fn failed_logins_slow_down_the_account_until_the_wait_is_over() {
    let f = fixture();
    let home = ip("192.0.2.1");
    for _ in 0..4 {
        let e = f.store.login("admin", "wrong", home).expect_err("wrong");
        assert!(matches!(e, StoreError::BadLogin), "{e}");
    }
    // A success resets the count.
    f.store
        .login("admin", &f.admin_password, home)
        .expect("right");
    for _ in 0..5 {
        let e = f.store.login("admin", "wrong", home).expect_err("wrong");
        assert!(matches!(e, StoreError::BadLogin), "{e}");
    }
    // Now even the right password waits; from another address too.
    let e = f
        .store
        .login("admin", &f.admin_password, ip("198.51.100.7"))
        .expect_err("slowed");
    assert!(matches!(e, StoreError::RetryAfter { seconds: 30 }), "{e}");
    assert_eq!(e.http_status(), 429);
    f.clock.advance(29);
    assert!(matches!(
        f.store.login("admin", &f.admin_password, home),
        Err(StoreError::RetryAfter { seconds: 1 })
    ));
    f.clock.advance(1);
    // One more failure doubles the wait.
    f.store.login("admin", "wrong", home).expect_err("wrong");
    assert!(matches!(
        f.store.login("admin", &f.admin_password, home),
        Err(StoreError::RetryAfter { seconds: 60 })
    ));
    f.clock.advance(60);
    f.store
        .login("admin", &f.admin_password, home)
        .expect("after the wait");
}

#[test]
fn failed_logins_slow_down_the_address_whatever_the_login() {
    let f = fixture();
    let attacker = ip("203.0.113.9");
    for i in 0..20 {
        let e = f
            .store
            .login(&format!("guess{i}"), "x", attacker)
            .expect_err("unknown login");
        assert!(matches!(e, StoreError::BadLogin), "{e}");
    }
    let e = f
        .store
        .login("admin", &f.admin_password, attacker)
        .expect_err("address slowed");
    assert!(matches!(e, StoreError::RetryAfter { seconds: 30 }), "{e}");
    f.store
        .login("admin", &f.admin_password, ip("203.0.113.10"))
        .expect("another address is not slowed");
    // An IPv6 client is counted by its /64.
    for i in 0..20 {
        let a = ip(&format!("2001:db8::{:x}", i + 1));
        f.store.login("nobody", "x", a).expect_err("unknown");
    }
    assert!(matches!(
        f.store
            .login("admin", &f.admin_password, ip("2001:db8::ffff")),
        Err(StoreError::RetryAfter { .. })
    ));
}

#[test]
fn secrets_appear_in_no_debug_output_and_no_error() {
    let f = fixture();
    let session = f
        .store
        .login("admin", &f.admin_password, ip("127.0.0.1"))
        .expect("login");
    let clerk = f
        .store
        .create_admin(&f.admin, "second")
        .expect("second admin");
    let secrets = [
        session.token.expose().to_string(),
        session.principal.csrf_token().to_string(),
        f.admin_password.clone(),
        clerk.password.expose().to_string(),
    ];
    let shown = [
        format!("{session:?}"),
        format!("{:?}", session.principal),
        format!("{clerk:?}"),
        format!("{:?}", f.store),
        serde_json::to_string(&session.principal).expect("json"),
        f.store
            .login("admin", &secrets[0], ip("127.0.0.1"))
            .expect_err("wrong")
            .to_string(),
        f.store
            .change_password(&f.admin, &secrets[2], &secrets[2][..4])
            .expect_err("short")
            .to_string(),
    ];
    for text in &shown {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{text}");
        }
    }
    let accounts =
        serde_json::to_string(&f.store.accounts(&f.admin).expect("accounts")).expect("json");
    assert!(!accounts.contains("argon2"), "{accounts}");
}

#[test]
fn changing_the_password_checks_the_old_one_and_ends_other_sessions() {
    let f = fixture();
    let other = f
        .store
        .login("admin", &f.admin_password, ip("127.0.0.1"))
        .expect("a second session");
    let e = f
        .store
        .change_password(&f.admin, "not it", "统计局的新密码2025")
        .expect_err("wrong old password");
    assert!(e.to_string().contains("原密码不正确"), "{e}");
    for weak in ["short", "aaaaaaaaaaaaaa", "ADMIN"] {
        assert!(
            f.store
                .change_password(&f.admin, &f.admin_password, weak)
                .is_err()
        );
    }
    f.store
        .change_password(&f.admin, &f.admin_password, "统计局的新密码2025")
        .expect("changed");
    assert!(f.store.session(other.token.expose()).expect("ok").is_none());
    assert!(matches!(
        f.store.login("admin", &f.admin_password, ip("127.0.0.1")),
        Err(StoreError::BadLogin)
    ));
    let me = f
        .store
        .login("admin", "统计局的新密码2025", ip("127.0.0.1"))
        .expect("new password")
        .principal;
    assert!(!me.must_change_password);
    // An administrator's reset gives a new one-time password and ends sessions.
    let (_, clerk) = f.agency_with_clerk("某县统计局", "tongji");
    let reset = f
        .store
        .reset_password(&me, clerk.account_id)
        .expect("reset");
    f.store
        .login("tongji", reset.expose(), ip("10.0.0.3"))
        .expect("the reset password");
}

// ---------------------------------------------------------------------------
// Isolation

#[test]
fn a_clerk_can_touch_no_other_agency_by_any_call() {
    let f = fixture();
    let (a, clerk_a) = f.agency_with_clerk("某县统计局", "tongji");
    let (b, clerk_b) = f.agency_with_clerk("某县财政局", "caizheng");
    let b_json = json("某县财政局", 2024, CONSISTENT);
    f.store
        .save_draft(&clerk_b, b, 2024, 0, &b_json)
        .expect("B saves");
    f.store
        .submit(&clerk_b, b, 2024, 1, false)
        .expect("B submits");
    let before = f.store.history(&f.admin, b, 2024).expect("B's history");
    let prev = tempfile::tempdir().expect("temp dir");
    let s = &f.store;
    let c = &clerk_a;
    let not_found = |r: Result<(), StoreError>, what: &str| match r {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("{what}: {other:?}"),
    };
    let forbidden = |r: Result<(), StoreError>, what: &str| match r {
        Err(StoreError::Forbidden) => {}
        other => panic!("{what}: {other:?}"),
    };
    // Reads of B: "no such agency", for B and for ids that do not exist.
    for id in [b, 999_999] {
        not_found(s.report(c, id, 2024).map(drop), "report");
        not_found(s.history(c, id, 2024).map(drop), "history");
        not_found(s.version_json(c, id, 2024, 1).map(drop), "version_json");
        not_found(s.agency(c, id).map(drop), "agency");
    }
    not_found(
        s.agency_by_name(c, "某县财政局").map(drop),
        "agency_by_name",
    );
    // Changes to B: forbidden, whether the version is right or not.
    for version in [0, 1, 2] {
        forbidden(
            s.save_draft(c, b, 2024, version, &b_json).map(drop),
            "save_draft",
        );
        forbidden(s.submit(c, b, 2024, version, true).map(drop), "submit");
        forbidden(
            s.return_report(c, b, 2024, version, "原因").map(drop),
            "return_report",
        );
    }
    // Administrators' calls, even on the clerk's own agency.
    forbidden(
        s.return_report(c, a, 2024, 0, "原因").map(drop),
        "return own",
    );
    forbidden(s.create_clerk(c, b, "mole").map(drop), "create_clerk B");
    forbidden(s.create_clerk(c, a, "mole").map(drop), "create_clerk A");
    forbidden(s.create_admin(c, "mole").map(drop), "create_admin");
    forbidden(
        s.reset_password(c, clerk_b.account_id).map(drop),
        "reset_password",
    );
    forbidden(s.accounts(c).map(drop), "accounts");
    forbidden(
        s.create_agency(c, &NewAgency::named("某县新局")).map(drop),
        "create_agency",
    );
    forbidden(s.county(c, 2024).map(drop), "county");
    forbidden(s.submitted_reports(c, 2024).map(drop), "submitted_reports");
    forbidden(s.set_deadline(c, 2024, None).map(drop), "set_deadline");
    forbidden(
        s.import_agencies_csv(c, "机关全称\n某县新局\n".as_bytes())
            .map(drop),
        "import_agencies_csv",
    );
    forbidden(
        s.import_previous(c, prev.path()).map(drop),
        "import_previous",
    );
    // What the clerk may see is their own agency only.
    let seen = s.agencies(c).expect("agencies");
    assert_eq!(seen.iter().map(|x| x.id).collect::<Vec<_>>(), [a]);
    assert_eq!(s.agencies(&f.admin).expect("all").len(), 2);
    assert!(s.deadline(c, 2024).expect("deadline").is_none());
    // And B's report is exactly as it was.
    assert_eq!(s.history(&f.admin, b, 2024).expect("history"), before);
    assert_eq!(
        s.report(&clerk_b, b, 2024)
            .expect("B")
            .json
            .expect("data")
            .as_bytes(),
        &b_json[..]
    );
    assert_eq!(s.accounts(&f.admin).expect("accounts").len(), 3);
}

// ---------------------------------------------------------------------------
// A report's life

#[test]
fn two_tabs_never_overwrite_each_other_silently() {
    let f = fixture();
    let (a, clerk) = f.agency_with_clerk("某县统计局", "tongji");
    let first = json("某县统计局", 2024, CONSISTENT);
    f.store.save_draft(&clerk, a, 2024, 0, &first).expect("v1");
    // Both tabs loaded version 1.
    let tab1 = json("某县统计局", 2024, "[text]\noverview = \"标签页一\"\n");
    let tab2 = json("某县统计局", 2024, "[text]\noverview = \"标签页二\"\n");
    f.clock.advance(5);
    let saved = f
        .store
        .save_draft(&clerk, a, 2024, 1, &tab1)
        .expect("tab 1");
    assert_eq!(saved.version, 2);
    let e = f
        .store
        .save_draft(&clerk, a, 2024, 1, &tab2)
        .expect_err("tab 2 is stale");
    match &e {
        StoreError::Conflict {
            current_version,
            saved_by,
            saved_at,
        } => {
            assert_eq!(*current_version, 2);
            assert_eq!(saved_by, "tongji");
            assert_eq!(saved_at.unix(), START + 5);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.http_status(), 409);
    assert!(e.to_string().contains("请重新载入"), "{e}");
    // Another person (the county) on a stale version: the same.
    assert!(matches!(
        f.store.save_draft(&f.admin, a, 2024, 1, &tab2),
        Err(StoreError::Conflict { .. })
    ));
    let now = f.store.report(&clerk, a, 2024).expect("report");
    assert_eq!(now.json.as_deref().map(str::as_bytes), Some(&tab1[..]));
    // A retry of tab 1's save (its answer was lost) is that save, not a conflict.
    let again = f
        .store
        .save_draft(&clerk, a, 2024, 1, &tab1)
        .expect("retry");
    assert_eq!(again.version, 2);
    assert_eq!(f.store.history(&clerk, a, 2024).expect("history").len(), 2);
}

#[test]
fn every_transition_is_a_version_with_who_when_and_why() {
    let f = fixture();
    let (a, clerk) = f.agency_with_clerk("某县统计局", "tongji");
    let state = f.store.report(&clerk, a, 2024).expect("report");
    assert_eq!(
        (state.status, state.version, state.json),
        (Status::NotStarted, 0, None)
    );
    assert!(matches!(
        f.store.submit(&clerk, a, 2024, 0, true),
        Err(StoreError::WrongStatus {
            status: Status::NotStarted,
            ..
        })
    ));
    let v1 = json("某县统计局", 2024, CONSISTENT);
    assert_eq!(
        f.store
            .save_draft(&clerk, a, 2024, 0, &v1)
            .expect("save")
            .version,
        1
    );
    // The same data again makes no version.
    assert_eq!(
        f.store
            .save_draft(&clerk, a, 2024, 1, &v1)
            .expect("same")
            .version,
        1
    );
    f.clock.advance(60);
    let submitted = f.store.submit(&clerk, a, 2024, 1, false).expect("submit");
    assert_eq!(
        (submitted.version, submitted.status),
        (2, Status::Submitted)
    );
    // Read-only for the agency now.
    let e = f
        .store
        .save_draft(&clerk, a, 2024, 2, &v1)
        .expect_err("read-only");
    assert!(
        matches!(
            e,
            StoreError::WrongStatus {
                status: Status::Submitted,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("已提交"), "{e}");
    assert!(f.store.submit(&clerk, a, 2024, 2, true).is_err(), "twice");
    // Return needs a reason.
    for blank in ["", "  \n "] {
        let e = f
            .store
            .return_report(&f.admin, a, 2024, 2, blank)
            .expect_err("no reason");
        assert!(e.to_string().contains("原因"), "{e}");
    }
    f.clock.advance(60);
    let returned = f
        .store
        .return_report(&f.admin, a, 2024, 2, "第六部分缺少数据来源说明")
        .expect("return");
    assert_eq!((returned.version, returned.status), (3, Status::Returned));
    let state = f.store.report(&clerk, a, 2024).expect("report");
    assert_eq!(
        state.return_reason.as_deref(),
        Some("第六部分缺少数据来源说明")
    );
    assert!(matches!(
        f.store.return_report(&f.admin, a, 2024, 3, "再退"),
        Err(StoreError::WrongStatus {
            status: Status::Returned,
            ..
        })
    ));
    // The clerk edits again: a draft, then submits.
    let v4 = json(
        "某县统计局",
        2024,
        &format!("{CONSISTENT}[text]\nother_matters = \"数据来源：台账\"\n"),
    );
    f.clock.advance(60);
    let saved = f.store.save_draft(&clerk, a, 2024, 3, &v4).expect("edit");
    assert_eq!((saved.version, saved.status), (4, Status::Draft));
    f.store.submit(&clerk, a, 2024, 4, false).expect("resubmit");
    let history = f.store.history(&f.admin, a, 2024).expect("history");
    let steps: Vec<(i64, Action, Status, &str, bool)> = history
        .iter()
        .map(|v| (v.version, v.action, v.status, v.by.as_str(), v.has_data))
        .collect();
    assert_eq!(
        steps,
        [
            (1, Action::Save, Status::Draft, "tongji", true),
            (2, Action::Submit, Status::Submitted, "tongji", false),
            (3, Action::Return, Status::Returned, "admin", false),
            (4, Action::Save, Status::Draft, "tongji", true),
            (5, Action::Submit, Status::Submitted, "tongji", false),
        ]
    );
    assert_eq!(
        history[2].reason.as_deref(),
        Some("第六部分缺少数据来源说明")
    );
    assert_eq!(history[0].at.unix(), START);
    assert_eq!(history[4].at.unix(), START + 180);
    // The data of every version.
    for (version, data) in [(1, &v1), (2, &v1), (3, &v1), (4, &v4), (5, &v4)] {
        let got = f
            .store
            .version_json(&clerk, a, 2024, version)
            .expect("version");
        assert_eq!(got.as_bytes(), &data[..], "version {version}");
    }
    assert!(matches!(
        f.store.version_json(&clerk, a, 2024, 6),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn a_bad_draft_is_refused_with_the_readers_message_and_nothing_is_stored() {
    let f = fixture();
    let (a, clerk) = f.agency_with_clerk("某县统计局", "tongji");
    let cases: [(&[u8], &str); 5] = [
        (b"{", "语法错误"),
        (b"{\"report\": {\"agency\": \"\xe6\x9f\x90\xe5\x8e\xbf\xe7\xbb\x9f\xe8\xae\xa1\xe5\xb1\x80\", \"year\": 1999}}", "年度"),
        (&json("某县财政局", 2024, ""), "不一致"),
        (&json("某县统计局", 2023, ""), "应为 2024"),
        (b"\xff\xfe", "UTF-8"),
    ];
    for (body, expected) in cases {
        let e = f
            .store
            .save_draft(&clerk, a, 2024, 0, body)
            .expect_err("refused");
        assert!(matches!(e, StoreError::Input(_)), "{e}");
        assert_eq!(e.http_status(), 400);
        assert!(e.to_string().contains(expected), "{e}");
    }
    assert!(matches!(
        f.store
            .save_draft(&clerk, a, 1999, 0, &json("某县统计局", 2024, "")),
        Err(StoreError::Input(_))
    ));
    let state = f.store.report(&clerk, a, 2024).expect("report");
    assert_eq!((state.status, state.version), (Status::NotStarted, 0));
    assert!(
        f.store
            .history(&clerk, a, 2024)
            .expect("history")
            .is_empty()
    );
    // The name may differ in spaces and normal form: the same agency.
    let spaced = json(" 某县统计局 ", 2024, "");
    f.store
        .save_draft(&clerk, a, 2024, 0, &spaced)
        .expect("same agency");
}

#[test]
fn submitting_is_blocked_by_errors_and_by_unacknowledged_warnings() {
    let f = fixture();
    let (a, clerk) = f.agency_with_clerk("某县统计局", "tongji");
    let broken = json("某县统计局", 2024, R1_BROKEN);
    let saved = f
        .store
        .save_draft(&clerk, a, 2024, 0, &broken)
        .expect("a draft may be wrong");
    assert!(saved.errors > 0);
    let e = f
        .store
        .submit(&clerk, a, 2024, 1, true)
        .expect_err("blocked");
    match &e {
        StoreError::Findings { findings } => assert!(findings.iter().any(|x| x.rule == "R1")),
        other => panic!("{other:?}"),
    }
    assert_eq!(e.http_status(), 422);
    assert!(e.to_string().contains("不能提交"), "{e}");
    assert_eq!(
        f.store.report(&clerk, a, 2024).expect("r").status,
        Status::Draft
    );
    // D1: a 成文日期 inside the reported year is a warning.
    let warned = json(
        "某县统计局",
        2024,
        &format!("issued_on = \"2024-06-01\"\n{CONSISTENT}"),
    );
    let saved = f
        .store
        .save_draft(&clerk, a, 2024, 1, &warned)
        .expect("save");
    assert_eq!((saved.errors, saved.warnings), (0, 1));
    let e = f
        .store
        .submit(&clerk, a, 2024, 2, false)
        .expect_err("warnings");
    match &e {
        StoreError::Findings { findings } => assert_eq!(findings[0].rule, "D1"),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("确认"), "{e}");
    let done = f
        .store
        .submit(&clerk, a, 2024, 2, true)
        .expect("acknowledged");
    assert_eq!(done.status, Status::Submitted);
}

#[test]
fn last_years_imported_batch_feeds_r5_and_r6() {
    let f = fixture();
    let prev = tempfile::tempdir().expect("temp dir");
    let last = nianbao::model::Report::from_toml_str(
        "[report]\nagency = \"某县统计局\"\nyear = 2024\n",
        "x.toml",
    )
    .expect("report");
    std::fs::write(
        prev.path().join("tongji-2024.json"),
        serde_json::to_vec(&last).expect("json"),
    )
    .expect("write");
    std::fs::copy(
        "inputs/butaji-2024.toml",
        prev.path().join("butaji-2024.toml"),
    )
    .expect("copy");
    std::fs::write(prev.path().join(".hidden.toml"), "not read").expect("write");
    let summary = f
        .store
        .import_previous(&f.admin, prev.path())
        .expect("imported");
    assert_eq!(summary.created.len(), 2);
    assert_eq!(summary.reports.len(), 2);
    let tongji = f
        .store
        .agency_by_name(&f.admin, "某县统计局")
        .expect("created");
    let history = f.store.history(&f.admin, tongji.id, 2024).expect("history");
    assert_eq!(history[0].action, Action::Import);
    assert_eq!(history[0].status, Status::Submitted);
    // Importing again changes nothing.
    let again = f
        .store
        .import_previous(&f.admin, prev.path())
        .expect("again");
    assert_eq!((again.created.len(), again.unchanged_reports), (0, 2));
    // This year carries over 1 where last year carried forward 0: R5.
    let clerk = f
        .store
        .create_clerk(&f.admin, tongji.id, "tongji")
        .expect("clerk");
    let clerk = f
        .store
        .login("tongji", clerk.password.expose(), ip("10.0.0.9"))
        .expect("login")
        .principal;
    let this = json(
        "某县统计局",
        2025,
        "[applications]\ncarried_over = [1, 0, 0, 0, 0, 0]\ncarry_forward = [1, 0, 0, 0, 0, 0]\n",
    );
    let saved = f
        .store
        .save_draft(&clerk, tongji.id, 2025, 0, &this)
        .expect("save");
    assert_eq!(saved.errors, 0);
    assert!(
        saved.findings.iter().any(|x| x.rule == "R5"),
        "{:?}",
        saved.findings
    );
    let view = f.store.county(&f.admin, 2025).expect("county");
    let row = view
        .rows
        .iter()
        .find(|r| r.agency.id == tongji.id)
        .expect("row");
    assert_eq!(row.warnings, saved.warnings);
    // A different report of the same agency and year is refused, all or nothing.
    let mut changed = last.clone();
    changed.text.overview = Some("改过".into());
    std::fs::write(
        prev.path().join("tongji-2024.json"),
        serde_json::to_vec(&changed).expect("json"),
    )
    .expect("write");
    std::fs::write(
        prev.path().join("new-2024.toml"),
        "[report]\nagency = \"某县新局\"\nyear = 2024\n",
    )
    .expect("write");
    std::fs::write(prev.path().join("broken.toml"), "[report\n").expect("write");
    let e = f
        .store
        .import_previous(&f.admin, prev.path())
        .expect_err("refused");
    match &e {
        StoreError::Import(problems) => {
            assert_eq!(problems.len(), 2, "{problems:?}");
            assert!(problems[0].place.ends_with("broken.toml"), "{problems:?}");
            assert!(problems[1].message.contains("另一份报告"), "{problems:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        f.store.agency_by_name(&f.admin, "某县新局").is_err(),
        "nothing imported"
    );
}

#[test]
fn a_csv_with_a_bad_line_imports_nothing_and_names_every_line() {
    let f = fixture();
    let bad = "机关全称,简称,账号\n某县统计局,统计局,tongji\n,空,x\n某县统计局,重复,y\n";
    let e = f
        .store
        .import_agencies_csv(&f.admin, bad.as_bytes())
        .expect_err("refused");
    match &e {
        StoreError::Import(problems) => {
            let places: Vec<&str> = problems.iter().map(|p| p.place.as_str()).collect();
            assert_eq!(places, ["第 3 行", "第 4 行"], "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.http_status(), 400);
    assert!(f.store.agencies(&f.admin).expect("agencies").is_empty());
    let good = "机关全称,简称,账号\n某县统计局,统计局,tongji\n某县财政局,,\n";
    let summary = f
        .store
        .import_agencies_csv(&f.admin, good.as_bytes())
        .expect("imported");
    assert_eq!(summary.created.len(), 2);
    assert_eq!(summary.clerks.len(), 1);
    assert_eq!(summary.created[0].short_name.as_deref(), Some("统计局"));
    let clerk = &summary.clerks[0];
    f.store
        .login("tongji", clerk.password.expose(), ip("10.0.0.4"))
        .expect("the clerk logs in");
    // Again: agencies and the clerk are already there; nothing new.
    let again = f
        .store
        .import_agencies_csv(&f.admin, good.as_bytes())
        .expect("again");
    assert_eq!(
        (
            again.created.len(),
            again.existing.len(),
            again.clerks.len()
        ),
        (0, 2, 0)
    );
    // A login held by another agency's clerk is a bad line.
    let taken = "机关全称,账号\n某县财政局,tongji\n";
    assert!(matches!(
        f.store.import_agencies_csv(&f.admin, taken.as_bytes()),
        Err(StoreError::Import(_))
    ));
    // Duplicate agencies by name are refused whatever the spelling.
    let e = f
        .store
        .create_agency(&f.admin, &NewAgency::named(" 某县统计局 "))
        .expect_err("duplicate");
    assert!(e.to_string().contains("已存在"), "{e}");
}

// ---------------------------------------------------------------------------
// The county

#[test]
fn the_county_view_counts_findings_and_marks_late_agencies() {
    let f = fixture();
    let (a, clerk_a) = f.agency_with_clerk("某县统计局", "tongji");
    let (b, clerk_b) = f.agency_with_clerk("某县财政局", "caizheng");
    f.store
        .create_agency(&f.admin, &NewAgency::named("某县民政局"))
        .expect("c");
    let broken = json("某县统计局", 2024, R1_BROKEN);
    let report = nianbao::read_bytes(&broken, nianbao::InputKind::Json, "x").expect("reads");
    let errors = nianbao::check(&report).len() as u32;
    assert!(errors > 0);
    f.store
        .save_draft(&clerk_a, a, 2024, 0, &broken)
        .expect("a");
    f.store
        .save_draft(&clerk_b, b, 2024, 0, &json("某县财政局", 2024, CONSISTENT))
        .expect("b");
    f.store
        .submit(&clerk_b, b, 2024, 1, false)
        .expect("b submits");
    f.store
        .set_deadline(&f.admin, 2024, Some("2025-01-10".parse().expect("date")))
        .expect("deadline");
    let view = f.store.county(&f.admin, 2024).expect("view");
    assert_eq!(view.county, "潢川县");
    assert_eq!(
        view.deadline.map(|d| d.to_string()).as_deref(),
        Some("2025-01-10")
    );
    let rows: Vec<(&str, Status, i64, u32, bool)> = view
        .rows
        .iter()
        .map(|r| {
            (
                r.agency.name.as_str(),
                r.status,
                r.version,
                r.errors,
                r.late,
            )
        })
        .collect();
    // By name key (code points): 民 < 统 < 财.
    assert_eq!(
        rows,
        [
            ("某县民政局", Status::NotStarted, 0, 0, false),
            ("某县统计局", Status::Draft, 1, errors, false),
            ("某县财政局", Status::Submitted, 2, 0, false),
        ]
    );
    assert_eq!(view.rows[1].changed_by.as_deref(), Some("tongji"));
    assert_eq!(view.rows[2].submitted_at.map(Timestamp::unix), Some(START));
    // Midnight in Beijing after the deadline day: 2025-01-10T16:00:00Z.
    f.clock.set(Timestamp::from_unix(START + 16 * 3600 - 1));
    assert!(
        f.store
            .county(&f.admin, 2024)
            .expect("view")
            .rows
            .iter()
            .all(|r| !r.late)
    );
    f.clock.advance(1);
    let late: Vec<bool> = f
        .store
        .county(&f.admin, 2024)
        .expect("view")
        .rows
        .iter()
        .map(|r| r.late)
        .collect();
    assert_eq!(late, [true, true, false]);
    assert_eq!(
        f.store
            .deadline(&clerk_a, 2024)
            .expect("deadline")
            .map(|d| d.day),
        Some(10)
    );
    f.store.set_deadline(&f.admin, 2024, None).expect("cleared");
    assert!(
        f.store
            .county(&f.admin, 2024)
            .expect("view")
            .deadline
            .is_none()
    );
    // Another year has its own statuses.
    let other = f.store.county(&f.admin, 2023).expect("2023");
    assert!(other.rows.iter().all(|r| r.status == Status::NotStarted));
    // The submitted reports, for the county's batch.
    let submitted = f
        .store
        .submitted_reports(&f.admin, 2024)
        .expect("submitted");
    assert_eq!(submitted.len(), 1);
    assert_eq!(submitted[0].agency.id, b);
    assert_eq!(submitted[0].report.report.agency, "某县财政局");
    assert_eq!(submitted[0].version, 2);
}

// ---------------------------------------------------------------------------
// Nothing lost

/// One version: its number, what/who/when, and its data.
type Version = (i64, String, String);

/// Every report and every version of every agency, as the store gives them.
fn everything(store: &Store, year: u16) -> Vec<(String, Vec<Version>)> {
    let admin = store.console_admin().expect("admin");
    store
        .agencies(&admin)
        .expect("agencies")
        .into_iter()
        .map(|agency| {
            let versions = store
                .history(&admin, agency.id, year)
                .expect("history")
                .into_iter()
                .map(|v| {
                    let data = store
                        .version_json(&admin, agency.id, year, v.version)
                        .expect("data");
                    (
                        v.version,
                        format!("{:?} {:?} {} {}", v.action, v.status, v.by, v.at),
                        data,
                    )
                })
                .collect();
            (agency.name, versions)
        })
        .collect()
}

/// Copies a backup into a new data folder, as the restore instructions say.
fn restore(backup: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(backup, dir.path().join("nianbao.db")).expect("copy");
    dir
}

#[test]
fn a_backup_taken_while_saving_is_consistent_and_restores() {
    let f = fixture();
    let mut clerks = Vec::new();
    for i in 0..4 {
        let name = format!("某县第{i}局");
        clerks.push((f.agency_with_clerk(&name, &format!("clerk{i}")), name));
    }
    let store = Arc::new(f.store);
    let saver = {
        let store = store.clone();
        let clerks = clerks.clone();
        std::thread::spawn(move || {
            for n in 0..60 {
                for ((agency, clerk), name) in &clerks {
                    let text = format!("[text]\noverview = \"第 {n} 次\"\n");
                    store
                        .save_draft(clerk, *agency, 2024, n, &json(name, 2024, &text))
                        .expect("save");
                }
            }
        })
    };
    let out = tempfile::tempdir().expect("temp dir");
    let mut backups = Vec::new();
    for i in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(30));
        let file = out.path().join(format!("backup-{i}.db"));
        let size = store.backup(&file).expect("backup while saving");
        assert!(size > 0);
        backups.push(file);
    }
    saver.join().expect("saver");
    let live = everything(&store, 2024);
    // Each backup taken while saving holds a prefix of every report's versions,
    // each exactly as stored.
    for file in &backups {
        let dir = restore(file);
        let copy = everything(&Store::open(dir.path()).expect("opens"), 2024);
        assert_eq!(copy.len(), live.len());
        for ((name, versions), (live_name, live_versions)) in copy.iter().zip(&live) {
            assert_eq!(name, live_name);
            assert_eq!(versions[..], live_versions[..versions.len()]);
        }
    }
    // One taken after is the same in everything.
    let last = out.path().join("after.db");
    store.backup(&last).expect("backup");
    let dir = restore(&last);
    let restored = Store::open(dir.path()).expect("opens");
    assert_eq!(everything(&restored, 2024), live);
    assert_eq!(live[0].1.len(), 60);
    // The restored copy takes logins and saves as the original did.
    let admin = restored.console_admin().expect("admin");
    assert_eq!(restored.accounts(&admin).expect("accounts").len(), 5);
    // A backup never overwrites a file.
    let e = store.backup(&last).expect_err("exists");
    assert!(e.to_string().contains("不覆盖"), "{e}");
}

/// The env var that makes [`child_process_saving_until_killed`] run.
const CHILD_DIR: &str = "NIANBAO_STORE_CHILD_DIR";

#[test]
#[ignore = "a child process of a_killed_process_loses_no_acknowledged_save"]
fn child_process_saving_until_killed() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let store = Store::open(Path::new(&dir)).expect("opens");
    let admin = store.console_admin().expect("admin");
    let agency = store.agency_by_name(&admin, "某县统计局").expect("agency");
    let started = std::time::Instant::now();
    // Bounded: stops by itself after 20,000 saves or 60 s.
    for n in 0..20_000 {
        if started.elapsed().as_secs() > 60 {
            break;
        }
        let text = format!("[text]\noverview = \"第 {n} 次保存\"\n");
        let saved = store
            .save_draft(&admin, agency.id, 2024, n, &json("某县统计局", 2024, &text))
            .expect("save");
        // Printed only after the save returned: an acknowledged save.
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "saved {}", saved.version).expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn a_killed_process_loses_no_acknowledged_save() {
    let f = fixture();
    f.store
        .create_agency(&f.admin, &NewAgency::named("某县统计局"))
        .expect("agency");
    let before = f.dir.path().join("before.db");
    f.store.backup(&before).expect("backup");
    drop(f.store);
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "store::child_process_saving_until_killed",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, f.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("child starts");
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut acknowledged = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        if let Some(v) = line.strip_prefix("saved ") {
            acknowledged.push(v.parse::<i64>().expect("a version"));
            if acknowledged.len() == 200 {
                break;
            }
        }
    }
    // SIGKILL in the middle of the stream of saves.
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    for line in lines {
        let Ok(line) = line else { break };
        if let Some(v) = line.strip_prefix("saved ") {
            acknowledged.push(v.parse::<i64>().expect("a version"));
        }
    }
    assert!(acknowledged.len() >= 200, "{} saves", acknowledged.len());
    // The killed process left its WAL; a restore (README) removes it first.
    let crashed = tempfile::tempdir().expect("temp dir");
    let wal = f.dir.path().join("nianbao.db-wal");
    assert!(wal.exists(), "a killed writer leaves its WAL");
    for name in ["nianbao.db", "nianbao.db-wal", "nianbao.db-shm"] {
        let _ = std::fs::copy(f.dir.path().join(name), crashed.path().join(name));
    }
    for leftover in ["nianbao.db-wal", "nianbao.db-shm"] {
        std::fs::remove_file(crashed.path().join(leftover)).expect("removed");
    }
    std::fs::copy(&before, crashed.path().join("nianbao.db")).expect("restore");
    let restored = Store::open(crashed.path()).expect("restored");
    let admin = restored.console_admin().expect("admin");
    let agency = restored
        .agency_by_name(&admin, "某县统计局")
        .expect("agency");
    let state = restored.report(&admin, agency.id, 2024).expect("report");
    assert_eq!(state.status, Status::NotStarted, "the backup's state");
    drop(restored);
    let store = Store::open(f.dir.path()).expect("reopens after SIGKILL");
    let admin = store.console_admin().expect("admin");
    let agency = store.agency_by_name(&admin, "某县统计局").expect("agency");
    let state = store.report(&admin, agency.id, 2024).expect("report");
    let last = *acknowledged.last().expect("some");
    assert!(state.version >= last, "{} < {last}", state.version);
    for v in acknowledged {
        let data = store
            .version_json(&admin, agency.id, 2024, v)
            .expect("an acknowledged version is there");
        assert!(
            data.contains(&format!("第 {} 次保存", v - 1)),
            "{v}: {data}"
        );
    }
}

#[test]
fn saves_of_many_threads_all_land() {
    let f = fixture();
    let mut clerks = Vec::new();
    for i in 0..6 {
        let name = format!("某县第{i}局");
        clerks.push((f.agency_with_clerk(&name, &format!("clerk{i}")), name));
    }
    let store = Arc::new(f.store);
    let threads: Vec<_> = clerks
        .into_iter()
        .map(|((agency, clerk), name)| {
            let store = store.clone();
            std::thread::spawn(move || {
                for n in 0..25 {
                    let text = format!("[text]\noverview = \"{n}\"\n");
                    store
                        .save_draft(&clerk, agency, 2024, n, &json(&name, 2024, &text))
                        .expect("save");
                    store.report(&clerk, agency, 2024).expect("read");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let view = store.county(&f.admin, 2024).expect("view");
    assert!(
        view.rows
            .iter()
            .all(|r| r.version == 25 && r.status == Status::Draft)
    );
}

// ---------------------------------------------------------------------------
// The command line

/// Runs `nianbao admin ARGS`: exit code, stdout, stderr.
fn admin(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("admin")
        .args(args)
        .output()
        .expect("nianbao runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8(out.stderr).expect("UTF-8"),
    )
}

/// The one-time password of a line `一次性密码：…（…`.
fn password_in(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("一次性密码："))
        .unwrap_or_else(|| panic!("no password in {stdout}"));
    line.split('（').next().unwrap_or("").to_string()
}

#[test]
fn the_admin_commands_set_up_back_up_and_restore_a_county() {
    let work = tempfile::tempdir().expect("temp dir");
    let data = work.path().join("data");
    let data_s = data.to_str().expect("UTF-8 path");
    let (code, out, _) = admin(&["init", "--data", data_s, "--county", "潢川县"]);
    assert_eq!(code, 0, "{out}");
    let admin_password = password_in(&out);
    assert_eq!(admin_password.len(), 16);
    let (code, _, err) = admin(&["init", "--data", data_s, "--county", "潢川县"]);
    assert_eq!(code, 2);
    assert!(err.contains("已初始化"), "{err}");

    let csv = work.path().join("机关.csv");
    std::fs::write(&csv, "机关全称,账号\n,x\n某县统计局,bad login\n").expect("write");
    let csv_s = csv.to_str().expect("UTF-8 path");
    let (code, _, err) = admin(&["import-agencies", "--data", data_s, csv_s]);
    assert_eq!(code, 2);
    assert!(err.contains("第 2 行") && err.contains("第 3 行"), "{err}");
    std::fs::write(&csv, "机关全称,账号\n某县统计局,tongji\n某县财政局,\n").expect("write");
    let (code, out, err) = admin(&["import-agencies", "--data", data_s, csv_s]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("新建机关 2 个"), "{out}");
    let tongji_password = out
        .lines()
        .find(|l| l.contains("\ttongji\t"))
        .and_then(|l| l.rsplit('\t').next())
        .expect("the clerk's password")
        .to_string();
    let (code, out, err) = admin(&[
        "add-clerk",
        "--data",
        data_s,
        "--agency",
        "某县财政局",
        "--login",
        "caizheng",
    ]);
    assert_eq!(code, 0, "{err}");
    let caizheng_password = password_in(&out);
    let (code, _, err) = admin(&[
        "add-clerk",
        "--data",
        data_s,
        "--agency",
        "某县没有的局",
        "--login",
        "x",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("不存在"), "{err}");

    // Everyone logs in with what was printed; the clerk saves a draft.
    let store = Store::open(&data).expect("opens");
    for (login, password) in [
        ("admin", &admin_password),
        ("tongji", &tongji_password),
        ("caizheng", &caizheng_password),
    ] {
        store
            .login(login, password, ip("127.0.0.1"))
            .unwrap_or_else(|e| panic!("{login}: {e}"));
    }
    let clerk = store
        .login("tongji", &tongji_password, ip("127.0.0.1"))
        .expect("login")
        .principal;
    let agency = clerk.agency_id.expect("a clerk's agency");
    let first = json("某县统计局", 2024, CONSISTENT);
    store
        .save_draft(&clerk, agency, 2024, 0, &first)
        .expect("save");

    // A backup while the store is open, then a later save.
    let backup = work.path().join("备份.db");
    let backup_s = backup.to_str().expect("UTF-8 path");
    let (code, out, err) = admin(&["backup", data_s, backup_s]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("已备份"), "{out}");
    let (code, _, err) = admin(&["backup", data_s, backup_s]);
    assert_eq!(code, 2);
    assert!(err.contains("不覆盖"), "{err}");
    let later = json("某县统计局", 2024, "[text]\noverview = \"备份之后\"\n");
    store
        .save_draft(&clerk, agency, 2024, 1, &later)
        .expect("a later save");
    assert_eq!(store.report(&clerk, agency, 2024).expect("r").version, 2);
    // The server stops; the backup is restored as the README says.
    drop(store);
    for leftover in ["nianbao.db-wal", "nianbao.db-shm"] {
        let _ = std::fs::remove_file(data.join(leftover));
    }
    std::fs::copy(&backup, data.join("nianbao.db")).expect("restore");
    let store = Store::open(&data).expect("the restored database opens");
    let state = store.report(&clerk, agency, 2024).expect("report");
    assert_eq!(state.version, 1, "the backup's state, not the later save");
    assert_eq!(state.json.as_deref().map(str::as_bytes), Some(&first[..]));
    assert!(store.session(&"0".repeat(64)).expect("ok").is_none());
}
