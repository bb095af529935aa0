//! Hostile use of `form`, `generate` and the writing modes through the
//! binary (issue 8, families 5, 6 and 10): a form's default name never leaves
//! the current folder, `form --from` a report of another year says so, two
//! inputs of one agency and year are both refused, the DOCX and XLSX of a
//! report are written whole or not at all, and a failed write is exit 2 with
//! a Chinese message naming the path. Each case checks the exit code, the
//! message and what is (not) on the disk.

use std::path::{Path, PathBuf};
use std::process::Command;

use nianbao::model::Report;

const BIN: &str = env!("CARGO_BIN_EXE_nianbao");

/// Runs the binary in `cwd`: (exit code, stdout, stderr).
fn nianbao_in(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("nianbao runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn input(name: &str) -> PathBuf {
    crate::common::root().join("inputs").join(name)
}

/// Whether `text` holds a CJK character (a Chinese message).
fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// A message a user may see: Chinese, no English from the system, no panic.
fn assert_chinese(what: &str, message: &str) {
    assert!(has_chinese(message), "{what}: not Chinese: {message}");
    for english in [
        "os error",
        "panicked",
        "No such file",
        "Not a directory",
        "Is a directory",
    ] {
        assert!(!message.contains(english), "{what}: {english}: {message}");
    }
}

/// Every file and folder under `dir`, sorted (hidden ones too).
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| e.expect("walk").into_path())
        .collect();
    all.sort();
    all
}

/// The names in `dir`, sorted (hidden ones too).
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn write_toml(path: &Path, report: &Report) {
    std::fs::write(path, toml::to_string(report).expect("TOML")).expect("write");
}

/// `form` without `-o` for an agency that is a path (relative, absolute) or
/// holds control characters: the form is written in the current folder and
/// nowhere else; an agency a report cannot hold (a BEL) is refused.
#[test]
fn a_forms_default_name_stays_in_the_current_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // ../../x from a/b/cwd would land in the temporary folder itself.
    let cwd = tmp.path().join("a/b/cwd");
    std::fs::create_dir_all(&cwd).expect("cwd");
    let absolute = tmp.path().join("abs").display().to_string();
    // The same in /tmp, with a name no one else uses.
    let in_tmp = format!("/tmp/nianbao-hostile-{}", std::process::id());
    for agency in ["../../x", absolute.as_str(), in_tmp.as_str(), "某局\n\t甲"] {
        let (code, stdout, stderr) =
            nianbao_in(&cwd, &["form", "--agency", agency, "--year", "2024"]);
        assert_eq!(code, 0, "{agency:?}\n{stdout}\n{stderr}");
        assert!(
            stderr.contains("机关名称不宜作文件名，已改写为"),
            "{stderr}"
        );
        let written = stdout.trim_end();
        assert!(
            !written.contains('/') && !written.starts_with('.'),
            "{agency:?}: {written}"
        );
        let form = cwd.join(written);
        assert!(form.is_file(), "{agency:?}: {}", form.display());
        assert!(
            written.ends_with("2024年政府信息公开工作年度报告填报表.xlsx")
                || written.contains("2024年政府信息公开工作年度报告填报表~"),
            "{written}"
        );
        // The form holds the agency as given and reads back.
        let report = nianbao::read_path(&form).expect("the form reads back");
        assert_eq!(report.report.agency, agency);
        std::fs::remove_file(&form).expect("remove");
        assert!(
            !Path::new(&format!(
                "{in_tmp}2024年政府信息公开工作年度报告填报表.xlsx"
            ))
            .exists()
        );
    }
    // A BEL (U+0007) cannot be in a report: refused before anything is written.
    let (code, stdout, stderr) = nianbao_in(
        &cwd,
        &["form", "--agency", "../某局\u{7}", "--year", "2024"],
    );
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "--agency：含有 XML 不允许的字符 U+0007（常见于从 Excel 复制的文字），请删除"
    );
    // Nothing was written anywhere but the files removed above.
    assert_eq!(
        tree(tmp.path()),
        [
            tmp.path().join("a"),
            tmp.path().join("a/b"),
            tmp.path().join("a/b/cwd")
        ]
    );
}

