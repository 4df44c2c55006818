//! The portal over HTTP: server loop, routing, limits, pages and assets.

pub mod admin;
pub mod assets;
pub mod captive;
mod entered;
mod files;
mod forms;
mod glossary;
mod gzip;
mod http;
mod learner;
mod liveness;
pub(crate) mod multipart;
mod pages;
pub mod prefs;
pub mod qr;
mod range;
mod router;
mod server;
mod sharing;
mod takehome;
mod templates;
pub mod url;
mod workshop;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

pub use server::{bind, serve, ServeOptions, MAX_BODY, MAX_HEADER_BYTES, MAX_URL};

use crate::i18n::Catalog;
use crate::store::Store;

/// The settings an admin may change while the kit runs (the settings page).
#[derive(Debug, Clone)]
pub struct Site {
    pub name: String,
    /// The workshop shown first on the home page, if one was chosen.
    pub featured_workshop: Option<String>,
}

/// What every worker shares.
pub struct Shared {
    site: RwLock<Arc<Site>>,
    /// Changes with each change of `site`: rendered pages are then stale.
    site_generation: AtomicU64,
    pub assets: assets::Assets,
    pub data_dir: PathBuf,
    pub db_path: PathBuf,
    /// The captive portal's settings and the phones that pressed "Entrer".
    pub captive: captive::Captive,
    /// The admin pages' shared state: settings, login throttle, long jobs, uploads.
    pub admin: admin::AdminState,
    /// The pop-up workshop running now, if any, and its learners' progress.
    pub workshops: Arc<crate::workshops::Workshops>,
    /// What the projector page shows to join the kit's Wi-Fi.
    pub wifi: crate::config::WifiConfig,
    /// What sync (sticks, upstream) did lately; the packs page shows it.
    pub sync: Arc<crate::sync::Status>,
    /// The kit's packs served to other kits (`/catalog.json`).
    pub sharing: sharing::Sharing,
    /// Pack text files (SVG, subtitles) gzip-compressed once.
    pub gzip_files: gzip::FileCache,
    /// Big take-home files being built (`takehome::MAX_BIG_BUILDS` at once).
    pub takehome_builds: Arc<std::sync::atomic::AtomicUsize>,
    /// Learner pages rendered for the current library, for every worker and connection.
    pub pages: pages::Pages,
}

impl Shared {
    pub fn new(
        site: Site,
        data_dir: PathBuf,
        db_path: PathBuf,
        captive: captive::Captive,
        admin: admin::AdminState,
        workshops: Arc<crate::workshops::Workshops>,
        wifi: crate::config::WifiConfig,
    ) -> Shared {
        Shared {
            site: RwLock::new(Arc::new(site)),
            site_generation: AtomicU64::new(0),
            assets: assets::Assets::load(),
            data_dir,
            pages: pages::Pages::new(&db_path),
            db_path,
            captive,
            admin,
            workshops,
            wifi,
            sync: Arc::default(),
            sharing: sharing::Sharing::default(),
            gzip_files: gzip::FileCache::default(),
            takehome_builds: Arc::default(),
        }
    }

    /// The texts in the language of the request being answered (`i18n::current`).
    pub fn catalog(&self) -> &'static Catalog {
        crate::i18n::current()
    }

    /// The current name and featured workshop.
    pub fn site(&self) -> Arc<Site> {
        Arc::clone(&self.site.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts new settings in force for the next pages.
    pub fn set_site(&self, site: Site) {
        *self.site.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(site);
        self.site_generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn site_generation(&self) -> u64 {
        self.site_generation.load(Ordering::Acquire)
    }
}

/// One worker thread's state: its own database connection and the shared part.
pub struct Worker {
    pub store: Store,
    pub shared: Arc<Shared>,
    /// This worker's connection to the accounts, opened at the first admin request.
    pub accounts: Option<crate::accounts::Accounts>,
    /// This worker's connection to the activity reports, opened at their first page.
    pub reports: Option<crate::reports::Reports>,
    /// A handler that takes the request over (an upload, read on a thread of its own)
    /// leaves it here; the server then hands the request to it instead of answering.
    pub handoff: Option<admin::Handoff>,
    /// The phone's anonymous id during a workshop (set by the router for learner pages).
    pub device: Option<String>,
}
