//! The fill-in page's server side: the page and its assets at `/`, what
//! `/api/spec` gives the page beyond the tables (基本信息, the default text
//! blocks, the template variables), and `/api/convert`, with which the page
//! loads files and saves drafts. The page itself runs in `browser.rs`.

use std::collections::BTreeSet;

use nianbao::serve::{Config, Server};
use nianbao::spec::outline::{BLOCKS, SECTION_HEADINGS};
use nianbao::spec::tables::BasicInfo;
use serde_json::Value;

use crate::common::root;

fn start() -> Server {
    Server::start("127.0.0.1:0".parse().expect("address"), Config::default()).expect("starts")
}

struct Reply {
    status: u16,
    content_type: String,
    headers: ureq::http::HeaderMap,
    body: Vec<u8>,
}

fn call(server: &Server, method: &str, path: &str, media: Option<&str>, body: &[u8]) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("http://{}{path}", server.addr());
    let response = if method == "GET" {
        agent.get(&url).call()
    } else {
        let mut request = agent.post(&url);
        if let Some(media) = media {
            request = request.header("Content-Type", media);
        }
        request.send(body)
    }
    .expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response
        .into_body()
        .with_config()
        .limit(50 * 1024 * 1024)
        .read_to_vec()
        .expect("body");
    Reply {
        status,
        content_type,
        headers,
        body,
    }
}

fn json(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body).expect("a JSON body")
}

/// Every label of the format, transcribed by hand from FORMAT.md (the
/// fixtures), with the section headings, the block places and the fields
/// of 基本信息.
pub(crate) fn format_words() -> BTreeSet<String> {
    let mut words = BTreeSet::new();
    for file in ["format-labels.txt", "format-headings.txt"] {
        let text =
            std::fs::read_to_string(root().join("tests/fixtures").join(file)).expect("fixture");
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            // `表二 A1:D1 第二十条第（一）项`: the label is the rest after two fields.
            let label = if file == "format-labels.txt" {
                line.splitn(3, ' ').nth(2).unwrap_or_default()
            } else {
                line
            };
            words.insert(label.trim().to_string());
        }
    }
    words.extend(SECTION_HEADINGS.iter().map(|s| s.to_string()));
    words.extend(BLOCKS.iter().map(|b| b.place.to_string()));
    words.extend(BasicInfo::ALL.iter().map(|b| b.label().to_string()));
    words.retain(|w| w.chars().count() >= 2);
    words
}

#[test]
fn the_page_spells_no_label_of_the_format() {
    let words = format_words();
    assert!(words.len() > 80, "the oracle is read: {}", words.len());
    for asset in ["index.html", "app.js", "style.css"] {
        let text = std::fs::read_to_string(root().join("assets").join(asset)).expect("asset");
        for word in &words {
            assert!(
                !text.contains(word.as_str()),
                "assets/{asset} spells 「{word}」"
            );
        }
    }
}

#[test]
fn the_page_and_its_assets_are_served_from_the_binary() {
    let server = start();
    for (path, media, file) in [
        ("/", "text/html; charset=utf-8", "index.html"),
        ("/assets/app.js", "text/javascript; charset=utf-8", "app.js"),
        ("/assets/style.css", "text/css; charset=utf-8", "style.css"),
    ] {
        let r = call(&server, "GET", path, None, b"");
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.content_type, media, "{path}");
        let on_disk = std::fs::read(root().join("assets").join(file)).expect("asset");
        assert!(r.body == on_disk, "{path} is not assets/{file}");
        let policy = r.headers["content-security-policy"]
            .to_str()
            .expect("ascii");
        assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"));
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
    }
    // The page loads only its own script and style, no inline script.
    let html = String::from_utf8(call(&server, "GET", "/", None, b"").body).expect("UTF-8");
    assert!(html.contains("src=\"/assets/app.js\"") && html.contains("href=\"/assets/style.css\""));
    assert!(
        !html.contains("<script>"),
        "an inline script would break the policy"
    );
}

