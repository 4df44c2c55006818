//! The learner's pages: home, themes, tutorials (one step per screen, or all at once),
//! workshops and search. Each is a few lookups and a template fill.

use maud::{html, Markup};

use super::http::{HttpError, HttpResult, Reply};
use super::templates::{
    cards, content_dir, content_lang, fragment, item_meta, item_url, listen_button, page,
    paged_title, pager, search_form, snippet,
};
use super::url::Target;
use super::{Shared, Worker};
use crate::content::WorkshopDetails;
use crate::i18n::fill;
use crate::store::{ItemRow, Paging, TutorialPage};

/// How many search results one page shows.
const SEARCH_LIMIT: usize = 30;
/// At most this many glossary entries lead the search results.
const GLOSSARY_HITS: usize = 3;
/// Longest query we look at; longer input is cut (the form also says `maxlength`).
const MAX_QUERY_CHARS: usize = 200;

pub fn home(w: &mut Worker, target: &Target) -> HttpResult {
    let shown = shown_lang(target);
    let mut themes = w.store.themes()?;
    translate(w, &mut themes, shown)?;
    let forms = super::forms::home_section(w)?;
    let shared = &*w.shared;
    let t = shared.catalog();
    // A workshop running now comes first; the chosen one stays below it.
    let running = shared.workshops.current();
    let mut featured: Vec<ItemRow> = match &shared.site().featured_workshop {
        Some(slug) => w.store.item("workshop", slug)?.into_iter().collect(),
        None => Vec::new(),
    };
    if let Some(lang) = shown {
        w.store.translate(&mut featured, lang)?;
    }
    let featured = featured.pop();
    let main = html! {
        h1 { (t.home_title) }
        p.lead { (t.home_intro) }
        (search_form(shared, ""))
        section.slot aria-labelledby="slot-title" {
            h2 #slot-title { (t.slot_heading) }
            @if let Some(running) = &running {
                ul.cards {
                    li {
                        a.card href="/atelier" {
                            span.card-title { (running.title) }
                            span.card-text { (t.w("learner_slot_now")) }
                        }
                    }
                }
            }
            @match &featured {
                Some(workshop) => (cards(shared, std::slice::from_ref(workshop))),
                None if running.is_none() => p { (t.slot_empty) },
                None => {},
            }
        }
        section aria-labelledby="themes-title" {
            h2 #themes-title { (t.themes_heading) }
            (cards(shared, &themes))
        }
        (forms)
        p { a.button.secondary href="/ateliers" { (t.all_workshops) } }
        p { a.button.secondary href="/glossaire" { (t.g("home_link")) } }
    };
    Ok(Reply::html(200, page(shared, &t.home_title, &[], main)))
}

/// `?original` on links between a tutorial's pages while its original is being read.
fn view_query(target: &Target) -> Option<&'static str> {
    target.param("original").map(|_| "?original")
}

/// Cards shown per page of a long list (a theme's tutorials, the workshops).
const PAGE_SIZE: usize = 30;

/// The page asked for by `?page=N` (1 without it). Only plain decimal numbers from 1 name
/// a page.
fn page_number(target: &Target) -> Result<usize, HttpError> {
    match target.param("page") {
        None => Ok(1),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= 1 && n.to_string() == text => Ok(n),
            _ => Err(HttpError::NotFound),
        },
    }
}

/// How many pages `total` items make (at least one, even when empty); a page beyond is 404.
fn page_count(number: usize, total: usize) -> Result<usize, HttpError> {
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    if number > pages {
        return Err(HttpError::NotFound);
    }
    Ok(pages)
}

