//! The county server's page in a real browser (Debian's chromium over
//! WebDriver), end to end: the administrator creates two agencies; clerk A
//! logs in, fills in a report, sees an error block the submission, mends it
//! and submits; clerk B sees nothing of A; the administrator sees the
//! statuses and returns A's report with a reason; A corrects and resubmits;
//! the administrator downloads the county ZIP, and `nianbao verify` passes.

use std::io::Read;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use nianbao::serve::{Config, Server};
use nianbao::spec::tables;
use nianbao::store::{Status, Store};
use serde_json::json;

use crate::browser::{
    PATIENCE, chromedriver, field, retype, session, settled_findings, typed, wait_until,
};
use crate::common::root;

async fn ready(client: &Client) {
    wait_until(
        client,
        "return document.body.dataset.ready === 'true';",
        vec![],
        "the page",
    )
    .await;
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn text_of(client: &Client, css: &str) -> String {
    let value = client
        .execute(
            "const n = document.querySelector(arguments[0]); return n ? n.textContent : '';",
            vec![json!(css)],
        )
        .await
        .expect("script runs");
    value.as_str().unwrap_or_default().to_string()
}

/// Logs in; a one-time password is changed when the page asks, and the
/// password to use next time is returned.
async fn log_in(client: &Client, page: &str, login: &str, password: &str) -> String {
    client.goto(page).await.expect("page");
    ready(client).await;
    let name = client
        .find(Locator::Id("login-name"))
        .await
        .expect("the login form");
    name.send_keys(login).await.expect("type");
    client
        .find(Locator::Id("login-password"))
        .await
        .expect("password field")
        .send_keys(password)
        .await
        .expect("type");
    click(client, ".login-form button[type=submit]").await;
    wait_until(
        client,
        "return document.getElementById('account') && !document.getElementById('account').hidden;",
        vec![],
        "the login",
    )
    .await;
    let asked = client
        .execute("return document.getElementById('new-password') !== null && !document.getElementById('login').hidden;", vec![])
        .await
        .expect("script runs");
    if asked != json!(true) {
        return password.to_string();
    }
    let fresh = format!("{login}-新密码-2026");
    client
        .find(Locator::Id("old-password"))
        .await
        .expect("field")
        .send_keys(password)
        .await
        .expect("type");
    client
        .find(Locator::Id("new-password"))
        .await
        .expect("field")
        .send_keys(&fresh)
        .await
        .expect("type");
    click(client, ".login-form button[type=submit]").await;
    wait_until(
        client,
        "return document.getElementById('login').hidden;",
        vec![],
        "the new password",
    )
    .await;
    fresh
}

async fn log_out(client: &Client) {
    click(client, "#logout").await;
    wait_until(
        client,
        "return document.body.dataset.ready === 'true' && document.getElementById('login-name') !== null;",
        vec![],
        "the login form after logging out",
    )
    .await;
}

/// Waits until the page has saved everything typed on the server.
async fn saved(client: &Client) {
    tokio::time::sleep(Duration::from_millis(200)).await;
    wait_until(
        client,
        "return document.body.dataset.pending !== 'true';",
        vec![],
        "the draft to be saved",
    )
    .await;
}

/// Accepts a confirm() if one comes up within a moment (warnings to acknowledge).
async fn accept_if_asked(client: &Client) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1500) {
        if client.get_alert_text().await.is_ok() {
            client.accept_alert().await.expect("accept");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn lifecycle_says(client: &Client, words: &str) {
    wait_until(
        client,
        "return (document.getElementById('lifecycle').textContent || '').includes(arguments[0]);",
        vec![json!(words)],
        &format!("「{words}」 in the report's state"),
    )
    .await;
}

/// Waits until the county's table of `year` is shown.
async fn county_table_of(client: &Client, year: u16) {
    wait_until(
        client,
        "return (document.getElementById('county-title') || {}).textContent.includes(arguments[0]);",
        vec![json!(year.to_string())],
        "the county's table of the year",
    )
    .await;
}

async fn row_status(client: &Client, agency: i64) -> String {
    text_of(
        client,
        &format!("#county-table tr[data-agency=\"{agency}\"] td:nth-child(2)"),
    )
    .await
}

#[test]
fn the_county_collects_reports_through_the_page() {
    let Some((driver, browser)) = chromedriver() else {
        return;
    };
    let data = tempfile::tempdir().expect("temp dir");
    let (store, admin_password) = Store::init(data.path(), "某县").expect("init");
    let admin_password = admin_password.expose().to_string();
    let store = Arc::new(store);
    let config = Config {
        store: Some(Arc::clone(&store)),
        ..Config::default()
    };
    let server = Server::start("127.0.0.1:0".parse().expect("address"), config).expect("starts");
    let page = format!("http://{}/", server.addr());
    let work = tempfile::tempdir().expect("temp dir");
    let downloads = work.path().join("downloads");
    std::fs::create_dir_all(&downloads).expect("downloads");
    let mut sample =
        nianbao::read_path(&root().join("inputs/mouxian-ziranziyuan-2024.toml")).expect("input");
    let (name_a, name_b) = ("甲镇人民政府", "乙镇人民政府");
    sample.report.agency = name_a.into();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = session(&driver, &browser, &work.path().join("profile"), &downloads).await;

        // 1. The administrator creates two agencies on the page.
        let admin_password = log_in(&client, &page, "admin", &admin_password).await;
        for name in [name_a, name_b] {
            // The county view is drawn after the login's answer: wait for it.
            let input = client
                .wait()
                .at_most(Duration::from_secs(20))
                .for_element(Locator::Id("new-agency"))
                .await
                .expect("new agency field");
            input.send_keys(name).await.expect("type");
            click(&client, "#add-agency").await;
            wait_until(
                &client,
                "return [...document.querySelectorAll('#county-table td')].some(td => td.textContent === arguments[0]);",
                vec![json!(name)],
                "the new agency in the table",
            )
            .await;
        }
        let admin = store.console_admin().expect("admin");
        let id = |name: &str| store.agency_by_name(&admin, name).expect("agency").id;
        let (a, b) = (id(name_a), id(name_b));
        // Their clerks (accounts are the administrator's business; the page's
        // prompt for them is the same call).
        let clerk_a = store.create_clerk(&admin, a, "jia").expect("clerk");
        let clerk_b = store.create_clerk(&admin, b, "yi").expect("clerk");
        log_out(&client).await;

        // 2. Clerk A fills in the report, with one number wrong first.
        let password_a = log_in(&client, &page, "jia", clerk_a.password.expose()).await;
        lifecycle_says(&client, name_a).await;
        let agency_field = field(&client, "report.agency").await;
        assert_eq!(agency_field.prop("value").await.expect("value").as_deref(), Some(name_a));
        // The year is the report's on the server, not the clerk's to change.
        let year_field = field(&client, "report.year").await;
        assert_eq!(year_field.prop("readOnly").await.expect("prop").as_deref(), Some("true"));
        let year: u16 = year_field.prop("value").await.expect("value").unwrap_or_default().parse().expect("a year");
        sample.report.year = nianbao::model::Year(year);
        retype(&client, "report.region", sample.report.region.as_deref().unwrap_or("")).await;
        let carry = "applications.carry_forward[0]";
        for table in tables::all() {
            for (_, cell) in table.inputs() {
                let mut text = typed(&sample, &cell.field);
                if cell.key == carry {
                    text = (sample.applications.carry_forward.values[0] + 5).to_string();
                }
                if !text.is_empty() {
                    field(&client, &cell.key).await.send_keys(&text).await.expect("type");
                }
            }
        }
        saved(&client).await;
        click(&client, "#submit").await;
        accept_if_asked(&client).await;
        wait_until(
            &client,
            "return document.getElementById('status').dataset.kind === 'error';",
            vec![],
            "the submission to be refused",
        )
        .await;
        let shown = settled_findings(&client).await;
        assert!(shown.iter().any(|(_, text)| text.starts_with("R1")), "R1 is not shown: {shown:?}");
        assert!(text_of(&client, "#lifecycle").await.contains(Status::Draft.label()));
        // Mended, saved, submitted.
        retype(&client, carry, &sample.applications.carry_forward.values[0].to_string()).await;
        saved(&client).await;
        click(&client, "#submit").await;
        accept_if_asked(&client).await;
        lifecycle_says(&client, Status::Submitted.label()).await;
        let locked = client
            .execute("return document.querySelector(arguments[0]).disabled;", vec![json!(format!("[data-key=\"{carry}\"]"))])
            .await
            .expect("script runs");
        assert_eq!(locked, json!(true), "a submitted report is read-only");
        log_out(&client).await;

        // 3. Clerk B sees nothing of A.
        log_in(&client, &page, "yi", clerk_b.password.expose()).await;
        lifecycle_says(&client, name_b).await;
        let page_text = text_of(&client, "body").await;
        assert!(!page_text.contains(name_a), "B's page shows A's name");
        let status = client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 fetch(`/api/reports/${arguments[0]}/${arguments[1]}`).then(r => done(r.status));",
                vec![json!(a), json!(year)],
            )
            .await
            .expect("script runs");
        assert_eq!(status, json!(404), "B reads A's report");
        log_out(&client).await;

        // 4. The administrator sees the statuses and returns A's report.
        log_in(&client, &page, "admin", &admin_password).await;
        county_table_of(&client, year).await;
        assert_eq!(row_status(&client, a).await, Status::Submitted.label());
        assert_eq!(row_status(&client, b).await, Status::NotStarted.label());
        click(&client, &format!("#county-table tr[data-agency=\"{a}\"] td:last-child button:last-child")).await;
        client.send_alert_text("请补充第六部分").await.expect("the reason");
        client.accept_alert().await.expect("accept");
        let started = Instant::now();
        while row_status(&client, a).await != Status::Returned.label() {
            assert!(started.elapsed() < PATIENCE, "A's report was not returned");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        log_out(&client).await;

        // A sees the reason, corrects and resubmits.
        log_in(&client, &page, "jia", &password_a).await;
        lifecycle_says(&client, "请补充第六部分").await;
        let other = client.find(Locator::Id("text-other_matters")).await.expect("the text block");
        other.clear().await.expect("clear");
        other.send_keys("本年度无其他需要报告的事项。").await.expect("type");
        saved(&client).await;
        click(&client, "#submit").await;
        accept_if_asked(&client).await;
        lifecycle_says(&client, Status::Submitted.label()).await;
        // The audit trail shows every version with who made it.
        click(&client, "#show-history").await;
        wait_until(
            &client,
            "return document.querySelectorAll('#history-table tbody tr').length > 0;",
            vec![],
            "the audit trail",
        )
        .await;
        let trail = text_of(&client, "#history-table").await;
        assert!(trail.contains("admin") && trail.contains("jia") && trail.contains("请补充第六部分"), "{trail}");
        log_out(&client).await;

        // 5. The administrator downloads the county ZIP.
        log_in(&client, &page, "admin", &admin_password).await;
        county_table_of(&client, year).await;
        if let Some(path) = std::env::var_os("NIANBAO_SCREENSHOT_COUNTY") {
            std::fs::write(path, client.screenshot().await.expect("screenshot")).expect("write");
        }
        click(&client, "#county-zip").await;
        let started = Instant::now();
        loop {
            let done: Vec<_> = std::fs::read_dir(&downloads)
                .expect("downloads")
                .filter_map(Result::ok)
                .map(|e| e.path())
                .collect();
            if done.iter().any(|p| p.extension().is_some_and(|x| x == "zip"))
                && !done.iter().any(|p| p.extension().is_some_and(|x| x == "crdownload"))
            {
                break;
            }
            assert!(started.elapsed() < PATIENCE, "no ZIP downloaded: {done:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        client.close().await.expect("session ends");
    });

    let zip_path = std::fs::read_dir(&downloads)
        .expect("downloads")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "zip"))
        .expect("the ZIP");
    let unpacked = work.path().join("unpacked");
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(&zip_path).expect("open")).expect("a zip");
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("entry");
        let path = unpacked.join(entry.name());
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        std::fs::write(path, bytes).expect("write");
    }
    let outputs = std::fs::read_dir(&unpacked)
        .expect("unpacked")
        .filter_map(Result::ok)
        .map(|e| e.path().join("输出"))
        .find(|p| p.is_dir())
        .expect("输出 in the ZIP");
    let verify = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("verify")
        .arg(&outputs)
        .output()
        .expect("verify runs");
    assert!(
        verify.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let docx = std::fs::read_dir(&outputs)
        .expect("outputs")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "docx"))
        .count();
    assert_eq!(docx, 1, "only A's report is submitted");
    server.stop().expect("server stops");
}
