//! `nianbao check`: the rules on every input, one line per finding; R7
//! reads the text blocks as the embedded templates render them.

use std::path::{Path, PathBuf};

use nianbao::{CheckResult, Finding, Severity, TextEngine};

use super::{Format, Outcome, read_input};

/// Checks every input and prints its findings (or one JSON array); an input
/// that cannot be read is printed with its path and the others go on.
pub fn run(files: &[PathBuf], format: Format) -> Outcome {
    let mut outcome = Outcome::default();
    let mut json = Vec::new();
    for file in files {
        let shown = file.display().to_string();
        match read_input(file) {
            Err(e) => {
                outcome.failed_io = true;
                match format {
                    Format::Text => eprintln!("{e}"),
                    Format::Json => json.push(serde_json::json!({
                        "file": shown,
                        "status": "unreadable",
                        "error": e.to_string(),
                    })),
                }
            }
            Ok(report) => {
                // The rules, and R7 on the text as it will be printed.
                let findings = nianbao::check_with_text(&report, TextEngine::embedded());
                let result = CheckResult::from_findings(&report, findings);
                outcome.findings |= !result.ok();
                match format {
                    Format::Text => print_findings(file, &report.title(), &result.findings),
                    Format::Json => {
                        let mut value = serde_json::json!({ "file": shown });
                        if let (Some(map), Ok(serde_json::Value::Object(more))) =
                            (value.as_object_mut(), serde_json::to_value(&result))
                        {
                            map.extend(more);
                        }
                        json.push(value);
                    }
                }
            }
        }
    }
    if let Format::Json = format {
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    }
    outcome
}

/// Prints one line per finding, or one line saying the report is consistent.
pub fn print_findings(file: &Path, title: &str, findings: &[Finding]) {
    let file = file.display();
    if findings.is_empty() {
        println!("{file}: {title}：数据一致，勾稽关系全部通过。");
        return;
    }
    for f in findings {
        println!("{file}: {f}");
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    println!(
        "{file}: {title}：{errors} 个错误，{} 个警告。",
        findings.len() - errors
    );
}
