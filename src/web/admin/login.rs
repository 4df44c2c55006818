//! First-boot setup, login, logout, and "my account" (a new password).

use std::time::Instant;

use maud::{html, Markup};

use super::{
    accounts, admin_page, cookie, csrf_input, is_admin_path, notice, peer, reply, session_cookie,
    token_matches, Ctx, CSRF_FIELD, FORM_COOKIE,
};
use crate::accounts::password::{self, HashSlot};
use crate::accounts::throttle::Key;
use crate::accounts::{normalize_name, random_hex, AccountError, Session, User};
use crate::web::http::{HttpError, HttpResult, Reply};
use crate::web::Worker;

/// Status of a form sent back with a problem to fix.
const TO_FIX: u16 = 422;

fn internal(e: impl std::fmt::Display) -> HttpError {
    HttpError::Internal(e.to_string())
}

/// The token of the forms shown before login, and the cookie to set if it is new.
fn form_token(ctx: &Ctx<'_, '_>) -> Result<(String, Option<String>), HttpError> {
    match cookie(ctx.req, FORM_COOKIE) {
        Some(token) if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok((token.to_owned(), None))
        }
        _ => {
            let token = random_hex(32).map_err(internal)?;
            let set = format!("{FORM_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/admin");
            Ok((token, Some(set)))
        }
    }
}

fn with_cookie(reply: Reply, set: Option<String>) -> Reply {
    match set {
        Some(value) => reply.header("Set-Cookie", value),
        None => reply,
    }
}

/// `true` when the request comes from the box itself: `127.0.0.1` or `::1` (someone with a
/// keyboard on the box, or SSH). Phones never come from there, whatever the firewall does.
fn from_the_box(ctx: &Ctx<'_, '_>) -> bool {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    matches!(ctx.req.peer, Some(ip) if ip == IpAddr::V4(Ipv4Addr::LOCALHOST) || ip == IpAddr::V6(Ipv6Addr::LOCALHOST))
}

fn password_fields(w: &Worker, autocomplete: &str) -> Markup {
    let t = w.shared.catalog();
    html! {
        label for="mot_de_passe" { (t.a("password")) }
        p.hint #mdp-aide { (t.a("password_rule")) }
        input #mot_de_passe type="password" name="mot_de_passe" required minlength="10"
            maxlength="256" autocomplete=(autocomplete) aria-describedby="mdp-aide";
        label for="mot_de_passe_2" { (t.a("password_again")) }
        input #mot_de_passe_2 type="password" name="mot_de_passe_2" required minlength="10"
            maxlength="256" autocomplete=(autocomplete);
    }
}

/// Checks a new password and its copy; the FALC message when they do not do.
pub fn new_password(w: &Worker, ctx: &Ctx<'_, '_>) -> Result<String, String> {
    let t = w.shared.catalog();
    let first = ctx.form.get("mot_de_passe").unwrap_or("");
    let again = ctx.form.get("mot_de_passe_2").unwrap_or("");
    password::check_rule(first).map_err(|e| account_message(w, &e))?;
    if first != again {
        return Err(t.a("password_mismatch").to_owned());
    }
    Ok(first.to_owned())
}

/// What to tell the admin about an account error, in FALC.
pub fn account_message(w: &Worker, e: &AccountError) -> String {
    let t = w.shared.catalog();
    match e {
        AccountError::ShortPassword => t.a("password_short").into(),
        AccountError::LongPassword => t.a("password_long").into(),
        AccountError::BadName(_) => t.a("name_bad").into(),
        AccountError::Exists(_) => t.a("name_taken").into(),
        AccountError::LastAdmin(_) => t.a("last_admin").into(),
        AccountError::AlreadySetUp => t.a("setup_done").into(),
        AccountError::NoSuchUser(_) => t.a("no_such_user").into(),
        other => other.to_string(),
    }
}

/// Hashes `password` in one of the few hashing places, or says "busy".
fn hash(password: &str) -> Result<String, HttpError> {
    let _slot = HashSlot::try_take().ok_or(HttpError::Busy)?;
    password::hash(password).map_err(internal)
}

