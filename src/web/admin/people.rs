//! Trusted publisher keys and the accounts.

use std::sync::Arc;

use maud::html;

use super::login::{account_message, new_password};
use super::{accounts, admin_page, csrf_input, done_notice, notice, reply, Ctx};
use crate::accounts::password::{self, HashSlot};
use crate::accounts::{normalize_name, Role, Session};
use crate::i18n::fill;
use crate::packs::format::short_key;
use crate::packs::keys;
use crate::store::Store;
use crate::web::http::{HttpError, HttpResult, Reply};
use crate::web::Worker;

fn internal(e: impl std::fmt::Display) -> HttpError {
    HttpError::Internal(e.to_string())
}

fn keys_page(
    w: &mut Worker,
    session: &Session,
    status: u16,
    said: Option<(bool, String)>,
) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    w.store.begin_read()?;
    let keys = w.store.trusted_keys();
    let starter = w.store.starter_publisher();
    w.store.end_read();
    let (keys, starter) = (keys?, starter?);
    let main = html! {
        h1 { (t.a("keys_title")) }
        p.lead { (t.a("keys_intro")) }
        @if let Some((ok, text)) = &said { (notice(*ok, text)) }
        @if keys.is_empty() { p { (t.a("keys_none")) } }
        ul.rows {
            @for (key, name) in &keys {
                li.row {
                    p.row-title { @if name.is_empty() { (t.a("key_no_name")) } @else { (name) } }
                    p.hint.key { (key) }
                    @if starter.as_deref() == Some(key.as_str()) { p { (t.a("key_starter")) } }
                    form.inline action=(format!("/admin/cles/{key}/retirer")) method="post" {
                        (csrf_input(session))
                        button.button.danger type="submit" { (t.a("key_remove")) }
                    }
                }
            }
        }
        h2 { (t.a("key_add_heading")) }
        form.stack action="/admin/cles" method="post" {
            (csrf_input(session))
            label for="cle" { (t.a("key_label")) }
            p.hint #cle-aide { (t.a("key_hint")) }
            textarea #cle name="cle" rows="3" required maxlength="400" autocomplete="off"
                spellcheck="false" aria-describedby="cle-aide" {}
            label for="nom-cle" { (t.a("key_name")) }
            input #nom-cle name="nom" type="text" maxlength="80";
            label.check {
                input type="checkbox" name="starter" value="1";
                " " (t.a("key_starter_choice"))
            }
            button.button type="submit" { (t.a("key_add")) }
        }
    };
    Ok(reply(
        status,
        admin_page(&shared, Some(session), t.a("keys_title"), main),
    ))
}

/// `GET /admin/cles`.
pub fn keys(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let session = ctx.session()?.clone();
    let said = done_notice(
        ctx,
        &[
            ("ajout", w.shared.catalog().a("key_added")),
            ("retrait", w.shared.catalog().a("key_removed")),
        ],
    );
    keys_page(w, &session, 200, said)
}

/// A connection that may write to the library's key table.
fn writer(w: &Worker) -> Result<Store, HttpError> {
    Store::open(&w.shared.db_path).map_err(internal)
}

/// `POST /admin/cles`: a key as 64 hex digits or a `.pub` file's text.
pub fn add_key(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let t = w.shared.catalog();
    let session = ctx.session()?.clone();
    let typed: String = ctx
        .form
        .text("cle")
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n");
    // A line of hex digits is the key (a `.pub` file may say more around it); never a path.
    let candidate = typed
        .split_whitespace()
        .find(|word| word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or("");
    let key = match keys::parse_public(candidate) {
        Ok(key) if !candidate.is_empty() => key,
        _ => return keys_page(w, &session, 422, Some((false, t.a("key_bad").to_owned()))),
    };
    let name: String = ctx
        .form
        .text("nom")
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    let mut store = writer(w)?;
    store.add_trusted_key(&key, &name)?;
    if ctx.form.checked("starter") {
        store.designate_starter_publisher(&key)?;
    }
    log::info!("{} trusted key {}…", session.user.name, short_key(&key));
    Ok(Reply::redirect(303, "/admin/cles?fait=ajout".into()))
}

/// `POST /admin/cles/KEY/retirer`.
pub fn remove_key(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let session = ctx.session()?.clone();
    let key = ctx.param(0).to_ascii_lowercase();
    if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(HttpError::NotFound);
    }
    let mut store = writer(w)?;
    if store.remove_trusted_key(&key)? == 0 {
        return Err(HttpError::NotFound);
    }
    log::info!(
        "{} removed trusted key {}…",
        session.user.name,
        short_key(&key)
    );
    Ok(Reply::redirect(303, "/admin/cles?fait=retrait".into()))
}

fn role_label(w: &Worker, role: Role) -> &str {
    match role {
        Role::Admin => w.shared.catalog().a("role_admin"),
        Role::Conseiller => w.shared.catalog().a("role_conseiller"),
    }
}

