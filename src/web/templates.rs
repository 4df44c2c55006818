//! The page layout and the pieces pages share. Templates are Rust (maud), compiled in and
//! escaped by default; stored HTML fragments (rendered at import) are the only raw HTML.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::http::{HttpError, Reply};
use super::Shared;
use crate::i18n::{fill, Catalog, ErrorText, Lang};
use crate::store::{ItemRow, SNIPPET_CLOSE, SNIPPET_OPEN};

/// The portal URL of an item.
pub fn item_url(kind: &str, slug: &str) -> String {
    match kind {
        "theme" => format!("/themes/{slug}"),
        "workshop" => format!("/ateliers/{slug}"),
        "glossary" => format!("{}{slug}", crate::content::glossary::URL_PREFIX),
        "form" => format!("/formulaires/{slug}"),
        _ => format!("/tutoriels/{slug}"),
    }
}

/// A whole page around `main`. `crumbs` are the links between Home and this page.
pub fn page(shared: &Shared, title: &str, crumbs: &[(&str, String)], main: Markup) -> String {
    let t = shared.catalog();
    let nav = html! { a href="/recherche" { (t.nav_search) } };
    let main = html! { (main) (super::workshop::banner(shared)) };
    page_with(shared, title, crumbs, nav, html! {}, main)
}

/// A whole page with its own menu (`nav`) and extra elements in `<head>`.
pub fn page_with(
    shared: &Shared,
    title: &str,
    crumbs: &[(&str, String)],
    nav: Markup,
    head: Markup,
    main: Markup,
) -> String {
    let t = shared.catalog();
    let site = shared.site();
    let icon = shared.assets.url("icon.svg");
    let prefs = super::prefs::current();
    html! {
        (DOCTYPE)
        html lang=(prefs.lang.code()) dir=(prefs.lang.dir()) class=[prefs.large.then_some("texte-grand")] {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (site.name) }
                link rel="stylesheet" href=(shared.assets.url("kit.css"));
                link rel="icon" type="image/svg+xml" href=(icon);
                script src=(shared.assets.url("kit.js")) defer {}
                (head)
            }
            body {
                a.skip href="#contenu" { (t.skip_link) }
                header.site {
                    a.brand href="/" {
                        img src=(icon) alt="" width="32" height="32";
                        span { (site.name) }
                    }
                    nav aria-label=(t.nav_label) { (nav) }
                }
                (prefs_bar(t, prefs))
                @if !crumbs.is_empty() {
                    nav.crumbs aria-label=(t.breadcrumb_label) {
                        ol {
                            li { a href="/" { (t.nav_home) } }
                            @for (label, href) in crumbs {
                                li { a href=(href) { (label) } }
                            }
                        }
                    }
                }
                main #contenu tabindex="-1" { (main) }
                footer.site {
                    p { (t.footer) }
                    p { a href="/admin" { (t.footer_admin) } }
                }
            }
        }
    }
    .into_string()
}

/// The language choice (each language named in itself) and "A+", on every page: plain
/// links to `/reglages`, which keeps the choice in a cookie and comes back here.
fn prefs_bar(t: &Catalog, prefs: super::prefs::Prefs) -> Markup {
    let path = super::prefs::PATH;
    html! {
        nav.prefs aria-label=(t.prefs_label) {
            ul.langs {
                @for lang in Lang::ALL {
                    li {
                        a href={ "/" (path) "?langue=" (lang.code()) } lang=(lang.code())
                            hreflang=(lang.code())
                            aria-current=[(lang == prefs.lang).then_some("true")] {
                            (lang.name())
                        }
                    }
                }
            }
            @if prefs.large {
                a.text-size href={ "/" (path) "?texte=normal" } {
                    span aria-hidden="true" { "A−" } " " (t.text_normal)
                }
            } @else {
                a.text-size href={ "/" (path) "?texte=grand" } {
                    span aria-hidden="true" { "A+" } " " (t.text_larger)
                }
            }
        }
    }
}

/// "10 minutes · Débutant" for an item that has them.
pub fn item_meta(shared: &Shared, item: &ItemRow) -> String {
    let t = shared.catalog();
    let mut parts = Vec::new();
    if let Some(d) = item.duration {
        parts.push(fill(&t.duration_minutes, &[("n", &d.to_string())]));
    }
    if let Some(level) = &item.level {
        parts.push(t.level(level).to_owned());
    }
    parts.join(" · ")
}

