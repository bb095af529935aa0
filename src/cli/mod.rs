//! The `nianbao` command line: clap's definitions, one function per mode
//! (one file each), standard input, and the exit code, decided here once.
//!
//! Exit codes: 0 all well, 1 findings (an error finding, a failed verify),
//! 2 an input could not be read or a file could not be written, 128 + N a
//! batch stopped by signal N.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use nianbao::Outputs;
use nianbao::model::YEARS;

mod admin_backup;
mod admin_clerk;
mod admin_import;
mod admin_init;
mod batch;
mod check;
mod form;
mod generate;
mod import;
mod init;
mod serve;

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
        /// 另写 PDF（<报告名>.pdf）：由 LibreOffice 从生成的 Word 报告转换，字体全部嵌入。
        #[arg(long, conflicts_with = "xlsx_only")]
        pdf: bool,
        /// 另写网页版（<报告名>.html）：完整网页，可直接放到政府信息公开网站。
        #[arg(long, conflicts_with = "html_fragment")]
        html: bool,
        /// 另写网页版片段（<报告名>.html，无 <head>，样式写在各元素上），用于粘贴到网站内容管理系统的编辑器。
        #[arg(long)]
        html_fragment: bool,
    },
    /// 把已发布的年度报告（.txt、.docx、.html、.pdf）读成输入文件（TOML），并列出读到了什么、没读到什么和校验结果。
    ///
    /// PDF 经 poppler 的 pdftotext 读取文字层（扫描件不能读，不做 OCR）。
    /// 校验不通过也照常导入；无法读取的文件不写，退出码为 2。
    Import {
        /// 已发布的报告：.txt、.docx、.html（.htm）或 .pdf。
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// 写 TOML 的文件夹（不存在则创建），每个报告一个 <文件名>.toml。
        #[arg(short = 'o', long = "out", default_value = ".")]
        out: PathBuf,
        /// 摘要的格式。
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
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
        /// 用这个输入文件预填；也可以是已发布的报告（.txt、.docx、.html、.pdf），即时导入。
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
        /// 上一年度输入所在目录，按机关名称匹配，做跨年校验（R5、R6，警告）；也可以是已发布的报告（.txt、.docx、.html、.pdf），即时导入。
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
        /// 每个机关另写网页版（<报告名>.html），列入归档清单。
        #[arg(long)]
        html: bool,
        /// 每个机关另写 PDF（<报告名>.pdf）：由 LibreOffice 从 Word 报告批量转换，列入归档清单，清单记录 LibreOffice 版本。
        #[arg(long)]
        pdf: bool,
    },
    /// 按 manifest.json 重新计算输出目录中每个文件的 SHA-256，列出缺失、改动和清单外的文件。
    Verify {
        /// batch 的输出目录。
        dir: PathBuf,
    },
    /// 以 HTTP 服务运行：JSON 接口（校验、生成、填报表、规定格式），见 /api/openapi.json。
    ///
    /// 不需要任何设置，不写磁盘；按 Ctrl-C 或 SIGTERM 停止（处理完正在进行的请求）。
    Serve {
        /// 监听地址。
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// 县级填报服务器的数据文件夹（先用 nianbao admin init 初始化）；不给则不保存任何数据。
        #[arg(long, value_name = "DIR")]
        data: Option<std::path::PathBuf>,
        /// 会话 Cookie 加 Secure（经 HTTPS 访问时，如在反向代理之后）。
        #[arg(long)]
        secure_cookie: bool,
    },
    /// 县级填报服务器的管理：初始化数据库、备份、导入机关、添加填报人账号。
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// （开发者工具）写 N 个各不相同、勾稽一致的合成输入，用于压力测试和基准测试。
    SampleInputs {
        /// 个数。
        count: u64,
        /// 目标目录。
        dir: PathBuf,
    },
}

