//! The operating system's refusals reach the user in Chinese, naming the
//! path, without its English (`os error …`) and without a writer's debugging
//! text (issue 8, messages: `os error 21`, `ZipWriter::drop` on a full disk).
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::nianbao_in as nianbao;

fn inputs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("inputs")
}

/// No English of the system or of a writer in `text`.
fn assert_no_english(text: &str) {
    for english in [
        "os error",
        "ZipWriter",
        "No such",
        "Not a directory",
        "expected",
    ] {
        assert!(!text.contains(english), "{english:?} in {text}");
    }
}

#[test]
fn batch_output_folder_below_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("afile"), "x").unwrap();
    let input = inputs();
    let (code, _, err) = nianbao(
        dir.path(),
        &["batch", input.to_str().unwrap(), "-o", "afile/out"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("afile/out: 无法创建输出目录：路径中的某一级不是文件夹"),
        "{err}"
    );
    assert_no_english(&err);
}

#[test]
fn templates_folder_that_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("afile"), "x").unwrap();
    let input = inputs().join("butaji-2024.toml");
    let (code, _, err) = nianbao(
        dir.path(),
        &[
            "generate",
            input.to_str().unwrap(),
            "--templates",
            "afile",
            "-o",
            "out",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("afile：无法读取模板：不是文件夹"), "{err}");
    assert_no_english(&err);
}

#[test]
fn verify_without_or_with_a_broken_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = nianbao(dir.path(), &["verify", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("manifest.json: 无法读取清单：文件不存在"),
        "{err}"
    );
    assert_no_english(&err);

    let manifest = dir.path().join("manifest.json");
    std::fs::write(&manifest, "{\"files\": [\n").unwrap();
    let (code, _, err) = nianbao(dir.path(), &["verify", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("manifest.json: 清单格式错误（第 2 行）：文件意外结束"),
        "{err}"
    );
    assert_no_english(&err);

    std::fs::write(&manifest, "{\"files\": x}").unwrap();
    let (code, _, err) = nianbao(dir.path(), &["verify", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("manifest.json: 清单格式错误（第 1 行第 11 列）：不是有效的 JSON"),
        "{err}"
    );
    assert_no_english(&err);

    std::fs::write(&manifest, "{\"files\": 1}").unwrap();
    let (code, _, err) = nianbao(dir.path(), &["verify", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("不是 nianbao batch 写的清单"), "{err}");
    assert_no_english(&err);
}

/// A tmpfs of 64 KiB mounted at `at`, unmounted on drop; `None` where
/// mounting is not permitted (not root, a container without the right).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path) -> Option<Tmpfs> {
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A batch into a disk that fills: exit 2 and, for every file that did not
/// fit, the file and `磁盘空间已满`; no debugging text of the zip writer (the
/// workbooks are built in memory and written like any other file).
#[test]
fn batch_onto_a_full_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let Some(_disk) = Tmpfs::mount(&mnt) else {
        eprintln!("SKIPPED batch_onto_a_full_disk: cannot mount a tmpfs here (needs root)");
        return;
    };
    let input = inputs();
    let (code, out, err) = nianbao(
        dir.path(),
        &["batch", input.to_str().unwrap(), "-o", "mnt/out"],
    );
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("磁盘空间已满"), "{err}");
    assert!(
        err.contains("mnt/out"),
        "the file or folder is named: {err}"
    );
    assert_no_english(&out);
    assert_no_english(&err);
    for line in out.lines().filter(|l| l.contains("写入失败")) {
        assert!(
            line.contains("mnt/out/") && line.contains("磁盘空间已满"),
            "{line}"
        );
    }
    // No temporary file is left on the full disk.
    for entry in std::fs::read_dir(mnt.join("out")).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(!nianbao::is_temp_name(&name.to_string_lossy()), "{name:?}");
    }
}
