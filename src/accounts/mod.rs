//! Staff accounts (admins and conseillers) and their login sessions, in their own SQLite
//! file (`accounts.sqlite`, next to the library): the library can be rebuilt from packs, the
//! accounts cannot, and a long pack install must never keep anyone from logging in.
//! Learners have no account.

pub mod password;
pub mod throttle;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};

/// The accounts database's file name inside the data dir.
pub const DB_FILE: &str = "accounts.sqlite";

/// Each entry moves the schema from version `i` to `i + 1`; never edit a shipped one.
const MIGRATIONS: &[&str] = &[
    // 1: accounts, and sessions stored by the hash of their token (a copy of the file does
    // not let anyone log in).
    "CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        role          TEXT NOT NULL CHECK (role IN ('admin', 'conseiller')),
        password_hash TEXT NOT NULL,
        created_at    INTEGER NOT NULL
     );
     CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        csrf       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
     );
     CREATE INDEX sessions_by_user ON sessions (user_id);",
];

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Workshops and reports; no packs, keys, users or settings.
    Conseiller,
    /// Everything.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Conseiller => "conseiller",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "conseiller" => Some(Role::Conseiller),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Why an account operation failed. Said in French: the admin reads it, on the command line
/// or on a page.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(
        "le nom « {0} » ne convient pas : de 2 à 32 caractères, des lettres sans accent, des \
         chiffres, le point ou le tiret (par exemple : claire.martin)"
    )]
    BadName(String),
    #[error(
        "le mot de passe est trop court : il faut au moins {min} caractères (lettres, chiffres \
         ou espaces, comme vous voulez). Une petite phrase facile à retenir convient bien.",
        min = password::MIN_CHARS
    )]
    ShortPassword,
    #[error("le mot de passe est trop long : {max} caractères au plus", max = password::MAX_BYTES)]
    LongPassword,
    #[error("le compte « {0} » existe déjà : choisissez un autre nom")]
    Exists(String),
    #[error("aucun compte « {0} » (voir `mednum-kit admin list-users`)")]
    NoSuchUser(String),
    #[error(
        "« {0} » est le dernier compte d'administration : créez-en un autre avant de le \
         supprimer, sinon plus personne ne pourra gérer le kit"
    )]
    LastAdmin(String),
    #[error("le kit a déjà un compte d'administration : connectez-vous avec lui")]
    AlreadySetUp,
    #[error("tirage au sort impossible : {0}")]
    Random(String),
    #[error("calcul du mot de passe impossible : {0}")]
    Hash(String),
    #[error("base des comptes `{path}` : {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("base des comptes : version {found} plus récente que ce programme ({known}) ; mettez à jour mednum-kit")]
    TooNew { found: i64, known: i64 },
    #[error("base des comptes : {0}")]
    Sql(#[from] rusqlite::Error),
}

pub type Result<T, E = AccountError> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
}

/// A logged-in session, found from its cookie.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    /// The token every form of this session carries (synchronizer token).
    pub csrf: String,
    pub expires_at: i64,
    token_hash: String,
}

/// A new session: the token goes in the cookie, and only its hash in the database.
pub struct NewSession {
    pub token: String,
    pub session: Session,
}

/// An account name as stored: trimmed and lowercased, `[a-z0-9._-]`, 2 to 32 characters,
/// starting with a letter or digit.
pub fn normalize_name(name: &str) -> Result<String> {
    let name = name.trim().to_ascii_lowercase();
    let ok = (2..=32).contains(&name.len())
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        });
    if ok {
        Ok(name)
    } else {
        Err(AccountError::BadName(name.chars().take(40).collect()))
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| AccountError::Random(e.to_string()))?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A session's expiry moves forward at most once a minute (one write per minute of use).
const SLIDE_EVERY: i64 = 60;

pub struct Accounts {
    conn: Connection,
}

impl Accounts {
    /// Opens (creating if needed, readable by the kit's user only) `<data_dir>/accounts.sqlite`.
    pub fn open(data_dir: &Path) -> Result<Accounts> {
        use crate::store::schema::{open_private, PrivateDbError};
        let path = data_dir.join(DB_FILE);
        let conn = open_private(&path, MIGRATIONS).map_err(|e| match e {
            PrivateDbError::Sql(source) => AccountError::Open { path, source },
            PrivateDbError::TooNew { found, known } => AccountError::TooNew { found, known },
        })?;
        Ok(Accounts { conn })
    }

