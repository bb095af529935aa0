//! `nianbao form`, and `nianbao check` on a filled form.

use std::process::{Command, Output};

use crate::xlsx_support::*;

fn nianbao(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn form_writes_a_form_and_check_reads_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = nianbao(&["form", "--agency", "某县统计局", "--year", "2024"], d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let name = "某县统计局2024年政府信息公开工作年度报告填报表.xlsx";
    assert_eq!(text(&out.stdout).trim(), name);
    let report = nianbao::read_path(&d.join(name)).expect("the form loads");
    assert_eq!(report.report.agency, "某县统计局");
    assert_eq!(report.report.year.0, 2024);
    // Never overwrite a (possibly filled) form.
    let again = nianbao(&["form", "--agency", "某县统计局", "--year", "2024"], d);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("文件已存在"),
        "{}",
        text(&again.stderr)
    );

    std::fs::write(d.join("sample.toml"), SAMPLE).expect("write");
    let out = nianbao(&["form", "--from", "sample.toml", "-o", "filled.xlsx"], d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let check = nianbao(&["check", "filled.xlsx"], d);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
    // Consistent; its texts are left to the defaults (warning D2).
    let said = text(&check.stdout);
    assert!(
        said.contains("0 个错误，1 个警告") && said.contains("警告 D2 "),
        "{said}"
    );

    // A broken rule in the form: exit 1, the finding names the workbook cell.
    let bytes = std::fs::read(d.join("filled.xlsx")).expect("read");
    let broken = set_cell(&bytes, "依申请公开", "D5", NewCell::Number(7.0));
    std::fs::write(d.join("broken.xlsx"), broken).expect("write");
    let check = nianbao(&["check", "broken.xlsx"], d);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        text(&check.stdout).contains("依申请公开!D29"),
        "{}",
        text(&check.stdout)
    );

    // A bad cell: exit 2, the message names the sheet and cell.
    let bad = set_cell(&bytes, "依申请公开", "D7", NewCell::Text("三"));
    std::fs::write(d.join("bad.xlsx"), bad).expect("write");
    let check = nianbao(&["check", "bad.xlsx"], d);
    assert_eq!(check.status.code(), Some(2));
    assert_eq!(
        text(&check.stderr).trim(),
        "bad.xlsx: 依申请公开!D7：应为非负整数，实为 \"三\""
    );
}

#[test]
fn form_from_last_year_carries_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("sample.toml"), SAMPLE).expect("write");
    let out = nianbao(
        &[
            "form",
            "--from",
            "sample.toml",
            "--year",
            "2025",
            "-o",
            "2025.xlsx",
        ],
        d,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = nianbao::read_path(&d.join("2025.xlsx")).expect("loads");
    assert_eq!(report.report.agency, "某县自然资源局");
    assert_eq!(report.report.year.0, 2025);
    assert_eq!(report.applications.carried_over.values, [1, 0, 0, 0, 0, 0]);
    assert_eq!(report.applications.new.values, [0; 6]);
}

#[test]
fn form_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = nianbao(&["form", "--from", "missing.toml"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("missing.toml"),
        "{}",
        text(&out.stderr)
    );
    let out = nianbao(&["form", "--year", "2024"], d);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--agency is required without --from"
    );
    let out = nianbao(&["form", "--agency", "某局", "--year", "1999"], d);
    assert_eq!(out.status.code(), Some(2));
}
