//! `mednum-kit sync usb|upstream` and `mednum-kit catalog build`.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use super::{lock_library, open_store, open_store_locked};
use crate::cli::{CatalogCommand, SyncCommand};
use crate::config::Config;
use crate::packs::progress::Progress;
use crate::packs::{self, ImportOptions, Imported};
use crate::sync::upstream::{self, Library, Service, Upstream};
use crate::sync::{catalog, http::Client, usb, Status};

pub fn run(command: &SyncCommand, config: &Config) -> Result<()> {
    match command {
        SyncCommand::Usb { path } => from_stick(config, path),
        SyncCommand::Upstream { url, once } => from_upstream(config, url.as_deref(), *once),
    }
}

pub fn catalog(command: &CatalogCommand) -> Result<()> {
    match command {
        CatalogCommand::Build { dir } => {
            let catalog = catalog::build_dir(dir)?;
            for e in &catalog.packs {
                println!("{} {} — {} ({} octets)", e.id, e.version, e.url, e.size);
            }
            println!(
                "`{}` écrit : {} paquet(s). Servez ce dossier tel quel ; son adresse \
                 …/{} se règle dans `[sync] upstream` des kits.",
                dir.join(catalog::FILE_NAME).display(),
                catalog.packs.len(),
                catalog::FILE_NAME
            );
            Ok(())
        }
    }
}

fn from_stick(config: &Config, path: &Path) -> Result<()> {
    if !path.is_dir() {
        bail!(
            "`{}` n'est pas un dossier (la clé est-elle branchée ?)",
            path.display()
        );
    }
    let lock = lock_library(config, false)?;
    let mut store = open_store_locked(config, &lock)?;
    let (found, unreadable) = packs::usb::scan(&[path.to_owned()], &|k| {
        store.is_trusted(k).unwrap_or(false)
    });
    for u in &unreadable {
        println!("illisible : `{}` : {}", u.path.display(), u.error);
    }
    let installed = store.packs()?;
    let chosen: Vec<_> = usb::installable(&found, &installed)
        .into_iter()
        .cloned()
        .collect();
    for f in &found {
        if !chosen.iter().any(|c| c.path == f.path) {
            let current = installed
                .iter()
                .find(|p| p.id == f.id)
                .map(|p| p.version.as_str());
            let why = if !f.trusted {
                "signé par une clé inconnue (voir `mednum-kit trust add`)"
            } else {
                match usb::newness(&f.version, current) {
                    usb::Newness::Same => "déjà installé",
                    usb::Newness::Older => "plus ancien que celui installé",
                    _ => "une version plus récente est sur la clé",
                }
            };
            println!(
                "ignoré : {} {} (`{}`) : {why}",
                f.id,
                f.version,
                f.path.display()
            );
        }
    }
    if chosen.is_empty() {
        println!("rien à installer depuis `{}`", path.display());
    }
    let mut failed = 0;
    for f in &chosen {
        let options = ImportOptions {
            allow_untrusted: false,
            allow_downgrade: false,
            replace_publisher: false,
            consume_file: false,
        };
        match packs::import_file(
            &mut store,
            &lock,
            &f.path,
            &options,
            &Progress::for_stderr(),
        ) {
            Ok(Imported::Installed(r)) => match r.previous {
                Some(p) => println!("mis à jour : {} {p} → {}", r.id, r.version),
                None => println!("installé : {} {}", r.id, r.version),
            },
            Ok(Imported::AlreadyInstalled { id, version }) => {
                println!("déjà installé : {id} {version}")
            }
            Err(e) => {
                failed += 1;
                super::report(&e);
            }
        }
    }
    if failed > 0 {
        bail!("{failed} paquet(s) non installé(s) ; la bibliothèque garde ses autres contenus");
    }
    Ok(())
}

fn from_upstream(config: &Config, url: Option<&str>, once: bool) -> Result<()> {
    let sync = &config.file.sync;
    let Some(up) = Upstream::from_config(sync, url) else {
        bail!(
            "aucun catalogue : donnez son adresse avec `--url http://…/catalog.json`, ou \
             réglez `[sync] upstream` dans kit.toml"
        );
    };
    // The library (and the starter) exist before the first download.
    drop(open_store(config)?);
    let status = Arc::new(Status::default());
    if !once {
        let shutdown = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            signal_hook::flag::register(signal, Arc::clone(&shutdown))
                .context("impossible d'installer l'arrêt propre")?;
        }
        let mut settings = sync.clone();
        settings.upstream = Some(up.url);
        upstream::run(
            &Service {
                reports: crate::sync::reports::sender(
                    &config.data_dir,
                    &config.file.network.hostname,
                    &settings,
                ),
                sync: settings,
                data_dir: config.data_dir.clone(),
                db_path: config.db_path(),
                status,
            },
            &shutdown,
        );
        return Ok(());
    }
    let client = Client::new(upstream::limits(sync));
    let progress = Progress::for_stderr;
    let db_path = config.db_path();
    let lib = Library {
        data_dir: &config.data_dir,
        db_path: &db_path,
        progress: &progress,
    };
    let done = upstream::pass(&client, &up, &lib, &status)?;
    for line in &done.installed {
        println!("installé : {line}");
    }
    println!("à jour : {} paquet(s)", done.up_to_date);
    for line in &done.failed {
        println!("échec : {line}");
    }
    if !done.complete() {
        bail!(
            "{} paquet(s) du catalogue non installé(s) ; la bibliothèque garde ses contenus, \
             relancez la commande pour réessayer",
            done.failed.len()
        );
    }
    Ok(())
}