/// The largest pack SVG a card carries in its page instead of linking it.
const INLINE_SVG_MAX: u64 = 2048;

/// A small pack SVG (a theme's icon) as a `data:` URL, so that a list of themes costs one
/// request, not one per icon (each answer's headers weigh about as much as such an icon).
/// In an `<img>`, an SVG never runs scripts nor loads anything; the page's CSP allows
/// `data:` images. Any other URL, or a file that cannot be read, is left as it is.
fn small_svg_inline<'a>(shared: &Shared, url: &'a str) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    let inlined = (|| {
        let rel = url.strip_prefix(&format!("/{}/", super::files::PREFIX))?;
        if !rel.ends_with(".svg") {
            return None;
        }
        let path = crate::paths::safe_join(&shared.data_dir.join("packs"), rel)?;
        if std::fs::metadata(&path).ok()?.len() > INLINE_SVG_MAX {
            return None;
        }
        let text = String::from_utf8(std::fs::read(&path).ok()?).ok()?;
        let mut out = String::with_capacity(text.len() + 32);
        out.push_str("data:image/svg+xml,");
        for c in text.chars() {
            match c {
                '%' => out.push_str("%25"),
                '#' => out.push_str("%23"),
                '<' => out.push_str("%3C"),
                '>' => out.push_str("%3E"),
                '"' => out.push_str("%22"),
                '\n' | '\r' | '\t' => out.push(' '),
                c => out.push(c),
            }
        }
        Some(out)
    })();
    inlined.map_or(Cow::Borrowed(url), Cow::Owned)
}

/// A list of big tappable cards, one per item.
pub fn cards(shared: &Shared, items: &[ItemRow]) -> Markup {
    html! {
        ul.cards {
            @for item in items {
                li {
                    a.card href=(item_url(&item.kind, &item.slug)) {
                        @if let Some(icon) = &item.icon {
                            img src=(small_svg_inline(shared, icon)) alt="" width="48" height="48";
                        }
                        @let (lang, dir) = (content_lang(&item.lang), content_dir(&item.lang));
                        span.card-title lang=[lang] dir=[dir] { (item.title) }
                        span.card-text lang=[lang] dir=[dir] { (item.summary) }
                        @let meta = item_meta(shared, item);
                        @if !meta.is_empty() { span.card-meta { (meta) } }
                    }
                }
            }
        }
    }
}

/// "← Page précédente · Page 2 sur 5 · Page suivante →" under a long list; nothing when
/// it fits on one page. Plain links: works without JavaScript. The arrows are each in a
/// `span.arrow`, which right-to-left pages mirror (kit.css).
pub fn pager(shared: &Shared, base: &str, number: usize, pages: usize) -> Markup {
    let t = shared.catalog();
    let url = |n: usize| {
        if n == 1 {
            base.to_owned()
        } else {
            format!("{base}?page={n}")
        }
    };
    let label = page_label(shared, number, pages);
    html! {
        @if pages > 1 {
            nav.pager aria-label=(label) {
                @if number > 1 {
                    a.button.secondary rel="prev" href=(url(number - 1)) { span.arrow aria-hidden="true" { "←" } " " (t.page_previous) }
                }
                span.pager-label { (label) }
                @if number < pages {
                    a.button rel="next" href=(url(number + 1)) { (t.page_next) " " span.arrow aria-hidden="true" { "→" } }
                }
            }
        }
    }
}

/// A list page's title, with "page N sur M" after the first page.
pub fn paged_title(shared: &Shared, title: &str, number: usize, pages: usize) -> String {
    if number == 1 {
        return title.to_owned();
    }
    format!("{title} — {}", page_label(shared, number, pages))
}

/// "Page N sur M".
fn page_label(shared: &Shared, number: usize, pages: usize) -> String {
    fill(
        &shared.catalog().page_of,
        &[("n", &number.to_string()), ("total", &pages.to_string())],
    )
}

/// The search form, prefilled with what was typed.
pub fn search_form(shared: &Shared, value: &str) -> Markup {
    let t = shared.catalog();
    html! {
        form.search action="/recherche" method="get" role="search" {
            label for="q" { (t.search_label) }
            div.search-row {
                input #q type="search" name="q" value=(value) placeholder=(t.search_placeholder)
                    maxlength="200" autocomplete="off";
                button type="submit" { (t.search_button) }
            }
        }
    }
}

