//! The learner's practice forms: the list, a form's presentation (papers, privacy notice),
//! then one question per screen, the review and the print page.
//!
//! Nothing is kept on the server: the answers travel in each POST as hidden fields (never in
//! a URL) and come back in the page; the replies are `no-store`. With JavaScript, `forms.js`
//! keeps a draft in the phone's own storage until "Effacer mes réponses".

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use maud::{html, Markup};

use super::admin::Form;
use super::http::{HttpError, HttpResult, Reply};
use super::router::{RequestInfo, RequestMethod};
use super::templates::{cards, content_dir, content_lang, fragment, listen_button, page_with};
use super::{Shared, Worker};
use crate::forms::validate::{self, Invalid};
use crate::forms::{commune_key, Answers, Field, FieldType, FormDef, MAX_FIELDS};
use crate::i18n::fill;
use crate::reports::date::Date;
use crate::store::{ItemRow, Paging};

/// The prefix of an answer's field name: `r.<field id>`.
const ANSWER: &str = "r.";
/// Most fields one request may carry: every answer of the largest form (a list of choices
/// sends one field per ticked box), and the few of the page itself.
const MAX_PAIRS: usize = 4 * MAX_FIELDS + 10;
/// Longest value of one field, in bytes (a long answer is 1,000 characters at most).
const MAX_VALUE: usize = 4 * 1024;
/// Most forms listed on one page.
const LIST_SIZE: usize = 200;

/// A form of the library, ready to show.
pub(super) struct Loaded {
    pub item: ItemRow,
    pub purpose_html: String,
    pub def: FormDef,
    /// Each field's help with its glossary links (`forms::Stored`).
    pub help_html: std::collections::BTreeMap<String, String>,
}

/// Forms kept parsed per worker thread.
const KEPT_FORMS: usize = 64;

thread_local! {
    /// This worker's parsed forms, for the library version (`PRAGMA data_version`) they
    /// were read from: a question's POST then neither queries nor parses its definition.
    static PARSED: RefCell<(i64, HashMap<String, Rc<Loaded>>)> = RefCell::new((i64::MIN, HashMap::new()));
}

pub(super) fn load(w: &mut Worker, slug: &str) -> Result<Rc<Loaded>, HttpError> {
    let version = w.store.data_version()?;
    let kept = PARSED.with(|p| {
        let p = p.borrow();
        (p.0 == version).then(|| p.1.get(slug).cloned()).flatten()
    });
    if let Some(loaded) = kept {
        return Ok(loaded);
    }
    let loaded = Rc::new(load_from_store(w, slug)?);
    PARSED.with(|p| {
        let mut p = p.borrow_mut();
        if p.0 != version || p.1.len() >= KEPT_FORMS {
            *p = (version, HashMap::new());
        }
        p.1.insert(slug.to_owned(), Rc::clone(&loaded));
    });
    Ok(loaded)
}

fn load_from_store(w: &mut Worker, slug: &str) -> Result<Loaded, HttpError> {
    let page = w
        .store
        .item_page("form", slug)?
        .ok_or(HttpError::NotFound)?;
    let stored: crate::forms::Stored = serde_json::from_str(&page.extra)
        .map_err(|e| HttpError::Internal(format!("form `{slug}` definition: {e}")))?;
    Ok(Loaded {
        item: page.item,
        purpose_html: page.body_html,
        def: stored.def,
        help_html: stored.help_html,
    })
}

pub(super) fn form_url(slug: &str) -> String {
    format!("/formulaires/{slug}")
}

/// A page of the forms, with their own style and script.
fn layout(shared: &Shared, title: &str, crumbs: &[(&str, String)], main: Markup) -> String {
    let t = shared.catalog();
    let head = html! {
        link rel="stylesheet" href=(shared.assets.url("forms.css"));
        script src=(shared.assets.url("forms.js")) defer {}
    };
    let nav = html! { a href="/recherche" { (t.nav_search) } };
    let main = html! { (main) (super::workshop::banner(shared)) };
    page_with(shared, title, crumbs, nav, head, main)
}

/// Home › Formulaires › this form.
fn form_crumbs<'a>(shared: &'a Shared, loaded: &'a Loaded) -> [(&'a str, String); 2] {
    [
        (shared.catalog().f("list_title"), "/formulaires".to_owned()),
        (loaded.def.title.as_str(), form_url(&loaded.item.slug)),
    ]
}

