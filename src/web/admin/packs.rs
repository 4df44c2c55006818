//! The packs page: what is installed (version, size, publisher), upload, the packs on a
//! plugged-in stick, rollback, removal, export to a stick; and the pages of long jobs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use maud::{html, Markup};

use super::jobs::{Job, Outcome};
use super::{admin_page, csrf_input, notice, reply, Ctx};
use crate::config::UsbPolicy;
use crate::i18n::fill;
use crate::packs::format::short_key;
use crate::packs::progress::Progress;
use crate::packs::{self, usb, ImportOptions, Imported, LibraryLock, Removed, Wait};
use crate::store::Store;
use crate::sync::usb::{installable, is_read_only, newness, remount, stick_name, Newness};
use crate::web::http::{HttpError, HttpResult, Reply};
use crate::web::{Shared, Worker};

fn internal(e: impl std::fmt::Display) -> HttpError {
    HttpError::Internal(e.to_string())
}

/// "12,3 Mo" (or ko for small files).
pub fn size_label(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} ko", bytes.div_ceil(1024))
    } else {
        let tenths = bytes * 10 / (1024 * 1024);
        format!("{},{} Mo", tenths / 10, tenths % 10)
    }
}

/// `GET /admin/paquets`.
pub fn list(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let session = ctx.session()?.clone();
    w.store.begin_read()?;
    let installed = w.store.packs();
    let keys = w.store.trusted_keys();
    w.store.end_read();
    let (installed, keys) = (installed?, keys?);
    let key_name = |key: &str| {
        keys.iter()
            .find(|(k, _)| k == key)
            .map(|(_, name)| name.clone())
            .filter(|n| !n.is_empty())
    };
    let trusted = |key: &str| keys.iter().any(|(k, _)| k == key);
    let (on_sticks, unreadable) = usb::scan(&shared.admin.usb.mount_roots, &trusted);
    let sticks = usb::sticks(&shared.admin.usb.mount_roots);
    let jobs = shared.admin.jobs.recent();
    let max_mb = shared.admin.max_upload >> 20;
    let done = ctx.req.target.param("fait");

    let main = html! {
        h1 { (t.a("packs_title")) }
        @if let Some(done) = done {
            @if done == "envoi" { (notice(true, t.a("upload_done"))) }
            @if done == "synchro" { (notice(true, t.a("sync_started"))) }
        }
        @if !jobs.is_empty() {
            section aria-labelledby="travaux" {
                h2 #travaux { (t.a("jobs_heading")) }
                ul.plain {
                    @for job in jobs.iter().take(5) {
                        li { a href=(format!("/admin/travaux/{}", job.id)) { (job.title) } " — " (job_status(&shared, job)) }
                    }
                }
            }
        }
        section aria-labelledby="installes" {
            h2 #installes { (t.a("packs_installed")) }
            ul.rows {
                @for p in &installed {
                    li.row {
                        p.row-title { (p.title) }
                        p {
                            (fill(t.a("pack_line"), &[("id", &p.id), ("version", &p.version), ("items", &p.items.to_string())]))
                            @if let Some(size) = packs::installed_size(&shared.data_dir, &p.id, &p.version) {
                                " · " (size_label(size))
                            }
                        }
                        p.hint {
                            @match (&p.publisher, p.trusted) {
                                (None, true) => (t.a("publisher_builtin")),
                                (None, false) => (t.a("publisher_unsigned")),
                                (Some(k), true) => (fill(t.a("publisher_key"), &[("key", short_key(k)), ("name", &key_name(k).unwrap_or_default())])),
                                (Some(k), false) => (fill(t.a("publisher_untrusted"), &[("key", short_key(k))])),
                            }
                        }
                        div.actions {
                            @if let Some(previous) = &p.previous_version {
                                form.inline action=(format!("/admin/paquets/{}/retour", p.id)) method="post" {
                                    (csrf_input(&session))
                                    button.button.secondary type="submit" { (fill(t.a("rollback_to"), &[("version", previous)])) }
                                }
                            }
                            @if !(p.id == packs::starter::STARTER_ID && packs::starter::is_built_in(p)) {
                                form.inline action=(format!("/admin/paquets/{}/retirer", p.id)) method="post" {
                                    (csrf_input(&session))
                                    button.button.danger type="submit" {
                                        @if p.id == packs::starter::STARTER_ID { (t.a("restore_starter")) } @else { (t.a("remove_pack")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (sync_section(&shared, &session))
        section aria-labelledby="envoyer" {
            h2 #envoyer { (t.a("upload_heading")) }
            p { (fill(t.a("upload_intro"), &[("max", &max_mb.to_string())])) }
            form.stack #envoi action=(super::UPLOAD_PATH) method="post" enctype="multipart/form-data"
                data-max=(shared.admin.max_upload) data-too-big=(fill(t.a("upload_too_big"), &[("max", &max_mb.to_string())]))
                data-sending=(t.a("upload_sending")) data-failed=(t.a("upload_failed")) {
                (csrf_input(&session))
                label for="paquet" { (t.a("upload_label")) }
                input #paquet type="file" name="paquet" accept=".kitpack" required;
                progress #envoi-progression hidden max="100" value="0" {}
                p #envoi-etat role="status" {}
                button.button type="submit" { (t.a("upload_submit")) }
            }
        }
        section aria-labelledby="usb" {
            h2 #usb { (t.a("usb_heading")) }
            @if on_sticks.is_empty() && unreadable.is_empty() {
                p { (t.a("usb_none")) }
            }
            ul.rows {
                @for f in &on_sticks {
                    @let status = stick_status(&shared, f, &installed);
                    li.row {
                        p.row-title { (f.title) }
                        p { (fill(t.a("usb_line"), &[("id", &f.id), ("version", &f.version)])) " · " (status.0) }
                        p.hint { (shown_path(&f.path)) }
                        @if !f.trusted {
                            p.hint { (t.a("usb_untrusted")) }
                        } @else if status.1 {
                            form.inline action="/admin/paquets/cle-usb" method="post" {
                                (csrf_input(&session))
                                input type="hidden" name="fichier" value=(f.path.display());
                                button.button type="submit" { (t.a("usb_install")) }
                            }
                        }
                    }
                }
                @for u in &unreadable {
                    li.row {
                        p.row-title { (shown_path(&u.path)) }
                        p.hint { (t.a("usb_unreadable")) " " (u.error) }
                    }
                }
            }
            @for stick in &sticks {
                form.inline action="/admin/paquets/exporter" method="post" {
                    (csrf_input(&session))
                    input type="hidden" name="cle" value=(stick.display());
                    button.button.secondary type="submit" {
                        (fill(t.a("export_to"), &[("stick", &stick.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())]))
                    }
                }
            }
        }
    };
    Ok(reply(
        200,
        admin_page(&shared, Some(&session), t.a("packs_title"), main),
    ))
}

/// A path on a stick without its mount root's prefix (`CLE/dossier/x.kitpack`).
fn shown_path(path: &Path) -> String {
    let parts: Vec<_> = path.components().rev().take(3).collect();
    parts
        .into_iter()
        .rev()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// How a pack on a stick compares with the installed one, and whether installing it would
/// change anything.
fn stick_status(
    shared: &Shared,
    f: &usb::Found,
    installed: &[crate::store::PackRow],
) -> (String, bool) {
    let t = shared.catalog();
    let current = installed
        .iter()
        .find(|p| p.id == f.id)
        .map(|p| p.version.as_str());
    let version = current.unwrap_or_default();
    match newness(&f.version, current) {
        Newness::New => (t.a("usb_new").into(), true),
        Newness::Newer => (fill(t.a("usb_newer"), &[("version", version)]), true),
        Newness::Same => (t.a("usb_same").into(), false),
        Newness::Older => (fill(t.a("usb_older"), &[("version", version)]), false),
    }
}

/// A stick just plugged in: its packs are listed in the sync lines and, with the `auto`
/// policy, those worth installing are installed (one job each, one after the other).
pub fn on_new_stick(shared: &Arc<Shared>, stick: &Path, policy: UsbPolicy) {
    let t = shared.catalog();
    let name = stick_name(stick);
    let store = match Store::open(&shared.db_path) {
        Ok(store) => store,
        Err(e) => return shared.sync.note(false, e.to_string()),
    };
    let (found, unreadable) = usb::scan(&[stick.to_owned()], &|k| {
        store.is_trusted(k).unwrap_or(false)
    });
    let installed = store.packs().unwrap_or_default();
    drop(store);
    let chosen = installable(&found, &installed);
    shared.sync.note(
        true,
        fill(
            t.a("sync_stick_seen"),
            &[
                ("stick", &name),
                ("n", &found.len().to_string()),
                ("new", &chosen.len().to_string()),
            ],
        ),
    );
    for u in &unreadable {
        shared
            .sync
            .note(false, format!("{} : {}", shown_path(&u.path), u.error));
    }
    if policy == UsbPolicy::Ask || chosen.is_empty() {
        return;
    }
    for f in chosen {
        let shown = shown_path(&f.path);
        match start_import(shared, f.path.clone(), shown.clone(), false) {
            Ok(_) => shared
                .sync
                .note(true, fill(t.a("sync_stick_install"), &[("file", &shown)])),
            Err(e) => shared.sync.note(false, e),
        }
    }
}

/// `POST /admin/paquets/synchroniser`: asks the upstream loop for a pass now.
pub fn sync_now(w: &mut Worker, _ctx: &mut Ctx<'_, '_>) -> HttpResult {
    w.shared.sync.wake();
    Ok(Reply::redirect(
        303,
        "/admin/paquets?fait=synchro#synchro".into(),
    ))
}

/// The sync section of the packs page: the upstream, the last pass, the latest steps.
fn sync_section(shared: &Shared, session: &crate::accounts::Session) -> Markup {
    let t = shared.catalog();
    let status = shared.sync.snapshot();
    let when = |secs: u64| crate::reports::date::french_time(secs as i64);
    html! {
        section aria-labelledby="synchro" {
            h2 #synchro { (t.a("sync_heading")) }
            @match &shared.admin.upstream {
                Some(url) => {
                    p { (t.a("sync_upstream")) " " code { (crate::sync::http::without_credentials(url)) } }
                    @if let Some(now) = &status.now { p role="status" { (now) } }
                    @if let Some((at, ok)) = status.last_pass {
                        p { (fill(if ok { t.a("sync_last_ok") } else { t.a("sync_last_failed") }, &[("when", &when(at))])) }
                    }
                    @if let Some(at) = status.next_try { p.hint { (fill(t.a("sync_next"), &[("when", &when(at))])) } }
                    form.inline action="/admin/paquets/synchroniser" method="post" {
                        (csrf_input(session))
                        button.button.secondary type="submit" { (t.a("sync_now")) }
                    }
                }
                None => p { (t.a("sync_no_upstream")) },
            }
            @if !status.lines.is_empty() {
                h3 { (t.a("sync_lines")) }
                ul.plain {
                    @for line in status.lines.iter().take(10) {
                        li { (when(line.at)) " — " @if !line.ok { strong { (t.a("sync_problem")) } " " } (line.text) }
                    }
                }
            }
        }
    }
}

fn job_status(shared: &Shared, job: &Job) -> String {
    let t = shared.catalog();
    let state = job.state();
    match &state.outcome {
        None => t.a("job_running").into(),
        Some(Outcome::Done(_)) => t.a("job_done").into(),
        Some(Outcome::Failed(_)) => t.a("job_failed").into(),
    }
}

/// Takes the library's lock for a job, saying so while another install runs.
fn lock_for(shared: &Shared, job: &Arc<Job>) -> Result<LibraryLock, String> {
    use crate::packs::progress::Watch;
    let waiting = shared.catalog().a("job_waiting").to_owned();
    LibraryLock::acquire(&shared.data_dir, Wait::Yes, &|| job.step(&waiting))
        .map_err(|e| e.to_string())
}

/// The error of a library operation as one French line, with `hide` (a temporary path)
/// replaced by what the admin knows it as.
fn said(e: &anyhow::Error, hide: Option<(&Path, &str)>) -> String {
    let text = crate::cmd::describe(e);
    match hide {
        Some((path, shown)) => text.replace(&path.display().to_string(), shown),
        None => text,
    }
}

/// Starts installing `file`; `shown` names it for the admin; `consume` when the file is an
/// upload (moved into the library, removed whatever happens).
pub fn start_import(
    shared: &Arc<Shared>,
    file: PathBuf,
    shown: String,
    consume: bool,
) -> Result<Arc<Job>, String> {
    let t = shared.catalog();
    let title = fill(t.a("job_install"), &[("file", &shown)]);
    let owner = Arc::clone(shared);
    shared
        .admin
        .jobs
        .start(title, t.a("job_starting").into(), move |job| {
            let result = (|| {
                let lock = lock_for(&owner, job)?;
                let mut store = Store::open(&owner.db_path).map_err(|e| e.to_string())?;
                let options = ImportOptions {
                    allow_untrusted: false,
                    allow_downgrade: false,
                    replace_publisher: false,
                    consume_file: consume,
                };
                let progress =
                    Progress::watched(Arc::clone(job) as Arc<dyn crate::packs::progress::Watch>);
                let t = owner.catalog();
                match packs::import_file(&mut store, &lock, &file, &options, &progress) {
                    Ok(Imported::Installed(r)) => Ok(match r.previous {
                        Some(previous) => fill(
                            t.a("installed_update"),
                            &[
                                ("id", &r.id),
                                ("from", &previous),
                                ("version", &r.version),
                                ("items", &r.items.to_string()),
                            ],
                        ),
                        None => fill(
                            t.a("installed_new"),
                            &[
                                ("id", &r.id),
                                ("version", &r.version),
                                ("items", &r.items.to_string()),
                            ],
                        ),
                    }),
                    Ok(Imported::AlreadyInstalled { id, version }) => Ok(fill(
                        t.a("installed_already"),
                        &[("id", &id), ("version", &version)],
                    )),
                    Err(e) => Err(said(&e, Some((&file, &shown)))),
                }
            })();
            if consume {
                // Moved into the library on success; what is left is an upload nobody needs.
                let _ = std::fs::remove_file(&file);
            }
            result
        })
}

/// `POST /admin/paquets/cle-usb`: installs one of the packs found on a stick.
pub fn install_from_usb(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let wanted = PathBuf::from(ctx.form.text("fichier"));
    // Only a file the scan finds: the form cannot name any other file of the box.
    let (found, _) = usb::scan(&shared.admin.usb.mount_roots, &|_| false);
    let Some(found) = found.into_iter().find(|f| f.path == wanted) else {
        return Ok(problem(&shared, ctx, shared.catalog().a("usb_gone")));
    };
    let shown = shown_path(&found.path);
    let job = start_import(&shared, found.path, shown, false).map_err(internal)?;
    Ok(to_job(&job))
}

/// The packs page again, with a problem said on top.
fn problem(shared: &Shared, ctx: &Ctx<'_, '_>, text: &str) -> Reply {
    let t = shared.catalog();
    let main = html! {
        h1 { (t.a("packs_title")) }
        (notice(false, text))
        p { a.button href="/admin/paquets" { (t.a("back_packs")) } }
    };
    reply(
        422,
        admin_page(shared, ctx.session.as_ref(), t.a("packs_title"), main),
    )
}

fn to_job(job: &Job) -> Reply {
    Reply::redirect(303, format!("/admin/travaux/{}", job.id))
}

/// Runs `work` on the library as a job titled `title`.
fn library_job(
    shared: &Arc<Shared>,
    title: String,
    work: impl FnOnce(&mut Store, &LibraryLock) -> Result<String, String> + Send + 'static,
) -> HttpResult {
    let owner = Arc::clone(shared);
    let job = shared
        .admin
        .jobs
        .start(
            title,
            shared.catalog().a("job_starting").into(),
            move |job| {
                let lock = lock_for(&owner, job)?;
                let mut store = Store::open(&owner.db_path).map_err(|e| e.to_string())?;
                work(&mut store, &lock)
            },
        )
        .map_err(internal)?;
    Ok(to_job(&job))
}

/// The pack id of a route, if it is one installed.
fn installed_id(w: &mut Worker, ctx: &Ctx<'_, '_>) -> Result<String, HttpError> {
    let id = ctx.param(0).to_owned();
    match w.store.pack(&id)? {
        Some(_) => Ok(id),
        None => Err(HttpError::NotFound),
    }
}

/// `POST /admin/paquets/ID/retour`.
pub fn rollback(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let id = installed_id(w, ctx)?;
    let title = fill(shared.catalog().a("job_rollback"), &[("id", &id)]);
    let t = shared.catalog();
    library_job(&shared, title, move |store, lock| {
        packs::rollback(store, lock, &id, false)
            .map(|r| {
                fill(
                    t.a("rolled_back"),
                    &[("id", &r.id), ("version", &r.version)],
                )
            })
            .map_err(|e| said(&e, None))
    })
}

/// `POST /admin/paquets/ID/retirer`.
pub fn remove(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let id = installed_id(w, ctx)?;
    let title = fill(shared.catalog().a("job_remove"), &[("id", &id)]);
    let t = shared.catalog();
    library_job(&shared, title, move |store, lock| {
        match packs::remove(store, lock, &id) {
            Ok(Removed::Gone) => Ok(fill(t.a("removed"), &[("id", &id)])),
            Ok(Removed::StarterRestored(r)) => {
                Ok(fill(t.a("starter_restored"), &[("version", &r.version)]))
            }
            Err(e) => Err(said(&e, None)),
        }
    })
}

/// `POST /admin/paquets/exporter`: every installed pack into `mednum-kit/` on a stick.
pub fn export(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let wanted = PathBuf::from(ctx.form.text("cle"));
    let Some(stick) = usb::sticks(&shared.admin.usb.mount_roots)
        .into_iter()
        .find(|s| *s == wanted)
    else {
        return Ok(problem(&shared, ctx, shared.catalog().a("usb_gone")));
    };
    let name = stick
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let t = shared.catalog();
    let title = fill(t.a("job_export"), &[("stick", &name)]);
    let data_dir = shared.data_dir.clone();
    let helper = shared.admin.usb.remount_helper.clone();
    library_job(&shared, title, move |store, _lock| {
        // Sticks are mounted read-only: opened for writing just for the copy.
        let read_only = is_read_only(&stick);
        if read_only {
            remount(&helper, "rw", &stick).map_err(|e| said(&e, None))?;
        }
        let copied = export_all(store, &data_dir, &stick.join("mednum-kit"));
        if read_only {
            // Read-only again, which also writes everything through to the stick.
            if let Err(e) = remount(&helper, "ro", &stick) {
                log::warn!("{}", said(&e, None));
            }
        }
        let n = copied.map_err(|e| said(&e, None))?;
        Ok(fill(
            t.a("exported"),
            &[("n", &n.to_string()), ("stick", &name)],
        ))
    })
}

/// Every installed pack and a `catalog.json` into `dest`, flushed to the disk: the folder
/// is then an upstream for another kit. Returns how many packs.
fn export_all(store: &Store, data_dir: &Path, dest: &Path) -> anyhow::Result<usize> {
    let ids: Vec<String> = store.packs()?.into_iter().map(|p| p.id).collect();
    for id in &ids {
        packs::export(store, data_dir, id, dest)?;
    }
    crate::sync::catalog::build_dir(dest)?;
    // Written through to the stick before saying it may be pulled out.
    sync_dir(dest);
    Ok(ids.len())
}

/// Flushes what was written under `dir` (`syncfs` of its file system).
fn sync_dir(dir: &Path) {
    if let Ok(file) = std::fs::File::open(dir) {
        use std::os::fd::AsRawFd;
        // SAFETY: syncfs takes an open descriptor, which `file` keeps open for the call.
        unsafe {
            libc::syncfs(file.as_raw_fd());
        }
    }
}

fn job_of(w: &Worker, ctx: &Ctx<'_, '_>) -> Result<Arc<Job>, HttpError> {
    ctx.param(0)
        .parse::<u64>()
        .ok()
        .and_then(|id| w.shared.admin.jobs.get(id))
        .ok_or(HttpError::NotFound)
}

/// `GET /admin/travaux/ID`: a job's progress, then its result. With JavaScript the bar
/// moves live; without, a link shows the progress again (no automatic refresh: a page
/// that reloads by itself loses a screen reader's place).
pub fn job_page(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let job = job_of(w, ctx)?;
    let state = job.state();
    let percent = Job::percent(&state);

    let main: Markup = html! {
        h1 { (job.title) }
        div #travail data-etat=(format!("/admin/travaux/{}/etat", job.id)) {
            @match &state.outcome {
                None => {
                    p #travail-etape role="status" { (state.step) }
                    progress #travail-progression max="100" value=[percent] aria-labelledby="travail-etape" {}
                    p #travail-pourcent { @if let Some(p) = percent { (p) " %" } }
                    p.hint { (t.a("job_wait_hint")) }
                    p { a.button #travail-actualiser href=(format!("/admin/travaux/{}", job.id)) { (t.a("job_refresh")) } }
                }
                Some(Outcome::Done(text)) => (notice(true, text)),
                Some(Outcome::Failed(text)) => {
                    (notice(false, text))
                    p { (t.a("job_failed_hint")) }
                }
            }
        }
        p { a.button.secondary href="/admin/paquets" { (t.a("back_packs")) } }
    };
    Ok(reply(
        200,
        admin_page(&shared, ctx.session.as_ref(), &job.title, main),
    ))
}

/// `GET /admin/travaux/ID/etat`: the same, as JSON, for the page's script.
pub fn job_state(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let job = job_of(w, ctx)?;
    let state = job.state();
    let (finished, ok, message) = match &state.outcome {
        None => (false, true, None),
        Some(Outcome::Done(t)) => (true, true, Some(t.clone())),
        Some(Outcome::Failed(t)) => (true, false, Some(t.clone())),
    };
    let body = serde_json::json!({
        "step": state.step,
        "done": state.done,
        "total": state.total,
        "percent": Job::percent(&state),
        "finished": finished,
        "ok": ok,
        "message": message,
    })
    .to_string();
    Ok(Reply::bytes(
        200,
        "application/json",
        std::borrow::Cow::Owned(body.into_bytes()),
    )
    .header("Cache-Control", "no-store"))
}
