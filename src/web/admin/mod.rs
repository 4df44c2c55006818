//! The admin and conseiller pages, under `/admin`: first-boot setup, login, packs, keys,
//! accounts, settings, status and activity reports.
//!
//! Every page is a row of `ROUTES`, which says who may open it. `dispatch` checks that once,
//! before any handler runs: a session (from its cookie) with the right role, and for every
//! form sent, the page's token and the `Origin`/`Referer` when the browser gives them. A
//! new page cannot forget it, and a test asks every route of the table as a stranger.

mod form_sheets;
mod forms;
mod jobs;
mod login;
pub mod packs;
mod people;
mod reports;
mod settings;
mod upload;
mod workshop;

use std::net::IpAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::{OnceLock, Weak};
use std::time::{Duration, Instant};

use maud::{html, Markup};

use super::http::{HttpError, HttpResult, Reply};
use super::router::{RequestInfo, RequestMethod};
use super::templates::page_with;
use super::{Shared, Worker};
use crate::accounts::throttle::Throttle;
use crate::accounts::{Accounts, Role, Session};

pub use forms::Form;
pub use jobs::Jobs;
pub use upload::{clean_uploads, start as upload_start, Handoff, UPLOAD_PATH};
pub use workshop::step_totals;

/// The session cookie: a random token whose hash is the session's key.
const SESSION_COOKIE: &str = "kit_session";
/// The token of the forms shown before login (setup, login), kept in a cookie of its own
/// and copied in the form (double submit: another site can send neither).
const FORM_COOKIE: &str = "kit_form";
/// The hidden field every form carries.
pub const CSRF_FIELD: &str = "csrf";

/// What the admin pages share across workers.
pub struct AdminState {
    pub throttle: Throttle,
    pub jobs: Jobs,
    /// A login lasts this long after its last use.
    pub session_lifetime: Duration,
    /// Largest pack an upload may bring.
    pub max_upload: u64,
    /// The first-boot code (from `kit.toml` or `admin-setup-code`); `None`: setup only from
    /// the box itself (loopback).
    pub setup_code: Option<String>,
    /// Where USB sticks are mounted, what to do with their packs, how to write to them.
    pub usb: crate::config::UsbConfig,
    /// Whether an upstream catalog is set (`[sync] upstream`), for the packs page.
    pub upstream: Option<String>,
    pub started: Instant,
    /// Uploads being received now.
    pub uploads: AtomicUsize,
    /// The HTTP server, for the status page's count of connections.
    pub server: OnceLock<Weak<tiny_http::Server>>,
}

impl AdminState {
    pub fn new(
        session_lifetime: Duration,
        max_upload: u64,
        setup_code: Option<String>,
        usb: crate::config::UsbConfig,
        upstream: Option<String>,
    ) -> AdminState {
        AdminState {
            throttle: Throttle::default(),
            jobs: Jobs::default(),
            session_lifetime,
            max_upload,
            setup_code,
            usb,
            upstream,
            started: Instant::now(),
            uploads: AtomicUsize::new(0),
            server: OnceLock::new(),
        }
    }
}

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (login and setup pages).
    Anyone,
    /// A signed-in conseiller or admin.
    Staff,
    /// A signed-in admin.
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// GET (and HEAD).
    Get,
    Post,
}

/// What a handler gets besides the worker.
pub struct Ctx<'r, 'a> {
    pub req: &'r RequestInfo<'a>,
    /// The session, on every `Staff` and `Admin` route; on `Anyone` routes when there is one.
    pub session: Option<Session>,
    /// The form sent (empty for a GET).
    pub form: Form,
    /// The path segments matched by `*`, in order.
    pub params: Vec<String>,
}

impl Ctx<'_, '_> {
    /// The session of a `Staff` or `Admin` route (checked by `dispatch`).
    pub fn session(&self) -> Result<&Session, HttpError> {
        self.session.as_ref().ok_or(HttpError::Forbidden)
    }

    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map(String::as_str).unwrap_or("")
    }
}

type Handler = fn(&mut Worker, &mut Ctx<'_, '_>) -> HttpResult;

pub struct Route {
    pub verb: Verb,
    /// Path segments; `*` matches any one segment.
    pub path: &'static [&'static str],
    pub access: Access,
    handler: Handler,
}

