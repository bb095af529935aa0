//! The canonicalizing pass over the parts docx-rs builds, and the packer.
//!
//! docx-rs 0.4 writes several things out of the order ISO/IEC 29500 requires
//! (`rFonts` after `sz`/`b` in `rPr`, `rPr` first in `pPr`, `tcBorders` before
//! `gridSpan`/`vMerge`, `footerReference` last in `sectPr`, …), cannot express
//! `tblHeader` or `firstLineChars`, writes `w14:paraId` from a thread-local
//! counter and stores zip entries uncompressed. This module reads each XML
//! part with quick-xml into a small tree, fixes all of that, writes it back
//! with quick-xml, and packs the parts with deflate and fixed timestamps:
//!
//! - the children of every `*Pr` element (and of `tbl`, `tr`, `tc`, `styles`,
//!   `style`, `docDefaults`, `settings`, the border groups) in schema order;
//! - `w:tblHeader` in the first [`Fixes::header_rows`] rows of each table;
//! - `w:firstLineChars` beside a `w:firstLine` listed in [`Fixes::first_line_chars`];
//! - no `w14:*` attributes (paraId, textId), no `mc:Ignorable`, no `w:type` on `w:gridCol`,
//!   no empty `w:rPr` (docx-rs puts one in every `pPr`, also where the schema allows none);
//! - characters XML 1.0 forbids are refused, never written.
//!
//! ```
//! use nianbao::ooxml::{canonicalize, Fixes};
//! let xml = br#"<w:r xmlns:w="w"><w:rPr><w:sz w:val="32"/><w:b/><w:rFonts w:eastAsia="x"/></w:rPr></w:r>"#;
//! let out = canonicalize(xml, "word/document.xml", &Fixes::default()).unwrap();
//! let out = String::from_utf8(out).unwrap();
//! assert!(out.contains(r#"<w:rPr><w:rFonts w:eastAsia="x"/><w:b/><w:sz w:val="32"/></w:rPr>"#), "{out}");
//! ```

use std::io::{Cursor, Write};

use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::reader::Reader;

use crate::text::is_xml_char;