/// `form` and `init` refuse an agency name that the file they write could
/// not be read back with: too long, a control character, blank.
#[test]
fn form_and_init_refuse_an_agency_a_report_cannot_hold() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let long = "局".repeat(40_000);
    for (agency, says) in [
        (
            long.as_str(),
            "--agency：机关全称过长：40000 个字，上限 100 个字".to_string(),
        ),
        (
            "某局\u{1b}[31m",
            "--agency：含有 XML 不允许的字符 U+001B（常见于从 Excel 复制的文字），请删除"
                .to_string(),
        ),
        ("  ", "机关全称不能为空（--agency）".to_string()),
    ] {
        for args in [
            vec!["form", "--agency", agency, "--year", "2024"],
            vec!["init", "starter.toml", "--agency", agency, "--year", "2024"],
        ] {
            let (code, stdout, stderr) = nianbao_in(tmp.path(), &args);
            assert_eq!(code, 2, "{}\n{stdout}\n{stderr}", args[0]);
            assert_eq!(stderr.trim_end(), says, "{}", args[0]);
            assert!(names(tmp.path()).is_empty(), "{:?}", names(tmp.path()));
        }
    }
}

/// `form --from` a report of three years before: a note naming the file and
/// both years; of the year before or the same year: no note.
#[test]
fn form_from_a_report_of_another_year_says_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let from = input("butaji-2024.toml");
    for (year, noted) in [(2027, true), (2025, false), (2024, false)] {
        let out = tmp.path().join(format!("{year}.xlsx"));
        let (code, stdout, stderr) = nianbao_in(
            tmp.path(),
            &[
                "form",
                "--from",
                s(&from),
                "--year",
                &year.to_string(),
                "-o",
                s(&out),
            ],
        );
        assert_eq!(code, 0, "{year}\n{stdout}\n{stderr}");
        assert!(out.is_file(), "{year}");
        assert_eq!(stdout.trim_end(), out.display().to_string());
        if noted {
            assert_eq!(
                stderr.trim_end(),
                format!(
                    "{}: 是 2024 年度的报告，既不是 {year} 年度也不是上一年度：其数字按原样带入，请逐项核对",
                    from.display()
                )
            );
        } else {
            assert_eq!(stderr, "", "{year}");
        }
        let report = nianbao::read_path(&out).expect("the form reads back");
        assert_eq!(report.report.year.0, year);
    }
}

/// Two inputs for one agency and year, the same agency written composed and
/// decomposed (NFC, NFD), and two agencies whose file names differ only in
/// case (one file on Windows and macOS): neither input of a pair is
/// written, each message names the other file, the good input of the same
/// run is written, exit 2.
#[test]
fn generate_refuses_both_inputs_of_one_agency_and_year() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let base = nianbao::read_path(&input("moushi-zhengfuban-2024.toml")).expect("input");
    let with = |agency: &str| {
        let mut r = base.clone();
        r.report.agency = agency.to_string();
        r
    };
    std::fs::copy(input("butaji-2024.toml"), dir.join("a.toml")).expect("copy");
    std::fs::copy(input("butaji-2024.toml"), dir.join("b.toml")).expect("copy");
    write_toml(&dir.join("nfc.toml"), &with("某县Caf\u{e9}中心"));
    write_toml(&dir.join("nfd.toml"), &with("某县Cafe\u{301}中心"));
    write_toml(&dir.join("upper.toml"), &with("某县ABC中心"));
    write_toml(&dir.join("lower.toml"), &with("某县abc中心"));
    let good = input("mouxian-ziranziyuan-2024.toml");
    let out = dir.join("out");
    let (code, stdout, stderr) = nianbao_in(
        dir,
        &[
            "generate",
            "a.toml",
            "nfc.toml",
            "upper.toml",
            s(&good),
            "b.toml",
            "nfd.toml",
            "lower.toml",
            "-o",
            s(&out),
        ],
    );
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    for (file, other) in [
        ("a.toml", "b.toml"),
        ("b.toml", "a.toml"),
        ("nfc.toml", "nfd.toml"),
        ("nfd.toml", "nfc.toml"),
        ("upper.toml", "lower.toml"),
        ("lower.toml", "upper.toml"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&format!("{file}: ")))
            .unwrap_or_else(|| panic!("no line for {file}:\n{stderr}"));
        assert_eq!(
            line,
            format!("{file}: 与 {other} 是同一机关同一年度（或同名输出文件），均未生成")
        );
    }
    assert_eq!(stderr.lines().count(), 6, "{stderr}");
    let title = nianbao::read_path(&good).expect("good").title();
    let expected = [format!("{title}.docx"), format!("{title}统计表.xlsx")];
    assert_eq!(names(&out), expected);
    let printed: Vec<String> = expected
        .iter()
        .map(|n| out.join(n).display().to_string())
        .collect();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), printed);
}

