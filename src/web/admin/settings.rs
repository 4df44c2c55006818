//! The admin's home, the settings (kit name, featured workshop) and the status page.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use maud::html;

use super::packs::size_label;
use super::{admin_page, csrf_input, done_notice, notice, reply, Ctx};
use crate::accounts::Role;
use crate::config::{update_settings, SettingsChange};
use crate::i18n::fill;
use crate::store::Paging;
use crate::web::http::{HttpResult, Reply};
use crate::web::{Site, Worker};

/// `GET /admin`: where a signed-in admin or conseiller starts.
pub fn home(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let session = ctx.session()?.clone();
    let said = done_notice(
        ctx,
        &[("mot-de-passe", w.shared.catalog().a("password_changed"))],
    );
    let main = html! {
        h1 { (fill(t.a("home_title"), &[("name", &session.user.name)])) }
        @if let Some((ok, text)) = &said { (notice(*ok, text)) }
        @if session.user.role == Role::Admin {
            p.lead { (t.a("home_admin_intro")) }
            ul.cards {
                @for (href, title, text) in [
                    ("/admin/atelier", "home_workshop", "home_workshop_text"),
                    ("/admin/comptes-rendus", "nav_reports", "home_reports"),
                    ("/admin/paquets", "nav_packs", "home_packs"),
                    ("/admin/cles", "nav_keys", "home_keys"),
                    ("/admin/comptes", "nav_users", "home_users"),
                    ("/admin/reglages", "nav_settings", "home_settings"),
                    ("/admin/etat", "nav_status", "home_status"),
                ] {
                    li { a.card href=(href) { span.card-title { (t.a(title)) } span.card-text { (t.a(text)) } } }
                }
            }
        } @else {
            p.lead { (t.a("home_conseiller_intro")) }
            ul.cards {
                li { a.card href="/admin/atelier" { span.card-title { (t.a("home_workshop")) } span.card-text { (t.a("home_workshop_text")) } } }
                li { a.card href="/ateliers" { span.card-title { (t.a("home_workshops")) } span.card-text { (t.a("home_workshops_text")) } } }
                li { a.card href="/admin/comptes-rendus" { span.card-title { (t.a("nav_reports")) } span.card-text { (t.a("home_reports")) } } }
                li { a.card href="/admin/mon-compte" { span.card-title { (t.a("nav_my_account")) } span.card-text { (t.a("home_my_account")) } } }
            }
        }
    };
    Ok(reply(
        200,
        admin_page(&shared, Some(&session), t.a("home_heading"), main),
    ))
}

fn settings_page(
    w: &mut Worker,
    ctx: &Ctx<'_, '_>,
    status: u16,
    said: Option<(bool, String)>,
) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let session = ctx.session()?.clone();
    let site = shared.site();
    w.store.begin_read()?;
    let workshops = w.store.items_of_kind("workshop", Paging::page(1, 500));
    w.store.end_read();
    let (workshops, _) = workshops?;
    let name = ctx.form.get("nom").unwrap_or(&site.name).to_owned();
    let featured = ctx
        .form
        .get("atelier")
        .map(str::to_owned)
        .or_else(|| site.featured_workshop.clone())
        .unwrap_or_default();
    let main = html! {
        h1 { (t.a("settings_title")) }
        @if let Some((ok, text)) = &said { (notice(*ok, text)) }
        form.stack action="/admin/reglages" method="post" {
            (csrf_input(&session))
            label for="nom" { (t.a("settings_name")) }
            p.hint #nom-aide { (t.a("settings_name_hint")) }
            input #nom name="nom" type="text" required maxlength="80" value=(name) aria-describedby="nom-aide";
            label for="atelier" { (t.a("settings_featured")) }
            p.hint #atelier-aide { (t.a("settings_featured_hint")) }
            select #atelier name="atelier" aria-describedby="atelier-aide" {
                option value="" selected[featured.is_empty()] { (t.a("settings_featured_none")) }
                @for ws in &workshops {
                    option value=(ws.slug) selected[featured == ws.slug] { (ws.title) }
                }
            }
            button.button type="submit" { (t.a("settings_save")) }
        }
    };
    Ok(reply(
        status,
        admin_page(&shared, Some(&session), t.a("settings_title"), main),
    ))
}

