//! Opening a `.kitpack` and checking everything before the library changes: the zip's
//! entries, the manifest, the signature, and (while extracting) every file's size and sha256.
//! Nothing here trusts the zip's own size fields.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};
use zip::ZipArchive;

use super::format::{
    path_problem, short_key, to_hex, Manifest, FORMAT_VERSION, MANIFEST, MAX_ENTRIES,
    MAX_MANIFEST_BYTES, MAX_TOTAL_BYTES, SIGNATURE,
};
use super::keys;
use super::progress::Progress;
use crate::content::is_slug;

/// Why a pack is refused. Each message says what is wrong and, where known, what to do.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The cause (the system's words) follows in the error chain.
    #[error("lecture impossible")]
    Io(#[from] std::io::Error),
    #[error("ce n'est pas un paquet lisible (zip abîmé ou incomplet : {0})")]
    NotAZip(String),
    #[error("trop d'entrées ({0}, au plus {MAX_ENTRIES})")]
    TooManyEntries(usize),
    #[error("entrée `{path}` refusée : {reason}")]
    UnsafeEntry { path: String, reason: &'static str },
    #[error("entrée `{0}` en double")]
    DuplicateEntry(String),
    #[error("`{MANIFEST}` manquant : ce fichier n'est pas un paquet mednum-kit")]
    MissingManifest,
    #[error("`{MANIFEST}` illisible : {0}")]
    BadManifest(String),
    #[error("paquet non signé : refusé. Pour un paquet de test, ajoutez `--allow-untrusted`")]
    Unsigned,
    #[error("signature invalide : le paquet a été modifié après sa signature")]
    BadSignature,
    #[error(
        "signé par une clé inconnue `{0}…` ; si vous faites confiance à cet éditeur, \
         ajoutez sa clé avec `mednum-kit trust add`"
    )]
    UnknownKey(String),
    #[error("entrée `{0}` absente du manifeste")]
    UnlistedEntry(String),
    #[error("fichier `{0}` listé dans le manifeste mais absent du paquet")]
    MissingFile(String),
    #[error("fichier `{path}` : {actual} octets au lieu de {expected} annoncés")]
    SizeMismatch {
        path: String,
        expected: u64,
        actual: u64,
    },
    #[error("fichier `{0}` : empreinte sha256 différente du manifeste (fichier modifié ou abîmé)")]
    HashMismatch(String),
    #[error("paquet trop gros ({0} octets, au plus {MAX_TOTAL_BYTES})")]
    TooLarge(u64),
    #[error("fichier `{0}` listé dans le manifeste mais absent du dossier")]
    MissingOnDisk(String),
    #[error("fichier `{0}` présent dans le dossier mais absent du manifeste")]
    UnlistedOnDisk(String),
}

/// A pack whose structure, manifest and signature are checked; files not yet extracted.
pub struct OpenPack {
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    /// `true` when signed by a key the kit trusts.
    pub trusted: bool,
    archive: ZipArchive<BufReader<File>>,
    /// The `.kitpack` file itself.
    path: std::path::PathBuf,
}

fn zip_error(e: zip::result::ZipError) -> PackError {
    match e {
        zip::result::ZipError::Io(io) => PackError::Io(io),
        other => PackError::NotAZip(other.to_string()),
    }
}

/// Reads at most `cap` bytes of an entry; more is an error.
fn read_capped(reader: impl Read, cap: u64, what: &str) -> Result<Vec<u8>, PackError> {
    let mut bytes = Vec::new();
    reader.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(PackError::BadManifest(format!("`{what}` trop gros")));
    }
    Ok(bytes)
}

