//! Rendered pages, kept for every worker and every connection until the library changes.
//!
//! A learner page depends only on its URL, the settings and the library, so the first
//! request renders it and the next ones copy bytes. The library changes when a pack is
//! installed, upgraded, rolled back or removed, by this process or another
//! (`mednum-kit pack import`): the pages are kept with the library's committed state
//! (`store::changes`, the WAL index header, the same for every connection) and the settings'
//! generation, and a request that sees another state starts the cache again. Each page also
//! gets an `ETag`, so a phone that has it already is answered `304 Not Modified`, which saves
//! the box's Wi-Fi. A page is gzip-compressed once, when it is kept, and sent so to phones
//! that accept it. Pages are kept per language and reading size (see `prefs`), hence `Vary`.
//!
//! The cache is shared (one lock, read-mostly) so that a kept page can be answered on the
//! connection's own thread, without a worker (`kept`, see `server::answer_kept`): a
//! hand-over to a worker and back costs more than the page itself.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::gzip;
use super::http::{etag_matches, Body, Reply};
use crate::store::changes::{Changes, State};

/// A page differs with the phone's compression, language and reading size (the last two
/// from `Accept-Language` and cookies).
const VARY: &str = "Accept-Encoding, Accept-Language, Cookie";

/// The most kept (bytes of page bodies, plain and compressed); beyond, the cache starts
/// again.
const BUDGET: usize = 1024 * 1024;
/// Pages larger than this are not kept.
const MAX_PAGE: usize = 64 * 1024;

/// A worker checks that the `-shm` file it reads is still the database's when its last
/// check is older than this.
const RECHECK_AFTER: Duration = Duration::from_millis(500);
/// Pages are answered without a worker only while a worker checked that recently: under a
/// load of kept pages only, one request a second still goes through a worker.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// What the pages were rendered from: the library's committed state and the settings'
/// generation.
pub type Version = (State, u64);

struct Page {
    body: Arc<[u8]>,
    etag: String,
    /// The page gzip-compressed, and its own ETag; `None` when it does not compress well.
    gzip: Option<(Arc<[u8]>, String)>,
    headers: Vec<(&'static str, std::borrow::Cow<'static, str>)>,
}

impl Page {
    /// The page as a reply (`304` when the phone has it already), compressed when the
    /// phone `accepts_gzip`.
    fn reply(&self, if_none_match: Option<&str>, accepts_gzip: bool) -> Reply {
        let (body, etag, gzipped) = match &self.gzip {
            Some((body, etag)) if accepts_gzip => (body, etag, true),
            _ => (&self.body, &self.etag, false),
        };
        if etag_matches(if_none_match, etag) {
            return Reply::not_modified(etag.clone())
                .header("Cache-Control", "no-cache")
                .header("Vary", VARY);
        }
        let mut reply = Reply::shared(200, Arc::clone(body));
        reply.headers = self.headers.clone();
        reply.headers.push(("ETag", etag.clone().into()));
        if gzipped {
            reply.headers.push(("Content-Encoding", "gzip".into()));
        }
        reply
    }
}

#[derive(Default)]
struct PageCache {
    version: Option<Version>,
    pages: HashMap<String, Arc<Page>>,
    bytes: usize,
}

/// The kept pages, and how to tell whether they are still the library's.
pub struct Pages {
    cache: RwLock<PageCache>,
    changes: Changes,
    /// When a worker last read the library's state (ms since `epoch`), and checked the
    /// file it reads it from.
    checked_ms: AtomicU64,
    epoch: Instant,
}

