//! The mandated format as data, spelled once: the three tables ([`tables`])
//! and their one evaluator ([`grid`]), the consistency rules ([`rules`]) and
//! the figures the narrative may quote from the tables ([`quotes`], R7), the
//! outline of sections and narrative blocks ([`outline`]) and the sheet
//! geometry of the workbook and the form ([`sheets`]), and where labels
//! break between words ([`words`]). Every writer, reader,
//! the checker and the service read it here; nothing else spells a label.

pub mod grid;
pub mod outline;
pub mod quotes;
pub mod rules;
pub mod sheets;
pub mod tables;
pub mod words;
