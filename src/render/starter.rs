//! The starter input of `nianbao init`: every key of the format, zeros and
//! empty text blocks, each commented with its Chinese label, so that a clerk
//! never has to read the format description.
//!
//! The labels come from the table description ([`crate::spec::tables`]).
//!
//! ```
//! let text = nianbao::starter_toml("某县统计局", 2024);
//! let report = nianbao::model::Report::from_toml_str(&text, "starter.toml").unwrap();
//! assert_eq!(report.report.agency, "某县统计局");
//! assert!(nianbao::check(&report).is_empty());
//! ```

use std::fmt::Write;

use crate::spec::tables::{self, BasicInfo, OUTCOME_COLUMNS, TOTAL};

/// A TOML string literal (basic string, escaped).
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The words of the input row whose first key is `key` (e.g.
/// `applications.withheld.state_secret`), without the column part.
fn row_words(table: &tables::Table, key: &str) -> String {
    let first = format!("{key}[0]");
    table
        .inputs()
        .find(|(_, i)| i.key == first || i.key == key)
        .map(|(_, i)| i.words.split(" × ").next().unwrap_or("").to_string())
        .unwrap_or_default()
}

/// The complete starter TOML for `agency` and `year`.
pub fn starter_toml(agency: &str, year: u16) -> String {
    let mut out = String::new();
    let w = &mut out;
    // A TOML comment ends at a line break and may hold no control character.
    let in_comment: String = agency
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let _ = writeln!(
        w,
        "# {in_comment}{year}年政府信息公开工作年度报告 — nianbao 输入文件"
    );
    let _ = writeln!(
        w,
        "# 填好数字和文字后运行：nianbao check 本文件；nianbao generate 本文件"
    );
    let _ = writeln!(
        w,
        "# 数字一律填非负整数（行政事业性收费、信息处理费金额可带小数）。"
    );
    let _ = writeln!(w);
    let _ = writeln!(w, "[report]");
    let info = |b: BasicInfo| b.label();
    let _ = writeln!(
        w,
        "agency = {}  # {}",
        quoted(agency),
        info(BasicInfo::Agency)
    );
    let _ = writeln!(
        w,
        "short_name = \"\"  # {}（可不填，默认为机关全称）",
        info(BasicInfo::ShortName)
    );
    let _ = writeln!(w, "year = {year}  # {}", info(BasicInfo::Year));
    let _ = writeln!(
        w,
        "region = \"\"  # {}（批量汇总时按地区分组，可不填）",
        info(BasicInfo::Region)
    );
    let _ = writeln!(
        w,
        "issued_on = \"\"  # {}（如 \"{}-01-20\"；填写后在文末署名下方打印）",
        info(BasicInfo::IssuedOn),
        year + 1
    );

    // 表二
    let t2 = tables::active();
    let _ = writeln!(w);
    let _ = writeln!(w, "[active]  # {}", t2.heading);
    for key in ["rules", "normative_documents"] {
        let cols: Vec<String> = t2
            .inputs()
            .filter(|(_, i)| i.key.starts_with(&format!("active.{key}.")))
            .map(|(_, i)| i.words.split(" × ").nth(1).unwrap_or("").to_string())
            .collect();
        let _ = writeln!(
            w,
            "{key} = {{ issued = 0, repealed = 0, in_force = 0 }}  # {}：{}",
            row_words(t2, &format!("active.{key}.issued")),
            cols.join("、")
        );
    }
    for key in ["licensing", "punishment", "enforcement", "fees"] {
        let words = t2
            .inputs()
            .find(|(_, i)| i.key == format!("active.{key}"))
            .map(|(_, i)| i.words.replace(" × ", " "))
            .unwrap_or_default();
        let _ = writeln!(w, "{key} = 0  # {words}");
    }

    // 表三
    let t3 = tables::applications();
    let columns: Vec<&str> = tables::APPLICANT_COLUMNS.to_vec();
    let _ = writeln!(w);
    let _ = writeln!(w, "# {}", t3.heading);
    let _ = writeln!(
        w,
        "# 每行 6 个数：[{}]；也可写 7 个，最后一个为{TOTAL}（将被校验）。",
        columns.join(", ")
    );
    let zeros = "[0, 0, 0, 0, 0, 0]";
    // Direct keys of [applications] first (TOML cannot return to a table).
    let rows: Vec<(&str, &str)> = t3
        .inputs()
        .filter(|(c, _)| c.col == 3)
        .map(|(_, i)| {
            let path = i.key.trim_end_matches("[0]");
            path.rsplit_once('.').unwrap_or(("applications", path))
        })
        .collect();
    let (direct, grouped): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|(table, _)| *table == "applications");
    let _ = writeln!(w);
    let _ = writeln!(w, "[applications]");
    for (table, key) in direct {
        let _ = writeln!(
            w,
            "{key} = {zeros}  # {}",
            row_words(t3, &format!("{table}.{key}"))
        );
    }
    let total_words = t3
        .totals()
        .find(|(_, t)| t.key == "applications.total[0]")
        .map(|(_, t)| t.words.split(" × ").next().unwrap_or("").to_string())
        .unwrap_or_default();
    let _ = writeln!(
        w,
        "# total = [0, 0, 0, 0, 0, 0, 0]  # {total_words}：可不填，由程序计算；填写则校验"
    );
    let mut section = "";
    for (table, key) in grouped {
        let path = format!("{table}.{key}");
        let words = row_words(t3, &path);
        if table != section {
            let group = words.split(' ').next().unwrap_or("");
            let _ = writeln!(w);
            let _ = writeln!(w, "[{table}]  # {group}");
            section = table;
        }
        let _ = writeln!(w, "{key} = {zeros}  # {words}");
    }

    // 表四
    let t4 = tables::review_litigation();
    let _ = writeln!(w);
    let _ = writeln!(w, "[review_litigation]  # {}", t4.heading);
    let _ = writeln!(
        w,
        "# 每行 4 个数：[{}]；也可写 5 个，最后一个为{TOTAL}（将被校验）。",
        OUTCOME_COLUMNS.join(", ")
    );
    for (_, input) in t4.inputs().filter(|(_, i)| i.key.ends_with("[0]")) {
        let key = input
            .key
            .trim_start_matches("review_litigation.")
            .trim_end_matches("[0]");
        let words = input.words.split(" × ").next().unwrap_or("");
        let _ = writeln!(w, "{key} = [0, 0, 0, 0]  # {words}");
    }

    // 信息处理费
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "[processing_fees]  # 信息处理费，在“{}”中报告（单位：元）",
        crate::spec::outline::SECTION_HEADINGS[5]
    );
    for b in [
        BasicInfo::ProcessingFeeNotices,
        BasicInfo::ProcessingFeeNoticesAmount,
        BasicInfo::ProcessingFeeCollected,
    ] {
        let key = b.key().trim_start_matches("processing_fees.");
        let _ = writeln!(w, "{key} = 0  # {}", b.label());
    }

    // 文字
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "# 正文各段。留空则使用默认模板（templates/*.hbs），自动引用上面的数字。"
    );
    let _ = writeln!(
        w,
        "# 可用 {{{{…}}}} 引用数据，如 {{{{applications.new.total}}}}；空一行分段。"
    );
    let _ = writeln!(w, "[text]");
    for block in crate::spec::outline::BLOCKS {
        let _ = writeln!(w, "{} = \"\"  # {}", block.name, block.place);
    }

    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "# 一、五中各小节的标题，可按本机关习惯改写（如 improvements = \"下步打算\"）。"
    );
    let _ = writeln!(w, "[headings]");
    for block in crate::spec::outline::BLOCKS {
        if let Some(head) = block.default_head {
            let _ = writeln!(w, "{} = {}  # {}", block.name, quoted(head), block.place);
        }
    }
    out
}
