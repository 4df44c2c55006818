//! One writer at a time on a data dir: an exclusive `flock` on `DATA_DIR/.lock`.
//!
//! Whatever changes the library's files (an import, a removal, a rollback, the starter's
//! install, the leftover cleanup at start) takes it first, and the functions that do so ask
//! for a [`LibraryLock`] to prove it. Without it, a cleanup running during another
//! process's first-time import takes the new pack's folder for a leftover and deletes it.
//! Readers (the server's workers, `pack list`) never take it: SQLite and the rename of a
//! finished folder keep what they see whole.

use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data dir. It is never deleted: a process waiting on
/// the old file would then miss a new one.
pub const LOCK_FILE: &str = ".lock";

/// Why the library could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "une autre installation est en cours sur cette bibliothèque (verrou `{0}`) : \
         réessayez quand elle sera finie, ou relancez sans `--no-wait` pour l'attendre"
    )]
    Busy(PathBuf),
    #[error("impossible de verrouiller `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Whether to wait for the writer that holds the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Wait as long as it takes; `on_wait` is called once, before waiting.
    Yes,
    /// Fail at once with [`LockError::Busy`].
    No,
}

/// The exclusive right to change the library of one data dir, until dropped (or until
/// the process ends, however it ends: the kernel releases a `flock` with its file).
#[derive(Debug)]
pub struct LibraryLock {
    _file: File,
    data_dir: PathBuf,
}

impl LibraryLock {
    /// Takes the lock of `data_dir` (created if needed). With `Wait::Yes`, `on_wait` says
    /// once that another writer holds it, then this waits for it.
    pub fn acquire(
        data_dir: &Path,
        wait: Wait,
        on_wait: &dyn Fn(),
    ) -> Result<LibraryLock, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(data_dir).map_err(io)?;
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => match wait {
                Wait::No => return Err(LockError::Busy(path)),
                Wait::Yes => {
                    on_wait();
                    file.lock().map_err(io)?;
                }
            },
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        Ok(LibraryLock {
            _file: file,
            data_dir: data_dir.to_owned(),
        })
    }

    /// The data dir this lock holds.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_second_lock_on_the_same_data_dir_is_busy_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = LibraryLock::acquire(&data, Wait::No, &|| {}).unwrap();
        let waited = Cell::new(false);
        let err = LibraryLock::acquire(&data, Wait::No, &|| waited.set(true)).unwrap_err();
        assert!(
            matches!(&err, LockError::Busy(p) if p.ends_with(LOCK_FILE)),
            "{err}"
        );
        assert!(err.to_string().contains("--no-wait"), "{err}");
        assert!(!waited.get(), "`on_wait` called without waiting");
        drop(first);
        let again = LibraryLock::acquire(&data, Wait::Yes, &|| waited.set(true)).unwrap();
        assert!(!waited.get(), "waited for a free lock");
        assert_eq!(again.data_dir(), data);
        assert!(data.join(LOCK_FILE).is_file());
    }
}
