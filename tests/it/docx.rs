//! The Word report, read back with zip + roxmltree (never through the writer).

use crate::common::*;

/// The DOCX of `report` (checked first, as every caller of the face gets it).
fn document_bytes(report: &nianbao::model::Report) -> Result<Vec<u8>, nianbao::Error> {
    let outputs = nianbao::Outputs {
        docx: true,
        xlsx: false,
        html: None,
    };
    Ok(nianbao::render(report, "test.toml", outputs)?
        .0
        .remove(0)
        .bytes)
}

/// The style of the table cells (the oracle: the name written in docs/word-report.md).
const TABLE_STYLE: &str = "TableText";

use nianbao::spec::tables::{self, Content};

fn document(bytes: &[u8]) -> String {
    unzip(bytes)
        .remove("word/document.xml")
        .expect("word/document.xml")
}

/// The body paragraphs (not inside tables) and their text.
fn body_paragraphs<'a, 'i>(doc: &'a roxmltree::Document<'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    let body = descendants(doc.root(), "body").next().expect("w:body");
    children(body, "p").collect()
}

fn run_fonts(r: roxmltree::Node) -> (String, String, String) {
    let rpr = child(r, "rPr").expect("run has rPr");
    let fonts = child(rpr, "rFonts").expect("run has rFonts");
    let sz = child(rpr, "sz").and_then(|s| wattr(s, "val")).unwrap_or("");
    (
        wattr(fonts, "eastAsia").unwrap_or("").to_string(),
        wattr(fonts, "ascii").unwrap_or("").to_string(),
        sz.to_string(),
    )
}

#[test]
fn page_size_margins_and_grid() {
    let xml = document(&document_bytes(&sample()).unwrap());
    let doc = parse("document.xml", &xml);
    let sect = descendants(doc.root(), "sectPr").last().expect("sectPr");
    let pg = child(sect, "pgSz").unwrap();
    assert_eq!(wattr(pg, "w"), Some("11906"));
    assert_eq!(wattr(pg, "h"), Some("16838"));
    assert_ne!(wattr(pg, "orient"), Some("landscape"));
    let m = child(sect, "pgMar").unwrap();
    for (k, v) in [
        ("top", "2098"),
        ("bottom", "1984"),
        ("left", "1587"),
        ("right", "1474"),
    ] {
        assert_eq!(wattr(m, k), Some(v), "margin {k}");
    }
    let grid = child(sect, "docGrid").unwrap();
    assert_eq!(wattr(grid, "linePitch"), Some("579"));
    // footerReference first in sectPr (schema order), default and even.
    let first = sect.children().find(|c| c.is_element()).unwrap();
    assert_eq!(first.tag_name().name(), "footerReference");
    let types: Vec<_> = children(sect, "footerReference")
        .filter_map(|f| wattr(f, "type"))
        .collect();
    assert!(
        types.contains(&"default") && types.contains(&"even"),
        "{types:?}"
    );
}