/// `GET /admin/reglages`.
pub fn settings(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let said = done_notice(
        ctx,
        &[("enregistre", w.shared.catalog().a("settings_saved"))],
    );
    settings_page(w, ctx, 200, said)
}

/// `POST /admin/reglages`: written to `kit.toml` (comments kept, checked first, replaced
/// atomically), then in force for the next pages.
pub fn save_settings(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let name = ctx.form.text("nom").to_owned();
    let featured = ctx.form.text("atelier").to_owned();
    if !featured.is_empty() && w.store.item("workshop", &featured)?.is_none() {
        return settings_page(
            w,
            ctx,
            422,
            Some((false, t.a("settings_no_workshop").to_owned())),
        );
    }
    let change = SettingsChange {
        name: Some(name),
        featured_workshop: Some(Some(featured).filter(|f| !f.is_empty())),
    };
    match update_settings(&shared.data_dir, &change) {
        Ok(file) => {
            shared.set_site(Site {
                name: file.name.clone(),
                featured_workshop: file.portal.featured_workshop.clone(),
            });
            log::info!("{} changed the settings", ctx.session()?.user.name);
            Ok(Reply::redirect(
                303,
                "/admin/reglages?fait=enregistre".into(),
            ))
        }
        Err(e) => {
            let text = fill(
                t.a("settings_refused"),
                &[("why", &crate::cmd::describe(&e))],
            );
            settings_page(w, ctx, 422, Some((false, text)))
        }
    }
}

/// Bytes used by the files under `dir` (not following links).
fn used_bytes(dir: &std::path::Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// "3 h 12 min".
fn duration_label(secs: u64) -> String {
    let (d, h, m) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} j {h} h"),
    }
}

/// `GET /admin/etat`: version, uptime, storage, phones, the last log lines.
pub fn status(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let session = ctx.session()?.clone();
    let used = used_bytes(&shared.data_dir);
    let free = crate::packs::free_bytes(&shared.data_dir);
    let phones = shared.captive.active_phones();
    let connections = shared
        .admin
        .server
        .get()
        .and_then(std::sync::Weak::upgrade)
        .map(|s| s.num_connections());
    let uploads = shared.admin.uploads.load(Ordering::Relaxed);
    let lines = crate::logging::recent();
    let main = html! {
        h1 { (t.a("status_title")) }
        dl.facts {
            dt { (t.a("status_version")) } dd { (env!("CARGO_PKG_VERSION")) }
            dt { (t.a("status_uptime")) } dd { (duration_label(shared.admin.started.elapsed().as_secs())) }
            dt { (t.a("status_used")) } dd { (size_label(used)) }
            dt { (t.a("status_free")) } dd { @match free { Some(f) => (size_label(f)), None => "?" } }
            dt { (t.a("status_phones")) } dd { (phones) }
            @if let Some(n) = connections { dt { (t.a("status_connections")) } dd { (n) } }
            dt { (t.a("status_uploads")) } dd { (uploads) }
        }
        h2 { (t.a("status_log")) }
        @if lines.is_empty() { p { (t.a("status_log_empty")) } }
        ol.log {
            @for (at, line) in lines.iter().rev() {
                li { time { (clock(*at)) } " " (line) }
            }
        }
    };
    Ok(reply(
        200,
        admin_page(&shared, Some(&session), t.a("status_title"), main),
    ))
}

/// `HH:MM:SS` (UTC) of a time in seconds since the epoch.
fn clock(at: u64) -> String {
    format!("{:02}:{:02}:{:02}", at / 3600 % 24, at / 60 % 60, at % 60)
}
