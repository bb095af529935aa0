//! Hostile input for `nianbao batch` (issue 8, family 4 and parts of 10):
//! every bad input fails alone and is named, an interrupted batch leaves no
//! temporary file and says how far it got, a killed batch's leftovers are
//! removed by the next run, and the folders given are checked first.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::nianbao;
use nianbao::is_temp_name;
use nianbao::model::Report;
use nianbao::synthetic;

const BIN: &str = env!("CARGO_BIN_EXE_nianbao");

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn write_toml(path: &Path, report: &Report) {
    std::fs::write(path, toml::to_string(report).unwrap()).unwrap();
}

/// Every entry of `dir` (hidden ones too), sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// No temporary or hidden file in `dir`.
fn assert_no_temp_files(dir: &Path) {
    let names = entries(dir);
    assert!(
        !names.iter().any(|n| is_temp_name(n) || n.starts_with('.')),
        "{names:?}"
    );
}

fn verify_passes(out: &Path) {
    let (code, stdout, stderr) = nianbao(&["verify", s(out)]);
    assert_eq!(code, 0, "verify\n{stdout}\n{stderr}");
    assert!(stdout.contains("缺失 0，已改动 0，清单外 0"), "{stdout}");
}

/// A report with the agency `name` (the rest from `seed`).
fn named(seed: u64, name: &str) -> Report {
    let mut r = synthetic::report(seed);
    r.report.agency = name.to_string();
    r
}

