//! Kit-to-kit sharing: every kit serves `/catalog.json` (its installed packs that have their
//! original signed file) and those files under `/packs/ID/VERSION.kitpack`, with single
//! `Range` requests so that another kit resumes a cut download. At most `MAX_SENDING` pack
//! files are sent at once: a big download holds a worker, and the phones need the others.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::http::{Body, HttpError, HttpResult, Reply};
use super::Worker;
use crate::packs::format::EXTENSION;
use crate::sync::catalog::{self, Catalog, HashCache};

/// First path segment of the pack files' URLs.
pub const PREFIX: &str = "packs";
/// Pack files sent at the same time; more wait (`503` with `Retry-After`).
const MAX_SENDING: usize = 2;

#[derive(Default)]
pub struct Sharing {
    hashes: HashCache,
    /// The catalog's bytes, for the library version they were made from.
    cached: Mutex<Option<(i64, Arc<[u8]>)>>,
    sending: Arc<AtomicUsize>,
}

/// `GET /catalog.json`.
pub fn catalog(w: &mut Worker) -> HttpResult {
    let version = w.store.data_version()?;
    let shared = Arc::clone(&w.shared);
    let sharing = &shared.sharing;
    let cached = sharing
        .cached
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let bytes = match cached {
        Some((v, bytes)) if v == version => bytes,
        _ => {
            let bytes: Arc<[u8]> = build(w)?.to_bytes().into();
            *sharing.cached.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((version, Arc::clone(&bytes)));
            bytes
        }
    };
    let len = bytes.len();
    Ok(Reply {
        status: 200,
        headers: Vec::new(),
        body: Body::Shared(std::io::Cursor::new(bytes)),
        len,
    }
    .header("Content-Type", "application/json")
    .header("X-Content-Type-Options", "nosniff")
    .header("Cache-Control", "no-cache"))
}

fn build(w: &mut Worker) -> Result<Catalog, HttpError> {
    let data_dir = &w.shared.data_dir;
    let mut packs = Vec::new();
    for p in w.store.packs()? {
        let Some(file) = crate::packs::original_file(data_dir, &p.id, &p.version) else {
            continue;
        };
        let url = format!("{PREFIX}/{}/{}.{EXTENSION}", p.id, p.version);
        match catalog::entry_for(&file, url, &w.shared.sharing.hashes) {
            Ok(entry) => packs.push(entry),
            Err(e) => log::warn!("catalog: `{}` left out: {e:#}", file.display()),
        }
    }
    Ok(Catalog {
        format: catalog::FORMAT,
        packs,
    })
}

/// `GET /packs/ID/VERSION.kitpack`: the installed version's original file.
pub fn pack_file(w: &mut Worker, id: &str, name: &str, range: Option<&str>) -> HttpResult {
    let version = name
        .strip_suffix(&format!(".{EXTENSION}"))
        .ok_or(HttpError::NotFound)?;
    let installed = w.store.pack(id)?.ok_or(HttpError::NotFound)?;
    if installed.version != version {
        return Err(HttpError::NotFound);
    }
    let path =
        crate::packs::original_file(&w.shared.data_dir, id, version).ok_or(HttpError::NotFound)?;
    let mut file = File::open(&path).map_err(|_| HttpError::NotFound)?;
    let size = file.metadata().map_err(|_| HttpError::NotFound)?.len();
    let (status, start, len) = match range.map(|r| parse_range(r, size)) {
        None | Some(Range::Ignored) => (200, 0, size),
        Some(Range::Part(start, end)) => (206, start, end - start + 1),
        Some(Range::Unsatisfiable) => {
            return Ok(
                Reply::bytes(416, "text/plain; charset=utf-8", Cow::Borrowed(b""))
                    .header("Content-Range", format!("bytes */{size}")),
            )
        }
    };
    let Some(slot) = Slot::take(&w.shared.sharing.sending) else {
        return Ok(Reply::bytes(
            503,
            "text/plain; charset=utf-8",
            Cow::Borrowed(
                "Le kit envoie déjà des paquets : réessayez dans un moment.\n".as_bytes(),
            ),
        )
        .header("Retry-After", "30"));
    };
    file.seek(SeekFrom::Start(start))
        .map_err(|e| HttpError::Internal(e.to_string()))?;
    let body = Sending {
        file: file.take(len),
        _slot: slot,
    };
    let mut reply = Reply {
        status,
        headers: Vec::new(),
        body: Body::Stream(Box::new(body)),
        len: len as usize,
    }
    .header("Content-Type", "application/octet-stream")
    .header("X-Content-Type-Options", "nosniff")
    .header("Accept-Ranges", "bytes")
    .header("Cache-Control", "no-cache");
    if status == 206 {
        reply = reply.header(
            "Content-Range",
            format!("bytes {start}-{}/{size}", start + len - 1),
        );
    }
    Ok(reply)
}

/// A pack file being sent, and its place among the `MAX_SENDING`.
struct Sending {
    file: std::io::Take<File>,
    _slot: Slot,
}

impl Read for Sending {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.file.read(buf)
    }
}

struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(count: &Arc<AtomicUsize>) -> Option<Slot> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_SENDING).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(Arc::clone(count)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Range {
    /// Not a single byte range this server answers: the whole file (RFC 9110 allows it).
    Ignored,
    /// First and last byte, inclusive.
    Part(u64, u64),
    Unsatisfiable,
}

/// A `Range` header against a file of `size` bytes: `bytes=A-B`, `bytes=A-`, `bytes=-N`.
pub fn parse_range(header: &str, size: u64) -> Range {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Range::Ignored;
    };
    if spec.contains(',') {
        return Range::Ignored;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Range::Ignored;
    };
    let (a, b) = (a.trim(), b.trim());
    let number = |t: &str| -> Option<u64> {
        (!t.is_empty() && t.len() <= 20 && t.bytes().all(|c| c.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    match (a.is_empty(), number(a), number(b)) {
        // The last N bytes.
        (true, _, Some(n)) if n > 0 && size > 0 => Range::Part(size.saturating_sub(n), size - 1),
        (true, _, Some(_)) => Range::Unsatisfiable,
        (false, Some(start), _) if start >= size => Range::Unsatisfiable,
        (false, Some(start), None) if b.is_empty() => Range::Part(start, size - 1),
        (false, Some(start), Some(end)) if end >= start => Range::Part(start, end.min(size - 1)),
        _ => Range::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        let cases = [
            ("bytes=0-99", Range::Part(0, 99)),
            ("bytes=100-", Range::Part(100, 999)),
            ("bytes=-10", Range::Part(990, 999)),
            ("bytes=-5000", Range::Part(0, 999)),
            ("bytes=900-5000", Range::Part(900, 999)),
            ("bytes=1000-", Range::Unsatisfiable),
            ("bytes=-0", Range::Unsatisfiable),
            ("bytes=5-1", Range::Ignored),
            ("bytes=0-1,5-6", Range::Ignored),
            ("items=0-1", Range::Ignored),
            ("bytes=a-b", Range::Ignored),
            ("bytes=99999999999999999999999-", Range::Ignored),
        ];
        for (header, want) in cases {
            assert_eq!(parse_range(header, 1000), want, "{header}");
        }
        assert_eq!(parse_range("bytes=0-", 0), Range::Unsatisfiable);
    }
}
