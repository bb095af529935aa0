//! The web version, read back by a real HTML5 parser (html5ever through
//! `scraper`): every merge as the table description has it, every label as
//! FORMAT.md has it (tests/fixtures), every number as the input file has it,
//! the clerk's text escaped; and in headless chromium, the page on a phone
//! scrolls its tables inside their boxes, not the page.
//!
//! `NIANBAO_SCREENSHOT=docs/html-sample.png cargo test --test it html` retakes
//! the picture of the sample (a phone and a desktop side by side).

use std::collections::{BTreeMap, BTreeSet};

use nianbao::model::Report;
use nianbao::spec::tables::{self, Content, Table};
use nianbao::{Html, Outputs};
use scraper::{ElementRef, Html as Parsed, Selector};

use crate::common::{report, root, sample};
use crate::format_oracle::{a1_range, oracle_by_table};

/// The web version of `report` in `form`, as text.
fn html(report: &Report, form: Html) -> String {
    let outputs = Outputs {
        docx: false,
        xlsx: false,
        html: Some(form),
    };
    let (files, _) = nianbao::render(report, "test.toml", outputs).expect("renders");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].name, format!("{}.html", report.title()));
    String::from_utf8(files[0].bytes.clone()).expect("UTF-8")
}

fn select<'a>(under: ElementRef<'a>, css: &str) -> Vec<ElementRef<'a>> {
    let selector = Selector::parse(css).expect("selector");
    under.select(&selector).collect()
}

fn text(e: ElementRef) -> String {
    e.text().collect()
}

/// A parsed page: no parse error, in standards mode.
fn parse_page(html: &str) -> Parsed {
    let doc = Parsed::parse_document(html);
    assert!(
        doc.errors.is_empty(),
        "HTML5 parse errors: {:?}",
        doc.errors
    );
    assert_eq!(format!("{:?}", doc.quirks_mode), "NoQuirks");
    doc
}

/// One cell of a parsed table: where it starts (row, column) by the HTML
/// table model, and what it is.
#[derive(Debug)]
struct Parsed_ {
    rows: usize,
    cols: usize,
    tag: String,
    scope: Option<String>,
    text: String,
}

/// The cells of `table` by (row, column), placing each as a browser does:
/// in the first column of its row not covered by a rowspan from above.
fn grid(table: ElementRef) -> BTreeMap<(usize, usize), Parsed_> {
    let mut taken = BTreeSet::new();
    let mut cells = BTreeMap::new();
    for (r, tr) in select(table, "tr").into_iter().enumerate() {
        let mut c = 0;
        for cell in select(tr, "th, td") {
            while taken.contains(&(r, c)) {
                c += 1;
            }
            let span = |name: &str| -> usize {
                cell.value()
                    .attr(name)
                    .map_or(1, |v| v.parse().expect("a span is a number"))
            };
            let (rows, cols) = (span("rowspan"), span("colspan"));
            for dr in 0..rows {
                for dc in 0..cols {
                    assert!(taken.insert((r + dr, c + dc)), "cells overlap at {r},{c}");
                }
            }
            cells.insert(
                (r, c),
                Parsed_ {
                    rows,
                    cols,
                    tag: cell.value().name().to_string(),
                    scope: cell.value().attr("scope").map(str::to_string),
                    text: text(cell),
                },
            );
            c += cols;
        }
    }
    cells
}

/// The number the input file states for a key path like
/// `applications.withheld.state_secret[0]` or `active.rules.issued`
/// (`None` when the file does not have it), read from the file itself.
fn stated(input: &toml::Table, key: &str) -> Option<String> {
    let (path, index) = match key.split_once('[') {
        Some((p, i)) => (p, Some(i.trim_end_matches(']').parse::<usize>().ok()?)),
        None => (key, None),
    };
    let mut value = input.get(path.split('.').next()?)?;
    for part in path.split('.').skip(1) {
        value = value.get(part)?;
    }
    if let Some(i) = index {
        value = value.get(i)?;
    }
    Some(match value {
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::String(s) => s.clone(),
        other => panic!("{key}: not a number: {other}"),
    })
}

/// What a body cell must show: the input file's number; for a total, the
/// total typed in the file, else the sum of its terms' oracles.
fn expected(t: &Table, input: &toml::Table, row: usize, col: usize) -> String {
    let cell = t.cell_at(row, col).expect("a cell");
    match &cell.content {
        Content::Input(i) => stated(input, &i.key).unwrap_or_else(|| "0".into()),
        Content::Total(total) => stated(input, &total.key).unwrap_or_else(|| {
            total
                .terms
                .iter()
                .map(|&(r, c)| expected(t, input, r, c).parse::<u64>().expect("a count"))
                .sum::<u64>()
                .to_string()
        }),
        Content::Label(l) => l.to_string(),
    }
}

