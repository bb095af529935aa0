//! The fill-in Excel form: reading a filled form back into a [`Report`].

use std::path::Path;

use crate::error::LoadError;
use crate::model::Report;

/// Reads a filled form (`.xlsx`) back into a report.
pub fn read_form(path: &Path) -> Result<Report, LoadError> {
    Err(LoadError::UnknownKind {
        file: path.display().to_string(),
    })
}
