//! The rules as data (`nianbao::spec::rules`) and their two readers: the
//! checker and the `校验` sheet of the workbook and the fill-in form.
//!
//! - every rule has an input that breaks it, and the checker reports it in
//!   the rule's own wording (or, for the rules the program does not compare,
//!   the input cannot load or the rule says why it is not checked);
//! - the `校验` sheet shows 不通过 where the report breaks a rule, 通过 on
//!   every line for a consistent report, and no line compares a formula with
//!   itself.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use nianbao::model::Report;
use nianbao::spec::rules::{self, RULES, Rule, Scope, Severity};
use nianbao::spec::sheets::{CHECK_COLUMNS, CHECK_FIRST_ROW, CHECK_SHEET, FAIL, PASS};
use nianbao::{Finding, InputKind, Outputs};

/// A report from TOML text after a `[report]` header.
fn report(body: &str) -> Report {
    let toml = format!("[report]\nagency = \"某县测试局\"\nyear = 2024\n{body}");
    nianbao::read_bytes(toml.as_bytes(), InputKind::Toml, "rules.toml")
        .unwrap_or_else(|e| panic!("test input should load: {e}"))
}

/// R1 broken in column 自然人 (and so in 总计): 新收 3 = 办结 2 + 结转 0.
const BREAKS_R1: &str = "[applications]\nnew = [3, 0, 0, 0, 0, 0]\ngranted = [2, 0, 0, 0, 0, 0]\n";
/// R10 broken: one application closed for an unpaid fee, no 收费通知.
const BREAKS_R10: &str = "[applications]\nnew = [1, 0, 0, 0, 0, 0]\n[applications.other]\nfee_overdue = [1, 0, 0, 0, 0, 0]\n[processing_fees]\nnotices = 0\n";

/// The findings of an input that breaks `rule` and nothing else of its scope.
fn breaking_findings(rule: &Rule) -> Vec<Finding> {
    let (body, previous) = match rule.id {
        "R1" => (BREAKS_R1, None),
        // The typed （七）总计 of 自然人 says 2, the outcome rows sum to 1.
        "R2" => (
            "[applications]\nnew = [2, 0, 0, 0, 0, 0]\ngranted = [1, 0, 0, 0, 0, 0]\ntotal = [2, 0, 0, 0, 0, 0]\n",
            None,
        ),
        // 新收 × 总计 typed as 3, the six columns sum to 2.
        "R3" => (
            "[applications]\nnew = [2, 0, 0, 0, 0, 0, 3]\ngranted = [2, 0, 0, 0, 0, 0]\n",
            None,
        ),
        // 行政复议 总计 typed as 2, its four columns sum to 1.
        "R4" => ("[review_litigation]\nreview = [1, 0, 0, 0, 2]\n", None),
        // Last year carried 1 forward, this year carries 0 over.
        "R5" => (
            "[applications]\nnew = [1, 0, 0, 0, 0, 0]\ngranted = [1, 0, 0, 0, 0, 0]\n",
            Some("[applications]\nnew = [1, 0, 0, 0, 0, 0]\ncarry_forward = [1, 0, 0, 0, 0, 0]\n"),
        ),
        // Last year 5 in force, 1 issued this year, still 5 in force.
        "R6" => (
            "[active.rules]\nissued = 1\nrepealed = 0\nin_force = 5\n",
            Some("[active.rules]\nissued = 5\nrepealed = 0\nin_force = 5\n"),
        ),
        "R10" => (BREAKS_R10, None),
        other => panic!(
            "{other}: a rule of scope {:?} needs a test input that breaks it",
            rule.scope
        ),
    };
    let now = report(body);
    match previous {
        None => nianbao::check(&now),
        Some(last) => nianbao::check_against_previous(&now, &report(last)),
    }
}