const fn route(
    verb: Verb,
    path: &'static [&'static str],
    access: Access,
    handler: Handler,
) -> Route {
    Route {
        verb,
        path,
        access,
        handler,
    }
}

use Access::{Admin, Anyone, Staff};
use Verb::{Get, Post};

/// Every admin and conseiller page. Add a page here, with the role it needs.
pub const ROUTES: &[Route] = &[
    route(Get, &["admin"], Staff, settings::home),
    route(Get, &["admin", "premier-compte"], Anyone, login::setup_page),
    route(Post, &["admin", "premier-compte"], Anyone, login::setup),
    route(Get, &["admin", "connexion"], Anyone, login::login_page),
    route(Post, &["admin", "connexion"], Anyone, login::login),
    route(Post, &["admin", "deconnexion"], Staff, login::logout),
    route(Get, &["admin", "mon-compte"], Staff, login::my_account),
    route(
        Post,
        &["admin", "mon-compte"],
        Staff,
        login::change_my_password,
    ),
    route(Get, &["admin", "atelier"], Staff, workshop::page),
    route(Post, &["admin", "atelier"], Staff, workshop::start),
    route(
        Get,
        &["admin", "atelier", "projecteur"],
        Staff,
        workshop::projector,
    ),
    route(
        Get,
        &["admin", "atelier", "tableau.json"],
        Staff,
        workshop::dashboard_json,
    ),
    route(
        Post,
        &["admin", "atelier", "aide", "*", "fait"],
        Staff,
        workshop::help_done,
    ),
    route(
        Post,
        &["admin", "atelier", "terminer"],
        Staff,
        workshop::end,
    ),
    route(Get, &["admin", "paquets"], Admin, packs::list),
    route(
        Post,
        &["admin", "paquets", "envoyer"],
        Admin,
        upload::receive,
    ),
    route(
        Post,
        &["admin", "paquets", "cle-usb"],
        Admin,
        packs::install_from_usb,
    ),
    route(
        Post,
        &["admin", "paquets", "synchroniser"],
        Admin,
        packs::sync_now,
    ),
    route(
        Post,
        &["admin", "paquets", "exporter"],
        Admin,
        packs::export,
    ),
    route(
        Post,
        &["admin", "paquets", "*", "retour"],
        Admin,
        packs::rollback,
    ),
    route(
        Post,
        &["admin", "paquets", "*", "retirer"],
        Admin,
        packs::remove,
    ),
    route(Get, &["admin", "travaux", "*"], Admin, packs::job_page),
    route(
        Get,
        &["admin", "travaux", "*", "etat"],
        Admin,
        packs::job_state,
    ),
    route(Get, &["admin", "cles"], Admin, people::keys),
    route(Post, &["admin", "cles"], Admin, people::add_key),
    route(
        Post,
        &["admin", "cles", "*", "retirer"],
        Admin,
        people::remove_key,
    ),
    route(Get, &["admin", "comptes"], Admin, people::users),
    route(Post, &["admin", "comptes"], Admin, people::create_user),
    route(
        Post,
        &["admin", "comptes", "*", "supprimer"],
        Admin,
        people::delete_user,
    ),
    route(
        Post,
        &["admin", "comptes", "*", "mot-de-passe"],
        Admin,
        people::set_password,
    ),
    route(Get, &["admin", "comptes-rendus"], Staff, reports::list),
    route(Post, &["admin", "comptes-rendus"], Staff, reports::create),
    // Before the report pages `comptes-rendus/N`, which would match these names too.
    route(
        Get,
        &["admin", "comptes-rendus", "nouveau"],
        Staff,
        reports::new_form,
    ),
    route(
        Get,
        &["admin", "comptes-rendus", "export.csv"],
        Staff,
        reports::export_csv,
    ),
    route(
        Get,
        &["admin", "comptes-rendus", "export.json"],
        Staff,
        reports::export_json,
    ),
    route(
        Get,
        &["admin", "comptes-rendus", "*"],
        Staff,
        reports::edit_form,
    ),
    route(
        Post,
        &["admin", "comptes-rendus", "*"],
        Staff,
        reports::update,
    ),
    route(
        Post,
        &["admin", "comptes-rendus", "*", "supprimer"],
        Staff,
        reports::delete,
    ),
    route(Get, &["admin", "formulaires"], Staff, form_sheets::list),
    route(
        Get,
        &["admin", "formulaires", "*"],
        Staff,
        form_sheets::sheet,
    ),
    route(Get, &["admin", "reglages"], Admin, settings::settings),
    route(Post, &["admin", "reglages"], Admin, settings::save_settings),
    route(Get, &["admin", "etat"], Admin, settings::status),
];