/// A page of one form (a question, the review, the print page), under its crumbs.
fn form_layout(shared: &Shared, loaded: &Loaded, title: &str, main: Markup) -> String {
    layout(shared, title, &form_crumbs(shared, loaded), main)
}

/// "Effacer mes réponses": ends the filling here; with JavaScript it also forgets the draft.
fn erase_button(shared: &Shared, slug: &str) -> Markup {
    html! {
        p.erase {
            button.secondary type="submit" name="aller" value="effacer" data-erase=(slug) {
                (shared.catalog().f("erase"))
            }
        }
    }
}

/// `GET /formulaires`: every form.
pub fn list(w: &mut Worker) -> HttpResult {
    let (items, _) = w.store.items_of_kind("form", Paging::page(1, LIST_SIZE))?;
    let shared = &*w.shared;
    let t = shared.catalog();
    let main = html! {
        h1 { (t.f("list_title")) }
        p.lead { (t.f("list_intro")) }
        @if items.is_empty() { p { (t.f("list_empty")) } } @else { (cards(shared, &items)) }
    };
    Ok(Reply::html(
        200,
        layout(shared, t.f("list_title"), &[], main),
    ))
}

/// The home page's way to the forms; nothing when the library has none.
pub fn home_section(w: &mut Worker) -> Result<Markup, HttpError> {
    let (_, total) = w.store.items_of_kind("form", Paging::page(1, 1))?;
    let t = w.shared.catalog();
    Ok(html! {
        @if total > 0 {
            section aria-labelledby="forms-title" {
                h2 #forms-title { (t.f("home_heading")) }
                p { (t.f("home_text")) }
                p { a.button.secondary href="/formulaires" { (t.f("home_link")) } }
            }
        }
    })
}

/// A theme page's forms; `None` when it has none.
pub fn theme_section(w: &mut Worker, theme: &str) -> Result<Option<Markup>, HttpError> {
    let (forms, _) = w
        .store
        .items_of_theme(theme, "form", Paging::page(1, LIST_SIZE))?;
    let shared = &*w.shared;
    Ok((!forms.is_empty()).then(|| {
        html! {
            section aria-labelledby="forms-title" {
                h2 #forms-title { (shared.catalog().f("theme_heading")) }
                (cards(shared, &forms))
            }
        }
    }))
}

/// `GET /formulaires/<slug>`: what the form is for, the papers, the privacy notice.
pub fn intro(w: &mut Worker, slug: &str) -> HttpResult {
    let loaded = load(w, slug)?;
    Ok(Reply::html(200, intro_page(&w.shared, &loaded, false)))
}

fn intro_page(shared: &Shared, loaded: &Loaded, erased: bool) -> String {
    let t = shared.catalog();
    let def = &loaded.def;
    let slug = &loaded.item.slug;
    let count = def.fields().filter(|f| f.kind.is_question()).count();
    let main = html! {
        h1 { (def.title) }
        p.practice { (t.f("practice")) }
        @if erased { p.notice role="status" data-erased=(slug) { (t.f("erased")) } }
        p.lead { (def.summary) }
        div #presentation { (fragment(&loaded.purpose_html)) }
        p { strong { (t.f("procedure")) } " " (def.procedure) }
        @if !def.papers.is_empty() {
            h2 { (t.f("papers_heading")) }
            ul.papers {
                @for paper in &def.papers {
                    li {
                        @if let Some(icon) = &paper.icon { img src=(icon) alt="" width="48" height="48"; }
                        span { (paper.label) }
                    }
                }
            }
        }
        section.privacy aria-labelledby="privacy-title" {
            h2 #privacy-title { (t.f("privacy_heading")) }
            p { (t.f("privacy_text")) }
            p { (t.f("privacy_draft")) }
        }
        p.meta { (fill(t.f("questions_count"), &[("n", &count.to_string())])) }
        form.start method="post" action=(form_url(slug)) data-resume=(slug) {
            button.button.big type="submit" name="aller" value="commencer" { (t.f("start")) " " span.arrow aria-hidden="true" { "→" } }
            p.resume hidden { (t.f("resume_hint")) }
            button.button.secondary.big.resume type="submit" name="aller" value="reprendre" hidden {
                (t.f("resume"))
            }
        }
        // No `download` attribute: a form too big to take home answers with a page to read.
        p { a.button.secondary href=(format!("{}/emporter", form_url(slug))) { (t.th("link")) } }
    };
    let crumbs = [(t.f("list_title"), "/formulaires".to_owned())];
    layout(shared, &def.title, &crumbs, main)
}