/// Opens a session for `user` and sends the browser to `to` with its cookie.
fn signed_in(w: &mut Worker, user: &User, to: &str) -> HttpResult {
    let lifetime = w.shared.admin.session_lifetime;
    let new = accounts(w)?
        .create_session(user, lifetime)
        .map_err(internal)?;
    log::info!("{} signed in ({})", user.name, user.role.as_str());
    Ok(Reply::redirect(303, to.to_owned())
        .header("Set-Cookie", session_cookie(&new.token, lifetime)))
}

fn setup_form(w: &Worker, ctx: &Ctx<'_, '_>, token: &str, problem: Option<&str>) -> Markup {
    let t = w.shared.catalog();
    let ask_code = !from_the_box(ctx);
    html! {
        h1 { (t.a("setup_title")) }
        p.lead { (t.a("setup_intro")) }
        @if let Some(problem) = problem { (notice(false, problem)) }
        form.stack action="/admin/premier-compte" method="post" {
            input type="hidden" name=(CSRF_FIELD) value=(token);
            @if ask_code {
                label for="code" { (t.a("setup_code")) }
                p.hint #code-aide { (t.a("setup_code_hint")) }
                input #code name="code" type="text" inputmode="numeric" autocomplete="off"
                    required maxlength="64" aria-describedby="code-aide";
            }
            label for="nom" { (t.a("name")) }
            p.hint #nom-aide { (t.a("name_rule")) }
            input #nom name="nom" type="text" required maxlength="32" autocomplete="username"
                autocapitalize="none" aria-describedby="nom-aide" value=(ctx.form.text("nom"));
            (password_fields(w, "new-password"))
            button.button.big type="submit" { (t.a("setup_submit")) }
        }
    }
}

/// `GET /admin/premier-compte`.
pub fn setup_page(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let t = w.shared.catalog();
    if accounts(w)?.user_count().map_err(internal)? > 0 {
        let main = html! {
            h1 { (t.a("setup_title")) }
            p.lead { (t.a("setup_done")) }
            p { a.button href="/admin/connexion" { (t.a("login_submit")) } }
        };
        return Ok(reply(
            200,
            admin_page(&w.shared, None, t.a("setup_title"), main),
        ));
    }
    let (token, set) = form_token(ctx)?;
    let main = setup_form(w, ctx, &token, None);
    Ok(with_cookie(
        reply(200, admin_page(&w.shared, None, t.a("setup_title"), main)),
        set,
    ))
}

/// `POST /admin/premier-compte`: the setup code (unless on the box itself), then the first
/// admin account.
pub fn setup(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let t = w.shared.catalog();
    let shared = std::sync::Arc::clone(&w.shared);
    let again = |w: &Worker, ctx: &Ctx<'_, '_>, status: u16, problem: &str| -> HttpResult {
        let token = ctx.form.text(CSRF_FIELD).to_owned();
        let main = setup_form(w, ctx, &token, Some(problem));
        Ok(reply(
            status,
            admin_page(&w.shared, None, t.a("setup_title"), main),
        ))
    };
    if accounts(w)?.user_count().map_err(internal)? > 0 {
        // The code served its purpose once: it opens nothing now.
        let main = html! {
            h1 { (t.a("setup_title")) }
            (notice(false, t.a("setup_done")))
            p { a.button href="/admin/connexion" { (t.a("login_submit")) } }
        };
        return Ok(reply(
            403,
            admin_page(&shared, None, t.a("setup_title"), main),
        ));
    }
    let keys = [Key::Address(peer(ctx.req)), Key::SetupCode];
    if !from_the_box(ctx) {
        if let Err(wait) = shared.admin.throttle.check(&keys, Instant::now()) {
            return Err(HttpError::TooManyTries(wait.as_secs().max(1)));
        }
        let Some(expected) = shared.admin.setup_code.as_deref() else {
            return again(w, ctx, 403, t.a("setup_no_code"));
        };
        let typed: String = ctx
            .form
            .text("code")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if !token_matches(Some(&typed), Some(expected)) {
            shared.admin.throttle.failed(&keys, Instant::now());
            log::warn!("wrong setup code from {}", peer(ctx.req));
            return again(w, ctx, TO_FIX, t.a("setup_code_wrong"));
        }
    }
    let name = match normalize_name(ctx.form.text("nom")) {
        Ok(name) => name,
        Err(e) => return again(w, ctx, TO_FIX, &account_message(w, &e)),
    };
    let password = match new_password(w, ctx) {
        Ok(p) => p,
        Err(problem) => return again(w, ctx, TO_FIX, &problem),
    };
    let hashed = hash(&password)?;
    let user = match accounts(w)?.create_first_admin(&name, &hashed) {
        Ok(user) => user,
        Err(e @ AccountError::AlreadySetUp) => return again(w, ctx, 403, &account_message(w, &e)),
        Err(e) => return Err(internal(e)),
    };
    shared.admin.throttle.succeeded(&keys);
    log::info!("first admin account created: {}", user.name);
    signed_in(w, &user, "/admin")
}

