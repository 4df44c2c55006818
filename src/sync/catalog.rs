//! `catalog.json`: the list of packs an upstream offers (spec: `docs/catalog-format.md`).
//! Any static host serves one: `mednum-kit catalog build DIR` writes it beside the packs,
//! every running kit serves its own at `/catalog.json`, and an export to a stick writes one.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::packs::format::{to_hex, EXTENSION, MAX_TOTAL_BYTES};
use crate::packs::verify;

pub const FORMAT: u32 = 1;
/// The file name, at an upstream's root and on a stick's `mednum-kit/` folder.
pub const FILE_NAME: &str = "catalog.json";
/// Most packs listed in one catalog.
const MAX_PACKS: usize = 10_000;
/// A pack file is its contents plus the zip's own records: well under this.
const MAX_PACK_FILE: u64 = MAX_TOTAL_BYTES + (256 << 20);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub format: u32,
    pub packs: Vec<Entry>,
}

/// One pack file an upstream offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub version: String,
    pub title: String,
    #[serde(default)]
    pub languages: Vec<String>,
    /// Size of the `.kitpack` file, in bytes.
    pub size: u64,
    /// sha256 of the `.kitpack` file, hex.
    pub sha256: String,
    /// The publisher's ed25519 public key, hex; `null` for an unsigned pack.
    pub publisher: Option<String>,
    /// Where the file is: relative to the catalog's own address, or absolute.
    pub url: String,
}

impl Catalog {
    /// Parses and checks a catalog read from `source` (an address, for messages).
    pub fn parse(bytes: &[u8], source: &str) -> Result<Catalog> {
        let catalog: Catalog = serde_json::from_slice(bytes)
            .with_context(|| format!("catalogue `{source}` illisible (JSON attendu)"))?;
        if catalog.format != FORMAT {
            bail!(
                "catalogue `{source}` : format {} inconnu (ce kit lit le format {FORMAT}) : \
                 mettez à jour mednum-kit",
                catalog.format
            );
        }
        if catalog.packs.len() > MAX_PACKS {
            bail!("catalogue `{source}` : plus de {MAX_PACKS} paquets");
        }
        for entry in &catalog.packs {
            entry
                .check()
                .with_context(|| format!("catalogue `{source}` : paquet `{}`", entry.id))?;
        }
        Ok(catalog)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// The newest version of each pack, by id.
    pub fn newest(&self) -> Vec<&Entry> {
        let mut best: HashMap<&str, &Entry> = HashMap::new();
        for entry in &self.packs {
            let newer = best
                .get(entry.id.as_str())
                .is_none_or(|b| entry.semver() > b.semver());
            if newer {
                best.insert(&entry.id, entry);
            }
        }
        let mut list: Vec<&Entry> = best.into_values().collect();
        list.sort_by(|a, b| a.id.cmp(&b.id));
        list
    }
}

impl Entry {
    fn check(&self) -> Result<()> {
        if !crate::content::is_slug(&self.id) {
            bail!("identifiant invalide");
        }
        if semver::Version::parse(&self.version).is_err() {
            bail!("version `{}` invalide (attendu : 1.2.3)", self.version);
        }
        if !is_hex(&self.sha256, 64) {
            bail!("empreinte sha256 invalide (64 chiffres hexadécimaux attendus)");
        }
        if self.publisher.as_deref().is_some_and(|k| !is_hex(k, 64)) {
            bail!("clé d'éditeur invalide (64 chiffres hexadécimaux attendus)");
        }
        if self.size == 0 || self.size > MAX_PACK_FILE {
            bail!("taille {} impossible", self.size);
        }
        if self.url.is_empty() || self.url.len() > 2048 || self.url.chars().any(char::is_control) {
            bail!("adresse du fichier invalide");
        }
        Ok(())
    }