pub fn theme(w: &mut Worker, slug: &str, target: &Target) -> HttpResult {
    let number = page_number(target)?;
    let shown = shown_lang(target);
    let mut theme = w
        .store
        .item_page("theme", slug)?
        .ok_or(HttpError::NotFound)?;
    let original = theme.item.lang.clone();
    if let Some(lang) = shown {
        w.store.translate_page(&mut theme, lang)?;
    }
    let (mut tutorials, total) =
        w.store
            .items_of_theme(slug, "tutorial", Paging::page(number, PAGE_SIZE))?;
    translate(w, &mut tutorials, shown)?;
    let pages = page_count(number, total)?;
    // Workshops are few: all of them, on the first page.
    let mut workshops = if number == 1 {
        w.store
            .items_of_theme(slug, "workshop", Paging::page(1, 200))?
            .0
    } else {
        Vec::new()
    };
    translate(w, &mut workshops, shown)?;
    // Forms are few: all of them, on the first page.
    let forms = match number {
        1 => super::forms::theme_section(w, slug)?,
        _ => None,
    };
    let shared = &*w.shared;
    let t = shared.catalog();
    let base = item_url("theme", slug);
    let main = html! {
        div lang=[content_lang(&theme.item.lang)] dir=[content_dir(&theme.item.lang)] {
            h1 { (theme.item.title) }
            @if number == 1 {
                p.lead { (theme.item.summary) }
                (fragment(&theme.body_html))
            }
        }
        (translation_note(shared, &base, &original, &theme.item, shown.is_none()))
        @if tutorials.is_empty() && workshops.is_empty() && forms.is_none() {
            p { (t.theme_empty) }
        }
        @if !tutorials.is_empty() {
            section aria-labelledby="tutorials-title" {
                h2 #tutorials-title { (t.theme_tutorials) }
                (cards(shared, &tutorials))
                (pager(shared, &base, number, pages))
            }
        }
        @if !workshops.is_empty() {
            section aria-labelledby="workshops-title" {
                h2 #workshops-title { (t.theme_workshops) }
                (cards(shared, &workshops))
            }
        }
        @if let Some(forms) = forms { (forms) }
    };
    let title = paged_title(shared, &theme.item.title, number, pages);
    Ok(Reply::html(200, page(shared, &title, &[], main)))
}

/// Breadcrumbs to an item's theme, when it has one that exists.
fn theme_crumb(w: &mut Worker, item: &ItemRow) -> Result<Option<(String, String)>, HttpError> {
    let Some(slug) = &item.theme else {
        return Ok(None);
    };
    let mut theme: Vec<ItemRow> = w.store.item("theme", slug)?.into_iter().collect();
    w.store
        .translate(&mut theme, crate::i18n::current_lang().code())?;
    Ok(theme
        .pop()
        .map(|theme| (theme.title, item_url("theme", slug))))
}

/// The language items are shown in: the phone's, unless it asked for the originals
/// (`?original`).
fn shown_lang(target: &Target) -> Option<&'static str> {
    match target.param("original") {
        Some(_) => None,
        None => Some(crate::i18n::current_lang().code()),
    }
}

/// Shows listed items in `shown` where they have a translation.
fn translate(w: &mut Worker, items: &mut [ItemRow], shown: Option<&str>) -> Result<(), HttpError> {
    if let Some(lang) = shown {
        w.store.translate(items, lang)?;
    }
    Ok(())
}

/// Under a translated item, a link to its original; under an original shown on request,
/// a link back to the translation.
fn translation_note(
    shared: &Shared,
    url: &str,
    original: &str,
    item: &ItemRow,
    asked_original: bool,
) -> Markup {
    let t = shared.catalog();
    html! {
        @if item.translated {
            p.translated {
                (t.content_translated) " "
                a href={ (url) "?original" } hreflang=(original) { (t.content_original) }
            }
        } @else if asked_original {
            p.translated { a href=(url) { (t.content_translation) } }
        }
    }
}

fn crumbs_for(theme: &Option<(String, String)>) -> Vec<(&str, String)> {
    theme
        .iter()
        .map(|(label, href)| (label.as_str(), href.clone()))
        .collect()
}

/// A tutorial in the language shown, and its original's language.
fn load_tutorial(
    w: &mut Worker,
    slug: &str,
    target: &Target,
) -> Result<(TutorialPage, String), HttpError> {
    let tutorial = match shown_lang(target) {
        Some(lang) => w.store.tutorial_in(slug, lang)?,
        None => w.store.tutorial(slug)?,
    }
    .ok_or(HttpError::NotFound)?;
    let original = match tutorial.item.translated {
        true => w
            .store
            .item("tutorial", slug)?
            .map_or_else(|| "fr".to_owned(), |i| i.lang),
        false => tutorial.item.lang.clone(),
    };
    Ok((tutorial, original))
}

