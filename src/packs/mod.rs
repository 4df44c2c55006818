//! Content packs: installing a pack's rendered items and files into the library, and the
//! starter pack compiled into the binary.

mod install;
pub mod starter;

pub use install::{clean_leftovers, install, InstallReport, FILES_URL};
