//! One module per subcommand, each with one entry function.

pub mod admin;
pub mod key;
pub mod pack;
pub mod peers;
pub mod report;
pub mod serve;
pub mod sync;
pub mod system;
pub mod trust;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::packs::{LibraryLock, Wait};
use crate::store::Store;

/// Said once on stderr when a command waits for another process's change to the library.
const WAITING: &str = "Une autre installation est en cours… (attente)";

/// Takes the library's write lock for a command that changes it: waits for another
/// writer (saying so once), or with `no_wait` fails at once.
pub(crate) fn lock_library(config: &Config, no_wait: bool) -> Result<LibraryLock> {
    let wait = if no_wait { Wait::No } else { Wait::Yes };
    Ok(LibraryLock::acquire(&config.data_dir, wait, &|| {
        eprintln!("{WAITING}")
    })?)
}

/// Opens the library of the data dir for reading, creating both (with the starter pack)
/// if needed. The lock is taken only when the starter must be installed.
pub(crate) fn open_store(config: &Config) -> Result<Store> {
    let mut store = open_unlocked(config)?;
    if crate::packs::starter::needs_install(&store)? {
        let lock = lock_library(config, false)?;
        ensure_starter(&mut store, &lock)?;
    }
    Ok(store)
}

/// Opens the library for a command that holds its write lock.
pub(crate) fn open_store_locked(config: &Config, lock: &LibraryLock) -> Result<Store> {
    let mut store = open_unlocked(config)?;
    ensure_starter(&mut store, lock)?;
    Ok(store)
}

fn open_unlocked(config: &Config) -> Result<Store> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "impossible de créer le dossier `{}`",
            config.data_dir.display()
        )
    })?;
    Ok(Store::open(&config.db_path())?)
}

fn ensure_starter(store: &mut Store, lock: &LibraryLock) -> Result<()> {
    if let Some(report) = crate::packs::starter::ensure(store, lock)
        .context("installation de la bibliothèque de départ")?
    {
        log::info!(
            "installed starter pack {} {}: {} items, {} files",
            report.id,
            report.version,
            report.items,
            report.files
        );
    }
    Ok(())
}

/// Prints a failed command's error on stderr, in French, with what to do next if known.
pub fn report(err: &anyhow::Error) {
    eprintln!("erreur : {}", describe(err));
    if let Some(hint) = hint(err) {
        eprintln!("conseil : {hint}");
    }
}

/// The error and its causes on one line, outermost first. The system's own words for a
/// failed file operation are given in French, and a cause already said is not repeated.
pub fn describe(err: &anyhow::Error) -> String {
    let mut said: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => crate::i18n::io_error(io),
            None => cause.to_string(),
        };
        if !said.last().is_some_and(|last| last.contains(&text)) {
            said.push(text);
        }
    }
    said.join(" : ")
}

/// What to do next, for errors whose cause is known: a full disk, a read-only stick…
pub fn hint(err: &anyhow::Error) -> Option<&'static str> {
    use std::io::ErrorKind;
    let kind = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind)
        .or_else(|| {
            // SQLite reports a full disk in its own words.
            let sqlite_full = err.chain().any(|cause| {
                matches!(
                    cause.downcast_ref::<rusqlite::Error>(),
                    Some(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == rusqlite::ErrorCode::DiskFull
                )
            });
            sqlite_full.then_some(ErrorKind::StorageFull)
        })?;
    Some(match kind {
        ErrorKind::StorageFull => {
            "le disque est plein : libérez de la place (par exemple avec \
             `mednum-kit pack remove`), puis recommencez"
        }
        ErrorKind::ReadOnlyFilesystem => {
            "ce disque est en lecture seule : choisissez un autre dossier"
        }
        ErrorKind::PermissionDenied => {
            "le kit n'a pas le droit d'écrire ou de lire ici : vérifiez les droits du dossier"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_chain_is_said_once_in_french() {
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        let err = anyhow::Error::new(crate::packs::verify::PackError::from(missing))
            .context("paquet `cle/a.kitpack` refusé");
        assert_eq!(
            describe(&err),
            "paquet `cle/a.kitpack` refusé : lecture impossible : fichier ou dossier introuvable"
        );
        let pulled = std::io::Error::from_raw_os_error(libc::EIO);
        let err = anyhow::Error::new(pulled).context("copie de `b.kitpack`");
        assert!(
            describe(&err).contains("clé USB retirée"),
            "{}",
            describe(&err)
        );
        // A cause that repeats the message above it is not said twice.
        let err = anyhow::anyhow!("disque plein").context("échec : disque plein");
        assert_eq!(describe(&err), "échec : disque plein");
    }
}
