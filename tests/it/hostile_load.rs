//! Hostile TOML/JSON input and hostile paths (issue 8, families 7, 8 and 9):
//! limits checked at load, dates, no machine path in the outputs, and every
//! message in Chinese naming the file and the key — through the library and
//! through the binary.

use std::path::Path;
use std::process::{Command, Output};

use nianbao::LoadError;
use nianbao::Severity;
use nianbao::model::{self, Report};

const HEAD: &str = "[report]\nagency = \"某局\"\nyear = 2024\n";
const JSON_HEAD: &str = "\"report\": {\"agency\": \"某局\", \"year\": 2024}";

fn nianbao() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nianbao"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// ASCII words a Chinese message may contain: names of formats and
/// literals the user types.
const TECHNICAL: &[&str] = &[
    "true", "false", "null", "XML", "JSON", "TOML", "UTF", "Excel", "KB", "CR", "U", "u", "x", "o",
    "b", "0x", "0o", "0b",
];

/// Asserts that `message` is Chinese apart from the file name, the key path,
/// quoted user values (`…`, "…") and the words of [`TECHNICAL`], and that it
/// starts with the file name.
fn assert_chinese(message: &str, file: &str, key_path: Option<&str>) {
    if let Some(problem) = not_chinese(message, file, key_path) {
        panic!("{problem}");
    }
}

/// Every key name of the input format (a message may list them).
fn key_names() -> std::collections::BTreeSet<String> {
    let mut paths: Vec<String> = Vec::new();
    for table in nianbao::spec::tables::all() {
        paths.extend(table.inputs().map(|(_, i)| i.key.clone()));
        paths.extend(table.totals().map(|(_, t)| t.key.clone()));
    }
    paths.extend(
        nianbao::spec::tables::BasicInfo::ALL
            .iter()
            .map(|b| b.key().to_string()),
    );
    for block in nianbao::spec::outline::BLOCKS {
        let name = block.name;
        paths.push(format!("text.{name}"));
        paths.push(format!("headings.{name}"));
    }
    paths
        .iter()
        .flat_map(|p| p.split(['.', '[', ']']))
        .filter(|s| s.chars().any(|c| c.is_ascii_alphabetic()))
        .map(str::to_string)
        .collect()
}

/// What is wrong with `message` (see [`assert_chinese`]), if anything.
fn not_chinese(message: &str, file: &str, key_path: Option<&str>) -> Option<String> {
    if !message.starts_with(file) {
        return Some(format!("the message names the file {file}: {message}"));
    }
    let mut rest = message.replacen(file, "", 1);
    if let Some(key) = key_path {
        rest = rest.replace(key, "");
    }
    // Drop quoted values: `…` and "…".
    let mut plain = String::new();
    let mut quote: Option<char> = None;
    for c in rest.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '`' || c == '"' => quote = Some(c),
            None => plain.push(c),
        }
    }
    let keys = key_names();
    if let Some(word) = plain
        .split(|c: char| !c.is_ascii_alphabetic() && c != '_')
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .find(|w| !TECHNICAL.contains(w) && !keys.contains(*w))
    {
        return Some(format!("English word `{word}` in the message: {message}"));
    }
    if message.contains("os error") || message.contains("struct ") || message.contains("i64") {
        return Some(format!("Rust or system words: {message}"));
    }
    if !message
        .chars()
        .any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
    {
        return Some(format!("not Chinese: {message}"));
    }
    None
}

/// Reads `text` as `file` (TOML or JSON by extension) and returns the error.
fn load_err(file: &str, text: &str) -> LoadError {
    let result = if file.ends_with(".json") {
        Report::from_json_str(text, file)
    } else {
        Report::from_toml_str(text, file)
    };
    match result {
        Ok(_) => panic!(
            "{file} should be refused:\n{}",
            &text[..text.len().min(300)]
        ),
        Err(e) => e,
    }
}

/// One hostile input and the key path its error must name (`None`: a syntax
/// error, which names the line and column instead).
struct Hostile {
    text: String,
    key: Option<&'static str>,
}

fn toml(extra: &str, key: Option<&'static str>) -> Hostile {
    Hostile {
        text: format!("{HEAD}{extra}"),
        key,
    }
}

fn raw(text: &str, key: Option<&'static str>) -> Hostile {
    Hostile {
        text: text.to_string(),
        key,
    }
}

