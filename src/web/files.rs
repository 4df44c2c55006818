//! Installed pack files (images, video, sound, subtitles, handouts), served from
//! `packs/<id>/<version>/…` in the data dir, for the version the library uses only: a version
//! kept for rollback is verified only when it is rolled back to, and a staging folder is
//! half-written. The version is in the URL, so a file never changes under its URL: cache
//! forever.
//!
//! Files stream from the disk, never whole in memory: one `Range` (a phone seeking in a
//! video, a download resumed) gets `206`, `If-Range` and the validators (`ETag`,
//! `Last-Modified`, `304`) are honoured. SVG and subtitles go gzip-compressed to phones that
//! accept it. A handout (PDF) is always a download (`Content-Disposition: attachment`), never
//! shown in the portal's origin, and no pack file may run a script there (CSP `sandbox`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use super::assets::mime_of;
use super::http::{etag_matches, Body, HttpError, HttpResult, Reply};
use super::router::RequestInfo;
use super::{gzip, range, Worker};
use crate::content::{media, ASSET_EXTENSIONS};
use crate::paths::safe_join;

/// First path segment of pack file URLs (see `packs::FILES_URL`).
pub const PREFIX: &str = "contenus";

const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";
/// A pack's SVG or PDF opened on its own must not run scripts in the portal's origin.
const FILE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
/// Longest download name kept from `?telecharger=` (characters).
const MAX_NAME: usize = 120;

/// What the validators of one file are: its strong `ETag` and its `Last-Modified` date.
struct Validators {
    etag: String,
    last_modified: String,
}

impl Validators {
    /// Of a file, or of the part `(offset, size)` of a file that holds several.
    fn of(meta: &std::fs::Metadata, part: Option<(u64, u64)>) -> Validators {
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let etag = match part {
            Some((offset, size)) => format!("\"{size:x}-{mtime:x}-{offset:x}\""),
            None => format!("\"{:x}-{mtime:x}\"", meta.len()),
        };
        Validators {
            etag,
            last_modified: crate::reports::date::http_date(mtime as i64),
        }
    }

    /// `true` when the phone has this very file already (RFC 9110 §13.2.2: `If-None-Match`
    /// first; `If-Modified-Since` only without it, and as the exact date we sent).
    fn not_modified(&self, req: &RequestInfo<'_>, etag: &str) -> bool {
        match req.if_none_match {
            Some(_) => etag_matches(req.if_none_match, etag),
            None => req
                .if_modified_since
                .is_some_and(|d| d.trim() == self.last_modified),
        }
    }
}

/// An installed pack file named by a URL under `PREFIX`, opened.
pub(super) struct Located {
    /// Its own path (where it is, unless `at.in_pack`).
    pub path: PathBuf,
    /// `<id>/<version>/<path in the pack>`.
    pub rel: String,
    pub mime: &'static str,
    /// Its own file, or the version's `.kitpack` that holds it.
    pub file: File,
    pub at: Place,
}

/// The file that the segments after `PREFIX` name, opened: a file of the version the
/// library uses, with a known extension, joined through `safe_join`, or a big one left in
/// the version's `.kitpack`; `NotFound` for anything else. The take-home files read their
/// images through here too.
pub(super) fn locate(w: &Worker, rest: &[&str]) -> Result<Located, HttpError> {
    let [id, version, ..] = rest else {
        return Err(HttpError::NotFound);
    };
    let current = w.store.pack(id)?.map(|pack| pack.version);
    if current.as_deref() != Some(*version) {
        return Err(HttpError::NotFound);
    }
    let rel = rest.join("/");
    let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let known = |e: &str| ASSET_EXTENSIONS.contains(&e) || media::EXTENSIONS.contains(&e);
    if !ext.as_deref().is_some_and(known) {
        return Err(HttpError::NotFound);
    }
    let mime = mime_of(&rel).ok_or(HttpError::NotFound)?;
    let packs = w.shared.data_dir.join("packs");
    let path = safe_join(&packs, &rel).ok_or(HttpError::NotFound)?;
    let (file, at) = match File::open(&path) {
        Ok(file) => {
            let meta = file.metadata().map_err(|_| HttpError::NotFound)?;
            if !meta.is_file() {
                return Err(HttpError::NotFound);
            }
            let at = Place {
                offset: 0,
                size: meta.len(),
                validators: Validators::of(&meta, None),
                in_pack: false,
            };
            (file, at)
        }
        Err(_) => in_kitpack(&packs, id, version, &rest[2..].join("/"))?,
    };
    Ok(Located {
        path,
        rel,
        mime,
        file,
        at,
    })
}