/// Every rule of `spec::rules`: an input that breaks it gives findings of
/// that rule only, with its severity and its wording (both sides in words,
/// with their values). The rules the program does not compare say why.
#[test]
fn every_rule_is_broken_by_an_input_and_reported_in_its_wording() {
    for rule in &RULES {
        match rule.scope {
            Scope::Report | Scope::AgainstPrevious => {
                let findings = breaking_findings(rule);
                assert!(!findings.is_empty(), "{}: no finding", rule.id);
                for f in &findings {
                    assert_eq!(f.rule, rule.id, "{f}");
                    assert_eq!(f.severity, rule.severity, "{f}");
                    let message = &f.message;
                    if let Some([a, b]) = rule.sides {
                        // 「一 + 二 = n，三（七）+ 四 = m，相差 d（wording）」.
                        assert!(message.starts_with(&format!("{a} = ")), "{f}");
                        assert!(message.contains(&format!("，{b} = ")), "{f}");
                        assert!(message.contains("，相差 "), "{f}");
                        assert!(message.ends_with(&format!("（{}）", rule.wording())), "{f}");
                        continue;
                    }
                    // 「左边（n）应等于右边（m）」: the rule's wording with the values.
                    assert!(message.starts_with(&format!("{}（", rule.left)), "{f}");
                    let rest = &message[rule.left.len()..];
                    assert!(
                        rest.contains(&format!("）{}{}（", rule.relation.words(), rule.right)),
                        "{f}"
                    );
                    assert!(message.ends_with('）'), "{f}");
                    assert_ne!(f.expected, f.found, "{f}");
                    assert!(!f.key.is_empty() && !f.excel_cell.is_empty(), "{f}");
                }
            }
            Scope::HeldByTypes => {
                // A negative count never loads; the error names the key.
                let toml = "[report]\nagency = \"某县测试局\"\nyear = 2024\n[applications]\nnew = [-1, 0, 0, 0, 0, 0]\n";
                let err = nianbao::read_bytes(toml.as_bytes(), InputKind::Toml, "r8.toml")
                    .expect_err("a negative count must not load");
                assert!(err.to_string().contains("applications.new"), "{err}");
                assert!(rule.comparisons().is_empty());
                assert!(rule.check_sheet_note().is_some(), "{}", rule.id);
            }
            Scope::HeldByGenerator | Scope::NotCheckable => {
                assert!(rule.comparisons().is_empty(), "{}", rule.id);
                assert!(rule.check_sheet_note().is_some(), "{}", rule.id);
            }
        }
    }
}

/// The exact findings of R1 and R10: the cell a finding points at, the value
/// the rule expects there and the rule's message with both sides' values.
#[test]
fn r1_and_r10_findings_in_full() {
    let r1 = rules::rule("R1").expect("R1");
    let findings = nianbao::check(&report(BREAKS_R1));
    let cells: Vec<(&str, &str, i64, i64)> = findings
        .iter()
        .map(|f| (f.excel_cell.as_str(), f.key.as_str(), f.expected, f.found))
        .collect();
    assert_eq!(
        cells,
        [
            ("依申请公开!D29", "applications.carry_forward[0]", 1, 0),
            ("依申请公开!J29", "applications.carry_forward[6]", 1, 0),
        ]
    );
    assert_eq!(findings[0].message, r1.message(3, 2));
    // By how much the two sides differ, not which cell to change.
    assert_eq!(
        findings[0].message,
        "一 + 二 = 3，三（七）+ 四 = 2，相差 1（第一项加第二项之和应等于第三项加第四项之和）"
    );

    let r10 = rules::rule("R10").expect("R10");
    let findings = nianbao::check(&report(BREAKS_R10));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].severity, Severity::Warning);
    assert_eq!(findings[0].excel_cell, "基本信息!B7");
    assert_eq!((findings[0].expected, findings[0].found), (1, 0));
    assert_eq!(findings[0].message, r10.message(0, 1));
}

// ---------------------------------------------------------------------------
// The 校验 sheet

/// One line of the `校验` sheet as calamine reads it (cached values).
#[derive(Debug)]
struct Line {
    rule: String,
    cell: String,
    /// 检查内容, its explicit line breaks removed.
    words: String,
    left: String,
    right: String,
    left_value: Data,
    right_value: Data,
    result: String,
    /// 含义, on the first line of each rule (merged down over its others).
    meaning: String,
}

