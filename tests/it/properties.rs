//! Property tests of the consistency check.
//!
//! A random *consistent* report — every row of table 三 with its 总计 given
//! (7 numbers), a given `applications.total` row, every row of table 四 with
//! its 总计 given (5 numbers) — passes every rule. Changing any one data cell of
//! tables 三 or 四 by ±1 yields at least one finding that names that cell's
//! row or column, found through the table description of `nianbao::spec::tables`
//! (the finding's `excel_cell` and `cell` must be a cell of the same table in
//! the same row or the same column).
//!
//! With all totals given, every cell of tables 三 and 四 is covered by a rule:
//! an input of table 三 by R3 (its row's 总计) and by R1 or R2 (its column),
//! a given 总计 by R3 (and R1/R2 in the 总计 column), an input or 总计 of
//! table 四 by R4. Table 二 has **no in-year rule** (R6 compares with last
//! year's report only), so a change there yields nothing; the test
//! `table_two_has_no_in_year_rule` states exactly that.

use nianbao::Finding;
use nianbao::model::Report;
use nianbao::spec::tables::{self, Cell, Content, Given, Table};
use proptest::prelude::*;

/// The key of each data row of table 三 (`new`, `withheld.state_secret`, …),
/// in table order, without `total` (三（七）, written separately).
fn t3_row_keys() -> Vec<String> {
    tables::applications()
        .inputs()
        .filter(|(c, _)| c.col == 3)
        .map(|(_, i)| {
            i.key
                .trim_start_matches("applications.")
                .trim_end_matches("[0]")
                .to_string()
        })
        .collect()
}

const AROUND: [&str; 3] = ["new", "carried_over", "carry_forward"];

/// The random part of a consistent report.
#[derive(Debug, Clone)]
struct Seed {
    outcomes: Vec<[u32; 6]>,
    carry_forward: [u32; 6],
    split: [u32; 6],
    review: [[u32; 4]; 3],
    active: [u32; 9],
    extra_notices: u32,
    fees_fen: u64,
}

fn count() -> impl Strategy<Value = u32> {
    // Mostly zeros, as in real reports, with now and then a larger number.
    prop_oneof![3 => Just(0u32), 3 => 1u32..5, 1 => 5u32..400]
}

fn seed() -> impl Strategy<Value = Seed> {
    (
        prop::collection::vec(prop::array::uniform6(count()), 21),
        prop::array::uniform6(count()),
        prop::array::uniform6(any::<u32>()),
        prop::array::uniform3(prop::array::uniform4(count())),
        prop::array::uniform9(0u32..500),
        0u32..3,
        0u64..10_000_000_000_000,
    )
        .prop_map(
            |(outcomes, carry_forward, split, review, active, extra_notices, fees_fen)| Seed {
                outcomes,
                carry_forward,
                split,
                review,
                active,
                extra_notices,
                fees_fen,
            },
        )
}

fn row7(values: [u32; 6]) -> String {
    let total: u32 = values.iter().sum();
    let v: Vec<String> = values.iter().map(u32::to_string).collect();
    format!("[{}, {total}]", v.join(", "))
}

/// The TOML of the consistent report `seed` describes, every total given.
fn consistent_toml(seed: &Seed) -> String {
    let keys = t3_row_keys();
    let outcome_keys: Vec<&String> = keys
        .iter()
        .filter(|k| !AROUND.contains(&k.as_str()))
        .collect();
    assert_eq!(outcome_keys.len(), seed.outcomes.len());
    let mut results = [0u32; 6];
    for row in &seed.outcomes {
        for (c, v) in row.iter().enumerate() {
            results[c] += v;
        }
    }
    let mut new = [0u32; 6];
    let mut carried_over = [0u32; 6];
    for c in 0..6 {
        let received = results[c] + seed.carry_forward[c];
        carried_over[c] = seed.split[c] % (received + 1);
        new[c] = received - carried_over[c];
    }
    let fee_overdue_row = outcome_keys
        .iter()
        .position(|k| k.as_str() == "other.fee_overdue")
        .expect("fee_overdue row");
    let notices: u32 = seed.outcomes[fee_overdue_row].iter().sum::<u32>() + seed.extra_notices;
    let a = seed.active;
    let mut t = format!(
        "[report]\nagency = \"某县测试局\"\nyear = 2024\n\n[active]\n\
         rules = {{ issued = {}, repealed = {}, in_force = {} }}\n\
         normative_documents = {{ issued = {}, repealed = {}, in_force = {} }}\n\
         licensing = {}\npunishment = {}\nenforcement = {}\nfees = \"{}.{:06}\"\n\n[applications]\n",
        a[0],
        a[1],
        a[2],
        a[3],
        a[4],
        a[5],
        a[6],
        a[7],
        a[8],
        seed.fees_fen / 1_000_000,
        seed.fees_fen % 1_000_000
    );
    t += &format!("new = {}\n", row7(new));
    t += &format!("carried_over = {}\n", row7(carried_over));
    for (key, row) in outcome_keys.iter().zip(&seed.outcomes) {
        // Dotted keys: `withheld.state_secret = […]` inside [applications].
        t += &format!("{key} = {}\n", row7(*row));
    }
    t += &format!("total = {}\n", row7(results));
    t += &format!("carry_forward = {}\n", row7(seed.carry_forward));
    t += "\n[review_litigation]\n";
    for (key, row) in ["review", "litigation_direct", "litigation_after_review"]
        .iter()
        .zip(seed.review)
    {
        let total: u32 = row.iter().sum();
        t += &format!(
            "{key} = [{}, {}, {}, {}, {total}]\n",
            row[0], row[1], row[2], row[3]
        );
    }
    t += &format!("\n[processing_fees]\nnotices = {notices}\n");
    t
}

