//! Whether anything was committed to the library since a moment, told without a database
//! connection and without a lock: for pages answered on a connection's own thread (see
//! `web::pages`), which has no SQLite connection of its own.
//!
//! The library is in WAL mode. Every connection to it shares the *wal-index* (the `-shm`
//! file beside the database), whose first 96 bytes are its header, written twice (48 bytes
//! each, the second copy after the first): the transaction counter (`iChange`), the last
//! valid frame (`mxFrame`), the WAL's salts and checksums. A commit, by this process or
//! another (`mednum-kit pack import` while the kit serves), rewrites it: that is how SQLite's
//! own readers see commits. So the header's bytes name the library's committed state: the
//! same bytes, the same library. (A checkpoint that restarts the WAL also rewrites it, with
//! nothing changed: a page cache then starts again for nothing, which is harmless.)
//!
//! Read with `pread`, not mapped: SQLite may truncate the file when it starts it again, and
//! a mapping would then fault. A read caught while a writer updates the header (the two
//! copies differ) or before the index exists gives `None`: "cannot tell", and callers then
//! ask the database.

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// Bytes of one copy of the wal-index header.
const HEADER: usize = 48;
/// Offset of `isInit` in the header: 0 until a connection has built the index.
const IS_INIT: usize = 12;

/// The committed state of a WAL database, as its wal-index header's bytes.
pub type State = [u8; HEADER];

pub struct Changes {
    shm: PathBuf,
    /// The `-shm` file, opened at the first question.
    file: RwLock<Option<File>>,
}

impl Changes {
    /// Watches the database at `db_path` (its `-shm` file need not exist yet).
    pub fn new(db_path: &Path) -> Changes {
        let mut shm = db_path.as_os_str().to_owned();
        shm.push("-shm");
        Changes {
            shm: PathBuf::from(shm),
            file: RwLock::new(None),
        }
    }

    /// The library's committed state now, or `None` when it cannot be told.
    pub fn state(&self) -> Option<State> {
        {
            let file = self.file.read().unwrap_or_else(|e| e.into_inner());
            if let Some(file) = file.as_ref() {
                return read_state(file);
            }
        }
        self.reopen();
        let file = self.file.read().unwrap_or_else(|e| e.into_inner());
        read_state(file.as_ref()?)
    }

    /// Opens the `-shm` file again if the one held is no longer the one at its path (SQLite
    /// deletes it when the last connection closes; the server keeps connections open, so
    /// this is a safety, checked now and then, not on every page).
    pub fn recheck(&self) {
        let same = {
            let file = self.file.read().unwrap_or_else(|e| e.into_inner());
            match (
                file.as_ref().map(File::metadata),
                std::fs::metadata(&self.shm),
            ) {
                (Some(Ok(held)), Ok(now)) => held.dev() == now.dev() && held.ino() == now.ino(),
                _ => false,
            }
        };
        if !same {
            self.reopen();
        }
    }

    fn reopen(&self) {
        let opened = File::open(&self.shm).ok();
        *self.file.write().unwrap_or_else(|e| e.into_inner()) = opened;
    }
}

fn read_state(file: &File) -> Option<State> {
    let mut both = [0u8; 2 * HEADER];
    file.read_exact_at(&mut both, 0).ok()?;
    let (first, second) = both.split_at(HEADER);
    if first != second || first[IS_INIT] == 0 {
        return None;
    }
    first.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(path: &Path) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
        conn
    }

    #[test]
    fn the_state_changes_with_each_commit_of_any_connection_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("library.db");
        let writer = open(&db);
        writer
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
        let reader = open(&db);
        let changes = Changes::new(&db);
        let before = changes
            .state()
            .expect("a WAL database in use has a wal-index");
        // Reading changes nothing.
        let n: i64 = reader
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(changes.state(), Some(before));
        // A commit by another connection does.
        writer.execute("INSERT INTO t VALUES (2)", []).unwrap();
        let after = changes.state().unwrap();
        assert_ne!(after, before);
        // A transaction that is rolled back does not.
        writer
            .execute_batch("BEGIN; INSERT INTO t VALUES (3); ROLLBACK;")
            .unwrap();
        assert_eq!(changes.state(), Some(after));
        // A checkpoint moves pages, not the committed state: the same bytes, or new ones
        // (a spurious change is allowed; a missed one is not).
        writer
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
        writer.execute("INSERT INTO t VALUES (4)", []).unwrap();
        assert_ne!(changes.state(), Some(after));
    }

    #[test]
    fn no_wal_index_cannot_be_told() {
        let dir = tempfile::tempdir().unwrap();
        let changes = Changes::new(&dir.path().join("absent.db"));
        assert_eq!(changes.state(), None);
        changes.recheck();
        assert_eq!(changes.state(), None);
        // A file too short to hold the header, or one never initialised.
        std::fs::write(dir.path().join("absent.db-shm"), [0u8; 10]).unwrap();
        changes.recheck();
        assert_eq!(changes.state(), None);
        std::fs::write(dir.path().join("absent.db-shm"), [0u8; 136]).unwrap();
        changes.recheck();
        assert_eq!(changes.state(), None);
    }

    #[test]
    fn a_torn_header_cannot_be_told() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = [0u8; 136];
        bytes[IS_INIT] = 1;
        bytes[HEADER + IS_INIT] = 1;
        bytes[8] = 7; // the first copy's iChange moved on, the second not yet
        std::fs::write(dir.path().join("x.db-shm"), bytes).unwrap();
        let changes = Changes::new(&dir.path().join("x.db"));
        assert_eq!(changes.state(), None);
        bytes[HEADER + 8] = 7;
        std::fs::write(dir.path().join("x.db-shm"), bytes).unwrap();
        assert!(changes.state().is_some());
    }
}
