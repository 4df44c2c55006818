//! Sync from an upstream catalog: one pass (catalog → what is new or newer → download,
//! verify, import through the same path as a stick), and the loop `serve` runs in the
//! background, with exponential backoff and jitter while the upstream cannot be reached.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::catalog::{self, Entry};
use super::http::{self, Client, Limits};
use super::status::Status;
use crate::config::SyncConfig;
use crate::packs::progress::Progress;
use crate::packs::{self, verify, ImportOptions, Imported, LibraryLock, Wait};
use crate::store::Store;

/// The downloads' folder in the data dir: partial files stay there between attempts.
pub const DOWNLOADS: &str = "downloads";

/// What to take from which upstream.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// The catalog's own address.
    pub url: String,
    /// Only these pack ids (empty: all).
    pub packs: Vec<String>,
    /// Only packs in one of these languages (empty: all).
    pub languages: Vec<String>,
}

impl Upstream {
    pub fn from_config(sync: &SyncConfig, url: Option<&str>) -> Option<Upstream> {
        let url = url.map(str::to_owned).or_else(|| sync.upstream.clone())?;
        Some(Upstream {
            url,
            packs: sync.packs.clone(),
            languages: sync.languages.clone(),
        })
    }

    fn wants(&self, entry: &Entry) -> bool {
        (self.packs.is_empty() || self.packs.contains(&entry.id))
            && (self.languages.is_empty()
                || entry.languages.iter().any(|l| self.languages.contains(l)))
    }
}

pub fn limits(sync: &SyncConfig) -> Limits {
    Limits {
        max_catalog: sync.max_catalog_kb << 10,
        bandwidth: sync.bandwidth_kbps.map(|k| k << 10),
        ..Limits::default()
    }
}

/// What one pass did.
#[derive(Debug, Default)]
pub struct Pass {
    /// "starter 1.2.0" for each pack installed or updated.
    pub installed: Vec<String>,
    pub up_to_date: usize,
    /// One message per pack that could not be had.
    pub failed: Vec<String>,
}

