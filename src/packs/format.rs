//! The `.kitpack` format, version 1 (spec: `docs/pack-format.md`): a plain zip holding
//! `manifest.json`, `manifest.sig` (ed25519 over the manifest's exact bytes, in hex) and the
//! pack's source files, each listed in the manifest with its size and sha256.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const FORMAT_VERSION: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
pub const EXTENSION: &str = "kitpack";

/// Caps checked before anything is written: a pack beyond them is refused.
pub const MAX_ENTRIES: usize = 20_000;
pub const MAX_TOTAL_BYTES: u64 = 3 << 30;
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub id: String,
    pub version: String,
    pub title: String,
    pub description: String,
    pub languages: Vec<String>,
    pub license: String,
    /// The publisher's ed25519 public key, hex; `None` for an unsigned pack.
    pub publisher: Option<String>,
    /// `YYYY-MM-DD`, from `pack.toml` (never the clock: builds are reproducible).
    pub created: String,
    pub min_kit_version: String,
    pub items: Vec<ManifestItem>,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestItem {
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub theme: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl Manifest {
    /// The canonical bytes: what is stored in the zip and signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// The pack's file name: `ID-VERSION.kitpack`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.{EXTENSION}", self.id, self.version)
    }

    /// The short form of the publisher key shown to people.
    pub fn publisher_short(&self) -> Option<&str> {
        self.publisher.as_deref().map(short_key)
    }
}

/// The first 16 hex digits of a key: enough to recognise it, as `trust list` shows.
pub fn short_key(hex: &str) -> &str {
    hex.get(..16).unwrap_or(hex)
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// Why a path listed in a pack is not acceptable, if it is not.
pub fn path_problem(path: &str) -> Option<&'static str> {
    if path == MANIFEST || path == SIGNATURE {
        return Some("nom réservé");
    }
    crate::paths::relative_path_problem(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        assert_eq!(to_hex(&[0, 171, 255]), "00abff");
        assert_eq!(from_hex("00abff"), Some(vec![0, 171, 255]));
        assert_eq!(from_hex(" 00AB\n"), Some(vec![0, 171]));
        for bad in ["0", "zz", "é1"] {
            assert_eq!(from_hex(bad), None, "{bad}");
        }
    }

    #[test]
    fn pack_paths_are_plain_relative_names() {
        for ok in ["pack.toml", "tutorials/a.md", "images/été.svg"] {
            assert_eq!(path_problem(ok), None, "{ok}");
        }
        let bad = [
            ("", "chemin vide"),
            ("/etc/passwd", "chemin absolu"),
            ("C:/x", "chemin absolu"),
            ("a\\b", "barre oblique inversée"),
            ("../x", "remontée `..`"),
            ("a/../../x", "remontée `..`"),
            ("a//b", "segment vide"),
            ("./a", "segment vide"),
            (".git/config", "fichier caché"),
            ("a\nb", "caractère de contrôle"),
            ("manifest.json", "nom réservé"),
        ];
        for (path, want) in bad {
            assert_eq!(path_problem(path), Some(want), "{path:?}");
        }
        assert_eq!(path_problem(&"a".repeat(300)), Some("nom trop long"));
        assert_eq!(path_problem(&"a/".repeat(600)), Some("chemin trop long"));
    }

    #[test]
    fn manifest_bytes_are_stable() {
        let m = Manifest {
            format: 1,
            id: "p".into(),
            version: "1.0.0".into(),
            title: "P".into(),
            description: String::new(),
            languages: vec!["fr".into()],
            license: String::new(),
            publisher: None,
            created: "2026-11-22".into(),
            min_kit_version: "0.1.0".into(),
            items: vec![],
            files: vec![],
        };
        assert_eq!(m.to_bytes(), m.clone().to_bytes());
        let back: Manifest = serde_json::from_slice(&m.to_bytes()).unwrap();
        assert_eq!(back, m);
        assert_eq!(m.file_name(), "p-1.0.0.kitpack");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::option;
    use proptest::prelude::*;

    fn item() -> impl Strategy<Value = ManifestItem> {
        (".*", ".*", ".*", option::of(".*")).prop_map(|(kind, slug, title, theme)| ManifestItem {
            kind,
            slug,
            title,
            theme,
        })
    }

    fn file() -> impl Strategy<Value = ManifestFile> {
        (".*", any::<u64>(), "[0-9a-f]{64}").prop_map(|(path, size, sha256)| ManifestFile {
            path,
            size,
            sha256,
        })
    }

    fn manifest() -> impl Strategy<Value = Manifest> {
        (
            (any::<u32>(), ".*", ".*", ".*", ".*"),
            (
                vec(".*", 0..3),
                ".*",
                option::of("[0-9a-f]{64}"),
                ".*",
                ".*",
            ),
            (vec(item(), 0..4), vec(file(), 0..4)),
        )
            .prop_map(
                |(
                    (format, id, version, title, description),
                    (languages, license, publisher, created, min_kit_version),
                    (items, files),
                )| Manifest {
                    format,
                    id,
                    version,
                    title,
                    description,
                    languages,
                    license,
                    publisher,
                    created,
                    min_kit_version,
                    items,
                    files,
                },
            )
    }

    proptest! {
        #[test]
        fn manifest_bytes_parse_back_to_the_same_manifest(m in manifest()) {
            let bytes = m.to_bytes();
            let back: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
                TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&bytes)))
            })?;
            prop_assert_eq!(&back, &m);
            prop_assert_eq!(back.to_bytes(), bytes);
        }
    }
}
