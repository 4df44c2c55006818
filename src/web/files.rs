//! Installed pack files (images), served from `packs/<id>/<version>/…` in the data dir,
//! for the version the library uses only: a version kept for rollback is verified only when
//! it is rolled back to, and a staging folder is half-written. The version is in the URL,
//! so a file never changes under its URL: cache forever.

use std::fs::File;

use super::assets::mime_of;
use super::http::{HttpError, HttpResult, Reply};
use super::Worker;
use crate::content::ASSET_EXTENSIONS;
use crate::paths::safe_join;

/// First path segment of pack file URLs (see `packs::FILES_URL`).
pub const PREFIX: &str = "contenus";

pub fn serve(w: &Worker, rest: &[&str]) -> HttpResult {
    let [id, version, ..] = rest else {
        return Err(HttpError::NotFound);
    };
    let current = w.store.pack(id)?.map(|pack| pack.version);
    if current.as_deref() != Some(*version) {
        return Err(HttpError::NotFound);
    }
    let shared = &w.shared;
    let rel = rest.join("/");
    let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if !ext.is_some_and(|e| ASSET_EXTENSIONS.contains(&e.as_str())) {
        return Err(HttpError::NotFound);
    }
    let path = safe_join(&shared.data_dir.join("packs"), &rel).ok_or(HttpError::NotFound)?;
    let file = File::open(&path).map_err(|_| HttpError::NotFound)?;
    let meta = file.metadata().map_err(|_| HttpError::NotFound)?;
    if !meta.is_file() {
        return Err(HttpError::NotFound);
    }
    let mime = mime_of(&rel).ok_or(HttpError::NotFound)?;
    Ok(Reply::file(mime, file, meta.len() as usize)
        .header("Cache-Control", "public, max-age=31536000, immutable")
        // A pack's SVG opened on its own must not run scripts in the portal's origin.
        .header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ))
}
