//! Schema migrations, applied in order and counted by `PRAGMA user_version`.

use std::path::Path;

use rusqlite::Connection;

use super::{Result, StoreError};

/// Each entry moves the schema from version `i` to `i + 1`. Never edit a shipped entry:
/// append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: packs, their items (themes, tutorials, workshops), tutorial steps, search index.
    "CREATE TABLE packs (
        id           TEXT PRIMARY KEY,
        version      TEXT NOT NULL,
        title        TEXT NOT NULL,
        digest       TEXT NOT NULL,
        installed_at INTEGER NOT NULL
     );
     CREATE TABLE items (
        id        INTEGER PRIMARY KEY,
        pack_id   TEXT NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        kind      TEXT NOT NULL CHECK (kind IN ('theme', 'tutorial', 'workshop')),
        slug      TEXT NOT NULL,
        title     TEXT NOT NULL,
        theme     TEXT,
        level     TEXT,
        duration  INTEGER,
        summary   TEXT NOT NULL,
        ord       INTEGER NOT NULL DEFAULT 0,
        icon      TEXT,
        body_html TEXT NOT NULL,
        extra     TEXT NOT NULL DEFAULT '{}',
        UNIQUE (kind, slug)
     );
     CREATE INDEX items_by_theme ON items (theme, kind, title);
     CREATE INDEX items_by_pack ON items (pack_id);
     CREATE TABLE steps (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        n       INTEGER NOT NULL,
        title   TEXT NOT NULL,
        html    TEXT NOT NULL,
        plain   TEXT NOT NULL,
        PRIMARY KEY (item_id, n)
     ) WITHOUT ROWID;
     -- rowid = items.id. Accents and case are folded by the tokenizer, so 'evenement'
     -- finds 'événement' and 'MOT' finds 'mot'.
     CREATE VIRTUAL TABLE search USING fts5 (
        title, keywords, body,
        tokenize = 'unicode61 remove_diacritics 2'
     );",
    // 2: where a pack came from (its publisher key, whether that key was trusted), the
    // version kept for rollback, and the kit's trusted publisher keys.
    "ALTER TABLE packs ADD COLUMN previous_version TEXT;
     ALTER TABLE packs ADD COLUMN publisher TEXT;
     ALTER TABLE packs ADD COLUMN trusted INTEGER NOT NULL DEFAULT 1;
     CREATE TABLE trusted_keys (
        key      TEXT PRIMARY KEY,
        name     TEXT NOT NULL DEFAULT '',
        added_at INTEGER NOT NULL
     );",
    // 3: a prefix index for three-letter prefixes (`mot*`, `app*`), which a search of a
    // partly typed word uses; the rows are copied as they are.
    "CREATE VIRTUAL TABLE search_v3 USING fts5 (
        title, keywords, body,
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '3'
     );
     INSERT INTO search_v3 (rowid, title, keywords, body)
        SELECT rowid, title, keywords, body FROM search;
     DROP TABLE search;
     ALTER TABLE search_v3 RENAME TO search;",
    // 4: a pack id belongs to the key that first installed it (`owner`; for packs already
    // installed, the key of the installed version), and the admin designates which
    // trusted key may publish the starter's reserved id (`trusted_keys.starter`, at most
    // one row set; none at first).
    "ALTER TABLE packs ADD COLUMN owner TEXT;
     UPDATE packs SET owner = publisher;
     ALTER TABLE trusted_keys ADD COLUMN starter INTEGER NOT NULL DEFAULT 0;",
    // 5: the glossary ("C'est quoi ?"): one row per explained word, owned by its pack, and
    // its own search index (rowid = glossary.id), kept in step by triggers, so removing a
    // pack (its rows go by cascade) also empties its part of the index.
    "CREATE TABLE glossary (
        id        INTEGER PRIMARY KEY,
        pack_id   TEXT NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        slug      TEXT NOT NULL UNIQUE,
        word      TEXT NOT NULL,
        variants  TEXT NOT NULL DEFAULT '[]',
        see_also  TEXT NOT NULL DEFAULT '[]',
        summary   TEXT NOT NULL,
        body_html TEXT NOT NULL,
        plain     TEXT NOT NULL
     );
     CREATE INDEX glossary_by_pack ON glossary (pack_id);
     CREATE VIRTUAL TABLE glossary_search USING fts5 (
        word, variants, body,
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '3'
     );
     CREATE TRIGGER glossary_indexed AFTER INSERT ON glossary BEGIN
        INSERT INTO glossary_search (rowid, word, variants, body)
        VALUES (new.id, new.word, new.variants, new.plain);
     END;
     CREATE TRIGGER glossary_unindexed AFTER DELETE ON glossary BEGIN
        DELETE FROM glossary_search WHERE rowid = old.id;
     END;",
    // 6: practice forms are items too (`kind = 'form'`, their definition in `extra`). The
    // kind's CHECK can only change by rebuilding the table; `steps` is rebuilt first so
    // that dropping the old `items` cascades to nothing, and ids (the search rowids) are
    // copied as they are.
    "CREATE TABLE items_v6 (
        id        INTEGER PRIMARY KEY,
        pack_id   TEXT NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
        kind      TEXT NOT NULL CHECK (kind IN ('theme', 'tutorial', 'workshop', 'form')),
        slug      TEXT NOT NULL,
        title     TEXT NOT NULL,
        theme     TEXT,
        level     TEXT,
        duration  INTEGER,
        summary   TEXT NOT NULL,
        ord       INTEGER NOT NULL DEFAULT 0,
        icon      TEXT,
        body_html TEXT NOT NULL,
        extra     TEXT NOT NULL DEFAULT '{}',
        UNIQUE (kind, slug)
     );
     INSERT INTO items_v6 SELECT id, pack_id, kind, slug, title, theme, level, duration,
        summary, ord, icon, body_html, extra FROM items;
     CREATE TABLE steps_v6 (
        item_id INTEGER NOT NULL REFERENCES items_v6(id) ON DELETE CASCADE,
        n       INTEGER NOT NULL,
        title   TEXT NOT NULL,
        html    TEXT NOT NULL,
        plain   TEXT NOT NULL,
        PRIMARY KEY (item_id, n)
     ) WITHOUT ROWID;
     INSERT INTO steps_v6 SELECT item_id, n, title, html, plain FROM steps;
     DROP TABLE steps;
     DROP TABLE items;
     ALTER TABLE items_v6 RENAME TO items;
     ALTER TABLE steps_v6 RENAME TO steps;
     CREATE INDEX items_by_theme ON items (theme, kind, title);
     CREATE INDEX items_by_pack ON items (pack_id);",
    // 7: items in other languages. `items.lang` is the original's language; a translation
    // carries the texts of one item in one more language (its settings are the item's),
    // the steps of a tutorial as JSON, and its own search index (rowid = translations.id).
    "ALTER TABLE items ADD COLUMN lang TEXT NOT NULL DEFAULT 'fr';
     CREATE TABLE translations (
        id        INTEGER PRIMARY KEY,
        item_id   INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        lang      TEXT NOT NULL,
        title     TEXT NOT NULL,
        summary   TEXT NOT NULL,
        body_html TEXT NOT NULL,
        extra     TEXT NOT NULL,
        steps     TEXT NOT NULL DEFAULT '[]',
        UNIQUE (item_id, lang)
     );
     CREATE VIRTUAL TABLE translations_search USING fts5 (
        title, keywords, body,
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '3'
     );
     CREATE TRIGGER translations_unindexed AFTER DELETE ON translations BEGIN
        DELETE FROM translations_search WHERE rowid = old.id;
     END;",
];

