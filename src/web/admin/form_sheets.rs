//! The conseiller's "fiche aidant" of each practice form: every field, what the learner
//! reads, and a longer explanation for helping them.

use std::sync::Arc;

use maud::html;

use super::{admin_page, reply, Ctx};
use crate::forms::{FieldType, FormDef};
use crate::i18n::fill;
use crate::store::Paging;
use crate::web::http::{HttpError, HttpResult};
use crate::web::Worker;

/// `GET /admin/formulaires`: the forms, each with its sheet.
pub fn list(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let (forms, _) = w.store.items_of_kind("form", Paging::page(1, 500))?;
    let main = html! {
        h1 { (t.f("aidant_list_title")) }
        p { (t.f("aidant_list_intro")) }
        @if forms.is_empty() { p { (t.f("list_empty")) } }
        ul {
            @for form in &forms {
                li { a href=(format!("/admin/formulaires/{}", form.slug)) { (form.title) } }
            }
        }
    };
    let title = t.f("aidant_list_title");
    Ok(reply(
        200,
        admin_page(&shared, ctx.session.as_ref(), title, main),
    ))
}

/// `GET /admin/formulaires/<slug>`: one form's sheet.
pub fn sheet(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let slug = ctx.param(0).to_owned();
    let page = w
        .store
        .item_page("form", &slug)?
        .ok_or(HttpError::NotFound)?;
    let def: FormDef = serde_json::from_str::<crate::forms::Stored>(&page.extra)
        .map_err(|e| HttpError::Internal(format!("form `{slug}` definition: {e}")))?
        .def;
    let label_of = |id: &str| def.field(id).map(|f| f.label.clone()).unwrap_or_default();
    let main = html! {
        h1 { (fill(t.f("aidant_title"), &[("title", &def.title)])) }
        p { (def.summary) }
        p { a href=(format!("/formulaires/{slug}")) { (t.f("aidant_learner_page")) } }
        h2 { (t.f("aidant_procedure")) }
        p { (def.procedure) }
        @if !def.papers.is_empty() {
            h2 { (t.f("aidant_papers")) }
            ul { @for paper in &def.papers { li { (paper.label) } } }
        }
        h2 { (t.f("aidant_questions")) }
        @for section in &def.sections {
            h3 { (section.title) }
            ol.sheet {
                @for field in &section.fields {
                    li {
                        p { strong { (field.label) } }
                        dl {
                            dt { (t.f("aidant_type")) }
                            dd {
                                (t.f(&format!("type_{}", field.kind.code())))
                                @if field.kind != FieldType::Signature {
                                    " · " (if field.required { t.f("aidant_required") } else { t.f("aidant_optional") })
                                }
                            }
                            @if let Some(when) = &field.when {
                                dd { (fill(t.f("aidant_condition"), &[("field", &label_of(&when.field)), ("value", &when.equals)])) }
                            }
                            @if !field.choices.is_empty() {
                                dt { (t.f("aidant_choices")) }
                                dd { (field.choices.join(" · ")) }
                            }
                            @if !field.help.is_empty() {
                                dt { (t.f("aidant_help")) }
                                dd { (field.help) }
                            }
                            @if !field.example.is_empty() {
                                dt { (t.f("aidant_example")) }
                                dd { (field.example) }
                            }
                            @if !field.helper.is_empty() {
                                dt { (t.f("aidant_explain")) }
                                dd { (field.helper) }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = fill(t.f("aidant_title"), &[("title", &def.title)]);
    Ok(reply(
        200,
        admin_page(&shared, ctx.session.as_ref(), &title, main),
    ))
}
