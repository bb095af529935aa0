//! The workbook as a list of writes: what [`crate::render::xlsx`] asks of a
//! sheet, recorded instead of done.
//!
//! The workbook builder writes into a [`Book`] of [`Sheet`]s whose methods
//! mirror the few of rust_xlsxwriter's `Worksheet` it uses. A book is then
//! either *replayed* onto a real `rust_xlsxwriter::Workbook` ([`Book::to_workbook`]:
//! the form, and the reference path), or written by
//! [`crate::render::workbook_cache`], which fills the report's values into a
//! skeleton built once for books of the same *shape* (every write with its
//! value left out: see [`Book::same_shape`]).
//!

use rust_xlsxwriter::{
    Color, ConditionalFormatText, ConditionalFormatTextRule, DataValidation, DocProperties,
    ExcelDateTime, Format, ProtectionOptions, Workbook, XlsxError,
};

/// A sheet row, as rust_xlsxwriter numbers them (from 0).
pub type Row = u32;
/// A sheet column (from 0).
pub type Col = u16;

/// The document properties of a workbook (docProps/core.xml and app.xml).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    /// 标题.
    pub title: String,
    /// 主题.
    pub subject: String,
    /// 作者.
    pub author: String,
    /// 单位.
    pub company: String,
    /// 备注.
    pub comment: String,
    /// Creation date `(year, month, day)`, midnight.
    pub created: (u16, u8, u8),
}

impl Properties {
    /// As rust_xlsxwriter takes them.
    pub fn to_doc_properties(&self) -> Result<DocProperties, XlsxError> {
        let (y, m, d) = self.created;
        Ok(DocProperties::new()
            .set_title(&self.title)
            .set_subject(&self.subject)
            .set_author(&self.author)
            .set_company(&self.company)
            .set_comment(&self.comment)
            .set_creation_datetime(&ExcelDateTime::from_ymd(y, m, d)?))
    }
}

/// One write to a sheet. Fields named `value`/`text`/`result` are the
/// report's; everything else is the shape.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Name(String),
    ColumnWidth(Col, f64),
    RowHeight(Row, f64),
    Merge {
        range: (Row, Col, Row, Col),
        text: String,
        format: usize,
    },
    String {
        at: (Row, Col),
        text: String,
        format: usize,
    },
    Number {
        at: (Row, Col),
        value: f64,
        format: usize,
    },
    Formula {
        at: (Row, Col),
        formula: String,
        result: String,
        format: usize,
    },
    /// Highlight cells containing `text` (font and fill colours).
    HighlightContaining {
        range: (Row, Col, Row, Col),
        text: String,
        colors: (u32, u32),
    },
    FreezePanes(Row, Col),
    PaperSize(u8),
    FitToPages(u16, u16),
    CenterHorizontally(bool),
    Margins([f64; 6]),
    RepeatRows(Row, Row),
    /// Opaque: a book holding one is never written from a skeleton.
    Validation((Row, Col, Row, Col), Opaque<DataValidation>),
    /// Opaque, as [`Op::Validation`].
    Protect(Opaque<ProtectionOptions>),
}

/// A rust_xlsxwriter value we pass on without looking into (it has no `Debug`).
#[derive(Clone)]
pub(crate) struct Opaque<T>(Box<T>);

impl<T> std::fmt::Debug for Opaque<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(std::any::type_name::<T>())
    }
}

/// How a string value is written: nothing (empty), a shared string, or
/// something only rust_xlsxwriter's own writer handles (escapes, rich text,
/// past the length limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StringKind {
    Empty,
    Plain,
    Special,
}

/// Excel's limit on the characters of a cell.
const MAX_STRING_CHARS: usize = 32_767;

pub(crate) fn string_kind(s: &str) -> StringKind {
    if s.is_empty() {
        return StringKind::Empty;
    }
    let special = s.contains("_x")
        || (s.starts_with("<r>") && s.ends_with("</r>"))
        || s.bytes().any(|b| b < 0x20 && b != b'\t' && b != b'\n')
        || s.len() > MAX_STRING_CHARS && s.chars().count() > MAX_STRING_CHARS;
    if special {
        StringKind::Special
    } else {
        StringKind::Plain
    }
}

