//! The workshop sessions' SQLite file (`workshops.sqlite`): each session, the anonymous
//! devices that joined it, the steps they opened and their help requests. Device rows go
//! once the session has been over for the retention period (checked at start and hourly,
//! so a kit that was off at that time purges when it comes back).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::{HelpRequest, SessionInfo};

/// The file's name in the data dir.
pub const DB_FILE: &str = "workshops.sqlite";

const MIGRATIONS: &[&str] = &[
    // 1: sessions, their devices (a random cookie, an optional nickname), steps opened,
    // help requests.
    "CREATE TABLE sessions (
        id              TEXT PRIMARY KEY,
        started_by      TEXT NOT NULL,
        workshop        TEXT,
        title           TEXT NOT NULL,
        tutorials       TEXT NOT NULL,
        place           TEXT NOT NULL,
        planned_minutes INTEGER NOT NULL,
        started_at      INTEGER NOT NULL,
        ended_at        INTEGER,
        phones          INTEGER NOT NULL DEFAULT 0
     );
     CREATE TABLE devices (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        device     TEXT NOT NULL,
        nickname   TEXT,
        first_seen INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL,
        PRIMARY KEY (session_id, device)
     ) WITHOUT ROWID;
     CREATE TABLE progress (
        session_id TEXT NOT NULL,
        device     TEXT NOT NULL,
        tutorial   TEXT NOT NULL,
        step       INTEGER NOT NULL,
        PRIMARY KEY (session_id, device, tutorial, step),
        FOREIGN KEY (session_id, device) REFERENCES devices(session_id, device) ON DELETE CASCADE
     ) WITHOUT ROWID;
     CREATE TABLE help (
        id         INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL,
        device     TEXT NOT NULL,
        asked_at   INTEGER NOT NULL,
        handled_at INTEGER,
        cancelled_at INTEGER,
        FOREIGN KEY (session_id, device) REFERENCES devices(session_id, device) ON DELETE CASCADE
     );",
];

#[derive(Debug, thiserror::Error)]
pub enum WorkshopStoreError {
    #[error("base des ateliers `{path}` : {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("base des ateliers : version {found} plus récente que ce programme ({known}) ; mettez à jour mednum-kit")]
    TooNew { found: i64, known: i64 },
    #[error("base des ateliers : {0}")]
    Sql(#[from] rusqlite::Error),
}

pub type Result<T, E = WorkshopStoreError> = std::result::Result<T, E>;

/// A device of a session: (device, nickname, first_seen, last_seen).
pub type DeviceRow = (String, Option<String>, i64, i64);

pub struct WorkshopStore {
    conn: Connection,
}

impl WorkshopStore {
    pub fn open(data_dir: &Path) -> Result<WorkshopStore> {
        use crate::store::schema::{open_private, PrivateDbError};
        let path = data_dir.join(DB_FILE);
        let conn = open_private(&path, MIGRATIONS).map_err(|e| match e {
            PrivateDbError::Sql(source) => WorkshopStoreError::Open { path, source },
            PrivateDbError::TooNew { found, known } => WorkshopStoreError::TooNew { found, known },
        })?;
        Ok(WorkshopStore { conn })
    }

