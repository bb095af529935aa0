//! Golden files: every part of the three inputs' DOCX and XLSX, approved once
//! and committed under tests/golden/<input>/<docx|xlsx>/<part>, compared byte
//! for byte. The oracle is the approved file, not the code under test.
//!
//! To re-approve after an intended change (and list the change in the commit):
//!
//! ```sh
//! NIANBAO_APPROVE=1 cargo test golden
//! git diff --stat tests/golden
//! ```

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

const INPUTS: [&str; 3] = [
    "butaji-2024",
    "mouxian-ziranziyuan-2024",
    "moushi-zhengfuban-2024",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn parts(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).expect("entry");
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("inflates");
            (entry.name().to_string(), data)
        })
        .collect()
}

fn approved(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("golden folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).expect("inside");
                let name = name.to_string_lossy().replace('\\', "/");
                out.insert(name, std::fs::read(&path).expect("golden file"));
            }
        }
    }
    out
}

/// Where two byte strings first differ, with some context, for the message.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    let at = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let show = |s: &[u8]| {
        String::from_utf8_lossy(&s[at.saturating_sub(60)..(at + 60).min(s.len())]).into_owned()
    };
    format!(
        "byte {at}:\n approved: …{}…\n now:      …{}…",
        show(a),
        show(b)
    )
}

#[test]
fn outputs_equal_the_approved_golden_files() {
    let approve = std::env::var_os("NIANBAO_APPROVE").is_some();
    let out = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    for input in INPUTS {
        let status = Command::new(env!("CARGO_BIN_EXE_nianbao"))
            .current_dir(root())
            .args(["generate", &format!("inputs/{input}.toml"), "-o"])
            .arg(out.path().join(input))
            .output()
            .expect("runs");
        assert!(
            status.status.success(),
            "{input}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        for file in std::fs::read_dir(out.path().join(input)).expect("output folder") {
            let path = file.expect("file").path();
            let kind = path
                .extension()
                .and_then(|e| e.to_str())
                .expect("extension")
                .to_string();
            let now = parts(&std::fs::read(&path).expect("output"));
            let dir = root().join("tests/golden").join(input).join(&kind);
            if approve {
                let _ = std::fs::remove_dir_all(&dir);
                for (name, data) in &now {
                    let target = dir.join(name);
                    std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
                    std::fs::write(target, data).expect("write golden");
                }
                continue;
            }
            let then = approved(&dir);
            let names_now: Vec<_> = now.keys().collect();
            let names_then: Vec<_> = then.keys().collect();
            if names_now != names_then {
                failures.push(format!(
                    "{input}.{kind}: parts {names_now:?}, approved {names_then:?}"
                ));
                continue;
            }
            for (name, data) in &now {
                if then[name] != *data {
                    failures.push(format!(
                        "{input}.{kind} {name}: {}",
                        first_difference(&then[name], data)
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "outputs differ from the golden files (NIANBAO_APPROVE=1 cargo test golden re-approves an intended change):\n{}",
        failures.join("\n")
    );
}
