//! `nianbao serve --data DIR` over HTTP: the county collection server on an
//! ephemeral loopback port. The first property is isolation: a clerk of
//! agency A reaches nothing of agency B by any route. Then sessions (401),
//! CSRF (403), two tabs (409, never a silent overwrite), the report's life
//! (submit blocked by an error, returned with a reason, resubmitted), the
//! county view, and the county ZIP, which is `nianbao batch` output that
//! `nianbao verify` passes and a CLI batch over the same inputs reproduces
//! byte for byte.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use nianbao::serve::{Config, Server};
use nianbao::store::{ManualClock, SESSION_IDLE_SECONDS, Store};
use serde_json::{Value, json};

use crate::common::root;

const YEAR: u16 = 2024;

struct County {
    _dir: tempfile::TempDir,
    server: Server,
    admin: Session,
}

#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// A request: `session` gives the cookie (and, with `csrf`, the token header).
fn call(
    server: &Server,
    method: &str,
    path: &str,
    session: Option<&Session>,
    csrf: bool,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> Reply {
    let url = format!("http://{}{path}", server.addr());
    let mut request = ureq::http::Request::builder().method(method).uri(&url);
    if let Some(s) = session {
        request = request.header("Cookie", &s.cookie);
        if csrf {
            request = request.header("X-CSRF-Token", &s.csrf);
        }
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let (media, bytes) = body.unwrap_or(("application/json", Vec::new()));
    if !bytes.is_empty() || method != "GET" {
        request = request.header("Content-Type", media);
    }
    let request = request.body(bytes).expect("request");
    let response = agent().run(request).expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .with_config()
        .limit(200 * 1024 * 1024)
        .read_to_vec()
        .expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

fn json_body(v: Value) -> Option<(&'static str, Vec<u8>)> {
    Some(("application/json", serde_json::to_vec(&v).expect("json")))
}

fn login(server: &Server, login: &str, password: &str) -> Result<Session, Box<Reply>> {
    let r = call(
        server,
        "POST",
        "/api/login",
        None,
        false,
        &[],
        json_body(json!({ "login": login, "password": password })),
    );
    if r.status != 200 {
        return Err(Box::new(r));
    }
    let set = r.headers["set-cookie"].to_str().expect("ascii").to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(
            set.contains(attribute),
            "the cookie lacks {attribute}: {set}"
        );
    }
    let cookie = set.split(';').next().expect("name=value").to_string();
    let csrf = r.json()["csrf"].as_str().expect("csrf").to_string();
    Ok(Session { cookie, csrf })
}

fn start_with(store: Store, dir: tempfile::TempDir, password: &str) -> County {
    let config = Config {
        store: Some(Arc::new(store)),
        ..Config::default()
    };
    let server = Server::start("127.0.0.1:0".parse().expect("address"), config).expect("starts");
    let admin = login(&server, "admin", password)
        .unwrap_or_else(|r| panic!("admin login: {}", r.message()));
    County {
        _dir: dir,
        server,
        admin,
    }
}

fn start() -> County {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, password) = Store::init(dir.path(), "某县").expect("init");
    let password = password.expose().to_string();
    start_with(store, dir, &password)
}

impl County {
    fn agency(&self, name: &str) -> i64 {
        let r = call(
            &self.server,
            "POST",
            "/api/agencies",
            Some(&self.admin),
            true,
            &[],
            json_body(json!({ "name": name })),
        );
        assert_eq!(r.status, 201, "{}", r.message());
        r.json()["id"].as_i64().expect("id")
    }

    /// A clerk of `agency`, logged in.
    fn clerk(&self, agency: i64, login_name: &str) -> Session {
        let r = call(
            &self.server,
            "POST",
            &format!("/api/agencies/{agency}/clerks"),
            Some(&self.admin),
            true,
            &[],
            json_body(json!({ "login": login_name })),
        );
        assert_eq!(r.status, 201, "{}", r.message());
        let password = r.json()["password"].as_str().expect("password").to_string();
        login(&self.server, login_name, &password).unwrap_or_else(|r| panic!("{}", r.message()))
    }

    fn save(&self, s: &Session, agency: i64, version: i64, report: &Value) -> Reply {
        call(
            &self.server,
            "PUT",
            &format!("/api/reports/{agency}/{YEAR}"),
            Some(s),
            true,
            &[("If-Match", &format!("\"{version}\""))],
            json_body(report.clone()),
        )
    }

    fn get(&self, s: &Session, path: &str) -> Reply {
        call(&self.server, "GET", path, Some(s), false, &[], None)
    }

    fn post(&self, s: &Session, path: &str, body: Value) -> Reply {
        call(
            &self.server,
            "POST",
            path,
            Some(s),
            true,
            &[],
            json_body(body),
        )
    }
}

/// A report of `agency` for [`YEAR`] as the JSON input: the mouxian input
/// (numbers in every table) under another name.
fn report_of(agency: &str) -> Value {
    let mut report =
        nianbao::read_path(&root().join("inputs/mouxian-ziranziyuan-2024.toml")).expect("input");
    report.report.agency = agency.to_string();
    report.report.short_name = None;
    serde_json::to_value(&report).expect("json")
}

#[test]
fn a_clerk_reaches_nothing_of_another_agency_by_any_route() {
    let c = start();
    let a = c.agency("甲镇人民政府");
    let b = c.agency("乙镇人民政府");
    let clerk_a = c.clerk(a, "jia");
    let clerk_b = c.clerk(b, "yi");
    let saved = c.save(&clerk_b, b, 0, &report_of("乙镇人民政府"));
    assert_eq!(saved.status, 200, "{}", saved.message());
    let before = c.get(&clerk_b, &format!("/api/reports/{b}/{YEAR}")).body;

    // Every route, with B's ids, as A: refused (403, or 404 so that ids tell nothing).
    let refused = [403, 404];
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/api/reports/{b}/{YEAR}"), None),
        (
            "PUT",
            format!("/api/reports/{b}/{YEAR}"),
            Some(report_of("乙镇人民政府")),
        ),
        (
            "POST",
            format!("/api/reports/{b}/{YEAR}/submit"),
            Some(json!({"version": 1, "acknowledge_warnings": true})),
        ),
        (
            "POST",
            format!("/api/reports/{b}/{YEAR}/return"),
            Some(json!({"version": 1, "reason": "x"})),
        ),
        ("GET", format!("/api/reports/{b}/{YEAR}/history"), None),
        ("GET", format!("/api/reports/{b}/{YEAR}/versions/1"), None),
        (
            "POST",
            format!("/api/agencies/{b}/clerks"),
            Some(json!({"login": "intruder"})),
        ),
        (
            "POST",
            "/api/agencies".to_string(),
            Some(json!({"name": "丙镇人民政府"})),
        ),
        ("GET", format!("/api/county/{YEAR}"), None),
        ("GET", format!("/api/county/{YEAR}/zip"), None),
        (
            "PUT",
            format!("/api/county/{YEAR}/deadline"),
            Some(json!({"date": "2025-01-31"})),
        ),
    ];
    for (method, path, body) in &routes {
        let r = call(
            &c.server,
            method,
            path,
            Some(&clerk_a),
            true,
            &[("If-Match", "\"1\"")],
            body.clone().and_then(json_body),
        );
        assert!(
            refused.contains(&r.status),
            "{method} {path} as A: {} {}",
            r.status,
            r.message()
        );
        assert!(
            !String::from_utf8_lossy(&r.body).contains("乙镇"),
            "{method} {path} leaked B's name"
        );
    }
    let import = call(
        &c.server,
        "POST",
        "/api/agencies/import",
        Some(&clerk_a),
        true,
        &[],
        Some(("text/csv", "机关全称\n丁镇人民政府\n".as_bytes().to_vec())),
    );
    assert_eq!(import.status, 403);
    // A sees only A.
    let list = c.get(&clerk_a, "/api/agencies").json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], a);
    // B's report is as B left it.
    assert_eq!(
        c.get(&clerk_b, &format!("/api/reports/{b}/{YEAR}")).body,
        before
    );
    // A's own report is A's to read.
    assert_eq!(
        c.get(&clerk_a, &format!("/api/reports/{a}/{YEAR}")).status,
        200
    );
}

