//! The conseiller's pop-up workshop: start one (a workshop's tutorials, or a hand-picked
//! list), the projector page (Wi-Fi and portal QR codes), the live dashboard (phones,
//! progress per tutorial, help queue), and "Terminer", which opens the activity report
//! already filled.

use std::collections::HashMap;
use std::sync::Arc;

use maud::{html, Markup, PreEscaped};

use super::forms::encode;
use super::{admin_page, csrf_input, notice, reply, Ctx};
use crate::content::WorkshopDetails;
use crate::i18n::fill;
use crate::store::{Paging, Store};
use crate::web::http::{HttpError, HttpResult, Reply};
use crate::web::Worker;
use crate::workshops::{self, SessionInfo};

/// Longest place name and title, in characters.
const MAX_TEXT: usize = 120;
/// Planned durations offered, in minutes.
const DURATIONS: [i64; 6] = [30, 45, 60, 90, 120, 180];
/// Most tutorials a hand-picked session may have.
const MAX_TUTORIALS: usize = 30;
/// Most tutorials offered to pick from on the start page.
const PICKABLE: usize = 300;

/// Steps of each tutorial in `slugs` (those that exist).
pub fn step_totals(store: &mut Store, slugs: &[String]) -> HashMap<String, u32> {
    slugs
        .iter()
        .filter_map(|slug| {
            let tutorial = store.tutorial(slug).ok()??;
            Some((slug.clone(), tutorial.steps.len() as u32))
        })
        .collect()
}

/// `GET /admin/atelier`: the dashboard of the running workshop, or the form to start one.
pub fn page(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    if w.shared.workshops.is_running() {
        dashboard_page(w, ctx)
    } else {
        start_page(w, ctx, 200, None)
    }
}

fn start_page(w: &mut Worker, ctx: &Ctx<'_, '_>, status: u16, problem: Option<&str>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let session = ctx.session()?.clone();
    w.store.begin_read()?;
    let workshops = w.store.items_of_kind("workshop", Paging::page(1, 500));
    let tutorials = w.store.items_of_kind("tutorial", Paging::page(1, PICKABLE));
    w.store.end_read();
    let ((workshops, _), (tutorials, _)) = (workshops?, tutorials?);
    let chosen = ctx.form.get("atelier").unwrap_or("");
    let main = html! {
        h1 { (t.a("ws_start_title")) }
        @if let Some(problem) = problem { (notice(false, problem)) }
        form.stack action="/admin/atelier" method="post" {
            (csrf_input(&session))
            label for="atelier" { (t.a("ws_choose")) }
            p.hint #atelier-aide { (t.a("ws_choose_hint")) }
            select #atelier name="atelier" aria-describedby="atelier-aide" {
                option value="" selected[chosen.is_empty()] { (t.a("ws_choose_none")) }
                @for ws in &workshops {
                    option value=(ws.slug) selected[chosen == ws.slug] { (ws.title) }
                }
            }
            details {
                summary { (t.a("ws_pick")) }
                fieldset {
                    legend { (t.a("ws_pick_legend")) }
                    @for tut in &tutorials {
                        label.check {
                            input type="checkbox" name="tutoriel" value=(tut.slug);
                            " " (tut.title)
                        }
                    }
                }
                label for="titre" { (t.a("ws_title")) }
                input #titre name="titre" type="text" maxlength=(MAX_TEXT) value=(ctx.form.text("titre"));
            }
            label for="lieu" { (t.a("ws_place")) }
            p.hint #lieu-aide { (t.a("ws_place_hint")) }
            input #lieu name="lieu" type="text" maxlength=(MAX_TEXT) aria-describedby="lieu-aide"
                value=(ctx.form.text("lieu"));
            label for="duree" { (t.a("ws_duration")) }
            select #duree name="duree" {
                @for d in DURATIONS {
                    option value=(d) selected[d == 90] { (fill(t.a("ws_minutes"), &[("n", &d.to_string())])) }
                }
            }
            button.button.big type="submit" { (t.a("ws_go")) }
        }
    };
    Ok(reply(
        status,
        admin_page(&shared, Some(&session), t.a("ws_start_title"), main),
    ))
}

fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// `POST /admin/atelier`: starts a session (one at a time).
pub fn start(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let session = ctx.session()?.clone();
    let slug = ctx.form.text("atelier").to_owned();
    let mut picked: Vec<String> = ctx.form.all("tutoriel").map(str::to_owned).collect();
    picked.dedup();
    let (workshop, title, tutorials) = if !slug.is_empty() {
        let Some(row) = w.store.item_page("workshop", &slug)? else {
            return start_page(w, ctx, 422, Some(t.a("ws_unknown")));
        };
        let details: WorkshopDetails = serde_json::from_str(&row.extra).unwrap_or_default();
        (Some(slug), row.item.title, details.tutorials)
    } else {
        if picked.is_empty() || picked.len() > MAX_TUTORIALS {
            return start_page(w, ctx, 422, Some(t.a("ws_nothing")));
        }
        let title = Some(clean(ctx.form.text("titre")))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| t.a("ws_default_title").to_owned());
        (None, title, picked)
    };
    let mut totals = step_totals(&mut w.store, &tutorials);
    let tutorials: Vec<String> = tutorials
        .into_iter()
        .filter(|s| totals.contains_key(s))
        .collect();
    totals.retain(|k, _| tutorials.contains(k));
    let planned = ctx
        .form
        .text("duree")
        .parse::<i64>()
        .ok()
        .filter(|d| DURATIONS.contains(d))
        .unwrap_or(90);
    let info = SessionInfo {
        id: workshops::random_id(8),
        started_by: session.user.name.clone(),
        workshop,
        title,
        tutorials,
        place: clean(ctx.form.text("lieu")),
        planned_minutes: planned,
        started_at: workshops::now(),
    };
    match shared.workshops.begin(info, totals) {
        Ok(()) => Ok(Reply::redirect(303, "/admin/atelier".into())),
        Err(running) => {
            let text = fill(t.a("ws_already"), &[("title", &running)]);
            start_page(w, ctx, 409, Some(&text))
        }
    }
}

/// A duration in minutes as "1 h 05" / "12 min".
fn minutes_label(minutes: i64) -> String {
    if minutes >= 60 {
        format!("{} h {:02}", minutes / 60, minutes % 60)
    } else {
        format!("{minutes} min")
    }
}

fn tutorial_titles(w: &mut Worker, slugs: &[String]) -> Result<Vec<String>, HttpError> {
    w.store.begin_read()?;
    let titles = slugs
        .iter()
        .map(|s| {
            Ok(w.store
                .item("tutorial", s)?
                .map(|i| i.title)
                .unwrap_or_else(|| s.clone()))
        })
        .collect::<Result<Vec<_>, HttpError>>();
    w.store.end_read();
    titles
}

fn dashboard_page(w: &mut Worker, ctx: &Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let session = ctx.session()?.clone();
    let now = workshops::now();
    let Some(board) = shared.workshops.dashboard(now) else {
        return Ok(Reply::redirect(303, "/admin/atelier".into()));
    };
    let slugs: Vec<String> = board.tutorials.iter().map(|(s, _)| s.clone()).collect();
    let titles = tutorial_titles(w, &slugs)?;
    let elapsed = (now - board.info.started_at).max(0) / 60;
    let main = html! {
        h1 { (board.info.title) }
        p.lead {
            (fill(t.a("ws_running_since"), &[("time", &minutes_label(elapsed)), ("planned", &minutes_label(board.info.planned_minutes))]))
        }
        p { a.button href="/admin/atelier/projecteur" { (t.a("ws_projector")) } }
        div #tableau data-etat="/admin/atelier/tableau.json" {
            h2 { (t.a("ws_help_heading")) }
            @if board.help.is_empty() { p #aide-vide { (t.a("ws_help_none")) } }
            ol.rows #aides {
                @for (id, label, at) in &board.help {
                    li.row {
                        p.row-title { (label) }
                        p { (fill(t.a("ws_help_since"), &[("time", &minutes_label((now - at).max(0) / 60))])) }
                        form.inline action=(format!("/admin/atelier/aide/{id}/fait")) method="post" {
                            (csrf_input(&session))
                            button.button type="submit" { (t.a("ws_help_done")) }
                        }
                    }
                }
            }
            h2 { (t.a("ws_phones_heading")) }
            p #telephones {
                (fill(t.a("ws_phones"), &[("recent", &board.phones_recent.to_string()), ("total", &board.phones_total.to_string())]))
            }
            h2 { (t.a("ws_progress_heading")) }
            @if board.devices.is_empty() { p { (t.a("ws_progress_none")) } }
            @for (i, ((_, total), title)) in board.tutorials.iter().zip(&titles).enumerate() {
                h3 { (title) }
                ul.plain {
                    @for d in &board.devices {
                        li { (d.label) " : " (fill(t.a("ws_steps"), &[("n", &d.opened[i].to_string()), ("total", &total.to_string())])) }
                    }
                }
            }
        }
        p { a.button.secondary #tableau-actualiser href="/admin/atelier" { (t.a("ws_refresh")) } }
        form action="/admin/atelier/terminer" method="post" {
            (csrf_input(&session))
            button.button.danger.big type="submit" { (t.a("ws_end")) }
        }
    };
    Ok(reply(
        200,
        admin_page(&shared, Some(&session), &board.info.title, main),
    ))
}