/// Whether `text` holds a CJK character (a Chinese message).
fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Good inputs among hostile ones that fail at each step — unreadable bytes,
/// GBK text, a folder named like an input, a dangling link, a link loop,
/// agencies equal up to NFC/NFD or surrounding spaces: every good report is
/// written, with its summary, check report and manifest, each hostile input
/// is named with a Chinese message, and `verify` passes.
#[test]
fn good_reports_survive_hostile_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    std::fs::create_dir_all(inputs.join("x.toml")).unwrap();
    let good: Vec<Report> = (0..3).map(synthetic::report).collect();
    for (i, r) in good.iter().enumerate() {
        write_toml(&inputs.join(format!("good-{i}.toml")), r);
    }
    // A folder named like an input is walked as a folder.
    let inner = synthetic::report(3);
    write_toml(&inputs.join("x.toml/inner.toml"), &inner);

    std::fs::write(
        inputs.join("bytes.toml"),
        [0xFF, 0xFE, 0x00, 0x9C, 0x80, b'[', 0xC3, 0x28, 0x00, 0x01],
    )
    .unwrap();
    // `[report]\nagency = "某局"\nyear = 2024` in GBK (某 C4B3, 局 BED6).
    let mut gbk = b"[report]\nagency = \"".to_vec();
    gbk.extend_from_slice(&[0xC4, 0xB3, 0xBE, 0xD6]);
    gbk.extend_from_slice(b"\"\nyear = 2024\n");
    std::fs::write(inputs.join("gbk.toml"), gbk).unwrap();
    symlink(inputs.join("gone.toml"), inputs.join("dangling.toml")).unwrap();
    symlink(inputs.join("loop-b.json"), inputs.join("loop-a.json")).unwrap();
    symlink(inputs.join("loop-a.json"), inputs.join("loop-b.json")).unwrap();
    // The same agency, composed and decomposed (é = e + U+0301).
    write_toml(
        &inputs.join("nfc.toml"),
        &named(10, "示范县Caf\u{e9}服务中心"),
    );
    write_toml(
        &inputs.join("nfd.toml"),
        &named(11, "示范县Cafe\u{301}服务中心"),
    );
    // The same agency, with and without surrounding (ideographic) spaces.
    write_toml(&inputs.join("plain.toml"), &named(12, "示范县空格局"));
    write_toml(
        &inputs.join("spaced.toml"),
        &named(13, "\u{3000}示范县空格局 "),
    );

    let out = tmp.path().join("out");
    let (code, stdout, stderr) = nianbao(&[
        "batch",
        s(&inputs),
        "-o",
        s(&out),
        "--jobs",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(code, 2, "unreadable inputs → 2\n{stdout}\n{stderr}");
    assert_eq!(
        stdout.lines().last().unwrap(),
        "共 13 个输入：成功 4，未通过 4，无法读取 5。",
        "{stdout}\n{stderr}"
    );

    let written = entries(&out);
    for r in good.iter().chain([&inner]) {
        let title = r.title();
        assert!(written.contains(&format!("{title}.docx")), "{written:?}");
        assert!(
            written.contains(&format!("{title}统计表.xlsx")),
            "{written:?}"
        );
    }
    for name in [
        "manifest.json",
        "check-report.json",
        "校验报告.xlsx",
        &format!("汇总-{}-2024.xlsx", synthetic::REGION),
    ] {
        assert!(written.contains(&name.to_string()), "{name}: {written:?}");
    }
    assert_eq!(written.len(), 4 * 2 + 4, "{written:?}");
    assert_no_temp_files(&out);
    verify_passes(&out);

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("check-report.json")).unwrap()).unwrap();
    let row = |file: &str| {
        let path = inputs.join(file).display().to_string();
        json["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["input"] == path.as_str())
            .unwrap_or_else(|| panic!("{file} not in the check report: {json}"))
            .clone()
    };
    for (file, status, words) in [
        ("bytes.toml", "unreadable", ""),
        ("gbk.toml", "unreadable", ""),
        ("dangling.toml", "unreadable", "悬空链接"),
        ("loop-a.json", "unreadable", "符号链接成环"),
        ("loop-b.json", "unreadable", "符号链接成环"),
        ("nfc.toml", "failed", "nfd.toml"),
        ("nfd.toml", "failed", "nfc.toml"),
        ("plain.toml", "failed", "spaced.toml"),
        ("spaced.toml", "failed", "plain.toml"),
    ] {
        let r = row(file);
        let message = r["message"].as_str().unwrap();
        assert_eq!(r["status"], status, "{file}: {r}");
        assert!(has_chinese(message), "{file}: {message}");
        assert!(message.contains(words), "{file}: {message}");
        assert!(r["files"].as_array().unwrap().is_empty(), "{file}: {r}");
        // The progress line names the input and says what happened.
        let line = stdout
            .lines()
            .find(|l| l.contains(&format!("{} ", inputs.join(file).display())))
            .unwrap_or_else(|| panic!("no line for {file}\n{stdout}"));
        assert!(line.contains(message.lines().next().unwrap()), "{line}");
    }
    for file in ["nfc.toml", "spaced.toml"] {
        let message = row(file)["message"].as_str().unwrap().to_string();
        assert!(message.contains("同一机关同一年度"), "{message}");
    }
    for file in ["bytes.toml", "gbk.toml"] {
        let message = row(file)["message"].as_str().unwrap().to_string();
        assert!(
            message.contains(file),
            "the message names the file: {message}"
        );
    }
}

