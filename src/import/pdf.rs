//! A PDF through its text layer: poppler's `pdftotext -layout`, found on
//! the PATH, run on a temporary copy (removed afterwards) with a time limit;
//! its text is read from its standard output, at most [`MAX_TEXT`] bytes,
//! and then goes the way of a .txt. An encrypted PDF, a PDF without text (a
//! scan: there is no OCR here), a missing pdftotext and a PDF that takes too
//! long each get their own message.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::error::ImportError;

/// How long pdftotext may run by default (the command line; the service
/// gives it what is left of the request's time).
pub const TIME_LIMIT: Duration = Duration::from_secs(60);
/// The most text read back from pdftotext.
pub const MAX_TEXT: u64 = 16 * 1024 * 1024;
/// Fewer non-blank characters than this: no text layer.
const MIN_TEXT_CHARS: usize = 20;

/// The text of the PDF `bytes`, within [`TIME_LIMIT`].
pub fn text(bytes: &[u8], file: &str) -> Result<String, ImportError> {
    text_within(bytes, file, TIME_LIMIT)
}

/// Seconds for a message: `10`, `9.5`.
fn seconds(d: Duration) -> String {
    let s = (d.as_secs_f64() * 10.0).round() / 10.0;
    format!("{s}")
}

/// The text of the PDF `bytes`; pdftotext is stopped after `limit`.
pub fn text_within(bytes: &[u8], file: &str, limit: Duration) -> Result<String, ImportError> {
    let file_s = file.to_string();
    let bad = |reason: String| ImportError::BadPdf {
        file: file.to_string(),
        reason,
    };
    if !bytes[..bytes.len().min(1024)]
        .windows(4)
        .any(|w| w == b"%PDF")
    {
        return Err(bad("文件头不是 %PDF（文件损坏，或不是 PDF）".into()));
    }
    let io = |what: &str, e: std::io::Error| ImportError::Io {
        file: file.to_string(),
        reason: format!("{what}：{e}"),
    };
    let dir = tempfile::tempdir().map_err(|e| io("无法建立临时文件夹", e))?;
    let input = dir.path().join("in.pdf");
    let errors = dir.path().join("err.txt");
    std::fs::write(&input, bytes).map_err(|e| io("无法写临时文件", e))?;
    let stderr = std::fs::File::create(&errors).map_err(|e| io("无法写临时文件", e))?;
    let child = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-q"])
        .arg(&input)
        .arg("-")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ImportError::NoPdftotext { file: file_s });
        }
        Err(e) => return Err(bad(format!("无法运行 pdftotext：{e}"))),
    };
    // The text is read on a thread of its own, at most MAX_TEXT + 1 bytes:
    // a full pipe would stop pdftotext, and more is refused.
    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(bad("无法读取 pdftotext 的输出".into()));
    };
    let reader = std::thread::Builder::new()
        .name("pdftotext-out".into())
        .spawn(move || {
            let mut out = Vec::new();
            let read = stdout.take(MAX_TEXT + 1).read_to_end(&mut out);
            (out, read.is_ok())
        });
    let mut reader = match reader {
        Ok(r) => Some(r),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io("无法读取 pdftotext 的输出", e));
        }
    };
    let too_much = || {
        bad(format!(
            "文字超过 {} MiB，不像一份年度报告",
            MAX_TEXT / 1024 / 1024
        ))
    };
    let started = Instant::now();
    let stop = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
    };
    let mut read: Option<(Vec<u8>, bool)> = None;
    let status = loop {
        // The reader ends at the end of the text or at the cap: past the
        // cap pdftotext is stopped at once (it would wait on a full pipe).
        if let Some(r) = reader.take_if(|r| r.is_finished()) {
            match r.join() {
                Ok(got) if got.0.len() as u64 > MAX_TEXT => {
                    stop(&mut child);
                    return Err(too_much());
                }
                Ok(got) => read = Some(got),
                Err(_) => {
                    stop(&mut child);
                    return Err(bad("无法读取 pdftotext 的输出".into()));
                }
            }
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            // The reader is not waited for: it ends when the pipe closes.
            Ok(None) if started.elapsed() > limit => {
                stop(&mut child);
                return Err(bad(format!(
                    "{} 秒内未能读完（文件过于复杂或已损坏）",
                    seconds(limit)
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                stop(&mut child);
                return Err(bad(format!("pdftotext 出错：{e}")));
            }
        }
    };
    // pdftotext has exited: its output ends (a child of its own holding the
    // pipe open is not waited for past the limit: the reader is then left).
    if read.is_none()
        && let Some(r) = reader.take()
    {
        while !r.is_finished() && started.elapsed() <= limit {
            std::thread::sleep(Duration::from_millis(5));
        }
        if !r.is_finished() {
            return Err(bad(format!(
                "{} 秒内未能读完（文件过于复杂或已损坏）",
                seconds(limit)
            )));
        }
        read = r.join().ok();
    }
    let Some((out, read_ok)) = read else {
        return Err(bad("无法读取 pdftotext 的输出".into()));
    };
    let encrypted = bytes.windows(8).any(|w| w == b"/Encrypt");
    if !status.success() {
        let said = std::fs::read_to_string(&errors).unwrap_or_default();
        if encrypted || said.contains("assword") || said.contains("ncrypt") {
            return Err(ImportError::Encrypted { file: file_s });
        }
        return Err(bad("pdftotext 无法读取（文件损坏，或不是 PDF）".into()));
    }
    if !read_ok {
        return Err(bad("无法读取 pdftotext 的输出".into()));
    }
    if out.len() as u64 > MAX_TEXT {
        return Err(too_much());
    }
    let text = String::from_utf8(out).map_err(|_| bad("pdftotext 的输出不是 UTF-8 文本".into()))?;
    let chars = text.chars().filter(|c| !c.is_whitespace()).count();
    if chars < MIN_TEXT_CHARS {
        return Err(ImportError::Scanned { file: file_s });
    }
    Ok(text)
}
