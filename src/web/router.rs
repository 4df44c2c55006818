//! The routing table, in one place: a request's method and decoded path → one handler.

use super::assets::PREFIX as ASSETS_PREFIX;
use super::files;
use super::http::{HttpError, HttpResult};
use super::learner;
use super::url::Target;
use super::Worker;

/// What a handler may read from the request besides its target.
pub struct RequestInfo<'a> {
    pub target: &'a Target,
    pub if_none_match: Option<&'a str>,
}

pub fn route(w: &mut Worker, req: &RequestInfo<'_>) -> HttpResult {
    let segments: Vec<&str> = req.target.segments.iter().map(String::as_str).collect();
    let assets = ASSETS_PREFIX.trim_matches('/');
    match segments.as_slice() {
        [] => learner::home(w),
        ["themes", slug] => learner::theme(w, slug),
        ["tutoriels", slug] => learner::tutorial(w, slug),
        ["tutoriels", slug, "etape", n] => learner::step(w, slug, n),
        ["tutoriels", slug, "tout"] => learner::all_steps(w, slug),
        ["ateliers"] => learner::workshops(w),
        ["ateliers", slug] => learner::workshop(w, slug),
        ["recherche"] => learner::search(w, req.target),
        // Lets the tests prove, against the real binary, that a handler panic becomes a
        // 500 page and leaves the server running. Absent from release builds.
        #[cfg(debug_assertions)]
        ["_kit", "test-panic"] => panic!("deliberate panic for the tests"),
        [prefix, name] if *prefix == assets => w.shared.assets.serve(name, req.if_none_match),
        [prefix, rest @ ..] if *prefix == files::PREFIX => files::serve(&w.shared, rest),
        _ => Err(HttpError::NotFound),
    }
}
