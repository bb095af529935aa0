//! The mandated format as data, spelled once: the three tables ([`tables`]),
//! the outline of sections and narrative blocks ([`outline`]) and the sheet
//! geometry of the workbook and the form ([`sheets`]). Every writer, reader,
//! the checker and the service read it here; nothing else spells a label.

pub mod outline;
pub mod sheets;
pub mod tables;