fn matches(pattern: &[&str], segments: &[&str]) -> bool {
    pattern.len() == segments.len()
        && pattern
            .iter()
            .zip(segments)
            .all(|(p, s)| *p == "*" || p == s)
}

/// Answers a request whose path is in `ROUTES`; `None` for any other path.
pub fn dispatch(w: &mut Worker, req: &RequestInfo<'_>, segments: &[&str]) -> Option<HttpResult> {
    let mut matching = ROUTES
        .iter()
        .filter(|r| matches(r.path, segments))
        .peekable();
    matching.peek()?;
    let verb = match req.method {
        RequestMethod::Get | RequestMethod::Head => Get,
        RequestMethod::Post => Post,
        RequestMethod::Other => return Some(Err(not_allowed(segments))),
    };
    let Some(route) = matching.find(|r| r.verb == verb) else {
        return Some(Err(not_allowed(segments)));
    };
    Some(run(w, req, route, segments))
}

fn not_allowed(segments: &[&str]) -> HttpError {
    let verbs: Vec<Verb> = ROUTES
        .iter()
        .filter(|r| matches(r.path, segments))
        .map(|r| r.verb)
        .collect();
    HttpError::MethodNotAllowed(match (verbs.contains(&Get), verbs.contains(&Post)) {
        (true, true) => "GET, HEAD, POST",
        (true, false) => "GET, HEAD",
        _ => "POST",
    })
}

/// The one authorization check, then the handler.
fn run(w: &mut Worker, req: &RequestInfo<'_>, route: &Route, segments: &[&str]) -> HttpResult {
    let session = current_session(w, req)?;
    let allowed = match (route.access, &session) {
        (Anyone, _) => true,
        (Staff, Some(_)) => true,
        (Admin, Some(s)) => s.user.role == Role::Admin,
        (_, None) => {
            return Ok(match route.verb {
                // Asked again after login.
                Get => Reply::redirect(303, login_url(req.path)),
                Post => return Err(HttpError::Forbidden),
            });
        }
    };
    if !allowed {
        return Err(HttpError::Forbidden);
    }
    let mut form = Form::default();
    if route.verb == Post {
        check_origin(req)?;
        // An upload carries its token in its first part, read by its own thread.
        if req.path != UPLOAD_PATH {
            form = Form::parse(req.body);
            let expected = match &session {
                Some(s) => Some(s.csrf.as_str()),
                None => cookie(req, FORM_COOKIE),
            };
            if !token_matches(form.get(CSRF_FIELD), expected) {
                return Err(HttpError::ExpiredForm);
            }
        }
    }
    let params = route
        .path
        .iter()
        .zip(segments)
        .filter(|(p, _)| **p == "*")
        .map(|(_, s)| (*s).to_owned())
        .collect();
    let mut ctx = Ctx {
        req,
        session,
        form,
        params,
    };
    let reply = (route.handler)(w, &mut ctx)?;
    // A login slides: the browser is told the new expiry too (not on logout, which ends it).
    let slides = route.access != Anyone
        && route.path != ["admin", "deconnexion"]
        && reply.status < 400
        && ctx.session.is_some();
    Ok(match cookie(req, SESSION_COOKIE) {
        Some(token) if slides => reply.header(
            "Set-Cookie",
            session_cookie(token, w.shared.admin.session_lifetime),
        ),
        _ => reply,
    })
}

/// `true` when `sent` is exactly `expected`, compared in constant time.
pub fn token_matches(sent: Option<&str>, expected: Option<&str>) -> bool {
    use subtle::ConstantTimeEq;
    match (sent, expected) {
        (Some(sent), Some(expected)) if !expected.is_empty() => {
            bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
        }
        _ => false,
    }
}

