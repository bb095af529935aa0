//! The web version of the report for the agency's 政府信息公开 page: the
//! same outline and text blocks as the DOCX, the three tables as real HTML
//! tables walked from [`crate::spec::tables`] (every merge a `rowspan` or
//! `colspan`, every label a `<th scope>`), nothing spelled here.
//!
//! Two forms ([`Html`]): a whole page (UTF-8, one inline `<style>`, no
//! script), or a fragment for pasting into a CMS editor, which keeps no
//! `<style>` element: there the same rules are written on each element as a
//! `style` attribute. Both come from one list of rules ([`RULES`]).
//!
//! On a phone each table scrolls sideways in its own box, which keyboard users
//! can focus and scroll (`tabindex="0"`, `role="region"`, named by the table's
//! heading: WCAG 2.1 AA 2.1.1, 1.4.10); text contrast is at least 12:1.
//! Everything the clerk typed is escaped. The same input gives the same bytes.
//!
//! ```
//! let report = nianbao::read_path("inputs/butaji-2024.toml".as_ref()).unwrap();
//! let outputs = nianbao::Outputs { html: Some(nianbao::Html::Page), ..Default::default() };
//! let (files, _) = nianbao::render(&report, "butaji-2024.toml", outputs).unwrap();
//! let html = String::from_utf8(files[2].bytes.clone()).unwrap();
//! assert!(files[2].name.ends_with("年政府信息公开工作年度报告.html"));
//! assert!(html.starts_with("<!DOCTYPE html>") && html.contains("rowspan=\"22\""));
//! ```

use std::fmt::Write;

use crate::model::Report;
use crate::spec::grid::Figures;
use crate::spec::outline;
use crate::spec::tables::{self, Align, Cell, Content, Table};
use crate::text::Blocks;

/// Which form of the web version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Html {
    /// A whole page: `<!DOCTYPE html>`, `<head>` with the title and the style sheet.
    Page,
    /// The article alone, styled by `style` attributes, for a CMS editor.
    Fragment,
}

/// The style rules, by class: in a page a `<style>` element holds them and
/// the elements name their class; in a fragment each element carries its
/// rule as a `style` attribute. Text is #1a1a1a on white or on #f2f2f2
/// (contrast 17.4:1 and 15.9:1); borders #595959 (7:1).
const RULES: [(&str, &str); 12] = [
    (
        "nb",
        "max-width:56em;margin:0 auto;padding:1em;color:#1a1a1a;background:#ffffff;\
         font-family:'仿宋_GB2312','FangSong','STFangsong',serif;font-size:1em;line-height:1.8",
    ),
    (
        "nb-title",
        "font-family:'方正小标宋简体','SimSun','Songti SC',serif;font-size:1.5em;\
         font-weight:bold;text-align:center;line-height:1.5;margin:.5em 0 1em",
    ),
    (
        "nb-h",
        "font-family:'黑体','SimHei','Heiti SC',sans-serif;font-size:1.1em;\
         font-weight:bold;text-align:left;margin:1em 0 .5em",
    ),
    ("nb-p", "text-indent:2em;margin:.4em 0;text-align:justify"),
    (
        "nb-head",
        "font-family:'楷体_GB2312','KaiTi','STKaiti',serif;font-weight:bold",
    ),
    ("nb-sign", "text-align:right;margin:0;padding-right:2em"),
    ("nb-box", "overflow-x:auto;margin:.5em 0 1.5em"),
    ("nb-caption", "text-align:left"),
    (
        "nb-table",
        "border-collapse:collapse;width:100%;font-size:.875em;line-height:1.5",
    ),
    (
        "nb-th",
        "border:1px solid #595959;padding:.3em .4em;text-align:center;\
         vertical-align:middle;font-weight:normal;background:#f2f2f2",
    ),
    (
        "nb-td",
        "border:1px solid #595959;padding:.3em .4em;text-align:center;vertical-align:middle",
    ),
    ("nb-left", "text-align:left"),
];

