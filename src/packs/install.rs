//! Changing the library: import, upgrade, rollback, remove, export, and the starter pack.
//!
//! Files go to `packs/<id>/<version>/` through a staging folder (written, fsynced, renamed),
//! the original signed file is kept as `packs/<id>/<version>.kitpack`, then the pack's rows
//! are replaced in one SQLite transaction. A crash at any point leaves the index on the old
//! version or the new one; `clean_leftovers` removes what the crash left on disk.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use super::format::{sha256_hex, short_key, to_hex, Manifest, EXTENSION};
use super::inpack::InPackSource;
use super::lock::LibraryLock;
use super::progress::Progress;
use super::{starter, verify};
use crate::content::glossary::{Glossary, Term};
use crate::content::{self, LoadedPack, Source};
use crate::paths::safe_join;
use crate::store::{NewGlossaryEntry, NewItem, NewPack, NewStep, NewTranslation, PackRow, Store};

/// URL prefix under which installed pack files are served: `/contenus/<id>/<version>/<path>`.
pub const FILES_URL: &str = "/contenus/";

/// Folder names inside `packs/<id>/` that an interrupted install leaves behind.
const STAGING_PREFIX: &str = ".staging-";

/// Free space kept on the disk beyond what a pack needs (SQLite, logs).
const DISK_MARGIN: u64 = 32 << 20;

#[derive(Debug)]
pub struct InstallReport {
    pub id: String,
    pub version: String,
    pub previous: Option<String>,
    pub items: usize,
    pub files: usize,
}

/// What an import did.
#[derive(Debug)]
pub enum Imported {
    Installed(InstallReport),
    /// The same version is already installed: nothing changed.
    AlreadyInstalled {
        id: String,
        version: String,
    },
}

pub struct ImportOptions {
    pub allow_untrusted: bool,
    pub allow_downgrade: bool,
    /// Lets a pack signed by another key than the id's owner replace it, and become its
    /// owner (never for the starter's reserved id).
    pub replace_publisher: bool,
    /// The file is the kit's own (an upload in the data dir): it is moved into the library
    /// rather than copied, which saves writing it twice.
    pub consume_file: bool,
}

/// What `remove` did.
#[derive(Debug)]
pub enum Removed {
    /// The pack and its files are gone.
    Gone,
    /// The starter cannot go: the one built into the kit is back in place of a published one.
    StarterRestored(InstallReport),
}

pub(crate) fn fsync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("impossible de synchroniser le dossier `{}`", dir.display()))
}

/// Makes a staged install durable before it is renamed into place: every file and folder
/// under `staging` (and `extra`) is on the disk. On Linux one `syncfs` does it for the
/// whole file system, which costs far less than one fsync per file of a pack with
/// thousands of files; elsewhere, or if `syncfs` fails, each one is synced.
fn make_durable(staging: &Path, extra: Option<&Path>) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(dir) = fs::File::open(staging) {
            // SAFETY: syncfs only reads the descriptor, which `dir` keeps open.
            if unsafe { libc::syncfs(dir.as_raw_fd()) } == 0 {
                return Ok(());
            }
        }
    }
    let sync_file = |path: &Path| {
        fs::File::open(path)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("impossible d'écrire `{}` sur le disque", path.display()))
    };
    for entry in walkdir::WalkDir::new(staging) {
        let entry = entry.with_context(|| format!("impossible de lire `{}`", staging.display()))?;
        sync_file(entry.path())?;
    }
    if let Some(extra) = extra {
        sync_file(extra)?;
    }
    Ok(())
}

fn packs_root(data_dir: &Path) -> PathBuf {
    data_dir.join("packs")
}

fn pack_dir(data_dir: &Path, id: &str) -> Result<PathBuf> {
    safe_join(&packs_root(data_dir), id).ok_or_else(|| anyhow!("identifiant `{id}` invalide"))
}

