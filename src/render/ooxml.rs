//! The canonicalizing pass over the parts docx-rs builds, and the packer.
//!
//! docx-rs 0.4 writes several things out of the order ISO/IEC 29500 requires
//! (`rFonts` after `sz`/`b` in `rPr`, `rPr` first in `pPr`, `tcBorders` before
//! `gridSpan`/`vMerge`, `footerReference` last in `sectPr`, …), cannot express
//! `tblHeader` or `firstLineChars`, writes `w14:paraId` from a thread-local
//! counter and stores zip entries uncompressed. This module reads each XML
//! part with quick-xml (the property groups into a small tree, the rest
//! streamed through), fixes all of that, writes it back, and packs the parts
//! with deflate and fixed timestamps:
//!
//! - the children of every `*Pr` element (and of `styles`, `style`,
//!   `docDefaults`, `settings`, the border groups) in schema order;
//! - `w:tblHeader` in the first [`Fixes::header_rows`] rows of each table;
//! - `w:firstLineChars` beside a `w:firstLine` listed in [`Fixes::first_line_chars`];
//! - no `w14:*` attributes (paraId, textId), no `mc:Ignorable`, no `w:type` on `w:gridCol`,
//!   no empty `w:rPr` (docx-rs puts one in every `pPr`, also where the schema allows none);
//! - characters XML 1.0 forbids are refused, never written;
//! - the references to parts we leave out of the package ([`Fixes::omit_parts`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use quick_xml::Writer;
use quick_xml::events::attributes::Attributes;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::reader::Reader;

