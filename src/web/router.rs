//! The routing table, in one place: a request's method, host and decoded path → one handler.

use std::net::IpAddr;

use super::admin;
use super::assets::PREFIX as ASSETS_PREFIX;
use super::captive;
use super::files;
use super::glossary;
use super::gzip;
use super::http::{HttpError, HttpResult, Reply};
use super::learner;
use super::prefs;
use super::sharing;
use super::takehome;
use super::url::Target;
use super::{forms, workshop, Worker};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestMethod {
    Get,
    Head,
    Post,
    /// Anything else: no resource of ours accepts it.
    Other,
}

/// What a handler may read from the request.
pub struct RequestInfo<'a> {
    pub method: RequestMethod,
    pub target: &'a Target,
    /// The raw path, as sent (for matching captive-portal probes exactly).
    pub path: &'a str,
    /// The `Host` header's name (lowercase, no port), if there is one.
    pub host: Option<String>,
    pub peer: Option<IpAddr>,
    pub if_none_match: Option<&'a str>,
    /// The `Range` header (`bytes=100-`), for resumable downloads.
    pub range: Option<&'a str>,
    /// `If-Range`: the range applies only to this version of the file.
    pub if_range: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
    /// `Accept-Encoding`: whether the phone takes gzip.
    pub accept_encoding: Option<&'a str>,
    /// The `Host` header as sent (with its port), for checking `Origin`.
    pub raw_host: Option<&'a str>,
    pub cookie: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub referer: Option<&'a str>,
    pub content_type: Option<&'a str>,
    /// The body's announced length (`None` when chunked).
    pub body_length: Option<usize>,
    /// A form's body (`application/x-www-form-urlencoded`, up to `MAX_BODY`), read before
    /// routing; empty otherwise.
    pub body: &'a [u8],
}

const READ_ONLY: &str = "GET, HEAD";

pub fn route(w: &mut Worker, req: &RequestInfo<'_>) -> HttpResult {
    // A foreign host name (a phone's connectivity probe, a site typed in) is the captive
    // portal's, whatever its path.
    if let Some(reply) = captive::intercept(w, req) {
        return Ok(reply);
    }
    let segments: Vec<&str> = req.target.segments.iter().map(String::as_str).collect();
    // During a workshop, each phone is followed by an anonymous cookie.
    let device = workshop::device(w, req, &segments);
    w.device = device.as_ref().map(|(id, _)| id.clone());
    let reply = route_path(w, req, &segments)?;
    Ok(match device {
        Some((id, new)) => {
            if reply.status == 200 {
                workshop::record_steps(w, &id, &segments);
            }
            if new {
                reply.header("Set-Cookie", workshop::device_cookie(&id))
            } else {
                reply
            }
        }
        None => reply,
    })
}

