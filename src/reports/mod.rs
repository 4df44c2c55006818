//! Activity reports (comptes-rendus d'activité) written by conseillers and admins after a
//! workshop or an individual help, in their own SQLite file (`reports.sqlite`, next to the
//! library): the library can be rebuilt from packs, the reports cannot, and an install must
//! never keep anyone from filing one.
//!
//! A report holds counts and choices, never a person: no name, address, device or IP.
//! It records its owner's account name, kept as it is when the account goes later.

pub mod date;
pub mod export;
mod fields;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};

pub use date::Date;
pub use fields::{
    is_postal_code, is_session_id, AgeBand, Autonomy, Domain, Equipment, Field, Fields, Input,
    Kind, Level, PlaceKind, Problem, Status, Theme, AGE_BANDS, DURATIONS, DURATION_OTHER,
    DURATION_OTHER_FIELD, MAX_COMMUNE, MAX_DURATION, MAX_NOTES, MAX_PARTICIPANTS, MAX_REDIRECTION,
    MAX_STRUCTURE, MAX_TITLE, STATUSES,
};

/// The reports database's file name inside the data dir.
pub const DB_FILE: &str = "reports.sqlite";

/// Each entry moves the schema from version `i` to `i + 1`; never edit a shipped one.
const MIGRATIONS: &[&str] = &[
    // 1: one row per report. Choices are stored as their codes (lists: codes joined with
    // `,`; counts: a JSON object of code → number, zeros left out). `AUTOINCREMENT`: the
    // number of a deleted report never names another one.
    "CREATE TABLE reports (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        owner            TEXT NOT NULL,
        owner_since      INTEGER NOT NULL,
        workshop_session TEXT,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        kind             TEXT NOT NULL,
        date             TEXT NOT NULL,
        duration         INTEGER NOT NULL CHECK (duration BETWEEN 1 AND 1440),
        place            TEXT NOT NULL,
        structure        TEXT NOT NULL DEFAULT '',
        commune          TEXT NOT NULL DEFAULT '',
        postal_code      TEXT NOT NULL DEFAULT '',
        themes           TEXT NOT NULL,
        domains          TEXT NOT NULL DEFAULT '',
        title            TEXT NOT NULL DEFAULT '',
        level            TEXT,
        equipment        TEXT NOT NULL,
        participants     INTEGER NOT NULL CHECK (participants BETWEEN 0 AND 1000),
        ages             TEXT NOT NULL DEFAULT '{}',
        statuses         TEXT NOT NULL DEFAULT '{}',
        autonomy         TEXT,
        redirection      TEXT NOT NULL DEFAULT '',
        notes            TEXT NOT NULL DEFAULT ''
     );
     CREATE INDEX reports_by_owner ON reports (owner, date);
     CREATE INDEX reports_by_date ON reports (date);",
    // 2: the day files sent to the `[sync] reports_url` folder, and what they held (sha256 of
    // the CSV and JSON): a day is sent again only when its reports changed.
    "CREATE TABLE sent_days (
        day     TEXT PRIMARY KEY,
        digest  TEXT NOT NULL,
        sent_at INTEGER NOT NULL
     );",
];

/// Why a report operation failed. `Invalid` is said to the person who filled the form.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}", said(.0))]
    Invalid(Vec<Problem>),
    #[error("aucun compte-rendu numéro {0}")]
    NotFound(i64),
    #[error("base des comptes-rendus `{path}` : {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("base des comptes-rendus : version {found} plus récente que ce programme ({known}) ; mettez à jour mednum-kit")]
    TooNew { found: i64, known: i64 },
    #[error("base des comptes-rendus : {0}")]
    Sql(#[from] rusqlite::Error),
}

fn said(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| p.message.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

pub type Result<T, E = ReportError> = std::result::Result<T, E>;

/// Who wrote a report: an account's name, and when that account was made. A new account
/// given the name of a deleted one is someone else: it does not see the old reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner<'a> {
    pub name: &'a str,
    pub since: i64,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub id: i64,
    /// The account name of who wrote it.
    pub owner: String,
    owner_since: i64,
    /// The workshop session it closes, if it was filed from one (an opaque id).
    pub workshop_session: Option<String>,
    /// Seconds since the epoch.
    pub created_at: i64,
    pub updated_at: i64,
    pub fields: Fields,
}