/// Writes `n` synthetic inputs with `nianbao sample-inputs`.
fn sample_inputs(n: u32, dir: &Path) {
    let (code, stdout, stderr) = nianbao(&["sample-inputs", &n.to_string(), s(dir)]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
}

/// Starts a batch of `inputs` into `out`, waits until `after` inputs are
/// done, sends `signal`, and returns the exit code (`None`: killed by the
/// signal), standard output and standard error.
fn batch_stopped_by(
    signal: i32,
    inputs: &Path,
    out: &Path,
    after: usize,
) -> (Option<i32>, String, String) {
    let mut child = Command::new(BIN)
        .args(["batch", s(inputs), "-o", s(out), "--jobs", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    let mut line = String::new();
    let mark = format!("[{after}/");
    while stdout.read_line(&mut line).unwrap() > 0 {
        text.push_str(&line);
        let reached = line.starts_with(&mark);
        line.clear();
        if reached {
            // SAFETY: kill only sends a signal to our own child process.
            let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
            assert_eq!(sent, 0);
            break;
        }
    }
    stdout.read_to_string(&mut text).unwrap();
    let status = child.wait().unwrap();
    (status.code(), text, errors.join().unwrap())
}

/// What an interrupted batch must leave: no temporary file, no summary or
/// manifest, both files of every input it reports as done and nothing else,
/// and a message with how far it got; the next run completes.
fn interrupted_cleanly(signal: i32, code: i32) {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    let out = tmp.path().join("out");
    sample_inputs(300, &inputs);
    let (status, stdout, stderr) = batch_stopped_by(signal, &inputs, &out, 10);
    assert_eq!(status, Some(code), "{stdout}\n{stderr}");
    let done = stdout.lines().filter(|l| l.starts_with('[')).count();
    assert!((10..300).contains(&done), "{done}\n{stdout}");
    assert!(
        stderr.contains(&format!(
            "已中断：已处理 {done}/300 个输入，未写汇总表和清单"
        )),
        "{stderr}"
    );
    assert!(!stdout.contains("共 300 个输入"), "{stdout}");
    assert_no_temp_files(&out);
    let written = entries(&out);
    let ok = stdout.lines().filter(|l| l.contains("] 成功 ")).count();
    assert_eq!(ok, done, "every sample input passes\n{stdout}");
    assert_eq!(written.len(), 2 * ok, "{written:?}");
    assert!(
        written
            .iter()
            .all(|f| f.ends_with("年度报告.docx") || f.ends_with("年度报告统计表.xlsx")),
        "{written:?}"
    );
    // No manifest: verify says so (exit 2) instead of passing.
    assert_eq!(nianbao(&["verify", s(&out)]).0, 2);

    let (code, stdout, stderr) = nianbao(&["batch", s(&inputs), "-o", s(&out)]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.ends_with("共 300 个输入：成功 300，未通过 0，无法读取 0。\n"));
    verify_passes(&out);
}

#[test]
fn sigint_stops_the_batch_cleanly() {
    interrupted_cleanly(libc::SIGINT, 130);
}

#[test]
fn sigterm_stops_the_batch_cleanly() {
    interrupted_cleanly(libc::SIGTERM, 143);
}

/// Temporary files left by a killed run (SIGKILL: no handler runs) make
/// `verify` fail until the next batch into the folder removes them.
#[test]
fn stale_temp_files_are_removed_by_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    let out = tmp.path().join("out");
    sample_inputs(300, &inputs);
    let (code, stdout, stderr) = nianbao(&["batch", s(&inputs), "-o", s(&out)]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    verify_passes(&out);

    // Run again and kill it: whatever it was writing stays behind. Plus a
    // temporary file of this version and one of an earlier version, as a
    // kill in the middle of a write leaves them.
    let (status, stdout, stderr) = batch_stopped_by(libc::SIGKILL, &inputs, &out, 10);
    assert_eq!(status, None, "killed\n{stdout}\n{stderr}");
    std::fs::write(out.join(".nb-Ab12Cd.tmp"), "half a file").unwrap();
    std::fs::write(out.join(".某局报告.docx.4242.tmp"), "half a file").unwrap();
    let (code, stdout, _) = nianbao(&["verify", s(&out)]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(
            "清单外：.nb-Ab12Cd.tmp（中断的运行留下的临时文件，下次对此目录运行 batch 时自动删除）"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("清单外：.某局报告.docx.4242.tmp（"),
        "{stdout}"
    );

    let (code, stdout, stderr) = nianbao(&["batch", s(&inputs), "-o", s(&out)]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let removed: usize = stderr
        .split("注意：已删除上次中断的运行留下的 ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no note on the removed files\n{stderr}"));
    assert!(removed >= 2, "{stderr}");
    assert_no_temp_files(&out);
    verify_passes(&out);
}

/// `-o` equal to or inside an input folder is refused before anything is
/// written or created.
#[test]
fn output_inside_an_input_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    std::fs::create_dir_all(inputs.join("sub")).unwrap();
    write_toml(&inputs.join("a.toml"), &synthetic::report(1));
    let dotted = format!("{}/../in/./new/../out", s(&inputs));
    let linked = tmp.path().join("link");
    symlink(&inputs, &linked).unwrap();
    for out in [
        inputs.clone(),
        inputs.join("sub"),
        inputs.join("out/deeper"),
        PathBuf::from(&dotted),
        linked.join("out"),
    ] {
        let (code, stdout, stderr) = nianbao(&["batch", s(&inputs), "-o", s(&out)]);
        assert_eq!(code, 2, "{}\n{stdout}\n{stderr}", out.display());
        assert!(
            stderr.contains(&format!(
                "{}: 输出目录不能是输入目录 {} 本身或其中的子目录",
                out.display(),
                inputs.display()
            )),
            "{stderr}"
        );
    }
    assert_eq!(entries(&inputs), ["a.toml", "sub"]);
    assert!(entries(&inputs.join("sub")).is_empty());
    // Next to the inputs is fine.
    let (code, _, _) = nianbao(&["batch", s(&inputs), "-o", s(&tmp.path().join("out"))]);
    assert_eq!(code, 0);
}

/// A `--previous` folder that is not there is an error of the batch (exit 2)
/// that names it, and nothing is written.
#[test]
fn a_missing_previous_folder_is_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    write_toml(&inputs.join("a.toml"), &synthetic::report(1));
    let out = tmp.path().join("out");
    for previous in [tmp.path().join("2023年输入"), inputs.join("a.toml")] {
        let (code, stdout, stderr) = nianbao(&[
            "batch",
            s(&inputs),
            "-o",
            s(&out),
            "--previous",
            s(&previous),
        ]);
        assert_eq!(code, 2, "{stdout}\n{stderr}");
        assert!(
            stderr.contains(&format!(
                "{}: 上年输入目录（--previous）不存在或不是目录",
                previous.display()
            )),
            "{stderr}"
        );
        assert!(!out.exists());
    }
}

/// Two batches into one folder at the same time: the second is refused
/// (the first holds a lock on the folder), so that neither removes the
/// other's temporary files.
#[test]
fn a_second_batch_into_the_same_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    write_toml(&inputs.join("a.toml"), &synthetic::report(1));
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let held = std::fs::File::open(&out).unwrap();
    held.lock().unwrap();
    std::fs::write(out.join(".nb-Ab12Cd.tmp"), "a running batch's file").unwrap();
    let (code, stdout, stderr) = nianbao(&["batch", s(&inputs), "-o", s(&out)]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("另一个 nianbao batch 正在写入这个输出目录"),
        "{stderr}"
    );
    assert_eq!(entries(&out), [".nb-Ab12Cd.tmp"]);
    held.unlock().unwrap();
    let (code, _, _) = nianbao(&["batch", s(&inputs), "-o", s(&out)]);
    assert_eq!(code, 0);
    assert_no_temp_files(&out);
}

/// A file name of `bytes` bytes, Chinese but for the ASCII that makes up
/// the length, ending in `ext`.
fn long_name(bytes: usize, ext: &str) -> String {
    let stem = bytes - ext.len();
    let name = format!("{}{}{ext}", "报".repeat(stem / 3), "a".repeat(stem % 3));
    assert_eq!(name.len(), bytes);
    name
}

/// A legal 250-byte file name can be written: the temporary name used while
/// writing is short.
#[test]
fn a_250_byte_file_name_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let starter = tmp.path().join(long_name(250, ".toml"));
    let (code, stdout, stderr) = nianbao(&[
        "init",
        s(&starter),
        "--agency",
        "某县统计局",
        "--year",
        "2024",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(nianbao::read_path(&starter).is_ok());
    let form = tmp.path().join(long_name(250, ".xlsx"));
    let (code, stdout, stderr) = nianbao(&["form", "--from", s(&starter), "-o", s(&form)]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(nianbao::read_path(&form).is_ok());
    let listed = nianbao::write_atomically(&tmp.path().join(long_name(255, ".json")), b"{}");
    assert!(listed.is_ok(), "{listed:?}");
    assert_no_temp_files(tmp.path());
    assert_eq!(entries(tmp.path()).len(), 3);
}

/// `sample-inputs` does not write into a folder that has files.
#[test]
fn sample_inputs_refuse_a_non_empty_folder() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("mine.toml"), "keep").unwrap();
    let (code, stdout, stderr) = nianbao(&["sample-inputs", "3", s(tmp.path())]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(stderr.contains("目录不为空，未写入"), "{stderr}");
    assert_eq!(entries(tmp.path()), ["mine.toml"]);
}