fn route_path(w: &mut Worker, req: &RequestInfo<'_>, segments: &[&str]) -> HttpResult {
    let segments = segments.to_vec();

    // The admin and conseiller pages: their table says who may use each.
    if let Some(reply) = admin::dispatch(w, req, &segments) {
        return reply;
    }

    // The workshop's learner pages (the phone's own progress, help): never kept.
    if let Some(reply) = workshop::route(w, req, &segments) {
        return reply;
    }

    // A practice form's answers come in a POST and leave in its reply: never kept.
    if let Some(reply) = forms::route(w, req, &segments) {
        return reply;
    }

    // Resources that change something: POST only.
    if let ["entrer"] = segments.as_slice() {
        return match req.method {
            RequestMethod::Post => captive::enter(w, req),
            _ => Err(HttpError::MethodNotAllowed("POST")),
        };
    }
    if !matches!(req.method, RequestMethod::Get | RequestMethod::Head) {
        return Err(HttpError::MethodNotAllowed(READ_ONLY));
    }

    let assets = ASSETS_PREFIX.trim_matches('/');
    match segments.as_slice() {
        // Lets the tests prove, against the real binary, that a handler panic becomes a
        // 500 page and leaves the server running. Absent from release builds.
        #[cfg(debug_assertions)]
        ["_kit", "test-panic"] => panic!("deliberate panic for the tests"),
        // Lets the tests hold a worker, as a stuck handler would (see `liveness`).
        #[cfg(debug_assertions)]
        ["_kit", "test-stall"] => {
            std::thread::sleep(std::time::Duration::from_secs(60));
            Ok(Reply::no_content())
        }
        // The admin routes, for the test that asks each of them as a stranger.
        #[cfg(debug_assertions)]
        ["_kit", "test-routes"] => Ok(Reply::bytes(
            200,
            "text/plain; charset=utf-8",
            std::borrow::Cow::Owned(admin::route_list().into_bytes()),
        )),
        // The kit asking itself whether it answers (see `liveness`).
        ["_kit", "alive"] => Ok(Reply::no_content()),
        [prefix, name] if *prefix == assets => w.shared.assets.serve(
            name,
            req.if_none_match,
            gzip::accepts_gzip(req.accept_encoding),
        ),
        [prefix, rest @ ..] if *prefix == files::PREFIX => files::serve(w, req, rest),
        // Kit-to-kit sharing: this kit as another's upstream.
        [path] if *path == prefs::PATH => prefs::choose(req),
        ["catalog.json"] => in_one_read(w, sharing::catalog),
        [prefix, id, name] if *prefix == sharing::PREFIX => {
            sharing::pack_file(w, id, name, req.range)
        }
        // Depends on the phone (entered or not): never kept.
        [".well-known", "captive-portal"] => captive::api(w, req),
        // As many pages as queries: not worth keeping.
        ["recherche"] => in_one_read(w, |w| learner::search(w, req.target)),
        // Files to take home and the print view: dated, made for each request, never kept.
        ["tutoriels", slug, "emporter"] => in_one_read(w, |w| takehome::tutorial(w, slug)),
        ["tutoriels", slug, "imprimer"] => in_one_read(w, |w| takehome::print(w, slug)),
        ["formulaires", slug, "emporter"] => in_one_read(w, |w| takehome::blank_form(w, slug)),
        _ => learner_page(w, req, &segments),
    }
}

/// The page cache's key for a learner page: its path, and what else the page shows
/// differently (a long list's page number, the phone's language and reading size, whether
/// the phone asked for an item's original instead of its translation).
pub fn page_key(target: &Target, segments: &[&str], prefs: prefs::Prefs) -> String {
    let prefs = prefs.key();
    let original = if target.param("original").is_some() {
        "?original"
    } else {
        ""
    };
    match target.param("page") {
        Some(page) => format!("{prefs}/{}?page={page}{original}", segments.join("/")),
        None => format!("{prefs}/{}{original}", segments.join("/")),
    }
}

/// The settings' and workshop sessions' generation: they only move forward, so their sum
/// changes with either, and pages rendered before are stale.
pub fn generation(shared: &super::Shared) -> u64 {
    shared.site_generation() + shared.workshops.generation()
}

/// The learner pages that depend only on their path and the library: rendered once per
/// library version, then served from the shared page cache (see `pages`).
fn learner_page(w: &mut Worker, req: &RequestInfo<'_>, segments: &[&str]) -> HttpResult {
    let version = w.shared.pages.version(generation(&w.shared));
    let key = page_key(req.target, segments, prefs::current());
    let gzip = gzip::accepts_gzip(req.accept_encoding);
    if let Some(version) = version {
        if let Some(reply) = w.shared.pages.get(version, &key, req.if_none_match, gzip) {
            return Ok(reply);
        }
    }
    let reply = in_one_read(w, |w| match segments {
        [] => learner::home(w, req.target),
        ["themes", slug] => learner::theme(w, slug, req.target),
        ["tutoriels", slug] => learner::tutorial(w, slug, req.target),
        ["tutoriels", slug, "etape", n] => learner::step(w, slug, n, req.target),
        ["tutoriels", slug, "tout"] => learner::all_steps(w, slug, req.target),
        ["ateliers"] => learner::workshops(w, req.target),
        ["ateliers", slug] => learner::workshop(w, slug, req.target),
        ["bienvenue"] => captive::welcome(w),
        ["glossaire"] => glossary::index(w),
        ["glossaire", slug] => glossary::entry(w, slug),
        ["formulaires"] => forms::list(w),
        ["formulaires", slug] => forms::intro(w, slug),
        _ => Err(HttpError::NotFound),
    })?;
    Ok(w.shared
        .pages
        .keep(version, &key, reply, req.if_none_match, gzip))
}

/// Runs a handler in one read transaction: all its queries see the same library.
fn in_one_read(w: &mut Worker, handler: impl FnOnce(&mut Worker) -> HttpResult) -> HttpResult {
    w.store.begin_read()?;
    let reply = handler(w);
    w.store.end_read();
    reply
}