/// What the learner asked for with the button they pressed.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    Start,
    Resume,
    Next,
    Back,
    Review,
    Edit(String),
    Print,
    /// "Emporter sur mon téléphone": the filled summary as a file (`takehome`).
    TakeHome,
    Erase,
}

/// A request that does not fit this form: answers to questions it does not have, or too
/// many or too long fields.
#[derive(Debug, PartialEq, Eq)]
enum Tampered {
    Unknown,
    TooBig,
}

/// One POST of a form: the answers so far, the question on screen, the button.
#[derive(Debug)]
struct Filled {
    answers: Answers,
    current: Option<String>,
    action: Action,
}

fn read(def: &FormDef, body: &[u8]) -> Result<Filled, Tampered> {
    let form = Form::parse(body);
    if form.pairs().count() > MAX_PAIRS {
        return Err(Tampered::TooBig);
    }
    let mut filled = Filled {
        answers: Answers::new(),
        current: None,
        action: Action::Next,
    };
    let is_question = |id: &str| def.field(id).is_some_and(|f| f.kind.is_question());
    for (name, value) in form.pairs() {
        if value.len() > MAX_VALUE {
            return Err(Tampered::TooBig);
        }
        if let Some(key) = name.strip_prefix(ANSWER) {
            if !def.knows_key(key) {
                return Err(Tampered::Unknown);
            }
            let values = filled.answers.entry(key.to_owned()).or_default();
            if values.len() >= MAX_PAIRS / 2 {
                return Err(Tampered::TooBig);
            }
            values.push(value.to_owned());
            continue;
        }
        match name {
            "q" if is_question(value) => filled.current = Some(value.to_owned()),
            "q" => return Err(Tampered::Unknown),
            "aller" => filled.action = action(value, is_question)?,
            _ => {} // a browser's own fields (a submit image's x/y…) change nothing
        }
    }
    Ok(filled)
}

fn action(value: &str, is_question: impl Fn(&str) -> bool) -> Result<Action, Tampered> {
    Ok(match value {
        "commencer" => Action::Start,
        "reprendre" => Action::Resume,
        "suivant" => Action::Next,
        "precedent" => Action::Back,
        "revoir" => Action::Review,
        "imprimer" => Action::Print,
        "emporter" => Action::TakeHome,
        "effacer" => Action::Erase,
        other => match other.strip_prefix("modifier:") {
            Some(id) if is_question(id) => Action::Edit(id.to_owned()),
            _ => return Err(Tampered::Unknown),
        },
    })
}

/// The learner routes that take a form's answers: `POST /formulaires/<slug>`.
pub fn route(w: &mut Worker, req: &RequestInfo<'_>, segments: &[&str]) -> Option<HttpResult> {
    let ["formulaires", slug] = segments else {
        return None;
    };
    match req.method {
        RequestMethod::Post => Some(post(w, req, slug)),
        RequestMethod::Other => Some(Err(HttpError::MethodNotAllowed("GET, HEAD, POST"))),
        _ => None,
    }
}

fn post(w: &mut Worker, req: &RequestInfo<'_>, slug: &str) -> HttpResult {
    let loaded = load(w, slug)?;
    let shared = &*w.shared;
    let filled = match read(&loaded.def, req.body) {
        Ok(filled) => filled,
        Err(tampered) => return Ok(bad_page(shared, &loaded, &tampered)),
    };
    Ok(match step(shared, &loaded, filled, Date::today()) {
        Ok(reply) => reply,
        Err(tampered) => bad_page(shared, &loaded, &tampered),
    })
}

/// The screen a button leads to.
#[derive(Debug, PartialEq, Eq)]
enum Screen {
    /// The form's presentation, after "Effacer mes réponses".
    Erased,
    /// A question, with the reason its answer was refused.
    Question(String, Option<Invalid>),
    Review,
    Print,
    TakeHome,
}

