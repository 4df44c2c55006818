//! Packs on USB sticks: the sticks mounted under the configured roots, and the `.kitpack`
//! files on them. The walk is bounded (depth, entries) and never follows links: a stick is
//! anyone's, and may hold a maze.

use std::path::{Path, PathBuf};

use super::format::EXTENSION;
use super::verify;

/// How deep below a mount root a pack is looked for (`/media/CLE/dossier/x.kitpack` is 3).
const MAX_DEPTH: usize = 4;
/// Most directory entries looked at per root.
const MAX_ENTRIES: usize = 5_000;

/// A pack file found on a stick.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub id: String,
    pub version: String,
    pub title: String,
    /// Signed by a key this kit trusts.
    pub trusted: bool,
}

/// A pack file that could not be read (its error, in French).
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub path: PathBuf,
    pub error: String,
}

/// The sticks: the folders right under each mount root.
pub fn sticks(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for root in roots {
        let Ok(entries) = std::fs::read_dir(root) else {
            continue;
        };
        for entry in entries.flatten().take(MAX_ENTRIES) {
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

/// The `.kitpack` files under `roots`, with what their manifest says.
pub fn scan(roots: &[PathBuf], is_trusted: &dyn Fn(&str) -> bool) -> (Vec<Found>, Vec<Unreadable>) {
    let mut found = Vec::new();
    let mut unreadable = Vec::new();
    for root in roots {
        let walk = walkdir::WalkDir::new(root)
            .follow_links(false)
            .max_depth(MAX_DEPTH)
            .into_iter()
            .take(MAX_ENTRIES);
        for entry in walk.flatten() {
            let path = entry.path();
            if !entry.file_type().is_file() || !is_pack_file(path) {
                continue;
            }
            match verify::open(path, is_trusted, true) {
                Ok(open) => found.push(Found {
                    path: path.to_owned(),
                    id: open.manifest.id.clone(),
                    version: open.manifest.version.clone(),
                    title: open.manifest.title.clone(),
                    trusted: open.trusted,
                }),
                Err(e) => unreadable.push(Unreadable {
                    path: path.to_owned(),
                    error: e.to_string(),
                }),
            }
        }
    }
    found.sort_by(|a, b| a.id.cmp(&b.id).then(a.path.cmp(&b.path)));
    (found, unreadable)
}

fn is_pack_file(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()) == Some(EXTENSION)
}