#[test]
fn no_session_a_forged_or_an_expired_one_is_401() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(nianbao::store::Timestamp::from_unix(
        1_767_225_600,
    )));
    let (store, password) =
        Store::init_with_clock(dir.path(), "某县", clock.clone()).expect("init");
    let password = password.expose().to_string();
    let c = start_with(store, dir, &password);
    let a = c.agency("甲镇人民政府");
    let forged = Session {
        cookie: format!("{}={}", nianbao::serve::COOKIE, "ab".repeat(32)),
        csrf: "x".into(),
    };
    for path in [
        "/api/me".to_string(),
        format!("/api/reports/{a}/{YEAR}"),
        format!("/api/county/{YEAR}"),
        "/api/agencies".into(),
    ] {
        assert_eq!(
            call(&c.server, "GET", &path, None, false, &[], None).status,
            401,
            "{path}"
        );
        assert_eq!(c.get(&forged, &path).status, 401, "{path}");
    }
    let r = c.save(&forged, a, 0, &report_of("甲镇人民政府"));
    assert_eq!(r.status, 401);
    assert!(r.message().contains("登录"));

    assert_eq!(c.get(&c.admin, "/api/me").status, 200);
    clock.advance(SESSION_IDLE_SECONDS + 1);
    assert_eq!(
        c.get(&c.admin, "/api/me").status,
        401,
        "an idle session expires"
    );

    // Logged out: the cookie is worth nothing any more.
    let again = login(&c.server, "admin", &password).unwrap_or_else(|r| panic!("{}", r.message()));
    assert_eq!(c.post(&again, "/api/logout", json!({})).status, 204);
    assert_eq!(c.get(&again, "/api/me").status, 401);
}

