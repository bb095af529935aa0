//! Helpers shared by the DOCX tests: read a DOCX back with zip + roxmltree.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::Command;

use nianbao::model::Report;

/// The WordprocessingML namespace.
pub const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sample report of the repository.
pub fn sample() -> Report {
    nianbao::read_path(&root().join("inputs/butaji-2024.toml")).expect("sample loads")
}

/// A report from TOML text (after `[report]` with agency and year).
pub fn report(extra: &str) -> Report {
    Report::from_toml_str(
        &format!("[report]\nagency = \"某县统计局\"\nyear = 2024\n{extra}"),
        "test.toml",
    )
    .expect("test report loads")
}

/// Every entry of a zip archive, as text (all our parts are XML).
pub fn unzip(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    let mut parts = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        let mut s = String::new();
        f.read_to_string(&mut s).expect("UTF-8 entry");
        parts.insert(f.name().to_string(), s);
    }
    parts
}

/// Parses an XML part; panics with the part name when it is not well-formed.
pub fn parse<'a>(name: &str, xml: &'a str) -> roxmltree::Document<'a> {
    roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{name} is not well-formed: {e}"))
}

/// `w:<name>` attribute of a node.
pub fn wattr<'a>(n: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    n.attribute((W, name))
}

/// The first `w:<name>` child element.
pub fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children().find(|c| {
        c.is_element() && c.tag_name().namespace() == Some(W) && c.tag_name().name() == name
    })
}

/// All `w:<name>` child elements.
pub fn children<'a, 'i>(
    n: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    n.children().filter(move |c| {
        c.is_element() && c.tag_name().namespace() == Some(W) && c.tag_name().name() == name
    })
}

/// All `w:<name>` descendants (including `n`).
pub fn descendants<'a, 'i>(
    n: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    n.descendants().filter(move |c| {
        c.is_element() && c.tag_name().namespace() == Some(W) && c.tag_name().name() == name
    })
}

/// The text of a node: its `w:t` descendants concatenated.
pub fn text(n: roxmltree::Node) -> String {
    descendants(n, "t").filter_map(|t| t.text()).collect()
}

/// The ISO schemas: `$OOXML_SCHEMAS`, or `../shared/ooxml-schemas` beside
/// the repository. Missing, it is [`missing`]: the test fails under CI and
/// says it is skipped otherwise.
pub fn schemas() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("OOXML_SCHEMAS").map(PathBuf::from),
        Some(root().join("../shared/ooxml-schemas")),
        Some(PathBuf::from("/work/shared/ooxml-schemas")),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("ISO-IEC29500-4_2016/wml.xsd").is_file());
    if found.is_none() {
        missing("ISO schemas not found: ../shared/ooxml-schemas or $OOXML_SCHEMAS");
    }
    found
}

/// A program a test needs (`xmllint`, `soffice`, `pdftotext`): its path on
/// the PATH. When it is not installed the test cannot run: with `CI` set
/// this fails the test ([`missing`]); otherwise it prints
/// `SKIPPED (<name> not installed): <test>` and the test returns early.
///
/// ```ignore
/// let Some(xmllint) = tool("xmllint") else { return };
/// ```
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        missing(&format!("{name} not installed"));
    }
    found
}

/// Whether this run is CI's: `CI` is set (and not empty, `0` or `false`),
/// as every CI service and `.ci/run` set it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// The name of the running test (libtest names each test's thread after it).
pub fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("(unnamed test)")
        .to_string()
}

/// Something the running test needs is missing (`what`, e.g. `xmllint not
/// installed`). Under CI ([`in_ci`]) the test fails: a check that CI skips
/// silently is no check. Otherwise [`skipped`] says so.
pub fn missing(what: &str) {
    let test = test_name();
    assert!(
        !in_ci(),
        "{test}: {what}, and CI is set: CI must run this test (.ci/run installs the tools)"
    );
    skipped(what);
}

/// Prints `SKIPPED (<why>): <test>` on the process's standard error
/// directly, past libtest's capture, so that the line shows in a plain
/// `cargo test` run and not only with `--nocapture`.
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED ({why}): {}", test_name());
}

/// The DOCX of `report` with the embedded templates, through the public face.
pub fn docx_bytes(report: &Report) -> Vec<u8> {
    docx_bytes_with(report, nianbao::TextEngine::embedded())
}

/// The DOCX of `report` with the templates of `engine`.
pub fn docx_bytes_with(report: &Report, engine: &nianbao::TextEngine) -> Vec<u8> {
    let outputs = nianbao::Outputs {
        docx: true,
        xlsx: false,
        html: None,
    };
    let (mut files, _) =
        nianbao::render_with(report, "test.toml", outputs, engine).expect("renders");
    files.remove(0).bytes
}

/// The three inputs of inputs/ (real published reports).
pub const INPUTS: [&str; 3] = [
    "butaji-2024.toml",
    "moushi-zhengfuban-2024.toml",
    "mouxian-ziranziyuan-2024.toml",
];

/// An input of inputs/, by file name.
pub fn input(name: &str) -> Report {
    let path = root().join("inputs").join(name);
    nianbao::read_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Runs the `nianbao` binary with `args`: exit code (−1 for a signal),
/// stdout and stderr.
pub fn nianbao(args: &[&str]) -> (i32, String, String) {
    finished(Command::new(env!("CARGO_BIN_EXE_nianbao")).args(args))
}

/// [`nianbao`] run in the folder `dir`.
pub fn nianbao_in(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    finished(
        Command::new(env!("CARGO_BIN_EXE_nianbao"))
            .current_dir(dir)
            .args(args),
    )
}

fn finished(command: &mut Command) -> (i32, String, String) {
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The lines a renderer makes of `text` in a cell `room` wide, where a
/// Chinese character is `full` wide and an ASCII one half that: greedy; a
/// closing mark (、，。）” …) never opens a line and an opening one (（“)
/// never ends it (the character before moves down with it), as Word,
/// LibreOffice and Excel do for Chinese. Units as the caller's (twips, px).
pub fn wrap_cjk(text: &str, room: f64, full: f64) -> Vec<String> {
    const NO_START: &str = "、，。：；！？）”》";
    const NO_END: &str = "（“《";
    let width_of = |c: char| if c.is_ascii() { full / 2.0 } else { full };
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let mut used = 0.0;
    for c in text.chars() {
        let w = width_of(c);
        let line = lines.last_mut().unwrap();
        if used + w > room && !line.is_empty() {
            let mut carry = Vec::new();
            if NO_START.contains(c) && line.len() > 1 {
                carry.push(line.pop().unwrap());
            }
            while line.len() > 1 && line.last().is_some_and(|l| NO_END.contains(*l)) {
                carry.insert(0, line.pop().unwrap());
            }
            used = carry.iter().map(|&c| width_of(c)).sum();
            lines.push(carry);
        }
        lines.last_mut().unwrap().push(c);
        used += w;
    }
    lines.into_iter().map(|l| l.into_iter().collect()).collect()
}
