//! The fill-in page in a real browser: Debian's chromium, driven over
//! WebDriver (chromedriver + fantoccini), against `nianbao serve` on an
//! ephemeral loopback port. A clerk's session: type a report's numbers, see
//! the totals, break R1 and see the finding at its cell, mend it, download
//! the DOCX, which must equal the CLI's for the same data.
//!
//! The oracles are not the page's code: the totals are the ones a person
//! typed into the input file where it has them (else the library's sums),
//! the cell R1 names comes from the library's checker, the accessible names
//! from the table description, the DOCX from the `nianbao` binary.
//!
//! Without chromium and chromedriver the test is skipped, except under CI,
//! where `.ci/run` installs them and a missing one fails it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use nianbao::model::Report;
use nianbao::serve::{Config, Server};
use nianbao::spec::tables::{self, Content, Value};
use serde_json::{Value as Json, json};

use crate::common::{root, tool};

/// How long any one wait of the test may take before it fails.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// A chromedriver process on a free loopback port, killed on drop.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Starts chromedriver, or `None` (skip) when chromium or chromedriver is
/// missing outside CI.
pub(crate) fn chromedriver() -> Option<(Driver, PathBuf)> {
    let driver = tool("chromedriver")?;
    let browser = tool("chromium")?;
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver { child, port };
    let started = Instant::now();
    let status = format!("http://127.0.0.1:{port}/status");
    while ureq::get(&status).call().is_err() {
        assert!(
            started.elapsed() < PATIENCE,
            "chromedriver did not answer in time"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((driver, browser))
}

pub(crate) async fn session(
    driver: &Driver,
    browser: &Path,
    profile: &Path,
    downloads: &Path,
) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": browser,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", "--no-first-run",
                format!("--user-data-dir={}", profile.display()),
                "--window-size=1280,1600", "--lang=zh-CN",
            ],
            "prefs": {
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
                "download.directory_upgrade": true,
            },
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with chromium")
}

