//! Files written so that a crash never leaves half of one.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::error::CoreError;

/// The directory holding `path`: `.` for a bare file name, whose
/// `parent()` is empty.
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Writes a whole file crash-safely: temporary file, fsync, rename, fsync of
/// the directory. Readers see the old content or the new, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<(), CoreError> {
    let tmp = path.with_extension("tmp");
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        sync_dir(parent_dir(path))
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        CoreError::io("write", path)(e)
    })
}

/// Flushes a directory's entries (a rename or a removal) to disk.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}