fn login_form(w: &Worker, ctx: &Ctx<'_, '_>, token: &str, problem: Option<&str>) -> Markup {
    let t = w.shared.catalog();
    let suite = ctx
        .form
        .get("suite")
        .or(ctx.req.target.param("suite"))
        .filter(|s| is_admin_path(s))
        .unwrap_or("/admin");
    let ended = ctx.req.target.param("fin").is_some();
    html! {
        h1 { (t.a("login_title")) }
        @if ended { (notice(true, t.a("logged_out"))) }
        @if let Some(problem) = problem { (notice(false, problem)) }
        form.stack action="/admin/connexion" method="post" {
            input type="hidden" name=(CSRF_FIELD) value=(token);
            input type="hidden" name="suite" value=(suite);
            label for="nom" { (t.a("name")) }
            input #nom name="nom" type="text" required maxlength="32" autocomplete="username"
                autocapitalize="none" value=(ctx.form.text("nom"));
            label for="mot_de_passe" { (t.a("password")) }
            input #mot_de_passe type="password" name="mot_de_passe" required maxlength="256"
                autocomplete="current-password";
            button.button.big type="submit" { (t.a("login_submit")) }
        }
        p.hint { (t.a("login_forgot")) }
    }
}

/// `GET /admin/connexion`.
pub fn login_page(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let t = w.shared.catalog();
    if ctx.session.is_some() {
        return Ok(Reply::redirect(303, "/admin".into()));
    }
    if accounts(w)?.user_count().map_err(internal)? == 0 {
        return Ok(Reply::redirect(303, "/admin/premier-compte".into()));
    }
    let (token, set) = form_token(ctx)?;
    let main = login_form(w, ctx, &token, None);
    Ok(with_cookie(
        reply(200, admin_page(&w.shared, None, t.a("login_title"), main)),
        set,
    ))
}

/// `POST /admin/connexion`: growing delays after failures, per address and per name.
pub fn login(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let t = w.shared.catalog();
    let shared = std::sync::Arc::clone(&w.shared);
    let typed = ctx.form.text("nom").to_ascii_lowercase();
    let name: String = typed.chars().take(64).collect();
    let keys = [Key::Address(peer(ctx.req)), Key::Account(name.clone())];
    if let Err(wait) = shared.admin.throttle.check(&keys, Instant::now()) {
        return Err(HttpError::TooManyTries(wait.as_secs().max(1)));
    }
    let password = ctx.form.get("mot_de_passe").unwrap_or("");
    let found = accounts(w)?.user_with_hash(&name).map_err(internal)?;
    let ok = {
        let _slot = HashSlot::try_take().ok_or(HttpError::Busy)?;
        match &found {
            Some((_, stored)) if password.len() <= password::MAX_BYTES => {
                password::verify(password, stored)
            }
            _ => {
                password::verify_nobody(password);
                false
            }
        }
    };
    match (ok, found) {
        (true, Some((user, _))) => {
            shared.admin.throttle.succeeded(&keys);
            let to = ctx
                .form
                .get("suite")
                .filter(|s| is_admin_path(s))
                .unwrap_or("/admin")
                .to_owned();
            signed_in(w, &user, &to)
        }
        _ => {
            shared.admin.throttle.failed(&keys, Instant::now());
            log::warn!("failed login for {name:?} from {}", peer(ctx.req));
            let token = ctx.form.text(CSRF_FIELD).to_owned();
            let main = login_form(w, ctx, &token, Some(t.a("login_wrong")));
            Ok(reply(
                TO_FIX,
                admin_page(&shared, None, t.a("login_title"), main),
            ))
        }
    }
}