/// Checks the three tables of a parsed page or fragment against the table
/// description, the label oracle and the input file `input`.
fn check_tables(doc: &Parsed, input: &toml::Table) {
    let tables_found = select(doc.root_element(), "table");
    assert_eq!(tables_found.len(), 3, "three tables");
    let oracle = oracle_by_table();
    let mut wrong = Vec::new();
    for (t, table) in tables::all().into_iter().zip(tables_found) {
        let caption = select(table, "caption");
        assert_eq!(caption.len(), 1, "{}: one caption", t.name);
        assert_eq!(text(caption[0]), t.heading, "{}: caption", t.name);
        let cells = grid(table);
        let spans: BTreeSet<_> = cells
            .iter()
            .map(|(&(r, c), p)| (r, c, p.rows, p.cols))
            .collect();
        let described: BTreeSet<_> = t
            .cells
            .iter()
            .map(|c| (c.row, c.col, c.row_span, c.col_span))
            .collect();
        assert_eq!(spans, described, "{}: cells and merges", t.name);
        // Labels: a header cell with a scope, the oracle's text at the oracle's range.
        let labels = &oracle[t.name];
        for ((row, col, rows, cols), label) in labels {
            let here = a1_range(*row, *col, *rows, *cols);
            match cells.get(&(*row, *col)) {
                Some(p) if p.rows == *rows && p.cols == *cols => {
                    if p.text != *label || p.tag != "th" {
                        wrong.push(format!("{} {here}: <{}>「{}」", t.name, p.tag, p.text));
                    }
                    if !matches!(
                        p.scope.as_deref(),
                        Some("col" | "row" | "colgroup" | "rowgroup")
                    ) {
                        wrong.push(format!("{} {here} {label}: scope {:?}", t.name, p.scope));
                    }
                }
                other => wrong.push(format!("{} {here} {label}: {other:?}", t.name)),
            }
        }
        // Numbers: every other cell is a data cell holding the input's number.
        let mut numbers = 0;
        for ((row, col), p) in &cells {
            if labels.iter().any(|((r, c, ..), _)| (r, c) == (row, col)) {
                continue;
            }
            numbers += 1;
            let want = expected(t, input, *row, *col);
            if p.tag != "td" || p.text != want {
                wrong.push(format!(
                    "{} {}: <{}>「{}」, not 「{want}」",
                    t.name,
                    a1_range(*row, *col, 1, 1),
                    p.tag,
                    p.text
                ));
            }
        }
        assert_eq!(
            numbers,
            t.inputs().count() + t.totals().count(),
            "{}: number cells",
            t.name
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_merge_label_and_number_of_the_inputs_is_in_the_page_and_the_fragment() {
    for name in [
        "butaji-2024.toml",
        "mouxian-ziranziyuan-2024.toml",
        "moushi-zhengfuban-2024.toml",
    ] {
        let path = root().join("inputs").join(name);
        let input: toml::Table = std::fs::read_to_string(&path)
            .expect("input")
            .parse()
            .expect("TOML");
        let report = nianbao::read_path(&path).expect("loads");
        let page = html(&report, Html::Page);
        let doc = parse_page(&page);
        check_tables(&doc, &input);
        let fragment = html(&report, Html::Fragment);
        let frag = Parsed::parse_fragment(&fragment);
        assert!(frag.errors.is_empty(), "{name}: {:?}", frag.errors);
        check_tables(&frag, &input);
    }
}

#[test]
fn the_page_has_the_outline_language_title_and_no_script() {
    let report = sample();
    let page = html(&report, Html::Page);
    assert_eq!(page, html(&report, Html::Page), "the same bytes twice");
    let doc = parse_page(&page);
    let root_el = doc.root_element();
    assert_eq!(root_el.value().attr("lang"), Some("zh-CN"));
    let title = select(root_el, "head > title");
    assert_eq!(text(title[0]), report.title());
    assert_eq!(select(root_el, "meta[charset=utf-8]").len(), 1);
    assert_eq!(text(select(root_el, "h1")[0]), report.title());
    // The six sections, in order (二、三、四 as the tables' captions).
    let headings: Vec<String> = select(root_el, "h2").into_iter().map(text).collect();
    assert_eq!(headings, nianbao::spec::outline::SECTION_HEADINGS);
    // Every paragraph of every block.
    let paragraphs: Vec<String> = select(root_el, "p").into_iter().map(text).collect();
    let blocks = nianbao::TextEngine::embedded()
        .render_all(&report)
        .expect("blocks");
    for (name, texts) in blocks.iter() {
        for t in texts {
            assert!(
                paragraphs.iter().any(|p| p.ends_with(t.as_str())),
                "{name}: {t}"
            );
        }
    }
    assert!(paragraphs.iter().any(|p| p.starts_with("（二）下步打算：")));
    // No script, no event handler, nothing loaded from elsewhere.
    assert!(select(root_el, "script, link, img, iframe").is_empty());
    for e in select(root_el, "*") {
        for (name, value) in e.value().attrs() {
            assert!(!name.starts_with("on"), "{name}");
            assert!(!value.contains("://"), "{name}={value}");
        }
    }
    // Each table scrolls in its own box, which the keyboard reaches and a
    // screen reader names after the table's heading.
    let boxes = select(root_el, "div[role=region]");
    assert_eq!(boxes.len(), 3);
    for b in boxes {
        assert_eq!(b.value().attr("tabindex"), Some("0"));
        let id = b.value().attr("aria-labelledby").expect("named");
        let named = select(root_el, &format!("#{id}"));
        assert_eq!(named.len(), 1, "{id}");
        assert_eq!(select(b, "table").len(), 1);
        assert!(
            select(b, "caption")
                .iter()
                .any(|c| text(*c) == text(named[0]))
        );
    }
}

/// WCAG's contrast ratio of two `#rrggbb` colours.
fn contrast(a: &str, b: &str) -> f64 {
    let luminance = |hex: &str| -> f64 {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")) / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    };
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn every_text_colour_has_a_contrast_of_at_least_4_5_on_every_background() {
    let page = html(&sample(), Html::Page);
    let css = &page[page.find("<style>").expect("style")..page.find("</style>").expect("end")];
    let colours = |prop: &str| -> BTreeSet<String> {
        css.match_indices(prop)
            .filter(|(i, _)| !css[..*i].ends_with('-'))
            .map(|(i, _)| css[i + prop.len()..i + prop.len() + 7].to_string())
            .collect()
    };
    let (texts, backgrounds) = (colours("color:"), colours("background:"));
    assert!(
        !texts.is_empty() && backgrounds.len() >= 2,
        "{texts:?} {backgrounds:?}"
    );
    for t in &texts {
        for b in &backgrounds {
            assert!(contrast(t, b) >= 4.5, "{t} on {b}: {:.2}", contrast(t, b));
        }
    }
    assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 0.01);
}

#[test]
fn the_clerks_text_is_escaped() {
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> & \"'";
    let mut r = report(&format!(
        "[text]\noverview = '''{hostile}'''\n[headings]\nproblems = '''</p><script>x</script>'''\n"
    ));
    r.report.short_name = Some("<b>简称</b>".into());
    for form in [Html::Page, Html::Fragment] {
        let out = html(&r, form);
        let doc = match form {
            Html::Page => parse_page(&out),
            Html::Fragment => Parsed::parse_fragment(&out),
        };
        let root_el = doc.root_element();
        assert!(select(root_el, "script, img, b").is_empty(), "{out}");
        let paragraphs: Vec<String> = select(root_el, "p").into_iter().map(text).collect();
        assert!(paragraphs.iter().any(|p| p == hostile), "{paragraphs:?}");
        assert!(
            paragraphs
                .iter()
                .any(|p| p.starts_with("（一）</p><script>x</script>：")),
            "{paragraphs:?}"
        );
    }
}

#[test]
fn the_fragment_has_no_head_and_carries_its_style_on_its_elements() {
    let out = html(&sample(), Html::Fragment);
    assert!(out.starts_with("<article "), "{}", &out[..40]);
    assert!(!out.contains("<style") && !out.contains("<head") && !out.contains("class="));
    let doc = Parsed::parse_fragment(&out);
    for cell in select(doc.root_element(), "th, td, table") {
        let style = cell.value().attr("style").expect("a style attribute");
        assert!(
            style.contains("border") || style.contains("min-width"),
            "{style}"
        );
    }
}

/// No label of the format in the writer's source: it walks the description.
#[test]
fn the_writer_spells_no_label_of_the_format() {
    let source = std::fs::read_to_string(root().join("src/render/html.rs")).expect("source");
    for word in crate::page::format_words() {
        assert!(!source.contains(word.as_str()), "html.rs spells 「{word}」");
    }
}

/// The sample in chromium: at a phone's width the page itself does not
/// scroll sideways and the wide tables scroll inside their boxes; at a
/// desktop's width no table needs to. With `NIANBAO_SCREENSHOT=FILE`, a
/// picture of both (the phone and a desktop, side by side, at table 三).
#[test]
fn on_a_phone_the_tables_scroll_in_their_boxes_not_the_page() {
    let Some((driver, browser)) = crate::browser::chromedriver() else {
        return;
    };
    let work = tempfile::tempdir().expect("temp dir");
    let page = work.path().join("sample.html");
    std::fs::write(&page, html(&sample(), Html::Page)).expect("write the page");
    let url = format!("file://{}", page.display());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client =
            crate::browser::session(&driver, &browser, &work.path().join("profile"), work.path())
                .await;
        // (page width, scroll widths of the three boxes, their widths)
        let measure = "const boxes = [...document.querySelectorAll('[role=region]')];\
            return [window.innerWidth, document.documentElement.scrollWidth,\
            boxes.map(b => b.scrollWidth), boxes.map(b => b.clientWidth)];";
        for (width, phone) in [(390, true), (1280, false)] {
            client
                .set_window_size(width, 900)
                .await
                .expect("window size");
            client.goto(&url).await.expect("page loads");
            let got = client.execute(measure, vec![]).await.expect("script runs");
            let n = |v: &serde_json::Value| v.as_u64().expect("a number");
            let (inner, page_width) = (n(&got[0]), n(&got[1]));
            assert!(
                page_width <= inner,
                "{width}: the page scrolls sideways: {got}"
            );
            let scrolls: Vec<bool> = (0..3).map(|i| n(&got[2][i]) > n(&got[3][i])).collect();
            if phone {
                assert!(inner < 500, "not a phone's width: {got}");
                assert_eq!(scrolls[1..], [true, true], "表三 and 表四 scroll: {got}");
            } else {
                assert_eq!(scrolls, [false, false, false], "nothing scrolls: {got}");
            }
        }
        if let Some(path) = std::env::var_os("NIANBAO_SCREENSHOT") {
            let frames = work.path().join("frames.html");
            let frame = |w: u32| {
                format!(
                    "<iframe src=\"sample.html#nianbao-table-2\" style=\"width:{w}px;height:860px;\
                     border:1px solid #888;background:#fff\"></iframe>"
                )
            };
            std::fs::write(
                &frames,
                format!(
                    "<!DOCTYPE html><body style=\"margin:0;padding:12px;background:#ddd;\
                     display:flex;gap:12px;align-items:flex-start\">{}{}</body>",
                    frame(390),
                    frame(1000)
                ),
            )
            .expect("write the frames");
            client
                .set_window_size(1440, 900)
                .await
                .expect("window size");
            client
                .goto(&format!("file://{}", frames.display()))
                .await
                .expect("frames load");
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let png = client.screenshot().await.expect("screenshot");
            std::fs::write(path, png).expect("write the screenshot");
        }
        client.close().await.expect("session ends");
    });
}

/// `batch --html`: every agency's page is in the manifest and `verify`
/// notices a page changed afterwards.
#[test]
fn a_batch_lists_the_pages_in_its_manifest_and_verify_covers_them() {
    let out = tempfile::tempdir().expect("temp dir");
    let mut options = nianbao::batch::Options::new(vec![root().join("inputs")], out.path().into());
    options.jobs = Some(1);
    options.outputs.html = Some(Html::Page);
    let outcome = nianbao::batch::run(&options, &|_, _, _| {}).expect("batch runs");
    assert_eq!(outcome.counts.ok, 3, "{outcome:?}");
    let manifest = std::fs::read_to_string(out.path().join("manifest.json")).expect("manifest");
    let pages: Vec<&str> = manifest.lines().filter(|l| l.contains(".html\"")).collect();
    assert_eq!(pages.len(), 3, "{manifest}");
    let verified = nianbao::batch::manifest::verify(out.path()).expect("verifies");
    assert!(verified.is_clean() && verified.ok >= 9, "{verified:?}");
    let page = out.path().join(format!("{}.html", sample().title()));
    let mut bytes = std::fs::read(&page).expect("the sample's page");
    bytes.extend_from_slice(b"<!-- changed -->");
    std::fs::write(&page, bytes).expect("change it");
    let verified = nianbao::batch::manifest::verify(out.path()).expect("verifies");
    assert_eq!(verified.changed.len(), 1, "{verified:?}");
}
