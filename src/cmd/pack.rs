//! `mednum-kit pack build|check|import|list|remove|rollback|export`.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use super::{lock_library, open_store, open_store_locked};
use crate::cli::PackCommand;
use crate::config::Config;
use crate::content::dir::DirSource;
use crate::packs::format::{short_key, EXTENSION};
use crate::packs::progress::Progress;
use crate::packs::{self, check, keys, verify, ImportOptions, Imported, Removed};

pub fn run(command: &PackCommand, config: &Config) -> Result<()> {
    match command {
        PackCommand::Build { src, out, key } => build(src, out, key.as_deref()),
        PackCommand::Check { path } => {
            let report = check::check_path(path)?;
            print!("{}", report.render());
            if report.errors() > 0 {
                bail!(
                    "{} erreur(s) à corriger dans `{}`",
                    report.errors(),
                    path.display()
                );
            }
            Ok(())
        }
        PackCommand::Import {
            path,
            allow_untrusted,
            allow_downgrade,
            replace_publisher,
            wait,
        } => {
            let options = ImportOptions {
                allow_untrusted: *allow_untrusted,
                allow_downgrade: *allow_downgrade,
                replace_publisher: *replace_publisher,
                consume_file: false,
            };
            import(config, path, &options, wait.no_wait)
        }
        PackCommand::List { json } => list(config, *json),
        PackCommand::Remove { id, wait } => {
            let lock = lock_library(config, wait.no_wait)?;
            let mut store = open_store_locked(config, &lock)?;
            match packs::remove(&mut store, &lock, id)? {
                Removed::Gone => println!("paquet `{id}` retiré"),
                Removed::StarterRestored(report) => println!(
                    "paquet `{id}` : la bibliothèque de départ intégrée au kit est remise \
                     (version {})",
                    report.version
                ),
            }
            Ok(())
        }
        PackCommand::Rollback {
            id,
            allow_untrusted,
            wait,
        } => {
            let lock = lock_library(config, wait.no_wait)?;
            let mut store = open_store_locked(config, &lock)?;
            let report = packs::rollback(&mut store, &lock, id, *allow_untrusted)?;
            println!(
                "paquet `{id}` revenu à la version {} (la version {} reste disponible)",
                report.version,
                report.previous.unwrap_or_default()
            );
            Ok(())
        }
        PackCommand::Export { args, all } => export(config, args, *all),
    }
}

fn build(src: &Path, out: &Path, key: Option<&Path>) -> Result<()> {
    let report = check::check_path(src)?;
    print!("{}", report.render());
    if report.errors() > 0 {
        bail!(
            "{} erreur(s) dans `{}` : corrigez-les avant de fabriquer le paquet",
            report.errors(),
            src.display()
        );
    }
    let key = key.map(keys::load_secret).transpose()?;
    let source = DirSource::open(src)?;
    let manifest = packs::build::build(&source, out, key.as_ref())?;
    let signature = match manifest.publisher_short() {
        Some(k) => format!("signé par la clé {k}…"),
        None => "non signé".to_owned(),
    };
    println!(
        "paquet `{}` écrit : {} {}, {} contenus, {} fichiers, {signature}",
        out.display(),
        manifest.id,
        manifest.version,
        manifest.items.len(),
        manifest.files.len()
    );
    Ok(())
}

/// The `.kitpack` files of a folder, newest version of each pack first.
fn packs_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("impossible de lire `{}`", dir.display()))?;
    let mut found: Vec<(String, semver::Version, PathBuf)> = Vec::new();
    let mut unreadable = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some(EXTENSION) || !path.is_file() {
            continue;
        }
        match verify::open(&path, &|_| true, true) {
            Ok(open) => {
                let version = semver::Version::parse(&open.manifest.version)?;
                found.push((open.manifest.id.clone(), version, path));
            }
            // Imported below all the same, so its error is reported with the others.
            Err(_) => unreadable.push(path),
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    Ok(found
        .into_iter()
        .map(|(_, _, p)| p)
        .chain(unreadable)
        .collect())
}

