//! `GET /api/spec`: the mandated format of [`crate::spec`] as JSON, built
//! from its public data; nothing here spells a label. A page builds the three
//! tables, their live totals and the text blocks from it:
//!
//! - `title`: the document title with `{agency}` and `{year}` in place;
//! - `tables`: for each table its `id`, `name`, `heading`, `sheet`, `rows`,
//!   `cols`, `header_rows`, `widths` (twips) and every cell that starts in the grid with `row`,
//!   `col`, `row_span`, `col_span`, `align`, `emphasis`, `excel_cell` and, by
//!   `kind`, its `text` (`label`), its `key`, `words` and `value` (`count` or
//!   `amount`, `input`), or its `key`, `words` and `terms` (`[row, col]` of
//!   the cells it sums, `total`);
//! - `basic_info`: the fields of 基本信息 (`key`, `label`, `value`: `text`,
//!   `year`, `date`, `count` or `amount`, `required`, and `section`: the
//!   section they are reported in, or null), and `basic_info_title`, the
//!   name of the form's first sheet;
//! - `outline`: `sections` (the six headings) and `blocks` (`name`, `place`,
//!   `section`, `default_head`, `template`: the default text, a handlebars
//!   template);
//! - `templates`: `variables` (`path`, `words`) and `helpers` (`name`, `use`)
//!   a template can use;
//! - `statuses`: the life of a report on the county server (`code`, `label`,
//!   `editable` by its agency) and `actions` (`code`, `label`) of its versions;
//! - `rules`: `id`, `severity`, `scope`, `left`, `relation`, `right`, `wording`.

use serde_json::{Value, json};

use crate::spec::outline::{BLOCKS, PROCESSING_FEES, SECTION_HEADINGS, section_of, title};
use crate::spec::rules::{RULES, Scope};
use crate::spec::tables::{self, Align, BasicInfo, Content, Field, Table, TableId};
use crate::text::{HELPERS, default_template, variables};

/// The whole document.
pub fn spec() -> Value {
    json!({
        "title": title("{agency}", "{year}"),
        "tables": tables::all().iter().map(|t| table(t)).collect::<Vec<_>>(),
        "basic_info": BasicInfo::ALL.iter().filter(|b| !b.key().is_empty()).map(|b| json!({
            "key": b.key(),
            "label": b.label(),
            "value": match b {
                BasicInfo::Year => "year",
                BasicInfo::IssuedOn => "date",
                BasicInfo::ProcessingFeeNotices => "count",
                BasicInfo::ProcessingFeeNoticesAmount | BasicInfo::ProcessingFeeCollected => "amount",
                _ => "text",
            },
            "required": matches!(b, BasicInfo::Agency | BasicInfo::Year),
            "section": b.key().starts_with("processing_fees.").then(|| section_of(PROCESSING_FEES)).flatten(),
        })).collect::<Vec<_>>(),
        "basic_info_title": BasicInfo::SHEET,
        "templates": {
            "variables": variables(),
            "helpers": HELPERS.iter().map(|(name, usage)| json!({ "name": name, "use": usage })).collect::<Vec<_>>(),
        },
        "outline": {
            "sections": SECTION_HEADINGS,
            "blocks": BLOCKS.iter().map(|b| json!({
                "name": b.name,
                "place": b.place,
                "section": b.section,
                "default_head": b.default_head,
                "template": default_template(b.name),
            })).collect::<Vec<_>>(),
        },
        "statuses": crate::store::Status::ALL.iter().map(|s| json!({
            "code": s,
            "label": s.label(),
            "editable": s.editable(),
        })).collect::<Vec<_>>(),
        "actions": crate::store::Action::ALL.iter().map(|a| json!({
            "code": a,
            "label": a.label(),
        })).collect::<Vec<_>>(),
        "rules": RULES.iter().map(|r| json!({
            "id": r.id,
            "severity": r.severity,
            "scope": scope(r.scope),
            "left": r.left,
            "relation": r.relation.words(),
            "right": r.right,
            "wording": r.wording(),
        })).collect::<Vec<_>>(),
    })
}

fn table(t: &Table) -> Value {
    let cells: Vec<Value> = t
        .cells
        .iter()
        .map(|c| {
            let mut cell = json!({
                "row": c.row,
                "col": c.col,
                "row_span": c.row_span,
                "col_span": c.col_span,
                "align": match c.align { Align::Center => "center", Align::Left => "left" },
                "emphasis": c.emphasis,
                "excel_cell": t.excel_ref(c.row, c.col),
            });
            match &c.content {
                Content::Label(text) => {
                    cell["kind"] = json!("label");
                    cell["text"] = json!(text);
                }
                Content::Input(input) => {
                    cell["kind"] = json!("input");
                    cell["key"] = json!(input.key);
                    cell["words"] = json!(input.words);
                    cell["value"] = json!(match input.field {
                        Field::Fees => "amount",
                        _ => "count",
                    });
                }
                Content::Total(total) => {
                    cell["kind"] = json!("total");
                    cell["key"] = json!(total.key);
                    cell["words"] = json!(total.words);
                    cell["terms"] = json!(total.terms);
                }
            }
            cell
        })
        .collect();
    json!({
        "id": match t.id {
            TableId::Active => "active",
            TableId::Applications => "applications",
            TableId::ReviewLitigation => "review_litigation",
        },
        "name": t.name,
        "heading": t.heading,
        "sheet": t.sheet,
        "rows": t.rows,
        "cols": t.cols,
        "header_rows": t.header_rows,
        "widths": t.widths_twips,
        "cells": cells,
    })
}

fn scope(scope: Scope) -> &'static str {
    match scope {
        Scope::Report => "report",
        Scope::AgainstPrevious => "against_previous",
        Scope::HeldByGenerator => "held_by_generator",
        Scope::HeldByTypes => "held_by_types",
        Scope::NotCheckable => "not_checkable",
    }
}