/// Why a part could not be canonicalized or packed.
#[derive(Debug, thiserror::Error)]
pub enum OoxmlError {
    /// A part is not well-formed XML (a bug of the builder).
    #[error("{part}: XML 解析失败：{message}")]
    Xml {
        /// The part, e.g. `word/document.xml`.
        part: String,
        /// What the parser said.
        message: String,
    },
    /// A part holds a character XML 1.0 forbids.
    #[error("{part}: 含有 XML 不允许的字符 U+{code:04X}，不能写入文档")]
    ForbiddenChar {
        /// The part.
        part: String,
        /// The code point.
        code: u32,
    },
    /// Writing the zip archive failed.
    #[error("打包 DOCX 失败：{0}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing failed.
    #[error("写入失败：{0}")]
    Io(#[from] std::io::Error),
}

/// What to add while canonicalizing `word/document.xml`.
#[derive(Debug, Clone, Default)]
pub struct Fixes {
    /// For each table of the document, in order: how many of its first rows
    /// repeat after a page break (`w:tblHeader`).
    pub header_rows: Vec<usize>,
    /// `(firstLine twips, firstLineChars)`: an indent of that many twips gets
    /// the character indent beside it (e.g. `(640, 200)`: 2 characters of 16 pt).
    pub first_line_chars: Vec<(i64, i64)>,
}

/// ECMA-376 / ISO 29500 child order for the elements whose children we sort.
/// Children not listed keep their relative order, after the listed ones.
fn child_order(parent: &str) -> Option<&'static [&'static str]> {
    Some(match parent {
        "pPr" => &[
            "pStyle",
            "keepNext",
            "keepLines",
            "pageBreakBefore",
            "framePr",
            "widowControl",
            "numPr",
            "suppressLineNumbers",
            "pBdr",
            "shd",
            "tabs",
            "suppressAutoHyphens",
            "kinsoku",
            "wordWrap",
            "overflowPunct",
            "topLinePunct",
            "autoSpaceDE",
            "autoSpaceDN",
            "bidi",
            "adjustRightInd",
            "snapToGrid",
            "spacing",
            "ind",
            "contextualSpacing",
            "mirrorIndents",
            "suppressOverlap",
            "jc",
            "textDirection",
            "textAlignment",
            "textboxTightWrap",
            "outlineLvl",
            "divId",
            "cnfStyle",
            "rPr",
            "sectPr",
            "pPrChange",
        ],
        "rPr" => &[
            "ins",
            "del",
            "moveFrom",
            "moveTo",
            "rStyle",
            "rFonts",
            "b",
            "bCs",
            "i",
            "iCs",
            "caps",
            "smallCaps",
            "strike",
            "dstrike",
            "outline",
            "shadow",
            "emboss",
            "imprint",
            "noProof",
            "snapToGrid",
            "vanish",
            "webHidden",
            "color",
            "spacing",
            "w",
            "kern",
            "position",
            "sz",
            "szCs",
            "highlight",
            "u",
            "effect",
            "bdr",
            "shd",
            "fitText",
            "vertAlign",
            "rtl",
            "cs",
            "em",
            "lang",
            "eastAsianLayout",
            "specVanish",
            "oMath",
            "rPrChange",
        ],
        "tcPr" => &[
            "cnfStyle",
            "tcW",
            "gridSpan",
            "hMerge",
            "vMerge",
            "tcBorders",
            "shd",
            "noWrap",
            "tcMar",
            "textDirection",
            "tcFitText",
            "vAlign",
            "hideMark",
            "headers",
            "cellIns",
            "cellDel",
            "cellMerge",
            "tcPrChange",
        ],
        "trPr" => &[
            "cnfStyle",
            "divId",
            "gridBefore",
            "gridAfter",
            "wBefore",
            "wAfter",
            "cantSplit",
            "trHeight",
            "tblHeader",
            "tblCellSpacing",
            "jc",
            "hidden",
            "ins",
            "del",
            "trPrChange",
        ],
        "tblPr" => &[
            "tblStyle",
            "tblpPr",
            "tblOverlap",
            "bidiVisual",
            "tblStyleRowBandSize",
            "tblStyleColBandSize",
            "tblW",
            "jc",
            "tblCellSpacing",
            "tblInd",
            "tblBorders",
            "shd",
            "tblLayout",
            "tblCellMar",
            "tblLook",
            "tblCaption",
            "tblDescription",
            "tblPrChange",
        ],
        "sectPr" => &[
            "headerReference",
            "footerReference",
            "footnotePr",
            "endnotePr",
            "type",
            "pgSz",
            "pgMar",
            "paperSrc",
            "pgBorders",
            "lnNumType",
            "pgNumType",
            "cols",
            "formProt",
            "vAlign",
            "noEndnote",
            "titlePg",
            "textDirection",
            "bidi",
            "rtlGutter",
            "docGrid",
            "printerSettings",
            "sectPrChange",
        ],
        "tblBorders" | "tcBorders" | "pBdr" | "tblCellMar" | "tcMar" => &[
            "top", "start", "left", "bottom", "end", "right", "between", "bar", "insideH",
            "insideV", "tl2br", "tr2bl",
        ],
        "tbl" => &["tblPr", "tblGrid"],
        "tr" => &["tblPrEx", "trPr"],
        "tc" => &["tcPr"],
        "p" => &["pPr"],
        "r" => &["rPr"],
        "styles" => &["docDefaults", "latentStyles", "style"],
        "docDefaults" => &["rPrDefault", "pPrDefault"],
        "style" => &[
            "name",
            "aliases",
            "basedOn",
            "next",
            "link",
            "autoRedefine",
            "hidden",
            "uiPriority",
            "semiHidden",
            "unhideWhenUsed",
            "qFormat",
            "locked",
            "personal",
            "personalCompose",
            "personalReply",
            "rsid",
            "pPr",
            "rPr",
            "tblPr",
            "trPr",
            "tcPr",
            "tblStylePr",
        ],
        "settings" => &[
            "writeProtection",
            "view",
            "zoom",
            "removePersonalInformation",
            "removeDateAndTime",
            "doNotDisplayPageBoundaries",
            "displayBackgroundShape",
            "printPostScriptOverText",
            "printFractionalCharacterWidth",
            "printFormsData",
            "embedTrueTypeFonts",
            "embedSystemFonts",
            "saveSubsetFonts",
            "saveFormsData",
            "mirrorMargins",
            "alignBordersAndEdges",
            "bordersDoNotSurroundHeader",
            "bordersDoNotSurroundFooter",
            "gutterAtTop",
            "hideSpellingErrors",
            "hideGrammaticalErrors",
            "activeWritingStyle",
            "proofState",
            "formsDesign",
            "attachedTemplate",
            "linkStyles",
            "stylePaneFormatFilter",
            "stylePaneSortMethod",
            "documentType",
            "mailMerge",
            "revisionView",
            "trackRevisions",
            "doNotTrackMoves",
            "doNotTrackFormatting",
            "documentProtection",
            "autoFormatOverride",
            "styleLockTheme",
            "styleLockQFSet",
            "defaultTabStop",
            "autoHyphenation",
            "consecutiveHyphenLimit",
            "hyphenationZone",
            "doNotHyphenateCaps",
            "showEnvelope",
            "summaryLength",
            "clickAndTypeStyle",
            "defaultTableStyle",
            "evenAndOddHeaders",
            "bookFoldRevPrinting",
            "bookFoldPrinting",
            "bookFoldPrintingSheets",
            "drawingGridHorizontalSpacing",
            "drawingGridVerticalSpacing",
            "displayHorizontalDrawingGridEvery",
            "displayVerticalDrawingGridEvery",
            "doNotUseMarginsForDrawingGridOrigin",
            "drawingGridHorizontalOrigin",
            "drawingGridVerticalOrigin",
            "doNotShadeFormData",
            "noPunctuationKerning",
            "characterSpacingControl",
            "printTwoOnOne",
            "strictFirstAndLastChars",
            "noLineBreaksAfter",
            "noLineBreaksBefore",
            "savePreviewPicture",
            "doNotValidateAgainstSchema",
            "saveInvalidXml",
            "ignoreMixedContent",
            "alwaysShowPlaceholderText",
            "doNotDemarcateInvalidXml",
            "saveXmlDataOnly",
            "useXSLTWhenSaving",
            "saveThroughXslt",
            "showXMLTags",
            "alwaysMergeEmptyNamespace",
            "updateFields",
            "hdrShapeDefaults",
            "footnotePr",
            "endnotePr",
            "compat",
            "docVars",
            "rsids",
            "mathPr",
            "attachedSchema",
            "themeFontLang",
            "clrSchemeMapping",
            "doNotIncludeSubdocsInStats",
            "doNotAutoCompressPictures",
            "forceUpgrade",
            "captions",
            "readModeInkLockDown",
            "smartTagType",
            "schemaLibrary",
            "shapeDefaults",
            "doNotEmbedSmartTags",
            "decimalSymbol",
            "listSeparator",
        ],
        _ => return None,
    })
}

