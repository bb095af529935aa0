//! The variables a template can use, each with its meaning in words: what a
//! page shows beside a text block so that a clerk can write `{{year}}` or
//! `{{applications.new.total}}` without reading code.
//!
//! Nothing here spells a table label. The list is found, not written: every
//! input cell of the three tables gets a distinct value in one report, and a
//! variable of [`super::context`] holding a cell's value takes that cell's
//! words from [`crate::spec::tables`]; the fields of 基本信息 take the labels
//! of [`BasicInfo`]; a variable that holds the sum of two others (e.g.
//! `applications.received`, 一 + 二) is described as their sum. Only the few
//! variables that are neither a cell nor a field are worded here.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value as Json;

use crate::model::{Amount, Report};
use crate::spec::grid::Figures;
use crate::spec::tables::{self, BasicInfo, Content, Field, Value};

/// A variable of the template context and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variable {
    /// The path a template writes, e.g. `applications.new.total`.
    pub path: String,
    /// What it holds, in Chinese, e.g. `表三 一、本年新收政府信息公开申请数量 × 总计`.
    pub words: String,
}

/// The helpers a template can call, with their use.
pub const HELPERS: [(&str, &str); 6] = [
    ("add", "{{add a b …}}：求和"),
    ("sub", "{{sub a b …}}：a 减去其余各数"),
    ("mul", "{{mul a b …}}：求积"),
    ("cn_year", "{{cn_year year}}：年份的汉字写法，如 二〇二四"),
    ("cn_num", "{{cn_num n}}：非负整数的汉字写法，如 一百一十"),
    (
        "percent",
        "{{percent part whole [小数位]}}：百分比，如 {{percent a b 1}} 得 50%",
    ),
];

/// Every variable of the context, in path order, with its words.
///
/// ```
/// let vars = nianbao::text_variables();
/// let year = vars.iter().find(|v| v.path == "year").unwrap();
/// assert_eq!(year.words, "报告年度");
/// let issued = vars.iter().find(|v| v.path == "active.rules.issued").unwrap();
/// assert!(issued.words.starts_with("表二 "));
/// ```
pub fn variables() -> &'static [Variable] {
    static VARIABLES: LazyLock<Vec<Variable>> = LazyLock::new(find);
    &VARIABLES
}

/// Variables that are neither a table cell nor a field of 基本信息.
fn worded(path: &str) -> Option<String> {
    let two_places =
        |of: &str| format!("{of}（两位小数的文字，如 4200.00，与 Excel 一致，用于打印）");
    Some(match path {
        "government" => format!(
            "{}是否为人民政府（以「人民政府」结尾；是则监督保障应写工作考核、社会评议和责任追究）",
            BasicInfo::Agency.label()
        ),
        "next_year" => format!("{}的下一年", BasicInfo::Year.label()),
        "title" => "报告标题（机关全称 + 年度 + 政府信息公开工作年度报告）".into(),
        "short_name" | "report.short_name" => {
            format!(
                "{}（未填时为{}）",
                BasicInfo::ShortName.label(),
                BasicInfo::Agency.label()
            )
        }
        "issued_on" | "report.issued_on" => {
            format!(
                "{}（如 2025年1月20日；未填时为空）",
                BasicInfo::IssuedOn.label()
            )
        }
        "processing_fees.notices_amount_text" => {
            two_places(BasicInfo::ProcessingFeeNoticesAmount.label())
        }
        "processing_fees.collected_text" => two_places(BasicInfo::ProcessingFeeCollected.label()),
        _ => return None,
    })
}

/// A deterministic sequence of distinct-looking values (a 64-bit LCG).
struct Markers(u64);

impl Markers {
    /// The next value in [1,000,000, 10,000,000): large enough that no sum of
    /// a few others equals it by chance, small enough that no total overflows.
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        1_000_000 + ((self.0 >> 33) % 9_000_000) as u32
    }
}