#[test]
fn title_headings_body_fonts_and_spacing() {
    let report = sample();
    let xml = document(&document_bytes(&report).unwrap());
    let doc = parse("document.xml", &xml);
    let paras = body_paragraphs(&doc);

    // Title: 方正小标宋简体 二号, centred, broken after the agency name.
    let title = paras[0];
    assert_eq!(text(title), report.title());
    let ppr = child(title, "pPr").unwrap();
    assert_eq!(wattr(child(ppr, "jc").unwrap(), "val"), Some("center"));
    for r in children(title, "r") {
        assert_eq!(
            run_fonts(r),
            (
                "方正小标宋简体".into(),
                "Times New Roman".into(),
                "44".into()
            )
        );
    }
    let breaks: Vec<_> = descendants(title, "br").collect();
    assert_eq!(breaks.len(), 1, "the title breaks once");
    let first_line: String = children(title, "r").next().map(text).unwrap();
    assert_eq!(first_line, report.report.agency);
    // A blank line after the title.
    assert_eq!(text(paras[1]), "");

    // The six headings, exactly, in 黑体 三号, in order.
    let heading_texts: Vec<String> = paras
        .iter()
        .filter(|p| {
            children(**p, "r")
                .next()
                .is_some_and(|r| run_fonts(r).0 == "黑体")
        })
        .map(|p| text(*p))
        .collect();
    assert_eq!(heading_texts, nianbao::spec::outline::SECTION_HEADINGS);
    for p in &paras {
        for r in children(*p, "r") {
            let (ea, ascii, sz) = run_fonts(r);
            if ea == "黑体" {
                assert_eq!(sz, "32");
            }
            if ea != "方正小标宋简体" {
                assert_eq!(sz, "32", "body runs are 三号");
                assert_eq!(ascii, "Times New Roman");
            }
        }
    }

    // Run-in heads in 楷体_GB2312, the rest of the paragraph 仿宋_GB2312.
    let run_in: Vec<String> = paras
        .iter()
        .flat_map(|p| children(*p, "r"))
        .filter(|r| run_fonts(*r).0 == "楷体_GB2312")
        .map(text)
        .collect();
    assert_eq!(
        run_in,
        [
            "（一）主动公开：",
            "（二）依申请公开：",
            "（三）政府信息管理：",
            "（四）政府信息公开平台建设：",
            "（五）监督保障：",
            "（一）存在问题：",
            "（二）下步打算：",
        ]
    );
    let lead = paras
        .iter()
        .find(|p| text(**p).starts_with("（一）主动公开："))
        .unwrap();
    let runs: Vec<_> = children(*lead, "r").collect();
    assert_eq!(run_fonts(runs[1]).0, "仿宋_GB2312");
    assert_eq!(
        text(runs[1]),
        "2024年，卜塔集镇人民政府通过县政府信息公开网站公开工作信息91条。"
    );

    // Body paragraphs: justified, 2-character first-line indent, exact 579.
    let body: Vec<_> = paras
        .iter()
        .filter(|p| {
            children(**p, "r")
                .last()
                .is_some_and(|r| run_fonts(r).0 == "仿宋_GB2312")
        })
        .collect();
    assert!(body.len() >= 10, "{}", body.len());
    for p in body {
        let ppr = child(*p, "pPr").unwrap();
        let sp = child(ppr, "spacing").unwrap();
        assert_eq!(wattr(sp, "line"), Some("579"));
        assert_eq!(wattr(sp, "lineRule"), Some("exact"));
        let ind = child(ppr, "ind").unwrap();
        assert_eq!(wattr(ind, "firstLine"), Some("640"));
        assert_eq!(wattr(ind, "firstLineChars"), Some("200"));
        assert_eq!(wattr(child(ppr, "jc").unwrap(), "val"), Some("both"));
    }
}