/// A form sent from another site is refused. Browsers send `Origin` with every POST
/// (`Referer` when they do not); either must name this very host. Neither is required: an
/// old phone may send none, and the token still protects the form.
pub(crate) fn check_origin(req: &RequestInfo<'_>) -> Result<(), HttpError> {
    let Some(host) = req.raw_host else {
        return Ok(());
    };
    let own = |url: &str| {
        url.strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
            .map(|rest| rest.split('/').next().unwrap_or(""))
            .is_some_and(|authority| authority.eq_ignore_ascii_case(host.trim()))
    };
    match (req.origin, req.referer) {
        (Some(origin), _) if origin.trim() != "null" => own(origin.trim())
            .then_some(())
            .ok_or(HttpError::ExpiredForm),
        (Some(_), _) => Err(HttpError::ExpiredForm),
        (None, Some(referer)) => own(referer.trim())
            .then_some(())
            .ok_or(HttpError::ExpiredForm),
        (None, None) => Ok(()),
    }
}

/// The value of cookie `name` in the request's `Cookie` header.
pub fn cookie<'a>(req: &RequestInfo<'a>, name: &str) -> Option<&'a str> {
    super::prefs::cookie_value(req.cookie, name)
}

/// The `Set-Cookie` value of a session: not readable by scripts, never sent by another
/// site's page, for the whole kit, until `lifetime`. No `Secure`: the kit serves plain
/// HTTP on its own network (see docs/admin.md).
fn session_cookie(token: &str, lifetime: Duration) -> String {
    format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        lifetime.as_secs()
    )
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// The worker's connection to the accounts, opened on first use.
pub fn accounts(w: &mut Worker) -> Result<&mut Accounts, HttpError> {
    if w.accounts.is_none() {
        let opened =
            Accounts::open(&w.shared.data_dir).map_err(|e| HttpError::Internal(e.to_string()))?;
        w.accounts = Some(opened);
    }
    w.accounts
        .as_mut()
        .ok_or_else(|| HttpError::Internal("accounts".into()))
}

fn current_session(w: &mut Worker, req: &RequestInfo<'_>) -> Result<Option<Session>, HttpError> {
    let Some(token) = cookie(req, SESSION_COOKIE) else {
        return Ok(None);
    };
    let lifetime = w.shared.admin.session_lifetime;
    accounts(w)?
        .session(token, lifetime)
        .map_err(|e| HttpError::Internal(e.to_string()))
}

/// `/admin/connexion?suite=PATH`: where an anonymous visitor of `path` is sent.
fn login_url(path: &str) -> String {
    if path == "/admin" || !is_admin_path(path) {
        "/admin/connexion".into()
    } else {
        format!("/admin/connexion?suite={}", forms::encode(path))
    }
}

/// A path of ours under `/admin` (for redirects after login: never another site).
pub fn is_admin_path(path: &str) -> bool {
    (path == "/admin" || path.starts_with("/admin/"))
        && !path.contains("//")
        && !path.contains('\\')
        && path.bytes().all(|b| b.is_ascii_graphic())
}

/// The client's address, for the login throttle.
pub fn peer(req: &RequestInfo<'_>) -> IpAddr {
    req.peer.unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// An admin page: the portal's layout with the admin menu and its own style and script.
pub fn admin_page(shared: &Shared, session: Option<&Session>, title: &str, main: Markup) -> String {
    let t = shared.catalog();
    let nav = html! {
        @if let Some(s) = session {
            a href="/admin" { (t.a("nav_home")) }
            a href="/admin/atelier" { (t.a("nav_workshop")) }
            a href="/admin/comptes-rendus" { (t.a("nav_reports")) }
            a href="/admin/formulaires" { (t.f("aidant_nav")) }
            @if s.user.role == Role::Admin {
                a href="/admin/paquets" { (t.a("nav_packs")) }
                a href="/admin/cles" { (t.a("nav_keys")) }
                a href="/admin/comptes" { (t.a("nav_users")) }
                a href="/admin/reglages" { (t.a("nav_settings")) }
                a href="/admin/etat" { (t.a("nav_status")) }
            }
            a href="/admin/mon-compte" { (t.a("nav_my_account")) }
            form.inline action="/admin/deconnexion" method="post" {
                input type="hidden" name=(CSRF_FIELD) value=(s.csrf);
                button.linkish type="submit" { (t.a("logout")) }
            }
        } @else {
            a href="/" { (t.nav_home) }
        }
    };
    let head = html! {
        link rel="stylesheet" href=(shared.assets.url("admin.css"));
        script src=(shared.assets.url("admin.js")) defer {}
    };
    page_with(shared, title, &[], nav, head, main)
}

/// A page's reply with `status`.
pub fn reply(status: u16, page: String) -> Reply {
    Reply::private_html(status, page)
}

/// The "done" message a page shows after a form sent the browser back to it with
/// `?fait=CODE`: the text of `CODE` in `known` (code, text) pairs. Only known codes say
/// anything, so the query cannot put words on the page.
pub fn done_notice(ctx: &Ctx<'_, '_>, known: &[(&str, &str)]) -> Option<(bool, String)> {
    let code = ctx.req.target.param("fait")?;
    let (_, text) = known.iter().find(|(c, _)| *c == code)?;
    Some((true, (*text).to_owned()))
}

/// The hidden token field of a form of this session.
pub fn csrf_input(session: &Session) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(session.csrf); }
}