/// The schema version this program writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let found = schema_version(conn)?;
    let known = current_version();
    if found > known {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found,
            known,
        });
    }
    apply_from(conn, MIGRATIONS, found)?;
    Ok(())
}

/// Why a side database of the kit (accounts, reports, workshops) could not be opened.
#[derive(Debug)]
pub(crate) enum PrivateDbError {
    Sql(rusqlite::Error),
    /// Written by a newer program (`found`) than this one knows (`known`).
    TooNew {
        found: i64,
        known: i64,
    },
}

impl From<rusqlite::Error> for PrivateDbError {
    fn from(e: rusqlite::Error) -> Self {
        PrivateDbError::Sql(e)
    }
}

/// Opens a side database of the kit, creating it readable by the kit's user only: WAL (the
/// workers read while one writes), a 5 s busy timeout, foreign keys, a small page cache, and
/// `migrations` applied from the version the file records.
pub(crate) fn open_private(
    path: &Path,
    migrations: &[&str],
) -> std::result::Result<Connection, PrivateDbError> {
    let is_new = !path.exists();
    let mut conn = Connection::open(path)?;
    if is_new {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        give_to_dir_owner(path);
    }
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -256;",
    )?;
    let found = schema_version(&conn)?;
    let known = migrations.len() as i64;
    if found > known {
        return Err(PrivateDbError::TooNew { found, known });
    }
    apply_from(&mut conn, migrations, found)?;
    Ok(conn)
}

