//! R7: the numbers the narrative quotes against the tables. Zero warnings on
//! the three inputs and on the default texts; planted mismatches in several
//! phrasings each found at the right cell; numbers that are not such counts
//! never read; and R7 through `render`, `batch` and `nianbao check`.

use std::path::Path;
use std::process::Command;

use nianbao::model::Report;
use nianbao::{Finding, Severity, TextEngine};

use crate::common::{INPUTS, input as load};

/// The report with every `[text]` block left to the default template.
fn defaults_only(report: &Report) -> Report {
    let mut r = report.clone();
    for block in nianbao::spec::outline::BLOCKS {
        r.text.set(block.name, None);
    }
    r
}

fn r7(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| f.rule == "R7").collect()
}

/// The R7 findings of `text` in block `block` against `report`'s tables.
fn check_block(report: &Report, block: &str, text: &str) -> Vec<Finding> {
    let paragraphs = vec![text.to_string()];
    nianbao::check_text(report, [(block, paragraphs.as_slice())])
}

/// Tables of a small agency: 新收 74 + 上年结转 1 = 75; 予以公开 40, 部分公开 10,
/// 不予公开 3 (2 + 1), 无法提供 12, 不予处理 4, 其他处理 2: 办结 71, 结转 4;
/// 行政复议 2, 行政诉讼 1 + 1; 规范性文件 2 / 1 / 9, 规章 0; 许可 186, 处罚 23, 强制 2.
fn agency() -> Report {
    Report::from_toml_str(
        r#"[report]
agency = "某县测试局"
year = 2024
[active]
normative_documents = { issued = 2, repealed = 1, in_force = 9 }
licensing = 186
punishment = 23
enforcement = 2
[applications]
new = [70, 4, 0, 0, 0, 0]
carried_over = [1, 0, 0, 0, 0, 0]
granted = [38, 2, 0, 0, 0, 0]
partially_granted = [9, 1, 0, 0, 0, 0]
carry_forward = [4, 0, 0, 0, 0, 0]
[applications.withheld]
state_secret = [2, 0, 0, 0, 0, 0]
third_party_rights = [1, 0, 0, 0, 0, 0]
[applications.unavailable]
not_held = [11, 1, 0, 0, 0, 0]
[applications.not_processed]
duplicate = [4, 0, 0, 0, 0, 0]
[applications.other]
other = [2, 0, 0, 0, 0, 0]
[review_litigation]
review = [1, 1, 0, 0]
litigation_direct = [1, 0, 0, 0]
litigation_after_review = [0, 0, 0, 1]
"#,
        "agency.toml",
    )
    .expect("loads")
}

/// The measure: not one R7 warning on the three inputs (their own texts,
/// defaults for the blocks they leave out) nor on the default texts alone.
#[test]
fn no_false_positives_on_the_inputs_and_the_default_texts() {
    let engine = TextEngine::embedded();
    let mut reports = 0;
    for name in INPUTS {
        let report = load(name);
        for r in [report.clone(), defaults_only(&report)] {
            let findings = nianbao::check_with_text(&r, engine);
            assert!(r7(&findings).is_empty(), "{name}: {:#?}", r7(&findings));
            reports += 1;
        }
    }
    let r = agency();
    assert!(r7(&nianbao::check_with_text(&r, engine)).is_empty());
    assert_eq!(reports, 6);
}