    pub fn insert_session(&mut self, s: &SessionInfo) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sessions (id, started_by, workshop, title, tutorials, place,
                planned_minutes, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                s.id,
                s.started_by,
                s.workshop,
                s.title,
                s.tutorials.join(","),
                s.place,
                s.planned_minutes,
                s.started_at
            ],
        )?;
        Ok(())
    }

    pub fn end_session(&mut self, id: &str, ended_at: i64, phones: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE sessions SET ended_at = ?, phones = ? WHERE id = ?",
            params![ended_at, phones, id],
        )?;
        Ok(())
    }

    /// The session still running (the kit stopped during it), if any.
    pub fn running(&self) -> Result<Option<SessionInfo>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, started_by, workshop, title, tutorials, place, planned_minutes,
                    started_at FROM sessions WHERE ended_at IS NULL
                 ORDER BY started_at DESC LIMIT 1",
                [],
                |r| {
                    let tutorials: String = r.get(4)?;
                    Ok(SessionInfo {
                        id: r.get(0)?,
                        started_by: r.get(1)?,
                        workshop: r.get(2)?,
                        title: r.get(3)?,
                        tutorials: tutorials
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect(),
                        place: r.get(5)?,
                        planned_minutes: r.get(6)?,
                        started_at: r.get(7)?,
                    })
                },
            )
            .optional()?)
    }

    /// Devices of a session.
    pub fn devices(&self, session: &str) -> Result<Vec<DeviceRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT device, nickname, first_seen, last_seen FROM devices WHERE session_id = ?",
        )?;
        let rows = stmt.query_map([session], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Steps opened in a session: (device, tutorial, step).
    pub fn progress(&self, session: &str) -> Result<Vec<(String, String, u32)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT device, tutorial, step FROM progress WHERE session_id = ?")?;
        let rows = stmt.query_map([session], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Help requests of a session, oldest first.
    pub fn help(&self, session: &str) -> Result<Vec<HelpRequest>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, device, asked_at, handled_at, cancelled_at FROM help
             WHERE session_id = ? ORDER BY id",
        )?;
        let rows = stmt.query_map([session], |r| {
            Ok(HelpRequest {
                id: r.get(0)?,
                device: r.get(1)?,
                asked_at: r.get(2)?,
                handled_at: r.get(3)?,
                cancelled_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Writes a batch of what learners did, in one transaction.
    pub fn write(&mut self, session: &str, events: &[super::Event]) -> Result<()> {
        use super::Event;
        let tx = self.conn.transaction()?;
        for event in events {
            match event {
                Event::Seen { device, at } => {
                    tx.prepare_cached(
                        "INSERT INTO devices (session_id, device, first_seen, last_seen)
                         VALUES (?1, ?2, ?3, ?3)
                         ON CONFLICT (session_id, device) DO UPDATE SET last_seen = ?3",
                    )?
                    .execute(params![session, device, at])?;
                }
                Event::Step {
                    device,
                    tutorial,
                    step,
                } => {
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO progress (session_id, device, tutorial, step)
                         VALUES (?, ?, ?, ?)",
                    )?
                    .execute(params![session, device, tutorial, step])?;
                }
                Event::Nickname { device, nickname } => {
                    tx.prepare_cached(
                        "UPDATE devices SET nickname = ? WHERE session_id = ? AND device = ?",
                    )?
                    .execute(params![nickname, session, device])?;
                }
                Event::Help(h) => {
                    tx.prepare_cached(
                        "INSERT INTO help (id, session_id, device, asked_at, handled_at, cancelled_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (id) DO UPDATE SET handled_at = ?5, cancelled_at = ?6",
                    )?
                    .execute(params![h.id, session, h.device, h.asked_at, h.handled_at, h.cancelled_at])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes the devices (with their steps, nicknames and help requests) of sessions
    /// ended more than `retention` before `now`; returns how many devices went.
    pub fn purge(&mut self, now: i64, retention: Duration) -> Result<usize> {
        let before = now - retention.as_secs() as i64;
        let tx = self.conn.transaction()?;
        let ended = "SELECT id FROM sessions WHERE ended_at IS NOT NULL AND ended_at <= ?1";
        tx.execute(
            &format!("DELETE FROM help WHERE session_id IN ({ended})"),
            [before],
        )?;
        tx.execute(
            &format!("DELETE FROM progress WHERE session_id IN ({ended})"),
            [before],
        )?;
        let gone = tx.execute(
            &format!("DELETE FROM devices WHERE session_id IN ({ended})"),
            [before],
        )?;
        tx.commit()?;
        Ok(gone)
    }

    /// How many device rows a session still has (for tests and the status page).
    pub fn device_count(&self, session: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM devices WHERE session_id = ?",
            [session],
            |r| r.get(0),
        )?)
    }
}
