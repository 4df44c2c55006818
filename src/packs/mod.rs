//! Content packs: the signed `.kitpack` format, building, verifying, installing,
//! upgrading, rolling back, removing and exporting them, and the embedded starter pack.

pub mod build;
pub mod check;
pub mod format;
pub mod inpack;
mod install;
pub mod keys;
pub mod lock;
pub mod progress;
pub mod starter;
pub mod usb;
pub mod verify;

pub use install::{
    clean_leftovers, export, free_bytes, import_file, install_source, installed_size,
    original_file, remove, rollback, ImportOptions, Imported, InstallReport, Removed, FILES_URL,
};
pub use lock::{LibraryLock, LockError, Wait};