fn users_page(
    w: &mut Worker,
    ctx: &Ctx<'_, '_>,
    status: u16,
    said: Option<(bool, String)>,
) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let session = ctx.session()?.clone();
    let users = accounts(w)?.users().map_err(internal)?;
    let main = html! {
        h1 { (t.a("users_title")) }
        p.lead { (t.a("users_intro")) }
        @if let Some((ok, text)) = &said { (notice(*ok, text)) }
        ul.rows {
            @for user in &users {
                li.row {
                    p.row-title { (user.name) }
                    p { (role_label(w, user.role)) }
                    details {
                        summary { (t.a("user_new_password")) }
                        form.stack action=(format!("/admin/comptes/{}/mot-de-passe", user.name)) method="post" {
                            (csrf_input(&session))
                            label for=(format!("mdp-{}", user.name)) { (t.a("password")) }
                            input id=(format!("mdp-{}", user.name)) type="password" name="mot_de_passe" required minlength="10" maxlength="256" autocomplete="new-password";
                            label for=(format!("mdp2-{}", user.name)) { (t.a("password_again")) }
                            input id=(format!("mdp2-{}", user.name)) type="password" name="mot_de_passe_2" required minlength="10" maxlength="256" autocomplete="new-password";
                            button.button type="submit" { (t.a("password_change")) }
                        }
                    }
                    @if user.id != session.user.id {
                        form.inline action=(format!("/admin/comptes/{}/supprimer", user.name)) method="post" {
                            (csrf_input(&session))
                            button.button.danger type="submit" { (fill(t.a("user_delete"), &[("name", &user.name)])) }
                        }
                    }
                }
            }
        }
        h2 { (t.a("user_create_heading")) }
        form.stack action="/admin/comptes" method="post" {
            (csrf_input(&session))
            label for="nom" { (t.a("name")) }
            p.hint #nom-aide { (t.a("name_rule")) }
            input #nom name="nom" type="text" required maxlength="32" autocomplete="off"
                autocapitalize="none" aria-describedby="nom-aide";
            fieldset {
                legend { (t.a("role")) }
                label.check { input type="radio" name="role" value="conseiller" checked; " " (t.a("role_conseiller_long")) }
                label.check { input type="radio" name="role" value="admin"; " " (t.a("role_admin_long")) }
            }
            label for="mot_de_passe" { (t.a("password")) }
            p.hint #mdp-aide { (t.a("password_rule")) }
            input #mot_de_passe type="password" name="mot_de_passe" required minlength="10"
                maxlength="256" autocomplete="new-password" aria-describedby="mdp-aide";
            label for="mot_de_passe_2" { (t.a("password_again")) }
            input #mot_de_passe_2 type="password" name="mot_de_passe_2" required minlength="10"
                maxlength="256" autocomplete="new-password";
            button.button type="submit" { (t.a("user_create")) }
        }
    };
    Ok(reply(
        status,
        admin_page(&shared, Some(&session), t.a("users_title"), main),
    ))
}

/// `GET /admin/comptes`.
pub fn users(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let known = [
        ("creation", w.shared.catalog().a("user_created")),
        ("suppression", w.shared.catalog().a("user_deleted")),
        ("mot-de-passe", w.shared.catalog().a("password_changed")),
    ];
    let said = done_notice(ctx, &known);
    users_page(w, ctx, 200, said)
}

fn hash(password: &str) -> Result<String, HttpError> {
    let _slot = HashSlot::try_take().ok_or(HttpError::Busy)?;
    password::hash(password).map_err(internal)
}

/// `POST /admin/comptes`.
pub fn create_user(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let name = match normalize_name(ctx.form.text("nom")) {
        Ok(name) => name,
        Err(e) => {
            let text = account_message(w, &e);
            return users_page(w, ctx, 422, Some((false, text)));
        }
    };
    let role = Role::parse(ctx.form.text("role")).unwrap_or(Role::Conseiller);
    let password = match new_password(w, ctx) {
        Ok(p) => p,
        Err(text) => return users_page(w, ctx, 422, Some((false, text))),
    };
    if accounts(w)?
        .user_with_hash(&name)
        .map_err(internal)?
        .is_some()
    {
        let text = w.shared.catalog().a("name_taken").to_owned();
        return users_page(w, ctx, 422, Some((false, text)));
    }
    let hashed = hash(&password)?;
    match accounts(w)?.create_user(&name, role, &hashed) {
        Ok(user) => {
            log::info!(
                "{} created account {} ({})",
                ctx.session()?.user.name,
                user.name,
                role.as_str()
            );
            Ok(Reply::redirect(303, "/admin/comptes?fait=creation".into()))
        }
        Err(e) => {
            let text = account_message(w, &e);
            users_page(w, ctx, 422, Some((false, text)))
        }
    }
}

/// `POST /admin/comptes/NAME/supprimer`: never one's own account, never the last admin.
pub fn delete_user(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let name = ctx.param(0).to_ascii_lowercase();
    if name == ctx.session()?.user.name {
        let text = w.shared.catalog().a("user_delete_self").to_owned();
        return users_page(w, ctx, 422, Some((false, text)));
    }
    match accounts(w)?.delete_user(&name) {
        Ok(()) => {
            log::info!("{} deleted account {name}", ctx.session()?.user.name);
            Ok(Reply::redirect(
                303,
                "/admin/comptes?fait=suppression".into(),
            ))
        }
        Err(crate::accounts::AccountError::NoSuchUser(_)) => Err(HttpError::NotFound),
        Err(e) => {
            let text = account_message(w, &e);
            users_page(w, ctx, 422, Some((false, text)))
        }
    }
}

/// `POST /admin/comptes/NAME/mot-de-passe`: a new password for an account (its sessions end).
pub fn set_password(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let name = ctx.param(0).to_ascii_lowercase();
    if accounts(w)?
        .user_with_hash(&name)
        .map_err(internal)?
        .is_none()
    {
        return Err(HttpError::NotFound);
    }
    let password = match new_password(w, ctx) {
        Ok(p) => p,
        Err(text) => return users_page(w, ctx, 422, Some((false, text))),
    };
    let hashed = hash(&password)?;
    accounts(w)?
        .set_password(&name, &hashed)
        .map_err(internal)?;
    log::info!("{} set a new password for {name}", ctx.session()?.user.name);
    if name == ctx.session()?.user.name {
        // Their own: this session ended with the others.
        return Ok(Reply::redirect(303, "/admin/connexion".into()));
    }
    Ok(Reply::redirect(
        303,
        "/admin/comptes?fait=mot-de-passe".into(),
    ))
}
