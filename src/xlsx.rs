//! The Excel statistical workbook (XLSX). PLACEHOLDER until issue 4 lands.

use crate::model::Report;

/// Renders the statistical workbook as XLSX bytes; `source` is the input file name.
pub fn workbook_bytes(_report: &Report, _source: &str) -> Result<Vec<u8>, std::io::Error> {
    Err(std::io::Error::other("XLSX writer not implemented yet"))
}

/// Adds the sheets 主动公开, 依申请公开 and 复议诉讼 (tables 二, 三, 四 in the
/// mandated layout, totals as formulas) for `report` to `workbook`.
pub fn add_table_sheets(
    _workbook: &mut rust_xlsxwriter::Workbook,
    _report: &Report,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    Ok(())
}
