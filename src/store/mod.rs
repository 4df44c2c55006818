//! The SQLite library index: connection setup, schema migrations, and every query. No SQL
//! lives outside this module.

pub mod changes;
mod glossary;
mod library;
pub(crate) mod schema;

pub use library::{
    fts_query, ItemPage, ItemRow, NewItem, NewPack, NewStep, NewTranslation, PackRow, Paging,
    SearchHit, StepRow, TutorialPage, SNIPPET_CLOSE, SNIPPET_OPEN,
};

pub use glossary::{sort_key, GlossaryRow, NewGlossaryEntry};

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// Errors from the library index. Callers match on `NotFound`-like outcomes through `Option`,
/// so this only carries failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("base de données `{path}` : {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("base de données `{path}` : version de schéma {found} plus récente que ce programme ({known}); mettez à jour mednum-kit")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("requête SQLite : {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("donnée illisible dans la base : {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One connection to `kit.sqlite`. Each server worker owns one; commands open their own.
pub struct Store {
    conn: Connection,
}

/// The database file's name inside the data dir.
pub const DB_FILE: &str = "kit.sqlite";

impl Store {
    /// Opens (creating if needed) the library database and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        let mut store = Store { conn };
        store.configure(path, false)?;
        schema::migrate(&mut store.conn, path)?;
        Ok(store)
    }

    /// Opens an existing, already migrated database for reading only (server workers).
    pub fn open_reader(path: &Path) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        let store = Store { conn };
        store.configure(path, true)?;
        Ok(store)
    }

    fn configure(&self, path: &Path, reader: bool) -> Result<()> {
        let wrap = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        self.conn
            .busy_timeout(Duration::from_secs(5))
            .map_err(wrap)?;
        // WAL lets the server's readers go on while an import writes; NORMAL sync is safe
        // with WAL (a power cut may lose the last transaction, never corrupt the file).
        // A small page cache per connection keeps the box's memory low.
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA temp_store = MEMORY;
                 PRAGMA cache_size = -1024;",
            )
            .map_err(wrap)?;
        if reader {
            self.conn
                .execute_batch("PRAGMA query_only = ON;")
                .map_err(wrap)?;
            // With a value bound to `col = ?` or `LIMIT ?`, SQLite re-plans (re-parses) the
            // statement at each use unless the plan is kept stable: the cached statements
            // of a worker would then cost a parse per request.
            self.conn
                .set_db_config(
                    rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
                    true,
                )
                .map_err(wrap)?;
        }
        Ok(())
    }

    /// Starts a read transaction: until `end_read`, every query sees the same version of
    /// the library (an import committing meanwhile shows in the next page, not halfway
    /// through this one), and SQLite checks the file once instead of once per query.
    pub fn begin_read(&mut self) -> Result<()> {
        if !self.conn.is_autocommit() {
            // Left open by a handler that panicked: nothing to keep.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.conn.execute_batch("BEGIN DEFERRED")?;
        Ok(())
    }

    /// Ends the read transaction of `begin_read`.
    pub fn end_read(&mut self) {
        if !self.conn.is_autocommit() {
            // A read transaction has nothing to write: ending it cannot lose anything.
            let _ = self.conn.execute_batch("COMMIT");
        }
    }

    /// Gives back the memory SQLite keeps for this connection's page cache.
    pub fn shrink_memory(&self) {
        let _ = self.conn.execute_batch("PRAGMA shrink_memory");
    }

    /// A number that changes whenever another connection commits a change to the library
    /// (`PRAGMA data_version`): readers use it to know their rendered pages are stale.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check`: the problems SQLite finds (empty when the file is sound).
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let lines = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(lines.into_iter().filter(|l| l != "ok").collect())
    }
}