/// The number a data cell holds: an input, or a total the clerk gave.
fn target<'a>(content: &Content, report: &'a mut Report) -> Option<&'a mut u32> {
    match content {
        Content::Input(i) => i.field.count_mut(report),
        Content::Total(t) => match t.given {
            Given::ApplicantRowTotal((_, get_mut)) => get_mut(report).given_total.as_mut(),
            Given::OutcomeRowTotal((_, get_mut)) => get_mut(report).given_total.as_mut(),
            Given::ResultsTotal(col) => report.applications.total.as_mut().and_then(|r| {
                if col < 6 {
                    Some(&mut r.values[col])
                } else {
                    r.given_total.as_mut()
                }
            }),
        },
        Content::Label(_) => None,
    }
}

/// Every data cell of tables 三 and 四 (25 × 7 + 15 = 190).
fn data_cells() -> Vec<(&'static Table, &'static Cell)> {
    [tables::applications(), tables::review_litigation()]
        .into_iter()
        .flat_map(|t| {
            t.cells
                .iter()
                .filter(|c| !matches!(c.content, Content::Label(_)))
                .map(move |c| (t, c))
        })
        .collect()
}

/// The cell of `table` a finding points at, by its `excel_cell`; its `cell`
/// words must agree.
fn located<'a>(table: &'a Table, f: &Finding) -> Option<&'a Cell> {
    let cell = table
        .cells
        .iter()
        .find(|c| table.excel_ref(c.row, c.col) == f.excel_cell)?;
    assert_eq!(table.describe(cell), f.cell, "{f}");
    Some(cell)
}