fn check_manifest(m: &Manifest) -> Result<(), PackError> {
    let bad = |s: String| Err(PackError::BadManifest(s));
    if m.format != FORMAT_VERSION {
        return bad(format!(
            "format {} inconnu (ce kit lit le format {FORMAT_VERSION}) : mettez à jour mednum-kit",
            m.format
        ));
    }
    if !is_slug(&m.id) {
        return bad(format!("identifiant `{}` invalide", m.id));
    }
    if semver::Version::parse(&m.version).is_err() {
        return bad(format!(
            "version `{}` invalide (attendu : 1.2.3)",
            m.version
        ));
    }
    match semver::Version::parse(&m.min_kit_version) {
        Ok(min) if min > kit_version() => {
            return bad(format!(
                "ce paquet demande mednum-kit {min} ou plus récent (ce kit : {}) : mettez à jour le kit",
                kit_version()
            ))
        }
        Ok(_) => {}
        Err(_) => return bad(format!("version minimale `{}` invalide", m.min_kit_version)),
    }
    if m.files.len() > MAX_ENTRIES {
        return Err(PackError::TooManyEntries(m.files.len()));
    }
    let mut seen = HashSet::new();
    let mut total: u64 = 0;
    for f in &m.files {
        if let Some(reason) = path_problem(&f.path) {
            return Err(PackError::UnsafeEntry {
                path: f.path.clone(),
                reason,
            });
        }
        if !seen.insert(f.path.as_str()) {
            return Err(PackError::DuplicateEntry(f.path.clone()));
        }
        if f.sha256.len() != 64 || !f.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return bad(format!("empreinte de `{}` invalide", f.path));
        }
        total = total.saturating_add(f.size);
    }
    if total > MAX_TOTAL_BYTES {
        return Err(PackError::TooLarge(total));
    }
    Ok(())
}

pub fn kit_version() -> semver::Version {
    semver::Version::parse(env!("CARGO_PKG_VERSION")).unwrap_or(semver::Version::new(0, 0, 0))
}

/// The names in the zip's central directory, read by hand: the zip crate keys entries by
/// name, so two entries with one name would otherwise go unseen.
fn central_directory_names(file: &mut File) -> Result<Vec<String>, PackError> {
    use std::io::{Seek, SeekFrom};
    let not_zip = |why: &str| PackError::NotAZip(why.to_owned());
    let len = file.metadata()?.len();
    // The end record is 22 bytes plus a comment of at most 65535.
    let tail_len = len.min(22 + 65_535);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail)?;
    let end = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .ok_or_else(|| not_zip("fin de zip introuvable"))?;
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let count = u16_at(&tail, end + 10);
    let cd_size = u32_at(&tail, end + 12);
    let cd_offset = u32_at(&tail, end + 16);
    if count == u16::MAX || cd_size == u32::MAX || cd_offset == u32::MAX {
        return Err(not_zip(
            "format zip64 non pris en charge (paquet de plus de 4 Go ?)",
        ));
    }
    if usize::from(count) > MAX_ENTRIES + 2 {
        return Err(PackError::TooManyEntries(usize::from(count)));
    }
    if u64::from(cd_offset) + u64::from(cd_size) > len {
        return Err(not_zip("répertoire central hors du fichier"));
    }
    file.seek(SeekFrom::Start(u64::from(cd_offset)))?;
    let mut cd = vec![0u8; cd_size as usize];
    file.read_exact(&mut cd)?;
    let mut names = Vec::with_capacity(usize::from(count));
    let mut at = 0;
    while at + 46 <= cd.len() && cd[at..at + 4] == [0x50, 0x4b, 0x01, 0x02] {
        let name_len = usize::from(u16_at(&cd, at + 28));
        let extra_len = usize::from(u16_at(&cd, at + 30));
        let comment_len = usize::from(u16_at(&cd, at + 32));
        let name = cd
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| not_zip("répertoire central tronqué"))?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_len + extra_len + comment_len;
    }
    if names.len() != usize::from(count) {
        return Err(not_zip("répertoire central incohérent"));
    }
    Ok(names)
}