/// The rules of the page's `<style>` that have no inline form: the visible
/// focus of a table's box (WCAG 2.4.7).
const PAGE_ONLY: &str = ".nb-box:focus{outline:3px solid #1a4f9c;outline-offset:2px}";

/// The width of a table's narrowest column, in em of the table's text, below
/// which the table scrolls instead of squeezing its labels (three characters
/// on one line).
const MIN_COL_EM: f64 = 3.8;

/// The attribute that gives an element the style of `classes`.
fn style(form: Html, classes: &[&str]) -> String {
    styled(form, classes, "")
}

/// [`style`] and the rule `own` of this element alone.
fn styled(form: Html, classes: &[&str], own: &str) -> String {
    let mut rules: Vec<&str> = match form {
        Html::Page => Vec::new(),
        Html::Fragment => classes
            .iter()
            .filter_map(|c| RULES.iter().find(|(name, _)| name == c))
            .map(|(_, rule)| *rule)
            .collect(),
    };
    rules.extend((!own.is_empty()).then_some(own));
    let mut out = String::new();
    if form == Html::Page {
        let _ = write!(out, " class=\"{}\"", classes.join(" "));
    }
    if !rules.is_empty() {
        let _ = write!(out, " style=\"{}\"", rules.join(";"));
    }
    out
}

/// `text` with `& < > " '` escaped, fit for an element or an attribute value.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The web version of `report`, its text blocks already rendered.
pub fn html_bytes(report: &Report, blocks: &Blocks, form: Html) -> Vec<u8> {
    let title = escape(&report.title());
    let mut out = String::with_capacity(64 * 1024);
    if form == Html::Page {
        let css: String = RULES
            .iter()
            .map(|(class, rule)| format!(".{class}{{{rule}}}\n"))
            .collect();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"author\" content=\"{}\">\n<title>{title}</title>\n\
             <style>\nbody{{margin:0;background:#ffffff}}\n{css}{PAGE_ONLY}\n</style>\n</head>\n<body>\n",
            escape(&report.report.agency)
        );
    }
    let _ = writeln!(out, "<article lang=\"zh-CN\"{}>", style(form, &["nb"]));
    let _ = writeln!(out, "<h1{}>{title}</h1>", style(form, &["nb-title"]));
    let figures = Figures::new(report);
    for (section, heading) in outline::SECTION_HEADINGS.iter().enumerate() {
        if section == outline::FIRST_TABLE_SECTION {
            for (i, t) in tables::all().into_iter().enumerate() {
                table(&mut out, form, t, i + 1, &figures);
            }
        }
        if outline::is_table_section(section) {
            continue;
        }
        let _ = writeln!(
            out,
            "<h2{}>{}</h2>",
            style(form, &["nb-h"]),
            escape(heading)
        );
        let mut numbered = 0;
        for name in outline::templates_of(section) {
            let head = outline::head(&report.headings, name).map(|head| {
                numbered += 1;
                super::numbered_head(numbered, head)
            });
            paragraphs(&mut out, form, head, blocks.get(name));
        }
    }
    if let Some(date) = report.report.issued_on {
        for line in [report.report.agency.clone(), date.to_chinese()] {
            let _ = writeln!(out, "<p{}>{}</p>", style(form, &["nb-sign"]), escape(&line));
        }
    }
    out.push_str("</article>\n");
    if form == Html::Page {
        out.push_str("</body>\n</html>\n");
    }
    out.into_bytes()
}

/// The paragraphs of a block, the first led by its run-in head.
fn paragraphs(out: &mut String, form: Html, head: Option<String>, texts: &[String]) {
    let head = head.map(|h| format!("<span{}>{}</span>", style(form, &["nb-head"]), escape(&h)));
    let p = style(form, &["nb-p"]);
    if texts.is_empty() {
        if let Some(head) = head {
            let _ = writeln!(out, "<p{p}>{head}</p>");
        }
        return;
    }
    for (i, text) in texts.iter().enumerate() {
        let lead = if i == 0 { head.as_deref() } else { None };
        let _ = writeln!(out, "<p{p}>{}{}</p>", lead.unwrap_or(""), escape(text));
    }
}