/// Where the button leads, for these answers; the answers are pruned of the questions they
/// no longer show and put as they will be shown.
fn next_screen(def: &FormDef, filled: &mut Filled, today: Date) -> Result<Screen, Tampered> {
    let answers = &mut filled.answers;
    if filled.action == Action::Start {
        answers.clear();
    }
    // The question on screen must be one the answers show (else the chain was broken).
    let shown = |answers: &Answers, id: Option<&String>| -> Result<String, Tampered> {
        id.filter(|id| def.questions(answers).iter().any(|f| f.id == **id))
            .cloned()
            .ok_or(Tampered::Unknown)
    };
    // The question at `offset` from `id` among those shown, or the review past the last.
    let beside = |answers: &Answers, id: &str, offset: isize| -> Screen {
        let questions = def.questions(answers);
        let at = questions.iter().position(|f| f.id == id).unwrap_or(0);
        let target = at.saturating_add_signed(offset).min(questions.len());
        match questions.get(target) {
            Some(f) => Screen::Question(f.id.clone(), None),
            None => Screen::Review,
        }
    };
    if filled.action == Action::Next {
        let id = shown(answers, filled.current.as_ref())?;
        let field = def.field(&id).ok_or(Tampered::Unknown)?;
        if let Err(invalid) = normalize(field, answers, today) {
            return Ok(Screen::Question(id, Some(invalid)));
        }
        def.prune(answers);
        return Ok(beside(answers, &id, 1));
    }
    let current = filled.current.as_ref();
    def.prune(answers);
    Ok(match &filled.action {
        Action::Erase => Screen::Erased,
        Action::Start | Action::Next => beside(answers, "", 0),
        Action::Resume => match shown(answers, current) {
            Ok(id) => Screen::Question(id, None),
            Err(_) => beside(answers, "", 0),
        },
        Action::Back => beside(answers, &shown(answers, current)?, -1),
        Action::Edit(id) => Screen::Question(shown(answers, Some(id))?, None),
        Action::Review | Action::Print | Action::TakeHome => {
            match first_invalid(def, answers, today) {
                Some((field, invalid)) => Screen::Question(field.id.clone(), Some(invalid)),
                None if filled.action == Action::Print => Screen::Print,
                None if filled.action == Action::TakeHome => Screen::TakeHome,
                None => Screen::Review,
            }
        }
    })
}

/// The answer of a screen: its page, or the take-home file.
fn step(
    shared: &Shared,
    loaded: &Loaded,
    mut filled: Filled,
    today: Date,
) -> Result<Reply, Tampered> {
    let screen = next_screen(&loaded.def, &mut filled, today)?;
    let answers = &filled.answers;
    let page = match screen {
        Screen::Erased => intro_page(shared, loaded, true),
        Screen::Question(id, invalid) => match loaded.def.field(&id) {
            Some(field) => question_page(shared, loaded, answers, field, invalid),
            None => return Err(Tampered::Unknown),
        },
        Screen::Review => review_page(shared, loaded, answers),
        Screen::Print => print_page(shared, loaded, answers),
        Screen::TakeHome => return Ok(super::takehome::filled_form(shared, loaded, answers)),
    };
    Ok(Reply::private_html(200, page))
}

/// Checks a question's answer (and its commune) and puts it back as it will be shown.
fn normalize(field: &Field, answers: &mut Answers, today: Date) -> Result<(), Invalid> {
    let values = answers.get(&field.id).cloned().unwrap_or_default();
    let shown = validate::check(field, &values, today)?;
    let commune = match field.commune && !shown.is_empty() {
        true => {
            let typed = answers.get(&commune_key(&field.id)).and_then(|v| v.first());
            let typed = typed.map(|v| v.trim()).unwrap_or("");
            Some(validate::commune(typed).map_err(|_| Invalid::Commune)?)
        }
        false => None,
    };
    answers.insert(field.id.clone(), shown);
    if let Some(commune) = commune {
        answers.insert(commune_key(&field.id), vec![commune]);
    }
    Ok(())
}

/// The first question shown whose answer is missing or not valid.
fn first_invalid<'a>(
    def: &'a FormDef,
    answers: &mut Answers,
    today: Date,
) -> Option<(&'a Field, Invalid)> {
    for field in def.questions(&answers.clone()) {
        if let Err(invalid) = normalize(field, answers, today) {
            return Some((field, invalid));
        }
    }
    None
}

/// Every answer as hidden fields, but those of the question on screen.
fn hidden(answers: &Answers, except: Option<&str>) -> Markup {
    let skip = |key: &str| except.is_some_and(|id| key == id || key == commune_key(id));
    html! {
        @for (key, values) in answers {
            @if !skip(key) {
                @for value in values {
                    input type="hidden" name=(format!("{ANSWER}{key}")) value=(value);
                }
            }
        }
    }
}

