//! The portal's own static files (CSS, JS, icons), compiled in and served under `/_kit/` with
//! content-hashed names, so browsers may cache them forever. Text assets are gzip-compressed
//! once, as the table is built at start, and sent so to phones that accept it.

use std::borrow::Cow;
use std::collections::HashMap;

use rust_embed::RustEmbed;

use super::http::{etag_matches, HttpError, HttpResult, Reply};

#[derive(RustEmbed)]
#[folder = "src/web/assets/"]
struct Embedded;

/// URL prefix reserved for the kit's own files.
pub const PREFIX: &str = "/_kit/";

struct Asset {
    data: Cow<'static, [u8]>,
    mime: &'static str,
    etag: String,
    /// The asset gzip-compressed (text only, when it saves enough).
    gzip: Option<Cow<'static, [u8]>>,
}

/// The asset table, built once at start from the hashes rust-embed computed at build time.
pub struct Assets {
    by_hashed: HashMap<String, Asset>,
    url_of: HashMap<String, String>,
}

pub fn mime_of(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "m4a" => "audio/mp4",
        "vtt" => "text/vtt; charset=utf-8",
        "pdf" => "application/pdf",
        _ => return None,
    })
}

impl Assets {
    pub fn load() -> Assets {
        let mut by_hashed = HashMap::new();
        let mut url_of = HashMap::new();
        for name in Embedded::iter() {
            let Some(file) = Embedded::get(&name) else {
                continue;
            };
            let hash = crate::packs::format::to_hex(&file.metadata.sha256_hash());
            let (stem, ext) = name.rsplit_once('.').unwrap_or((&name, ""));
            let hashed = format!("{stem}.{}.{ext}", &hash[..12]);
            url_of.insert(name.to_string(), format!("{PREFIX}{hashed}"));
            let gzip = super::gzip::is_text(&name)
                .then(|| super::gzip::compress(&file.data))
                .flatten()
                .map(Cow::Owned);
            by_hashed.insert(
                hashed,
                Asset {
                    data: file.data,
                    mime: mime_of(&name).unwrap_or("application/octet-stream"),
                    etag: format!("\"{}\"", &hash[..32]),
                    gzip,
                },
            );
        }
        Assets { by_hashed, url_of }
    }

    /// The cache-forever URL of an asset by its plain name (`kit.css`).
    pub fn url(&self, name: &str) -> &str {
        self.url_of
            .get(name)
            .map(String::as_str)
            .unwrap_or("/_kit/missing")
    }

    /// Serves `/_kit/<hashed name>`; `if_none_match` is the request's header, if any;
    /// compressed when the phone `accepts_gzip` (another representation: its own ETag).
    pub fn serve(
        &self,
        hashed: &str,
        if_none_match: Option<&str>,
        accepts_gzip: bool,
    ) -> HttpResult {
        let asset = self.by_hashed.get(hashed).ok_or(HttpError::NotFound)?;
        let (data, etag, gzipped) = match &asset.gzip {
            Some(packed) if accepts_gzip => {
                let etag = format!("{}-gz\"", asset.etag.trim_end_matches('"'));
                (packed, etag, true)
            }
            _ => (&asset.data, asset.etag.clone(), false),
        };
        let reply = if etag_matches(if_none_match, &etag) {
            Reply::not_modified(etag)
        } else {
            Reply::bytes(200, asset.mime, data.clone()).header("ETag", etag)
        };
        let reply = if gzipped && reply.status == 200 {
            reply.header("Content-Encoding", "gzip")
        } else {
            reply
        };
        let reply = if asset.gzip.is_some() {
            reply.header("Vary", "Accept-Encoding")
        } else {
            reply
        };
        Ok(reply.header("Cache-Control", "public, max-age=31536000, immutable"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_gets_a_hashed_url_and_answers() {
        let assets = Assets::load();
        for name in ["kit.css", "kit.js", "icon.svg"] {
            let url = assets.url(name);
            assert!(url.starts_with(PREFIX) && url != "/_kit/missing", "{name}");
            let hashed = &url[PREFIX.len()..];
            assert_eq!(assets.serve(hashed, None, false).unwrap().status, 200);
        }
        assert!(matches!(
            assets.serve("kit.css", None, true),
            Err(HttpError::NotFound)
        ));
    }

    #[test]
    fn a_matching_etag_gets_not_modified() {
        let assets = Assets::load();
        let hashed = &assets.url("kit.css")[PREFIX.len()..];
        let etag = assets.by_hashed[hashed].etag.clone();
        let reply = assets
            .serve(hashed, Some(&format!("\"x\", {etag}")), false)
            .unwrap();
        assert_eq!(reply.status, 304);
    }
}
