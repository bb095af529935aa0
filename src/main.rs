//! The `nianbao` command: one top-level function per mode.
//!
//! Exit codes: 0 ok, 1 found problems (error findings), 2 could not read an input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use nianbao::check::{self, Finding};
use nianbao::generate::{self, GenerateError, Outputs};
use nianbao::model::YEARS;
use nianbao::text::TextEngine;

/// 政府信息公开工作年度报告：从一个输入文件生成规定格式的 Word 报告和 Excel 统计表。
#[derive(Parser)]
#[command(name = "nianbao", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 写一个 Excel 填报表：只有要填的格可改（浅黄色），合计和「校验」随填随算；填好后可直接用于 check。
    ///
    /// --from 用已有的输入（.toml、.json 或填好的 .xlsx）预填；若它是上一年度的，
    /// 则只带入机关信息、文字和「上年结转」「现行有效件数」，其余数字为 0。
    Form {
        /// 机关全称（有 --from 时可省略，沿用其中的）。
        #[arg(long, required_unless_present = "from")]
        agency: Option<String>,
        /// 报告年度（有 --from 时可省略，沿用其中的）。
        #[arg(long, required_unless_present = "from", value_parser = clap::value_parser!(u16).range(i64::from(*YEARS.start())..=i64::from(*YEARS.end())))]
        year: Option<u16>,
        /// 用这个输入文件预填。
        #[arg(long)]
        from: Option<PathBuf>,
        /// 要写的文件（默认：<机关><年度>年政府信息公开工作年度报告填报表.xlsx；已存在则不覆盖）。
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// 校验输入文件的勾稽关系（不生成文件）。
    Check {
        /// 输入文件：.toml、.json 或填好的 .xlsx 表单；- 表示从标准输入读 TOML。
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// 输出格式。
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// 校验并生成 Word 报告（.docx）和 Excel 统计表（.xlsx）。
    Generate {
        /// 输入文件：.toml、.json 或填好的 .xlsx 表单；- 表示从标准输入读 TOML。
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// 输出文件夹（不存在则创建）。
        #[arg(short = 'o', long = "out", default_value = "output")]
        out: PathBuf,
        /// 用这个文件夹里的 <块名>.hbs 替换内置的文字模板。
        #[arg(long)]
        templates: Option<PathBuf>,
        /// 只生成 Word 报告。
        #[arg(long, conflicts_with = "xlsx_only")]
        docx_only: bool,
        /// 只生成 Excel 统计表。
        #[arg(long)]
        xlsx_only: bool,
    },
    /// 写一个完整的起始输入文件（TOML），每个键都带中文说明。
    Init {
        /// 要写的文件（已存在则不覆盖）。
        file: PathBuf,
        /// 机关全称，如 潢川县卜塔集镇人民政府。
        #[arg(long)]
        agency: String,
        /// 报告年度。
        #[arg(long, value_parser = clap::value_parser!(u16).range(i64::from(*YEARS.start())..=i64::from(*YEARS.end())))]
        year: u16,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// 每条一行的中文说明。
    Text,
    /// JSON（每个文件一个对象）。
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Form {
            agency,
            year,
            from,
            output,
        } => run_form(agency.as_deref(), year, from.as_deref(), output.as_deref()),
        Command::Check { files, format } => run_check(&files, format),
        Command::Generate {
            files,
            out,
            templates,
            docx_only,
            xlsx_only,
        } => {
            let outputs = Outputs {
                docx: !xlsx_only,
                xlsx: !docx_only,
            };
            run_generate(&files, &out, templates.as_deref(), outputs)
        }
        Command::Init { file, agency, year } => run_init(&file, &agency, year),
    };
    ExitCode::from(code)
}

/// Writes the fill-in form; 2 if `--from` cannot be read or the form cannot be written.
fn run_form(
    agency: Option<&str>,
    year: Option<u16>,
    from: Option<&Path>,
    output: Option<&Path>,
) -> u8 {
    let previous = match from.map(nianbao::load) {
        None => None,
        Some(Ok(report)) => Some(report),
        Some(Err(e)) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let agency = agency
        .map(str::to_string)
        .or_else(|| previous.as_ref().map(|r| r.report.agency.clone()))
        .unwrap_or_default();
    let Some(year) = year.or_else(|| previous.as_ref().map(|r| r.report.year.0)) else {
        eprintln!("缺少 --year");
        return 2;
    };
    if agency.trim().is_empty() {
        eprintln!("机关全称不能为空（--agency）");
        return 2;
    }
    let report = nianbao::form::new_report(&agency, year, previous);
    let path = output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(format!("{}填报表.xlsx", report.title())));
    if path.exists() {
        eprintln!("{}: 文件已存在，未覆盖", path.display());
        return 2;
    }
    let source = from.map(|f| {
        f.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| f.display().to_string())
    });
    let bytes = match nianbao::form::form_bytes(&report, source.as_deref()) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return 2;
        }
    };
    match nianbao::output::write_atomically(&path, &bytes) {
        Ok(()) => {
            println!("{}", path.display());
            0
        }
        Err(e) => {
            eprintln!("{}: 无法写入：{e}", path.display());
            2
        }
    }
}

