//! Rendered pages, kept by each worker until the library changes.
//!
//! A learner page depends only on its URL, the settings and the library, so the first
//! request renders it and the next ones copy bytes. The library changes only when a pack is
//! installed, upgraded, rolled back or removed by another process: SQLite's
//! `PRAGMA data_version` on the worker's own connection tells, and the cache is then
//! dropped. Each page also gets an `ETag`, so a phone that has it already is answered
//! `304 Not Modified`, which saves the box's Wi-Fi. A page is gzip-compressed once, when it
//! is kept, and sent so to phones that accept it. Pages are kept per language and reading size (see
//! `prefs`), hence `Vary`.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::gzip;
use super::http::{etag_matches, Body, Reply};

/// A page differs with the phone's compression, language and reading size (the last two
/// from `Accept-Language` and cookies).
const VARY: &str = "Accept-Encoding, Accept-Language, Cookie";

/// The most a worker keeps (bytes of page bodies); beyond, the cache starts again.
const BUDGET: usize = 512 * 1024;
/// Pages larger than this are not kept.
const MAX_PAGE: usize = 64 * 1024;

struct Page {
    body: Arc<[u8]>,
    etag: String,
    /// The page gzip-compressed, and its own ETag; `None` when it does not compress well.
    gzip: Option<(Arc<[u8]>, String)>,
    headers: Vec<(&'static str, std::borrow::Cow<'static, str>)>,
}

#[derive(Default)]
pub struct PageCache {
    /// The library's `data_version` and the settings' generation the pages were rendered
    /// from.
    version: Option<(i64, u64)>,
    pages: HashMap<String, Page>,
    bytes: usize,
}

impl PageCache {
    /// Forgets every page if the library changed since they were rendered.
    pub fn check_version(&mut self, version: (i64, u64)) {
        if self.version != Some(version) {
            self.pages.clear();
            self.bytes = 0;
            self.version = Some(version);
        }
    }

    /// The kept page for `key`, as a reply (`304` when the phone has it already),
    /// compressed when the phone `accepts_gzip`.
    pub fn get(&self, key: &str, if_none_match: Option<&str>, accepts_gzip: bool) -> Option<Reply> {
        let page = self.pages.get(key)?;
        let (body, etag, gzipped) = match &page.gzip {
            Some((body, etag)) if accepts_gzip => (body, etag, true),
            _ => (&page.body, &page.etag, false),
        };
        if etag_matches(if_none_match, etag) {
            return Some(
                Reply::not_modified(etag.clone())
                    .header("Cache-Control", "no-cache")
                    .header("Vary", VARY),
            );
        }
        let mut reply = Reply::shared(200, Arc::clone(body));
        reply.headers = page.headers.clone();
        reply.headers.push(("ETag", etag.clone().into()));
        if gzipped {
            reply.headers.push(("Content-Encoding", "gzip".into()));
        }
        Some(reply)
    }

    /// Keeps a freshly rendered `200` page (with an ETag added) and returns it to be sent,
    /// or `304` when the phone has that very page already.
    pub fn keep(
        &mut self,
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
        if self.bytes + size > BUDGET {
            self.pages.clear();
            self.bytes = 0;
        }
        self.bytes += size;
        let page = Page {
            body,
            etag,
            gzip,
            headers,
        };
        self.pages.insert(key.to_owned(), page);
        self.get(key, if_none_match, accepts_gzip)
            .unwrap_or_else(|| Reply::shared(500, Arc::from(&b""[..])))
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

    #[test]
    fn a_kept_page_is_served_again_with_its_etag_until_the_library_changes() {
        let mut cache = PageCache::default();
        cache.check_version((1, 0));
        let first = cache.keep("/a", page("<p>A</p>"), None, false);
        let etag = first
            .headers
            .iter()
            .find(|(k, _)| *k == "ETag")
            .map(|(_, v)| v.to_string())
            .unwrap();
        assert_eq!(body(first), b"<p>A</p>");
        let again = cache.get("/a", None, false).unwrap();
        assert_eq!(again.status, 200);
        assert!(again
            .headers
            .iter()
            .any(|(k, v)| *k == "ETag" && *v == etag));
        assert_eq!(body(again), b"<p>A</p>");
        assert_eq!(cache.get("/a", Some(&etag), false).unwrap().status, 304);
        assert_eq!(
            cache.get("/a", Some("\"other\""), false).unwrap().status,
            200
        );
        cache.check_version((1, 0));
        assert!(cache.get("/a", None, false).is_some());
        cache.check_version((2, 0));
        assert!(cache.get("/a", None, false).is_none());
    }

    #[test]
    fn only_ok_pages_within_the_budget_are_kept() {
        let mut cache = PageCache::default();
        cache.check_version((1, 0));
        cache.keep("/404", Reply::html(404, "x".into()), None, false);
        assert!(cache.get("/404", None, false).is_none());
        cache.keep("/big", page(&"x".repeat(MAX_PAGE + 1)), None, false);
        assert!(cache.get("/big", None, false).is_none());
        for i in 0..(BUDGET / 60_000 + 2) {
            cache.keep(&format!("/p{i}"), page(&"y".repeat(60_000)), None, false);
        }
        assert!(cache.bytes <= BUDGET);
    }

    #[test]
    fn a_page_goes_compressed_to_a_phone_that_accepts_gzip_with_its_own_etag() {
        let mut cache = PageCache::default();
        cache.check_version((1, 0));
        let text = format!("<main>{}</main>", "<p>Bonjour à tous.</p>".repeat(200));
        let plain = cache.keep("/a", page(&text), None, false);
        let header = |r: &Reply, name: &str| {
            r.headers
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        assert_eq!(header(&plain, "Content-Encoding"), None);
        assert_eq!(header(&plain, "Vary").as_deref(), Some(VARY));
        let packed = cache.get("/a", None, true).unwrap();
        assert_eq!(header(&packed, "Content-Encoding").as_deref(), Some("gzip"));
        let etag = header(&packed, "ETag").unwrap();
        assert_ne!(Some(etag.clone()), header(&plain, "ETag"));
        let bytes = body(packed);
        assert!(bytes.len() * 5 < text.len(), "{} bytes", bytes.len());
        let mut back = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut back)
            .unwrap();
        assert_eq!(back, text);
        assert_eq!(cache.get("/a", Some(&etag), true).unwrap().status, 304);
        assert_eq!(cache.get("/a", Some(&etag), false).unwrap().status, 200);
    }
}
