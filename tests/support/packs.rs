//! Making pack sources, keys and (hostile) `.kitpack` files for tests, and running the CLI.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mednum_kit::packs::format::{sha256_hex, Manifest, ManifestFile, ManifestItem};
use mednum_kit::packs::keys;

use super::BIN;

/// Runs `mednum-kit --data-dir DATA ARGS…`.
pub fn cli(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .env_clear()
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("run mednum-kit")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes a small valid pack source: one theme, one tutorial whose text has `word`.
pub fn write_source(dir: &Path, id: &str, version: &str, word: &str) {
    let w = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    w(
        "pack.toml",
        &format!(
            "id = \"{id}\"\nversion = \"{version}\"\ntitle = \"Fiches {id}\"\n\
             description = \"Des fiches de test.\"\nlanguages = [\"fr\"]\n\
             license = \"CC-BY-SA-4.0\"\ncreated = \"2026-11-22\"\n"
        ),
    );
    w(
        &format!("themes/theme-{id}.md"),
        &format!("+++\ntitle = \"Thème {id}\"\nsummary = \"Un thème de test.\"\norder = 9\nicon = \"../images/icone-{id}.svg\"\n+++\nCe thème sert aux tests.\n"),
    );
    w(
        &format!("images/icone-{id}.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 8 8\"><rect width=\"8\" height=\"8\"/></svg>\n",
    );
    w(
        &format!("tutorials/tutoriel-{id}.md"),
        &format!(
            "+++\ntitle = \"Tutoriel {id}\"\ntheme = \"theme-{id}\"\nlevel = \"debutant\"\n\
             duration = 5\nsummary = \"Un tutoriel de test.\"\nupdated = \"2026-12\"\n+++\nVous apprenez un mot.\n\n\
             ## Lisez le mot\nLe mot est {word}.\n\n![Un carré](../images/icone-{id}.svg)\n\n\
             ## Répétez le mot\nDites {word} à voix haute.\n"
        ),
    );
}

/// `mednum-kit pack build SRC --out OUT --key KEY`, which must succeed.
pub fn build_signed(src: &Path, out: &Path, key: &Path) {
    let built = cli(
        src.parent().unwrap_or(src),
        &[
            "pack",
            "build",
            src.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(built.status.success(), "{}", stderr(&built));
}

/// `pack build SRC --out OUT --key KEY`, then `pack import OUT` into the data dir `data`;
/// both must succeed.
pub fn build_and_import(src: &Path, out: &Path, key: &Path, data: &Path) {
    build_signed(src, out, key);
    let imported = cli(data, &["pack", "import", out.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
}

/// A fresh key pair in `dir`; returns (secret key path, public key hex).
pub fn new_key(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(format!("{name}.key"));
    let public = keys::generate(&path).unwrap();
    (path, public)
}

/// Entries of a `.kitpack` written by hand, for hostile cases.
pub struct RawPack {
    pub manifest: Manifest,
    pub files: Vec<(String, Vec<u8>)>,
}

impl RawPack {
    /// A valid pack (as `pack build` would make) from in-memory files.
    pub fn new(id: &str, version: &str, files: Vec<(String, Vec<u8>)>) -> RawPack {
        let manifest = Manifest {
            format: 1,
            id: id.into(),
            version: version.into(),
            title: format!("Fiches {id}"),
            description: String::new(),
            languages: vec!["fr".into()],
            license: String::new(),
            publisher: None,
            created: "2026-11-22".into(),
            min_kit_version: "0.1.0".into(),
            items: Vec::new(),
            files: Vec::new(),
        };
        let mut pack = RawPack { manifest, files };
        pack.relist();
        pack
    }

    /// Lists `files` in the manifest again (path, size, sha256), after a change to them.
    pub fn relist(&mut self) {
        self.manifest.files = self
            .files
            .iter()
            .map(|(p, b)| ManifestFile {
                path: p.clone(),
                size: b.len() as u64,
                sha256: sha256_hex(b),
            })
            .collect();
    }

    /// The pack of `write_source`, read back from `dir`.
    pub fn from_source(dir: &Path, id: &str) -> RawPack {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.unwrap();
            if entry.file_type().is_file() {
                let rel = entry
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned();
                files.push((rel, std::fs::read(entry.path()).unwrap()));
            }
        }
        let mut pack = RawPack::new(id, "1.0.0", files);
        pack.manifest.items = vec![
            ManifestItem {
                kind: "theme".into(),
                slug: format!("theme-{id}"),
                title: format!("Thème {id}"),
                theme: None,
            },
            ManifestItem {
                kind: "tutorial".into(),
                slug: format!("tutoriel-{id}"),
                title: format!("Tutoriel {id}"),
                theme: Some(format!("theme-{id}")),
            },
        ];
        pack
    }

    /// Writes the zip: manifest (signed with `key` if given) then `entries` as they are.
    pub fn write(&mut self, path: &Path, key: Option<&Path>, entries: &[(String, Vec<u8>)]) {
        let signing = key.map(|k| keys::load_secret(k).unwrap());
        self.manifest.publisher = signing.as_ref().map(keys::public_hex);
        let bytes = self.manifest.to_bytes();
        let sig = signing.as_ref().map(|k| keys::sign(k, &bytes));
        write_zip(path, &bytes, sig.as_deref(), entries);
    }

    pub fn entries(&self) -> Vec<(String, Vec<u8>)> {
        self.files.clone()
    }
}

/// A zip with `manifest.json`, optionally `manifest.sig`, then `entries`.
pub fn write_zip(path: &Path, manifest: &[u8], sig: Option<&str>, entries: &[(String, Vec<u8>)]) {
    use zip::write::SimpleFileOptions;
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default();
    zip.start_file("manifest.json", options).unwrap();
    zip.write_all(manifest).unwrap();
    if let Some(sig) = sig {
        zip.start_file("manifest.sig", options).unwrap();
        zip.write_all(sig.as_bytes()).unwrap();
    }
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// Every file under `root` with its size, to prove a refused import changed nothing.
pub fn tree(root: &Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            // SQLite files may change size when a connection closes (WAL checkpoint); the
            // index is compared through `pack list --json` instead.
            !e.file_name().to_string_lossy().starts_with("kit.sqlite")
        })
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            (rel, e.metadata().unwrap().len())
        })
        .collect();
    out.sort();
    out
}