fn hostile_toml() -> Vec<Hostile> {
    let deep_array = format!(
        "{HEAD}a = {}1{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep_table = format!(
        "{HEAD}a = {}1{}\n",
        "{a = ".repeat(100_000),
        "}".repeat(100_000)
    );
    let deep_key = format!("{HEAD}[{}]\n", vec!["a"; 100_000].join("."));
    vec![
        // Wrong type at every level.
        raw("report = 5\n", Some("report")),
        raw("report = [1]\n", Some("report")),
        raw(
            "[[report]]\nagency = \"某局\"\nyear = 2024\n",
            Some("report"),
        ),
        raw("[report]\nagency = 5\nyear = 2024\n", Some("report.agency")),
        raw(
            "[report]\nagency = [\"a\"]\nyear = 2024\n",
            Some("report.agency"),
        ),
        raw(
            "[report]\nagency = { a = 1 }\nyear = 2024\n",
            Some("report.agency"),
        ),
        raw(
            "[report]\nagency = 2025-01-20\nyear = 2024\n",
            Some("report.agency"),
        ),
        raw(
            "[report]\nagency = \"某局\"\nyear = \"2024\"\n",
            Some("report.year"),
        ),
        raw(
            "[report]\nagency = \"某局\"\nyear = 2024.5\n",
            Some("report.year"),
        ),
        raw(
            "[report]\nagency = \"某局\"\nyear = nan\n",
            Some("report.year"),
        ),
        raw(
            "[report]\nagency = \"某局\"\nyear = 99999999999999999999\n",
            Some("report.year"),
        ),
        raw(
            "[report]\nagency = \"某局\"\nyear = -2024\n",
            Some("report.year"),
        ),
        toml("short_name = 1\n", Some("report.short_name")),
        toml("region = true\n", Some("report.region")),
        toml("issued_on = 5\n", Some("report.issued_on")),
        toml("issued_on = true\n", Some("report.issued_on")),
        toml("issued_on = [2025]\n", Some("report.issued_on")),
        toml("issued_on = { a = 1 }\n", Some("report.issued_on")),
        toml(
            "issued_on = 2025-01-20T10:00:00\n",
            Some("report.issued_on"),
        ),
        toml(
            "issued_on = 2025-01-20T10:00:00+08:00\n",
            Some("report.issued_on"),
        ),
        toml("issued_on = 10:00:00\n", Some("report.issued_on")),
        toml("issued_on = \"2025-13-01\"\n", Some("report.issued_on")),
        raw(&format!("active = 5\n{HEAD}"), Some("active")),
        raw(&format!("active = [1, 2]\n{HEAD}"), Some("active")),
        toml("[active]\nrules = 5\n", Some("active.rules")),
        toml(
            "[active]\nrules = { issued = \"x\" }\n",
            Some("active.rules.issued"),
        ),
        toml("[active]\nlicensing = \"5\"\n", Some("active.licensing")),
        toml("[active]\nlicensing = 1.5\n", Some("active.licensing")),
        toml("[active]\nlicensing = nan\n", Some("active.licensing")),
        toml("[active]\nlicensing = inf\n", Some("active.licensing")),
        toml("[active]\nlicensing = -1\n", Some("active.licensing")),
        toml(
            "[active]\nlicensing = 5000000000\n",
            Some("active.licensing"),
        ),
        toml(
            "[active]\nlicensing = 1000000001\n",
            Some("active.licensing"),
        ),
        toml("[active]\nlicensing = 99999999999999999999999\n", None),
        toml(
            "[active]\nlicensing = { a = 1 }\n",
            Some("active.licensing"),
        ),
        toml(
            "[active]\nlicensing = 2025-01-01\n",
            Some("active.licensing"),
        ),
        toml("[active]\nlicensing = [1]\n", Some("active.licensing")),
        toml("[active]\nfees = nan\n", Some("active.fees")),
        toml("[active]\nfees = -inf\n", Some("active.fees")),
        toml("[active]\nfees = -1\n", Some("active.fees")),
        toml("[active]\nfees = \"abc\"\n", Some("active.fees")),
        toml("[active]\nfees = [1]\n", Some("active.fees")),
        toml("[active]\nfees = { x = 1 }\n", Some("active.fees")),
        toml("[active]\nfees = 1e300\n", Some("active.fees")),
        toml("[active]\nfees = 100000000.000001\n", Some("active.fees")),
        toml("[active]\nfees = 1.0000001\n", Some("active.fees")),
        raw(&format!("applications = 5\n{HEAD}"), Some("applications")),
        toml("[applications]\nnew = \"x\"\n", Some("applications.new")),
        toml(
            "[applications]\nnew = [1, 2, 3]\n",
            Some("applications.new"),
        ),
        toml(
            "[applications]\nnew = [1, 2, 3, 4, 5, \"6\"]\n",
            Some("applications.new[5]"),
        ),
        toml("[applications]\nnew = [[1]]\n", Some("applications.new[0]")),
        toml(
            "[applications]\nnew = { a = 1 }\n",
            Some("applications.new"),
        ),
        toml(
            "[applications]\nnew = [1.5, 0, 0, 0, 0, 0]\n",
            Some("applications.new[0]"),
        ),
        toml(
            "[applications]\nnew = [4294967296, 0, 0, 0, 0, 0]\n",
            Some("applications.new[0]"),
        ),
        toml(
            "[applications]\nnew = [1, 0, 0, 0, 0, 0, 2000000000]\n",
            Some("applications.new[6]"),
        ),
        toml(
            "[applications]\nwithheld = 5\n",
            Some("applications.withheld"),
        ),
        toml(
            "[applications]\nwithheld.state_secret = 3\n",
            Some("applications.withheld.state_secret"),
        ),
        toml(
            "[review_litigation]\nreview = [1, 2]\n",
            Some("review_litigation.review"),
        ),
        toml("[text]\noverview = 5\n", Some("text.overview")),
        toml("[text]\noverview = [\"a\"]\n", Some("text.overview")),
        toml("[text]\noverview = \"a\\u0000b\"\n", Some("text.overview")),
        toml("[headings]\nproactive = 1\n", Some("headings.proactive")),
        toml(
            "[processing_fees]\nnotices = -1\n",
            Some("processing_fees.notices"),
        ),
        toml(
            "[processing_fees]\nnotices_amount = \"x\"\n",
            Some("processing_fees.notices_amount"),
        ),
        toml(
            "[processing_fees]\ncollected = 1000000000\n",
            Some("processing_fees.collected"),
        ),
        // Duplicate keys and tables.
        raw(
            "[report]\nagency = \"甲\"\nagency = \"乙\"\nyear = 2024\n",
            Some("report.agency"),
        ),
        raw(
            "[report]\nagency = \"甲\"\nyear = 2024\n[report]\nregion = \"x\"\n",
            Some("report"),
        ),
        toml(
            "[active]\nrules = { issued = 1, issued = 2 }\n",
            Some("active.rules.issued"),
        ),
        // Syntax.
        raw("[report]\nagency = \"a\u{0}b\"\nyear = 2024\n", None),
        raw("[report]\nagency = \"ab\"\ryear = 2024\n", None),
        raw("[report]\nagency = \nyear = 2024\n", None),
        raw("[report\nagency = \"a\"\n", None),
        raw("= 5\n", None),
        raw("[report]\nagency \"a\"\n", None),
        raw("[report]\nagency = 'a\n", None),
        raw("[report]\nagency = \"\"\"a\n", None),
        raw("[report]\nagency = \"a\"\nyear = 0x\n", None),
        raw("[report]\nagency = \"a\"\nyear = 1__0\n", None),
        raw("[report]\nagency = \"a\\q\"\n", None),
        raw("[report]\nagency = a\n", None),
        raw("[report]\nagency = \"a\"\nyear = 2024 2025\n", None),
        // Nothing there.
        raw("", Some("report")),
        raw("# 只有注释\n# comment only\n", Some("report")),
        raw("\u{feff}", Some("report")),
        raw("[report]\n", Some("report.agency")),
        raw(
            "[report]\nagency = \"   \"\nyear = 2024\n",
            Some("report.agency"),
        ),
        // Deeply nested: the parser's recursion limit, never a stack overflow.
        raw(&deep_array, None),
        raw(&deep_table, None),
        raw(&deep_key, None),
    ]
}