#[derive(Debug)]
enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

impl Element {
    fn local(&self) -> &str {
        local(&self.name)
    }
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn is_word(name: &str) -> bool {
    name.starts_with("w:")
}

/// Reads `xml` into a tree: the root element (declaration, comments and
/// processing instructions are dropped; the writer adds its own declaration).
fn parse(xml: &[u8], part: &str) -> Result<Element, OoxmlError> {
    let err = |message: String| OoxmlError::Xml {
        part: part.to_string(),
        message,
    };
    let check = |s: &str| -> Result<(), OoxmlError> {
        match s.chars().find(|&c| !is_xml_char(c)) {
            Some(c) => Err(OoxmlError::ForbiddenChar {
                part: part.to_string(),
                code: c as u32,
            }),
            None => Ok(()),
        }
    };
    let start = |e: &BytesStart| -> Result<Element, OoxmlError> {
        let name = std::str::from_utf8(e.name().as_ref())
            .map_err(|x| err(x.to_string()))?
            .to_string();
        let mut attrs = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|x| err(x.to_string()))?;
            let key = std::str::from_utf8(a.key.as_ref())
                .map_err(|x| err(x.to_string()))?
                .to_string();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|x| err(x.to_string()))?
                .into_owned();
            check(&value)?;
            attrs.push((key, value));
        }
        Ok(Element {
            name,
            attrs,
            children: Vec::new(),
        })
    };
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut buf = Vec::new();
    let push_text = |stack: &mut Vec<Element>, s: &str| {
        if let Some(top) = stack.last_mut() {
            if let Some(Node::Text(t)) = top.children.last_mut() {
                t.push_str(s);
            } else {
                top.children.push(Node::Text(s.to_string()));
            }
        }
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| err(format!("{e}（字节 {}）", reader.buffer_position())))?;
        match event {
            Event::Start(e) => stack.push(start(&e)?),
            Event::Empty(e) => {
                let el = start(&e)?;
                match stack.last_mut() {
                    Some(top) => top.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| err("多余的结束标签".into()))?;
                match stack.last_mut() {
                    Some(top) => top.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content().map_err(|e| err(e.to_string()))?;
                check(&s)?;
                push_text(&mut stack, &s);
            }
            Event::CData(t) => {
                let s = std::str::from_utf8(&t).map_err(|e| err(e.to_string()))?;
                check(s)?;
                push_text(&mut stack, s);
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|e| err(e.to_string()))?
                        .ok_or_else(|| err("无效的字符引用".into()))?
                } else {
                    match &*r {
                        b"amp" => '&',
                        b"lt" => '<',
                        b"gt" => '>',
                        b"quot" => '"',
                        b"apos" => '\'',
                        other => {
                            return Err(err(format!(
                                "未知实体 &{};",
                                String::from_utf8_lossy(other)
                            )));
                        }
                    }
                };
                check(c.encode_utf8(&mut [0; 4]))?;
                push_text(&mut stack, c.encode_utf8(&mut [0; 4]));
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(err("元素未闭合".into()));
    }
    root.ok_or_else(|| err("没有根元素".into()))
}

