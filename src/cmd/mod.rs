//! One module per subcommand, each with one entry function.

pub mod key;
pub mod pack;
pub mod serve;
pub mod system;
pub mod trust;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::store::Store;

/// Opens the library of the data dir, creating both (with the starter pack) if needed.
pub(crate) fn open_store(config: &Config) -> Result<Store> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "impossible de créer le dossier `{}`",
            config.data_dir.display()
        )
    })?;
    let mut store = Store::open(&config.db_path())?;
    if let Some(report) = crate::packs::starter::ensure(&mut store, &config.data_dir)
        .context("installation de la bibliothèque de départ")?
    {
        log::info!(
            "installed starter pack {} {}: {} items, {} files",
            report.id,
            report.version,
            report.items,
            report.files
        );
    }
    Ok(store)
}