impl Pages {
    pub fn new(db_path: &Path) -> Pages {
        Pages {
            cache: RwLock::default(),
            changes: Changes::new(db_path),
            checked_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// The version a worker renders pages for now (`None`: the library's state cannot be
    /// told, and nothing is kept).
    pub fn version(&self, generation: u64) -> Option<Version> {
        let now = self.now_ms();
        if now.saturating_sub(self.checked_ms.load(Ordering::Acquire))
            >= RECHECK_AFTER.as_millis() as u64
        {
            self.changes.recheck();
        }
        let state = self.changes.state()?;
        self.checked_ms.store(now.max(1), Ordering::Release);
        Some((state, generation))
    }

    /// The kept page for `key` rendered for `version`, as a reply. A cache of another
    /// version is forgotten.
    pub fn get(
        &self,
        version: Version,
        key: &str,
        if_none_match: Option<&str>,
        accepts_gzip: bool,
    ) -> Option<Reply> {
        if let Ok(reply) = self.lookup(version, key, if_none_match, accepts_gzip) {
            return reply;
        }
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        if cache.version != Some(version) {
            *cache = PageCache {
                version: Some(version),
                ..PageCache::default()
            };
        }
        None
    }

    /// The kept page for `key`, for a request answered without a worker: only while the
    /// library and the settings are the ones the pages were rendered from (`generation` is
    /// the settings' now), and a worker looked lately.
    pub fn kept(
        &self,
        generation: u64,
        key: &str,
        if_none_match: Option<&str>,
        accepts_gzip: bool,
    ) -> Option<Reply> {
        let checked = self.checked_ms.load(Ordering::Acquire);
        if checked == 0 || self.now_ms().saturating_sub(checked) >= TRUSTED_FOR.as_millis() as u64 {
            return None;
        }
        let state = self.changes.state()?;
        self.lookup((state, generation), key, if_none_match, accepts_gzip)
            .ok()
            .flatten()
    }

    /// The kept page for `key` if the cache holds pages of `version` (`Ok(None)`: not this
    /// one), or `Err(())` when it holds another version's.
    fn lookup(
        &self,
        version: Version,
        key: &str,
        if_none_match: Option<&str>,
        accepts_gzip: bool,
    ) -> Result<Option<Reply>, ()> {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        if cache.version != Some(version) {
            return Err(());
        }
        Ok(cache
            .pages
            .get(key)
            .map(|page| page.reply(if_none_match, accepts_gzip)))
    }

    /// Keeps a freshly rendered `200` page (with an ETag added) when the cache is still at
    /// `version`, and returns it to be sent, or `304` when the phone has that very page
    /// already. Without a version the page is prepared the same way and not kept.
    pub fn keep(
        &self,
        version: Option<Version>,
        key: &str,
        reply: Reply,
        if_none_match: Option<&str>,
        accepts_gzip: bool,
    ) -> Reply {
        let Body::Bytes(cursor) = &reply.body else {
            return reply;
        };
        if reply.status != 200 || reply.len > MAX_PAGE {
            return reply;
        }
        let body: Arc<[u8]> = Arc::from(cursor.get_ref().as_ref());
        let etag = etag_of(&body);
        let gzip: Option<(Arc<[u8]>, String)> = gzip::compress(&body).map(|packed| {
            let etag = format!("{}-gz\"", etag.trim_end_matches('"'));
            (Arc::from(packed), etag)
        });
        let mut headers = reply.headers;
        headers.push(("Vary", VARY.into()));
        let size = body.len() + gzip.as_ref().map_or(0, |(g, _)| g.len());
        let page = Arc::new(Page {
            body,
            etag,
            gzip,
            headers,
        });
        if let Some(version) = version {
            let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
            // Another worker may have seen a newer library meanwhile: a page is kept only
            // with the version it was rendered for.
            if cache.version == Some(version) {
                if cache.bytes + size > BUDGET {
                    cache.pages.clear();
                    cache.bytes = 0;
                }
                cache.bytes += size;
                cache.pages.insert(key.to_owned(), Arc::clone(&page));
            }
        }
        page.reply(if_none_match, accepts_gzip)
    }
}

/// A strong validator made from the page's bytes.
fn etag_of(body: &[u8]) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"p{:016x}\"", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> Reply {
        Reply::html(200, text.to_owned())
    }

    fn body(reply: Reply) -> Vec<u8> {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut reply.into_response().into_reader(), &mut out).unwrap();
        out
    }