impl Report {
    pub fn is_owned_by(&self, owner: Owner<'_>) -> bool {
        self.owner == owner.name && self.owner_since == owner.since
    }
}

/// Which reports `list` gives.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    /// Only this account's; `None`: everyone's.
    pub owner: Option<Owner<'a>>,
    /// Only activities on or after this date.
    pub since: Option<Date>,
    /// Most recent activity first (a list to read), rather than oldest first (an export).
    pub newest_first: bool,
    /// At most this many, after skipping `offset`.
    pub limit: Option<usize>,
    pub offset: usize,
}

pub struct Reports {
    conn: Connection,
}

fn join_codes<T: Copy>(items: &[T], code: fn(T) -> &'static str) -> String {
    items.iter().map(|&i| code(i)).collect::<Vec<_>>().join(",")
}

/// The non-zero counts as a JSON object, in the vocabulary's order of codes.
fn counts_json<T: Copy>(all: &[T], counts: &[u32], code: fn(T) -> &'static str) -> String {
    let map: serde_json::Map<String, serde_json::Value> = all
        .iter()
        .zip(counts)
        .filter(|(_, &n)| n > 0)
        .map(|(&item, &n)| (code(item).to_owned(), n.into()))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// The columns a report's `Fields` fill, in the order of `field_values`.
const FIELD_COLUMNS: [&str; 18] = [
    "kind",
    "date",
    "duration",
    "place",
    "structure",
    "commune",
    "postal_code",
    "themes",
    "domains",
    "title",
    "level",
    "equipment",
    "participants",
    "ages",
    "statuses",
    "autonomy",
    "redirection",
    "notes",
];

/// What `fields` stores in `FIELD_COLUMNS`, for both a new report and an update.
fn field_values(fields: &Fields) -> [Value; 18] {
    [
        fields.kind.code().to_owned().into(),
        fields.date.to_string().into(),
        i64::from(fields.duration).into(),
        fields.place.code().to_owned().into(),
        fields.structure.clone().into(),
        fields.commune.clone().into(),
        fields.postal_code.clone().into(),
        join_codes(&fields.themes, Theme::code).into(),
        join_codes(&fields.domains, Domain::code).into(),
        fields.title.clone().into(),
        fields.level.map(|l| l.code().to_owned()).into(),
        join_codes(&fields.equipment, Equipment::code).into(),
        i64::from(fields.participants).into(),
        counts_json(AgeBand::ALL, &fields.ages, AgeBand::code).into(),
        counts_json(Status::ALL, &fields.statuses, Status::code).into(),
        fields.autonomy.map(|a| a.code().to_owned()).into(),
        fields.redirection.clone().into(),
        fields.notes.clone().into(),
    ]
}

impl Reports {
    /// Opens (creating if needed, readable by the kit's user only) `<data_dir>/reports.sqlite`.
    pub fn open(data_dir: &Path) -> Result<Reports> {
        use crate::store::schema::{open_private, PrivateDbError};
        let path = data_dir.join(DB_FILE);
        let conn = open_private(&path, MIGRATIONS).map_err(|e| match e {
            PrivateDbError::Sql(source) => ReportError::Open { path, source },
            PrivateDbError::TooNew { found, known } => ReportError::TooNew { found, known },
        })?;
        Ok(Reports { conn })
    }

    /// Stores a new report of `owner`, after `Fields::check`. `workshop_session`: the
    /// session it closes, if any (checked by `is_session_id`).
    pub fn create(
        &mut self,
        owner: Owner<'_>,
        fields: &Fields,
        workshop_session: Option<&str>,
    ) -> Result<Report> {
        let fields = fields.clone().normalized();
        let mut problems = fields.check().err().unwrap_or_default();
        if let Some(id) = workshop_session {
            if !is_session_id(id) {
                problems.push(Problem {
                    field: Field::Session,
                    message: "Le numéro de la séance d'atelier est abîmé.".into(),
                });
            }
        }
        if !problems.is_empty() {
            return Err(ReportError::Invalid(problems));
        }
        let now = crate::accounts::now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let sql = format!(
            "INSERT INTO reports (owner, owner_since, workshop_session, created_at, updated_at,
                {columns}) VALUES (?, ?, ?, ?, ?, {marks})",
            columns = FIELD_COLUMNS.join(", "),
            marks = vec!["?"; FIELD_COLUMNS.len()].join(", "),
        );
        let head: [Value; 5] = [
            owner.name.to_owned().into(),
            owner.since.into(),
            workshop_session.map(str::to_owned).into(),
            now.into(),
            now.into(),
        ];
        tx.execute(
            &sql,
            params_from_iter(head.into_iter().chain(field_values(&fields))),
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(Report {
            id,
            owner: owner.name.to_owned(),
            owner_since: owner.since,
            workshop_session: workshop_session.map(str::to_owned),
            created_at: now,
            updated_at: now,
            fields,
        })
    }

    /// Replaces what report `id` says (its owner, session and creation time stay).
    pub fn update(&mut self, id: i64, fields: &Fields) -> Result<Report> {
        let fields = fields.clone().normalized();
        fields.check().map_err(ReportError::Invalid)?;
        let now = crate::accounts::now();
        let sets: Vec<String> = FIELD_COLUMNS.iter().map(|c| format!("{c} = ?")).collect();
        let sql = format!(
            "UPDATE reports SET updated_at = ?, {} WHERE id = ?",
            sets.join(", ")
        );
        let values = std::iter::once(Value::from(now))
            .chain(field_values(&fields))
            .chain(std::iter::once(Value::from(id)));
        let changed = self.conn.execute(&sql, params_from_iter(values))?;
        if changed == 0 {
            return Err(ReportError::NotFound(id));
        }
        self.get(id)?.ok_or(ReportError::NotFound(id))
    }

    pub fn delete(&mut self, id: i64) -> Result<()> {
        match self
            .conn
            .execute("DELETE FROM reports WHERE id = ?", [id])?
        {
            0 => Err(ReportError::NotFound(id)),
            _ => Ok(()),
        }
    }

    pub fn get(&self, id: i64) -> Result<Option<Report>> {
        let sql = format!("SELECT {COLUMNS} FROM reports WHERE id = ?");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([id], report_row)
            .optional()?)
    }

    /// The reports `filter` selects, by activity date (then by number).
    pub fn list(&self, filter: &Filter<'_>) -> Result<Vec<Report>> {
        let order = if filter.newest_first {
            "date DESC, id DESC"
        } else {
            "date, id"
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM reports
             WHERE (?1 IS NULL OR (owner = ?1 AND owner_since = ?2)) AND (?3 IS NULL OR date >= ?3)
             ORDER BY {order} LIMIT ?4 OFFSET ?5"
        );
        let limit = filter.limit.map_or(-1, |n| n as i64);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![
                filter.owner.map(|o| o.name),
                filter.owner.map(|o| o.since),
                filter.since.map(|d| d.to_string()),
                limit,
                filter.offset as i64,
            ],
            report_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The activity days that have reports, and those sent before (a day whose reports
    /// were all deleted is sent again, empty).
    pub fn days(&self) -> Result<Vec<Date>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT date FROM reports UNION SELECT day FROM sent_days ORDER BY 1",
        )?;
        let days = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for day in days {
            if let Some(date) = Date::parse(&day?) {
                out.push(date);
            }
        }
        Ok(out)
    }

    /// The digest of what was last sent for `day`.
    pub fn sent_digest(&self, day: Date) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT digest FROM sent_days WHERE day = ?")?
            .query_row([day.to_string()], |r| r.get(0))
            .optional()?)
    }

    pub fn mark_sent(&mut self, day: Date, digest: &str, at: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sent_days (day, digest, sent_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (day) DO UPDATE SET digest = excluded.digest, sent_at = excluded.sent_at",
            params![day.to_string(), digest, at],
        )?;
        Ok(())
    }

    /// How many reports `filter` selects (its limit and offset aside).
    pub fn count(&self, filter: &Filter<'_>) -> Result<usize> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM reports
                 WHERE (?1 IS NULL OR (owner = ?1 AND owner_since = ?2)) AND (?3 IS NULL OR date >= ?3)",
            )?
            .query_row(
                params![
                    filter.owner.map(|o| o.name),
                    filter.owner.map(|o| o.since),
                    filter.since.map(|d| d.to_string()),
                ],
                |r| r.get(0),
            )?;
        Ok(n as usize)
    }
}

