//! The glossary's learner pages ("C'est quoi ?"): the list of every explained word, in
//! dictionary order, and one page per word. Also the "Mis à jour en …" line of items.

use maud::{html, Markup};

use super::http::{HttpError, HttpResult, Reply};
use super::templates::{content_dir, content_lang, fragment, item_url, page};
use super::{Shared, Worker};
use crate::i18n::fill;
use crate::store::{sort_key, SearchHit};

pub fn index(w: &mut Worker) -> HttpResult {
    let entries = w.store.glossary()?;
    let shared = &*w.shared;
    let t = shared.catalog();
    let title = t.g("index_title");
    // One heading per first letter, so a long list is quick to scan.
    let mut letters: Vec<(char, Vec<_>)> = Vec::new();
    for entry in &entries {
        let letter = sort_key(&entry.word)
            .chars()
            .next()
            .map_or('#', |c| c.to_ascii_uppercase());
        match letters.last_mut() {
            Some((l, list)) if *l == letter => list.push(entry),
            _ => letters.push((letter, vec![entry])),
        }
    }
    let main = html! {
        h1 { (title) }
        p.lead { (t.g("index_intro")) }
        @if entries.is_empty() {
            p { (t.g("index_empty")) }
        }
        @for (letter, list) in &letters {
            section aria-labelledby=(format!("lettre-{letter}")) {
                h2 #(format!("lettre-{letter}")) { (letter) }
                ul.cards {
                    @for entry in list {
                        li {
                            (glossary_card(&entry.slug, &entry.word, &entry.summary))
                        }
                    }
                }
            }
        }
    };
    Ok(Reply::html(200, page(shared, title, &[], main)))
}

pub fn entry(w: &mut Worker, slug: &str) -> HttpResult {
    let entry = w.store.glossary_entry(slug)?.ok_or(HttpError::NotFound)?;
    let mut see_also = Vec::new();
    for other in &entry.see_also {
        if let Some(row) = w.store.glossary_entry(other)? {
            see_also.push(row);
        }
    }
    let shared = &*w.shared;
    let t = shared.catalog();
    let title = fill(t.g("entry_title"), &[("word", &entry.word)]);
    let main = html! {
        h1 { (title) }
        article #explication lang=[content_lang(GLOSSARY_LANG)] dir=[content_dir(GLOSSARY_LANG)] {
            (fragment(&entry.body_html))
        }
        (super::templates::listen_button(shared, "explication", GLOSSARY_LANG))
        @if !entry.variants.is_empty() {
            p.meta {
                (t.g("entry_forms")) " "
                span lang=[content_lang(GLOSSARY_LANG)] { (entry.variants.join(", ")) }
            }
        }
        @if !see_also.is_empty() {
            section aria-labelledby="voir-aussi" {
                h2 #voir-aussi { (t.g("see_also")) }
                ul.cards {
                    @for other in &see_also {
                        li {
                            (glossary_card(&other.slug, &other.word, &other.summary))
                        }
                    }
                }
            }
        }
        p { a.button.secondary href="/glossaire" { (t.g("all_words")) } }
    };
    let crumbs = [(t.g("index_title"), "/glossaire".to_owned())];
    Ok(Reply::html(200, page(shared, &title, &crumbs, main)))
}

/// The glossary entries a search found, above the other results ("C'est quoi ?").
pub fn search_box(shared: &Shared, words: &[SearchHit]) -> Markup {
    let t = shared.catalog();
    html! {
        @if !words.is_empty() {
            section.glossary-hits aria-labelledby="c-est-quoi" {
                h2 #c-est-quoi { (t.g("kind")) }
                ul.cards {
                    @for word in words {
                        li {
                            (glossary_card(&word.slug, &word.title, &word.summary))
                        }
                    }
                }
            }
        }
    }
}

/// Glossary entries are not translated yet: they are in the kit's first language.
const GLOSSARY_LANG: &str = "fr";

/// A glossary word as a card: the word and its one-line explanation, marked as French on a
/// page in another language.
fn glossary_card(slug: &str, word: &str, summary: &str) -> Markup {
    let (lang, dir) = (content_lang(GLOSSARY_LANG), content_dir(GLOSSARY_LANG));
    html! {
        a.card href=(item_url("glossary", slug)) {
            span.card-title lang=[lang] dir=[dir] { (word) }
            span.card-text lang=[lang] dir=[dir] { (summary) }
        }
    }
}

/// "Mis à jour en décembre 2026" from an item's details JSON, when it has a valid `updated`.
pub fn updated_line(shared: &Shared, extra: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(extra).ok()?;
    shared.catalog().updated(value.get("updated")?.as_str()?)
}