fn find() -> Vec<Variable> {
    let mut report = Report::default();
    report.report.agency = "甲".into();
    report.report.year = crate::model::Year(2024);
    let mut markers = Markers(2024);
    for table in tables::all() {
        for cell in &table.cells {
            if let Content::Input(input) = &cell.content {
                match input.field {
                    Field::Fees => {
                        report.active.fees = Amount(Decimal::from(markers.next()));
                    }
                    field => {
                        if let Some(n) = field.count_mut(&mut report) {
                            *n = markers.next();
                        }
                    }
                }
            }
        }
    }
    let fees = report.processing_fees.get_or_insert_default();
    fees.notices = markers.next();
    fees.notices_amount = Amount(Decimal::from(markers.next()));
    fees.collected = Amount(Decimal::from(markers.next()));

    // The words of every value a table cell holds.
    let figures = Figures::new(&report);
    let mut cell_words: BTreeMap<u64, String> = BTreeMap::new();
    for table in tables::all() {
        for cell in &table.cells {
            let words = match &cell.content {
                Content::Input(i) => &i.words,
                Content::Total(t) => &t.words,
                Content::Label(_) => continue,
            };
            let value = match figures.grid(table.id).value(cell.row, cell.col) {
                Some(Value::Count(n)) => n,
                Some(Value::Amount(a)) => a.value().try_into().unwrap_or(0),
                None => continue,
            };
            cell_words
                .entry(value)
                .or_insert_with(|| format!("{} {words}", table.name));
        }
    }

    let context = super::context(&report);
    let mut leaves = Vec::new();
    collect_leaves(&context, String::new(), &mut leaves);
    let basic = |path: &str| {
        BasicInfo::ALL
            .iter()
            .find(|b| {
                !b.key().is_empty() && (b.key() == path || b.key() == format!("report.{path}"))
            })
            .map(|b| b.label().to_string())
    };
    let mut found: Vec<(String, Option<u64>, Option<String>)> = leaves
        .into_iter()
        .map(|(path, value)| {
            let number = value.as_u64();
            let words = worded(&path)
                .or_else(|| basic(&path))
                .or_else(|| number.and_then(|n| cell_words.get(&n).cloned()))
                .or_else(|| {
                    // `active.fees_text`: the text form of the cell `active.fees`.
                    let of = path.strip_suffix("_text")?;
                    let n = context.pointer(&pointer(of))?.as_u64()?;
                    Some(format!(
                        "{}（按输入原样的文字，用于打印）",
                        cell_words.get(&n)?
                    ))
                });
            (path, number, words)
        })
        .collect();
    // Numbers that are sums of described numbers, worded from their terms,
    // until nothing more can be described.
    while describe_sums(&mut found) {}
    found
        .into_iter()
        .filter_map(|(path, _, words)| {
            Some(Variable {
                path,
                words: words?,
            })
        })
        .collect()
}