/// An admin running a command as root (`sudo mednum-kit admin create-user …`) must not leave
/// a file the service cannot open: a new file goes to the owner of its folder (the data dir
/// belongs to the service's user). SQLite gives its `-wal` and `-shm` files the database's
/// owner by itself when it runs as root.
fn give_to_dir_owner(path: &Path) {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return;
    }
    let Some(dir) = path.parent().and_then(|d| std::fs::metadata(d).ok()) else {
        return;
    };
    let _ = std::os::unix::fs::chown(path, Some(dir.uid()), Some(dir.gid()));
}

/// The schema version a database file records (`PRAGMA user_version`; 0 when new).
pub(crate) fn schema_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Applies `migrations[found..]` in order, each in its own transaction with the version
/// it reaches (the caller has refused a `found` newer than it knows).
pub(crate) fn apply_from(
    conn: &mut Connection,
    migrations: &[&str],
    found: i64,
) -> rusqlite::Result<()> {
    for (index, sql) in migrations.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_record_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kit.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        migrate(&mut conn, &path).unwrap();
        migrate(&mut conn, &path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, current_version());
    }

    #[test]
    fn the_search_index_keeps_its_rows_through_the_prefix_index_migration() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kit.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        for sql in &MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO search (rowid, title, keywords, body) VALUES (7, 'Le calendrier', '', 'Un événement')",
            [],
        )
        .unwrap();
        migrate(&mut conn, &path).unwrap();
        let found: i64 = conn
            .query_row(
                "SELECT rowid FROM search WHERE search MATCH '\"cal\"* \"evenement\"'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, 7);
    }

    #[test]
    fn installed_packs_are_owned_by_the_key_of_their_installed_version_after_migration_4() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kit.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        for sql in &MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute_batch(
            "INSERT INTO packs (id, version, title, digest, installed_at, publisher)
                VALUES ('fiches', '2.0.0', 'F', 'd', 0, 'aa'), ('starter', '1.0.0', 'S', 'd', 0, NULL);
             INSERT INTO trusted_keys (key, added_at) VALUES ('aa', 0);",
        )
        .unwrap();
        migrate(&mut conn, &path).unwrap();
        let owners: Vec<(String, Option<String>)> = conn
            .prepare("SELECT id, owner FROM packs ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            owners,
            [
                ("fiches".into(), Some("aa".into())),
                ("starter".into(), None)
            ]
        );
        let designated: i64 = conn
            .query_row("SELECT count(*) FROM trusted_keys WHERE starter", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(designated, 0);
    }

    #[test]
    fn items_and_steps_survive_the_rebuild_that_lets_forms_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kit.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        for sql in &MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        conn.execute_batch(
            "INSERT INTO packs (id, version, title, digest, installed_at) VALUES ('p', '1.0.0', 'P', 'd', 0);
             INSERT INTO items (id, pack_id, kind, slug, title, summary, body_html)
                VALUES (7, 'p', 'tutorial', 't', 'T', 's', '');
             INSERT INTO steps VALUES (7, 1, 'Un', '<p>x</p>', 'x');",
        )
        .unwrap();
        migrate(&mut conn, &path).unwrap();
        conn.execute(
            "INSERT INTO items (pack_id, kind, slug, title, summary, body_html)
             VALUES ('p', 'form', 'f', 'F', 's', '')",
            [],
        )
        .unwrap();
        let steps: i64 = conn
            .query_row("SELECT count(*) FROM steps WHERE item_id = 7", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(steps, 1);
        conn.execute("DELETE FROM packs", []).unwrap();
        let left: i64 = conn
            .query_row(
                "SELECT (SELECT count(*) FROM items) + (SELECT count(*) FROM steps)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0, "the cascades still hold after the rebuild");
    }

    #[test]
    fn a_side_database_made_by_root_belongs_to_the_data_dirs_owner() {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return; // only root can give files away
        }
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::chown(dir.path(), Some(61873), Some(61873)).unwrap();
        let path = dir.path().join("side.sqlite");
        let conn = open_private(&path, &["CREATE TABLE t (x)"]).unwrap();
        conn.execute("INSERT INTO t VALUES (1)", []).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(
            (meta.uid(), meta.gid(), meta.mode() & 0o777),
            (61873, 61873, 0o600)
        );
    }

    #[test]
    fn a_newer_schema_is_refused_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kit.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        let err = migrate(&mut conn, &path).unwrap_err().to_string();
        assert!(
            err.contains("999") && err.contains("mettez à jour"),
            "{err}"
        );
    }
}
