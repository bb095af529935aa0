//! `nianbao check` through the binary: exit codes (0 consistent, 1 error
//! findings, 2 unreadable input), the text it prints, and `--format json`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `nianbao check <args>` in the crate root.
fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("check")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

fn assert_no_panic(out: &Output) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}

#[test]
fn sample_is_consistent() {
    let out = check(&["inputs/butaji-2024.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "inputs/butaji-2024.toml: 潢川县卜塔集镇人民政府2024年政府信息公开工作年度报告：数据一致，勾稽关系全部通过。\n"
    );
    assert_eq!(stderr(&out), "");
}

/// Each rule fixture: exit 1 (R10 is a warning: exit 0), and the finding's
/// line with rule, cell, Excel cell, expected and found.
#[test]
fn rule_fixtures_exit_1_with_the_finding() {
    let cases: &[(&str, i32, &[&str])] = &[
        (
            "r1.toml",
            1,
            &[
                "错误 R1 表三 四、结转下年度继续办理 × 自然人（依申请公开!D29）：应为 1，实为 0。",
                "错误 R1 表三 四、结转下年度继续办理 × 总计（依申请公开!J29）：应为 1，实为 0。",
            ],
        ),
        (
            "r2.toml",
            1,
            &["错误 R2 表三 （七）总计 × 自然人（依申请公开!D28）：应为 1，实为 2。"],
        ),
        (
            "r3.toml",
            1,
            &[
                "错误 R3 表三 一、本年新收政府信息公开申请数量 × 总计（依申请公开!J5）：应为 2，实为 3。",
            ],
        ),
        (
            "r4.toml",
            1,
            &["错误 R4 表四 行政复议 × 总计（复议诉讼!E5）：应为 1，实为 2。"],
        ),
        (
            "r10.toml",
            0,
            &[
                "警告 R10 六、其他需要报告的事项 信息处理费：发出收费通知的件数（基本信息!B7）：应为 1，实为 0。",
            ],
        ),
    ];
    for (name, code, findings) in cases {
        let path = format!("tests/fixtures/{name}");
        let out = check(&[&path]);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(*code), "{name}");
        let text = stdout(&out);
        // The fixtures leave their texts to the defaults: one D2 warning
        // each, after the rules' findings (tests/it/default_texts.rs).
        let d2 = format!("{path}: 警告 D2 ");
        let all: Vec<&str> = text.lines().collect();
        assert_eq!(
            all.iter().filter(|l| l.starts_with(&d2)).count(),
            1,
            "{text}"
        );
        assert!(all[all.len() - 2].starts_with(&d2), "{text}");
        let lines: Vec<&str> = all.into_iter().filter(|l| !l.starts_with(&d2)).collect();
        // One line per finding, then the summary line.
        assert_eq!(lines.len(), findings.len() + 1, "{text}");
        for (line, finding) in lines.iter().zip(findings.iter()) {
            assert!(
                line.starts_with(&format!("{path}: {finding}")),
                "{line}\nshould start with {path}: {finding}"
            );
        }
        let errors = if *code == 1 { findings.len() } else { 0 };
        assert!(
            lines[findings.len()].ends_with(&format!(
                "{errors} 个错误，{} 个警告。",
                findings.len() - errors + 1
            )),
            "{text}"
        );
    }
}

/// Every bad input: exit 2, one line on stderr naming the file, the key path
/// and the line and column; nothing on stdout.
#[test]
fn bad_inputs_exit_2_naming_file_key_line_column() {
    let cases: &[(&str, &str)] = &[
        ("syntax.toml", "5:14: 语法错误："),
        ("syntax.json", "5:3: 语法错误："),
        (
            "wrong-type.toml",
            "6:25: review_litigation.litigation_direct[1]: ",
        ),
        (
            "wrong-type.json",
            "3:53: review_litigation.litigation_direct[1]: ",
        ),
        (
            "negative.toml",
            "6:29: applications.withheld.third_party_rights[2]: 应为非负整数，实为 -1",
        ),
        (
            "negative.json",
            "4:49: applications.withheld.third_party_rights[2]: 应为非负整数，实为 -1",
        ),
        (
            "fraction.toml",
            "6:29: applications.withheld.third_party_rights[2]: 应为非负整数，实为 1.5",
        ),
        (
            "fraction.json",
            "4:50: applications.withheld.third_party_rights[2]: 应为非负整数，实为 1.5",
        ),
        (
            "wrong-length.toml",
            "6:12: applications.unavailable.not_held: 应有 6 个数",
        ),
        (
            "wrong-length.json",
            "3:64: applications.unavailable.not_held: 应有 6 个数",
        ),
        (
            "unknown-table.toml",
            "5:2: applicatons: 未知的键 `applicatons`，是否应为 `applications`？",
        ),
        (
            "unknown-table.json",
            "3:15: applicatons: 未知的键 `applicatons`，是否应为 `applications`？",
        ),
        (
            "unknown-key.toml",
            "7:1: applications.carry_foward: 未知的键 `carry_foward`，是否应为 `carry_forward`？",
        ),
        (
            "unknown-key.json",
            "5:18: applications.carry_foward: 未知的键 `carry_foward`，是否应为 `carry_forward`？",
        ),
        (
            "bad-year.toml",
            "3:8: report.year: 年度应在 2008–2100 之间，实为 1999",
        ),
        (
            "bad-year.json",
            "2:45: report.year: 年度应在 2008–2100 之间，实为 1999",
        ),
    ];
    for (name, says) in cases {
        let path = format!("tests/fixtures/{name}");
        let out = check(&[&path]);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert_eq!(stdout(&out), "", "{name}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(&format!("{path}:{says}")), "{err}");
    }
}

#[test]
fn missing_file_exits_2() {
    let out = check(&["tests/fixtures/no-such-file.toml"]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("tests/fixtures/no-such-file.toml: 文件不存在"));
}

#[test]
fn not_utf8_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gbk.toml");
    std::fs::write(
        &path,
        b"[report]\nagency = \"\xb2\xe2\xca\xd4\"\nyear = 2024\n",
    )
    .expect("write");
    let out = check(&[path.to_str().expect("UTF-8 path")]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "{}: 不是 UTF-8 编码的文本（第 2 行",
            path.display()
        )),
        "{err}"
    );
}

