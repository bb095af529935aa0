//! The acceptance test of issue 8: a batch of good inputs plus one input of
//! each hostile family writes every good report, its summary and its
//! manifest, names every hostile input, ends with exit 1 or 2 (not a crash),
//! within a time bound and 1 GB of address space, and `verify` passes.
#![cfg(unix)]

use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nianbao::model::Report;

use crate::xlsx_support::{edit_sheet, entries, far_cell, forged_dimension, sheet_part};

const BIN: &str = env!("CARGO_BIN_EXE_nianbao");

/// How long the batch may take (a hang, or an exponential template, takes
/// far longer; a debug build on a busy 2-core machine needs a few seconds).
const TIME_LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Builders of hostile forms (as in hostile_form.rs)

/// The fill-in form of the workbook sample, for agency `agency`.
fn form_of(agency: &str) -> Vec<u8> {
    let mut report = crate::xlsx_support::sample();
    report.report.agency = agency.to_string();
    let report = nianbao::new_report(agency, 2024, Some(report));
    nianbao::form_bytes(&report, Some("sample.toml")).expect("form")
}

/// `bytes` with entry `name` replaced by `total` bytes of spaces in an XML
/// comment, deflated: a zip bomb (64 MB in well under 1 MB).
fn bomb(bytes: &[u8], name: &str, total: usize) -> Vec<u8> {
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (n, data) in entries(bytes) {
        out.start_file(n.as_str(), deflated).expect("start");
        if n == name {
            let chunk = vec![b' '; 1 << 20];
            out.write_all(b"<worksheet><!--").expect("write");
            for _ in 0..total / chunk.len() {
                out.write_all(&chunk).expect("write");
            }
            out.write_all(b"--></worksheet>").expect("write");
        } else {
            out.write_all(&data).expect("write");
        }
    }
    out.finish().expect("finish").into_inner()
}

// ---------------------------------------------------------------------------
// Inputs

fn report_toml(agency: &str, extra: &str) -> String {
    format!("[report]\nagency = \"{agency}\"\nyear = 2024\nregion = \"某县\"\n{extra}")
}

fn nested(open: &str, close: &str, levels: usize, inner: &str) -> String {
    format!("{}{inner}{}", open.repeat(levels), close.repeat(levels))
}

/// A TOML of a report whose `[text]` block `block` is the template `src`.
fn template_toml(agency: &str, block: &str, src: &str) -> String {
    report_toml(
        agency,
        &format!(
            "[text]\n{block} = {}\n",
            toml::Value::String(src.to_string())
        ),
    )
}

/// One hostile input: its file name and what its line must say.
struct Hostile {
    file: &'static str,
    says: &'static str,
}