pub fn tutorial(w: &mut Worker, slug: &str, target: &Target) -> HttpResult {
    let (tut, original) = load_tutorial(w, slug, target)?;
    let theme = theme_crumb(w, &tut.item)?;
    let shared = &*w.shared;
    let t = shared.catalog();
    let base = item_url("tutorial", slug);
    let (lang, dir) = (content_lang(&tut.item.lang), content_dir(&tut.item.lang));
    let query = view_query(target);
    let main = html! {
        h1 lang=[lang] dir=[dir] { (tut.item.title) }
        p.meta { (item_meta(shared, &tut.item)) }
        @if let Some(updated) = super::glossary::updated_line(shared, &tut.extra) {
            p.meta.updated { (updated) }
        }
        (translation_note(shared, &base, &original, &tut.item, query.is_some()))
        div #intro lang=[lang] dir=[dir] { (fragment(&tut.intro_html)) }
        p { a.button href=(format!("{base}/etape/1{}", query.unwrap_or(""))) { (t.start) " " span.arrow aria-hidden="true" { "→" } } }
        section aria-labelledby="steps-title" {
            h2 #steps-title { (t.steps_heading) }
            ol.steps lang=[lang] dir=[dir] {
                @for (i, step) in tut.steps.iter().enumerate() {
                    li { a href=(format!("{base}/etape/{}{}", i + 1, query.unwrap_or(""))) { (step.title) } }
                }
            }
        }
        p { a href=(format!("{base}/tout{}", query.unwrap_or(""))) { (t.all_steps) } }
        (keep_links(shared, &base))
    };
    let crumbs = crumbs_for(&theme);
    Ok(Reply::html(
        200,
        page(shared, &tut.item.title, &crumbs, main),
    ))
}

pub fn step(w: &mut Worker, slug: &str, number: &str, target: &Target) -> HttpResult {
    let (tut, _) = load_tutorial(w, slug, target)?;
    let (lang, dir) = (content_lang(&tut.item.lang), content_dir(&tut.item.lang));
    let query = view_query(target).unwrap_or("");
    // Only plain decimal step numbers name a step ("+1", "01" and "1.0" do not).
    let n: usize = match number.parse::<usize>() {
        Ok(n) if n.to_string() == number => n,
        _ => return Err(HttpError::NotFound),
    };
    let total = tut.steps.len();
    let step = tut
        .steps
        .get(n.wrapping_sub(1))
        .ok_or(HttpError::NotFound)?;
    let theme = theme_crumb(w, &tut.item)?;
    let shared = &*w.shared;
    let t = shared.catalog();
    let base = item_url("tutorial", slug);
    let progress = fill(
        &t.step_of,
        &[("n", &n.to_string()), ("total", &total.to_string())],
    );
    let main = html! {
        p.progress-label #progress { span lang=[lang] dir=[dir] { (tut.item.title) } " — " (progress) }
        progress max=(total) value=(n) aria-labelledby="progress" {}
        article.step #etape lang=[lang] dir=[dir] {
            h1 { (step.title) }
            (fragment(&step.html))
        }
        (listen_button(shared, "etape", &tut.item.lang))
        nav.step-nav aria-label=(progress) {
            @if n > 1 {
                a.button.secondary rel="prev" href=(format!("{base}/etape/{}{query}", n - 1)) {
                    span.arrow aria-hidden="true" { "←" } " " (t.previous)
                }
            }
            @if n < total {
                a.button rel="next" href=(format!("{base}/etape/{}{query}", n + 1)) { (t.next) " " span.arrow aria-hidden="true" { "→" } }
            }
        }
        @if n == total {
            section.done {
                h2 { (t.done_title) }
                @if let Some((_, href)) = &theme {
                    p { a.button href=(href) { (t.done_back) } }
                }
            }
        }
        p.links {
            a href=(format!("{base}{query}")) { (t.back_to_start) }
            " · "
            a href=(format!("{base}/tout{query}")) { (t.all_steps) }
        }
    };
    let mut crumbs = crumbs_for(&theme);
    crumbs.push((&tut.item.title, base.clone()));
    let title = format!("{} — {}", step.title, progress);
    Ok(Reply::html(200, page(shared, &title, &crumbs, main)))
}

