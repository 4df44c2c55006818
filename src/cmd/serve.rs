//! `mednum-kit serve`: open the library, install the starter pack if needed, serve.

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::discovery::{self, Announcement};
use crate::packs;
use crate::web::captive::Captive;
use crate::web::{self, ServeOptions, Shared, Site};

pub fn run(args: &ServeArgs, config: &Config) -> Result<()> {
    let started = Instant::now();
    let shutdown = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&shutdown))
            .context("impossible d'installer l'arrêt propre")?;
    }

    // An import running now would look like leftovers: wait for it (one writer at a time).
    let lock = packs::LibraryLock::acquire(&config.data_dir, packs::Wait::Yes, &|| {
        log::info!("another install is running: waiting for it before cleaning leftovers")
    })?;
    let store = super::open_store_locked(config, &lock)?;
    let cleaned = packs::clean_leftovers(&store, &lock)?;
    if cleaned > 0 {
        log::info!("cleaned {cleaned} leftover(s) of an interrupted install");
    }
    drop(store);
    drop(lock);
    let db_path = config.db_path();
    let listener = web::bind(args.listen)?;
    let listening = listener.local_addr().context("adresse d'écoute inconnue")?;

    web::admin::clean_uploads(&config.data_dir);
    let workshops = crate::workshops::Workshops::start(
        &config.data_dir,
        Duration::from_secs(config.file.workshops.retention_days * 86_400),
    )?;
    if workshops.is_running() {
        // A session taken back after a restart: its tutorials' step counts again.
        let mut store = crate::store::Store::open(&config.db_path())?;
        workshops.set_totals_if_missing(|slugs| web::admin::step_totals(&mut store, slugs));
    }
    let admin = &config.file.admin;
    let admin_state = web::admin::AdminState::new(
        Duration::from_secs(admin.session_hours * 3600),
        admin.max_upload_mb << 20,
        crate::system::init::setup_code_in_force(&config.file, &config.data_dir)?,
        config.file.usb.clone(),
        config.file.sync.upstream.clone(),
    );
    let shared = Arc::new(Shared::new(
        Site {
            name: config.file.name.clone(),
            featured_workshop: config.file.portal.featured_workshop.clone(),
        },
        config.data_dir.clone(),
        db_path,
        Captive::new(&config.file, listening),
        admin_state,
        workshops,
        config.file.wifi.clone(),
    ));
    let options = ServeOptions {
        workers: args
            .workers
            .map(usize::from)
            .unwrap_or(config.file.server.workers),
        idle_timeout: Duration::from_secs(config.file.server.idle_timeout_secs),
        max_connections: config.file.server.max_connections,
        notify: crate::notify::Notifier::from_env(),
    };
    start_sync(config, &shared, &shutdown);
    let _announcement = announce(args, config, listening);
    log::debug!("ready in {:?}", started.elapsed());
    web::serve(shared, listener, &options, shutdown)
}

/// The watch on USB sticks and the upstream loop, each on its own thread: a sync never
/// holds a worker, and its installs take the library's lock like any other.
fn start_sync(config: &Config, shared: &Arc<Shared>, shutdown: &Arc<AtomicBool>) {
    let usb = &config.file.usb;
    let owner = Arc::clone(shared);
    let policy = usb.policy;
    crate::sync::usb::watch(
        usb.mount_roots.clone(),
        Duration::from_secs(2),
        Arc::clone(shutdown),
        move |stick| web::admin::packs::on_new_stick(&owner, stick, policy),
    );
    let sync = config.file.sync.clone();
    crate::sync::upstream::spawn(
        crate::sync::upstream::Service {
            reports: crate::sync::reports::sender(
                &config.data_dir,
                &config.file.network.hostname,
                &sync,
            ),
            sync,
            data_dir: config.data_dir.clone(),
            db_path: config.db_path(),
            status: Arc::clone(&shared.sync),
        },
        Arc::clone(shutdown),
    );
}

/// Announces the kit on the local network, unless told not to or listening on loopback.
/// A failure (no multicast interface, say) is a warning: the portal works without it.
fn announce(args: &ServeArgs, config: &Config, listening: SocketAddr) -> Option<Announcement> {
    let network = &config.file.network;
    if args.no_mdns || !network.mdns {
        log::info!("mDNS off");
        return None;
    }
    if listening.ip().is_loopback() {
        log::debug!("mDNS off: listening on loopback only");
        return None;
    }
    let addresses = discovery::addresses_to_announce(network.address, listening);
    let port = network.public_port.unwrap_or(listening.port());
    let what = discovery::Announce {
        hostname: &network.hostname,
        instance: &config.file.name,
        addresses: &addresses,
        port,
    };
    match Announcement::start(&what) {
        Ok(announcement) => {
            let shown: Vec<String> = addresses.iter().map(ToString::to_string).collect();
            log::info!(
                "announced as {}.local ({}) port {port} on the local network",
                network.hostname,
                shown.join(", ")
            );
            Some(announcement)
        }
        Err(e) => {
            log::warn!("the kit is not announced on the local network (mDNS): {e:#}");
            None
        }
    }
}