/// The `校验` sheet of `bytes`: its lines and the summary cell. Nothing
/// follows the lines: the sheet holds only the rules it can fail.
fn check_sheet(bytes: &[u8]) -> (Vec<Line>, String) {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an xlsx workbook");
    let values = wb.worksheet_range(CHECK_SHEET).expect("校验 sheet");
    let formulas = wb.worksheet_formula(CHECK_SHEET).expect("校验 formulas");
    let text = |r: u32, c: u32| match values.get_value((r, c)) {
        Some(Data::String(s)) => s.clone(),
        _ => String::new(),
    };
    let formula = |r: u32, c: u32| formulas.get_value((r, c)).cloned().unwrap_or_default();
    let summary = text(1, 5);
    let header: Vec<String> = (0..CHECK_COLUMNS.len() as u32)
        .map(|c| text(CHECK_FIRST_ROW as u32 - 1, c))
        .collect();
    // 含义 is merged over the summary and header rows: calamine reads it above.
    assert_eq!(header[..6], CHECK_COLUMNS[..6]);
    assert_eq!(text(1, 6), CHECK_COLUMNS[6]);
    let mut lines = Vec::new();
    let mut r = CHECK_FIRST_ROW as u32;
    while !formula(r, 5).is_empty() {
        lines.push(Line {
            rule: text(r, 0),
            cell: text(r, 1),
            words: text(r, 2).replace('\n', ""),
            left: formula(r, 3),
            right: formula(r, 4),
            left_value: values.get_value((r, 3)).cloned().unwrap_or(Data::Empty),
            right_value: values.get_value((r, 4)).cloned().unwrap_or(Data::Empty),
            result: text(r, 5),
            meaning: text(r, 6).replace('\n', ""),
        });
        r += 1;
    }
    let (end, _) = values.end().expect("a used range");
    assert_eq!(end, r - 1, "nothing below the lines");
    (lines, summary)
}

/// The statistical workbook of `report` (no DOCX).
fn workbook(report: &Report) -> Vec<u8> {
    let (files, _) = nianbao::render(
        report,
        "rules.toml",
        Outputs {
            docx: false,
            xlsx: true,
            html: None,
        },
    )
    .expect("renders");
    files.into_iter().next().expect("the workbook").bytes
}

/// The lines are exactly the rules that can fail in the workbook (those
/// without a [`Rule::check_sheet_note`]), each in its wording and with its
/// meaning beside its first line; no other rule is on the sheet.
fn assert_rules_covered(lines: &[Line]) {
    let listed: Vec<&str> = RULES
        .iter()
        .filter(|r| r.check_sheet_note().is_none())
        .map(|r| r.id)
        .collect();
    assert_eq!(listed, ["R1", "R10"]);
    for rule in &RULES {
        let own: Vec<&Line> = lines.iter().filter(|l| l.rule == rule.id).collect();
        match rule.check_sheet_note() {
            None => {
                assert!(!own.is_empty(), "{} should be a line", rule.id);
                assert_eq!(own.len(), rule.comparisons().len(), "{}", rule.id);
                for l in &own {
                    assert!(l.words.starts_with(&rule.wording()), "{}", l.words);
                }
                assert_eq!(own[0].meaning, rule.meaning, "{}", rule.id);
                assert!(!rule.meaning.is_empty());
            }
            Some(_) => assert!(own.is_empty(), "{} cannot fail in the workbook", rule.id),
        }
    }
    assert_eq!(
        lines.len(),
        listed
            .iter()
            .map(|id| rules::rule(id).map_or(0, |r| r.comparisons().len()))
            .sum::<usize>()
    );
}

/// No line compares a formula with itself, nor a total with its own sum:
/// the two sides differ, and neither side is a lone SUM.
fn assert_sides_differ(lines: &[Line]) {
    assert!(!lines.is_empty());
    for l in lines {
        assert!(!l.left.is_empty() && !l.right.is_empty(), "{l:?}");
        assert_ne!(l.left, l.right, "{l:?}");
        for side in [&l.left, &l.right] {
            assert!(!side.starts_with("SUM("), "{l:?}");
        }
    }
}

/// Every input of the repository and many synthetic reports are consistent:
/// every line of their workbook's 校验 says 通过.
#[test]
fn consistent_reports_pass_every_line() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut reports = Vec::new();
    for name in [
        "butaji-2024.toml",
        "moushi-zhengfuban-2024.toml",
        "mouxian-ziranziyuan-2024.toml",
    ] {
        reports.push(nianbao::read_path(&root.join("inputs").join(name)).expect("loads"));
    }
    reports.extend((0..5).map(nianbao::synthetic::report));
    for report in &reports {
        assert!(
            nianbao::check(report).is_empty(),
            "{}",
            report.report.agency
        );
        let (lines, summary) = check_sheet(&workbook(report));
        assert_eq!(summary, format!("全部{PASS}"));
        for l in &lines {
            assert_eq!(l.result, PASS, "{l:?}");
            if l.rule == "R1" {
                assert_eq!(l.left_value, l.right_value, "{l:?}");
            }
        }
        assert_sides_differ(&lines);
        assert_rules_covered(&lines);
    }
}