/// Changes the data cell `cell` by ±1 (up when it is 0) and checks that some
/// finding names its row or column. Returns the findings.
fn nudge_and_check(report: &Report, table: &Table, cell: &Cell, up: bool) -> Vec<Finding> {
    let mut changed = report.clone();
    let value = target(&cell.content, &mut changed).unwrap_or_else(|| {
        panic!(
            "{} has no number of its own: every total should be given",
            table.describe(cell)
        )
    });
    *value = if up || *value == 0 {
        *value + 1
    } else {
        *value - 1
    };
    let findings = nianbao::check(&changed);
    let named = findings.iter().any(|f| {
        located(table, f).is_some_and(|c| {
            let same_row = c.row == cell.row;
            let same_col = c.col == cell.col;
            // Table 四 has one data row: ask for the cell's own group too.
            let same_group =
                table.id != tables::TableId::ReviewLitigation || c.col / 5 == cell.col / 5;
            (same_row || same_col) && same_group
        })
    });
    assert!(
        named,
        "changing {} ({}) by {} yields no finding in its row or column: {findings:#?}",
        table.describe(cell),
        table.excel_ref(cell.row, cell.col),
        if up { "+1" } else { "-1" }
    );
    assert!(nianbao::has_errors(&findings));
    findings
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A random consistent report loads, passes every rule, and reads back
    /// unchanged from JSON.
    #[test]
    fn consistent_report_passes(seed in seed()) {
        let text = consistent_toml(&seed);
        let report = Report::from_toml_str(&text, "random.toml")
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(nianbao::check(&report), vec![]);
        let json = serde_json::to_string(&report).expect("serializes");
        let again = Report::from_json_str(&json, "random.json")
            .map_err(|e| TestCaseError::fail(format!("{e}\n{json}")))?;
        prop_assert_eq!(&again, &report);
        prop_assert_eq!(nianbao::check(&again), vec![]);
    }

    /// One data cell changed by ±1 is named by a finding (row or column).
    #[test]
    fn one_changed_cell_is_found(seed in seed(), pick in any::<prop::sample::Index>(), up in any::<bool>()) {
        let report = Report::from_toml_str(&consistent_toml(&seed), "random.toml")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let cells = data_cells();
        let (table, cell) = cells[pick.index(cells.len())];
        nudge_and_check(&report, table, cell, up);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Every data cell, both ways, on a few random reports.
    #[test]
    fn every_changed_cell_is_found(seed in seed()) {
        let report = Report::from_toml_str(&consistent_toml(&seed), "random.toml")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let cells = data_cells();
        prop_assert_eq!(cells.len(), 25 * 7 + 15);
        for (table, cell) in cells {
            for up in [true, false] {
                nudge_and_check(&report, table, cell, up);
            }
        }
    }
}

/// Table 二 has no in-year rule: any change of its counts passes the check
/// (R6 needs last year's report; see tests/rules.rs).
#[test]
fn table_two_has_no_in_year_rule() {
    let seed = Seed {
        outcomes: vec![[1, 0, 0, 0, 0, 0]; 21],
        carry_forward: [1; 6],
        split: [0; 6],
        review: [[1, 0, 0, 1]; 3],
        active: [1; 9],
        extra_notices: 0,
        fees_fen: 1,
    };
    let report = Report::from_toml_str(&consistent_toml(&seed), "t2.toml").expect("loads");
    assert_eq!(nianbao::check(&report), vec![]);
    let t2 = tables::active();
    let mut changed_cells = 0;
    for (cell, input) in t2.inputs() {
        let mut changed = report.clone();
        let Some(value) = input.field.count_mut(&mut changed) else {
            continue; // 收费 is an amount, not a count
        };
        *value += 1;
        assert_eq!(nianbao::check(&changed), vec![], "{}", t2.describe(cell));
        changed_cells += 1;
    }
    assert_eq!(changed_cells, 9);
}

/// The generated text is what the property tests think it is: 25 rows of 7.
#[test]
fn generated_report_has_every_total() {
    let seed = Seed {
        outcomes: (0..21).map(|i| [i, 1, 0, 0, 2, 0]).collect(),
        carry_forward: [3, 0, 0, 0, 0, 1],
        split: [5, 0, 0, 0, 0, 0],
        review: [[1, 2, 3, 4]; 3],
        active: [0; 9],
        extra_notices: 1,
        fees_fen: 24_252_311_082,
    };
    let report = Report::from_toml_str(&consistent_toml(&seed), "g.toml").expect("loads");
    let a = &report.applications;
    assert_eq!(a.outcomes_total(0), (0..21).sum::<u32>() as u64);
    assert_eq!(
        a.total.as_ref().and_then(|t| t.given_total),
        Some(210 + 21 + 42)
    );
    assert_eq!(a.new.total() + a.carried_over.total(), 273 + 4);
    assert_eq!(a.carried_over.values[0], 5);
    assert_eq!(report.active.fees.to_string(), "24252.311082");
    for cell in data_cells() {
        let mut r = report.clone();
        assert!(target(&cell.1.content, &mut r).is_some());
    }
    assert_eq!(nianbao::check(&report), vec![]);
}

proptest! {
    /// Any text at all, as TOML or JSON: an error or a report, never a panic;
    /// every error names the file.
    #[test]
    fn any_text_never_panics(text in any::<String>()) {
        for result in [
            Report::from_toml_str(&text, "any.toml"),
            Report::from_json_str(&text, "any.json"),
        ] {
            if let Err(e) = result {
                prop_assert!(e.to_string().starts_with("any."), "{}", e);
            }
        }
    }

    /// The city input with one character replaced: never a panic, and an
    /// error names the file.
    #[test]
    fn sample_with_one_character_changed_never_panics(
        at in any::<prop::sample::Index>(),
        with in prop::sample::select(vec!['0', '9', '-', '.', '"', '[', ']', '=', ',', 'x', '\n', '年', ' ']),
    ) {
        let sample = include_str!("../../inputs/moushi-zhengfuban-2024.toml");
        let chars: Vec<char> = sample.chars().collect();
        let i = at.index(chars.len());
        let mut changed: String = chars[..i].iter().collect();
        changed.push(with);
        changed.extend(&chars[i + 1..]);
        if let Err(e) = Report::from_toml_str(&changed, "changed.toml") {
            prop_assert!(e.to_string().starts_with("changed.toml"), "{}", e);
        }
    }
}