/// Bytes free for us on the disk holding `dir`.
pub fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes into the zeroed struct we pass; `path` is NUL-terminated.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    Some(stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// Imports one `.kitpack` file: verify, extract, switch. The library is unchanged unless
/// everything passed.
pub fn import_file(
    store: &mut Store,
    lock: &LibraryLock,
    file: &Path,
    options: &ImportOptions,
    progress: &Progress,
) -> Result<Imported> {
    let data_dir = lock.data_dir();
    let shown = file.display();
    progress.step(format!("vérification de `{shown}`"));
    let mut open = verify::open(
        file,
        &|key| store.is_trusted(key).unwrap_or(false),
        options.allow_untrusted,
    )
    .with_context(|| format!("paquet `{shown}` refusé"))?;
    let manifest = open.manifest.clone();
    let installed = store.pack(&manifest.id)?;
    let owner = if manifest.id == starter::STARTER_ID {
        check_starter_publisher(store, &manifest)
    } else {
        check_owner(
            store,
            installed.as_ref(),
            &manifest,
            options.replace_publisher,
        )
    }
    .with_context(|| format!("paquet `{shown}` refusé"))?;
    let offered = semver::Version::parse(&manifest.version)?;
    if let Some(installed) = &installed {
        let current = semver::Version::parse(&installed.version).ok();
        if current.as_ref() == Some(&offered) {
            if installed.publisher != manifest.publisher {
                // Its folder is in use: the other publisher's files cannot go there.
                bail!(
                    "paquet `{shown}` refusé : la version {} de `{}` est déjà installée, \
                     publiée par {} ; ce fichier, d'un autre éditeur, doit porter une version \
                     plus récente",
                    manifest.version,
                    manifest.id,
                    key_label(store, installed.publisher.as_deref())?
                );
            }
            return Ok(Imported::AlreadyInstalled {
                id: manifest.id,
                version: manifest.version,
            });
        }
        if current.as_ref().is_some_and(|c| *c > offered) && !options.allow_downgrade {
            bail!(
                "paquet `{shown}` refusé : la version {} est plus ancienne que celle installée \
                 ({}) ; ajoutez `--allow-downgrade` pour revenir en arrière",
                manifest.version,
                installed.version
            );
        }
    }
    let dir = pack_dir(data_dir, &manifest.id)?;
    fs::create_dir_all(&dir).with_context(|| format!("impossible de créer `{}`", dir.display()))?;
    let need = open.total_size() + fs::metadata(file)?.len() + DISK_MARGIN;
    if let Some(free) = free_bytes(&dir) {
        if free < need {
            bail!(
                "paquet `{shown}` refusé : pas assez de place sur le disque \
                 ({} Mo libres, {} Mo nécessaires)",
                free >> 20,
                need >> 20
            );
        }
    }

    let staging = dir.join(format!(
        "{STAGING_PREFIX}{}-{}",
        manifest.version,
        std::process::id()
    ));
    let staged_kitpack = staging.with_extension(EXTENSION);
    let result = (|| -> Result<InstallReport> {
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir_all(&staging)?;
        progress.step(format!("extraction de `{}`", manifest.file_name()));
        open.extract(&staging, progress, true)
            .with_context(|| format!("paquet `{shown}` refusé"))?;
        progress.step(format!("lecture du contenu de `{}`", manifest.file_name()));
        let source = InPackSource::open(&staging, file)?;
        let loaded = content::load(&source, FILES_URL)
            .with_context(|| format!("paquet `{shown}` refusé"))?;
        check_matches_manifest(&loaded, &manifest)
            .with_context(|| format!("paquet `{shown}` refusé"))?;
        check_slugs_free(store, &loaded)?;
        // Keep the original signed file beside the extracted one, for export.
        let moved = options.consume_file && fs::rename(file, &staged_kitpack).is_ok();
        if !moved {
            fs::copy(file, &staged_kitpack)
                .with_context(|| format!("impossible de copier `{shown}`"))?;
            // The media left in it are served from this copy: check them there (a stick
            // could change under us between the check and the copy).
            verify::check_left(&manifest, &staging, &staged_kitpack)
                .with_context(|| format!("paquet `{shown}` refusé"))?;
        }
        progress.step(format!("installation de `{}`", manifest.file_name()));
        make_durable(&staging, Some(&staged_kitpack))?;
        let previous = installed.as_ref().map(|p| p.version.as_str());
        commit(
            store,
            data_dir,
            (&staging, Some(&staged_kitpack)),
            &loaded,
            &NewPack {
                id: &manifest.id,
                version: &manifest.version,
                title: &manifest.title,
                digest: &sha256_hex(&open.manifest_bytes),
                previous_version: previous,
                publisher: manifest.publisher.as_deref(),
                trusted: open.trusted,
                owner: owner.as_deref(),
            },
        )
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
        let _ = fs::remove_file(&staged_kitpack);
    }
    progress.finish();
    result.map(Imported::Installed)
}

/// A key as people see it: its short form, and the name it was trusted under.
fn key_label(store: &Store, key: Option<&str>) -> Result<String> {
    let Some(key) = key else {
        return Ok("aucune clé (paquet non signé)".into());
    };
    let name = store.trusted_key_name(key)?.filter(|n| !n.is_empty());
    Ok(match name {
        Some(name) => format!("la clé `{}…` ({name})", short_key(key)),
        None => format!("la clé `{}…`", short_key(key)),
    })
}

/// An installed pack id belongs to its owner: the key that first installed it. A pack
/// signed by another key (or unsigned, over a signed one) is refused unless the admin
/// hands the id over with `--replace-publisher`. Returns the owner after this import.
fn check_owner(
    store: &Store,
    installed: Option<&PackRow>,
    manifest: &Manifest,
    replace_publisher: bool,
) -> Result<Option<String>> {
    let offered = manifest.publisher.clone();
    let Some(row) = installed else {
        return Ok(offered);
    };
    if row.owner == offered || replace_publisher {
        return Ok(offered);
    }
    let owner = match &row.owner {
        Some(_) => format!(
            "appartient à {}, qui l'a installé en premier",
            key_label(store, row.owner.as_deref())?
        ),
        None => "a été installé en premier sans signature".into(),
    };
    let signer = signed_by(store, offered.as_deref())?;
    bail!(
        "le paquet `{}` {owner}, mais {signer} : un autre éditeur ne peut pas le remplacer. \
         Si ce changement d'éditeur est voulu, relancez avec `--replace-publisher` ; sinon, \
         demandez à cet éditeur de donner un autre identifiant à son paquet",
        manifest.id
    )
}

/// Who signed a pack file, as the refusals say it.
fn signed_by(store: &Store, publisher: Option<&str>) -> Result<String> {
    Ok(match publisher {
        Some(_) => format!("ce fichier est signé par {}", key_label(store, publisher)?),
        None => "ce fichier n'est pas signé".into(),
    })
}

/// The starter's id is reserved: only the key the admin designated for it
/// (`trust add --starter`) may publish it. Returns that key, the owner.
fn check_starter_publisher(store: &Store, manifest: &Manifest) -> Result<Option<String>> {
    let designated = store.starter_publisher()?;
    if manifest.publisher.is_some() && manifest.publisher == designated {
        return Ok(designated);
    }
    let signer = signed_by(store, manifest.publisher.as_deref())?;
    let designated = match &designated {
        Some(_) => format!("c'est {}", key_label(store, designated.as_deref())?),
        None => "aucune clé n'est désignée sur ce kit".into(),
    };
    bail!(
        "l'identifiant `{}` est réservé à la bibliothèque de départ du kit, que seule la clé \
         désignée pour elle peut mettre à jour : {designated}, mais {signer}. Si vous faites \
         confiance à cet éditeur pour la bibliothèque de départ, désignez sa clé avec \
         `mednum-kit trust add CLÉ --starter`",
        manifest.id
    )
}

/// The pack's own `pack.toml` and items must be what its signed manifest says.
fn check_matches_manifest(loaded: &LoadedPack, manifest: &Manifest) -> Result<()> {
    if loaded.meta.id != manifest.id || loaded.meta.version.to_string() != manifest.version {
        bail!(
            "`pack.toml` dit `{} {}` mais le manifeste `{} {}`",
            loaded.meta.id,
            loaded.meta.version,
            manifest.id,
            manifest.version
        );
    }
    let mut in_content: Vec<(&str, &str)> = loaded
        .themes
        .iter()
        .map(|t| ("theme", t.slug.as_str()))
        .chain(
            loaded
                .tutorials
                .iter()
                .map(|t| ("tutorial", t.slug.as_str())),
        )
        .chain(
            loaded
                .workshops
                .iter()
                .map(|w| ("workshop", w.slug.as_str())),
        )
        .chain(loaded.forms.iter().map(|f| ("form", f.slug.as_str())))
        .collect();
    let mut in_manifest: Vec<(&str, &str)> = manifest
        .items
        .iter()
        .map(|i| (i.kind.as_str(), i.slug.as_str()))
        .collect();
    in_content.sort_unstable();
    in_manifest.sort_unstable();
    if in_content != in_manifest {
        bail!("la liste des contenus du manifeste ne correspond pas aux fichiers");
    }
    Ok(())
}

/// Two packs may not both define the same tutorial (or theme, or workshop).
fn check_slugs_free(store: &Store, loaded: &LoadedPack) -> Result<()> {
    let items = loaded
        .themes
        .iter()
        .map(|t| ("theme", &t.slug))
        .chain(loaded.tutorials.iter().map(|t| ("tutorial", &t.slug)))
        .chain(loaded.workshops.iter().map(|w| ("workshop", &w.slug)))
        .chain(loaded.forms.iter().map(|f| ("form", &f.slug)));
    for (kind, slug) in items {
        if let Some(owner) = store.item_owner(kind, slug)? {
            if owner != loaded.meta.id {
                bail!("`{kind}` `{slug}` existe déjà dans le paquet `{owner}` : renommez-le");
            }
        }
    }
    for entry in &loaded.glossary {
        if let Some(owner) = store.glossary_owner(&entry.slug)? {
            if owner != loaded.meta.id {
                let slug = &entry.slug;
                bail!("`glossary` `{slug}` existe déjà dans le paquet `{owner}` : renommez-le");
            }
        }
    }
    Ok(())
}

/// Moves a complete staging folder (and the staged original `.kitpack`, if any) into place
/// and switches the index to it, then prunes versions neither current nor kept for rollback.
fn commit(
    store: &mut Store,
    data_dir: &Path,
    (staging, kitpack): (&Path, Option<&Path>),
    loaded: &LoadedPack,
    pack: &NewPack<'_>,
) -> Result<InstallReport> {
    let dir = pack_dir(data_dir, pack.id)?;
    let final_dir = dir.join(pack.version);
    if final_dir.exists() {
        // Left by an install that stopped before the index switched: not in use.
        fs::remove_dir_all(&final_dir)
            .with_context(|| format!("impossible d'effacer `{}`", final_dir.display()))?;
    }
    let target = original_kitpack(&dir, pack.version);
    match kitpack {
        Some(kitpack) => fs::rename(kitpack, &target)
            .with_context(|| format!("impossible de renommer `{}`", kitpack.display()))?,
        // Installed from a source (the starter built into the kit): a signed file of the
        // same version left from before is not this version's, and would be exported or
        // checked as if it were.
        None if target.exists() => remove_path(&target)?,
        None => {}
    }
    fs::rename(staging, &final_dir)
        .with_context(|| format!("impossible de renommer `{}`", staging.display()))?;
    fsync_dir(&dir)?;
    let glossary = glossary_for(store, loaded)?;
    let items = index_items(loaded, &glossary)?;
    store.replace_pack_with_glossary(pack, &items, &glossary_rows(loaded))?;
    prune(&dir, &[Some(pack.version), pack.previous_version])?;
    Ok(InstallReport {
        id: pack.id.to_owned(),
        version: pack.version.to_owned(),
        previous: pack.previous_version.map(str::to_owned),
        items: items.len(),
        files: loaded.files.len(),
    })
}

/// Where the original signed file of a version is kept.
/// The size of the signed file an installed version came in (what a copy of it weighs).
pub fn installed_size(data_dir: &Path, id: &str, version: &str) -> Option<u64> {
    fs::metadata(original_file(data_dir, id, version)?)
        .ok()
        .map(|m| m.len())
}

/// The original signed file of an installed version, if it is on disk (the embedded
/// starter has none).
pub fn original_file(data_dir: &Path, id: &str, version: &str) -> Option<PathBuf> {
    let file = original_kitpack(&pack_dir(data_dir, id).ok()?, version);
    file.is_file().then_some(file)
}

fn original_kitpack(pack_dir: &Path, version: &str) -> PathBuf {
    pack_dir.join(format!("{version}.{EXTENSION}"))
}

/// Removes every entry of a pack folder but the listed versions (folder and `.kitpack`).
fn prune(dir: &Path, keep: &[Option<&str>]) -> Result<()> {
    let entries =
        fs::read_dir(dir).with_context(|| format!("impossible de lire `{}`", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let version = name.strip_suffix(&format!(".{EXTENSION}")).unwrap_or(&name);
        if !keep.iter().flatten().any(|k| *k == version) {
            remove_path(&entry.path())?;
        }
    }
    Ok(())
}

fn remove_path(path: &Path) -> Result<()> {
    let result = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    result.with_context(|| format!("impossible d'effacer `{}`", path.display()))
}

/// Installs a pack from a source that needs no verification (the embedded starter).
///
/// `previous` is the installed version to keep for rollback, if any.
pub fn install_source(
    store: &mut Store,
    lock: &LibraryLock,
    source: &dyn Source,
    digest: &str,
    previous: Option<&str>,
) -> Result<InstallReport> {
    let data_dir = lock.data_dir();
    let loaded = content::load(source, FILES_URL)?;
    let version = loaded.meta.version.to_string();
    let dir = pack_dir(data_dir, &loaded.meta.id)?;
    let staging = dir.join(format!("{STAGING_PREFIX}{version}-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    fs::create_dir_all(&staging)
        .with_context(|| format!("impossible de créer `{}`", staging.display()))?;
    // The whole source, as an imported pack's folder holds it, so that a rollback to this
    // version reads it back from the disk like any other.
    for rel in &source.paths() {
        let target = safe_join(&staging, rel).ok_or_else(|| anyhow!("`{rel}` : chemin refusé"))?;
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        let bytes = source
            .read(rel)
            .with_context(|| format!("`{rel}` : lecture impossible"))?;
        fs::write(&target, &bytes)
            .with_context(|| format!("impossible d'écrire `{}`", target.display()))?;
    }
    make_durable(&staging, None)?;
    commit(
        store,
        data_dir,
        (&staging, None),
        &loaded,
        &NewPack {
            id: &loaded.meta.id,
            version: &version,
            title: &loaded.meta.title,
            digest,
            previous_version: previous.filter(|p| *p != version),
            publisher: None,
            trusted: true,
            owner: None,
        },
    )
}

/// The digest of a pack installed from a source rather than a signed file: its paths and
/// bytes, in path order. The same files give the same digest read from the binary or from
/// the version's folder.
pub fn source_digest(source: &dyn Source) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut paths = source.paths();
    paths.sort();
    let mut hasher = Sha256::new();
    for path in &paths {
        let bytes = source.read(path)?;
        hasher.update(path.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(to_hex(&hasher.finalize()[..8]))
}

/// Goes back to the version kept at the last upgrade (and keeps the current one, so a
/// second rollback undoes the first).
///
/// The kept version is checked as an import is before it is indexed: its original signed
/// file must be there, open, carry a valid signature by a trusted key (or
/// `allow_untrusted`) and name this pack and version, and the version's folder must hold
/// exactly the files its manifest lists, with their sizes and sha256. Anything else is
/// refused and the installed version stays. The starter's version built into the kit has
/// no signed file: it comes back from the binary, never from the disk.
pub fn rollback(
    store: &mut Store,
    lock: &LibraryLock,
    id: &str,
    allow_untrusted: bool,
) -> Result<InstallReport> {
    let data_dir = lock.data_dir();
    let row = store
        .pack(id)?
        .ok_or_else(|| anyhow!("aucun paquet `{id}` installé (voir `mednum-kit pack list`)"))?;
    let previous = row
        .previous_version
        .clone()
        .ok_or_else(|| anyhow!("le paquet `{id}` n'a pas de version précédente"))?;
    let dir = pack_dir(data_dir, id)?;
    let kitpack = original_kitpack(&dir, &previous);
    if id == starter::STARTER_ID && !kitpack.exists() && !starter::is_built_in(&row) {
        return starter::reinstall(store, lock, Some(&row.version));
    }
    let refused = || {
        format!(
            "retour de `{id}` à la version {previous} refusé (la version {} reste installée ; \
             pour retrouver la {previous}, réimportez son fichier `.kitpack` d'origine avec \
             `--allow-downgrade`)",
            row.version
        )
    };
    let (open, loaded) =
        verify_kept(store, &dir, id, &previous, allow_untrusted).with_context(refused)?;
    let glossary = glossary_for(store, &loaded)?;
    let items = index_items(&loaded, &glossary)?;
    store.replace_pack_with_glossary(
        &NewPack {
            id,
            version: &previous,
            title: &loaded.meta.title,
            digest: &sha256_hex(&open.manifest_bytes),
            previous_version: Some(&row.version),
            publisher: open.manifest.publisher.as_deref(),
            trusted: open.trusted,
            // Going back in versions does not hand the id back: the owner stays.
            owner: row.owner.as_deref(),
        },
        &items,
        &glossary_rows(&loaded),
    )?;
    Ok(InstallReport {
        id: id.to_owned(),
        version: previous,
        previous: Some(row.version),
        items: items.len(),
        files: loaded.files.len(),
    })
}

/// The kept version `version` of pack `id` in `dir`, checked against its signed file, and
/// its content loaded from the checked folder.
fn verify_kept(
    store: &Store,
    dir: &Path,
    id: &str,
    version: &str,
    allow_untrusted: bool,
) -> Result<(verify::OpenPack, LoadedPack)> {
    let kitpack = original_kitpack(dir, version);
    let shown = kitpack.display();
    if !kitpack.is_file() {
        bail!(
            "le fichier signé `{shown}` de cette version manque : sans lui, ses fichiers ne \
             peuvent pas être vérifiés"
        );
    }
    let open = verify::open(
        &kitpack,
        &|key| store.is_trusted(key).unwrap_or(false),
        allow_untrusted,
    )
    .with_context(|| format!("fichier signé `{shown}`"))?;
    let manifest = &open.manifest;
    if manifest.id != id || manifest.version != version {
        bail!(
            "le fichier signé `{shown}` est celui de `{} {}`, pas de `{id} {version}`",
            manifest.id,
            manifest.version
        );
    }
    if id == starter::STARTER_ID {
        check_starter_publisher(store, manifest)?;
    }
    let folder = dir.join(version);
    verify::check_folder(manifest, &folder, Some(&kitpack))
        .with_context(|| format!("dossier `{}`", folder.display()))?;
    let source = InPackSource::open(&folder, &kitpack)?;
    let loaded = content::load(&source, FILES_URL)
        .with_context(|| format!("dossier `{}`", folder.display()))?;
    check_matches_manifest(&loaded, manifest)?;
    check_slugs_free(store, &loaded)?;
    Ok((open, loaded))
}

/// Removes a pack from the index, then its files.
///
/// The starter is part of the kit: removing it brings back the version built into the kit,
/// from the binary's own copy, whoever published the installed one.
pub fn remove(store: &mut Store, lock: &LibraryLock, id: &str) -> Result<Removed> {
    let data_dir = lock.data_dir();
    if id == starter::STARTER_ID {
        if store
            .pack(id)?
            .is_some_and(|row| !starter::is_built_in(&row))
        {
            return starter::reinstall(store, lock, None).map(Removed::StarterRestored);
        }
        bail!(
            "le paquet `{id}` fait partie du kit : il ne peut pas être supprimé (c'est déjà \
             la version intégrée au kit)"
        );
    }
    if !store.remove_pack(id)? {
        bail!("aucun paquet `{id}` installé (voir `mednum-kit pack list`)");
    }
    let dir = pack_dir(data_dir, id)?;
    if dir.exists() {
        remove_path(&dir)?;
    }
    Ok(Removed::Gone)
}

/// Writes the installed version of `id` as a `.kitpack` into `dest`: the original signed
/// file, or for the starter pack a fresh (unsigned) build of the embedded files.
pub fn export(store: &Store, data_dir: &Path, id: &str, dest: &Path) -> Result<PathBuf> {
    let row = store
        .pack(id)?
        .ok_or_else(|| anyhow!("aucun paquet `{id}` installé (voir `mednum-kit pack list`)"))?;
    fs::create_dir_all(dest)
        .with_context(|| format!("impossible de créer `{}`", dest.display()))?;
    let target = dest.join(format!("{id}-{}.{EXTENSION}", row.version));
    let original = original_kitpack(&pack_dir(data_dir, id)?, &row.version);
    if original.is_file() {
        let part = target.with_extension(format!("{EXTENSION}.part"));
        fs::copy(&original, &part)
            .and_then(|_| fs::File::open(&part)?.sync_all())
            .with_context(|| format!("impossible d'écrire `{}`", part.display()))?;
        fs::rename(&part, &target)
            .with_context(|| format!("impossible d'écrire `{}`", target.display()))?;
    } else if id == starter::STARTER_ID {
        super::build::build(&starter::Starter, &target, None)?;
    } else {
        bail!("le fichier d'origine de `{id}` manque : réimportez-le");
    }
    fsync_dir(dest)?;
    Ok(target)
}

/// Cleans what an interrupted install left: staging folders, versions the index does not
/// use, folders of packs the index does not know. Returns how many entries went. The lock
/// matters most here: a first-time import in progress looks exactly like such a leftover.
pub fn clean_leftovers(store: &Store, lock: &LibraryLock) -> Result<usize> {
    let root = packs_root(lock.data_dir());
    let Ok(entries) = fs::read_dir(&root) else {
        return Ok(0);
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let id = entry.file_name().to_string_lossy().into_owned();
        let Some(row) = store.pack(&id)? else {
            remove_path(&entry.path())?;
            removed += 1;
            continue;
        };
        let keep = [Some(row.version.as_str()), row.previous_version.as_deref()];
        let before = fs::read_dir(entry.path())?.count();
        prune(&entry.path(), &keep)?;
        removed += before - fs::read_dir(entry.path())?.count();
    }
    Ok(removed)
}

/// The words a pack's tutorials are linked to: its own glossary, then the entries of the
/// packs already installed (the starter's, usually). A pack installed before a glossary
/// arrived keeps its text as it is until it is installed again.
pub(crate) fn glossary_for(store: &Store, pack: &LoadedPack) -> Result<Glossary> {
    let mut glossary = Glossary::from_entries(&pack.glossary);
    let installed = store
        .glossary()?
        .into_iter()
        .filter(|r| r.pack_id != pack.meta.id);
    glossary.extend(installed.map(|r| Term {
        slug: r.slug,
        forms: std::iter::once(r.word).chain(r.variants).collect(),
    }));
    Ok(glossary)
}

/// A pack's glossary entries as stored.
fn glossary_rows(pack: &LoadedPack) -> Vec<NewGlossaryEntry> {
    pack.glossary
        .iter()
        .map(|e| NewGlossaryEntry {
            slug: e.slug.clone(),
            word: e.word.clone(),
            variants: e.variants.clone(),
            see_also: e.see_also.clone(),
            summary: e.summary.clone(),
            body_html: e.body.html.clone(),
            plain: format!("{} {}", e.variants.join(" "), e.body.plain),
        })
        .collect()
}

/// A tutorial's details kept beside it (its `updated` date), as JSON.
fn tutorial_extra(tutorial: &content::Tutorial) -> Result<String> {
    Ok(match &tutorial.updated {
        Some(updated) => serde_json::to_string(&serde_json::json!({ "updated": updated }))?,
        None => "{}".into(),
    })
}

/// Turns rendered content into index rows; tutorials get their glossary links here, once.
/// Translations ride along with their original (no glossary links: the glossary is in the
/// original's language).
fn index_items(pack: &LoadedPack, glossary: &Glossary) -> Result<Vec<NewItem>> {
    let (lang, _) = content::pack_languages(&pack.meta);
    let mut items = Vec::new();
    for theme in &pack.themes {
        items.push(theme_item(theme));
    }
    for tutorial in &pack.tutorials {
        items.push(tutorial_item(tutorial, glossary)?);
    }
    for workshop in &pack.workshops {
        items.push(workshop_item(workshop)?);
    }
    for form in &pack.forms {
        items.push(form_item(form, glossary)?);
    }
    let none = Glossary::default();
    for translation in &pack.translations {
        let (kind, slug) = translation.item.key();
        let row = match &translation.item {
            content::Translated::Theme(theme) => theme_item(theme),
            content::Translated::Tutorial(tutorial) => tutorial_item(tutorial, &none)?,
            content::Translated::Workshop(workshop) => workshop_item(workshop)?,
        };
        if let Some(original) = items.iter_mut().find(|i| i.kind == kind && i.slug == slug) {
            original.translations.push(NewTranslation {
                lang: translation.lang.clone(),
                title: row.title,
                summary: row.summary,
                body_html: row.body_html,
                extra: row.extra,
                keywords: row.keywords,
                search_body: row.search_body,
                steps: row.steps,
            });
        }
    }
    for item in &mut items {
        item.lang = lang.clone();
    }
    Ok(items)
}

fn theme_item(theme: &content::Theme) -> NewItem {
    NewItem {
        kind: "theme",
        slug: theme.slug.clone(),
        title: theme.title.clone(),
        theme: None,
        level: None,
        duration: None,
        summary: theme.summary.clone(),
        ord: theme.order,
        icon: theme.icon_url.clone(),
        body_html: theme.intro.html.clone(),
        extra: "{}".into(),
        keywords: String::new(),
        search_body: format!("{} {}", theme.summary, theme.intro.plain),
        steps: Vec::new(),
        lang: String::new(),
        translations: Vec::new(),
    }
}

fn tutorial_item(tutorial: &content::Tutorial, glossary: &Glossary) -> Result<NewItem> {
    let mut linker = glossary.linker(&tutorial.glossary_skip, None);
    let mut body = format!("{} {}", tutorial.summary, tutorial.intro.plain);
    for step in &tutorial.steps {
        body.push(' ');
        body.push_str(&step.title);
        body.push(' ');
        body.push_str(&step.plain);
    }
    Ok(NewItem {
        kind: "tutorial",
        slug: tutorial.slug.clone(),
        title: tutorial.title.clone(),
        theme: Some(tutorial.theme.clone()),
        level: Some(tutorial.level.as_str().into()),
        duration: Some(tutorial.duration),
        summary: tutorial.summary.clone(),
        ord: 0,
        icon: None,
        body_html: linker.link_html(&tutorial.intro.html),
        extra: tutorial_extra(tutorial)?,
        keywords: tutorial.keywords.join(" "),
        search_body: body,
        steps: tutorial
            .steps
            .iter()
            .map(|s| NewStep {
                title: s.title.clone(),
                html: linker.link_html(&s.html),
                plain: s.plain.clone(),
            })
            .collect(),
        lang: String::new(),
        translations: Vec::new(),
    })
}

fn workshop_item(workshop: &content::Workshop) -> Result<NewItem> {
    let d = &workshop.details;
    let mut body = format!(
        "{} {} {}",
        workshop.summary,
        d.audience,
        d.objectives.join(" ")
    );
    for activity in &d.activities {
        body.push_str(&format!(" {} {}", activity.title, activity.description));
    }
    Ok(NewItem {
        kind: "workshop",
        slug: workshop.slug.clone(),
        title: workshop.title.clone(),
        theme: Some(workshop.theme.clone()),
        level: Some(workshop.level.as_str().into()),
        duration: Some(workshop.duration),
        summary: workshop.summary.clone(),
        ord: 0,
        icon: None,
        body_html: workshop.notes.html.clone(),
        extra: serde_json::to_string(d)?,
        keywords: String::new(),
        search_body: body,
        steps: Vec::new(),
        lang: String::new(),
        translations: Vec::new(),
    })
}

/// A practice form's row: its definition as JSON, its questions in the search text; the
/// first mention of each glossary word, in the intro then the questions' help, is a link.
fn form_item(form: &crate::content::Form, glossary: &Glossary) -> Result<NewItem> {
    let def = &form.def;
    let mut linker = glossary.linker(&[], None);
    let body_html = linker.link_html(&form.purpose.html);
    let help_html = def
        .fields()
        .map(|f| (f.id.clone(), linker.link_text(&f.help)))
        .collect();
    let stored = crate::forms::Stored {
        def: def.clone(),
        help_html,
    };
    let mut body = format!("{} {} {}", def.summary, def.procedure, form.purpose.plain);
    for field in def.fields() {
        body.push_str(&format!(" {} {}", field.label, field.help));
    }
    Ok(NewItem {
        kind: "form",
        slug: form.slug.clone(),
        title: def.title.clone(),
        theme: Some(def.theme.clone()),
        level: None,
        duration: None,
        summary: def.summary.clone(),
        ord: 0,
        icon: None,
        body_html,
        extra: serde_json::to_string(&stored)?,
        keywords: def.keywords.join(" "),
        search_body: body,
        steps: Vec::new(),
        lang: String::new(),
        translations: Vec::new(),
    })
}