/// One pass over the undescribed numbers; `true` if it described one. A number is
/// described when it is, by the structure of the context and by value:
///
/// - `<row>.organizations`: the sum of the row's columns other than
///   `natural_person` (法人或其他组织);
/// - `<group>.total.<col>`: the sum of `<group>.<row>.<col>` over the rows of
///   the group;
/// - the sum of two numbers of the same column (`received` = `new` + `carried_over`).
fn describe_sums(found: &mut [(String, Option<u64>, Option<String>)]) -> bool {
    let described: Vec<(String, u64, String)> = found
        .iter()
        .filter_map(|(p, n, w)| Some((p.clone(), (*n)?, w.clone()?)))
        .collect();
    let split = |path: &str| -> (String, String) {
        match path.rsplit_once('.') {
            Some((parent, last)) => (parent.to_string(), last.to_string()),
            None => (String::new(), path.to_string()),
        }
    };
    let mut progress = false;
    for (path, number, words) in found.iter_mut() {
        let (Some(n), None) = (*number, words.as_ref()) else {
            continue;
        };
        let (parent, last) = split(path);
        // 法人或其他组织: the row's columns but the first and the total.
        if last == "organizations" {
            let terms: Vec<&(String, u64, String)> = described
                .iter()
                .filter(|(p, _, _)| {
                    let (pp, l) = split(p);
                    pp == parent && l != "natural_person" && l != "total"
                })
                .collect();
            if !terms.is_empty() && terms.iter().map(|t| t.1).sum::<u64>() == n {
                let (row, _) = row_and_column(&terms[0].2);
                let columns: Vec<&str> = terms.iter().map(|t| row_and_column(&t.2).1).collect();
                *words = Some(format!("{row} × {}之和", columns.join("、")));
                progress = true;
                continue;
            }
        }
        // A group's total of one column: the column summed over its rows.
        if let Some(group) = parent.strip_suffix(".total") {
            let terms: Vec<&(String, u64, String)> = described
                .iter()
                .filter(|(p, _, _)| {
                    let (pp, l) = split(p);
                    l == last && split(&pp).0 == group && !pp.ends_with(".total")
                })
                .collect();
            if terms.len() > 1 && terms.iter().map(|t| t.1).sum::<u64>() == n {
                let rows: Vec<&str> = terms.iter().map(|t| row_and_column(&t.2).0).collect();
                let column = row_and_column(&terms[0].2).1;
                *words = Some(format!("{} 各项合计 × {column}", common_head(&rows)));
                progress = true;
                continue;
            }
        }
        'pairs: for (i, (pa, a, wa)) in described.iter().enumerate() {
            for (pb, b, wb) in &described[i + 1..] {
                if split(pa).1 == last && split(pb).1 == last && a + b == n {
                    *words = Some(format!("{wa} 与 {wb} 之和"));
                    progress = true;
                    break 'pairs;
                }
            }
        }
    }
    progress
}

/// `表三 一、本年新收… × 自然人` → (`表三 一、本年新收…`, `自然人`): the words of
/// a cell are its row and its column joined by ` × ` (see [`crate::spec::tables`]).
fn row_and_column(words: &str) -> (&str, &str) {
    words.rsplit_once(" × ").unwrap_or((words, ""))
}

/// The words the rows share, cut at a space: `表三 三、本年度办理结果 （三）不予公开`
/// for the rows of 不予公开.
fn common_head(rows: &[&str]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let mut len = first.len();
    for row in &rows[1..] {
        len = first
            .char_indices()
            .zip(row.chars())
            .find(|((_, a), b)| a != b)
            .map_or(len.min(row.len()), |((i, _), _)| i.min(len));
    }
    let head = &first[..len];
    head.rfind(' ')
        .map_or(head, |i| &head[..i])
        .trim()
        .to_string()
}

fn pointer(path: &str) -> String {
    format!("/{}", path.replace('.', "/"))
}

fn collect_leaves(value: &Json, prefix: String, out: &mut Vec<(String, Json)>) {
    match value {
        Json::Object(map) => {
            for (key, v) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                collect_leaves(v, path, out);
            }
        }
        leaf => out.push((prefix, leaf.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every leaf of the context is described: a new variable must get words.
    #[test]
    fn every_variable_has_words() {
        let mut leaves = Vec::new();
        collect_leaves(
            &crate::text::context(&Report::default()),
            String::new(),
            &mut leaves,
        );
        let described: Vec<&str> = variables().iter().map(|v| v.path.as_str()).collect();
        let missing: Vec<&str> = leaves
            .iter()
            .map(|(p, _)| p.as_str())
            .filter(|p| !described.contains(p))
            .collect();
        assert!(missing.is_empty(), "no words for {missing:?}");
    }

    #[test]
    fn words_come_from_the_cells() {
        let words = |p: &str| {
            variables()
                .iter()
                .find(|v| v.path == p)
                .map(|v| v.words.clone())
                .unwrap()
        };
        let new = tables::applications()
            .cells
            .iter()
            .find_map(|c| match &c.content {
                Content::Input(i) if i.key == "applications.new[0]" => Some(i.words.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(
            words("applications.new.natural_person"),
            format!("表三 {new}")
        );
        assert!(words("applications.received.natural_person").contains(" 与 "));
        assert_eq!(words("agency"), BasicInfo::Agency.label());
    }
}
