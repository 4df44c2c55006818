//! `mednum-kit report export`: the activity reports of every account, as CSV or JSON, the
//! same bytes as an admin's download from `/admin/comptes-rendus`.

use std::io::Write;

use anyhow::{bail, Context, Result};

use crate::cli::{ReportCommand, ReportFormat};
use crate::config::Config;
use crate::reports::{export, Date, Filter, Reports, DB_FILE};

pub fn run(command: &ReportCommand, config: &Config) -> Result<()> {
    let ReportCommand::Export { format, since, out } = command;
    let since = match since.as_deref().map(str::trim) {
        None => None,
        Some(text) => match Date::parse(text) {
            Some(date) => Some(date),
            None => bail!(
                "date `{text}` illisible : écrivez-la comme ceci : 2026-01-31 (année, mois, jour)"
            ),
        },
    };
    if !config.data_dir.is_dir() {
        bail!(
            "le dossier du kit `{}` n'existe pas : indiquez-le avec `--data-dir`",
            config.data_dir.display()
        );
    }
    // A kit where no report was ever written has no database yet: none is made for an
    // export (run as another user, it would belong to that user, not to the kit).
    let list = if config.data_dir.join(DB_FILE).exists() {
        Reports::open(&config.data_dir)?.list(&Filter {
            since,
            ..Filter::default()
        })?
    } else {
        Vec::new()
    };
    let bytes = match format {
        ReportFormat::Csv => export::csv(&list),
        ReportFormat::Json => export::json(&list),
    };
    match out {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&bytes)
                .and_then(|()| stdout.flush())
                .context("écriture sur la sortie standard")?;
        }
        Some(path) => {
            use std::os::unix::fs::OpenOptionsExt;
            // The reports' notes are for the kit's staff: the file is readable by its
            // owner only.
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("impossible d'écrire `{}`", path.display()))?;
            file.write_all(&bytes)
                .and_then(|()| file.sync_all())
                .with_context(|| format!("impossible d'écrire `{}`", path.display()))?;
            eprintln!(
                "{} comptes-rendus écrits dans `{}`",
                list.len(),
                path.display()
            );
        }
    }
    Ok(())
}