/// The form of a report that breaks R1 (a form is written whatever the data):
/// 不通过 on the R1 lines of 自然人 and 总计, at the cells the checker names,
/// with the values of both sides cached; 通过 everywhere else.
#[test]
fn form_of_a_report_breaking_r1_fails_its_r1_lines() {
    let report = report(BREAKS_R1);
    let findings = nianbao::check(&report);
    let bytes = nianbao::form_bytes(&report, None).expect("form");
    let (lines, summary) = check_sheet(&bytes);
    assert_eq!(summary, format!("2项{FAIL}"));
    let failed: Vec<&Line> = lines.iter().filter(|l| l.result == FAIL).collect();
    assert_eq!(failed.len(), 2, "{lines:?}");
    for (l, f) in failed.iter().zip(&findings) {
        assert_eq!(l.rule, "R1");
        assert_eq!(l.cell, f.excel_cell);
        assert_eq!(l.left_value, Data::Float(3.0), "{l:?}");
        assert_eq!(l.right_value, Data::Float(2.0), "{l:?}");
    }
    assert_eq!(failed[0].left, "'依申请公开'!D5+'依申请公开'!D6");
    assert_eq!(failed[0].right, "'依申请公开'!D28+'依申请公开'!D29");
    for l in lines.iter().filter(|l| l.result != FAIL) {
        assert_eq!(l.result, PASS, "{l:?}");
    }
    assert_sides_differ(&lines);
    assert_rules_covered(&lines);
}

/// A warning does not stop the workbook; its 校验 line shows 不通过 with
/// `>=` between the sides.
#[test]
fn workbook_of_a_report_breaking_r10_fails_its_r10_line() {
    let bytes = workbook(&report(BREAKS_R10));
    let (lines, summary) = check_sheet(&bytes);
    assert_eq!(summary, format!("1项{FAIL}"));
    let r10: Vec<&Line> = lines.iter().filter(|l| l.rule == "R10").collect();
    assert_eq!(r10.len(), 1);
    assert_eq!(r10[0].result, FAIL);
    assert_eq!(r10[0].cell, "基本信息!B7");
    assert_eq!(r10[0].left, "'基本信息'!B7");
    assert_eq!(r10[0].right, "'依申请公开'!J26");
    assert_eq!(
        (&r10[0].left_value, &r10[0].right_value),
        (&Data::Float(0.0), &Data::Float(1.0))
    );
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(&bytes[..])).expect("xlsx");
    let formulas = wb.worksheet_formula(CHECK_SHEET).expect("formulas");
    let row =
        CHECK_FIRST_ROW as u32 + lines.iter().position(|l| l.rule == "R10").unwrap_or(0) as u32;
    assert_eq!(
        formulas.get_value((row, 5)).map(String::as_str),
        Some(format!("IF(D{0}>=E{0},\"{PASS}\",\"{FAIL}\")", row + 1).as_str())
    );
}

/// The lines the library computes for the sheet are the lines the sheet
/// holds, and a line fails exactly where the checker finds that rule broken.
#[test]
fn sheet_lines_agree_with_the_checker() {
    for body in [BREAKS_R1, BREAKS_R10, ""] {
        let report = report(body);
        let computed = nianbao::spec::sheets::check_lines(&report);
        let (lines, _) = check_sheet(&nianbao::form_bytes(&report, None).expect("form"));
        assert_eq!(computed.len(), lines.len());
        for (c, l) in computed.iter().zip(&lines) {
            assert_eq!(
                (c.rule.id, &c.cell, &c.left, &c.right),
                (l.rule.as_str(), &l.cell, &l.left, &l.right)
            );
            assert_eq!(c.holds(), l.result == PASS, "{l:?}");
        }
        let failing: Vec<&str> = computed
            .iter()
            .filter(|c| !c.holds())
            .map(|c| c.cell.as_str())
            .collect();
        let findings = nianbao::check(&report);
        let found: Vec<&str> = findings.iter().map(|f| f.excel_cell.as_str()).collect();
        assert_eq!(failing, found, "{body}");
    }
}
