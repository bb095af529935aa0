//! The archive manifest `manifest.json` and `nianbao verify`.
//!
//! The manifest lists every file a batch wrote — the summary and check
//! reports sorted by path, then each input's files in input order: its path
//! relative to the output folder, size, SHA-256, and the input, agency and
//! year it came from. It holds no time and no absolute output path, so the
//! same inputs give the same manifest byte for byte. [`verify`] re-hashes the
//! folder against it.

use std::collections::BTreeSet;
use std::io::{BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::read::{IoAction, io_reason};
use crate::render::output::Durability;

/// The manifest's file name in the output folder.
pub const MANIFEST: &str = "manifest.json";

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The program that wrote it, e.g. `nianbao 0.1.0`.
    pub generator: String,
    /// The LibreOffice that converted the PDFs (e.g. `LibreOffice 7.4.7.2
    /// 40(Build:2)`): a PDF's bytes may differ from one version to the next.
    /// Absent when the batch made no PDF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libreoffice: Option<String>,
    /// Every file written, sorted by path.
    pub files: Vec<ManifestEntry>,
}

/// One file written by a batch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// The input file it was generated from (as given on the command line);
    /// none for the summary and the check report.
    pub source: Option<String>,
    /// The agency (for a summary, its name).
    pub agency: Option<String>,
    /// The reported year.
    pub year: Option<u16>,
    /// The name the file would have had, when it had to be made safe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsafe_name: Option<String>,
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Size and SHA-256 of a file, read in blocks.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    hash_reader(&mut std::fs::File::open(path)?)
}

/// Size and SHA-256 of what `file` holds from where it stands, read in blocks.
pub fn hash_reader(file: &mut impl Read) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hex(&hasher.finalize())))
}

/// Writes `out_dir/manifest.json` atomically: `first` (sorted by path),
/// then `rest`, each a JSON line of a [`ManifestEntry`] (the per-agency files
/// in input order). One entry per line, so that the manifest can be written
/// without holding it in memory and read with line tools. `libreoffice`: the
/// version that converted the PDFs, when some were made.
pub fn write(
    out_dir: &Path,
    libreoffice: Option<&str>,
    mut first: Vec<ManifestEntry>,
    rest: impl Iterator<Item = std::io::Result<String>>,
) -> std::io::Result<()> {
    first.sort();
    let path = out_dir.join(MANIFEST);
    crate::render::output::write_with(&path, Durability::Synced, |file| {
        let mut out = BufWriter::new(file);
        let generator = serde_json::to_string(&format!("nianbao {}", env!("CARGO_PKG_VERSION")))?;
        write!(out, "{{\n  \"generator\": {generator},")?;
        if let Some(version) = libreoffice {
            let version = serde_json::to_string(version)?;
            write!(out, "\n  \"libreoffice\": {version},")?;
        }
        write!(out, "\n  \"files\": [")?;
        let firsts = first
            .iter()
            .map(|e| serde_json::to_string(e).map_err(std::io::Error::from));
        for (n, line) in firsts.chain(rest).enumerate() {
            let sep = if n == 0 { "" } else { "," };
            write!(out, "{sep}\n    {}", line?)?;
        }
        writeln!(out, "\n  ]\n}}")?;
        out.flush()
    })
}

/// Why a folder could not be verified at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// No readable manifest.
    #[error("{}: 无法读取清单：{}", path.display(), io_reason(source, IoAction::Read))]
    Read {
        /// The manifest path.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The manifest is not what a batch writes.
    #[error("{}: 清单格式错误{}", path.display(), json_reason(source))]
    Parse {
        /// The manifest path.
        path: PathBuf,
        /// What the parser said.
        #[source]
        source: serde_json::Error,
    },
    /// The folder could not be listed.
    #[error("{}: 无法列出文件：{}", path.display(), io_reason(source, IoAction::Read))]
    List {
        /// The folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

/// Where and why the manifest does not parse, in Chinese, e.g.
/// `（第 3 行第 5 列）：不是有效的 JSON`.
fn json_reason(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let why = match e.classify() {
        Category::Io => "读取失败",
        Category::Syntax => "不是有效的 JSON",
        Category::Data => "内容不是 nianbao batch 写的清单（缺少或多出字段、类型不对）",
        Category::Eof => "文件意外结束",
    };
    match (e.line(), e.column()) {
        (0, _) => format!("：{why}"),
        (line, 0) => format!("（第 {line} 行）：{why}"),
        (line, column) => format!("（第 {line} 行第 {column} 列）：{why}"),
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// Files listed and unchanged.
    pub ok: usize,
    /// Listed but not there (or not readable).
    pub missing: Vec<String>,
    /// Listed, there, but with another size or hash.
    pub changed: Vec<String>,
    /// There but not listed (the manifest itself aside).
    pub unlisted: Vec<String>,
    /// Listed with a path that points outside the folder (never followed).
    pub invalid: Vec<String>,
}

impl Verification {
    /// Whether everything matches.
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty()
            && self.changed.is_empty()
            && self.unlisted.is_empty()
            && self.invalid.is_empty()
    }
}

/// Whether `rel` is a plain relative path that stays inside the folder.
fn is_inside(rel: &str) -> bool {
    let p = Path::new(rel);
    !rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Every file under `dir`, as `/`-separated paths relative to `dir`, sorted
/// (walked with `walkdir`; links are listed, not followed).
pub fn list_files(dir: &Path) -> std::io::Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1) {
        let entry = entry?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel: Vec<String> = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        out.insert(rel.join("/"));
    }
    Ok(out)
}

/// Re-hashes every file the manifest of `out_dir` lists and lists the files
/// that are missing, changed or not in the manifest.
pub fn verify(out_dir: &Path) -> Result<Verification, VerifyError> {
    let path = out_dir.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|source| VerifyError::Read {
        path: path.clone(),
        source,
    })?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|source| VerifyError::Parse {
            path: path.clone(),
            source,
        })?;
    let mut present = list_files(out_dir).map_err(|source| VerifyError::List {
        path: out_dir.to_path_buf(),
        source,
    })?;
    present.remove(MANIFEST);
    let mut result = Verification::default();
    for entry in &manifest.files {
        if !is_inside(&entry.path) {
            result.invalid.push(entry.path.clone());
            continue;
        }
        present.remove(&entry.path);
        match hash_file(&out_dir.join(&entry.path)) {
            Err(_) => result.missing.push(entry.path.clone()),
            Ok((bytes, sha)) if bytes != entry.bytes || sha != entry.sha256 => {
                result.changed.push(entry.path.clone())
            }
            Ok(_) => result.ok += 1,
        }
    }
    result.unlisted = present.into_iter().collect();
    Ok(result)
}
