//! The glossary's learner pages ("C'est quoi ?"): the list of every explained word, in
//! dictionary order, and one page per word. Also the "Mis à jour en …" line of items.

use maud::{html, Markup};

use super::http::{HttpError, HttpResult, Reply};
use super::templates::{fragment, item_url, page};
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
                            a.card href=(item_url("glossary", &entry.slug)) {
                                span.card-title { (entry.word) }
                                span.card-text { (entry.summary) }
                            }
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
        article #explication { (fragment(&entry.body_html)) }
        (super::templates::listen_button(shared, "explication", "fr"))
        @if !entry.variants.is_empty() {
            p.meta { (t.g("entry_forms")) " " (entry.variants.join(", ")) }
        }
        @if !see_also.is_empty() {
            section aria-labelledby="voir-aussi" {
                h2 #voir-aussi { (t.g("see_also")) }
                ul.cards {
                    @for other in &see_also {
                        li {
                            a.card href=(item_url("glossary", &other.slug)) {
                                span.card-title { (other.word) }
                                span.card-text { (other.summary) }
                            }
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
                            a.card href=(item_url("glossary", &word.slug)) {
                                span.card-title { (word.title) }
                                span.card-text { (word.summary) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// "Mis à jour en décembre 2026" from an item's details JSON, when it has a valid `updated`.
pub fn updated_line(shared: &Shared, extra: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(extra).ok()?;
    shared.catalog().updated(value.get("updated")?.as_str()?)
}
