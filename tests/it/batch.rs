//! The county batch end to end: isolation of bad inputs, the summary's
//! region-wide sums, the cross-year check, reproducible bytes and `verify`,
//! safe file names. Every test reads the written files back.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::nianbao;
use calamine::{Data, Reader, Xlsx, open_workbook};
use nianbao::batch::{self, Options, Status, manifest};
use nianbao::model::Report;
use nianbao::spec::tables::{self, Content, TITLE_ROWS, Value};
use nianbao::synthetic;

fn write_toml(path: &Path, report: &Report) {
    std::fs::write(path, toml::to_string(report).unwrap()).unwrap();
}

fn write_json(path: &Path, report: &Report) {
    std::fs::write(path, serde_json::to_string_pretty(report).unwrap()).unwrap();
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    manifest::list_files(dir).unwrap().into_iter().collect()
}

fn sha_all(dir: &Path) -> BTreeMap<String, String> {
    files(dir)
        .into_iter()
        .map(|f| {
            let sha = manifest::hash_file(&dir.join(&f)).unwrap().1;
            (f, sha)
        })
        .collect()
}

fn number(d: Option<&Data>) -> f64 {
    match d {
        Some(Data::Float(f)) => *f,
        Some(Data::Int(i)) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

fn text(d: Option<&Data>) -> String {
    match d {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn value(v: Option<Value>) -> f64 {
    match v {
        Some(Value::Count(n)) => n as f64,
        Some(Value::Amount(a)) => a.to_f64(),
        None => 0.0,
    }
}

/// A report that breaks R1 (an application granted that was never received).
fn rule_breaking(seed: u64) -> Report {
    let mut r = synthetic::report(seed);
    r.applications.granted.values[0] += 1;
    r.applications.granted.given_total = None;
    r.applications.total = None;
    r
}

/// Good inputs, a malformed file, a rule-breaking input and a duplicate:
/// the good ones are generated, the others reported, nothing partial.
#[test]
fn bad_inputs_are_isolated() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("inputs");
    std::fs::create_dir_all(inputs.join("乡镇")).unwrap();
    let good: Vec<Report> = (0..4).map(synthetic::report).collect();
    write_toml(&inputs.join("a-good.toml"), &good[0]);
    write_json(&inputs.join("乡镇/b-good.json"), &good[1]);
    write_toml(&inputs.join("c-good.toml"), &good[2]);
    write_toml(&inputs.join("d-dup.toml"), &good[3]);
    write_json(&inputs.join("e-dup-again.json"), &good[3]);
    std::fs::write(
        inputs.join("f-malformed.toml"),
        "[report]\nagency = \"坏文件\nyear = 2024\n",
    )
    .unwrap();
    let breaking = rule_breaking(10);
    write_toml(&inputs.join("g-breaks-r1.toml"), &breaking);
    std::fs::write(inputs.join("readme.txt"), "not an input").unwrap();
    let out = tmp.path().join("out");

    let (code, stdout, stderr) = nianbao(&[
        "batch",
        inputs.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--jobs",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(code, 2, "an unreadable input → exit 2\n{stdout}\n{stderr}");
    let last = stdout.lines().last().unwrap();
    assert_eq!(
        last, "共 7 个输入：成功 3，未通过 3，无法读取 1。",
        "{stdout}"
    );
    // Not a terminal: one line per input.
    assert_eq!(stdout.lines().filter(|l| l.starts_with('[')).count(), 7);

    let written = files(&out);
    for r in &good[..3] {
        let title = r.title();
        assert!(written.contains(&format!("{title}.docx")), "{written:?}");
        assert!(
            written.contains(&format!("{title}统计表.xlsx")),
            "{written:?}"
        );
    }
    for bad in [&good[3], &breaking] {
        assert!(
            !written.iter().any(|f| f.starts_with(&bad.report.agency)),
            "{written:?}"
        );
    }
    assert!(!written.iter().any(|f| f.contains(".tmp")), "{written:?}");
    assert!(written.contains(&"校验报告.xlsx".to_string()));
    assert!(written.contains(&"check-report.json".to_string()));
    assert!(written.contains(&format!("汇总-{}-2024.xlsx", synthetic::REGION)));
    assert!(written.contains(&"manifest.json".to_string()));
    assert_eq!(written.len(), 3 * 2 + 4, "{written:?}");

    // The JSON check report: failed first, then unreadable, then ok.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("check-report.json")).unwrap()).unwrap();
    assert_eq!(json["ok"], 3);
    assert_eq!(json["failed"], 3);
    assert_eq!(json["unreadable"], 1);
    let statuses: Vec<&str> = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["failed", "failed", "failed", "unreadable", "ok", "ok", "ok"]
    );
    let inputs_json = json["inputs"].as_array().unwrap();
    let r1 = inputs_json
        .iter()
        .find(|i| i["input"].as_str().unwrap().ends_with("g-breaks-r1.toml"))
        .unwrap();
    assert_eq!(r1["agency"], breaking.report.agency.as_str());
    assert!(
        r1["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "R1" && f["severity"] == "error")
    );
    let dups: Vec<_> = inputs_json
        .iter()
        .filter(|i| i["input"].as_str().unwrap().contains("dup"))
        .collect();
    assert_eq!(dups.len(), 2);
    for d in dups {
        assert_eq!(d["status"], "failed");
        assert!(d["message"].as_str().unwrap().contains("dup"), "{d}");
    }
    let malformed = inputs_json
        .iter()
        .find(|i| i["status"] == "unreadable")
        .unwrap();
    assert!(
        malformed["message"]
            .as_str()
            .unwrap()
            .contains("f-malformed.toml")
    );

    // The Excel check report says the same, failed agencies first.
    let mut wb: Xlsx<_> = open_workbook(out.join("校验报告.xlsx")).unwrap();
    let sheet = wb.worksheet_range("校验报告").unwrap();
    let col = |name: &str| {
        batch::check_report::COLUMNS
            .iter()
            .position(|c| *c == name)
            .unwrap()
    };
    // A title row and the header row above the inputs.
    let first_row = batch::check_report::FIRST_ROW as usize;
    assert_eq!(
        text(sheet.get((first_row - 1, col("状态")))),
        "状态",
        "the header row"
    );
    let first = sheet.get((first_row, col("状态"))).cloned();
    assert_eq!(text(first.as_ref()), "未通过");
    let r1_row = (first_row..sheet.height())
        .find(|&r| text(sheet.get((r, col("规则")))) == "R1")
        .expect("an R1 row");
    assert_eq!(
        text(sheet.get((r1_row, col("机关")))),
        breaking.report.agency
    );
    let ok_rows = (first_row..sheet.height())
        .filter(|&r| text(sheet.get((r, col("状态")))) == "成功")
        .count();
    assert_eq!(ok_rows, 3);

    // Without the unreadable file: exit 1.
    std::fs::remove_file(inputs.join("f-malformed.toml")).unwrap();
    let out2 = tmp.path().join("out2");
    let (code, stdout, _) = nianbao(&[
        "batch",
        inputs.to_str().unwrap(),
        "-o",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.ends_with("共 6 个输入：成功 3，未通过 3，无法读取 0。\n"));
}

/// The region-wide sums on the summary's mandated-layout sheets, and its
/// totals row, equal the sums of the agencies.
#[test]
fn summary_sums_equal_the_agencies() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    let reports: Vec<Report> = (100..125).map(synthetic::report).collect();
    for (i, r) in reports.iter().enumerate() {
        write_toml(&inputs.join(format!("{i:02}.toml")), r);
    }
    let out = tmp.path().join("out");
    let mut options = Options::new(vec![inputs], out.clone());
    options.name = Some("测试县".to_string());
    options.jobs = Some(2);
    let outcome = batch::run(&options, &|_, _, _| {}).unwrap();
    assert_eq!(outcome.count(Status::Ok), reports.len());
    let path = out.join("汇总-测试县-2024.xlsx");
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let names = wb.sheet_names();
    for sheet in ["汇总", "主动公开", "依申请公开", "复议诉讼", "图表"] {
        assert!(names.iter().any(|n| n == sheet), "{sheet} in {names:?}");
    }

    // Mandated layout: table cell (r, c) sits at sheet cell (r + TITLE_ROWS, c).
    let mut checked = 0;
    for table in tables::all() {
        let range = wb.worksheet_range(table.sheet).unwrap();
        for cell in &table.cells {
            if matches!(cell.content, Content::Label(_)) {
                continue;
            }
            let expected: f64 = reports
                .iter()
                .map(|r| value(table.value(r, cell.row, cell.col)))
                .sum();
            let got = number(range.get_value(((cell.row + TITLE_ROWS) as u32, cell.col as u32)));
            assert!(
                (expected - got).abs() < 1e-6,
                "{}: {expected} ≠ {got}",
                table.describe(cell)
            );
            checked += 1;
        }
    }
    assert!(checked > 190);

    // 汇总: two header rows, one row per agency, a totals row of formulas.
    let range = wb.worksheet_range("汇总").unwrap();
    let formulas = wb.worksheet_formula("汇总").unwrap();
    let columns = batch::summary::columns();
    let first = batch::summary::INFO_COLUMNS.len();
    let header = batch::summary::HEADER_ROWS as usize;
    let totals_row = header + reports.len();
    assert_eq!(range.height(), totals_row + 1);
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(text(range.get((header + i, 0))), r.report.agency);
    }
    // The column labels, broken into lines between words.
    let squash = |s: &str| s.replace(['\n', ' '], "");
    for (i, c) in columns.iter().enumerate() {
        assert_eq!(text(range.get((1, first + i))), c.header());
        assert_eq!(squash(&c.header()), squash(&c.label));
        let expected: f64 = reports
            .iter()
            .map(|r| value(c.table.value(r, c.row, c.col)))
            .sum();
        let got = number(range.get((totals_row, first + i)));
        assert!((expected - got).abs() < 1e-6, "{} {}", c.group, c.label);
        let formula = formulas
            .get_value((totals_row as u32, (first + i) as u32))
            .cloned()
            .unwrap_or_default();
        assert!(formula.starts_with("SUM("), "{formula}");
    }
    // The first header row carries the table and row of the column.
    assert_eq!(
        squash(&text(range.get((0, first)))),
        squash(&columns[0].group)
    );

    // 图表: two charts at least.
    let zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let charts = zip
        .file_names()
        .filter(|n| n.starts_with("xl/charts/chart"))
        .count();
    assert!(charts >= 2, "{charts} charts");
}

/// `--previous` finds a planted carry-over mismatch and names the agency,
/// the column and both values; an agency without last year's input is listed.
#[test]
fn previous_year_mismatch_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let (prev_dir, this_dir) = (tmp.path().join("2024"), tmp.path().join("2025"));
    std::fs::create_dir_all(&prev_dir).unwrap();
    std::fs::create_dir_all(&this_dir).unwrap();
    let last: Vec<Report> = (0..3).map(synthetic::report).collect();
    for (i, r) in last.iter().enumerate() {
        write_toml(&prev_dir.join(format!("{i}.toml")), r);
    }
    let mut this: Vec<Report> = last
        .iter()
        .enumerate()
        .map(|(i, r)| synthetic::follow_up(r, 1000 + i as u64))
        .collect();
    // Plant: agency 1 says it carried over one more 商业企业 application than
    // it carried forward last year (and carries it on, so R1 still holds).
    let planted = &mut this[1];
    planted.applications.carried_over.values[1] += 1;
    planted.applications.carry_forward.values[1] += 1;
    for row in [
        &mut planted.applications.carried_over,
        &mut planted.applications.carry_forward,
    ] {
        row.given_total = None;
    }
    planted.applications.total = None;
    let expected = last[1].applications.carry_forward.values[1];
    // A new agency, with no input last year.
    let mut newcomer = synthetic::report(77);
    newcomer.report.year = nianbao::model::Year(2025);
    this.push(newcomer.clone());
    for (i, r) in this.iter().enumerate() {
        write_toml(&this_dir.join(format!("{i}.toml")), r);
    }
    let out = tmp.path().join("out");
    let (code, stdout, stderr) = nianbao(&[
        "batch",
        this_dir.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--previous",
        prev_dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "warnings do not fail\n{stdout}\n{stderr}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("check-report.json")).unwrap()).unwrap();
    let inputs = json["inputs"].as_array().unwrap();
    let find = |agency: &str| {
        inputs
            .iter()
            .find(|i| i["agency"] == agency)
            .unwrap_or_else(|| panic!("{agency}"))
    };
    let row = find(&this[1].report.agency);
    let findings = row["findings"].as_array().unwrap();
    let r5: Vec<_> = findings.iter().filter(|f| f["rule"] == "R5").collect();
    // 商业企业 and 总计 differ.
    assert_eq!(r5.len(), 2, "{findings:?}");
    let column = tables::APPLICANT_COLUMNS[1];
    let f = r5
        .iter()
        .find(|f| f["cell"].as_str().unwrap().ends_with(column))
        .unwrap();
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["expected"], i64::from(expected));
    assert_eq!(f["found"], i64::from(expected) + 1);
    assert_eq!(row["previous"]["status"], "compared");
    for other in [&this[0], &this[2]] {
        let row = find(&other.report.agency);
        assert_eq!(row["findings"].as_array().unwrap().len(), 0, "{row}");
        assert_eq!(row["previous"]["status"], "compared");
    }
    assert_eq!(
        find(&newcomer.report.agency)["previous"]["status"],
        "missing"
    );

    // The Excel report names the agency, the column and both values too.
    let mut wb: Xlsx<_> = open_workbook(out.join("校验报告.xlsx")).unwrap();
    let sheet = wb.worksheet_range("校验报告").unwrap();
    let col = |name: &str| {
        batch::check_report::COLUMNS
            .iter()
            .position(|c| *c == name)
            .unwrap()
    };
    let r = (1..sheet.height())
        .find(|&r| {
            text(sheet.get((r, col("规则")))) == "R5"
                && text(sheet.get((r, col("单元格")))).ends_with(column)
        })
        .unwrap();
    assert_eq!(text(sheet.get((r, col("机关")))), this[1].report.agency);
    assert_eq!(number(sheet.get((r, col("应为")))), f64::from(expected));
    assert_eq!(
        number(sheet.get((r, col("实为")))),
        f64::from(expected) + 1.0
    );
    let missing = (1..sheet.height())
        .find(|&r| text(sheet.get((r, col("机关")))) == newcomer.report.agency)
        .unwrap();
    assert!(text(sheet.get((missing, col("上年对比")))).contains("无上年输入"));
}

/// Re-running gives the same bytes; `verify` catches a changed, a deleted
/// and an extra file.
#[test]
fn rerun_is_identical_and_verify_catches_tampering() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    let (code, _, _) = nianbao(&["sample-inputs", "12", inputs.to_str().unwrap()]);
    assert_eq!(code, 0);
    let out = tmp.path().join("out");
    let run = |jobs: &str| {
        let (code, stdout, stderr) = nianbao(&[
            "batch",
            inputs.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--jobs",
            jobs,
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        sha_all(&out)
    };
    let first = run("2");
    assert_eq!(first.len(), 12 * 2 + 4, "{first:?}");
    let second = run("1");
    assert_eq!(first, second, "re-run must give identical bytes");

    // The manifest lists every file but itself, with the right hashes.
    let m: manifest::Manifest =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m.files.len(), first.len() - 1);
    for e in &m.files {
        assert_eq!(first[&e.path], e.sha256, "{}", e.path);
    }
    // The batch-level files first (sorted), then each input's files in input order.
    let batch_files: Vec<&String> = m
        .files
        .iter()
        .take_while(|e| e.source.is_none())
        .map(|e| &e.path)
        .collect();
    assert_eq!(batch_files.len(), 3, "{batch_files:?}");
    assert!(batch_files.windows(2).all(|w| w[0] < w[1]));
    let sources: Vec<&str> = m.files[3..]
        .iter()
        .map(|e| e.source.as_deref().unwrap())
        .collect();
    assert!(sources.windows(2).all(|w| w[0] <= w[1]), "{sources:?}");
    let docx = m.files.iter().find(|e| e.path.ends_with(".docx")).unwrap();
    assert!(
        docx.source.as_deref().unwrap().ends_with(".toml")
            || docx.source.as_deref().unwrap().ends_with(".json")
    );
    assert!(docx.agency.is_some());
    assert_eq!(docx.year, Some(2024));

    let (code, stdout, _) = nianbao(&["verify", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");

    let changed = m.files[0].path.clone();
    let deleted = m.files[1].path.clone();
    let mut bytes = std::fs::read(out.join(&changed)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    std::fs::write(out.join(&changed), bytes).unwrap();
    std::fs::remove_file(out.join(&deleted)).unwrap();
    std::fs::write(out.join("extra.txt"), "not from the batch").unwrap();

    let v = manifest::verify(&out).unwrap();
    assert_eq!(v.changed, vec![changed.clone()]);
    assert_eq!(v.missing, vec![deleted.clone()]);
    assert_eq!(v.unlisted, vec!["extra.txt".to_string()]);
    let (code, stdout, _) = nianbao(&["verify", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(&format!("已改动：{changed}")), "{stdout}");
    assert!(stdout.contains(&format!("缺失：{deleted}")), "{stdout}");
    assert!(stdout.contains("清单外：extra.txt"), "{stdout}");
}

/// Hostile agency names never write outside the output folder and never
/// fail the file system; the manifest records the mapping.
#[test]
fn hostile_agency_names_are_made_safe() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    let names = [
        "../../逃逸/机关".to_string(),
        "..".to_string(),
        "反\\斜杠".to_string(),
        "制表\t换行\n机关".to_string(),
        "控制\u{1}字符".to_string(),
        "很长的机关名称".repeat(14), // 294 bytes
    ];
    for (i, name) in names.iter().enumerate() {
        let mut r = synthetic::report(500 + i as u64);
        r.report.agency = name.clone();
        write_toml(&inputs.join(format!("{i}.toml")), &r);
    }
    let out = tmp.path().join("deep").join("out");
    let mut options = Options::new(vec![inputs.clone()], out.clone());
    options.jobs = Some(2);
    let results = std::sync::Mutex::new(Vec::new());
    let outcome = batch::run(&options, &|r, _, _| results.lock().unwrap().push(r.clone())).unwrap();
    let results = results.into_inner().unwrap();
    assert_eq!(outcome.counts.total, names.len());
    // The loader may refuse a control character outright (the XML writers
    // could not hold it); every other name is generated under a safe name.
    let refused: Vec<_> = results.iter().filter(|r| r.status != Status::Ok).collect();
    assert!(refused.len() <= 1, "{refused:?}");
    for r in &refused {
        assert_eq!(r.status, Status::Unreadable, "{r:?}");
        assert!(r.input.ends_with("4.toml"), "{r:?}");
    }
    // Nothing outside out/: the temp dir holds only in/ and deep/out.
    let outside: Vec<String> = files(tmp.path())
        .into_iter()
        .filter(|f| !f.starts_with("in/") && !f.starts_with("deep/out/"))
        .collect();
    assert!(outside.is_empty(), "{outside:?}");
    let m: manifest::Manifest =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    for name in names
        .iter()
        .filter(|n| !n.contains('\u{1}') || refused.is_empty())
    {
        let entries: Vec<_> = m
            .files
            .iter()
            .filter(|e| e.agency.as_deref() == Some(name.as_str()))
            .collect();
        assert_eq!(entries.len(), 2, "{name:?}");
        for e in entries {
            assert!(
                !e.path.contains('/') && !e.path.contains('\\'),
                "{}",
                e.path
            );
            assert!(!e.path.starts_with('.'), "{}", e.path);
            assert!(e.path.len() <= nianbao::MAX_NAME_BYTES);
            assert!(!e.path.chars().any(char::is_control), "{:?}", e.path);
            let original = e.unsafe_name.as_deref().expect("mapping recorded");
            assert!(original.starts_with(name.as_str()));
            assert!(out.join(&e.path).is_file());
        }
    }
    assert!(manifest::verify(&out).unwrap().is_clean());
}

#[test]
fn sample_inputs_are_valid_and_varied() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = batch::write_sample_inputs(30, tmp.path()).unwrap();
    assert_eq!(paths.len(), 30);
    let mut agencies = std::collections::BTreeSet::new();
    let mut kinds = std::collections::BTreeSet::new();
    for p in &paths {
        let r = nianbao::read_path(p).unwrap();
        assert!(nianbao::check(&r).is_empty(), "{}", p.display());
        agencies.insert(r.report.agency);
        kinds.insert(
            p.extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase(),
        );
    }
    assert_eq!(agencies.len(), 30);
    assert_eq!(kinds.len(), 2);
}

/// Folders are walked in order, hidden entries, lock files, other files and
/// the output folder are left out, and a file reached twice counts once.
#[test]
fn inputs_are_collected_once_and_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    for dir in ["b", "a", ".hidden", "out"] {
        std::fs::create_dir_all(inputs.join(dir)).unwrap();
    }
    for file in [
        "b/2.toml",
        "a/1.json",
        "a/~$lock.xlsx",
        "a/.x.toml",
        ".hidden/3.toml",
        "notes.txt",
        "0.TOML",
        "out/old.xlsx",
    ] {
        std::fs::write(inputs.join(file), "").unwrap();
    }
    let skip = inputs.join("out").canonicalize().unwrap();
    let dotted = inputs.join(".").join("b").join("2.toml");
    let found = batch::collect_inputs(&[inputs.clone(), dotted], Some(&skip));
    let rel: Vec<String> = found
        .iter()
        .map(|p| p.strip_prefix(&inputs).unwrap().display().to_string())
        .collect();
    assert_eq!(rel, ["0.TOML", "a/1.json", "b/2.toml"]);
}

/// Inputs of different years give one summary per year, each with its own
/// agencies; a batch where nothing succeeds still writes its check report.
#[test]
fn one_summary_per_year() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    let a = synthetic::report(1);
    let mut b = synthetic::report(2);
    b.report.year = nianbao::model::Year(2023);
    write_toml(&inputs.join("a.toml"), &a);
    write_toml(&inputs.join("b.toml"), &b);
    let out = tmp.path().join("out");
    let outcome = batch::run(&Options::new(vec![inputs], out.clone()), &|_, _, _| {}).unwrap();
    assert_eq!(outcome.count(Status::Ok), 2);
    for (year, report) in [(2023, &b), (2024, &a)] {
        let mut wb: Xlsx<_> =
            open_workbook(out.join(format!("汇总-{}-{year}.xlsx", synthetic::REGION))).unwrap();
        let range = wb.worksheet_range("汇总").unwrap();
        let header = batch::summary::HEADER_ROWS as usize;
        assert_eq!(
            range.height(),
            header + 2,
            "{year}: one agency and the totals"
        );
        assert_eq!(text(range.get((header, 0))), report.report.agency);
    }

    let bad = tmp.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    write_toml(&bad.join("x.toml"), &rule_breaking(3));
    let out = tmp.path().join("out-bad");
    let outcome = batch::run(&Options::new(vec![bad], out.clone()), &|_, _, _| {}).unwrap();
    assert_eq!((outcome.counts.total, outcome.counts.failed), (1, 1));
    assert_eq!((outcome.counts.ok, outcome.counts.unreadable), (0, 0));
    assert_eq!(files(&out), ["manifest.json", "校验报告.xlsx"]);
    assert!(manifest::verify(&out).unwrap().is_clean());
}

/// An agency name longer than an Excel cell holds fails at most its own
/// input: the batch, its summary and its check report go on.
#[test]
fn a_giant_agency_name_fails_only_its_input() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    let mut giant = synthetic::report(900);
    giant.report.agency = "巨".repeat(40_000);
    write_toml(&inputs.join("giant.toml"), &giant);
    write_toml(&inputs.join("normal.toml"), &synthetic::report(901));
    let out = tmp.path().join("out");
    let outcome = batch::run(&Options::new(vec![inputs], out.clone()), &|_, _, _| {}).unwrap();
    assert_eq!(outcome.counts.total, 2);
    assert!(outcome.count(Status::Ok) >= 1);
    assert!(manifest::verify(&out).unwrap().is_clean());
    let mut wb: Xlsx<_> = open_workbook(out.join("校验报告.xlsx")).unwrap();
    // The title, the header and the two inputs.
    assert_eq!(
        wb.worksheet_range("校验报告").unwrap().height(),
        batch::check_report::FIRST_ROW as usize + 2
    );
}