struct State<'a> {
    fixes: &'a Fixes,
    tables: usize,
}

fn transform(el: &mut Element, st: &mut State) {
    el.attrs
        .retain(|(k, _)| !k.starts_with("w14:") && k != "mc:Ignorable");
    let name_local = el.local().to_string();
    if is_word(&el.name) {
        match name_local.as_str() {
            "gridCol" => el.attrs.retain(|(k, _)| k != "w:type"),
            "ind" => add_first_line_chars(el, &st.fixes.first_line_chars),
            "tbl" => {
                let n = st.fixes.header_rows.get(st.tables).copied().unwrap_or(0);
                st.tables += 1;
                mark_header_rows(el, n);
            }
            _ => {}
        }
    }
    for child in &mut el.children {
        if let Node::Element(c) = child {
            transform(c, st);
        }
    }
    // docx-rs writes an empty `<w:rPr/>` into every `pPr`, where styles and
    // numbering (CT_PPrBase) allow none: empty run properties say nothing.
    el.children.retain(|c| {
        !matches!(c, Node::Element(e) if e.name == "w:rPr" && e.attrs.is_empty() && e.children.is_empty())
    });
    if is_word(&el.name)
        && let Some(order) = child_order(&name_local)
    {
        let rank = |n: &Node| match n {
            Node::Element(c) => order
                .iter()
                .position(|o| *o == c.local())
                .unwrap_or(order.len()),
            Node::Text(_) => order.len(),
        };
        // Stable: equal ranks keep their order.
        el.children.sort_by_key(rank);
    }
}

fn add_first_line_chars(el: &mut Element, table: &[(i64, i64)]) {
    if el.attrs.iter().any(|(k, _)| k == "w:firstLineChars") {
        return;
    }
    let Some(pos) = el.attrs.iter().position(|(k, _)| k == "w:firstLine") else {
        return;
    };
    let Ok(twips) = el.attrs[pos].1.parse::<i64>() else {
        return;
    };
    if let Some((_, chars)) = table.iter().find(|(t, _)| *t == twips) {
        el.attrs
            .insert(pos + 1, ("w:firstLineChars".into(), chars.to_string()));
    }
}