/// `text` with every number right before 件 one more.
fn plus_one(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i > start {
            let digits: String = chars[start..i].iter().collect();
            match (chars.get(i), digits.parse::<u64>()) {
                (Some('件'), Ok(n)) => out.push_str(&(n + 1).to_string()),
                _ => out.push_str(&digits),
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The texts of the inputs and the defaults are read, not skipped: against
/// tables changed by one, every number they quote is found.
#[test]
fn the_quoted_numbers_are_read() {
    let engine = TextEngine::embedded();
    // Every 「N件」 of the city office's text one more: the 19 that are
    // figures of the tables are found (not 自然人 497, 结果维持 14, 人大建议 46 …).
    let mut city = load("moushi-zhengfuban-2024.toml");
    for block in nianbao::spec::outline::BLOCKS {
        let changed = city.text.get(block.name).map(plus_one);
        city.text.set(block.name, changed);
    }
    let findings = r7(&nianbao::check_with_text(&city, engine))
        .iter()
        .map(|f| f.found - f.expected)
        .collect::<Vec<_>>();
    assert_eq!(findings, vec![1; 19]);

    // The city office's own text quotes 19 figures of tables 二、三、四.
    let city = load("moushi-zhengfuban-2024.toml");
    let blocks = engine.render_all(&city).expect("renders");
    let mut changed = city.clone();
    changed.applications.new.values[0] += 1;
    changed.applications.new.given_total = None;
    changed.applications.total = None;
    changed.review_litigation.review.values[3] += 1;
    changed.review_litigation.review.given_total = None;
    changed.active.normative_documents.in_force += 1;
    let findings = nianbao::check_text(&changed, blocks.iter());
    let cells: Vec<(&str, i64, i64)> = findings
        .iter()
        .map(|f| (f.excel_cell.as_str(), f.expected, f.found))
        .collect();
    assert_eq!(
        cells,
        [
            ("主动公开!D5", 197, 196),
            ("依申请公开!J5", 614, 613),
            // 共需办理 636 = 新收 + 上年结转
            ("依申请公开!J5:J6", 637, 636),
            ("复议诉讼!E5", 24, 23),
        ],
        "{findings:#?}"
    );
    // The default texts of the county bureau quote tables 二、三、四.
    let bureau = defaults_only(&load("mouxian-ziranziyuan-2024.toml"));
    let blocks = engine.render_all(&bureau).expect("renders");
    let mut changed = bureau.clone();
    changed.applications.granted.values[0] += 1;
    changed.applications.carry_forward.values[0] += 1;
    changed.review_litigation.litigation_direct.values[0] += 1;
    changed.active.licensing += 1;
    changed.active.normative_documents.repealed += 1;
    let findings = nianbao::check_text(&changed, blocks.iter());
    let cells: Vec<&str> = findings.iter().map(|f| f.excel_cell.as_str()).collect();
    assert_eq!(
        cells,
        [
            "主动公开!C5",
            "主动公开!B8",
            "依申请公开!J7",
            "依申请公开!J29",
            "复议诉讼!J5+复议诉讼!O5",
        ],
        "{findings:#?}"
    );
}

/// Planted mismatches in the phrasings of real reports: each found once, at
/// the right cell, with the table's value expected and the text's found.
#[test]
fn planted_mismatches_are_found_at_their_cells() {
    let report = agency();
    let cases: [(&str, &str, &str, &str, i64, i64); 24] = [
        // (block, text, excel cell, key, expected, found)
        (
            "on_request",
            "2024年，本局收到政府信息公开申请76件。",
            "依申请公开!J5",
            "applications.new[6]",
            74,
            76,
        ),
        (
            "overview",
            "全年共受理依申请公开80件，均按时答复。",
            "依申请公开!J5",
            "applications.new[6]",
            74,
            80,
        ),
        (
            "on_request",
            "全年共收到80件政府信息公开申请。",
            "依申请公开!J5",
            "applications.new[6]",
            74,
            80,
        ),
        (
            "on_request",
            "本年度新收政府信息公开申请共计75件。",
            "依申请公开!J5",
            "applications.new[6]",
            74,
            75,
        ),
        (
            "on_request",
            "本年度收到申请七十六件。",
            "依申请公开!J5",
            "applications.new[6]",
            74,
            76,
        ),
        (
            "on_request",
            "上年结转政府信息公开申请3件。",
            "依申请公开!J6",
            "applications.carried_over[6]",
            1,
            3,
        ),
        (
            "on_request",
            "共需办理政府信息公开申请80件。",
            "依申请公开!J5:J6",
            "applications.new[6] + applications.carried_over[6]",
            75,
            80,
        ),
        (
            "on_request",
            "全年办结申请70件。",
            "依申请公开!J28",
            "applications.total[6]",
            71,
            70,
        ),
        (
            "overview",
            "全年办结政府信息公开申请十七件。",
            "依申请公开!J28",
            "applications.total[6]",
            71,
            17,
        ),
        (
            "on_request",
            "其中予以公开41件，部分公开10件。",
            "依申请公开!J7",
            "applications.granted[6]",
            40,
            41,
        ),
        (
            "on_request",
            "本年度办理结果：部分公开十一件。",
            "依申请公开!J8",
            "applications.partially_granted[6]",
            10,
            11,
        ),
        (
            "on_request",
            "不予公开5件。",
            "依申请公开!J9:J16",
            "applications.withheld.state_secret[6] + applications.withheld.law_prohibited[6] + applications.withheld.three_securities_one_stability[6] + applications.withheld.third_party_rights[6] + applications.withheld.internal_affairs[6] + applications.withheld.process_information[6] + applications.withheld.enforcement_files[6] + applications.withheld.administrative_queries[6]",
            3,
            5,
        ),
        (
            "on_request",
            "无法提供的有十二件，不予处理9件。",
            "依申请公开!J20:J24",
            "applications.not_processed.complaints[6] + applications.not_processed.duplicate[6] + applications.not_processed.publications[6] + applications.not_processed.excessive[6] + applications.not_processed.reconfirmation[6]",
            4,
            9,
        ),
        (
            "on_request",
            "结转下年度继续办理5件。",
            "依申请公开!J29",
            "applications.carry_forward[6]",
            4,
            5,
        ),
        (
            "on_request",
            "本年度因政府信息公开被申请行政复议3件。",
            "复议诉讼!E5",
            "review_litigation.review[4]",
            2,
            3,
        ),
        (
            "overview",
            "全年发生政府信息公开行政复议案件1起。",
            "复议诉讼!E5",
            "review_litigation.review[4]",
            2,
            1,
        ),
        (
            "on_request",
            "被提起行政诉讼3起。",
            "复议诉讼!J5+复议诉讼!O5",
            "review_litigation.litigation_direct[4] + review_litigation.litigation_after_review[4]",
            2,
            3,
        ),
        (
            "on_request",
            "被提起行政诉讼3件，其中结果维持1件。",
            "复议诉讼!J5+复议诉讼!O5",
            "review_litigation.litigation_direct[4] + review_litigation.litigation_after_review[4]",
            2,
            3,
        ),
        (
            "proactive",
            "全年主动公开规范性文件5件。",
            "主动公开!B5",
            "active.normative_documents.issued",
            2,
            5,
        ),
        (
            "proactive",
            "本年制发行政规范性文件2件，废止3件，现行有效9件。",
            "主动公开!C5",
            "active.normative_documents.repealed",
            1,
            3,
        ),
        (
            "proactive",
            "现行有效的行政规范性文件十件。",
            "主动公开!D5",
            "active.normative_documents.in_force",
            9,
            10,
        ),
        (
            "proactive",
            "制定政府规章1件。",
            "主动公开!B4",
            "active.rules.issued",
            0,
            1,
        ),
        (
            "proactive",
            "作出行政许可决定186件、行政处罚决定32件、行政强制决定2件。",
            "主动公开!B11",
            "active.punishment",
            23,
            32,
        ),
        (
            "management",
            "全年作出行政强制决定3件。",
            "主动公开!B12",
            "active.enforcement",
            2,
            3,
        ),
    ];
    for (block, text, excel, key, expected, found) in cases {
        let findings = check_block(&report, block, text);
        assert_eq!(findings.len(), 1, "{text}: {findings:#?}");
        let f = &findings[0];
        assert_eq!(
            (f.excel_cell.as_str(), f.key.as_str(), f.expected, f.found),
            (excel, key, expected, found),
            "{text}"
        );
        assert_eq!((f.rule, f.severity), ("R7", Severity::Warning));
        // The message quotes the sentence and names the figure.
        let sentence = text.split('。').next().unwrap_or(text);
        assert!(f.message.contains(sentence), "{}", f.message);
        assert!(
            f.message.contains(&format!("为 {expected}")),
            "{}",
            f.message
        );
        assert!(!f.cell.is_empty());
    }
}

/// A number that equals any reading the format allows is accepted:
/// 「收到申请75件」 is 新收 74 + 上年结转 1; 「主动公开规范性文件9件」 the ones in force.
#[test]
fn every_reading_the_format_allows_is_accepted() {
    let report = agency();
    for (block, text) in [
        ("on_request", "2024年，本局收到政府信息公开申请75件。"),
        ("on_request", "2024年，本局收到政府信息公开申请74件。"),
        ("on_request", "共受理依申请公开七十五件。"),
        ("on_request", "共办理政府信息公开申请75件，其中办结71件。"),
        ("on_request", "共办理政府信息公开申请71件。"),
        ("proactive", "主动公开规范性文件9件。"),
        ("proactive", "主动公开规范性文件2件。"),
        (
            "on_request",
            "被申请行政复议2件，被提起行政诉讼2件，其中未经复议直接起诉1件，复议后起诉1件。",
        ),
    ] {
        let findings = check_block(&report, block, text);
        assert!(findings.is_empty(), "{text}: {findings:#?}");
    }
}

/// Numbers that are not counts of the tables are never read: years, dates,
/// 第…条/项, percentages, sums of money, ordinals, phone numbers, counts of
/// other things, parts, changes and approximations. The tables are all zero,
/// so any number read would be a warning; a control sentence shows the
/// matcher is on.
#[test]
fn numbers_that_are_not_such_counts_give_no_warning() {
    let report = Report::default();
    let kinds: [(&str, &[&str]); 12] = [
        (
            "years",
            &[
                "2024年，本局新收政府信息公开申请情况如下。",
                "上年结转2023年度的申请已全部办结。",
                "2024年度收到申请的时间主要集中在下半年。",
            ],
        ),
        (
            "dates",
            &[
                "对2024年12月31日前收到的申请，均于2025年1月20日前答复。",
                "办结时间为12月31日。",
            ],
        ),
        (
            "articles",
            &[
                "依据《条例》第三十六条第二项予以公开。",
                "按照第十条规定答复，第3件申请予以公开。",
                "依照第二十条第（五）项主动公开行政许可决定。",
            ],
        ),
        (
            "percentages",
            &[
                "予以公开率为35%，办结率100%。",
                "予以公开占比34.5%，不予公开占百分之十。",
            ],
        ),
        (
            "money",
            &[
                "收取信息处理费3940元。",
                "收到信息处理费1.2万元，行政复议费用200元。",
            ],
        ),
        (
            "ordinals",
            &[
                "一是收到申请后及时登记；二是予以公开的信息及时归档。",
                "1.新收申请情况；2.办结情况。",
                "（一）予以公开；（二）部分公开。",
            ],
        ),
        (
            "phones",
            &[
                "受理申请电话0376-3123456。",
                "答复热线12345，受理邮箱为xxgk@example.cn。",
            ],
        ),
        (
            "other things",
            &[
                "主动公开政府信息412条，培训500人次，举办新闻发布会48场，组织培训3期。",
                "承办人大代表建议46件，均已按期办结；办结人大代表建议46件。",
                "收到群众来信12件，答复网民留言120件，主动公开文件186件。",
                "清理规范性文件38件，备案规范性文件5件。",
                "推行一件事一次办，收到申请1件次。",
            ],
        ),
        (
            "parts",
            &[
                "以自然人名义提出的申请497件，以法人或其他组织名义提出的申请116件。",
                "其中通过网络收到申请60件。",
                "因属于国家秘密不予公开2件。",
                "被提起行政诉讼，其中结果纠正的行政复议1件，一审败诉的行政诉讼1件。",
                "作出行政许可、行政处罚决定209件。",
                "作为复议机关，办理政府信息公开行政复议案件12件，受理政府信息公开行政诉讼应诉案件3件。",
                "新收和上年结转申请共75件。",
            ],
        ),
        (
            "changes",
            &["新收申请较上年增加12件。", "同比新收申请减少3件。"],
        ),
        (
            "approximations",
            &[
                "全年收到政府信息公开申请约80件。",
                "收到申请2000余件，答复1000多件，新收申请75件以上。",
            ],
        ),
        (
            "negations",
            &[
                "本年度未收到政府信息公开申请，无上年结转申请。",
                "不予受理申请2件，尚未办结3件，未予以公开4件。",
            ],
        ),
    ];
    for (kind, texts) in kinds {
        for text in texts {
            for block in ["on_request", "proactive", "overview"] {
                let findings = check_block(&report, block, text);
                assert!(
                    findings.is_empty(),
                    "{kind} in {block}: {text}: {findings:#?}"
                );
            }
        }
    }
    // Control: the same tables and a count the text quotes.
    assert_eq!(check_block(&report, "on_request", "收到申请1件。").len(), 1);
}

/// The context a figure needs: 予以公开 outside a text about applications,
/// a bare 收到 without 申请, 复议 outside 信息公开, 废止 without a document.
#[test]
fn figures_out_of_their_context_are_not_read() {
    let report = Report::default();
    for (block, text) in [
        ("management", "对群众关心的事项予以公开12件。"),
        ("overview", "全年共收到12件，均已办理。"),
        ("oversight", "本局办理行政复议案件35件。"),
        ("proactive", "废止3件。"),
        ("proactive", "现行有效9件。"),
    ] {
        let findings = check_block(&report, block, text);
        assert!(findings.is_empty(), "{block}: {text}: {findings:#?}");
    }
    // The same words in their context are read.
    for (block, text) in [
        ("on_request", "对群众关心的事项予以公开12件。"),
        ("on_request", "全年共收到12件，均已办理。"),
        ("oversight", "本局因政府信息公开被申请行政复议35件。"),
        ("proactive", "制发规范性文件1件、废止3件。"),
    ] {
        let findings = check_block(&report, block, text);
        assert!(!findings.is_empty(), "{block}: {text}");
    }
}

/// R7 through the callers that render the text: `render` returns it with the
/// files, and `nianbao check` prints it and exits 0 (a warning).
#[test]
fn render_and_check_report_r7() {
    let mut report = load("mouxian-ziranziyuan-2024.toml");
    report.text.on_request = Some("2024年，我局收到政府信息公开申请30件。".into());
    let outputs = nianbao::Outputs {
        docx: false,
        xlsx: true,
        html: None,
    };
    let (_, warnings) = nianbao::render(&report, "x.toml", outputs).expect("renders");
    let found: Vec<(&str, i64, i64)> = r7(&warnings)
        .iter()
        .map(|f| (f.excel_cell.as_str(), f.expected, f.found))
        .collect();
    assert_eq!(found, [("依申请公开!J5", 25, 30)]);

    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("r7.toml");
    std::fs::write(&input, toml::to_string(&report).expect("toml")).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("check")
        .arg(&input)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("警告 R7 表三 一、本年新收政府信息公开申请数量 × 总计（依申请公开!J5）：应为 25，实为 30。"),
        "{stdout}"
    );
    assert!(
        stdout.contains("「2024年，我局收到政府信息公开申请30件」"),
        "{stdout}"
    );
    assert!(stdout.contains("0 个错误，1 个警告"), "{stdout}");
}

/// `batch` puts R7 into the check report, and still generates the files.
#[test]
fn batch_reports_r7() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("in");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut planted = load("moushi-zhengfuban-2024.toml");
    let text = planted.text.on_request.clone().unwrap_or_default();
    planted.text.on_request = Some(text.replace("被提起行政诉讼17件", "被提起行政诉讼95件"));
    std::fs::write(dir.join("a.toml"), toml::to_string(&planted).expect("toml")).expect("write");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/butaji-2024.toml"),
        dir.join("b.toml"),
    )
    .expect("copy");
    let out_dir = tmp.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("batch")
        .arg(&dir)
        .arg("-o")
        .arg(&out_dir)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out_dir.join("check-report.json")).expect("check report"),
    )
    .expect("json");
    let inputs = json["inputs"].as_array().expect("inputs");
    let row = |agency: &str| {
        inputs
            .iter()
            .find(|i| i["agency"] == agency)
            .unwrap_or_else(|| panic!("{agency}: {json}"))
    };
    let city = row("某市人民政府办公室");
    let findings = city["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule"], "R7");
    assert_eq!(findings[0]["severity"], "warning");
    assert_eq!(
        (
            findings[0]["expected"].as_i64(),
            findings[0]["found"].as_i64()
        ),
        (Some(17), Some(95))
    );
    assert_eq!(city["status"], "ok");
    assert!(
        city["message"].as_str().unwrap_or("").contains("1 个警告"),
        "{city}"
    );
    let sample = row("潢川县卜塔集镇人民政府");
    assert_eq!(sample["findings"].as_array().map(Vec::len), Some(0));
}