#[test]
fn section_six_states_the_fees_then_the_block() {
    let xml = document(&document_bytes(&sample()).unwrap());
    let doc = parse("document.xml", &xml);
    let texts: Vec<String> = body_paragraphs(&doc).into_iter().map(text).collect();
    let six = texts
        .iter()
        .position(|t| t == nianbao::spec::outline::SECTION_HEADINGS[5])
        .unwrap();
    assert_eq!(
        texts[six + 1],
        "本年度，本机关未发出信息处理费收费通知，未收取信息处理费。"
    );
    // The sample's own 「无」, printed as written.
    assert_eq!(texts[six + 2], "无");

    let fees = report(
        "[processing_fees]\nnotices = 3\nnotices_amount = 1200\ncollected = 800\n[text]\nother_matters = \"本年度收到人大代表建议2件。\"\n",
    );
    let xml = document(&document_bytes(&fees).unwrap());
    let doc = parse("document.xml", &xml);
    let texts: Vec<String> = body_paragraphs(&doc).into_iter().map(text).collect();
    let six = texts
        .iter()
        .position(|t| t == nianbao::spec::outline::SECTION_HEADINGS[5])
        .unwrap();
    assert!(texts[six + 1].contains("收费通知3件"), "{}", texts[six + 1]);
    assert!(texts[six + 1].contains("1200.00元"), "{}", texts[six + 1]);
    assert!(
        texts[six + 1].contains("实际收取信息处理费800.00元"),
        "{}",
        texts[six + 1]
    );
    assert_eq!(texts[six + 2], "本年度收到人大代表建议2件。");

    // 六 as the clerk wrote it speaks of the fee: no generated sentence to
    // repeat or contradict it (a real report said 3,940 元 after a generated
    // 「未收取信息处理费」).
    let own = report(
        "[text]\nother_matters = \"本年度收取信息处理费3940元。\\n\\n本年度收到人大代表建议2件。\"\n",
    );
    let xml = document(&document_bytes(&own).unwrap());
    let doc = parse("document.xml", &xml);
    let texts: Vec<String> = body_paragraphs(&doc).into_iter().map(text).collect();
    let six = texts
        .iter()
        .position(|t| t == nianbao::spec::outline::SECTION_HEADINGS[5])
        .unwrap();
    assert_eq!(
        texts[six + 1..six + 3],
        [
            "本年度收取信息处理费3940元。",
            "本年度收到人大代表建议2件。"
        ]
    );
    assert!(!xml.contains("未收取信息处理费"));
}