/// The FALC message of a refused answer: the form's own, or the kit's with the example.
fn message(shared: &Shared, field: &Field, invalid: Invalid) -> String {
    if !field.message.is_empty() {
        return field.message.clone();
    }
    fill(
        shared.catalog().f(invalid.key()),
        &[("example", &field.example)],
    )
}

fn question_page(
    shared: &Shared,
    loaded: &Loaded,
    answers: &Answers,
    field: &Field,
    invalid: Option<Invalid>,
) -> String {
    let t = shared.catalog();
    let def = &loaded.def;
    let slug = &loaded.item.slug;
    let questions = def.questions(answers);
    let n = questions.iter().position(|f| f.id == field.id).unwrap_or(0) + 1;
    let total = questions.len().max(n);
    let progress = fill(
        t.f("question_of"),
        &[("n", &n.to_string()), ("total", &total.to_string())],
    );
    let values = answers.get(&field.id).cloned().unwrap_or_default();
    // A commune refused is said beside the commune's box, not the postal code's.
    let main_invalid = invalid.filter(|i| *i != Invalid::Commune);
    // A form is not translated (it mirrors a French procedure): its texts stay in its
    // pack's language, marked so on a page in another language.
    let form_lang = &loaded.item.lang;
    let (lang, dir) = (content_lang(form_lang), content_dir(form_lang));
    let main = html! {
        p.practice { (t.f("practice")) }
        p.progress-label #progress { span lang=[lang] dir=[dir] { (def.title) } " — " (progress) }
        progress max=(total) value=(n) aria-labelledby="progress" {}
        form.fill method="post" action=(form_url(slug)) novalidate data-draft=(slug) {
            input type="hidden" name="q" value=(field.id);
            (hidden(answers, Some(&field.id)))
            div #question {
                @if let Some(section) = def.section_of(&field.id) {
                    p.section lang=[lang] dir=[dir] { (section.title) }
                }
                h1 #titre lang=[lang] dir=[dir] { (field.label) }
                p.help {
                    strong { (t.f("what_is_it")) } " "
                    span lang=[lang] dir=[dir] {
                        @match loaded.help_html.get(&field.id) {
                            Some(linked) => (maud::PreEscaped(linked)),
                            None => (field.help),
                        }
                    }
                }
                @if !field.example.is_empty() {
                    p.hint #exemple { (fill(t.f("example"), &[("example", &field.example)])) }
                }
                @if !field.required { p.hint { (t.f("optional")) } }
            }
            (listen_button(shared, "question", form_lang))
            @if let Some(invalid) = main_invalid {
                p.error #erreur role="alert" { (message(shared, field, invalid)) }
            }
            (answer_input(shared, field, &values, main_invalid.is_some()))
            @if field.commune {
                (commune_input(shared, field, answers, invalid == Some(Invalid::Commune)))
            }
            div.form-nav {
                button.button type="submit" name="aller" value="suivant" { (t.f("next")) " " span.arrow aria-hidden="true" { "→" } }
                @if n > 1 {
                    button.button.secondary type="submit" name="aller" value="precedent" {
                        span.arrow aria-hidden="true" { "←" } " " (t.f("previous"))
                    }
                }
            }
            (erase_button(shared, slug))
        }
    };
    form_layout(
        shared,
        loaded,
        &format!("{} — {}", field.label, progress),
        main,
    )
}

