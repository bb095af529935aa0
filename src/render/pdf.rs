//! The PDF: our own DOCX converted by LibreOffice (`soffice` on the PATH).
//!
//! An [`Office`] keeps a private LibreOffice profile and the fontconfig file
//! of the repository (`assets/fonts.conf`: the official 公文 fonts where
//! installed, free look-alikes otherwise) for as long as it lives, and
//! converts many documents per `soffice --convert-to pdf` run: LibreOffice's
//! start (1–2 s) is paid once per run, not once per file. A run that takes
//! too long is killed with its whole process group, a run that dies is
//! reported, and either way the profile is made anew for the next run.
//!
//! LibreOffice stamps each PDF with the time and a random `/ID`; [`Office`]
//! blanks the time and derives the `/ID` from the content, so that one
//! LibreOffice version gives the same bytes for the same DOCX. The title and
//! the author come from the DOCX's `docProps/core.xml`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::read::{IoAction, io_reason};
use crate::render::OutputFile;

/// The fontconfig file handed to LibreOffice.
const FONTS_CONF: &str = include_str!("../../assets/fonts.conf");

/// The official fonts of the report, whose substitutes are reported.
const OFFICIAL_FONTS: [&str; 5] = [
    crate::render::docx::BODY_FONT,
    crate::render::docx::TITLE_FONT,
    crate::render::docx::HEADING_FONT,
    crate::render::docx::RUN_IN_FONT,
    crate::render::docx::PAGE_NUMBER_FONT,
];

/// Why no PDF was made.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PdfError {
    /// `soffice` is not on the PATH.
    #[error(
        "未找到 LibreOffice（soffice），无法生成 PDF：请安装 Debian 软件包 libreoffice-writer-nogui \
         和字体 fonts-noto-cjk fonts-arphic-ukai fonts-liberation（apt-get install …）"
    )]
    Missing,
    /// A run took longer than its limit and was killed.
    #[error("LibreOffice 转换 PDF 超时（{0} 秒未完成），已终止；下次转换会重新启动它，请重试")]
    Hung(u64),
    /// A run ended without writing every PDF (it crashed or was killed).
    #[error("LibreOffice 转换 PDF 时异常退出（{0}），未生成 PDF；下次转换会重新启动它，请重试")]
    Crashed(String),
    /// The work folder could not be written or read.
    #[error("PDF 转换的临时文件无法读写：{0}")]
    Io(String),
}

impl From<std::io::Error> for PdfError {
    fn from(e: std::io::Error) -> PdfError {
        PdfError::Io(io_reason(&e, IoAction::Write))
    }
}

/// A LibreOffice to convert with: its private profile and fonts.
#[derive(Debug)]
pub struct Office {
    soffice: PathBuf,
    dir: tempfile::TempDir,
    version: String,
    substitutions: Vec<(String, String)>,
    runs: u64,
    /// The time limit of one run: this (LibreOffice's start, 60 s) ...
    pub timeout: Duration,
    /// ... plus this per document (5 s).
    pub per_document: Duration,
}