/// Every merge of the table description is in the Word table: gridSpan,
/// vMerge restart/continue, widths in tblGrid, tcW and tblW, the text.
#[test]
fn tables_follow_the_description() {
    let mut report = sample();
    report.active.fees = "24252.3110820".parse().unwrap();
    report.applications.new.values = [1, 2, 0, 0, 0, 0];
    report.applications.granted.values = [1, 2, 0, 0, 0, 0];
    report.applications.new.given_total = None;
    report.applications.granted.given_total = None;
    report.applications.total = None;
    let xml = document(&document_bytes(&report).unwrap());
    let doc = parse("document.xml", &xml);
    let tbls: Vec<_> = descendants(doc.root(), "tbl").collect();
    assert_eq!(tbls.len(), 3);
    for (t, tbl) in tables::all().into_iter().zip(tbls) {
        let tbl_pr = child(tbl, "tblPr").unwrap();
        let w = child(tbl_pr, "tblW").unwrap();
        assert_eq!(
            (wattr(w, "w"), wattr(w, "type")),
            (Some("8844"), Some("dxa"))
        );
        assert_eq!(wattr(child(tbl_pr, "jc").unwrap(), "val"), Some("center"));
        let borders = child(tbl_pr, "tblBorders").unwrap();
        for b in ["top", "left", "bottom", "right", "insideH", "insideV"] {
            let b = child(borders, b).unwrap_or_else(|| panic!("border {b}"));
            assert_eq!(wattr(b, "val"), Some("single"));
            assert_eq!(wattr(b, "sz"), Some("4"));
        }
        let grid: Vec<u32> = children(child(tbl, "tblGrid").unwrap(), "gridCol")
            .map(|g| wattr(g, "w").unwrap().parse().unwrap())
            .collect();
        assert_eq!(grid, t.widths_twips, "{} grid", t.name);
        assert_eq!(grid.iter().sum::<u32>(), 8844);

        // Lay the Word rows out on the grid.
        let rows: Vec<_> = children(tbl, "tr").collect();
        assert_eq!(rows.len(), t.rows, "{} rows", t.name);
        // (row, col) → (gridSpan, vMerge, text, tcW, jc)
        let mut at = std::collections::HashMap::new();
        for (r, tr) in rows.iter().enumerate() {
            let tr_pr = child(*tr, "trPr").expect("trPr");
            assert!(
                child(tr_pr, "cantSplit").is_some(),
                "{} row {r} may split",
                t.name
            );
            assert_eq!(
                child(tr_pr, "tblHeader").is_some(),
                r < t.header_rows,
                "{} row {r} tblHeader",
                t.name
            );
            let mut col = 0;
            for tc in children(*tr, "tc") {
                let pr = child(tc, "tcPr").unwrap();
                let span: usize = child(pr, "gridSpan")
                    .and_then(|g| wattr(g, "val"))
                    .map_or(1, |v| v.parse().unwrap());
                let vmerge = child(pr, "vMerge").map(|v| wattr(v, "val").unwrap_or("continue"));
                let width: u32 = wattr(child(pr, "tcW").unwrap(), "w")
                    .unwrap()
                    .parse()
                    .unwrap();
                // Cells are centred by their style; left-aligned ones say so.
                let jc = descendants(tc, "jc")
                    .next()
                    .and_then(|j| wattr(j, "val"))
                    .or(Some("center"));
                at.insert((r, col), (span, vmerge, text(tc), width, jc));
                col += span;
            }
            assert_eq!(col, t.cols, "{} row {r} covers the grid", t.name);
        }
        for c in &t.cells {
            let (span, vmerge, txt, width, jc) = at
                .get(&(c.row, c.col))
                .unwrap_or_else(|| panic!("{} no cell at ({}, {})", t.name, c.row, c.col));
            assert_eq!(
                *span, c.col_span,
                "{} gridSpan at ({}, {})",
                t.name, c.row, c.col
            );
            let expected_width: u32 = t.widths_twips[c.col..c.col + c.col_span].iter().sum();
            assert_eq!(
                *width, expected_width,
                "{} tcW at ({}, {})",
                t.name, c.row, c.col
            );
            if c.row_span > 1 {
                assert_eq!(
                    *vmerge,
                    Some("restart"),
                    "{} ({}, {})",
                    t.name,
                    c.row,
                    c.col
                );
                for r in c.row + 1..c.row + c.row_span {
                    let (span2, vmerge2, txt2, ..) = at.get(&(r, c.col)).unwrap();
                    assert_eq!(*vmerge2, Some("continue"), "{} ({r}, {})", t.name, c.col);
                    assert_eq!(*span2, c.col_span);
                    assert_eq!(txt2, "");
                }
            } else {
                assert_eq!(*vmerge, None, "{} ({}, {})", t.name, c.row, c.col);
            }
            let expected_text = match &c.content {
                Content::Label(l) => l.to_string(),
                _ => t.value(&report, c.row, c.col).unwrap().to_string(),
            };
            assert_eq!(*txt, expected_text, "{} ({}, {})", t.name, c.row, c.col);
            let expected_jc = match c.align {
                tables::Align::Left => "left",
                tables::Align::Center => "center",
            };
            assert_eq!(*jc, Some(expected_jc), "{} ({}, {})", t.name, c.row, c.col);
        }
    }
    assert!(
        xml.contains(">24252.311082<"),
        "fee as given, trailing zero dropped"
    );
}

