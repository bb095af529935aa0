//! The imported report as TOML: the model's serializer (as `POST
//! /api/convert?to=toml` writes it), with a header saying where it comes
//! from and `# 未读到` after each line holding a cell that was not found.

use std::collections::BTreeMap;

use crate::model::Report;
use crate::spec::tables::{APPLICANT_COLUMNS, OUTCOME_COLUMNS};

use super::MissingCell;

/// A comment's text on one line (no line breaks or controls).
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The column names of a row key such as `applications.new`.
fn column_name(path: &str, index: usize) -> String {
    let names: &[&str] = if path.starts_with("review_litigation.") {
        &OUTCOME_COLUMNS
    } else {
        &APPLICANT_COLUMNS
    };
    names
        .get(index)
        .map_or(index.to_string(), |s| s.to_string())
}

/// Writes `report` as TOML with the remarks.
pub fn write(report: &Report, file: &str, missing: &[MissingCell]) -> Result<String, String> {
    let body = toml::to_string(report).map_err(|e| format!("无法写成 TOML：{e}"))?;
    // Missing cells by the path of their line: `applications.new` → [自然人, …].
    let mut by_path: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in missing {
        match m.key.split_once('[') {
            Some((path, index)) => {
                let i = index.trim_end_matches(']').parse().unwrap_or(0);
                by_path
                    .entry(path.to_string())
                    .or_default()
                    .push(column_name(path, i));
            }
            None => {
                by_path.entry(m.key.clone()).or_default();
            }
        }
    }
    let mut out = String::with_capacity(body.len() + 512);
    out.push_str(&format!(
        "# 由 nianbao import 从已发布的报告 {} 读出。\n",
        one_line(file)
    ));
    if missing.is_empty() {
        out.push_str("# 表二、三、四的数字全部读到。\n\n");
    } else {
        out.push_str(&format!(
            "# 有 {} 格数字未读到，记为 0，并在所在行末注明“未读到”：请对照原文补上。\n\n",
            missing.len()
        ));
    }
    let mut table = String::new();
    let mut in_string = false;
    for line in body.lines() {
        let trimmed = line.trim();
        // Lines inside a multi-line string are text, passed through.
        let quotes = line.matches("\"\"\"").count() + line.matches("\'\'\'").count();
        let was_in = in_string;
        if quotes % 2 == 1 {
            in_string = !in_string;
        }
        if was_in {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            table = name.trim_matches(['[', ']']).to_string();
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let key = trimmed.split_once('=').map(|(k, _)| k.trim());
        let mut remark = None;
        if let Some(key) = key.filter(|k| !k.starts_with('"') && !k.is_empty()) {
            let path = if table.is_empty() {
                key.to_string()
            } else {
                format!("{table}.{key}")
            };
            if let Some(cols) = by_path.get(&path) {
                remark = Some(if cols.is_empty() {
                    "# 未读到（记为 0）".to_string()
                } else {
                    format!("# 未读到：{}（记为 0）", cols.join("、"))
                });
            } else {
                // An inline table or a table header whose keys are missing.
                let inner: Vec<&str> = by_path
                    .keys()
                    .filter_map(|p| p.strip_prefix(&format!("{path}.")))
                    .collect();
                if !inner.is_empty() {
                    remark = Some(format!("# 未读到：{}（记为 0）", inner.join("、")));
                }
            }
        }
        out.push_str(line);
        if let Some(r) = remark
            && !line.contains("\"\"\"")
            && !trimmed.ends_with('[')
        {
            out.push_str("  ");
            out.push_str(&r);
        }
        out.push('\n');
    }
    Ok(out)
}
