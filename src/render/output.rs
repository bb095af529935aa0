//! Writing output files: atomically, so that a reader never sees half a file.
//!
//! Every file the crate writes goes through [`write_with`] (or its shorthand
//! [`write_atomically`]): the content goes to a temporary file in the
//! target's folder, created by `tempfile` with a short name
//! (`.nb-XXXXXX.tmp`, 14 bytes, so that any target name the file system
//! allows — up to 255 bytes — can be written), which is then renamed onto the
//! target. On any error, and when the writer panics, the temporary file is
//! removed. Only a process killed outright (SIGKILL, power loss) can leave
//! one behind: [`is_temp_name`] recognises those, and [`remove_stale_temps`]
//! removes them (the batch does so before it writes into a folder).

use std::fs::File;
use std::io::Write;
use std::path::Path;

/// How every temporary file's name begins.
pub const TEMP_PREFIX: &str = ".nb-";
/// How every temporary file's name ends.
pub const TEMP_SUFFIX: &str = ".tmp";
/// Random characters between [`TEMP_PREFIX`] and [`TEMP_SUFFIX`].
const TEMP_RANDOM: usize = 6;

/// Whether [`write_with`] waits until the content is on the disk before the
/// rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `fsync` the temporary file before the rename: after a power loss the
    /// target holds either the old or the new content.
    Synced,
    /// No `fsync` (a batch writes thousands of files, and 2,000 syncs cost
    /// ≈ 9 s): a reader never sees part of a file, but a power loss right
    /// after the write can leave an empty one.
    Unsynced,
}

/// Writes `bytes` to `path` atomically and durably (`Durability::Synced`).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("a.txt");
/// nianbao::write_atomically(&path, b"hello").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"hello");
/// ```
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with(path, Durability::Synced, |file| file.write_all(bytes))
}

/// Writes `path` atomically: `write` fills a temporary file in the same
/// folder (handed to it open, at its start), which then replaces `path`.
/// Whatever `write` returns is passed on; when it fails (or the rename
/// does), the temporary file is removed and `path` is left as it was.
pub fn write_with<T, E: From<std::io::Error>>(
    path: &Path,
    durability: Durability,
    write: impl FnOnce(&mut File) -> Result<T, E>,
) -> Result<T, E> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Dropped on every early return (and on unwinding): the file is removed.
    let mut tmp = temp_builder().tempfile_in(dir)?;
    let value = write(tmp.as_file_mut())?;
    if durability == Durability::Synced {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(std::io::Error::from)?;
    Ok(value)
}

/// The temporary files' names (`.nb-XXXXXX.tmp`, short so that a long
/// final name fits) and permissions.
fn temp_builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .rand_bytes(TEMP_RANDOM);
    #[cfg(unix)]
    {
        // tempfile's default is 0600; the target gets what `File::create`
        // would give it (0666 less the umask).
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder
}

/// Writes every `(path, bytes)` of `files` or none of them: each is written
/// to a temporary file first and only when all are written are they renamed
/// into place; if a rename fails, the files already renamed are removed
/// again. For the DOCX and XLSX pair of one report. Returns the first error.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let (a, b) = (dir.path().join("a.docx"), dir.path().join("b.xlsx"));
/// nianbao::write_all_or_none(&[(a.as_path(), b"one"), (b.as_path(), b"two")]).unwrap();
/// assert_eq!(std::fs::read(&b).unwrap(), b"two");
/// // A folder in the way of the second file: neither is (re)written.
/// std::fs::remove_file(&a).unwrap();
/// std::fs::remove_file(&b).unwrap();
/// std::fs::create_dir(&b).unwrap();
/// assert!(nianbao::write_all_or_none(&[(a.as_path(), b"one"), (b.as_path(), b"two")]).is_err());
/// assert!(!a.exists());
/// ```
pub fn write_all_or_none(files: &[(&Path, &[u8])]) -> std::io::Result<()> {
    let mut temps = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tmp = temp_builder().tempfile_in(dir)?;
        std::io::Write::write_all(tmp.as_file_mut(), bytes)?;
        tmp.as_file().sync_all()?;
        temps.push((tmp, *path));
    }
    let mut placed: Vec<&Path> = Vec::new();
    for (tmp, path) in temps {
        if let Err(e) = tmp.persist(path) {
            for done in placed {
                let _ = std::fs::remove_file(done);
            }
            return Err(e.error);
        }
        placed.push(path);
    }
    Ok(())
}