#[test]
fn every_table_label_is_in_the_document() {
    let xml = document(&document_bytes(&sample()).unwrap());
    let doc = parse("document.xml", &xml);
    let cell_texts: Vec<String> = descendants(doc.root(), "tc").map(text).collect();
    for t in tables::all() {
        for label in t.labels() {
            assert!(
                cell_texts.iter().any(|c| c == label),
                "{} label {label}",
                t.name
            );
        }
    }
    // Table cells: the TableText style (仿宋_GB2312 五号, centred, single
    // spacing, no grid snapping), runs without fonts of their own.
    for tc in descendants(doc.root(), "tc") {
        for p in descendants(tc, "p") {
            let ppr = child(p, "pPr").expect("cell paragraph has pPr");
            let style = child(ppr, "pStyle").and_then(|s| wattr(s, "val"));
            assert_eq!(style, Some(TABLE_STYLE));
        }
        for r in descendants(tc, "r") {
            let rpr = child(r, "rPr");
            assert!(
                rpr.is_none_or(|rpr| child(rpr, "rFonts").is_none() && child(rpr, "sz").is_none())
            );
        }
    }
    let parts = unzip(&document_bytes(&sample()).unwrap());
    let styles = parse("styles.xml", &parts["word/styles.xml"]);
    let style = descendants(styles.root(), "style")
        .find(|s| wattr(*s, "styleId") == Some(TABLE_STYLE))
        .expect("the table style");
    let ppr = child(style, "pPr").unwrap();
    assert_eq!(
        wattr(child(ppr, "snapToGrid").unwrap(), "val"),
        Some("false")
    );
    let spacing = child(ppr, "spacing").unwrap();
    assert_eq!(wattr(spacing, "lineRule"), Some("auto"));
    assert_eq!(wattr(spacing, "line"), Some("240"));
    assert_eq!(wattr(child(ppr, "jc").unwrap(), "val"), Some("center"));
    let (ea, ascii, sz) = run_fonts(style);
    assert_eq!(
        (ea.as_str(), ascii.as_str(), sz.as_str()),
        ("仿宋_GB2312", "Times New Roman", "21")
    );
    // And the document defaults: 仿宋_GB2312 三号, Times New Roman.
    let defaults = descendants(styles.root(), "rPrDefault").next().unwrap();
    let fonts = descendants(defaults, "rFonts").next().unwrap();
    assert_eq!(wattr(fonts, "eastAsia"), Some("仿宋_GB2312"));
    assert_eq!(wattr(fonts, "ascii"), Some("Times New Roman"));
    assert_eq!(
        wattr(descendants(defaults, "sz").next().unwrap(), "val"),
        Some("32")
    );
}

#[test]
fn footers_number_pages_on_the_outer_side() {
    let bytes = document_bytes(&sample()).unwrap();
    let parts = unzip(&bytes);
    let rels = parse("rels", &parts["word/_rels/document.xml.rels"]);
    let doc = parse("document.xml", &parts["word/document.xml"]);
    let sect = descendants(doc.root(), "sectPr").last().unwrap();
    let settings = parse("settings.xml", &parts["word/settings.xml"]);
    assert!(
        descendants(settings.root(), "evenAndOddHeaders")
            .next()
            .is_some()
    );
    let r_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    for (kind, jc) in [("default", "right"), ("even", "left")] {
        let fref = children(sect, "footerReference")
            .find(|f| wattr(*f, "type") == Some(kind))
            .unwrap();
        let id = fref.attribute((r_ns, "id")).unwrap();
        let target = rels
            .root()
            .descendants()
            .find(|n| n.attribute("Id") == Some(id))
            .and_then(|n| n.attribute("Target"))
            .unwrap();
        let footer_xml = &parts[&format!("word/{target}")];
        let footer = parse(target, footer_xml);
        let p = descendants(footer.root(), "p").next().unwrap();
        let ppr = child(p, "pPr").unwrap();
        assert_eq!(wattr(child(ppr, "jc").unwrap(), "val"), Some(jc), "{kind}");
        let ind = child(ppr, "ind").unwrap();
        let side = if kind == "default" { "right" } else { "left" };
        assert_eq!(wattr(ind, side), Some("280"), "{kind}: one character in");
        let instr: String = descendants(p, "instrText")
            .filter_map(|t| t.text())
            .collect();
        assert_eq!(instr.trim(), "PAGE");
        let kinds: Vec<_> = descendants(p, "fldChar")
            .filter_map(|f| wattr(f, "fldCharType"))
            .collect();
        assert_eq!(kinds, ["begin", "separate", "end"]);
        assert_eq!(text(p), "— 1 —");
        for r in descendants(p, "r") {
            let (ea, _, sz) = run_fonts(r);
            assert_eq!((ea.as_str(), sz.as_str()), ("宋体", "28"));
        }
    }
}

