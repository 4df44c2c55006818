//! Kit-to-kit sharing: every kit serves `/catalog.json` (its installed packs that have their
//! original signed file) and those files under `/packs/ID/VERSION.kitpack`, with single
//! `Range` requests (`web::range`) so that another kit resumes a cut download. At most
//! `MAX_SENDING` pack files are sent at once: a worker is not held (tiny_http's sender sends
//! large bodies), but the Wi-Fi and the disk are the phones' first.

use std::borrow::Cow;
use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::http::{Body, HttpError, HttpResult, Reply, Slot};
use super::range;
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
    /// A worker is making the catalog (hashing new pack files): the others do not wait.
    building: AtomicBool,
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
            let Some(_building) = Building::start(&sharing.building) else {
                return Ok(busy(
                    "Le kit prépare sa liste de paquets : réessayez dans un moment.\n",
                ));
            };
            let built = build(w);
            let bytes: Arc<[u8]> = built?.to_bytes().into();
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
    let file = File::open(&path).map_err(|_| HttpError::NotFound)?;
    let size = file.metadata().map_err(|_| HttpError::NotFound)?.len();
    let part = match range::select(range, true, size) {
        Ok(part) => part,
        Err(unsatisfiable) => return Ok(unsatisfiable),
    };
    let Some(slot) = Slot::take(&w.shared.sharing.sending, MAX_SENDING) else {
        return Ok(Reply::bytes(
            503,
            "text/plain; charset=utf-8",
            Cow::Borrowed(
                "Le kit envoie déjà des paquets : réessayez dans un moment.\n".as_bytes(),
            ),
        )
        .header("Retry-After", "30"));
    };
    // The place is held until the body is sent (tiny_http keeps the body until then).
    let body = part.of_file(file, 0).holding(slot);
    let reply = Reply {
        status: part.status(),
        headers: Vec::new(),
        body: Body::File(body),
        len: part.len as usize,
    }
    .header("Content-Type", "application/octet-stream")
    .header("X-Content-Type-Options", "nosniff")
    .header("Cache-Control", "no-cache");
    Ok(part.headers(reply))
}

/// The one worker making the catalog; the flag drops with it, even on a panic.
struct Building<'a>(&'a AtomicBool);

impl<'a> Building<'a> {
    fn start(flag: &'a AtomicBool) -> Option<Building<'a>> {
        (!flag.swap(true, Ordering::AcqRel)).then_some(Building(flag))
    }
}

impl Drop for Building<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// `503` with `Retry-After`: another kit asks again later (its sync backs off).
fn busy(text: &'static str) -> Reply {
    Reply::bytes(
        503,
        "text/plain; charset=utf-8",
        Cow::Borrowed(text.as_bytes()),
    )
    .header("Retry-After", "30")
}