use crate::model::{forbidden_char, is_xml_char};
use crate::render::package::{self, PackageError, Part};

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
    #[error("{0}")]
    Package(#[from] PackageError),
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
    /// File names of parts left out of the package (e.g. `comments.xml`):
    /// their `Relationship` and content-type `Override` entries are removed.
    pub omit_parts: Vec<&'static str>,
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

/// A node of a buffered subtree. Names, attribute values and text stay as
/// they are in the input (already escaped), borrowed from it.
#[derive(Debug)]
enum Node<'x> {
    Element(Element<'x>),
    /// Escaped text, written back as it is.
    Text(&'x str),
}

#[derive(Debug)]
struct Element<'x> {
    name: &'x str,
    /// `(name, escaped value)`.
    attrs: Vec<(&'x str, Cow<'x, str>)>,
    children: Vec<Node<'x>>,
}

impl<'x> Element<'x> {
    fn local(&self) -> &'x str {
        local(self.name)
    }

    fn empty(name: &'static str) -> Element<'x> {
        Element {
            name,
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.attrs.is_empty() && self.children.is_empty()
    }
}

fn local(name: &str) -> &str {
    match name.find(':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// [`child_order`] as a map from child name to rank, built once per parent.
fn ranks(parent: &str) -> Option<&'static HashMap<&'static str, usize>> {
    static RANKS: LazyLock<HashMap<&'static str, HashMap<&'static str, usize>>> =
        LazyLock::new(|| {
            PARENTS
                .iter()
                .filter_map(|p| {
                    let order = child_order(p)?;
                    Some((*p, order.iter().enumerate().map(|(i, c)| (*c, i)).collect()))
                })
                .collect()
        });
    RANKS.get(parent)
}

/// The parents [`child_order`] knows.
const PARENTS: [&str; 15] = [
    "pPr",
    "rPr",
    "tcPr",
    "trPr",
    "tblPr",
    "sectPr",
    "tblBorders",
    "tcBorders",
    "pBdr",
    "tblCellMar",
    "tcMar",
    "styles",
    "docDefaults",
    "style",
    "settings",
];

fn is_word(name: &str) -> bool {
    name.starts_with("w:")
}

/// Elements read into a tree, fixed and written back whole: the property
/// groups (small) and the roots of the small parts whose children we order.
fn buffered(name: &[u8]) -> bool {
    matches!(
        name,
        b"w:pPr"
            | b"w:rPr"
            | b"w:tcPr"
            | b"w:trPr"
            | b"w:tblPr"
            | b"w:sectPr"
            | b"w:styles"
            | b"w:settings"
    )
}

/// Attributes we drop: extension attributes the ISO schema does not know
/// (`w14:paraId`, `w14:textId`, `mc:Ignorable`) and `w:type` on `w:gridCol`.
fn dropped(element: &str, attr: &str) -> bool {
    attr.starts_with("w14:")
        || attr == "mc:Ignorable"
        || (element == "w:gridCol" && attr == "w:type")
}

struct Parser<'x> {
    reader: Reader<&'x [u8]>,
    /// The whole part (valid UTF-8, checked first).
    text: &'x str,
    part: &'x str,
}

impl<'x> Parser<'x> {
    fn err(&self, message: impl Into<String>) -> OoxmlError {
        OoxmlError::Xml {
            part: self.part.to_string(),
            message: message.into(),
        }
    }

    /// `bytes` (borrowed from the input) as a `&'x str` of the input.
    fn borrowed(&self, bytes: &[u8]) -> Result<&'x str, OoxmlError> {
        let base = self.text.as_ptr() as usize;
        let start = (bytes.as_ptr() as usize).wrapping_sub(base);
        self.text
            .get(start..start + bytes.len())
            .ok_or_else(|| self.err("内部错误：事件不在输入中"))
    }

    /// The tag's name and attributes, borrowed from the input; dropped attributes left out.
    fn element(&self, e: &BytesStart) -> Result<Element<'x>, OoxmlError> {
        let raw = self.borrowed(e)?;
        let name_len = e.name().as_ref().len();
        let name = &raw[..name_len];
        let mut attrs = Vec::new();
        for a in Attributes::new(raw, name_len) {
            let a = a.map_err(|x| self.err(x.to_string()))?;
            let key = self.borrowed(a.key.as_ref())?;
            if dropped(name, key) {
                continue;
            }
            let value = self.borrowed(&a.value)?;
            attrs.push((key, Cow::Borrowed(value)));
        }
        Ok(Element {
            name,
            attrs,
            children: Vec::new(),
        })
    }

    /// Checks a character or entity reference.
    fn reference(&self, r: &quick_xml::events::BytesRef) -> Result<(), OoxmlError> {
        if r.is_char_ref() {
            let c = r
                .resolve_char_ref()
                .map_err(|e| self.err(e.to_string()))?
                .ok_or_else(|| self.err("无效的字符引用"))?;
            if !is_xml_char(c) {
                return Err(OoxmlError::ForbiddenChar {
                    part: self.part.to_string(),
                    code: c as u32,
                });
            }
            return Ok(());
        }
        match &**r {
            b"amp" | b"lt" | b"gt" | b"quot" | b"apos" => Ok(()),
            other => Err(self.err(format!("未知实体 &{};", String::from_utf8_lossy(other)))),
        }
    }

    fn next(&mut self) -> Result<Event<'x>, OoxmlError> {
        self.reader.read_event().map_err(|e| OoxmlError::Xml {
            part: self.part.to_string(),
            message: format!("{e}（字节 {}）", self.reader.buffer_position()),
        })
    }

    /// Reads the rest of the element `start` (whose start tag was just read) into a tree.
    fn subtree(&mut self, start: &BytesStart) -> Result<Element<'x>, OoxmlError> {
        let mut stack = vec![self.element(start)?];
        loop {
            let event = self.next()?;
            let top = stack.len() - 1;
            match event {
                Event::Start(e) => {
                    let el = self.element(&e)?;
                    stack.push(el);
                }
                Event::Empty(e) => {
                    let el = self.element(&e)?;
                    stack[top].children.push(Node::Element(el));
                }
                Event::End(_) => {
                    let el = stack.pop().ok_or_else(|| self.err("多余的结束标签"))?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(el)),
                        None => return Ok(el),
                    }
                }
                Event::Text(t) => {
                    let raw = self.borrowed(&t)?;
                    stack[top].children.push(Node::Text(raw));
                }
                Event::GeneralRef(r) => {
                    self.reference(&r)?;
                    // `&name;`: the bytes around the reference's name.
                    let name = self.borrowed(&r)?;
                    let base = self.text.as_ptr() as usize;
                    let at = name.as_ptr() as usize - base;
                    let raw = self
                        .text
                        .get(at - 1..at + name.len() + 1)
                        .ok_or_else(|| self.err("内部错误：引用不在输入中"))?;
                    stack[top].children.push(Node::Text(raw));
                }
                Event::CData(_) => return Err(self.err("属性中不应有 CDATA")),
                Event::Eof => return Err(self.err("元素未闭合")),
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
    }
}

