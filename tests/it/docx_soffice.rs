//! The sample converted with LibreOffice: the PDF holds the title, the six
//! headings, every table label and the sample's narrative. When `soffice` or
//! `pdftotext` is missing the test fails under CI and prints `SKIPPED (…)`
//! otherwise (CI installs libreoffice-writer-nogui, poppler-utils and
//! fonts-noto-cjk).

use std::process::Command;

use crate::common::*;

#[test]
fn libreoffice_converts_the_sample() {
    let (Some(soffice), Some(pdftotext)) = (tool("soffice"), tool("pdftotext")) else {
        return;
    };
    let report = sample();
    let dir = tempfile::tempdir().unwrap();
    let docx = dir.path().join("sample.docx");
    std::fs::write(&docx, crate::common::docx_bytes(&report)).unwrap();
    let profile = dir.path().join("profile");
    let status = Command::new(&soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&docx)
        .output()
        .expect("soffice runs");
    let pdf = dir.path().join("sample.pdf");
    // soffice exits 0 even when it could not load the file: check the PDF.
    assert!(
        pdf.is_file() && std::fs::metadata(&pdf).unwrap().len() > 1000,
        "no PDF: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let out = Command::new(&pdftotext)
        .args(["-enc", "UTF-8"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let text = String::from_utf8_lossy(&out.stdout);
    // Lines wrap anywhere in a PDF: compare without whitespace.
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let has = |s: &str| {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        flat.contains(&s)
    };
    assert!(has(&report.title()), "title missing");
    for h in nianbao::spec::outline::SECTION_HEADINGS {
        assert!(has(h), "heading {h} missing");
    }
    // Table labels wrap inside narrow cells (自然/人) and pdftotext may put
    // a neighbouring cell between the pieces: look for the label's
    // characters in order within a short window.
    let chars: Vec<char> = flat.chars().collect();
    let near = |label: &str| {
        let want: Vec<char> = label.chars().filter(|c| !c.is_whitespace()).collect();
        let window = want.len() * 80;
        (0..chars.len()).filter(|&i| chars[i] == want[0]).any(|i| {
            let mut k = 1;
            for &c in chars.iter().skip(i + 1).take(window) {
                if k < want.len() && c == want[k] {
                    k += 1;
                }
            }
            k == want.len()
        })
    };
    for t in nianbao::spec::tables::all() {
        for label in t.labels() {
            assert!(near(label), "{} label {label} missing", t.name);
        }
    }
    for block in nianbao::spec::outline::BLOCKS {
        let name = block.name;
        let block = report.text.get(name).unwrap();
        // The first sentence of each block of the sample.
        let first: String = block.split('。').next().unwrap().to_string();
        assert!(has(&first), "text.{name} missing: {first}");
    }
    let pages = text.matches('\u{c}').count();
    assert!((4..=7).contains(&pages), "{pages} pages");
}