/// The box (or the list) where the learner answers.
fn answer_input(shared: &Shared, field: &Field, values: &[String], invalid: bool) -> Markup {
    let t = shared.catalog();
    let name = format!("{ANSWER}{}", field.id);
    let value = values.first().map(String::as_str).unwrap_or("");
    let described = match (invalid, field.example.is_empty()) {
        (true, false) => "erreur exemple",
        (true, true) => "erreur",
        (false, false) => "exemple",
        (false, true) => "titre",
    };
    let (input_type, mode, autocomplete) = match field.kind {
        FieldType::Email => ("email", "email", "off"),
        FieldType::Phone => ("tel", "tel", "off"),
        FieldType::Number => ("text", "decimal", "off"),
        FieldType::PostalCode | FieldType::Date => ("text", "numeric", "off"),
        _ => ("text", "text", "off"),
    };
    let choices: Vec<(String, String)> = match field.kind {
        FieldType::YesNo => vec![
            (validate::YES.into(), t.f("yes").into()),
            (validate::NO.into(), t.f("no").into()),
        ],
        _ => field
            .choices
            .iter()
            .map(|c| (c.clone(), c.clone()))
            .collect(),
    };
    html! {
        @match field.kind {
            FieldType::YesNo | FieldType::Choice | FieldType::Choices => {
                @let kind = if field.kind == FieldType::Choices { "checkbox" } else { "radio" };
                fieldset.choices aria-labelledby="titre" aria-describedby=[invalid.then_some("erreur")] {
                    @for (i, (code, label)) in choices.iter().enumerate() {
                        label.choice for=(format!("choix-{i}")) {
                            input #(format!("choix-{i}")) type=(kind) name=(name) value=(code)
                                checked[values.contains(code)];
                            span { (label) }
                        }
                    }
                }
            }
            FieldType::LongText | FieldType::Address => {
                label.visually-hidden for="reponse" { (field.label) }
                textarea #reponse name=(name) rows=(if field.kind == FieldType::Address { 3 } else { 6 })
                    maxlength=(if field.kind == FieldType::Address { 300 } else { validate::MAX_LONG_TEXT })
                    aria-describedby=(described) aria-invalid=[invalid.then_some("true")]
                    autocomplete="off" { (value) }
            }
            _ => {
                label.visually-hidden for="reponse" { (field.label) }
                input #reponse type=(input_type) inputmode=(mode) name=(name) value=(value)
                    maxlength=(validate::MAX_TEXT) autocomplete=(autocomplete)
                    aria-describedby=(described) aria-invalid=[invalid.then_some("true")];
            }
        }
    }
}