    pub fn user_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM users")?
            .query_row([], |r| r.get(0))?)
    }

    pub fn users(&self) -> Result<Vec<User>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name, role, created_at FROM users ORDER BY name")?;
        let rows = stmt.query_map([], user_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The account `name` and its password hash.
    pub fn user_with_hash(&self, name: &str) -> Result<Option<(User, String)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, name, role, created_at, password_hash FROM users WHERE name = ?",
            )?
            .query_row([name], |r| Ok((user_row(r)?, r.get(4)?)))
            .optional()?)
    }

    /// Creates an account. `password_hash` comes from `password::hash`.
    pub fn create_user(&mut self, name: &str, role: Role, password_hash: &str) -> Result<User> {
        let name = normalize_name(name)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let user = insert_user(&tx, &name, role, password_hash)?;
        tx.commit()?;
        Ok(user)
    }

    /// Creates the first admin, only if the kit has no account at all (checked and written
    /// in one transaction: two setup pages sent at once make one admin).
    pub fn create_first_admin(&mut self, name: &str, password_hash: &str) -> Result<User> {
        let name = normalize_name(name)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let count: i64 = tx.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
        if count > 0 {
            return Err(AccountError::AlreadySetUp);
        }
        let user = insert_user(&tx, &name, Role::Admin, password_hash)?;
        tx.commit()?;
        Ok(user)
    }

    /// Deletes an account and its sessions; never the last admin.
    pub fn delete_user(&mut self, name: &str) -> Result<()> {
        let name = name.trim().to_ascii_lowercase();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let role: Option<String> = tx
            .query_row("SELECT role FROM users WHERE name = ?", [&name], |r| {
                r.get(0)
            })
            .optional()?;
        match role.as_deref() {
            None => return Err(AccountError::NoSuchUser(name)),
            Some("admin") => {
                let admins: i64 =
                    tx.query_row("SELECT count(*) FROM users WHERE role = 'admin'", [], |r| {
                        r.get(0)
                    })?;
                if admins <= 1 {
                    return Err(AccountError::LastAdmin(name));
                }
            }
            Some(_) => {}
        }
        tx.execute("DELETE FROM users WHERE name = ?", [&name])?;
        tx.commit()?;
        Ok(())
    }

    /// Changes a password; every session of that account ends (a stolen one too).
    pub fn set_password(&mut self, name: &str, password_hash: &str) -> Result<()> {
        let name = name.trim().to_ascii_lowercase();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id: Option<i64> = tx
            .query_row("SELECT id FROM users WHERE name = ?", [&name], |r| r.get(0))
            .optional()?;
        let Some(id) = id else {
            return Err(AccountError::NoSuchUser(name));
        };
        tx.execute(
            "UPDATE users SET password_hash = ? WHERE id = ?",
            params![password_hash, id],
        )?;
        tx.execute("DELETE FROM sessions WHERE user_id = ?", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// Opens a session for `user`, valid `lifetime` from now (and from each use after).
    pub fn create_session(&mut self, user: &User, lifetime: Duration) -> Result<NewSession> {
        let token = random_hex(32)?;
        let csrf = random_hex(32)?;
        let now = now();
        let expires_at = now + lifetime.as_secs() as i64;
        let hash = token_hash(&token);
        // Expired sessions go when new ones come: the table stays small.
        self.conn
            .prepare_cached("DELETE FROM sessions WHERE expires_at <= ?")?
            .execute([now])?;
        self.conn
            .prepare_cached(
                "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)
                 VALUES (?, ?, ?, ?, ?)",
            )?
            .execute(params![hash, user.id, csrf, now, expires_at])?;
        Ok(NewSession {
            token,
            session: Session {
                user: user.clone(),
                csrf,
                expires_at,
                token_hash: hash,
            },
        })
    }

    /// The live session whose cookie holds `token`, its expiry moved to `lifetime` from now.
    pub fn session(&mut self, token: &str, lifetime: Duration) -> Result<Option<Session>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = token_hash(token);
        let now = now();
        let found = self
            .conn
            .prepare_cached(
                "SELECT u.id, u.name, u.role, u.created_at, s.csrf, s.expires_at
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ? AND s.expires_at > ?",
            )?
            .query_row(params![hash, now], |r| {
                Ok((user_row(r)?, r.get::<_, String>(4)?, r.get::<_, i64>(5)?))
            })
            .optional()?;
        let Some((user, csrf, mut expires_at)) = found else {
            return Ok(None);
        };
        let wanted = now + lifetime.as_secs() as i64;
        if wanted - expires_at >= SLIDE_EVERY {
            self.conn
                .prepare_cached("UPDATE sessions SET expires_at = ? WHERE token_hash = ?")?
                .execute(params![wanted, hash])?;
            expires_at = wanted;
        }
        Ok(Some(Session {
            user,
            csrf,
            expires_at,
            token_hash: hash,
        }))
    }

    /// Ends a session on the server: its cookie no longer opens anything.
    pub fn end_session(&mut self, session: &Session) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM sessions WHERE token_hash = ?")?
            .execute([&session.token_hash])?;
        Ok(())
    }
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(2)?;
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        // The CHECK constraint allows only these two.
        role: Role::parse(&role).unwrap_or(Role::Conseiller),
        created_at: r.get(3)?,
    })
}