#[test]
fn a_change_without_the_csrf_token_is_403() {
    let c = start();
    let a = c.agency("甲镇人民政府");
    let clerk = c.clerk(a, "jia");
    let wrong = Session {
        cookie: clerk.cookie.clone(),
        csrf: c.admin.csrf.clone(),
    };
    let changes: Vec<(&str, String, Value)> = vec![
        (
            "PUT",
            format!("/api/reports/{a}/{YEAR}"),
            report_of("甲镇人民政府"),
        ),
        (
            "POST",
            format!("/api/reports/{a}/{YEAR}/submit"),
            json!({"version": 0}),
        ),
        ("POST", "/api/logout".into(), json!({})),
        (
            "POST",
            "/api/password".into(),
            json!({"old": "x", "new": "y"}),
        ),
    ];
    for (method, path, body) in &changes {
        for (session, with_token) in [(&clerk, false), (&wrong, true)] {
            let r = call(
                &c.server,
                method,
                path,
                Some(session),
                with_token,
                &[("If-Match", "\"0\"")],
                json_body(body.clone()),
            );
            assert_eq!(r.status, 403, "{method} {path}: {}", r.message());
            assert!(r.message().contains("CSRF"));
        }
    }
    // Nothing was saved, and the session still works.
    let r = c.get(&clerk, &format!("/api/reports/{a}/{YEAR}"));
    assert_eq!(r.json()["version"], 0);
    // A login is JSON only: a cross-site form post cannot log anyone in.
    let form = call(
        &c.server,
        "POST",
        "/api/login",
        None,
        false,
        &[],
        Some((
            "application/x-www-form-urlencoded",
            b"login=admin&password=x".to_vec(),
        )),
    );
    assert_eq!(form.status, 415);
}

#[test]
fn two_tabs_never_overwrite_each_other_silently() {
    let c = start();
    let a = c.agency("甲镇人民政府");
    let tab1 = c.clerk(a, "jia");
    let first = report_of("甲镇人民政府");
    let mut second = first.clone();
    second["text"] = json!({ "overview": "第二个标签页写的。" });

    let r = c.save(&tab1, a, 0, &first);
    assert_eq!(r.status, 200, "{}", r.message());
    assert_eq!(r.headers["etag"], "\"1\"");
    // The second tab read version 0 too.
    let stale = c.save(&tab1, a, 0, &second);
    assert_eq!(stale.status, 409);
    assert_eq!(stale.json()["current_version"], 1);
    assert!(stale.message().contains("jia"), "{}", stale.message());
    let now = c.get(&tab1, &format!("/api/reports/{a}/{YEAR}"));
    assert_eq!(now.headers["etag"], "\"1\"");
    let stored: Value =
        serde_json::from_str(now.json()["json"].as_str().expect("json")).expect("stored");
    assert_eq!(
        stored.get("text").and_then(|t| t.get("overview")),
        first.get("text").and_then(|t| t.get("overview"))
    );
    // Without If-Match: 428; reloaded, the second tab saves on version 1.
    let bare = call(
        &c.server,
        "PUT",
        &format!("/api/reports/{a}/{YEAR}"),
        Some(&tab1),
        true,
        &[],
        json_body(second.clone()),
    );
    assert_eq!(bare.status, 428);
    assert_eq!(c.save(&tab1, a, 1, &second).status, 200);
}