/// Fixes one buffered element: `header` says whether it is the `trPr` of a
/// row that repeats after a page break.
fn transform(el: &mut Element, fixes: &Fixes, header: bool) {
    let name_local = el.local();
    if is_word(el.name) {
        match name_local {
            "ind" => add_first_line_chars(el, &fixes.first_line_chars),
            // docx-rs always writes an empty `Normal` style before the
            // document's own: a later style of the same id replaces an
            // earlier one (styles.xml may hold each id once).
            "styles" => {
                let id = |n: &Node| match n {
                    Node::Element(e) if e.name == "w:style" => e
                        .attrs
                        .iter()
                        .find(|(k, _)| *k == "w:styleId")
                        .map(|(_, v)| v.to_string()),
                    _ => None,
                };
                let ids: Vec<Option<String>> = el.children.iter().map(id).collect();
                let mut i = 0;
                el.children.retain(|_| {
                    let keep = ids[i]
                        .as_ref()
                        .is_none_or(|me| !ids[i + 1..].iter().any(|o| o.as_ref() == Some(me)));
                    i += 1;
                    keep
                });
            }
            "trPr" if header => {
                let has = el
                    .children
                    .iter()
                    .any(|c| matches!(c, Node::Element(e) if e.name == "w:tblHeader"));
                if !has {
                    el.children
                        .push(Node::Element(Element::empty("w:tblHeader")));
                }
            }
            _ => {}
        }
    }
    if el.children.is_empty() {
        return;
    }
    for child in &mut el.children {
        if let Node::Element(c) = child {
            transform(c, fixes, false);
        }
    }
    // docx-rs writes an empty `<w:rPr/>` into every `pPr`, where styles and
    // numbering (CT_PPrBase) allow none: empty run properties say nothing.
    el.children
        .retain(|c| !matches!(c, Node::Element(e) if e.name == "w:rPr" && e.is_empty()));
    if is_word(el.name)
        && let Some(order) = ranks(name_local)
    {
        let last = order.len();
        let rank = |n: &Node| match n {
            Node::Element(c) => c
                .name
                .strip_prefix("w:")
                .and_then(|l| order.get(l).copied())
                .unwrap_or(last),
            Node::Text(_) => last,
        };
        if !el.children.is_sorted_by_key(rank) {
            // Stable: equal ranks keep their order.
            el.children.sort_by_cached_key(rank);
        }
    }
}

fn add_first_line_chars(el: &mut Element, table: &[(i64, i64)]) {
    if el.attrs.iter().any(|(k, _)| *k == "w:firstLineChars") {
        return;
    }
    let Some(pos) = el.attrs.iter().position(|(k, _)| *k == "w:firstLine") else {
        return;
    };
    let Ok(twips) = el.attrs[pos].1.parse::<i64>() else {
        return;
    };
    if let Some((_, chars)) = table.iter().find(|(t, _)| *t == twips) {
        el.attrs
            .insert(pos + 1, ("w:firstLineChars", Cow::Owned(chars.to_string())));
    }
}

/// Writes an escaped attribute value between double quotes.
fn write_value(out: &mut Vec<u8>, value: &[u8]) {
    out.extend_from_slice(b"=\"");
    for &b in value {
        // A value from a single-quoted attribute may hold a raw `"`.
        if b == b'"' {
            out.extend_from_slice(b"&quot;");
        } else {
            out.push(b);
        }
    }
    out.push(b'"');
}

fn write(el: &Element, out: &mut Vec<u8>) {
    out.push(b'<');
    out.extend_from_slice(el.name.as_bytes());
    for (k, v) in &el.attrs {
        out.push(b' ');
        out.extend_from_slice(k.as_bytes());
        write_value(out, v.as_bytes());
    }
    if el.children.is_empty() {
        out.extend_from_slice(b"/>");
        return;
    }
    out.push(b'>');
    for child in &el.children {
        match child {
            Node::Element(c) => write(c, out),
            Node::Text(t) => out.extend_from_slice(t.as_bytes()),
        }
    }
    out.extend_from_slice(b"</");
    out.extend_from_slice(el.name.as_bytes());
    out.push(b'>');
}

