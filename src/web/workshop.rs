//! The learner's side of a pop-up workshop: an anonymous device cookie while a session
//! runs, the steps opened recorded (off the request's path: in memory, then batched to
//! disk), the workshop's page with the phone's own progress and an optional nickname, and
//! "J'ai besoin d'aide".

use maud::{html, Markup};

use super::http::{HttpError, HttpResult, Reply};
use super::router::{RequestInfo, RequestMethod};
use super::templates::page;
use super::{Shared, Worker};
use crate::workshops::{HelpRefusal, MAX_NICKNAME};

/// The device cookie: random, set only while a session runs.
const DEVICE_COOKIE: &str = "kit_appareil";

/// The device id of a request during a session: the cookie's, or a new one (`true`: to be
/// set). `None` when no session runs, or for what is not a learner page.
pub fn device(w: &Worker, req: &RequestInfo<'_>, segments: &[&str]) -> Option<(String, bool)> {
    if !w.shared.workshops.is_running() {
        return None;
    }
    let not_a_page = matches!(
        segments.first().copied(),
        Some("_kit" | "admin" | ".well-known" | "favicon.ico")
    ) || segments.first().is_some_and(|s| *s == super::files::PREFIX);
    if not_a_page {
        return None;
    }
    let sent = super::admin::cookie(req, DEVICE_COOKIE)
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()));
    let (id, new) = match sent {
        Some(id) => (id.to_owned(), false),
        None => (crate::workshops::random_id(16), true),
    };
    w.shared
        .workshops
        .touch_from(&id, req.peer)
        .then_some((id, new))
}

/// The `Set-Cookie` of a new device: for the session's day, never sent by another site's
/// page with a form.
pub fn device_cookie(id: &str) -> String {
    format!("{DEVICE_COOKIE}={id}; HttpOnly; SameSite=Lax; Path=/; Max-Age=86400")
}

/// Records the steps a page shows, for the device's progress.
pub fn record_steps(w: &Worker, device: &str, segments: &[&str]) {
    match segments {
        ["tutoriels", slug, "etape", n] => {
            if let Ok(n) = n.parse::<u32>() {
                w.shared.workshops.opened(device, slug, n..=n);
            }
        }
        ["tutoriels", slug, "tout"] => w.shared.workshops.opened(device, slug, 1..=u32::MAX),
        _ => {}
    }
}

/// Under every learner page while a session runs: the workshop, and the help button.
pub fn banner(shared: &Shared) -> Markup {
    let t = shared.catalog();
    let Some(info) = shared.workshops.current() else {
        return html! {};
    };
    html! {
        aside.workshop-banner aria-label=(t.w("learner_banner_label")) {
            p { (t.w("learner_banner_now")) " " a href="/atelier" { (info.title) } }
            form action="/aide" method="post" {
                button.button.help type="submit" { (t.w("learner_help")) }
            }
        }
    }
}

/// The phone's id, or (no session now: a page kept from before, sent late) where to send it:
/// the page that says there is no workshop.
fn device_of(w: &Worker, back_to: &str) -> Result<String, Reply> {
    w.device
        .clone()
        .ok_or_else(|| Reply::redirect(303, back_to.to_owned()))
}

/// Learner routes of a workshop; `None` for other paths.
pub fn route(w: &mut Worker, req: &RequestInfo<'_>, segments: &[&str]) -> Option<HttpResult> {
    use RequestMethod::{Get, Head, Other, Post};
    let reply = match (segments, req.method) {
        (["atelier"], Get | Head) => workshop_page(w),
        (["atelier"], Post | Other) => Err(HttpError::MethodNotAllowed("GET, HEAD")),
        (["aide"], Get | Head) => help_page(w),
        (["aide"], Post) => ask_help(w, req),
        (["aide"], Other) => Err(HttpError::MethodNotAllowed("GET, HEAD, POST")),
        (["atelier", "pseudo"], Post) => nickname(w, req),
        (["aide", "annuler"], Post) => cancel_help(w, req),
        (["atelier", "pseudo"] | ["aide", "annuler"], _) => {
            Err(HttpError::MethodNotAllowed("POST"))
        }
        _ => return None,
    };
    Some(reply)
}

/// A workshop page without a session: nothing runs now.
fn no_session(shared: &Shared) -> HttpResult {
    let t = shared.catalog();
    let main = html! {
        h1 { (t.w("learner_none_title")) }
        p.lead { (t.w("learner_none_text")) }
        p { a.button href="/" { (t.error_home) } }
    };
    Ok(Reply::private_html(
        200,
        page(shared, t.w("learner_none_title"), &[], main),
    ))
}

