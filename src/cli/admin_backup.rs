//! `nianbao admin backup`: a consistent copy of the county server's
//! database, also while the server runs.

use std::path::Path;

use super::{Fatal, Outcome};

/// Copies `DIR/nianbao.db` to `file` (never over an existing file) and
/// prints its size.
pub fn run(data: &Path, file: &Path) -> Result<Outcome, Fatal> {
    let store = nianbao::store::Store::open(data)?;
    let size = store.backup(file)?;
    println!("已备份到 {}（{size} 字节）。", file.display());
    Ok(Outcome::default())
}
