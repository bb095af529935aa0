//! # nianbao (年报)
//!
//! Produces the statutory 政府信息公开工作年度报告 of a Chinese government
//! agency — the official Word document and the Excel statistical workbook —
//! from one structured input (TOML, JSON or a filled Excel form).
//!
//! ## The face
//!
//! - read a report: [`read_bytes`] (bytes plus an [`InputKind`]) or [`read_path`];
//! - check it: [`check()`] → [`Finding`]s, serializable as [`CheckResult`];
//!   [`check_with_text`] adds R7, the numbers the rendered narrative quotes;
//! - render it: [`render()`] → the files in memory ([`OutputFile`]), after the check;
//! - a whole county: [`batch`];
//! - the county collection server's state (agencies, accounts, reports and
//!   their versions in SQLite): [`store`];
//! - the HTTP service of `nianbao serve`: [`serve`] ([`serve::router`], [`serve::run`]);
//! - one [`Error`] that says whether the input was wrong or we failed.
//!
//! The mandated format itself is data in [`spec`] (tables, outline, sheets);
//! the report is [`model::Report`].
//!
//! A program that does not use the command line:
//!
//! ```
//! use nianbao::{InputKind, Outputs};
//! let toml = std::fs::read("inputs/butaji-2024.toml").unwrap();
//! let report = nianbao::read_bytes(&toml, InputKind::Toml, "butaji-2024.toml").unwrap();
//! let result = nianbao::CheckResult::new(&report);
//! assert!(result.ok());
//! let (files, _warnings) = nianbao::render(&report, "butaji-2024.toml", Outputs::default()).unwrap();
//! assert_eq!(files[0].name, "潢川县卜塔集镇人民政府2024年政府信息公开工作年度报告.docx");
//! assert_eq!(&files[1].bytes[..2], b"PK");
//! ```
//!
//! ## Layers
//!
//! Dependencies point down only (a test reads `src/**/*.rs` and fails on an
//! upward `crate::` path or a cycle):
//!
//! ```text
//! model      the report, money, dates, text validation (leaf)
//! spec       the mandated format as data: tables, outline, sheet geometry
//! check      spec × report → findings
//! text       handlebars blocks, helpers, defaults
//! read       TOML / JSON / filled form → report
//! synthetic  varied consistent reports for load tests
//! render     docx + ooxml, xlsx, the fill-in form, starter file, file names, atomic writes;
//!            the face's one Error type
//! import     published .txt / .docx / .html / .pdf → report, summary, TOML
//! batch      many inputs → reports, summary, check report, manifest
//! store      the county server's state: agencies, accounts, sessions, reports
//!            and their versions in one SQLite file
//! serve      the HTTP service: the JSON API on axum, its limits and request log
//! ```
//!
//! The command line (`src/main.rs`, `src/cli/`) uses only this face.

mod check;
pub mod model;
mod read;
mod render;
pub mod spec;
mod text;

pub mod batch;
pub mod import;
pub mod serve;
pub mod store;
pub mod synthetic;

pub use check::{
    BOILERPLATE_BLOCKS, CheckResult, DEFAULT_TEXTS, FEES_NOT_REPORTED, Finding, Severity, check,
    check_against_previous, check_text, default_texts, fees_not_reported, has_errors,
};
pub use read::form::read_form_bytes;
pub use read::{
    InputKind, IoAction, LoadError, MAX_INPUT_BYTES, io_reason, load as read_path, read_bytes,
    read_toml_from,
};
pub use render::form::{clear_given_totals, form_bytes, new_report};
pub use render::names::{MAX_NAME_BYTES, agency_key, safe_file_name};
pub use render::output::{is_temp_name, write_all_or_none, write_atomically};
pub use render::pdf::{Office, PdfError, convert_each, pdfs, pdfs_side_by_side};
pub use render::starter::starter_toml;
pub use render::{Error, Html, OutputFile, Outputs, check_with_text, render, render_with};
pub use text::{
    Blocks, HELPERS as TEMPLATE_HELPERS, TextEngine, TextError, Variable, default_template,
    variables as text_variables,
};
