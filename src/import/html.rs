//! A web page (.html) into the neutral shape. The page is parsed by
//! html5ever (through `scraper`), the HTML5 parsing algorithm that browsers
//! use, so that the unclosed `<p>` and `<td>`, stray tags and entities of
//! real government pages come out as a browser shows them. Block elements
//! give paragraphs (`<br>` breaks a paragraph); tables expand `rowspan` and
//! `colspan`; a table that holds tables is a layout frame, read as the page.
//! Scripts, styles, navigation and forms are left out. The walk is
//! iterative with a depth limit, so no page can exhaust the stack.

use ego_tree::NodeRef;
use scraper::{Html, Node};

use super::shape::{Block, Doc, MAX_TABLES, SourceCell, layout, tidy};

/// The deepest element nesting followed.
const MAX_DEPTH: usize = 256;

/// Elements whose content is not the report's.
const SKIPPED: [&str; 12] = [
    "script", "style", "noscript", "template", "nav", "select", "option", "button", "iframe",
    "svg", "head", "form",
];
/// Elements that end a paragraph.
const BLOCKS: [&str; 22] = [
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "hr",
];

/// Reads a page's paragraphs and tables.
pub fn read(text: &str) -> Doc {
    let html = Html::parse_document(text);
    let mut doc = Doc::default();
    let mut out = Out::default();
    walk(html.tree.root(), &mut out, 0);
    out.flush();
    doc.blocks = out.blocks;
    doc
}

#[derive(Default)]
struct Out {
    blocks: Vec<Block>,
    para: String,
    tables: usize,
}

impl Out {
    fn flush(&mut self) {
        let p = tidy(&std::mem::take(&mut self.para));
        if !p.is_empty() {
            self.blocks.push(Block::Para(p));
        }
    }
}

fn name<'a>(node: &NodeRef<'a, Node>) -> Option<&'a str> {
    node.value().as_element().map(|e| e.name())
}

/// Walks the children of `node` into `out` (an explicit stack: no recursion
/// on the page's depth beyond tables, which are bounded by [`MAX_DEPTH`]).
fn walk(node: NodeRef<'_, Node>, out: &mut Out, depth: usize) {
    // (node, entering?)
    let mut stack: Vec<(NodeRef<'_, Node>, bool, usize)> = node
        .children()
        .rev()
        .map(|c| (c, true, depth + 1))
        .collect();
    while let Some((n, entering, d)) = stack.pop() {
        if d > MAX_DEPTH {
            continue;
        }
        match n.value() {
            Node::Text(t) if entering && out.para.len() < 1_000_000 => out.para.push_str(t),
            Node::Element(e) => {
                let tag = e.name();
                if SKIPPED.contains(&tag) {
                    continue;
                }
                if tag == "table" {
                    if entering {
                        out.flush();
                        table(n, out, d);
                    }
                    continue;
                }
                let block = BLOCKS.contains(&tag) || tag == "td" || tag == "th";
                if block {
                    out.flush();
                }
                if entering {
                    stack.push((n, false, d));
                    for c in n.children().rev() {
                        stack.push((c, true, d + 1));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The elements under `node` named `tag`, not looking inside nested tables.
fn own<'a>(node: NodeRef<'a, Node>, tags: &[&str]) -> Vec<NodeRef<'a, Node>> {
    let mut found = Vec::new();
    let mut stack: Vec<NodeRef<'a, Node>> = node.children().rev().collect();
    while let Some(n) = stack.pop() {
        match name(&n) {
            Some(t) if tags.contains(&t) => found.push(n),
            Some("table") => {}
            _ => stack.extend(n.children().rev()),
        }
    }
    found
}

fn has_nested_table(node: NodeRef<'_, Node>) -> bool {
    node.descendants()
        .skip(1)
        .any(|d| name(&d) == Some("table"))
}

/// A table: a data table becomes a grid; a layout frame is read as the page.
fn table(node: NodeRef<'_, Node>, out: &mut Out, depth: usize) {
    if has_nested_table(node) {
        for row in own(node, &["tr"]) {
            for cell in own(row, &["td", "th"]) {
                walk(cell, out, depth + 1);
                out.flush();
            }
        }
        return;
    }
    out.tables += 1;
    if out.tables > MAX_TABLES {
        return;
    }
    let rows: Vec<Vec<SourceCell>> = own(node, &["tr"])
        .into_iter()
        .map(|row| {
            own(row, &["td", "th"])
                .into_iter()
                .map(|cell| {
                    let e = cell.value().as_element();
                    let span = |a: &str| {
                        e.and_then(|e| e.attr(a))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(1)
                    };
                    let mut c = SourceCell::new(text_of(cell));
                    c.col_span = span("colspan");
                    c.row_span = span("rowspan");
                    c
                })
                .collect()
        })
        .collect();
    out.blocks.push(Block::Table(layout(&rows)));
}

/// The text of a cell, without scripts and styles.
fn text_of(node: NodeRef<'_, Node>) -> String {
    let mut s = String::new();
    let mut stack: Vec<(NodeRef<'_, Node>, usize)> =
        node.children().rev().map(|c| (c, 1)).collect();
    while let Some((n, d)) = stack.pop() {
        if d > MAX_DEPTH || s.len() > 100_000 {
            continue;
        }
        match n.value() {
            Node::Text(t) => {
                s.push_str(t);
                s.push(' ');
            }
            Node::Element(e) if !SKIPPED.contains(&e.name()) => {
                stack.extend(n.children().rev().map(|c| (c, d + 1)));
            }
            _ => {}
        }
    }
    tidy(&s)
}