fn hostile_json() -> Vec<Hostile> {
    let deep_array = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let deep_inside = format!(
        "{{{JSON_HEAD}, \"text\": {{\"overview\": {}1{}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let json = |s: &str, key| raw(&format!("{{{JSON_HEAD}, {s}}}"), key);
    vec![
        raw("[]", Some(".")),
        raw("5", Some(".")),
        raw("\"x\"", Some(".")),
        raw("null", Some(".")),
        raw("{\"report\": 5}", Some("report")),
        raw("{\"report\": []}", Some("report")),
        raw("{\"report\": null}", Some("report")),
        raw(
            "{\"report\": {\"agency\": 5, \"year\": 2024}}",
            Some("report.agency"),
        ),
        raw(
            "{\"report\": {\"agency\": {}, \"year\": 2024}}",
            Some("report.agency"),
        ),
        raw(
            "{\"report\": {\"agency\": \"某局\", \"year\": \"2024\"}}",
            Some("report.year"),
        ),
        raw(
            "{\"report\": {\"agency\": \"某局\", \"year\": 2024.5}}",
            Some("report.year"),
        ),
        raw(
            "{\"report\": {\"agency\": \"某局\", \"year\": 1e400}}",
            None,
        ),
        raw(
            "{\"report\": {\"agency\": \"某局\", \"year\": 99999999999999999999}}",
            Some("report.year"),
        ),
        raw(
            "{\"report\": {\"agency\": \"a\\u0000b\", \"year\": 2024}}",
            Some("report.agency"),
        ),
        raw(
            "{\"report\": {\"agency\": \"某局\", \"year\": 2024, \"issued_on\": 20250120}}",
            Some("report.issued_on"),
        ),
        raw(
            "{\"report\": {\"agency\": \"某局\", \"year\": 2024, \"issued_on\": {}}}",
            Some("report.issued_on"),
        ),
        json(
            "\"active\": {\"licensing\": \"5\"}",
            Some("active.licensing"),
        ),
        json("\"active\": {\"licensing\": 1.5}", Some("active.licensing")),
        json("\"active\": {\"licensing\": -1}", Some("active.licensing")),
        json(
            "\"active\": {\"licensing\": null}",
            Some("active.licensing"),
        ),
        json(
            "\"active\": {\"licensing\": true}",
            Some("active.licensing"),
        ),
        json("\"active\": {\"licensing\": []}", Some("active.licensing")),
        json("\"active\": {\"licensing\": {}}", Some("active.licensing")),
        json(
            "\"active\": {\"licensing\": 99999999999999999999}",
            Some("active.licensing"),
        ),
        json("\"active\": {\"fees\": \"abc\"}", Some("active.fees")),
        json("\"active\": {\"fees\": 1e300}", Some("active.fees")),
        json("\"active\": {\"fees\": true}", Some("active.fees")),
        json("\"active\": []", Some("active")),
        json(
            "\"applications\": {\"new\": [1, 2, 3]}",
            Some("applications.new"),
        ),
        json(
            "\"applications\": {\"new\": [1, 0, 0, 0, 0, \"x\"]}",
            Some("applications.new[5]"),
        ),
        json("\"applications\": {\"new\": {}}", Some("applications.new")),
        json("\"text\": {\"overview\": 5}", Some("text.overview")),
        json("\"text\": {\"overview\": [\"a\"]}", Some("text.overview")),
        // Duplicate keys.
        raw(&format!("{{{JSON_HEAD}, {JSON_HEAD}}}"), Some("report")),
        raw(
            "{\"report\": {\"agency\": \"甲\", \"agency\": \"乙\", \"year\": 2024}}",
            Some("report.agency"),
        ),
        // Syntax and trailing garbage.
        raw(&format!("{{{JSON_HEAD}}} x"), None),
        raw(&format!("{{{JSON_HEAD}}},"), None),
        raw(&format!("{{{JSON_HEAD},}}"), None),
        raw("{\"report\": {\"agency\": NaN, \"year\": 2024}}", None),
        raw(
            "{\"report\": {\"agency\": \"a\u{1}b\", \"year\": 2024}}",
            None,
        ),
        raw(
            "{\"report\": {\"agency\": \"a\\qb\", \"year\": 2024}}",
            None,
        ),
        raw("{\"report\": {\"agency\": \"某局\" \"year\": 2024}}", None),
        raw("{\"report\": {agency: \"某局\"}}", None),
        raw("{\"report\": tru}", None),
        raw("{\"report\": {\"agency\": \"某局\"", None),
        raw("", None),
        raw("   \n", None),
        raw(&deep_array, None),
        raw(&deep_object, None),
        raw(&deep_inside, None),
    ]
}

/// Every hostile TOML and JSON input: one error, Chinese apart from the file
/// name, key path and quoted values, that names the file and the key.
#[test]
fn every_hostile_input_gets_a_chinese_message_with_file_and_key() {
    let mut problems = Vec::new();
    for (file, cases) in [("敌意.toml", hostile_toml()), ("敌意.json", hostile_json())] {
        for case in cases {
            let shown: String = case.text.chars().take(80).collect();
            let err = match if file.ends_with(".json") {
                Report::from_json_str(&case.text, file)
            } else {
                Report::from_toml_str(&case.text, file)
            } {
                Ok(_) => {
                    problems.push(format!("accepted: {shown:?}"));
                    continue;
                }
                Err(e) => e,
            };
            let message = err.to_string();
            match case.key {
                Some(key) if err.key_path() != Some(key) => {
                    problems.push(format!("{shown:?}: key {key} expected: {message}"));
                }
                Some(key) if !message.contains(&format!(": {key}: ")) => {
                    problems.push(format!("{shown:?}: names the key {key}: {message}"));
                }
                None if !matches!(err, LoadError::Syntax { .. } | LoadError::Invalid { .. }) => {
                    problems.push(format!("{shown:?}: {message}"));
                }
                _ => {}
            }
            if let Some(p) = not_chinese(&message, file, err.key_path()) {
                problems.push(format!("{shown:?}: {p}"));
            }
            if message.chars().count() > 300 {
                problems.push(format!("{shown:?}: a long message: {message}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The same table through the binary: exit 2, a Chinese message naming the
/// file, and `generate -o DIR` writes nothing.
#[test]
fn hostile_inputs_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "类型.toml",
            format!("{HEAD}[active]\nlicensing = \"5\"\n"),
            "active.licensing",
        ),
        ("表.toml", "report = 5\n".to_string(), "report"),
        (
            "重复.toml",
            "[report]\nagency = \"甲\"\nagency = \"乙\"\nyear = 2024\n".to_string(),
            "report.agency",
        ),
        (
            "重复.json",
            "{\"report\": {\"agency\": \"甲\", \"agency\": \"乙\", \"year\": 2024}}".to_string(),
            "report.agency",
        ),
        (
            "名称.toml",
            format!("[report]\nagency = \"{}\"\nyear = 2024\n", "局".repeat(101)),
            "report.agency",
        ),
        (
            "时间.toml",
            format!("{HEAD}issued_on = 2025-01-20T09:30:00\n"),
            "report.issued_on",
        ),
    ];
    for (name, text, key) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = nianbao().arg("check").arg(&path).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        let file = path.display().to_string();
        assert!(err.contains(&format!(": {key}: ")), "{err}");
        assert_chinese(err.trim_end(), &file, Some(key));

        let target = dir.path().join(format!("out-{name}"));
        let out = nianbao()
            .arg("generate")
            .arg(&path)
            .arg("-o")
            .arg(&target)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        let written = std::fs::read_dir(&target).map(|d| d.count()).unwrap_or(0);
        assert_eq!(written, 0, "{name}: no file written");
    }
}

// ---------------------------------------------------------------------------
// 7. Limits

fn with_agency(agency: &str) -> String {
    format!("[report]\nagency = \"{agency}\"\nyear = 2024\n")
}

#[test]
fn names_and_headings_have_a_sane_length() {
    let longest = "局".repeat(model::MAX_NAME_CHARS);
    let ok = Report::from_toml_str(&with_agency(&longest), "x.toml").expect("100 characters");
    assert_eq!(ok.report.agency, longest);
    let err = load_err("x.toml", &with_agency(&format!("{longest}局")));
    assert_eq!(err.key_path(), Some("report.agency"));
    assert_eq!(
        err.to_string(),
        "x.toml: report.agency: 机关全称过长：101 个字，上限 100 个字"
    );
    for (key, line) in [
        ("report.short_name", "short_name"),
        ("report.region", "region"),
    ] {
        let text = format!("{HEAD}{line} = \"{}\"\n", "甲".repeat(101));
        let err = load_err("x.toml", &text);
        assert_eq!(err.key_path(), Some(key), "{err}");
        assert!(err.to_string().contains("过长：101 个字"), "{err}");
    }
    let text = format!("{HEAD}[headings]\nproblems = \"{}\"\n", "问".repeat(101));
    let err = load_err("x.toml", &text);
    assert_eq!(err.key_path(), Some("headings.problems"), "{err}");
    assert!(err.to_string().contains("小标题过长"), "{err}");
}

#[test]
fn a_text_block_fits_one_excel_cell() {
    let fits = "字".repeat(model::MAX_TEXT_CHARS);
    let ok = Report::from_toml_str(&format!("{HEAD}[text]\nproblems = \"{fits}\"\n"), "x.toml")
        .expect("32,767 characters");
    assert_eq!(
        ok.text.get("problems").map(|t| t.chars().count()),
        Some(32_767)
    );
    let err = load_err(
        "x.toml",
        &format!("{HEAD}[text]\nproblems = \"{fits}字\"\n"),
    );
    assert_eq!(err.key_path(), Some("text.problems"));
    assert_eq!(
        err.to_string(),
        "x.toml: text.problems: 文字过长：32768 个字，上限 32767 个字"
    );
    // The same through JSON.
    let err = load_err(
        "x.json",
        &format!("{{{JSON_HEAD}, \"text\": {{\"overview\": \"{fits}a\"}}}}"),
    );
    assert_eq!(err.key_path(), Some("text.overview"));
}

#[test]
fn fees_and_counts_have_an_upper_bound() {
    let max = model::MAX_WAN_YUAN;
    let ok = Report::from_toml_str(&format!("{HEAD}[active]\nfees = {max}\n"), "x.toml")
        .expect("the cap itself");
    assert_eq!(ok.active.fees.to_string(), max.to_string());
    let err = load_err("x.toml", &format!("{HEAD}[active]\nfees = 24252311082\n"));
    assert_eq!(err.key_path(), Some("active.fees"));
    assert_eq!(
        err.to_string(),
        "x.toml: active.fees: 金额过大：24252311082 万元，上限 100000000 万元；请检查单位是否为万元"
    );
    for key in ["notices_amount", "collected"] {
        let err = load_err(
            "x.json",
            &format!("{{{JSON_HEAD}, \"processing_fees\": {{\"{key}\": 100000000.01}}}}"),
        );
        assert_eq!(
            err.key_path(),
            Some(format!("processing_fees.{key}").as_str())
        );
        assert!(err.to_string().contains("金额过大"), "{err}");
    }
    let n = model::MAX_COUNT;
    let ok = Report::from_toml_str(
        &format!("{HEAD}[applications]\nnew = [{n}, 0, 0, 0, 0, 0]\n"),
        "x.toml",
    )
    .expect("the cap itself");
    assert_eq!(ok.applications.new.total(), u64::from(n));
    for (text, key) in [
        (
            format!("[applications]\nnew = [{}, 0, 0, 0, 0, 0]\n", n + 1),
            "applications.new[0]",
        ),
        (
            format!(
                "[applications.withheld]\nstate_secret = [0, 0, 0, 0, 0, 0, {}]\n",
                n + 1
            ),
            "applications.withheld.state_secret[6]",
        ),
        (
            format!("[review_litigation]\nreview = [0, 0, 0, {}]\n", n + 1),
            "review_litigation.review[3]",
        ),
        (
            format!("[active.rules]\nin_force = {}\n", n + 1),
            "active.rules.in_force",
        ),
        (
            format!("[processing_fees]\nnotices = {}\n", n + 1),
            "processing_fees.notices",
        ),
    ] {
        let err = load_err("x.toml", &format!("{HEAD}{text}"));
        assert_eq!(err.key_path(), Some(key), "{err}");
        assert!(
            err.to_string()
                .contains("数量过大：1000000001，上限 1000000000"),
            "{err}"
        );
    }
    // Over u32: the same wording, not "not a non-negative integer".
    let err = load_err(
        "x.toml",
        &format!("{HEAD}[active]\nlicensing = 5000000000\n"),
    );
    assert!(err.to_string().contains("数量过大：5000000000"), "{err}");
}

/// A report's input is a few KB: a file over 2 MiB is refused before it is
/// parsed, through the library, the path reader, standard input and the binary.
#[test]
fn an_oversized_input_is_refused_before_parsing() {
    let big = with_agency(&"局".repeat(3_500_000));
    assert!(big.len() as u64 > nianbao::MAX_INPUT_BYTES);
    let err = load_err("大.toml", &big);
    assert!(matches!(err, LoadError::TooLarge { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("大.toml: 文件过大（10500033 字节，上限 2097152 字节）"),
        "{message}"
    );
    assert_chinese(&message, "大.toml", None);
    assert!(matches!(
        load_err("大.json", &big),
        LoadError::TooLarge { .. }
    ));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("大.toml");
    std::fs::write(&path, &big).unwrap();
    let err = nianbao::read_path(&path).unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::TooLarge {
                size: 10_500_033,
                ..
            }
        ),
        "{err}"
    );

    let out = nianbao().arg("check").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("文件过大"), "{}", stderr(&out));

    let mut child = nianbao()
        .args(["check", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        // The reader stops at the cap and may close the pipe early.
        let _ = stdin.write_all(big.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("-: 文件过大"), "{}", stderr(&out));
}

/// A device with no size (here /dev/zero) is read only up to the cap.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_device_is_read_only_up_to_the_cap() {
    let zero = std::fs::File::open("/dev/zero").expect("/dev/zero");
    let err = nianbao::read_toml_from(zero, "/dev/zero").unwrap_err();
    assert!(matches!(err, LoadError::TooLarge { .. }), "{err}");
}

// ---------------------------------------------------------------------------
// 7. Dates

#[test]
fn an_unquoted_toml_date_is_read_like_a_quoted_one() {
    let quoted = Report::from_toml_str(&format!("{HEAD}issued_on = \"2025-01-20\"\n"), "x.toml")
        .expect("quoted");
    let bare = Report::from_toml_str(&format!("{HEAD}issued_on = 2025-01-20\n"), "x.toml")
        .expect("a TOML local date");
    assert_eq!(bare, quoted);
    assert_eq!(
        bare.report.issued_on.map(|d| d.to_chinese()),
        Some("2025年1月20日".to_string())
    );
    // An invalid bare date is a TOML syntax error, in Chinese.
    let err = load_err("x.toml", &format!("{HEAD}issued_on = 2025-02-30\n"));
    assert_chinese(&err.to_string(), "x.toml", err.key_path());
}

#[test]
fn a_toml_datetime_with_a_time_or_offset_says_to_drop_it() {
    for (value, says) in [
        (
            "2025-01-20T10:00:00",
            "成文日期只写日期，不带时间：应写作 2025-01-20，实为 \"2025-01-20T10:00:00\"",
        ),
        (
            "2025-01-20 10:00:00",
            "成文日期只写日期，不带时间：应写作 2025-01-20，实为 \"2025-01-20T10:00:00\"",
        ),
        (
            "2025-01-20T10:00:00+08:00",
            "成文日期只写日期，不带时间和时区：应写作 2025-01-20，实为 \"2025-01-20T10:00:00+08:00\"",
        ),
        (
            "2025-01-20T02:00:00Z",
            "成文日期只写日期，不带时间和时区：应写作 2025-01-20，实为 \"2025-01-20T02:00:00Z\"",
        ),
        (
            "10:00:00",
            "应为日期，写作 \"2025-01-20\"，实为时间 \"10:00:00\"",
        ),
    ] {
        let err = load_err("x.toml", &format!("{HEAD}issued_on = {value}\n"));
        assert_eq!(err.key_path(), Some("report.issued_on"), "{err}");
        assert_eq!(
            err.to_string(),
            format!("x.toml:4:13: report.issued_on: {says}")
        );
    }
}

fn issued(date: &str) -> Report {
    Report::from_toml_str(&format!("{HEAD}issued_on = \"{date}\"\n"), "x.toml").expect(date)
}

#[test]
fn an_implausible_issued_on_is_a_warning() {
    for date in ["2025-01-01", "2025-01-20", "2025-12-31"] {
        assert!(nianbao::check(&issued(date)).is_empty(), "{date}");
    }
    for (date, found, says) in [
        (
            "2024-12-31",
            2024,
            "成文日期 2024-12-31 早于报告年度（2024 年）结束，报告应在次年成文",
        ),
        ("2023-03-01", 2023, "早于报告年度"),
        (
            "2026-01-01",
            2026,
            "成文日期 2026-01-01 晚于报告年度（2024 年）结束一年以上，请检查年份",
        ),
        ("2052-01-20", 2052, "晚于报告年度"),
    ] {
        let findings = nianbao::check(&issued(date));
        assert_eq!(findings.len(), 1, "{date}: {findings:?}");
        let f = &findings[0];
        assert_eq!(f.rule, "D1");
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.cell, "成文日期");
        assert_eq!(f.key, "report.issued_on");
        assert_eq!(f.excel_cell, "基本信息!B6");
        assert_eq!((f.expected, f.found), (2025, found));
        assert!(f.message.contains(says), "{}", f.message);
        assert!(!nianbao::has_errors(&findings), "a warning does not block");
    }
    // No date, no warning.
    assert!(nianbao::check(&Report::from_toml_str(HEAD, "x.toml").unwrap()).is_empty());
}

#[test]
fn the_binary_prints_the_date_warning_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("早.toml");
    std::fs::write(&path, format!("{HEAD}issued_on = 2024-06-01\n")).unwrap();
    let out = nianbao().arg("check").arg(&path).output().unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("警告 D1 成文日期（基本信息!B6）：应为 2025，实为 2024。"),
        "{all}"
    );
}