#[test]
fn spec_gives_the_page_basic_info_text_blocks_and_variables() {
    let server = start();
    let spec = json(&call(&server, "GET", "/api/spec", None, b""));
    assert_eq!(
        spec["title"],
        nianbao::spec::outline::title("{agency}", "{year}")
    );
    assert_eq!(spec["basic_info_title"], BasicInfo::SHEET);
    let fields = spec["basic_info"].as_array().expect("basic_info");
    let expected: Vec<&BasicInfo> = BasicInfo::ALL
        .iter()
        .filter(|b| !b.key().is_empty())
        .collect();
    assert_eq!(fields.len(), expected.len());
    for (b, f) in expected.iter().zip(fields) {
        assert_eq!(
            (f["key"].as_str(), f["label"].as_str()),
            (Some(b.key()), Some(b.label()))
        );
    }
    let agency = &fields[0];
    assert_eq!(
        (agency["required"].clone(), agency["section"].clone()),
        (Value::Bool(true), Value::Null)
    );
    // The 信息处理费 fields stand in 六, where the report states them.
    let notices = fields
        .iter()
        .find(|f| f["key"] == "processing_fees.notices")
        .expect("notices");
    assert_eq!(notices["section"], SECTION_HEADINGS.len() - 1);

    // Every block carries its default text: the embedded template.
    for (b, j) in BLOCKS
        .iter()
        .zip(spec["outline"]["blocks"].as_array().expect("blocks"))
    {
        let template =
            std::fs::read_to_string(root().join("templates").join(format!("{}.hbs", b.name)))
                .expect("template file");
        assert_eq!(j["template"], template.as_str(), "{}", b.name);
    }

    // Every variable the default templates use is explained.
    let variables: BTreeSet<&str> = spec["templates"]["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| {
            assert!(!v["words"].as_str().expect("words").is_empty());
            v["path"].as_str().expect("path")
        })
        .collect();
    let helpers: BTreeSet<&str> = spec["templates"]["helpers"]
        .as_array()
        .expect("helpers")
        .iter()
        .map(|h| h["name"].as_str().expect("name"))
        .collect();
    let keywords = [
        "if", "else", "unless", "each", "with", "eq", "ne", "gt", "lt", "gte", "lte", "and", "or",
        "not", "this",
    ];
    for b in BLOCKS {
        let template = nianbao::default_template(b.name).expect("default");
        for expression in template
            .split("{{")
            .skip(1)
            .filter_map(|s| s.split("}}").next())
        {
            for token in expression
                .split(|c: char| c.is_whitespace() || "()~#/".contains(c))
                .filter(|t| {
                    !t.is_empty()
                        && !t.starts_with(['"', '\''])
                        && !t.chars().all(|c| c.is_ascii_digit())
                })
            {
                assert!(
                    variables.contains(token)
                        || helpers.contains(token)
                        || keywords.contains(&token),
                    "{}: {{{{{token}}}}} is not explained",
                    b.name
                );
            }
        }
    }
    // An explanation names the cell in the table's own words.
    let words = |path: &str| {
        spec["templates"]["variables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["path"] == path)
            .map(|v| v["words"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{path} is not explained"))
    };
    assert!(words("applications.carry_forward.total").starts_with("表三 四、结转下年度继续办理"));
    assert_eq!(words("report.agency"), "机关全称");
}

#[test]
fn convert_reads_any_body_and_gives_json_or_toml_that_reads_back_the_same() {
    let server = start();
    let path = root().join("inputs/mouxian-ziranziyuan-2024.toml");
    let toml_in = std::fs::read(&path).expect("input");
    let report = nianbao::read_path(&path).expect("loads");

    let as_json = call(
        &server,
        "POST",
        "/api/convert?to=json",
        Some("application/toml"),
        &toml_in,
    );
    assert_eq!(as_json.status, 200);
    assert_eq!(as_json.content_type, "application/json");
    let from_json =
        nianbao::read_bytes(&as_json.body, nianbao::InputKind::Json, "x.json").expect("reads back");
    assert_eq!(from_json, report);

    let as_toml = call(
        &server,
        "POST",
        "/api/convert?to=toml",
        Some("application/json"),
        &as_json.body,
    );
    assert_eq!(as_toml.status, 200);
    assert_eq!(as_toml.content_type, "application/toml; charset=utf-8");
    let text = String::from_utf8(as_toml.body.clone()).expect("UTF-8");
    assert!(text.starts_with(&format!("# {}", report.title())));
    let from_toml =
        nianbao::read_bytes(&as_toml.body, nianbao::InputKind::Toml, "x.toml").expect("reads back");
    assert_eq!(from_toml, report);

    // A filled form converts too: the fill-in workbook of a report, read back.
    let form = nianbao::form_bytes(&report, None).expect("form");
    let from_form = call(
        &server,
        "POST",
        "/api/convert",
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        &form,
    );
    assert_eq!(from_form.status, 200);
    let mut expected = report.clone();
    nianbao::clear_given_totals(&mut expected);
    let got = nianbao::read_bytes(&from_form.body, nianbao::InputKind::Json, "x.json")
        .expect("reads back");
    assert_eq!(got.applications, expected.applications);
    assert_eq!(got.report, expected.report);

    // A draft with findings is converted all the same (it is not checked).
    let broken = b"[report]\nagency = \"\xe6\x9f\x90\xe5\xb1\x80\"\nyear = 2024\n[applications]\nnew = [1, 0, 0, 0, 0, 0]\n";
    assert_eq!(
        call(
            &server,
            "POST",
            "/api/convert?to=toml",
            Some("application/toml"),
            broken
        )
        .status,
        200
    );

    // Bad input: 400 with the key; a bad `to`: 400; another media type: 415.
    let bad = call(
        &server,
        "POST",
        "/api/convert",
        Some("application/json"),
        br#"{"report": {"agency": "x", "year": "twenty"}}"#,
    );
    assert_eq!(bad.status, 400);
    assert_eq!(json(&bad)["error"]["key"], "report.year");
    let bad_to = call(
        &server,
        "POST",
        "/api/convert?to=yaml",
        Some("application/toml"),
        &toml_in,
    );
    assert_eq!(bad_to.status, 400);
    assert!(
        json(&bad_to)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("json")
    );
    assert_eq!(
        call(
            &server,
            "POST",
            "/api/convert",
            Some("text/plain"),
            &toml_in
        )
        .status,
        415
    );

    // An agency with a line break cannot escape the TOML comment line.
    let sneaky = br#"{"report": {"agency": "x\n[text]\noverview = \"injected\"", "year": 2024}}"#;
    let r = call(
        &server,
        "POST",
        "/api/convert?to=toml",
        Some("application/json"),
        sneaky,
    );
    if r.status == 200 {
        let back =
            nianbao::read_bytes(&r.body, nianbao::InputKind::Toml, "x.toml").expect("reads back");
        assert_eq!(
            back.text.overview, None,
            "the title comment leaked into the data"
        );
    } else {
        assert_eq!(r.status, 400);
    }
}