#[test]
fn submit_is_blocked_by_errors_then_returned_with_a_reason_and_resubmitted() {
    let c = start();
    let a = c.agency("甲镇人民政府");
    let clerk = c.clerk(a, "jia");
    let good = report_of("甲镇人民政府");
    let mut broken = good.clone();
    broken["applications"]["carry_forward"][0] = json!(99);

    assert_eq!(c.save(&clerk, a, 0, &broken).status, 200);
    let blocked = c.post(
        &clerk,
        &format!("/api/reports/{a}/{YEAR}/submit"),
        json!({"version": 1, "acknowledge_warnings": true}),
    );
    assert_eq!(blocked.status, 422);
    let findings = blocked.json()["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(findings.iter().any(|f| f["rule"] == "R1"), "{findings:?}");
    // Bad data is refused with the reader's message and the key, nothing stored.
    let mut wrong = good.clone();
    wrong["applications"]["new"][0] = json!("二十");
    let bad = c.save(&clerk, a, 1, &wrong);
    assert_eq!(bad.status, 400);
    assert!(
        bad.message().contains("applications.new[0]"),
        "{}",
        bad.message()
    );

    assert_eq!(c.save(&clerk, a, 1, &good).status, 200);
    let submitted = c.post(
        &clerk,
        &format!("/api/reports/{a}/{YEAR}/submit"),
        json!({"version": 2, "acknowledge_warnings": true}),
    );
    assert_eq!(submitted.status, 200, "{}", submitted.message());
    assert_eq!(submitted.json()["status"], "submitted");
    // Read-only for the agency now.
    let locked = c.save(&clerk, a, 3, &good);
    assert_eq!(locked.status, 409);
    // The county sees it; returning needs a reason.
    let view = c.get(&c.admin, &format!("/api/county/{YEAR}")).json();
    assert_eq!(view["rows"][0]["status"], "submitted");
    let no_reason = c.post(
        &c.admin,
        &format!("/api/reports/{a}/{YEAR}/return"),
        json!({"version": 3, "reason": "  "}),
    );
    assert_eq!(no_reason.status, 400);
    let returned = c.post(
        &c.admin,
        &format!("/api/reports/{a}/{YEAR}/return"),
        json!({"version": 3, "reason": "请补充第六部分"}),
    );
    assert_eq!(returned.status, 200, "{}", returned.message());
    let state = c.get(&clerk, &format!("/api/reports/{a}/{YEAR}")).json();
    assert_eq!(
        (state["status"].clone(), state["return_reason"].clone()),
        (json!("returned"), json!("请补充第六部分"))
    );
    assert_eq!(c.save(&clerk, a, 4, &good).status, 200);
    let again = c.post(
        &clerk,
        &format!("/api/reports/{a}/{YEAR}/submit"),
        json!({"version": 5, "acknowledge_warnings": true}),
    );
    assert_eq!(again.status, 200, "{}", again.message());
    // Every step is in the audit trail, with who did it.
    let history = c
        .get(&c.admin, &format!("/api/reports/{a}/{YEAR}/history"))
        .json();
    let by: Vec<&str> = history
        .as_array()
        .expect("list")
        .iter()
        .map(|v| v["by"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(by, ["jia", "jia", "jia", "admin", "jia", "jia"]);
}

#[test]
fn repeated_failed_logins_are_slowed_with_429() {
    let c = start();
    let mut last = 0;
    for _ in 0..8 {
        let r = login(&c.server, "admin", "wrong-password")
            .err()
            .expect("refused");
        last = r.status;
        if r.status == 429 {
            assert!(r.headers.contains_key("retry-after"));
            break;
        }
        assert_eq!(r.status, 401);
        assert_eq!(r.message(), "账号或密码不正确");
    }
    assert_eq!(last, 429, "failed logins are never slowed");
}

/// An import of agencies with clerks hashes a one-time password for each
/// (argon2): it has the long time limit, not the usual one. Cut off after
/// 10 s like any request, an import of 300 clerks was answered 503 and yet
/// committed, and their one-time passwords were lost.
#[test]
fn an_import_of_clerks_is_not_cut_off_by_the_request_time_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, password) = Store::init(dir.path(), "某县").expect("init");
    let ip = "127.0.0.1".parse().expect("address");
    // The administrator's session comes from the store: a login over HTTP
    // hashes too, and would not fit in this server's time limit.
    let session = store
        .login("admin", password.expose(), ip)
        .expect("admin login");
    let admin = Session {
        cookie: format!("{}={}", nianbao::serve::COOKIE, session.token.expose()),
        csrf: session.principal.csrf_token().to_string(),
    };
    let store = Arc::new(store);
    let config = Config {
        store: Some(Arc::clone(&store)),
        request_timeout: std::time::Duration::from_millis(1),
        ..Config::default()
    };
    let server = Server::start("127.0.0.1:0".parse().expect("address"), config).expect("starts");
    let csv = "机关全称,账号\n某县甲局,jia\n某县乙局,yi\n某县丙局,bing\n";
    let r = call(
        &server,
        "POST",
        "/api/agencies/import",
        Some(&admin),
        true,
        &[],
        Some(("text/csv", csv.as_bytes().to_vec())),
    );
    assert_eq!(r.status, 200, "{}", r.message());
    let clerks = r.json()["clerks"].as_array().expect("clerks").clone();
    assert_eq!(clerks.len(), 3);
    for c in &clerks {
        let login_name = c["account"]["login"].as_str().expect("login");
        let password = c["password"].as_str().expect("password");
        store
            .login(login_name, password, ip)
            .unwrap_or_else(|e| panic!("{login_name}: {e}"));
    }
    // The usual limit still holds for the other requests: a login over HTTP
    // (argon2) does not fit in 1 ms.
    let r = call(
        &server,
        "POST",
        "/api/login",
        None,
        false,
        &[],
        json_body(json!({ "login": "jia", "password": "whatever-it-is" })),
    );
    assert_eq!(r.status, 503, "{}", r.message());
    assert!(r.message().contains("超时"), "{}", r.message());
}

fn unzip_to(bytes: &[u8], dir: &Path) -> Vec<String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("entry");
        let name = entry.name().to_string();
        assert!(!name.contains("..") && !name.starts_with('/'), "{name}");
        let path = dir.join(&name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("read");
        std::fs::write(&path, data).expect("write");
        names.push(name);
    }
    names
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let name = e
                .path()
                .strip_prefix(dir)
                .expect("inside")
                .to_string_lossy()
                .to_string();
            (name, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

#[test]
fn the_county_zip_is_the_batch_of_the_submitted_reports() {
    let c = start();
    for (name, login_name) in [("甲镇人民政府", "jia"), ("乙镇人民政府", "yi")] {
        let id = c.agency(name);
        let clerk = c.clerk(id, login_name);
        assert_eq!(c.save(&clerk, id, 0, &report_of(name)).status, 200);
        let r = c.post(
            &clerk,
            &format!("/api/reports/{id}/{YEAR}/submit"),
            json!({"version": 1, "acknowledge_warnings": true}),
        );
        assert_eq!(r.status, 200, "{}", r.message());
    }
    // A third agency has not started: it is not in the ZIP.
    c.agency("丙镇人民政府");
    let zip = c.get(&c.admin, &format!("/api/county/{YEAR}/zip"));
    assert_eq!(zip.status, 200, "{}", String::from_utf8_lossy(&zip.body));
    assert_eq!(zip.headers["content-type"], "application/zip");
    let work = tempfile::tempdir().expect("temp dir");
    let names = unzip_to(&zip.body, work.path());
    let root_dir = work.path().join(format!("某县{YEAR}"));
    let inputs = root_dir.join("输入");
    let outputs = root_dir.join("输出");
    assert_eq!(files(&inputs).len(), 2, "{names:?}");
    assert!(
        !names.iter().any(|n| n.contains("丙镇")),
        "an unsubmitted agency is in the ZIP"
    );

    let bin = env!("CARGO_BIN_EXE_nianbao");
    let verify = Command::new(bin)
        .arg("verify")
        .arg(&outputs)
        .output()
        .expect("verify runs");
    assert!(
        verify.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // A CLI batch over the same inputs writes the same bytes.
    let again = root_dir.join("cli");
    let batch = Command::new(bin)
        .current_dir(&root_dir)
        .args(["batch", "输入", "-o", "cli", "--name", "某县"])
        .output()
        .expect("batch runs");
    assert!(
        batch.status.success(),
        "{}",
        String::from_utf8_lossy(&batch.stderr)
    );
    let (server, cli) = (files(&outputs), files(&again));
    assert_eq!(
        server.keys().collect::<Vec<_>>(),
        cli.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &server {
        assert!(bytes == &cli[name], "{name} differs from the CLI batch's");
    }
    // The ZIP itself is the same bytes when asked again.
    assert_eq!(
        c.get(&c.admin, &format!("/api/county/{YEAR}/zip")).body,
        zip.body
    );
}

/// A `nianbao serve --data` process; its address from its first line on stderr.
type Log = Arc<std::sync::Mutex<Vec<String>>>;

fn spawn_server(data: &Path) -> (std::process::Child, String, Log) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(data)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = std::io::BufReader::new(stderr).lines();
    let first = lines.next().expect("a line").expect("text");
    let addr = first
        .strip_prefix("nianbao serve: http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_string();
    // Keep reading the log (so that the server never blocks on a full pipe).
    let log: Log = Arc::default();
    let kept = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            kept.lock().expect("lock").push(line);
        }
    });
    (child, addr, log)
}

fn raw_call(
    addr: &str,
    method: &str,
    path: &str,
    s: &Session,
    headers: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Result<Reply, ureq::Error> {
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header("Cookie", &s.cookie)
        .header("X-CSRF-Token", &s.csrf)
        .header("Content-Type", "application/json");
    for (k, v) in headers {
        request = request.header(*k, v);
    }
    let response = agent().run(request.body(body.unwrap_or_default()).expect("request"))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().read_to_vec()?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

#[test]
fn a_killed_server_loses_no_acknowledged_save() {
    let data = tempfile::tempdir().expect("temp dir");
    let (agency, password) = {
        let (store, _) = Store::init(data.path(), "某县").expect("init");
        let admin = store.console_admin().expect("admin");
        let agency = store
            .create_agency(&admin, &nianbao::store::NewAgency::named("甲镇人民政府"))
            .expect("agency");
        let clerk = store.create_clerk(&admin, agency.id, "jia").expect("clerk");
        (agency.id, clerk.password.expose().to_string())
    };
    let (mut child, addr, log) = spawn_server(data.path());
    let session = |addr: &str| {
        let r = agent()
            .post(&format!("http://{addr}/api/login"))
            .header("Content-Type", "application/json")
            .send(serde_json::to_vec(&json!({"login": "jia", "password": password})).expect("json"))
            .expect("login");
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("cookie")
            .to_string();
        let csrf = serde_json::from_slice::<Value>(&r.into_body().read_to_vec().expect("body"))
            .expect("json")["csrf"]
            .as_str()
            .expect("csrf")
            .to_string();
        Session { cookie, csrf }
    };
    let clerk = session(&addr);

    // A stream of saves; each acknowledged one is written down.
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<(i64, String)>::new()));
    let saver = {
        let (addr, clerk, acknowledged) = (addr.clone(), clerk.clone(), Arc::clone(&acknowledged));
        std::thread::spawn(move || {
            let mut version = 0;
            for i in 0.. {
                let mut report = report_of("甲镇人民政府");
                let words = format!("第 {i} 次保存。");
                report["text"] = json!({ "other_matters": words });
                let body = serde_json::to_vec(&report).expect("json");
                match raw_call(
                    &addr,
                    "PUT",
                    &format!("/api/reports/{agency}/{YEAR}"),
                    &clerk,
                    &[("If-Match", format!("\"{version}\""))],
                    Some(body),
                ) {
                    Ok(r) if r.status == 200 => {
                        version = r.json()["version"].as_i64().expect("version");
                        acknowledged.lock().expect("lock").push((version, words));
                    }
                    Ok(r) => panic!("save refused: {} {}", r.status, r.message()),
                    Err(_) => return, // the server is gone
                }
            }
        })
    };
    // Kill it (SIGKILL) in the middle of the stream.
    let started = std::time::Instant::now();
    while acknowledged.lock().expect("lock").len() < 30 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "saves too slow"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    saver.join().expect("the saver ends");
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let (last_version, last_words) = acknowledged.last().cloned().expect("saves");

    // Restarted on the same data: every acknowledged save is there.
    let (mut child, addr, log_after) = spawn_server(data.path());
    let clerk = session(&addr);
    let state = raw_call(
        &addr,
        "GET",
        &format!("/api/reports/{agency}/{YEAR}"),
        &clerk,
        &[],
        None,
    )
    .expect("report")
    .json();
    let version = state["version"].as_i64().expect("version");
    assert!(
        version == last_version || version == last_version + 1,
        "stored version {version}, last acknowledged {last_version}"
    );
    if version == last_version {
        let stored: Value =
            serde_json::from_str(state["json"].as_str().expect("json")).expect("stored");
        assert_eq!(stored["text"]["other_matters"], last_words.as_str());
    }
    for (v, words) in &acknowledged {
        let r = raw_call(
            &addr,
            "GET",
            &format!("/api/reports/{agency}/{YEAR}/versions/{v}"),
            &clerk,
            &[],
            None,
        )
        .expect("version");
        assert_eq!(r.status, 200, "version {v} is lost");
        assert_eq!(
            r.json()["text"]["other_matters"],
            words.as_str(),
            "version {v}"
        );
    }
    child.kill().expect("stop");
    child.wait().expect("reaped");

    // The log has a line per request and nothing secret: no password, no
    // session token, no CSRF token, no report data.
    let mut lines = log.lock().expect("lock").clone();
    lines.extend(log_after.lock().expect("lock").iter().cloned());
    assert!(
        lines.iter().any(|l| l.starts_with("PUT /api/reports/")),
        "{lines:?}"
    );
    let token = clerk
        .cookie
        .split_once('=')
        .map(|(_, t)| t.to_string())
        .expect("token");
    for secret in [
        password.as_str(),
        token.as_str(),
        clerk.csrf.as_str(),
        "甲镇",
        "第 1 次保存",
    ] {
        assert!(
            !lines.iter().any(|l| l.contains(secret)),
            "the log shows 「{secret}」"
        );
    }
}

#[test]
fn the_administrator_imports_agencies_and_clerks_from_csv() {
    let c = start();
    let import = |csv: &str| {
        call(
            &c.server,
            "POST",
            "/api/agencies/import",
            Some(&c.admin),
            true,
            &[],
            Some(("text/csv; charset=utf-8", csv.as_bytes().to_vec())),
        )
    };
    let r = import("机关全称,简称,账号\n甲镇人民政府,甲镇,jia\n乙镇人民政府,,\n");
    assert_eq!(r.status, 200, "{}", r.message());
    let done = r.json();
    assert_eq!(done["created"].as_array().map(Vec::len), Some(2));
    let password = done["clerks"][0]["password"]
        .as_str()
        .expect("a one-time password");
    assert_eq!(done["clerks"][0]["account"]["login"], "jia");
    assert!(
        login(&c.server, "jia", password).is_ok(),
        "the imported clerk logs in"
    );
    // One bad line: nothing imported, the line named.
    let bad = import("机关全称\n丙镇人民政府\n\n丁镇\u{0}人民政府\n");
    assert_eq!(bad.status, 400);
    assert!(
        bad.message().contains('4') || bad.message().contains("第"),
        "{}",
        bad.message()
    );
    let list = c.get(&c.admin, "/api/agencies").json();
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(2),
        "a bad file imported something"
    );
    // Not CSV: 415.
    let other = call(
        &c.server,
        "POST",
        "/api/agencies/import",
        Some(&c.admin),
        true,
        &[],
        Some(("application/json", b"{}".to_vec())),
    );
    assert_eq!(other.status, 415);
}
