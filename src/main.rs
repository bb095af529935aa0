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
#[command(name = "nianbao", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    /// 批量处理一个县（区）的全部输入：每个机关的 Word 和 Excel、汇总表、校验报告、归档清单。
    Batch {
        /// 输入文件或目录（目录下的 .toml、.json、.xlsx 逐个处理，按路径排序）。
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// 输出目录（不存在则创建）。
        #[arg(short, long)]
        out: PathBuf,
        /// 上一年度输入所在目录，按机关名称匹配，做跨年校验（R5、R6，警告）。
        #[arg(long)]
        previous: Option<PathBuf>,
        /// 并行任务数，默认等于 CPU 核数。
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// 汇总表名称（汇总-<名称>-<年度>.xlsx），默认取输入中共同的所属地区。
        #[arg(long)]
        name: Option<String>,
        /// 校验报告格式：xlsx 之外再写 check-report.json 时用 json。
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// 按 manifest.json 重新计算输出目录中每个文件的 SHA-256，列出缺失、改动和清单外的文件。
    Verify {
        /// batch 的输出目录。
        dir: PathBuf,
    },
    /// （开发者工具）写 N 个各不相同、勾稽一致的合成输入，用于压力测试和基准测试。
    SampleInputs {
        /// 个数。
        count: u64,
        /// 目标目录。
        dir: PathBuf,
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
    restore_sigpipe();
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
        Command::Batch {
            inputs,
            out,
            previous,
            jobs,
            name,
            format,
        } => run_batch(inputs, out, previous, jobs, name, format),
        Command::Verify { dir } => run_verify(&dir),
        Command::SampleInputs { count, dir } => run_sample_inputs(count, &dir),
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
                    // An agency name with `/`, `..` or control characters
                    // must not write outside `out`.
                    let (name, changed) = nianbao::names::safe_file_name(&f.name);
                    if changed {
                        eprintln!("{source}: 机关名称不宜作文件名，已改写为「{name}」");
                    }
                    let path = out.join(name);
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

/// Runs a batch: a progress bar on a terminal, else one line per input;
/// the last line gives the counts. 2 if any input could not be read (or the
/// batch could not run), else 1 if any failed. SIGINT or SIGTERM stop it
/// cleanly: 130 or 143 and how far it got; a second signal ends it at once.
fn run_batch(
    inputs: Vec<PathBuf>,
    out: PathBuf,
    previous: Option<PathBuf>,
    jobs: Option<usize>,
    name: Option<String>,
    format: Format,
) -> u8 {
    use std::io::IsTerminal;
    let mut options = nianbao::batch::Options::new(inputs, out);
    options.previous = previous;
    options.jobs = jobs;
    options.name = name;
    options.json_report = matches!(format, Format::Json);
    let stop = StopSignals::install();
    options.cancel = Some(stop.flag.clone());
    nianbao::batch::tune_allocator();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} {elapsed_precise} 剩余 {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let progress = |r: &nianbao::batch::InputResult, done: usize, total: usize| match &bar {
        Some(bar) => {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            if r.status != nianbao::batch::Status::Ok {
                bar.println(format!("{} {}：{}", r.status.chinese(), r.input, r.message));
            }
        }
        None => {
            let agency = r.agency.as_deref().unwrap_or("-");
            println!(
                "[{done}/{total}] {} {} {agency}：{}",
                r.status.chinese(),
                r.input,
                r.message
            );
        }
    };
    let outcome = nianbao::batch::run(&options, &progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    match outcome {
        Ok(outcome) => {
            for note in &outcome.notes {
                eprintln!("注意：{note}");
            }
            if outcome.interrupted {
                eprintln!(
                    "已中断：已处理 {}/{} 个输入，未写汇总表和清单",
                    outcome.counts.total, outcome.inputs
                );
                return stop.exit_code();
            }
            for file in &outcome.reports {
                println!("{}", options.out_dir.join(&file.path).display());
            }
            let c = &outcome.counts;
            println!(
                "共 {} 个输入：成功 {}，未通过 {}，无法读取 {}。",
                c.total, c.ok, c.failed, c.unreadable
            );
            exit_code(c.unreadable > 0, c.failed > 0)
        }
        Err(e) => {
            eprintln!("{e}");
            2
        }
    }
}

/// SIGINT and SIGTERM during a batch: the first one sets `flag` (the batch
/// stops taking inputs) and records which; a second one ends the program at
/// once with 128 + its number (temporary files left then are removed by the
/// next batch into the same folder).
struct StopSignals {
    flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
    which: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl StopSignals {
    fn install() -> StopSignals {
        let stop = StopSignals {
            flag: Default::default(),
            which: Default::default(),
        };
        #[cfg(unix)]
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            use signal_hook::flag;
            use std::sync::Arc;
            // In this order: the shutdown checks the flag before it is set.
            // Without handlers the batch just cannot stop cleanly.
            let _ =
                flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&stop.flag));
            let _ = flag::register_usize(signal, Arc::clone(&stop.which), signal as usize);
            let _ = flag::register(signal, Arc::clone(&stop.flag));
        }
        stop
    }

    /// 128 + the signal that stopped the batch (130 for SIGINT, 143 for SIGTERM).
    fn exit_code(&self) -> u8 {
        match self.which.load(std::sync::atomic::Ordering::Relaxed) {
            0 => 130,
            signal => u8::try_from(128 + signal).unwrap_or(130),
        }
    }
}

/// Verifies an output folder against its manifest: 0 if everything matches,
/// 1 if anything is missing, changed or unlisted, 2 if there is no manifest.
fn run_verify(dir: &Path) -> u8 {
    match nianbao::batch::manifest::verify(dir) {
        Ok(v) => {
            for (what, list) in [
                ("缺失", &v.missing),
                ("已改动", &v.changed),
                ("清单外", &v.unlisted),
                ("路径无效", &v.invalid),
            ] {
                for path in list {
                    let name = path.rsplit('/').next().unwrap_or(path);
                    if nianbao::output::is_temp_name(name) {
                        println!(
                            "{what}：{path}（中断的运行留下的临时文件，下次对此目录运行 batch 时自动删除）"
                        );
                    } else {
                        println!("{what}：{path}");
                    }
                }
            }
            println!(
                "{} 个文件一致，缺失 {}，已改动 {}，清单外 {}。",
                v.ok,
                v.missing.len(),
                v.changed.len(),
                v.unlisted.len() + v.invalid.len()
            );
            u8::from(!v.is_clean())
        }
        Err(e) => {
            eprintln!("{e}");
            2
        }
    }
}

/// Writes `count` synthetic inputs into `dir` (developer tool); 2 if `dir`
/// is not empty (its files would be mixed with the new ones, or overwritten).
fn run_sample_inputs(count: u64, dir: &Path) -> u8 {
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        eprintln!(
            "{}: 目录不为空，未写入（请指定新的或空的目录）",
            dir.display()
        );
        return 2;
    }
    match nianbao::batch::write_sample_inputs(count, dir) {
        Ok(paths) => {
            println!("{}: 已写 {} 个合成输入", dir.display(), paths.len());
            0
        }
        Err(e) => {
            eprintln!("{}: 无法写入：{e}", dir.display());
            2
        }
    }
}

/// Lets a closed pipe end the program quietly, as for any Unix tool
/// (`nianbao check … | head`); Rust ignores SIGPIPE and `println!` would panic.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: resets one signal to its default action before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
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