fn mark_header_rows(tbl: &mut Element, n: usize) {
    let rows = tbl.children.iter_mut().filter_map(|c| match c {
        Node::Element(e) if e.name == "w:tr" => Some(e),
        _ => None,
    });
    for row in rows.take(n) {
        let has_trpr = row
            .children
            .iter()
            .any(|c| matches!(c, Node::Element(e) if e.name == "w:trPr"));
        if !has_trpr {
            row.children.insert(
                0,
                Node::Element(Element {
                    name: "w:trPr".into(),
                    attrs: Vec::new(),
                    children: Vec::new(),
                }),
            );
        }
        for c in &mut row.children {
            if let Node::Element(tr_pr) = c
                && tr_pr.name == "w:trPr"
            {
                let has = tr_pr
                    .children
                    .iter()
                    .any(|c| matches!(c, Node::Element(e) if e.name == "w:tblHeader"));
                if !has {
                    tr_pr.children.push(Node::Element(Element {
                        name: "w:tblHeader".into(),
                        attrs: Vec::new(),
                        children: Vec::new(),
                    }));
                }
            }
        }
    }
}

fn write(el: &Element, w: &mut Writer<&mut Vec<u8>>) -> std::io::Result<()> {
    let mut start = BytesStart::new(el.name.as_str());
    for (k, v) in &el.attrs {
        start.push_attribute((k.as_str(), v.as_str()));
    }
    if el.children.is_empty() {
        return w.write_event(Event::Empty(start));
    }
    w.write_event(Event::Start(start))?;
    for child in &el.children {
        match child {
            Node::Element(c) => write(c, w)?,
            // Text needs only `&`, `<` and `>` escaped: quotes stay themselves.
            Node::Text(t) => w.write_event(Event::Text(BytesText::from_escaped(
                partial_escape(t.as_str()),
            )))?,
        }
    }
    w.write_event(Event::End(BytesEnd::new(el.name.as_str())))
}

/// Rewrites one XML part: schema order, the [`Fixes`], no extension
/// attributes, a standard declaration. `part` names it in errors.
pub fn canonicalize(xml: &[u8], part: &str, fixes: &Fixes) -> Result<Vec<u8>, OoxmlError> {
    let mut root = parse(xml, part)?;
    let mut st = State { fixes, tables: 0 };
    transform(&mut root, &mut st);
    let mut out = Vec::with_capacity(xml.len() + xml.len() / 8);
    let mut w = Writer::new(&mut out);
    w.write_event(Event::Decl(BytesDecl::new(
        "1.0",
        Some("UTF-8"),
        Some("yes"),
    )))?;
    w.get_mut().push(b'\n');
    write(&root, &mut w)?;
    Ok(out)
}

/// Document core properties (`docProps/core.xml`).
#[derive(Debug, Clone)]
pub struct CoreProperties {
    /// `dc:title`.
    pub title: String,
    /// `dc:creator` and `cp:lastModifiedBy`.
    pub author: String,
    /// `dcterms:created` and `dcterms:modified`, ISO 8601 (`2025-01-20T00:00:00Z`).
    pub created: String,
}