#[test]
fn unknown_extension_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.txt");
    std::fs::write(&path, "[report]\n").expect("write");
    let out = check(&[path.to_str().expect("UTF-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("不支持的文件类型"));
}

/// Several files: each is reported, the exit code is the worst one.
#[test]
fn several_files_nothing_lost() {
    let out = check(&["inputs/butaji-2024.toml", "tests/fixtures/r4.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains(
        "inputs/butaji-2024.toml: 潢川县卜塔集镇人民政府2024年政府信息公开工作年度报告：数据一致"
    ));
    assert!(text.contains("tests/fixtures/r4.toml: 错误 R4"));

    let out = check(&[
        "tests/fixtures/negative.toml",
        "tests/fixtures/r4.toml",
        "inputs/butaji-2024.toml",
    ]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("tests/fixtures/negative.toml:6:29:"));
    let text = stdout(&out);
    assert!(text.contains("tests/fixtures/r4.toml: 错误 R4"), "{text}");
    assert!(text.contains("inputs/butaji-2024.toml: "), "{text}");
}

/// `-` reads TOML from standard input.
#[test]
fn check_reads_standard_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["check", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(
            std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/r3.toml"
            ))
            .expect("fixture")
            .as_slice(),
        )
        .expect("write");
    let out = child.wait_with_output().expect("waits");
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("-: 错误 R3 "), "{}", stdout(&out));
}

/// `--format json`: one object per file with its findings, all fields there.
#[test]
fn json_output_has_every_field() {
    let out = check(&[
        "--format",
        "json",
        "inputs/butaji-2024.toml",
        "tests/fixtures/r1.toml",
        "tests/fixtures/r10.toml",
        "tests/fixtures/unknown-key.toml",
    ]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let files = json.as_array().expect("an array");
    assert_eq!(files.len(), 4);

    let sample = &files[0];
    assert_eq!(sample["file"], "inputs/butaji-2024.toml");
    assert_eq!(sample["agency"], "潢川县卜塔集镇人民政府");
    assert_eq!(sample["year"], 2024);
    assert_eq!(sample["status"], "ok");
    assert_eq!(sample["findings"], serde_json::json!([]));

    let r1 = &files[1];
    assert_eq!(r1["file"], "tests/fixtures/r1.toml");
    assert_eq!(r1["agency"], "某县测试局");
    assert_eq!(r1["status"], "failed");
    let findings = r1["findings"].as_array().expect("findings");
    // Two R1 findings, and D2: the fixture's texts are left to the defaults.
    assert_eq!(findings.len(), 3);
    assert_eq!(findings[2]["rule"], "D2");
    assert_eq!(findings[2]["severity"], "warning");
    let f = &findings[0];
    assert_eq!(f["rule"], "R1");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["cell"], "表三 四、结转下年度继续办理 × 自然人");
    assert_eq!(f["excel_cell"], "依申请公开!D29");
    assert_eq!(f["key"], "applications.carry_forward[0]");
    assert_eq!(f["expected"], 1);
    assert_eq!(f["found"], 0);
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains("第一项加第二项之和")
    );
    let fields: Vec<&str> = f
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields.len(),
        8,
        "rule, severity, cell, excel_cell, key, expected, found, message: {fields:?}"
    );
    assert_eq!(findings[1]["excel_cell"], "依申请公开!J29");

    let r10 = &files[2];
    assert_eq!(r10["status"], "ok", "a warning does not fail");
    assert_eq!(r10["findings"][0]["rule"], "R10");
    assert_eq!(r10["findings"][0]["severity"], "warning");
    assert_eq!(r10["findings"][0]["key"], "processing_fees.notices");

    let bad = &files[3];
    assert_eq!(bad["file"], "tests/fixtures/unknown-key.toml");
    assert_eq!(bad["status"], "unreadable");
    let error = bad["error"].as_str().expect("error text");
    assert!(
        error.starts_with("tests/fixtures/unknown-key.toml:7:1: applications.carry_foward: "),
        "{error}"
    );
    assert!(error.contains("是否应为 `carry_forward`"), "{error}");
}

#[test]
fn json_output_of_a_consistent_file_exits_0() {
    let out = check(&["--format", "json", "inputs/butaji-2024.toml"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json[0]["status"], "ok");
}