/// The default texts of synthetic agencies of every kind and size quote
/// their tables: no R7 warning on any of them.
#[test]
fn no_false_positives_on_synthetic_agencies() {
    let engine = TextEngine::embedded();
    for seed in 0..200 {
        let report = nianbao::synthetic::report(seed);
        let blocks = engine.render_all(&report).expect("renders");
        let findings = nianbao::check_text(&report, blocks.iter());
        assert!(findings.is_empty(), "seed {seed}: {findings:#?}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Any text, made of the words, numerals and marks the matcher looks
    /// for: findings or none, never a panic.
    #[test]
    fn any_text_is_read_without_panic(
        pieces in proptest::collection::vec(
            proptest::sample::select(vec![
                "收到", "新收", "申请", "政府信息公开", "予以公开", "废止", "规章", "规范性文件",
                "行政复议", "行政诉讼", "其中", "未", "、", "，", "。", "：", "（", "件", "起",
                "七", "十", "百", "千", "万", "零", "两", "0", "9", "12", "１", ",", ".", "第",
                "结转下年度", "办结", "的", "共", "\n", " ", "%", "元",
            ]),
            0..40,
        )
    ) {
        let text: String = pieces.concat();
        let report = agency();
        for block in ["on_request", "proactive", "processing_fees", "x"] {
            let _ = check_block(&report, block, &text);
        }
    }
}