/// `docProps/core.xml` with title, author and dates (no wall-clock time).
///
/// ```
/// let xml = nianbao::ooxml::core_xml(&nianbao::ooxml::CoreProperties {
///     title: "A & B".into(), author: "某局".into(), created: "2025-01-20T00:00:00Z".into(),
/// }).unwrap();
/// let xml = String::from_utf8(xml).unwrap();
/// assert!(xml.contains("<dc:title>A &amp; B</dc:title>"));
/// ```
pub fn core_xml(p: &CoreProperties) -> Result<Vec<u8>, OoxmlError> {
    let mut out = Vec::with_capacity(800);
    let mut w = Writer::new(&mut out);
    w.write_event(Event::Decl(BytesDecl::new(
        "1.0",
        Some("UTF-8"),
        Some("yes"),
    )))?;
    w.get_mut().push(b'\n');
    let mut root = BytesStart::new("cp:coreProperties");
    for (k, v) in [
        (
            "xmlns:cp",
            "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
        ),
        ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
        ("xmlns:dcterms", "http://purl.org/dc/terms/"),
        ("xmlns:dcmitype", "http://purl.org/dc/dcmitype/"),
        ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
    ] {
        root.push_attribute((k, v));
    }
    w.write_event(Event::Start(root))?;
    let simple = |w: &mut Writer<&mut Vec<u8>>, name: &str, text: &str| -> std::io::Result<()> {
        w.write_event(Event::Start(BytesStart::new(name)))?;
        w.write_event(Event::Text(BytesText::new(text)))?;
        w.write_event(Event::End(BytesEnd::new(name)))
    };
    simple(&mut w, "dc:title", &p.title)?;
    simple(&mut w, "dc:creator", &p.author)?;
    simple(&mut w, "cp:lastModifiedBy", &p.author)?;
    simple(&mut w, "cp:revision", "1")?;
    for name in ["dcterms:created", "dcterms:modified"] {
        let mut s = BytesStart::new(name);
        s.push_attribute(("xsi:type", "dcterms:W3CDTF"));
        w.write_event(Event::Start(s))?;
        w.write_event(Event::Text(BytesText::new(&p.created)))?;
        w.write_event(Event::End(BytesEnd::new(name)))?;
    }
    w.write_event(Event::End(BytesEnd::new("cp:coreProperties")))?;
    Ok(out)
}

/// Packs `(path, bytes)` parts into a zip archive: in the given order,
/// deflated, every entry dated 1980-01-01 00:00 (no wall-clock time).
pub fn pack(parts: &[(String, Vec<u8>)]) -> Result<Vec<u8>, OoxmlError> {
    let total: usize = parts.iter().map(|(_, b)| b.len()).sum();
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(total / 4 + 1024)));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (path, bytes) in parts {
        zip.start_file(path.as_str(), options)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(xml: &str, fixes: &Fixes) -> String {
        String::from_utf8(canonicalize(xml.as_bytes(), "t.xml", fixes).unwrap()).unwrap()
    }

    #[test]
    fn orders_ppr_and_tcpr() {
        let out = canon(
            r#"<w:p xmlns:w="w" xmlns:w14="x" w14:paraId="00000001"><w:pPr><w:rPr/><w:jc w:val="both"/><w:ind w:firstLine="640"/><w:spacing w:line="579"/></w:pPr></w:p>"#,
            &Fixes {
                first_line_chars: vec![(640, 200)],
                ..Fixes::default()
            },
        );
        assert!(
            out.contains(r#"<w:p xmlns:w="w" xmlns:w14="x"><w:pPr><w:spacing w:line="579"/><w:ind w:firstLine="640" w:firstLineChars="200"/><w:jc w:val="both"/><w:rPr/></w:pPr></w:p>"#),
            "{out}"
        );
    }

    #[test]
    fn header_rows_and_escaping() {
        let out = canon(
            r#"<w:tbl xmlns:w="w"><w:tr><w:tc><w:p><w:r><w:t>A&amp;B &lt;c&gt; "q" &#x41;</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:trPr><w:cantSplit/></w:trPr></w:tr><w:tr/></w:tbl>"#,
            &Fixes {
                header_rows: vec![2],
                ..Fixes::default()
            },
        );
        assert!(
            out.contains(r#"<w:tr><w:trPr><w:tblHeader/></w:trPr><w:tc>"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr></w:tr><w:tr/>"#),
            "{out}"
        );
        assert!(out.contains("A&amp;B &lt;c&gt; \"q\" A"), "{out}");
    }

    #[test]
    fn forbidden_characters_are_refused() {
        let err = canonicalize("<a>x&#x1;</a>".as_bytes(), "p.xml", &Fixes::default());
        assert!(err.is_err());
        let err = canonicalize("<a>x\u{b}</a>".as_bytes(), "p.xml", &Fixes::default()).unwrap_err();
        assert!(err.to_string().contains("U+000B"), "{err}");
    }
}
