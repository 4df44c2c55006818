//! A pack source that is a folder on disk (an author's working copy, or an installed pack).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::{ContentError, Source};

pub struct DirSource {
    root: PathBuf,
    files: Vec<String>,
}

impl DirSource {
    /// Lists the folder's files. Hidden entries (`.git`, `.DS_Store`…) are skipped; a
    /// symbolic link or a name that is not UTF-8 is an error, since a pack cannot carry it.
    pub fn open(root: &Path) -> Result<DirSource, ContentError> {
        let shown = root.display().to_string();
        if !root.is_dir() {
            return Err(ContentError::new(&shown, None, "ce dossier n'existe pas"));
        }
        let mut files = Vec::new();
        let walker = walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker {
            let entry = entry.map_err(|e| ContentError::new(&shown, None, e.to_string()))?;
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            let Some(rel) = rel.to_str() else {
                return Err(ContentError::new(
                    &rel.display().to_string(),
                    None,
                    "nom de fichier illisible (pas en UTF-8)",
                ));
            };
            let rel = rel.replace(std::path::MAIN_SEPARATOR, "/");
            if entry.path_is_symlink() {
                return Err(ContentError::new(&rel, None, "lien symbolique refusé"));
            }
            if entry.file_type().is_file() {
                files.push(rel);
            }
        }
        Ok(DirSource {
            root: root.to_owned(),
            files,
        })
    }
}

impl Source for DirSource {
    fn paths(&self) -> Vec<String> {
        self.files.clone()
    }

    fn read(&self, path: &str) -> std::io::Result<Cow<'_, [u8]>> {
        let full = crate::paths::safe_join(&self.root, path)
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        std::fs::read(full).map(Cow::Owned)
    }

    fn open(&self, path: &str) -> std::io::Result<Box<dyn std::io::Read + '_>> {
        let full = crate::paths::safe_join(&self.root, path)
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        Ok(Box::new(std::fs::File::open(full)?))
    }

    fn size(&self, path: &str) -> std::io::Result<u64> {
        let full = crate::paths::safe_join(&self.root, path)
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        Ok(std::fs::metadata(full)?.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_files_skipping_hidden_ones_and_refuses_links() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("images")).unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join("pack.toml"), "x").unwrap();
        std::fs::write(dir.path().join("images/a.svg"), "<svg/>").unwrap();
        std::fs::write(dir.path().join(".git/HEAD"), "x").unwrap();
        std::fs::write(dir.path().join(".DS_Store"), "x").unwrap();
        let source = DirSource::open(dir.path()).unwrap();
        assert_eq!(source.paths(), ["images/a.svg", "pack.toml"]);
        assert_eq!(&*source.read("images/a.svg").unwrap(), b"<svg/>");
        assert!(source.read("../x").is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc/passwd", dir.path().join("images/p.svg")).unwrap();
            let err = DirSource::open(dir.path()).err().unwrap().to_string();
            assert!(
                err.contains("images/p.svg") && err.contains("lien symbolique"),
                "{err}"
            );
        }
    }
}