pub fn all_steps(w: &mut Worker, slug: &str, target: &Target) -> HttpResult {
    let (tut, _) = load_tutorial(w, slug, target)?;
    let (lang, dir) = (content_lang(&tut.item.lang), content_dir(&tut.item.lang));
    let query = view_query(target).unwrap_or("");
    let theme = theme_crumb(w, &tut.item)?;
    let shared = &*w.shared;
    let t = shared.catalog();
    let base = item_url("tutorial", slug);
    let total = tut.steps.len().to_string();
    let main = html! {
        h1 lang=[lang] dir=[dir] { (tut.item.title) }
        p.meta { (item_meta(shared, &tut.item)) }
        div lang=[lang] dir=[dir] { (fragment(&tut.intro_html)) }
        @for (i, step) in tut.steps.iter().enumerate() {
            @let id = format!("etape-{}", i + 1);
            section.step aria-labelledby=(format!("{id}-titre")) {
                p.progress-label { (fill(&t.step_of, &[("n", &(i + 1).to_string()), ("total", &total)])) }
                div #(id) lang=[lang] dir=[dir] {
                    h2 #(format!("{id}-titre")) { (step.title) }
                    (fragment(&step.html))
                }
                (listen_button(shared, &id, &tut.item.lang))
            }
        }
        section.done {
            h2 { (t.done_title) }
            @if let Some((_, href)) = &theme {
                p { a.button href=(href) { (t.done_back) } }
            }
        }
        p { a href=(format!("{base}/etape/1{query}")) { (t.one_step) } }
        (keep_links(shared, &base))
    };
    let mut crumbs = crumbs_for(&theme);
    crumbs.push((&tut.item.title, base.clone()));
    Ok(Reply::html(
        200,
        page(shared, &tut.item.title, &crumbs, main),
    ))
}

/// "Emporter sur mon téléphone" and "Imprimer" (`takehome`): plain links. No `download`
/// attribute: a tutorial too big to take home answers with a page to read, not a file.
fn keep_links(shared: &Shared, base: &str) -> Markup {
    let t = shared.catalog();
    html! {
        p { a.button.secondary href=(format!("{base}/emporter")) { (t.th("link")) } }
        p { a.button.secondary href=(format!("{base}/imprimer")) { (t.th("print_link")) } }
    }
}

pub fn workshops(w: &mut Worker, target: &Target) -> HttpResult {
    let number = page_number(target)?;
    let (mut items, total) = w
        .store
        .items_of_kind("workshop", Paging::page(number, PAGE_SIZE))?;
    translate(w, &mut items, shown_lang(target))?;
    let pages = page_count(number, total)?;
    let shared = &*w.shared;
    let t = shared.catalog();
    let main = html! {
        h1 { (t.workshops_title) }
        @if items.is_empty() {
            p { (t.workshops_empty) }
        } @else {
            (cards(shared, &items))
            (pager(shared, "/ateliers", number, pages))
        }
    };
    let title = paged_title(shared, &t.workshops_title, number, pages);
    Ok(Reply::html(200, page(shared, &title, &[], main)))
}

pub fn workshop(w: &mut Worker, slug: &str, target: &Target) -> HttpResult {
    let shown = shown_lang(target);
    let mut row = w
        .store
        .item_page("workshop", slug)?
        .ok_or(HttpError::NotFound)?;
    let original = row.item.lang.clone();
    if let Some(lang) = shown {
        w.store.translate_page(&mut row, lang)?;
    }
    let details: WorkshopDetails = serde_json::from_str(&row.extra)
        .map_err(|e| HttpError::Internal(format!("workshop `{slug}` details: {e}")))?;
    let mut tutorials = Vec::new();
    for linked in &details.tutorials {
        if let Some(item) = w.store.item("tutorial", linked)? {
            tutorials.push(item);
        }
    }
    translate(w, &mut tutorials, shown)?;
    let theme = theme_crumb(w, &row.item)?;
    let shared = &*w.shared;
    let t = shared.catalog();
    let minutes = |d: u32| fill(&t.duration_minutes, &[("n", &d.to_string())]);
    let (lang, dir) = (content_lang(&row.item.lang), content_dir(&row.item.lang));
    let base = item_url("workshop", slug);
    let main = html! {
        h1 lang=[lang] dir=[dir] { (row.item.title) }
        p.lead lang=[lang] dir=[dir] { (row.item.summary) }
        p.meta { (item_meta(shared, &row.item)) }
        (translation_note(shared, &base, &original, &row.item, shown.is_none()))
        @if let Some(updated) = super::glossary::updated_line(shared, &row.extra) {
            p.meta.updated { (updated) }
        }
        @if !details.audience.is_empty() {
            h2 { (t.workshop_audience) }
            p lang=[lang] dir=[dir] { (details.audience) }
        }
        @if !details.objectives.is_empty() {
            h2 { (t.workshop_objectives) }
            ul lang=[lang] dir=[dir] { @for o in &details.objectives { li { (o) } } }
        }
        @if !details.materials.is_empty() {
            h2 { (t.workshop_materials) }
            ul lang=[lang] dir=[dir] { @for m in &details.materials { li { (m) } } }
        }
        (handouts(shared, &details.handouts))
        @if !details.activities.is_empty() {
            h2 { (t.workshop_activities) }
            ol.activities lang=[lang] dir=[dir] {
                @for a in &details.activities {
                    li {
                        strong { (a.title) } " — " (minutes(a.duration))
                        @if !a.description.is_empty() { br; (a.description) }
                    }
                }
            }
        }
        @if !tutorials.is_empty() {
            h2 { (t.workshop_tutorials) }
            (cards(shared, &tutorials))
        }
        @if !row.body_html.is_empty() {
            details.notes {
                summary { (t.workshop_notes) }
                div lang=[lang] dir=[dir] { (fragment(&row.body_html)) }
            }
        }
    };
    let crumbs = crumbs_for(&theme);
    Ok(Reply::html(
        200,
        page(shared, &row.item.title, &crumbs, main),
    ))
}

