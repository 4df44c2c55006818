//! Big images and media files left inside the pack's own signed `.kitpack` instead of a
//! second copy.
//!
//! A kit keeps every installed version's original signed file (for export, kit-to-kit
//! sharing and rollback). Extracting a 200 MB video beside it wrote it twice, and made both
//! durable: on an SD card that doubled the time and the space of an install. A big image or
//! media file stored uncompressed in the zip (`pack build` stores them so) is already there,
//! byte for byte, at a known offset: the install checks its size and sha256 there, records
//! where it is in `INDEX` inside the version's folder, and the portal serves byte ranges of
//! the `.kitpack`. Everything else (texts, small files) is extracted as before.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::format::to_hex;
use crate::content::dir::DirSource;
use crate::content::{ContentError, Source};

/// The index in a version's folder: `{"media/film.mp4": [offset, length]}`. Hidden (a dot
/// file), so that the folder's content listing never shows it.
pub const INDEX: &str = ".dans-le-paquet.json";
/// Smaller media files are extracted: a copy costs little and keeps the serving path short.
pub const MIN_SIZE: u64 = 256 * 1024;

/// Where each file left in the `.kitpack` is: offset of its bytes and their length.
pub type Index = BTreeMap<String, (u64, u64)>;

/// Formats compressed already: `pack build` stores them as they are.
const COMPRESSED: &[&str] = &[
    "png", "jpg", "jpeg", "webp", "gif", "mp4", "webm", "mp3", "ogg", "m4a", "pdf",
];

/// Whether `path` is an image or media format compressed already (by its extension).
pub fn already_compressed(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| COMPRESSED.contains(&ext.to_ascii_lowercase().as_str()))
}

/// Whether a listed file of `size` bytes should stay in the `.kitpack` (if stored there
/// uncompressed): a big image, video, sound or handout. Texts (Markdown, SVG, subtitles)
/// are always extracted: they are read again, or compressed, from their own file.
pub fn wanted(path: &str, size: u64) -> bool {
    size >= MIN_SIZE && already_compressed(path)
}

/// The folder's index; empty when it has none.
pub fn read_index(dir: &Path) -> std::io::Result<Index> {
    match std::fs::read(dir.join(INDEX)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::new()),
        Err(e) => Err(e),
    }
}

pub fn write_index(dir: &Path, index: &Index) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(index).map_err(std::io::Error::other)?;
    std::fs::write(dir.join(INDEX), bytes)
}

/// `len` bytes of `file` from `offset`, as a reader.
pub fn open_range(file: &Path, offset: u64, len: u64) -> std::io::Result<std::io::Take<File>> {
    let mut file = File::open(file)?;
    file.seek(SeekFrom::Start(offset))?;
    Ok(file.take(len))
}

/// The sha256 (hex) of `len` bytes of `file` from `offset`, and how many bytes there were
/// (fewer than `len` when the file is shorter).
pub fn hash_range(file: &Path, offset: u64, len: u64) -> std::io::Result<(String, u64)> {
    let mut reader = open_range(file, offset, len)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut count = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        count += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((to_hex(&hasher.finalize()), count))
}

/// A version's files: those extracted in its folder, and those its index leaves in the
/// `.kitpack`.
pub struct InPackSource {
    dir: DirSource,
    kitpack: PathBuf,
    index: Index,
}

impl InPackSource {
    pub fn open(dir: &Path, kitpack: &Path) -> Result<InPackSource, ContentError> {
        let index = read_index(dir).map_err(|e| {
            ContentError::new(
                &dir.join(INDEX).display().to_string(),
                None,
                format!("index illisible : {e}"),
            )
        })?;
        Ok(InPackSource {
            dir: DirSource::open(dir)?,
            kitpack: kitpack.to_owned(),
            index,
        })
    }
}

impl Source for InPackSource {
    fn paths(&self) -> Vec<String> {
        let mut paths = self.dir.paths();
        paths.extend(self.index.keys().cloned());
        paths
    }

    fn read(&self, path: &str) -> std::io::Result<Cow<'_, [u8]>> {
        match self.index.get(path) {
            Some(&(offset, len)) => {
                let mut bytes = Vec::new();
                open_range(&self.kitpack, offset, len)?.read_to_end(&mut bytes)?;
                Ok(Cow::Owned(bytes))
            }
            None => self.dir.read(path),
        }
    }

    fn open(&self, path: &str) -> std::io::Result<Box<dyn Read + '_>> {
        match self.index.get(path) {
            Some(&(offset, len)) => Ok(Box::new(open_range(&self.kitpack, offset, len)?)),
            None => self.dir.open(path),
        }
    }

    fn size(&self, path: &str) -> std::io::Result<u64> {
        match self.index.get(path) {
            Some(&(_, len)) => Ok(len),
            None => self.dir.size(path),
        }
    }
}