/// `GET /admin/atelier/tableau.json`: the dashboard's numbers, for its script.
pub fn dashboard_json(w: &mut Worker, _ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let now = workshops::now();
    let body = match w.shared.workshops.dashboard(now) {
        None => serde_json::json!({ "running": false }),
        Some(board) => serde_json::json!({
            "running": true,
            "phones_recent": board.phones_recent,
            "phones_total": board.phones_total,
            "tutorials": board.tutorials.iter().map(|(s, n)| serde_json::json!({"slug": s, "steps": n})).collect::<Vec<_>>(),
            "devices": board.devices.iter().map(|d| serde_json::json!({"label": d.label, "opened": d.opened, "last_seen": d.last_seen})).collect::<Vec<_>>(),
            "help": board.help.iter().map(|(id, label, at)| serde_json::json!({"id": id, "label": label, "asked_at": at})).collect::<Vec<_>>(),
        }),
    };
    Ok(Reply::bytes(
        200,
        "application/json",
        std::borrow::Cow::Owned(body.to_string().into_bytes()),
    )
    .header("Cache-Control", "no-store"))
}

/// `POST /admin/atelier/aide/ID/fait`.
pub fn help_done(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let id: i64 = ctx.param(0).parse().map_err(|_| HttpError::NotFound)?;
    if !w.shared.workshops.handle_help(id) {
        return Err(HttpError::NotFound);
    }
    Ok(Reply::redirect(303, "/admin/atelier".into()))
}

/// The report theme that matches a content theme, where one does.
fn report_theme(theme: &str) -> Option<&'static str> {
    Some(match theme {
        "securite" | "donnees-personnelles" => "securite",
        "e-mail" => "e-mail",
        "parentalite" => "parentalite",
        "demarches-en-ligne" => "demarches-en-ligne",
        "smartphone" => "prise-en-main",
        "esprit-critique" => "navigation",
        _ => return None,
    })
}

/// `YYYY-MM-DD` (UTC) of a time in seconds since the epoch.
pub fn ymd(at: i64) -> String {
    // Days since 1970-01-01 to a civil date (proleptic Gregorian).
    let z = at.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `POST /admin/atelier/terminer`: ends the session and opens its report, filled in.
pub fn end(w: &mut Worker, _ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let Some(ended) = shared.workshops.end() else {
        return Ok(Reply::redirect(303, "/admin/atelier".into()));
    };
    let info = &ended.info;
    let minutes = ((ended.ended_at - info.started_at).max(60) + 30) / 60;
    let (level, themes) = match &info.workshop {
        Some(slug) => match w.store.item("workshop", slug)? {
            Some(item) => (
                item.level.map(|l| match l.as_str() {
                    "moyen" => "intermediaire".to_owned(),
                    other => other.to_owned(),
                }),
                item.theme
                    .as_deref()
                    .and_then(report_theme)
                    .map(str::to_owned),
            ),
            None => (None, None),
        },
        None => (None, None),
    };
    let mut url = format!(
        "/admin/comptes-rendus/nouveau?type=atelier-collectif&date={}&duree={minutes}&titre={}&participants={}&seance={}",
        ymd(info.started_at),
        encode(&info.title),
        ended.phones,
        encode(&info.id),
    );
    if !info.place.is_empty() {
        url.push_str(&format!("&lieu={}", encode(&info.place)));
    }
    if let Some(level) = level {
        url.push_str(&format!("&niveau={}", encode(&level)));
    }
    if let Some(theme) = themes {
        url.push_str(&format!("&themes={}", encode(&theme)));
    }
    Ok(Reply::redirect(303, url))
}

/// `GET /admin/atelier/projecteur`: for the room's screen: join the Wi-Fi, open the
/// portal. Large type, print-friendly, QR codes as inline SVG.
pub fn projector(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let title = shared
        .workshops
        .current()
        .map(|i| i.title)
        .unwrap_or_else(|| shared.site().name.clone());
    let wifi = &shared.wifi;
    let wifi_text = crate::web::qr::wifi_payload(&wifi.ssid, wifi.passphrase.as_deref(), wifi.open);
    let portal = shared.captive.home_url();
    let short = format!("http://{}.local", shared.captive.hostname);
    let qr = |text: &str, label: &str| -> Markup {
        match crate::web::qr::svg(text, label) {
            Some(svg) => PreEscaped(svg),
            None => html! {},
        }
    };
    let main = html! {
        div.projector {
            h1 { (title) }
            div.projector-codes {
                figure {
                    (qr(&wifi_text, t.a("ws_qr_wifi")))
                    figcaption {
                        strong { (t.a("ws_qr_wifi")) }
                        br;
                        (fill(t.a("ws_wifi_name"), &[("ssid", &wifi.ssid)]))
                        @if let (Some(pass), false) = (&wifi.passphrase, wifi.open) {
                            br; (fill(t.a("ws_wifi_pass"), &[("pass", pass)]))
                        }
                    }
                }
                figure {
                    (qr(&portal, t.a("ws_qr_portal")))
                    figcaption { strong { (t.a("ws_qr_portal")) } br; (portal) }
                }
            }
            p.projector-url { (short) }
        }
    };
    let page = admin_page(&shared, ctx.session.as_ref(), &title, main);
    Ok(reply(200, page))
}
