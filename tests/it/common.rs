//! Helpers shared by the DOCX tests: read a DOCX back with zip + roxmltree.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

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

/// The ISO schemas: `$OOXML_SCHEMAS`, or `../shared/ooxml-schemas` beside the repository.
pub fn schemas() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("OOXML_SCHEMAS").map(PathBuf::from),
        Some(root().join("../shared/ooxml-schemas")),
        Some(PathBuf::from("/work/shared/ooxml-schemas")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("ISO-IEC29500-4_2016/wml.xsd").is_file())
}

/// Whether a program is on the PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| is_executable(&d.join(program))))
}

fn is_executable(p: &Path) -> bool {
    p.is_file()
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
    };
    let (mut files, _) =
        nianbao::render_with(report, "test.toml", outputs, engine).expect("renders");
    files.remove(0).bytes
}