/// Whether a row of `t` holds a number (else it is a row of labels: a header).
fn has_numbers(t: &Table, row: usize) -> bool {
    t.cells
        .iter()
        .any(|c| c.row == row && !matches!(c.content, Content::Label(_)))
}

/// The scope of a label: a row header when a row it spans holds numbers,
/// else a column header. By the HTML table model a `row` header covers
/// every row it spans, a `col` header every column.
fn scope(t: &Table, c: &Cell) -> &'static str {
    if (c.row..c.row + c.row_span).any(|r| has_numbers(t, r)) {
        "row"
    } else {
        "col"
    }
}

/// One table in its scrolling box, its section heading as its caption;
/// `n` numbers the tables for the heading's id.
fn table(out: &mut String, form: Html, t: &Table, n: usize, figures: &Figures) {
    let id = format!("nianbao-table-{n}");
    let total: u32 = t.widths_twips.iter().sum();
    let narrowest = t.widths_twips.iter().copied().min().unwrap_or(1).max(1);
    let min_width = (MIN_COL_EM * f64::from(total) / f64::from(narrowest)).round();
    let _ = writeln!(
        out,
        "<div{} role=\"region\" tabindex=\"0\" aria-labelledby=\"{id}\">",
        style(form, &["nb-box"])
    );
    let _ = writeln!(
        out,
        "<table{}>\n<caption{}><h2 id=\"{id}\"{}>{}</h2></caption>",
        styled(form, &["nb-table"], &format!("min-width:{min_width}em")),
        style(form, &["nb-caption"]),
        style(form, &["nb-h"]),
        escape(t.heading)
    );
    out.push_str("<colgroup>");
    for w in &t.widths_twips {
        let percent = f64::from(*w) * 100.0 / f64::from(total.max(1));
        let _ = write!(out, "<col style=\"width:{percent:.2}%\">");
    }
    out.push_str("</colgroup>\n");
    let grid = figures.grid(t.id);
    for row in 0..t.rows {
        if row == 0 && t.header_rows > 0 {
            out.push_str("<thead>\n");
        }
        if row == t.header_rows {
            out.push_str("<tbody>\n");
        }
        out.push_str("<tr>");
        for c in t.cells.iter().filter(|c| c.row == row) {
            let mut span = String::new();
            if c.row_span > 1 {
                let _ = write!(span, " rowspan=\"{}\"", c.row_span);
            }
            if c.col_span > 1 {
                let _ = write!(span, " colspan=\"{}\"", c.col_span);
            }
            let left = if c.align == Align::Left {
                &["nb-left"][..]
            } else {
                &[]
            };
            match &c.content {
                Content::Label(label) => {
                    let mut classes = vec!["nb-th"];
                    classes.extend(left);
                    let text = if c.emphasis {
                        format!("<strong>{}</strong>", escape(label))
                    } else {
                        escape(label)
                    };
                    let _ = write!(
                        out,
                        "<th scope=\"{}\"{span}{}>{text}</th>",
                        scope(t, c),
                        style(form, &classes)
                    );
                }
                Content::Input(_) | Content::Total(_) => {
                    let mut classes = vec!["nb-td"];
                    classes.extend(left);
                    let value = grid
                        .value(c.row, c.col)
                        .map_or_else(|| "0".to_string(), |v| v.to_string());
                    let _ = write!(out, "<td{span}{}>{value}</td>", style(form, &classes));
                }
            }
        }
        out.push_str("</tr>\n");
        if row + 1 == t.header_rows {
            out.push_str("</thead>\n");
        }
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}