#[test]
fn core_properties_and_signature() {
    let parts = unzip(&document_bytes(&sample()).unwrap());
    let core = parse("core.xml", &parts["docProps/core.xml"]);
    let get = |name: &str| {
        core.descendants()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| n.text())
            .map(str::to_string)
    };
    assert_eq!(
        get("title").as_deref(),
        Some("潢川县卜塔集镇人民政府2024年政府信息公开工作年度报告")
    );
    assert_eq!(get("creator").as_deref(), Some("潢川县卜塔集镇人民政府"));
    assert_eq!(get("created").as_deref(), Some("2024-12-31T00:00:00Z"));
    assert_eq!(get("modified").as_deref(), Some("2024-12-31T00:00:00Z"));
    // No signature without issued_on.
    assert!(!parts["word/document.xml"].contains("2025年1月"));

    let mut report = sample();
    report.report.issued_on = Some("2025-01-20".parse().unwrap());
    let parts = unzip(&document_bytes(&report).unwrap());
    let core = parse("core.xml", &parts["docProps/core.xml"]);
    let created = core
        .descendants()
        .find(|n| n.tag_name().name() == "created")
        .and_then(|n| n.text());
    assert_eq!(created, Some("2025-01-20T00:00:00Z"));
    let doc = parse("document.xml", &parts["word/document.xml"]);
    let paras = body_paragraphs(&doc);
    let n = paras.len();
    assert_eq!(text(paras[n - 2]), "潢川县卜塔集镇人民政府");
    assert_eq!(text(paras[n - 1]), "2025年1月20日");
    assert_eq!(text(paras[n - 3]), "", "a blank line before the signature");
    for p in &paras[n - 2..] {
        let ppr = child(*p, "pPr").unwrap();
        assert_eq!(wattr(child(ppr, "jc").unwrap(), "val"), Some("right"));
    }
    // The layout of the two lines (右空四字, centred): docx_layout.rs.
}

#[test]
fn every_rpr_has_rfonts_first_and_no_para_ids() {
    let parts = unzip(&document_bytes(&sample()).unwrap());
    let mut checked = 0;
    for (name, xml) in &parts {
        if !name.ends_with(".xml") {
            continue;
        }
        assert!(!xml.contains("w14:paraId"), "{name} has w14:paraId");
        let doc = parse(name, xml);
        for rpr in descendants(doc.root(), "rPr") {
            let names: Vec<&str> = rpr
                .children()
                .filter(|c| c.is_element())
                .map(|c| c.tag_name().name())
                .collect();
            if let Some(f) = names.iter().position(|n| *n == "rFonts") {
                for later in ["b", "bCs", "sz", "szCs", "i", "color"] {
                    if let Some(p) = names.iter().position(|n| *n == later) {
                        assert!(f < p, "{name}: rFonts after {later}: {names:?}");
                    }
                }
                checked += 1;
            }
        }
        // pPr: rPr last (before sectPr/pPrChange); tcPr: tcW, gridSpan, vMerge before tcBorders/vAlign.
        for ppr in descendants(doc.root(), "pPr") {
            let names: Vec<&str> = ppr
                .children()
                .filter(|c| c.is_element())
                .map(|c| c.tag_name().name())
                .collect();
            if let Some(r) = names.iter().position(|n| *n == "rPr") {
                assert!(
                    names[r + 1..]
                        .iter()
                        .all(|n| *n == "sectPr" || *n == "pPrChange"),
                    "{name}: {names:?}"
                );
            }
        }
    }
    assert!(checked > 20, "{checked}");
}

