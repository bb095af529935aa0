//! `nianbao serve` over HTTP: a server on an ephemeral loopback port per
//! test ([`nianbao::serve::Server`]), spoken to with ureq, or with a raw
//! socket where a client must misbehave (a body announced and not sent).
//! Every status code of the API, byte-identity with the CLI, and the server
//! still serving after each hostile body.

use std::io::{Cursor, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use nianbao::serve::{Config, Server};
use nianbao::spec::tables;
use serde_json::Value;

use crate::common::root;

const TOML: &str = "application/toml";
const JSON: &str = "application/json";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn start(config: Config) -> Server {
    Server::start("127.0.0.1:0".parse().expect("address"), config).expect("server starts")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A response read whole.
struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }

    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }

    /// The start of the body as text, for messages.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body[..self.body.len().min(400)]).into_owned()
    }

    /// The `message` of an error body, after checking its shape.
    fn error_message(&self) -> String {
        let json = self.json();
        let error = &json["error"];
        for field in ["message", "key", "line", "column"] {
            assert!(error.get(field).is_some(), "no {field} in {json}");
        }
        error["message"].as_str().expect("message").to_string()
    }
}

fn reply(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = response.expect("a response");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

fn get(server: &Server, path: &str) -> Reply {
    reply(
        agent()
            .get(format!("http://{}{path}", server.addr()))
            .call(),
    )
}

fn post(server: &Server, path: &str, content_type: Option<&str>, body: &[u8]) -> Reply {
    let mut request = agent().post(format!("http://{}{path}", server.addr()));
    if let Some(t) = content_type {
        request = request.header("content-type", t);
    }
    reply(request.send(body))
}

fn sample_toml() -> Vec<u8> {
    std::fs::read(root().join("inputs/butaji-2024.toml")).expect("sample")
}

fn assert_alive(server: &Server) {
    let r = get(server, "/healthz");
    assert_eq!((r.status, r.body.as_slice()), (200, b"ok".as_slice()));
}

/// Sends a request head announcing `length` body bytes and then only `sent`
/// of them; returns the socket (the server waits for the rest).
fn announce(server: &Server, path: &str, length: usize, sent: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {TOML}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    .expect("write head");
    s.write_all(sent).expect("write body");
    s
}

/// The status code and the whole text of the response on `s`.
fn raw_reply(mut s: TcpStream) -> (u16, String) {
    let mut text = Vec::new();
    let _ = s.read_to_end(&mut text);
    let text = String::from_utf8_lossy(&text).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    (status, text)
}

/// Percent-decodes an RFC 5987 value.
fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8 name")
}

/// The official file name of a `Content-Disposition`'s `filename*`.
fn official_name(disposition: &str) -> String {
    let (_, encoded) = disposition
        .split_once("filename*=UTF-8''")
        .unwrap_or_else(|| panic!("no filename*: {disposition}"));
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(disposition.is_ascii(), "{disposition}");
    percent_decode(encoded)
}

#[test]
fn health_and_unknown_paths() {
    let server = start(Config::default());
    assert_alive(&server);
    let r = get(&server, "/nothing/here");
    assert_eq!(r.status, 404);
    assert_eq!(r.error_message(), "没有这个地址");
    server.stop().expect("stops cleanly");
}