    pub fn semver(&self) -> semver::Version {
        semver::Version::parse(&self.version).unwrap_or(semver::Version::new(0, 0, 0))
    }
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The address of `url` (an entry's) seen from the catalog at `base`: absolute `http(s)`
/// addresses as they are, `/path` on the catalog's host, anything else beside the catalog.
/// `..` segments are refused: a catalog names its own files, not its host's others.
pub fn resolve(base: &str, url: &str) -> Result<String> {
    let (scheme, rest) = base
        .split_once("://")
        .with_context(|| format!("adresse `{base}` incomplète (http://… attendu)"))?;
    if let Some((s, _)) = url.split_once("://") {
        if !matches!(s, "http" | "https") {
            bail!("adresse `{url}` : seuls http:// et https:// sont acceptés");
        }
        return Ok(url.to_owned());
    }
    let path = url.split(['?', '#']).next().unwrap_or_default();
    if url.starts_with("//") || path.split('/').any(|s| s == "..") {
        bail!("adresse `{url}` refusée : elle sort du dossier du catalogue");
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    if let Some(absolute) = url.strip_prefix('/') {
        return Ok(format!("{scheme}://{}/{absolute}", &rest[..authority_end]));
    }
    let base_path = rest.split(['?', '#']).next().unwrap_or_default();
    let dir_end = base_path
        .rfind('/')
        .filter(|&i| i >= authority_end)
        .map_or(base_path.len(), |i| i);
    Ok(format!("{scheme}://{}/{url}", &base_path[..dir_end]))
}

/// sha256 of a whole file, hex.
pub fn file_sha256(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(to_hex(&hasher.finalize()))
}

/// The catalog entry of a pack file, its URL being `url`. The file is opened as an import
/// would (structure, manifest, signature when signed), so a catalog never lists a broken file.
pub fn entry_for(path: &Path, url: String, hashes: &HashCache) -> Result<Entry> {
    let open = verify::open(path, &|_| true, true)
        .with_context(|| format!("paquet `{}` illisible", path.display()))?;
    let m = &open.manifest;
    let size = fs::metadata(path)?.len();
    Ok(Entry {
        id: m.id.clone(),
        version: m.version.clone(),
        title: m.title.clone(),
        languages: m.languages.clone(),
        size,
        sha256: hashes
            .sha256(path)
            .with_context(|| format!("impossible de lire `{}`", path.display()))?,
        publisher: m.publisher.clone(),
        url,
    })
}

/// `mednum-kit catalog build DIR`: the catalog of the `.kitpack` files of `dir` and its
/// subfolders (URLs relative to `dir`), written to `dir/catalog.json` (atomically). A file
/// that cannot be read is an error: a catalog lists what a kit can install.
pub fn build_dir(dir: &Path) -> Result<Catalog> {
    let mut packs = Vec::new();
    let hashes = HashCache::default();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .max_depth(4)
        .sort_by_file_name()
    {
        let entry = entry.with_context(|| format!("impossible de lire `{}`", dir.display()))?;
        let path = entry.path();
        let is_pack = entry.file_type().is_file()
            && path.extension().and_then(|e| e.to_str()) == Some(EXTENSION);
        if !is_pack {
            continue;
        }
        let rel = path.strip_prefix(dir).unwrap_or(path);
        let url = rel
            .components()
            .map(|c| percent_encode(&c.as_os_str().to_string_lossy()))
            .collect::<Vec<_>>()
            .join("/");
        packs.push(entry_for(path, url, &hashes)?);
    }
    packs.sort_by(|a, b| a.id.cmp(&b.id).then(a.semver().cmp(&b.semver())));
    let catalog = Catalog {
        format: FORMAT,
        packs,
    };
    write_atomic(&dir.join(FILE_NAME), &catalog.to_bytes())?;
    Ok(catalog)
}

/// Writes `bytes` to `path` through a temporary file, synced, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let part = path.with_extension("json.part");
    let write = || -> io::Result<()> {
        fs::write(&part, bytes)?;
        File::open(&part)?.sync_all()?;
        fs::rename(&part, path)
    };
    write().with_context(|| format!("impossible d'écrire `{}`", path.display()))
}

/// A URL path segment: unreserved characters as they are, every other byte `%XX`.
pub fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// sha256 of files already hashed, while they keep their size and modification time: the
/// kit's `/catalog.json` hashes each pack file once, not on every request.
#[derive(Default)]
pub struct HashCache {
    known: Mutex<HashMap<PathBuf, (u64, SystemTime, String)>>,
}

impl HashCache {
    pub fn sha256(&self, path: &Path) -> io::Result<String> {
        let meta = fs::metadata(path)?;
        let stamp = (meta.len(), meta.modified()?);
        if let Some((len, modified, hash)) = self.lock().get(path) {
            if (*len, *modified) == stamp {
                return Ok(hash.clone());
            }
        }
        let hash = file_sha256(path)?;
        self.lock()
            .insert(path.to_owned(), (stamp.0, stamp.1, hash.clone()));
        Ok(hash)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, (u64, SystemTime, String)>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_urls_resolve_beside_the_catalog() {
        let base = "http://kit.local:8080/depot/catalog.json";
        let cases = [
            (
                "a-1.0.0.kitpack",
                "http://kit.local:8080/depot/a-1.0.0.kitpack",
            ),
            (
                "sous/a.kitpack",
                "http://kit.local:8080/depot/sous/a.kitpack",
            ),
            (
                "/packs/a/1.0.0.kitpack",
                "http://kit.local:8080/packs/a/1.0.0.kitpack",
            ),
            (
                "https://cdn.example/x.kitpack",
                "https://cdn.example/x.kitpack",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(resolve(base, url).unwrap(), want, "{url}");
        }
        assert_eq!(
            resolve("http://h/catalog.json", "a.kitpack").unwrap(),
            "http://h/a.kitpack"
        );
        assert_eq!(
            resolve("http://h", "a.kitpack").unwrap(),
            "http://h/a.kitpack"
        );
        for bad in [
            "../a.kitpack",
            "x/../../a",
            "//other/a",
            "file:///etc/passwd",
            "ftp://h/a",
        ] {
            assert!(resolve(base, bad).is_err(), "{bad}");
        }
        assert!(resolve("kit.local/catalog.json", "a").is_err());
    }

    fn entry() -> Entry {
        Entry {
            id: "a".into(),
            version: "1.0.0".into(),
            title: "A".into(),
            languages: vec!["fr".into()],
            size: 10,
            sha256: "ab".repeat(32),
            publisher: None,
            url: "a.kitpack".into(),
        }
    }

    #[test]
    fn a_catalog_is_checked_entry_by_entry() {
        let ok = Catalog {
            format: FORMAT,
            packs: vec![entry()],
        };
        assert_eq!(Catalog::parse(&ok.to_bytes(), "t").unwrap(), ok);
        type Spoil = fn(&mut Entry);
        let bad_cases: [(&str, Spoil); 6] = [
            ("id", |e| e.id = "../x".into()),
            ("version", |e| e.version = "1.0".into()),
            ("sha", |e| e.sha256 = "zz".into()),
            ("size", |e| e.size = 0),
            ("publisher", |e| e.publisher = Some("12".into())),
            ("url", |e| e.url = "a\nb".into()),
        ];
        for (what, spoil) in bad_cases {
            let mut e = entry();
            spoil(&mut e);
            let c = Catalog {
                format: FORMAT,
                packs: vec![e],
            };
            assert!(Catalog::parse(&c.to_bytes(), "t").is_err(), "{what}");
        }
        assert!(Catalog::parse(b"{\"format\":2,\"packs\":[]}", "t").is_err());
        assert!(Catalog::parse(b"<html>", "t").is_err());
    }

    #[test]
    fn the_newest_version_of_each_pack_wins() {
        let mut old = entry();
        old.version = "1.10.0".into();
        let mut older = entry();
        older.version = "1.9.0".into();
        let mut b = entry();
        b.id = "b".into();
        let c = Catalog {
            format: FORMAT,
            packs: vec![older, b, old],
        };
        let newest: Vec<_> = c
            .newest()
            .iter()
            .map(|e| (e.id.clone(), e.version.clone()))
            .collect();
        assert_eq!(
            newest,
            [("a".into(), "1.10.0".into()), ("b".into(), "1.0.0".into())]
        );
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(percent_encode("a b#é.kitpack"), "a%20b%23%C3%A9.kitpack");
    }
}
