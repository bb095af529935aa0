//! A PDF through its text layer: poppler's `pdftotext -layout`, found on
//! the PATH, run on a temporary copy with a time limit; its text then goes
//! the way of a .txt. An encrypted PDF, a PDF without text (a scan: there is
//! no OCR here) and a missing pdftotext each get their own message.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::error::ImportError;

/// How long pdftotext may run.
const TIME_LIMIT: Duration = Duration::from_secs(60);
/// The most text read back from pdftotext.
const MAX_TEXT: u64 = 16 * 1024 * 1024;
/// Fewer non-blank characters than this: no text layer.
const MIN_TEXT_CHARS: usize = 20;

/// The text of the PDF `bytes`.
pub fn text(bytes: &[u8], file: &str) -> Result<String, ImportError> {
    let file_s = file.to_string();
    if !bytes.starts_with(b"%PDF")
        && !bytes[..bytes.len().min(1024)]
            .windows(4)
            .any(|w| w == b"%PDF")
    {
        return Err(ImportError::BadPdf {
            file: file_s,
            reason: "文件头不是 %PDF（文件损坏，或不是 PDF）".into(),
        });
    }
    let dir = tempfile::tempdir().map_err(|e| ImportError::Io {
        file: file_s.clone(),
        reason: format!("无法建立临时文件夹：{e}"),
    })?;
    let input = dir.path().join("in.pdf");
    let output = dir.path().join("out.txt");
    let errors = dir.path().join("err.txt");
    std::fs::write(&input, bytes).map_err(|e| ImportError::Io {
        file: file_s.clone(),
        reason: format!("无法写临时文件：{e}"),
    })?;
    let stderr = std::fs::File::create(&errors).map_err(|e| ImportError::Io {
        file: file_s.clone(),
        reason: format!("无法写临时文件：{e}"),
    })?;
    let child = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-q"])
        .arg(&input)
        .arg(&output)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ImportError::NoPdftotext { file: file_s });
        }
        Err(e) => {
            return Err(ImportError::BadPdf {
                file: file_s,
                reason: format!("无法运行 pdftotext：{e}"),
            });
        }
    };
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TIME_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ImportError::BadPdf {
                    file: file_s,
                    reason: format!("pdftotext {} 秒内未读完", TIME_LIMIT.as_secs()),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                return Err(ImportError::BadPdf {
                    file: file_s,
                    reason: format!("pdftotext 出错：{e}"),
                });
            }
        }
    };
    let encrypted = bytes.windows(8).any(|w| w == b"/Encrypt");
    if !status.success() {
        let said = std::fs::read_to_string(&errors).unwrap_or_default();
        if encrypted || said.contains("assword") || said.contains("ncrypt") {
            return Err(ImportError::Encrypted { file: file_s });
        }
        return Err(ImportError::BadPdf {
            file: file_s,
            reason: "pdftotext 无法读取（文件损坏，或不是 PDF）".into(),
        });
    }
    let mut text = String::new();
    let read =
        std::fs::File::open(&output).and_then(|f| f.take(MAX_TEXT).read_to_string(&mut text));
    if read.is_err() {
        return Err(ImportError::BadPdf {
            file: file_s,
            reason: "pdftotext 的输出不是 UTF-8 文本".into(),
        });
    }
    let chars = text.chars().filter(|c| !c.is_whitespace()).count();
    if chars < MIN_TEXT_CHARS {
        return Err(ImportError::Scanned { file: file_s });
    }
    Ok(text)
}