#[test]
fn check_reads_toml_json_and_a_filled_form() {
    let server = start(Config::default());
    let r = post(&server, "/api/check", Some(TOML), &sample_toml());
    assert_eq!(r.status, 200);
    let json = r.json();
    assert_eq!(json["agency"], "潢川县卜塔集镇人民政府");
    assert_eq!(json["year"], 2024);
    assert_eq!(json["status"], "ok");
    assert_eq!(json["findings"], Value::Array(vec![]));

    // JSON, with a broken R1: the finding names its rule, cells and key.
    let body = r#"{"report": {"agency": "某县统计局", "year": 2024},
        "applications": {"new": [2, 0, 0, 0, 0, 0], "granted": [1, 0, 0, 0, 0, 0]}}"#;
    let r = post(&server, "/api/check", Some(JSON), body.as_bytes());
    assert_eq!(r.status, 200);
    let json = r.json();
    assert_eq!(json["status"], "failed");
    let first = &json["findings"][0];
    assert_eq!(first["rule"], "R1");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["cell"], "表三 四、结转下年度继续办理 × 自然人");
    assert!(
        first["excel_cell"]
            .as_str()
            .unwrap()
            .starts_with("依申请公开!")
    );
    assert_eq!(
        (first["expected"].clone(), first["found"].clone()),
        (1.into(), 0.into())
    );
    for field in ["key", "message"] {
        assert!(
            first[field].as_str().is_some_and(|s| !s.is_empty()),
            "{first}"
        );
    }

    // A form from /api/form, posted back as it is.
    let form = get(
        &server,
        "/api/form?agency=%E6%9F%90%E5%8E%BF%E7%BB%9F%E8%AE%A1%E5%B1%80&year=2024",
    );
    assert_eq!(form.status, 200);
    let r = post(&server, "/api/check", Some(XLSX), &form.body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["agency"], "某县统计局");
    // A media type with parameters is the same type.
    let r = post(
        &server,
        "/api/check",
        Some("application/toml; charset=utf-8"),
        &sample_toml(),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn bad_input_is_400_with_key_line_and_column() {
    let server = start(Config::default());
    let r = post(
        &server,
        "/api/check?source=bad.toml",
        Some(TOML),
        "[report]\nagency = \"某局\"\nyear = 1999\n".as_bytes(),
    );
    assert_eq!(r.status, 400);
    let e = &r.json()["error"];
    assert_eq!(e["key"], "report.year");
    assert_eq!(
        (e["line"].clone(), e["column"].clone()),
        (3.into(), 8.into())
    );
    let message = e["message"].as_str().unwrap();
    assert!(
        message.starts_with("bad.toml:3:8: report.year:"),
        "{message}"
    );

    // A syntax error has a line and column but no key; the file is named
    // 请求正文 when the request does not name it.
    let r = post(&server, "/api/check", Some(TOML), b"[report\n");
    assert_eq!(r.status, 400);
    let e = &r.json()["error"];
    assert_eq!(e["key"], Value::Null);
    assert_eq!(e["line"], 1);
    assert!(
        e["message"].as_str().unwrap().starts_with("请求正文:1:"),
        "{e}"
    );

    // JSON that is not the report's shape; bytes that are not UTF-8.
    let r = post(&server, "/api/check", Some(JSON), b"{\"report\": 3}");
    assert_eq!(r.status, 400);
    let r = post(
        &server,
        "/api/check",
        Some(TOML),
        b"[report]\nagency = \"\xff\"\n",
    );
    assert_eq!(r.status, 400);
    assert!(r.error_message().contains("UTF-8"));
    // A bad source name, a bad format.
    let r = post(
        &server,
        "/api/check?source=a%0Ab",
        Some(TOML),
        &sample_toml(),
    );
    assert_eq!(r.status, 400);
    let r = post(
        &server,
        "/api/render?format=odt",
        Some(TOML),
        &sample_toml(),
    );
    assert_eq!(r.status, 400);
    assert!(r.error_message().contains("format"));
}

#[test]
fn a_body_of_another_type_is_415() {
    let server = start(Config::default());
    for (path, t) in [
        ("/api/check", None),
        ("/api/check", Some("text/plain")),
        ("/api/render", Some("application/x-www-form-urlencoded")),
        ("/api/render?format=docx", Some("application/xml")),
    ] {
        let r = post(&server, path, t, &sample_toml());
        assert_eq!(r.status, 415, "{path} {t:?}");
        assert!(r.error_message().contains("application/toml"));
    }
}

#[test]
fn a_body_over_the_limit_is_413_before_it_is_read() {
    let server = start(Config::default());
    // 3 MB announced: refused from the head, the body is never read.
    let s = announce(&server, "/api/check", 3 << 20, b"");
    let (status, text) = raw_reply(s);
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("请求正文过大"), "{text}");
    assert_alive(&server);

    // The limit holds for a body sent without a length too (chunked), here
    // with a test server whose limit is small enough to send past it.
    let server = start(Config {
        body_limit: 1000,
        ..Config::default()
    });
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let chunk = "#".repeat(1500);
    write!(
        s,
        "POST /api/check HTTP/1.1\r\nHost: x\r\nContent-Type: {TOML}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    )
    .expect("write");
    let (status, text) = raw_reply(s);
    assert_eq!(status, 413, "{text}");
    assert_alive(&server);
}

#[test]
fn a_broken_rule_is_422_with_the_findings() {
    let server = start(Config::default());
    let broken = serde_json::json!({
        "report": {"agency": "某县统计局", "year": 2024},
        "applications": {"new": [1, 0, 0, 0, 0, 0], "granted": [2, 0, 0, 0, 0, 0]},
    });
    for format in ["zip", "docx", "xlsx"] {
        let r = post(
            &server,
            &format!("/api/render?format={format}"),
            Some(JSON),
            broken.to_string().as_bytes(),
        );
        assert_eq!(r.status, 422, "{format}");
        let json = r.json();
        assert_eq!(json["status"], "failed");
        let findings = json["findings"].as_array().expect("findings");
        assert!(findings.iter().any(|f| f["rule"] == "R1"), "{json}");
        assert!(
            findings
                .iter()
                .all(|f| f["cell"].is_string() && f["key"].is_string())
        );
    }
}

/// The sample with text block `block` replaced by the template `src`.
fn with_block(block: &str, src: &str) -> String {
    let sample = String::from_utf8(sample_toml()).unwrap();
    let mut out = String::new();
    let mut found = false;
    for line in sample.lines() {
        if line.starts_with(&format!("{block} = ")) {
            out.push_str(&format!("{block} = '''{src}'''\n"));
            found = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(found, "the sample has no {block}");
    out
}

#[test]
fn a_self_including_partial_is_400_and_the_server_goes_on() {
    let server = start(Config::default());
    let toml = with_block("overview", r#"{{#*inline "a"}}{{> a}}{{/inline}}{{> a}}"#);
    let r = post(&server, "/api/render", Some(TOML), toml.as_bytes());
    assert_eq!(r.status, 400, "{}", r.text());
    let e = &r.json()["error"];
    assert_eq!(e["key"], "text.overview");
    let message = e["message"].as_str().unwrap();
    assert!(message.starts_with("text.overview"), "{e}");
    assert!(message.contains("递归引用了自身（a → a）"), "{e}");
    assert_alive(&server);

    // Eight nested loops: the step limit, 400, fast.
    let nested = format!(
        "{}x{}",
        "{{#each @root.applications}}".repeat(8),
        "{{/each}}".repeat(8)
    );
    let toml = with_block("on_request", &nested);
    let started = Instant::now();
    let r = post(
        &server,
        "/api/render?format=docx",
        Some(TOML),
        toml.as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_alive(&server);
}

/// A copy of the zip `bytes` with entry `name` replaced by `size` bytes of
/// spaces inside a comment, deflated: a zip bomb.
fn bomb(bytes: &[u8], name: &str, size: usize) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let entry_name = entry.name().to_string();
        out.start_file(entry_name.as_str(), options).expect("start");
        if entry_name == name {
            out.write_all(b"<worksheet><!--").expect("write");
            let chunk = vec![b' '; 1 << 20];
            for _ in 0..size >> 20 {
                out.write_all(&chunk).expect("write");
            }
            out.write_all(b"--></worksheet>").expect("write");
        } else {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("read");
            out.write_all(&data).expect("write");
        }
    }
    out.finish().expect("finish").into_inner()
}

#[test]
fn hostile_bodies_are_400_and_the_next_request_is_served() {
    let server = start(Config::default());
    let form = get(&server, "/api/form?agency=x&year=2024").body;
    let mut hostile: Vec<(&str, &str, Vec<u8>)> = vec![
        ("not a zip", XLSX, b"PK\x03\x04 not really".to_vec()),
        ("a truncated form", XLSX, form[..form.len() / 2].to_vec()),
        (
            "a zip bomb",
            XLSX,
            bomb(&form, "xl/worksheets/sheet1.xml", 64 << 20),
        ),
        ("deep JSON", JSON, "[".repeat(100_000).into_bytes()),
        (
            "deep TOML",
            TOML,
            format!("a = {}", "[".repeat(100_000)).into_bytes(),
        ),
        (
            "a NUL in a text",
            TOML,
            b"[report]\nagency = \"a\\u0000b\"\nyear = 2024\n".to_vec(),
        ),
    ];
    hostile.push(("empty", TOML, Vec::new()));
    for (what, media, body) in &hostile {
        for path in ["/api/check", "/api/render"] {
            let started = Instant::now();
            let r = post(&server, path, Some(media), body);
            assert_eq!(r.status, 400, "{what} {path}: {}", r.text());
            assert!(!r.error_message().is_empty());
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{what}: {:?}",
                started.elapsed()
            );
            assert_alive(&server);
        }
    }
}

#[test]
fn render_is_byte_identical_to_the_cli() {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .current_dir(root())
        .args(["generate", "inputs/butaji-2024.toml", "-o"])
        .arg(dir.path())
        .status()
        .expect("nianbao runs");
    assert!(status.success());
    let title = "潢川县卜塔集镇人民政府2024年政府信息公开工作年度报告";
    let docx_name = format!("{title}.docx");
    let xlsx_name = format!("{title}统计表.xlsx");
    let cli_docx = std::fs::read(dir.path().join(&docx_name)).expect("docx");
    let cli_xlsx = std::fs::read(dir.path().join(&xlsx_name)).expect("xlsx");

    let server = start(Config::default());
    // `source` is the input's file name, which the workbook records as the CLI does.
    let path = |format: &str| format!("/api/render?format={format}&source=butaji-2024.toml");
    let docx = post(&server, &path("docx"), Some(TOML), &sample_toml());
    assert_eq!(docx.status, 200);
    assert_eq!(
        docx.header("content-type"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert_eq!(
        official_name(&docx.header("content-disposition")),
        docx_name
    );
    assert!(docx.body == cli_docx, "the DOCX differs from the CLI's");

    let xlsx = post(&server, &path("xlsx"), Some(TOML), &sample_toml());
    assert_eq!(xlsx.status, 200);
    assert_eq!(xlsx.header("content-type"), XLSX);
    assert_eq!(
        official_name(&xlsx.header("content-disposition")),
        xlsx_name
    );
    assert!(xlsx.body == cli_xlsx, "the XLSX differs from the CLI's");

    // The ZIP (the default format) holds both, and is itself deterministic.
    let zip = post(
        &server,
        "/api/render?source=butaji-2024.toml",
        Some(TOML),
        &sample_toml(),
    );
    assert_eq!(zip.status, 200);
    assert_eq!(zip.header("content-type"), "application/zip");
    assert_eq!(
        official_name(&zip.header("content-disposition")),
        format!("{title}.zip")
    );
    let mut archive = zip::ZipArchive::new(Cursor::new(&zip.body)).expect("zip");
    for (name, cli) in [(&docx_name, &cli_docx), (&xlsx_name, &cli_xlsx)] {
        let mut inside = Vec::new();
        archive
            .by_name(name)
            .expect("entry")
            .read_to_end(&mut inside)
            .expect("read");
        assert!(&inside == cli, "{name} in the ZIP differs from the CLI's");
    }
    assert_eq!(archive.len(), 2);
    let again = post(
        &server,
        "/api/render?source=butaji-2024.toml",
        Some(TOML),
        &sample_toml(),
    );
    assert!(again.body == zip.body, "the ZIP is not deterministic");

    // Without `source` the workbook records no input file, as the CLI does
    // for standard input.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["generate", "-", "--xlsx-only", "-o"])
        .arg(dir.path().join("stdin"))
        .stdin(std::fs::File::open(root().join("inputs/butaji-2024.toml")).expect("open"))
        .output()
        .expect("nianbao runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli = std::fs::read(dir.path().join("stdin").join(&xlsx_name)).expect("xlsx");
    let xlsx = post(
        &server,
        "/api/render?format=xlsx",
        Some(TOML),
        &sample_toml(),
    );
    assert!(
        xlsx.body == cli,
        "the XLSX without source differs from the CLI's from stdin"
    );
}

#[test]
fn form_is_the_fill_in_workbook_and_refuses_a_bad_agency_or_year() {
    let server = start(Config::default());
    let r = get(&server, "/api/form?agency=%E6%9F%90%E5%B1%80&year=2025");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), XLSX);
    assert_eq!(
        official_name(&r.header("content-disposition")),
        "某局2025年政府信息公开工作年度报告填报表.xlsx"
    );
    let same = nianbao::form_bytes(&nianbao::new_report("某局", 2025, None), None).expect("form");
    assert!(r.body == same, "the form differs from the library's");

    // A name that is no file name is made safe in the header.
    let r = get(&server, "/api/form?agency=..%2F..%2Fx&year=2025");
    assert_eq!(r.status, 200);
    assert!(!official_name(&r.header("content-disposition")).contains('/'));

    for query in [
        "",
        "?year=2024",
        "?agency=%20&year=2024",
        "?agency=x",
        "?agency=x&year=1999",
        "?agency=x&year=abc",
        "?agency=x&year=99999999",
        "?agency=a%00b&year=2024",
    ] {
        let r = get(&server, &format!("/api/form{query}"));
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        assert!(!r.error_message().is_empty());
    }
}

#[test]
fn spec_holds_the_tables_outline_and_rules() {
    let server = start(Config::default());
    let r = get(&server, "/api/spec");
    assert_eq!(r.status, 200);
    let json = r.json();
    let tables_json = json["tables"].as_array().expect("tables");
    assert_eq!(tables_json.len(), 3);
    for (t, j) in tables::all().iter().zip(tables_json) {
        assert_eq!(j["name"], t.name);
        assert_eq!(j["heading"], t.heading);
        assert_eq!(j["sheet"], t.sheet);
        assert_eq!(
            (j["rows"].clone(), j["cols"].clone()),
            (t.rows.into(), t.cols.into())
        );
        assert_eq!(j["header_rows"], t.header_rows);
        let cells = j["cells"].as_array().expect("cells");
        assert_eq!(cells.len(), t.cells.len());
        let labels: Vec<&str> = cells.iter().filter_map(|c| c["text"].as_str()).collect();
        assert_eq!(labels, t.labels().collect::<Vec<_>>(), "{}", t.name);
        for (cell, input) in t.inputs() {
            let c = cells
                .iter()
                .find(|c| c["key"] == input.key.as_str())
                .unwrap_or_else(|| panic!("{} not in the spec", input.key));
            assert_eq!(c["kind"], "input");
            assert_eq!(c["words"], input.words.as_str());
            assert_eq!(
                (c["row"].clone(), c["col"].clone()),
                (cell.row.into(), cell.col.into())
            );
            assert_eq!(c["excel_cell"], t.excel_ref(cell.row, cell.col).as_str());
        }
        for (_, total) in t.totals() {
            let c = cells
                .iter()
                .find(|c| c["key"] == total.key.as_str())
                .unwrap_or_else(|| panic!("{} not in the spec", total.key));
            assert_eq!(c["kind"], "total");
            assert_eq!(c["terms"], serde_json::json!(total.terms));
        }
    }
    // Every label of table 三, e.g. 申请人情况 spanning the seven columns.
    let t3 = &tables_json[1];
    let header = t3["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["text"] == "申请人情况")
        .expect("申请人情况");
    assert_eq!(header["col_span"], 7);

    let outline = &json["outline"];
    assert_eq!(
        outline["sections"],
        serde_json::json!(nianbao::spec::outline::SECTION_HEADINGS)
    );
    let blocks = outline["blocks"].as_array().expect("blocks");
    assert_eq!(blocks.len(), nianbao::spec::outline::BLOCKS.len());
    for (b, j) in nianbao::spec::outline::BLOCKS.iter().zip(blocks) {
        assert_eq!(j["name"], b.name);
        assert_eq!(j["place"], b.place);
        assert_eq!(j["section"], b.section);
        assert_eq!(j["default_head"], serde_json::json!(b.default_head));
    }
    let rules = json["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), nianbao::spec::rules::RULES.len());
    for (rule, j) in nianbao::spec::rules::RULES.iter().zip(rules) {
        assert_eq!(j["id"], rule.id);
        assert_eq!(j["wording"], rule.wording());
        assert_eq!(j["severity"], serde_json::json!(rule.severity));
    }
    assert_eq!(rules[0]["scope"], "report");
}

#[test]
fn openapi_lists_every_path() {
    let server = start(Config::default());
    let r = get(&server, "/api/openapi.json");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), "application/json");
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.0"));
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/check",
        "/api/render",
        "/api/convert",
        "/api/import",
        "/api/form",
        "/api/spec",
        "/api/openapi.json",
        "/healthz",
        "/api/login",
        "/api/reports/{agency}/{year}",
        "/api/county/{year}/zip",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    // The county server (`--data`): a server with a store answers every
    // documented path and method (401 without a session, 400 or 415 for an
    // empty body: never 404 or 405); the stateless server answers the
    // county's paths (tag `county`, "only with --data") 404 and every other
    // path as documented.
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, _password) = nianbao::store::Store::init(dir.path(), "某县").expect("store");
    let county = start(Config {
        store: Some(std::sync::Arc::new(store)),
        ..Config::default()
    });
    let mut county_paths = 0;
    for (path, operations) in paths {
        let concrete = path
            .replace("{year}", "2024")
            .replace("{agency}", "1")
            .replace("{id}", "1")
            .replace("{version}", "1");
        assert!(!concrete.contains('{'), "{path}: a parameter left");
        let operations = operations.as_object().expect("operations");
        assert!(!operations.is_empty(), "{path}");
        let only_with_data = operations.values().any(|o| {
            o["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&"county".into()))
        });
        for (method, operation) in operations {
            let tagged = operation["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&"county".into()));
            assert_eq!(tagged, only_with_data, "{method} {path}: tag");
            if tagged {
                let description = operation["description"].as_str().unwrap_or("");
                assert!(
                    description.contains("--data"),
                    "{method} {path}: {description}"
                );
                assert!(
                    operation["security"].is_array(),
                    "{method} {path}: security"
                );
            }
            let with_data = call_method(&county, method, &concrete);
            assert!(
                ![404, 405].contains(&with_data.status),
                "{method} {path} with --data: {} {}",
                with_data.status,
                with_data.text()
            );
            let documented = operation["responses"]
                .as_object()
                .expect("responses")
                .contains_key(&with_data.status.to_string());
            assert!(
                documented,
                "{method} {path}: {} not documented",
                with_data.status
            );
            let without = call_method(&server, method, &concrete);
            if only_with_data {
                assert_eq!(without.status, 404, "{method} {path} without --data");
            } else {
                assert_ne!(without.status, 404, "{method} {path}");
            }
        }
        county_paths += usize::from(only_with_data);
    }
    assert_eq!(county_paths, 15, "the county routes of src/serve/county.rs");
    // Every `$ref` resolves.
    let text = String::from_utf8(r.body.clone()).unwrap();
    for (prefix, section) in [
        ("\"$ref\": \"#/components/schemas/", "schemas"),
        ("\"$ref\": \"#/components/responses/", "responses"),
    ] {
        for piece in text.split(prefix).skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(doc["components"][section].get(name).is_some(), "{name}");
        }
    }
    assert!(!text.contains("\"$ref\": \"#/components/parameters/"));
    // The session cookie and the CSRF header are the server's.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], nianbao::serve::COOKIE);
    assert_eq!(schemes["csrf"]["in"], "header");
    assert_eq!(
        schemes["csrf"]["name"]
            .as_str()
            .map(str::to_ascii_lowercase),
        Some(nianbao::serve::CSRF_HEADER.to_string())
    );
}

/// A request of any method without a body.
fn call_method(server: &Server, method: &str, path: &str) -> Reply {
    let request = ureq::http::Request::builder()
        .method(method.to_ascii_uppercase().as_str())
        .uri(format!("http://{}{path}", server.addr()))
        .body(Vec::new())
        .expect("request");
    reply(agent().run(request))
}

/// Asks `/api/spec` until it is refused as busy (503 at once), and returns
/// that answer; 200 until then.
fn wait_until_busy(server: &Server) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let started = Instant::now();
        let r = get(server, "/api/spec");
        if r.status == 503 {
            assert!(started.elapsed() < Duration::from_secs(1));
            return r;
        }
        assert_eq!(r.status, 200);
        assert!(Instant::now() < deadline, "never busy");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Announces a request whose body does not all come (see [`announce`]) on a
/// server with one place in flight, until it holds that place: the first
/// `/api/spec` (which builds the document, a moment) is done before, and a
/// holder answered at once (a probe had the place then) comes again.
fn hold_the_place(server: &Server, path: &str, length: usize, sent: &[u8]) -> TcpStream {
    assert_eq!(get(server, "/api/spec").status, 200);
    for _ in 0..20 {
        let holder = announce(server, path, length, sent);
        std::thread::sleep(Duration::from_millis(50));
        holder.set_nonblocking(true).expect("nonblocking");
        let answered = holder.peek(&mut [0u8; 1]).is_ok_and(|n| n > 0);
        holder.set_nonblocking(false).expect("blocking");
        if !answered {
            return holder;
        }
    }
    panic!("{path} never held the place");
}

/// A server with one request in flight at most: a request whose body is
/// announced and not sent holds the one place.
#[test]
fn past_the_limit_in_flight_is_503_with_retry_after_at_once() {
    let server = start(Config {
        max_in_flight: 1,
        ..Config::default()
    });
    let holder = hold_the_place(&server, "/api/check", 100, b"[re");
    let busy = wait_until_busy(&server);
    assert_eq!(busy.header("retry-after"), "1");
    assert!(busy.error_message().contains("繁忙"));
    // Liveness is not limited.
    assert_alive(&server);
    // The holder goes away: the place is free again.
    drop(holder);
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(&server, "/api/spec").status != 200 {
        assert!(Instant::now() < deadline, "the place was never freed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_slow_body_is_408_and_a_slow_request_503() {
    let server = start(Config {
        body_timeout: Duration::from_millis(300),
        ..Config::default()
    });
    let started = Instant::now();
    let (status, text) = raw_reply(announce(&server, "/api/check", 100, b"[re"));
    assert_eq!(status, 408, "{text}");
    assert!(text.contains("时限"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_alive(&server);

    let server = start(Config {
        request_timeout: Duration::from_millis(300),
        ..Config::default()
    });
    let (status, text) = raw_reply(announce(&server, "/api/render", 100, b"[re"));
    assert_eq!(status, 503, "{text}");
    assert!(
        text.to_ascii_lowercase().contains("retry-after: 1"),
        "{text}"
    );
    assert!(text.contains("超时"), "{text}");
    assert_alive(&server);
}

#[test]
fn stop_finishes_the_request_in_flight() {
    let server = start(Config {
        max_in_flight: 1,
        ..Config::default()
    });
    let addr = server.addr();
    // A request in flight whose body comes only after stop was asked; it is
    // in flight once the one place is taken (503 for another request).
    let mut s = hold_the_place(
        &server,
        "/api/check?source=a.toml",
        sample_toml().len(),
        b"",
    );
    wait_until_busy(&server);
    let stopper = std::thread::spawn(move || server.stop());
    std::thread::sleep(Duration::from_millis(200));
    s.write_all(&sample_toml()).expect("rest of the body");
    let (status, text) = raw_reply(s);
    assert_eq!(status, 200, "{text}");
    stopper.join().expect("stop thread").expect("stops cleanly");
    assert!(
        TcpStream::connect(addr).is_err(),
        "still listening after stop"
    );
}

#[test]
fn a_method_a_path_does_not_take_is_405_with_the_error_body() {
    let server = start(Config::default());
    let agent = agent();
    for (method, path, allow) in [
        ("GET", "/api/check", "POST"),
        ("GET", "/api/render", "POST"),
        ("DELETE", "/api/render", "POST"),
        ("POST", "/api/spec", "GET,HEAD"),
        ("PUT", "/api/form", "GET,HEAD"),
        ("POST", "/healthz", "GET,HEAD"),
    ] {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", server.addr()))
            .body(())
            .expect("request");
        let r = reply(agent.run(request));
        assert_eq!(r.status, 405, "{method} {path}: {}", r.text());
        assert_eq!(r.header("content-type"), "application/json");
        assert_eq!(r.header("allow"), allow, "{method} {path}");
        assert_eq!(
            r.error_message(),
            format!("这个地址不接受 {method} 请求"),
            "{method} {path}"
        );
    }
    assert_alive(&server);
}

/// Reads from `s` until the server closes the connection (or 20 s pass);
/// returns what came and how long the server took to close.
fn until_closed(s: &mut TcpStream) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the connection was not closed: {e}"),
        }
    }
    (got, started.elapsed())
}

/// Slowloris: clients that send half a request line, or nothing, or a head
/// a byte at a time, or stay idle after a response are dropped once
/// `header_timeout` has passed, and the server goes on serving.
#[test]
fn a_slow_or_idle_client_is_dropped_after_the_header_timeout() {
    let timeout = Duration::from_millis(400);
    let server = start(Config {
        header_timeout: timeout,
        ..Config::default()
    });
    let mut half = TcpStream::connect(server.addr()).expect("connect");
    half.write_all(b"POST /api/check HT").expect("write");
    let silent = TcpStream::connect(server.addr()).expect("connect");
    for mut s in [half, silent] {
        let (got, took) = until_closed(&mut s);
        assert!(took < Duration::from_secs(5), "closed after {took:?}");
        // Nothing but perhaps a refusal of the unfinished request.
        assert!(
            got.is_empty() || got.starts_with(b"HTTP/1.1 408"),
            "{}",
            String::from_utf8_lossy(&got)
        );
    }

    // A byte every 50 ms keeps the connection busy but not alive.
    let mut trickle = TcpStream::connect(server.addr()).expect("connect");
    let started = Instant::now();
    let head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut closed = false;
    for byte in head {
        if trickle.write_all(&[*byte]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        if started.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    assert!(closed, "a head sent byte by byte for 5 s was still read");
    let (got, _) = until_closed(&mut trickle);
    assert!(!got.starts_with(b"HTTP/1.1 200"), "a slow head was served");

    // Keep-alive: after a response the connection may stay idle as long.
    let mut idle = TcpStream::connect(server.addr()).expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    let (got, took) = until_closed(&mut idle);
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(got.ends_with("\r\n\r\nok"), "{got}");
    assert!(took >= timeout / 2, "closed after {took:?}");
    assert!(took < Duration::from_secs(5), "closed after {took:?}");

    assert_alive(&server);
    server.stop().expect("stops cleanly");
}

/// A client that asks and never reads holds the connection only until
/// `write_timeout` has passed with every write blocked.
#[test]
fn a_client_that_reads_nothing_is_dropped_after_the_write_timeout() {
    let server = start(Config {
        write_timeout: Duration::from_millis(300),
        ..Config::default()
    });
    let size = get(&server, "/api/openapi.json").body.len();
    // Far more answers than the socket buffers hold.
    let count = (64 << 20) / size + 1;
    let s = TcpStream::connect(server.addr()).expect("connect");
    let mut writer = s.try_clone().expect("clone");
    let asker = std::thread::spawn(move || {
        for _ in 0..count {
            if writer
                .write_all(b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
                .is_err()
            {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_secs(2));
    let mut s = s;
    let (got, took) = until_closed(&mut s);
    let answers = got
        .windows(b"HTTP/1.1 200".len())
        .filter(|w| *w == b"HTTP/1.1 200")
        .count();
    assert!(answers < count, "{answers} of {count} answers");
    assert!(took < Duration::from_secs(10), "closed after {took:?}");
    asker.join().expect("asker");
    assert_alive(&server);
}

// ---------------------------------------------------------------------------
// POST /api/import

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The parts of a report JSON that hold its numbers and words.
const REPORT_PARTS: [&str; 5] = [
    "report",
    "active",
    "applications",
    "review_litigation",
    "text",
];

/// The seed text (by its Content-Type or by `name=`) and our own DOCX import
/// to the numbers of inputs/butaji-2024.toml, every cell found, no finding;
/// a published page that breaks rules is 200 with the findings `/api/check`
/// gives for the report read.
#[test]
fn import_reads_a_published_report_with_its_summary() {
    let server = start(Config::default());
    let sample = post(&server, "/api/convert?to=json", Some(TOML), &sample_toml());
    assert_eq!(sample.status, 200, "{}", sample.text());
    let sample = sample.json();
    let cells = tables::all()
        .iter()
        .map(|t| t.inputs().count())
        .sum::<usize>();
    // The seed's text is the sample's; a DOCX holds the text as rendered
    // (the sample's "无" printed in the template's words), so its text is
    // compared by the library's round-trip test, not here.
    let assert_sample = |r: &Reply, what: &str, parts: &[&str]| {
        assert_eq!(r.status, 200, "{what}: {}", r.text());
        assert!(r.header("content-type").starts_with(JSON), "{what}");
        let j = r.json();
        for &part in parts {
            assert_eq!(j["report"][part], sample[part], "{what}: {part}");
        }
        let s = &j["summary"];
        assert_eq!(s["found"], cells, "{what}: {s}");
        assert_eq!(s["total"], cells, "{what}");
        assert_eq!(s["missing"], serde_json::json!([]), "{what}");
        assert_eq!(s["approximate"], serde_json::json!([]), "{what}");
        // The seed's 六 says nothing of the 信息处理费: R10 only; our DOCX
        // prints the fee sentence of the sample's [processing_fees].
        let rules: Vec<&str> = s["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .collect();
        let expected: &[&str] = if what.starts_with("seed") {
            &["R10"]
        } else {
            &[]
        };
        assert_eq!(rules, expected, "{what}: {s}");
    };
    match crate::import::seed_path().map(std::fs::read) {
        Some(Ok(seed)) => {
            for (content_type, path) in [
                (Some("text/plain; charset=utf-8"), "/api/import"),
                (None, "/api/import?name=seed.txt"),
                (
                    Some("application/octet-stream"),
                    "/api/import?name=%E5%B9%B4%E6%8A%A5.TXT",
                ),
            ] {
                let r = post(&server, path, content_type, &seed);
                assert_sample(&r, &format!("seed {content_type:?} {path}"), &REPORT_PARTS);
            }
        }
        _ => crate::common::skipped("the seed sample ../shared/sample is not here"),
    }
    let docx = crate::common::docx_bytes(&crate::common::sample());
    assert_sample(
        &post(&server, "/api/import", Some(DOCX), &docx),
        "our DOCX",
        &REPORT_PARTS[..4],
    );

    // A published page that breaks R1: imported all the same.
    let mut broken = crate::import::busy_report(3);
    broken.applications.carry_forward.values[0] += 2;
    let page = crate::import::hand_html(&broken);
    let r = post(
        &server,
        "/api/import?name=page.html",
        Some("text/html"),
        page.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    let findings = &j["summary"]["findings"];
    let rules: Vec<&str> = findings
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"R1"), "{findings}");
    let report = serde_json::to_vec(&j["report"]).expect("JSON");
    let checked = post(&server, "/api/check", Some(JSON), &report);
    assert_eq!(checked.status, 200, "{}", checked.text());
    // `/api/check` checks the numbers; the import's summary also reads the
    // text (R7, D2 for blocks the page did not hold, R10 for a 六 silent on
    // the 信息处理费).
    let of_numbers: Vec<&serde_json::Value> = findings
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            let fee_unreported = f["rule"] == "R10" && f["key"] == "processing_fees";
            !matches!(f["rule"].as_str(), Some("R7" | "D2")) && !fee_unreported
        })
        .collect();
    let checked = checked.json();
    let checked: Vec<&serde_json::Value> = checked["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .collect();
    assert_eq!(of_numbers, checked);
    assert_alive(&server);
}

/// A corrupt DOCX, a page of another kind, a file that is not a PDF, an
/// unknown kind or no kind at all: 400 (415) with the error body and a
/// Chinese message naming the file; a body over the import limit is 413,
/// one over the other endpoints' limit but under the import's is read.
#[test]
fn import_refuses_what_is_not_a_report() {
    let server = start(Config::default());
    // (path, Content-Type, body, status, words of the message)
    type Case<'a> = (&'a str, Option<&'a str>, &'a [u8], u16, &'a str);
    let cases: [Case; 7] = [
        (
            "/api/import?name=%E5%B9%B4%E6%8A%A5.docx",
            Some(DOCX),
            b"PK\x03\x04 this is not a zip",
            400,
            "年报.docx: 不是可读的 Word 文档（.docx）：不是 zip 压缩包",
        ),
        (
            "/api/import",
            Some(DOCX),
            b"",
            400,
            "请求正文: 不是可读的 Word 文档",
        ),
        (
            "/api/import",
            Some("text/html; charset=utf-8"),
            "<html><body><h1>食堂本周菜单</h1><table><tr><td>周一</td><td>面条</td></tr></table></body></html>".as_bytes(),
            400,
            "不是政府信息公开工作年度报告",
        ),
        (
            "/api/import?name=a.pdf",
            Some("application/pdf"),
            b"GIF89a not a pdf",
            400,
            "a.pdf: 无法读取 PDF：文件头不是 %PDF",
        ),
        (
            "/api/import?name=a.odt",
            Some("application/octet-stream"),
            b"x",
            400,
            "a.odt: 无法导入这种文件",
        ),
        (
            "/api/import?name=a%0A.txt",
            Some("text/plain"),
            b"x",
            400,
            "name 应为 1 至 255 个字符",
        ),
        ("/api/import", Some(TOML), b"x", 415, "不支持的内容类型「application/toml」"),
    ];
    for (path, content_type, body, status, words) in cases {
        let r = post(&server, path, content_type, body);
        assert_eq!(r.status, status, "{path}: {}", r.text());
        let message = r.error_message();
        assert!(message.contains(words), "{path}: {message}");
    }
    // Past the other endpoints' 2 MiB, under the import's 8 MiB: read (and
    // refused as no report); past 8 MiB: 413.
    let config = Config::default();
    let text = "无关的文字。\n".repeat(config.body_limit / 10);
    assert!(text.len() > config.body_limit && text.len() < config.import_body_limit);
    let r = post(&server, "/api/import", Some("text/plain"), text.as_bytes());
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.error_message().contains("不是政府信息公开工作年度报告"));
    // Announced past 8 MiB: refused from the head.
    let s = announce(&server, "/api/import", config.import_body_limit + 1, b"");
    let (status, text) = raw_reply(s);
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("请求正文过大"), "{text}");
    assert_alive(&server);
    // Sent without a length (chunked), past a small import limit.
    let server = start(Config {
        import_body_limit: 1000,
        ..Config::default()
    });
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let chunk = "#".repeat(1500);
    write!(
        s,
        "POST /api/import HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    )
    .expect("write");
    let (status, text) = raw_reply(s);
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("请求正文过大"), "{text}");
    assert_alive(&server);
}

/// A PDF whose pdftotext does not finish: the request is answered 400 with
/// the time limit before the request's own time is up, pdftotext is stopped,
/// and meanwhile the server answers other requests at once (the conversion
/// runs on the blocking pool). The server runs as `nianbao serve` with a
/// stand-in `pdftotext` first on its PATH that never ends.
#[cfg(unix)]
#[test]
fn a_pdf_that_does_not_finish_is_stopped_at_the_time_limit() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let pid_file = dir.path().join("pid");
    let fake = dir.path().join("pdftotext");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho $$ > '{}'\nexec sleep 120\n",
            pid_file.display()
        ),
    )
    .expect("write");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    /// The server process, stopped however the test ends.
    struct Stopped(std::process::Child);
    impl Drop for Stopped {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Stopped(
        std::process::Command::new(env!("CARGO_BIN_EXE_nianbao"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("PATH", path)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("nianbao serve starts"),
    );
    let mut stderr = std::io::BufReader::new(child.0.stderr.take().expect("stderr"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).expect("a line");
    let addr = line
        .trim()
        .strip_prefix("nianbao serve: http://")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    // The log lines go on being written: read them off.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let base = format!("http://{addr}");
    let started = Instant::now();
    let slow = {
        let base = base.clone();
        std::thread::spawn(move || {
            reply(
                agent()
                    .post(format!("{base}/api/import?name=slow.pdf"))
                    .header("content-type", "application/pdf")
                    .send(&b"%PDF-1.4\n%%EOF\n"[..]),
            )
        })
    };
    // pdftotext has started: the server still answers at once.
    let waited = Instant::now();
    while !pid_file.exists() && waited.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(pid_file.exists(), "the stand-in pdftotext did not start");
    let quick = Instant::now();
    let check = reply(
        agent()
            .post(format!("{base}/api/check"))
            .header("content-type", TOML)
            .send(&sample_toml()[..]),
    );
    assert_eq!(check.status, 200, "{}", check.text());
    let health = reply(agent().get(format!("{base}/healthz")).call());
    assert_eq!(health.status, 200);
    assert!(
        quick.elapsed() < Duration::from_secs(3),
        "{:?}",
        quick.elapsed()
    );
    let r = slow.join().expect("the slow request");
    let took = started.elapsed();
    let timeout = Config::default().request_timeout;
    assert_eq!(r.status, 400, "{}", r.text());
    let message = r.error_message();
    assert!(
        message.contains("slow.pdf") && message.contains("秒内未能读完"),
        "{message}"
    );
    assert!(took < timeout, "{took:?}");
    // The stand-in was stopped (killed and reaped: no such process).
    let pid = std::fs::read_to_string(&pid_file).expect("pid");
    let alive = std::process::Command::new("kill")
        .args(["-0", pid.trim()])
        .stderr(std::process::Stdio::null())
        .status()
        .expect("kill runs");
    assert!(!alive.success(), "pdftotext {} still runs", pid.trim());
    drop(child);
}

#[test]
fn render_format_html_is_the_web_version_of_the_library() {
    let server = start(Config::default());
    let r = post(
        &server,
        "/api/render?format=html",
        Some(TOML),
        &sample_toml(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.headers["content-type"], "text/html; charset=utf-8");
    let report = crate::common::sample();
    let disposition = r.headers["content-disposition"].to_str().expect("ASCII");
    assert_eq!(
        official_name(disposition),
        format!("{}.html", report.title())
    );
    let outputs = nianbao::Outputs {
        docx: false,
        xlsx: false,
        html: Some(nianbao::Html::Page),
    };
    let (files, _) = nianbao::render(&report, "-", outputs).expect("renders");
    assert_eq!(r.body, files[0].bytes);
}

/// The tools the PDF tests need, or `None` (skipped, failed under CI).
fn pdf_tools() -> Option<()> {
    for t in ["soffice", "pdftotext"] {
        crate::common::tool(t)?;
    }
    Some(())
}

/// A server whose LibreOffice profiles go under `dir`.
fn pdf_server(dir: &std::path::Path, queue: usize) -> Server {
    start(Config {
        pdf_dir: Some(dir.to_path_buf()),
        pdf_queue: queue,
        pdf_converters: 1,
        ..Config::default()
    })
}

/// `pdftotext` of `pdf`, without white space.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

#[test]
fn render_format_pdf_is_the_pdf_of_the_report() {
    let Some(()) = pdf_tools() else { return };
    let work = tempfile::tempdir().expect("temp dir");
    let server = pdf_server(work.path(), 4);
    let r = post(
        &server,
        "/api/render?format=pdf",
        Some(TOML),
        &sample_toml(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.headers["content-type"], "application/pdf");
    let report = crate::common::sample();
    let disposition = r.headers["content-disposition"].to_str().expect("ASCII");
    assert_eq!(
        official_name(disposition),
        format!("{}.pdf", report.title())
    );
    assert!(r.body.starts_with(b"%PDF-"));
    let text = pdf_text(&r.body);
    assert!(
        text.contains(&report.report.agency),
        "{} not in the PDF",
        report.report.agency
    );
    // A bad input is still a 400, before any conversion.
    let r = post(
        &server,
        "/api/render?format=pdf",
        Some(TOML),
        b"not = [toml",
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.error_message().contains("语法错误"), "{}", r.text());
}

#[test]
fn a_full_pdf_queue_is_503_with_retry_after() {
    let Some(()) = pdf_tools() else { return };
    let work = tempfile::tempdir().expect("temp dir");
    let server = pdf_server(work.path(), 1);
    let addr = server.addr();
    // Three at once into a queue of one: LibreOffice takes a second or more
    // to start, so the first holds the one place while the others come.
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(move || {
                    reply(
                        agent()
                            .post(format!("http://{addr}/api/render?format=pdf"))
                            .header("content-type", TOML)
                            .send(&sample_toml()[..]),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("client"))
            .collect()
    });
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert!(statuses.contains(&200), "{statuses:?}");
    let busy: Vec<&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    assert!(!busy.is_empty(), "{statuses:?}");
    for r in busy {
        assert_eq!(r.header("retry-after"), "1");
        assert!(
            r.error_message().contains("PDF 转换排队已满"),
            "{}",
            r.text()
        );
    }
    // The place is given back: the next one is converted. (The converter
    // gives it back when its LibreOffice run has ended, which may be a
    // moment after the first answer went out.)
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let r = loop {
        let r = post(
            &server,
            "/api/render?format=pdf",
            Some(TOML),
            &sample_toml(),
        );
        if r.status != 503 || std::time::Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn a_killed_soffice_is_a_clear_error_and_the_next_pdf_works() {
    let Some(()) = pdf_tools() else { return };
    let work = tempfile::tempdir().expect("temp dir");
    let server = pdf_server(work.path(), 4);
    let profile = work.path().display().to_string();
    let killer = std::thread::spawn(move || {
        for _ in 0..1200 {
            std::thread::sleep(Duration::from_millis(25));
            for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                let cmdline = String::from_utf8_lossy(&cmdline);
                if cmdline.contains("soffice.bin")
                    && cmdline.contains(&profile)
                    && cmdline.contains("--convert-to")
                {
                    let pid = entry.file_name().to_string_lossy().to_string();
                    let _ = std::process::Command::new("kill")
                        .args(["-9", &pid])
                        .status();
                    return true;
                }
            }
        }
        false
    });
    let r = post(
        &server,
        "/api/render?format=pdf",
        Some(TOML),
        &sample_toml(),
    );
    assert!(killer.join().expect("killer"), "soffice.bin was not found");
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.headers["content-type"], "application/json");
    let message = r.error_message();
    assert!(
        message.contains("LibreOffice 转换 PDF 时异常退出"),
        "{message}"
    );
    let r = post(
        &server,
        "/api/render?format=pdf",
        Some(TOML),
        &sample_toml(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body.starts_with(b"%PDF-"));
}