pub fn serve(w: &Worker, req: &RequestInfo<'_>, rest: &[&str]) -> HttpResult {
    let Located {
        path,
        rel,
        mime,
        file,
        at,
    } = locate(w, rest)?;
    let shared = &w.shared;
    let validators = at.validators;
    let compressible = !at.in_pack && gzip::is_text(&rel) && at.size <= gzip::MAX_CACHED_FILE;
    let reply = if compressible && req.range.is_none() && gzip::accepts_gzip(req.accept_encoding) {
        shared
            .gzip_files
            .get(&path)
            .map(|packed| compressed(req, &validators, mime, packed))
    } else {
        None
    };
    let reply = match reply {
        Some(reply) => reply,
        None => streamed(req, &validators, mime, file, (at.offset, at.size))?,
    };
    let reply = if compressible {
        reply.header("Vary", "Accept-Encoding")
    } else {
        reply
    };
    Ok(disposition(reply, &rel, req)
        .header("Cache-Control", CACHE_FOREVER)
        .header("Content-Security-Policy", FILE_CSP))
}

/// Where a pack file's bytes are: a file of its own, or a part of its version's `.kitpack`.
pub(super) struct Place {
    /// Where its bytes start in the opened file.
    pub offset: u64,
    pub size: u64,
    validators: Validators,
    in_pack: bool,
}

/// A big media file left in the version's signed `.kitpack` at install (`packs::inpack`).
fn in_kitpack(
    packs: &Path,
    id: &str,
    version: &str,
    rel: &str,
) -> Result<(File, Place), HttpError> {
    let dir = safe_join(packs, &format!("{id}/{version}")).ok_or(HttpError::NotFound)?;
    let index = crate::packs::inpack::read_index(&dir).map_err(|_| HttpError::NotFound)?;
    let &(offset, size) = index.get(rel).ok_or(HttpError::NotFound)?;
    let kitpack = safe_join(
        packs,
        &format!("{id}/{version}.{}", crate::packs::format::EXTENSION),
    )
    .ok_or(HttpError::NotFound)?;
    let file = File::open(&kitpack).map_err(|_| HttpError::NotFound)?;
    let meta = file.metadata().map_err(|_| HttpError::NotFound)?;
    if offset.checked_add(size).is_none_or(|end| end > meta.len()) {
        return Err(HttpError::Internal(format!(
            "`{}` is shorter than its index says",
            kitpack.display()
        )));
    }
    let at = Place {
        offset,
        size,
        validators: Validators::of(&meta, Some((offset, size))),
        in_pack: true,
    };
    Ok((file, at))
}

/// The file's bytes from the disk: whole, or the one part a `Range` asks for. `at` is
/// where the file's bytes start in `file`, and their length.
fn streamed(
    req: &RequestInfo<'_>,
    validators: &Validators,
    mime: &'static str,
    file: File,
    (offset, size): (u64, u64),
) -> HttpResult {
    let etag = &validators.etag;
    if validators.not_modified(req, etag) {
        return Ok(Reply::not_modified(etag.clone())
            .header("Last-Modified", validators.last_modified.clone()));
    }
    let applies = range::if_range_matches(req.if_range, etag, &validators.last_modified);
    let part = match range::select(req.range, applies, size) {
        Ok(part) => part,
        Err(unsatisfiable) => return Ok(unsatisfiable),
    };
    let body = Body::File(part.of_file(file, offset));
    let reply = Reply::with_body(part.status(), mime, body, part.len as usize);
    Ok(part
        .headers(reply)
        .header("ETag", etag.clone())
        .header("Last-Modified", validators.last_modified.clone()))
}