/// A workshop's printable handouts, each with its format and size, for the conseiller to
/// print or a learner to keep.
fn handouts(shared: &Shared, handouts: &[crate::content::markdown::Handout]) -> Markup {
    use crate::content::media::{format_label, french_size};
    let t = shared.catalog();
    let label = |h: &crate::content::markdown::Handout| {
        t.media_handout
            .replace("{format}", &format_label(&h.url))
            .replace("{size}", &french_size(h.size))
    };
    html! {
        @if !handouts.is_empty() {
            h2 { (t.media_handouts_heading) }
            ul.handouts {
                @for h in handouts {
                    li { a href=(h.url) { (h.title) } " " span.media-size { "(" (label(h)) ")" } }
                }
            }
        }
    }
}

/// Items matching `query`: first those translated into the phone's language, then the
/// originals (each item once, in the phone's language where it has it).
fn search_items(w: &mut Worker, query: &str) -> Result<Vec<crate::store::SearchHit>, HttpError> {
    let lang = crate::i18n::current_lang().code();
    let mut hits = w.store.search_translations(query, lang, SEARCH_LIMIT)?;
    for hit in w.store.search(query, lang, SEARCH_LIMIT)? {
        if hits.len() >= SEARCH_LIMIT {
            break;
        }
        if !hits
            .iter()
            .any(|h| h.kind == hit.kind && h.slug == hit.slug)
        {
            hits.push(hit);
        }
    }
    Ok(hits)
}

pub fn search(w: &mut Worker, target: &Target) -> HttpResult {
    let raw = target.param("q").unwrap_or("");
    let query: String = raw.trim().chars().take(MAX_QUERY_CHARS).collect();
    let (words, hits) = if query.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        (
            w.store.search_glossary(&query, GLOSSARY_HITS)?,
            search_items(w, &query)?,
        )
    };
    let shared = &*w.shared;
    let t = shared.catalog();
    let found = words.len() + hits.len();
    let count = found.to_string();
    let summary = match found {
        0 => fill(&t.search_none, &[("q", &query)]),
        1 => fill(&t.search_results_one, &[("q", &query)]),
        _ => fill(&t.search_results_many, &[("n", &count), ("q", &query)]),
    };
    let main = html! {
        h1 { (t.search_title) }
        (search_form(shared, &query))
        @if query.is_empty() {
            p { (t.search_empty) }
        } @else {
            p.lead role="status" { (summary) }
            // The words it explains come first: they are what a puzzled learner types.
            (super::glossary::search_box(shared, &words))
            @if found == 0 {
                p { (t.search_hint) }
            } @else if !hits.is_empty() {
                ol.results {
                    @for hit in &hits {
                        li {
                            a href=(item_url(&hit.kind, &hit.slug)) dir="auto" { (hit.title) }
                            span.kind { (t.kind(&hit.kind)) }
                            p dir="auto" { (snippet(&hit.snippet)) }
                        }
                    }
                }
            }
        }
    };
    let title = if query.is_empty() {
        t.search_title.clone()
    } else {
        format!("{} — {}", t.search_title, query)
    };
    Ok(Reply::html(200, page(shared, &title, &[], main)))
}