// ---------------------------------------------------------------------------
// 8. No machine path in the outputs

/// The shared strings of a workbook.
fn shared_strings(bytes: &[u8]) -> String {
    crate::common::unzip(bytes)
        .remove("xl/sharedStrings.xml")
        .expect("shared strings")
}

#[test]
fn the_workbook_records_the_file_name_only() {
    let report = crate::common::sample();
    let plain = crate::xlsx_support::workbook_bytes(&report, "butaji-2024.toml").unwrap();
    for typed in [
        "inputs/butaji-2024.toml",
        "./inputs/butaji-2024.toml",
        "/srv/nianbao/uploads/7f3a/butaji-2024.toml",
        "C:\\Users\\clerk\\Desktop\\butaji-2024.toml",
        "..\\..\\butaji-2024.toml",
    ] {
        let bytes = crate::xlsx_support::workbook_bytes(&report, typed).unwrap();
        assert_eq!(
            bytes, plain,
            "the bytes do not depend on how {typed} was written"
        );
        let strings = shared_strings(&bytes);
        assert!(strings.contains(">butaji-2024.toml<"), "{strings}");
        for leak in ["srv", "uploads", "Users", "inputs", ".."] {
            assert!(!strings.contains(leak), "{typed}: {leak} leaked");
        }
    }
    let form = nianbao::form_bytes(&report, Some("/srv/nianbao/butaji-2024.toml")).unwrap();
    let strings = shared_strings(&form);
    assert!(strings.contains(">butaji-2024.toml<"));
    assert!(!strings.contains("srv"), "{strings}");
    // Standard input is recorded as nothing.
    assert_eq!(
        crate::xlsx_support::workbook_bytes(&report, "-").unwrap(),
        crate::xlsx_support::workbook_bytes(&report, "").unwrap()
    );
}