    fn header(r: &Reply, name: &str) -> Option<String> {
        r.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    /// A real library file in WAL mode, a connection that writes to it, and its pages.
    fn library() -> (tempfile::TempDir, rusqlite::Connection, Pages) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("library.db");
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER);")
            .unwrap();
        let pages = Pages::new(&db);
        (dir, conn, pages)
    }

    #[test]
    fn a_kept_page_is_served_again_with_its_etag_until_the_library_changes() {
        let (_dir, conn, cache) = library();
        let v1 = cache.version(0).unwrap();
        assert!(cache.get(v1, "/a", None, false).is_none());
        let first = cache.keep(Some(v1), "/a", page("<p>A</p>"), None, false);
        let etag = header(&first, "ETag").unwrap();
        assert_eq!(body(first), b"<p>A</p>");
        let again = cache.get(v1, "/a", None, false).unwrap();
        assert_eq!(again.status, 200);
        assert_eq!(header(&again, "ETag"), Some(etag.clone()));
        assert_eq!(body(again), b"<p>A</p>");
        assert_eq!(cache.get(v1, "/a", Some(&etag), false).unwrap().status, 304);
        assert_eq!(
            cache
                .get(v1, "/a", Some("\"other\""), false)
                .unwrap()
                .status,
            200
        );
        // Without a worker too, while nothing changed.
        assert_eq!(body(cache.kept(0, "/a", None, false).unwrap()), b"<p>A</p>");
        // New settings: not answered without a worker, then forgotten.
        assert!(cache.kept(1, "/a", None, false).is_none());
        // A commit by another connection (a pack installed).
        conn.execute("INSERT INTO t VALUES (1)", []).unwrap();
        assert!(cache.kept(0, "/a", None, false).is_none());
        let v2 = cache.version(0).unwrap();
        assert_ne!(v1, v2);
        assert!(cache.get(v2, "/a", None, false).is_none());
        // A page rendered for the old library, kept after the new one was seen, is not kept.
        cache.keep(Some(v1), "/b", page("<p>B</p>"), None, false);
        assert!(cache.get(v2, "/b", None, false).is_none());
        // Nor one rendered without a version.
        let unversioned = cache.keep(None, "/c", page("<p>C</p>"), None, false);
        assert_eq!(body(unversioned), b"<p>C</p>");
        assert!(cache.get(v2, "/c", None, false).is_none());
    }

    #[test]
    fn pages_are_answered_without_a_worker_only_while_a_worker_looked_lately() {
        let (_dir, _conn, cache) = library();
        assert!(cache.kept(0, "/a", None, false).is_none());
        let v = cache.version(0).unwrap();
        assert!(cache.get(v, "/a", None, false).is_none());
        cache.keep(Some(v), "/a", page("<p>A</p>"), None, false);
        assert!(cache.kept(0, "/a", None, false).is_some());
        cache.checked_ms.store(1, Ordering::Release);
        std::thread::sleep(TRUSTED_FOR + Duration::from_millis(10));
        assert!(cache.kept(0, "/a", None, false).is_none());
        let v = cache.version(0).unwrap();
        assert!(cache.get(v, "/a", None, false).is_some());
        assert!(cache.kept(0, "/a", None, false).is_some());
    }

    #[test]
    fn only_ok_pages_within_the_budget_are_kept() {
        let (_dir, _conn, cache) = library();
        let v = cache.version(0).unwrap();
        cache.get(v, "/", None, false);
        cache.keep(Some(v), "/404", Reply::html(404, "x".into()), None, false);
        assert!(cache.get(v, "/404", None, false).is_none());
        cache.keep(
            Some(v),
            "/big",
            page(&"x".repeat(MAX_PAGE + 1)),
            None,
            false,
        );
        assert!(cache.get(v, "/big", None, false).is_none());
        for i in 0..(BUDGET / 60_000 + 2) {
            let text = "y".repeat(60_000);
            cache.keep(Some(v), &format!("/p{i}"), page(&text), None, false);
        }
        assert!(cache.cache.read().unwrap().bytes <= BUDGET);
    }

    #[test]
    fn a_page_goes_compressed_to_a_phone_that_accepts_gzip_with_its_own_etag() {
        let (_dir, _conn, cache) = library();
        let v = cache.version(0).unwrap();
        cache.get(v, "/", None, false);
        let text = format!("<main>{}</main>", "<p>Bonjour à tous.</p>".repeat(200));
        let plain = cache.keep(Some(v), "/a", page(&text), None, false);
        assert_eq!(header(&plain, "Content-Encoding"), None);
        assert_eq!(header(&plain, "Vary").as_deref(), Some(VARY));
        let packed = cache.get(v, "/a", None, true).unwrap();
        assert_eq!(header(&packed, "Content-Encoding").as_deref(), Some("gzip"));
        let etag = header(&packed, "ETag").unwrap();
        assert_ne!(Some(etag.clone()), header(&plain, "ETag"));
        let bytes = body(packed);
        assert!(bytes.len() * 5 < text.len(), "{} bytes", bytes.len());
        let mut back = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut back)
            .unwrap();
        assert_eq!(back, text);
        assert_eq!(cache.get(v, "/a", Some(&etag), true).unwrap().status, 304);
        assert_eq!(cache.get(v, "/a", Some(&etag), false).unwrap().status, 200);
    }
}