/// The XLSX cannot be written (a folder has its name): the DOCX is not
/// written either, no temporary file is left, exit 2, and the Chinese
/// message names the XLSX path; the next input of the run is written.
#[test]
fn generate_writes_the_pair_whole_or_not_at_all() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let blocked = nianbao::read_path(&input("butaji-2024.toml"))
        .expect("input")
        .title();
    let docx = out.join(format!("{blocked}.docx"));
    let xlsx = out.join(format!("{blocked}统计表.xlsx"));
    std::fs::create_dir_all(&xlsx).expect("a folder in the way");
    let good = input("mouxian-ziranziyuan-2024.toml");
    let (code, stdout, stderr) = nianbao_in(
        tmp.path(),
        &[
            "generate",
            s(&input("butaji-2024.toml")),
            s(&good),
            "-o",
            s(&out),
        ],
    );
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(!docx.exists(), "the DOCX was written without its XLSX");
    assert!(xlsx.is_dir() && names(&xlsx).is_empty());
    let line = stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "{stderr}");
    assert_chinese("the pair", line);
    assert!(line.contains(&xlsx.display().to_string()), "{line}");
    assert!(
        line.ends_with("无法写入：是一个文件夹，不是文件（均未写入）"),
        "{line}"
    );
    let title = nianbao::read_path(&good).expect("good").title();
    let mut expected = vec![
        format!("{blocked}统计表.xlsx"),
        format!("{title}.docx"),
        format!("{title}统计表.xlsx"),
    ];
    expected.sort();
    assert_eq!(names(&out), expected, "no temporary file is left");
    assert!(!names(&out).iter().any(|n| nianbao::is_temp_name(n)));
}

/// Every mode that writes, given a path below a regular file: exit 2, one
/// Chinese line naming the path, nothing written.
#[test]
fn a_failed_write_is_exit_2_in_chinese() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("somefile");
    std::fs::write(&file, "I am a file").expect("write");
    let below = file.join("sub");
    let sample = input("butaji-2024.toml");
    let inputs = crate::common::root().join("inputs");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["generate", s(&sample), "-o", s(&below)],
            format!("{}: 无法写入：路径中的某一级不是文件夹", below.display()),
        ),
        (
            vec!["generate", s(&sample), "-o", s(&file)],
            format!("{}: 无法写入：文件已存在", file.display()),
        ),
        (
            vec!["form", "--from", s(&sample), "-o", s(&below)],
            format!("{}: 无法写入：路径中的某一级不是文件夹", below.display()),
        ),
        (
            vec!["init", s(&below), "--agency", "某局", "--year", "2024"],
            format!("{}: 无法写入：路径中的某一级不是文件夹", below.display()),
        ),
        (
            vec!["batch", s(&inputs), "-o", s(&below)],
            format!(
                "{}: 无法创建输出目录：路径中的某一级不是文件夹",
                below.display()
            ),
        ),
        (
            vec!["sample-inputs", "2", s(&below)],
            format!("{}: 无法写入：路径中的某一级不是文件夹", below.display()),
        ),
        (
            vec!["verify", s(&below)],
            format!(
                "{}: 无法读取清单：路径中的某一级不是文件夹",
                below.join("manifest.json").display()
            ),
        ),
        (
            vec!["verify", s(tmp.path())],
            format!(
                "{}: 无法读取清单：文件不存在",
                tmp.path().join("manifest.json").display()
            ),
        ),
    ];
    for (args, says) in cases {
        let (code, stdout, stderr) = nianbao_in(tmp.path(), &args);
        assert_eq!(code, 2, "{args:?}\n{stdout}\n{stderr}");
        assert_chinese(args[0], &stderr);
        assert_eq!(stderr.trim_end(), says, "{args:?}");
        assert_eq!(names(tmp.path()), ["somefile"], "{args:?}");
    }
    // A manifest that is not JSON: where, in Chinese, not serde's English.
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).expect("out");
    std::fs::write(out.join("manifest.json"), "{x").expect("manifest");
    let (code, _, stderr) = nianbao_in(tmp.path(), &["verify", s(&out)]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "{}: 清单格式错误（第 1 行第 2 列）：不是有效的 JSON",
            out.join("manifest.json").display()
        )
    );
}