#[test]
fn generate_from_an_absolute_path_publishes_no_folder() {
    let dir = tempfile::tempdir().unwrap();
    let run = |input: &Path, out: &Path| {
        let r = nianbao()
            .current_dir(crate::common::root())
            .arg("generate")
            .arg("--xlsx-only")
            .arg(input)
            .arg("-o")
            .arg(out)
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", stderr(&r));
        let file = std::fs::read_dir(out)
            .unwrap()
            .next()
            .expect("one file")
            .unwrap()
            .path();
        std::fs::read(file).unwrap()
    };
    let relative = run(Path::new("inputs/butaji-2024.toml"), &dir.path().join("a"));
    let absolute = run(
        &crate::common::root().join("inputs/butaji-2024.toml"),
        &dir.path().join("b"),
    );
    assert_eq!(relative, absolute);
    let strings = shared_strings(&absolute);
    let root = crate::common::root().display().to_string();
    assert!(!strings.contains(&root), "the checkout path leaked");
}

// ---------------------------------------------------------------------------
// 9. The operating system's errors

#[test]
fn io_errors_are_chinese_and_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("x.toml");
    std::fs::create_dir(&folder).unwrap();
    let missing = dir.path().join("无.toml");
    for (path, says) in [
        (&folder, "是一个文件夹，不是文件"),
        (&missing, "文件不存在"),
    ] {
        let file = path.display().to_string();
        let err = nianbao::read_path(path).unwrap_err();
        assert_eq!(err.to_string(), format!("{file}: {says}"));
        let out = nianbao().arg("check").arg(path).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(stderr(&out).trim_end(), format!("{file}: {says}"));
    }
    let xlsx = dir.path().join("表.xlsx");
    std::fs::create_dir(&xlsx).unwrap();
    let err = nianbao::read_path(&xlsx).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: 是一个文件夹，不是文件", xlsx.display())
    );
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_says_so() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("锁.toml");
    std::fs::write(&path, HEAD).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        crate::common::skipped("running as a user who can read anything (root)");
        return;
    }
    let err = nianbao::read_path(&path).unwrap_err();
    assert_eq!(err.to_string(), format!("{}: 无权限读取", path.display()));
}

#[test]
fn io_reason_never_shows_english() {
    use nianbao::{IoAction, io_reason};
    use std::io::{Error, ErrorKind};
    for action in [IoAction::Read, IoAction::Write] {
        for error in [
            Error::from(ErrorKind::NotFound),
            Error::from(ErrorKind::PermissionDenied),
            Error::from(ErrorKind::IsADirectory),
            Error::from(ErrorKind::StorageFull),
            Error::from(ErrorKind::Other),
            Error::from_raw_os_error(21),
            Error::from_raw_os_error(28),
            Error::from_raw_os_error(9999),
            Error::other("something English"),
        ] {
            let reason = io_reason(&error, action);
            assert_chinese(&format!("f: {reason}"), "f", None);
        }
    }
}

/// BOM, CRLF line ends and comments are fine.
#[test]
fn bom_and_crlf_are_read() {
    let text = "\u{feff}# 注释\r\n[report]\r\nagency = \"某局\"\r\nyear = 2024\r\nissued_on = 2025-01-20\r\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.toml");
    std::fs::write(&path, text).unwrap();
    let report = nianbao::read_path(&path).expect("BOM and CRLF");
    assert_eq!(report.report.agency, "某局");
    assert!(report.report.issued_on.is_some());
}