/// `POST /admin/deconnexion`: the session ends on the server, and its cookie is cleared.
pub fn logout(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let session = ctx.session()?.clone();
    accounts(w)?.end_session(&session).map_err(internal)?;
    log::info!("{} signed out", session.user.name);
    Ok(Reply::redirect(303, "/admin/connexion?fin=1".into())
        .header("Set-Cookie", super::clear_session_cookie()))
}

fn my_account_page(
    w: &Worker,
    session: &Session,
    status: u16,
    said: Option<(bool, &str)>,
) -> Reply {
    let t = w.shared.catalog();
    let main = html! {
        h1 { (t.a("my_account_title")) }
        p.lead { (crate::i18n::fill(t.a("my_account_intro"), &[("name", &session.user.name)])) }
        @if let Some((ok, text)) = said { (notice(ok, text)) }
        form.stack action="/admin/mon-compte" method="post" {
            (csrf_input(session))
            label for="actuel" { (t.a("password_current")) }
            input #actuel type="password" name="actuel" required maxlength="256"
                autocomplete="current-password";
            (password_fields(w, "new-password"))
            button.button type="submit" { (t.a("password_change")) }
        }
    };
    reply(
        status,
        admin_page(&w.shared, Some(session), t.a("my_account_title"), main),
    )
}

/// `GET /admin/mon-compte`.
pub fn my_account(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let session = ctx.session()?.clone();
    Ok(my_account_page(w, &session, 200, None))
}

/// `POST /admin/mon-compte`: the current password, then the new one twice.
pub fn change_my_password(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let t = w.shared.catalog();
    let shared = std::sync::Arc::clone(&w.shared);
    let session = ctx.session()?.clone();
    let keys = [
        Key::Address(peer(ctx.req)),
        Key::Account(session.user.name.clone()),
    ];
    if let Err(wait) = shared.admin.throttle.check(&keys, Instant::now()) {
        return Err(HttpError::TooManyTries(wait.as_secs().max(1)));
    }
    let current = ctx.form.get("actuel").unwrap_or("");
    let stored = accounts(w)?
        .user_with_hash(&session.user.name)
        .map_err(internal)?
        .map(|(_, h)| h)
        .unwrap_or_default();
    let ok = {
        let _slot = HashSlot::try_take().ok_or(HttpError::Busy)?;
        current.len() <= password::MAX_BYTES && password::verify(current, &stored)
    };
    if !ok {
        shared.admin.throttle.failed(&keys, Instant::now());
        return Ok(my_account_page(
            w,
            &session,
            TO_FIX,
            Some((false, t.a("password_current_wrong"))),
        ));
    }
    let new = match new_password(w, ctx) {
        Ok(p) => p,
        Err(problem) => {
            return Ok(my_account_page(
                w,
                &session,
                TO_FIX,
                Some((false, &problem)),
            ))
        }
    };
    let hashed = hash(&new)?;
    accounts(w)?
        .set_password(&session.user.name, &hashed)
        .map_err(internal)?;
    log::info!("{} changed their password", session.user.name);
    // Every session ended, this one too: a new one keeps this browser signed in.
    signed_in(w, &session.user, "/admin?fait=mot-de-passe")
}