/// Checks every input and prints its findings; 2 if any could not be read, else 1 if any has errors.
fn run_check(files: &[PathBuf], format: Format) -> u8 {
    let mut unreadable = false;
    let mut errors = false;
    let mut json = Vec::new();
    for file in files {
        match nianbao::load(file) {
            Err(e) => {
                unreadable = true;
                match format {
                    Format::Text => eprintln!("{e}"),
                    Format::Json => json.push(serde_json::json!({
                        "file": file.display().to_string(),
                        "status": "unreadable",
                        "error": e.to_string(),
                    })),
                }
            }
            Ok(report) => {
                let findings = check::check(&report);
                errors |= check::has_errors(&findings);
                match format {
                    Format::Text => print_findings(file, &report.title(), &findings),
                    Format::Json => json.push(serde_json::json!({
                        "file": file.display().to_string(),
                        "agency": report.report.agency,
                        "year": report.report.year,
                        "status": if check::has_errors(&findings) { "failed" } else { "ok" },
                        "findings": findings,
                    })),
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
    exit_code(unreadable, errors)
}

/// Prints one line per finding, or one line saying the report is consistent.
fn print_findings(file: &Path, title: &str, findings: &[Finding]) {
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
        .filter(|f| f.severity == check::Severity::Error)
        .count();
    println!(
        "{file}: {title}：{errors} 个错误，{} 个警告。",
        findings.len() - errors
    );
}

/// Checks and renders every input, writing its files into `out`; 2 if any
/// input could not be read (or a template folder is broken), else 1 if any
/// had errors, else 0. A failing input never stops the others.
fn run_generate(files: &[PathBuf], out: &Path, templates: Option<&Path>, outputs: Outputs) -> u8 {
    let engine = match templates.map(TextEngine::from_dir) {
        None => None,
        Some(Ok(engine)) => Some(engine),
        Some(Err(e)) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let engine = engine.as_ref().unwrap_or_else(|| TextEngine::embedded());
    let mut unreadable = false;
    let mut errors = false;
    for file in files {
        let report = match nianbao::load(file) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                unreadable = true;
                continue;
            }
        };
        let source = file.display().to_string();
        match generate::render_with(&report, &source, outputs, engine) {
            Err(GenerateError::Rules(findings)) => {
                errors = true;
                print_findings(file, &report.title(), &findings);
                eprintln!("{source}: 数据未通过校验，未生成文件。");
            }
            Err(e) => {
                errors = true;
                eprintln!("{source}: {e}");
            }
            Ok((written, findings)) => {
                for f in findings {
                    println!("{source}: {f}");
                }
                if let Err(e) = std::fs::create_dir_all(out) {
                    eprintln!("{}: 无法创建输出文件夹：{e}", out.display());
                    return 2;
                }
                for f in written {
                    let path = out.join(&f.name);
                    match nianbao::output::write_atomically(&path, &f.bytes) {
                        Ok(()) => println!("{}", path.display()),
                        Err(e) => {
                            errors = true;
                            eprintln!("{}: 无法写入：{e}", path.display());
                        }
                    }
                }
            }
        }
    }
    exit_code(unreadable, errors)
}

/// Writes the starter TOML; 2 if the file exists or cannot be written.
fn run_init(file: &Path, agency: &str, year: u16) -> u8 {
    if file.exists() {
        eprintln!("{}: 文件已存在，未覆盖", file.display());
        return 2;
    }
    let text = nianbao::starter::starter_toml(agency, year);
    match nianbao::output::write_atomically(file, text.as_bytes()) {
        Ok(()) => {
            println!("{}", file.display());
            0
        }
        Err(e) => {
            eprintln!("{}: 无法写入：{e}", file.display());
            2
        }
    }
}

/// 2 when an input could not be read, 1 when any has error findings, else 0.
fn exit_code(unreadable: bool, errors: bool) -> u8 {
    if unreadable {
        2
    } else if errors {
        1
    } else {
        0
    }
}