#[test]
fn font_table_lists_the_fonts_with_fallbacks() {
    let parts = unzip(&document_bytes(&sample()).unwrap());
    let fonts = parse("fontTable.xml", &parts["word/fontTable.xml"]);
    let listed: Vec<(String, Option<String>, Option<String>)> = descendants(fonts.root(), "font")
        .map(|f| {
            (
                wattr(f, "name").unwrap().to_string(),
                child(f, "altName")
                    .and_then(|a| wattr(a, "val"))
                    .map(str::to_string),
                child(f, "charset")
                    .and_then(|a| wattr(a, "val"))
                    .map(str::to_string),
            )
        })
        .collect();
    // Every font a run or style names is in the table.
    let doc = &parts["word/document.xml"];
    for (name, alt) in [
        ("仿宋_GB2312", "仿宋"),
        ("楷体_GB2312", "楷体"),
        ("黑体", "SimHei"),
        ("方正小标宋简体", "宋体"),
        ("宋体", "SimSun"),
    ] {
        assert!(
            listed.iter().any(|(n, a, c)| n == name
                && a.as_deref() == Some(alt)
                && c.as_deref() == Some("86")),
            "{name}: {listed:?}"
        );
        if name != "宋体" {
            assert!(doc.contains(name), "{name} not used");
        }
    }
    assert!(listed.iter().any(|(n, ..)| n == "Times New Roman"));
}

#[test]
fn section_rows_of_table_two_are_bold() {
    let xml = document(&document_bytes(&sample()).unwrap());
    let doc = parse("document.xml", &xml);
    let tbl = descendants(doc.root(), "tbl").next().unwrap();
    for r in descendants(tbl, "r") {
        let bold = child(r, "rPr").is_some_and(|p| child(p, "b").is_some());
        assert_eq!(bold, text(r).starts_with("第二十条"), "{}", text(r));
    }
}

#[test]
fn same_input_same_bytes_even_after_other_paragraphs() {
    let report = sample();
    let a = document_bytes(&report).unwrap();
    // Construct unrelated paragraphs and read a docx back in between: docx-rs's
    // thread-local paraId counter moves, our output must not.
    let _ = docx_rs::read_docx(&a).expect("docx-rs reads our docx");
    for _ in 0..7 {
        let _ = docx_rs::Paragraph::new().add_run(docx_rs::Run::new().add_text("x"));
    }
    let b = document_bytes(&report).unwrap();
    assert!(a == b, "bytes differ between two generations");
    // And from another thread.
    let c = std::thread::spawn(move || document_bytes(&report).unwrap())
        .join()
        .unwrap();
    assert!(a == c, "bytes differ across threads");
}

#[test]
fn entries_are_deflated_and_dated_1980() {
    let bytes = document_bytes(&sample()).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    for i in 0..zip.len() {
        let f = zip.by_index(i).unwrap();
        assert_eq!(
            f.compression(),
            zip::CompressionMethod::Deflated,
            "{}",
            f.name()
        );
        let t = f.last_modified().unwrap();
        assert_eq!((t.year(), t.month(), t.day()), (1980, 1, 1), "{}", f.name());
    }
}

#[test]
fn special_characters_reach_word_as_themselves() {
    let r = report("[text]\noverview = \"A&B <c> \\\"q\\\" 'a' & {{agency}}\"\n");
    let xml = document(&document_bytes(&r).unwrap());
    assert!(!xml.contains("&amp;amp;"), "double escaping");
    // HTML escaping by handlebars would show as an escaped entity in the XML.
    for html in ["&amp;quot;", "&amp;#x27;", "&amp;lt;", "&amp;#x3D;"] {
        assert!(!xml.contains(html), "HTML escaping: {html}");
    }
    let doc = parse("document.xml", &xml);
    let texts: Vec<String> = body_paragraphs(&doc).into_iter().map(text).collect();
    assert!(
        texts.contains(&"A&B <c> \"q\" 'a' & 某县统计局".to_string()),
        "{texts:?}"
    );
}