/// The type rust_xlsxwriter gives a formula's cached result (`t="…"`).
pub(crate) fn result_kind(result: &str) -> u8 {
    if result.parse::<f64>().is_ok() {
        0
    } else {
        match result {
            "#DIV/0!" | "#N/A" | "#NAME?" | "#NULL!" | "#NUM!" | "#REF!" | "#VALUE!"
            | "#GETTING_DATA" => 1,
            "TRUE" | "FALSE" => 2,
            _ => 3,
        }
    }
}

/// Both empty, or both plain (never a string only rust_xlsxwriter writes).
fn same_string_shape(a: &str, b: &str) -> bool {
    matches!(
        (string_kind(a), string_kind(b)),
        (StringKind::Empty, StringKind::Empty) | (StringKind::Plain, StringKind::Plain)
    )
}

impl Op {
    /// The same write but for its value (never for a value only
    /// rust_xlsxwriter writes, nor for an opaque write).
    fn same_shape(&self, other: &Op) -> bool {
        use Op::*;
        match (self, other) {
            (Name(a), Name(b)) => a == b,
            (ColumnWidth(c, w), ColumnWidth(c2, w2)) => c == c2 && w.to_bits() == w2.to_bits(),
            (RowHeight(r, h), RowHeight(r2, h2)) => r == r2 && h.to_bits() == h2.to_bits(),
            (
                Merge {
                    range,
                    text,
                    format,
                },
                Merge {
                    range: range2,
                    text: text2,
                    format: format2,
                },
            ) => range == range2 && format == format2 && same_string_shape(text, text2),
            (
                String { at, text, format },
                String {
                    at: at2,
                    text: t2,
                    format: f2,
                },
            ) => at == at2 && format == f2 && string_kind(text) == string_kind(t2),
            (
                Number { at, value, format },
                Number {
                    at: at2,
                    value: v2,
                    format: f2,
                },
            ) => at == at2 && format == f2 && value.is_finite() == v2.is_finite(),
            (
                Formula {
                    at,
                    formula,
                    result,
                    format,
                },
                Formula {
                    at: at2,
                    formula: formula2,
                    result: result2,
                    format: format2,
                },
            ) => {
                at == at2
                    && format == format2
                    && formula == formula2
                    && result_kind(result) == result_kind(result2)
                    && same_string_shape(result, result2)
            }
            (
                HighlightContaining {
                    range,
                    text,
                    colors,
                },
                HighlightContaining {
                    range: r2,
                    text: t2,
                    colors: c2,
                },
            ) => range == r2 && text == t2 && colors == c2,
            (FreezePanes(r, c), FreezePanes(r2, c2)) => r == r2 && c == c2,
            (PaperSize(a), PaperSize(b)) => a == b,
            (FitToPages(a, b), FitToPages(a2, b2)) => a == a2 && b == b2,
            (CenterHorizontally(a), CenterHorizontally(b)) => a == b,
            (Margins(a), Margins(b)) => a.map(f64::to_bits) == b.map(f64::to_bits),
            (RepeatRows(a, b), RepeatRows(a2, b2)) => a == a2 && b == b2,
            _ => false,
        }
    }

    /// Whether the op can be written from a skeleton at all.
    fn is_transparent(&self) -> bool {
        match self {
            Op::Validation(..) | Op::Protect(_) => false,
            Op::Merge { text, .. } | Op::String { text, .. } => {
                string_kind(text) != StringKind::Special
            }
            Op::Number { value, .. } => value.is_finite(),
            Op::Formula { result, .. } => string_kind(result) != StringKind::Special,
            _ => true,
        }
    }
}

/// One sheet's writes, in order.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub(crate) ops: Vec<Op>,
    /// The formats this sheet's writes refer to.
    formats: Vec<Format>,
    /// Where each format was when first seen: the builder passes the same
    /// few formats again and again, found by address before by value.
    seen_at: Vec<(usize, usize)>,
}