/// `name` on the PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Office {
    /// Finds `soffice`, makes the private profile under `parent` (the
    /// system's temporary folder when `None`) and asks LibreOffice its version.
    pub fn start(parent: Option<&Path>) -> Result<Office, PdfError> {
        let soffice = on_path("soffice").ok_or(PdfError::Missing)?;
        let dir = match parent {
            Some(p) => tempfile::Builder::new()
                .prefix("nianbao-office-")
                .tempdir_in(p)?,
            None => tempfile::Builder::new()
                .prefix("nianbao-office-")
                .tempdir()?,
        };
        std::fs::write(dir.path().join("fonts.conf"), FONTS_CONF)?;
        let mut office = Office {
            soffice,
            dir,
            version: String::new(),
            substitutions: Vec::new(),
            runs: 0,
            timeout: Duration::from_secs(60),
            per_document: Duration::from_secs(5),
        };
        let out = office.command().arg("--version").output()?;
        office.version = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("LibreOffice")
            .trim()
            .to_string();
        office.substitutions = office.find_substitutions();
        Ok(office)
    }

    /// LibreOffice's version, e.g. `LibreOffice 7.4.7.2 40(Build:2)`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The official fonts that are not installed, each with the font used
    /// instead (as fontconfig matches them with `assets/fonts.conf`).
    pub fn substitutions(&self) -> &[(String, String)] {
        &self.substitutions
    }

    fn profile(&self) -> PathBuf {
        self.dir.path().join("profile")
    }

    /// `soffice` with the private profile and the fonts.
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.soffice);
        cmd.arg(format!(
            "-env:UserInstallation=file://{}",
            self.profile().display()
        ))
        .env("FONTCONFIG_FILE", self.dir.path().join("fonts.conf"))
        .stdin(Stdio::null());
        cmd
    }

    fn find_substitutions(&self) -> Vec<(String, String)> {
        let Some(fc_match) = on_path("fc-match") else {
            return Vec::new();
        };
        OFFICIAL_FONTS
            .iter()
            .filter_map(|font| {
                let out = Command::new(&fc_match)
                    .env("FONTCONFIG_FILE", self.dir.path().join("fonts.conf"))
                    .args(["-f", "%{family}", font])
                    .output()
                    .ok()?;
                let matched = String::from_utf8_lossy(&out.stdout);
                let first = matched.split(',').next().unwrap_or("").trim().to_string();
                let installed = matched.split(',').any(|f| f.trim() == *font);
                (!installed && !first.is_empty()).then(|| (font.to_string(), first))
            })
            .collect()
    }

    /// The PDF of each DOCX in `docx`, in order, from one LibreOffice run.
    pub fn convert(&mut self, docx: &[&[u8]]) -> Result<Vec<Vec<u8>>, PdfError> {
        if docx.is_empty() {
            return Ok(Vec::new());
        }
        self.runs += 1;
        let job = self.dir.path().join(format!("run-{}", self.runs));
        let result = self.convert_in(&job, docx);
        let _ = std::fs::remove_dir_all(&job);
        if result.is_err() {
            // A killed LibreOffice may leave its profile locked or broken.
            let _ = std::fs::remove_dir_all(self.profile());
        }
        result
    }

    fn convert_in(&self, job: &Path, docx: &[&[u8]]) -> Result<Vec<Vec<u8>>, PdfError> {
        let (input, output) = (job.join("in"), job.join("out"));
        std::fs::create_dir_all(&input)?;
        std::fs::create_dir_all(&output)?;
        let mut files = Vec::with_capacity(docx.len());
        for (i, bytes) in docx.iter().enumerate() {
            let path = input.join(format!("{i}.docx"));
            std::fs::write(&path, bytes)?;
            files.push(path);
        }
        let mut cmd = self.command();
        cmd.args([
            "--headless",
            "--invisible",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
        ])
        .arg(&output)
        .args(&files)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn()?;
        let limit = self.timeout + self.per_document * docx.len() as u32;
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if started.elapsed() > limit {
                kill_group(&mut child);
                return Err(PdfError::Hung(limit.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // What the run left behind (a killed LibreOffice's helpers) goes too.
        kill_group(&mut child);
        (0..docx.len())
            .map(|i| match std::fs::read(output.join(format!("{i}.pdf"))) {
                Ok(mut pdf) => {
                    settle(&mut pdf);
                    Ok(pdf)
                }
                Err(_) => Err(PdfError::Crashed(describe(status))),
            })
            .collect()
    }
}

/// Kills the process group of `child` (LibreOffice's wrapper and soffice.bin).
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: sends a signal to the process group we made for this run.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// An exit status in words.
fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return format!("被信号 {signal} 终止");
    }
    match status.code() {
        Some(code) => format!("退出码 {code}"),
        None => "原因不明".into(),
    }
}