/// The file gzip-compressed (its own `ETag`: another representation of the same file).
fn compressed(
    req: &RequestInfo<'_>,
    validators: &Validators,
    mime: &'static str,
    packed: Arc<[u8]>,
) -> Reply {
    let etag = format!("{}-gz\"", validators.etag.trim_end_matches('"'));
    if validators.not_modified(req, &etag) {
        return Reply::not_modified(etag).header("Last-Modified", validators.last_modified.clone());
    }
    let len = packed.len();
    Reply::with_body(200, mime, Body::Shared(std::io::Cursor::new(packed)), len)
        .header("Content-Encoding", "gzip")
        .header("ETag", etag)
        .header("Last-Modified", validators.last_modified.clone())
}

/// `Content-Disposition`: a handout (PDF) is always a download; any file asked with
/// `?telecharger=NAME` is a download named `NAME.ext` (the caption the learner saw, in
/// French: RFC 6266 `filename*`, with a plain ASCII `filename` for old browsers).
fn disposition(reply: Reply, rel: &str, req: &RequestInfo<'_>) -> Reply {
    let asked = req.target.param("telecharger");
    let is_pdf = media::kind_of(rel) == Some(media::Kind::Handout);
    if asked.is_none() && !is_pdf {
        return reply;
    }
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    let ext = file_name.rsplit_once('.').map_or("", |(_, e)| e);
    let name = asked
        .map(clean_name)
        .filter(|n| !n.is_empty())
        .map_or_else(|| file_name.to_owned(), |n| format!("{n}.{ext}"));
    reply.header("Content-Disposition", content_disposition(&name, file_name))
}

/// A download name without what a file system or a header refuses: control characters,
/// path separators, quotes; at most `MAX_NAME` characters.
pub(super) fn clean_name(name: &str) -> String {
    let kept: String = name
        .chars()
        .filter(|c| !c.is_control() && !"/\\\"<>:|?*".contains(*c))
        .take(MAX_NAME)
        .collect();
    kept.trim().trim_matches('.').trim().to_owned()
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266, RFC 8187).
fn content_disposition(name: &str, fallback: &str) -> String {
    let ascii = name.is_ascii();
    let plain = if ascii { name } else { fallback };
    format!(
        "attachment; filename=\"{plain}\"; filename*=UTF-8''{}",
        rfc8187(name)
    )
}

/// A file name as `filename*` carries it: UTF-8, percent-encoded but for RFC 8187's
/// `attr-char`s.
pub(super) fn rfc8187(name: &str) -> String {
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_keep_french_and_lose_what_a_header_or_disk_refuses() {
        assert_eq!(clean_name("Payer en ligne"), "Payer en ligne");
        assert_eq!(clean_name("../../etc/passwd"), "etcpasswd");
        assert_eq!(clean_name("a\r\nSet-Cookie: x"), "aSet-Cookie x");
        assert_eq!(clean_name(&"é".repeat(500)).chars().count(), MAX_NAME);
        assert_eq!(
            content_disposition("Fiche CAF.pdf", "fiche.pdf"),
            "attachment; filename=\"Fiche CAF.pdf\"; filename*=UTF-8''Fiche%20CAF.pdf"
        );
        assert_eq!(
            content_disposition("Vidéo été.mp4", "clip.mp4"),
            "attachment; filename=\"clip.mp4\"; filename*=UTF-8''Vid%C3%A9o%20%C3%A9t%C3%A9.mp4"
        );
    }
}
