//! Bad input through the library: every case gets one error that names the
//! file, the key path and, where the parser knows it, the line and column;
//! nothing panics. The same fixtures go through the binary in tests/cli.rs.

use std::path::{Path, PathBuf};

use nianbao::LoadError;
use nianbao::model::Report;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// One bad-input fixture and what its error must say.
struct Case {
    file: &'static str,
    /// `None` for a syntax error (no key path).
    key_path: Option<&'static str>,
    line: usize,
    column: usize,
    /// A piece of the message.
    says: &'static str,
}

const CASES: &[Case] = &[
    Case {
        file: "syntax.toml",
        key_path: None,
        line: 5,
        column: 14,
        says: "语法错误",
    },
    Case {
        file: "syntax.json",
        key_path: None,
        line: 5,
        column: 3,
        says: "语法错误",
    },
    Case {
        file: "wrong-type.toml",
        key_path: Some("review_litigation.litigation_direct[1]"),
        line: 6,
        column: 25,
        says: "应为非负整数，实为 文本 \"一\"",
    },
    Case {
        file: "wrong-type.json",
        key_path: Some("review_litigation.litigation_direct[1]"),
        line: 3,
        column: 53,
        says: "应为非负整数，实为 文本 \"一\"",
    },
    Case {
        file: "negative.toml",
        key_path: Some("applications.withheld.third_party_rights[2]"),
        line: 6,
        column: 29,
        says: "应为非负整数，实为 -1",
    },
    Case {
        file: "negative.json",
        key_path: Some("applications.withheld.third_party_rights[2]"),
        line: 4,
        column: 49,
        says: "应为非负整数，实为 -1",
    },
    Case {
        file: "fraction.toml",
        key_path: Some("applications.withheld.third_party_rights[2]"),
        line: 6,
        column: 29,
        says: "应为非负整数，实为 1.5",
    },
    Case {
        file: "fraction.json",
        key_path: Some("applications.withheld.third_party_rights[2]"),
        line: 4,
        column: 50,
        says: "应为非负整数，实为 1.5",
    },
    Case {
        file: "wrong-length.toml",
        key_path: Some("applications.unavailable.not_held"),
        line: 6,
        column: 12,
        says: "应有 6 个数（或 7 个，最后一个为总计），实有 5 个",
    },
    Case {
        file: "wrong-length.json",
        key_path: Some("applications.unavailable.not_held"),
        line: 3,
        column: 64,
        says: "应有 6 个数（或 7 个，最后一个为总计），实有 5 个",
    },
    Case {
        file: "unknown-table.toml",
        key_path: Some("applicatons"),
        line: 5,
        column: 2,
        says: "未知的键 `applicatons`，是否应为 `applications`？",
    },
    Case {
        file: "unknown-table.json",
        key_path: Some("applicatons"),
        line: 3,
        column: 15,
        says: "未知的键 `applicatons`，是否应为 `applications`？",
    },
    Case {
        file: "unknown-key.toml",
        key_path: Some("applications.carry_foward"),
        line: 7,
        column: 1,
        says: "未知的键 `carry_foward`，是否应为 `carry_forward`？",
    },
    Case {
        file: "unknown-key.json",
        key_path: Some("applications.carry_foward"),
        line: 5,
        column: 18,
        says: "未知的键 `carry_foward`，是否应为 `carry_forward`？",
    },
    Case {
        file: "bad-year.toml",
        key_path: Some("report.year"),
        line: 3,
        column: 8,
        says: "年度应在 2008–2100 之间，实为 1999",
    },
    Case {
        file: "bad-year.json",
        key_path: Some("report.year"),
        line: 2,
        column: 45,
        says: "年度应在 2008–2100 之间，实为 1999",
    },
];

/// Checks `err` against `case`, for an error produced under the name `file`.
fn assert_case(case: &Case, file: &str, err: &LoadError) {
    let text = err.to_string();
    assert_eq!(err.key_path(), case.key_path, "{text}");
    match (err, case.key_path) {
        (LoadError::Syntax { line, column, .. }, None) => {
            assert_eq!((*line, *column), (case.line, case.column), "{text}");
            assert!(
                text.starts_with(&format!("{file}:{}:{}: ", case.line, case.column)),
                "{text}"
            );
        }
        (
            LoadError::Invalid {
                key_path,
                line,
                column,
                ..
            },
            Some(expected),
        ) => {
            assert_eq!(key_path, expected);
            assert_eq!((*line, *column), (Some(case.line), Some(case.column)));
            assert!(
                text.starts_with(&format!(
                    "{file}:{}:{}: {expected}: ",
                    case.line, case.column
                )),
                "{text}"
            );
        }
        _ => panic!("{}: unexpected kind of error: {text}", case.file),
    }
    assert!(text.contains(case.says), "{}: {text}", case.file);
    assert_eq!(text.lines().count(), 1, "one line: {text}");
}