#[test]
fn forbidden_characters_are_refused_naming_the_block() {
    // At load time…
    let err = nianbao::model::Report::from_toml_str(
        "[report]\nagency = \"某局\"\nyear = 2024\n[text]\nplatforms = \"a\\u000Bb\"\n",
        "x.toml",
    )
    .unwrap_err();
    assert!(err.to_string().contains("text.platforms"), "{err}");
    // …and when a report is built in code.
    for bad in ['\u{1}', '\u{b}', '\u{fffe}'] {
        let mut r = report("");
        r.text.set("management", Some(format!("前{bad}后")));
        let err = document_bytes(&r).unwrap_err().to_string();
        assert!(err.contains("management"), "{err}");
        assert!(err.contains(&format!("U+{:04X}", bad as u32)), "{err}");
    }
    let mut r = report("");
    r.report.agency = "某\u{b}局".into();
    let err = document_bytes(&r).unwrap_err().to_string();
    assert!(err.contains("report.agency"), "{err}");
}

#[test]
fn unknown_template_variable_names_block_and_line() {
    let r = report("[text]\nimprovements = \"第一行{{year}}\\n第二行{{short_nmae}}\"\n");
    let err = document_bytes(&r).unwrap_err().to_string();
    assert!(err.contains("text.improvements"), "{err}");
    assert!(err.contains("第 2 行"), "{err}");
    assert!(err.contains("short_nmae"), "{err}");
}

#[test]
fn supplementary_plane_and_long_paragraphs_survive() {
    // 28,000 characters: near the 32,767 a text block may hold.
    let long = "政府信息公开𠀀".repeat(4_000);
    let mut r = report("");
    r.text.set("overview", Some(format!("甲𠀀乙\n\n{long}")));
    let xml = document(&document_bytes(&r).unwrap());
    let doc = parse("document.xml", &xml);
    let texts: Vec<String> = body_paragraphs(&doc).into_iter().map(text).collect();
    assert!(texts.contains(&"甲𠀀乙".to_string()));
    assert!(texts.contains(&long));
}

#[test]
fn short_titles_stay_on_one_line() {
    let xml = document(&document_bytes(&report("")).unwrap());
    let doc = parse("document.xml", &xml);
    let title = body_paragraphs(&doc)[0];
    assert_eq!(text(title), "某县统计局2024年政府信息公开工作年度报告");
    assert_eq!(descendants(title, "br").count(), 0);
}

#[test]
fn default_blocks_for_an_agency_that_wrote_nothing() {
    let r = report(
        "[applications]\nnew = [2, 1, 0, 0, 0, 0]\ngranted = [1, 1, 0, 0, 0, 0]\npartially_granted = [1, 0, 0, 0, 0, 0]\n",
    );
    let xml = document(&document_bytes(&r).unwrap());
    let doc = parse("document.xml", &xml);
    let texts: Vec<String> = body_paragraphs(&doc).into_iter().map(text).collect();
    let on_request = texts
        .iter()
        .find(|t| t.starts_with("（二）依申请公开："))
        .unwrap();
    for part in [
        "新收政府信息公开申请3件",
        "予以公开2件",
        "部分公开1件",
        "结转下年度继续办理0件",
    ] {
        assert!(on_request.contains(part), "{part}: {on_request}");
    }
    let empty = document(&document_bytes(&report("")).unwrap());
    assert!(empty.contains("未收到政府信息公开申请"));
}

#[test]
fn templates_folder_replaces_defaults_and_input_wins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("management.hbs"),
        "{{short_name}}自定义管理模板。",
    )
    .unwrap();
    std::fs::write(dir.path().join("oversight.hbs"), "自定义监督模板。").unwrap();
    let engine = nianbao::TextEngine::from_dir(dir.path()).unwrap();
    let r = report("[text]\noversight = \"输入的监督文字。\"\n");
    let xml = document(&crate::common::docx_bytes_with(&r, &engine));
    assert!(xml.contains("某县统计局自定义管理模板。"));
    assert!(xml.contains("输入的监督文字。"));
    assert!(!xml.contains("自定义监督模板。"));

    std::fs::write(dir.path().join("problems.hbs"), "好\n{{#if}}").unwrap();
    let err = nianbao::TextEngine::from_dir(dir.path()).unwrap_err();
    assert!(err.to_string().contains("problems.hbs"), "{err}");
}