fn import(config: &Config, path: &Path, options: &ImportOptions, no_wait: bool) -> Result<()> {
    let lock = lock_library(config, no_wait)?;
    let mut store = open_store_locked(config, &lock)?;
    packs::clean_leftovers(&store, &lock)?;
    let files = if path.is_dir() {
        let files = packs_in(path)?;
        if files.is_empty() {
            bail!("aucun fichier `.{EXTENSION}` dans `{}`", path.display());
        }
        files
    } else {
        vec![path.to_owned()]
    };
    let mut failed = 0;
    for file in &files {
        let progress = Progress::for_stderr();
        match packs::import_file(&mut store, &lock, file, options, &progress) {
            Ok(Imported::Installed(r)) => match &r.previous {
                Some(previous) => println!(
                    "mis à jour : {} {} → {} ({} contenus)",
                    r.id, previous, r.version, r.items
                ),
                None => println!("installé : {} {} ({} contenus)", r.id, r.version, r.items),
            },
            Ok(Imported::AlreadyInstalled { id, version }) => {
                println!("déjà installé : {id} {version} (rien à faire)")
            }
            Err(e) if path.is_dir() && is_downgrade(&e) => {
                println!(
                    "ignoré : `{}` est plus ancien que la version installée",
                    file.display()
                )
            }
            Err(e) => {
                failed += 1;
                super::report(&e);
            }
        }
    }
    if failed > 0 {
        bail!("{failed} paquet(s) refusé(s) ; la bibliothèque garde ses autres contenus");
    }
    Ok(())
}

fn is_downgrade(e: &anyhow::Error) -> bool {
    e.to_string().contains("--allow-downgrade")
}

fn list(config: &Config, json: bool) -> Result<()> {
    let store = open_store(config)?;
    let packs = store.packs()?;
    let trust = |p: &crate::store::PackRow| -> String {
        match (&p.publisher, p.trusted) {
            (None, true) => "intégré au kit".into(),
            (None, false) => "NON SIGNÉ".into(),
            (Some(k), true) => format!("signé {}…", short_key(k)),
            (Some(k), false) => format!("CLÉ NON FIABLE {}…", short_key(k)),
        }
    };
    if json {
        let rows: Vec<_> = packs
            .iter()
            .map(|p| {
                serde_json::json!({
                    "id": p.id,
                    "version": p.version,
                    "title": p.title,
                    "items": p.items,
                    "previous_version": p.previous_version,
                    "publisher": p.publisher,
                    "trusted": p.trusted,
                    "owner": p.owner,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if packs.is_empty() {
        println!("aucun paquet installé");
    }
    for p in &packs {
        let previous = p
            .previous_version
            .as_deref()
            .map(|v| format!(", précédente {v}"))
            .unwrap_or_default();
        println!(
            "{} {} — {} — {} contenus — {}{previous}",
            p.id,
            p.version,
            p.title,
            p.items,
            trust(p)
        );
    }
    Ok(())
}

fn export(config: &Config, args: &[String], all: bool) -> Result<()> {
    let store = open_store(config)?;
    let (ids, dest): (Vec<String>, &str) = match (all, args) {
        (true, [dest]) => (store.packs()?.into_iter().map(|p| p.id).collect(), dest),
        (false, [id, dest]) => (vec![id.clone()], dest),
        (true, _) => bail!("avec `--all`, donnez seulement le dossier de destination"),
        (false, _) => bail!("donnez l'identifiant du paquet puis le dossier (ou `--all DOSSIER`)"),
    };
    let progress = Progress::for_stderr();
    for id in &ids {
        progress.step(format!("export de `{id}`"));
        let written = packs::export(&store, &config.data_dir, id, Path::new(dest))
            .map_err(|e| anyhow!("export de `{id}` impossible : {}", super::describe(&e)))?;
        println!("exporté : {}", written.display());
    }
    progress.finish();
    if all {
        // The folder is then an upstream itself (a stick for another kit, a web folder).
        let catalog = crate::sync::catalog::build_dir(Path::new(dest))?;
        println!(
            "catalogue écrit : {} ({} paquet(s))",
            Path::new(dest)
                .join(crate::sync::catalog::FILE_NAME)
                .display(),
            catalog.packs.len()
        );
    }
    Ok(())
}