/// Writes the good and the hostile inputs into `dir`; returns the good
/// reports (their files must be written) and the hostile inputs.
fn write_inputs(dir: &Path) -> (Vec<Report>, Vec<Hostile>) {
    std::fs::create_dir_all(dir).expect("input folder");
    let mut good = Vec::new();
    // The three inputs of the repository.
    for entry in std::fs::read_dir(crate::common::root().join("inputs")).expect("inputs") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path.file_name().expect("name");
            std::fs::copy(&path, dir.join(name)).expect("copy");
            good.push(nianbao::read_path(&path).expect("a good input"));
        }
    }
    assert_eq!(good.len(), 3, "the three inputs of the repository");

    // Good despite appearances: a TOML date without quotes.
    let date = report_toml("某县日期局", "issued_on = 2025-01-20\n");
    std::fs::write(dir.join("unquoted-date.toml"), &date).expect("write");
    good.push(Report::from_toml_str(&date, "unquoted-date.toml").expect("an unquoted date reads"));
    // Good despite appearances: a form with a cell at the last row and
    // column of the grid and a dimension claiming the whole grid (the
    // reader keeps only the form's cells).
    let mut far = form_of("某县远格局");
    for sheet in nianbao::spec::sheets::required_sheets() {
        far = edit_sheet(&far, sheet, |xml| {
            forged_dimension(&far_cell(xml, "XFD1048576", 1_048_576), "A1:XFD1048576")
        });
    }
    std::fs::write(dir.join("far-cells.xlsx"), &far).expect("write");
    good.push(nianbao::read_form_bytes(&far, "far-cells.xlsx").expect("the form reads"));

    let mut hostile = Vec::new();
    let mut add = |file: &'static str, bytes: &[u8], says: &'static str| {
        std::fs::write(dir.join(file), bytes).expect("write");
        hostile.push(Hostile { file, says });
    };
    // Family 1: an inline partial that calls itself.
    add(
        "self-partial.toml",
        template_toml(
            "某县递归局",
            "overview",
            r#"{{#*inline "a"}}{{> a}}{{/inline}}{{> a}}"#,
        )
        .as_bytes(),
        "text.overview",
    );
    // Family 2: eight nested {{#each}} over the applications.
    add(
        "nested-each.toml",
        template_toml(
            "某县循环局",
            "on_request",
            &nested("{{#each @root.applications}}", "{{/each}}", 8, "x"),
        )
        .as_bytes(),
        "text.on_request",
    );
    // Family 3: a zip bomb, and a cell address whose numbers overflow.
    let form = form_of("某县炸弹局");
    let part = sheet_part(&form, "基本信息");
    add(
        "zip-bomb.xlsx",
        &bomb(&form, &part, 64 << 20),
        "解压后有 64.0 MB",
    );
    add(
        "forged-address.xlsx",
        &edit_sheet(&form_of("某县伪址局"), "复议诉讼", |xml| {
            far_cell(xml, "A99999999999", 99)
        }),
        "复议诉讼：无法读取表单",
    );
    // Family 7: a 10 MB agency name (over the input size cap), a 1 MB one
    // (under the cap, over the name's limit).
    add(
        "huge-agency.toml",
        report_toml(&"局".repeat((10 << 20) / 3), "").as_bytes(),
        "文件过大",
    );
    add(
        "long-agency.toml",
        report_toml(&"局".repeat(350_000), "").as_bytes(),
        "report.agency: 机关全称过长",
    );
    // GBK: `[report]\nagency = "某局"\nyear = 2024` with 某 = C4B3, 局 = BED6.
    let mut gbk = b"[report]\nagency = \"".to_vec();
    gbk.extend_from_slice(&[0xC4, 0xB3, 0xBE, 0xD6]);
    gbk.extend_from_slice(b"\"\nyear = 2024\n");
    add("gbk.toml", &gbk, "不是 UTF-8 编码");
    // Family 6/10: one agency and year in two files (NFC and NFD spellings).
    add(
        "twin-nfc.toml",
        report_toml("某县Caf\u{e9}中心", "").as_bytes(),
        "twin-nfd.toml",
    );
    add(
        "twin-nfd.toml",
        report_toml("某县Cafe\u{301}中心", "").as_bytes(),
        "twin-nfc.toml",
    );
    // A good input and its copy under another name: both refused, each
    // naming the other.
    let twice = report_toml("某县重复局", "");
    add("twice.toml", twice.as_bytes(), "twice-copy.toml");
    add("twice-copy.toml", twice.as_bytes(), "同一机关同一年度");
    (good, hostile)
}