const COLUMNS: &str = "id, owner, owner_since, workshop_session, created_at, updated_at, kind, \
    date, duration, place, structure, commune, postal_code, themes, domains, title, level, \
    equipment, participants, ages, statuses, autonomy, redirection, notes";

/// A stored code this program does not know (written by a newer version, or by hand).
fn unknown(column: usize, code: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("code inconnu « {code} »").into(),
    )
}

fn codes<T>(column: usize, text: &str, parse: fn(&str) -> Option<T>) -> rusqlite::Result<Vec<T>> {
    text.split(',')
        .filter(|c| !c.is_empty())
        .map(|c| parse(c).ok_or_else(|| unknown(column, c)))
        .collect()
}

fn code<T>(column: usize, text: &str, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    parse(text).ok_or_else(|| unknown(column, text))
}

fn counts<T: Copy, const N: usize>(
    column: usize,
    text: &str,
    all: &[T],
    code: fn(T) -> &'static str,
) -> rusqlite::Result<[u32; N]> {
    let map: BTreeMap<String, u32> = serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, e.into())
    })?;
    let mut out = [0; N];
    for (key, n) in map {
        let i = all
            .iter()
            .position(|&item| code(item) == key)
            .ok_or_else(|| unknown(column, &key))?;
        out[i] = n;
    }
    Ok(out)
}