/// A workbook as the list of its sheets' writes.
#[derive(Debug, Clone, Default)]
pub struct Book {
    /// The document properties.
    pub properties: Properties,
    pub(crate) sheets: Vec<Sheet>,
}

impl Book {
    /// An empty book with these properties.
    pub fn new(properties: Properties) -> Book {
        Book {
            properties,
            sheets: Vec::new(),
        }
    }

    /// A new sheet at the end.
    pub fn add_worksheet(&mut self) -> &mut Sheet {
        self.sheets.push(Sheet::default());
        let last = self.sheets.len() - 1;
        &mut self.sheets[last]
    }

    /// Whether `other` makes the same writes with (perhaps) other values:
    /// the same sheets, formats, cells, merges, heights, formulas and page
    /// setup, each string empty or not in both, each formula's result of
    /// the same type. Books holding an opaque write never compare equal.
    pub fn same_shape(&self, other: &Book) -> bool {
        self.sheets.len() == other.sheets.len()
            && self.sheets.iter().zip(&other.sheets).all(|(a, b)| {
                a.formats == b.formats
                    && a.ops.len() == b.ops.len()
                    && a.ops.iter().zip(&b.ops).all(|(x, y)| x.same_shape(y))
            })
    }

    /// Whether every write can be written from a skeleton.
    pub fn is_transparent(&self) -> bool {
        self.sheets
            .iter()
            .all(|s| s.ops.iter().all(Op::is_transparent))
    }

    /// Replays every write onto a new rust_xlsxwriter workbook (deflate level 1).
    pub fn to_workbook(&self) -> Result<Workbook, XlsxError> {
        self.to_workbook_with(&self.properties)
    }

    /// As [`Book::to_workbook`], with other document properties.
    pub(crate) fn to_workbook_with(&self, properties: &Properties) -> Result<Workbook, XlsxError> {
        let mut wb = Workbook::new();
        // Deflate level 1: about half the time of the default level for a few
        // per cent more bytes (these files are ~15 KB).
        wb.set_zip_compression_level(1);
        wb.set_properties(&properties.to_doc_properties()?);
        self.add_sheets_to(&mut wb)?;
        Ok(wb)
    }

    /// Replays the sheets' writes onto `wb`, after the sheets it has.
    pub fn add_sheets_to(&self, wb: &mut Workbook) -> Result<(), XlsxError> {
        for sheet in &self.sheets {
            let ws = wb.add_worksheet();
            let f = |i: usize| &sheet.formats[i];
            for op in &sheet.ops {
                match op {
                    Op::Name(name) => {
                        ws.set_name(name)?;
                    }
                    Op::ColumnWidth(c, w) => {
                        ws.set_column_width(*c, *w)?;
                    }
                    Op::RowHeight(r, h) => {
                        ws.set_row_height(*r, *h)?;
                    }
                    Op::Merge {
                        range: (r, c, r2, c2),
                        text,
                        format,
                    } => {
                        ws.merge_range(*r, *c, *r2, *c2, text, f(*format))?;
                    }
                    Op::String {
                        at: (r, c),
                        text,
                        format,
                    } => {
                        ws.write_string_with_format(*r, *c, text, f(*format))?;
                    }
                    Op::Number {
                        at: (r, c),
                        value,
                        format,
                    } => {
                        ws.write_number_with_format(*r, *c, *value, f(*format))?;
                    }
                    Op::Formula {
                        at: (r, c),
                        formula,
                        result,
                        format,
                    } => {
                        let formula =
                            rust_xlsxwriter::Formula::new(formula).set_result(result.as_str());
                        ws.write_formula_with_format(*r, *c, formula, f(*format))?;
                    }
                    Op::HighlightContaining {
                        range: (r, c, r2, c2),
                        text,
                        colors: (font, fill),
                    } => {
                        let format = Format::new()
                            .set_font_color(Color::RGB(*font))
                            .set_background_color(Color::RGB(*fill));
                        ws.add_conditional_format(
                            *r,
                            *c,
                            *r2,
                            *c2,
                            &ConditionalFormatText::new()
                                .set_rule(ConditionalFormatTextRule::Contains(text.clone()))
                                .set_format(format),
                        )?;
                    }
                    Op::FreezePanes(r, c) => {
                        ws.set_freeze_panes(*r, *c)?;
                    }
                    Op::PaperSize(size) => {
                        ws.set_paper_size(*size);
                    }
                    Op::FitToPages(w, h) => {
                        ws.set_print_fit_to_pages(*w, *h);
                    }
                    Op::CenterHorizontally(on) => {
                        ws.set_print_center_horizontally(*on);
                    }
                    Op::Margins([l, r, t, b, h, f]) => {
                        ws.set_margins(*l, *r, *t, *b, *h, *f);
                    }
                    Op::RepeatRows(first, last) => {
                        ws.set_repeat_rows(*first, *last)?;
                    }
                    Op::Validation((r, c, r2, c2), dv) => {
                        ws.add_data_validation(*r, *c, *r2, *c2, &dv.0)?;
                    }
                    Op::Protect(options) => {
                        ws.protect_with_options(&options.0);
                    }
                }
            }
        }
        Ok(())
    }
}