#[test]
fn every_bad_fixture_through_load() {
    for case in CASES {
        let path = fixture(case.file);
        let err = nianbao::read_path(&path).expect_err(case.file);
        assert_case(case, &path.display().to_string(), &err);
    }
}

#[test]
fn every_bad_fixture_through_from_str() {
    for case in CASES {
        let text = std::fs::read_to_string(fixture(case.file)).expect("fixture is UTF-8");
        let name = format!("输入/{}", case.file);
        let err = if case.file.ends_with(".json") {
            Report::from_json_str(&text, &name)
        } else {
            Report::from_toml_str(&text, &name)
        }
        .expect_err(case.file);
        assert_case(case, &name, &err);
    }
}

#[test]
fn missing_file_names_the_file() {
    let path = fixture("no-such-file.toml");
    let err = nianbao::read_path(&path).expect_err("missing");
    assert!(matches!(err, LoadError::Io { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}: 文件不存在", path.display())),
        "{text}"
    );
    let err = nianbao::read_path(&path).expect_err("missing");
    assert!(matches!(err, LoadError::Io { .. }), "{err}");
}

#[test]
fn not_utf8_names_the_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["gbk.toml", "gbk.json"] {
        let path = dir.path().join(name);
        // 测试 in GBK on line 2: 0xB2 cannot start a UTF-8 character.
        std::fs::write(
            &path,
            b"[report]\nagency = \"\xb2\xe2\xca\xd4\"\nyear = 2024\n",
        )
        .expect("write");
        let err = nianbao::read_path(&path).expect_err(name);
        match &err {
            LoadError::NotUtf8 { file, line, offset } => {
                assert_eq!(file, &path.display().to_string());
                assert_eq!(*line, 2);
                assert_eq!(*offset, 19);
            }
            other => panic!("{name}: expected NotUtf8, got {other}"),
        }
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{}: 不是 UTF-8", path.display())),
            "{text}"
        );
        assert!(text.contains("第 2 行"), "{text}");
    }
}

/// A UTF-8 byte-order mark (as Notepad writes) is not an error.
#[test]
fn utf8_bom_is_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bom.toml");
    std::fs::write(
        &path,
        "\u{feff}[report]\nagency = \"某局\"\nyear = 2024\n".as_bytes(),
    )
    .expect("write");
    let report = nianbao::read_path(&path).expect("BOM is fine");
    assert_eq!(report.report.agency, "某局");
}

#[test]
fn missing_required_keys_are_named() {
    let err =
        Report::from_toml_str("[report]\nagency = \"某局\"\n", "a.toml").expect_err("no year");
    assert_eq!(err.key_path(), Some("report.year"), "{err}");
    assert!(err.to_string().contains("缺少必填的键 `year`"), "{err}");

    let err = Report::from_toml_str("", "empty.toml").expect_err("empty");
    assert_eq!(err.key_path(), Some("report"), "{err}");

    let err =
        Report::from_json_str("{\"report\": {\"year\": 2024}}", "a.json").expect_err("no agency");
    assert_eq!(err.key_path(), Some("report.agency"), "{err}");

    let err = Report::from_toml_str("[report]\nagency = \" \"\nyear = 2024\n", "a.toml")
        .expect_err("blank agency");
    assert_eq!(err.key_path(), Some("report.agency"), "{err}");
}

/// Unknown keys anywhere, including inside inline tables, name their own path.
#[test]
fn unknown_keys_everywhere() {
    let base = "[report]\nagency = \"某局\"\nyear = 2024\n";
    for (extra, path, suggestion) in [
        (
            "[active]\nrules = { issued = 0, repeald = 0 }\n",
            "active.rules.repeald",
            "repealed",
        ),
        (
            "[applications.withheld]\nstate_secrets = [0, 0, 0, 0, 0, 0]\n",
            "applications.withheld.state_secrets",
            "state_secret",
        ),
        (
            "[review_litigaton]\nreview = [0, 0, 0, 0]\n",
            "review_litigaton",
            "review_litigation",
        ),
        ("[text]\noverveiw = \"x\"\n", "text.overveiw", "overview"),
        (
            "[processing_fees]\nnotice = 1\n",
            "processing_fees.notice",
            "notices",
        ),
    ] {
        let err = Report::from_toml_str(&format!("{base}{extra}"), "u.toml").expect_err(extra);
        assert_eq!(err.key_path(), Some(path), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("是否应为 `{suggestion}`")),
            "{err}"
        );
    }
    // Far from every known key: list what may stand there instead.
    let err = Report::from_toml_str(&format!("{base}colour = 1\n"), "u.toml").expect_err("colour");
    assert_eq!(err.key_path(), Some("report.colour"));
    assert!(
        err.to_string()
            .contains("此处可用的键：agency、short_name、year"),
        "{err}"
    );
}

