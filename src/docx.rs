//! The Word report (DOCX). PLACEHOLDER until issue 3 lands.

use crate::model::Report;

/// Renders the report as DOCX bytes.
pub fn document_bytes(_report: &Report) -> Result<Vec<u8>, std::io::Error> {
    Err(std::io::Error::other("DOCX writer not implemented yet"))
}