/// The sheet methods mirror rust_xlsxwriter's `Worksheet` (same names and
/// arguments, `Result` where it has one), so that the builder reads the same.
impl Sheet {
    fn format(&mut self, format: &Format) -> usize {
        let address = std::ptr::from_ref(format) as usize;
        if let Some(&(_, i)) = self.seen_at.iter().find(|(a, _)| *a == address) {
            return i;
        }
        let i = match self.formats.iter().position(|f| f == format) {
            Some(i) => i,
            None => {
                self.formats.push(format.clone());
                self.formats.len() - 1
            }
        };
        self.seen_at.push((address, i));
        i
    }

    /// The sheet's name.
    pub fn set_name(&mut self, name: impl Into<String>) -> Result<&mut Sheet, XlsxError> {
        self.ops.push(Op::Name(name.into()));
        Ok(self)
    }

    /// A column's width in characters.
    pub fn set_column_width(
        &mut self,
        col: Col,
        width: impl Into<f64>,
    ) -> Result<&mut Sheet, XlsxError> {
        self.ops.push(Op::ColumnWidth(col, width.into()));
        Ok(self)
    }

    /// A row's height in points.
    pub fn set_row_height(
        &mut self,
        row: Row,
        height: impl Into<f64>,
    ) -> Result<&mut Sheet, XlsxError> {
        self.ops.push(Op::RowHeight(row, height.into()));
        Ok(self)
    }

    /// Merges a range and writes `text` in it.
    pub fn merge_range(
        &mut self,
        first_row: Row,
        first_col: Col,
        last_row: Row,
        last_col: Col,
        text: &str,
        format: &Format,
    ) -> Result<&mut Sheet, XlsxError> {
        let format = self.format(format);
        self.ops.push(Op::Merge {
            range: (first_row, first_col, last_row, last_col),
            text: text.to_string(),
            format,
        });
        Ok(self)
    }

    /// A string cell.
    pub fn write_string_with_format(
        &mut self,
        row: Row,
        col: Col,
        text: impl Into<String>,
        format: &Format,
    ) -> Result<&mut Sheet, XlsxError> {
        let format = self.format(format);
        self.ops.push(Op::String {
            at: (row, col),
            text: text.into(),
            format,
        });
        Ok(self)
    }

    /// A number cell.
    pub fn write_number_with_format(
        &mut self,
        row: Row,
        col: Col,
        value: impl Into<f64>,
        format: &Format,
    ) -> Result<&mut Sheet, XlsxError> {
        let format = self.format(format);
        self.ops.push(Op::Number {
            at: (row, col),
            value: value.into(),
            format,
        });
        Ok(self)
    }

    /// A formula cell with its cached result.
    pub fn write_formula_with_format(
        &mut self,
        row: Row,
        col: Col,
        formula: impl Into<String>,
        result: impl Into<String>,
        format: &Format,
    ) -> Result<&mut Sheet, XlsxError> {
        let format = self.format(format);
        self.ops.push(Op::Formula {
            at: (row, col),
            formula: formula.into(),
            result: result.into(),
            format,
        });
        Ok(self)
    }

