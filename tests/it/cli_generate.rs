//! `nianbao generate`: checks first, writes atomically, prints the path.

use std::process::Command;

use crate::common::*;

fn nianbao() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nianbao"))
}

#[test]
fn generate_writes_the_docx_and_prints_its_path() {
    let out = tempfile::tempdir().unwrap();
    let run = nianbao()
        .arg("generate")
        .arg("--docx-only")
        .arg(root().join("inputs/butaji-2024.toml"))
        .arg("-o")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let path = out
        .path()
        .join("潢川县卜塔集镇人民政府2024年政府信息公开工作年度报告.docx");
    assert!(path.is_file());
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains(&path.display().to_string()), "{stdout}");
    let files: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "no temporary file left behind");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes, crate::common::docx_bytes(&sample()));
}

#[test]
fn errors_block_that_input_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[report]\nagency = \"甲局\"\nyear = 2024\n[applications]\nnew = [1, 0, 0, 0, 0, 0]\n",
    )
    .unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[report]\nagency = \"乙局\"\nyear = 2024\n").unwrap();
    let out = dir.path().join("out");
    let run = nianbao()
        .args(["generate", "--docx-only"])
        .arg(&bad)
        .arg(&good)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("R1"), "{stdout}");
    assert!(!out.join("甲局2024年政府信息公开工作年度报告.docx").exists());
    assert!(
        out.join("乙局2024年政府信息公开工作年度报告.docx")
            .is_file()
    );

    // An unreadable input: exit 2, the others still written.
    let missing = dir.path().join("missing.toml");
    let out2 = dir.path().join("out2");
    let run = nianbao()
        .args(["generate", "--docx-only"])
        .arg(&missing)
        .arg(&good)
        .arg("-o")
        .arg(&out2)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("missing.toml"));
    assert!(
        out2.join("乙局2024年政府信息公开工作年度报告.docx")
            .is_file()
    );
}

#[test]
fn template_errors_name_the_block() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("t.toml");
    std::fs::write(
        &input,
        "[report]\nagency = \"丙局\"\nyear = 2024\n[text]\nproblems = \"一\\n{{nonexistent}}\"\n",
    )
    .unwrap();
    let run = nianbao()
        .args(["generate", "--docx-only"])
        .arg(&input)
        .arg("-o")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    // A broken template is a wrong input: exit 2, like any unreadable input.
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("text.problems 第 2 行"), "{stderr}");
    assert!(
        !dir.path()
            .join("out")
            .join("丙局2024年政府信息公开工作年度报告.docx")
            .exists()
    );
}

#[test]
fn templates_flag_replaces_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    std::fs::write(tpl.join("platforms.hbs"), "{{agency}}的平台模板。").unwrap();
    let input = dir.path().join("t.toml");
    std::fs::write(&input, "[report]\nagency = \"丁局\"\nyear = 2024\n").unwrap();
    let out = dir.path().join("out");
    let run = nianbao()
        .args(["generate", "--docx-only", "--templates"])
        .arg(&tpl)
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let bytes = std::fs::read(out.join("丁局2024年政府信息公开工作年度报告.docx")).unwrap();
    assert!(unzip(&bytes)["word/document.xml"].contains("丁局的平台模板。"));
}

/// An agency name that is a path never writes outside the output folder.
#[test]
fn an_agency_name_with_a_path_stays_inside_the_output_folder() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("evil.toml");
    std::fs::write(
        &input,
        "[report]\nagency = \"../../逃逸/某局\"\nyear = 2024\n",
    )
    .unwrap();
    let out = dir.path().join("a").join("out");
    let run = nianbao()
        .arg("generate")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written.len(), 2, "{written:?}");
    for name in &written {
        assert!(!name.contains('/') && !name.starts_with('.'), "{name}");
        assert!(
            name.contains("某局2024年政府信息公开工作年度报告"),
            "{name}"
        );
    }
    assert!(!dir.path().join("逃逸").exists());
    assert!(String::from_utf8_lossy(&run.stderr).contains("已改写为"));
}