fn insert_user(
    tx: &rusqlite::Transaction<'_>,
    name: &str,
    role: Role,
    password_hash: &str,
) -> Result<User> {
    let created_at = now();
    let inserted = tx.execute(
        "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
        params![name, role.as_str(), password_hash, created_at],
    );
    match inserted {
        Ok(_) => Ok(User {
            id: tx.last_insert_rowid(),
            name: name.to_owned(),
            role,
            created_at,
        }),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(AccountError::Exists(name.to_owned()))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn open() -> (tempfile::TempDir, Accounts) {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        (dir, accounts)
    }

    #[test]
    fn names_are_simple_and_lowercased() {
        assert_eq!(normalize_name(" Claire.Martin ").unwrap(), "claire.martin");
        for bad in ["a", "", "-x", "élodie", "a b", "x/y", &"a".repeat(33)] {
            assert!(normalize_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_first_admin_is_made_once_and_the_last_admin_stays() {
        let (_dir, mut a) = open();
        assert_eq!(a.user_count().unwrap(), 0);
        let admin = a.create_first_admin("Claire", "h").unwrap();
        assert_eq!((admin.name.as_str(), admin.role), ("claire", Role::Admin));
        assert!(matches!(
            a.create_first_admin("autre", "h"),
            Err(AccountError::AlreadySetUp)
        ));
        assert!(matches!(
            a.create_user("claire", Role::Conseiller, "h"),
            Err(AccountError::Exists(_))
        ));
        assert!(matches!(
            a.delete_user("claire"),
            Err(AccountError::LastAdmin(_))
        ));
        a.create_user("paul", Role::Conseiller, "h").unwrap();
        assert!(matches!(
            a.delete_user("claire"),
            Err(AccountError::LastAdmin(_))
        ));
        a.create_user("lea", Role::Admin, "h").unwrap();
        a.delete_user("claire").unwrap();
        assert!(matches!(
            a.delete_user("claire"),
            Err(AccountError::NoSuchUser(_))
        ));
        let names: Vec<String> = a.users().unwrap().into_iter().map(|u| u.name).collect();
        assert_eq!(names, ["lea", "paul"]);
    }

    #[test]
    fn sessions_are_found_by_token_slide_and_end() {
        let (dir, mut a) = open();
        let user = a.create_first_admin("claire", "h").unwrap();
        let new = a.create_session(&user, HOUR).unwrap();
        assert_eq!(new.token.len(), 64);
        let found = a.session(&new.token, HOUR).unwrap().unwrap();
        assert_eq!(found.user, user);
        assert_eq!(found.csrf, new.session.csrf);
        // Only the hash is stored.
        let stored: String = a
            .conn
            .query_row("SELECT token_hash FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_ne!(stored, new.token);
        // Sliding: a use far from the expiry moves it forward.
        a.conn
            .execute("UPDATE sessions SET expires_at = ?", [now() + 100])
            .unwrap();
        let slid = a.session(&new.token, HOUR).unwrap().unwrap();
        assert!(slid.expires_at >= now() + 3500, "{}", slid.expires_at);
        // Expired: gone.
        a.conn
            .execute("UPDATE sessions SET expires_at = ?", [now() - 1])
            .unwrap();
        assert!(a.session(&new.token, HOUR).unwrap().is_none());
        // Logged out: gone, from another connection too.
        let new = a.create_session(&user, HOUR).unwrap();
        a.end_session(&new.session).unwrap();
        let mut other = Accounts::open(dir.path()).unwrap();
        assert!(other.session(&new.token, HOUR).unwrap().is_none());
        assert!(a.session("zz", HOUR).unwrap().is_none());
    }

    #[test]
    fn a_new_password_or_a_deleted_account_ends_its_sessions() {
        let (_dir, mut a) = open();
        let claire = a.create_first_admin("claire", "h").unwrap();
        let paul = a.create_user("paul", Role::Conseiller, "h").unwrap();
        let c = a.create_session(&claire, HOUR).unwrap();
        let p = a.create_session(&paul, HOUR).unwrap();
        a.set_password("claire", "h2").unwrap();
        assert!(a.session(&c.token, HOUR).unwrap().is_none());
        assert_eq!(a.user_with_hash("claire").unwrap().unwrap().1, "h2");
        a.delete_user("paul").unwrap();
        assert!(a.session(&p.token, HOUR).unwrap().is_none());
    }
}