/// Years at and beyond the edges of 2008–2100.
#[test]
fn year_range_edges() {
    for (year, ok) in [
        (2007, false),
        (2008, true),
        (2100, true),
        (2101, false),
        (-1, false),
        (70000, false),
    ] {
        let text = format!("[report]\nagency = \"某局\"\nyear = {year}\n");
        let result = Report::from_toml_str(&text, "y.toml");
        assert_eq!(result.is_ok(), ok, "{year}: {result:?}");
        if let Err(err) = result {
            assert_eq!(err.key_path(), Some("report.year"), "{err}");
            assert!(err.to_string().contains(&format!("实为 {year}")), "{err}");
        }
    }
}

/// A JSON file cut short is a syntax error at its end, not a value error.
#[test]
fn truncated_and_trailing_json() {
    let text = "{\"report\": {\"agency\": \"某局\", \"year\": 20";
    let err = Report::from_json_str(text, "cut.json").expect_err("truncated");
    match err {
        LoadError::Syntax { line, column, .. } => assert_eq!((line, column), (1, 38)),
        other => panic!("expected a syntax error, got {other}"),
    }
    let err = Report::from_json_str("", "empty.json").expect_err("empty");
    assert!(
        err.to_string().starts_with("empty.json:1:1: 语法错误"),
        "{err}"
    );
    let err = Report::from_json_str(
        "{\"report\": {\"agency\": \"某局\", \"year\": 2024}} x",
        "t.json",
    )
    .expect_err("trailing");
    assert!(err.to_string().contains("多余的内容"), "{err}");
}

/// Counts beyond u32 are refused with the key path, not wrapped or panicked on.
#[test]
fn count_too_large() {
    let err = Report::from_toml_str(
        "[report]\nagency = \"某局\"\nyear = 2024\n[applications]\nnew = [5000000000, 0, 0, 0, 0, 0]\n",
        "big.toml",
    )
    .expect_err("too big");
    assert_eq!(err.key_path(), Some("applications.new[0]"), "{err}");
}

/// Cutting the sample anywhere never panics, and every error names the file.
#[test]
fn truncated_sample_never_panics() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/butaji-2024.toml");
    let toml = std::fs::read_to_string(path).expect("sample");
    let report = Report::from_toml_str(&toml, "sample.toml").expect("sample loads");
    let json = serde_json::to_string_pretty(&report).expect("to JSON");
    assert_eq!(
        Report::from_json_str(&json, "sample.json").expect("JSON loads"),
        report
    );
    for (text, name) in [(&toml, "sample.toml"), (&json, "sample.json")] {
        let mut errors = 0;
        for (i, _) in text.char_indices().step_by(7) {
            let cut = &text[..i];
            let result = if name.ends_with("json") {
                Report::from_json_str(cut, name)
            } else {
                Report::from_toml_str(cut, name)
            };
            if let Err(e) = result {
                errors += 1;
                assert!(e.to_string().starts_with(name), "{e}");
            }
        }
        assert!(errors > 0);
    }
}

/// Characters XML 1.0 forbids (pasted from Excel) are refused at their key.
#[test]
fn xml_forbidden_characters_are_refused_at_their_key() {
    for (toml, key) in [
        (
            "[report]\nagency = \"某局\\u000b\"\nyear = 2024\n",
            "report.agency",
        ),
        (
            "[report]\nagency = \"某局\"\nyear = 2024\n[text]\nproblems = \"一是\\u0001\"\n",
            "text.problems",
        ),
        (
            "[report]\nagency = \"某局\"\nyear = 2024\n[headings]\nimprovements = \"下步\\uFFFE打算\"\n",
            "headings.improvements",
        ),
    ] {
        let err = Report::from_toml_str(toml, "x.toml").expect_err(key);
        assert_eq!(err.key_path(), Some(key), "{err}");
        assert!(
            err.to_string()
                .starts_with(&format!("x.toml: {key}: 含有 XML 不允许的字符")),
            "{err}"
        );
    }
}