fn commune_input(shared: &Shared, field: &Field, answers: &Answers, invalid: bool) -> Markup {
    let t = shared.catalog();
    let key = commune_key(&field.id);
    let value = answers
        .get(&key)
        .and_then(|v| v.first())
        .map(String::as_str)
        .unwrap_or("");
    html! {
        label.commune for="commune" { (t.f("commune_label")) }
        p.hint #commune-aide { (t.f("commune_hint")) }
        @if invalid { p.error #commune-erreur role="alert" { (t.f("invalid_commune")) } }
        input #commune type="text" name=(format!("{ANSWER}{key}")) value=(value) maxlength="60"
            autocomplete="off" aria-describedby="commune-aide" aria-invalid=[invalid.then_some("true")];
    }
}

/// An answer as the learner reads it: "Oui", "59500 Douai", choices separated by commas.
pub(super) fn shown_answer(shared: &Shared, field: &Field, answers: &Answers) -> Option<String> {
    let values = answers.get(&field.id)?;
    let t = shared.catalog();
    let mut text = values
        .iter()
        .map(|v| match (field.kind, v.as_str()) {
            (FieldType::YesNo, validate::YES) => t.f("yes").to_owned(),
            (FieldType::YesNo, validate::NO) => t.f("no").to_owned(),
            _ => v.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(commune) = answers.get(&commune_key(&field.id)).and_then(|v| v.first()) {
        text = format!("{text} {commune}");
    }
    (!text.is_empty()).then_some(text)
}

fn review_page(shared: &Shared, loaded: &Loaded, answers: &Answers) -> String {
    let t = shared.catalog();
    let def = &loaded.def;
    let slug = &loaded.item.slug;
    let shown = def.questions(answers);
    let main = html! {
        h1 { (t.f("review_title")) }
        p.practice { (t.f("practice")) }
        p.lead { (t.f("review_intro")) }
        form.fill method="post" action=(form_url(slug)) novalidate data-draft=(slug) {
            (hidden(answers, None))
            @for section in &def.sections {
                @let fields: Vec<&Field> = section.fields.iter().filter(|f| shown.iter().any(|s| s.id == f.id)).collect();
                @if !fields.is_empty() {
                    h2 { (section.title) }
                    dl.answers {
                        @for field in fields {
                            dt { (field.label) }
                            dd {
                                span.answer { (shown_answer(shared, field, answers).unwrap_or_else(|| t.f("no_answer").to_owned())) }
                                button.secondary type="submit" name="aller" value=(format!("modifier:{}", field.id))
                                    aria-label=(format!("{} : {}", t.f("edit"), field.label)) { (t.f("edit")) }
                            }
                        }
                    }
                }
            }
            div.form-nav {
                button.button type="submit" name="aller" value="imprimer" { (t.f("print")) }
            }
            p {
                button.button.secondary type="submit" name="aller" value="emporter" { (t.th("link")) }
            }
            p.hint { (t.th("filled_privacy")) }
            (erase_button(shared, slug))
        }
    };
    form_layout(
        shared,
        loaded,
        &format!("{} — {}", t.f("review_title"), def.title),
        main,
    )
}

/// A4, large type, laid out like the real paper: each section a box, each answer on its
/// line, the signature block at the end.
fn print_page(shared: &Shared, loaded: &Loaded, answers: &Answers) -> String {
    let t = shared.catalog();
    let def = &loaded.def;
    let slug = &loaded.item.slug;
    let shown = def.questions(answers);
    let main = html! {
        article.sheet {
            h1 { (def.title) }
            p.practice { (t.f("print_practice")) }
            p { strong { (t.f("procedure")) } " " (def.procedure) }
            @for section in &def.sections {
                section.sheet-part {
                    h2 { (section.title) }
                    @for field in &section.fields {
                        @if field.kind == FieldType::Signature {
                            div.signature {
                                p.sheet-label { (field.label) }
                                p { (t.f("signature_place")) " " span.blank {} }
                                p { (t.f("signature_date")) " " span.blank {} }
                                p { (t.f("signature")) }
                                div.signature-box {}
                            }
                        } @else if shown.iter().any(|s| s.id == field.id) {
                            div.sheet-line {
                                p.sheet-label { (field.label) }
                                p.sheet-value { (shown_answer(shared, field, answers).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        }
        div.no-print {
            p { (t.f("print_how")) }
            p { button.print type="button" hidden { (t.f("print")) } }
            form.fill method="post" action=(form_url(slug)) data-draft=(slug) {
                (hidden(answers, None))
                button.button.secondary type="submit" name="aller" value="revoir" { span.arrow aria-hidden="true" { "←" } " " (t.f("print_back")) }
                (erase_button(shared, slug))
            }
        }
    };
    form_layout(
        shared,
        loaded,
        &format!("{} — {}", t.f("print_title"), def.title),
        main,
    )
}

/// A request that does not fit the form: say so plainly, keep nothing, offer a new start.
fn bad_page(shared: &Shared, loaded: &Loaded, tampered: &Tampered) -> Reply {
    let t = shared.catalog();
    let text = match tampered {
        Tampered::Unknown => t.f("bad_text"),
        Tampered::TooBig => t.f("bad_too_big"),
    };
    let main = html! {
        h1 { (t.f("bad_title")) }
        // A draft the form no longer fits is forgotten too (else "Reprendre" brings it back).
        p.lead data-erased=(loaded.item.slug) { (text) }
        p { a.button href=(form_url(&loaded.item.slug)) { (t.f("restart")) } }
    };
    Reply::private_html(400, layout(shared, t.f("bad_title"), &[], main))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> FormDef {
        toml::from_str(
            r#"
title = "T"
theme = "t"
summary = "S"
procedure = "P"
[[sections]]
title = "A"
[[sections.fields]]
id = "cp"
type = "postal-code"
label = "Code postal"
help = "h"
example = "59500"
commune = true
[[sections.fields]]
id = "transport"
type = "choices"
label = "Transports"
help = "h"
choices = ["Bus", "Train"]
[[sections.fields]]
id = "voiture"
type = "yes-no"
label = "Voiture ?"
help = "h"
[[sections.fields]]
id = "marque"
type = "text"
label = "Marque"
help = "h"
example = "Renault"
when = { field = "voiture", equals = "oui" }
"#,
        )
        .unwrap()
    }

    #[test]
    fn requests_that_do_not_fit_the_form_are_refused() {
        let def = def();
        let ok = read(
            &def,
            b"q=cp&r.cp=59500&r.cp.commune=Douai&r.transport=Bus&r.transport=Train&aller=suivant",
        )
        .unwrap();
        assert_eq!(ok.answers["transport"], ["Bus", "Train"]);
        assert_eq!(ok.current.as_deref(), Some("cp"));
        assert_eq!(ok.action, Action::Next);
        let cases: &[(&[u8], Tampered)] = &[
            (b"r.autre=1", Tampered::Unknown),
            (b"r.transport.commune=1", Tampered::Unknown),
            (b"q=autre", Tampered::Unknown),
            (b"aller=modifier:autre", Tampered::Unknown),
            (b"aller=detruire", Tampered::Unknown),
        ];
        for (body, want) in cases {
            assert_eq!(
                read(&def, body).unwrap_err(),
                *want,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let huge = format!("r.cp={}", "1".repeat(MAX_VALUE + 1));
        assert_eq!(read(&def, huge.as_bytes()).unwrap_err(), Tampered::TooBig);
        let many = "r.transport=Bus&".repeat(MAX_PAIRS + 1);
        assert_eq!(read(&def, many.as_bytes()).unwrap_err(), Tampered::TooBig);
    }

    fn filled(answers: &[(&str, &str)], current: &str, action: Action) -> Filled {
        let mut map = Answers::new();
        for (k, v) in answers {
            map.entry(k.to_string()).or_default().push(v.to_string());
        }
        Filled {
            answers: map,
            current: (!current.is_empty()).then(|| current.to_owned()),
            action,
        }
    }

    #[test]
    fn buttons_follow_the_conditions_and_refuse_broken_chains() {
        let def = def();
        let today = Date::new(2026, 12, 2).unwrap();
        let go = |f: &mut Filled| next_screen(&def, f, today);
        let question = |id: &str| Ok(Screen::Question(id.to_owned(), None));
        let base = [
            ("cp", "59500"),
            ("cp.commune", "Douai"),
            ("transport", "Bus"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut all = base.to_vec();
            all.extend_from_slice(extra);
            all
        };
        assert_eq!(go(&mut filled(&[], "", Action::Start)), question("cp"));
        assert_eq!(
            go(&mut filled(
                &with(&[("voiture", "oui")]),
                "voiture",
                Action::Next
            )),
            question("marque")
        );
        let mut no = filled(
            &with(&[("voiture", "non"), ("marque", "Renault")]),
            "voiture",
            Action::Next,
        );
        assert_eq!(go(&mut no), Ok(Screen::Review));
        assert!(
            !no.answers.contains_key("marque"),
            "a hidden question's answer is dropped"
        );
        assert_eq!(
            go(&mut filled(
                &with(&[("voiture", "oui")]),
                "marque",
                Action::Back
            )),
            question("voiture")
        );
        assert_eq!(go(&mut filled(&[], "cp", Action::Back)), question("cp"));
        assert_eq!(
            go(&mut filled(
                &with(&[("voiture", "non")]),
                "",
                Action::Edit("marque".into())
            )),
            Err(Tampered::Unknown)
        );
        assert_eq!(
            go(&mut filled(
                &with(&[("voiture", "non")]),
                "marque",
                Action::Next
            )),
            Err(Tampered::Unknown)
        );
        assert_eq!(
            go(&mut filled(&with(&[]), "marque", Action::Resume)),
            question("cp")
        );
        let mut bad_cp = filled(&[("cp", "123"), ("voiture", "non")], "", Action::Print);
        assert_eq!(
            go(&mut bad_cp),
            Ok(Screen::Question("cp".into(), Some(Invalid::PostalCode)))
        );
        assert_eq!(
            go(&mut filled(&with(&[("voiture", "non")]), "", Action::Print)),
            Ok(Screen::Print)
        );
        assert_eq!(
            go(&mut filled(
                &with(&[("voiture", "non")]),
                "",
                Action::TakeHome
            )),
            Ok(Screen::TakeHome)
        );
        assert_eq!(
            go(&mut filled(&[("cp", "123")], "", Action::TakeHome)),
            Ok(Screen::Question("cp".into(), Some(Invalid::PostalCode)))
        );
        assert_eq!(
            go(&mut filled(&with(&[]), "", Action::Erase)),
            Ok(Screen::Erased)
        );
    }

    #[test]
    fn a_postal_code_needs_its_commune() {
        let def = def();
        let field = def.field("cp").unwrap();
        let today = Date::new(2026, 12, 2).unwrap();
        let mut answers = Answers::from([("cp".to_owned(), vec![" 59500 ".to_owned()])]);
        assert_eq!(normalize(field, &mut answers, today), Err(Invalid::Commune));
        answers.insert("cp.commune".into(), vec!["Douai".into()]);
        assert_eq!(normalize(field, &mut answers, today), Ok(()));
        assert_eq!(answers["cp"], ["59500"]);
    }
}
