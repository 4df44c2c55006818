//! The starter library, compiled into the binary from `content/starter/`, so a new box is
//! useful at first boot.

use std::borrow::Cow;

use anyhow::{Context, Result};
use rust_embed::RustEmbed;

use super::install::{install_source, source_digest, InstallReport};
use super::lock::LibraryLock;
use crate::content::{PackMeta, Source};
use crate::store::{PackRow, Store};

#[derive(RustEmbed)]
#[folder = "content/starter/"]
struct StarterFiles;

/// The starter pack's id, reserved: every kit has it; `pack remove starter` brings back the
/// built-in one, and only the key designated with `trust add --starter` may publish it.
pub const STARTER_ID: &str = "starter";

/// The embedded starter pack as a content source.
pub struct Starter;

impl Source for Starter {
    fn paths(&self) -> Vec<String> {
        StarterFiles::iter().map(|p| p.into_owned()).collect()
    }

    fn read(&self, path: &str) -> std::io::Result<Cow<'_, [u8]>> {
        StarterFiles::get(path)
            .map(|f| f.data)
            .ok_or_else(|| std::io::ErrorKind::NotFound.into())
    }
}

impl Starter {
    /// A fingerprint of every embedded file, so a rebuilt binary with changed content
    /// reinstalls even at the same version.
    pub fn digest(&self) -> String {
        source_digest(self).expect("embedded files are always readable")
    }

    pub fn meta(&self) -> Result<PackMeta> {
        let bytes = self
            .read("pack.toml")
            .context("embedded `pack.toml` is missing")?;
        let text = std::str::from_utf8(&bytes).context("embedded `pack.toml` is not UTF-8")?;
        toml::from_str(text).context("embedded `pack.toml` is invalid")
    }
}

/// `true` unless the library already has the starter pack at this version and content, or
/// has a newer version. Cheap: every command asks before deciding to take the lock.
pub fn needs_install(store: &Store) -> Result<bool> {
    let meta = Starter.meta()?;
    let Some(installed) = store.pack(&meta.id)? else {
        return Ok(true);
    };
    let installed_version = semver::Version::parse(&installed.version).ok();
    let up_to_date = installed.digest == Starter.digest();
    let newer_installed = installed_version.is_some_and(|v| v > meta.version);
    Ok(!(up_to_date || newer_installed))
}

/// `true` when `row` is the starter pack built into this binary: never signed, and with
/// the embedded files' digest.
pub fn is_built_in(row: &PackRow) -> bool {
    row.id == STARTER_ID && row.publisher.is_none() && row.digest == Starter.digest()
}

/// Installs the starter built into the kit from the binary's own copy, keeping `previous`
/// (the installed version) for rollback.
pub fn reinstall(
    store: &mut Store,
    lock: &LibraryLock,
    previous: Option<&str>,
) -> Result<InstallReport> {
    install_source(store, lock, &Starter, &Starter.digest(), previous)
}

/// Installs the starter pack if [`needs_install`] says so. Returns `None` when there was
/// nothing to do (asked again under the lock: another process may have done it meanwhile).
pub fn ensure(store: &mut Store, lock: &LibraryLock) -> Result<Option<InstallReport>> {
    if !needs_install(store)? {
        return Ok(None);
    }
    reinstall(store, lock, None).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content;

    #[test]
    fn the_starter_library_loads_without_findings_and_covers_the_basics() {
        let pack = content::load(&Starter, "/contenus/").unwrap();
        assert!(pack.findings.is_empty(), "{:#?}", pack.findings);
        assert!(pack.themes.len() >= 3);
        assert!(pack.workshops.len() >= 2);
        assert!(pack.tutorials.len() >= 6);
        assert!(pack
            .tutorials
            .iter()
            .any(|t| t.title.to_lowercase().contains("mot de passe")));
        let themes: Vec<_> = pack.themes.iter().map(|t| t.slug.as_str()).collect();
        for tutorial in &pack.tutorials {
            assert!(
                themes.contains(&tutorial.theme.as_str()),
                "{}",
                tutorial.slug
            );
        }
        for workshop in &pack.workshops {
            for linked in &workshop.details.tutorials {
                assert!(pack.tutorials.iter().any(|t| &t.slug == linked), "{linked}");
            }
        }
    }

    #[test]
    fn the_digest_is_stable() {
        assert_eq!(Starter.digest(), Starter.digest());
        assert_eq!(Starter.digest().len(), 16);
    }
}