    /// Cells of the range containing `text` in `font` colour on `fill`.
    pub fn highlight_containing(
        &mut self,
        range: (Row, Col, Row, Col),
        text: &str,
        font: u32,
        fill: u32,
    ) -> Result<&mut Sheet, XlsxError> {
        self.ops.push(Op::HighlightContaining {
            range,
            text: text.to_string(),
            colors: (font, fill),
        });
        Ok(self)
    }

    /// Rows above `row` (and columns left of `col`) stay in view.
    pub fn set_freeze_panes(&mut self, row: Row, col: Col) -> Result<&mut Sheet, XlsxError> {
        self.ops.push(Op::FreezePanes(row, col));
        Ok(self)
    }

    /// Excel's paper size code (9: A4).
    pub fn set_paper_size(&mut self, size: u8) -> &mut Sheet {
        self.ops.push(Op::PaperSize(size));
        self
    }

    /// Fit to `width` pages wide and `height` tall (0: as many as needed).
    pub fn set_print_fit_to_pages(&mut self, width: u16, height: u16) -> &mut Sheet {
        self.ops.push(Op::FitToPages(width, height));
        self
    }

    /// Centre on the page horizontally.
    pub fn set_print_center_horizontally(&mut self, on: bool) -> &mut Sheet {
        self.ops.push(Op::CenterHorizontally(on));
        self
    }

    /// Page margins in inches: left, right, top, bottom, header, footer.
    pub fn set_margins(&mut self, l: f64, r: f64, t: f64, b: f64, h: f64, f: f64) -> &mut Sheet {
        self.ops.push(Op::Margins([l, r, t, b, h, f]));
        self
    }

    /// Rows repeated at the top of every printed page.
    pub fn set_repeat_rows(&mut self, first: Row, last: Row) -> Result<&mut Sheet, XlsxError> {
        self.ops.push(Op::RepeatRows(first, last));
        Ok(self)
    }

    /// A data validation on a range.
    pub fn add_data_validation(
        &mut self,
        first_row: Row,
        first_col: Col,
        last_row: Row,
        last_col: Col,
        validation: &DataValidation,
    ) -> Result<&mut Sheet, XlsxError> {
        self.ops.push(Op::Validation(
            (first_row, first_col, last_row, last_col),
            Opaque(Box::new(validation.clone())),
        ));
        Ok(self)
    }

    /// Protects the sheet.
    pub fn protect_with_options(&mut self, options: &ProtectionOptions) -> &mut Sheet {
        self.ops
            .push(Op::Protect(Opaque(Box::new(options.clone()))));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(label: &str, n: f64) -> Book {
        let mut book = Book::new(Properties {
            created: (2025, 1, 20),
            ..Properties::default()
        });
        let bold = Format::new().set_bold();
        let sheet = book.add_worksheet();
        sheet.set_name("表").unwrap();
        sheet.write_string_with_format(0, 0, label, &bold).unwrap();
        sheet.write_number_with_format(1, 0, n, &bold).unwrap();
        book
    }

    /// Other values, same shape; another kind of value, another shape; a
    /// replayed book is a workbook.
    #[test]
    fn shapes() {
        let a = book("标签", 7.0);
        assert!(a.same_shape(&book("另一个标签", 8.0)));
        assert!(
            !a.same_shape(&book("", 8.0)),
            "an empty string writes no cell"
        );
        assert!(
            !a.same_shape(&book("_x0041_", 8.0)),
            "escaped by rust_xlsxwriter"
        );
        assert!(!a.same_shape(&book("标签", f64::NAN)));
        let bytes = a.to_workbook().unwrap().save_to_buffer().unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }

    /// A sheet with a validation or protection is never written from a skeleton.
    #[test]
    fn opaque_writes_make_a_book_opaque() {
        let mut a = book("标签", 7.0);
        assert!(a.is_transparent());
        a.sheets[0].protect_with_options(&ProtectionOptions::default());
        assert!(!a.is_transparent());
        assert!(!a.same_shape(&a.clone()));
    }
}