/// A message box above a page's content: done (green) or a problem (red).
pub fn notice(ok: bool, text: &str) -> Markup {
    html! {
        @if ok {
            p.notice.ok role="status" { (text) }
        } @else {
            p.notice.problem role="alert" { (text) }
        }
    }
}

/// The route table as text, for the test that asks every route as a stranger:
/// `VERB /path ACCESS` per line (`*` segments as `x`).
#[cfg(debug_assertions)]
pub fn route_list() -> String {
    ROUTES
        .iter()
        .map(|r| {
            let path: Vec<&str> = r
                .path
                .iter()
                .map(|s| if *s == "*" { "x" } else { s })
                .collect();
            format!(
                "{} /{} {:?}\n",
                match r.verb {
                    Get => "GET",
                    Post => "POST",
                },
                path.join("/"),
                r.access
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_admin_text_is_in_the_catalog() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("login.rs"),
            include_str!("packs.rs"),
            include_str!("people.rs"),
            include_str!("reports.rs"),
            include_str!("settings.rs"),
            include_str!("upload.rs"),
            include_str!("jobs.rs"),
            include_str!("workshop.rs"),
            include_str!("../templates.rs"),
        ];
        let catalog = crate::i18n::fr();
        let mut missing = Vec::new();
        for source in sources {
            for piece in source.split(".a(\"").skip(1) {
                let key = piece.split('"').next().unwrap_or("");
                if !catalog.admin.contains_key(key) {
                    missing.push(key.to_owned());
                }
            }
        }
        assert!(
            missing.is_empty(),
            "missing in src/i18n/fr.toml [admin]: {missing:?}"
        );
    }

    #[test]
    fn only_admin_paths_are_followed_after_login() {
        for ok in ["/admin", "/admin/paquets", "/admin/travaux/3"] {
            assert!(is_admin_path(ok), "{ok}");
        }
        for bad in [
            "/",
            "//evil.org",
            "/admin//evil.org",
            "/adminx",
            "http://x/admin",
            "/admin/\\evil",
            "/admin/a b",
        ] {
            assert!(!is_admin_path(bad), "{bad}");
        }
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(token_matches(Some("abc"), Some("abc")));
        assert!(!token_matches(Some("ab"), Some("abc")));
        assert!(!token_matches(Some(""), Some("")));
        assert!(!token_matches(None, Some("abc")));
        assert!(!token_matches(Some("abc"), None));
    }

    #[test]
    fn named_report_pages_come_before_the_report_number_route() {
        for (verb, name) in [(Get, "nouveau"), (Get, "export.csv"), (Get, "export.json")] {
            let segments = ["admin", "comptes-rendus", name];
            let first = ROUTES
                .iter()
                .find(|r| r.verb == verb && matches(r.path, &segments))
                .unwrap();
            assert_eq!(first.path, segments, "{name} is shadowed");
        }
    }

    #[test]
    fn routes_are_unique_and_every_post_needs_a_login_but_login_and_setup() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(
                    !(a.verb == b.verb && a.path == b.path),
                    "{:?} twice",
                    a.path
                );
            }
            if a.access == Anyone {
                assert!(
                    matches!(a.path, ["admin", "connexion"] | ["admin", "premier-compte"]),
                    "{:?} is open to anyone",
                    a.path
                );
            }
        }
    }
}