/// Rewrites one XML part: schema order, the [`Fixes`], no extension
/// attributes, a standard declaration. `part` names it in errors.
///
/// The part is streamed: property groups (`pPr`, `rPr`, `tcPr`, `trPr`,
/// `tblPr`, `sectPr`) and the roots of `styles.xml`/`settings.xml` are read
/// into a small tree (borrowing from the input), fixed and written back;
/// everything else is copied through (minus the dropped attributes).
pub fn canonicalize(xml: &[u8], part: &str, fixes: &Fixes) -> Result<Vec<u8>, OoxmlError> {
    // Raw characters XML forbids (character references are checked as read).
    let text = std::str::from_utf8(xml).map_err(|e| OoxmlError::Xml {
        part: part.to_string(),
        message: e.to_string(),
    })?;
    if let Some(code) = forbidden_char(text).map(u32::from) {
        return Err(OoxmlError::ForbiddenChar {
            part: part.to_string(),
            code,
        });
    }
    let mut p = Parser {
        reader: Reader::from_reader(xml),
        text,
        part,
    };
    p.reader.config_mut().check_end_names = true;
    let mut out = Vec::with_capacity(xml.len() + xml.len() / 16);
    out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
    // For each open table: its header rows and the rows seen so far.
    let mut tables: Vec<(usize, usize)> = Vec::new();
    let mut tables_seen = 0;
    let mut depth = 0usize;
    let mut seen_root = false;
    // A header row whose `trPr` has not come yet.
    let mut pending_header = false;
    const HEADER_TR_PR: &[u8] = b"<w:trPr><w:tblHeader/></w:trPr>";
    loop {
        let event = p.next()?;
        let is_empty = matches!(event, Event::Empty(_));
        if pending_header {
            let settled = match &event {
                Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                    b"w:trPr" => Some(false),
                    b"w:tblPrEx" => None,
                    _ => Some(true),
                },
                Event::End(_) => Some(true),
                _ => None,
            };
            if let Some(insert) = settled {
                if insert {
                    out.extend_from_slice(HEADER_TR_PR);
                }
                pending_header = false;
            }
        }
        match event {
            Event::Start(e) | Event::Empty(e) if buffered(e.name().as_ref()) => {
                let mut el = if is_empty {
                    p.element(&e)?
                } else {
                    p.subtree(&e)?
                };
                let header = el.name == "w:trPr" && tables.last().is_some_and(|&(n, row)| row <= n);
                transform(&mut el, fixes, header);
                // An empty `<w:rPr/>` says nothing: leave it out.
                if !(el.name == "w:rPr" && el.is_empty()) {
                    write(&el, &mut out);
                }
                seen_root |= depth == 0;
            }
            Event::Start(e) => {
                match e.name().as_ref() {
                    b"w:tbl" => {
                        let n = fixes.header_rows.get(tables_seen).copied().unwrap_or(0);
                        tables_seen += 1;
                        tables.push((n, 0));
                    }
                    b"w:tr" => {
                        if let Some(t) = tables.last_mut() {
                            t.1 += 1;
                            pending_header = t.1 <= t.0;
                        }
                    }
                    _ => {}
                }
                copy_start(&p, &e, &mut out)?;
                out.push(b'>');
                depth += 1;
                seen_root = true;
            }
            Event::Empty(e)
                if !fixes.omit_parts.is_empty()
                    && matches!(e.name().as_ref(), b"Relationship" | b"Override")
                    && refers_to_omitted(&p.element(&e)?, &fixes.omit_parts) => {}
            Event::Empty(e) => {
                copy_start(&p, &e, &mut out)?;
                let header_row = e.name().as_ref() == b"w:tr"
                    && tables.last_mut().is_some_and(|t| {
                        t.1 += 1;
                        t.1 <= t.0
                    });
                if header_row {
                    out.push(b'>');
                    out.extend_from_slice(HEADER_TR_PR);
                    out.extend_from_slice(b"</w:tr>");
                } else {
                    out.extend_from_slice(b"/>");
                }
                seen_root |= depth == 0;
            }
            Event::End(e) => {
                if e.name().as_ref() == b"w:tbl" {
                    tables.pop();
                }
                depth = depth.saturating_sub(1);
                out.extend_from_slice(b"</");
                out.extend_from_slice(e.name().as_ref());
                out.push(b'>');
            }
            Event::Text(t) => {
                if depth > 0 {
                    out.extend_from_slice(&t);
                }
            }
            Event::CData(t) => {
                out.extend_from_slice(b"<![CDATA[");
                out.extend_from_slice(&t);
                out.extend_from_slice(b"]]>");
            }
            Event::GeneralRef(r) => {
                p.reference(&r)?;
                out.push(b'&');
                out.extend_from_slice(&r);
                out.push(b';');
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if depth != 0 {
        return Err(p.err("元素未闭合"));
    }
    if !seen_root {
        return Err(p.err("没有根元素"));
    }
    Ok(out)
}

/// Whether a `Relationship` (Target) or `Override` (PartName) names an omitted part.
fn refers_to_omitted(el: &Element, omit: &[&str]) -> bool {
    el.attrs.iter().any(|(k, v)| {
        (*k == "Target" || *k == "PartName")
            && omit.iter().any(|o| v.rsplit('/').next() == Some(*o))
    })
}

/// Copies a start tag (without its closing `>`), dropping the attributes of [`dropped`].
fn copy_start(p: &Parser, e: &BytesStart, out: &mut Vec<u8>) -> Result<(), OoxmlError> {
    let raw: &[u8] = e;
    let needs_filter = e.name().as_ref() == b"w:gridCol"
        || memchr::memmem::find(raw, b"w14:").is_some()
        || memchr::memmem::find(raw, b"mc:Ignorable").is_some();
    if !needs_filter {
        out.push(b'<');
        out.extend_from_slice(raw);
        return Ok(());
    }
    let el = p.element(e)?;
    out.push(b'<');
    out.extend_from_slice(el.name.as_bytes());
    for (k, v) in &el.attrs {
        out.push(b' ');
        out.extend_from_slice(k.as_bytes());
        write_value(out, v.as_bytes());
    }
    Ok(())
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

/// One font of `word/fontTable.xml`.
#[derive(Debug, Clone, Copy)]
pub struct FontEntry {
    /// The name runs use, e.g. `仿宋_GB2312`.
    pub name: &'static str,
    /// The name of a font to use where this one is missing, e.g. `仿宋`.
    pub alt_name: Option<&'static str>,
    /// Character set, hex: `86` (GB2312), `00` (ANSI).
    pub charset: &'static str,
    /// `roman`, `swiss`, `modern`, `script`, `decorative` or `auto`.
    pub family: &'static str,
    /// `fixed`, `variable` or `default`.
    pub pitch: &'static str,
}

/// `word/fontTable.xml` listing `fonts`, with the alternative names and the
/// GB2312 character set that let Word and WPS substitute a font the machine
/// lacks (仿宋_GB2312 → 仿宋) instead of falling back to a default.
pub fn font_table_xml(fonts: &[FontEntry]) -> Result<Vec<u8>, OoxmlError> {
    let mut out = Vec::with_capacity(200 + 200 * fonts.len());
    let mut w = Writer::new(&mut out);
    w.write_event(Event::Decl(BytesDecl::new(
        "1.0",
        Some("UTF-8"),
        Some("yes"),
    )))?;
    w.get_mut().push(b'\n');
    let mut root = BytesStart::new("w:fonts");
    root.push_attribute((
        "xmlns:w",
        "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    ));
    w.write_event(Event::Start(root))?;
    let val = |w: &mut Writer<&mut Vec<u8>>, name: &str, value: &str| {
        let mut e = BytesStart::new(name);
        e.push_attribute(("w:val", value));
        w.write_event(Event::Empty(e))
    };
    for f in fonts {
        let mut e = BytesStart::new("w:font");
        e.push_attribute(("w:name", f.name));
        w.write_event(Event::Start(e))?;
        // CT_Font order: altName, panose1, charset, family, notTrueType, pitch.
        if let Some(alt) = f.alt_name {
            val(&mut w, "w:altName", alt)?;
        }
        val(&mut w, "w:charset", f.charset)?;
        val(&mut w, "w:family", f.family)?;
        val(&mut w, "w:pitch", f.pitch)?;
        w.write_event(Event::End(BytesEnd::new("w:font")))?;
    }
    w.write_event(Event::End(BytesEnd::new("w:fonts")))?;
    Ok(out)
}

/// Packs `(path, bytes)` parts into a zip archive: in the given order,
/// deflated, every entry dated 1980-01-01 00:00 (no wall-clock time).
pub fn pack<N: AsRef<str>, B: AsRef<[u8]>>(parts: &[(N, B)]) -> Result<Vec<u8>, OoxmlError> {
    let parts: Vec<Part> = parts
        .iter()
        .map(|(n, b)| Part::Deflate(n.as_ref(), b.as_ref()))
        .collect();
    Ok(package::pack(&parts)?)
}

/// Packs parts that are zip archives themselves (DOCX, XLSX) into one:
/// stored, since deflating them again costs time and saves almost nothing;
/// in the given order, every entry dated 1980-01-01 00:00.
pub fn pack_stored<N: AsRef<str>, B: AsRef<[u8]>>(parts: &[(N, B)]) -> Result<Vec<u8>, OoxmlError> {
    let parts: Vec<Part> = parts
        .iter()
        .map(|(n, b)| Part::Store(n.as_ref(), b.as_ref()))
        .collect();
    Ok(package::pack(&parts)?)
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
            out.contains(r#"<w:p xmlns:w="w" xmlns:w14="x"><w:pPr><w:spacing w:line="579"/><w:ind w:firstLine="640" w:firstLineChars="200"/><w:jc w:val="both"/></w:pPr></w:p>"#),
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
        assert!(out.contains("A&amp;B &lt;c&gt; \"q\" &#x41;"), "{out}");
    }

    #[test]
    fn a_later_style_replaces_one_of_the_same_id() {
        let out = canon(
            r#"<w:styles xmlns:w="w"><w:docDefaults/><w:style w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:styleId="Normal"><w:name w:val="Normal"/><w:rPr><w:sz w:val="32"/></w:rPr></w:style><w:style w:styleId="Other"/></w:styles>"#,
            &Fixes::default(),
        );
        assert_eq!(out.matches("w:styleId=\"Normal\"").count(), 1, "{out}");
        assert!(out.contains("<w:sz w:val=\"32\"/>"), "{out}");
        assert!(out.contains("Other"), "{out}");
    }

    #[test]
    fn omitted_parts_lose_their_references() {
        let out = canon(
            r#"<Relationships xmlns="r"><Relationship Id="rId1" Target="styles.xml"/><Relationship Id="rId2" Target="comments.xml"/><Relationship Id="rId3" Target="docProps/custom.xml"/></Relationships>"#,
            &Fixes {
                omit_parts: vec!["comments.xml", "custom.xml"],
                ..Fixes::default()
            },
        );
        assert!(out.contains("styles.xml"), "{out}");
        assert!(
            !out.contains("comments.xml") && !out.contains("custom.xml"),
            "{out}"
        );
    }

    #[test]
    fn forbidden_characters_are_refused() {
        let err = canonicalize("<a>x&#x1;</a>".as_bytes(), "p.xml", &Fixes::default());
        assert!(err.is_err());
        let err = canonicalize("<a>x\u{b}</a>".as_bytes(), "p.xml", &Fixes::default()).unwrap_err();
        assert!(err.to_string().contains("U+000B"), "{err}");
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of this private module, run as unit tests.

    #[test]
    fn module_example() {
        use crate::render::ooxml::{Fixes, canonicalize};
        let xml = br#"<w:r xmlns:w="w"><w:rPr><w:sz w:val="32"/><w:b/><w:rFonts w:eastAsia="x"/></w:rPr></w:r>"#;
        let out = canonicalize(xml, "word/document.xml", &Fixes::default()).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains(r#"<w:rPr><w:rFonts w:eastAsia="x"/><w:b/><w:sz w:val="32"/></w:rPr>"#),
            "{out}"
        );
    }

    #[test]
    fn core_xml() {
        let xml = crate::render::ooxml::core_xml(&crate::render::ooxml::CoreProperties {
            title: "A & B".into(),
            author: "某局".into(),
            created: "2025-01-20T00:00:00Z".into(),
        })
        .unwrap();
        let xml = String::from_utf8(xml).unwrap();
        assert!(xml.contains("<dc:title>A &amp; B</dc:title>"));
    }

    #[test]
    fn font_table_xml() {
        use crate::render::ooxml::{FontEntry, font_table_xml};
        let xml = font_table_xml(&[FontEntry {
            name: "仿宋_GB2312",
            alt_name: Some("仿宋"),
            charset: "86",
            family: "modern",
            pitch: "fixed",
        }])
        .unwrap();
        let xml = String::from_utf8(xml).unwrap();
        assert!(
            xml.contains(
                r#"<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/><w:charset w:val="86"/>"#
            ),
            "{xml}"
        );
    }
}