fn report_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Report> {
    let text = |i: usize| r.get::<_, String>(i);
    let date = text(7)?;
    let fields = Fields {
        kind: code(6, &text(6)?, Kind::parse)?,
        date: Date::parse(&date).ok_or_else(|| unknown(7, &date))?,
        duration: r.get(8)?,
        place: code(9, &text(9)?, PlaceKind::parse)?,
        structure: text(10)?,
        commune: text(11)?,
        postal_code: text(12)?,
        themes: codes(13, &text(13)?, Theme::parse)?,
        domains: codes(14, &text(14)?, Domain::parse)?,
        title: text(15)?,
        level: r
            .get::<_, Option<String>>(16)?
            .map(|c| code(16, &c, Level::parse))
            .transpose()?,
        equipment: codes(17, &text(17)?, Equipment::parse)?,
        participants: r.get(18)?,
        ages: counts(19, &text(19)?, AgeBand::ALL, AgeBand::code)?,
        statuses: counts(20, &text(20)?, Status::ALL, Status::code)?,
        autonomy: r
            .get::<_, Option<String>>(21)?
            .map(|c| code(21, &c, Autonomy::parse))
            .transpose()?,
        redirection: text(22)?,
        notes: text(23)?,
    };
    Ok(Report {
        id: r.get(0)?,
        owner: text(1)?,
        owner_since: r.get(2)?,
        workshop_session: r.get(3)?,
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
        fields,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const PAUL: Owner<'static> = Owner {
        name: "paul",
        since: 100,
    };
    const ANNE: Owner<'static> = Owner {
        name: "anne",
        since: 200,
    };

    /// An individual help at home, for tests.
    pub(crate) fn help(date: &str) -> Fields {
        Fields {
            kind: Kind::Individual,
            date: Date::parse(date).unwrap(),
            duration: 45,
            place: PlaceKind::Home,
            structure: String::new(),
            commune: "Saint-Flour".into(),
            postal_code: "15100".into(),
            themes: vec![Theme::Procedures],
            domains: vec![Domain::Taxes],
            title: String::new(),
            level: None,
            equipment: vec![Equipment::Phone],
            participants: 1,
            ages: [0, 0, 0, 0, 0, 1, 0, 0],
            statuses: [0, 0, 0, 1, 0],
            autonomy: Some(Autonomy::Partly),
            redirection: "CCAS".into(),
            notes: "Déclaration en ligne.".into(),
        }
    }

    fn open() -> (tempfile::TempDir, Reports) {
        let dir = tempfile::tempdir().unwrap();
        let reports = Reports::open(dir.path()).unwrap();
        (dir, reports)
    }

    #[test]
    fn the_file_is_private_and_a_newer_schema_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, reports) = open();
        let mode = std::fs::metadata(dir.path().join(DB_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let journal: String = reports
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
        reports
            .conn
            .pragma_update(None, "user_version", 99)
            .unwrap();
        drop(reports);
        let err = Reports::open(dir.path()).err().unwrap().to_string();
        assert!(err.contains("99") && err.contains("mettez à jour"), "{err}");
    }

    #[test]
    fn reports_are_created_read_updated_and_deleted() {
        let (_dir, mut reports) = open();
        let created = reports
            .create(PAUL, &help("2026-03-12"), Some("seance-7"))
            .unwrap();
        assert_eq!(created.id, 1);
        let read = reports.get(1).unwrap().unwrap();
        assert_eq!(read, created);
        assert_eq!(read.workshop_session.as_deref(), Some("seance-7"));
        assert!(read.is_owned_by(PAUL));
        assert!(!read.is_owned_by(ANNE));
        // The same name on a newer account is someone else.
        assert!(!read.is_owned_by(Owner {
            name: "paul",
            since: 300
        }));

        let mut changed = help("2026-03-13");
        changed.participants = 2;
        changed.ages = [0, 0, 0, 0, 0, 2, 0, 0];
        let updated = reports.update(1, &changed).unwrap();
        assert_eq!(updated.fields, changed);
        assert_eq!(updated.owner, "paul");
        assert_eq!(updated.created_at, created.created_at);
        assert_eq!(updated.workshop_session.as_deref(), Some("seance-7"));

        reports.delete(1).unwrap();
        assert!(reports.get(1).unwrap().is_none());
        assert!(matches!(reports.delete(1), Err(ReportError::NotFound(1))));
        assert!(matches!(
            reports.update(1, &changed),
            Err(ReportError::NotFound(1))
        ));
        // A deleted report's number is never given again.
        assert_eq!(
            reports.create(PAUL, &help("2026-03-14"), None).unwrap().id,
            2
        );
    }

    #[test]
    fn the_api_refuses_what_the_form_would_refuse() {
        let (_dir, mut reports) = open();
        let mut bad = help("2026-03-12");
        bad.participants = 0;
        bad.postal_code = "123".into();
        let err = reports.create(PAUL, &bad, None).unwrap_err();
        let ReportError::Invalid(problems) = &err else {
            panic!("{err}");
        };
        let fields: Vec<Field> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                Field::PostalCode,
                Field::Age(AgeBand::Under12),
                Field::Status(Status::School)
            ]
        );
        assert!(
            err.to_string().contains("Le code postal n'est pas bon."),
            "{err}"
        );
        let err = reports
            .create(PAUL, &help("2026-03-12"), Some("a/b"))
            .unwrap_err();
        assert!(matches!(err, ReportError::Invalid(_)), "{err}");
        assert_eq!(reports.count(&Filter::default()).unwrap(), 0);
    }

    #[test]
    fn lists_filter_by_owner_and_date_newest_or_oldest_first() {
        let (_dir, mut reports) = open();
        for (owner, date) in [
            (PAUL, "2026-01-10"),
            (ANNE, "2026-02-01"),
            (PAUL, "2026-03-05"),
            (PAUL, "2025-12-31"),
        ] {
            reports.create(owner, &help(date), None).unwrap();
        }
        let dates = |filter: Filter<'_>| -> Vec<String> {
            reports
                .list(&filter)
                .unwrap()
                .iter()
                .map(|r| r.fields.date.to_string())
                .collect()
        };
        assert_eq!(
            dates(Filter {
                owner: Some(PAUL),
                newest_first: true,
                ..Filter::default()
            }),
            ["2026-03-05", "2026-01-10", "2025-12-31"]
        );
        assert_eq!(
            dates(Filter {
                since: Date::parse("2026-01-10"),
                ..Filter::default()
            }),
            ["2026-01-10", "2026-02-01", "2026-03-05"]
        );
        assert_eq!(
            dates(Filter {
                newest_first: true,
                limit: Some(2),
                offset: 1,
                ..Filter::default()
            }),
            ["2026-02-01", "2026-01-10"]
        );
        let paul = Filter {
            owner: Some(PAUL),
            ..Filter::default()
        };
        assert_eq!(reports.count(&paul).unwrap(), 3);
        let newer_paul = Filter {
            owner: Some(Owner {
                name: "paul",
                since: 999,
            }),
            ..Filter::default()
        };
        assert_eq!(reports.count(&newer_paul).unwrap(), 0);
        assert_eq!(reports.count(&Filter::default()).unwrap(), 4);
    }

    #[test]
    fn a_code_this_version_does_not_know_is_an_error_not_a_guess() {
        let (_dir, mut reports) = open();
        reports.create(PAUL, &help("2026-03-12"), None).unwrap();
        reports
            .conn
            .execute("UPDATE reports SET themes = 'email,astrologie'", [])
            .unwrap();
        let err = reports.get(1).unwrap_err().to_string();
        assert!(err.contains("astrologie"), "{err}");
    }
}
