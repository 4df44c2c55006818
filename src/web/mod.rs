//! The portal over HTTP: server loop, routing, limits, pages and assets.

pub mod assets;
pub mod captive;
mod entered;
mod files;
mod http;
mod learner;
mod liveness;
// No caller yet: the admin page's `.kitpack` upload will be the first.
#[cfg_attr(not(test), expect(dead_code))]
pub(crate) mod multipart;
mod pages;
mod router;
mod server;
mod templates;
pub mod url;

use std::path::PathBuf;
use std::sync::Arc;

pub use server::{bind, serve, ServeOptions, MAX_BODY, MAX_HEADER_BYTES, MAX_URL};

use crate::i18n::Catalog;
use crate::store::Store;

/// What every worker shares, read-only.
pub struct Shared {
    pub site_name: String,
    /// The workshop shown first on the home page, if the conseiller set one.
    pub featured_workshop: Option<String>,
    pub catalog: &'static Catalog,
    pub assets: assets::Assets,
    pub data_dir: PathBuf,
    pub db_path: PathBuf,
    /// The captive portal's settings and the phones that pressed "Entrer".
    pub captive: captive::Captive,
}

/// One worker thread's state: its own database connection and the shared part.
pub struct Worker {
    pub store: Store,
    pub shared: Arc<Shared>,
    /// Learner pages this worker rendered for the current library.
    pub pages: pages::PageCache,
}
