//! Text sent compressed: pages, CSS, JS, SVG and subtitles are gzip-compressed once (assets at
//! start, pages into the page cache, pack text files into a small cache) and sent so to a
//! phone that says it accepts gzip. Thirty phones share one Wi-Fi: every kilobyte counts.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use flate2::write::GzEncoder;
use flate2::Compression;

/// Compressed only when it saves at least this share (a small or random file is sent as is).
const WORTH_IT: f64 = 0.9;

/// `bytes` gzip-compressed (best compression: done once per file, read many times), or
/// `None` when compression saves too little.
pub fn compress(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::best());
    encoder.write_all(bytes).ok()?;
    let out = encoder.finish().ok()?;
    ((out.len() as f64) < bytes.len() as f64 * WORTH_IT).then_some(out)
}

/// `true` when an `Accept-Encoding` header accepts gzip (`gzip`, `x-gzip` or `*`, with no
/// `q=0`). RFC 9110 §12.5.3.
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(header) = accept_encoding else {
        return false;
    };
    header.split(',').any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        !refused
            && (coding.eq_ignore_ascii_case("gzip")
                || coding.eq_ignore_ascii_case("x-gzip")
                || coding == "*")
    })
}

/// Whether a file of this name is text worth compressing.
pub fn is_text(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("html" | "css" | "js" | "svg" | "vtt" | "json" | "txt")
    )
}

/// Pack text files larger than this are sent as they are (read whole to compress).
pub const MAX_CACHED_FILE: u64 = 256 * 1024;
/// Most bytes of compressed pack files kept; beyond, the cache starts again.
const CACHE_BUDGET: usize = 2 * 1024 * 1024;

/// Compressed pack text files (SVG, subtitles), by path. An installed file never changes
/// under its path (the version is in it), so an entry stays right until it is evicted.
#[derive(Default)]
pub struct FileCache {
    entries: Mutex<Entries>,
}

/// Each file's compressed bytes (`None`: not worth it), and their total size.
type Entries = (HashMap<PathBuf, Option<Arc<[u8]>>>, usize);

impl FileCache {
    /// The file's compressed bytes (compressed at its first request), or `None` when it
    /// does not compress well or cannot be read.
    pub fn get(&self, path: &Path) -> Option<Arc<[u8]>> {
        {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(found) = entries.0.get(path) {
                return found.clone();
            }
        }
        let compressed: Option<Arc<[u8]>> = std::fs::read(path)
            .ok()
            .and_then(|bytes| compress(&bytes))
            .map(Arc::from);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let size = compressed.as_ref().map_or(0, |c| c.len()) + path.as_os_str().len();
        if entries.1 + size > CACHE_BUDGET {
            entries.0.clear();
            entries.1 = 0;
        }
        entries.1 += size;
        entries.0.insert(path.to_owned(), compressed.clone());
        compressed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_accepted_as_rfc_9110_says() {
        let cases = [
            (None, false),
            (Some("gzip, deflate, br"), true),
            (Some("br;q=1.0, gzip;q=0.8"), true),
            (Some("gzip;q=0"), false),
            (Some("gzip; q=0.0, br"), false),
            (Some("*"), true),
            (Some("identity"), false),
            (Some("x-gzip"), true),
        ];
        for (header, want) in cases {
            assert_eq!(accepts_gzip(header), want, "{header:?}");
        }
    }

    #[test]
    fn text_compresses_and_round_trips_and_noise_is_left_alone() {
        let text = "<p>Bonjour, voici une page.</p>\n".repeat(100);
        let packed = compress(text.as_bytes()).unwrap();
        assert!(packed.len() < text.len() / 5);
        let mut back = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&packed[..]), &mut back)
            .unwrap();
        assert_eq!(back, text);
        use sha2::Digest;
        let noise: Vec<u8> = (0..128u32)
            .flat_map(|i| sha2::Sha256::digest(i.to_le_bytes()).to_vec())
            .collect();
        assert!(compress(&noise).is_none());
    }
}
