//! The PDF, converted from our DOCX by LibreOffice through [`nianbao::Office`]:
//! every sentence of the sample's DOCX in it (pdftotext), every font
//! embedded (pdffonts), the page count LibreOffice gives the DOCX itself,
//! title and author from the report, the same bytes twice, many documents
//! in one run, and a LibreOffice killed in the middle of a run reported
//! clearly, with the next run working.

use std::process::Command;
use std::time::Duration;

use nianbao::{Office, OutputFile, Outputs, PdfError};

use crate::common::{root, sample, tool, unzip};

fn docx(report: &nianbao::model::Report) -> OutputFile {
    let outputs = Outputs {
        docx: true,
        xlsx: false,
        html: None,
    };
    let (mut files, _) = nianbao::render(report, "test.toml", outputs).expect("renders");
    files.remove(0)
}

/// The tools the tests need, or `None` (skipped, failed under CI).
fn tools() -> Option<()> {
    for t in ["soffice", "pdftotext", "pdffonts", "pdfinfo"] {
        tool(t)?;
    }
    Some(())
}

fn run(tool: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(tool).args(args).output().expect("runs");
    assert!(out.status.success(), "{tool}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `pdfinfo`'s field `name`.
fn info(pdf: &std::path::Path, name: &str) -> Option<String> {
    run("pdfinfo", &[pdf.as_os_str()])
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
}

/// The body paragraphs of a DOCX (outside its tables), as text.
fn docx_sentences(bytes: &[u8]) -> Vec<String> {
    let xml = unzip(bytes).remove("word/document.xml").expect("document");
    let doc = crate::common::parse("document", &xml);
    let body = crate::common::descendants(doc.root(), "body")
        .next()
        .expect("body");
    crate::common::children(body, "p")
        .map(crate::common::text)
        .flat_map(|p| {
            p.split('。')
                .map(|s| s.chars().filter(|c| !c.is_whitespace()).collect::<String>())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// `text` without its `—N—`.
fn without_page_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('—') {
        out.push_str(&rest[..i]);
        let after = &rest[i + '—'.len_utf8()..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with('—') {
            rest = &after[digits + '—'.len_utf8()..];
        } else {
            out.push('—');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn the_sample_pdf_has_every_sentence_every_font_embedded_and_the_docx_page_count() {
    let Some(()) = tools() else { return };
    let work = tempfile::tempdir().expect("temp dir");
    let mut office = Office::start(Some(work.path())).expect("LibreOffice starts");
    assert!(
        office.version().starts_with("LibreOffice"),
        "{}",
        office.version()
    );
    let report = sample();
    let docx = docx(&report);
    let pdfs = nianbao::pdfs(&mut office, std::slice::from_ref(&docx)).expect("converts");
    assert_eq!(pdfs[0].name, format!("{}.pdf", report.title()));
    let pdf = work.path().join("sample.pdf");
    std::fs::write(&pdf, &pdfs[0].bytes).expect("write");
    // The same bytes again.
    let again = nianbao::pdfs(&mut office, std::slice::from_ref(&docx)).expect("converts");
    assert!(
        again[0].bytes == pdfs[0].bytes,
        "the PDF differs between two runs"
    );

    let text = run(
        "pdftotext",
        &[
            "-enc".as_ref(),
            "UTF-8".as_ref(),
            pdf.as_os_str(),
            "-".as_ref(),
        ],
    );
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    // Without the page numbers (`— 2 —`) that stand between a page's last
    // line and the next page's first.
    let flat = without_page_numbers(&flat);
    let sentences = docx_sentences(&docx.bytes);
    assert!(sentences.len() > 20, "{sentences:?}");
    for s in &sentences {
        assert!(flat.contains(s.as_str()), "not in the PDF: {s}");
    }

    let fonts = run("pdffonts", &[pdf.as_os_str()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        // name type encoding emb sub uni object ID: `emb` is the 4th from the end but 3.
        let fields: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(fields[fields.len() - 5], "yes", "not embedded: {row}");
    }

    assert_eq!(
        info(&pdf, "Title").as_deref(),
        Some(report.title().as_str())
    );
    assert_eq!(
        info(&pdf, "Author").as_deref(),
        Some(report.report.agency.as_str())
    );
    assert_eq!(info(&pdf, "CreationDate"), None, "a creation time is left");

    // LibreOffice's own page count of the DOCX: converted as a person would,
    // with the same fonts.
    let plain = work.path().join("plain");
    let input = work.path().join("sample.docx");
    std::fs::write(&input, &docx.bytes).expect("write");
    let status = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            work.path().join("plain-profile").display()
        ))
        .env("FONTCONFIG_FILE", root().join("assets/fonts.conf"))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&plain)
        .arg(&input)
        .output()
        .expect("soffice runs");
    let reference = plain.join("sample.pdf");
    assert!(reference.is_file(), "{status:?}");
    let pages = info(&pdf, "Pages");
    assert!(pages.is_some());
    assert_eq!(pages, info(&reference, "Pages"));
}

#[test]
fn many_documents_convert_in_one_run_and_a_killed_run_is_reported() {
    let Some(()) = tools() else { return };
    let work = tempfile::tempdir().expect("temp dir");
    let mut office = Office::start(Some(work.path())).expect("LibreOffice starts");
    let docs: Vec<OutputFile> = [
        "butaji-2024.toml",
        "mouxian-ziranziyuan-2024.toml",
        "moushi-zhengfuban-2024.toml",
    ]
    .iter()
    .map(|n| docx(&nianbao::read_path(&root().join("inputs").join(n)).expect("loads")))
    .collect();
    let pdfs = nianbao::pdfs(&mut office, &docs).expect("converts");
    assert_eq!(pdfs.len(), 3);
    for (d, p) in docs.iter().zip(&pdfs) {
        assert_eq!(
            p.name.trim_end_matches(".pdf"),
            d.name.trim_end_matches(".docx")
        );
        assert!(p.bytes.starts_with(b"%PDF-"));
    }

    // Killed in the middle of a run: the run says so, the next one works.
    let profile = work.path().to_path_buf();
    let killer = std::thread::spawn(move || {
        for _ in 0..600 {
            std::thread::sleep(Duration::from_millis(50));
            for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
                let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
                let cmdline = String::from_utf8_lossy(&cmdline);
                if cmdline.contains("soffice.bin")
                    && cmdline.contains(&profile.display().to_string())
                    && cmdline.contains("--convert-to")
                {
                    let pid = entry.file_name().to_string_lossy().to_string();
                    let _ = Command::new("kill").args(["-9", &pid]).status();
                    return true;
                }
            }
        }
        false
    });
    let killed = nianbao::pdfs(&mut office, &docs);
    assert!(killer.join().expect("killer"), "soffice.bin was not found");
    match killed {
        Err(e @ PdfError::Crashed(_)) => {
            assert!(
                e.to_string().contains("LibreOffice 转换 PDF 时异常退出"),
                "{e}"
            )
        }
        other => panic!("not reported as killed: {:?}", other.map(|f| f.len())),
    }
    let pdfs = nianbao::pdfs(&mut office, &docs[..1]).expect("the next run works");
    assert_eq!(pdfs.len(), 1);

    // A run over its time limit is killed and reported.
    office.timeout = Duration::ZERO;
    office.per_document = Duration::ZERO;
    let one = [docs[0].bytes.as_slice()];
    match office.convert(&one) {
        Err(e @ PdfError::Hung(_)) => assert!(e.to_string().contains("超时"), "{e}"),
        other => panic!("not reported as hung: {:?}", other.map(|f| f.len())),
    }
}

/// `generate --pdf` writes the PDF beside the DOCX and the XLSX.
#[test]
fn generate_pdf_writes_the_pdf_beside_the_docx() {
    let Some(()) = tools() else { return };
    let out = tempfile::tempdir().expect("temp dir");
    let run = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["generate", "--pdf", "-o"])
        .arg(out.path())
        .arg(root().join("inputs/butaji-2024.toml"))
        .output()
        .expect("runs");
    assert!(run.status.success(), "{run:?}");
    let title = sample().title();
    for name in [
        format!("{title}.docx"),
        format!("{title}统计表.xlsx"),
        format!("{title}.pdf"),
    ] {
        assert!(out.path().join(&name).is_file(), "{name}: {run:?}");
    }
}

/// Without LibreOffice, `generate --pdf` says which Debian packages to
/// install, and writes nothing.
#[test]
fn without_libreoffice_the_message_names_the_packages() {
    let out = tempfile::tempdir().expect("temp dir");
    let empty = tempfile::tempdir().expect("temp dir");
    let run = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .args(["generate", "--pdf", "-o"])
        .arg(out.path().join("out"))
        .arg(root().join("inputs/butaji-2024.toml"))
        .env("PATH", empty.path())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("未找到 LibreOffice") && stderr.contains("libreoffice-writer-nogui"),
        "{stderr}"
    );
    assert!(!out.path().join("out").exists());
}

/// `batch` run by the binary; its exit code, stdout and stderr.
fn batch_cli(args: &[&std::ffi::OsStr], path: Option<&std::ffi::OsStr>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nianbao"));
    cmd.arg("batch").args(args);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let out = cmd.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Three synthetic inputs in `dir/in`.
fn three_inputs(dir: &std::path::Path) -> std::path::PathBuf {
    let inputs = dir.join("in");
    nianbao::batch::write_sample_inputs(3, &inputs).expect("inputs");
    inputs
}

fn read_manifest(out: &std::path::Path) -> nianbao::batch::manifest::Manifest {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
        .expect("parses")
}

/// `batch --pdf`: a PDF beside each DOCX, each in the manifest, `verify`
/// clean, LibreOffice's version recorded; the PDFs hold their agency.
#[test]
fn batch_pdf_lists_every_pdf_and_the_libreoffice_version() {
    let Some(()) = tools() else { return };
    let tmp = tempfile::tempdir().expect("temp dir");
    let inputs = three_inputs(tmp.path());
    let out = tmp.path().join("out");
    let (code, stdout, stderr) = batch_cli(
        &[
            "--pdf".as_ref(),
            "-o".as_ref(),
            out.as_os_str(),
            inputs.as_os_str(),
        ],
        None,
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let m = read_manifest(&out);
    let version = m.libreoffice.clone().expect("the LibreOffice version");
    assert!(version.starts_with("LibreOffice "), "{version}");
    let pdfs: Vec<_> = m
        .files
        .iter()
        .filter(|e| e.path.ends_with(".pdf"))
        .collect();
    assert_eq!(pdfs.len(), 3, "{:?}", m.files);
    for pdf in pdfs {
        let docx = pdf.path.replace(".pdf", ".docx");
        let docx = m.files.iter().find(|e| e.path == docx).expect("its DOCX");
        assert_eq!((&pdf.agency, &pdf.source), (&docx.agency, &docx.source));
        let path = out.join(&pdf.path);
        let text = run(
            "pdftotext",
            &[
                "-enc".as_ref(),
                "UTF-8".as_ref(),
                path.as_os_str(),
                "-".as_ref(),
            ],
        );
        let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let agency: String = pdf
            .agency
            .as_deref()
            .expect("agency")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert!(flat.contains(&agency), "{agency} not in {}", pdf.path);
    }
    let v = nianbao::batch::manifest::verify(&out).expect("verifies");
    assert!(v.is_clean(), "{v:?}");
    assert_eq!(v.ok, m.files.len());
    // A changed PDF is caught.
    let first = m
        .files
        .iter()
        .find(|e| e.path.ends_with(".pdf"))
        .expect("pdf");
    std::fs::write(out.join(&first.path), b"%PDF-1.4").expect("write");
    let v = nianbao::batch::manifest::verify(&out).expect("verifies");
    assert_eq!(v.changed, vec![first.path.clone()]);
}

/// A stand-in `soffice` (a shell script first on the PATH): it gives a
/// version; it dies on a run of several documents; on a run of one it
/// writes a stand-in PDF, or dies as well when `FAKE_SOFFICE=crash`.
fn fake_soffice(dir: &std::path::Path) -> std::ffi::OsString {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let script = r#"#!/bin/sh
for a in "$@"; do [ "$a" = --version ] && { echo "LibreOffice 0.0.0.0 stand-in"; exit 0; }; done
out=""; n=0; files=""
while [ $# -gt 0 ]; do
  case "$1" in
    --outdir) out="$2"; shift ;;
    *.docx) files="$files $1"; n=$((n + 1)) ;;
  esac
  shift
done
if [ "$FAKE_SOFFICE" = crash ] || [ "$n" -gt 1 ]; then kill -9 $$; fi
for f in $files; do printf '%%PDF-1.4 stand-in\n' > "$out/$(basename "$f" .docx).pdf"; done
"#;
    let path = bin.join("soffice");
    std::fs::write(&path, script).expect("script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let mut paths = vec![bin];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).expect("PATH")
}

/// A run of several documents that dies is done again one by one: every
/// agency still gets its PDF. When LibreOffice dies on every document, each
/// agency says so in the batch report and keeps its DOCX and XLSX, the
/// batch finishes, and the manifest (without a version) verifies.
#[test]
fn batch_pdf_failures_are_told_per_agency_and_the_others_go_on() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let inputs = three_inputs(tmp.path());
    let path = fake_soffice(tmp.path());
    let out = tmp.path().join("out");
    let args = [
        "--pdf".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        inputs.as_os_str(),
    ];
    let (code, stdout, stderr) = batch_cli(&args, Some(&path));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let m = read_manifest(&out);
    assert_eq!(
        m.libreoffice.as_deref(),
        Some("LibreOffice 0.0.0.0 stand-in")
    );
    assert_eq!(
        m.files.iter().filter(|e| e.path.ends_with(".pdf")).count(),
        3
    );

    let out = tmp.path().join("crash");
    let args = [
        "--pdf".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        inputs.as_os_str(),
    ];
    let output = Command::new(env!("CARGO_BIN_EXE_nianbao"))
        .arg("batch")
        .args(args)
        .env("PATH", &path)
        .env("FAKE_SOFFICE", "crash")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(
        stderr
            .matches("PDF 未生成：LibreOffice 转换 PDF 时异常退出")
            .count(),
        3,
        "{stderr}"
    );
    let m = read_manifest(&out);
    assert_eq!(m.libreoffice, None);
    assert_eq!(
        m.files.iter().filter(|e| e.path.ends_with(".pdf")).count(),
        0
    );
    assert_eq!(
        m.files.iter().filter(|e| e.path.ends_with(".docx")).count(),
        3
    );
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("check-report.json")).expect("check report"),
    )
    .expect("json");
    let text = report.to_string();
    assert_eq!(text.matches("PDF 未生成").count(), 3, "{text}");
    let v = nianbao::batch::manifest::verify(&out).expect("verifies");
    assert!(v.is_clean(), "{v:?}");
    // And the manifest of a batch without --pdf has no version at all.
    let plain = tmp.path().join("plain");
    let (code, _, stderr) = batch_cli(
        &["-o".as_ref(), plain.as_os_str(), inputs.as_os_str()],
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(plain.join("manifest.json")).expect("manifest");
    assert!(!text.contains("libreoffice"), "{text}");
}