/// `GET /atelier`: the running workshop, this phone's progress, its nickname.
fn workshop_page(w: &mut Worker) -> HttpResult {
    let shared = std::sync::Arc::clone(&w.shared);
    let t = shared.catalog();
    let Some(view) = shared.workshops.learner_view(w.device.as_deref()) else {
        return no_session(&shared);
    };
    w.store.begin_read()?;
    let mut items = Vec::new();
    for (slug, opened, total) in &view.tutorials {
        if let Some(item) = w.store.item("tutorial", slug)? {
            items.push((item, *opened, *total));
        }
    }
    w.store.end_read();
    let main = html! {
        h1 { (view.info.title) }
        @if !view.info.place.is_empty() { p.lead { (view.info.place) } }
        h2 { (t.w("learner_tutorials")) }
        ul.cards {
            @for (item, opened, total) in &items {
                li {
                    a.card href=(format!("/tutoriels/{}", item.slug)) {
                        span.card-title { (item.title) }
                        span.card-meta {
                            (crate::i18n::fill(t.w("learner_progress"), &[("n", &opened.to_string()), ("total", &total.to_string())]))
                        }
                    }
                }
            }
        }
        h2 { (t.w("learner_nickname_heading")) }
        p { (t.w("learner_nickname_why")) }
        form.nickname action="/atelier/pseudo" method="post" {
            label for="pseudo" { (t.w("learner_nickname_label")) }
            div.search-row {
                input #pseudo name="pseudo" type="text" maxlength=(MAX_NICKNAME) autocomplete="off"
                    value=(view.nickname.clone().unwrap_or_default());
                button type="submit" { (t.w("learner_nickname_save")) }
            }
        }
    };
    Ok(Reply::private_html(
        200,
        page(&shared, &view.info.title, &[], main),
    ))
}

/// `POST /atelier/pseudo`.
fn nickname(w: &mut Worker, req: &RequestInfo<'_>) -> HttpResult {
    super::admin::check_origin(req)?;
    let device = match device_of(w, "/atelier") {
        Ok(device) => device,
        Err(reply) => return Ok(reply),
    };
    let form = super::admin::Form::parse(req.body);
    w.shared
        .workshops
        .set_nickname(&device, form.get("pseudo").unwrap_or(""));
    Ok(Reply::redirect(303, "/atelier".into()))
}

/// `GET /aide`: whether this phone's request is waiting, and how to take it back.
fn help_page(w: &mut Worker) -> HttpResult {
    let shared = std::sync::Arc::clone(&w.shared);
    let t = shared.catalog();
    let Some(view) = shared.workshops.learner_view(w.device.as_deref()) else {
        return no_session(&shared);
    };
    let main = html! {
        @if view.help_pending {
            h1 { (t.w("learner_help_sent_title")) }
            p.lead role="status" { (t.w("learner_help_sent")) }
            form action="/aide/annuler" method="post" {
                button.button.secondary type="submit" { (t.w("learner_help_cancel")) }
            }
        } @else {
            h1 { (t.w("learner_help_title")) }
            p.lead { (t.w("learner_help_none")) }
            form action="/aide" method="post" {
                button.button type="submit" { (t.w("learner_help")) }
            }
        }
        p { a href="/atelier" { (t.w("learner_back")) } }
    };
    Ok(Reply::private_html(
        200,
        page(&shared, t.w("learner_help_title"), &[], main),
    ))
}

/// `POST /aide`.
fn ask_help(w: &mut Worker, req: &RequestInfo<'_>) -> HttpResult {
    super::admin::check_origin(req)?;
    let device = match device_of(w, "/aide") {
        Ok(device) => device,
        Err(reply) => return Ok(reply),
    };
    match w.shared.workshops.ask_help(&device) {
        Ok(()) | Err(HelpRefusal::NoSession) => Ok(Reply::redirect(303, "/aide".into())),
        Err(HelpRefusal::TooMany) => Err(HttpError::TooManyTries(60)),
    }
}

/// `POST /aide/annuler`.
fn cancel_help(w: &mut Worker, req: &RequestInfo<'_>) -> HttpResult {
    super::admin::check_origin(req)?;
    let device = match device_of(w, "/aide") {
        Ok(device) => device,
        Err(reply) => return Ok(reply),
    };
    w.shared.workshops.cancel_help(&device);
    Ok(Reply::redirect(303, "/aide".into()))
}
