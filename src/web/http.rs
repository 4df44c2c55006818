//! What handlers return: a `Reply` (status, headers, body) or an `HttpError`, which maps to
//! a status in one place and to a French error page in `templates`.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Cursor, Read};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::store::StoreError;

/// A response body: bytes in memory (rendered pages, embedded assets), a page kept by the
/// page cache, or a file (or part of one), read as it is sent.
pub enum Body {
    Bytes(Cursor<Cow<'static, [u8]>>),
    Shared(Cursor<Arc<[u8]>>),
    /// Bytes of a file: tiny_http sends a large one straight from the file (`sendfile`).
    File(FilePart),
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Body::Bytes(c) => c.read(buf),
            Body::Shared(c) => c.read(buf),
            Body::File(f) => f.read(buf),
        }
    }
}

/// `len` bytes of a file from `offset` (a file of its own, a part of a `.kitpack`, the
/// part a `Range` asks for). Read in place (`pread`), so the file's position is never used:
/// the same file goes to tiny_http as the body's source for `sendfile`.
pub struct FilePart {
    file: File,
    offset: u64,
    len: u64,
    /// Bytes read so far.
    done: u64,
    /// Held until the body is sent or given up (a place among the pack files being sent).
    hold: Option<Slot>,
}

impl FilePart {
    pub fn new(file: File, offset: u64, len: u64) -> FilePart {
        FilePart {
            file,
            offset,
            len,
            done: 0,
            hold: None,
        }
    }

    /// Keeps `slot` taken as long as the body is being sent.
    pub fn holding(mut self, slot: Slot) -> FilePart {
        self.hold = Some(slot);
        self
    }

    /// Another handle on the file and where the body starts in it, for tiny_http's
    /// `sendfile`; `None` if the system has no descriptor left (the body is then read).
    fn source(&self) -> Option<(File, u64)> {
        let file = self.file.try_clone().ok()?;
        Some((file, self.offset))
    }
}

impl Read for FilePart {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.len.saturating_sub(self.done);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self
            .file
            .read_at(&mut buf[..want], self.offset + self.done)?;
        self.done += n as u64;
        Ok(n)
    }
}

/// `true` when an `If-None-Match` header names `etag` (or is `*`).
pub fn etag_matches(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, Cow<'static, str>)>,
    pub body: Body,
    pub len: usize,
}

/// No referrer ever leaves for another site; the kit's own pages get theirs, because with
/// `no-referrer` browsers send forms with `Origin: null`, and the kit checks `Origin` on
/// every form that changes something (help requests, admin pages).
const REFERRER_POLICY: &str = "same-origin";

/// Headers sent with every page: no sniffing, no referrer leaving the box, no framing, and
/// only our own scripts and styles.
const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
                        script-src 'self'; object-src 'none'; base-uri 'none'; \
                        form-action 'self'; frame-ancestors 'none'";

impl Reply {
    /// A body of `len` bytes of one type, with the headers every answer gets.
    pub fn with_body(status: u16, content_type: &'static str, body: Body, len: usize) -> Reply {
        Reply {
            status,
            headers: vec![
                ("Content-Type", Cow::Borrowed(content_type)),
                ("X-Content-Type-Options", Cow::Borrowed("nosniff")),
                ("Referrer-Policy", Cow::Borrowed(REFERRER_POLICY)),
            ],
            body,
            len,
        }
    }

    pub fn bytes(status: u16, content_type: &'static str, body: Cow<'static, [u8]>) -> Reply {
        let len = body.len();
        Reply::with_body(status, content_type, Body::Bytes(Cursor::new(body)), len)
    }

    /// A rendered HTML page. Pages change when packs are imported, so they are revalidated.
    pub fn html(status: u16, page: String) -> Reply {
        Reply::bytes(
            status,
            "text/html; charset=utf-8",
            Cow::Owned(page.into_bytes()),
        )
        .header("Content-Security-Policy", PAGE_CSP)
        .header("Cache-Control", "no-cache")
    }