/// Opens `path` and checks its entries, manifest and signature. `is_trusted` says whether a
/// publisher key is trusted; an untrusted or unsigned pack is refused unless
/// `allow_untrusted`. A signature that does not match is always refused.
pub fn open(
    path: &Path,
    is_trusted: &dyn Fn(&str) -> bool,
    allow_untrusted: bool,
) -> Result<OpenPack, PackError> {
    let mut file = File::open(path)?;
    let listed_names = central_directory_names(&mut file)?;
    let mut unique = HashSet::new();
    for name in &listed_names {
        if !unique.insert(name.as_str()) {
            return Err(PackError::DuplicateEntry(name.clone()));
        }
    }
    let mut archive = ZipArchive::new(BufReader::new(file)).map_err(zip_error)?;
    if archive.len() != listed_names.len() {
        return Err(PackError::NotAZip("répertoire central incohérent".into()));
    }
    let mut names = HashSet::new();
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(zip_error)?;
        let name = entry
            .name()
            .map_err(|e| PackError::NotAZip(e.to_string()))?
            .into_owned();
        if entry.is_symlink() {
            return Err(PackError::UnsafeEntry {
                path: name,
                reason: "lien symbolique",
            });
        }
        if entry.is_dir() {
            return Err(PackError::UnsafeEntry {
                path: name,
                reason: "dossier (un paquet ne liste que des fichiers)",
            });
        }
        if name != MANIFEST && name != SIGNATURE {
            if let Some(reason) = path_problem(&name) {
                return Err(PackError::UnsafeEntry { path: name, reason });
            }
        }
        if !names.insert(name.clone()) {
            return Err(PackError::DuplicateEntry(name));
        }
    }
    if !names.contains(MANIFEST) {
        return Err(PackError::MissingManifest);
    }
    let manifest_bytes = read_capped(
        archive.by_name(MANIFEST).map_err(zip_error)?,
        MAX_MANIFEST_BYTES,
        MANIFEST,
    )?;
    let signature = if names.contains(SIGNATURE) {
        let bytes = read_capped(
            archive.by_name(SIGNATURE).map_err(zip_error)?,
            1024,
            SIGNATURE,
        )?;
        Some(String::from_utf8_lossy(&bytes).trim().to_owned())
    } else {
        None
    };
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| PackError::BadManifest(e.to_string()))?;

    // The signature covers the manifest, which pins every file's hash: check it first.
    let trusted = match (&manifest.publisher, &signature) {
        (Some(key), Some(sig)) => {
            if !keys::verify(key, &manifest_bytes, sig) {
                return Err(PackError::BadSignature);
            }
            is_trusted(key)
        }
        (Some(_), None) | (None, Some(_)) => return Err(PackError::BadSignature),
        (None, None) => false,
    };
    if !trusted && !allow_untrusted {
        return Err(match &manifest.publisher {
            Some(key) => PackError::UnknownKey(short_key(key).to_owned()),
            None => PackError::Unsigned,
        });
    }
    check_manifest(&manifest)?;
    let listed: HashSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for name in &names {
        if name != MANIFEST && name != SIGNATURE && !listed.contains(name.as_str()) {
            return Err(PackError::UnlistedEntry(name.clone()));
        }
    }
    for f in &manifest.files {
        if !names.contains(&f.path) {
            return Err(PackError::MissingFile(f.path.clone()));
        }
    }
    Ok(OpenPack {
        manifest,
        manifest_bytes,
        trusted,
        archive,
        path: path.to_owned(),
    })
}

/// Checks that the folder `dir` holds exactly the files of `manifest`: every listed file
/// a plain file of the listed size and sha256, nothing else (no extra file, no link). For
/// a version already on the disk, whose files could have changed since they were checked.
///
/// With `kitpack` (the version's signed file), the files the folder's index says were left
/// in it (see `inpack`) are checked there instead.
pub fn check_folder(
    manifest: &Manifest,
    dir: &Path,
    kitpack: Option<&Path>,
) -> Result<(), PackError> {
    let listed: HashSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    let left = match kitpack {
        Some(kitpack) => check_left(manifest, dir, kitpack)?,
        None => super::inpack::Index::new(),
    };
    for entry in walkdir::WalkDir::new(dir).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|e| match e.into_io_error() {
            Some(io) => PackError::Io(io),
            None => PackError::NotAZip("boucle de liens dans le dossier".into()),
        })?;
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel = rel
            .to_string_lossy()
            .replace(std::path::MAIN_SEPARATOR, "/");
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return Err(PackError::UnsafeEntry {
                path: rel,
                reason: "lien symbolique ou fichier spécial",
            });
        }
        if kitpack.is_some() && rel == super::inpack::INDEX {
            continue;
        }
        if !listed.contains(rel.as_str()) || left.contains_key(&rel) {
            return Err(PackError::UnlistedOnDisk(rel));
        }
    }
    let mut buf = vec![0u8; 256 * 1024];
    for listed in manifest
        .files
        .iter()
        .filter(|f| !left.contains_key(&f.path))
    {
        let path =
            crate::paths::safe_join(dir, &listed.path).ok_or_else(|| PackError::UnsafeEntry {
                path: listed.path.clone(),
                reason: "chemin refusé",
            })?;
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(PackError::MissingOnDisk(listed.path.clone()))
            }
            Err(e) => return Err(PackError::Io(e)),
        };
        if !meta.is_file() {
            return Err(PackError::UnsafeEntry {
                path: listed.path.clone(),
                reason: "lien symbolique ou fichier spécial",
            });
        }
        if meta.len() != listed.size {
            return Err(PackError::SizeMismatch {
                path: listed.path.clone(),
                expected: listed.size,
                actual: meta.len(),
            });
        }
        let mut file = File::open(&path)?;
        let mut hasher = Sha256::new();
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        if to_hex(&hasher.finalize()) != listed.sha256.to_ascii_lowercase() {
            return Err(PackError::HashMismatch(listed.path.clone()));
        }
    }
    Ok(())
}