/// Runs `script` (a function body returning a value) until it returns
/// `true`; fails with `what` after [`PATIENCE`].
pub(crate) async fn wait_until(client: &Client, script: &str, args: Vec<Json>, what: &str) {
    let started = Instant::now();
    loop {
        let value = client
            .execute(script, args.clone())
            .await
            .expect("script runs");
        if value == Json::Bool(true) {
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "timed out waiting for {what} (last: {value})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until no check is pending or running and returns the findings shown.
pub(crate) async fn settled_findings(client: &Client) -> Vec<(String, String)> {
    // The page checks after a pause in typing; wait past it, then until done.
    tokio::time::sleep(Duration::from_millis(600)).await;
    wait_until(
        client,
        "return document.body.dataset.checking === 'false';",
        vec![],
        "the check to finish",
    )
    .await;
    let shown = client
        .execute(
            "return [...document.querySelectorAll('.finding')].map(f => \
             [f.closest('td, div.field, div.block').dataset.excel || '', f.textContent]);",
            vec![],
        )
        .await
        .expect("script runs");
    serde_json::from_value(shown).expect("pairs of strings")
}

pub(crate) fn css_key(key: &str) -> String {
    format!("[data-key=\"{key}\"]")
}

pub(crate) async fn field(client: &Client, key: &str) -> fantoccini::elements::Element {
    client
        .find(Locator::Css(&css_key(key)))
        .await
        .unwrap_or_else(|e| panic!("no field {key} on the page: {e}"))
}

pub(crate) async fn retype(client: &Client, key: &str, text: &str) {
    let input = field(client, key).await;
    input.clear().await.expect("clear");
    if !text.is_empty() {
        input.send_keys(text).await.expect("type");
    }
}

/// The value the clerk types for an input cell of `report` ('' for 0).
pub(crate) fn typed(report: &Report, field: &tables::Field) -> String {
    match field.get(report) {
        Value::Count(0) => String::new(),
        Value::Count(n) => n.to_string(),
        Value::Amount(a) if a.value().is_zero() => String::new(),
        Value::Amount(a) => a.to_string(),
    }
}

#[test]
fn a_clerk_fills_in_the_page_checks_mends_and_downloads_the_docx() {
    let Some((driver, browser)) = chromedriver() else {
        return;
    };
    let server = Server::start("127.0.0.1:0".parse().expect("address"), Config::default())
        .expect("server starts");
    let page = format!("http://{}/", server.addr());
    let work = tempfile::tempdir().expect("temp dir");
    let downloads = work.path().join("downloads");
    std::fs::create_dir_all(&downloads).expect("downloads dir");
    // A report with numbers in every table (the sample's are all zero).
    let input = root().join("inputs/mouxian-ziranziyuan-2024.toml");
    let report = nianbao::read_path(&input).expect("input loads");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = session(&driver, &browser, &work.path().join("profile"), &downloads).await;
        client.goto(&page).await.expect("page loads");
        wait_until(
            &client,
            "return document.body.dataset.ready === 'true';",
            vec![],
            "the page to build itself",
        )
        .await;

        // Every input has an accessible name: the words of its cell
        // (row × column) from the table description.
        for table in tables::all() {
            for (_, cell) in table.inputs() {
                let name = field(&client, &cell.key)
                    .await
                    .attr("aria-label")
                    .await
                    .expect("attr");
                assert_eq!(name.as_deref(), Some(cell.words.as_str()), "{}", cell.key);
            }
        }
        let unnamed = client
            .execute(
                "return [...document.querySelectorAll('main input, main textarea')]\
                 .filter(i => !i.getAttribute('aria-label') && !(i.id && document.querySelector(`label[for=\"${i.id}\"]`)))\
                 .map(i => i.outerHTML);",
                vec![],
            )
            .await
            .expect("script runs");
        assert_eq!(unnamed, json!([]), "inputs without an accessible name");

        // 1. Type the report: 基本信息, then every number of the three tables.
        let info = &report.report;
        retype(&client, "report.agency", &info.agency).await;
        retype(&client, "report.short_name", info.short_name.as_deref().unwrap_or("")).await;
        retype(&client, "report.year", &info.year.0.to_string()).await;
        retype(&client, "report.region", info.region.as_deref().unwrap_or("")).await;
        // The 信息处理费 as given (zeros): left blank, the page would send no
        // [processing_fees] and the report would have no fee sentence.
        let fees = report.processing_fees.expect("the input gives [processing_fees]");
        retype(&client, "processing_fees.notices", &fees.notices.to_string()).await;
        retype(&client, "processing_fees.notices_amount", &fees.notices_amount.to_string()).await;
        retype(&client, "processing_fees.collected", &fees.collected.to_string()).await;
        if let Some(date) = info.issued_on {
            // A date picker takes keys in the browser's locale; set it as a
            // clerk's pick would.
            client
                .execute(
                    "const i = document.querySelector(arguments[0]); i.value = arguments[1]; \
                     i.dispatchEvent(new Event('input'));",
                    vec![json!(css_key("report.issued_on")), json!(date.to_string())],
                )
                .await
                .expect("script runs");
        }
        for table in tables::all() {
            for (_, cell) in table.inputs() {
                let text = typed(&report, &cell.field);
                if !text.is_empty() {
                    field(&client, &cell.key)
                        .await
                        .send_keys(&text)
                        .await
                        .expect("type");
                }
            }
        }

        // 2. The totals, as the clerk types: those a person wrote into the
        // input file where it has them, else the library's sums.
        let figures = nianbao::spec::grid::Figures::new(&report);
        for table in tables::all() {
            for cell in &table.cells {
                let Content::Total(total) = &cell.content else {
                    continue;
                };
                let expected = total.given.get(&report).unwrap_or_else(|| {
                    figures.grid(table.id).count(cell.row, cell.col)
                });
                let shown = field(&client, &total.key).await.text().await.expect("text");
                assert_eq!(shown, expected.to_string(), "total {}", total.words);
            }
        }
        assert_eq!(settled_findings(&client).await, vec![], "the report holds every rule");

        // Enter moves down the column, as in Excel.
        let new = "applications.new[0]";
        let below = "applications.carried_over[0]";
        field(&client, new).await.send_keys("\u{E007}").await.expect("Enter");
        let focused = client
            .execute("return document.activeElement.dataset.key;", vec![])
            .await
            .expect("script runs");
        assert_eq!(focused, json!(below));

        // 3. Break R1: one more carried forward than the balance allows.
        let carry = "applications.carry_forward[0]";
        let mut broken = report.clone();
        broken.applications.carry_forward.values[0] += 1;
        let r1 = nianbao::check(&broken)
            .into_iter()
            .find(|f| f.rule == "R1")
            .expect("the checker finds R1");
        retype(
            &client,
            carry,
            &broken.applications.carry_forward.values[0].to_string(),
        )
        .await;
        let shown = settled_findings(&client).await;
        assert!(
            shown
                .iter()
                .any(|(cell, text)| cell == &r1.excel_cell && text.starts_with("R1")
                    && text.contains(&r1.expected.to_string())
                    && text.contains(&r1.found.to_string())),
            "R1 is not shown at {} ({:?})",
            r1.excel_cell,
            shown
        );
        let named = client
            .execute(
                "return document.querySelector(`[data-excel=\"${arguments[0]}\"] [aria-invalid]`) !== null;",
                vec![json!(r1.excel_cell)],
            )
            .await
            .expect("script runs");
        assert_eq!(named, json!(true), "the cell R1 names is not marked invalid");

        // The README's picture of the page, when asked for:
        // `NIANBAO_SCREENSHOT=docs/page.png cargo test --test it browser`.
        if let Some(path) = std::env::var_os("NIANBAO_SCREENSHOT") {
            client
                .execute(
                    "document.querySelector(arguments[0]).scrollIntoView({block: 'center'});",
                    vec![json!(css_key(carry))],
                )
                .await
                .expect("script runs");
            let png = client.screenshot().await.expect("screenshot");
            std::fs::write(path, png).expect("write the screenshot");
        }

        // 4. Mend it.
        retype(
            &client,
            carry,
            &report.applications.carry_forward.values[0].to_string(),
        )
        .await;
        assert_eq!(settled_findings(&client).await, vec![], "R1 is still shown");

        // 5. Download the DOCX; it equals the CLI's for the same data: the
        // numbers and 基本信息 typed, the default text blocks.
        field(&client, "report.agency").await; // still on the page
        client
            .find(Locator::Id("download-docx"))
            .await
            .expect("button")
            .click()
            .await
            .expect("click");
        let name = format!("{}.docx", report.title());
        let downloaded = downloads.join(&name);
        let started = Instant::now();
        while !downloaded.is_file()
            || std::fs::read_dir(&downloads)
                .expect("downloads")
                .any(|e| e.expect("entry").path().extension().is_some_and(|x| x == "crdownload"))
        {
            assert!(
                started.elapsed() < PATIENCE,
                "no {name} in the downloads: {:?}",
                std::fs::read_dir(&downloads).map(|d| d.count())
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // The draft survives a reload (a closed tab loses nothing).
        client.refresh().await.expect("reload");
        wait_until(
            &client,
            "return document.body.dataset.ready === 'true';",
            vec![],
            "the page to build itself again",
        )
        .await;
        let kept = client
            .execute(
                "return document.querySelector(arguments[0]).value;",
                vec![json!(css_key("applications.new[0]"))],
            )
            .await
            .expect("script runs");
        assert_eq!(kept, json!(report.applications.new.values[0].to_string()));

        client.close().await.expect("session ends");
    });

    let mut same = report.clone();
    same.text = Default::default();
    same.headings = Default::default();
    nianbao::clear_given_totals(&mut same);
    let data = work.path().join("data.json");
    std::fs::write(&data, serde_json::to_vec(&same).expect("json")).expect("write");
    let out = work.path().join("cli");
    let status = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("generate")
        .arg(&data)
        .arg("--docx-only")
        .arg("-o")
        .arg(&out)
        .status()
        .expect("nianbao runs");
    assert!(status.success());
    let name = format!("{}.docx", report.title());
    let cli = std::fs::read(out.join(&name)).expect("the CLI's DOCX");
    let page = std::fs::read(downloads.join(&name)).expect("the page's DOCX");
    assert!(page == cli, "the page's DOCX differs from the CLI's");
    server.stop().expect("server stops");
}