impl Pass {
    /// Everything the catalog lists (and the kit wants) is installed or up to date.
    pub fn complete(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Where the library is, and how to make progress visible.
pub struct Library<'a> {
    pub data_dir: &'a Path,
    pub db_path: &'a Path,
    /// A progress for each download and install (a bar on a terminal, the page's otherwise).
    pub progress: &'a dyn Fn() -> Progress,
}

/// One pass: reads the catalog, then downloads and installs what is new or newer. An
/// error reading the catalog stops the pass; a pack that fails is noted and the others go on.
pub fn pass(client: &Client, up: &Upstream, lib: &Library<'_>, status: &Status) -> Result<Pass> {
    status.set_now(Some(format!("lecture du catalogue `{}`", up.url)));
    let catalog = client.catalog(&up.url)?;
    let wanted: Vec<&Entry> = catalog
        .newest()
        .into_iter()
        .filter(|e| up.wants(e))
        .collect();
    status.note(
        true,
        format!(
            "catalogue `{}` : {} paquet(s) proposé(s)",
            up.url,
            wanted.len()
        ),
    );
    let downloads = lib.data_dir.join(DOWNLOADS);
    forget_other_downloads(&downloads, &wanted);
    let mut done = Pass::default();
    for entry in wanted {
        let label = format!("{} {}", entry.id, entry.version);
        match fetch_one(client, up, entry, lib, &downloads, status) {
            Ok(Some(installed)) => {
                status.note(true, installed.clone());
                done.installed.push(label);
            }
            Ok(None) => done.up_to_date += 1,
            Err(e) => {
                let text = format!("{label} : {}", crate::cmd::describe(&e));
                status.note(false, text.clone());
                done.failed.push(text);
            }
        }
    }
    status.set_now(None);
    Ok(done)
}

/// Installs `entry` if it is new or newer; `None` when the kit already has it.
fn fetch_one(
    client: &Client,
    up: &Upstream,
    entry: &Entry,
    lib: &Library<'_>,
    downloads: &Path,
    status: &Status,
) -> Result<Option<String>> {
    let store = Store::open(lib.db_path)?;
    if let Some(row) = store.pack(&entry.id)? {
        let installed = semver::Version::parse(&row.version).ok();
        if installed.is_some_and(|v| v >= entry.semver()) {
            return Ok(None);
        }
    }
    // Not worth the download: the import would refuse it.
    match &entry.publisher {
        None => bail!("paquet non signé : le kit n'installe que des paquets signés"),
        Some(key) if !store.is_trusted(key)? => bail!(
            "signé par une clé inconnue `{}…` ; si vous faites confiance à cet éditeur, \
             ajoutez sa clé avec `mednum-kit trust add`",
            packs::format::short_key(key)
        ),
        Some(_) => {}
    }
    drop(store);
    let url = catalog::resolve(&up.url, &entry.url)?;
    status.set_now(Some(format!(
        "téléchargement de {} {}",
        entry.id, entry.version
    )));
    status.note(
        true,
        format!("téléchargement de `{url}` ({} octets)", entry.size),
    );
    let file = client.download(entry, &url, downloads, &(lib.progress)())?;
    let result = install(&file, entry, lib, status);
    // Installed: the file moved into the library. Refused: it will not get better.
    let _ = std::fs::remove_file(&file);
    result.map(Some)
}

/// Checks that the file is the pack the catalog named, then imports it.
fn install(file: &Path, entry: &Entry, lib: &Library<'_>, status: &Status) -> Result<String> {
    let shown = file.display().to_string();
    let open = verify::open(file, &|_| true, true)
        .with_context(|| format!("paquet `{}` refusé", entry.url))?;
    let m = &open.manifest;
    if m.id != entry.id || m.version != entry.version {
        bail!(
            "le catalogue annonce {} {} mais le fichier contient {} {}",
            entry.id,
            entry.version,
            m.id,
            m.version
        );
    }
    drop(open);
    status.set_now(Some(format!(
        "installation de {} {}",
        entry.id, entry.version
    )));
    let lock = LibraryLock::acquire(lib.data_dir, Wait::Yes, &|| {
        status.note(true, "une autre installation est en cours : attente")
    })?;
    let mut store = Store::open(lib.db_path)?;
    let options = ImportOptions {
        allow_untrusted: false,
        allow_downgrade: false,
        replace_publisher: false,
        consume_file: true,
    };
    let imported = packs::import_file(&mut store, &lock, file, &options, &(lib.progress)())
        .map_err(|e| anyhow::anyhow!(crate::cmd::describe(&e).replace(&shown, &entry.url)))?;
    Ok(match imported {
        Imported::Installed(r) => match r.previous {
            Some(p) => format!("mis à jour : {} {p} → {}", r.id, r.version),
            None => format!("installé : {} {}", r.id, r.version),
        },
        Imported::AlreadyInstalled { id, version } => format!("déjà installé : {id} {version}"),
    })
}

/// Removes downloads (whole or partial) of files the catalog no longer lists.
fn forget_other_downloads(dir: &Path, wanted: &[&Entry]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let sha = name.split('.').next().unwrap_or_default();
        if !wanted.iter().any(|e| e.sha256 == sha) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The wait after `failures` failed attempts in a row: 30 s, doubling, at most 30 min,
/// ±20 % at random so that kits that lost the same upstream do not all come back at once.
pub fn backoff(failures: u32) -> Duration {
    let base = 30u64.saturating_mul(1 << failures.min(6)).min(1800);
    let mut byte = [0u8; 1];
    let _ = getrandom::fill(&mut byte);
    let factor = 0.8 + 0.4 * f64::from(byte[0]) / 255.0;
    Duration::from_secs_f64(base as f64 * factor)
}

/// Run after each pass that reached the network (sends the reports).
pub type AfterPass = Box<dyn Fn(&Status) + Send>;

/// What the background loop needs.
pub struct Service {
    pub sync: SyncConfig,
    pub data_dir: PathBuf,
    pub db_path: PathBuf,
    pub status: Arc<Status>,
    /// Sends the reports after each pass that reached the network.
    pub reports: AfterPass,
}

/// Starts the background loop, if an upstream or a reports folder is set.
pub fn spawn(service: Service, shutdown: Arc<AtomicBool>) {
    if service.sync.upstream.is_none() && service.sync.reports_url.is_none() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("sync".into())
        .spawn(move || run(&service, &shutdown));
    if let Err(e) = spawned {
        log::error!("sync: cannot start its thread: {e}");
    }
}

/// Checks, passes and waits until `shutdown`.
pub fn run(service: &Service, shutdown: &AtomicBool) {
    let client = Client::new(limits(&service.sync));
    let upstream = Upstream::from_config(&service.sync, None);
    let probe = upstream
        .as_ref()
        .map(|u| u.url.clone())
        .or_else(|| service.sync.reports_url.clone())
        .unwrap_or_default();
    let status = &service.status;
    let progress = Progress::silent;
    let lib = Library {
        data_dir: &service.data_dir,
        db_path: &service.db_path,
        progress: &progress,
    };
    let interval = Duration::from_secs(service.sync.check_minutes * 60);
    let mut failures = 0u32;
    // A short first wait: the kit has just started, the network may come up with it.
    let mut wait = Duration::from_secs(2);
    while !shutdown.load(Ordering::Relaxed) {
        status.set_next_try(wait);
        sleep_unless_shutdown(status, wait, shutdown);
        if shutdown.load(Ordering::Relaxed) {
            break;
        }
        if !http::reachable(&probe, Duration::from_secs(5)) {
            failures = failures.saturating_add(1);
            wait = backoff(failures);
            status.set_now(None);
            status.note(
                false,
                format!(
                    "`{}` injoignable : nouvel essai dans {} s",
                    http::without_credentials(&probe),
                    wait.as_secs()
                ),
            );
            continue;
        }
        let complete = match &upstream {
            Some(up) => match pass(&client, up, &lib, status) {
                Ok(done) => done.complete(),
                Err(e) => {
                    status.note(false, crate::cmd::describe(&e));
                    false
                }
            },
            None => true,
        };
        (service.reports)(status);
        if complete {
            failures = 0;
            wait = interval;
        } else {
            failures = failures.saturating_add(1);
            wait = backoff(failures);
        }
        log::info!(
            "sync: pass {}; next in {} s",
            if complete { "complete" } else { "incomplete" },
            wait.as_secs()
        );
        status.pass_done(complete, wait);
    }
}

/// Sleeps `total` in steps, so that a shutdown or a "sync now" ends the wait.
fn sleep_unless_shutdown(status: &Status, total: Duration, shutdown: &AtomicBool) {
    let step = Duration::from_millis(500);
    let mut left = total;
    while !left.is_zero() && !shutdown.load(Ordering::Relaxed) {
        let now = left.min(step);
        if status.sleep(now) {
            return;
        }
        left = left.saturating_sub(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_half_an_hour_with_jitter() {
        for failures in 0..20 {
            let base = (30u64 << failures.min(6)).min(1800) as f64;
            let got = backoff(failures).as_secs_f64();
            assert!(
                got >= base * 0.8 - 0.001 && got <= base * 1.2 + 0.001,
                "{failures}: {got}"
            );
        }
    }

    #[test]
    fn subscriptions_filter_by_id_and_language() {
        let entry = |id: &str, lang: &str| Entry {
            id: id.into(),
            version: "1.0.0".into(),
            title: id.into(),
            languages: vec![lang.into()],
            size: 1,
            sha256: "0".repeat(64),
            publisher: None,
            url: "x".into(),
        };
        let up = Upstream {
            url: "http://h/catalog.json".into(),
            packs: vec![],
            languages: vec!["fr".into()],
        };
        assert!(up.wants(&entry("a", "fr")));
        assert!(!up.wants(&entry("a", "ar")));
        let up = Upstream {
            packs: vec!["b".into()],
            languages: vec![],
            ..up
        };
        assert!(!up.wants(&entry("a", "fr")));
        assert!(up.wants(&entry("b", "ar")));
    }
}