/// The "Écouter" button: hidden until the script finds speech synthesis, then reads aloud
/// the element whose id is `target`.
/// "Écouter" for the text of element `target`, read in `lang` (the text's language,
/// which may differ from the page's); `kit.js` says kindly when the phone has no voice for
/// it.
pub fn listen_button(shared: &Shared, target: &str, lang: &str) -> Markup {
    let t = shared.catalog();
    html! {
        button.listen type="button" hidden data-target=(target) data-stop=(t.listen_stop)
            data-lang=(lang) data-no-voice=(t.listen_no_voice) { (t.listen) }
        p.listen-note hidden role="status" data-for=(target) {}
    }
}

/// `lang` for content in `lang` shown on a page in the phone's language: `None` when they
/// are the same.
pub fn content_lang(lang: &str) -> Option<&str> {
    (lang != crate::i18n::current_lang().code()).then_some(lang)
}

/// `dir` for content in `lang` (as `content_lang`).
pub fn content_dir(lang: &str) -> Option<&'static str> {
    content_lang(lang)?;
    Some(match Lang::from_code(lang) {
        Some(l) => l.dir(),
        None => "auto",
    })
}

/// A search snippet (plain text with match markers) as escaped HTML with `<mark>`.
pub fn snippet(text: &str) -> Markup {
    let mut parts: Vec<(bool, &str)> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(SNIPPET_OPEN) {
        parts.push((false, &rest[..open]));
        let after = &rest[open + SNIPPET_OPEN.len_utf8()..];
        let close = after.find(SNIPPET_CLOSE).unwrap_or(after.len());
        parts.push((true, &after[..close]));
        rest = after.get(close + SNIPPET_CLOSE.len_utf8()..).unwrap_or("");
    }
    parts.push((false, rest));
    html! {
        @for (marked, part) in parts {
            @if marked { mark { (part) } } @else { (part) }
        }
    }
}

/// A fragment rendered at import time (already safe HTML).
pub fn fragment(html: &str) -> PreEscaped<&str> {
    PreEscaped(html)
}

fn error_text<'a>(shared: &'a Shared, err: &HttpError) -> &'a ErrorText {
    let e = &shared.catalog().errors;
    match err {
        HttpError::BadRequest(_) => &e.bad_request,
        HttpError::NotFound => &e.not_found,
        HttpError::MethodNotAllowed(_) => &e.method_not_allowed,
        HttpError::PayloadTooLarge => &e.payload_too_large,
        HttpError::UriTooLong => &e.uri_too_long,
        HttpError::HeadersTooLarge => &e.headers_too_large,
        HttpError::Forbidden => &e.forbidden,
        HttpError::ExpiredForm => &e.expired_form,
        HttpError::TooManyTries(_) => &e.too_many_tries,
        HttpError::Busy => &e.busy,
        HttpError::Internal(_) => &e.internal,
    }
}

/// The French page for an error, with its status.
pub fn error_page(shared: &Shared, err: &HttpError) -> Reply {
    let text = error_text(shared, err);
    let said = match err {
        HttpError::TooManyTries(secs) => fill(&text.text, &[("n", &secs.to_string())]),
        _ => text.text.clone(),
    };
    let main = html! {
        h1 { (text.title) }
        p.lead { (said) }
        @match err {
            HttpError::Forbidden | HttpError::ExpiredForm | HttpError::TooManyTries(_) => {
                p { a.button href="/admin" { (shared.catalog().a("back_admin")) } }
            }
            _ => p { a.button href="/" { (shared.catalog().error_home) } },
        }
    };
    let mut reply = Reply::html(err.status(), page(shared, &text.title, &[], main));
    match err {
        HttpError::MethodNotAllowed(allow) => reply = reply.header("Allow", *allow),
        HttpError::TooManyTries(secs) => reply = reply.header("Retry-After", secs.to_string()),
        HttpError::Busy => reply = reply.header("Retry-After", "2"),
        _ => {}
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_escape_text_and_mark_matches() {
        let got = snippet("a <b> \u{1}événement\u{2} & \u{1}x\u{2}").into_string();
        assert_eq!(
            got,
            "a &lt;b&gt; <mark>événement</mark> &amp; <mark>x</mark>"
        );
        assert_eq!(snippet("\u{1}open").into_string(), "<mark>open</mark>");
        assert_eq!(snippet("").into_string(), "");
    }
}