/// Makes a LibreOffice PDF the same for the same content: the creation time
/// blanked, the `/ID` pair and LibreOffice's `/DocChecksum` replaced by a
/// hash of the rest. Every change keeps the length, so the cross-reference
/// offsets stay right.
pub fn settle(pdf: &mut [u8]) {
    if let Some(range) = token(pdf, b"/CreationDate(", b')') {
        pdf[range].fill(b' ');
    }
    let mut hex = Vec::new();
    if let Some(id) = token(pdf, b"/ID [", b']') {
        let mut at = id.start;
        while let Some(open) = memchr::memchr(b'<', &pdf[at..id.end]) {
            let start = at + open + 1;
            let Some(len) = memchr::memchr(b'>', &pdf[start..id.end]) else {
                break;
            };
            hex.push(start..start + len);
            at = start + len;
        }
    }
    if let Some(sum) = token(pdf, b"/DocChecksum /", b'\n') {
        let start = sum.start + b"/DocChecksum /".len();
        let len = pdf[start..sum.end]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        hex.push(start..start + len);
    }
    for r in &hex {
        pdf[r.clone()].fill(b'0');
    }
    let digest = Sha256::digest(&*pdf);
    let digits: Vec<u8> = digest
        .iter()
        .flat_map(|b| format!("{b:02X}").into_bytes())
        .collect();
    for r in hex {
        for (i, b) in pdf[r].iter_mut().enumerate() {
            *b = digits[i % digits.len()];
        }
    }
}

/// The range from `start` to the first `end` byte after it, if any.
fn token(pdf: &[u8], start: &[u8], end: u8) -> Option<std::ops::Range<usize>> {
    let from = memchr::memmem::rfind(pdf, start)?;
    let len = memchr::memchr(end, &pdf[from + start.len()..])?;
    Some(from..from + start.len() + len + 1)
}

/// The PDF files of the DOCX files among `files` (`<stem>.pdf` for each
/// `<stem>.docx`), in one LibreOffice run.
pub fn pdfs(office: &mut Office, files: &[OutputFile]) -> Result<Vec<OutputFile>, PdfError> {
    pdfs_side_by_side(std::slice::from_mut(office), files)
}

/// [`pdfs`] with one LibreOffice run per office, side by side (a run
/// converts on one core), the documents split evenly between them in order.
pub fn pdfs_side_by_side(
    offices: &mut [Office],
    files: &[OutputFile],
) -> Result<Vec<OutputFile>, PdfError> {
    let docx: Vec<&OutputFile> = files.iter().filter(|f| f.name.ends_with(".docx")).collect();
    let bytes: Vec<&[u8]> = docx.iter().map(|f| f.bytes.as_slice()).collect();
    let share = bytes.len().div_ceil(offices.len().max(1)).max(1);
    let runs: Vec<Result<Vec<Vec<u8>>, PdfError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = offices
            .iter_mut()
            .zip(bytes.chunks(share))
            .map(|(office, chunk)| scope.spawn(move || office.convert(chunk)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(PdfError::Crashed("内部错误".into())))
            })
            .collect()
    });
    let mut pdfs = Vec::with_capacity(bytes.len());
    for run in runs {
        pdfs.extend(run?);
    }
    Ok(docx
        .iter()
        .zip(pdfs)
        .map(|(f, bytes)| OutputFile {
            name: format!("{}.pdf", f.name.trim_end_matches(".docx")),
            bytes,
        })
        .collect())
}

/// The fewest documents worth a LibreOffice run of their own: starting one
/// costs as much as converting several.
pub const MIN_PER_RUN: usize = 8;

/// The PDF of each DOCX in `docx`, in order, each on its own: converted side
/// by side as in [`pdfs_side_by_side`], but a run that fails is done again
/// one document at a time, so that a document LibreOffice cannot convert
/// fails alone and the others still get their PDF.
pub fn convert_each(offices: &mut [Office], docx: &[&[u8]]) -> Vec<Result<Vec<u8>, PdfError>> {
    let share = docx.len().div_ceil(offices.len().max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = offices
            .iter_mut()
            .zip(docx.chunks(share))
            .map(|(office, chunk)| {
                let handle = scope.spawn(move || match office.convert(chunk) {
                    Ok(pdfs) => pdfs.into_iter().map(Ok).collect(),
                    Err(e) if chunk.len() == 1 => vec![Err(e)],
                    Err(_) => chunk
                        .iter()
                        .map(|one| {
                            office.convert(std::slice::from_ref(one)).and_then(|mut v| {
                                v.pop().ok_or_else(|| PdfError::Crashed("原因不明".into()))
                            })
                        })
                        .collect(),
                });
                (handle, chunk.len())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(h, n)| {
                h.join().unwrap_or_else(|_| {
                    (0..n)
                        .map(|_| Err(PdfError::Crashed("内部错误".into())))
                        .collect()
                })
            })
            .collect()
    })
}