impl OpenPack {
    /// The sum of the listed file sizes.
    pub fn total_size(&self) -> u64 {
        self.manifest.files.iter().map(|f| f.size).sum()
    }

    /// Extracts every listed file under `dir`, checking size and sha256 as the bytes flow
    /// (never more than the listed size is read, whatever the zip claims). The caller makes
    /// the folder durable before using it.
    ///
    /// With `leave_big_media`, a big media file stored uncompressed is checked where it is
    /// in the `.kitpack` and left there (see `inpack`): the folder's index says where.
    pub fn extract(
        &mut self,
        dir: &Path,
        progress: &Progress,
        leave_big_media: bool,
    ) -> anyhow::Result<()> {
        use anyhow::Context;
        progress.start_bytes(self.total_size());
        let mut buf = vec![0u8; 256 * 1024];
        let mut made_dirs: HashSet<std::path::PathBuf> = HashSet::new();
        let mut left = super::inpack::Index::new();
        for listed in &self.manifest.files {
            if leave_big_media && super::inpack::wanted(&listed.path, listed.size) {
                if let Some(offset) = stored_at(&mut self.archive, &listed.path, listed.size)? {
                    let (sha256, count) =
                        super::inpack::hash_range(&self.path, offset, listed.size)
                            .with_context(|| format!("impossible de lire `{}`", listed.path))?;
                    check_listed(listed, count, &sha256)?;
                    progress.advance(listed.size);
                    left.insert(listed.path.clone(), (offset, listed.size));
                    continue;
                }
            }
            let target = crate::paths::safe_join(dir, &listed.path).ok_or_else(|| {
                PackError::UnsafeEntry {
                    path: listed.path.clone(),
                    reason: "chemin refusé",
                }
            })?;
            if let Some(parent) = target.parent() {
                if made_dirs.insert(parent.to_owned()) {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("impossible de créer `{}`", parent.display()))?;
                }
            }
            let entry = self.archive.by_name(&listed.path).map_err(zip_error)?;
            let mut reader = entry.take(listed.size + 1);
            let mut out = File::create(&target)
                .with_context(|| format!("impossible d'écrire `{}`", target.display()))?;
            let mut hasher = Sha256::new();
            let mut count: u64 = 0;
            loop {
                let n = reader
                    .read(&mut buf)
                    .map_err(|e| PackError::NotAZip(format!("`{}` : {e}", listed.path)))?;
                if n == 0 {
                    break;
                }
                count += n as u64;
                if count > listed.size {
                    break;
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n])
                    .with_context(|| format!("impossible d'écrire `{}`", target.display()))?;
                progress.advance(n as u64);
            }
            check_listed(listed, count, &to_hex(&hasher.finalize()))?;
            // Made durable all at once before the install switches to it.
        }
        if !left.is_empty() {
            super::inpack::write_index(dir, &left)
                .with_context(|| format!("impossible d'écrire dans `{}`", dir.display()))?;
        }
        Ok(())
    }
}

/// A file's bytes as read (`count` of them, hashing to `sha256`) against its manifest entry.
fn check_listed(
    listed: &super::format::ManifestFile,
    count: u64,
    sha256: &str,
) -> Result<(), PackError> {
    if count != listed.size {
        return Err(PackError::SizeMismatch {
            path: listed.path.clone(),
            expected: listed.size,
            actual: count,
        });
    }
    if sha256 != listed.sha256.to_ascii_lowercase() {
        return Err(PackError::HashMismatch(listed.path.clone()));
    }
    Ok(())
}