/// `nianbao admin …`: the county server's data folder.
#[derive(Subcommand)]
enum AdminCommand {
    /// 创建数据文件夹中的数据库（DIR/nianbao.db）和第一个管理员 admin，并显示其一次性密码（只显示这一次）。
    Init {
        /// 数据文件夹（不存在则创建）。
        #[arg(long)]
        data: PathBuf,
        /// 县（区）名称，如 潢川县。
        #[arg(long)]
        county: String,
    },
    /// 把数据库一致地复制到 FILE，服务运行时也可以（FILE 已存在则不覆盖）。
    ///
    /// 恢复：先停止服务，删除 DIR/nianbao.db-wal 和 DIR/nianbao.db-shm，再把 FILE 复制为 DIR/nianbao.db。
    Backup {
        /// 数据文件夹。
        dir: PathBuf,
        /// 备份文件。
        file: PathBuf,
    },
    /// 导入机关：CSV 文件（UTF-8，表头 机关全称[,简称,所属地区,账号]），或上一年度 batch 的输入文件夹（机关及其报告，作为已提交的上年报告）。
    ///
    /// 有任何一行或一个文件有误，则列出全部问题，什么都不导入。
    ImportAgencies {
        /// 数据文件夹。
        #[arg(long)]
        data: PathBuf,
        /// CSV 文件或上一年度的输入文件夹。
        source: PathBuf,
    },
    /// 为机关添加填报人账号，并显示其一次性密码（只显示这一次）。
    AddClerk {
        /// 数据文件夹。
        #[arg(long)]
        data: PathBuf,
        /// 机关全称。
        #[arg(long)]
        agency: String,
        /// 账号（字母、数字和 . _ - @）。
        #[arg(long)]
        login: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// 每条一行的中文说明。
    Text,
    /// JSON（每个文件一个对象）。
    Json,
}

/// What a mode found; [`Outcome::exit_code`] is the one place that turns it
/// into the exit code.
#[derive(Debug, Default, Clone, Copy)]
pub struct Outcome {
    /// An input could not be read, or a file could not be written.
    pub failed_io: bool,
    /// A report has error findings, or a verify found a difference.
    pub findings: bool,
    /// A batch was stopped by this signal.
    pub signal: Option<i32>,
}

impl Outcome {
    /// 128 + signal, else 2, else 1, else 0.
    pub fn exit_code(self) -> ExitCode {
        match self.signal {
            Some(signal) => ExitCode::from(u8::try_from(128 + signal).unwrap_or(130)),
            None if self.failed_io => ExitCode::from(2),
            None if self.findings => ExitCode::from(1),
            None => ExitCode::SUCCESS,
        }
    }
}

/// Why a mode could not run at all (no manifest, no output folder, a broken
/// template folder): printed once, exit 2.
#[derive(Debug)]
pub struct Fatal(pub String);

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for Fatal {
    fn from(e: E) -> Fatal {
        Fatal(e.to_string())
    }
}

/// The web version asked for by `--html` or `--html-fragment`.
fn html_form(page: bool, fragment: bool) -> Option<nianbao::Html> {
    match (page, fragment) {
        (_, true) => Some(nianbao::Html::Fragment),
        (true, false) => Some(nianbao::Html::Page),
        (false, false) => None,
    }
}

/// Parses the command line and runs its mode.
pub fn run() -> Result<ExitCode, Fatal> {
    let outcome = match Cli::parse().command {
        Command::Check { files, format } => check::run(&files, format),
        Command::Generate {
            files,
            out,
            templates,
            docx_only,
            xlsx_only,
            pdf,
            html,
            html_fragment,
        } => {
            let outputs = Outputs {
                docx: !xlsx_only,
                xlsx: !docx_only,
                html: html_form(html, html_fragment),
            };
            generate::run(&files, &out, templates.as_deref(), outputs, pdf)?
        }
        Command::Import { files, out, format } => import::run(&files, &out, format)?,
        Command::Init { file, agency, year } => init::run(&file, &agency, year)?,
        Command::Form {
            agency,
            year,
            from,
            output,
        } => form::run(agency.as_deref(), year, from.as_deref(), output.as_deref())?,
        Command::Batch {
            inputs,
            out,
            previous,
            jobs,
            name,
            format,
            html,
            pdf,
        } => {
            let outputs = Outputs {
                html: html_form(html, false),
                ..Outputs::default()
            };
            let mut options = nianbao::batch::Options::new(inputs, out);
            options.previous = previous;
            options.jobs = jobs;
            options.name = name;
            options.outputs = outputs;
            options.pdf = pdf;
            batch::run(options, format)?
        }
        Command::Verify { dir } => batch::verify(&dir)?,
        Command::SampleInputs { count, dir } => batch::sample_inputs(count, &dir)?,
        Command::Serve {
            addr,
            data,
            secure_cookie,
        } => serve::run(addr, data.as_deref(), secure_cookie)?,
        Command::Admin { command } => match command {
            AdminCommand::Init { data, county } => admin_init::run(&data, &county)?,
            AdminCommand::Backup { dir, file } => admin_backup::run(&dir, &file)?,
            AdminCommand::ImportAgencies { data, source } => admin_import::run(&data, &source)?,
            AdminCommand::AddClerk {
                data,
                agency,
                login,
            } => admin_clerk::run(&data, &agency, &login)?,
        },
    };
    Ok(outcome.exit_code())
}

/// Lets a closed pipe end the program quietly, as for any Unix tool
/// (`nianbao check … | head`); Rust ignores SIGPIPE and `println!` would panic.
pub fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: resets one signal to its default action before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Reads one input: a file by its extension, or `-` for TOML on standard input.
fn read_input(path: &Path) -> Result<nianbao::model::Report, nianbao::LoadError> {
    if path.as_os_str() == "-" {
        nianbao::read_toml_from(std::io::stdin().lock(), "-")
    } else {
        nianbao::read_path(path)
    }
}

/// Refuses an agency name (`--agency`) that a report cannot hold: control
/// characters, or longer than the limit. `report` is the one about to be
/// written; a text it took from `--from` was checked when it was read.
fn check_agency(report: &nianbao::model::Report) -> Result<(), Fatal> {
    match nianbao::model::validate_text(report) {
        Ok(()) => Ok(()),
        Err(p) if p.key_path == "report.agency" => Err(Fatal(format!("--agency：{}", p.message))),
        Err(p) => Err(Fatal(p.to_string())),
    }
}

/// What the system said about writing `path`, in Chinese.
fn write_error(path: &Path, e: &std::io::Error) -> String {
    format!(
        "{}: 无法写入：{}",
        path.display(),
        nianbao::io_reason(e, nianbao::IoAction::Write)
    )
}
