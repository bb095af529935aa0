//! # nianbao (年报)
//!
//! Produces the statutory 政府信息公开工作年度报告 of a Chinese government
//! agency — the official Word document and the Excel statistical workbook —
//! from one structured input file (TOML, JSON or a filled Excel form).
//!
//! The pieces, in the order data flows through them:
//!
//! - [`model`]: the report as read from the input ([`model::Report`]);
//! - [`load`]: reading TOML/JSON/XLSX with errors that name file, key and line;
//! - [`tables`]: the three mandated tables, described once as data;
//! - [`check`]: the consistency rules (勾稽关系) → [`check::Finding`]s;
//! - [`starter`]: the commented starter file of `nianbao init`;
//! - [`batch`]: a whole county in one run — reports, summary, check report, manifest;
//! - [`synthetic`]: varied consistent reports for load tests.
//!
//! ```
//! let report = nianbao::model::Report::from_toml_str(
//!     "[report]\nagency = \"某县统计局\"\nyear = 2024\n",
//!     "example.toml",
//! ).unwrap();
//! assert!(nianbao::check::check(&report).is_empty());
//! ```

pub mod batch;
pub mod check;
pub mod docx;
pub mod error;
pub mod form;
pub mod generate;
pub mod load;
pub mod model;
pub mod names;
pub mod ooxml;
pub mod output;
pub mod starter;
pub mod synthetic;
pub mod tables;
pub mod text;
pub mod xlsx;

pub use error::LoadError;
pub use load::load;