/// Checks the files the index of `dir` says are left in `kitpack` (see `inpack`): each
/// listed, of its listed size and sha256 there. Returns the index.
pub fn check_left(
    manifest: &Manifest,
    dir: &Path,
    kitpack: &Path,
) -> Result<super::inpack::Index, PackError> {
    let left = super::inpack::read_index(dir)?;
    for (path, &(offset, len)) in &left {
        let Some(listed) = manifest.files.iter().find(|f| &f.path == path) else {
            return Err(PackError::UnlistedOnDisk(path.clone()));
        };
        let (sha256, count) = super::inpack::hash_range(kitpack, offset, len)?;
        // An index that gives another length than the manifest is a wrong size too.
        check_listed(
            listed,
            if len == listed.size { count } else { len },
            &sha256,
        )?;
    }
    Ok(left)
}

/// Where the bytes of entry `path` start in the `.kitpack`, when it is stored there
/// uncompressed, unencrypted, with the listed size; `None` otherwise (then it is extracted).
fn stored_at(
    archive: &mut ZipArchive<BufReader<File>>,
    path: &str,
    size: u64,
) -> Result<Option<u64>, PackError> {
    let entry = archive.by_name(path).map_err(zip_error)?;
    let stored = entry.compression() == zip::CompressionMethod::Stored
        && !entry.encrypted()
        && entry.size() == size
        && entry.compressed_size() == size;
    Ok(entry.data_start().filter(|_| stored))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packs::format::{sha256_hex, ManifestFile};

    fn manifest_of(files: &[(&str, &[u8])]) -> Manifest {
        Manifest {
            format: FORMAT_VERSION,
            id: "p".into(),
            version: "1.0.0".into(),
            title: "P".into(),
            description: String::new(),
            languages: vec![],
            license: String::new(),
            publisher: None,
            created: String::new(),
            min_kit_version: "0.1.0".into(),
            items: vec![],
            files: files
                .iter()
                .map(|(path, bytes)| ManifestFile {
                    path: (*path).into(),
                    size: bytes.len() as u64,
                    sha256: sha256_hex(bytes),
                })
                .collect(),
        }
    }

    #[test]
    fn a_folder_passes_only_with_exactly_the_listed_files_as_signed() {
        let files: &[(&str, &[u8])] = &[("pack.toml", b"id = 1\n"), ("images/a.svg", b"<svg/>")];
        let manifest = manifest_of(files);
        type Change = fn(&Path);
        let cases: &[(&str, Change, &str)] = &[
            ("untouched", |_| {}, ""),
            (
                "same size, other bytes",
                |d| std::fs::write(d.join("images/a.svg"), b"<svg!>").unwrap(),
                "`images/a.svg` : empreinte sha256",
            ),
            (
                "longer",
                |d| std::fs::write(d.join("pack.toml"), b"id = 12\n").unwrap(),
                "`pack.toml` : 8 octets au lieu de 7",
            ),
            (
                "removed",
                |d| std::fs::remove_file(d.join("images/a.svg")).unwrap(),
                "`images/a.svg` listé dans le manifeste mais absent du dossier",
            ),
            (
                "added",
                |d| std::fs::write(d.join("images/b.svg"), b"<svg/>").unwrap(),
                "`images/b.svg` présent dans le dossier mais absent du manifeste",
            ),
            (
                "hidden file added",
                |d| std::fs::write(d.join(".cache"), b"").unwrap(),
                "`.cache` présent dans le dossier",
            ),
            (
                "replaced by a link to the same bytes",
                |d| {
                    std::fs::write(d.join("../elsewhere.svg"), b"<svg/>").unwrap();
                    std::fs::remove_file(d.join("images/a.svg")).unwrap();
                    std::os::unix::fs::symlink(d.join("../elsewhere.svg"), d.join("images/a.svg"))
                        .unwrap();
                },
                "`images/a.svg` refusée : lien symbolique",
            ),
        ];
        for (name, change, want) in cases {
            let root = tempfile::tempdir().unwrap();
            let dir = root.path().join("1.0.0");
            for (path, bytes) in files {
                let target = dir.join(path);
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::write(target, bytes).unwrap();
            }
            change(&dir);
            match check_folder(&manifest, &dir, None) {
                Ok(()) => assert!(want.is_empty(), "{name}: passed"),
                Err(e) => assert!(
                    !want.is_empty() && e.to_string().contains(want),
                    "{name}: {e}"
                ),
            }
        }
    }
}