/// Whether `name` is one of `write_with`'s temporary files, or one that
/// earlier versions of nianbao wrote (`.<name>.<process id>.tmp`: the
/// batch's spool files, an agency's file, a summary, the manifest).
pub fn is_temp_name(name: &str) -> bool {
    let Some(rest) = name.strip_suffix(TEMP_SUFFIX) else {
        return false;
    };
    if let Some(random) = rest.strip_prefix(TEMP_PREFIX) {
        return random.len() == TEMP_RANDOM && random.bytes().all(|b| b.is_ascii_alphanumeric());
    }
    // Earlier versions: `.` + the target's name + `.` + the process id.
    match rest.rsplit_once('.') {
        Some((head, pid)) => {
            head.len() > 1
                && head.starts_with('.')
                && !pid.is_empty()
                && pid.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Removes the temporary files ([`is_temp_name`]) that a killed run left in
/// `dir` (not in its sub-folders: nothing writes there) and returns their
/// names, sorted. Only call this while no other process writes into `dir`.
pub fn remove_stale_temps(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_temp_name(&name) && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            removed.push(name);
        }
    }
    removed.sort();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file name of `bytes` bytes: Chinese characters (3 bytes each), then
    /// ASCII to make up the rest, then `.toml`.
    fn long_name(bytes: usize) -> String {
        let stem = bytes - ".toml".len();
        let mut name = "年".repeat(stem / 3);
        name.push_str(&"a".repeat(stem % 3));
        name.push_str(".toml");
        assert_eq!(name.len(), bytes);
        name
    }

    fn dir_names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_250_byte_name_is_written() {
        let dir = tempfile::tempdir().unwrap();
        for bytes in [250, 255] {
            let name = long_name(bytes);
            let path = dir.path().join(&name);
            write_atomically(&path, "内容".as_bytes()).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "内容");
            write_with(&path, Durability::Unsynced, |f| f.write_all(b"again")).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"again");
        }
        assert_eq!(dir_names(dir.path()), [long_name(250), long_name(255)]);
    }

    #[test]
    fn a_failed_write_leaves_nothing_and_keeps_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "old").unwrap();
        let r: Result<(), std::io::Error> = write_with(&path, Durability::Synced, |f| {
            f.write_all(b"half")?;
            Err(std::io::Error::other("磁盘已满"))
        });
        assert_eq!(r.unwrap_err().to_string(), "磁盘已满");
        let panicked = std::panic::catch_unwind(|| {
            let _ = write_with(&path, Durability::Synced, |f| -> std::io::Result<()> {
                f.write_all(b"half")?;
                panic!("writer bug")
            });
        });
        assert!(panicked.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(dir_names(dir.path()), ["a.txt"]);
        // A folder in the way: the rename fails, nothing is left.
        std::fs::create_dir(dir.path().join("d")).unwrap();
        assert!(write_atomically(&dir.path().join("d"), b"x").is_err());
        assert_eq!(dir_names(dir.path()), ["a.txt", "d"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_target_gets_ordinary_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomically(&path, b"x").unwrap();
        let reference = dir.path().join("b.txt");
        std::fs::write(&reference, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&reference));
    }

    #[test]
    fn temp_names_are_recognised_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let temps = [
            ".nb-a1B2c3.tmp",
            ".nianbao-batch-ok.4242.tmp",
            ".某局报告.docx.17.tmp",
            ".manifest.json.9.tmp",
        ];
        let kept = [
            ".nb-toolong7.tmp",
            "nb-a1B2c3.tmp",
            "a.docx",
            ".hidden.tmp",
            ".x.12a.tmp",
            "报告.1.tmp",
        ];
        for name in temps.iter().chain(&kept) {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        // A folder with a temp name is not ours to remove.
        std::fs::create_dir(dir.path().join(".nb-folder.tmp")).unwrap();
        let mut expected: Vec<String> = temps.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(remove_stale_temps(dir.path()).unwrap(), expected);
        let mut left: Vec<String> = kept.iter().map(|s| s.to_string()).collect();
        left.push(".nb-folder.tmp".to_string());
        left.sort();
        assert_eq!(dir_names(dir.path()), left);

        // A live temporary file has the recognised name.
        let tmp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .rand_bytes(TEMP_RANDOM)
            .tempfile_in(dir.path())
            .unwrap();
        let name = tmp.path().file_name().unwrap().to_string_lossy();
        assert!(is_temp_name(&name), "{name}");
    }
}