/// 成文日期: a real date, `""` or (JSON) `null` for none.
#[test]
fn issued_on() {
    let head = "[report]\nagency = \"某局\"\nyear = 2024\n";
    let ok = Report::from_toml_str(&format!("{head}issued_on = \"2025-01-20\"\n"), "d.toml")
        .expect("date");
    assert_eq!(
        ok.report.issued_on.map(|d| d.to_chinese()),
        Some("2025年1月20日".to_string())
    );
    let none =
        Report::from_toml_str(&format!("{head}issued_on = \"\"\n"), "d.toml").expect("empty");
    assert_eq!(none.report.issued_on, None);
    let null = Report::from_json_str(
        "{\"report\": {\"agency\": \"某局\", \"year\": 2024, \"issued_on\": null, \"short_name\": null}}",
        "d.json",
    )
    .expect("null");
    assert_eq!(null.report.issued_on, None);
    for bad in ["\"2025-02-30\"", "\"2025/01/20\"", "20250120"] {
        let err =
            Report::from_toml_str(&format!("{head}issued_on = {bad}\n"), "d.toml").expect_err(bad);
        assert_eq!(err.key_path(), Some("report.issued_on"), "{err}");
        assert!(
            err.to_string()
                .starts_with("d.toml:4:13: report.issued_on: "),
            "{err}"
        );
    }
}

/// A row that is not an array, an amount that is not a number: the message
/// says what should stand there, in Chinese.
#[test]
fn wrong_shapes_say_what_is_expected() {
    let head = "[report]\nagency = \"某局\"\nyear = 2024\n";
    let err = Report::from_toml_str(&format!("{head}[applications]\nnew = 3\n"), "s.toml")
        .expect_err("row");
    assert_eq!(err.key_path(), Some("applications.new"));
    assert!(
        err.to_string()
            .contains("类型不符：应为 6 个数的数组（或 7 个，最后一个为总计）"),
        "{err}"
    );
    let err = Report::from_toml_str(
        &format!("{head}[review_litigation]\nreview = {{ kept = 1 }}\n"),
        "s.toml",
    )
    .expect_err("row");
    assert_eq!(err.key_path(), Some("review_litigation.review"));
    assert!(
        err.to_string().contains("应为 4 个数的数组（或 5 个"),
        "{err}"
    );
    let err = Report::from_toml_str(&format!("{head}[active]\nfees = true\n"), "s.toml")
        .expect_err("fees");
    assert_eq!(err.key_path(), Some("active.fees"));
    assert!(
        err.to_string().contains("应为 非负金额（最多 6 位小数）"),
        "{err}"
    );
    let err = Report::from_json_str(
        "{\"report\": {\"agency\": \"某局\", \"year\": 2024}, \"active\": {\"rules\": [0, 0, 0]}}",
        "s.json",
    )
    .expect_err("rules");
    assert_eq!(err.key_path(), Some("active.rules"), "{err}");
    assert!(
        err.to_string()
            .contains("应为 { issued = 0, repealed = 0, in_force = 0 } 形式的表"),
        "{err}"
    );
}

/// 规章/行政规范性文件 given as an array (like the rows) is refused: by
/// position `[5]` would have meant issued = 5 and silently zeroed the rest.
#[test]
fn document_counts_must_be_a_table() {
    let head = "[report]\nagency = \"某局\"\nyear = 2024\n[active]\n";
    for (line, key) in [
        ("rules = [5]", "active.rules"),
        (
            "normative_documents = [2, 1, 9]",
            "active.normative_documents",
        ),
        (
            "rules = { issued = 1, in_forse = 2 }",
            "active.rules.in_forse",
        ),
        ("rules = { issued = -1 }", "active.rules.issued"),
    ] {
        let err = Report::from_toml_str(&format!("{head}{line}\n"), "d.toml").expect_err(line);
        assert_eq!(err.key_path(), Some(key), "{err}");
        assert!(err.to_string().starts_with("d.toml:5:"), "{err}");
    }
    let ok = Report::from_toml_str(
        &format!("{head}normative_documents = {{ issued = 2, repealed = 1, in_force = 9 }}\n"),
        "d.toml",
    )
    .expect("a table");
    assert_eq!(ok.active.normative_documents.in_force, 9);
    assert_eq!(ok.active.rules, Default::default());
}
