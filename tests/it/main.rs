//! The integration tests: one binary, one module per subject. They use only
//! the library's public face and the `nianbao` binary.

mod common;
mod xlsx_support;

mod bad_input;
mod batch;
mod batch_print;
mod browser;
mod browser_county;
mod cli;
mod cli_generate;
mod county_http;
mod default_texts;
mod docx;
mod docx_layout;
mod docx_schema;
mod docx_soffice;
mod fees;
mod form_guide;
mod format_oracle;
mod golden;
mod hostile_batch;
mod hostile_cli;
mod hostile_form;
mod hostile_load;
mod hostile_mix;
mod hostile_templates;
mod html;
mod import;
mod inputs;
mod layers;
mod os_messages;
mod page;
mod pdf;
mod properties;
mod rules;
mod rules_spec;
mod rules_text;
mod serve;
mod starter;
mod store;
mod tools;
mod xlsx_cli;
mod xlsx_form;
mod xlsx_layout;
mod xlsx_workbook;