/// Runs `nianbao args…` under `ulimit -v` (500 MB of address space: the issue's bound, and address space is more than resident memory), killing it
/// after [`TIME_LIMIT`]: (exit code, stdout, stderr, time taken).
fn run_bounded(args: &[&str]) -> (Option<i32>, String, String, Duration) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 500000 && exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh runs");
    // Drain both pipes on threads, so a chatty child cannot block on a full pipe.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the batch did not end within {TIME_LIMIT:?}: killed\n{}",
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = start.elapsed();
    let stdout = out.join().expect("stdout thread");
    let stderr = err.join().expect("stderr thread");
    (status.code(), stdout, stderr, took)
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(target_os = "linux")]
#[test]
fn good_reports_survive_one_input_of_every_hostile_family() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let inputs = tmp.path().join("in");
    let out = tmp.path().join("out");
    let (good, hostile) = write_inputs(&inputs);
    let (code, stdout, stderr, took) =
        run_bounded(&["batch", s(&inputs), "-o", s(&out), "--jobs", "2"]);
    let shown = format!("{took:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");

    // Not a crash (101 panic, 134 abort, 137 killed, None: a signal).
    assert!(matches!(code, Some(1 | 2)), "exit {code:?}\n{shown}");
    assert!(!stderr.contains("panicked"), "{shown}");
    assert!(
        !stderr.contains("memory allocation") && !stderr.contains("overflow"),
        "{shown}"
    );

    // Every good report: its DOCX and XLSX.
    let written = names(&out);
    for r in &good {
        let title = r.title();
        for file in [format!("{title}.docx"), format!("{title}统计表.xlsx")] {
            assert!(
                written.contains(&file),
                "{file} missing: {written:?}\n{shown}"
            );
        }
    }
    // The summary, the check report and the manifest, and nothing else.
    for file in ["汇总-全部机关-2024.xlsx", "校验报告.xlsx", "manifest.json"] {
        assert!(written.contains(&file.to_string()), "{file}: {written:?}");
    }
    assert_eq!(written.len(), good.len() * 2 + 3, "{written:?}");
    assert!(!written.iter().any(|n| n.starts_with('.')), "{written:?}");

    // Every hostile input has a line naming it, with a Chinese message,
    // and says what is wrong where it is known.
    for h in &hostile {
        let path = inputs.join(h.file).display().to_string();
        let line = stdout
            .lines()
            .find(|l| l.contains(&format!("{path} ")))
            .unwrap_or_else(|| panic!("no line for {}\n{shown}", h.file));
        assert!(
            line.contains("未通过") || line.contains("无法读取"),
            "{}: {line}",
            h.file
        );
        assert!(line.contains(h.says), "{}: {line}", h.file);
        assert!(
            line.chars()
                .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
                .count()
                > 4,
            "{}: {line}",
            h.file
        );
        assert!(!line.contains("os error"), "{line}");
    }
    // The count line adds up.
    let total = good.len() + hostile.len();
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("共 {total} 个输入：成功 {}，", good.len())),
        "{last}\n{shown}"
    );

    // The output folder is what its manifest says.
    let verify = Command::new(BIN)
        .arg("verify")
        .arg(&out)
        .output()
        .expect("verify runs");
    let verified = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(verify.status.code(), Some(0), "{verified}");
    assert!(
        verified.contains("缺失 0，已改动 0，清单外 0"),
        "{verified}"
    );
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// The highest address space (VmPeak, kB) of the running process `pid`
/// seen so far, or `None` once it is gone.
fn vm_peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmPeak:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The same batch with eight workers on any machine: glibc would give each
/// thread that allocates at once an arena reserving 64 MiB (up to eight per
/// core), and rust_xlsxwriter starts a thread per worksheet; unbounded, this
/// batch reserved 650–840 MB and a thread could not be started under
/// `ulimit -v 500000`. With the arenas bounded (`tune_allocator`) it stays
/// near 260 MB. VmPeak is a high-water mark, read until the process ends.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_address_space_of_a_batch_does_not_grow_with_its_threads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let inputs = tmp.path().join("in");
    let out = tmp.path().join("out");
    write_inputs(&inputs);
    let mut child = Command::new(BIN)
        .args(["batch", s(&inputs), "-o", s(&out), "--jobs", "8"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the batch starts");
    let start = Instant::now();
    let mut peak = 0;
    let status = loop {
        if let Some(kb) = vm_peak_kb(child.id()) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            panic!("the batch did not end within {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(matches!(status.code(), Some(1 | 2)), "{status:?}");
    assert!(peak > 0, "VmPeak was never read");
    assert!(
        peak < 400_000,
        "the batch reserved {peak} kB of address space (bound: 400,000)"
    );
}