    /// A page kept by the page cache (its headers are set by the cache).
    pub fn shared(status: u16, body: Arc<[u8]>) -> Reply {
        let len = body.len();
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Shared(Cursor::new(body)),
            len,
        }
    }

    /// An admin page: private, never kept by the browser or anything between.
    pub fn private_html(status: u16, page: String) -> Reply {
        let mut reply = Reply::html(status, page);
        reply.headers.retain(|(name, _)| *name != "Cache-Control");
        reply.header("Cache-Control", "no-store")
    }

    /// A redirect to `location` (`302 Found` or `303 See Other`), never cached: where a
    /// phone is sent depends on whether it pressed "Entrer".
    pub fn redirect(status: u16, location: String) -> Reply {
        Reply::bytes(status, "text/plain; charset=utf-8", Cow::Borrowed(b""))
            .header("Location", location)
            .header("Cache-Control", "no-store")
    }

    /// `204 No Content`: done, nothing to show.
    pub fn no_content() -> Reply {
        Reply::bytes(204, "text/plain; charset=utf-8", Cow::Borrowed(b""))
            .header("Cache-Control", "no-store")
    }

    pub fn not_modified(etag: String) -> Reply {
        Reply::bytes(304, "text/plain; charset=utf-8", Cow::Borrowed(b"")).header("ETag", etag)
    }

    pub fn header(mut self, name: &'static str, value: impl Into<Cow<'static, str>>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// The headers as tiny_http checks them: a name or value it refuses (control bytes,
    /// non-ASCII) is left out rather than sent.
    fn checked_headers(&self) -> impl Iterator<Item = tiny_http::Header> + '_ {
        self.headers.iter().filter_map(|(name, value)| {
            tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
        })
    }

    pub fn into_response(self) -> tiny_http::Response<Body> {
        let headers = self.checked_headers().collect();
        // A file body over the size tiny_http writes at once is sent from the file itself
        // (`sendfile`: no copy through the kit): give it the file, beside the reader that
        // it uses for the others.
        let source = match &self.body {
            Body::File(part) if self.len > tiny_http::SEND_AT_ONCE_MAX => part.source(),
            _ => None,
        };
        // The length is always known: send it (`Content-Length`), never chunks. tiny_http
        // chunks any body from 32 KiB on by default, and a video sent in chunks, with no
        // length, is one a phone's player may not seek in.
        let response = tiny_http::Response::new(
            tiny_http::StatusCode(self.status),
            headers,
            self.body,
            Some(self.len),
            None,
        )
        .with_chunked_threshold(usize::MAX);
        match source {
            Some((file, offset)) => response.with_file_source(file, offset),
            None => response,
        }
    }
}

/// Why a request gets no page. Each maps to one status and one French page.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("not found")]
    NotFound,
    /// The methods the resource accepts go in the `Allow` header.
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    #[error("body too large")]
    PayloadTooLarge,
    #[error("URL too long")]
    UriTooLong,
    #[error("headers too large")]
    HeadersTooLarge,
    /// Signed-in pages: no session, or one whose role may not do this.
    #[error("forbidden")]
    Forbidden,
    /// A form without the token of the session (or page) it came from, or sent from
    /// another site.
    #[error("form expired or forged")]
    ExpiredForm,
    /// Too many failed tries: wait this many seconds.
    #[error("too many tries")]
    TooManyTries(u64),
    /// Every place for this kind of work is taken: try again in a moment.
    #[error("busy")]
    Busy,
    #[error("internal error: {0}")]
    Internal(String),
}

impl HttpError {
    pub fn status(&self) -> u16 {
        match self {
            HttpError::BadRequest(_) => 400,
            HttpError::NotFound => 404,
            HttpError::MethodNotAllowed(_) => 405,
            HttpError::PayloadTooLarge => 413,
            HttpError::UriTooLong => 414,
            HttpError::HeadersTooLarge => 431,
            HttpError::Forbidden | HttpError::ExpiredForm => 403,
            HttpError::TooManyTries(_) => 429,
            HttpError::Busy => 503,
            HttpError::Internal(_) => 500,
        }
    }
}

impl From<StoreError> for HttpError {
    fn from(e: StoreError) -> Self {
        HttpError::Internal(e.to_string())
    }
}

pub type HttpResult = Result<Reply, HttpError>;

/// One of at most `max` places for costly work (pack files sent to other kits, big take-home
/// files built): taken without waiting, given back when dropped, even on a panic.
pub struct Slot(Arc<AtomicUsize>);

impl Slot {
    /// A place, if fewer than `max` are taken.
    pub fn take(count: &Arc<AtomicUsize>, max: usize) -> Option<Slot> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_part_reads_its_bytes_only_wherever_the_file_position_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        for (offset, len, piece) in [(0, 1000, 4096), (10, 100, 7), (990, 10, 3), (1000, 0, 8)] {
            let mut file = File::open(&path).unwrap();
            // Where the file's own position is does not matter (`pread`).
            std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(500)).unwrap();
            let mut part = FilePart::new(file, offset, len);
            let mut out = Vec::new();
            let mut buf = vec![0; piece];
            loop {
                match part.read(&mut buf).unwrap() {
                    0 => break,
                    n => out.extend_from_slice(&buf[..n]),
                }
            }
            let (at, end) = (offset as usize, (offset + len) as usize);
            assert_eq!(out, &bytes[at..end], "{offset}+{len} by {piece}");
        }
        // The slot a part holds comes back when the part is dropped (the body sent).
        let count = Arc::new(AtomicUsize::new(0));
        let slot = Slot::take(&count, 1).unwrap();
        let part = FilePart::new(File::open(&path).unwrap(), 0, 1).holding(slot);
        assert!(Slot::take(&count, 1).is_none());
        drop(part);
        assert!(Slot::take(&count, 1).is_some());
    }

    #[test]
    fn slots_are_bounded_and_come_back_when_dropped() {
        let count = Arc::new(AtomicUsize::new(0));
        let a = Slot::take(&count, 2).expect("first");
        let b = Slot::take(&count, 2).expect("second");
        assert!(Slot::take(&count, 2).is_none(), "a third waits");
        drop(a);
        let c = Slot::take(&count, 2).expect("a place came back");
        drop((b, c));
        assert_eq!(count.load(Ordering::Acquire), 0);
    }
}
